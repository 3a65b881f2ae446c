from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Category(models.TextChoices):
    """What an email is for; every category but transactional can be unsubscribed from."""

    TRANSACTIONAL = "transactional", _("Transactional")
    ALERTS = "alerts", _("Alerts")
    REPORTS = "reports", _("Reports")
    DIGEST = "digest", _("Digest")


ESSENTIAL_CATEGORIES = {Category.TRANSACTIONAL}
# Sent only to addresses that asked for them; every other category is on until switched off.
OPT_IN_CATEGORIES = {Category.DIGEST}


class EmailLayout(models.Model):
    """The shared MJML frame every template is placed in (head styles, header, footer)."""

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    mjml = models.TextField(help_text=_("A full <mjml> document with one <mj-content/>."))
    is_default = models.BooleanField(default=False)
    synced_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_layout",
            )
        ]

    def __str__(self) -> str:
        return self.name


class EmailContent(models.Model):
    """What a template and each of its translations hold alike: the words of one language, the
    active version compiled from them, and who last changed them."""

    subject = models.CharField(max_length=255)
    preheader = models.CharField(max_length=255, blank=True)
    mjml = models.TextField(help_text=_("Body sections placed in the layout's <mj-content/>."))
    text_body = models.TextField(
        blank=True, help_text=_("Optional plain-text body; derived from the HTML when empty.")
    )
    active_version = models.ForeignKey(
        "EmailTemplateVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    synced_hash = models.CharField(max_length=64, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class EmailTemplate(EmailContent):
    """An email staff can edit: subject and MJML body, declared variables and sample data."""

    key = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=20, choices=Category.choices)
    layout = models.ForeignKey(
        EmailLayout, on_delete=models.PROTECT, null=True, blank=True, related_name="templates"
    )
    variables = models.JSONField(default=list, blank=True)
    sample_context = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class EmailTemplateTranslation(EmailContent):
    """A template in another language: its own subject, preheader and body, and its own
    version history; layout, category, variables and sample data are the template's."""

    template = models.ForeignKey(
        EmailTemplate, on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)

    class Meta:
        ordering = ["template", "language"]
        constraints = [
            models.UniqueConstraint(fields=["template", "language"], name="one_translation")
        ]

    def __str__(self) -> str:
        return f"{self.template} ({self.language})"

    # What a translation shares with its template.
    @property
    def category(self) -> str:
        return self.template.category

    @property
    def layout(self):
        return self.template.layout

    @property
    def variables(self) -> list:
        return self.template.variables

    @property
    def sample_context(self) -> dict:
        return self.template.sample_context


class EmailTemplateVersion(models.Model):
    """An immutable snapshot of layout and template, with the HTML compiled once."""

    template = models.ForeignKey(EmailTemplate, on_delete=models.CASCADE, related_name="versions")
    # Each language has its own history: v1, v2... of the French text beside the English one.
    language = models.CharField(max_length=8, default="en")
    number = models.PositiveIntegerField()
    category = models.CharField(max_length=20, choices=Category.choices)
    layout_mjml = models.TextField()
    subject = models.CharField(max_length=255)
    preheader = models.CharField(max_length=255, blank=True)
    mjml = models.TextField()
    variables = models.JSONField(default=list)
    sample_context = models.JSONField(default=dict)
    compiled_html = models.TextField()
    text_body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["template", "language", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language", "number"], name="one_version_number_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} v{self.number}"  # 'welcome v3' (the key, not the row id)

    def save(self, *args, **kwargs):
        # A version is what was sent: changing it would rewrite history.
        if not self._state.adding:
            raise ValueError("Email template versions are immutable; save a new version.")
        super().save(*args, **kwargs)


class OutboundEmail(models.Model):
    """The outbox and the send log: one row per email, from queued to its outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")
        SKIPPED = "skipped", _("Skipped")
        # Its delivery was interrupted mid-send (the consumer died): the receiver may have it.
        UNKNOWN = "unknown", _("Unknown (interrupted)")

    template_key = models.SlugField(max_length=50)
    version = models.ForeignKey(
        EmailTemplateVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )
    to = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    # The language it was rendered in (the recipient's, or the default when untranslated).
    # A database default too: bulk enqueue inserts rows with its own column list.
    language = models.CharField(max_length=8, blank=True, default="", db_default="")
    subject = models.CharField(max_length=255, blank=True)
    # Secret values (reset links...) never sit in `context`: it shows `•••` for each name in
    # `secret_keys`, and the values are in `sealed_secrets`, encrypted, until delivered.
    context = models.JSONField(default=dict, blank=True)
    secret_keys = models.JSONField(default=list, blank=True)
    sealed_secrets = models.TextField(blank=True, default="", editable=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    provider = models.CharField(max_length=50, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    is_test = models.BooleanField(default=False)
    # Queued with many others (send_email_many): sent in its batch. Other emails are urgent:
    # any batch that runs picks the due ones up first.
    bulk = models.BooleanField(default=False)
    # Which delivery claimed the row (a huey task id): a crashed consumer's rows are found by it.
    claim_id = models.CharField(max_length=64, blank=True, default="", editable=False)
    # Set (durably) before the row is handed to the transport, cleared with its outcome: of a
    # dead delivery's `sending` rows, only these may have reached the receiver.
    handed_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["status", "bulk", "next_attempt_at"], name="mail_outbox_due_idx"),
            models.Index(fields=["to", "created_at"]),
            # The send log's date filters and the retention sweep range over this.
            models.Index(fields=["created_at"], name="mail_outbox_created_at_idx"),
            # The sweep that wipes expired secret values reads only rows still holding some.
            models.Index(
                fields=["created_at"],
                condition=~models.Q(sealed_secrets=""),
                name="mail_outbox_sealed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_key.replace('_', ' ')} to {self.to}"  # words, not a key


class DeliveryAttempt(models.Model):
    """One try at sending an outbox row, kept so every attempt can be audited."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("Sent")
        RETRY = "retry", _("Transient error, will retry")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")
        SKIPPED = "skipped", _("Skipped")
        UNKNOWN = "unknown", _("Interrupted: outcome unknown")

    email = models.ForeignKey(OutboundEmail, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["email", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.email_id}: {self.outcome}"


class EmailEvent(models.Model):
    """A normalized provider event (delivered, bounced, opened, ...) about one email."""

    email = models.ForeignKey(
        OutboundEmail, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    esp_name = models.CharField(max_length=50)
    event_type = models.CharField(max_length=30, db_index=True)
    event_id = models.CharField(max_length=255, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    recipient = models.EmailField(blank=True)
    reject_reason = models.CharField(max_length=30, blank=True)
    description = models.TextField(blank=True)
    mta_response = models.TextField(blank=True)
    click_url = models.TextField(blank=True)  # tracked links can be longer than any limit
    occurred_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.event_type} {self.recipient}"


class Suppression(models.Model):
    """An address we must not email again (bounced, complained, unsubscribed, or by hand)."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Hard bounce")
        COMPLAINT = "complaint", _("Spam complaint")
        UNSUBSCRIBE = "unsubscribe", _("Unsubscribed from everything")
        MANUAL = "manual", _("Added by staff")

    address = models.EmailField(unique=True)
    reason = models.CharField(max_length=12, choices=Reason.choices)
    source_event = models.ForeignKey(
        EmailEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.address} ({self.reason})"


class EmailPreference(models.Model):
    """Whether an address (and the user behind it, when known) wants one category of email."""

    address = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email_preferences",
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    subscribed = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["address", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["address", "category"], name="one_preference_per_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} {self.category}: {'on' if self.subscribed else 'off'}"
