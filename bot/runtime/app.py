"""The Bolt app factory: no globals, nothing built at import."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.approval.refs import envelope_problem
from bot.runtime import failures
from bot.runtime.logs import new_correlation_id, redact_everywhere
from bot.runtime.services import Services
from handlers import actions, commands, drafts, home, views

log = logging.getLogger(__name__)


class RefuseMalformed(Middleware):
    """A payload whose `event`, `actions[0]` or `view` Bolt can't read gets a 400 before Bolt tries (it would
    raise inside its own matchers, where even the error handler fails). Runs after the signature check."""

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse:
        problem = envelope_problem(req.body)
        if problem is None:
            return next()
        log.warning("refused a malformed Slack payload: %s", problem)
        return BoltResponse(status=400, body="")


def describe(body: Any) -> str:
    """What a request is, for the access log: its kind and our ids, never its text."""
    if not isinstance(body, dict):
        return "request"
    kind = body.get("type")
    detail = ""
    event = body.get("event")
    actions = body.get("actions")
    view = body.get("view")
    if kind == "event_callback" and isinstance(event, dict):
        detail = f"{event.get('type')}/{event.get('subtype') or '-'} {body.get('event_id')}"
    elif kind == "block_actions" and isinstance(actions, list) and actions and isinstance(actions[0], dict):
        detail = f"{actions[0].get('action_id')} {actions[0].get('value')}"
    elif kind == "view_submission" and isinstance(view, dict):
        detail = f"{view.get('callback_id')} {view.get('private_metadata')}"
    elif body.get("command"):
        kind, detail = "command", str(body.get("command"))
    user = body.get("user")
    who = user.get("id") if isinstance(user, dict) else body.get("user_id")
    if who is None and isinstance(event, dict):
        who = event.get("user")
    return f"{kind} {detail} by {who}"[:300]


def build_app(services: Services, *, socket_mode: bool = False) -> App:
    settings = services.settings
    # before Bolt or the publisher log anything, configure() or not; every brand's credentials too
    redact_everywhere(settings.secrets + services.brands.secrets)
    app = App(
        signing_secret=settings.slack_signing_secret or None,
        client=services.client,
        # Ack first, work after: listeners run on this pool once ack() has answered Slack.
        process_before_response=False,
        listener_executor=services.listeners,
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger("countersign.bolt"),
        before_authorize=RefuseMalformed(),
    )

    @app.middleware
    def correlate(body: dict[str, Any], next: Any) -> Any:  # Bolt injects arguments by these names
        """A short id per Slack request, in every log line its work writes; one line says what came in."""
        new_correlation_id()
        log.info("slack %s", describe(body))
        return next()

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        """A bug, not a refusal: logged with the request's reference, which the person is told."""
        failures.report(services.notifier, body, error)
        return None

    for module in (drafts, actions, views, commands, home):
        module.register(app, services)
    return app
