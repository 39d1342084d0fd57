"""The Customer Room in real headless Chromium: every page renders with seeded data, filters
change the numbers (checked against SQL), relabel and promote work, refusals are shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.support.browser import chromium, screenshot, serve
from tests.support.dashboard_seed import seed_dashboard, train_small_model
from tests.support.web_app import LEADER, MEMBERS, OPS, dashboard_app


@pytest.fixture(scope="module")
def small_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_small_model(tmp_path_factory.mktemp("model"))


@pytest.fixture
def site(
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,  # type: ignore[no-untyped-def]
    small_model: Path,
):
    seed_dashboard(sqlite_sessions, model_dir=small_model)
    with serve(dashboard_app(sqlite_engine, tmp_path / "data")) as base_url, chromium() as browser:
        yield base_url, browser


def _sign_in(browser: BrowserContext, base_url: str, token: str) -> Page:
    browser.clear_cookies()
    page = browser.new_page()
    page.goto(f"{base_url}/")
    assert page.url.startswith(f"{base_url}/login")
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    return page


def _smb_new_customers(engine: Engine) -> int:
    with engine.connect() as db:
        rows = db.execute(text("SELECT start_date FROM customers WHERE segment = 'smb'")).all()
    page_start = _first_of_month_5_back()
    return sum(1 for (day,) in rows if str(day) >= page_start)


def _first_of_month_5_back() -> str:
    from datetime import UTC, datetime

    today = datetime.now(UTC).date()
    index = today.year * 12 + today.month - 1 - 5
    return f"{index // 12:04d}-{index % 12 + 1:02d}-01"


def test_leader_pages_render_and_filter(site, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    base_url, browser = site
    page = _sign_in(browser, base_url, LEADER)
    page.wait_for_selector("#kpi-new-count")
    all_new = page.inner_text("#kpi-new-count")
    assert page.locator("svg.chart").count() >= 2
    screenshot(page, "customers")
    page.select_option("#filters select[name=segment]", "smb")  # submits on change
    page.wait_for_url("**segment=smb**")
    assert page.inner_text("#kpi-new-count") == str(_smb_new_customers(sqlite_engine))
    assert page.inner_text("#kpi-new-count") != all_new

    page.goto(f"{base_url}/pipeline")
    flagged = page.inner_text("#kpi-flagged")
    page.select_option("#filters select[name=team]", "north")
    page.wait_for_url("**team=north**")
    with sqlite_engine.connect() as db:
        north = db.execute(text("SELECT COUNT(*) FROM rescue_cases WHERE team = 'north'")).scalar()
    assert page.inner_text("#kpi-flagged") == str(north) != flagged
    page.goto(f"{base_url}/pipeline")
    screenshot(page, "pipeline")

    page.goto(f"{base_url}/listening")
    assert page.locator("li.spike").count() == 1
    assert page.locator("tr[data-category]").count() == 6
    screenshot(page, "listening")

    page.goto(f"{base_url}/customers/C003")
    assert "rescue-C003-1" in page.inner_text("main")
    screenshot(page, "customer")

    refused = page.goto(f"{base_url}/ops/models")
    assert refused is not None and refused.status == 403
    assert "needs the ops role" in page.inner_text("#error-detail")
    screenshot(page, "refused")


def test_ops_relabels_and_promotes(site, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    base_url, browser = site
    page = _sign_in(browser, base_url, OPS)
    page.goto(f"{base_url}/ops/models")
    assert page.locator("table.scores tr").count() > 3  # per-category scores from the card
    screenshot(page, "models")
    queued = int(page.inner_text("#queue-size"))
    first = page.locator("#review tr[data-item]").first
    item_id = first.get_attribute("data-item")
    first.locator("select[name=category_id]").select_option("rude_agent")
    first.locator("button").click()
    page.wait_for_selector("#notice")
    assert int(page.inner_text("#queue-size")) == queued - 1
    with sqlite_engine.connect() as db:
        label = db.execute(
            text("SELECT reviewed_label FROM feedback_items WHERE id = :i"), {"i": item_id}
        ).scalar()
    assert label == "rude_agent"

    page.click("tr[data-version=v2] a.button")
    page.wait_for_selector("#confirm-form")
    screenshot(page, "promote-confirm")
    page.check("input[name=confirm]")
    page.click("#confirm-button")
    page.wait_for_selector("#notice")
    assert "category model v2 is now live" in page.inner_text("#notice")
    assert page.get_attribute("tr[data-version=v2]", "data-status") == "live"


def test_member_sees_own_tasks(site) -> None:  # type: ignore[no-untyped-def]
    base_url, browser = site
    page = _sign_in(browser, base_url, MEMBERS["ana"])
    page.wait_for_url("**/tasks")
    assert page.locator("section.task").count() > 0
    claims, outcomes = page.locator("form.claim").count(), page.locator("form.outcome").count()
    assert claims >= 1 and claims + outcomes == page.locator("section.task").count()
    screenshot(page, "tasks")
    denied = page.goto(f"{base_url}/")
    assert denied is not None and denied.status == 403
