"""The one mapping from outcomes to what people are told. Handlers never write user-facing text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.approval.outcomes import Kind, Outcome
from bot.approval.post_text import PostText, escape_mrkdwn
from bot.approval.refs import slack_id
from bot.approval.undo import undone_now
from bot.networks.base import title_of
from bot.reports.per_network import brief, is_up
from bot.slack import media_replies
from bot.slack.delete_replies import deleting as deleting
from bot.slack.delete_replies import deletion_result as deletion_result
from bot.slack.network_links import network_links
from bot.slack.network_words import first_error, titles, where
from bot.slack.network_words import status_words as status_words
from bot.slack.text import Problem, Refusal
from storage.models import Delivery, Draft, Status
from storage.tries import was_tried

REFUSAL_TEXT = {
    Kind.NOT_AN_APPROVER: "Only this brand's approvers can decide on drafts. Nothing was changed.",
    Kind.OTHER_ORGANISATION: "Only approvers from this workspace can decide on drafts. Nothing was changed.",
    Kind.NOT_YET_ESCALATED: "You're a backup approver: you can decide on this draft once it is escalated to you"
    " (when the approvers haven't answered in time, you get its card). Nothing was changed.",
    Kind.OWN_DRAFT: "You wrote this draft, so someone else has to approve it: nobody countersigns their own post.",
    Kind.STALE_CARD: "This card shows an older version of the draft. Use the updated card.",
    Kind.NOT_FOUND: "That draft doesn't exist any more. Nothing was changed.",
    Kind.BAD_REQUEST: "That button didn't carry a valid draft reference. Nothing was changed.",
    Kind.REASON_REQUIRED: "Please say why, so the writer knows what to change.",
    Kind.NAME_UNKNOWN: "Slack didn't give us your name just now, and the post is signed with it (never with a "
    "Slack id). Nothing was changed: please try again in a minute.",
    Kind.TIME_PASSED: "The time proposed for this draft has passed, so Approve would post it late."
    " Use *Approve now* to post it now, or *Change time* to approve it for a new time. Nothing was changed.",
    Kind.ALREADY_APPROVED: "You already approved this version; it is waiting for the other approvers."
    " Nothing was changed.",
    Kind.TIME_WITH_LAST_YES: "More approvals are needed after yours, so the time is decided with the approval that"
    " completes them: approve it for the proposed time, and the last approver can pick another. Nothing was changed.",
    Kind.NOT_DELETABLE: "Only a published post can be deleted from {where}, and only one whose post ids Countersign"
    " recorded. Nothing was changed.",
    Kind.ALREADY_DELETING: "This post is being deleted from {where} already (someone pressed it first). Nothing was"
    " sent twice.",
    Kind.ALREADY_DELETED: "This post was deleted from {where} already. Nothing was sent again.",
    Kind.REASON_GIVEN: "A reason for deleting this post was kept already; `/countersign show` has it. Nothing was"
    " changed.",
    Kind.NOT_SCHEDULED: "This post isn't waiting for a time any more (it is being published, or was decided"
    " otherwise). Nothing was changed.",
    Kind.ALREADY_UNDONE: "This approval was already undone: the draft is waiting for a decision again."
    " Nothing was changed.",
    Kind.TOO_LATE_TO_UNDO: "Too late to undo: the post has gone to {where}. Use Delete from {where} to take it down.",
}
# Each text above is a format string: {where} is the networks the draft is on (`network_words.where`).


COMMANDS = {
    "status": "what is waiting, what went out, what needs a person (also the bare command)",
    "show <id>": "one draft's history: versions, decisions, audit trail, and what the owner changed",
    "schedule": "the next 30 scheduled posts, soonest first",
    "digest": "preview this week's digest, only to you",
    "delete <id> [reason]": "approvers: delete a published post (every part of a thread) from {where}; the reason is"
    " kept",
    "pause": "approvers: stop publishing for now (approvals still queue)",
    "resume": "approvers: start publishing again; queued posts go out in order",
    "help": "this list",
}


def help_text(networks: Sequence[str] = ()) -> str:
    """The command list; `networks`: those of the brands it is asked about, which Delete takes a post down from."""
    on = where((), networks)
    lines = [f"• `/countersign {name}` — {what.format(where=on)}" for name, what in COMMANDS.items()]
    return "*Countersign commands*\n" + "\n".join(lines)


# Slack Connect guests (another organisation) may be in the drafts channel: the agency's writers often are.
OUTSIDERS_STATUS = (
    "`/countersign status` and `digest` are only for this organisation's members. "
    "`/countersign show <id>` shows a draft you wrote."
)
OUTSIDERS_SHOW = (
    "Draft details are only for this organisation's members and the draft's own writer. "
    "`/countersign show <id>` works for drafts you wrote."
)


def too_long_to_edit(limit: int) -> str:
    return (
        f"This draft is longer than Slack's edit form allows ({limit:,} characters), so editing it here "
        "would cut it. Use Request changes to have the writer shorten it."
    )


def unexpected_error(reference: str) -> str:
    return (
        f"Something went wrong on our side (reference {reference}). Nothing was published; "
        "please try again, and if it keeps happening give the reference to whoever runs Countersign."
    )


SWITCH_TEXT = {
    Kind.PAUSED: ":double_vertical_bar: Publishing is paused. Approvals still queue and go out, in order, "
    "on `/countersign resume`.",
    Kind.RESUMED: ":arrow_forward: Publishing resumed. Approved posts that queued up go out now, in order.",
}


def switch(outcome: Outcome) -> str:
    """What `/countersign pause|resume` answers."""
    if outcome.kind is Kind.UNCHANGED:
        return f"Publishing was already {'paused' if outcome.detail == 'paused' else 'running'}: nothing changed."
    if outcome.kind is Kind.OTHER_BRAND:
        return other_brand(outcome.detail, "Publishing there", "pause or resume it")
    if outcome.refused:
        return "Only this brand's approvers in this workspace can pause or resume publishing. Nothing was changed."
    return SWITCH_TEXT[outcome.kind]


def other_brand(name: str = "", subject: str = "That draft", what: str = "decide on it") -> str:
    """An approver of another brand of this deployment: `name` is the brand the draft (or channel) is of."""
    brand = f" ({name})" if name else ""
    return f"{subject} belongs to another brand{brand}: only its approvers can {what}. Nothing was changed."


def refusal(outcome: Outcome) -> str:
    """Ephemeral text for a click or submission that changed nothing, naming the networks the draft is on (its
    deliveries, as the move read them) or, for what the brand posts to, the brand's."""
    on = where(outcome.delivered, outcome.networks)
    if outcome.kind is Kind.OTHER_BRAND:
        return other_brand(outcome.detail)
    if outcome.kind is Kind.ALREADY_DECIDED and outcome.draft is not None and outcome.detail:  # one network's
        return (
            f"Draft #{outcome.draft.id} on {title_of(outcome.detail)} was already settled, by someone or by the bot:"
            " the card shows where it is now. Nothing was changed."
        )
    if outcome.kind is Kind.ALREADY_DECIDED and outcome.draft is not None:
        draft = outcome.draft
        who = f" by <@{draft.decided_by}>" if draft.decided_by else ""
        said = status_words(draft.status, on)
        return f"Draft #{draft.id} was already decided{who}: it is {said}. Nothing was changed."
    if outcome.kind is Kind.TOO_LONG and outcome.post is not None:
        return too_long(outcome.post)
    if outcome.kind is Kind.ALREADY_APPROVED and outcome.draft is not None:
        needed, *waiting = outcome.detail.split() or ["0"]
        return already_approved(outcome.draft, int(needed) if needed.isdigit() else 0, waiting)
    if outcome.kind is Kind.SLACK_ONLY:
        return slack_only(outcome.refusals, on)
    if outcome.kind is Kind.MEDIA_REFUSED:
        return media_replies.refused(outcome.media) if outcome.media else f"{on} won't take these images."
    if outcome.kind is Kind.BAD_TIME:
        return f"{outcome.detail} Nothing was changed."
    if outcome.kind is Kind.TOO_LATE_TO_UNDO and outcome.draft is not None:
        return too_late_to_undo(outcome.draft, outcome.delivered)
    if outcome.kind is Kind.ALREADY_UNDONE and outcome.draft is not None:
        draft = outcome.draft
        return (
            f"Already undone by <@{draft.undone_by}>: draft #{draft.id} is waiting for a decision again."
            " Nothing was changed."
        )
    return REFUSAL_TEXT.get(outcome.kind, "That didn't work, and nothing was changed.").format(where=on)


