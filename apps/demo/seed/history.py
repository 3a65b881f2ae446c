"""How the demo's task history is made up: the consumers that ran the tasks, and `History`,
which writes a task run with one attempt row per try, failed ones with their traceback."""

import datetime as dt
import random
import uuid

from apps.jobs.models import TaskAttempt, TaskRun, WorkerHeartbeat

CONSUMERS = [  # name (host:pid:nonce), started days ago, last seen days ago, stopped
    ("worker-a.internal:4121:7f3a", 34, 3.0, True),
    ("worker-b.internal:5310:c81e", 21, 1.2, False),  # died: its heartbeat stopped, no goodbye
    ("worker-c.internal:6022:0b9d", 1.2, 0.0, True),
]
TRACEBACK = """Traceback (most recent call last):
  File "/app/.venv/lib/python3.12/site-packages/huey/api.py", line 400, in _execute
    task_value = task.execute()
  File "/app/apps/{module}/tasks.py", line {line}, in {function}
    {call}
{error}"""
# A failure as the traceback shows it: message, app, line, task function, the call that failed.
DELIVERY_FAILURE = (
    "SMTPServerDisconnected: 421 4.7.0 Try again later",
    "mail",
    31,
    "email_deliver_task",
    "email_deliver(email_id=email_id)",
)
MODEL_TIMEOUT = (
    "TimeoutError: the model did not answer within 30 s",
    "summaries",
    18,
    "summarization_request_process_task",
    "summarization_request_process(request_id=request_id)",
)


def consumers_seed(now: dt.datetime) -> None:
    """The consumers' heartbeats: one stopped, one that died, one stopped a moment ago."""
    for consumer, started, seen, stopped in CONSUMERS:
        last_seen = now - dt.timedelta(days=seen)
        WorkerHeartbeat.objects.get_or_create(
            consumer=consumer,
            defaults={
                "host": consumer.split(":")[0],
                "pid": int(consumer.split(":")[1]),
                "workers": 4,
                "version": "huey 3.5",
                "started_at": now - dt.timedelta(days=started),
                "last_seen": last_seen,
                "stopped_at": last_seen if stopped else None,
            },
        )


def _consumer_at(moment: dt.datetime, now: dt.datetime) -> str:
    """The consumer that was alive then (they took over from one another)."""
    for consumer, _started, seen, _stopped in CONSUMERS:
        if moment <= now - dt.timedelta(days=seen):
            return consumer
    return CONSUMERS[-1][0]


class History:
    """The task runs and attempts being written, and how they are made up."""

    def __init__(self, rng: random.Random, now: dt.datetime):
        self.rng, self.now = rng, now
        self.runs: list[TaskRun] = []
        self.attempts: list[TaskAttempt] = []

    def run(
        self, name, created, *, median=0.8, failure=None, tries=1, keep=True, **fields
    ) -> TaskRun:
        """A task that ran `tries` times (each but the last failed when `failure` is given,
        the last too), with one attempt row per try."""
        rng = self.rng
        task_id = str(uuid.UUID(int=rng.getrandbits(128)))
        consumer = _consumer_at(created, self.now)
        start, tries_made = created + dt.timedelta(milliseconds=rng.randint(20, 400)), []
        for number in range(1, tries + 1):
            duration = round(median * rng.lognormvariate(0, 0.35), 3)
            failed = failure is not None and (number < tries or fields.get("state") != "complete")
            tries_made.append(
                self._attempt(
                    task_id, number, consumer, start, duration, failure if failed else None
                )
            )
            start += dt.timedelta(seconds=duration + 10 * number)
        last = tries_made[-1]
        run = TaskRun(
            task_id=task_id,
            name=name,
            queue="summasaas",
            args=fields.pop("args", []),
            kwargs=fields.pop("kwargs", {}),
            state=fields.pop("state", "error" if failure else "complete"),
            attempt=tries,
            enqueued_at=created,
            started_at=tries_made[0].started_at,
            finished_at=last.finished_at,
            duration=last.duration,
            error=last.error,
            enqueued_by="demo",
            consumer=consumer,
            created_at=created,
            updated_at=last.finished_at or created,
            **fields,
        )
        if keep:
            self.runs.append(run)
            self.attempts += tries_made
        return run

    @staticmethod
    def _attempt(task_id, number, consumer, start, duration, failure) -> TaskAttempt:
        error, traceback = "", ""
        if failure:
            message, module, line, function, call = failure
            error = message
            traceback = TRACEBACK.format(
                module=module, line=line, function=function, call=call, error=message
            )
        return TaskAttempt(
            task_id=task_id,
            number=number,
            consumer=consumer,
            state="error" if failure else "complete",
            started_at=start,
            finished_at=start + dt.timedelta(seconds=duration),
            error=error,
            traceback=traceback,
        )
