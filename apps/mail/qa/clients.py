"""Client support: per client, the features it does not (fully) support, and what happens.

For every feature the email uses (`features`) and every client we check (`caniemail.CLIENTS`):
- supported: nothing to say;
- partly supported: a warning, with caniemail's notes;
- not supported, but the email degrades well there (`FALLBACKS`, each with the reason and,
  where it can be checked, the check): a warning saying why it is fine;
- not supported, and the template accepts it in so many words (`directives`): accepted;
- otherwise an error: the email looks or works worse there, and nobody said it is fine.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .caniemail import CLIENTS, PARTIAL, UNSUPPORTED, features
from .directives import Directives
from .features import Uses
from .findings import ACCEPTED, ERROR, WARNING, Finding


@dataclass
class Facts:
    """What the fallbacks' conditions look at, measured on this email by the other checks."""

    uses: Uses
    # Dropping every <style> block makes no text unreadable that is readable with them (text
    # that fails either way is the Contrast area's to report, not a client's).
    reads_without_style: bool = True
    mso_tables: bool = False  # conditional comments give Outlook fixed-width tables
    longest_word: int = 0
    body_background_repeated: bool = False
    notes: dict[str, str] = field(default_factory=dict)

    def only(self, slug: str, *values: str) -> bool:
        """Whether every value declared for the feature is one of `values` (the defaults)."""
        return self.uses.values.get(slug, set()) <= set(values)


STYLE_ONLY = (
    "every colour, size and spacing the email needs is written inline: without its <style> "
    "rules it loses only its dark-mode and phone adjustments (checked: it still reads in "
    "light mode without them)"
)
DARK = (
    "the client shows the light design, or recolours it itself: both are measured under "
    "Contrast (light, and forced dark)"
)
SCREEN_READERS = "nothing changes on screen; only screen readers in this client miss the hint"


@dataclass(frozen=True)
class Fallback:
    why: str
    holds: Callable[[Facts], bool] | None = None  # None: always


def _always(why: str) -> Fallback:
    return Fallback(why)


FALLBACKS: dict[str, Fallback] = {
    "html-doctype": _always("Outlook on Windows renders with Word's engine whatever the doctype"),
    "html-comments": _always("only Outlook reads the conditional comments; others drop them"),
    "css-cursor": _always("it only sets the mouse pointer over the button"),
    "html-target": _always("links open the way the client opens links"),
    "html-role": _always(SCREEN_READERS),
    "html-aria-label": _always(SCREEN_READERS),
    "html-aria-hidden": _always(SCREEN_READERS),
    "html-aria-labelledby": _always(SCREEN_READERS),
    "html-aria-describedby": _always(SCREEN_READERS),
    "html-lang": _always(SCREEN_READERS),
    "html-dir": _always(SCREEN_READERS),
    "css-direction": Fallback(
        "it only restates the default direction (ltr)", lambda f: f.only("css-direction", "ltr")
    ),
    "css-word-spacing": Fallback(
        "it only restates the default (normal)", lambda f: f.only("css-word-spacing", "normal")
    ),
    "css-table-layout": Fallback(
        "it only restates the default (auto)", lambda f: f.only("css-table-layout", "auto")
    ),
    "css-outline": Fallback(
        "it only removes outlines, which the email's images do not have",
        lambda f: f.only("css-outline", "none", "0"),
    ),
    "css-height": Fallback(
        "it only restates the default (auto)", lambda f: f.only("css-height", "auto")
    ),
    "css-text-transform": Fallback(
        "it only restates the default (none)", lambda f: f.only("css-text-transform", "none")
    ),
    "css-at-media": Fallback(
        "Outlook on Windows takes the layout from the fixed-width tables MJML writes for it in "
        "conditional comments",
        lambda f: f.mso_tables,
    ),
    "css-at-media-prefers-color-scheme": _always(DARK),
    "css-color-scheme": _always(DARK),
    "html-meta-color-scheme": _always(DARK),
    "css-word-break": Fallback(
        "no word in this email is long enough to need breaking",
        lambda f: f.longest_word <= 30,
    ),
    "html-body": Fallback(
        "the body's background is repeated on the wrapper inside it",
        lambda f: f.body_background_repeated,
    ),
}
for _slug in (
    "html-style",
    "css-important",
    "css-comments",
    "css-selector-class",
    "css-selector-id",
    "css-selector-type",
    "css-selector-descendant",
    "css-selector-child",
    "css-selector-grouping",
    "css-selector-chaining",
    "css-selector-universal",
    "css-selector-attribute",
    "css-selector-adjacent-sibling",
    "css-selector-general-sibling",
):
    FALLBACKS[_slug] = Fallback(STYLE_ONLY, lambda f: f.reads_without_style)


def check_clients(facts: Facts, directives: Directives) -> list[Finding]:
    """Per client, each feature it does not fully support, with its severity and why."""
    data, findings = features(), []
    for client in CLIENTS:
        for slug in facts.uses.slugs():
            feature = data.get(slug)
            support = feature.support.get(client) if feature else None
            if support is None or support.level not in (PARTIAL, UNSUPPORTED):
                continue
            findings.append(_finding(feature, support, client.name, facts, directives))
    return findings


def _finding(feature, support, client_name: str, facts: Facts, directives: Directives):
    level = "not supported" if support.level == UNSUPPORTED else "partly supported"
    used = "; ".join(facts.uses.examples.get(feature.slug, []))
    notes = " ".join(support.notes)
    detail = " · ".join(part for part in (notes, f"used: {used}" if used else "") if part)
    message = f"{feature.title}: {level}"
    fallback = FALLBACKS.get(feature.slug)
    degrades = fallback is not None and (fallback.holds is None or fallback.holds(facts))
    accepted = directives.accepted(slug=feature.slug, title=feature.title, client_name=client_name)
    if degrades:
        return Finding(
            "clients", WARNING, f"{message}; degrades well: {fallback.why}", client_name, detail
        )
    if accepted is not None:
        return Finding(
            "clients",
            ACCEPTED,
            f"{message}; accepted by the template: {accepted.reason}",
            client_name,
            detail,
        )
    if support.level == PARTIAL:
        return Finding("clients", WARNING, message, client_name, detail)
    return Finding(
        "clients",
        ERROR,
        f"{message}, and nothing in the email makes up for it. Change the email, or accept it "
        f"in the template: <!-- qa-accept: {feature.title} | {client_name} | why -->",
        client_name,
        detail,
    )
