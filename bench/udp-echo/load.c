// UDP echo load generator for bench/udp-echo.ts: keeps WINDOW datagrams in flight to an echo
// server and counts the echoes that come back.
//
// Usage: load TARGET-IP PORT [PAYLOAD-BYTES [WINDOW [DURATION-MS [WARMUP-MS]]]]
//   defaults: 64-byte payloads, a window of 64, 2000 ms measured after 200 ms of warm-up.
// Prints one JSON line: {"echoed":N,"sent":N,"lost":N,"late":N,"seconds":S,"pps":N}.
//
// One connected UDP socket. Each datagram starts with its 64-bit sequence number (the rest of
// the payload is filler); the echo must return it unchanged. The loop sends until WINDOW
// datagrams are outstanding, waits for echoes (poll(2), at most POLL_TIMEOUT_MS), reads all that
// arrived, and refills. A datagram unanswered LOSS_TIMEOUT_MS after it was sent is lost: it
// leaves the window, so one lost datagram never shrinks the window for the rest of the run.
//
// What is counted (only during the measured period, after the warm-up):
//   sent    datagrams sent;
//   echoed  echoes of outstanding datagrams received, each sequence number at most once;
//   lost    datagrams sent during the measured period that timed out;
//   late    echoes of datagrams already declared lost (or never sent): not in `echoed`;
//   pps     echoed / seconds, the length of the measured period (DURATION-MS).
// A server that never answers gives pps 0; the program still ends after the duration.

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define SEQUENCE_BYTES 8
#define MAX_PAYLOAD 1472
#define MAX_WINDOW 4096
#define BATCH 64
#define POLL_TIMEOUT_MS 20
#define LOSS_TIMEOUT_NS (20 * 1000000LL)
// Sequence numbers of the last RING datagrams; a datagram still outstanding when its slot is
// needed again counts as lost.
#define RING 65536
#define RING_MASK (RING - 1)

struct slot {
  int64_t sent_ns;
  unsigned char outstanding;
  unsigned char measured;
};

