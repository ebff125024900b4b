"""Saved-prompt commands: ``prompt create|list|search|show|update|delete``, for a brand
named with ``--brand``.

They go through the same :class:`~gate_service.prompts.service.PromptService` as the API,
so they validate and refuse exactly the same things, and an update makes a version as a
PATCH does. A running gateway serves a change within its prompt cache's TTL (5 s).
``show`` prints the prompt as the REST API answers it (JSON), for scripts; ``list`` and
``search`` print a table. A system prompt may be read from a file or stdin
(``--system-file -``), since it usually spans lines.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from gate_service.auth.identity import IdentityStore
from gate_service.cli.support import SubParsers, brand_named, handler, note, table, when
from gate_service.config import Settings
from gate_service.prompts.records import (
    DEFAULT_LIMIT,
    NewPrompt,
    PromptPatch,
    PromptQuery,
    PromptSettings,
    PromptView,
)
from gate_service.prompts.service import PromptService
from gate_service.prompts.store import PromptStore
from gate_service.storage.database import Database

T = TypeVar("T")
_SETTINGS = ("temperature", "top_p", "max_tokens", "presence_penalty", "frequency_penalty")


def register(sub: SubParsers, common: argparse.ArgumentParser) -> None:
    """Add the ``prompt`` command group."""
    group = sub.add_parser("prompt", help="manage a brand's saved prompts")
    commands = group.add_subparsers(dest="prompt_command", required=True)

    create = commands.add_parser("create", parents=[common], help="save a prompt (version 1)")
    create.add_argument("name", help="unique in its project: letters, digits, '_', '.', '-'")
    create.add_argument("--project", help='the project (default: "default")')
    _content_flags(create)
    create.set_defaults(handler=handler(prompt_create))

    listing = commands.add_parser("list", parents=[common], help="the brand's prompts")
    _page_flags(listing)
    listing.set_defaults(handler=handler(prompt_list))

    search = commands.add_parser(
        "search", parents=[common], help="prompts whose name, description or text contain QUERY"
    )
    search.add_argument("query")
    _page_flags(search)
    search.set_defaults(handler=handler(prompt_search))

    show = commands.add_parser("show", parents=[common], help="one prompt, as JSON")
    show.add_argument("prompt_id", help="prm_...")
    show.add_argument("--brand", required=True, help="brand name")
    show.add_argument("--version", type=int, help="an earlier version")
    show.set_defaults(handler=handler(prompt_show))

    update = commands.add_parser("update", parents=[common], help="change a prompt (a new version)")
    update.add_argument("prompt_id", help="prm_...")
    update.add_argument("--name", help="a new name")
    _content_flags(update)
    update.add_argument("--no-model", action="store_true", help="remove the prompt's model")
    update.add_argument(
        "--clear-settings", action="store_true", help="remove every setting (before the flags)"
    )
    update.set_defaults(handler=handler(prompt_update))

    delete = commands.add_parser("delete", parents=[common], help="delete a prompt")
    delete.add_argument("prompt_id", help="prm_...")
    delete.add_argument("--brand", required=True, help="brand name")
    delete.set_defaults(handler=handler(prompt_delete))


def _content_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--brand", required=True, help="brand name")
    parser.add_argument("--description")
    text = parser.add_mutually_exclusive_group()
    text.add_argument("--system", help="the system prompt ({{name}}: a variable)")
    text.add_argument("--system-file", help="read the system prompt from a file ('-': stdin)")
    parser.add_argument("--model", help="the model it applies when a request names none")
    parser.add_argument("--variable", action="append", help="declare a variable (repeatable)")
    parser.add_argument("--temperature", type=float)
    parser.add_argument("--top-p", type=float)
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--presence-penalty", type=float)
    parser.add_argument("--frequency-penalty", type=float)
    parser.add_argument("--stop", action="append", help="a stop sequence (repeatable)")
    parser.add_argument("--seed", type=int)


def _page_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--brand", required=True, help="brand name")
    parser.add_argument("--project", help="only this project")
    parser.add_argument("--limit", type=int, default=DEFAULT_LIMIT)
    parser.add_argument("--offset", type=int, default=0)


def _run(db: Database, work: Callable[[PromptService], Awaitable[T]]) -> T:
    """``work`` with a prompt service over this database, as the API runs it."""

    async def main() -> T:
        service = PromptService(PromptStore(db), flush_interval_s=0)
        return await work(service)

    return asyncio.run(main())


def _brand(args: argparse.Namespace, db: Database) -> str:
    return brand_named(IdentityStore(db), args.brand).client_id


def _system(args: argparse.Namespace) -> str | None:
    if args.system_file is None:
        system: str | None = args.system
        return system
    if args.system_file == "-":
        return sys.stdin.read()
    with open(args.system_file, encoding="utf-8") as file:
        return file.read()


def _settings(args: argparse.Namespace, base: PromptSettings) -> PromptSettings:
    given: dict[str, Any] = {k: getattr(args, k) for k in _SETTINGS if getattr(args, k) is not None}
    if args.stop:
        given["stop"] = tuple(args.stop)
    if args.seed is not None:
        given["seed"] = args.seed
    return replace(base, **given)


def _settings_given(args: argparse.Namespace) -> bool:
    return any(getattr(args, k) is not None for k in (*_SETTINGS, "stop", "seed"))


def view_json(view: PromptView) -> dict[str, Any]:
    """A prompt as ``GET /prompts/{id}`` answers it."""
    settings = view.settings
    return {
        "id": view.id,
        "object": "prompt",
        "project_id": view.project_id,
        "name": view.name,
        "description": view.description,
        "system_prompt": view.system_prompt,
        "model": view.model or None,
        "settings": {
            **{k: getattr(settings, k) for k in _SETTINGS},
            "stop": list(settings.stop),
            "seed": settings.seed,
        },
        "variables": list(view.variables),
        "version": view.version,
        "created": int(view.created_at.timestamp()),
        "updated": int(view.updated_at.timestamp()),
        "last_used": None if view.last_used_at is None else int(view.last_used_at.timestamp()),
    }


def _print_page(prompts: list[PromptView], has_more: bool, empty: str) -> None:
    rows = [
        (p.id, p.project_id, p.name, str(p.version), p.model or "-", when(p.last_used_at))
        for p in prompts
    ]
    table(("ID", "PROJECT", "NAME", "VERSION", "MODEL", "LAST USED"), rows, empty)
    if has_more:
        note("more prompts follow: use --offset")


def prompt_create(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``prompt create``: prints the new prompt's id."""
    new = NewPrompt(
        name=args.name,
        project_id=args.project or "",
        description=args.description or "",
        system_prompt=_system(args) or "",
        model=args.model or "",
        settings=_settings(args, PromptSettings()),
        variables=tuple(args.variable) if args.variable else None,
    )
    client_id = _brand(args, db)
    view = _run(db, lambda service: service.create(client_id, new))
    note(f"saved prompt '{view.name}' in project '{view.project_id}' (version 1)")
    print(view.id)
    return 0


