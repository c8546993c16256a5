# Malformed frames for the direct stack, crafted with scapy and sent on the TAP interface from
# inside the test's network namespace. Each case is one frame (or a fragment set) and names the
# drop reason the stack must count for it; the test reads the list from standard output, as
# JSON, after the frames went out.
#   python3 malformed-frames.py IFACE STACK_MAC STACK_IP KERNEL_MAC KERNEL_IP

import json
import sys

from scapy.all import ARP, ICMP, IP, UDP, Ether, Raw, conf, sendp

iface, stack_mac, stack_ip, kernel_mac, kernel_ip = sys.argv[1:6]
conf.verb = 0


def ether(kind=0x0800):
    return Ether(dst=stack_mac, src=kernel_mac, type=kind)


def ip(**fields):
    return IP(src=kernel_ip, dst=stack_ip, **fields)


def raw_ip(header_and_payload):
    """An Ethernet frame carrying bytes as an IPv4 packet, exactly as given."""
    return ether() / Raw(header_and_payload)


good_icmp = bytes(ip() / ICMP(type=8, id=7, seq=1) / b"abcdefgh")

cases = []


def case(reason, *frames):
    cases.append({"reason": reason, "frames": len(frames)})
    for frame in frames:
        sendp(frame, iface=iface)


# Ethernet: a 12-byte frame, which the kernel pads with zeros to a 14-byte header (packet(7)
# sockets do for CAP_SYS_RAWIO): EtherType 0, an 802.3 length field. Then an 802.3 frame.
case("ethernet.length-field", Raw(bytes.fromhex(stack_mac.replace(":", "")) * 2))

case("ethernet.length-field", Ether(dst=stack_mac, src=kernel_mac, type=0x0040) / Raw(b"\x00" * 64))

# IPv4: 12 bytes of header; version 6 in an IPv4 frame; IHL 4; total length past the frame.
case("ipv4.truncated", raw_ip(good_icmp[:12]))
case("ipv4.bad-version", raw_ip(bytes([0x65]) + good_icmp[1:]))
case("ipv4.bad-header-length", raw_ip(bytes([0x44]) + good_icmp[1:]))
too_long = bytearray(good_icmp)
too_long[2:4] = (len(good_icmp) + 100).to_bytes(2, "big")
case("ipv4.bad-total-length", raw_ip(bytes(too_long)))
bad_checksum = bytearray(good_icmp)
bad_checksum[10] ^= 0xFF
case("ipv4.bad-checksum", raw_ip(bytes(bad_checksum)))
# An option (record route, type 7) whose length runs off the 24-byte header.
case("ipv4.bad-options", ether() / IP(bytes(ip(options=[b"\x07\x0a\x04\x00"]) / ICMP())))

# ICMP and UDP: truncated, bad checksums, a UDP length past the IP payload.
case("icmpv4.truncated", ether() / ip(proto=1) / Raw(b"\x08\x00\x00"))
case("icmpv4.bad-checksum", ether() / ip() / ICMP(type=8, chksum=0x1234) / b"data")
case("udp.truncated", ether() / ip(proto=17) / Raw(b"\x00\x07\x00"))
case("udp.bad-length", ether() / ip() / UDP(sport=5000, dport=7, len=200) / b"short")
case("udp.bad-checksum", ether() / ip() / UDP(sport=5000, dport=7, chksum=0x1234) / b"data")

# Fragments: two that overlap by 8 bytes; a first fragment whose datagram never completes.
payload = bytes(ICMP(type=8, id=9, seq=1) / (b"z" * 40))
case(
    "ipv4.fragment-overlap",
    ether() / ip(id=0x4242, proto=1, flags="MF", frag=0) / payload[:24],
    ether() / ip(id=0x4242, proto=1, flags="MF", frag=2) / payload[16:40],
)
case("ipv4.reassembly-timeout", ether() / ip(id=0x4343, proto=1, flags="MF", frag=0) / payload[:24])

# ARP with hardware and protocol sizes other than Ethernet's and IPv4's, and odd types.
arp_kind = 0x0806
case("arp.bad-address-length", ether(arp_kind) / ARP(hwlen=8, op=1, psrc=kernel_ip, pdst=stack_ip))
case("arp.bad-address-length", ether(arp_kind) / ARP(plen=16, op=1, psrc=kernel_ip, pdst=stack_ip))
case("arp.unsupported-hardware", ether(arp_kind) / ARP(hwtype=6, op=1, psrc=kernel_ip, pdst=stack_ip))
case("arp.unsupported-protocol", ether(arp_kind) / ARP(ptype=0x86DD, op=1, psrc=kernel_ip, pdst=stack_ip))
case("arp.unsupported-operation", ether(arp_kind) / ARP(op=9, psrc=kernel_ip, pdst=stack_ip))
case("arp.truncated", ether(arp_kind) / Raw(b"\x00\x01\x08\x00\x06\x04\x00\x01"))

print(json.dumps(cases))
