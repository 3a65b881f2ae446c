"""Every way to a version diff arrives at it (issue 12.1: "Compare" redirected to itself)."""

import pytest

from apps.mail.models import EmailTemplate
from apps.mail.services import template_save
from tests.console.studio_support import shipped  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shipped")]


def test_compare_the_row_action_and_diff_with_previous_all_open_the_diff(admin_client):
    template = EmailTemplate.objects.get(key="welcome")
    first = template.active_version
    template.subject = "Changed {{ name }}"
    second = template_save(template=template)
    compare = f"/admin/mail/emailtemplateversion/{second.pk}/compare/"
    action = admin_client.get(f"/admin/mail/emailtemplateversion/{second.pk}/diff/")
    assert action.status_code == 302 and action["Location"] == compare
    chosen = admin_client.get(
        f"/admin/mail/emailtemplateversion/{second.pk}/diff/?against={first.pk}"
    )
    assert chosen["Location"] == f"{compare}?against={first.pk}"
    assert admin_client.get(compare).status_code == 200
    detail = admin_client.get(f"/admin/mail/emailtemplateversion/{second.pk}/change/")
    listing = admin_client.get("/admin/mail/emailtemplateversion/")
    history = admin_client.get(f"/admin/mail/emailtemplate/{template.pk}/change/")
    for page in (detail, listing, history):  # every diff link on them leads to a page, once
        assert f"/emailtemplateversion/{second.pk}/" in page.content.decode()
    assert compare in history.content.decode()  # "Diff with previous" links the page itself
