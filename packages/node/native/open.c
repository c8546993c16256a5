/*
 * open(name, vnetHeaderLength, mtu): opens the tun driver's character device and attaches
 * it to the TAP interface `name`, creating the interface if it does not exist (the kernel's
 * Documentation/networking/tuntap.rst). Returns { tap, name, mtu, mac }: the handle, and the
 * interface's name, MTU and Ethernet address as the kernel reports them after configuration.
 *
 * vnetHeaderLength 0 gives plain Ethernet frames. Otherwise every frame read or written starts
 * with a virtio-net header of that many bytes (virtio spec v1.2 §5.1.6), in little-endian
 * byte order, and the kernel may hand us partial checksums and TCP super-frames.
 * mtu 0 keeps the interface's current MTU. The interface's Ethernet address is the kernel's end
 * of the link and stays as the kernel chose it; the stack on our end has its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

/* An Ethernet address, IEEE 802 §8. */
#define MAC_LENGTH 6

/*
 * What the kernel may send us (TUNSETOFFLOAD, which sets the interface's hardware features):
 * partial checksums (TUN_F_CSUM) and TCP super-frames over IPv4 and IPv6 (TUN_F_TSO4/6), which
 * then cross as one read of up to 64 KiB instead of MTU-sized segments. Not TUN_F_TSO_ECN nor
 * UFO/USO: a FrameOffload cannot express them, so the kernel segments those itself.
 */
#define RX_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

/* The settings open() was asked for and the values it reads back. */
typedef struct {
  struct ifreq ifr;
  int vnet_hdr_len;
  uint32_t mtu;
} request_t;

/*
 * TUNSETIFF and the per-descriptor settings. On failure returns the name of the step that
 * failed, with errno set by it; NULL on success.
 */
static const char *attach(int fd, request_t *request) {
  request->ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (request->vnet_hdr_len > 0 ? IFF_VNET_HDR : 0);
  if (ioctl(fd, TUNSETIFF, &request->ifr) < 0) return "TUNSETIFF";
  if (request->vnet_hdr_len == 0) {
    /* An existing interface may keep offloads a previous owner enabled; plain frames need the
     * kernel to finish checksums and segment everything itself. */
    if (ioctl(fd, TUNSETOFFLOAD, 0) < 0) return "TUNSETOFFLOAD";
    return NULL;
  }
  if (ioctl(fd, TUNSETVNETHDRSZ, &request->vnet_hdr_len) < 0) return "TUNSETVNETHDRSZ";
  /* The legacy header is in the host's byte order; TUNSETVNETLE makes it little-endian as in
   * virtio 1.x on every host (on little-endian hosts such as x86 this changes nothing). */
  int little_endian = 1;
  if (ioctl(fd, TUNSETVNETLE, &little_endian) < 0) return "TUNSETVNETLE";
  if (ioctl(fd, TUNSETOFFLOAD, (unsigned int)RX_OFFLOADS) < 0) return "TUNSETOFFLOAD";
  return NULL;
}

/*
 * The interface's Ethernet address, read through the tun descriptor itself (tun's
 * SIOCGIFHWADDR), so this works wherever the interface is.
 */
static const char *link_address(int fd, request_t *request) {
  if (ioctl(fd, SIOCGIFHWADDR, &request->ifr) < 0) return "SIOCGIFHWADDR";
  return NULL;
}

/* The link's MTU, through the interface ioctls on a socket of this network namespace
 * (netdevice(7)); the interface was just attached here, so it is found by name. */
static const char *link_mtu(request_t *request) {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return "socket";
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, request->ifr.ifr_name, IFNAMSIZ);
  const char *failed = NULL;
  ifr.ifr_mtu = (int)request->mtu;
  if (request->mtu != 0 && ioctl(sock, SIOCSIFMTU, &ifr) < 0) failed = "SIOCSIFMTU";
  else if (ioctl(sock, SIOCGIFMTU, &ifr) < 0) failed = "SIOCGIFMTU";
  else request->mtu = (uint32_t)ifr.ifr_mtu;
  int saved = errno;
  close(sock);
  errno = saved;
  return failed;
}

/* Reads open()'s arguments into `request`; false with an exception pending if they are wrong. */
static bool read_arguments(napi_env env, napi_callback_info info, request_t *request) {
  size_t argc = 3;
  napi_value argv[3];
  TAP_CHECK_OR(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL), false);
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "open(name, vnetHeaderLength, mtu) takes 3 arguments");
    return false;
  }
  size_t name_length = 0;
  TAP_CHECK_OR(env, napi_get_value_string_utf8(env, argv[0], NULL, 0, &name_length), false);
  if (name_length == 0 || name_length >= IFNAMSIZ) {
    napi_throw_range_error(env, NULL, "an interface name has 1 to 15 bytes (IFNAMSIZ)");
    return false;
  }
  TAP_CHECK_OR(env,
               napi_get_value_string_utf8(env, argv[0], request->ifr.ifr_name, IFNAMSIZ,
                                          &name_length),
               false);
  TAP_CHECK_OR(env, napi_get_value_int32(env, argv[1], &request->vnet_hdr_len), false);
  TAP_CHECK_OR(env, napi_get_value_uint32(env, argv[2], &request->mtu), false);
  return true;
}

napi_value tap_open(napi_env env, napi_callback_info info) {
  request_t request;
  memset(&request, 0, sizeof request);
  if (!read_arguments(env, info, &request)) return NULL;

  /* Non-blocking for the poll-driven reads, close-on-exec so children do not inherit the
   * device; both set atomically by open(2) rather than by a later fcntl. */
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return tap_throw_errno(env, "open /dev/net/tun", errno);
  const char *failed = attach(fd, &request);
  if (failed == NULL) failed = link_address(fd, &request);
  if (failed == NULL) failed = link_mtu(&request);
  if (failed != NULL) {
    int err = errno;
    close(fd);
    return tap_throw_errno(env, failed, err);
  }

  tap_t *tap = calloc(1, sizeof *tap);
  if (tap == NULL) {
    close(fd);
    return tap_throw_errno(env, "calloc", ENOMEM);
  }
  tap->env = env;
  tap->fd = fd;
  tap->vnet_hdr_len = (size_t)request.vnet_hdr_len;

  napi_value result;
  napi_value handle;
  napi_value name;
  napi_value mtu;
  napi_value mac_buffer;
  napi_value mac;
  void *mac_data = NULL;
  if (napi_create_external(env, tap, tap_finalize, NULL, &handle) != napi_ok) {
    close(fd);
    free(tap);
    return tap_napi_failed(env);
  }
  /* From here the finalizer owns the state and closes the descriptor. */
  TAP_CHECK(env, napi_create_object(env, &result));
  TAP_CHECK(env, napi_create_string_utf8(env, request.ifr.ifr_name, NAPI_AUTO_LENGTH, &name));
  TAP_CHECK(env, napi_create_uint32(env, request.mtu, &mtu));
  TAP_CHECK(env, napi_create_arraybuffer(env, MAC_LENGTH, &mac_data, &mac_buffer));
  memcpy(mac_data, request.ifr.ifr_hwaddr.sa_data, MAC_LENGTH);
  TAP_CHECK(env, napi_create_typedarray(env, napi_uint8_array, MAC_LENGTH, mac_buffer, 0, &mac));
  TAP_CHECK(env, napi_set_named_property(env, result, "tap", handle));
  TAP_CHECK(env, napi_set_named_property(env, result, "name", name));
  TAP_CHECK(env, napi_set_named_property(env, result, "mtu", mtu));
  TAP_CHECK(env, napi_set_named_property(env, result, "mac", mac));
  return result;
}
