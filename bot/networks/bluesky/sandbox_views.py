"""The AppView's shapes the stand-in answers with: `app.bsky.feed.defs#postView`, `…actor.defs#profileViewDetailed`.

Only what the SDK's models require and what the account reads: counts (likeCount, repostCount, replyCount,
quoteCount), the author, the record as stored, and an images embed view whose thumb/fullsize are CDN URLs.
"""

from __future__ import annotations

from typing import Any


def post_view(
    uri: str,
    cid: str,
    value: dict[str, Any],
    indexed_at: str,
    counts: dict[str, int],
    author: dict[str, str],
    base_url: str,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#postView",
        "uri": uri,
        "cid": cid,
        "author": {**author, "labels": [], "createdAt": "2024-01-01T00:00:00.000Z"},
        "record": value,
        "replyCount": counts.get("reply", 0),
        "repostCount": counts.get("repost", 0),
        "likeCount": counts.get("like", 0),
        "quoteCount": counts.get("quote", 0),
        "indexedAt": indexed_at,
        "labels": [],
    }
    embed = value.get("embed") or {}
    if embed.get("$type") == "app.bsky.embed.images":
        did = author["did"]
        images = []
        for image in embed.get("images", []):
            link = image["image"]["ref"]["$link"]
            shown = {
                "thumb": f"{base_url}/img/feed_thumbnail/plain/{did}/{link}@jpeg",
                "fullsize": f"{base_url}/img/feed_fullsize/plain/{did}/{link}@jpeg",
                "alt": image.get("alt", ""),
            }
            if "aspectRatio" in image:
                shown["aspectRatio"] = image["aspectRatio"]
            images.append(shown)
        view["embed"] = {"$type": "app.bsky.embed.images#view", "images": images}
    return view


def profile_view(did: str, handle: str, display_name: str, posts: int) -> dict[str, Any]:
    return {
        "did": did,
        "handle": handle,
        "displayName": display_name,
        "followersCount": 0,
        "followsCount": 0,
        "postsCount": posts,
        "indexedAt": "2024-01-01T00:00:00.000Z",
        "createdAt": "2024-01-01T00:00:00.000Z",
        "labels": [],
    }
