"""Content capture for traces (docs/capture.md): a request's input and output messages,
kept apart from the ledger's metadata when the brand (or the token) switches it on.

The chat service hands the messages to its flight only when ``Principal.captures`` is
true (the one check the request path makes otherwise); the flight's record carries the
:class:`~gate_service.capture.content.CapturedContent`, redacted (:mod:`.redact`) and cut
to the brand's size cap, through the ledger's journal and writer into ``trace_content``
(:mod:`.store`); :mod:`.purge` deletes what is past its retention.
"""
