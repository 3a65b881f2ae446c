"""Fixtures for the email QA tests: a deployed SITE_URL, emails made from plain HTML."""

import pytest

from apps.mail.qa.check import Email
from apps.mail.services import personalize

SITE = "https://app.summasaas.example"


@pytest.fixture
def deployed(settings):
    """Links in emails point at a deployed site, as in production (not this test's 127.0.0.1).

    `personalize._url` keeps SITE_URL + path per process; it is cleared around the change."""
    settings.SITE_URL = SITE
    personalize._url.cache_clear()
    yield SITE
    personalize._url.cache_clear()


def email_of(html: str, *, text: str = "", subject: str = "Your receipt", **fields) -> Email:
    """An email as the QA receives it, made of this HTML."""
    values = {"key": "probe", "language": "en", "category": "transactional", "preheader": ""}
    values.update(fields)
    return Email(subject=subject, html=html, text=text or "Hello", **values)


def page(body: str, *, head: str = "", lang: str = "en") -> str:
    """A minimal email document around `body`."""
    return (
        f'<!doctype html><html lang="{lang}" dir="ltr"><head><meta charset="utf-8">{head}</head>'
        f'<body style="background-color:#ffffff;">{body}</body></html>'
    )
