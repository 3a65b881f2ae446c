import os
import secrets

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.accounts.services import admin_ensure


class Command(BaseCommand):
    help = (
        "Ensure a console superuser: ADMIN_EMAIL / ADMIN_PASSWORD when set, otherwise "
        "admin@summasaas.local with a generated password kept in var/admin-password."
    )

    def handle(self, *args, **options):
        email = os.environ.get("ADMIN_EMAIL") or "admin@summasaas.local"
        password = os.environ.get("ADMIN_PASSWORD") or self._saved_password()
        admin_ensure(email=email, password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Admin login: {email} / {password}  (at {settings.SITE_URL}/admin/)"
            )
        )

    def _saved_password(self) -> str:
        path = settings.VAR_DIR / "admin-password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        return path.read_text().strip()
