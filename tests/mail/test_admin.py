"""Staff edit templates in the console: errors show where they are, and nothing goes live."""

import json

import pytest

from apps.mail.models import EmailTemplate, OutboundEmail

pytestmark = pytest.mark.django_db


def form_data(template: EmailTemplate, **changes) -> dict:
    data = {
        "key": template.key, "name": template.name, "category": template.category,
        "layout": "", "subject": template.subject, "preheader": template.preheader,
        "mjml": template.mjml, "text_body": template.text_body,
        "variables": json.dumps(template.variables),
        "sample_context": json.dumps(template.sample_context),
    }  # fmt: skip
    return {**data, **changes}


def test_an_invalid_edit_shows_line_and_column_and_a_valid_one_goes_live(admin_client, templates):
    template = EmailTemplate.objects.get(key="welcome")
    url = f"/admin/mail/emailtemplate/{template.pk}/change/"
    broken = template.mjml.replace("<mj-button", "<mj-buton", 1)
    response = admin_client.post(url, form_data(template, mjml=broken))
    assert response.status_code == 200
    assert "unknown element &lt;mj-buton&gt;" in response.content.decode()
    assert "line 7, column 5" in response.content.decode()
    assert EmailTemplate.objects.get(pk=template.pk).active_version == template.active_version
    response = admin_client.post(url, form_data(template, subject="Hello {{ name }}"))
    assert response.status_code == 302
    live = EmailTemplate.objects.get(pk=template.pk).active_version
    assert live.number == 2 and live.subject == "Hello {{ name }}"


def test_the_outbox_and_suppressions_pages_render(admin_client, templates):
    OutboundEmail.objects.create(template_key="welcome", to="a@example.com", status="failed")
    for page in ("outboundemail", "suppression", "emailevent", "emailtemplateversion"):
        assert admin_client.get(f"/admin/mail/{page}/").status_code == 200
