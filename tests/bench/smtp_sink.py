"""An SMTP sink in its own process: accepts every message and counts it (and its bytes) in
Redis, so the benchmark can see when the last email of a run has been written.

    python -m tests.bench.smtp_sink PORT REDIS_URL KEY_PREFIX

Its own process, so a sender in the benchmark's process does not share a GIL with it.
"""

import signal
import sys
import threading

import redis
from aiosmtpd.controller import Controller


class CountingHandler:
    def __init__(self, client: redis.Redis, prefix: str):
        self.client = client
        self.count_key = f"{prefix}:count"
        self.bytes_key = f"{prefix}:bytes"

    async def handle_DATA(self, server, session, envelope):
        pipe = self.client.pipeline(transaction=False)
        pipe.incr(self.count_key)
        pipe.incrby(self.bytes_key, len(envelope.content))
        pipe.execute()
        return "250 OK"


def main() -> None:
    port, url, prefix = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    controller = Controller(
        CountingHandler(redis.Redis.from_url(url), prefix),
        hostname="127.0.0.1",
        port=port,
        data_size_limit=0,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    controller.start()
    print(f"sink listening on 127.0.0.1:{port}", flush=True)
    stopped.wait()
    controller.stop()


if __name__ == "__main__":
    main()
