"""The JSON API: short-text summaries/s and p95 latency, interaction logging and per-key rate
limiting on (as in production) versus both off, in the same run, A/B alternated.

Two gunicorn servers (DEBUG=0, 2 workers each) on the same PostgreSQL and Redis differ only in
API_INTERACTION_LOG and RATELIMIT_ENABLE. Each round sends BENCH_API_CALLS POST /api/v1/summaries
(~300-character texts, each mode in turn) from 4 client threads to one server, then the other
(the order rotates); figures are medians over the rounds.
"""

import os
import statistics
import subprocess
import sys
import threading
import time

import httpx
import pytest
from django.utils import timezone

from apps.api.keys import api_key_create
from tests.bench.harness import alternate, record
from tests.conftest import ROOT, subprocess_env
from tests.factories import make_organization, make_plan, make_user
from tests.servers import free_port, wait_for_port

CALLS = int(os.environ.get("BENCH_API_CALLS", "400"))
CLIENTS = 4
MODES = ["brief", "detailed", "bullet_points", "executive"]
TEXT = (
    "The queue keeps the jobs until a worker is free. Workers send the email and record it. "
    "The console shows every job, every email and every quota. Customers call the API with "
    "a key. Each call is counted against the monthly characters of the plan."
)
pytestmark = pytest.mark.django_db(transaction=True)


def start_server(tmp_path, name: str, on: bool):
    port = free_port()
    env = subprocess_env(
        DEBUG="0", SECRET_KEY="bench-" * 8, ALLOWED_HOSTS="127.0.0.1", SITE_URL="http://127.0.0.1",
        WEBHOOK_SECRET="u:p", STRIPE_WEBHOOK_SECRET="whsec_bench", SECURE_SSL_REDIRECT="0",
        EMAIL_PROVIDER="file", LOG_LEVEL="WARNING", API_RATE_BUSINESS="10000000/m",
        API_INTERACTION_LOG="1" if on else "0", RATELIMIT_ENABLE="1" if on else "0",
    )  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "project.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--error-logfile", str(tmp_path / f"{name}.log")],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for_port(port, timeout=30)
    return process, f"http://127.0.0.1:{port}"


def run_round(base: str, key: str, calls: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock, counter = threading.Lock(), iter(range(calls))

    def client() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=base, headers=headers, timeout=120) as http:
            for n in counter:
                started = time.perf_counter()
                response = http.post(
                    "/api/v1/summaries", json={"mode": MODES[n % 4], "text": f"{n}. {TEXT}"}
                )
                elapsed = time.perf_counter() - started
                assert response.status_code == 201, response.text[:300]
                with lock:
                    latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return calls / (time.perf_counter() - started), latencies


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] * 1000


def test_api_throughput_and_p95_with_logging_and_rate_limits_on_vs_off(tmp_path):
    user = make_user(email_verified_at=timezone.now())
    organization = make_organization(plan=make_plan("business", 10**12, "199"), owner=user)
    key = api_key_create(organization=organization, name="bench", user=user)[1]
    servers = {
        "on": start_server(tmp_path, "on", True),
        "off": start_server(tmp_path, "off", False),
    }
    latency: dict[str, list[float]] = {"on": [], "off": []}
    try:

        def contender(name: str):
            def run(round_no: int) -> float:
                throughput, latencies = run_round(
                    servers[name][1], key, CALLS if round_no else CALLS // 4
                )
                if round_no:
                    latency[name].append(p95(latencies))
                return throughput

            return run

        series = alternate(
            {"on": contender("on"), "off": contender("off")}, label="API short texts",
            unit="summaries/s",
        )  # fmt: skip
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(15)
    record(
        "API short-text summaries, logging + rate limits on vs off",
        ours=series["on"], peer=series["off"], peer_name="logging + limits off",
        unit="summaries/s", target_ratio=0.85,
        note=f"{CALLS} calls/round, {CLIENTS} clients, gunicorn 2 workers, DEBUG=0",
    )  # fmt: skip
    on_p95, off_p95 = statistics.median(latency["on"]), statistics.median(latency["off"])
    record(
        "API short-text p95 latency, logging + rate limits on vs off",
        ours=on_p95, peer=off_p95, peer_name="logging + limits off", unit="ms",
        better="lower", target_ratio=0.85,
        note="p95 per round, median of rounds: " + ", ".join(
            f"{n}: {', '.join(f'{v:.1f}' for v in latency[n])}" for n in latency
        ),
    )  # fmt: skip
    print(f"\n  on: {series['on']}\n  off: {series['off']}")
    print(f"  p95 ms on {on_p95:.1f} / off {off_p95:.1f}")
