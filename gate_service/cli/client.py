"""The human client CLI: ``spidergate chat|models|aliases|usage|traces`` against a running
gateway, over its REST API with a token (docs/mcp.md, "The client CLI").

Unlike the operator commands (``brand``, ``token``, ``key``...), these never open the
database: they are an API client like any other, so they work against a remote gateway
and see exactly what the token may see. ``--url`` (env ``SPIDERGATE_URL``, default the
local bridge) and ``--token`` (env ``SPIDERGATE_TOKEN``; ``-`` reads it from stdin, which
keeps it out of the process list) on every command; ``--json`` prints the route's JSON.
A refusal prints the API's code and message on stderr and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from gate_service.cli import client_output as out
from gate_service.cli.support import SubParsers, fail
from gate_service.client import DEFAULT_URL, ApiError, GateClient
from gate_service.client.chat import DEFAULT_MODEL, chat_body, chat_summary
from gate_service.config import Settings

Command = Callable[[argparse.Namespace, GateClient], Awaitable[int]]


def connection_parser(*, token_from_stdin: bool = True) -> argparse.ArgumentParser:
    """``--url`` and ``--token``, shared by the client commands and ``spidergate mcp``
    (whose stdin is the protocol's, so it cannot read the token there)."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--url",
        default=None,
        help=f"the gateway's address (env SPIDERGATE_URL; default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--token",
        default=None,
        help="agent token, client credential or operator token (env SPIDERGATE_TOKEN"
        + ("; '-' reads it from stdin)" if token_from_stdin else ")"),
    )
    return parser


def connection(args: argparse.Namespace) -> tuple[str, str | None]:
    """The URL and token from the flags, else the environment."""
    url = args.url or os.environ.get("SPIDERGATE_URL") or DEFAULT_URL
    token = args.token or os.environ.get("SPIDERGATE_TOKEN") or None
    if args.token == "-":
        token = sys.stdin.readline().strip() or None
    return url, token


def register(sub: SubParsers) -> None:
    """Add ``chat``, ``models``, ``aliases``, ``usage`` and ``traces``."""
    conn = connection_parser()
    output = argparse.ArgumentParser(add_help=False)
    output.add_argument("--json", action="store_true", help="print the API's JSON")
    parents = [conn, output]

    chat = sub.add_parser("chat", parents=parents, help="chat through a running gateway")
    chat.add_argument("message", nargs="*", help="the message ('-' or none: read stdin)")
    chat.add_argument("-m", "--model", default=DEFAULT_MODEL, help=f"default {DEFAULT_MODEL}")
    chat.add_argument("-s", "--system", default=None, help="a system message")
    chat.add_argument("--max-tokens", type=int, default=None)
    chat.add_argument("--temperature", type=float, default=None)
    chat.add_argument("--prompt", default=None, help='a saved prompt: "prompt:<id>"')
    chat.add_argument(
        "--no-stream", action="store_true", help="wait for the whole answer (then the summary)"
    )
    chat.set_defaults(handler=_run(_chat))

    models = sub.add_parser("models", parents=parents, help="list a gateway's models")
    for flag in ("--provider", "--capability", "--search"):
        models.add_argument(flag, default=None)
    models.add_argument("--kind", choices=("model", "alias"), default=None)
    models.add_argument("--configured-only", action="store_true")
    models.add_argument("--limit", type=int, default=None)
    models.set_defaults(handler=_run(_models))

    aliases = sub.add_parser("aliases", parents=parents, help="list a gateway's aliases")
    aliases.set_defaults(handler=_run(_aliases))

    usage = sub.add_parser("usage", parents=parents, help="your usage (GET /usage)")
    _window(usage)
    usage.add_argument("--bucket", choices=("day", "hour"), default=None)
    usage.set_defaults(handler=_run(_usage))

    traces = sub.add_parser("traces", help="your request traces")
    commands = traces.add_subparsers(dest="traces_command", required=True)
    listing = commands.add_parser("list", parents=parents, help="newest first")
    _trace_filter(listing)
    listing.add_argument("--limit", type=int, default=None)
    listing.add_argument("--offset", type=int, default=None)
    listing.set_defaults(handler=_run(_traces))
    show = commands.add_parser("show", parents=parents, help="one trace, its spans")
    show.add_argument("trace_id")
    show.set_defaults(handler=_run(_trace))
    stats = commands.add_parser("stats", parents=parents, help="counts, p95, cost")
    _trace_filter(stats)
    stats.set_defaults(handler=_run(_trace_stats))


