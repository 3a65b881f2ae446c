"""A translation in the studio, in headless Chromium: French previewed light, own dark and
forced dark side by side, beside the saved English, and saved as a new version."""

import pytest

from apps.mail.models import EmailTemplateTranslation
from tests.browser.support import (
    BODY_BACKGROUND,
    frame,
    french_edited_in_three_panes,
    shoot_studio,
    wait_for_frame_value,
)
from tests.conftest import load_shipped_templates

pytestmark = pytest.mark.browser


def test_a_template_edited_in_french_is_previewed_light_own_dark_and_forced_side_by_side(
    admin_page, live_server
):
    load_shipped_templates()
    translation = EmailTemplateTranslation.objects.get(template__key="welcome", language="fr")
    page = admin_page
    french_edited_in_three_panes(
        page, f"{live_server.url}/admin/mail/emailtemplatetranslation/{translation.pk}/change/"
    )
    names = ("light", "dark", "forced")
    backgrounds = {
        "light": "rgb(244, 245, 247)",
        "dark": "rgb(17, 19, 24)",
        "forced": "rgb(18, 18, 18)",
    }
    for name in names:
        inner = frame(page, name)
        assert "Bienvenue parmi nous, Ada" in inner.content()
        assert "Préférences e-mail" in inner.content()  # the shared layout speaks French too
        wait_for_frame_value(page, name, BODY_BACKGROUND, backgrounds[name])
    shoot_studio(page, "studio-french.png")
    page.click("[data-mode=languages]")  # the French beside the saved English
    assert "Welcome aboard, Ada" in frame(page, "reference").content()
    page.click("button[name=_continue]")
    page.wait_for_load_state()
    translation.refresh_from_db()
    assert translation.active_version.number == 2
    assert "Bienvenue parmi nous" in translation.active_version.mjml
