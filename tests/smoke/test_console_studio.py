"""The email studio on the deployment, as the operator's browser uses it: previews posted as
the editor's script posts them (the change form's own fields and CSRF token), a template saved
through its form (a new version), a test email that reaches the inbox, the version history
(compare, diff, emails sent, restore) and each template's pages."""

import re

import pytest

pytestmark = pytest.mark.xdist_group("smoke")


@pytest.fixture(scope="module")
def welcome(deployment) -> int:
    return deployment.value("SELECT id FROM mail_emailtemplate WHERE key = 'welcome'")


def preview(staff, page, **changes):
    """What the editor's script does on each keystroke: the form's fields to its preview URL."""
    url = re.search(r'data-preview-url="([^"]+)"', page.text).group(1)
    fields = staff.form(page).data({**changes, "rendered": "1"})
    return staff.post(url, data=fields, headers={"X-Requested-With": "XMLHttpRequest"})


def test_previews_of_a_template_a_translation_and_the_layout_render(staff, deployment, welcome):
    page = staff.get(f"/admin/mail/emailtemplate/{welcome}/change/")
    shown = preview(staff, page, subject="Hello {{ name }}, from the smoke suite")
    assert shown.status_code == 200, shown.text[:300]
    body = shown.json()
    assert body["ok"] and "Welcome aboard" in body["html"]["light"], body.get("problems")
    [spam] = [check for check in body["checks"] if check["key"] == "spam"]
    score = staff.get(spam["url"])  # what the checks panel polls while a consumer scores it
    assert score.status_code == 200 and score.json()["state"] in ("pending", "done"), score.text
    broken = preview(staff, page, mjml="<mj-section><mj-column><mj-text>{{ oops </mj-text>")
    assert broken.status_code == 200 and not broken.json()["ok"]  # a problem, not a 500
    translation = deployment.value(
        "SELECT id FROM mail_emailtemplatetranslation WHERE template_id = %s", welcome
    )
    layout = deployment.value("SELECT id FROM mail_emaillayout ORDER BY id LIMIT 1")
    for path in (
        f"/admin/mail/emailtemplatetranslation/{translation}/change/",
        f"/admin/mail/emaillayout/{layout}/change/",
        "/admin/mail/emailtemplate/add/",
        "/admin/mail/emaillayout/add/",
        "/admin/mail/emailtemplatetranslation/add/",
    ):
        answer = preview(staff, staff.get(path))
        assert answer.status_code == 200 and "problems" in answer.json(), (path, answer.text[:300])


def test_saving_a_template_through_its_form_makes_a_new_version(staff, deployment, welcome):
    versions = deployment.value(
        "SELECT count(*) FROM mail_emailtemplateversion WHERE template_id = %s", welcome
    )
    page = staff.get(f"/admin/mail/emailtemplate/{welcome}/change/")
    saved = staff.submit(page, "", {"subject": "Welcome to {{ site_name }}, {{ name }}!"})
    assert saved.status_code == 200 and saved.history, saved.text[:500]
    rows = deployment.sql(
        "SELECT subject FROM mail_emailtemplateversion WHERE template_id = %s ORDER BY id DESC",
        welcome,
    )
    assert len(rows) == versions + 1 and rows[0][0] == "Welcome to {{ site_name }}, {{ name }}!"


def test_a_test_send_reaches_the_inbox(staff, deployment, welcome):
    page = staff.get(f"/admin/mail/emailtemplate/{welcome}/test_send/")
    sent = staff.submit(page, "", {"to": "studio@summasaas.test"})
    assert sent.status_code == 200, sent.text[:500]
    assert deployment.sink.wait_for("studio@summasaas.test", "Welcome to").raw


def test_the_version_history_compares_diffs_lists_emails_and_restores(staff, deployment, welcome):
    newest, older = [
        row[0]
        for row in deployment.sql(
            "SELECT id FROM mail_emailtemplateversion WHERE template_id = %s "
            "ORDER BY id DESC LIMIT 2",
            welcome,
        )
    ]
    base = "/admin/mail/emailtemplateversion"
    for path in (
        f"{base}/{newest}/compare/?against={older}",
        f"{base}/{newest}/diff/",
        f"{base}/{newest}/emails/",
    ):
        assert staff.get(path).status_code == 200, path
    restored = staff.submit(staff.get(f"{base}/{older}/restore/"), "")
    assert restored.status_code == 200
    latest = deployment.value(
        "SELECT subject FROM mail_emailtemplateversion WHERE template_id = %s ORDER BY id DESC "
        "LIMIT 1",
        welcome,
    )
    older_subject = deployment.value(
        "SELECT subject FROM mail_emailtemplateversion WHERE id = %s", older
    )
    assert latest == older_subject  # restored as a new version


def test_each_templates_pages_answer(staff, welcome):
    base = f"/admin/mail/emailtemplate/{welcome}"
    for path in (
        f"{base}/translations/",
        f"{base}/delivery/",
        f"{base}/outbox/",
        "/admin/mail/emailtemplate/delivery/",
        "/admin/mail/emailtemplate/delivery_list/",
    ):
        answer = staff.get(path)
        assert answer.status_code == 200, (path, answer.status_code)