def _window(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="since", default=None, help="ISO-8601 (UTC if no zone)")
    parser.add_argument("--to", dest="until", default=None, help="exclusive; default now")


def _trace_filter(parser: argparse.ArgumentParser) -> None:
    _window(parser)
    for flag in ("--agent", "--model", "--status"):
        parser.add_argument(flag, default=None)


def _filter(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "from": args.since,
        "to": args.until,
        "agent": args.agent,
        "model": args.model,
        "status": args.status,
    }


def _run(command: Command) -> Callable[[argparse.Namespace, Settings], int]:
    """A client command as a CLI handler: one client, refusals as exit status 1."""

    def handle(args: argparse.Namespace, settings: Settings) -> int:
        url, token = connection(args)

        async def main() -> int:
            async with GateClient.connect(url, token) as client:
                return await command(args, client)

        try:
            return asyncio.run(main())
        except ApiError as error:
            if getattr(args, "json", False):
                out.dump(error.as_json())
            return fail(f"{error.code} ({error.status}): {error.message}")
        except httpx.HTTPError as error:
            return fail(f"cannot reach the gateway at {url}: {type(error).__name__}")
        except ValueError as error:
            return fail(str(error))

    handle.__name__ = command.__name__
    return handle


def _show(args: argparse.Namespace, body: Any, human: Callable[[Any], None]) -> None:
    if args.json:
        out.dump(body)
    else:
        human(body)


async def _chat(args: argparse.Namespace, client: GateClient) -> int:
    text = " ".join(args.message)
    if text in ("", "-"):
        text = sys.stdin.read()
    body = chat_body(
        text,
        model=args.model,
        system=args.system,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
        prompt=args.prompt,
    )
    if args.no_stream:
        answer = await client.chat(body)
        if args.json:
            out.dump(answer)
        else:
            out.chat_answer(chat_summary(answer, client.last_request_id))
        return 0
    served = ""
    async for chunk in client.chat_stream(body):
        served = chunk.get("model") or served
        if args.json:
            out.dump(chunk)  # one chunk per line, as it arrives
        else:
            out.delta(chunk)
    if not args.json:
        out.stream_end(served, client.last_request_id)
    return 0


async def _models(args: argparse.Namespace, client: GateClient) -> int:
    query = {
        "provider": args.provider,
        "capability": args.capability,
        "search": args.search,
        "kind": args.kind,
        "configured_only": True if args.configured_only else None,
        "limit": args.limit,
    }
    body = await client.models(query)
    _show(args, body, out.models)
    return 0


async def _aliases(args: argparse.Namespace, client: GateClient) -> int:
    body = await client.aliases()
    _show(args, body, out.aliases)
    return 0


async def _usage(args: argparse.Namespace, client: GateClient) -> int:
    body = await client.usage({"from": args.since, "to": args.until, "bucket": args.bucket})
    _show(args, body, out.usage)
    return 0


async def _traces(args: argparse.Namespace, client: GateClient) -> int:
    query = {**_filter(args), "limit": args.limit, "offset": args.offset}
    body = await client.traces(query)
    _show(args, body, out.traces)
    return 0


async def _trace(args: argparse.Namespace, client: GateClient) -> int:
    body = await client.trace(args.trace_id)
    _show(args, body, out.trace)
    return 0


async def _trace_stats(args: argparse.Namespace, client: GateClient) -> int:
    body = await client.trace_stats(_filter(args))
    _show(args, body, out.pretty)
    return 0
