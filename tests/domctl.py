#!/usr/bin/env python3
# Sends one command to a hypervisor's domain control socket and prints the
# answer (docs/architecture.md, "Domain control socket").  Exit status 0
# if the answer is "ok", 1 if it is an error, 2 if the socket is unusable.
#   usage: tests/domctl.py SOCKET COMMAND
import socket
import sys

try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(sys.argv[1])
    s.send(sys.argv[2].encode())
    answer = s.recv(4096).decode(errors="replace")
except OSError as e:
    print(f"domctl.py: {sys.argv[1]}: {e}", file=sys.stderr)
    sys.exit(2)
sys.stdout.write(answer)
sys.exit(0 if answer.startswith("ok") else 1)
