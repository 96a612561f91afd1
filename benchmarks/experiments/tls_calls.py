"""What one slack_sdk call costs its thread over TLS, with a new connection per call and with a kept one.

Real Slack is HTTPS, so a connection per call is a TLS handshake per call; the sandboxes speak plain HTTP, so
cost.py's client part only shows the TCP part. Here the Slack sandbox's answers are served over TLS on loopback
(a self-signed certificate made with the `openssl` command, added to the system's CA bundle through SSL_CERT_FILE,
so each new default context loads as many CAs as it would in production), and the same WebClient
calls `chat.postMessage` --calls times: as slack_sdk does on its own (urllib makes a connection, and a default TLS
context, per call), with one context given as `ssl` (a connection per call still), and through bot.slack.http's
kept connections; in alternating blocks, so all three see the same machine.
CPU is `time.thread_time()` of the calling thread (the server's threads don't count).

    python benchmarks/experiments/tls_calls.py --calls 300
"""

from __future__ import annotations

import argparse
import os
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from slack_sdk import WebClient

from bot.sandbox import SlackSandbox
from bot.sandbox.http_base import _Server
from bot.slack.http import KeptConnections


def self_signed(folder: Path) -> tuple[Path, Path]:
    key, cert = folder / "key.pem", folder / "cert.pem"
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    argv += ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"]
    argv += ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"]
    subprocess.run(argv, check=True, capture_output=True)
    return key, cert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--blocks", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackSandbox() as slack:
        key, cert = self_signed(Path(tmp))
        # The system's CA bundle plus ours, so a default context costs what it costs against real Slack (urllib
        # makes one per connection when slack_sdk's `ssl` is unset: OpenSSL reads the whole bundle each time).
        bundle = Path(tmp) / "bundle.pem"
        system = ssl.get_default_verify_paths().cafile
        bundle.write_bytes((Path(system).read_bytes() if system else b"") + cert.read_bytes())
        os.environ["SSL_CERT_FILE"] = str(bundle)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = _Server(("127.0.0.1", 0), slack)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"https://127.0.0.1:{server.server_address[1]}/api/"
        plain = WebClient(token=slack.bot_token, base_url=url)
        shared = WebClient(token=slack.bot_token, base_url=url, ssl=ssl.create_default_context())
        kept = KeptConnections()
        kept.keep(url)
        ways = {
            "new connection and new context per call (slack_sdk's default)": (plain, urllib.request.build_opener()),
            "new connection per call, one context (WebClient(ssl=...))": (shared, urllib.request.build_opener()),
            "kept connection (bot.slack.http)": (plain, urllib.request.build_opener(kept)),
        }
        samples: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(args.blocks):
            for name, (client, opener) in ways.items():
                urllib.request.install_opener(opener)
                client.chat_postMessage(channel="C0TLS", text="warm")
                for i in range(args.calls):
                    started = time.thread_time()
                    client.chat_postMessage(channel="C0TLS", text=f"call {i}")
                    samples[name].append(time.thread_time() - started)
        server.shutdown()
    for name, seconds in samples.items():
        print(f"{name}: median {1000 * statistics.median(seconds):.3f} CPU-ms per call ({len(seconds)} calls)")


if __name__ == "__main__":
    main()
