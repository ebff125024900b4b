"""``spidergate mcp``: the MCP server over stdio, for an agent that spawns it (Claude
Desktop, Cursor, the MCP SDKs; docs/mcp.md).

It is a client of a running gateway (``--url``, env ``SPIDERGATE_URL``, default the
local bridge) with one token (``--token`` or env ``SPIDERGATE_TOKEN``; required), so its
tools see what that token sees over REST. stdout belongs to the protocol: everything for
a human goes to stderr. The same tools are served over HTTP at the bridge's ``/mcp``.
"""

from __future__ import annotations

import argparse
import asyncio

from gate_service.cli.client import connection, connection_parser
from gate_service.cli.support import SubParsers, fail
from gate_service.client import api_base
from gate_service.config import Settings


def register(sub: SubParsers) -> None:
    p = sub.add_parser(
        "mcp",
        parents=[connection_parser(token_from_stdin=False)],
        help="serve MCP over stdio, as a client of a running gateway",
    )
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace, settings: Settings) -> int:
    from gate_service.mcp_server.server import serve_stdio

    if args.token == "-":
        return fail("spidergate mcp cannot read --token from stdin: stdin carries MCP")
    url, token = connection(args)
    if not token:
        return fail("spidergate mcp needs a token: --token or SPIDERGATE_TOKEN")
    try:
        api_base(url)
    except ValueError as error:
        return fail(str(error))
    asyncio.run(serve_stdio(url, token))
    return 0