def prompt_list(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``prompt list``: the brand's prompts, newest first."""
    query = PromptQuery(limit=args.limit, offset=args.offset, project_id=args.project)
    client_id = _brand(args, db)
    page = _run(db, lambda service: service.list(client_id, query))
    _print_page(page.prompts, page.has_more, "no prompts")
    return 0


def prompt_search(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``prompt search``: prompts containing the text."""
    query = PromptQuery(
        limit=args.limit, offset=args.offset, project_id=args.project, text=args.query
    )
    client_id = _brand(args, db)
    page = _run(db, lambda service: service.list(client_id, query))
    _print_page(page.prompts, page.has_more, "no prompt matches")
    return 0


def prompt_show(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``prompt show``: the prompt as JSON."""
    client_id = _brand(args, db)
    view = _run(db, lambda service: service.get(client_id, args.prompt_id, args.version))
    print(json.dumps(view_json(view), indent=2, ensure_ascii=False))
    return 0


def prompt_update(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``prompt update``: the flags given change; settings flags change those settings
    and keep the others (``--clear-settings`` first removes them all)."""
    client_id = _brand(args, db)

    async def work(service: PromptService) -> PromptView:
        new_settings = None
        if _settings_given(args) or args.clear_settings:
            current = await service.get(client_id, args.prompt_id)
            base = PromptSettings() if args.clear_settings else current.settings
            new_settings = _settings(args, base)
        patch = PromptPatch(
            name=args.name,
            description=args.description,
            system_prompt=_system(args),
            model="" if args.no_model else args.model,
            settings=new_settings,
            variables=tuple(args.variable) if args.variable else None,
        )
        return await service.update(client_id, args.prompt_id, patch)

    view = _run(db, work)
    note(f"prompt '{view.name}' is now at version {view.version}")
    return 0


def prompt_delete(args: argparse.Namespace, settings: Settings, db: Database) -> int:
    """``prompt delete``: the prompt and its versions."""
    client_id = _brand(args, db)
    _run(db, lambda service: service.delete(client_id, args.prompt_id))
    note(f"deleted prompt {args.prompt_id}")
    return 0
