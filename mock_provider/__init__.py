"""Deterministic stand-in for upstream LLM providers.

SpiderGate never talks to a real provider in its tests, demo mode or benchmark:
all upstream traffic goes to this aiohttp server instead.  It speaks the
providers' wire formats faithfully enough for the official SDKs to accept its
answers, and its replies are a pure function of the request so tests can assert
on exact content.  It also records every request (to prove which key the
gateway used and how many upstream calls it made) and can be scripted to fail.

Layout:

* ``behaviour``  - the format-independent "model": request in, reply out.
* ``formats/``   - one module per wire format (OpenAI chat completions today).
* ``state``      - request recording and scripted fault rules.
* ``admin``      - ``/__mock/*`` JSON endpoints for tests and tooling.
* ``server``     - app factory, request dispatch and ``start_mock()``.
"""

from mock_provider.server import MockServer, create_app, start_mock
from mock_provider.state import FaultRule, MockState, RequestRecord

__all__ = ["FaultRule", "MockServer", "MockState", "RequestRecord", "create_app", "start_mock"]
