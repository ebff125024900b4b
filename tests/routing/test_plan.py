"""Planning's errors for calls only some providers serve (routing/plan.py)."""

from __future__ import annotations

from gate_service.errors import GateError
from gate_service.routing.plan import NO_KEY, key_required


def test_key_required_names_the_missing_provider_key() -> None:
    verdicts = [
        {"provider": "openai", "model": "dall-e-3", "verdict": NO_KEY},
        {"provider": "groq", "model": "whisper-large-v3-turbo", "verdict": NO_KEY},
    ]
    exc = GateError(
        "no_qualifying_model", "none", body={"spidergate_error": {"candidates": verdicts}}
    )
    mapped = key_required(exc)
    assert (mapped.code, mapped.http_status) == ("no_openai_key", 503)
    assert mapped.body == exc.body
    # One candidate refused for another reason: the 422 stands, it says why.
    verdicts[1]["verdict"] = "model does not support stt"
    assert key_required(exc) is exc
    other = GateError("model_not_found", "nope")
    assert key_required(other) is other
