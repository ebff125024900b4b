"""The answer to a request past a process's bound on concurrent requests.

One definition for both doors: the bridge's load shedding (``bridge/shedding.py``) and the
core's gRPC server (``gate_service/servicers/shedding.py``), so an HTTP client sees the
same 503 whether its bridge or the core behind it was full.
"""

from __future__ import annotations

from gate_service.errors import GateError

# A second is enough for a burst to drain at a few hundred requests a second per core.
RETRY_AFTER_S = 1


def overloaded() -> GateError:
    """503 ``overloaded`` with ``Retry-After``."""
    return GateError(
        "overloaded",
        "The gateway is serving as many requests as it can; retry shortly.",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )
