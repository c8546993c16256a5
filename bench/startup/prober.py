# The client of bench/startup.ts: asks a server that is not up yet, every millisecond, until it
# answers, then prints the CLOCK_MONOTONIC time of the answer in nanoseconds (the clock Node's
# process.hrtime uses, so the benchmark can subtract its own start time).
# Usage: python3 prober.py udp|http HOST PORT   (prints 'probing' once ready to ask)
import socket
import sys
import time

kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + 30
print('probing', flush=True)


def udp_answer():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.001)
        try:
            s.sendto(b'are you up?', (host, port))
            s.recvfrom(2048)
            return True
        except OSError:
            return False


def http_answer():
    try:
        with socket.create_connection((host, port), timeout=1) as s:
            s.sendall(b'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n')
            return s.recv(12).startswith(b'HTTP/1.1 200')
    except OSError:
        time.sleep(0.001)
        return False


answer = udp_answer if kind == 'udp' else http_answer
while time.monotonic() < deadline:
    if answer():
        print(time.monotonic_ns(), flush=True)
        sys.exit(0)
sys.exit('no answer within 30 s')
