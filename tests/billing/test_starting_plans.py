"""A fresh deployment has plans: `migrate` creates the starting ones (staff edit them after),
reversing removes them, seed_demo uses them, and a new customer's first API call works."""

import importlib
import re
import sqlite3
import subprocess
import sys
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.utils import timezone

from apps.billing.models import Plan
from apps.demo.seed.customers import customers_seed
from tests.api.conftest import call
from tests.conftest import ROOT, load_shipped_templates, subprocess_env
from tests.factories import make_organization

STARTING = [
    ("free", "Free", 10_000, Decimal("0.00")),
    ("pro", "Pro", 1_000_000, Decimal("29.00")),
    ("business", "Business", 10_000_000, Decimal("199.00")),
]
migration = importlib.import_module("apps.billing.migrations.0005_starting_plans")


def plans() -> list[tuple]:
    return list(
        Plan.objects.order_by("monthly_characters").values_list(
            "code", "name", "monthly_characters", "price"
        )
    )


def manage(*args: str, database) -> None:
    env = subprocess_env(DATABASE_URL=f"sqlite:///{database}", VAR_DIR=str(database.parent))
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def stored_plans(database) -> list[tuple]:
    with sqlite3.connect(database) as db:
        query = "SELECT code, monthly_characters FROM billing_plan ORDER BY monthly_characters"
        return db.execute(query).fetchall()


@pytest.mark.embedded
def test_migrate_on_an_empty_database_creates_the_starting_plans_and_reversing_removes_them(
    tmp_path,
):
    database = tmp_path / "fresh.sqlite3"
    manage("migrate", "--no-input", database=database)
    figures = [(code, characters) for code, _, characters, _ in STARTING]
    assert stored_plans(database) == figures
    manage("migrate", "billing", "0004", "--no-input", database=database)
    assert stored_plans(database) == []
    manage("migrate", "billing", "--no-input", database=database)
    assert stored_plans(database) == figures


@pytest.mark.embedded
@pytest.mark.django_db
def test_staff_edits_are_kept_and_a_plan_in_use_is_not_removed_on_reverse():
    Plan.objects.all().delete()
    migration.plans_create(apps, None)
    assert plans() == STARTING
    Plan.objects.filter(code="pro").update(monthly_characters=2_000_000, price=Decimal("39.00"))
    migration.plans_create(apps, None)  # run again (or after seed_demo): nothing is overwritten
    assert ("pro", "Pro", 2_000_000, Decimal("39.00")) in plans()
    make_organization(plan=Plan.objects.get(code="business"))
    migration.plans_remove(apps, None)
    assert [code for code, *_ in plans()] == ["business"]  # billing history keeps its plan


@pytest.mark.embedded
@pytest.mark.django_db
def test_seed_demo_uses_the_plans_the_migration_made():
    Plan.objects.all().delete()
    migration.plans_create(apps, None)
    organizations = customers_seed(now=timezone.now())
    assert plans() == STARTING  # no second Free, no changed figures
    assert {o.subscriptions.get().plan.code for o in organizations} == {"free", "pro", "business"}


@pytest.mark.django_db
def test_on_a_fresh_install_signup_verify_key_and_the_first_summary_work(
    settings, django_capture_on_commit_callbacks
):
    Plan.objects.all().delete()
    migration.plans_create(apps, None)  # what `migrate` leaves on a fresh database
    load_shipped_templates()
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    mail.outbox = []
    browser = Client(enforce_csrf_checks=True)

    def post(path: str, data: dict):
        page = browser.get(path if path != "/accounts/keys/" else "/accounts/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
        return browser.post(path, {**data, "csrfmiddlewaretoken": token.group(1)})

    with django_capture_on_commit_callbacks(execute=True):
        signup = post(
            "/accounts/signup/",
            {
                "email": "first@example.com",
                "password": "a-long-password-1",
                "organization_name": "First Customer",
                "language": "en",
            },
        )
    assert signup.status_code == 302, signup.content.decode()[:500]
    body = "\n".join(m.body for m in mail.outbox)
    link = re.search(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/)", body).group(1)
    assert "verified" in browser.get(link).content.decode()
    # Signup answers "check your email" (it never tells whether the address had an account).
    post("/accounts/login/", {"username": "first@example.com", "password": "a-long-password-1"})
    page = post("/accounts/keys/", {"name": "first key"})
    key = re.search(r'id="new-key">(ss_[^<]+)<', page.content.decode()).group(1)

    api = Client(enforce_csrf_checks=True)
    text = "The first customer calls the API. The plan comes from the migration. It works."
    response = call(api, key, "post", "/api/v1/summaries", {"mode": "brief", "text": text})
    assert response.status_code == 201, response.content
    usage = call(api, key, "get", "/api/v1/usage").json()
    assert (usage["plan"], usage["characters_limit"], usage["characters_used"]) == (
        "Free",
        10_000,
        len(text),
    )
