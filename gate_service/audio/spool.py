"""Where an uploaded audio file waits while its request is routed.

OpenAI takes files up to 25 MB. Held as one ``bytes`` a file would sit in memory at least
twice (the chunks received, then the joined copy, then the multipart body built from it),
so an upload is spooled as it arrives: the first :data:`MEMORY_BYTES` in memory (a short
voice note never touches the disk), anything larger in an unnamed temporary file, which
the upstream request then streams from (:class:`SpoolPayload`: 256 KB positioned reads
in a worker thread). A failover re-reads it from the start. Writes go to the page cache (about 50 µs
for a 256 KB chunk here), so they are made inline rather than through a thread.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Any, BinaryIO

import aiohttp
from aiohttp.abc import AbstractStreamWriter

from gate_service.errors import GateError

MEMORY_BYTES = 1024 * 1024
# OpenAI's own limit on an upload (25 MB), with room for a form's framing.
MAX_FILE_BYTES = 25 * 1024 * 1024


class AudioSpool:
    """An upload's bytes, appended chunk by chunk, read back as many times as needed."""

    def __init__(self, memory_bytes: int = MEMORY_BYTES, max_bytes: int = MAX_FILE_BYTES) -> None:
        self._memory_bytes = memory_bytes
        self._max_bytes = max_bytes
        self._buffer = bytearray()
        self._file: BinaryIO | None = None
        self.size = 0

    @property
    def on_disk(self) -> bool:
        return self._file is not None

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; 413 once the file passes ``max_bytes``."""
        self.size += len(chunk)
        if self.size > self._max_bytes:
            raise GateError(
                "request_too_large",
                f"The audio file is larger than the limit of {self._max_bytes} bytes.",
            )
        if self._file is not None:
            self._file.write(chunk)
            return
        self._buffer += chunk
        if len(self._buffer) > self._memory_bytes:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
            self._file.write(self._buffer)
            self._buffer = bytearray()

    def head(self, n: int) -> bytes:
        """The first ``n`` bytes (a WAV header)."""
        return self.read_at(0, n)

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes from ``offset``: positioned reads, so any number of readers
        (an attempt, a failover's next attempt, the billing's header read) never move a
        shared file position."""
        if self._file is None:
            return bytes(self._buffer[offset : offset + n])
        self._file.flush()
        return os.pread(self._file.fileno(), n, offset)

    def payload(self, filename: str, content_type: str) -> SpoolPayload:
        """The file as a multipart part's payload, streamed from the spool when sent."""
        return SpoolPayload(
            self, filename=filename, content_type=content_type or "application/octet-stream"
        )

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._buffer = bytearray()


class SpoolPayload(aiohttp.Payload):
    """An upload's bytes as aiohttp sends them: read from the spool in 256 KB positioned
    reads (in a worker thread when on disk), never all at once. aiohttp closes a file
    payload once sent; this one leaves the spool open for a failover's next attempt."""

    _CHUNK = 256 * 1024

    def __init__(self, spool: AudioSpool, **kwargs: Any) -> None:
        super().__init__(spool, **kwargs)
        self._spool = spool
        self._size = spool.size

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._spool.read_at(0, self._spool.size).decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        spool, offset = self._spool, 0
        loop = asyncio.get_running_loop()
        while offset < spool.size:
            if spool.on_disk:
                chunk = await loop.run_in_executor(None, spool.read_at, offset, self._CHUNK)
            else:
                chunk = spool.read_at(offset, self._CHUNK)
            if not chunk:
                break
            await writer.write(chunk)
            offset += len(chunk)
