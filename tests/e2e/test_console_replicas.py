"""Console sessions across replicas: two gateways (core and bridge each) on one PostgreSQL
database. A session made on one opens pages on the other, and a sign-out on either ends
it on both: the session lives in the shared table, not in a process."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.db_backends import fresh_postgres_database
from tests.stack import Stack, make_settings


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, Stack]]:
    vault_keys = (Fernet.generate_key().decode(),)  # the replicas' shared vault key

    def replica(name: str, url: str) -> Stack:
        own = make_settings(Path(tmp_path_factory.mktemp(name)), url)
        return Stack(dataclasses.replace(own, vault_keys=vault_keys))

    with fresh_postgres_database() as url:
        a = replica("replica-a", url).start()
        b = replica("replica-b", url).start()
        yield a, b
        a.stop()
        b.stop()


def _origin(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.http_port}"


def _field(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="')[1].split('"')[0]


def test_a_session_is_seen_and_ended_on_every_replica(replicas: tuple[Stack, Stack]) -> None:
    a, b = replicas
    _, credential = a.core.identity.create_brand("replicated-brand")
    with httpx.Client(base_url=_origin(a), timeout=30) as on_a:
        form = on_a.get("/console/login")
        signed_in = on_a.post(
            "/console/login",
            data={"csrf_token": _field(form.text, "csrf_token"), "secret": credential},
        )
        assert signed_in.status_code == 303, signed_in.text
        session = on_a.cookies["sg_console"]
    cookies = {"sg_console": session}
    with httpx.Client(base_url=_origin(b), timeout=30, cookies=cookies) as on_b:
        page = on_b.get("/console/overview")
        assert page.status_code == 200
        assert "replicated-brand" in page.text
        out = on_b.post("/console/logout", data={"csrf_token": _field(page.text, "csrf_token")})
        assert out.status_code == 303 and out.headers["location"] == "/console/login"
    with httpx.Client(base_url=_origin(a), timeout=30, cookies=cookies) as again_on_a:
        gone = again_on_a.get("/console/overview")
        assert gone.status_code == 303 and gone.headers["location"] == "/console/login"
