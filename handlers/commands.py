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
from bot.jobs import digest_render
from bot.jobs.digest import build
from bot.jobs.schedule import Week
from bot.reports import coming_up, history, status
from bot.runtime.desks import Desk, refused_here
from bot.runtime.services import Services
from bot.slack.blocks import section
from bot.slack.replies import (
    OUTSIDERS_SHOW,
    OUTSIDERS_STATUS,
    delete_refusal,
    deleting,
    deletion_result,
    help_text,
    other_brand,
    refusal,
    switch,
)
from storage.types import utcnow

COMMAND = "/countersign"


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(partial(countersign, services=services))


def countersign(ack: Ack, command: dict[str, Any], respond: Respond, services: Services) -> None:
    text = command.get("text") if isinstance(command.get("text"), str) else ""
    words = text.split()
    match [w.lower() for w in words[:1]] + words[1:2]:
        case [] | ["status"]:
            actor = caller(command, services)
            if not _member(actor, services):
                ack(response_type="ephemeral", text=OUTSIDERS_STATUS)
                return
            assert actor is not None
            ack(response_type="ephemeral", **status_of(actor, command, services))
        case ["schedule", *_]:
            actor = caller(command, services)
            desks = in_scope(command, services)
            if not _member(actor, services) or not desks:
                ack(response_type="ephemeral", text=OUTSIDERS_STATUS)
                return
            now = services.workflow.clock()
            lines = []
            for desk in desks:
                zone = desk.brand.timezone
                drafts = coming_up.load(
                    services.store, now, within=timedelta(days=3650), limit=coming_up.SCHEDULE_SHOWN, brand=desk.key
                )
                title = f"Scheduled, next {coming_up.SCHEDULE_SHOWN} at most ({zone.key}){_of(desk, desks)}"
                lines += coming_up.lines(drafts, now, zone, title=title)
            ack(response_type="ephemeral", text="\n".join(lines))
        case ["show", ref]:
            ack(response_type="ephemeral", text=show(ref, services, caller(command, services)))
        case ["digest", *_]:
            desks = in_scope(command, services)
            if not _member(caller(command, services), services) or not desks:
                ack(response_type="ephemeral", text=OUTSIDERS_STATUS)
                return
            desk = desks[0]
            ack(response_type="ephemeral", text="Building this week's digest…")
            week = Week.of(utcnow(), desk.brand.timezone)
            digest = build(services.store, services.accounts_for(desk.key), week, brand=desk.key)
            respond(response_type="ephemeral", replace_original=False, **digest_render.blocks(digest))
        case ["delete", ref, *_]:
            reason = text.split(None, 2)[2] if len(text.split(None, 2)) > 2 else None
            delete(ack, respond, ref, reason, caller(command, services), services)
        case ["pause" | "resume" as verb, *rest]:
            ack(response_type="ephemeral", text=pause(verb, rest[0] if rest else None, command, services))
        case _:
            networks = [n for desk in in_scope(command, services) for n in desk.workflow.networks(desk.key)]
            ack(response_type="ephemeral", text=help_text(networks))


def in_scope(command: dict[str, Any], services: Services) -> list[Desk]:
    """The brands a command is about: the brand whose drafts channel it was typed in; elsewhere the brands the
    caller approves (or the one brand, when there is only one). A DM of a non-approver of several: none."""
    here = services.desk_for_channel(slack_id(command.get("channel_id")))
    if here is not None:
        return [here]
    return services.desks_of(slack_id(command.get("user_id"))) or (
        list(services.desks.values()) if len(services.desks) == 1 else []
    )


def _of(desk: Desk, desks: list[Desk]) -> str:
    return f" · {desk.name}" if len(desks) > 1 else ""


def status_of(actor: Actor, command: dict[str, Any], services: Services) -> dict[str, Any]:
    """`/countersign status`: the channel's brand, or each brand the caller approves, one section each."""
    desks = in_scope(command, services)
    if len(desks) == 1 and desks[0].elsewhere(actor.user_id):  # in another brand's drafts channel
        outcome = refused_here(desks[0], actor, "status")
        return {"text": other_brand(outcome.detail, "This channel", "see its status")}
    if not desks:
        return {"text": "Several brands are served here: ask `/countersign status` in your brand's drafts channel."}
    text, blocks = [], []
    for desk in desks:
        report = status.build(
            services.store,
            services.settings,
            brand=desk.key,
            zone=desk.brand.timezone,
            viewer=actor.user_id,
            networks=desk.workflow.brand_networks(),
        )
        said = status.render(report, services.team_url)
        said = f"*{escape_mrkdwn(desk.name)}*\n{said}" if len(desks) > 1 else said
        part = with_coming_up(said, actor.user_id, desk, services)
        text.append(part["text"])
        blocks += part.get("blocks") or [section(part["text"])]
    if all(b.get("type") == "section" for b in blocks):
        return {"text": "\n\n".join(text)}
    return {"text": "\n\n".join(text), "blocks": blocks}


