"""The replay guards: a signature is accepted once per window, memory stays bounded, and
replicas sharing the store refuse each other's replays."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from store.models import SeenSlackRequest
from web.slack.replay import REPLAY_WINDOW_SECONDS, ReplayGuard
from web.slack.replay_store import StoredReplayGuard


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_second_arrival_within_the_window_is_a_replay() -> None:
    clock = Clock()
    guard = ReplayGuard(clock=clock)
    assert guard.first_time("v0=abc")
    clock.now += REPLAY_WINDOW_SECONDS - 1
    assert not guard.first_time("v0=abc")
    assert guard.first_time("v0=def")


def test_signatures_are_forgotten_after_the_window() -> None:
    # bolt refuses timestamps older than the window, so forgetting them then is safe
    clock = Clock()
    guard = ReplayGuard(clock=clock)
    guard.first_time("v0=abc")
    clock.now += REPLAY_WINDOW_SECONDS + 1
    assert guard.first_time("v0=other") and len(guard) == 1
    assert guard.first_time("v0=abc")


def test_memory_is_bounded_oldest_first() -> None:
    guard = ReplayGuard(max_entries=3, clock=Clock())
    for n in range(5):
        assert guard.first_time(f"v0={n}")
    assert len(guard) == 3
    assert not guard.first_time("v0=4") and guard.first_time("v0=0")


async def test_replicas_sharing_the_store_refuse_each_others_replays(
    sessions: sessionmaker[Session],
) -> None:
    """A request captured at one web replica and replayed at another is refused: both keep
    signatures in the store they share (SQLite and PostgreSQL)."""
    clock = Clock()
    first = StoredReplayGuard(sessions, clock=clock)
    second = StoredReplayGuard(sessions, clock=clock)
    assert await first.admit("v0=abc")
    clock.now += REPLAY_WINDOW_SECONDS - 1
    assert not await second.admit("v0=abc")
    assert await second.admit("v0=def")
    clock.now += REPLAY_WINDOW_SECONDS + 1  # bolt refuses such old timestamps by itself
    assert await first.admit("v0=abc")
    with sessions() as session:  # expired signatures are deleted on the way
        kept = session.scalars(select(SeenSlackRequest.signature)).all()
    assert kept == ["v0=abc"]


def test_two_replicas_racing_on_one_request_admit_it_once(
    sessions: sessionmaker[Session],
) -> None:
    guards = [StoredReplayGuard(sessions) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        admitted = list(pool.map(lambda guard: guard.first_time("v0=race"), guards))
    assert sorted(admitted) == [False, False, False, True]
