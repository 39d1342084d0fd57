"""With Slack off, the weekly digest the worker stores in the outbox is shown to leaders on
the tasks page, in the Slack message's own words; a broken or partial file is named as
unreadable, never a server error."""

from __future__ import annotations

import asyncio
import html
import json
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client
from temporalio.worker import Worker

from activities.digest import DigestActivities, digest_activities, week_figures
from tests.support.browser import chromium, screenshot, serve
from tests.support.dashboard_seed import seed_dashboard
from tests.support.web_app import LEADER, MEMBERS, dashboard_app, sign_in
from winback.settings import Settings
from workflows.digest import DigestInput, DigestWorkflow


def digest_section(html: str) -> str:
    found = re.search(r'<section class="card digests" id="digests">(.*?)</section>', html, re.S)
    assert found, "the page has no digests section"
    return found.group(1)


def write(outbox: Path, name: str, content: str) -> None:
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / name).write_text(content, encoding="utf-8")


async def test_leaders_see_the_stored_digest_in_the_slack_messages_words(
    temporal_client: Client,
    sqlite_engine: Engine,
    sqlite_sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    seeded = seed_dashboard(sqlite_sessions)
    settings = Settings(data_dir=tmp_path, public_url="http://room.example")
    queue = f"digest-{uuid.uuid4()}"
    async with Worker(
        temporal_client,
        task_queue=queue,
        workflows=[DigestWorkflow],
        activities=digest_activities(settings, sqlite_sessions),
        activity_executor=ThreadPoolExecutor(max_workers=2),
    ):
        delivery = await temporal_client.execute_workflow(
            DigestWorkflow.run, DigestInput(days=7), id=f"digest-{uuid.uuid4()}", task_queue=queue
        )
    assert delivery.status == "stored"
    stored = Path(delivery.where)
    blocks = json.loads(stored.read_text(encoding="utf-8"))["blocks"]
    start = seeded.today - timedelta(days=6)
    with sqlite_sessions() as session:
        new = session.execute(
            text("SELECT COUNT(*) FROM customers WHERE start_date >= :d"), {"d": start}
        ).scalar()

    with TestClient(dashboard_app(sqlite_engine, tmp_path)) as web:
        sign_in(web, LEADER)
        page = web.get("/tasks")
    assert page.status_code == 200
    section = digest_section(page.text)
    assert f'data-file="{stored.name}"' in section
    assert f"<h3>Customer Room: week to {stored.stem.removeprefix('digest-')}</h3>" in section
    assert f"<strong>New</strong> {new} (" in section  # Slack's *New* 12 ($...) as bold
    assert "<strong>Net</strong>" in section and "<strong>Top why:</strong>" in section
    assert "<strong>Rescues closed:</strong>" in section
    assert "Unexpected fees: 30 vs 8.5 expected" in section  # this week's spike
    shown = html.unescape(re.sub(r"</?strong>", "", section))
    lines = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(lines) == 4
    for line in lines:  # every line of the message, word for word
        assert line.replace("*", "") in shown


def test_broken_digest_files_are_named_and_the_rest_shown(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    outbox = tmp_path / "outbox"
    good = {
        "channel": "#customer-room",
        "text": "Customer Room week",
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": "Customer Room: week to 2026-03-08"},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": "*Top why:* <b>fees</b> (3)"}},
        ],
    }
    write(outbox, "digest-2026-03-08.json", json.dumps(good))
    write(outbox, "digest-2026-03-15.json", '{"channel": "#customer-room", "text": "Cus')
    write(outbox, "digest-2026-03-22.json", json.dumps({"channel": "#customer-room"}))
    write(outbox, "digest-2026-03-29.json", json.dumps({"blocks": good["blocks"][:1]}))
    write(outbox, "digest-2026-03-01.json", json.dumps(good))  # fifth: older than the four shown

    with TestClient(dashboard_app(sqlite_engine, tmp_path)) as web:
        sign_in(web, LEADER)
        page = web.get("/tasks")
    assert page.status_code == 200
    section = digest_section(page.text)
    files = re.findall(r'data-file="([^"]+)"', section)
    assert files == [f"digest-2026-03-{day}.json" for day in ("29", "22", "15", "08")]
    assert "digest-2026-03-15.json: unreadable: " in section  # cut-off JSON
    assert "digest-2026-03-22.json: unreadable: no list of message blocks" in section
    assert "digest-2026-03-29.json: unreadable: the header or the figures are missing" in section
    assert "<strong>Top why:</strong> &lt;b&gt;fees&lt;/b&gt; (3)" in section  # escaped


def test_members_see_no_digests_and_leaders_are_told_when_there_is_none(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    with TestClient(dashboard_app(sqlite_engine, tmp_path)) as web:
        sign_in(web, LEADER)
        assert 'id="no-digests"' in digest_section(web.get("/tasks").text)
        write(tmp_path / "outbox", "digest-2026-03-08.json", "{}")
        web.cookies.clear()
        sign_in(web, MEMBERS["ana"])
        page = web.get("/tasks")
    assert page.status_code == 200 and 'id="digests"' not in page.text


def test_the_digest_reads_well_in_a_browser(
    sqlite_engine: Engine, sqlite_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    seeded = seed_dashboard(sqlite_sessions)
    settings = Settings(data_dir=tmp_path, public_url="http://room.example")
    with sqlite_sessions() as session:
        figures = week_figures(session, seeded.today, 7)
    # A loop of its own, never made current: asyncio.run would clear the thread's event loop,
    # which the async tests after this one share (session loop scope).
    own_loop = asyncio.new_event_loop()
    try:
        post = DigestActivities(sqlite_sessions, settings, None).post(figures)
        delivery = own_loop.run_until_complete(post)
    finally:
        own_loop.close()
    write(tmp_path / "outbox", "digest-2020-01-05.json", "not json")
    with serve(dashboard_app(sqlite_engine, tmp_path)) as base_url, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base_url}/login")
        page.fill("input[name=token]", LEADER)
        page.click("button[type=submit]")
        page.goto(f"{base_url}/tasks#digests")
        digest = page.locator(f'#digests .digest[data-file="{Path(delivery.where).name}"]')
        assert digest.locator("h3").inner_text() == f"Customer Room: week to {figures.end}"
        assert digest.locator("strong").all_inner_texts() == [
            "New",
            "Lost",
            "Net",
            "Top why:",
            "Rescues closed:",
            "Spikes:",
        ]
        assert (
            page.locator("#digests .unreadable")
            .inner_text()
            .startswith("digest-2020-01-05.json: unreadable:")
        )
        screenshot(page, "tasks-digests")
