/*
 * The addon's entry point and the lifetime of a device. Exports:
 *   open(name, vnetHeaderLength, mtu)           open.c
 *   start(tap, rxBuffer, rxMeta, onFrames)      receive.c
 *   send(tap, frames, count, headers, status)   send.c
 *   close(tap)                                  here
 */
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"

static void free_if_done(tap_t *tap) {
  if (tap->finalized && (!tap->poll_initialized || tap->poll_closed)) free(tap);
}

static void on_poll_closed(uv_handle_t *handle) {
  tap_t *tap = handle->data;
  tap->poll_closed = true;
  free_if_done(tap);
}

void tap_release(tap_t *tap) {
  if (tap->fd < 0) return;
  napi_env env = tap->env;
  /* uv_poll(3): the descriptor may be closed right after uv_poll_stop. */
  if (tap->poll_initialized) uv_poll_stop(&tap->poll);
  close(tap->fd);
  tap->fd = -1;
  if (tap->poll_initialized) uv_close((uv_handle_t *)&tap->poll, on_poll_closed);
  napi_ref *refs[] = {&tap->on_frames, &tap->rx_buffer, &tap->rx_meta};
  for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
    if (*refs[i] != NULL) napi_delete_reference(env, *refs[i]);
    *refs[i] = NULL;
  }
  if (tap->async_context != NULL) napi_async_destroy(env, tap->async_context);
  tap->async_context = NULL;
  if (tap->cleanup_hook_added) {
    tap->cleanup_hook_added = false;
    napi_remove_env_cleanup_hook(env, tap_cleanup_hook, tap);
  }
}

void tap_cleanup_hook(void *data) {
  tap_t *tap = data;
  /* Node forgets a hook once it has run it, so tap_release must not remove it again. */
  tap->cleanup_hook_added = false;
  tap_release(tap);
}

void tap_finalize(napi_env env, void *data, void *hint) {
  tap_t *tap = data;
  tap_release(tap);
  tap->finalized = true;
  free_if_done(tap);
}

/* close(tap): stops receiving and closes the descriptor, which destroys a non-persistent TAP
 * interface. Closing again does nothing. */
static napi_value tap_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  TAP_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *tap = tap_unwrap(env, argv[0]);
  if (tap == NULL) return NULL;
  tap_release(tap);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor exported[] = {
      {"open", NULL, tap_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"start", NULL, tap_start, NULL, NULL, NULL, napi_enumerable, NULL},
      {"send", NULL, tap_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, tap_close, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  TAP_CHECK(env, napi_define_properties(env, exports, sizeof exported / sizeof exported[0],
                                        exported));
  return exports;
}
