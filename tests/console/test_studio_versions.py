"""Versions: history with author and time, a diff between two, restore as a new version."""

import re

import pytest

from apps.console.models import AuditEntry
from apps.console.roles import TEMPLATE_EDITOR
from apps.mail.models import EmailTemplate
from apps.mail.services import template_save
from tests.console.studio_support import role_client, shipped  # noqa: F401
from tests.factories import make_user

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def edit(template: EmailTemplate, author=None, **fields):
    for name, value in fields.items():
        setattr(template, name, value)
    return template_save(template=template, author=author)


def test_the_history_lists_each_version_with_its_author(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    author = make_user(email="writer@example.com", is_staff=True)
    edit(template, author, subject="Second {{ name }}")
    page = admin_client.get(f"/admin/mail/emailtemplate/{template.pk}/change/").content.decode()
    assert "v2" in page and "writer@example.com" in page and "Diff with previous" in page


def test_the_diff_shows_what_changed_side_by_side(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    first = template.active_version
    second = edit(
        template,
        subject="Changed {{ name }}",
        mjml=template.mjml.replace("Welcome aboard", "Hello there"),
    )
    response = admin_client.get(f"/admin/mail/emailtemplateversion/{second.pk}/compare/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-field="subject"' in page and 'data-field="mjml"' in page
    assert 'data-field="variables"' not in page
    text = re.sub(r"</?span[^>]*>", "", page)  # the changed characters are marked in spans
    assert "Hello&nbsp;there" in text and "Welcome&nbsp;aboard" in text
    assert 'class="diff"' in page  # difflib's side-by-side table
    against = admin_client.get(
        f"/admin/mail/emailtemplateversion/{second.pk}/compare/?against={second.pk}"
    ).content.decode()
    assert "are identical" in against
    assert first.number == 1


def test_restoring_makes_the_old_content_a_new_version_and_audits_it():
    template = EmailTemplate.objects.get(key="welcome")
    first = template.active_version
    edit(template, subject="Changed {{ name }}")
    client = role_client(TEMPLATE_EDITOR)
    url = f"/admin/mail/emailtemplateversion/{first.pk}/restore/"
    assert client.get(url).status_code == 200  # the confirmation dialog
    response = client.post(url, {"_form_submitted": "on"})
    assert response.status_code == 200 and "HX-Redirect" in response.headers
    fresh = EmailTemplate.objects.get(pk=template.pk)
    assert fresh.active_version.number == 3
    assert fresh.active_version.subject == first.subject == fresh.subject
    assert fresh.active_version.mjml == first.mjml
    entry = AuditEntry.objects.get(action="email_template.restore")
    assert entry.note == "restored v1 as v3" and entry.before["version"] == 2
    assert fresh.versions.filter(language="en").count() == 3


def test_every_sent_email_links_to_its_version_and_back(admin_client):
    from apps.mail.models import OutboundEmail

    template = EmailTemplate.objects.get(key="welcome")
    first = template.active_version
    edit(template, subject="Changed {{ name }}")
    old = OutboundEmail.objects.create(template_key="welcome", to="old@example.com", version=first)
    OutboundEmail.objects.create(
        template_key="welcome", to="new@example.com", version=template.active_version
    )
    detail = admin_client.get(f"/admin/mail/outboundemail/{old.pk}/change/").content.decode()
    assert f"/admin/mail/emailtemplateversion/{first.pk}/change/" in detail
    response = admin_client.get(f"/admin/mail/emailtemplateversion/{first.pk}/emails/")
    listing = admin_client.get(response["Location"]).content.decode()
    assert "old@example.com" in listing and "new@example.com" not in listing