static struct slot ring[RING];

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long argument(int argc, char **argv, int index, long fallback, long min, long max,
                     const char *name) {
  if (index >= argc) return fallback;
  char *end;
  errno = 0;
  long value = strtol(argv[index], &end, 10);
  if (errno != 0 || *end != '\0' || end == argv[index] || value < min || value > max) {
    fprintf(stderr, "load: %s must be an integer in %ld..%ld, got '%s'\n", name, min, max,
            argv[index]);
    exit(64);
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 7) {
    fprintf(stderr,
            "usage: load TARGET-IP PORT [PAYLOAD-BYTES [WINDOW [DURATION-MS [WARMUP-MS]]]]\n");
    return 64;
  }
  struct sockaddr_in target = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, argv[1], &target.sin_addr) != 1) {
    fprintf(stderr, "load: '%s' is not an IPv4 address\n", argv[1]);
    return 64;
  }
  target.sin_port = htons((uint16_t)argument(argc, argv, 2, 0, 1, 65535, "PORT"));
  const long payload = argument(argc, argv, 3, 64, SEQUENCE_BYTES, MAX_PAYLOAD, "PAYLOAD-BYTES");
  const long window = argument(argc, argv, 4, 64, 1, MAX_WINDOW, "WINDOW");
  const long duration_ms = argument(argc, argv, 5, 2000, 1, 3600000, "DURATION-MS");
  const long warmup_ms = argument(argc, argv, 6, 200, 0, 3600000, "WARMUP-MS");

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&target, sizeof target) != 0) {
    perror("load: socket");
    return 1;
  }

  static unsigned char filler[MAX_PAYLOAD];
  memset(filler, 0xa5, sizeof filler);
  uint64_t send_sequences[BATCH];
  struct iovec send_iov[BATCH][2];
  struct mmsghdr send_msgs[BATCH];
  static unsigned char receive_buffers[BATCH][MAX_PAYLOAD];
  struct iovec receive_iov[BATCH];
  struct mmsghdr receive_msgs[BATCH];
  memset(send_msgs, 0, sizeof send_msgs);
  memset(receive_msgs, 0, sizeof receive_msgs);
  for (int i = 0; i < BATCH; i++) {
    send_iov[i][0] = (struct iovec){.iov_base = &send_sequences[i], .iov_len = SEQUENCE_BYTES};
    send_iov[i][1] =
        (struct iovec){.iov_base = filler, .iov_len = (size_t)(payload - SEQUENCE_BYTES)};
    send_msgs[i].msg_hdr.msg_iov = send_iov[i];
    send_msgs[i].msg_hdr.msg_iovlen = payload > SEQUENCE_BYTES ? 2 : 1;
    receive_iov[i] = (struct iovec){.iov_base = receive_buffers[i], .iov_len = MAX_PAYLOAD};
    receive_msgs[i].msg_hdr.msg_iov = &receive_iov[i];
    receive_msgs[i].msg_hdr.msg_iovlen = 1;
  }

  const int64_t start_ns = now_ns();
  const int64_t measure_ns = start_ns + warmup_ms * 1000000LL;
  const int64_t end_ns = measure_ns + duration_ms * 1000000LL;
  uint64_t next = 0;
  uint64_t oldest = 0;
  long inflight = 0;
  long long sent = 0, echoed = 0, lost = 0, late = 0;
  int64_t now = start_ns;

  while (now < end_ns) {
    const int measuring = now >= measure_ns;

    // Retire the oldest datagrams: answered ones, and those past the loss timeout.
    while (oldest < next) {
      struct slot *s = &ring[oldest & RING_MASK];
      if (s->outstanding) {
        if (now - s->sent_ns < LOSS_TIMEOUT_NS && next - oldest < RING) break;
        s->outstanding = 0;
        inflight--;
        if (s->measured) lost++;
      }
      oldest++;
    }

    // Refill the window.
    while (inflight < window && next - oldest < RING) {
      long count = window - inflight;
      if (count > BATCH) count = BATCH;
      if ((long)(RING - (next - oldest)) < count) count = (long)(RING - (next - oldest));
      for (long i = 0; i < count; i++) send_sequences[i] = next + (uint64_t)i;
      int done = sendmmsg(fd, send_msgs, (unsigned int)count, MSG_DONTWAIT);
      if (done <= 0) break;
      for (int i = 0; i < done; i++) {
        ring[next & RING_MASK] =
            (struct slot){.sent_ns = now, .outstanding = 1, .measured = (unsigned char)measuring};
        next++;
      }
      inflight += done;
      if (measuring) sent += done;
      if (done < count) break;
    }

    int64_t remaining_ms = (end_ns - now + 999999) / 1000000;
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    int ready = poll(&pfd, 1, remaining_ms < POLL_TIMEOUT_MS ? (int)remaining_ms : POLL_TIMEOUT_MS);
    now = now_ns();
    if (ready <= 0) continue;

    // Read everything that arrived. A refused port (ICMP) shows as ECONNREFUSED: keep going.
    for (;;) {
      int got = recvmmsg(fd, receive_msgs, BATCH, MSG_DONTWAIT, NULL);
      if (got <= 0) break;
      const int counting = now >= measure_ns && now < end_ns;
      for (int i = 0; i < got; i++) {
        uint64_t sequence;
        if (receive_msgs[i].msg_len < SEQUENCE_BYTES) continue;
        memcpy(&sequence, receive_buffers[i], SEQUENCE_BYTES);
        struct slot *s = &ring[sequence & RING_MASK];
        if (sequence >= oldest && sequence < next && s->outstanding) {
          s->outstanding = 0;
          inflight--;
          if (counting) echoed++;
        } else if (counting) {
          late++;
        }
      }
      if (got < BATCH) break;
    }
  }

  const double seconds = (double)(end_ns - measure_ns) / 1e9;
  printf("{\"echoed\":%lld,\"sent\":%lld,\"lost\":%lld,\"late\":%lld,\"seconds\":%.6f,\"pps\":%.1f}\n",
         echoed, sent, lost, late, seconds, seconds > 0 ? (double)echoed / seconds : 0.0);
  return 0;
}
