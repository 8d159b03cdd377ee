"""A student's SMTP client on raw sockets, right or broken in one chosen way.

    python3 student.py MODE HOST PORT

MODE: good, early (does not wait for the greeting), barelf (LF line endings), nostuff
(no dot-stuffing), pipeline (MAIL, RCPT and DATA in one write, unasked), hang (stops
after EHLO), flood (sends without end), crash (a traceback after the greeting).
The message comes from $SMTPSHELL_MESSAGE, the envelope from $SMTPSHELL_FROM/_TO.
"""

import os
import socket
import sys
import threading

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
eol = "\n" if mode == "barelf" else "\r\n"
sock = socket.create_connection((host, port), timeout=60)
reader = sock.makefile("rb")


def reply():
    lines = []
    while True:
        line = reader.readline()
        if not line:
            sys.exit("connection closed")
        lines.append(line.decode())
        if line[3:4] != b"-":
            return int(line[:3]), lines


def send(text):
    sock.sendall((text + eol).encode())


if mode == "early":
    send("EHLO student.example")
    reply()  # the greeting
else:
    reply()
    send("EHLO student.example")
if mode == "crash":
    raise RuntimeError("oops: the student's bug")
reply()
if mode == "hang":
    threading.Event().wait()
if mode == "flood":
    while True:
        sock.sendall(b"X" * 65536)

sender, recipient = os.environ["SMTPSHELL_FROM"], os.environ["SMTPSHELL_TO"]
with open(os.environ["SMTPSHELL_MESSAGE"], encoding="utf-8") as handle:
    body = handle.read().splitlines()

if mode == "pipeline":
    sock.sendall(f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode())
    codes = [reply()[0] for _ in range(3)]
    ok = codes == [250, 250, 354]
else:
    send(f"MAIL FROM:<{sender}>")
    ok = reply()[0] == 250
    if ok:
        send(f"RCPT TO:<{recipient}>")
        ok = reply()[0] == 250
    if ok:
        send("DATA")
        ok = reply()[0] == 354
if not ok:
    send("QUIT")
    reply()
    sys.exit(1)
for line in body:
    if line.startswith(".") and mode != "nostuff":
        line = "." + line
    send(line)
send(".")
code, _ = reply()
send("QUIT")
reply()
sys.exit(0 if code == 250 else 1)
