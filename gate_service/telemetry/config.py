"""Whether and how to export traces, from the standard OpenTelemetry variables.

Off by default: a gateway exports only when told where to, i.e. when
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, or
``OTEL_TRACES_EXPORTER`` names ``otlp``. (The specification's default exporter is OTLP to
localhost; a gateway that starts sending spans to a port nobody listens on because a
variable was absent would be a surprise, so we read absence as "off".)
``OTEL_SDK_DISABLED=true`` or ``OTEL_TRACES_EXPORTER=none`` turn it off whatever else is
set. The protocol is ``OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`` or
``OTEL_EXPORTER_OTLP_PROTOCOL``: ``http/protobuf`` (the specification's default) or
``grpc``. Everything else (endpoint, headers, timeout, compression, service name,
resource attributes, batching) the OpenTelemetry SDK and its exporters read themselves
from the same variables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PROTOCOLS = ("http/protobuf", "grpc")


class TelemetryConfigError(ValueError):
    """An ``OTEL_*`` value this gateway cannot honour (said at start, not per request)."""


@dataclass(frozen=True, slots=True)
class TraceExport:
    """Traces are exported over OTLP with ``protocol``."""

    protocol: str


def trace_export(env: Mapping[str, str]) -> TraceExport | None:
    """The export the environment asks for, or None (the default: no tracing at all)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporters = [e.strip() for e in env.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()]
    if "none" in exporters:
        return None
    unsupported = [e for e in exporters if e != "otlp"]
    if unsupported:
        raise TelemetryConfigError(
            f"OTEL_TRACES_EXPORTER={','.join(exporters)}: only 'otlp' (or 'none') is supported"
        )
    endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if not exporters and not endpoint:
        return None
    protocol = (
        env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or env.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    ).strip()
    if protocol not in PROTOCOLS:
        raise TelemetryConfigError(
            f"OTLP protocol '{protocol}' is not supported: use one of {', '.join(PROTOCOLS)}"
        )
    return TraceExport(protocol)
