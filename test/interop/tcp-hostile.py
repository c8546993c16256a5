# A client of the direct stack's TCP that is also its attacker. It opens connections with the
# kernel's own sockets (so every segment the stack sends back lands on a socket that owns the
# 4-tuple, and the kernel never answers with a reset of its own) and, while a connection is idle
# half-way through its transfer, crafts segments with scapy on that connection's 4-tuple: resets
# and SYNs at the wrong sequence numbers, malformed options, data outside the window, ACKs of
# data never sent. Then the transfer resumes and must complete byte-exact.
#   python3 tcp-hostile.py KERNEL_IP STACK_IP PORT HALF_BYTES
#
# The service at STACK_IP:PORT answers "half\n" once it has read HALF_BYTES, and, after the
# client's FIN, "<bytes> <sha256>\n" for all it read. The test drives this script by lines of
# JSON: the script says {"idle": PORT} when a connection is idle; the test answers with the
# stack's sequence state read from its capture ({"rcv_nxt", "snd_nxt", "ts_val", "ts_ecr"});
# for each crafted segment the script says what RFC 5961 / RFC 9293 expect of the stack and
# waits for "next"; the last line is {"result": ...}.

import hashlib
import json
import os
import socket
import struct
import sys

from scapy.all import IP, TCP, Raw, conf, send

kernel_ip, stack_ip = sys.argv[1], sys.argv[2]
port, half = int(sys.argv[3]), int(sys.argv[4])
conf.verb = 0

# Crafted packets carry this TTL and an IP ID of 0xB000 + their index, so that the test can find
# them in the capture.
HOSTILE_TTL = 33
MOD = 1 << 32


def say(message):
    print(json.dumps(message), flush=True)


def hear():
    line = sys.stdin.readline()
    if not line:
        sys.exit("the test closed our input")
    return line.strip()


def read_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError(f"the stack closed after {len(data)} of {count} bytes")
        data += chunk
    return data


