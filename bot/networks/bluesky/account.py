"""A brand's Bluesky account behind `bot.networks.base.Account`, through the atproto SDK, unpatched.

Signs in with an app password (com.atproto.server.createSession). A post is `com.atproto.repo.createRecord` of an
`app.bsky.feed.post` at a record key (a TID) chosen before the call: a repeat of the same create lands on the same
key, and the PDS answers that with a bare 500 (its MST refuses a second value at a key), so a 500 is followed by a
read of the key: the post is up if the record is there. `find` is that read: exact, no timeline search.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from atproto_client import exceptions as atx
from atproto_client import models
from PIL import Image, UnidentifiedImageError

from bot.networks.base import Check, Diagnosis, MediaLimits, Network, Posted, Verdict
from bot.networks.bluesky.errors import (
    PASSWORD_VAR,
    KeyTaken,
    MediaRefused,
    diagnose,
    error_name,
    password_fix,
    status_of,
)
from bot.networks.bluesky.facets import facets
from bot.networks.bluesky.limits import LIMITS
from bot.networks.bluesky.refs import POST_COLLECTION, PostRef, post_uri
from bot.networks.bluesky.session import BlueskySession
from bot.networks.bluesky.text_rules import BlueskyTextRules, graphemes
from bot.networks.bluesky.tid import new_tid

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://bsky.social"
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 5.0, 20.0
GET_POSTS_MAX = 25  # app.bsky.feed.getPosts takes at most 25 uris
# A post's link in the app: https://bsky.app/profile/<handle or DID>/post/<record key>
_POST_LINK = re.compile(r"https://(?:www\.)?bsky\.app/profile/([A-Za-z0-9._:%-]{1,253})/post/([A-Za-z0-9._:~-]{1,512})")
_LINK_TAIL = re.compile(r"[/?#]\S*")
# What a read can fail with: the SDK's errors, and the httpx errors it lets through (a connection closed unanswered).
UNREACHABLE = (atx.AtProtocolError, httpx.HTTPError)


class BlueskyAccount:
    network = Network.BLUESKY

    def __init__(
        self,
        handle: str,
        app_password: str,
        base_url: str = DEFAULT_BASE_URL,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
        *,
        password_var: str = PASSWORD_VAR,
        handle_var: str = "BLUESKY_HANDLE",
        langs: Sequence[str] = (),
    ) -> None:
        self.handle = handle.removeprefix("@").lower()
        self.password_var, self.handle_var, self.langs = password_var, handle_var, list(langs)
        self.base_url = base_url
        self.session = BlueskySession(self.handle, app_password, base_url, timeout)
        self._dids: dict[str, str | None] = {}

    # compose

    def rules(self) -> BlueskyTextRules:
        return BlueskyTextRules()

    def media_limits(self) -> MediaLimits:
        return LIMITS

    def new_key(self) -> str:
        return new_tid()

    # media

    def upload_media(self, data: bytes, mime: str, alt: str | None) -> str:
        """`com.atproto.repo.uploadBlob`; the handle is JSON of the blob ref with the alt text and aspect ratio,
        which Bluesky takes in the post's embed, not at upload."""
        self._check_media(data, mime, alt)
        out = self.session.call(lambda: self.client.com.atproto.repo.upload_blob(data, headers={"Content-Type": mime}))
        blob = out.blob.model_dump(mode="json", by_alias=True)
        image: dict[str, Any] = {"image": blob, "alt": alt or ""}
        ratio = _aspect_ratio(data)
        if ratio is not None:
            image["aspectRatio"] = ratio
        return json.dumps(image, separators=(",", ":"))

    def _check_media(self, data: bytes, mime: str, alt: str | None) -> None:
        limits = self.media_limits()
        if mime not in limits.mimes:
            allowed = ", ".join(sorted(m.removeprefix("image/").upper() for m in limits.mimes))
            raise MediaRefused(f"Bluesky takes {allowed} images, not {mime}")
        if len(data) > limits.image_bytes:
            raise MediaRefused(f"the image is {len(data):,} bytes; Bluesky takes at most {limits.image_bytes:,}")
        if alt and graphemes(alt) > limits.alt_limit:
            raise MediaRefused(f"the alt text is {graphemes(alt)} characters; Bluesky takes at most {limits.alt_limit}")

    # post

    def post(self, text: str, *, key: str, reply_to: str | None = None, media: Sequence[str] = ()) -> Posted:
        if len(media) > LIMITS.max_images:
            raise MediaRefused(f"{len(media)} images; Bluesky takes at most {LIMITS.max_images} in one post")
        did = self.session.did()
        record = self._record(text, reply_to, media)
        data = models.ComAtprotoRepoCreateRecord.Data(repo=did, collection=POST_COLLECTION, rkey=key, record=record)
        parent = PostRef.decode(reply_to) if reply_to else None
        try:
            out = self.session.call(lambda: self.client.com.atproto.repo.create_record(data))
        except atx.RequestException as exc:
            if status_of(exc) != 500:
                raise
            try:
                found = self._read(did, key)  # a 500 is what a key that holds a record already answers
            except UNREACHABLE:
                found = None
            if found is None:
                raise
            if found.value_text != text:
                raise KeyTaken(key) from exc
            return self._posted(found.uri, found.cid, parent)
        return self._posted(out.uri, out.cid, parent)

    def _record(self, text: str, reply_to: str | None, media: Sequence[str]) -> dict[str, Any]:
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": text, "createdAt": _now()}
        found = facets(text, self._resolve)
        if found:
            record["facets"] = found
        if self.langs:
            record["langs"] = self.langs
        if reply_to:
            parent = PostRef.decode(reply_to)
            record["reply"] = {"root": parent.root(), "parent": parent.strong()}
        if media:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [json.loads(m) for m in media]}
        return record

    def _posted(self, uri: str, cid: str, parent: PostRef | None) -> Posted:
        root = parent.root() if parent else None
        ref = PostRef(uri, cid, root["uri"] if root else None, root["cid"] if root else None)
        return Posted(ref.encode(), self.link(ref.encode()))

    def _resolve(self, handle: str) -> str | None:
        """A mention's DID (com.atproto.identity.resolveHandle), or None if the handle doesn't resolve."""
        handle = handle.lower()
        if handle not in self._dids:
            params = models.ComAtprotoIdentityResolveHandle.Params(handle=handle)
            try:
                self._dids[handle] = self.session.call(
                    lambda: self.client.com.atproto.identity.resolve_handle(params)
                ).did
            except atx.BadRequestError:
                self._dids[handle] = None
        return self._dids[handle]

    # reconcile, delete, metrics

    def find(self, key: str, text: str, since: datetime) -> str | bool | None:
        """The post at record key `key`: its id if it is there, False if the PDS says there is none."""
        try:
            did = self.session.did()
            found = self._read(did, key)
        except UNREACHABLE as exc:
            log.info("Bluesky can't say whether %s is up: %s", key, type(exc).__name__)
            return None
        if found is None:
            return False
        return PostRef(found.uri, found.cid).encode()

    def _read(self, did: str, key: str) -> _Found | None:
        params = models.ComAtprotoRepoGetRecord.Params(repo=did, collection=POST_COLLECTION, rkey=key)
        try:
            out = self.session.call(lambda: self.client.com.atproto.repo.get_record(params))
        except atx.BadRequestError as exc:
            if error_name(exc) == "RecordNotFound":
                return None
            raise
        value = out.value
        text = value.get("text") if isinstance(value, dict) else getattr(value, "text", None)
        return _Found(out.uri, str(out.cid), text, _root_of(value))

    def delete(self, post_id: str) -> bool:
        """`com.atproto.repo.deleteRecord`: the PDS answers `{commit}` when it deleted, `{}` when it was gone."""
        ref = PostRef.decode(post_id)
        data = models.ComAtprotoRepoDeleteRecord.Data(repo=ref.did, collection=POST_COLLECTION, rkey=ref.rkey)
        out = self.session.call(lambda: self.client.com.atproto.repo.delete_record(data))
        return out.commit is not None

    def metrics(self, post_ids: Sequence[str]) -> dict[str, dict[str, int]] | None:
        """app.bsky.feed.getPosts, 25 at a time, under the digest's names (X's: like_count, retweet_count…)."""
        by_uri = {PostRef.decode(p).uri: p for p in post_ids}
        found: dict[str, dict[str, int]] = {}
        try:
            uris = list(by_uri)
            for start in range(0, len(uris), GET_POSTS_MAX):
                params = models.AppBskyFeedGetPosts.Params(uris=uris[start : start + GET_POSTS_MAX])
                out = self.session.call(lambda params=params: self.client.app.bsky.feed.get_posts(params))
                for view in out.posts:
                    found[by_uri[view.uri]] = {
                        "like_count": view.like_count or 0,
                        "retweet_count": view.repost_count or 0,
                        "reply_count": view.reply_count or 0,
                        "quote_count": view.quote_count or 0,
                    }
        except UNREACHABLE as exc:
            log.info("Bluesky engagement unavailable: %s", type(exc).__name__)
            return None
        return found

    def link(self, post_id: str) -> str | None:
        session = self.session.current
        handle = session.handle if session is not None else self.handle
        return f"https://bsky.app/profile/{handle}/post/{PostRef.decode(post_id).rkey}"

    def post_id_from_link(self, link: str) -> str | None:
        """The post's id from its link in the app: the link names the account and the record key, the id is the
        record's uri and cid (a reply names its parent by both) and, for a thread's later part, its root's, all
        read from the record at that key. None for a link to another account's post, or to no post."""
        text = link.strip().strip("<>")
        match = _POST_LINK.match(text)
        if match is None or (text[match.end() :] and not _LINK_TAIL.fullmatch(text[match.end() :])):
            return None
        actor, rkey = match.group(1).lower(), match.group(2)
        did = self.session.did()
        session = self.session.current
        if actor not in {self.handle, did.lower(), (session.handle.lower() if session is not None else self.handle)}:
            return None
        found = self._read(did, rkey)
        if found is None:
            return None
        root = found.root if found.root and found.root["uri"] != found.uri else None
        return PostRef(found.uri, found.cid, *(root["uri"], root["cid"]) if root else ()).encode()

    def diagnose(self, exc: BaseException) -> Diagnosis:
        return diagnose(exc, password_var=self.password_var)

    # doctor

    def check(self) -> list[Check]:
        signed_in = f"Bluesky: sign in as @{self.handle} with the app password"
        try:
            session = self.session.login()
        except Exception as exc:  # every failure becomes a sentence for `doctor`
            return [Check(signed_in, False, self._sign_in_fix(exc))]
        checks = [Check(signed_in, True)]
        resolves = f"Bluesky: @{self.handle} resolves to the signed-in account ({session.did})"
        try:
            did = self._resolve_fresh(self.handle)
        except Exception as exc:
            return [*checks, Check(resolves, False, self.diagnose(exc).reason)]
        if did == session.did:
            return [*checks, Check(resolves, True)]
        fix = f"@{self.handle} resolves to {did or 'no account'}, but the app password signs in to {session.did}"
        if session.handle != self.handle:
            fix += f" (@{session.handle}): set {self.handle_var} to {session.handle}"
        else:
            fix += ": the handle's DNS or /.well-known/atproto-did record names another account; fix it there"
        return [*checks, Check(resolves, False, fix)]

    def _sign_in_fix(self, exc: BaseException) -> str:
        diagnosis = self.diagnose(exc)
        if "app password" in diagnosis.reason:
            return diagnosis.reason
        if diagnosis.verdict is Verdict.FAILED and isinstance(exc, atx.UnauthorizedError | atx.BadRequestError):
            return f"{diagnosis.reason}. {password_fix(self.password_var)}"
        return f"{diagnosis.reason}: check the network, and the Bluesky server address ({self.base_url})"

    def _resolve_fresh(self, handle: str) -> str | None:
        self._dids.pop(handle, None)
        return self._resolve(handle)

    @property
    def client(self) -> Any:
        return self.session.client


class _Found:
    __slots__ = ("cid", "root", "uri", "value_text")

    def __init__(self, uri: str, cid: str, value_text: str | None, root: dict[str, str] | None = None) -> None:
        self.uri, self.cid, self.value_text, self.root = uri, cid, value_text, root


def _root_of(value: Any) -> dict[str, str] | None:
    """The thread root a post's record replies under (`reply.root`: uri and cid), or None for a thread's first
    post. The SDK hands the record back as a model or as a dict, depending on whether it knows the type."""
    reply = value.get("reply") if isinstance(value, dict) else getattr(value, "reply", None)
    root = reply.get("root") if isinstance(reply, dict) else getattr(reply, "root", None)
    if isinstance(root, dict):
        uri, cid = root.get("uri"), root.get("cid")
    else:
        uri, cid = getattr(root, "uri", None), getattr(root, "cid", None)
    return {"uri": str(uri), "cid": str(cid)} if uri and cid else None


def _aspect_ratio(data: bytes) -> dict[str, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        return None
    return {"width": width, "height": height} if width and height else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = ["BlueskyAccount", "post_uri"]
