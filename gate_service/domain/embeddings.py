"""An embeddings request and its answer as the core works with them.

Vectors are kept as ``bytes``: float32 little-endian, exactly what OpenAI's base64 form
decodes to. The official openai Python SDK asks for ``encoding_format=base64`` by default,
so the usual answer goes from the upstream's base64 text to these bytes and back to the
same base64 text at the bridge, without a float ever being made; the float list is made
only when the client asked for it (:func:`vector_floats`). A float32 vector loses nothing
this way: every provider computes them in float32 or coarser.
"""

from __future__ import annotations

import base64
import sys
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field

from gate_service.domain.completion import Metadata, RouteAttempt, Usage
from gate_service.domain.request import Json, SpidergateOptions

ENCODING_FORMATS = ("float", "base64")
_BIG_ENDIAN = sys.byteorder == "big"


@dataclass(slots=True)
class EmbeddingRequest:
    """OpenAI's embeddings request: ``texts`` or ``token_arrays`` (one of them is the
    input), ``single`` when the input was one item rather than a list, plus
    ``options`` (``spidergate_options``) and unknown keys in ``extra``."""

    model: str
    texts: list[str] = field(default_factory=list)
    token_arrays: list[list[int]] = field(default_factory=list)
    single: bool = False
    encoding_format: str = "float"
    dimensions: int | None = None
    user: str | None = None
    options: SpidergateOptions = field(default_factory=SpidergateOptions)
    include_route_trace: bool = False
    extra: Json = field(default_factory=dict)

    @property
    def count(self) -> int:
        """How many vectors the answer has."""
        return len(self.texts) or len(self.token_arrays)

    def input_json(self) -> str | list[str] | list[int] | list[list[int]]:
        """``input`` as OpenAI's JSON has it (a single item unwrapped)."""
        items: list[str] | list[list[int]] = self.texts or self.token_arrays
        return items[0] if self.single and len(items) == 1 else items


@dataclass(slots=True)
class EmbeddingAnswer:
    """The vectors (float32 little-endian bytes, in input order), the served model, the
    usage, and what the client is told about how it was served."""

    vectors: list[bytes]
    model: str
    usage: Usage = field(default_factory=Usage)
    metadata: Metadata | None = None
    route_trace: list[RouteAttempt] = field(default_factory=list)


def floats_to_vector(values: Sequence[float]) -> bytes:
    """A float list as float32 little-endian bytes (raises ``TypeError`` for non-numbers)."""
    packed = array("f", values)
    if _BIG_ENDIAN:  # pragma: no cover - little-endian hosts only in CI
        packed.byteswap()
    return packed.tobytes()


def vector_floats(vector: bytes) -> list[float]:
    """The float list of a vector (the ``float`` encoding)."""
    unpacked = array("f")
    unpacked.frombytes(vector)
    if _BIG_ENDIAN:  # pragma: no cover
        unpacked.byteswap()
    return unpacked.tolist()


def vector_base64(vector: bytes) -> str:
    """The ``base64`` encoding of a vector, as OpenAI writes it."""
    return base64.b64encode(vector).decode("ascii")


def base64_vector(text: str) -> bytes:
    """The bytes of a base64 vector (raises ``ValueError`` when it is not one)."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) % 4:
        raise ValueError("a base64 vector's length must be a multiple of 4 bytes")
    return raw
