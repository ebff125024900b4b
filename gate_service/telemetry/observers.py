"""The pipeline's hook for telemetry: what sees each finished request."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from gate_service.ledger.record import RequestRecord
from gate_service.routing.outcome import RequestContext

RecordObserver: TypeAlias = Callable[[RequestRecord, RequestContext, float], None]
"""Called with a finished request's record, its context and its ledger write's ms."""
