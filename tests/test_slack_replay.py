"""The replay guard: a signature is accepted once per window, and memory stays bounded."""

from __future__ import annotations

from web.slack.replay import REPLAY_WINDOW_SECONDS, ReplayGuard


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
