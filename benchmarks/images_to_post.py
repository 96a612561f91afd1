"""Approve → post for a draft with 4 images: the click to the `POST /2/tweets` that carries their media ids.

Runs the real app (`python -m bot run --http`, its own process; `--in-process` for `start_http` here) against the
sandboxes on loopback. Each draft carries 4 PNGs of random pixels (`--image-kb` each, default 500: a phone photo
resized for social), so the measured path is the whole of publishing with images: fetch each file from Slack's
`url_private` again, check its sha256, `POST /2/media/upload` (multipart), `POST /2/media/metadata` (alt text),
then create. One draft at a time; the app is left idle between drafts.

Goal (issue 10): p50 under 500 ms at the sandbox.

    python benchmarks/images_to_post.py [--drafts 30] [--warmup 3] [--image-kb 500] [--database-url …] [--in-process]
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import random
import time
from pathlib import Path

import harness
from draft_to_card import app
from PIL import Image

from bot.runtime.demo import OWNER, SIGNING_SECRET, WRITER
from bot.sandbox import SlackDriver

GOAL_MS = 500.0


def photo(kb: int, seed: int) -> bytes:
    side = int((kb * 1024 / 3) ** 0.5)
    rng = random.Random(seed)
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), rng.randbytes(side * side * 3)).save(out, format="PNG", compress_level=1)
    return out.getvalue()


def measure(drafts: int, warmup: int, kb: int, database_url: str, in_process: bool) -> dict[str, list[float]]:
    logging.getLogger().setLevel(logging.ERROR)
    samples: dict[str, list[float]] = {"approve_to_post": [], "draft_to_card": [], "first_upload": []}
    with (
        harness.workdir("images-bench-") as folder,
        harness.start_sandbox() as sandbox,
        harness.database(database_url, folder) as url,
        app(sandbox, url, folder, in_process) as base,
    ):
        driver = SlackDriver(f"{base}/slack/events", SIGNING_SECRET)
        cards = harness.Tally(sandbox.slack, harness.is_card)
        pictures = [photo(kb, seed) for seed in range(4)]
        for i in range(warmup + drafts):
            files = [sandbox.slack.add_file(f"photo-{i}-{n}.png", data) for n, data in enumerate(pictures)]
            marker = f"Four photos, draft {i}."
            text = marker + "".join(f"\nalt: Photo {n + 1} of draft {i}" for n in range(4))
            started = time.perf_counter()
            driver.message(WRITER, text, "C0DRAFTS", files=files)
            [*_, card_call] = cards.wait_for(i + 1, timeout=30)
            card = sandbox.slack.message(card_call.response["channel"], card_call.response["ts"])
            harness.quiesce(sandbox, quiet_s=0.15)
            uploads_before = len([r for r in sandbox.x.requests if r.route == "POST /2/media/upload"])
            clicked = time.perf_counter()
            driver.click(card, "Approve", OWNER)
            post = sandbox.x.wait_until(
                lambda m=marker: next(
                    (
                        r
                        for r in sandbox.x.requests
                        if r.route == "POST /2/tweets" and m in str((r.json or {}).get("text"))
                    ),
                    None,
                ),
                timeout=30,
            )
            media_ids = (post.json or {}).get("media", {}).get("media_ids", [])
            if len(media_ids) != 4:
                raise RuntimeError(f"draft {i} posted with {len(media_ids)} media ids")
            first_upload = [r for r in sandbox.x.requests if r.route == "POST /2/media/upload"][uploads_before]
            harness.quiesce(sandbox, quiet_s=0.15)
            if i >= warmup:
                samples["approve_to_post"].append(post.at - clicked)
                samples["draft_to_card"].append(card_call.at - started)
                samples["first_upload"].append(first_upload.at - clicked)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drafts", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--image-kb", type=int, default=500, help="size of each of the 4 PNGs")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    harness.print_machine(args.database_url or None, 0.0)
    samples = measure(args.drafts, args.warmup, args.image_kb, args.database_url, args.in_process)
    where = "in-process start_http" if args.in_process else "python -m bot run --http"
    db = (args.database_url or "sqlite").split(":")[0].split("+")[0]
    print(f"{args.drafts} drafts of 4 x {args.image_kb} KB PNGs, one at a time ({where}, {db})")
    titles = {
        "approve_to_post": "Approve click → POST /2/tweets (4 media ids)",
        "first_upload": "Approve click → first POST /2/media/upload",
        "draft_to_card": "draft event → card (4 files fetched, checked)",
    }
    rows, summary = [], {}
    for key, title in titles.items():
        s = summary[key] = harness.ms_summary(samples[key])
        verdict = (
            (f"p50 < {GOAL_MS:.0f} ms: " + ("met" if s["p50"] < GOAL_MS else "missed"))
            if key == "approve_to_post"
            else "-"
        )
        rows.append(
            [title, str(s["n"]), f"{s['p50']:.1f}", f"{s['p90']:.1f}", f"{s['p99']:.1f}", f"{s['max']:.1f}", verdict]
        )
    print(harness.table(["path", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "goal"], rows))
    if args.json:
        args.json.write_text(json.dumps({"summary": summary}, indent=2))


if __name__ == "__main__":
    main()
