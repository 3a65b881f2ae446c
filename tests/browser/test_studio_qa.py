"""The studio's checks panel in headless Chromium: break a link and a contrast, see both named,
fix them, see the panel clear; the spam score arrives from the background."""

import pytest
from django.conf import settings

from apps.mail.qa import spam
from apps.mail.services import personalize
from tests.browser.support import SHOTS, editor_line, open_studio, renders, settle, wait_for_preview

pytestmark = pytest.mark.browser
SITE = "https://app.summasaas.example"
PANEL = "#studio-checks"
EDITOR = "document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror"


@pytest.fixture
def qa_studio(admin_page, live_server, settings):
    """The welcome template in the studio, on a deployment whose links are not 127.0.0.1."""
    settings.SITE_URL = SITE
    personalize._url.cache_clear()
    template = open_studio(admin_page, live_server.url, height=1100)
    yield admin_page, template
    settle(admin_page)
    personalize._url.cache_clear()


def status(page, key: str) -> str:
    return page.get_attribute(f'{PANEL} [data-check="{key}"]', "data-status")


def panel_text(page, key: str) -> str:
    return page.locator(f'{PANEL} [data-check="{key}"]').inner_text()


def wait_for_status(page, key: str, wanted: str) -> None:
    page.wait_for_function(
        "([key, wanted]) => { const c = document.querySelector("
        "`#studio-checks [data-check=${key}]`); return c && c.dataset.status === wanted; }",
        arg=[key, wanted],
    )


def wait_for_spam_score(page) -> None:
    page.wait_for_function(
        "() => { const s = document.querySelector('#studio-checks [data-check=spam]');"
        " return s && s.dataset.status !== 'pending'; }",
        timeout=60_000,
    )


def test_a_broken_link_and_contrast_are_named_in_the_panel_and_clear_once_fixed(qa_studio):
    page, _template = qa_studio
    assert [status(page, key) for key in ("links", "contrast", "accessibility", "size")] == [
        "pass",
        "pass",
        "pass",
        "pass",
    ]
    assert status(page, "clients") == "warn" and page.locator(f"{PANEL} .is-fail").count() == 0
    original = page.evaluate(f"() => {EDITOR}.getValue()")

    before = renders(page)
    line = editor_line(page, 4)  # <mj-text css-class="em-text">Your {{ site_name }} account ...
    line.click()
    page.keyboard.press("Home")
    for _ in "<mj-text":
        page.keyboard.press("ArrowRight")
    page.keyboard.type(' color="#c0c4cc"')  # light grey on the white card
    page.keyboard.press("End")
    for _ in "</mj-text>":
        page.keyboard.press("ArrowLeft")
    page.keyboard.type(' See <a href="{{ site_url }}/no-such-page/">the tour</a>.')
    wait_for_preview(page, "ok", before)
    wait_for_status(page, "links", "fail")
    assert status(page, "links") == "fail" and status(page, "contrast") == "fail"
    assert status(page, "clients") == "warn"  # contrast is not counted again per client
    links, contrast = panel_text(page, "links"), panel_text(page, "contrast")
    assert f"{SITE}/no-such-page/ goes to a page that does not exist" in links
    assert "/no-such-page/ answers 404" in links
    assert "is #c0c4cc on #ffffff in light" in contrast and "below the 4.5:1" in contrast
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".studio-checks").screenshot(path=str(SHOTS / "studio-checks-broken.png"))

    before = renders(page)
    page.evaluate(f"(text) => {EDITOR}.setValue(text)", original)  # as undoing both edits
    wait_for_preview(page, "ok", before)
    wait_for_status(page, "links", "pass")
    assert status(page, "links") == "pass" and status(page, "contrast") == "pass"
    assert "no-such-page" not in page.locator(PANEL).inner_text()
    wait_for_spam_score(page)
    assert page.locator(f"{PANEL} .is-fail").count() == 0
    if spam.program() is not None:
        assert "SpamAssassin scores 0.0: no rule with points" in panel_text(page, "spam")
    page.locator(".studio-checks").screenshot(path=str(SHOTS / "studio-checks-clear.png"))


def test_client_support_is_grouped_per_client_with_the_accepted_limits(qa_studio):
    page, _template = qa_studio
    outlook = page.locator(f'{PANEL} details[data-client="Outlook (Windows)"]')
    assert outlook.count() == 1 and outlook.get_attribute("open") is None  # no error: folded
    outlook.locator("summary").click()
    text = outlook.inner_text()
    assert (
        "border-radius: not supported; accepted by the template: the card and the buttons " in text
    )
    assert settings.SITE_URL == SITE
