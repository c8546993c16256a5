/*
 * send(tap, frames, count, headers, status): transmits frames[0..count) with one writev(2)
 * each, since a TAP write carries exactly one frame (tuntap.rst). With a virtio-net header, the
 * header of frame i is headers[i * vnetHeaderLength ..], sent in the same writev. status[i]
 * gets 0 or the errno of the failed write: a full queue or a deleted interface is counted by the
 * caller, never thrown.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/uio.h>

#include "tap.h"

/* A typed array's bytes and length, or false with an exception pending. */
static bool typed_array(napi_env env, napi_value value, napi_typedarray_type expected,
                        void **data, size_t *length) {
  napi_typedarray_type type;
  TAP_CHECK_OR(env, napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL),
               false);
  if (type != expected) {
    napi_throw_type_error(env, NULL, "send() got a typed array of the wrong kind");
    return false;
  }
  return true;
}

static int write_frame(tap_t *tap, const uint8_t *header, const void *data, size_t length) {
  struct iovec iov[2];
  int parts = 0;
  if (tap->vnet_hdr_len > 0) {
    iov[parts++] = (struct iovec){.iov_base = (void *)header, .iov_len = tap->vnet_hdr_len};
  }
  iov[parts++] = (struct iovec){.iov_base = (void *)data, .iov_len = length};
  ssize_t written;
  do {
    written = writev(tap->fd, iov, parts);
  } while (written < 0 && errno == EINTR);
  if (written < 0) return errno;
  /* tun takes a frame whole or not at all; a short count would mean a truncated frame. */
  return (size_t)written == tap->vnet_hdr_len + length ? 0 : EIO;
}

napi_value tap_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  TAP_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 5) {
    napi_throw_type_error(env, NULL, "send(tap, frames, count, headers, status) takes 5 arguments");
    return NULL;
  }
  tap_t *tap = tap_unwrap(env, argv[0]);
  if (tap == NULL) return NULL;
  uint32_t count = 0;
  TAP_CHECK(env, napi_get_value_uint32(env, argv[2], &count));
  void *status_data = NULL;
  size_t status_length = 0;
  if (!typed_array(env, argv[4], napi_int32_array, &status_data, &status_length)) return NULL;
  const uint8_t *headers = NULL;
  size_t headers_length = 0;
  if (tap->vnet_hdr_len > 0 &&
      !typed_array(env, argv[3], napi_uint8_array, (void **)&headers, &headers_length)) {
    return NULL;
  }
  if (status_length < count || headers_length < count * tap->vnet_hdr_len) {
    napi_throw_range_error(env, NULL, "send() needs a status slot and a header for every frame");
    return NULL;
  }
  int32_t *status = status_data;
  for (uint32_t i = 0; i < count; i++) {
    napi_value frame;
    void *data = NULL;
    size_t length = 0;
    TAP_CHECK(env, napi_get_element(env, argv[1], i, &frame));
    if (!typed_array(env, frame, napi_uint8_array, &data, &length)) return NULL;
    /* A closed device has fd -1, and writev reports EBADF. */
    status[i] = write_frame(tap, headers + (size_t)i * tap->vnet_hdr_len, data, length);
  }
  return NULL;
}
