"""The web console in a real browser: Debian's chromium, headless, driven by Playwright,
against a whole gateway (tests/stack.py) with an operator token, two brands and their agents.

Sign-in with each of the three credential kinds; a wrong secret refused; a POST without the
CSRF token refused (403); sign-out ends the session on the server (the old cookie opens
nothing); idle expiry (the session's last use moved back in the database, past the bound);
an agent sees only its own traces and cannot write; a brand cannot open another brand's
trace by editing the URL (404). At the end, no raw secret appears in any page's HTML, any
URL visited, any cookie, localStorage or sessionStorage, or the gateway's log.

Chromium missing is a failure, never a skip: .ci/run installs it.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import update

from gate_service.storage.models import ConsoleSession
from tests.e2e.browser_support import Capture, captured_logs, headless_chromium
from tests.stack import Stack, make_settings

OPERATOR = "op-console-token-9d2f7c41b8e3"
IDLE_S = 600.0
_names = itertools.count()


@pytest.fixture(scope="module")
def logs() -> Iterator[Capture]:
    yield from captured_logs()


@pytest.fixture(scope="module")
def cstack(tmp_path_factory: pytest.TempPathFactory, logs: Capture) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("console-gateway")))
    settings = dataclasses.replace(settings, operator_token=OPERATOR, console_idle_s=IDLE_S)
    s = Stack(settings).start(demo=True)
    yield s
    s.stop()


@dataclasses.dataclass
class Brand:
    name: str
    client_id: str
    credential: str
    agent_a: str
    agent_b: str


def _brand(stack: Stack) -> Brand:
    name = f"console-brand-{next(_names)}"
    view, credential = stack.core.identity.create_brand(name)
    a = str(stack.core.identity.mint_token(view.client_id, "agent-a", None)[1])
    b = str(stack.core.identity.mint_token(view.client_id, "agent-b", None)[1])
    return Brand(name, view.client_id, credential, a, b)


def _chat(stack: Stack, token: str) -> str:
    r = httpx.post(
        stack.base_url + "/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.headers["x-request-id"]


@pytest.fixture(scope="module")
def world(cstack: Stack) -> dict[str, Any]:
    """Two brands; in brand one, agent a makes two requests and agent b one; brand two's
    agent one."""
    one, two = _brand(cstack), _brand(cstack)
    traces = {
        "a1": _chat(cstack, one.agent_a),
        "a2": _chat(cstack, one.agent_a),
        "b1": _chat(cstack, one.agent_b),
        "other": _chat(cstack, two.agent_a),
    }
    assert cstack.run(cstack.core.ledger.flush())
    return {"one": one, "two": two, "traces": traces}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from headless_chromium()


class Seen:
    """Everything the browser showed or kept: pages' HTML, URLs, cookies, storage."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        # The browser's console: a CSP violation (an inline script or style the policy
        # refused, htmx injecting styles) is reported there.
        self.console: list[str] = []

    def page(self, page: Page) -> None:
        self.texts.append(page.url)
        self.texts.append(page.content())
        self.texts.append(str(page.evaluate("JSON.stringify(localStorage)")))
        self.texts.append(str(page.evaluate("JSON.stringify(sessionStorage)")))
        for c in page.context.cookies():
            self.texts.append(f"{c['name']}={c['value']}")


@pytest.fixture(scope="module")
def seen() -> Seen:
    return Seen()


@pytest.fixture
def context(browser: Browser, seen: Seen) -> Iterator[BrowserContext]:
    ctx = browser.new_context()
    urls: list[str] = []
    ctx.on("request", lambda r: urls.append(r.url))
    ctx.on("console", lambda m: seen.console.append(m.text))
    ctx.on("weberror", lambda e: seen.console.append(str(e.error)))
    yield ctx
    seen.texts.extend(urls)
    ctx.close()


def _origin(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.http_port}"


def sign_in(stack: Stack, ctx: BrowserContext, seen: Seen, secret: str) -> Page:
    page = ctx.new_page()
    page.goto(_origin(stack) + "/")
    assert page.url.endswith("/console/login")
    seen.page(page)
    page.fill("#secret", secret)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    seen.page(page)
    return page


def _session_cookie(ctx: BrowserContext) -> dict[str, Any]:
    (cookie,) = [c for c in ctx.cookies() if c["name"] == "sg_console"]
    return dict(cookie)


def _trace_ids(page: Page) -> set[str]:
    return set(
        page.eval_on_selector_all("tr[data-trace]", "rows => rows.map(r => r.dataset.trace)")
    )


def test_brand_signs_in_and_sees_its_brand(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    one = world["one"]
    page = sign_in(cstack, context, seen, one.credential)
    assert page.url.endswith("/console/overview")
    assert one.name in page.inner_text(".who")
    assert page.inner_text("[data-metric=requests]") == "3"
    page.click("nav.windows >> text=7d")
    page.wait_for_url("**/console/overview?window=7d")
    assert page.inner_text("[data-metric=requests]") == "3"
    cookie = _session_cookie(context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    page.click("nav.side >> text=Traces")
    page.wait_for_url("**/console/traces")
    seen.page(page)
    ids = world["traces"]
    assert _trace_ids(page) == {ids["a1"], ids["a2"], ids["b1"]}
    # Newest first.
    assert page.eval_on_selector("tr[data-trace]", "r => r.dataset.trace") == ids["b1"]
    page.click(f"tr[data-trace='{ids['a1']}'] a")
    page.wait_for_url(f"**/console/traces/{ids['a1']}")
    seen.page(page)
    assert ids["a1"] in page.inner_text("h1")


def test_traces_filter_with_the_apis_parameters(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    """The Traces list's filter form sends the API's own ``GET /traces`` parameters: one
    agent's traces, then nothing above a latency no request took; a value the API refuses
    is said on the page (400), with the form still holding it."""
    page = sign_in(cstack, context, seen, world["one"].credential)
    page.goto(_origin(cstack) + "/console/traces")
    ids = world["traces"]
    page.fill("#trace-filters input[name=agent]", "agent-a")
    page.click("#trace-filters button[type=submit]")
    page.wait_for_url("**/console/traces?agent=agent-a*")
    seen.page(page)
    assert _trace_ids(page) == {ids["a1"], ids["a2"]}
    page.fill("#trace-filters input[name=min_latency_ms]", "86400000")
    page.click("#trace-filters button[type=submit]")
    page.wait_for_url("**min_latency_ms=86400000*")
    assert _trace_ids(page) == set()
    assert "No traces match" in page.inner_text("main")
    response = page.goto(_origin(cstack) + "/console/traces?status=sometimes&agent=agent-b")
    assert response is not None and response.status == 400
    assert "status" in page.inner_text("#filter-error")
    assert page.input_value("#trace-filters input[name=status]") == "sometimes"
    assert page.input_value("#trace-filters input[name=agent]") == "agent-b"


def test_brand_cannot_open_another_brands_trace(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(cstack, context, seen, world["one"].credential)
    response = page.goto(_origin(cstack) + f"/console/traces/{world['traces']['other']}")
    assert response is not None and response.status == 404
    seen.page(page)
    assert "No such trace" in page.inner_text("main")


def test_agent_sees_only_its_own_traces_and_cannot_write(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    one = world["one"]
    page = sign_in(cstack, context, seen, one.agent_a)
    assert page.url.endswith("/console/overview")
    assert "agent token" in page.inner_text(".who")
    assert page.inner_text("[data-metric=requests]") == "2"
    page.goto(_origin(cstack) + "/console/traces")
    seen.page(page)
    ids = world["traces"]
    assert _trace_ids(page) == {ids["a1"], ids["a2"]}
    response = page.goto(_origin(cstack) + f"/console/traces/{ids['b1']}")
    assert response is not None and response.status == 404
    # A write with the session's own CSRF token is still refused: agents read only.
    csrf = page.get_attribute("input[name=csrf_token]", "value")
    assert csrf
    answer = page.request.post(
        _origin(cstack) + "/console/agent-tokens/revoke",
        form={"csrf_token": csrf, "id": "tok_x"},
    )
    assert answer.status == 403
    assert "read-only" in answer.text()


def test_operator_signs_in(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(cstack, context, seen, OPERATOR)
    assert page.url.endswith("/console/overview")
    assert "operator" in page.inner_text(".who")
    seen.page(page)
    # The operator reads every brand's traces, and any one of them in detail.
    page.goto(_origin(cstack) + "/console/traces")
    seen.page(page)
    ids = world["traces"]
    assert _trace_ids(page) >= {ids["a1"], ids["a2"], ids["b1"], ids["other"]}
    response = page.goto(_origin(cstack) + f"/console/traces/{ids['other']}")
    assert response is not None and response.status == 200
    seen.page(page)
    assert ids["other"] in page.inner_text("h1")


def test_wrong_secret_is_refused(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    one = world["one"]
    wrong = [
        one.credential[:-4] + "0000",  # the right brand, a wrong secret
        "spideriq_pat_" + "0" * 32,
        "not-the-operator-token",
    ]
    for secret in wrong:
        page = sign_in(cstack, context, seen, secret)
        assert page.url.endswith("/console/login")
        assert "Sign-in refused" in page.inner_text("main")
        assert not [c for c in context.cookies() if c["name"] == "sg_console"]
        page.close()


def test_post_without_csrf_token_is_refused(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(cstack, context, seen, world["one"].credential)
    answer = page.request.post(_origin(cstack) + "/console/logout", form={})
    assert answer.status == 403
    answer = page.request.post(_origin(cstack) + "/console/logout", form={"csrf_token": "0" * 64})
    assert answer.status == 403
    # Still signed in: the refused POSTs ended nothing.
    page.goto(_origin(cstack) + "/console/overview")
    assert page.url.endswith("/console/overview")


def test_logout_ends_the_session_server_side(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, browser: Browser, seen: Seen
) -> None:
    page = sign_in(cstack, context, seen, world["one"].credential)
    old = _session_cookie(context)
    page.click("form.logout button")
    page.wait_for_url("**/console/login")
    seen.page(page)
    # The old cookie, replayed by another browser, opens nothing.
    other = browser.new_context()
    try:
        other.add_cookies(
            [{"name": old["name"], "value": old["value"], "domain": old["domain"], "path": "/"}]
        )
        replay = other.new_page()
        replay.goto(_origin(cstack) + "/console/overview")
        assert replay.url.endswith("/console/login")
    finally:
        other.close()


def test_idle_session_expires(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(cstack, context, seen, world["two"].credential)
    assert page.url.endswith("/console/overview")
    # The session's last use, moved back past the idle bound (every session of this brand).
    past = datetime.now(UTC) - timedelta(seconds=IDLE_S + 60)
    with cstack.core.db.session() as s:
        s.execute(
            update(ConsoleSession)
            .where(ConsoleSession.client_id == world["two"].client_id)
            .values(last_seen_at=past)
        )
        s.commit()
    page.goto(_origin(cstack) + "/console/overview")
    assert page.url.endswith("/console/login")


def test_pages_carry_a_strict_policy(cstack: Stack, context: BrowserContext, seen: Seen) -> None:
    page = context.new_page()
    response = page.goto(_origin(cstack) + "/console/login")
    assert response is not None
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["x-frame-options"] == "DENY"
    # No inline script anywhere: every <script> has a src.
    assert page.eval_on_selector_all("script:not([src])", "s => s.length") == 0


def test_brand_revokes_an_agent_token(
    cstack: Stack, world: dict[str, Any], context: BrowserContext, browser: Browser, seen: Seen
) -> None:
    """The brand revokes an agent's token from the console: the API refuses the token, and
    the agent's own console session, signed in before, ends at its next page."""
    one = world["one"]
    view, doomed = cstack.core.identity.mint_token(one.client_id, "agent-doomed", None)
    world.setdefault("more_secrets", []).append(str(doomed))
    _chat(cstack, str(doomed))
    agent_ctx = browser.new_context()
    agent_page = sign_in(cstack, agent_ctx, seen, str(doomed))
    assert agent_page.url.endswith("/console/overview")
    page = sign_in(cstack, context, seen, one.credential)
    page.click("nav.side >> text=Agent tokens")
    page.wait_for_url("**/console/agent-tokens")
    seen.page(page)
    page.click(f"tr[data-token='{view.id}'] button")
    page.wait_for_selector(f"tr[data-token='{view.id}'] >> text=revoked")
    seen.page(page)
    refused = httpx.get(
        cstack.base_url + "/usage", headers={"Authorization": f"Bearer {doomed}"}, timeout=30
    )
    assert refused.status_code == 401
    agent_page.goto(_origin(cstack) + "/console/traces")
    assert agent_page.url.endswith("/console/login")
    seen.page(agent_page)
    agent_ctx.close()


def test_cookies_are_secure_behind_a_tls_proxy(cstack: Stack, world: dict[str, Any]) -> None:
    """Through a proxy that terminated TLS (``X-Forwarded-Proto: https``) both cookies are
    ``Secure``; over plain HTTP the session cookie is not (the browser would drop it)."""
    with httpx.Client(base_url=_origin(cstack), timeout=30) as client:
        for proto, secure in (("https", True), ("http", False)):
            headers = {"X-Forwarded-Proto": proto}
            form = client.get("/console/login", headers=headers)
            assert ("secure" in form.headers["set-cookie"].lower()) == secure
            csrf = form.text.split('name="csrf_token" value="')[1].split('"')[0]
            # The browser behind the proxy sends the Secure cookie back (it saw https);
            # httpx, talking plain HTTP to the proxy's back end here, would not.
            login_cookie = f"sg_console_login={csrf}"
            signed_in = client.post(
                "/console/login",
                headers={**headers, "Cookie": login_cookie},
                data={"csrf_token": csrf, "secret": world["two"].credential},
            )
            assert signed_in.status_code == 303
            session = [
                c for c in signed_in.headers.get_list("set-cookie") if c.startswith("sg_console=")
            ]
            assert len(session) == 1
            attributes = session[0].lower()
            assert "httponly" in attributes and "samesite=strict" in attributes
            assert ("secure" in attributes) == secure
            client.cookies.clear()


def test_sign_in_without_its_form_token_is_refused(cstack: Stack, world: dict[str, Any]) -> None:
    r = httpx.post(
        _origin(cstack) + "/console/login", data={"secret": world["two"].credential}, timeout=30
    )
    assert r.status_code == 403
    assert "set-cookie" not in r.headers


def test_console_pages_have_their_own_metrics_labels(cstack: Stack) -> None:
    """Counted under ``/console/...``, never mixed with the API's routes of the same path."""
    metrics = httpx.get(_origin(cstack) + "/metrics", timeout=30).text
    assert 'code="200",method="GET",route="/console/traces"}' in metrics
    assert 'method="POST",route="/console/login"}' in metrics


def test_no_secret_anywhere(
    cstack: Stack, world: dict[str, Any], seen: Seen, logs: Capture
) -> None:
    """Runs last in the file (pytest keeps the file's order)."""
    one, two = world["one"], world["two"]
    secrets = [one.credential, one.agent_a, one.agent_b, two.credential, OPERATOR]
    # The secret parts of the credentials on their own, too.
    secrets += [one.credential.split(":")[2], two.credential.split(":")[2]]
    secrets += world.get("more_secrets", [])
    assert len(seen.texts) > 20  # the tests above did record what they saw
    refused = [m for m in seen.console if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
    # What the browser's console said is only the refusals the tests asked for (403, 404).
    assert all(m.startswith("Failed to load resource") for m in seen.console), seen.console
    for secret in secrets:
        for text in seen.texts:
            assert secret not in text
        for line in logs.lines:
            assert secret not in line
