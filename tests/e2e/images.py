"""Small real image files for tests, made with Pillow (no binary fixtures in the repository)."""

from __future__ import annotations

import io
import random

from PIL import Image

# A PDF's first bytes: enough for anything that reads content (it is not an image).
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image(fmt: str = "PNG", size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 120, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt)
    return out.getvalue()


def noisy_png(at_least: int, seed: int = 7) -> bytes:
    """A PNG of random pixels (which don't compress) of at least `at_least` bytes."""
    side = int((at_least / 3) ** 0.5) + 16
    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(out, format="PNG", compress_level=0)
    return out.getvalue()


def gif(frames: int = 2) -> bytes:
    out = io.BytesIO()
    first, *rest = [Image.new("P", (32, 32), i * 40) for i in range(frames)]
    first.save(out, format="GIF", save_all=True, append_images=rest, duration=100, loop=0)
    return out.getvalue()
