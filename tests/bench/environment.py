"""How a benchmark starts our own processes (consumers, gunicorn): as production runs them."""

from django.conf import settings

from tests.conftest import subprocess_env


def production_env(**extra: str) -> dict[str, str]:
    """A subprocess's environment with DEBUG off, as in production, and the variables
    production then requires. DEBUG is the settings' development default: left on, Django
    logs every query with its SQL and time, which a consumer in production never pays."""
    return subprocess_env(
        **{
            "DEBUG": "0",
            # The benchmark's own key: the links and sealed secrets it made still read.
            "SECRET_KEY": settings.SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SITE_URL": settings.SITE_URL,
            "WEBHOOK_SECRET": "u:p",
            "STRIPE_WEBHOOK_SECRET": "whsec_bench",
            "SECURE_SSL_REDIRECT": "0",
            **extra,
        }
    )
