"""Every QA check on one rendered email: the one entry point the studio and `email_qa` call."""

import dataclasses
import re
from dataclasses import dataclass, field

from ..models import ESSENTIAL_CATEGORIES, OutboundEmail
from ..rendering import Rendered
from ..services.personalize import unsubscribe_link_owner
from ..services.transport import build_message
from . import spam
from .accessibility import check_accessibility
from .clients import Facts, check_clients
from .contrast import check_contrast, inlined, unstyled_failures
from .directives import read_directives
from .document import NOT_SHOWN, Document, parse
from .features import used_features
from .findings import AREAS, ERROR, INFO, WARNING, AreaResult, Finding
from .links import check_links, hrefs
from .modes import light
from .size import check_size

QA_ADDRESS = "ada@example.com"
RUN, SKIP, BACKGROUND = "run", "skip", "background"  # what to do about the spam score


@dataclass(frozen=True)
class Email:
    """One email as its recipient gets it, in one language."""

    key: str
    language: str
    category: str
    subject: str
    preheader: str
    html: str
    text: str
    sources: tuple[str, ...] = ()  # the MJML (layout, template) the QA directives are read from
    unsubscribe_url: str = ""
    address: str = QA_ADDRESS

    def cleaned(self) -> "Email":
        """The same email with lone surrogates (text no encoder accepts) as U+FFFD."""
        fields = {
            name: _no_lone_surrogates(getattr(self, name))
            for name in ("subject", "preheader", "html", "text", "unsubscribe_url", "address")
        }
        return dataclasses.replace(self, **fields)

    def message(self) -> bytes:
        """The whole message as the outbox sends it (headers, text and HTML parts)."""
        rendered = Rendered(
            subject=self.subject, html=self.html, text=self.text, preheader=self.preheader
        )
        row = OutboundEmail(id=0, to=self.address, template_key=self.key)
        built = build_message(email=row, rendered=rendered, category=self.category, anymail=False)
        return built.message().as_bytes()


@dataclass
class EmailQa:
    """Every area's findings for one email."""

    email: Email
    areas: dict[str, AreaResult] = field(default_factory=dict)

    def findings(self, severity: str | None = None) -> list[Finding]:
        return [
            f
            for a in self.areas.values()
            for f in a.findings
            if severity is None or f.severity == severity
        ]

    @property
    def errors(self) -> list[Finding]:
        return self.findings(ERROR)

    def as_dict(self) -> dict:
        return {
            "key": self.email.key,
            "language": self.email.language,
            "areas": [self.areas[a].as_dict() for a in AREAS if a in self.areas],
        }


def _no_lone_surrogates(text: str) -> str:
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def check_email(email: Email, *, spam_score: str = RUN) -> EmailQa:
    """All six areas; the spam score run now, skipped, or left pending for the background."""
    email = email.cleaned()
    document = parse(email.html)
    directives = read_directives(*email.sources)
    contrast = check_contrast(email.html)
    styled = parse(inlined(light(email.html))).root
    facts = _facts(document, contrast, email.html)
    qa = EmailQa(email)
    qa.areas["clients"] = AreaResult("clients", check_clients(facts, directives))
    link_findings = check_links(document, recipient=directives.recipient)
    link_findings += _unsubscribe(email, document)
    qa.areas["links"] = AreaResult("links", link_findings)
    qa.areas["contrast"] = AreaResult("contrast", contrast.findings + _dark_styles(email.html))
    qa.areas["accessibility"] = AreaResult(
        "accessibility",
        check_accessibility(document, styled=styled, text=email.text, language=email.language),
    )
    qa.areas["spam"] = _spam_area(email, spam_score)
    qa.areas["size"] = AreaResult("size", check_size(email.html))
    return qa


def _facts(document: Document, contrast, html: str) -> Facts:
    words = re.findall(r"\S+", _visible_text(document))
    return Facts(
        uses=used_features(document),
        reads_without_style=not _worse_without_style(html, contrast),
        mso_tables=any("[if mso" in c and "<table" in c for c in document.comments()),
        longest_word=max((len(w) for w in words), default=0),
        body_background_repeated=_body_background_repeated(document),
    )


def _worse_without_style(html: str, contrast) -> list:
    """The text runs that only fail once a client drops the <style> blocks."""
    failing = {run.text for run in contrast.failing["light"]}
    return [run for run in unstyled_failures(html) if run.text not in failing]


def _visible_text(document: Document) -> str:
    body = document.find("body")
    if body is None:
        return ""
    return " ".join(
        node.text
        for node in body.walk()
        if node.tag == "#text" and not any(a.tag in NOT_SHOWN for a in node.ancestors())
    )


_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([^;]+)", re.I)


def _body_background_repeated(document: Document) -> bool:
    body = document.find("body")
    if body is None or not (own := _BACKGROUND.search(body.get("style"))):
        return True  # nothing on <body> to lose
    colour = own.group(1).strip()
    return any(
        (found := _BACKGROUND.search(child.get("style"))) and found.group(1).strip() == colour
        for child in body.children
        if child.tag == "div"
    )


def _unsubscribe(email: Email, document: Document) -> list[Finding]:
    if email.category in ESSENTIAL_CATEGORIES:
        return []
    owner = unsubscribe_link_owner(email.unsubscribe_url)
    if owner and any(unsubscribe_link_owner(href) == owner for _n, href in hrefs(document)):
        return [Finding("links", INFO, f"The unsubscribe link is present ({email.category})")]
    return [
        Finding(
            "links",
            ERROR,
            f"{email.category.title()} emails need an unsubscribe link "
            "({{ unsubscribe_url }}): the law and Gmail's bulk-sender rules ask for one",
        )
    ]


def _dark_styles(html: str) -> list[Finding]:
    compact = html.lower().replace(" ", "")
    missing = [
        what
        for what, present in [
            ("@media (prefers-color-scheme: dark) styles", "prefers-color-scheme:dark" in compact),
            ('<meta name="color-scheme" content="light dark">', 'name="color-scheme"' in compact),
        ]
        if not present
    ]
    if not missing:
        return []
    return [
        Finding(
            "contrast",
            WARNING,
            "Without " + " and ".join(missing) + ", clients in "
            "dark mode show the light design or recolour it themselves",
        )
    ]


def _spam_area(email: Email, spam_score: str) -> AreaResult:
    if spam_score == BACKGROUND:
        return AreaResult("spam", pending=True)
    if spam_score == SKIP:
        return AreaResult(
            "spam",
            [
                Finding(
                    "spam",
                    WARNING,
                    "The spam score was not checked (skipped on request)",
                    "SpamAssassin",
                )
            ],
        )
    return AreaResult("spam", spam_result(email.message()))


def spam_result(message: bytes) -> list[Finding]:
    """SpamAssassin's findings on one message, or the finding that says why there are none."""
    try:
        [report] = spam.score_messages([message])
    except (spam.SpamAssassinMissing, spam.SpamAssassinFailed) as error:
        return [spam.unavailable_finding(error)]
    return spam.spam_findings(report)


def score_in_one_run(checked: list[EmailQa]) -> None:
    """Fill in the spam area of many checked emails with one SpamAssassin run."""
    try:
        reports = spam.score_messages([qa.email.message() for qa in checked])
    except (spam.SpamAssassinMissing, spam.SpamAssassinFailed) as error:
        for qa in checked:
            qa.areas["spam"] = AreaResult("spam", [spam.unavailable_finding(error)])
        return
    for qa, report in zip(checked, reports, strict=True):
        qa.areas["spam"] = AreaResult("spam", spam.spam_findings(report))
