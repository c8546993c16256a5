# Malformed DNS queries for the Oasis DNS server, sent over UDP with plain sockets. Each case is
# one datagram with its own ID; the test reads, as JSON on standard output, each case's name and
# the hex of the answer that came back with its ID (null for silence), and checks them against
# what RFC 1035 §4.1, RFC 6891 §6.1.1 and the server's rules require.
#   python3 dns-server-malformed.py HOST PORT

import json
import socket
import struct
import sys
import time

host, port = sys.argv[1], int(sys.argv[2])

A, IN, OPT = 1, 1, 41


def header(ident, qd=1, an=0, ns=0, ar=0, flags=0x0100):
    """A query header: RD set, opcode QUERY, QR clear unless flags say otherwise."""
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def labels(*parts):
    return b"".join(bytes([len(p)]) + p for p in parts) + b"\x00"


def question(name):
    return name + struct.pack("!HH", A, IN)


def opt(owner=b"\x00", rdata=b"", version=0):
    """An OPT record (RFC 6891 §6.1.2): payload 1232 in CLASS, extended RCODE/version/flags in TTL."""
    return owner + struct.pack("!HHBBHH", OPT, 1232, 0, version, 0, len(rdata)) + rdata


def a_record(name):
    return name + struct.pack("!HHIH", A, IN, 300, 4) + bytes([192, 0, 2, 1])


EXAMPLE = labels(b"example", b"com")

cases = {
    # The question's name points to the answer's owner name (offset 18), which points back to
    # the question (offset 12): a loop for a decoder that follows pointers blindly.
    "compression-loop": header(1, an=1) + b"\xc0\x12" + struct.pack("!HH", A, IN) + a_record(b"\xc0\x0c"),
    # A pointer to a name further on in the message.
    "forward-pointer": header(2, ar=1) + question(b"\xc0\x12") + a_record(EXAMPLE),
    # A pointer to its own offset.
    "pointer-into-itself": header(3) + question(b"\xc0\x0c"),
    # A label of 32 bytes of which the message holds 6.
    "length-past-end": header(4) + b"\x20abcdef",
    # foo, an empty label, bar: the empty label ends the name, and what follows is left over.
    "empty-label-in-middle": header(5) + question(b"\x03foo\x00\x03bar\x00"),
    # 0x40 is not a length (at most 63) but the retired extended label type (RFC 6891 §5).
    "label-of-64-bytes": header(6) + question(bytes([64]) + b"a" * 64 + b"\x00"),
    # Five labels of 63 bytes: 321 bytes in wire form, over the 255 allowed (RFC 1035 §3.1).
    "name-over-255-bytes": header(7) + question(labels(*([b"b" * 63] * 5))),
    "two-opt-records": header(8, ar=2) + question(EXAMPLE) + opt() + opt(),
    "opt-in-answer-section": header(9, an=1) + question(EXAMPLE) + opt(),
    "opt-not-at-root": header(10, ar=1) + question(EXAMPLE) + opt(owner=labels(b"foo")),
    # An option announcing 8 bytes where the OPT RDATA holds 2 more.
    "truncated-opt-option": header(11, ar=1) + question(EXAMPLE) + opt(rdata=struct.pack("!HH", 10, 8) + b"\xaa\xbb"),
    "no-question": header(12, qd=0),
    "two-questions": header(13, qd=2) + question(EXAMPLE) + question(EXAMPLE),
    "edns-version-1": header(14, ar=1) + question(EXAMPLE) + opt(version=1),
    # Silence: no header to answer, and answers are never answered.
    "shorter-than-header": struct.pack("!HHH", 15, 0x0100, 1),
    "response": header(16, flags=0x8100) + question(EXAMPLE),
    "malformed-response": header(17, flags=0x8100) + question(b"\xc0\x0c"),
}

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.settimeout(0.1)
for message in cases.values():
    sock.sendto(message, (host, port))

replies = {}
deadline = time.monotonic() + 1.5
while time.monotonic() < deadline:
    try:
        data, _ = sock.recvfrom(65535)
    except socket.timeout:
        continue
    if len(data) >= 2:
        replies[struct.unpack("!H", data[:2])[0]] = data.hex()

ids = {name: struct.unpack("!H", message[:2])[0] for name, message in cases.items()}
print(json.dumps([{"name": name, "reply": replies.get(ids[name])} for name in cases]))
