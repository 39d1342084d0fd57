"""The bolt app behind POST /slack/events: built from settings, one register() per group."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from web.slack import modal_submissions, task_actions
from web.slack.replay import ReplayGuard, SignatureGuard, refuse_replays
from winback.settings import Settings

LISTENER_GROUPS = (task_actions, modal_submissions)


class SlackNotConfigured(RuntimeError):
    """Slack settings are missing; the endpoint answers 503 with this message."""


def build_bolt_app(settings: Settings, guard: SignatureGuard | None = None) -> AsyncApp:
    """Bolt verifying Slack's signature, refusing replays (in this process unless `guard`
    says otherwise), with all rescue listeners."""
    if settings.slack_bot_token is None or settings.slack_signing_secret is None:
        raise SlackNotConfigured(
            "Slack is not configured: set WINBACK_SLACK_BOT_TOKEN and "
            "WINBACK_SLACK_SIGNING_SECRET (see docs/slack.md)"
        )
    client = AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_base_url,
        retry_handlers=[],
    )
    app = AsyncApp(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=False,  # ack first, work after: Slack's 3-second rule
    )
    app.use(refuse_replays(guard or ReplayGuard()))
    for group in LISTENER_GROUPS:
        group.register(app)
    return app
