"""The upload spool (gate_service/audio/spool.py): memory, then disk, read again whole."""

from __future__ import annotations

import aiohttp
import pytest

from gate_service.audio.spool import AudioSpool
from gate_service.errors import GateError


class _Writer:
    """Collects what a payload writes (aiohttp's stream writer's one method used)."""

    def __init__(self) -> None:
        self.data = bytearray()

    async def write(self, chunk: bytes) -> None:
        self.data += chunk


@pytest.mark.parametrize("size", [10, 3000])
async def test_the_payload_is_the_whole_file_every_time(size: int) -> None:
    spool = AudioSpool(memory_bytes=1024, max_bytes=10_000)
    content = bytes(i % 251 for i in range(size))
    for i in range(0, size, 700):
        spool.write(content[i : i + 700])
    assert spool.on_disk == (size > 1024)
    assert spool.head(4) == content[:4] and spool.size == size
    for _ in range(2):  # a failover sends it again
        payload = spool.payload("a.wav", "audio/wav")
        assert payload.size == size
        writer = _Writer()
        await payload.write(writer)  # type: ignore[arg-type]
        await payload.close()
        assert bytes(writer.data) == content
    spool.close()


async def test_a_multipart_form_carries_the_spooled_file() -> None:
    spool = AudioSpool(memory_bytes=16)
    spool.write(b"RIFF" + b"x" * 60)
    form = aiohttp.MultipartWriter("form-data", boundary="b")
    form.append_payload(spool.payload("a.wav", "")).set_content_disposition(
        "form-data", name="file", filename="a.wav"
    )
    writer = _Writer()
    await form.write(writer)  # type: ignore[arg-type]
    assert form.size == len(writer.data)  # a Content-Length the provider can trust
    assert b"RIFF" + b"x" * 60 in writer.data
    assert b"application/octet-stream" in writer.data
    spool.close()


def test_past_the_bound_is_413() -> None:
    spool = AudioSpool(memory_bytes=4, max_bytes=10)
    spool.write(b"x" * 10)
    with pytest.raises(GateError) as err:
        spool.write(b"x")
    assert err.value.code == "request_too_large"
    spool.close()
