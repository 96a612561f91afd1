"""What a card says of each network a version went to, and the buttons to settle one network: pure builders, like
bot/slack/blocks.py, which calls them once a version went to several networks.

With several networks, one's outcome is not the others': X may not have confirmed while Bluesky is up and Mastodon
refused the token. The card then has a line per network (in the brand's order) and, under a network that needs a
person, that network's own buttons, whose value names it (`CardRef.network`), so a click settles that network alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.approval.post_text import escape_mrkdwn
from bot.approval.refs import CardRef
from bot.networks.base import title_of
from bot.slack.block_kit import Block, button, section, slack_date
from bot.slack.ids import ActionId, BlockId
from storage.models import Delivery, Draft, Status

OUTCOME_ICONS = {
    Status.APPROVED: ":hourglass_flowing_sand:",
    Status.PUBLISHING: ":hourglass_flowing_sand:",
    Status.PUBLISHED: ":white_check_mark:",
    Status.REJECTED: ":no_entry_sign:",
    Status.CHANGES_REQUESTED: ":leftwards_arrow_with_hook:",
    Status.WITHDRAWN: ":wastebasket:",
    Status.FAILED: ":warning:",
    Status.UNKNOWN: ":grey_question:",
}
# The states a card shows network by network; a deletion (Delete from X takes every network's posts down as one
# move, claimed on the draft) and a version not yet out keep their one line.
PER_NETWORK = frozenset({Status.APPROVED, Status.PUBLISHING, Status.PUBLISHED, Status.FAILED, Status.UNKNOWN})
# A network's buttons, labelled with it ({} is its title). Mark as published: someone looked at that account.
NETWORK_BUTTONS = {
    Status.FAILED: ((ActionId.RETRY, "Retry {}", "primary"),),
    Status.UNKNOWN: (
        (ActionId.MARK_PUBLISHED, "Mark as published on {}", None),
        (ActionId.PUBLISH_AGAIN, "Publish again on {}", "danger"),
        (ActionId.CANCEL, "Cancel {}", None),
    ),
}
ERROR_LIMIT = 600  # of a network's error on its line: three networks' lines and their limits stay readable


def shown_per_network(draft: Draft, found: Sequence[Delivery]) -> bool:
    """Whether the card of `draft` shows its networks one by one: its version went to several, and is out or on
    its way (not held by a time or an Undo window: the caller knows those)."""
    return len(found) > 1 and draft.status in PER_NETWORK


def network_blocks(found: Sequence[Delivery], ref: CardRef) -> list[Block]:
    """Each network's line and, if it needs a person, its buttons right under it (an action id may appear once per
    actions block, so each network has its own)."""
    blocks: list[Block] = []
    for delivery in found:
        blocks.append(section(network_line(delivery), f"{BlockId.CARD_NETWORK}.{delivery.network}"))
        settle = NETWORK_BUTTONS.get(Status(delivery.status), ())
        if settle:
            title, value = title_of(delivery.network), str(ref.of(delivery.network))
            elements = [button(action, label.format(title), value, style) for action, label, style in settle]
            block_id = f"{BlockId.CARD_NETWORK_ACTIONS}.{delivery.network}"
            blocks.append({"type": "actions", "block_id": block_id, "elements": elements})
    return blocks


def network_line(delivery: Delivery) -> str:
    """What happened on one network: on its way (and the last retryable error), up (its link), failed (why, and the
    button), or not confirmed (what to check on that network, and whether the bot still looks)."""
    status = Status(delivery.status)
    title = title_of(delivery.network)
    icon = OUTCOME_ICONS.get(status, "")
    error = escape_mrkdwn(_clip(delivery.last_error or ""))
    match status:
        case Status.APPROVED | Status.PUBLISHING:
            line = f"*{title}*: publishing…"
            if error:
                line += f"\nLast attempt: {error}. Retrying automatically."
        case Status.PUBLISHED if delivery.post_url:
            line = f"*{title}*: published: <{delivery.post_url}|view on {title}>"
        case Status.PUBLISHED:
            line = f"*{title}*: marked as published after a check on {title}"
        case Status.FAILED:
            line = f"*{title}*: publishing failed: {error}. Fix the cause, then press *Retry {title}*."
        case Status.UNKNOWN:
            mark, again = f"*Mark as published on {title}*", f"*Publish again on {title}*"
            line = f"*{title}* {uncertain_words(delivery, title, error, mark, again)}"
        case _:
            line = f"*{title}*: {status.value.replace('_', ' ')}"
    return f"{icon} {line}".strip()


def uncertain_words(row: Delivery, title: str, error: str, mark: str, again: str) -> str:
    """`didn't confirm …`: which post (a thread's part), what to check on `title`, which button says what, and
    whether the bot still looks. `row`: the network's delivery; `error`: its error as the line shows it (escaped)."""
    parts, up = len(row.final_parts or []), len(row.post_ids or [])
    which = "the post"
    line = f"didn't confirm the post: {error}."
    if parts > 1 and up < parts:
        which = f"part {up + 1} of {parts}"
        done = "" if not up else " (part 1 is up)" if up == 1 else f" (parts 1 to {up} are up)"
        line = f"didn't confirm {which}: {error}. *Part {up + 1} of {parts} may or may not be on {title}*{done}."
    line += f" Check the account on {title}, then say what you found: {mark} if {which} is there,"
    line += f" {again} if it isn't."
    if row.next_attempt_at is not None:
        lag = " (X's timeline can lag)" if title == "X" else ""
        line += f"\nThe bot is still looking for it on the account{lag}: next look {slack_date(row.next_attempt_at)}."
    return line


def errors_of(found: Sequence[Delivery]) -> str:
    """The error of a card's one line: its network's; of several (a deletion, told in one line), each network's,
    named by it when more than one has one."""
    errors = [(d.network, d.last_error) for d in found if d.last_error]
    if len(errors) == 1:
        return errors[0][1] or ""
    return " · ".join(f"{title_of(network)}: {error}" for network, error in errors)


def _clip(text: str) -> str:
    return text if len(text) <= ERROR_LIMIT else text[: ERROR_LIMIT - 1] + "…"
