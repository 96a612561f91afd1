"""What Bluesky accepts in one post, from the lexicons and the app.

- `app.bsky.embed.images`: at most 4 images; each blob `accept: image/*`, `maxSize: 2000000` bytes (raised from
  1,000,000 in April 2026, bluesky-social/atproto #4823).
- Alt text: the lexicon sets no maximum; the Bluesky app stops at 1000 (social-app `MAX_ALT_TEXT`), so we do.
- Mime types: the PDS takes any `image/*`, but the app shows JPEG, PNG and WebP as they are (a GIF shows as a
  still), so those three.
- `com.atproto.repo.uploadBlob` itself refuses bodies over the PDS's `blobUploadLimit` (5 MiB by default) with
  413 `PayloadTooLarge`; an image between 2 MB and that uploads, and the post is then refused.
"""

from __future__ import annotations

from bot.networks.base import MediaLimits

MAX_IMAGES = 4
IMAGE_BYTES = 2_000_000
ALT_LIMIT = 1000
MIMES = frozenset({"image/jpeg", "image/png", "image/webp"})

LIMITS = MediaLimits(max_images=MAX_IMAGES, image_bytes=IMAGE_BYTES, alt_limit=ALT_LIMIT, mimes=MIMES)