def already_approved(draft: Draft, needed: int, waiting: list[str]) -> str:
    """A second yes from the same approver on the same version: who it still waits for."""
    return (
        f"You already approved version {draft.version} of draft #{draft.id}; {waiting_for(needed, waiting)}. "
        "Nothing was changed."
    )


def waiting_for(needed: int, waiting: list[str]) -> str:
    """`waiting for <@A> and <@B>` (all of them are needed) or `waiting for 1 more of <@A>, <@B>`."""
    who = [f"<@{w}>" for w in waiting]
    if not who or needed <= 0:
        return "waiting for the other approvers"
    if needed >= len(who):
        return "waiting for " + (f"{', '.join(who[:-1])} and {who[-1]}" if len(who) > 1 else who[0])
    return f"waiting for {needed} more of {', '.join(who)}"


def rule_unreachable(detail: str) -> str:
    """Intake: APPROVAL_RULE needs more approvals than anyone but the writer could give."""
    needed, others = [*detail.split(), "?", "?"][:2]
    return (
        f"Not sent for approval: APPROVAL_RULE needs {needed} approvals, and besides you there "
        f"{'is only 1 approver' if others == '1' else f'are only {others} approvers'} (nobody approves their own "
        "post). Ask whoever runs Countersign to add approvers to APPROVERS or lower APPROVAL_RULE."
    )


