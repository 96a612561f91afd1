"""Issue 12, items 2 and 3 where they meet: one brand on X, Bluesky and Mastodon, from a brands file, served by the
real app over signed HTTP, each network its own stand-in driven by its own unpatched SDK.

One approval makes three deliveries. X answers 500 after it created the post: its delivery goes unknown and is found
on the timeline; Bluesky and Mastodon each get the post once; nothing is sent twice, and the writer's thread links
every network's post."""

from __future__ import annotations

from sqlmodel import select

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from storage.models import Draft, Status
from tests.e2e.harness import OWNER, WRITER, Harness
from tests.e2e.three_networks import CHANNEL, LINE, deliveries, wait_until


def test_one_approval_posts_once_on_each_network_and_x_is_reconciled_after_a_500(
    three: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    bluesky, mastodon = networks
    text = "Fresh beans are in: Ethiopia Guji, roasted Tuesday."
    ts, response = three.driver.message(WRITER, text, CHANNEL)
    assert response.status_code == 200
    card = three.card(OWNER, containing="Ethiopia Guji")
    three.x.fail("POST /2/tweets", status=500, record_anyway=True)  # X made the post, then answered 500

    three.click(card, "Approve", OWNER)

    final = f"{text}\n\n{LINE}"
    [x_post] = three.x.wait_for_posts(1)
    assert x_post.text == final
    wait_until(lambda: len(bluesky.posts()) == 1 and len(mastodon.live_statuses()) == 1, timeout=10)
    assert [p.value["text"] for p in bluesky.posts()] == [final]
    assert [s.text for s in mastodon.live_statuses()] == [final]
    wait_until(lambda: {d.status for d in deliveries(three).values()} == {Status.PUBLISHED}, timeout=15)

    found = deliveries(three)
    assert set(found) == {"x", "bluesky", "mastodon"}
    assert found["x"].post_ids == [x_post.id]  # found on X's timeline, not posted again
    assert len(three.x.live_posts()) == 1 and len(bluesky.posts()) == 1 and len(mastodon.live_statuses()) == 1
    assert [r.status for r in three.x.requests if r.route == "POST /2/tweets"] == [500]  # sent once, answered 500
    assert len(mastodon.requests_to("POST /api/v1/statuses")) == 1
    assert len(bluesky.calls("com.atproto.repo.createRecord")) == 1
    uncertain = [a for a in three.audit() if a.action == "publish_uncertain"]
    assert len(uncertain) == 1 and (uncertain[0].detail or "").startswith("x: "), uncertain  # X's, and only X's
    with three.store.read() as tx:
        [draft] = tx.session.exec(select(Draft)).all()
    assert draft.status == Status.PUBLISHED and draft.brand == "acme"
    three.settle()
    replies = " ".join(m.text for m in three.slack.thread(CHANNEL, ts))
    for link in (found["x"].post_url, found["bluesky"].post_url, found["mastodon"].post_url):
        assert link and link in replies, (link, replies)
