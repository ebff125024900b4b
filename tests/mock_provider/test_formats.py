"""The mock speaks exactly the gateway's wire formats, in the registry's order, and its
tests have a case for each."""

from __future__ import annotations

import pytest

from gate_service.providers.registry import WIRE_FORMATS
from mock_provider.server import FORMATS, formats_for
from tests.mock_provider.wire_cases import CASES


def test_the_mock_speaks_every_registered_format_in_order() -> None:
    assert tuple(f.name for f in FORMATS) == WIRE_FORMATS


def test_every_registered_format_has_a_test_case() -> None:
    assert sorted(CASES) == sorted(WIRE_FORMATS)


def test_a_format_the_mock_cannot_speak_is_named() -> None:
    with pytest.raises(LookupError, match="soap"):
        formats_for(("openai", "soap"))
