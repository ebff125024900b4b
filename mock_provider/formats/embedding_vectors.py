"""Deterministic embedding vectors for the mock's OpenAI and Gemini endpoints.

A vector is derived from the model and the input alone (SHAKE-256 of both, one signed
byte a dimension, scaled to unit length), so the same input always gets the same vector
and different inputs get different ones, at the model's dimension (or the one asked for).
Hashing rather than a seeded PRNG: 100 inputs of 3,072 dimensions take about a
millisecond, so the mock is never what a benchmark measures.
"""

from __future__ import annotations

import hashlib
import math
from array import array

# The default vector length of the embedding models the catalog names.
DIMENSIONS: dict[str, int] = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
    "mistral-embed": 1024,
    "gemini-embedding-001": 3072,
    "text-embedding-004": 768,
    "embed-english-v3.0": 1024,
    "nomic-embed-text": 768,
    "BAAI/bge-large-en-v1.5": 1024,
    "togethercomputer/m2-bert-80M-8k-retrieval": 768,
}
DEFAULT_DIMENSIONS = 1536


def native_dimensions(model: str) -> int:
    return DIMENSIONS.get(model.removeprefix("models/"), DEFAULT_DIMENSIONS)


def dimensions_of(model: str, asked: int | None) -> int:
    """The length of the answer's vectors: ``asked`` (shortened, as OpenAI's v3 models and
    Gemini do), else the model's own."""
    return asked or native_dimensions(model)


def dimensions_fit(model: str, asked: object) -> bool:
    """Whether ``asked`` is a length the model can shorten to (1 up to its own), as the
    real APIs refuse a longer one."""
    return asked is None or (type(asked) is int and 1 <= asked <= native_dimensions(model))


def vector(model: str, item: str | list[int], dims: int) -> list[float]:
    """A unit vector of ``dims`` floats for ``item`` (a text or token ids)."""
    seed = item.encode() if isinstance(item, str) else array("q", item).tobytes()
    raw = array("b", hashlib.shake_256(model.encode() + b"\0" + seed).digest(dims))
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [v / norm for v in raw]


def vector_bytes(values: list[float]) -> bytes:
    """float32 little-endian: what OpenAI's base64 encoding carries."""
    return array("f", values).tobytes()


def token_count(item: str | list[int]) -> int:
    """Tokens billed for one input: its token ids, or a text at four characters a token."""
    if isinstance(item, list):
        return len(item)
    return max(1, (len(item) + 3) // 4)
