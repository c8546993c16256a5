# Crafted IPv6 packets for the direct stack's interop test, sent with scapy from the kernel's
# side of a TAP interface inside a test namespace.
#   ra IFACE SOURCE PREFIX            a router advertisement offering PREFIX/64 for SLAAC, and
#                                     PREFIX::53 as its DNS server (RFC 8106 RDNSS)
#   bad IFACE MAC SOURCE DESTINATION  malformed extension-header chains and fragments
import sys

from scapy.all import (
    ICMPv6EchoRequest,
    ICMPv6ND_RA,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptRDNSS,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    Ether,
    HBHOptUnknown,
    Raw,
    TCP,
    get_if_hwaddr,
    sendp,
)


def send(iface, frames):
    sendp(frames, iface=iface, verbose=False)


def router_advertisement(iface, source, prefix):
    mac = get_if_hwaddr(iface)
    send(
        iface,
        Ether(src=mac, dst="33:33:00:00:00:01")
        / IPv6(src=source, dst="ff02::1", hlim=255)
        / ICMPv6ND_RA(routerlifetime=1800)
        / ICMPv6NDOptSrcLLAddr(lladdr=mac)
        / ICMPv6NDOptPrefixInfo(
            prefix=prefix, prefixlen=64, L=1, A=1, validlifetime=86400, preferredlifetime=14400
        )
        / ICMPv6NDOptRDNSS(lifetime=1800, dns=[prefix + "53"]),
    )


def bad(iface, mac, source, destination):
    ether = Ether(src=get_if_hwaddr(iface), dst=mac)
    ip = IPv6(src=source, dst=destination)
    echo = ICMPv6EchoRequest(id=7, seq=1, data=b"x" * 48)
    frames = [
        # RFC 8200 §4.1: hop-by-hop options only right after the IPv6 header.
        ether / ip / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / echo,
        # RFC 8200 §4.2: an unknown option whose type says "discard and report" (10).
        ether / ip / IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x9E, optdata=b"ab")]) / echo,
        # RFC 8200 §4.4 / RFC 5095: a routing header (type 0) with segments left.
        ether / ip / IPv6ExtHdrRouting(type=0, segleft=1, addresses=["fd00:91::9"]) / echo,
        # A hop-by-hop header whose length runs past the packet.
        ether / IPv6(src=source, dst=destination, nh=0) / Raw(b"\x3a\x05" + b"\x00" * 6),
        # RFC 7112 §5: a tiny first fragment that does not hold the whole TCP header.
        ether / ip / IPv6ExtHdrFragment(nh=6, offset=0, m=1, id=0x1001) / Raw(bytes(TCP(dport=80))[:8]),
    ]
    # RFC 5722: overlapping fragments of one echo request discard the whole datagram.
    body = bytes(echo.__class__(id=7, seq=2, data=b"y" * 48))
    frames.append(ether / ip / IPv6ExtHdrFragment(nh=58, offset=0, m=1, id=0x2002) / Raw(body[:32]))
    frames.append(ether / ip / IPv6ExtHdrFragment(nh=58, offset=2, m=0, id=0x2002) / Raw(body[16:]))
    send(iface, frames)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "ra":
        router_advertisement(*sys.argv[2:5])
    elif command == "bad":
        bad(*sys.argv[2:6])
    else:
        sys.exit(f"unknown command {command}")