def with_coming_up(text: str, user_id: str, desk: Desk, services: Services) -> dict[str, Any]:
    """The status text, then "Coming up" (next 7 days): as lines, or for an approver as blocks with the buttons."""
    now = services.workflow.clock()
    drafts = coming_up.load(services.store, now, brand=desk.key)
    zone = desk.brand.timezone
    title = "Coming up (next 7 days)"
    if not drafts or user_id not in desk.policy.approvers:
        return {"text": "\n".join([text, *coming_up.lines(drafts, now, zone, title=title)])}
    blocks = [section(text), *coming_up.blocks(drafts, now, zone, title=title, is_approver=True)]
    return {"text": text, "blocks": blocks}


def pause(verb: str, key: str | None, command: dict[str, Any], services: Services) -> str:
    """`/countersign pause|resume [brand]`: the channel's brand; in a DM the caller's one brand, or the one named."""
    actor = caller(command, services)
    if actor is None:  # not ids Slack sends: nobody to authorize, nothing to store
        return switch(Outcome(Kind.NOT_AN_APPROVER))
    desk = services.desk_for_channel(slack_id(command.get("channel_id")))
    if desk is None and key is not None:
        desk = services.desks.get(key.lower())
        if desk is None:
            keys = ", ".join(f"`{k}`" for k in services.desks)
            return f"There is no brand `{escape_mrkdwn(key[:40])}` here (the brands are {keys}). Nothing was changed."
    if desk is None:
        mine = services.desks_of(actor.user_id)
        if len(mine) > 1:
            which = " or ".join(f"`/countersign {verb} {d.key}`" for d in mine)
            return f"You approve several brands: say which, {which}. Nothing was changed."
        desk = mine[0] if mine else next(iter(services.desks.values()))
    outcome = desk.switch.set_paused(actor, verb == "pause")
    if verb == "resume" and not outcome.refused:
        services.publisher.wake()
    said = switch(outcome)
    return f"{said} ({desk.name})" if len(services.desks) > 1 and not outcome.refused else said


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
    desk = services.desk_of(draft_id)  # the draft's brand's approvers may delete it
    outcome = desk.deleter.request(draft_id, actor, reason, via="command")
    if outcome.refused or outcome.draft is None:
        ack(response_type="ephemeral", text=delete_refusal(outcome))
        return
    ack(response_type="ephemeral", text=deleting(draft_id, desk.deleter.delivered(draft_id)))
    services.decided(draft_id)  # every card says "deleting…"
    ended = desk.deleter.run(draft_id, outcome.attempt_id)
    delivered = desk.deleter.delivered(draft_id) if ended else []
    respond(
        response_type="ephemeral",
        replace_original=False,
        text=deletion_result(ended, desk.deleter.left(draft_id) if ended else [], delivered),
    )


def show(ref: str, services: Services, actor: Actor | None) -> str:
    """One draft's story: for this organisation's members (approvers or not: the drafts channel is theirs), and
    for its own writer, who may be a Slack Connect guest. Anyone else learns nothing, not even whether it exists."""
    draft_id = ref.lstrip("#")
    if not (draft_id.isascii() and draft_id.isdigit()) or len(draft_id) > 18:  # "²".isdigit(), but int() refuses it
        return f"`{escape_mrkdwn(ref[:20])}` isn't a draft number. Try `/countersign show 12`."
    found = history.load(services.store, int(draft_id))
    writer = found is not None and actor is not None and found.draft.writer_id == actor.user_id
    if not _member(actor, services) and not writer:
        return OUTSIDERS_SHOW
    desk = services.desk(found.draft.brand) if found else None
    if desk is not None and actor is not None and not writer and desk.elsewhere(actor.user_id):
        return refusal(refused_here(desk, actor, f"show #{draft_id}", int(draft_id)))
    return history.render(found) if found else f"There is no draft #{draft_id}."
