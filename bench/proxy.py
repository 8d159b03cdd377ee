"""A TCP proxy that delays every byte by a fixed time in each direction.

It models a link with latency but ample bandwidth: each chunk read is written out
``delay`` later, in order, without waiting for the chunks before it to be written.  So a
request-reply exchange costs ``2 * delay`` plus processing, and a batch of pipelined commands
costs one such round trip, which is what the PIPELINING and CHUNKING runs measure.
Run: ``python -m bench.proxy LISTEN_PORT TARGET_PORT [--delay-ms 5] [--lifetime S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Forward ``reader`` to ``writer``, each chunk ``delay`` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def deliver() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    delivery = asyncio.create_task(deliver())
    try:
        while True:
            chunk = await reader.read(1 << 16)
            queue.put_nowait((loop.time() + delay, chunk))
            if not chunk:
                break
        await delivery
    except (ConnectionError, OSError):
        delivery.cancel()
    finally:
        writer.close()


def _nodelay(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def serve(listen_port: int, target_port: int, delay: float, lifetime: float) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_w.close()
            return
        _nodelay(client_w)
        _nodelay(server_w)
        await asyncio.gather(
            _pipe(client_r, server_w, delay),
            _pipe(server_r, client_w, delay),
            return_exceptions=True,
        )

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port, reuse_address=True)
    print("ready", flush=True)
    async with server:
        await asyncio.sleep(lifetime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("listen_port", type=int)
    parser.add_argument("target_port", type=int)
    parser.add_argument("--delay-ms", type=float, default=5.0, help="added each way")
    parser.add_argument("--lifetime", type=float, default=600.0, help="exit after this long")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args.listen_port, args.target_port, args.delay_ms / 1000, args.lifetime))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
