/*
 * One open TAP device: its file descriptor, the libuv poll watching it, and the JavaScript
 * objects the receive path writes into and calls. Shared by the addon's source files.
 *
 * Lifetime: the JavaScript side holds the state through an external value. The state is freed
 * once both the external was collected (tap_finalize) and the poll handle finished closing
 * (libuv may call its close callback only on a later loop iteration, see uv_close(3)).
 */
#ifndef OASIS_TAP_H
#define OASIS_TAP_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct tap {
  napi_env env;
  /* The /dev/net/tun descriptor, attached to the interface; -1 once released. */
  int fd;
  /* Bytes of virtio-net header in front of every frame read or written; 0 without one. */
  size_t vnet_hdr_len;
  uv_poll_t poll;
  /* uv_poll_init ran, so the handle must go through uv_close before the memory is freed. */
  bool poll_initialized;
  bool poll_closed;
  bool finalized;
  bool cleanup_hook_added;
  /* Set by tap_start: the receive callback, the read buffer and its [offset, length] table. */
  napi_ref on_frames;
  napi_ref rx_buffer;
  napi_ref rx_meta;
  napi_async_context async_context;
} tap_t;

/* Throws an Error whose `code` is the errno name (`EPERM`) and `syscall` the failed step. */
napi_value tap_throw_errno(napi_env env, const char *step, int err);
/* Called when a N-API call failed: makes sure an exception is pending, returns NULL. */
napi_value tap_napi_failed(napi_env env);
/* The state behind a handle from tap_open, or NULL with a TypeError pending. */
tap_t *tap_unwrap(napi_env env, napi_value handle);
/* Stops polling, closes the descriptor, drops the JavaScript references. Idempotent. */
void tap_release(tap_t *tap);
/* The external's finalizer: releases the device and frees the state when libuv is done with it. */
void tap_finalize(napi_env env, void *data, void *hint);
/* Registered while polling: releases the device when the environment shuts down (a worker
 * exiting), so its loop is not left with an active handle. */
void tap_cleanup_hook(void *data);

/* Returns `value` from the calling function when a N-API call fails, an exception pending. */
#define TAP_CHECK_OR(env, call, value)                                                            \
  do {                                                                                            \
    if ((call) != napi_ok) {                                                                      \
      tap_napi_failed(env);                                                                       \
      return value;                                                                               \
    }                                                                                             \
  } while (0)
#define TAP_CHECK(env, call) TAP_CHECK_OR(env, call, NULL)

napi_value tap_open(napi_env env, napi_callback_info info);
napi_value tap_start(napi_env env, napi_callback_info info);
napi_value tap_send(napi_env env, napi_callback_info info);

#endif
