"""Streaming a blocking generator as an HTTP body without hiding its errors.

Litestar ends a stream quietly when a sync generator raises ValueError inside it (it is
treated like StopIteration), so a download could stop part-way and still look complete.
Pulling the generator ourselves, one `next` per worker-thread hop, lets any error abort
the response instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from litestar.concurrency import sync_to_thread

_DONE = object()


async def threaded(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Yield a blocking generator's chunks, each pulled in a worker thread."""
    while True:
        chunk = await sync_to_thread(next, chunks, _DONE)
        if not isinstance(chunk, bytes):
            return
        if chunk:
            yield chunk
