"""An SMTP sink in its own process: accepts every message and counts it (and its bytes) in
memory, and answers the counts over HTTP, so the benchmark can see when the last email of a
run has arrived. Nothing is done per message beyond the count: a sink that made a round trip
per message (it kept its counts in Redis) held back the one-connection peer more than us.

    python -m tests.bench.smtp_sink SMTP_PORT STATS_PORT

`GET /` on the stats port answers "count bytes"; `GET /?wait=N` answers once N emails have
arrived (or after `timeout` seconds), so a benchmark waits without polling; `POST /reset`
zeroes both. Its own process, so a sender in the benchmark's process does not share a GIL.
"""

import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller


class Counts:
    def __init__(self):
        self.count = self.bytes = 0
        self.lock = threading.Lock()
        self.reached = threading.Condition(self.lock)
        self.target = float("inf")  # the count a waiting request asked for

    def wait(self, target: int, timeout: float) -> None:
        with self.lock:
            self.target = target
            self.reached.wait_for(lambda: self.count >= target, timeout=timeout)
            self.target = float("inf")


class CountingHandler:
    def __init__(self, counts: Counts):
        self.counts = counts

    async def handle_DATA(self, server, session, envelope):
        counts = self.counts
        with counts.lock:
            counts.count += 1
            counts.bytes += len(envelope.content)
            if counts.count >= counts.target:  # woken once, not once a message
                counts.reached.notify_all()
        return "250 OK"


def stats_handler(counts: Counts) -> type:
    class Stats(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            if "wait" in query:
                counts.wait(int(query["wait"][0]), float(query.get("timeout", ["60"])[0]))
            self._answer(f"{counts.count} {counts.bytes}")

        def do_POST(self) -> None:
            with counts.lock:
                counts.count = counts.bytes = 0
            self._answer("0 0")

        def _answer(self, text: str) -> None:
            data = text.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Stats


def main() -> None:
    port, stats_port = int(sys.argv[1]), int(sys.argv[2])
    counts = Counts()
    controller = Controller(
        CountingHandler(counts), hostname="127.0.0.1", port=port, data_size_limit=0
    )
    stats = ThreadingHTTPServer(("127.0.0.1", stats_port), stats_handler(counts))
    threading.Thread(target=stats.serve_forever, daemon=True).start()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    controller.start()
    print(f"sink listening on 127.0.0.1:{port}, stats on {stats_port}", flush=True)
    stopped.wait()
    controller.stop()
    stats.shutdown()


if __name__ == "__main__":
    main()
