#!/usr/bin/env python3
"""Raw client of the agent's control socket, for tests.

call.py SOCKET LINE...        sends each LINE (one JSON request, or any bytes),
                              prints each response line
call.py --follow N SOCKET LINE...
                              sends the LINEs, then prints N more lines the
                              agent streams (a follower), with a 10 s timeout
"""
import socket
import sys


def main():
    args = sys.argv[1:]
    follow = 0
    if args and args[0] == "--follow":
        follow = int(args[1])
        args = args[2:]
    path, lines = args[0], args[1:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rb")
    for line in lines:
        s.sendall(line.encode() + b"\n")
        sys.stdout.write(f.readline().decode())
        sys.stdout.flush()
    for _ in range(follow):
        out = f.readline().decode()
        if not out:
            break
        sys.stdout.write(out)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
