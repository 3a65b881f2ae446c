"""Fixtures for the billing tests: the shipped email templates and a provider that keeps mail."""

import pytest
from django.core import mail


@pytest.fixture
def provider(settings):
    """anymail's test backend: delivered messages land in `django.core.mail.outbox`."""
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.test.EmailBackend"}}
    mail.outbox = []
    return mail.outbox
