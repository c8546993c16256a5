/*
 * start(tap, rxBuffer, rxMeta, onFrames): the receive path. A libuv poll handle watches the
 * descriptor (uv_poll(3); no thread and no threadpool). When it is readable, frames are read
 * one read(2) each into rxBuffer, an ArrayBuffer owned by JavaScript, until the kernel has no
 * more (EAGAIN), the batch is full, or the buffer has no room for another frame of the largest
 * size. rxMeta, an Int32Array, gets an [offset, length] pair per frame, and onFrames(count) is
 * called once for the whole batch. No JavaScript value is created per frame.
 *
 * If polling or reading fails for good (the interface was deleted: tun reports POLLERR and
 * EBADFD), polling stops and onFrames(count, message) says why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

/* The longest read: the virtio-net header, an Ethernet header with an 802.1Q tag, and a 64 KiB
 * packet; the kernel gives TAP nothing longer (GSO super-frames stop at 64 KiB). */
#define ETHERNET_AND_TAG_LENGTH 18
#define RX_FRAME_MAX(tap) ((tap)->vnet_hdr_len + ETHERNET_AND_TAG_LENGTH + 65535)

/*
 * Reads start 2 bytes past a 16-byte boundary: the 14-byte Ethernet header then leaves the IP
 * header 4-byte aligned (Linux calls this NET_IP_ALIGN), with no virtio-net header or with the
 * 12-byte one. That keeps the Internet checksum's word-at-a-time path available.
 */
#define RX_ALIGN 16
#define RX_IP_ALIGN 2

static size_t next_read_offset(size_t end) {
  return ((end + RX_ALIGN - 1) & ~(size_t)(RX_ALIGN - 1)) + RX_IP_ALIGN;
}

/* Fills the buffer; returns the frame count and leaves a message in `failure` on a fatal error. */
static uint32_t read_batch(tap_t *tap, char *failure, size_t failure_size) {
  napi_env env = tap->env;
  napi_value buffer_value;
  napi_value meta_value;
  void *buffer = NULL;
  size_t buffer_length = 0;
  void *meta_data = NULL;
  size_t meta_length = 0;
  if (napi_get_reference_value(env, tap->rx_buffer, &buffer_value) != napi_ok ||
      napi_get_arraybuffer_info(env, buffer_value, &buffer, &buffer_length) != napi_ok ||
      napi_get_reference_value(env, tap->rx_meta, &meta_value) != napi_ok ||
      napi_get_typedarray_info(env, meta_value, NULL, &meta_length, &meta_data, NULL, NULL) !=
          napi_ok) {
    snprintf(failure, failure_size, "the receive buffers are unreadable");
    return 0;
  }
  int32_t *meta = meta_data;
  const size_t batch = meta_length / 2;
  const size_t frame_max = RX_FRAME_MAX(tap);
  /* Only a detached buffer can be this short (start checked the sizes); reading nothing while
   * the descriptor stays readable would spin, so it stops the device. */
  if (buffer == NULL || meta == NULL || batch == 0 || RX_IP_ALIGN + frame_max > buffer_length) {
    snprintf(failure, failure_size, "the receive buffers were detached");
    return 0;
  }
  uint32_t count = 0;
  size_t offset = RX_IP_ALIGN;
  while (count < batch && offset + frame_max <= buffer_length) {
    ssize_t length = read(tap->fd, (uint8_t *)buffer + offset, frame_max);
    if (length < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        snprintf(failure, failure_size, "read: %s", strerror(errno));
      }
      break;
    }
    /* tun reports the full length of a frame it had to truncate; that cannot happen with room
     * for the longest frame, and a length of 0 makes such a frame count as dropped. */
    size_t kept = (size_t)length <= frame_max ? (size_t)length : 0;
    meta[2 * count] = (int32_t)offset;
    meta[2 * count + 1] = (int32_t)kept;
    count++;
    offset = next_read_offset(offset + kept);
  }
  return count;
}

/* Calls onFrames(count[, failure]) as a callback from the event loop: microtasks and
 * process.nextTick callbacks run after it, and an exception it throws is uncaught. */
