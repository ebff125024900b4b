"""The request pipeline every kind of call goes through: admission, the failover run,
budget settlement, one ledger record and metrics per request, and shutdown's drain
(:mod:`gate_service.pipeline.pipeline`); one request's passage through it
(:mod:`gate_service.pipeline.flight`); and its record (:mod:`gate_service.pipeline.record`)."""

from gate_service.pipeline.flight import Flight
from gate_service.pipeline.pipeline import Pipeline
from gate_service.pipeline.record import Cached, request_record

__all__ = ["Cached", "Flight", "Pipeline", "request_record"]
