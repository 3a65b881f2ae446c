"""The revoke index's gain: the same drain of no-op tasks with JOBS_REVOKE_INDEX on and off.

With the index on, a worker learns from its take that nothing of the task it took is revoked
(apps/jobs/adapter/storage_redis.py); off, huey's own check asks Redis once more per task.
Both contenders are `manage.py run_huey` as in production (real Redis, PostgreSQL, task
history), 4 workers, alternated rounds (tests/bench/test_bench_drain.py says how a round is
timed). The figure decides whether the index earns its code: a gain under ~10 % does not.
On 2026-12-06 (2 vCPU shared, load 1-7, 7 rounds of 10,000 tasks) it did: 1.33x with
threads (every round >= 1.16x) and 1.26x with processes (every round >= 1.07x).
"""

import os
from pathlib import Path

import pytest

from tests.bench.drain_contenders import WORKERS, Ours
from tests.bench.harness import alternate, record

TASKS = int(os.environ.get("BENCH_REVOKE_TASKS", "10000"))
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]


class RevokeIndex(Ours):
    """Ours with the consumer's revoke index switched on or off (nothing here revokes, so the
    enqueuing process need not agree with the consumer)."""

    def __init__(self, kind: str, tmp_path: Path, *, index: bool):
        super().__init__(kind, tmp_path)
        self.index = index
        self.name = f"revoke index {'on' if index else 'off'}"

    def env(self) -> dict[str, str]:
        return {**super().env(), "JOBS_REVOKE_INDEX": "1" if self.index else "0"}


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_revoke_index_on_against_off(kind, tmp_path, monkeypatch):
    # The drain's contenders read their round sizes from their module: this bench's own size.
    monkeypatch.setattr("tests.bench.drain_contenders.TASKS", TASKS)
    monkeypatch.setattr("tests.bench.drain_contenders.WARMUP_TASKS", max(200, TASKS // 10))
    on, off = RevokeIndex(kind, tmp_path, index=True), RevokeIndex(kind, tmp_path, index=False)
    workers = f"{WORKERS} {'threads' if kind == 'thread' else 'processes'}"
    series = alternate({on.name: on, off.name: off}, label=f"revoke index, {workers}")
    record(
        f"task drain, revoke index on vs off, {TASKS:,} no-op tasks, {workers}",
        ours=series[on.name],
        peer=series[off.name],
        peer_name="JOBS_REVOKE_INDEX=0 (huey's checks)",
        unit="tasks/s",
        target_ratio=1.1,
        note="the index stays only if it drains >= 10 % faster",
    )
