"""A brand on X, Bluesky and Mastodon, through the real app and the stand-ins: the approval card tells each network's
outcome on its own line and settles each network with its own buttons. X doesn't confirm the post (503, and it is
not on the account), Mastodon refuses the token (401), Bluesky takes it: the owner retries Mastodon alone, a second
click and another brand's approver change nothing, and marking X published sends nothing anywhere."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlmodel import select

from bot.networks.bluesky import BlueskyAccount
from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.sandbox.slack_api import Message
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.models import Delivery, Draft
from tests.e2e.harness import OWNER, OWNER2, WRITER, Harness, block_text, buttons
from tests.e2e.three_networks import CHANNEL, LINE, wait_until

SETTLE_X = ["Mark as published on X", "Publish again on X", "Cancel X"]


def deliveries(app: Harness) -> dict[str, Delivery]:
    with app.store.read() as tx:
        return {d.network: d for d in tx.session.exec(select(Delivery)).all()}


def status_on(app: Harness, network: str) -> str | None:
    """The network's delivery's status; None before the approval made it (the click is handled after its ack)."""
    found = deliveries(app).get(network)
    return found.status if found is not None else None


def the_draft(app: Harness) -> Draft:
    with app.store.read() as tx:
        [draft] = tx.session.exec(select(Draft)).all()
    return draft


def network_line(card: Message, network: str) -> str:
    return block_text([b for b in card.blocks if b.get("block_id") == f"{BlockId.CARD_NETWORK}.{network}"])


def approved_into_three_outcomes(app: Harness, mastodon: MastodonSandbox) -> Message:
    """X: 503 with no post on the account (unknown); Mastodon: 401 (failed); Bluesky: up. The card once it says so."""
    app.driver.message(WRITER, "Cold brew is back.", CHANNEL)
    card = app.card(OWNER, containing="Cold brew")
    app.x.fail("POST /2/tweets", status=503)
    mastodon.fail("POST /api/v1/statuses", status=401)
    app.click(card, "Approve", OWNER)
    wait_until(lambda: status_on(app, "x") == "unknown", timeout=10)
    return app.wait_card(card, lambda m: buttons(m) == [*SETTLE_X, "Retry Mastodon"], timeout=10)


def test_the_card_tells_each_networks_outcome_and_retry_mastodon_sends_it_there_alone(
    three: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    bluesky, mastodon = networks
    card = approved_into_three_outcomes(three, mastodon)
    found = deliveries(three)
    assert {n: d.status for n, d in found.items()} == {"x": "unknown", "bluesky": "published", "mastodon": "failed"}
    x_line, bsky_line, mastodon_line = (network_line(card, n) for n in ("x", "bluesky", "mastodon"))
    assert "*X* didn't confirm the post" in x_line and "503" in x_line and "Check the account on X" in x_line
    assert bsky_line == f":white_check_mark: *Bluesky*: published: <{found['bluesky'].post_url}|view on Bluesky>"
    assert "*Mastodon*: publishing failed" in mastodon_line and "*Retry Mastodon*" in mastodon_line
    order = [b.get("block_id") for b in card.blocks]
    assert order.index(f"{BlockId.CARD_NETWORK}.x") < order.index(f"{BlockId.CARD_NETWORK}.bluesky")
    assert order.index(f"{BlockId.CARD_NETWORK}.bluesky") < order.index(f"{BlockId.CARD_NETWORK}.mastodon")

    three.click(card, "Retry Mastodon", OWNER)
    wait_until(lambda: len(mastodon.live_statuses()) == 1, timeout=10)
    assert [s.text for s in mastodon.live_statuses()] == [f"Cold brew is back.\n\n{LINE}"]
    shown = three.wait_card(card, lambda m: "view on Mastodon" in block_text(m.blocks), timeout=10)
    assert buttons(shown) == SETTLE_X  # X's question is still open, and only X's
    found = deliveries(three)
    assert (found["x"].status, found["mastodon"].status) == ("unknown", "published")
    [retry] = [a for a in three.audit() if a.action == "retry"]
    assert (retry.actor_id, retry.detail) == (OWNER, "mastodon")
    three.settle()
    assert three.x.posts == [] and len(bluesky.posts()) == 1  # neither X nor Bluesky was sent anything by it
    assert len(mastodon.requests_to("POST /api/v1/statuses")) == 2  # the 401, then the retry


def test_a_second_click_on_a_networks_button_is_refused_and_sends_nothing(
    three: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    _, mastodon = networks
    card = approved_into_three_outcomes(three, mastodon)
    stale = three.fresh(card)  # the card as it was: Retry Mastodon still on it
    three.click(card, "Retry Mastodon", OWNER)
    wait_until(lambda: status_on(three, "mastodon") == "published", timeout=10)

    response = three.driver.click(stale, "Retry Mastodon", OWNER)
    assert response.status_code == 200
    said = three.ephemeral(OWNER, containing="already settled")
    assert "on Mastodon" in said and "Nothing was changed" in said
    draft = the_draft(three)
    refused = [a for a in three.audit() if a.action == "refused_already_decided"]
    assert [a.detail for a in refused] == [f"{draft.id}:{draft.version}:mastodon"]
    three.settle()
    assert len(mastodon.live_statuses()) == 1 and three.x.posts == []


def test_three_concurrent_clicks_on_retry_mastodon_send_it_once(
    three: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    _, mastodon = networks
    card = three.fresh(approved_into_three_outcomes(three, mastodon))
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda _: three.driver.click(card, "Retry Mastodon", OWNER), range(3)))
    assert [r.status_code for r in responses] == [200, 200, 200]
    told = three.slack.wait_for(
        lambda s: len(found := [e for e in s.ephemerals(OWNER) if "already settled" in e.text]) >= 2 and found
    )
    assert len(told) == 2
    wait_until(lambda: status_on(three, "mastodon") == "published", timeout=10)
    three.settle()
    assert len([a for a in three.audit() if a.action == "retry"]) == 1
    assert len(mastodon.live_statuses()) == 1 and len(mastodon.requests_to("POST /api/v1/statuses")) == 2
    assert three.x.posts == []


def test_another_brands_approver_cant_settle_a_network_and_marking_x_sends_nothing(
    three: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    bluesky, mastodon = networks
    card = approved_into_three_outcomes(three, mastodon)

    three.driver.click(three.fresh(card), "Publish again on X", OWNER2)  # South's approver, on Acme's card
    said = three.ephemeral(OWNER2, containing="belongs to another brand")
    assert "Acme Coffee" in said
    [refused] = [a for a in three.audit() if a.action == "refused_other_brand"]
    draft = the_draft(three)
    assert (refused.actor_id, refused.detail) == (OWNER2, f"{draft.id}:{draft.version}:x")
    assert status_on(three, "x") == "unknown"

    three.click(card, "Mark as published on X", OWNER)
    wait_until(lambda: status_on(three, "x") == "published", timeout=10)
    shown = three.wait_card(card, lambda m: "marked as published after a check on X" in block_text(m.blocks))
    assert buttons(shown) == ["Retry Mastodon"]  # Mastodon's failure is still Mastodon's to settle
    assert the_draft(three).status == "failed"  # none in flight, one failed
    [marked] = [a for a in three.audit() if a.action == "marked_published"]
    assert (marked.actor_id, marked.detail) == (OWNER, "x")
    three.settle()
    assert three.x.posts == [] and len(bluesky.posts()) == 1 and mastodon.live_statuses() == []


def test_mark_as_published_on_a_bluesky_thread_part_takes_its_bluesky_link_and_the_rest_replies_to_it(
    three: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    """Bluesky answered 500 for part 2 and has no record at its key: the owner posted part 2 by hand in the app,
    and gives its link; part 3 goes out as a reply to it, in the same thread. X and Mastodon are left alone."""
    bluesky, mastodon = networks
    three.driver.message(WRITER, "One: grind.\n---\nTwo: bloom.\n---\nThree: pour.", CHANNEL)
    card = three.card(OWNER, containing="One: grind")
    bluesky.fail("com.atproto.repo.createRecord", status=500, after=1)
    three.click(card, "Approve", OWNER)
    wait_until(lambda: status_on(three, "bluesky") == "unknown", timeout=10)
    card = three.wait_card(card, lambda m: "Mark as published on Bluesky" in buttons(m), timeout=10)
    assert "*Part 2 of 3 may or may not be on Bluesky* (part 1 is up)" in network_line(card, "bluesky")
    wait_until(lambda: {d.status for n, d in deliveries(three).items() if n != "bluesky"} == {"published"}, 10)
    first_id = (deliveries(three)["bluesky"].post_ids or [])[0]
    by_hand = BlueskyAccount(bluesky.user_handle, bluesky.app_password, base_url=bluesky.url)
    second = by_hand.post("Two: bloom.", key=by_hand.new_key(), reply_to=first_id)

    three.click(card, "Mark as published on Bluesky", OWNER)
    form = three.modal(CallbackId.MARK_PART)
    assert form.private_metadata.endswith(":bluesky")
    assert "Link to part 2 of 3 on Bluesky" in block_text(form.blocks)
    refused = three.submit(form, {BlockId.PART_LINK: {InputId.LINK: three.x.link_of(0)}})
    assert "a post of this account on Bluesky" in str(refused.json()["errors"])
    # Bluesky slow to answer the record's read: the form is answered before Slack's 3 s, saying so, and nothing moves.
    bluesky.hang("com.atproto.repo.getRecord", seconds=5, record_anyway=True)
    slow = three.submit(form, {BlockId.PART_LINK: {InputId.LINK: second.link or ""}})
    assert "Bluesky couldn't be asked about that post just now" in str(slow.json()["errors"])
    assert status_on(three, "bluesky") == "unknown" and len(bluesky.posts()) == 2
    assert three.submit(form, {BlockId.PART_LINK: {InputId.LINK: second.link or ""}}).status_code == 200

    wait_until(lambda: status_on(three, "bluesky") == "published", timeout=10)
    one, two, part_three = bluesky.posts()
    assert [p.text for p in (one, two)] == ["One: grind.", "Two: bloom."]
    assert part_three.text == f"Three: pour.\n\n{LINE}"
    assert part_three.value["reply"]["parent"]["uri"] == two.uri  # replies to the part the owner gave
    assert part_three.value["reply"]["root"]["uri"] == one.uri  # in the same thread
    [marked] = [a for a in three.audit() if a.action == "marked_part_published"]
    assert (marked.detail or "").startswith("bluesky: part 2 of 3 is post ")
    three.settle()
    assert len(three.x.posts) == 3 and len(mastodon.live_statuses()) == 3  # each thread sent once
