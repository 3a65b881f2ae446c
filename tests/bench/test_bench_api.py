"""The JSON API near the framework's ceiling (issue 21, item 3): short-text summaries per
second and p95 latency, ours with rate limits and the interaction log on, against a minimal
django-ninja endpoint in the same project that does the same persistent work with neither
(tests/bench/peers/ninja_api.py: the key authenticated with one query, the completed request
row inserted and its characters charged in one transaction).

One gunicorn (DEBUG=0, 2 sync workers, the benchmark's settings: the peer is mounted only
there) serves both on the durable PostgreSQL and Redis of `make bench`, with production's
API settings (API_INTERACTION_LOG=1, rate limits counted per key in Redis: the Business plan's
limit is raised so the benchmark is never refused, every call still counts). Each round sends
BENCH_API_CALLS (2,000) POST requests (~300-character texts, each mode in turn) from 4 client
threads with keep-alive to one contender, then the other (the order rotates); figures are
medians over the rounds, p95 taken per round. After each of our rounds the clock is stopped
and the benchmark waits, unclocked, until our interaction log holds every call, so our
buffered writes never land in the peer's round.
"""

import logging
import os
import statistics
import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.utils import timezone

from apps.analytics.models import InteractionLog
from apps.api.keys import api_key_create
from tests.bench.environment import production_env
from tests.bench.harness import Series, alternate, record, wait_for
from tests.conftest import ROOT
from tests.factories import make_organization, make_plan, make_user
from tests.servers import free_port, wait_for_port

CALLS = int(os.environ.get("BENCH_API_CALLS", "2000"))
CLIENTS = 4
MODES = ["brief", "detailed", "bullet_points", "executive"]
TEXT = (
    "The queue keeps the jobs until a worker is free. Workers send the email and record it. "
    "The console shows every job, every email and every quota. Customers call the API with "
    "a key. Each call is counted against the monthly characters of the plan."
)
PATHS = {"ours": "/api/v1/summaries", "ninja": "/bench-peer/summaries"}
P95_TARGET = 1.5  # ours at most 1.5 times the peer's p95
pytestmark = pytest.mark.django_db(transaction=True)


def start_server(tmp_path):
    port = free_port()
    env = production_env(
        DJANGO_SETTINGS_MODULE="tests.bench.settings",
        EMAIL_PROVIDER="file",
        LOG_LEVEL="WARNING",
        API_RATE_BUSINESS="100000000/m",
        API_INTERACTION_LOG="1",
        RATELIMIT_ENABLE="1",
        VAR_DIR=str(tmp_path / "var"),
    )
    command = ["gunicorn", "project.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    process = subprocess.Popen(
        [sys.executable, "-m", *command, "--error-logfile", str(tmp_path / "gunicorn.log")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, timeout=30)
    return process, f"http://127.0.0.1:{port}"


def run_round(url: str, key: str, calls: int) -> tuple[float, list[float]]:
    """Throughput (calls/s) and every call's latency (s), CLIENTS threads sharing `calls`."""
    latencies: list[float] = []
    lock, counter = threading.Lock(), iter(range(calls))
    failures: list[str] = []

    def client() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(headers=headers, timeout=120) as http:
            for n in counter:
                body = {"mode": MODES[n % 4], "text": f"{n}. {TEXT}"}
                started = time.perf_counter()
                response = http.post(url, json=body)
                elapsed = time.perf_counter() - started
                if response.status_code != 201 or response.json()["status"] != "completed":
                    failures.append(f"{response.status_code} {response.text[:300]}")
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    assert not failures, failures[:3]
    return calls / seconds, latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000


@pytest.fixture(autouse=True)
def quiet_client():
    """httpx logs every request at INFO: thousands of lines a round, paid by the clients."""
    logger = logging.getLogger("httpx")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def test_api_short_summaries_ours_with_limits_and_log_vs_a_minimal_ninja_endpoint(tmp_path):
    user = make_user(email_verified_at=timezone.now())
    organization = make_organization(plan=make_plan("business", 10**12, "199"), owner=user)
    key = api_key_create(organization=organization, name="bench", user=user)[1]
    process, base = start_server(tmp_path)
    latency: dict[str, list[float]] = {"ours": [], "ninja": []}
    logged = {"ours": 0}
    try:
        # The month's usage record exists before the peer's first call (ours creates it).
        first = httpx.post(
            base + PATHS["ours"],
            json={"mode": "brief", "text": TEXT},
            headers={"Authorization": f"Bearer {key}"},
        )
        assert first.status_code == 201, first.text
        logged["ours"] += 1

        def contender(name: str):
            def run(round_no: int) -> float:
                calls = CALLS if round_no else CALLS // 4
                throughput, latencies = run_round(base + PATHS[name], key, calls)
                if name == "ours":  # unclocked: our buffered log written before the next round
                    logged["ours"] += calls
                    wait_for(
                        lambda: InteractionLog.objects.count() >= logged["ours"],
                        timeout=30,
                        interval=0.05,
                        what="the interaction log",
                    )
                if round_no:
                    latency[name].append(p95(latencies))
                return throughput

            return run

        series = alternate(
            {"ours": contender("ours"), "ninja": contender("ninja")},
            label="API short texts",
            unit="summaries/s",
        )
    finally:
        process.terminate()
        process.wait(15)
    assert InteractionLog.objects.count() == logged["ours"]  # the peer logs nothing
    peer_name = "ninja: 1 key query + 1 txn"
    record(
        "API short-text summaries, limits + log on, vs a minimal ninja endpoint",
        ours=series["ours"],
        peer=series["ninja"],
        peer_name=peer_name,
        unit="summaries/s",
        target_ratio=0.8,
        note=f"{CALLS} calls/round, {CLIENTS} clients, gunicorn 2 workers, DEBUG=0",
    )
    p95s = {name: Series(name, "ms", samples) for name, samples in latency.items()}
    record(
        "API short-text p95 latency, limits + log on, vs a minimal ninja endpoint",
        ours=p95s["ours"],
        peer=p95s["ninja"],
        peer_name=peer_name,
        unit="ms",
        better="lower",
        target_ratio=1 / P95_TARGET,
        note=f"target: ours <= {P95_TARGET}x the peer's p95 (ratio >= {1 / P95_TARGET:.3g}x)",
    )
    print(f"\n  {series['ours']}\n  {series['ninja']}\n  {p95s['ours']}\n  {p95s['ninja']}")