def read_to_end(sock):
    chunks = []
    while True:
        chunk = sock.recv(1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def idle(sock):
    """Tells the test that `sock` is idle; returns the stack's sequence state from the capture."""
    say({"idle": sock.getsockname()[1]})
    return json.loads(hear())


cases = 0


def hostile(name, sock, state, flags, seq, ack=0, payload=b"", raw_options=None, expect=None):
    """Sends one crafted segment on `sock`'s 4-tuple and waits until the test checked the stack.

    `expect` is what the stack must do: {"drop": reason or None, "challenge": 0 or 1,
    "reset": 0 or 1, "answered": whether an ACK <SEQ=SND.NXT><ACK=RCV.NXT> must go back}.
    """
    global cases
    ip_id = 0xB000 + cases
    cases += 1
    segment = TCP(
        sport=sock.getsockname()[1],
        dport=port,
        flags=flags,
        seq=seq % MOD,
        ack=ack % MOD,
        window=1024,
    )
    if raw_options is not None:
        # Options exactly as given: the data offset counts them, scapy does not parse them.
        segment.dataofs = 5 + len(raw_options) // 4
        body = raw_options + payload
    else:
        # Timestamps as the kernel's own segments carry them, so that PAWS (RFC 7323 §5) passes
        # them on to the checks under test. Resets carry none (RFC 7323 §5.2).
        if "R" not in flags and state["ts_val"] is not None:
            timestamp = ("Timestamp", (state["ts_val"], state["ts_ecr"]))
            segment.options = [("NOP", None), ("NOP", None), timestamp]
        body = payload
    packet = IP(src=kernel_ip, dst=stack_ip, ttl=HOSTILE_TTL, id=ip_id) / segment
    if body:
        packet = packet / Raw(body)
    send(packet)
    say({"case": name, "ip_id": ip_id, **expect})
    if hear() != "next":
        sys.exit("expected 'next'")


def silent(drop):
    return {"drop": drop, "challenge": 0, "reset": 0, "answered": False}


def answered(drop, challenge):
    return {"drop": drop, "challenge": challenge, "reset": 0, "answered": True}


# The stack's drop reasons: a RST outside the window; any other segment outside it (answered
# with an ACK); an ACK outside [SND.UNA - MAX.SND.WND, SND.NXT] (answered with a challenge ACK).
RST_DROPPED = "tcp.rst-out-of-window"
UNACCEPTABLE = "tcp.out-of-window"
BAD_ACK = answered("tcp.bad-ack", 1)


# --- A connection attacked while idle half-way; it must finish byte-exact. ---

main = socket.create_connection((stack_ip, port))
main_port = main.getsockname()[1]
first, second = os.urandom(half), os.urandom(half)
main.sendall(first)
if read_exactly(main, 5) != b"half\n":
    sys.exit("the service did not say 'half'")
state = idle(main)
rcv, snd = state["rcv_nxt"], state["snd_nxt"]
far = 1 << 30  # far outside any window: the stack's receive buffer is 4 MiB

# RFC 5961 §3.2: a RST that is in the window but not at RCV.NXT earns a challenge ACK; outside
# the window it is dropped in silence.
hostile("rst in window", main, state, "R", rcv + 1, expect=answered(None, 1))
hostile("rst+ack in window", main, state, "RA", rcv + 65536, snd, expect=answered(None, 1))
hostile("rst just before the window", main, state, "R", rcv - 1, expect=silent(RST_DROPPED))
hostile("rst far beyond the window", main, state, "R", rcv + far, expect=silent(RST_DROPPED))
# RFC 5961 §4.2: a SYN on a synchronized connection, whatever its sequence number, gets an ACK
# back and resets nothing. In the window that is the challenge ACK; outside it, RFC 9293
# §3.10.7.4's ACK for an unacceptable segment, which says the same.
hostile("syn in window", main, state, "S", rcv + 1000, expect=answered(None, 1))
hostile("syn far behind the window", main, state, "S", rcv - far, expect=answered(UNACCEPTABLE, 0))
# Options whose lengths are illegal (RFC 9293 §3.1, MUST-7): the stack drops the segment, and the
# data it carries at RCV.NXT must not reach the stream (the final digests would differ).
for name, options in [
    ("option length 0", b"\x08\x00\x01\x01"),
    ("option length 1", b"\x13\x01\x00\x00"),
    ("option length past the header", b"\x01\x01\x02\x0c"),
    ("option kind without a length", b"\x01\x01\x01\x05"),
]:
    hostile(name, main, state, "PA", rcv, snd, b"INJECTED", options, silent("tcp.bad-option"))
# RFC 9293 §3.10.7.4 first check: data outside the window is answered with an ACK and dropped.
junk, acked = b"x" * 1000, answered(UNACCEPTABLE, 0)
hostile("data beyond the window", main, state, "PA", rcv + far, snd, junk, expect=acked)
hostile("data behind the window", main, state, "PA", rcv - far, snd, junk, expect=acked)
# RFC 5961 §5.2: an ACK of data never sent, or older than SND.UNA - MAX.SND.WND, is answered
# with a challenge ACK and the segment, data and all, dropped.
hostile("ack of unsent data", main, state, "PA", rcv, snd + 100000, b"INJECTED", expect=BAD_ACK)
hostile("ack far in the past", main, state, "PA", rcv, snd - far, b"INJECTED", expect=BAD_ACK)

main.sendall(second)
main.shutdown(socket.SHUT_WR)
reply = read_to_end(main).decode()
main.close()
sent = {"bytes": 2 * half, "sha256": hashlib.sha256(first + second).hexdigest()}

# --- A second connection: a RST exactly at RCV.NXT must reset it (RFC 5961 §3.2). ---

victim = socket.create_connection((stack_ip, port))
victim.sendall(os.urandom(half))
if read_exactly(victim, 5) != b"half\n":
    sys.exit("the service did not say 'half'")
state = idle(victim)
victim_port = victim.getsockname()[1]
reset = {"drop": None, "challenge": 0, "reset": 1, "answered": False}
hostile("rst at rcv.nxt", victim, state, "R", state["rcv_nxt"], expect=reset)
# The stack forgot the connection; the kernel still holds it. An abortive close sends the stack
# a RST, which it counts as for no connection.
victim.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
victim.close()

say({"result": {"main_port": main_port, "victim_port": victim_port, "sent": sent, "reply": reply}})
