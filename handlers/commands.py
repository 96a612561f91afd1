"""`/countersign`: status and history answered in the ack itself (instant, only the caller sees it);
the digest preview, which may read X, is acked first and answered through `respond`."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond

from bot import digest_render, history, status
from bot.digest import build
from bot.outcomes import Kind, Outcome
from bot.post_text import escape_mrkdwn
from bot.refs import Actor, slack_id
from bot.replies import help_text, switch
from bot.schedule import Week
from bot.services import Services
from storage.types import utcnow

COMMAND = "/countersign"


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(partial(countersign, services=services))


def countersign(ack: Ack, command: dict[str, Any], respond: Respond, services: Services) -> None:
    text = command.get("text") if isinstance(command.get("text"), str) else ""
    words = text.split()
    match [w.lower() for w in words[:1]] + words[1:2]:
        case [] | ["status"]:
            report = status.build(services.store, services.settings, viewer=command.get("user_id"))
            ack(response_type="ephemeral", text=status.render(report, services.team_url))
        case ["show", ref]:
            ack(response_type="ephemeral", text=show(ref, services))
        case ["digest", *_]:
            ack(response_type="ephemeral", text="Building this week's digest…")
            week = Week.of(utcnow(), services.settings.timezone)
            digest = build(services.store, services.account, week)
            respond(response_type="ephemeral", replace_original=False, **digest_render.blocks(digest))
        case ["pause" | "resume" as verb, *_]:
            user_id = slack_id(command.get("user_id"))
            team_id = slack_id(command.get("user_team_id")) or slack_id(command.get("team_id"))
            if user_id is None or team_id is None:  # not ids Slack sends: nobody to authorize, nothing to store
                ack(response_type="ephemeral", text=switch(Outcome(Kind.NOT_AN_APPROVER)))
                return
            outcome = services.switch.set_paused(Actor(user_id, team_id), verb == "pause")
            if verb == "resume" and not outcome.refused:
                services.publisher.wake()
            ack(response_type="ephemeral", text=switch(outcome))
        case _:
            ack(response_type="ephemeral", text=help_text())


def show(ref: str, services: Services) -> str:
    draft_id = ref.lstrip("#")
    if not (draft_id.isascii() and draft_id.isdigit()) or len(draft_id) > 18:  # "²".isdigit(), but int() refuses it
        return f"`{escape_mrkdwn(ref[:20])}` isn't a draft number. Try `/countersign show 12`."
    found = history.load(services.store, int(draft_id))
    return history.render(found) if found else f"There is no draft #{draft_id}."
