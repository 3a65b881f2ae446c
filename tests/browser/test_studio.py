"""The email studio as staff use it, in headless Chromium: an edit's problems shown at their line,
the preview updated once fixed, dark modes; what the preview refuses to run."""

import logging

import pytest

from apps.mail.models import EmailLayout, EmailTemplate
from tests.browser.support import (
    BODY_BACKGROUND,
    CARD_BACKGROUND,
    editor_line,
    error_lines,
    frame,
    renders,
    shoot_studio,
    wait_for_frame_text,
    wait_for_frame_value,
    wait_for_preview,
)
from tests.conftest import load_shipped_templates

pytestmark = pytest.mark.browser


def test_an_mjml_error_shows_at_its_line_then_the_fix_updates_the_preview_and_dark_applies(studio):
    page, template = studio
    shoot_studio(page, "studio-light.png")
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
    wait_for_frame_value(page, "light", BODY_BACKGROUND, "rgb(244, 245, 247)")

    page.click("[data-mode=dark]")
    assert page.locator("#studio-frame-dark").is_visible()
    wait_for_frame_value(page, "dark", BODY_BACKGROUND, "rgb(17, 19, 24)")
    wait_for_frame_value(page, "dark", CARD_BACKGROUND, "rgb(28, 31, 39)")
    page.click("[data-mode=forced]")
    wait_for_frame_value(page, "forced", BODY_BACKGROUND, "rgb(18, 18, 18)")

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
    # The console is dark now; the light preview stays light.
    wait_for_frame_value(page, "light", BODY_BACKGROUND, "rgb(244, 245, 247)")
    wait_for_frame_value(page, "dark", BODY_BACKGROUND, "rgb(17, 19, 24)")
    wait_for_frame_value(page, "forced", BODY_BACKGROUND, "rgb(18, 18, 18)")
    shoot_studio(page, "studio-dark.png")


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
