"""The console's data pages (Overview, Usage, Catalog) in a real browser: Debian's chromium,
headless, driven by Playwright, against a whole gateway (tests/stack.py) after real traffic
through the mock provider: two brands, three agents, one request that fell back (the mock's
scripted 500 on the first candidate) and one the provider refused (a scripted 400).

Every chart of the Overview has bars after that traffic, on each window; the operator sees
every brand; the Usage page's CSV export downloads exactly the rows the page shows; an
agent token sees only its own usage, on the page and in the CSV; the catalog's filters
(kind, provider, search) narrow the list as ``GET /models`` does, and an alias's page shows
which candidates can serve now. At the end, no raw secret appears in any page's HTML, URL,
cookie, storage, downloaded CSV or the gateway's log.

Screenshots for the README: set ``SPIDERGATE_CONSOLE_SCREENSHOTS`` to a folder (the
committed ones are in docs/console/); without it each page is still captured and checked
to be a PNG. Chromium missing is a failure, never a skip.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from tests.e2e.browser_support import Capture, captured_logs, headless_chromium
from tests.e2e.test_console_browser import (
    Brand,
    Seen,
    _brand,
    _origin,
    sign_in,
)
from tests.stack import Stack, make_settings

OPERATOR = "op-console-data-token-5a81c03e7f"
GROQ_FAST = "llama-3.1-8b-instant"


@pytest.fixture(scope="module")
def logs() -> Iterator[Capture]:
    yield from captured_logs()


@pytest.fixture(scope="module")
def dstack(tmp_path_factory: pytest.TempPathFactory, logs: Capture) -> Iterator[Stack]:
    settings = make_settings(Path(tmp_path_factory.mktemp("console-data-gateway")))
    settings = dataclasses.replace(settings, operator_token=OPERATOR)
    s = Stack(settings).start(demo=True)
    yield s
    s.stop()


def _fault(stack: Stack, **rule: object) -> None:
    httpx.post(stack.mock.url + "/__mock/faults", json=rule).raise_for_status()


def _chat(stack: Stack, token: str, model: str = "gpt-4o") -> httpx.Response:
    return httpx.post(
        stack.base_url + "/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": "hi"}]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


@pytest.fixture(scope="module")
def world(dstack: Stack) -> dict[str, Brand]:
    """Brand one: agent a two gpt-4o requests and one spideriq/fast that fell back (groq
    answered 500 once, the next candidate served); agent b one gpt-4o and one the provider
    refused (400). Brand two: agent a one gpt-4o request."""
    one, two = _brand(dstack), _brand(dstack)
    for _ in range(2):
        assert _chat(dstack, one.agent_a).status_code == 200
    _fault(dstack, kind="error", status=500, times=1, match={"model": GROQ_FAST})
    fell_back = _chat(dstack, one.agent_a, "spideriq/fast")
    assert fell_back.status_code == 200, fell_back.text
    assert fell_back.headers["x-spidergate-fallback-from"] == GROQ_FAST
    assert _chat(dstack, one.agent_b).status_code == 200
    _fault(dstack, kind="error", status=400, times=1, message="bad", match={"model": "gpt-4o"})
    assert _chat(dstack, one.agent_b).status_code == 400
    httpx.delete(dstack.mock.url + "/__mock/faults").raise_for_status()
    assert _chat(dstack, two.agent_a).status_code == 200
    assert dstack.run(dstack.core.ledger.flush())
    return {"one": one, "two": two}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from headless_chromium()


@pytest.fixture(scope="module")
def seen() -> Seen:
    return Seen()


@pytest.fixture
def context(browser: Browser, seen: Seen) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    urls: list[str] = []
    ctx.on("request", lambda r: urls.append(r.url))
    ctx.on("console", lambda m: seen.console.append(m.text))
    ctx.on("weberror", lambda e: seen.console.append(str(e.error)))
    yield ctx
    seen.texts.extend(urls)
    ctx.close()


def _screenshot(page: Page, name: str, *, full_page: bool = True) -> None:
    """The page as a PNG: into $SPIDERGATE_CONSOLE_SCREENSHOTS when set (docs/console/)."""
    folder = os.environ.get("SPIDERGATE_CONSOLE_SCREENSHOTS")
    # caret="initial": hiding the caret would inject a style the CSP refuses.
    png = page.screenshot(full_page=full_page, caret="initial")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.png").write_bytes(png)


def _goto(stack: Stack, page: Page, seen: Seen, path: str) -> None:
    response = page.goto(_origin(stack) + path)
    assert response is not None and response.status == 200, path
    seen.page(page)


def _charts(page: Page) -> dict[str, int]:
    """Each chart's name and how many of its bars have a height above zero."""
    found: dict[str, int] = page.eval_on_selector_all(
        "figure.chart",
        """figs => Object.fromEntries(figs.map(f => [f.dataset.chart,
            [...f.querySelectorAll('rect.bar')].filter(r =>
                parseFloat(r.getAttribute('height')) > 0 && r.getBBox().height > 0).length]))""",
    )
    return found


