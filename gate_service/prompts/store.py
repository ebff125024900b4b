"""Saved prompts in the database: ``saved_prompt`` (the current version of each) and
``saved_prompt_version`` (every version, the current one included).

Every read and write is scoped to the brand (``client_id``): another brand's id answers
None, exactly as a missing one, and the caller turns both into the same 404. An update
locks the prompt's row (``FOR UPDATE`` on PostgreSQL; SQLite's writes are serialized),
so two concurrent edits make two versions, never one number twice.

Synchronous by design: :class:`~gate_service.prompts.service.PromptService` calls it
through ``asyncio.to_thread`` so the event loop never waits on the database.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

import orjson
from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gate_service.errors import invalid
from gate_service.prompts.records import PromptPage, PromptQuery, PromptSettings, PromptView
from gate_service.storage.database import Database
from gate_service.storage.models import SavedPrompt, SavedPromptVersion, utcnow

PROMPT_ID_PREFIX = "prm_"


@dataclass(frozen=True, slots=True)
class Content:
    """What a version holds, validated (``validation.py``)."""

    name: str
    description: str
    system_prompt: str
    model: str
    settings: PromptSettings
    variables: tuple[str, ...]


def new_prompt_id() -> str:
    return PROMPT_ID_PREFIX + secrets.token_hex(12)


def _view(row: SavedPrompt, version: SavedPromptVersion | None = None) -> PromptView:
    src: SavedPrompt | SavedPromptVersion = version or row
    return PromptView(
        id=row.id,
        client_id=row.client_id,
        project_id=row.project_id,
        name=src.name,
        description=src.description,
        system_prompt=src.system_prompt,
        model=src.model,
        settings=PromptSettings.from_json(orjson.loads(src.settings)),
        variables=tuple(orjson.loads(src.variables)),
        version=version.version if version is not None else row.version,
        created_at=row.created_at,
        updated_at=version.created_at if version is not None else row.updated_at,
        last_used_at=row.last_used_at,
    )


def _fill(target: SavedPrompt | SavedPromptVersion, content: Content) -> None:
    target.name = content.name
    target.description = content.description
    target.system_prompt = content.system_prompt
    target.model = content.model
    target.settings = orjson.dumps(content.settings.to_json()).decode()
    target.variables = orjson.dumps(list(content.variables)).decode()


def _version_row(row: SavedPrompt) -> SavedPromptVersion:
    return SavedPromptVersion(
        prompt_id=row.id,
        version=row.version,
        name=row.name,
        description=row.description,
        system_prompt=row.system_prompt,
        model=row.model,
        settings=row.settings,
        variables=row.variables,
        created_at=row.updated_at,
    )


def _taken(name: str, project_id: str) -> Exception:
    return invalid(f"a prompt named '{name}' already exists in project '{project_id}'", "name")


class PromptStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ writes

    def create(self, client_id: str, project_id: str, content: Content) -> PromptView:
        now = utcnow()
        row = SavedPrompt(
            id=new_prompt_id(),
            client_id=client_id,
            project_id=project_id,
            name=content.name,
            version=1,
            created_at=now,
            updated_at=now,
        )
        _fill(row, content)
        try:
            with self._db.session() as session:
                session.add(row)
                session.flush()  # the prompt before its version (the foreign key)
                session.add(_version_row(row))
                session.commit()
        except IntegrityError:
            raise _taken(content.name, project_id) from None
        return _view(row)

    def update(
        self, client_id: str, prompt_id: str, change: Callable[[PromptView], Content]
    ) -> PromptView | None:
        """Apply ``change`` to the current version and store the result as the next one;
        None when the brand has no such prompt."""
        with self._db.session() as session:
            row = self._row(session, client_id, prompt_id, lock=True)
            if row is None:
                return None
            content = change(_view(row))
            project_id = row.project_id
            try:
                _fill(row, content)
                row.version += 1
                row.updated_at = utcnow()
                session.add(row)
                session.add(_version_row(row))
                session.commit()
            except IntegrityError:
                raise _taken(content.name, project_id) from None
        return _view(row)

    def delete(self, client_id: str, prompt_id: str) -> bool:
        with self._db.session() as session:
            row = self._row(session, client_id, prompt_id, lock=True)
            if row is None:
                return False
            session.exec(
                delete(SavedPromptVersion).where(col(SavedPromptVersion.prompt_id) == prompt_id)
            )
            session.delete(row)
            session.commit()
        return True

    def touch(self, used: Mapping[str, datetime]) -> None:
        """Record when prompts were last used (a batch from the service's write-behind);
        an earlier time never replaces a later one, and a deleted prompt is skipped."""
        if not used:
            return
        with self._db.session() as session:
            for prompt_id, when in sorted(used.items()):
                session.exec(
                    update(SavedPrompt)
                    .where(col(SavedPrompt.id) == prompt_id)
                    .where(
                        or_(
                            col(SavedPrompt.last_used_at).is_(None),
                            col(SavedPrompt.last_used_at) < when,
                        )
                    )
                    .values(last_used_at=when)
                )
            session.commit()

    # ------------------------------------------------------------------ reads

    @staticmethod
    def _row(
        session: Session, client_id: str, prompt_id: str, *, lock: bool = False
    ) -> SavedPrompt | None:
        query = select(SavedPrompt).where(
            col(SavedPrompt.id) == prompt_id, col(SavedPrompt.client_id) == client_id
        )
        if lock:
            query = query.with_for_update()
        return session.exec(query).first()

    def get(self, client_id: str, prompt_id: str, version: int | None = None) -> PromptView | None:
        with self._db.session() as session:
            row = self._row(session, client_id, prompt_id)
            if row is None:
                return None
            if version is None or version == row.version:
                return _view(row)
            old = session.get(SavedPromptVersion, (prompt_id, version))
            return None if old is None else _view(row, old)

    def by_name(self, client_id: str, project_id: str, name: str) -> PromptView | None:
        with self._db.session() as session:
            row = session.exec(
                select(SavedPrompt).where(
                    col(SavedPrompt.client_id) == client_id,
                    col(SavedPrompt.project_id) == project_id,
                    col(SavedPrompt.name) == name,
                )
            ).first()
            return None if row is None else _view(row)

    def list(self, client_id: str, query: PromptQuery) -> PromptPage:
        """A page of the brand's prompts, newest first (one more row is read to tell
        whether another page follows)."""
        statement = select(SavedPrompt).where(col(SavedPrompt.client_id) == client_id)
        if query.project_id is not None:
            statement = statement.where(col(SavedPrompt.project_id) == query.project_id)
        if query.text:
            needle = query.text.lower()
            statement = statement.where(
                or_(
                    *(
                        func.lower(column).contains(needle, autoescape=True)
                        for column in (
                            col(SavedPrompt.name),
                            col(SavedPrompt.description),
                            col(SavedPrompt.system_prompt),
                        )
                    )
                )
            )
        statement = (
            statement.order_by(col(SavedPrompt.created_at).desc(), col(SavedPrompt.id))
            .offset(query.offset)
            .limit(query.limit + 1)
        )
        with self._db.session() as session:
            rows = list(session.exec(statement).all())
        return PromptPage([_view(r) for r in rows[: query.limit]], len(rows) > query.limit)
