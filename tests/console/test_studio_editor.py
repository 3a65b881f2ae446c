"""Editing a template: errors at their line and column, nothing invalid saved, saves audited."""

import pytest

from apps.console.models import AuditEntry
from apps.console.roles import TEMPLATE_EDITOR
from apps.mail.models import EmailTemplate
from tests.console.studio_support import editor_data, role_client, shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def change_url(template: EmailTemplate) -> str:
    return f"/admin/mail/emailtemplate/{template.pk}/change/"


def test_the_editor_page_has_code_editors_and_a_preview_pane(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    page = admin_client.get(change_url(template)).content.decode()
    assert 'data-code-editor="xml"' in page and 'data-code-editor="json"' in page
    assert "console/codemirror/codemirror.js" in page and "console/studio.js" in page
    assert f'data-preview-url="/admin/mail/emailtemplate/{template.pk}/preview/"' in page
    assert 'sandbox=""' in page and "studio-frame-dark" in page


def test_an_mjml_error_is_reported_at_its_line_and_nothing_is_saved():
    client = role_client(TEMPLATE_EDITOR)
    template = EmailTemplate.objects.get(key="welcome")
    lines = template.mjml.splitlines()
    lines[3] = "    <mj-txt>Broken</mj-txt>"
    response = client.post(change_url(template), editor_data(template, mjml="\n".join(lines)))
    assert response.status_code == 200
    page = response.content.decode()
    assert "line 4, column 5: unknown element &lt;mj-txt&gt;" in page
    fresh = EmailTemplate.objects.get(pk=template.pk)
    assert fresh.active_version_id == template.active_version_id
    assert fresh.mjml == template.mjml
    assert not AuditEntry.objects.exists()


def test_a_json_syntax_error_in_the_sample_data_says_where(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    broken = '{\n  "name": "Ada",\n  "dashboard_url": https://x\n}'
    response = admin_client.post(change_url(template), editor_data(template, sample_context=broken))
    assert "line 3, column 20: not valid JSON" in response.content.decode()


def test_a_valid_save_makes_a_new_version_and_an_audit_entry():
    client = role_client(TEMPLATE_EDITOR)
    template = EmailTemplate.objects.get(key="welcome")
    response = client.post(change_url(template), editor_data(template, subject="Hi {{ name }}"))
    assert response.status_code == 302
    fresh = EmailTemplate.objects.get(pk=template.pk)
    assert fresh.active_version.number == 2
    assert fresh.active_version.author == client.user
    entry = AuditEntry.objects.get(action="email_template.save")
    assert entry.actor == client.user and entry.target_id == str(template.pk)
    assert entry.before["subject"] == template.subject and entry.after["subject"] == "Hi {{ name }}"
    assert (entry.before["version"], entry.after["version"]) == (1, 2)


def test_a_layout_edit_that_would_break_a_template_is_refused_at_its_line(admin_client):
    from apps.mail.models import EmailLayout

    layout = EmailLayout.objects.get(is_default=True)
    lines = layout.mjml.splitlines()
    number = next(i for i, line in enumerate(lines) if "<mj-body" in line)
    lines[number] = lines[number] + "<mj-bogus/>"
    data = {"key": layout.key, "name": layout.name, "mjml": "\n".join(lines), "is_default": "on"}
    response = admin_client.post(f"/admin/mail/emaillayout/{layout.pk}/change/", data)
    assert response.status_code == 200
    assert f"line {number + 1}, column" in response.content.decode()
    assert EmailLayout.objects.get(pk=layout.pk).mjml == layout.mjml


def test_browser_line_ends_are_saved_as_unix_newlines(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    crlf = template.mjml.replace("\n", "\r\n").replace("Welcome aboard", "Hi there")
    response = admin_client.post(change_url(template), editor_data(template, mjml=crlf))
    assert response.status_code == 302
    assert "\r" not in EmailTemplate.objects.get(pk=template.pk).mjml
    from apps.mail.models import EmailLayout

    layout = EmailLayout.objects.get(is_default=True)
    data = {
        "key": layout.key,
        "name": layout.name,
        "is_default": "on",
        "mjml": layout.mjml.replace("\n", "\r\n"),
    }
    response = admin_client.post(f"/admin/mail/emaillayout/{layout.pk}/change/", data)
    assert response.status_code == 302
    assert "\r" not in EmailLayout.objects.get(pk=layout.pk).mjml


def test_templates_are_never_deleted_from_the_console(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    response = admin_client.post(
        f"/admin/mail/emailtemplate/{template.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert EmailTemplate.objects.filter(key="welcome").exists()
