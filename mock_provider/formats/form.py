"""Multipart uploads (``/audio/transcriptions``): the form's text fields read up front,
the file left in the stream for its handler.

The dispatcher needs the model before any handler runs (recording, fault matching), and
clients send the text fields before the file (the openai SDK, aiohttp's writer), so
:func:`read_fields` reads parts up to the first file and stops there: the file is read
by its handler, chunk by chunk, and never buffered whole. The reader and the file part
wait on the request (``request[FILE_PART]``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, web

FILE_PART = web.RequestKey("mock_form_file", BodyPartReader)


def is_form(request: web.Request) -> bool:
    return request.content_type == "multipart/form-data"


async def read_fields(request: web.Request) -> dict[str, Any]:
    """The text fields before the file (a repeated field as a list of its values)."""
    fields: dict[str, Any] = {}
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue  # a nested multipart: not something the mock answers
        if part.filename is not None:
            request[FILE_PART] = part
            break
        name = part.name or ""
        value = await part.text()
        if name in fields:
            prior = fields[name]
            fields[name] = [*(prior if isinstance(prior, list) else [prior]), value]
        else:
            fields[name] = value
    return fields


def file_part(request: web.Request) -> BodyPartReader | None:
    """The upload's file part, unread, if the form had one."""
    return request.get(FILE_PART)
