from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import Organization


def summary_path(instance: "SummarizationRequest", filename: str) -> str:
    return f"summaries/{instance.organization_id}/{timezone.now():%Y/%m}/{filename}"


class SummarizationRequest(models.Model):
    """One call to summarize a text: who asked, in which mode, for how many characters.

    The row is the truth about a queued request, as the outbox row is for an email: it holds
    the text until a task has claimed and finished it, so a task the broker lost is queued
    again from the row (`requeue.py`), and a charged request always ends `completed`, or
    `failed` with its characters given back.

    | status    | charged | who moves it on                                            |
    | --------- | ------- | ---------------------------------------------------------- |
    | pending   | yes     | a task's claim (-> running); the requeue sweep             |
    | running   | yes     | the claiming task (-> completed / failed); the sweep fails |
    |           |         | it once no live task holds it                              |
    | completed | yes     | nobody                                                     |
    | failed    | no      | nobody (refunded in the transaction that failed it)        |
    """

    class Mode(models.TextChoices):
        BRIEF = "brief", _("Brief")
        DETAILED = "detailed", _("Detailed")
        BULLET_POINTS = "bullet_points", _("Bullet points")
        EXECUTIVE = "executive", _("Executive")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        FAILED = "failed", _("Failed")

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="summarization_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="summarization_requests",
    )
    mode = models.CharField(max_length=20, choices=Mode.choices)
    input_characters = models.PositiveIntegerField()
    output_characters = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The summary: in the row when short, else in storage (SUMMARY_INLINE_MAX_CHARS).
    summary = models.TextField(blank=True, default="")
    summary_file = models.FileField(upload_to=summary_path, max_length=300, blank=True)
    document = models.ForeignKey(
        "Document", on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    error = models.CharField(max_length=200, blank=True, default="")
    # A queued request's text (a long text, or a document's as extracted when it was charged):
    # kept until the request ends, then emptied. Not in the task's arguments, so the broker and
    # the task history never carry customer text.
    input_text = models.TextField(blank=True, default="")
    queued_at = models.DateTimeField(null=True, blank=True, help_text=_("last put in the queue"))
    requeues = models.PositiveSmallIntegerField(
        default=0, help_text=_("times the sweep queued it again after its task was lost")
    )
    task_id = models.CharField(
        max_length=64, blank=True, default="", help_text=_("the task that claimed it")
    )
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["organization", "created_at"]),
            # The requeue sweep's look at unfinished requests (few rows: a partial index).
            models.Index(
                fields=["status", "queued_at"],
                name="summary_unfinished",
                condition=models.Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_mode_display()} for {self.organization}"


def document_path(instance: "Document", filename: str) -> str:
    return f"documents/{timezone.now():%Y/%m}/{filename}"


class Document(models.Model):
    """A file a user uploaded to be summarized, kept privately in the default storage."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="documents", null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents"
    )
    file = models.FileField(upload_to=document_path, max_length=300)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name


def archive_path(instance: "SummaryArchive", filename: str) -> str:
    return f"archives/summaries/{instance.organization_id}/{filename}"


class SummaryArchive(models.Model):
    """Summarization requests of one organization and ISO week, moved out of the hot table into
    a gzip JSON-lines file in storage (a re-run after a crash adds a part, never overwrites)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="summary_archives"
    )
    week = models.CharField(max_length=8, help_text=_("ISO week, e.g. 2026-W08"))
    part = models.PositiveSmallIntegerField(default=1)
    file = models.FileField(upload_to=archive_path, max_length=300)
    rows = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()
    first_created_at = models.DateTimeField()
    last_created_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week", "organization"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "week", "part"], name="one_archive_per_org_week_part"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.week}" + (f" part {self.part}" if self.part > 1 else "")
