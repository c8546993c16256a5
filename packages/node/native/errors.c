/*
 * How the addon reports failures to JavaScript. System call failures become an Error with a
 * `code` property holding the errno name and a `syscall` property naming the step, as Node's own
 * fs and net errors do, so the TypeScript side can branch on them and explain what to do
 * (src/tap-open-error.ts).
 */
#include <stdio.h>
#include <string.h>

#include "tap.h"

napi_value tap_throw_errno(napi_env env, const char *step, int err) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", step, strerror(err));
  /* libuv's error codes are the negated errno values on Unix (uv-errno.h), so uv_err_name names
   * any errno libuv knows; the message carries strerror for the rest. */
  napi_value code;
  napi_value text;
  napi_value syscall;
  napi_value error;
  TAP_CHECK(env, napi_create_string_utf8(env, uv_err_name(-err), NAPI_AUTO_LENGTH, &code));
  TAP_CHECK(env, napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &text));
  TAP_CHECK(env, napi_create_string_utf8(env, step, NAPI_AUTO_LENGTH, &syscall));
  TAP_CHECK(env, napi_create_error(env, code, text, &error));
  TAP_CHECK(env, napi_set_named_property(env, error, "syscall", syscall));
  napi_throw(env, error);
  return NULL;
}

napi_value tap_napi_failed(napi_env env) {
  /* The last error must be read before any other N-API call replaces it. */
  const napi_extended_error_info *info = NULL;
  char message[256] = "a N-API call failed";
  if (napi_get_last_error_info(env, &info) == napi_ok && info->error_message != NULL) {
    snprintf(message, sizeof message, "oasis_tap addon: %s", info->error_message);
  }
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_type_error(env, NULL, message);
  return NULL;
}

tap_t *tap_unwrap(napi_env env, napi_value handle) {
  void *data = NULL;
  if (napi_get_value_external(env, handle, &data) != napi_ok || data == NULL) {
    tap_napi_failed(env);
    return NULL;
  }
  return data;
}