def _metric(page: Page, name: str) -> str:
    return page.inner_text(f"[data-metric={name}]").strip()


def _top(page: Page, which: str) -> list[str]:
    rows: list[str] = page.eval_on_selector_all(
        f"section[data-top={which}] tbody tr", "rows => rows.map(r => r.cells[0].innerText)"
    )
    return rows


def test_overview_charts_render_after_real_traffic(
    dstack: Stack, world: dict[str, Brand], context: BrowserContext, seen: Seen
) -> None:
    one = world["one"]
    page = sign_in(dstack, context, seen, one.credential)
    assert page.url.endswith("/console/overview")
    for window in ("24h", "7d", "30d"):
        _goto(dstack, page, seen, f"/console/overview?window={window}")
        assert _metric(page, "requests") == "5"
        charts = _charts(page)
        assert set(charts) == {"requests", "spend", "errors", "p95"}
        assert all(n >= 1 for n in charts.values()), (window, charts)
        assert _metric(page, "error_rate") == "20.0%"
        assert _metric(page, "fallbacks") == "1"
        assert _metric(page, "cache") == "0.0%"
        assert _metric(page, "active_agents") == "2"
        assert _metric(page, "spend").startswith("$") and _metric(page, "spend") != "$0.0000"
        assert _metric(page, "p95").endswith("ms")
        assert set(_top(page, "agents")) == {"agent-a", "agent-b"}
        assert "gpt-4o" in _top(page, "models")
    # The hourly chart has one slot per hour of the day; the daily ones one per day.
    _goto(dstack, page, seen, "/console/overview?window=24h")
    assert page.locator("figure[data-chart=requests] rect.bar").count() in (24, 25)
    _screenshot(page, "overview")


