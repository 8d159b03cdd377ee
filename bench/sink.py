"""A minimal SMTP sink offering PIPELINING and CHUNKING (RFC 2920, RFC 3030).

Postfix's smtp-sink (3.7) offers PIPELINING but not CHUNKING, and the practice server is a
teaching tool, so the CHUNKING runs use this: it accepts everything, discards the message
and, like a real pipelining server, writes its replies once its input buffer is drained.
Run: ``python -m bench.sink PORT [--lifetime SECONDS]``; prints ``ready`` when listening.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

EHLO = (
    b"250-bench-sink\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-8BITMIME\r\n"
    b"250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n"
)


class SinkProtocol(asyncio.Protocol):
    """One session: parse complete commands from the buffer, answer them in one write."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.in_data = False
        self.bdat_left = 0
        self.bdat_last = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.transport.write(b"220 bench-sink ESMTP\r\n")  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        out = bytearray()
        while self._step(out):
            pass
        if out:
            self.transport.write(bytes(out))  # type: ignore[attr-defined]

    def _step(self, out: bytearray) -> bool:
        """Consume one unit (a command line, a data block or BDAT bytes); False when short."""
        if self.bdat_left:
            taken = min(self.bdat_left, len(self.buffer))
            del self.buffer[:taken]
            self.bdat_left -= taken
            if self.bdat_left:
                return False
            out += b"250 2.0.0 Ok: queued\r\n" if self.bdat_last else b"250 2.0.0 Ok\r\n"
            return True
        if self.in_data:
            end = self.buffer.find(b"\r\n.\r\n")
            if end < 0:
                # Keep only a tail that could start the terminator.
                if len(self.buffer) > 4:
                    del self.buffer[: len(self.buffer) - 4]
                return False
            del self.buffer[: end + 5]
            self.in_data = False
            out += b"250 2.0.0 Ok: queued\r\n"
            return True
        end = self.buffer.find(b"\r\n")
        if end < 0:
            return False
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 2]
        verb, _, rest = line.partition(b" ")
        verb = verb.upper()
        if verb in (b"EHLO", b"LHLO"):
            out += EHLO
        elif verb == b"HELO":
            out += b"250 bench-sink\r\n"
        elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
            out += b"250 2.0.0 Ok\r\n"
        elif verb == b"DATA":
            # A DATA sent in the same batch as the commands before it: the data may already
            # be here too, so the terminator search must include the line start we consumed.
            self.in_data = True
            self.buffer[:0] = b"\r\n"
            out += b"354 End data with <CR><LF>.<CR><LF>\r\n"
        elif verb == b"BDAT":
            args = rest.split()
            if not args or not args[0].isdigit():
                out += b"501 5.5.4 Syntax: BDAT size [LAST]\r\n"
            else:
                self.bdat_left = int(args[0])
                self.bdat_last = len(args) > 1 and args[1].upper() == b"LAST"
                if not self.bdat_left:
                    out += b"250 2.0.0 Ok: queued\r\n" if self.bdat_last else b"250 2.0.0 Ok\r\n"
        elif verb == b"QUIT":
            out += b"221 2.0.0 Bye\r\n"
            self.transport.write(bytes(out))  # type: ignore[attr-defined]
            out.clear()
            self.transport.close()
            return False
        else:
            out += b"502 5.5.2 Error: command not recognized\r\n"
        return True


async def serve(port: int, lifetime: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(SinkProtocol, "127.0.0.1", port, reuse_address=True)
    print("ready", flush=True)
    async with server:
        await asyncio.sleep(lifetime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int)
    parser.add_argument("--lifetime", type=float, default=600.0, help="exit after this long")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.port, args.lifetime))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
