"""Whatever a template holds, the QA answers with findings, never an exception."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.mail.qa.check import SKIP, check_email
from apps.mail.qa.findings import AREAS, SEVERITIES
from tests.mail.qa.conftest import email_of, page
from tests.strategies import hostile_text

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    "<html",
    "<div>" * 3000 + "deep" + "</div>" * 10,
    page('<a href="http://[bad">x</a><a href="https://app.summasaas.example/%ZZ">y</a>'),
    page('<a href="https://app.summasaas.example/' + "a/" * 2000 + '">long</a>'),
    page('<div style="color:;;;background:url(javascript:x);font-size:-4px;opacity:abc">t</div>'),
    page('<p style="color:rgb(999,-1,abc);background-color:hsl(400deg 200% 200%)">c</p>'),
    page("<p>x</p>", head="<style>@media {{{ p { color: red </style><style>}}}</style>"),
    page('<td bgcolor="#zzz"><font color="red">old</font></td><img>'),
    page("<table><tr><td><table><tr><th>h</td></tr></table>"),
    page("<h6>deep</h6><h1>top</h1><a></a><a href=''><img alt></a>"),
    page('<p>NUL \x00 and a lone surrogate \ud800 and 😀</p><a href="mailto:\ud800@x">m</a>'),
    page('<!--[if mso]><v:roundrect><![endif]--><a style="background:red">b</a>'),
]


@pytest.mark.parametrize("html", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_markup_gets_findings_not_an_exception(deployed, html):
    qa = check_email(email_of(html, text=html[:200]), spam_score=SKIP)
    assert list(qa.areas) == list(AREAS)
    assert all(f.severity in SEVERITIES for f in qa.findings())


attributes = st.one_of(
    hostile_text(max_size=30),
    st.sampled_from(
        [
            "#fff",
            "rgba(0,0,0,.5)",
            "javascript:alert(1)",
            "https://app.summasaas.example/x/",
            "{{ x }}",
            "display:none",
            "color:#777;background:#888",
            "mailto:a@b",
            "0",
            "-1px",
        ]
    ),
)


@pytest.mark.fuzz
@given(href=attributes, style=attributes, colour=attributes, text=hostile_text(max_size=60))
def test_any_link_style_colour_and_text_gets_findings(deployed, href, style, colour, text):
    html = page(
        f'<table bgcolor="{colour}"><tr><td style="{style}"><h1>{text}</h1>'
        f'<a href="{href}" style="{style}">{text}</a><img src="{href}" alt="{text}">'
        "</td></tr></table>"
    )
    qa = check_email(email_of(html, subject=text or "s", text=text), spam_score=SKIP)
    assert all(f.area in AREAS and f.severity in SEVERITIES for f in qa.findings())
