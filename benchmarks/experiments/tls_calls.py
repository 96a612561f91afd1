"""What one slack_sdk call costs its thread over TLS, with a new connection per call and with a kept one.

Real Slack is HTTPS, so a connection per call is a TLS handshake per call; the sandboxes speak plain HTTP, so
cost.py's client part only shows the TCP part. Here the Slack sandbox's answers are served over TLS on loopback
(a self-signed certificate made with the `openssl` command, trusted through SSL_CERT_FILE), and the same WebClient
calls `chat.postMessage` --calls times through urllib's default opener (a connection per call, as slack_sdk does
on its own) and through bot.slack_http's kept connections, alternating in blocks so both see the same machine.
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
from bot.slack_http import KeptConnections


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
        os.environ["SSL_CERT_FILE"] = str(cert)  # both urllib's context and bot.slack_http's trust it
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server = _Server(("127.0.0.1", 0), slack)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"https://127.0.0.1:{server.server_address[1]}/api/"
        client = WebClient(token=slack.bot_token, base_url=url)
        kept = KeptConnections()
        kept.keep(url)
        openers = {"new connection per call": urllib.request.build_opener(), "kept": urllib.request.build_opener(kept)}
        samples: dict[str, list[float]] = {name: [] for name in openers}
        for _ in range(args.blocks):
            for name, opener in openers.items():
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
