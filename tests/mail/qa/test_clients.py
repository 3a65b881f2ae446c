"""Client support: caniemail's data for the features an email uses, and what happens there."""

import json

from apps.mail.qa.caniemail import CLIENTS, DATA_FILE, features, plain, source
from apps.mail.qa.clients import Facts, check_clients
from apps.mail.qa.directives import read_directives
from apps.mail.qa.document import parse
from apps.mail.qa.feature_map import FEATURE_SLUGS
from apps.mail.qa.features import selector_features, used_features
from tests.mail.qa.conftest import page


def facts_of(html: str, **overrides) -> Facts:
    return Facts(uses=used_features(parse(html)), **overrides)


def test_every_feature_the_scanner_reports_is_in_the_vendored_data():
    slugs = {item["slug"] for item in json.loads(DATA_FILE.read_text())["data"]}
    assert slugs >= FEATURE_SLUGS  # every slug the scanner can report
    assert source()["version"] == "2.0.2" and source()["sha256"]
    assert [c.name for c in CLIENTS][:3] == ["Gmail (web)", "Gmail (iOS)", "Gmail (Android)"]


def test_the_latest_tested_version_decides_and_notes_read_as_plain_text():
    radius = features()["css-border-radius"]
    outlook = next(c for c in CLIENTS if c.name == "Outlook (Windows)")
    assert radius.support[outlook].level == "unsupported"
    assert (
        "VML" in radius.support[outlook].notes[0] and "](" not in radius.support[outlook].notes[0]
    )
    assert (
        plain("See [buttons.cm](https://buttons.cm/) and `RoundRect`")
        == "See buttons.cm and RoundRect"
    )


def test_elements_attributes_styles_and_rules_map_to_caniemail_features():
    html = page(
        '<div style="display:flex;border-radius:8px;color:rgb(1,2,3)">a</div>'
        '<table role="presentation" cellpadding="0"><tr><td>x</td></tr></table>',
        head="<style>.card > div + table { margin: 0 !important; } "
        "@media (prefers-color-scheme: dark) { .card { color: #fff; } }</style>",
    )
    html = html.replace("<body ", '<body class="card" ')
    uses = used_features(parse(html))
    for slug in (
        "css-display-flex",
        "css-border-radius",
        "css-rgb",
        "html-role",
        "html-cellpadding",
        "html-style",
        "css-at-media",
        "css-at-media-prefers-color-scheme",
        "css-important",
        "css-unit-px",
        "css-margin",
    ):
        assert slug in uses, slug
    assert uses.values["css-border-radius"] == {"8px"}


def test_rules_for_elements_the_email_does_not_have_are_left_out():
    html = page(
        "<p>x</p>", head="<style>#outlook a { padding: 0; } .absent { cursor: pointer; }</style>"
    )
    uses = used_features(parse(html))
    assert "css-selector-id" not in uses and "css-cursor" not in uses


def test_selectors_are_read_piece_by_piece():
    assert selector_features(".a > .b") == {"css-selector-class", "css-selector-child"}
    assert selector_features("div.note p") == {
        "css-selector-type",
        "css-selector-class",
        "css-selector-chaining",
        "css-selector-descendant",
    }
    assert selector_features("a:hover::before") == {
        "css-selector-type",
        "css-pseudo-class-hover",
        "css-pseudo-element-before",
    }
    assert selector_features("#id ~ [data-x]") == {
        "css-selector-id",
        "css-selector-general-sibling",
        "css-selector-attribute",
    }


def by_client(findings, title: str) -> dict[str, str]:
    return {f.where: f.severity for f in findings if f.message.startswith(f"{title}:")}


def test_an_unsupported_feature_with_nothing_behind_it_is_an_error_for_that_client():
    html = page('<div style="display:flex"><span>a</span></div>')
    findings = check_clients(facts_of(html), read_directives())
    flex = by_client(findings, "display:flex")
    assert flex == {
        "Gmail (iOS)": "warning",
        "Gmail (Android)": "warning",
        "Outlook (Windows)": "error",
    }
    error = next(f for f in findings if f.severity == "error")
    assert "<!-- qa-accept: display:flex | Outlook (Windows) | why -->" in error.message
    assert "display: flex on <div>" in error.detail  # where it is used


def test_a_template_accepts_a_limit_in_so_many_words():
    html = page('<a href="https://x.example/" style="border-radius:8px">Go</a>')
    mjml = "<!-- qa-accept: border-radius | Outlook (Windows) | square corners are fine there -->"
    findings = check_clients(facts_of(html), read_directives(mjml))
    radius = {f.where: f for f in findings if f.message.startswith("border-radius")}
    assert {where: f.severity for where, f in radius.items()} == {
        "Outlook (Windows)": "accepted",  # unsupported there, accepted by the template
        "Yahoo (web)": "warning",  # partly supported
        "Yahoo (iOS)": "warning",
        "Yahoo (Android)": "warning",
    }
    radius = radius["Outlook (Windows)"]
    assert radius.message.endswith("accepted by the template: square corners are fine there")
    # A family name covers every client of the family; another feature is not covered.
    family = read_directives("<!-- qa-accept: css-border-radius | Yahoo | ok -->")
    assert family.accepted(
        slug="css-border-radius", title="border-radius", client_name="Yahoo (iOS)"
    )
    assert not family.accepted(slug="css-opacity", title="opacity", client_name="Yahoo (iOS)")


def test_a_feature_degrades_well_only_when_its_condition_holds():
    normal = page('<body style="word-spacing:normal"><p>x</p></body>')
    wide = page('<p style="word-spacing:4px">x</p>')
    assert set(
        by_client(check_clients(facts_of(normal), read_directives()), "word-spacing").values()
    ) == {"warning"}
    assert (
        "error"
        in by_client(check_clients(facts_of(wide), read_directives()), "word-spacing").values()
    )
    # Rules in <style> are fine where unsupported only if the email reads without them.
    styled = page("<p>x</p>", head="<style>p > b { color: #777; }</style>").replace(
        "<p>x</p>", "<p><b>x</b></p>"
    )
    ok = check_clients(facts_of(styled, reads_without_style=True), read_directives())
    broken = check_clients(facts_of(styled, reads_without_style=False), read_directives())
    assert by_client(ok, "Child combinator")["Outlook (Windows)"] == "warning"
    assert by_client(broken, "Child combinator")["Outlook (Windows)"] == "error"


def test_staff_emails_say_so_in_a_directive():
    assert read_directives("<mjml></mjml>").recipient == "customer"
    assert read_directives("", "<!-- qa-recipient: staff -->").recipient == "staff"
