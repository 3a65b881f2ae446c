"""The mail app's console pages render (the template editor is the studio's, tested there)."""

import pytest

from apps.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_the_outbox_and_suppressions_pages_render(admin_client, templates):
    OutboundEmail.objects.create(template_key="welcome", to="a@example.com", status="failed")
    for page in ("outboundemail", "suppression", "emailevent", "emailtemplateversion"):
        assert admin_client.get(f"/admin/mail/{page}/").status_code == 200