def test_operator_sees_every_brand(
    dstack: Stack, world: dict[str, Brand], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(dstack, context, seen, OPERATOR)
    assert "operator" in page.inner_text(".who")
    assert _metric(page, "requests") == "6"
    assert all(n >= 1 for n in _charts(page).values())
    _goto(dstack, page, seen, "/console/usage")
    assert page.inner_text("section[data-dimension=model] tbody").count("gpt-4o") >= 1


def _shown_rows(page: Page) -> list[list[str]]:
    """The Usage page's rows: [dimension, name, requests, errors] in the page's order."""
    rows: list[list[str]] = page.eval_on_selector_all(
        "section[data-dimension] tbody tr",
        """rows => rows.map(r => [r.closest('section').dataset.dimension,
            r.cells[0].innerText, r.cells[1].innerText, r.cells[2].innerText])""",
    )
    return rows


def _csv_rows(text: str) -> list[list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    return [[r["dimension"], r["key"], r["requests"], r["errors"]] for r in reader]


def test_usage_csv_downloads_the_rows_shown(
    dstack: Stack, world: dict[str, Brand], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(dstack, context, seen, world["one"].credential)
    page.click("nav.side >> text=Usage")
    page.wait_for_url("**/console/usage")
    page.click("nav.windows >> text=7d")
    page.wait_for_url("**/console/usage?window=7d")
    seen.page(page)
    shown = _shown_rows(page)
    dims = {r[0] for r in shown}
    assert dims == {"model", "provider", "alias", "agent", "kind"}
    assert ["agent", "agent-a", "3", "0"] in shown and ["agent", "agent-b", "2", "1"] in shown
    assert ["alias", "spideriq/fast", "1", "0"] in shown
    with page.expect_download() as info:
        page.click("#csv")
    download = info.value
    assert download.suggested_filename == "spidergate-usage-7d.csv"
    text = Path(download.path()).read_text()
    seen.texts.append(text)
    assert _csv_rows(text) == shown
    _screenshot(page, "usage")
    # The kind selector narrows the page and its export alike.
    page.select_option("#kind", "embedding")
    page.click("form.filters button")
    page.wait_for_url("**/console/usage?window=7d&kind=embedding")
    seen.page(page)
    assert _shown_rows(page) == []
    answer = page.request.get(_origin(dstack) + "/console/usage.csv?window=7d&kind=embedding")
    assert answer.status == 200 and _csv_rows(answer.text()) == []


def test_agent_sees_only_its_own_usage(
    dstack: Stack, world: dict[str, Brand], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(dstack, context, seen, world["one"].agent_b)
    assert _metric(page, "requests") == "2"
    assert _top(page, "agents") == ["agent-b"]
    _goto(dstack, page, seen, "/console/usage?window=30d")
    shown = _shown_rows(page)
    assert [r for r in shown if r[0] == "agent"] == [["agent", "agent-b", "2", "1"]]
    answer = page.request.get(_origin(dstack) + "/console/usage.csv?window=30d")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    seen.texts.append(answer.text())
    assert _csv_rows(answer.text()) == shown
    assert "agent-a" not in answer.text()
    # Without a session the export is not served: the sign-in form instead.
    anonymous = httpx.get(_origin(dstack) + "/console/usage.csv", timeout=30)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/console/login"


def _catalog_rows(page: Page) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        "#catalog tbody tr", "rows => rows.map(r => ({...r.dataset}))"
    )
    return rows


def test_catalog_filters_and_alias_readiness(
    dstack: Stack, world: dict[str, Brand], context: BrowserContext, seen: Seen
) -> None:
    page = sign_in(dstack, context, seen, world["one"].credential)
    page.click("nav.side >> text=Catalog")
    page.wait_for_url("**/console/catalog")
    seen.page(page)
    everything = _catalog_rows(page)
    kinds = {r["kind"] for r in everything}
    assert kinds == {"model", "alias"}
    _screenshot(page, "catalog", full_page=False)  # the top: the whole list is long
    api = httpx.get(dstack.base_url + "/models", timeout=30).json()
    assert [r["id"] for r in everything] == [m["id"] for m in api["data"]]

    page.select_option("#f-kind", "alias")
    page.click("#catalog-filters button")
    page.wait_for_url("**/console/catalog?kind=alias*")
    seen.page(page)
    aliases = _catalog_rows(page)
    assert aliases and {r["kind"] for r in aliases} == {"alias"}
    assert len(aliases) < len(everything)

    page.select_option("#f-kind", "model")
    page.select_option("#f-provider", "groq")
    page.click("#catalog-filters button")
    page.wait_for_url("**/console/catalog?kind=model&provider=groq*")
    seen.page(page)
    groq = _catalog_rows(page)
    assert groq and {(r["kind"], r["provider"]) for r in groq} == {("model", "groq")}

    page.select_option("#f-kind", "")
    page.select_option("#f-provider", "")
    page.fill("#f-search", "gpt-4o")
    page.click("#catalog-filters button")
    page.wait_for_url("**/console/catalog?*search=gpt-4o*")
    seen.page(page)
    found = _catalog_rows(page)
    expected = httpx.get(dstack.base_url + "/models?search=gpt-4o", timeout=30).json()
    assert found and [r["id"] for r in found] == [m["id"] for m in expected["data"]]

    # An alias's chain, each candidate with whether it can serve now.
    _goto(dstack, page, seen, "/console/catalog?kind=alias")
    page.click("#catalog tr[data-id='spideriq/fast'] a")
    page.wait_for_url("**/console/catalog/spideriq/fast")
    seen.page(page)
    chain: list[dict[str, str]] = page.eval_on_selector_all(
        "#chain tbody tr", "rows => rows.map(r => ({...r.dataset}))"
    )
    alias = httpx.get(dstack.base_url + "/models/spideriq/fast", timeout=30).json()
    assert [c["candidate"] for c in chain] == alias["spidergate_info"]["chain"]
    # The demo's keys live outside the vault (no health the API exposes): every candidate
    # with a configured key counts as ready, and the key columns are /capacity's.
    capacity = httpx.get(
        dstack.base_url + "/capacity",
        headers={"Authorization": f"Bearer {world['one'].credential}"},
        timeout=30,
    ).json()
    by_provider = {row["provider"]: row for row in capacity["data"]}
    assert by_provider["groq"]["attempts"] >= 1 and by_provider["groq"]["registered_keys"] == 0
    cells: list[list[str]] = page.eval_on_selector_all(
        "#chain tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText))"
    )
    for c, row in zip(chain, cells, strict=True):
        provider = c["candidate"].split(":")[0]
        known = by_provider.get(provider)
        assert row[4] == (str(known["registered_keys"]) if known else "–")
        assert row[5] == (str(known["serving_keys"]) if known else "–")
        assert row[7] == (known["verdict"] if known else "–")
        assert c["ready"] == "yes"
    _screenshot(page, "catalog_alias")
    # A filter the API refuses is the API's 400, shown as a page.
    response = page.goto(_origin(dstack) + "/console/catalog?kind=nonsense")
    assert response is not None and response.status == 400
    seen.page(page)


def test_no_secret_anywhere(
    dstack: Stack, world: dict[str, Brand], seen: Seen, logs: Capture
) -> None:
    """Runs last in the file (pytest keeps the file's order): every page, URL, cookie,
    storage and downloaded CSV the tests above saw, and the gateway's log."""
    one, two = world["one"], world["two"]
    secrets = [one.credential, one.agent_a, one.agent_b, two.credential, two.agent_a, OPERATOR]
    secrets += [one.credential.split(":")[2], two.credential.split(":")[2]]
    assert len(seen.texts) > 20
    refused = [m for m in seen.console if "Content Security Policy" in m or "Refused" in m]
    assert refused == []
    assert all(m.startswith("Failed to load resource") for m in seen.console), seen.console
    for secret in secrets:
        for text in seen.texts:
            assert secret not in text
        for line in logs.lines:
            assert secret not in line
