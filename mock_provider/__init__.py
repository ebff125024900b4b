"""Deterministic stand-in for upstream LLM providers.

SpiderGate never talks to a real provider in its tests, demo mode or benchmark:
all upstream traffic goes to this aiohttp server instead.  It speaks the
providers' wire formats faithfully enough for the official SDKs to accept its
answers, and its replies are a pure function of the request so tests can assert
on exact content.  It also records every request (to prove which key the
gateway used and how many upstream calls it made) and can be scripted to fail.

Layout:

* ``behaviour``   - the format-independent "model": request in, reply out.
* ``formats/``    - one module per wire format: OpenAI chat completions,
  Anthropic Messages, Gemini generateContent (chosen by path suffix), and
  ``formats/answer`` - sending answers and carrying faults out (sleeps,
  dropped sockets, paced / cut / corrupted streams).
* ``state``       - request recording; fault rules are matched here.
* ``fault_rules`` - the fault kinds (error, delay, reset, stream_cut,
  malformed_sse, slow_stream, headers) and their validation.
* ``admin``       - ``/__mock/*`` JSON endpoints for tests and tooling.
* ``server``      - app factory, request dispatch and ``start_mock()``.
"""

from mock_provider.server import MockServer, create_app, start_mock
from mock_provider.state import FaultRule, MockState, RequestRecord

__all__ = ["FaultRule", "MockServer", "MockState", "RequestRecord", "create_app", "start_mock"]
