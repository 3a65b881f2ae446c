"""Contrast: WCAG ratios of every visible text run, in light, own dark and forced dark."""

import pytest

from apps.mail.qa.contrast import check_contrast, ratio, runs, unstyled_failures
from apps.mail.qa.modes import document, light
from tests.mail.qa.conftest import page

DARK_STYLE = "<style>@media (prefers-color-scheme: dark) {{ {rules} }}</style>"
DARK_META = '<meta name="color-scheme" content="light dark">'


def test_the_ratio_is_wcag_s():
    assert ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    assert ratio((255, 255, 255), (255, 255, 255)) == pytest.approx(1)
    assert ratio((0x77, 0x77, 0x77), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)
    assert ratio((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


def test_light_grey_on_white_fails_in_light_mode_and_names_the_text_colours_and_mode():
    html = page('<div style="color:#999999;font-size:16px">Your receipt is attached</div>')
    result = check_contrast(html)
    [finding] = [f for f in result.findings if f.where == "light"]
    assert finding.severity == "error"
    assert finding.message == (
        "“Your receipt is attached” is #999999 on #ffffff in light: 2.85:1, below the 4.5:1 "
        "WCAG AA asks for text"
    )


def test_large_text_needs_3_to_1_and_bold_makes_18_66_px_large():
    grey = "color:#888888"  # 3.54:1 on white: enough for large text, not for body text
    html = page(
        f'<div style="{grey};font-size:24px">Big heading</div>'
        f'<div style="{grey};font-size:19px;font-weight:700">Bold subheading</div>'
        f'<div style="{grey};font-size:19px">Plain 19 px</div>'
    )
    failing = [r.text for r in check_contrast(html).failing["light"]]
    assert failing == ["Plain 19 px"]


def test_grey_on_grey_in_the_emails_own_dark_styles_fails_only_there():
    head = DARK_META + DARK_STYLE.format(
        rules=".card { background-color: #1c1f27 !important; } .card div { color: #3b3f4a "
        "!important; }"
    )
    html = page(
        '<div class="card" style="background-color:#ffffff"><div style="color:#1f2330">'
        "Hidden in the dark</div></div>",
        head=head,
    )
    result = check_contrast(html)
    assert result.failing["light"] == [] and result.failing["forced"] == []
    [run] = result.failing["dark"]
    assert (run.text, run.colour, run.background) == (
        "Hidden in the dark",
        (59, 63, 74),
        (28, 31, 39),
    )
    assert any(f.where == "own dark" and "Hidden in the dark" in f.message for f in result.findings)


def test_forced_dark_measures_the_recoloured_design():
    # Mid grey text on a mid grey panel: the apps leave both alone, so it stays unreadable.
    html = page('<div style="background-color:#777777;color:#888888">Muddy</div>')
    result = check_contrast(html)
    assert [r.text for r in result.failing["forced"]] == ["Muddy"]
    # Dark text on white becomes light text on dark: readable.
    fine = check_contrast(page('<div style="color:#1f2330">Readable</div>'))
    assert fine.failing["forced"] == [] and fine.measured["forced"] == 1


def test_hidden_text_is_not_measured():
    html = page(
        '<div style="display:none;color:#ffffff">preview text</div>'
        '<div style="max-height:0;overflow:hidden;color:#fefefe">also hidden</div>'
        '<td style="font-size:0px"><div style="color:#fefefe;font-size:0">zero</div></td>'
        '<div style="opacity:0;color:#fff">invisible</div>'
        '<div style="color:#000">shown</div>'
    )
    assert [r.text for r in runs(light(html), scheme="light")] == ["shown"]


def test_the_background_is_the_nearest_painted_one_with_alpha_blended():
    html = page(
        '<table bgcolor="#000000"><tr><td><div style="background-color:rgba(255,255,255,0.5)">'
        '<span style="color:#ffffff">On grey</span></div></td></tr></table>'
    )
    [run] = runs(light(html), scheme="light")
    assert run.background == (128, 128, 128) and run.colour == (255, 255, 255)


def test_rules_from_style_blocks_apply_with_their_specificity_and_importance():
    head = "<style>.note div { color: #aaaaaa !important; } div { color: #000000; }</style>"
    html = page(
        '<div class="note"><div style="color:#111111">Styled by class</div></div>', head=head
    )
    [run] = runs(light(html), scheme="light")
    assert run.colour == (170, 170, 170)


def test_links_without_a_colour_use_the_readers_link_colour_in_each_mode():
    html = page('<p>See <a href="https://example.com/">the page</a></p>')
    light_run = next(r for r in runs(light(html), scheme="light") if r.text == "the page")
    forced_run = [r for r in runs(document(html, "forced"), scheme="light") if r.text == "the page"]
    assert light_run.colour == (0, 0, 238)
    assert forced_run[0].colour == (138, 180, 248) and forced_run[0].passes


def test_an_email_that_needs_its_style_block_to_be_readable_is_caught():
    head = "<style>.panel { background-color: #1f2330; }</style>"
    html = page(
        '<div class="panel"><div style="color:#ffffff">White on the panel</div></div>', head=head
    )
    assert check_contrast(html).failing["light"] == []
    # A client that drops <style> shows white text on white.
    assert [r.text for r in unstyled_failures(html)] == ["White on the panel"]
