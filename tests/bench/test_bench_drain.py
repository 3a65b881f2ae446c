"""Task drain and enqueue: 20,000 no-op tasks per round on one Redis, ours against the peers.

Contenders, each a real consumer subprocess with 4 workers, threads then processes:
- ours: `manage.py run_huey` as in production (task history and whatever reliable fetch main
  has), draining `jobs_canary_task`; the clock stops when the last history row is written;
- ours without history (JOBS_TASK_HISTORY=0): what the history costs (no target);
- bare djhuey: `run_huey` in a Django project holding only djhuey and a no-op `db_task`;
- bare huey: huey's own `huey_consumer` on a RedisHuey with a no-op task (no Django);
- Celery: `celery worker` with the threads pool, or prefork, no result backend (no Django).

Each round enqueues the tasks with no consumer running (that is the enqueue figure; ours
includes writing the enqueue history rows), then starts the consumer: the clock starts at the
first dequeue and stops when the last task has run (and, for ours, its history row is written).
Targets: ours >= 0.9x bare huey (issue 9; shown against both bare djhuey and huey_consumer)
and >= 2x Celery (issue 10), threads and processes.
"""

import pytest

from tests.bench.drain_contenders import TASKS, WORKERS, Ours
from tests.bench.drain_peers import BareDjhuey, BareHuey, Celery
from tests.bench.harness import Series, alternate, note, record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_queue]


@pytest.mark.parametrize("kind", ["thread", "process"])
def test_task_drain_against_bare_huey_and_celery(kind, tmp_path):
    contenders = [
        Ours(kind, tmp_path),
        Ours(kind, tmp_path, history=False),
        BareDjhuey(kind, tmp_path),
        BareHuey(kind, tmp_path),
        Celery(kind, tmp_path),
    ]
    ours, no_history, djhuey, bare, celery = contenders
    workers = f"{WORKERS} {'threads' if kind == 'thread' else 'processes'}"
    series = alternate({c.name: c for c in contenders}, label=f"drain, {workers}", unit="tasks/s")
    subject = f"task drain with history, {TASKS:,} no-op tasks, {workers}"
    record(
        subject,
        ours=series[ours.name],
        peer=series[djhuey.name],
        peer_name="bare djhuey (run_huey, db_task)",
        unit="tasks/s",
        target_ratio=0.9,
    )
    record(
        subject,
        ours=series[ours.name],
        peer=series[bare.name],
        peer_name="bare huey (huey_consumer)",
        unit="tasks/s",
        target_ratio=0.9,
    )
    record(
        subject,
        ours=series[ours.name],
        peer=series[celery.name],
        peer_name=celery.name,
        unit="tasks/s",
        target_ratio=2.0,
    )
    record(
        f"task drain, history on vs off, {workers}",
        ours=series[ours.name],
        peer=series[no_history.name],
        peer_name="ours, JOBS_TASK_HISTORY=0",
        unit="tasks/s",
        note="what recording the history costs (no target)",
    )
    enqueue = {c.name: Series(c.name, "tasks/s", c.enqueue_rates) for c in contenders}
    subject = f"enqueue {TASKS:,} tasks (rounds of the {kind} drain)"
    record(
        subject,
        ours=enqueue[ours.name],
        peer=enqueue[bare.name],
        peer_name="bare huey",
        unit="tasks/s",
        note="ours includes writing the enqueue history rows",
    )
    record(
        f"enqueue {TASKS:,} tasks, ours with JOBS_TASK_HISTORY=0 ({kind} rounds)",
        ours=enqueue[no_history.name],
        peer=enqueue[bare.name],
        peer_name="bare huey",
        unit="tasks/s",
    )
    record(
        subject,
        ours=enqueue[ours.name],
        peer=enqueue[celery.name],
        peer_name="Celery",
        unit="tasks/s",
    )
    if kind == "thread":
        note(
            "task drain: ours is manage.py run_huey with the production settings; bare djhuey "
            "is run_huey in a Django project with only djhuey (db_task no-op); bare huey "
            "(huey_consumer) and Celery run without Django, their fastest setup"
        )
