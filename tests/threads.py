"""One body run in several threads at once, each on its own database connection."""

import threading

from django.db import connections


def run_together(count: int, body) -> None:
    """Run `body()` in `count` threads released together by a barrier, so that their database
    writes race; each closes its connections when done. Fails with what any thread raised."""
    barrier = threading.Barrier(count)
    errors = []

    def worker():
        try:
            barrier.wait()
            body()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
