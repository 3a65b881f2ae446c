"""A Viewer reads the studio but every changing URL, called directly, answers 403."""

import pytest

from apps.console.models import AuditEntry
from apps.console.roles import SENDER, TEMPLATE_EDITOR, VIEWER
from apps.mail.models import EmailLayout, EmailTemplate, OutboundEmail, Suppression
from tests.console.studio_support import editor_data, role_client, shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def changing_requests() -> list[tuple[str, dict]]:
    template = EmailTemplate.objects.get(key="welcome")
    layout = EmailLayout.objects.get(is_default=True)
    email = OutboundEmail.objects.create(
        template_key="welcome", to="a@example.com", status="failed", version=template.active_version
    )
    suppression = Suppression.objects.create(address="gone@example.com", reason="bounce")
    confirm = {"_form_submitted": "on"}
    return [
        (f"/admin/mail/emailtemplate/{template.pk}/change/", editor_data(template, subject="X")),
        ("/admin/mail/emailtemplate/add/", editor_data(template, key="new_one")),
        (f"/admin/mail/emailtemplate/{template.pk}/delete/", {"post": "yes"}),
        (
            f"/admin/mail/emaillayout/{layout.pk}/change/",
            {"key": layout.key, "name": "X", "mjml": layout.mjml, "is_default": "on"},
        ),
        (
            f"/admin/mail/emailtemplate/{template.pk}/test_send/",
            {**confirm, "to": "viewer@example.com"},
        ),
        (f"/admin/mail/emailtemplateversion/{template.active_version_id}/restore/", confirm),
        (f"/admin/mail/outboundemail/{email.pk}/retry/", confirm),
        (f"/admin/mail/outboundemail/{email.pk}/resend/", confirm),
        ("/admin/mail/suppression/add/", {"address": "new@example.com"}),
        (f"/admin/mail/suppression/{suppression.pk}/delete/", {"post": "yes"}),
    ]


def test_a_viewer_gets_403_on_every_changing_url_and_nothing_changes():
    viewer = role_client(VIEWER, email="viewer@example.com")
    for url, data in changing_requests():
        assert viewer.post(url, data).status_code == 403, url
    template = EmailTemplate.objects.get(key="welcome")
    assert template.versions.filter(language="en").count() == 1 and template.subject != "X"
    assert OutboundEmail.objects.count() == 1 and OutboundEmail.objects.get().status == "failed"
    assert list(Suppression.objects.values_list("address", flat=True)) == ["gone@example.com"]
    assert EmailLayout.objects.get(is_default=True).name != "X"
    assert not AuditEntry.objects.exists()


def test_a_viewer_can_read_every_studio_page():
    viewer = role_client(VIEWER)
    template = EmailTemplate.objects.get(key="welcome")
    email = OutboundEmail.objects.create(
        template_key="welcome", to="a@example.com", version=template.active_version, status="sent"
    )
    for url in [
        "/admin/mail/emailtemplate/",
        f"/admin/mail/emailtemplate/{template.pk}/change/",
        "/admin/mail/emaillayout/",
        "/admin/mail/emailtemplateversion/",
        f"/admin/mail/emailtemplateversion/{template.active_version_id}/change/",
        f"/admin/mail/emailtemplateversion/{template.active_version_id}/compare/",
        "/admin/mail/outboundemail/",
        f"/admin/mail/outboundemail/{email.pk}/change/",
        "/admin/mail/emailevent/",
        "/admin/mail/suppression/",
        "/admin/mail/emailtemplate/delivery/",
    ]:
        assert viewer.get(url).status_code == 200, url


def test_a_bulk_retry_is_not_offered_to_a_viewer_and_does_nothing():
    viewer = role_client(VIEWER)
    email = OutboundEmail.objects.create(
        template_key="welcome", to="a@example.com", status="failed"
    )
    page = viewer.get("/admin/mail/outboundemail/").content.decode()
    assert "retry_selected" not in page
    viewer.post(
        "/admin/mail/outboundemail/", {"action": "retry_selected", "_selected_action": [email.pk]}
    )
    assert OutboundEmail.objects.get().status == "failed"


def test_each_role_gets_only_its_own_actions():
    template = EmailTemplate.objects.get(key="welcome")
    editor, sender = role_client(TEMPLATE_EDITOR), role_client(SENDER)
    url = f"/admin/mail/emailtemplate/{template.pk}/test_send/"
    assert editor.post(url, {"_form_submitted": "on", "to": editor.user.email}).status_code == 403
    assert (
        sender.post(
            f"/admin/mail/emailtemplate/{template.pk}/change/", editor_data(template)
        ).status_code
        == 403
    )
    assert (
        "Send test"
        not in editor.get(f"/admin/mail/emailtemplate/{template.pk}/change/").content.decode()
    )