def _at(when: datetime | None) -> str:
    """Slack's date formatting, in each reader's time zone (the fallback is UTC)."""
    if when is None:
        return "a moment ago"
    fallback = when.strftime("%Y-%m-%d %H:%M:%S UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time_secs}}|{fallback}>"


def too_late_to_undo(draft: Draft, delivered: Sequence[Delivery] = ()) -> str:
    """An Undo that came after the window: plainly, where the post is (each network's link), and the way to take it
    down (the card's Delete, from every network it is on)."""
    found = tuple(delivered)
    on = where(found)
    match Status(draft.status):
        case Status.PUBLISHED:
            up = [(d.network, d.post_url) for d in found if is_up(d)]
            link = f" ({network_links(up, mrkdwn=False) if len(up) > 1 else up[0][1]})" if up else ""
            first = min((d.published_at for d in found if d.published_at), default=None)
            went = f"Too late to undo: it went out at {_at(first)}{link}"
            return f"{went} — use Delete from {on} to take it down."
        case Status.APPROVED if not was_tried(found) and draft.publish_at is not None:
            return (
                "Too late to undo: the undo window has closed. It is scheduled, so *Unschedule* on the card still"
                " takes it back before its time."
            )
        case Status.FAILED:
            return "Too late to undo: publishing was tried and failed, so nothing is going out. Nothing was changed."
    return (
        f"Too late to undo: the window closed and it is going out to {on} now. Once it is up, use Delete from {on}"
        " to take it down. Nothing was changed."
    )


# Where a person copies a post's link on each network, and what it looks like: the part-link form's hint and its
# refusal say the same.
COPY_LINK = {
    "x": ("Share → Copy link", "https://x.com/…/status/…"),
    "bluesky": ("… → Copy link to post", "https://bsky.app/profile/…/post/…"),
    "mastodon": ("… → Copy link to post", "https://<instance>/@…/…"),
}


def part_link_refused(network: str, unreadable: str = "") -> str:
    """The part-link form's answer to a link that gave no post id: not one of the account's posts on `network`, or
    (`unreadable`) the network couldn't be asked about it now."""
    title = title_of(network)
    if unreadable:
        return f"{title} couldn't be asked about that post just now ({unreadable}). Try again in a moment."
    how, example = COPY_LINK.get(network, ("Copy link", "its link"))
    where = "a post on X" if network == "x" else f"a post of this account on {title}"
    return f"That isn't a link to {where}. Copy it from the post ({how}): {example}"


def too_long(post: PostText) -> str:
    return " ".join(post.problems()) + " Shorten it and try again: nothing is ever cut silently."


def slack_only(refusals: tuple[Refusal, ...], on: str = "X") -> str:
    """Why a draft that means something only in Slack can't go to the brand's networks (`on`), one sentence per
    thing, and what to do.

    Names are shown in code spans (`:partyparrot:` would otherwise render as the emoji, `@here` could read as a
    mention); a channel as `<#C…>`, which Slack shows as its name and which pings nobody.
    """
    said = [_refusal_sentence(r, on) for r in refusals[:5]] or ["It has something that only means something in Slack."]
    if len(refusals) > 5:
        said.append(f"…and {len(refusals) - 5} more like these.")
    return " ".join(said) + " Write it as plain text and edit your message."


def _refusal_sentence(refusal: Refusal, on: str) -> str:
    name = _code(refusal.name)
    match refusal.problem:
        case Problem.BROADCAST:
            return f"It mentions `@{name}`, which only means something in Slack."
        case Problem.CHANNEL:
            channel = f"<#{refusal.name}>" if slack_id(refusal.name) else f"`#{name}`"
            return f"It mentions the channel {channel}, which only means something in Slack."
        case Problem.USERGROUP:  # blocks carry only the group's id; naming it as <!subteam^…> would ping them all
            group = f"the user group `{name}`" if name.startswith("@") else f"a Slack user group (`{name}`)"
            return f"It mentions {group}, which only means something in Slack."
        case Problem.CUSTOM_EMOJI:
            return f"`:{name}:` is a custom Slack emoji with no character on {on}."
        case Problem.UNKNOWN_PERSON:
            return "It mentions someone whose name Slack didn't give us, so the post can't name them."
    return f"It has something only Slack can show (`{name}`), which can't be written as text on {on}."


def _code(name: str) -> str:
    """Safe inside a code span in mrkdwn: no backticks or line breaks, `&<>` escaped."""
    return escape_mrkdwn(" ".join(name.replace("`", "'").split()))


def intake_reply(outcome: Outcome, approvers: str) -> str | None:
    """Thread reply under the writer's message, or None when the writer needn't hear anything."""
    post, draft = outcome.post, outcome.draft
    on = where(outcome.delivered, outcome.networks)
    match outcome.kind:
        case Kind.SUBMITTED | Kind.FILES_DROPPED:
            assert post is not None and draft is not None
            text = f"Sent to {approvers} for approval as draft #{draft.id} · {post.counts}"
            if outcome.detail:  # the writer's `at:` line, as it was read
                text += f"\nProposed to go out {outcome.detail}."
            if outcome.kind is Kind.FILES_DROPPED:
                text += "\n" + media_replies.dropped(outcome.media, on)
            return text
        case Kind.TOO_LONG:
            assert post is not None
            return "Not sent for approval. " + too_long(post)
        case Kind.SLACK_ONLY:
            return "Not sent for approval. " + slack_only(outcome.refusals, on)
        case Kind.MEDIA_REFUSED:
            return "Not sent for approval. " + media_replies.refused(outcome.media)
        case Kind.NO_OTHER_APPROVER:
            return (
                "Not sent for approval: you are the only approver, and nobody approves their own post. "
                "Ask whoever runs Countersign to add another approver's user id to APPROVERS."
            )
        case Kind.BAD_TIME:
            return "Not sent for approval. " + outcome.detail
        case Kind.RULE_UNREACHABLE:
            return rule_unreachable(outcome.detail)
        case Kind.EMPTY:
            return "There's no text here to send for approval. Write the post as the message text."
        case Kind.FILES_ONLY:
            return (
                "Not sent for approval. " + media_replies.dropped(outcome.media, on) + " There's no text or image left."
            )
        case Kind.REVISED:
            assert post is not None and draft is not None
            text = f"Updated: version {draft.version} sent to {approvers} for approval · {post.counts}"
            return text + (f"\nProposed to go out {outcome.detail}." if outcome.detail else "")
        case Kind.NOT_EDITABLE:
            assert draft is not None
            return (
                f"This edit wasn't sent: draft #{draft.id} is already {status_words(draft.status, on)}. "
                "Post a new message for a new draft."
            )
        case Kind.NOT_WITHDRAWABLE:
            assert draft is not None
            up = [(d.network, d.post_url) for d in outcome.delivered if d.post_url]
            is_on = f" It is on {network_links(up, mrkdwn=False)}" if up else ""
            return (
                f"Your message was deleted, but draft #{draft.id} was already {status_words(draft.status, on)}, so it "
                f"isn't withdrawn.{is_on} To take a post down, ask an approver to delete it on {on}."
            )
    return None


def revision_refused(outcome: Outcome) -> str:
    """The writer's edit can't be used; the approver keeps seeing the previous version."""
    assert outcome.draft is not None
    if outcome.kind is Kind.SLACK_ONLY:
        problem = slack_only(outcome.refusals, where(outcome.delivered, outcome.networks))
    elif outcome.kind is Kind.MEDIA_REFUSED:
        problem = " ".join(media_replies.sentence(r) for r in outcome.media[:5])
    elif outcome.kind is Kind.TOO_LONG and outcome.post:
        problem = too_long(outcome.post)
    elif outcome.kind is Kind.BAD_TIME:
        problem = outcome.detail
    else:
        problem = "The edit has no text."
    return f"Your edit wasn't sent. {problem} Approvers still see version {outcome.draft.version}."


def decision_reply(
    draft: Draft,
    signers: tuple[str, ...] = (),
    links: Sequence[tuple[str, str | None]] = (),
    *,
    delivered: Sequence[Delivery] = (),
    networks: Sequence[str] = (),
) -> str | None:
    """Thread reply telling the writer what became of their draft. `signers`: who approved it, when APPROVAL_RULE
    asked several (named for an approval; a rejection or request names who made it). `delivered`: its version's
    deliveries, each network's own post, link and error (several are each said: `X: <link> · Bluesky: <link>`);
    `links` stands in for a caller that gives only the links. `networks`: the brand's, for an Undo (its deliveries
    were dropped: nothing went out)."""
    found = tuple(delivered)
    if not links and delivered:
        links = [(d.network, d.post_url) for d in found if d.status == Status.PUBLISHED]
    who = f"<@{draft.decided_by}>" if draft.decided_by else "The approver"
    if len(signers) > 1 and draft.status not in (Status.CHANGES_REQUESTED, Status.REJECTED):
        who = ", ".join(f"<@{s}>" for s in signers[:-1]) + f" and <@{signers[-1]}>"
    match Status(draft.status):
        case Status.PENDING if undone_now(draft):
            why = f":\n>{_quote(draft.reason)}" if draft.reason else "."
            return (
                f"<@{draft.undone_by}> undid the approval before it went out: nothing reached {where((), networks)}."
                f" Draft #{draft.id}"
                f" is waiting for a decision again{why}"
            )
        case Status.CHANGES_REQUESTED:
            return f"{who} requested changes:\n>{_quote(draft.reason)}\nEdit your message to send a new version."
        case Status.REJECTED:
            return f"{who} rejected this draft:\n>{_quote(draft.reason)}"
        case Status.APPROVED if draft.publish_at is not None and not was_tried(found):
            stamp = int(draft.publish_at.timestamp())  # shown in each reader's own time zone by Slack
            fallback = draft.publish_at.strftime("%Y-%m-%d %H:%M UTC")
            return (
                f"Approved by {who} · goes out <!date^{stamp}^{{date_short_pretty}} at {{time}}|{fallback}>."
                " Editing your message (its text or its `at:` line) sends it back for approval."
            )
        case Status.PUBLISHED if len(links) > 1:
            return f"Approved by {who} · published {network_links(links, mrkdwn=False)}"
        case Status.PUBLISHED if links and links[0][1]:
            return f"Approved by {who} · published {links[0][1]}"
        case Status.PUBLISHED:
            return f"Approved by {who} · marked as published after a check on {where(found)}"
        case Status.FAILED if len(found) > 1:
            failed = titles([d for d in found if d.status == Status.FAILED])
            return f"Approved by {who}, but publishing failed on {failed}: {brief(found)}. Retry is on the card."
        case Status.FAILED:
            return f"Approved by {who}, but publishing failed: {_plain(first_error(found))}. Retry is on the card."
        case Status.DELETED:
            asked = f"<@{draft.deleted_by}>" if draft.deleted_by else "an approver"
            why = f":\n>{_quote(draft.delete_reason)}" if draft.delete_reason else "."
            return f"This post was deleted from {where(found)} by {asked}{why}"
        case Status.UNKNOWN if len(found) > 1:
            unsure = titles([d for d in found if d.status == Status.UNKNOWN])
            return (
                f"Approved by {who}, but {unsure} didn't confirm the post: {brief(found)}. "
                "The approver will check the account before anything is sent again."
            )
        case Status.UNKNOWN:
            return (
                f"Approved by {who}, but {where(found)} didn't confirm the post ({_plain(first_error(found))}). "
                "The approver will check the account before anything is sent again."
            )
    return None


def _plain(text: str | None) -> str:
    return escape_mrkdwn(text or "")


def _quote(text: str | None) -> str:
    return escape_mrkdwn(text or "(no reason given)").replace("\n", "\n>")


def delete_refusal(outcome: Outcome) -> str:
    """Why a Delete (button or command) changed nothing, naming the networks the post is on."""
    on = where(outcome.delivered, outcome.networks)
    if outcome.kind is Kind.NOT_AN_APPROVER:
        return f"Only this brand's approvers can delete posts from {on}. Nothing was changed."
    if outcome.kind is Kind.OTHER_ORGANISATION:
        return f"Only approvers from this workspace can delete posts from {on}. Nothing was changed."
    if outcome.kind is Kind.NOT_FOUND and outcome.draft is None:
        return "There is no such draft. Nothing was changed."
    return refusal(outcome)
