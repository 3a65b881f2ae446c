"""Timing admin pages: shared by the console and outbox list benchmarks."""

import datetime as dt
import os
import statistics
import time
from typing import NamedTuple

from django.db import connection
from django.test.utils import CaptureQueriesContext

LIST_ROWS = int(os.environ.get("BENCH_LIST_ROWS", "1000000"))


def created_at_window(start: dt.datetime, end: dt.datetime) -> str:
    """The query string of unfold's date-time range filter on `created_at`."""
    return (
        f"created_at_from_0={start:%Y-%m-%d}&created_at_from_1={start:%H:%M:%S}"
        f"&created_at_to_0={end:%Y-%m-%d}&created_at_to_1={end:%H:%M:%S}"
    )


class PageTiming(NamedTuple):
    ms: float
    queries: int
    sql_ms: float


def timed(client, url: str, repeat: int = 5, *, no_count_on: str | None = "") -> PageTiming:
    """Median wall and SQL time of a page, and its query count.

    `no_count_on`: fail on any `COUNT(` ("" = on any table, a name = on that table, None =
    allowed, for pages such as the dashboard whose figures are counts).
    """
    client.get(url)  # warm caches and plans
    samples, sql, queries = [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, url
        queries = len(captured)
        sql.append(sum(float(q["time"]) for q in captured.captured_queries) * 1000)
        if no_count_on is not None:
            counts = [
                q["sql"]
                for q in captured.captured_queries
                if "COUNT(" in q["sql"].upper() and no_count_on in q["sql"]
            ]
            assert not counts, (url, counts)
    return PageTiming(statistics.median(samples), queries, statistics.median(sql))
