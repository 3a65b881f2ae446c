"""The demo world, seeded once per module instead of once per test (15 s a seed on this
machine): inside a transaction rolled back after the module, with each test in a savepoint
within it (pytest-django's `db`), as Django's `TestCase.setUpTestData` does. A module that uses
it carries its own `xdist_group`, so its tests run on one worker and share the one seed."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction


@pytest.fixture(scope="module")
def demo_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo", stdout=io.StringIO())
        yield
        transaction.set_rollback(True)
