"""Files in the sandbox workspace, served like Slack serves `url_private`.

- `add(name, data)` returns the `files[]` entry a `file_share` message carries (id, name, mimetype, filetype,
  size, url_private, url_private_download, original_w/h, thumb_360, …): what the tests attach to a message.
- GET of `url_private` with `Authorization: Bearer <bot token>` answers the bytes; without it (or with a wrong
  token) Slack answers its HTML sign-in page **with status 200**, as the real one does; a deleted file 404s.
- `replace` swaps a file's bytes under the same id (a stand-in for "what Slack has is not what was approved").
"""

from __future__ import annotations

import io
import mimetypes
import threading
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from bot.sandbox.http_base import Reply, Request

PREFIX = "/files-pri/"
LOGIN_PAGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><meta charset="utf-8"><title>Slack</title></head>'
    b'<body><h1>Sign in to Acme</h1><form action="/signin" method="post"></form></body></html>'
)


@dataclass
class StoredFile:
    id: str
    name: str
    data: bytes
    mimetype: str
    filetype: str
    deleted: bool = False
    downloads: int = 0
    width: int | None = None
    height: int | None = None
    headers_seen: list[dict[str, str]] = field(default_factory=list)


class SlackFiles:
    def __init__(self, token: str, team_id: str) -> None:
        self.token = token
        self.team_id = team_id
        self.base = ""  # set by the server once it knows its port
        self.files: dict[str, StoredFile] = {}
        self.scope_granted = True  # False: as for an app installed without `files:read`, every file is the sign-in page
        self._lock = threading.Lock()
        self._next = 0

    def reset(self) -> None:
        with self._lock:
            self.files.clear()
            self.scope_granted = True

    def add(self, name: str, data: bytes, mimetype: str | None = None) -> dict[str, object]:
        """Store a file as if a writer uploaded it; returns its `files[]` entry."""
        mime = mimetype or mimetypes.guess_type(name)[0] or "application/octet-stream"
        width = height = None
        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except (UnidentifiedImageError, OSError):
            pass
        with self._lock:
            self._next += 1
            file_id = f"F0{self._next:08d}"
            stored = StoredFile(file_id, name, data, mime, name.rsplit(".", 1)[-1].lower(), width=width, height=height)
            self.files[file_id] = stored
        return self.entry(file_id)

    def entry(self, file_id: str) -> dict[str, object]:
        stored = self.files[file_id]
        url = f"{self.base.rstrip('/')}{PREFIX}{self.team_id}-{stored.id}/{stored.name}"
        entry: dict[str, object] = {
            "id": stored.id,
            "created": 1763800000,
            "timestamp": 1763800000,
            "name": stored.name,
            "title": stored.name,
            "mimetype": stored.mimetype,
            "filetype": stored.filetype,
            "pretty_type": stored.filetype.upper(),
            "user": "U0WRITER",
            "mode": "hosted",
            "editable": False,
            "is_external": False,
            "external_type": "",
            "size": len(stored.data),
            "url_private": url,
            "url_private_download": url.replace(f"/{stored.name}", f"/download/{stored.name}"),
            "permalink": f"https://acme.slack.com/files/U0WRITER/{stored.id}/{stored.name}",
            "is_public": True,
        }
        if stored.width is not None:
            entry.update({"original_w": stored.width, "original_h": stored.height, "thumb_360": url + "?thumb=360"})
        return entry

    def delete(self, file_id: str) -> None:
        with self._lock:
            self.files[file_id].deleted = True

    def replace(self, file_id: str, data: bytes) -> None:
        with self._lock:
            self.files[file_id].data = data

    def known(self, file_id: str) -> bool:
        stored = self.files.get(file_id)
        return stored is not None and not stored.deleted

    def downloads(self, file_id: str) -> int:
        with self._lock:
            return self.files[file_id].downloads

    def serve(self, request: Request) -> Reply:
        rest = request.path[len(PREFIX) :]
        ref = rest.split("/", 1)[0]
        file_id = ref.removeprefix(f"{self.team_id}-")
        header = request.headers.get("authorization", "")
        with self._lock:
            stored = self.files.get(file_id)
            if header != f"Bearer {self.token}" or not self.scope_granted:
                return Reply(200, LOGIN_PAGE, {"Content-Type": "text/html; charset=utf-8"})
            if stored is None or stored.deleted:
                return Reply(404, b"Not Found", {"Content-Type": "text/plain"})
            stored.downloads += 1
            return Reply(200, stored.data, {"Content-Type": stored.mimetype})
