"""The rescue activities, built with their dependencies, for the worker to register."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session, sessionmaker
from temporalio.client import Client

from activities.rescue_open import RescueOpener
from activities.rescue_start import RescueStarter
from activities.rescue_store import RescueStore
from activities.rescue_tasks import TaskDelivery
from winback.settings import Settings


def rescue_activities(
    settings: Settings, sessions: sessionmaker[Session], client: Client
) -> list[Callable[..., Any]]:
    opener = RescueOpener(sessions, not settings.slack_enabled(), settings.playbook_path)
    store = RescueStore(sessions, settings.keep_original_text)
    delivery = TaskDelivery(settings, sessions)
    starter = RescueStarter(client, sessions, settings)
    return [
        opener.open_rescue_case,
        store.record_rescue_event,
        delivery.deliver_rescue_task,
        starter.start_rescue_for_flag,
    ]
