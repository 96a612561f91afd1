"""What a Bluesky `Posted.id` holds, opaque outside this folder: the record's AT-URI and CID (a reply names its
parent by both), and, for a thread's later parts, the thread root's too (a reply names the root as well)."""

from __future__ import annotations

from dataclasses import dataclass

POST_COLLECTION = "app.bsky.feed.post"


@dataclass(frozen=True)
class PostRef:
    uri: str
    cid: str
    root_uri: str | None = None
    root_cid: str | None = None

    def encode(self) -> str:
        parts = [self.uri, self.cid] + ([self.root_uri, self.root_cid] if self.root_uri and self.root_cid else [])
        return " ".join(parts)  # AT-URIs and CIDs hold no spaces

    @classmethod
    def decode(cls, post_id: str) -> PostRef:
        parts = post_id.split()
        if len(parts) not in (2, 4) or not parts[0].startswith("at://"):
            raise ValueError(f"not a Bluesky post id: {post_id!r}")
        return cls(*parts)

    @property
    def rkey(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    @property
    def did(self) -> str:
        return self.uri.removeprefix("at://").split("/", 1)[0]

    def strong(self) -> dict[str, str]:
        return {"uri": self.uri, "cid": self.cid}

    def root(self) -> dict[str, str]:
        """The thread's root: this post's root if it is a reply, else this post."""
        if self.root_uri and self.root_cid:
            return {"uri": self.root_uri, "cid": self.root_cid}
        return self.strong()


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/{POST_COLLECTION}/{rkey}"
