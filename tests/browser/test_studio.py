"""The email studio as staff use it, in headless Chromium: edit, preview, dark, test-send."""

import email
import email.policy
import logging
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings

from apps.mail.models import EmailLayout, EmailTemplate, EmailTemplateTranslation, OutboundEmail
from tests.conftest import load_shipped_templates
from tests.servers import free_port

pytestmark = pytest.mark.browser
SHOTS = settings.BASE_DIR / "var" / "screenshots"


class Sink:
    """An SMTP server handler that keeps every message it accepts."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(
                email.message_from_bytes(envelope.content, policy=email.policy.default)
            )
        return "250 OK"

    def wait_for(self, count: int, timeout: float = 15) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.1)
        raise AssertionError(f"the SMTP sink got {len(self.messages)} message(s), not {count}")


@pytest.fixture
def smtp_sink(settings):
    handler, port = Sink(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    yield handler
    controller.stop()


@pytest.fixture
def studio(admin_page, live_server):
    """The welcome template open in the studio, its first preview rendered."""
    load_shipped_templates()
    template = EmailTemplate.objects.get(key="welcome")
    admin_page.set_viewport_size({"width": 1440, "height": 1000})
    admin_page.goto(f"{live_server.url}/admin/mail/emailtemplate/{template.pk}/change/")
    wait_for_preview(admin_page, "ok")
    yield admin_page, template
    settle(admin_page)


def settle(page) -> None:
    """Let the checks panel's spam score asks in flight finish, then leave the page: no request
    of the test may reach the live server once the test's database is gone."""
    page.wait_for_function(
        "() => !(+document.getElementById('studio-preview').dataset.spamAsking)", timeout=60_000
    )
    page.goto("about:blank")


def wait_for_preview(page, state: str, after: int = 0) -> None:
    page.wait_for_function(
        "([state, after]) => { const p = document.getElementById('studio-preview');"
        " return p.dataset.state === state && +p.dataset.renders > after; }",
        arg=[state, after],
    )


def wait_for_frame_text(page, name: str, text: str, timeout: float = 15) -> None:
    """Wait until preview frame `name` shows `text`: a frame is filled after the status says
    the render is done, and a render can be of an edit typed before the last one."""
    deadline = time.monotonic() + timeout
    while text not in frame(page, name).content():
        assert time.monotonic() < deadline, f"the {name} preview never showed {text!r}"
        page.wait_for_timeout(100)


def renders(page) -> int:
    return int(page.get_attribute("#studio-preview", "data-renders"))


def editor_line(page, number: int):
    return page.locator(".CodeMirror[data-field=mjml] .CodeMirror-code > div").nth(number - 1)


def error_lines(page) -> list[int]:
    return page.evaluate(
        "() => { const cm = document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror;"
        " const found = []; cm.eachLine(h => { if ((h.bgClass || '').includes('studio-line-error'))"
        " found.push(cm.getLineNumber(h) + 1); }); return found; }"
    )


def frame(page, name: str):
    return page.locator(f"#studio-frame-{name}").element_handle().content_frame()


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(250)  # let the preview frames paint
    page.screenshot(path=str(SHOTS / name))


