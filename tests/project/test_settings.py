"""The configuration read from the environment, checked in fresh processes."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

PROBE = """
import json
from django.conf import settings
d = settings.DATABASES["default"]
print(json.dumps({
    "db": d["ENGINE"].rsplit(".", 1)[-1], "db_name": str(d["NAME"]),
    "huey": settings.HUEY["huey_class"], "immediate": settings.HUEY["immediate"],
    "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
    "sessions": settings.SESSION_ENGINE.rsplit(".", 1)[-1],
    "storage": settings.STORAGES["default"]["BACKEND"].rsplit(".", 1)[-1],
    "storage_options": {k: str(v) for k, v in settings.STORAGES["default"]["OPTIONS"].items()},
    "email": settings.MAILERS["default"]["BACKEND"], "anymail": settings.ANYMAIL,
}))
"""

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 64 + "-production-secret-that-is-long-enough-and-random-42",
    "ALLOWED_HOSTS": "ops.summasaas.example",
    "SITE_URL": "https://ops.summasaas.example",
    "WEBHOOK_SECRET": "anymail:webhook-secret-for-tests",
    "STRIPE_WEBHOOK_SECRET": "whsec_production-secret-for-tests",
}


def clean_env(tmp_path, **extra) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "PYTHONPATH"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    return {**env, "DJANGO_SETTINGS_MODULE": "project.settings", "VAR_DIR": str(tmp_path), **extra}


def probe(tmp_path, **extra) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        cwd=ROOT,
        env=clean_env(tmp_path, **extra),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def manage(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean_env(tmp_path, **extra),
        capture_output=True,
        text=True,
    )


def test_with_no_variables_everything_is_embedded(tmp_path):
    config = probe(tmp_path)
    assert config["db"] == "sqlite3" and config["db_name"] == str(tmp_path / "db.sqlite3")
    # huey's own classes with the in-flight register (reliable fetch) mixed in
    assert config["huey"] == "apps.jobs.adapter.SqliteHuey" and config["immediate"] is False
    assert (config["cache"], config["sessions"]) == ("DatabaseCache", "db")
    assert config["storage"] == "FileSystemStorage"
    assert config["storage_options"]["location"] == str(tmp_path / "media")
    assert config["email"] == "apps.mail.backends.EmlFileBackend"


def test_production_services_are_switched_on_by_their_variables(tmp_path):
    config = probe(
        tmp_path,
        DATABASE_URL="postgres://app:pw@db.internal:5432/summasaas",
        REDIS_URL="redis://cache.internal:6379/0",
        AWS_STORAGE_BUCKET_NAME="summasaas-files",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:8333",
        EMAIL_PROVIDER="postmark",
        POSTMARK_SERVER_TOKEN="server-token",
    )
    assert (config["db"], config["db_name"]) == ("postgresql", "summasaas")
    assert config["huey"] == "apps.jobs.adapter.RedisHuey"
    assert (config["cache"], config["sessions"]) == ("FallbackCache", "cached_db")  # Redis, then DB
    assert config["storage"] == "S3Storage"
    assert config["storage_options"]["bucket_name"] == "summasaas-files"
    assert config["storage_options"]["default_acl"] == "private"
    assert config["email"] == "anymail.backends.postmark.EmailBackend"
    assert config["anymail"] == {"POSTMARK_SERVER_TOKEN": "server-token"}


def test_a_sqlite_database_url_works_too(tmp_path):
    config = probe(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/other.sqlite3")
    assert (config["db"], config["db_name"]) == ("sqlite3", f"{tmp_path}/other.sqlite3")


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "SITE_URL", "ALLOWED_HOSTS", "WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET"],
)
def test_production_without_a_required_variable_stops_naming_it(tmp_path, missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage(tmp_path, "check", **env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_a_provider_without_its_key_stops_production_start_up(tmp_path):
    result = manage(tmp_path, "check", EMAIL_PROVIDER="sendgrid", **PRODUCTION)
    assert "SENDGRID_API_KEY is not set" in result.stderr


def test_an_unknown_email_provider_is_named_in_the_error(tmp_path):
    result = manage(tmp_path, "check", EMAIL_PROVIDER="pigeon")
    assert "EMAIL_PROVIDER='pigeon' is not supported" in result.stderr


def test_the_production_configuration_passes_the_deployment_checklist(tmp_path):
    result = manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr + result.stdout
