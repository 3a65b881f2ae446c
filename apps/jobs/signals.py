"""What the jobs machinery tells the apps above it (they connect; jobs imports none of them)."""

from django.dispatch import Signal

run_lost = Signal()
"""Sent by the reaper for each run it declares `lost` (its consumer died while running it).

Keyword arguments, all plain data:
- ``task_name``: the task's dotted name as the history shows it, e.g.
  ``"apps.mail.tasks.email_deliver_task"`` (compare with ``apps.jobs.adapter.task_name(task)``);
- ``task_id``: huey's task id; ``attempt``: the attempt that was lost (1 for the first);
- ``args`` (list) and ``kwargs`` (dict): the task's arguments;
- ``consumer``: the dead consumer's name; ``requeued``: True when the reaper enqueues the
  task again (it was declared ``idempotent=True``), False when nothing will run it again.

Delivery is at least once: the signal is sent inside the transaction that marks the run lost,
before the run leaves the broker's in-flight register, so a reaper that dies half-way sends it
again on its next pass. A receiver must therefore be idempotent (a conditional UPDATE is);
if it raises, the transaction rolls back and the run is reaped again on the next pass.
"""

broker_lost_runs = Signal()
"""Sent by the reconciliation after a pass that found waiting runs the broker no longer held
(each is marked ``lost`` and announced through ``run_lost`` too).

Keyword arguments: ``lost`` (how many), ``requeued`` (how many of them were enqueued again),
``reason`` (the broker's restart in words, e.g. "the broker restarted at 2026-12-05 14:02 UTC
without persistence (appendonly no)") and ``task_ids`` (the lost runs' ids).
"""
