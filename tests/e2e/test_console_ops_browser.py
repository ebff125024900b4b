"""The console's operations pages in a real browser (Debian's chromium through Playwright)
against a whole gateway (tests/stack.py, the mock provider behind every key).

- Agent tokens: a brand mints a token; its secret is on that one answer (the copy button
  puts it on the clipboard), the token works on the API, and loading the page again shows
  the token (with its spend) but never the secret.
- Vault: a brand adds a key with a connection test (refused while the mock fails it), edits
  its limits, deactivates and activates it; the mock's faults break it and the page shows
  its health change (failures, last error, state); the key is deleted.
- Playground: a streamed chat through an alias with the brand's credential; the page shows
  the served model and links its trace.
- Trace detail: the playground's chat, capture on for the brand: its trace shows the span
  waterfall (one bar per span: auth, plan, admission, the attempt, ledger), time to first
  token and the captured messages (the streamed answer assembled).

One PNG per page goes to $SPIDERGATE_CONSOLE_SCREENSHOTS when set (docs/console/ for the
README). The last test checks that no raw secret is in anything the browser showed or
kept, nor in the gateway's log: the minted token's one page excepted, where it must be
exactly once.

Chromium missing is a failure, never a skip: .ci/run installs it.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.browser_support import Capture, captured_logs, headless_chromium
from tests.stack import Stack, make_settings

GROQ_FAST = "llama-3.1-8b-instant"
OPERATOR = "op-console-ops-token-5be1d0a7c2"
_names = itertools.count()


@pytest.fixture(scope="module")
def logs() -> Iterator[Capture]:
    yield from captured_logs()


@pytest.fixture(scope="module")
def ostack(tmp_path_factory: pytest.TempPathFactory, logs: Capture) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("console-ops-gateway")))
    settings = dataclasses.replace(settings, operator_token=OPERATOR)
    s = Stack(settings).start(demo=True)
    yield s
    s.stop()


@dataclasses.dataclass
class Brand:
    name: str
    client_id: str
    credential: str
    agent: str


@pytest.fixture(scope="module")
def brand(ostack: Stack) -> Brand:
    """A brand with content capture on, and one agent token."""
    name = f"ops-brand-{next(_names)}"
    view, credential = ostack.core.identity.create_brand(name)
    ostack.core.identity.set_brand_capture(view.client_id, enabled=True)
    agent = str(ostack.core.identity.mint_token(view.client_id, "agent-ops", None)[1])
    return Brand(name, view.client_id, credential, agent)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from headless_chromium()


class Seen:
    """Everything the browser showed or kept; ``once`` holds the one page allowed to show
    a minted secret, with that secret."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.console: list[str] = []
        self.once: list[tuple[str, str]] = []
        self.minted: list[str] = []

    def kept(self, page: Page) -> None:
        self.texts.append(page.url)
        self.texts.append(str(page.evaluate("JSON.stringify(localStorage)")))
        self.texts.append(str(page.evaluate("JSON.stringify(sessionStorage)")))
        for c in page.context.cookies():
            self.texts.append(f"{c['name']}={c['value']}")

    def page(self, page: Page) -> None:
        self.kept(page)
        self.texts.append(page.content())


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


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("SPIDERGATE_CONSOLE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_in(stack: Stack, ctx: BrowserContext, seen: Seen, secret: str) -> Page:
    page = ctx.new_page()
    page.goto(_origin(stack) + "/console/login")
    page.fill("#secret", secret)
    page.click("button[type=submit]")
    page.wait_for_url("**/console/overview")
    seen.page(page)
    return page


def _chat(stack: Stack, token: str, text: str, model: str = "gpt-4o") -> str:
    r = httpx.post(
        stack.base_url + "/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": text}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.headers["x-request-id"]


# ----------------------------------------------------------------- agent tokens


def test_mint_shows_the_secret_exactly_once(
    ostack: Stack, brand: Brand, browser: Browser, seen: Seen
) -> None:
    ctx = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    ctx.on("console", lambda m: seen.console.append(m.text))
    try:
        page = sign_in(ostack, ctx, seen, brand.credential)
        page.click("nav.side >> text=Agent tokens")
        page.wait_for_url("**/console/agent-tokens")
        seen.page(page)
        page.fill("form.mint input[name=name]", "minted-in-console")
        page.check("form.mint input[value='gate:chat']")
        page.click("form.mint button[type=submit]")
        page.wait_for_selector("#minted-secret")
        secret = page.inner_text("#minted-secret").strip()
        assert secret.startswith("spideriq_pat_")
        seen.minted.append(secret)
        html = page.content()
        assert html.count(secret) == 1
        seen.once.append((page.url, secret))
        seen.kept(page)  # URL, cookies, storage: no secret there either
        token_id = page.get_attribute("#minted", "data-token-id")
        row = page.inner_text(f"tr[data-token='{token_id}']")
        assert "gate:chat" in row and "gate:usage" not in row
        _shot(page, "agent-tokens")
        page.click("button[data-copy]")
        page.wait_for_selector(".copied:not([hidden])")
        assert page.evaluate("navigator.clipboard.readText()") == secret

        # The secret works on the API, and its request is counted against the token.
        _chat(ostack, secret, "hello from the minted token")
        assert ostack.run(ostack.core.ledger.flush())
        page.reload()
        page.wait_for_selector(f"tr[data-token='{token_id}']")
        assert page.url.endswith("/console/agent-tokens")
        assert page.locator("#minted").count() == 0
        assert secret not in page.content()
        assert page.inner_text(f"tr[data-token='{token_id}'] [data-metric=requests]") == "1"
        seen.page(page)
    finally:
        ctx.close()


def test_mint_with_controls_then_edit_them(
    ostack: Stack, brand: Brand, browser: Browser, seen: Seen
) -> None:
    """The mint form sets rate limits, a budget, an allow-list and free-only; the core
    enforces them on the API at once; the edit form changes them (a blank limit clears it),
    and a bad value is refused without minting anything."""
    ctx = browser.new_context()
    try:
        page = sign_in(ostack, ctx, seen, brand.credential)
        page.goto(_origin(ostack) + "/console/agent-tokens")
        page.fill("form.mint input[name=name]", "limited-in-console")
        page.fill("form.mint input[name=rpm]", "1")
        page.fill("form.mint input[name=budget_usd]", "5")
        page.select_option("form.mint select[name=budget_mode]", "soft")
        page.fill("form.mint input[name=allowed_models]", "gpt-4o, spideriq/fast")
        page.select_option("form.mint select[name=capture]", "off")
        page.click("form.mint button[type=submit]")
        page.wait_for_selector("#minted-secret")
        secret = page.inner_text("#minted-secret").strip()
        seen.minted.append(secret)
        token_id = page.get_attribute("#minted", "data-token-id")
        cell = page.inner_text(f"tr[data-token='{token_id}'] [data-metric=controls]")
        assert "rpm 1," in cell and "rpd -" in cell
        assert "$5.00" in cell and "(soft)" in cell
        assert "gpt-4o" in cell and "spideriq/fast" in cell and "capture off" in cell

        # Enforced by the core: the allow-list refuses another model, the minute limit
        # the second request.
        other = httpx.post(
            ostack.base_url + "/chat/completions",
            json={"model": "spideriq/coding", "messages": [{"role": "user", "content": "x"}]},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert other.status_code == 403, other.text
        _chat(ostack, secret, "first")
        limited = httpx.post(
            ostack.base_url + "/chat/completions",
            json={"model": "gpt-4o", "messages": [{"role": "user", "content": "second"}]},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert limited.status_code == 429, limited.text

        # Edit: clear the minute limit and the allow-list, set a day limit, free-only.
        row = f"tr[data-token='{token_id}']"
        page.click(f"{row} details.edit summary")
        form = f"{row} form.token-edit"
        assert page.input_value(f"{form} input[name=rpm]") == "1"
        page.fill(f"{form} input[name=rpm]", "")
        page.fill(f"{form} input[name=rpd]", "500")
        page.fill(f"{form} input[name=allowed_models]", "")
        page.check(f"{form} input[name=free_only]")
        with page.expect_navigation():
            page.click(f"{form} button[type=submit]")
        cell = page.inner_text(f"{row} [data-metric=controls]")
        assert "rpm -" in cell and "rpd 500" in cell and "models: all" in cell
        assert "free-only" in cell and "$5.00" in cell
        # The change is live on this gateway at once (no limit per minute now).
        _chat(ostack, secret, "third")

        # A bad value is refused in the API's words, and nothing is minted.
        before = page.locator("#tokens tbody tr").count()
        page.fill("form.mint input[name=name]", "bad-limits")
        page.fill("form.mint input[name=rpm]", "-3")
        page.evaluate("document.querySelector('form.mint').noValidate = true")
        with page.expect_response(lambda r: r.request.method == "POST") as refused:
            page.click("form.mint button[type=submit]")
        assert refused.value.status == 400
        page.wait_for_load_state()
        assert "rpm must be a whole number of at least 1" in page.inner_text("main")
        page.goto(_origin(ostack) + "/console/agent-tokens")
        assert page.locator("#tokens tbody tr").count() == before
        seen.page(page)
    finally:
        ctx.close()


# ----------------------------------------------------------------- vault


def _key_row(page: Page, preview_tail: str) -> str:
    key_id = page.eval_on_selector_all(
        "tr[data-key]",
        "(rows, tail) => rows.filter(r => r.innerText.includes(tail)).map(r => r.dataset.key)",
        preview_tail,
    )
    assert len(key_id) == 1, key_id
    return str(key_id[0])


def _field(page: Page, key_id: str, name: str) -> str:
    return page.inner_text(f"tr[data-key='{key_id}'] [data-field={name}]").strip()


def test_vault_add_edit_break_and_watch_health(
    ostack: Stack, brand: Brand, context: BrowserContext, seen: Seen
) -> None:
    mock = ostack.mock.url
    provider_secret = "gsk-console-ops-key-7f3a9c"
    seen.minted.append(provider_secret)
    page = sign_in(ostack, context, seen, brand.credential)
    page.click("nav.side >> text=Vault")
    page.wait_for_url("**/console/vault")
    seen.page(page)
    assert "No keys yet" in page.inner_text("main")  # demo keys are not the vault's

    def add(label: str) -> None:
        page.fill("#add-key input[name=provider]", "groq")
        page.fill("#add-key input[name=secret]", provider_secret)
        page.fill("#add-key input[name=base_url]", mock + "/groq/v1")
        page.fill("#add-key input[name=label]", label)
        page.fill("#add-key input[name=test_model]", GROQ_FAST)
        assert page.is_checked("#add-key input[name=test_connection]")
        page.click("#add-key button[type=submit]")
        page.wait_for_load_state()

    # The connection test refuses a key the provider refuses.
    httpx.post(
        mock + "/__mock/faults", json={"kind": "error", "status": 401}, timeout=10
    ).raise_for_status()
    try:
        add("refused")
        page.wait_for_selector("p.error")
        seen.page(page)
        assert page.locator("h1").inner_text() == "Refused"
    finally:
        httpx.delete(mock + "/__mock/faults", timeout=10).raise_for_status()
    page.goto(_origin(ostack) + "/console/vault")
    assert "No keys yet" in page.inner_text("main")  # the refused key was not added

    add("console-key")
    page.wait_for_selector("tr[data-key] >> text=console-key")
    seen.page(page)
    key_id = _key_row(page, "console-key")
    assert _field(page, key_id, "state") == "healthy"
    assert _field(page, key_id, "failures") == "0"
    assert provider_secret not in page.content()
    assert page.inner_text("tr[data-provider=groq] [data-field=recommendation]").strip()

    # Edit limits and order.
    page.click(f"tr[data-key='{key_id}'] details.edit summary")
    page.fill(f"tr[data-key='{key_id}'] form.key-edit input[name=rpm_limit]", "120")
    page.fill(f"tr[data-key='{key_id}'] form.key-edit input[name=priority]", "5")
    page.click(f"tr[data-key='{key_id}'] form.key-edit button")
    page.wait_for_selector(f"tr[data-key='{key_id}'] >> text=120 / –")
    stored = httpx.get(
        ostack.base_url + f"/vault/keys/{key_id}",
        headers={"Authorization": f"Bearer {brand.credential}"},
        timeout=30,
    ).json()
    assert (stored["rpm_limit"], stored["priority"], stored["label"]) == (120, 5, "console-key")
    assert stored["shared"] is False
    page.click(f"tr[data-key='{key_id}'] details.edit summary")
    page.check(f"tr[data-key='{key_id}'] form.key-edit input[name=shared]")
    page.click(f"tr[data-key='{key_id}'] form.key-edit button")
    page.wait_for_selector(f"tr[data-key='{key_id}'] >> text=brand, shared")

    # Deactivate, activate.
    page.click(f"tr[data-key='{key_id}'] form.key-deactivate button")
    expect(page.locator(f"tr[data-key='{key_id}'] [data-field=active]")).to_have_text("no")
    page.click(f"tr[data-key='{key_id}'] form.key-activate button")
    expect(page.locator(f"tr[data-key='{key_id}'] [data-field=active]")).to_have_text("yes")

    # Break it: the mock answers 500 for the model; requests fail on every key.
    httpx.post(
        mock + "/__mock/faults",
        json={"kind": "error", "status": 500, "match": {"model": GROQ_FAST}},
        timeout=10,
    ).raise_for_status()
    try:
        deadline = time.monotonic() + 20
        health = ostack.core.router.health
        while health.key(key_id).failures < 2:
            assert time.monotonic() < deadline
            r = httpx.post(
                ostack.base_url + "/chat/completions",
                json={"model": "groq/" + GROQ_FAST, "messages": [{"role": "user", "content": "x"}]},
                headers={"Authorization": f"Bearer {brand.agent}"},
                timeout=30,
            )
            assert r.is_error
            time.sleep(0.1)
        page.goto(_origin(ostack) + "/console/vault")
        seen.page(page)
        assert int(_field(page, key_id, "failures")) >= 2
        assert _field(page, key_id, "state") != "healthy"
        assert _field(page, key_id, "last_error")
        recommendation = page.inner_text("tr[data-provider=groq] [data-field=recommendation]")
        assert recommendation.strip()
        _shot(page, "vault")
    finally:
        httpx.delete(mock + "/__mock/faults", timeout=10).raise_for_status()

    page.click(f"tr[data-key='{key_id}'] form.key-delete button")
    expect(page.locator(f"tr[data-key='{key_id}']")).to_have_count(0)
    seen.page(page)


def test_operator_manages_the_pool_and_brands_see_it(
    ostack: Stack, brand: Brand, browser: Browser, seen: Seen
) -> None:
    """The operator adds a pool key (tested first), which a brand's Vault page lists as
    the pool's, without the operator's buttons; the operator deletes it."""
    pool_secret = "csk-console-ops-pool-4e8d21"
    seen.minted.append(pool_secret)
    op_ctx, brand_ctx = browser.new_context(), browser.new_context()
    try:
        page = sign_in(ostack, op_ctx, seen, OPERATOR)
        page.goto(_origin(ostack) + "/console/vault")
        page.fill("#add-key input[name=provider]", "cerebras")
        page.fill("#add-key input[name=secret]", pool_secret)
        page.fill("#add-key input[name=base_url]", ostack.mock.url + "/cerebras/v1")
        page.fill("#add-key input[name=label]", "pool-key")
        page.click("#add-key button[type=submit]")
        page.wait_for_selector("tr[data-key] >> text=pool-key")
        seen.page(page)
        assert page.locator("#add-key input[name=shared]").count() == 0
        key_id = _key_row(page, "pool-key")
        assert "pool" in page.inner_text(f"tr[data-key='{key_id}']")
        assert page.locator(f"tr[data-key='{key_id}'] form.key-delete").count() == 1
        page.click(f"tr[data-key='{key_id}'] details.edit summary")
        page.fill(f"tr[data-key='{key_id}'] form.key-edit input[name=rpd_limit]", "5000")
        page.click(f"tr[data-key='{key_id}'] form.key-edit button")
        page.wait_for_selector(f"tr[data-key='{key_id}'] >> text=– / 5000")

        other = sign_in(ostack, brand_ctx, seen, brand.credential)
        other.goto(_origin(ostack) + "/console/vault")
        seen.page(other)
        assert _key_row(other, "pool-key") == key_id
        assert other.locator(f"tr[data-key='{key_id}'] form").count() == 0

        page.click(f"tr[data-key='{key_id}'] form.key-delete button")
        expect(page.locator(f"tr[data-key='{key_id}']")).to_have_count(0)
        seen.page(page)
    finally:
        op_ctx.close()
        brand_ctx.close()


def test_agent_cannot_write_to_the_vault(
    ostack: Stack, brand: Brand, context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(ostack, context, seen, brand.agent)
    page.goto(_origin(ostack) + "/console/vault")
    seen.page(page)
    assert "client credential or the operator" in page.inner_text("main")
    csrf = page.get_attribute("input[name=csrf_token]", "value")
    assert csrf
    answer = page.request.post(
        _origin(ostack) + "/console/vault/keys",
        form={"csrf_token": csrf, "provider": "groq", "secret": "gsk-nope-0000"},
    )
    assert answer.status == 403


# ----------------------------------------------------------------- playground, trace


def test_playground_streams_a_chat_and_its_trace_has_the_waterfall(
    ostack: Stack, brand: Brand, context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(ostack, context, seen, brand.credential)
    page.click("nav.side >> text=Playground")
    page.wait_for_url("**/console/playground")
    seen.page(page)
    aliases = page.eval_on_selector_all("#aliases option", "os => os.map(o => o.value)")
    assert "spideriq/fast" in aliases
    question = "[mock:words=20] the waterfall question"
    page.fill("#playground input[name=model]", "spideriq/fast")
    page.fill("#playground textarea[name=message]", question)
    page.click("#playground button[type=submit]")
    page.wait_for_selector("#trace-link")
    seen.page(page)
    assert page.url.endswith("/console/playground")
    # Streamed: the answer came in pieces, written into the page as they arrived.
    assert page.locator("#reply span.chunk").count() > 1
    answer = page.inner_text("#reply").strip()
    assert len(answer.split()) >= 20
    assert page.inner_text("[data-field=served]").strip() not in ("", "–")
    assert page.inner_text("[data-field=cost]").startswith("$")
    _shot(page, "playground")

    page.click("#trace-link")
    page.wait_for_url("**/console/traces/*")
    seen.page(page)
    assert "streamed" in page.inner_text("main")
    spans = page.eval_on_selector_all("tr[data-span]", "rows => rows.map(r => r.dataset.span)")
    assert spans[:3] == ["auth", "plan", "admission"] and spans[-1] == "ledger"
    assert "attempt" in spans
    assert page.locator("#waterfall svg rect.span").count() == len(spans)
    assert page.locator("#waterfall svg rect.span-attempt-ok").count() == 1
    # Every bar lies within the chart.
    bars = page.eval_on_selector_all(
        "#waterfall svg rect.span",
        "rs => rs.map(r => [parseFloat(r.getAttribute('x')), parseFloat(r.getAttribute('width'))])",
    )
    assert all(x >= 0 and w > 0 and x + w <= 100.001 for x, w in bars), bars
    assert "success" in page.inner_text("tr[data-span=attempt]")
    inputs = page.eval_on_selector_all(
        "#captured [data-side=input] pre", "ps => ps.map(p => p.innerText)"
    )
    assert inputs == [question]
    outputs = page.eval_on_selector_all(
        "#captured [data-side=output] pre", "ps => ps.map(p => p.innerText)"
    )
    assert [o.strip() for o in outputs] == [answer]
    assert page.inner_text("[data-field=ttft]") != "–"
    assert int(page.inner_text("[data-metric=total]")) > 0
    _shot(page, "trace")


def test_agent_cannot_use_the_playground(
    ostack: Stack, brand: Brand, context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(ostack, context, seen, brand.agent)
    page.goto(_origin(ostack) + "/console/playground")
    seen.page(page)
    assert "client credential" in page.inner_text("main")
    csrf = page.get_attribute("input[name=csrf_token]", "value")
    answer = page.request.post(
        _origin(ostack) + "/console/playground",
        form={"csrf_token": csrf or "", "model": "gpt-4o", "message": "hi"},
    )
    assert answer.status == 403


# ----------------------------------------------------------------- last


def test_no_secret_anywhere(ostack: Stack, brand: Brand, seen: Seen, logs: Capture) -> None:
    """Runs last in the file (pytest keeps the file's order)."""
    secrets = [brand.credential, brand.agent, brand.credential.split(":")[2], OPERATOR]
    secrets += seen.minted
    assert len(seen.texts) > 10
    assert seen.once  # the mint test ran and recorded its page apart
    refused = [m for m in seen.console if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
    for secret in secrets:
        for text in seen.texts:
            assert secret not in text
        for line in logs.lines:
            assert secret not in line
