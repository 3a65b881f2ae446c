"""Accessibility: language and direction, layout tables, alt text, headings, link text, text."""

import pytest

from apps.mail.qa.accessibility import check_accessibility, check_text_part
from apps.mail.qa.contrast import inlined
from apps.mail.qa.document import parse
from apps.mail.qa.modes import light
from apps.mail.text import html_to_text
from tests.mail.qa.conftest import page


def problems(html: str, *, text: str = "", language: str = "en") -> list[str]:
    styled = parse(inlined(light(html))).root
    text = text or html_to_text(html)  # the text part as the studio derives it
    findings = check_accessibility(parse(html), styled=styled, text=text, language=language)
    return [f.message for f in findings if f.severity == "error"]


def test_a_clean_document_has_no_problem():
    html = page(
        '<table role="presentation"><tr><td><h1 style="font-size:24px">Receipt</h1>'
        '<p>Paid. <a href="https://x.example/r">Download the receipt</a></p>'
        '<img src="https://x.example/logo.png" alt="SummaSaaS">'
        '<img src="https://x.example/line.png" alt="">'
        "<table><tr><th>Item</th><td>1</td></tr></table></td></tr></table>"
    )
    assert problems(html, text="Receipt\nDownload the receipt (https://x.example/r)") == []


def test_the_language_and_direction_must_be_said_and_right():
    assert problems(page("<p>x</p>").replace(' lang="en"', "")) == [
        '<html> has no lang: add lang="en" so screen readers use the right voice'
    ]
    assert problems(page("<p>Bonjour</p>", lang="en"), language="fr") == [
        '<html lang="en"> but the email is written in fr: screen readers would read it in the '
        "wrong voice"
    ]
    assert problems(page("<p>x</p>").replace(' dir="ltr"', "")) == [
        '<html> has no dir: add dir="ltr" (or rtl, or auto)'
    ]


def test_a_layout_table_needs_role_presentation_and_a_data_table_its_headers():
    found = problems(page("<table><tr><td>Layout cell</td></tr></table>"))
    assert found == [
        'A layout <table> has no role="presentation": screen readers announce its rows and '
        "columns. Add the role, or give a data table header cells (<th>)"
    ]
    assert problems(page('<table><tr><th scope="row">Used</th><td>8,150</td></tr></table>')) == []


def test_every_image_has_alt_and_a_linked_image_says_where_it_goes():
    html = page(
        '<img src="https://x.example/promo.png">'
        '<a href="https://x.example/"><img src="https://x.example/logo.png" alt=""></a>'
    )
    assert problems(html) == [
        'The image https://x.example/promo.png has no alt text: describe it, or write alt="" if '
        "it is decoration",
        "The image https://x.example/logo.png is a link's only content and its alt is empty: the "
        "link has no name; say where it goes in alt",
    ]


def test_headings_come_in_order_and_big_bold_text_is_a_real_heading():
    skipped = page("<h1>Title</h1><h3>Details</h3>")
    assert problems(skipped) == ["Headings skip a level: <h3> “Details” where <h2> comes next"]
    fake = page('<div style="font-size:24px;font-weight:700">Welcome aboard</div>')
    assert problems(fake) == [
        "“Welcome aboard” looks like a heading (24 px, bold) but is not one: screen readers "
        "cannot jump to it. Write it as <h1> (or the next level)"
    ]
    # A bold 20 px brand name or a button is not a heading.
    brand = page(
        '<div style="font-size:20px;font-weight:700">SummaSaaS</div><a href="https://x.example/"'
        ' style="font-size:24px;font-weight:700">Open</a>'
    )
    assert problems(brand) == []


@pytest.mark.parametrize(
    "text", ["Click here", "here", "Read more", "cliquez ici", "En savoir plus"]
)
def test_link_text_says_where_it_goes(text):
    assert problems(page(f'<a href="https://x.example/">{text}</a>')) == [
        f"The link text “{text}” does not say where it goes: name the page or the action instead"
    ]


def test_a_link_with_no_text_is_named_by_its_address():
    assert problems(page('<a href="https://x.example/a"></a>')) == [
        "A link to https://x.example/a has no text: screen readers read out its address"
    ]


def test_the_plain_text_part_reads_on_its_own():
    document = parse(page('<a href="https://x.example/pay">Pay the invoice</a>'))
    assert [f.message for f in check_text_part("", document)] == [
        "There is no plain-text part: text-only clients and some screen readers show nothing"
    ]
    found = [f.message for f in check_text_part("Pay <b>now</b> {{ x }}&nbsp;", document)]
    assert found == [
        "The plain-text part holds HTML markup (<b>)",
        "The plain-text part holds template code not filled in",
        "The plain-text part holds HTML entities (&nbsp; …) that text clients show as they are",
        "The plain-text part lacks the link “Pay the invoice”: a text-only reader cannot follow it",
    ]
    assert check_text_part("Pay the invoice (https://x.example/pay)", document) == []
