"""The flags of ``spidergate serve``: apart from the serving code (:mod:`.serve`) because
they are many and only describe settings (each maps to a ``Settings`` field, or a
``SPIDERGATE_*`` variable)."""

from __future__ import annotations

import argparse

from gate_service.telemetry.logs import FORMATS


def add_serve_flags(p: argparse.ArgumentParser) -> None:
    """Every option of ``serve`` (``serve.handle`` reads them)."""
    p.add_argument(
        "component",
        nargs="?",
        choices=("all", "core", "bridge"),
        default="all",
        help="what to run (default: core and bridge together)",
    )
    p.add_argument("--host", default=None, help="bridge host (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="bridge port (default 8080)")
    p.add_argument("--grpc-host", default=None, help="core host (default 127.0.0.1)")
    p.add_argument("--grpc-port", type=int, default=None, help="core port (default 50051)")
    p.add_argument(
        "--core",
        default=None,
        metavar="TARGET",
        help="bridge only: the core(s), any gRPC target: host:port, dns:///name:port (every "
        "address of the name), ipv4:A:P,B:P, or A:P,B:P; calls go round-robin over the cores "
        "that are up and serving (gRPC health checking)",
    )
    p.add_argument("--redis-url", default=None, help="Redis for shared state (default: in-process)")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve the core's Prometheus /metrics on this port (the bridge has its own)",
    )
    p.add_argument(
        "--shutdown-grace",
        type=float,
        default=None,
        metavar="SECONDS",
        help="on SIGTERM, how long requests in flight may take to finish (default 10)",
    )
    p.add_argument(
        "--drain-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="on SIGTERM, how long to keep serving while saying not ready (/ready 503, gRPC "
        "health NOT_SERVING) so load balancers stop sending requests before the listeners "
        "close; a second signal skips it (default 5)",
    )
    p.add_argument(
        "--responses-retention-days",
        type=float,
        default=None,
        metavar="DAYS",
        help="how long a stored Responses API response is kept (default 30)",
    )
    p.add_argument(
        "--request-deadline",
        type=float,
        default=None,
        metavar="SECONDS",
        help="overall bound on a request (a stream: on its first chunk), over every "
        "attempt; then 504 upstream_timeout (default 120)",
    )
    p.add_argument(
        "--max-concurrent-requests",
        type=int,
        default=None,
        metavar="N",
        help="requests served at once by this process; past it an immediate 503 "
        "overloaded with Retry-After (default 512; /health and /metrics never count)",
    )
    p.add_argument(
        "--max-body-bytes",
        type=int,
        default=None,
        metavar="N",
        help="largest request body accepted; past it 413 request_too_large (default 20 MB)",
    )
    p.add_argument(
        "--max-upload-bytes",
        type=int,
        default=None,
        metavar="N",
        help="largest audio upload body accepted; past it 413 request_too_large (default 26 MB)",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="a connection must send a request's headers within this; else it is closed "
        "(default 10)",
    )
    p.add_argument(
        "--media-markup",
        type=float,
        default=None,
        metavar="FRACTION",
        help="media generation on a pooled key is billed at provider cost x (1 + this) "
        "(default 0.0; a brand's own key is billed nothing)",
    )
    p.add_argument(
        "--cors-origins",
        default=None,
        metavar="LIST",
        help="comma list of origins browsers may call from; '*' is any origin, without "
        "credentials; '' turns CORS off (default *)",
    )
    p.add_argument(
        "--log-format",
        choices=FORMATS,
        default=None,
        help="text, or json: one object per line with the request and trace ids "
        "(default text; env SPIDERGATE_LOG_FORMAT)",
    )
    p.add_argument(
        "--access-log",
        action="store_true",
        default=None,
        help="log one line per finished request (logger spidergate.access; env "
        "SPIDERGATE_ACCESS_LOG=1)",
    )
    mail = p.add_argument_group(
        "contributor invites (docs/invites.md)",
        "the SMTP password is read from SPIDERGATE_SMTP_PASSWORD only (never a flag: ps shows "
        "flags); every flag also has a SPIDERGATE_* variable",
    )
    mail.add_argument(
        "--public-url",
        default=None,
        metavar="URL",
        help="the address people reach the bridge at, for links in invite mails",
    )
    mail.add_argument("--smtp-host", default=None, help="mail server invites are sent through")
    mail.add_argument("--smtp-port", type=int, default=None, help="its port (default 587)")
    mail.add_argument("--smtp-from", default=None, metavar="ADDRESS", help="the mails' sender")
    mail.add_argument("--smtp-user", default=None, help="sign in to the mail server as this user")
    mail.add_argument(
        "--smtp-security",
        choices=("starttls", "ssl", "none"),
        default=None,
        help="starttls (default), ssl (TLS from the start, usually port 465), or none "
        "(a local relay only)",
    )
    p.add_argument(
        "--workers",
        default="1",
        metavar="N",
        help="processes serving the same ports (SO_REUSEPORT), watched by a supervisor that "
        "restarts one that dies; 'auto' = one per core (default 1). Above 1, limits, budgets "
        "and the cache are shared through --redis-url, else a private redis-server "
        "(docs/workers.md)",
    )
    p.add_argument("--demo", action="store_true", help="serve every alias from the mock provider")
    p.add_argument("--mock-url", default=None, help="with --demo: use this mock instead")
