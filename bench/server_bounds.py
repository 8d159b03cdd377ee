"""The practice server's bounds under the two abuses issue 12 measured.

``python -m bench.server_bounds``: 30 messages of about 9.5 MB on one connection (how
many are kept, what the rest get, how much memory the process gains), and wrong AUTH
passwords on one connection (how many tries before the server hangs up, how long).
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

from smtpshell import SMTP, SMTPDataError, SMTPSenderRefused
from smtpshell.server import PracticeServer


def _rss_mib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+)", status)[1]) // 1024  # type: ignore[index]


def big_messages(server: PracticeServer, count: int = 30) -> str:
    body = b"Subject: big\r\n\r\n" + (b"x" * 998 + b"\r\n") * 9500
    before, kept, refused, code = _rss_mib(), 0, 0, None
    with SMTP(server.host, server.port, timeout=60) as client:
        for _ in range(count):
            try:
                client.sendmail("a@example.com", ["b@example.com"], body)
                kept += 1
            except (SMTPDataError, SMTPSenderRefused) as error:
                refused, code = refused + 1, f"{error.smtp_code} {error.smtp_error[:5].decode()}"
    stored = sum(m.size for m in server.messages) / 2**20
    return (
        f"{count} x {len(body) / 1e6:.1f} MB: {kept} kept ({stored:.1f} MiB), {refused} refused"
        f" ({code}), RSS +{_rss_mib() - before} MiB"
    )


def wrong_passwords(server: PracticeServer, limit: int = 2000) -> str:
    with socket.create_connection((server.host, server.port), timeout=60) as sock:
        lines = sock.makefile("rb")

        def reply() -> bytes:
            while True:
                line = lines.readline()
                if not line or line[3:4] != b"-":
                    return line

        reply()
        sock.sendall(b"EHLO bench\r\n")
        reply()
        start, tries, last = time.perf_counter(), 0, b""
        while tries < limit:
            sock.sendall(b"AUTH PLAIN AGRlbW8Ad3Jvbmc=\r\n")  # demo / wrong
            tries += 1
            last = reply()
            if not last.startswith(b"535"):
                break
        seconds = time.perf_counter() - start
    return f"wrong AUTH on one connection: {tries} tries in {seconds:.2f} s, last {last[:13]!r}"


def main() -> None:
    with PracticeServer() as server:
        print(big_messages(server))
        print(wrong_passwords(server))


if __name__ == "__main__":
    main()
