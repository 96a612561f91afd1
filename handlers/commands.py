"""`/countersign`: status and history answered in the ack itself (instant, only the caller sees it);
the digest preview, which may read X, is acked first and answered through `respond`."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.approval.outcomes import Kind, Outcome
from bot.approval.post_text import escape_mrkdwn
from bot.approval.refs import Actor, slack_id
from bot.delivery.deleter import remaining
from bot.jobs import digest_render
from bot.jobs.digest import build
from bot.jobs.schedule import Week
from bot.reports import coming_up, history, status
from bot.runtime.services import Services
from bot.slack.blocks import section
from bot.slack.replies import OUTSIDERS_SHOW, OUTSIDERS_STATUS, delete_refusal, deletion_result, help_text, switch
from storage.types import utcnow

COMMAND = "/countersign"


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(partial(countersign, services=services))


def countersign(ack: Ack, command: dict[str, Any], respond: Respond, services: Services) -> None:
    text = command.get("text") if isinstance(command.get("text"), str) else ""
    words = text.split()
    match [w.lower() for w in words[:1]] + words[1:2]:
        case [] | ["status"]:
            if not _member(caller(command, services), services):
                ack(response_type="ephemeral", text=OUTSIDERS_STATUS)
                return
            report = status.build(services.store, services.settings, viewer=command.get("user_id"))
            ack(
                response_type="ephemeral", **with_coming_up(status.render(report, services.team_url), command, services)
            )
        case ["schedule", *_]:
            if not _member(caller(command, services), services):
                ack(response_type="ephemeral", text=OUTSIDERS_STATUS)
                return
            now = services.workflow.clock()
            drafts = coming_up.load(services.store, now, within=timedelta(days=3650), limit=coming_up.SCHEDULE_SHOWN)
            title = f"Scheduled, next {coming_up.SCHEDULE_SHOWN} at most ({services.settings.timezone.key})"
            ack(
                response_type="ephemeral",
                text="\n".join(coming_up.lines(drafts, now, services.settings.timezone, title=title)),
            )
        case ["show", ref]:
            ack(response_type="ephemeral", text=show(ref, services, caller(command, services)))
        case ["digest", *_]:
            if not _member(caller(command, services), services):
                ack(response_type="ephemeral", text=OUTSIDERS_STATUS)
                return
            ack(response_type="ephemeral", text="Building this week's digest…")
            week = Week.of(utcnow(), services.settings.timezone)
            digest = build(services.store, services.accounts, week)
            respond(response_type="ephemeral", replace_original=False, **digest_render.blocks(digest))
        case ["delete", ref, *_]:
            reason = text.split(None, 2)[2] if len(text.split(None, 2)) > 2 else None
            delete(ack, respond, ref, reason, caller(command, services), services)
        case ["pause" | "resume" as verb, *_]:
            actor = caller(command, services)
            if actor is None:  # not ids Slack sends: nobody to authorize, nothing to store
                ack(response_type="ephemeral", text=switch(Outcome(Kind.NOT_AN_APPROVER)))
                return
            outcome = services.switch.set_paused(actor, verb == "pause")
            if verb == "resume" and not outcome.refused:
                services.publisher.wake()
            ack(response_type="ephemeral", text=switch(outcome))
        case _:
            ack(response_type="ephemeral", text=help_text())


def with_coming_up(text: str, command: dict[str, Any], services: Services) -> dict[str, Any]:
    """The status text, then "Coming up" (next 7 days): as lines, or for an approver as blocks with the buttons."""
    now = services.workflow.clock()
    drafts = coming_up.load(services.store, now)
    zone = services.settings.timezone
    title = "Coming up (next 7 days)"
    if not drafts or command.get("user_id") not in services.settings.approvers:
        return {"text": "\n".join([text, *coming_up.lines(drafts, now, zone, title=title)])}
    blocks = [section(text), *coming_up.blocks(drafts, now, zone, title=title, is_approver=True)]
    return {"text": text, "blocks": blocks}


def caller(command: dict[str, Any], services: Services) -> Actor | None:
    """Who typed the command. A command's `team_id` / `enterprise_id` are of the workspace it was typed in:
    a Slack Connect guest's own, or another workspace of this Grid organisation."""
    user_id = slack_id(command.get("user_id"))
    team_id = slack_id(command.get("user_team_id")) or slack_id(command.get("team_id"))
    if user_id is None or team_id is None:
        return None
    return services.organisation.resolve(Actor(user_id, team_id, slack_id(command.get("enterprise_id"))))


def _member(actor: Actor | None, services: Services) -> bool:
    return actor is not None and services.workflow.policy.of_this_organisation(actor)


def draft_number(ref: str) -> int | None:
    """`12` or `#12` as a draft id; None for anything else (`"²".isdigit()`, but int() refuses it)."""
    draft_id = ref.lstrip("#")
    return int(draft_id) if draft_id.isascii() and draft_id.isdigit() and len(draft_id) <= 18 else None


def delete(ack: Ack, respond: Respond, ref: str, reason: str | None, actor: Actor | None, services: Services) -> None:
    """`/countersign delete <id> [reason]`: claimed (or refused, audited) in the ack; X is called after it, and
    the result is answered through `respond`. Cards and the writer's thread hear it as from the button."""
    draft_id = draft_number(ref)
    if draft_id is None:
        ack(
            response_type="ephemeral",
            text=f"`{escape_mrkdwn(ref[:20])}` isn't a draft number. Try `/countersign delete 12`.",
        )
        return
    if actor is None:  # not ids Slack sends: nobody to authorize, nothing to store
        ack(response_type="ephemeral", text=delete_refusal(Outcome(Kind.NOT_AN_APPROVER)))
        return
    outcome = services.deleter.request(draft_id, actor, reason, via="command")
    if outcome.refused or outcome.draft is None:
        ack(response_type="ephemeral", text=delete_refusal(outcome))
        return
    parts = len(outcome.draft.post_ids or [])
    ack(response_type="ephemeral", text=f"Deleting draft #{draft_id} from X ({parts} post{'s' if parts != 1 else ''})…")
    services.notifier.decided(draft_id)  # every card says "deleting…"
    ended = services.deleter.run(draft_id, outcome.draft.attempt_id)
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=deletion_result(ended, remaining(ended) if ended else []),
    )


def show(ref: str, services: Services, actor: Actor | None) -> str:
    """One draft's story: for this organisation's members (approvers or not: the drafts channel is theirs), and
    for its own writer, who may be a Slack Connect guest. Anyone else learns nothing, not even whether it exists."""
    draft_id = ref.lstrip("#")
    if not (draft_id.isascii() and draft_id.isdigit()) or len(draft_id) > 18:  # "²".isdigit(), but int() refuses it
        return f"`{escape_mrkdwn(ref[:20])}` isn't a draft number. Try `/countersign show 12`."
    found = history.load(services.store, int(draft_id))
    if not _member(actor, services) and (found is None or actor is None or found.draft.writer_id != actor.user_id):
        return OUTSIDERS_SHOW
    return history.render(found) if found else f"There is no draft #{draft_id}."
