"""The framework's floor: a bare Bolt app that only acks, served the way Countersign is served.

waitress with the same number of threads, slack_bolt.adapter.wsgi, the same signing secret and the same Bolt
settings Countersign uses (`process_before_response=False`, a 16-thread listener pool, a WebClient for the
single-workspace authorization, request verification on). One listener per kind of request the benchmarks send
(message events, any block action) whose only work is `ack()`. GET /healthz answers 200 like Countersign's.

Reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET and SLACK_API_URL from the environment (as Countersign does).

    python benchmarks/bolt_floor.py --port 3100 [--process-before-response]
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress.server import create_server

from bot.runtime.server import SERVER_THREADS
from bot.runtime.services import LISTENER_THREADS


def build(process_before_response: bool) -> App:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"], timeout=10)
    app = App(
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=client,
        process_before_response=process_before_response,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
        logger=logging.getLogger("floor.bolt"),
    )

    @app.event("message")
    def on_message(ack: Ack) -> None:
        ack()

    @app.action(re.compile(".*"))
    def on_action(ack: Ack) -> None:
        ack()

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3100)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--process-before-response",
        action="store_true",
        help="run the listener on the request thread (Bolt then needs no ack polling); Countersign doesn't",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    slack = SlackRequestHandler(build(args.process_before_response))

    def application(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "11")])
            return [b'{"ok":true}']
        return slack(environ, start_response)

    server = create_server(application, host=args.host, port=args.port, threads=SERVER_THREADS, ident="floor")
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    threading.Thread(target=server.run, daemon=True).start()
    done.wait()
    server.close()


if __name__ == "__main__":
    main()