def test_an_mjml_error_shows_at_its_line_then_the_fix_updates_the_preview_and_dark_applies(studio):
    page, template = studio
    shoot(page, "studio-light.png")
    mistake = "<mj-txt>oops</mj-txt>"
    before = renders(page)
    editor_line(page, 4).click()
    page.keyboard.press("End")
    page.keyboard.type(mistake)
    wait_for_preview(page, "invalid", before)
    assert error_lines(page) == [4]
    problem = page.locator(".studio-line-problem[data-line='4']").first
    assert "unknown element <mj-txt>" in problem.inner_text()
    assert "line 4" in page.locator("#studio-problems").inner_text()

    page.click("button[name=_continue]")  # saving refuses it, at the same line
    page.wait_for_load_state()
    assert "line 4, column" in page.locator(".field-mjml").inner_text()
    assert EmailTemplate.objects.get(pk=template.pk).versions.filter(language="en").count() == 1
    wait_for_preview(page, "invalid")
    # The reloaded page shows what its status says: the saved version, not a blank pane.
    status = page.locator("#studio-status").inner_text()
    assert "1 problem — the preview shows the saved version (v1)" in status
    wait_for_frame_text(page, "light", "Welcome aboard, Ada")

    before = renders(page)
    editor_line(page, 4).click()
    page.keyboard.press("End")
    for _ in mistake:
        page.keyboard.press("Backspace")
    editor_line(page, 3).click()
    page.keyboard.press("End")
    for _ in "</mj-text>":
        page.keyboard.press("ArrowLeft")
    page.keyboard.type(" Hello from the browser")
    wait_for_preview(page, "ok", before)
    # The first clean render may be of the deletion alone (the preview waits for a pause in
    # typing, and there was one before the new words): the words arrive with a later one.
    wait_for_frame_text(page, "light", "Hello from the browser")
    assert error_lines(page) == []
    light = frame(page, "light")
    assert light.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 245, 247)"

    page.click("[data-mode=dark]")
    dark = frame(page, "dark")
    assert page.locator("#studio-frame-dark").is_visible()
    assert dark.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 19, 24)"
    card = dark.locator(".em-card").first
    assert card.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(28, 31, 39)"
    page.click("[data-mode=forced]")
    forced = frame(page, "forced")
    assert forced.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"

    page.click("button[name=_continue]")
    page.wait_for_load_state()
    version = EmailTemplate.objects.get(pk=template.pk).active_version
    assert version.number == 2 and "Hello from the browser" in version.mjml

    page.emulate_media(color_scheme="dark")
    page.reload()
    wait_for_preview(page, "ok")
    page.click("[data-mode=both]")  # light, own dark and forced dark side by side
    boxes = [page.locator(f"#studio-frame-{n}").bounding_box() for n in ("light", "dark", "forced")]
    assert all(boxes) and boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    assert abs(boxes[0]["y"] - boxes[2]["y"]) < 2
    light = frame(page, "light")  # the console is dark now; the light preview stays light
    assert light.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(244, 245, 247)"
    dark, forced = frame(page, "dark"), frame(page, "forced")
    assert dark.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(17, 19, 24)"
    assert forced.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"
    shoot(page, "studio-dark.png")


def test_a_one_letter_typo_shows_its_cause_first_and_folds_what_follows(studio):
    page, _template = studio
    before = renders(page)
    page.evaluate(
        "() => { const cm = document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror;"
        " cm.setValue(cm.getValue().replace('<mj-column>', '<mj-colum>')); }"
    )
    wait_for_preview(page, "invalid", before)
    causes = page.locator("#studio-problems > li")
    assert causes.count() == 1
    assert "unknown element <mj-colum>" in causes.first.inner_text()
    summary = causes.first.locator("details.studio-consequences summary")
    assert summary.inner_text() == "6 more problems follow from this"
    assert not causes.first.locator("details ol").is_visible()  # folded until asked
    assert error_lines(page) == [2]
    assert page.locator("#studio-status").inner_text().startswith("1 problem")


def test_a_test_send_reaches_the_smtp_sink(studio, smtp_sink, settings):
    settings.MAIL_TEST_RECIPIENTS = ["qa@summasaas.example"]
    page, template = studio
    page.click("a:has-text('Send test')")
    dialog = page.locator("#dialog")
    dialog.locator("select[name=to]").select_option("qa@summasaas.example")
    shoot(page, "studio-test-send.png")
    dialog.locator("button[type=submit]").click()
    page.wait_for_selector("text=Test email queued to qa@summasaas.example")
    [message] = smtp_sink.wait_for(1)
    assert message["To"] == "qa@summasaas.example"
    assert message["Subject"] == "Welcome to SummaSaaS, Ada"
    assert "Welcome aboard, Ada" in message.get_body(("html",)).get_content()
    sent = OutboundEmail.objects.get()
    assert sent.is_test and sent.status == "sent" and sent.version == template.active_version


