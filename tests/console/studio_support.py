"""Shared pieces of the email studio tests: the shipped templates, staff in each role."""

import itertools
import json

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from apps.accounts.models import User
from apps.mail.models import EmailTemplate
from tests.conftest import load_shipped_templates

_numbers = itertools.count(1)


@pytest.fixture
def shipped(db):
    """The shipped layout and templates, loaded as `make run` loads them."""
    load_shipped_templates()


def role_client(role: str, email: str | None = None) -> Client:
    """A logged-in client for a new staff member in `role` (no password: hashing is slow)."""
    email = email or f"staff{next(_numbers)}@summasaas.example"
    user = User.objects.create_user(email=email, password=None, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def editor_data(template: EmailTemplate, **changes) -> dict:
    """The template editor's form as the browser posts it."""
    data = {
        "key": template.key,
        "name": template.name,
        "category": template.category,
        "layout": template.layout_id or "",
        "subject": template.subject,
        "preheader": template.preheader,
        "mjml": template.mjml,
        "text_body": template.text_body,
        "variables": json.dumps(template.variables),
        "sample_context": json.dumps(template.sample_context),
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    }
    return {**data, **changes}
