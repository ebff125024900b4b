"""Checks of an embedding request (OpenAI's limits), on the typed request in the core,
after authentication: a 400 naming the parameter. Pure."""

from __future__ import annotations

from gate_service.chat.validation import OPTION_RANGES, check_range
from gate_service.domain.embeddings import ENCODING_FORMATS, EmbeddingRequest
from gate_service.errors import invalid

MAX_INPUTS = 2048
# Above any embedding model's length (3,072 is the largest in the catalog): an answer's
# size is inputs x dimensions, and an unbounded one would be a memory bomb for every hop.
MAX_DIMENSIONS = 8192
# Token ids are vocabulary indexes: never negative, and no tokenizer has 2**31 of them.
_MAX_TOKEN_ID = 2**31 - 1


def validate_embedding_request(req: EmbeddingRequest) -> None:
    """Raise a 400 ``invalid_request`` for the first problem found."""
    if not req.model:
        raise invalid("'model' is required", "model")
    count = req.count
    if count == 0:
        raise invalid("'input' must not be empty", "input")
    if count > MAX_INPUTS:
        raise invalid(f"'input' takes at most {MAX_INPUTS} items; got {count}", "input")
    single = req.single
    for i, text in enumerate(req.texts):
        if not text:
            param = "input" if single else f"input[{i}]"
            raise invalid(f"'{param}' must not be an empty string", param)
    for i, tokens in enumerate(req.token_arrays):
        param = "input" if single else f"input[{i}]"
        if not tokens:
            raise invalid(f"'{param}' must not be an empty array", param)
        for j, token in enumerate(tokens):
            if not 0 <= token <= _MAX_TOKEN_ID:
                raise invalid(f"'{param}[{j}]' is not a valid token id: {token}", f"{param}[{j}]")
    if req.encoding_format not in ENCODING_FORMATS:
        raise invalid("'encoding_format' must be float or base64", "encoding_format")
    dims = req.dimensions
    if dims is not None and not 1 <= dims <= MAX_DIMENSIONS:
        raise invalid(
            f"'dimensions' must be between 1 and {MAX_DIMENSIONS}; got {dims}", "dimensions"
        )
    options = req.options
    for key, (low, high) in OPTION_RANGES.items():
        if (value := getattr(options, key)) is not None:
            check_range(value, low, high, f"spidergate_options.{key}")
