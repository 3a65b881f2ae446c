from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TaskRun(models.Model):
    """One task as huey's signals reported it: its latest state; each attempt is a TaskAttempt."""

    class State(models.TextChoices):
        ENQUEUED = "enqueued", _("Enqueued")
        SCHEDULED = "scheduled", _("Scheduled")
        EXECUTING = "executing", _("Executing")
        COMPLETE = "complete", _("Complete")
        ERROR = "error", _("Error")
        RETRYING = "retrying", _("Retrying")
        REVOKED = "revoked", _("Revoked")
        LOCKED = "locked", _("Locked")
        EXPIRED = "expired", _("Expired")
        INTERRUPTED = "interrupted", _("Interrupted")
        CANCELED = "canceled", _("Canceled")
        TIMEOUT = "timeout", _("Timed out")
        RATE_LIMITED = "rate-limited", _("Rate limited")
        LOST = "lost", _("Lost")
        UNRECORDED = "unrecorded", _("Finished, outcome not recorded")

    task_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200, help_text=_("module.TaskClass"))
    queue = models.CharField(max_length=100, default="")
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    state = models.CharField(max_length=16, choices=State.choices, default=State.ENQUEUED)
    # attempt * 10 + phase (0 queued, 1 executing, 2 finished): events from several processes
    # arrive in any order; the row keeps the state of the highest rank.
    rank = models.PositiveIntegerField(default=0)
    attempt = models.PositiveIntegerField(default=1)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text=_("seconds"))
    error = models.TextField(blank=True, default="")
    result = models.JSONField(null=True, blank=True, help_text=_("the value it returned"))
    enqueued_by = models.CharField(max_length=200, blank=True, default="")
    consumer = models.CharField(max_length=200, blank=True, default="")
    periodic_job = models.CharField(max_length=100, blank=True, default="")
    period_key = models.CharField(max_length=20, blank=True, default="")
    note = models.TextField(blank=True, default="")
    retry_of = models.CharField(max_length=64, blank=True, default="")
    requested_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        # Every index is written again when a run changes state (no HOT update): the
        # (field, -created_at) ones below serve the console's filters and the reaper, so the
        # plain single-column indexes they make redundant are left out.
        indexes = [
            # Periodic-job indexes hold only the runs of periodic jobs (partial): an ordinary task's
            # state change then writes two index entries fewer.
            models.Index(
                fields=["periodic_job", "period_key"],
                name="taskrun_job_period",
                condition=~models.Q(periodic_job=""),
            ),
            # The console's history list: each filter, newest first, read one page at a time.
            models.Index(fields=["state", "-created_at"], name="taskrun_state_created"),
            models.Index(fields=["name", "-created_at"], name="taskrun_name_created"),
            models.Index(fields=["queue", "-created_at"], name="taskrun_queue_created"),
            models.Index(fields=["consumer", "-created_at"], name="taskrun_consumer_created"),
            models.Index(
                fields=["periodic_job", "-created_at"],
                name="taskrun_job_created_partial",
                condition=~models.Q(periodic_job=""),
            ),
            # Search by a task-id prefix (LIKE 'abc%') uses the varchar_pattern_ops index Django
            # makes for the unique task_id on PostgreSQL: a second one only cost writes.
            # A run's retries, for its attempt timeline (most runs have none).
            models.Index(
                fields=["retry_of"], name="taskrun_retry_of", condition=~models.Q(retry_of="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} · {self.task_id[:8]}"

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]

    @property
    def label(self) -> str:
        """The task in words: 'summarization_request_process_task' -> 'Summarization request
        process' (the dotted name stays in `name`)."""
        return self.short_name.removesuffix("_task").replace("_", " ").capitalize()


class TaskAttempt(models.Model):
    """One attempt of a task: where and when it ran and how it ended (retries and re-runs after
    a lost consumer are the next attempts of the same task id)."""

    pk = models.CompositePrimaryKey("task_id", "number")
    task_id = models.CharField(max_length=64)
    number = models.PositiveIntegerField()
    consumer = models.CharField(max_length=200, blank=True, default="")
    state = models.CharField(max_length=16, choices=TaskRun.State.choices)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    traceback = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["task_id", "number"]
        indexes = [
            # Attempts still running: the reaper's look at what died with its consumer.
            models.Index(
                fields=["consumer"],
                name="taskattempt_executing",
                condition=models.Q(state="executing"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_id[:8]} attempt {self.number} ({self.state})"

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class PeriodicRun(models.Model):
    """The one claimed run of a periodic job for one period (hour, day, week or month)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        LOST = "lost", _("Lost")
        SKIPPED = "skipped", _("Skipped (paused)")

    job = models.CharField(max_length=100)
    period_key = models.CharField(max_length=20)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    task_id = models.CharField(max_length=64, blank=True, default="")
    consumer = models.CharField(max_length=200, blank=True, default="")
    runs = models.PositiveIntegerField(default=1, help_text=_("executions, forced re-runs too"))
    forced = models.BooleanField(default=False)
    requested_by = models.CharField(max_length=200, blank=True, default="")
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period_key"], name="one_run_per_job_period")
        ]
        indexes = [models.Index(fields=["job", "-started_at"])]

    def __str__(self) -> str:
        return f"{self.job} {self.period_key}"

    @property
    def duration(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class PeriodicJobState(models.Model):
    """A periodic job's switches and when a running consumer first saw it."""

    job = models.CharField(max_length=100, unique=True)
    paused = models.BooleanField(default=False)
    first_seen_at = models.DateTimeField(
        null=True, blank=True, help_text=_("when a running consumer first scheduled it")
    )
    changed_by = models.CharField(max_length=200, blank=True, default="")
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.job} ({'paused' if self.paused else 'active'})"


class WorkerHeartbeat(models.Model):
    """A consumer process's sign of life, written every few seconds by a thread inside it."""

    consumer = models.CharField(max_length=200, unique=True, help_text=_("host:pid"))
    host = models.CharField(max_length=150)
    pid = models.PositiveIntegerField()
    workers = models.PositiveIntegerField(default=0)
    version = models.CharField(max_length=100, blank=True, default="")
    started_at = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen"]

    def __str__(self) -> str:
        return self.consumer


class TaskRunSearch(models.Model):
    """A run's arguments as one text, for the console's search in arguments.

    Written once per run by a database trigger when its TaskRun row is inserted (migration
    0007: statement-level on PostgreSQL, row-level on SQLite), and deleted with it (a database
    cascade), so every writer of the history (the recorder's batched upserts, a retry's copy)
    feeds it without knowing. It lives apart from TaskRun on purpose: a TaskRun row is
    rewritten at every state change and each rewrite writes every one of its indexes again;
    the trigram index here (PostgreSQL's pg_trgm, which makes `ILIKE '%org-4242%'` an index
    lookup instead of a scan of the history) is written once per run.
    """

    run = models.OneToOneField(
        TaskRun, primary_key=True, on_delete=models.DB_CASCADE, related_name="+"
    )
    # In lower case: a plain LIKE then finds any case, through the trigram index (Django's
    # icontains wraps the column in UPPER(), which no index here serves).
    arguments = models.TextField(help_text=_("args and kwargs as JSON text, in lower case"))

    def __str__(self) -> str:
        return f"{self.run_id}: {self.arguments[:60]}"


class TaskLatency(models.Model):
    """Run time and queue wait of one task's runs created in one hour (or one day), as
    histograms (apps/jobs/latency/): the latency percentiles read these, not the history."""

    class Span(models.TextChoices):
        HOUR = "hour", _("Hour")
        DAY = "day", _("Day")

    name = models.CharField(max_length=200)
    span = models.CharField(max_length=4, choices=Span.choices)
    start = models.DateTimeField()
    created = models.PositiveIntegerField(default=0, help_text=_("runs created, in any state"))
    runs = models.PositiveIntegerField(default=0, help_text=_("finished runs with a run time"))
    run_time = models.JSONField(default=dict, help_text=_("histogram: bucket -> runs"))
    queue_wait = models.JSONField(default=dict, help_text=_("histogram of first attempts"))
    slowest = models.JSONField(default=list, help_text=_("[[seconds, run id], ...] longest"))
    slowest_waits = models.JSONField(default=list, help_text=_("[[seconds, run id], ...]"))
    written_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["span", "start", "name"], name="one_latency_row")
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.span} {self.start:%Y-%m-%d %H:00}"