def test_a_script_in_a_template_is_refused_and_never_runs_in_the_preview(studio):
    page, _template = studio
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    script = (
        "<mj-section><mj-column><mj-raw><script>document.body.setAttribute('data-ran', 'yes');"
        "parent.document.title = 'pwned'; alert('pwned');</script></mj-raw>"
        "<mj-text>Scripted</mj-text></mj-column></mj-section>"
    )
    before = renders(page)
    page.evaluate(
        "source => document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror"
        ".setValue(source)",
        script,
    )
    wait_for_preview(page, "invalid", before)
    assert "<script> is not allowed in an email" in page.locator("#studio-problems").inner_text()
    title = page.title()
    for name in ("light", "dark", "forced"):
        assert page.get_attribute(f"#studio-frame-{name}", "sandbox") == ""
        inner = frame(page, name)
        assert inner.evaluate("document.scripts.length") == 0
        assert "Scripted" not in inner.content()
    page.wait_for_timeout(300)
    assert page.title() == title and "pwned" not in title
    assert dialogs == []


def test_a_layout_error_is_refused_and_marked_at_its_line(admin_page, live_server):
    load_shipped_templates()
    layout = EmailLayout.objects.get(is_default=True)
    number = 1 + next(i for i, line in enumerate(layout.mjml.splitlines()) if "<mj-body" in line)
    admin_page.goto(f"{live_server.url}/admin/mail/emaillayout/{layout.pk}/change/")
    admin_page.evaluate(  # the line is far down: put the cursor at its end, then type
        "n => { const cm = document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror;"
        " cm.focus(); cm.setCursor({line: n - 1, ch: cm.getLine(n - 1).length}); }",
        number,
    )
    admin_page.keyboard.type("<mj-bogus/>")
    wait_for_preview(admin_page, "invalid")  # the live preview marks it before any save
    assert error_lines(admin_page) == [number]
    admin_page.click("button[name=_continue]")
    admin_page.wait_for_load_state()
    problem = admin_page.locator(f".studio-line-problem[data-line='{number}']").first
    assert "unknown element <mj-bogus>" in problem.inner_text()
    assert EmailLayout.objects.get(pk=layout.pk).mjml == layout.mjml


def french_edited_in_three_panes(page, url: str) -> None:
    """Open a French translation's editor, change its greeting without saving and show light,
    own dark and forced dark side by side (asserting they are)."""
    page.set_viewport_size({"width": 1600, "height": 1000})
    page.goto(url)
    wait_for_preview(page, "ok")
    before = renders(page)
    page.evaluate(
        "() => { const cm = document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror;"
        " cm.setValue(cm.getValue().replace('Bienvenue à bord', 'Bienvenue parmi nous')); }"
    )
    wait_for_preview(page, "ok", before)
    page.click("[data-mode=both]")
    boxes = [page.locator(f"#studio-frame-{n}").bounding_box() for n in ("light", "dark", "forced")]
    assert all(boxes) and boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]  # side by side


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
        background = inner.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == backgrounds[name]
    shoot(page, "studio-french.png")
    page.click("[data-mode=languages]")  # the French beside the saved English
    assert "Welcome aboard, Ada" in frame(page, "reference").content()
    page.click("button[name=_continue]")
    page.wait_for_load_state()
    translation.refresh_from_db()
    assert translation.active_version.number == 2
    assert "Bienvenue parmi nous" in translation.active_version.mjml


def test_typos_in_the_studio_show_at_their_line_with_no_server_error(studio, caplog):
    # Issue 19.2: `{{ site_name }` answered 500 and an unclosed tag said "line 1, column 1".
    page, _template = studio
    before = renders(page)
    editor_line(page, 5).click()
    page.keyboard.press("End")
    for _ in "</mj-text>":  # typed inside the text, as a customer-facing word would be
        page.keyboard.press("ArrowLeft")
    page.keyboard.type(" {{ x }")
    wait_for_preview(page, "invalid", before)
    assert error_lines(page) == [5]
    problem = page.locator(".studio-line-problem[data-line='5']").first
    assert "{{ is not closed with }} on its line" in problem.inner_text()
    page.keyboard.press("Control+z")
    before = renders(page)
    page.evaluate(
        "() => { const cm = document.querySelector('.CodeMirror[data-field=mjml]').CodeMirror;"
        " const lines = cm.getValue().split('\\n');"
        " lines[4] = lines[4].replace('</mj-text>', ''); cm.setValue(lines.join('\\n')); }"
    )
    wait_for_preview(page, "invalid", before)
    assert error_lines(page) == [5]
    problem = page.locator(".studio-line-problem[data-line='5']").first
    assert "<mj-text> is never closed" in problem.inner_text()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
