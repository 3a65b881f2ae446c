from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """One thing a staff member did in the console: who, what, to what, when, before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_email = models.EmailField(help_text="Kept even if the user is deleted.")
    os_user = models.CharField(
        max_length=100, blank=True, help_text="The OS user, for actions taken by a command."
    )
    action = models.CharField(max_length=60, db_index=True)
    target_type = models.CharField(max_length=100, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.actor_email} {self.action} {self.target_repr}"


class ConsoleAccess(models.Model):
    """No rows: holds the console's own permissions, which are not about one model.

    It has an (empty) table all the same, so generic admin code that follows a content type
    to its rows (the "view on site" shortcut) finds nothing instead of a missing table.
    """

    class Meta:
        default_permissions = ()
        permissions = [
            ("send_test_email", "Can send test emails from the email studio"),
            ("operate_tasks", "Can retry, revoke and run tasks, pause jobs and clear locks"),
        ]

    def __str__(self) -> str:
        return "console access"


class StaffSettings(models.Model):
    """A staff member's own console settings: the time zone the console shows times in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="An IANA zone, e.g. Europe/Paris; empty: UTC."
    )

    class Meta:
        verbose_name_plural = "staff settings"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.time_zone or 'UTC'}"