static void deliver(tap_t *tap, uint32_t count, const char *failure) {
  napi_env env = tap->env;
  napi_value callback;
  napi_value receiver;
  napi_value argv[2];
  if (napi_get_reference_value(env, tap->on_frames, &callback) != napi_ok ||
      napi_get_global(env, &receiver) != napi_ok ||
      napi_create_uint32(env, count, &argv[0]) != napi_ok ||
      (failure[0] == '\0' ? napi_get_undefined(env, &argv[1])
                          : napi_create_string_utf8(env, failure, NAPI_AUTO_LENGTH, &argv[1])) !=
          napi_ok) {
    return;
  }
  napi_status status =
      napi_make_callback(env, tap->async_context, receiver, callback, 2, argv, NULL);
  if (status == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  tap_t *tap = handle->data;
  napi_env env = tap->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  char failure[128] = "";
  uint32_t count = 0;
  if (status < 0) {
    snprintf(failure, sizeof failure, "poll: %s", uv_strerror(status));
  } else {
    count = read_batch(tap, failure, sizeof failure);
  }
  if (failure[0] != '\0') uv_poll_stop(&tap->poll);
  if (count > 0 || failure[0] != '\0') deliver(tap, count, failure);
  napi_close_handle_scope(env, scope);
}

/* Checks start()'s arguments: the buffer must hold at least one frame of the largest size. */
static bool check_buffers(napi_env env, tap_t *tap, napi_value rx_buffer, napi_value rx_meta,
                          napi_value on_frames) {
  void *data = NULL;
  size_t length = 0;
  TAP_CHECK_OR(env, napi_get_arraybuffer_info(env, rx_buffer, &data, &length), false);
  if (length < RX_ALIGN + RX_FRAME_MAX(tap)) {
    napi_throw_range_error(env, NULL, "rxBuffer has no room for the longest frame");
    return false;
  }
  napi_typedarray_type type;
  TAP_CHECK_OR(env, napi_get_typedarray_info(env, rx_meta, &type, &length, NULL, NULL, NULL),
               false);
  if (type != napi_int32_array || length < 2) {
    napi_throw_type_error(env, NULL, "rxMeta must be an Int32Array of [offset, length] pairs");
    return false;
  }
  napi_valuetype callback_type;
  TAP_CHECK_OR(env, napi_typeof(env, on_frames, &callback_type), false);
  if (callback_type != napi_function) {
    napi_throw_type_error(env, NULL, "onFrames must be a function");
    return false;
  }
  return true;
}

napi_value tap_start(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  TAP_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_type_error(env, NULL, "start(tap, rxBuffer, rxMeta, onFrames) takes 4 arguments");
    return NULL;
  }
  tap_t *tap = tap_unwrap(env, argv[0]);
  if (tap == NULL) return NULL;
  if (tap->fd < 0 || tap->poll_initialized) {
    napi_throw_error(env, NULL, "start() needs an open device that is not receiving yet");
    return NULL;
  }
  if (!check_buffers(env, tap, argv[1], argv[2], argv[3])) return NULL;

  uv_loop_t *loop = NULL;
  TAP_CHECK(env, napi_get_uv_event_loop(env, &loop));
  napi_value resource;
  napi_value resource_name;
  TAP_CHECK(env, napi_create_object(env, &resource));
  TAP_CHECK(env, napi_create_string_utf8(env, "OasisTapDevice", NAPI_AUTO_LENGTH, &resource_name));
  TAP_CHECK(env, napi_async_init(env, resource, resource_name, &tap->async_context));
  TAP_CHECK(env, napi_create_reference(env, argv[1], 1, &tap->rx_buffer));
  TAP_CHECK(env, napi_create_reference(env, argv[2], 1, &tap->rx_meta));
  TAP_CHECK(env, napi_create_reference(env, argv[3], 1, &tap->on_frames));

  int err = uv_poll_init(loop, &tap->poll, tap->fd);
  if (err == 0) {
    tap->poll_initialized = true;
    tap->poll.data = tap;
    err = uv_poll_start(&tap->poll, UV_READABLE, on_poll);
  }
  if (err != 0) {
    tap_release(tap);
    return tap_throw_errno(env, "uv_poll_start", -err);
  }
  TAP_CHECK(env, napi_add_env_cleanup_hook(env, tap_cleanup_hook, tap));
  tap->cleanup_hook_added = true;
  return NULL;
}
