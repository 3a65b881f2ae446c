import os
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management.base import BaseCommand

from apps.accounts.services import admin_ensure


class Command(BaseCommand):
    help = (
        "Ensure a console superuser: ADMIN_EMAIL / ADMIN_PASSWORD when set, otherwise "
        "admin@summasaas.local with a password generated once and kept in var/admin-password. "
        "The password is written only when the account is created or ADMIN_PASSWORD differs, "
        "so running it again (each `make run`) logs nobody out."
    )

    def handle(self, *args, **options):
        email = os.environ.get("ADMIN_EMAIL") or "admin@summasaas.local"
        chosen = os.environ.get("ADMIN_PASSWORD")
        password = chosen or self._saved_password()
        user, _created = admin_ensure(email=email, password=password, keep_password=not chosen)
        if check_password(password, user.password):
            login = f"{email} / {password}"
        else:  # changed in the console since: that one stands, var/admin-password is stale
            login = f"{email} / (the password set in the console)"
        where = f"{settings.SITE_URL}/admin/"
        self.stdout.write(self.style.SUCCESS(f"Admin login: {login}  (at {where})"))

    def _saved_password(self) -> str:
        path = settings.VAR_DIR / "admin-password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        return path.read_text().strip()
