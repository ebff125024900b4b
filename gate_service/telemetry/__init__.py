"""What the gateway tells observability stacks: OpenTelemetry traces over OTLP
(:mod:`.tracing`, off unless the standard ``OTEL_*`` variables ask for it), and log lines
as text or JSON carrying the request and trace ids, with an optional access log
(:mod:`.logs`).

Both see a request once, when it has ended, through its ledger record: they are
*record observers* of the pipeline, which calls each with the record, the request's
context and how long the ledger write took. With none configured (the default) the
request path does no telemetry work at all.
"""
