from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.accounts.models import Organization


class ApiKey(models.Model):
    """A key an organization's programs call the API with; only its hash is kept.

    The full key is `ss_<prefix>_<secret>`: the prefix finds the row, the hash of the whole
    key proves it. The key itself is shown once, when created.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    hashed_key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} (ss_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
