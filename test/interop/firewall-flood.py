# A flood of distinct UDP flows through the firewall: one datagram per (source port, destination
# port) pair, so each opens a flow of its own. The packet is crafted once with scapy; the flood
# rewrites its ports in place and sends it through a raw socket (scapy's own send loop would take
# minutes for a million packets). The UDP checksum is 0, "none" (RFC 768), so nothing else
# changes between packets. Prints how many were sent and how many the kernel refused (ENOBUFS),
# as JSON.
#   python3 firewall-flood.py CLIENT_IP UPSTREAM_IP FIRST_PORT PORT_COUNT FIRST_FLOW FLOWS

import json
import socket
import sys

from scapy.all import IP, UDP

client, upstream = sys.argv[1:3]
first_port, port_count, first_flow, flows = (int(arg) for arg in sys.argv[3:7])

packet = bytearray(bytes(IP(src=client, dst=upstream, ttl=64) / UDP(sport=1024, dport=first_port, chksum=0) / b"flood"))
sender = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sent = refused = 0
for flow in range(first_flow, first_flow + flows):
    source_port = 1024 + flow // port_count
    destination_port = first_port + flow % port_count
    packet[20:24] = source_port.to_bytes(2, "big") + destination_port.to_bytes(2, "big")
    try:
        sender.sendto(packet, (upstream, 0))
        sent += 1
    except OSError:
        refused += 1
print(json.dumps({"sent": sent, "refused": refused}))
