"""A small webhook receiver for the benchmark: an asyncio HTTP/1.1 server on loopback
(keep-alive) that answers 204 at once and writes ``<webhook-id> <receipt time>`` per
message to a file. Every 50th message's signature is checked with ``standardwebhooks``.

    python -m benchmarks.webhooks.receiver PORT OUT_FILE SECRET
"""

from __future__ import annotations

import asyncio
import sys
import time

from standardwebhooks import Webhook


async def main(port: int, out_path: str, secret: str) -> None:
    verifier = Webhook(secret)
    out = open(out_path, "a", buffering=1)  # noqa: SIM115, ASYNC230 (open for the server's life)
    count = 0
    bad = 0

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal count, bad
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                received = time.time()
                headers: dict[str, str] = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                count += 1
                if count % 50 == 1:
                    try:
                        verifier.verify(body, headers)
                    except Exception:
                        bad += 1
                        print("signature did not verify", file=sys.stderr, flush=True)
                out.write(f"{headers.get('webhook-id')} {received:.6f}\n")
                writer.write(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=512)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2], sys.argv[3]))
