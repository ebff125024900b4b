"""A real OTLP trace receiver for tests: the collector's wire protocol over HTTP
(``POST /v1/traces``, protobuf) and over gRPC (``TraceService/Export``), keeping every span
it is sent so a test can look at them.

Built on ``opentelemetry-proto``'s generated messages, i.e. the same protocol an
OpenTelemetry Collector speaks; the gateway's exporter cannot tell the difference.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from tests.stack import free_port


@dataclass(frozen=True)
class ReceivedSpan:
    """One span as received, ids in lowercase hex."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str
    kind: int
    start_ns: int
    end_ns: int
    status_code: int
    attributes: dict[str, Any] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    service_name: str = ""


def _value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    return getattr(v, kind) if kind else None


@dataclass
class OtlpReceiver:
    """Spans received over either protocol, in arrival order."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    exports: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stops: list[Callable[[], None]] = field(default_factory=list)

    def take(self, request: trace_service_pb2.ExportTraceServiceRequest) -> None:
        got: list[ReceivedSpan] = []
        for rs in request.resource_spans:
            resource = {a.key: _value(a.value) for a in rs.resource.attributes}
            for ss in rs.scope_spans:
                for s in ss.spans:
                    got.append(
                        ReceivedSpan(
                            name=s.name,
                            trace_id=s.trace_id.hex(),
                            span_id=s.span_id.hex(),
                            parent_span_id=s.parent_span_id.hex(),
                            kind=s.kind,
                            start_ns=s.start_time_unix_nano,
                            end_ns=s.end_time_unix_nano,
                            status_code=s.status.code,
                            attributes={a.key: _value(a.value) for a in s.attributes},
                            events=tuple(e.name for e in s.events),
                            service_name=str(resource.get("service.name", "")),
                        )
                    )
        with self._lock:
            self.spans.extend(got)
            self.exports += 1

    # ------------------------------------------------------------------ servers

    def start_http(self) -> str:
        """Serve OTLP/HTTP; returns the endpoint for ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.take(request)
                answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        port = free_port()
        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._stops.append(server.shutdown)
        return f"http://127.0.0.1:{port}"

    def start_grpc(self) -> str:
        """Serve OTLP/gRPC; returns the endpoint for ``OTEL_EXPORTER_OTLP_ENDPOINT``."""
        receiver = self

        class Service(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(
                self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
            ) -> trace_service_pb2.ExportTraceServiceResponse:
                receiver.take(request)
                return trace_service_pb2.ExportTraceServiceResponse()

        port = free_port()
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Service(), server)
        server.add_insecure_port(f"127.0.0.1:{port}")
        server.start()

        def stop() -> None:
            server.stop(None).wait(5)

        self._stops.append(stop)
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        for stop in self._stops:
            stop()

    # ------------------------------------------------------------------ reading

    def trace(self, trace_id: str) -> list[ReceivedSpan]:
        with self._lock:
            return [s for s in self.spans if s.trace_id == trace_id]

    def wait(
        self, ready: Callable[[OtlpReceiver], list[ReceivedSpan] | None], timeout: float = 15
    ) -> list[ReceivedSpan]:
        """Poll until ``ready`` returns spans (it returns None while they are missing)."""
        deadline = time.monotonic() + timeout
        while True:
            got = ready(self)
            if got is not None:
                return got
            if time.monotonic() > deadline:
                with self._lock:
                    names = [(s.name, s.trace_id[:8]) for s in self.spans]
                raise AssertionError(f"spans did not arrive in {timeout} s; have {names}")
            time.sleep(0.05)
