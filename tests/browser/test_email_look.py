"""The shipped emails in a real browser: light and dark, and at a phone's 375 px."""

import pytest

from apps.mail.defaults import TEMPLATE_KEYS
from apps.mail.services import render_for_preview
from tests.browser.support import CARD_BACKGROUND
from tests.conftest import load_shipped_templates

pytestmark = [pytest.mark.django_db, pytest.mark.browser]

TEXT_COLOUR = "getComputedStyle(document.querySelector('.em-text div')).color"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    yield page
    context.close()


def test_every_email_fits_375_px_and_switches_to_dark_colours(phone):
    load_shipped_templates()
    for key in TEMPLATE_KEYS:
        phone.emulate_media(color_scheme="light")
        phone.set_content(render_for_preview(template_key=key).html)
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{key} is {width} px wide on a 375 px screen"
        light = phone.evaluate(CARD_BACKGROUND), phone.evaluate(TEXT_COLOUR)
        phone.emulate_media(color_scheme="dark")
        dark = phone.evaluate(CARD_BACKGROUND), phone.evaluate(TEXT_COLOUR)
        assert light == ("rgb(255, 255, 255)", "rgb(31, 35, 48)"), key
        assert dark == ("rgb(28, 31, 39)", "rgb(236, 238, 244)"), key
