// Why opening a TAP device failed, as an OasisError with a stable code and a message that says
// what to do. The addon throws an Error with the errno name as `code` and the failed step as
// `syscall` (native/errors.c); the errno values are those of open(2), netdevice(7) and tun's
// TUNSETIFF (the kernel's Documentation/networking/tuntap.rst).

import { type ErrorCode, OasisError } from '@oasis/core';

interface SystemError extends Error {
  readonly code: string;
  readonly syscall: string;
}

/** The OasisError for a failure of the addon's open(); any other error is returned as it is. */
export function tapOpenError(name: string, error: unknown): unknown {
  if (!isSystemError(error)) return error;
  const [code, advice] = explain(name, error);
  return new OasisError(code, `cannot open TAP device ${name} (${error.message}): ${advice}`, {
    cause: error,
  });
}

function isSystemError(error: unknown): error is SystemError {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    'syscall' in error &&
    typeof error.syscall === 'string'
  );
}

function explain(name: string, { code, syscall }: SystemError): [ErrorCode, string] {
  switch (code) {
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      return [
        'ENOENT',
        'the TUN/TAP driver is missing: load it with `modprobe tun` as root, or in a container pass the device in (docker run --device /dev/net/tun)',
      ];
    case 'EPERM':
    case 'EACCES':
      return [
        'EPERM',
        `creating and configuring a TAP device needs CAP_NET_ADMIN: run as root, grant the capability (setcap cap_net_admin+ep "$(command -v node)"), or have root create the device for you (ip tuntap add dev ${name} mode tap user $USER) and open it without the mtu and mac options`,
      ];
    case 'EBUSY':
      return [
        'EADDRINUSE',
        'another process or descriptor holds this interface: close it there, or choose another name',
      ];
    case 'EINVAL':
      if (syscall === 'TUNSETIFF') {
        return [
          'EINVAL',
          'an interface of this name exists and is not a single-queue TAP device (`ip -d link show` says what it is): choose another name',
        ];
      }
      return ['EIO', 'the kernel does not support this setting of the TUN/TAP driver'];
    default:
      return ['EIO', 'the kernel refused; the message names the step that failed'];
  }
}
