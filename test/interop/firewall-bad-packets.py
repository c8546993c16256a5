# Packets the firewall must drop and count, crafted with scapy and sent from the client
# namespace through its route to the firewall: sources outside the client network (spoofed,
# RFC 2827), transport headers cut short, and first packets that open no flow (a TCP segment
# without SYN, an ICMP echo reply). Prints the drop reasons and how many of each were sent, as
# JSON, after the packets went out.
#   python3 firewall-bad-packets.py IFACE UPSTREAM_IP FIREWALL_CLIENT_IP

import json
import sys

from scapy.all import ICMP, IP, TCP, UDP, Raw, conf, send

iface, upstream, firewall = sys.argv[1:4]
conf.verb = 0

sent = {}


def case(reason, packets):
    sent[reason] = sent.get(reason, 0) + len(packets)
    for packet in packets:
        send(packet, iface=iface)


# Sources no client holds: another network, the firewall's own client-side address.
case("spoofed", [IP(src="10.99.0.1", dst=upstream) / UDP(sport=4000 + i, dport=7000) for i in range(3)])
case("spoofed", [IP(src=firewall, dst=upstream) / UDP(sport=4100, dport=7000)])
# A TCP header of 8 bytes and a UDP header of 4: the ports are there, the rest is not.
tcp_header = bytes(TCP(sport=4200, dport=7000, flags="S"))
case("truncated", [IP(dst=upstream, proto=6) / Raw(tcp_header[:8])])
case("truncated", [IP(dst=upstream, proto=17) / Raw(b"\x10\x68\x1b")])
# A data offset pointing past the segment.
case("truncated", [IP(dst=upstream, proto=6) / Raw(tcp_header[:12] + bytes([0xF0]) + tcp_header[13:])])
# Not the start of a flow: an ACK with no SYN, an echo reply nobody asked for.
case("no-flow", [IP(dst=upstream) / TCP(sport=4300, dport=7000, flags="A")])
case("no-flow", [IP(dst=upstream) / ICMP(type=0, id=99, seq=1)])

print(json.dumps(sent))
