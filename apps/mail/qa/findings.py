"""What every QA check returns: findings, each with its area, severity and where it applies."""

from dataclasses import asdict, dataclass, field

# Severities, worst first. An `error` fails the check (and `manage.py email_qa`); a `warning`
# is shown and passes; `accepted` is a known limit the template accepts in so many words
# (`<!-- qa-accept ... -->`); `info` says what was checked when there is nothing to fix.
ERROR, WARNING, ACCEPTED, INFO = "error", "warning", "accepted", "info"
SEVERITIES = [ERROR, WARNING, ACCEPTED, INFO]

# The areas, in the order the studio and the report show them.
AREAS = {
    "clients": "Client support",
    "links": "Links",
    "contrast": "Contrast",
    "accessibility": "Accessibility",
    "spam": "Spam score",
    "size": "Size and clipping",
}


@dataclass(frozen=True)
class Finding:
    """One thing a QA reviewer would note about one rendered email."""

    area: str
    severity: str
    message: str
    # Where it applies, in words: a client ("Outlook (Windows)"), a mode ("forced dark"), a
    # SpamAssassin rule, a link. Empty when it applies to the whole email.
    where: str = ""
    detail: str = ""  # the evidence: a snippet, a note from caniemail, the colours
    points: float | None = None  # SpamAssassin's points for a rule

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class AreaResult:
    """One area's findings for one email, and whether it ran at all."""

    area: str
    findings: list[Finding] = field(default_factory=list)
    pending: bool = False  # runs in the background; shown when ready (the studio's spam score)

    @property
    def status(self) -> str:
        """`fail` with any error, `warn` with any warning, `pending`, else `pass`."""
        severities = {f.severity for f in self.findings}
        if ERROR in severities:
            return "fail"
        if self.pending:
            return "pending"
        return "warn" if WARNING in severities else "pass"

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)

    def as_dict(self) -> dict:
        return {
            "area": self.area,
            "title": AREAS[self.area],
            "status": self.status,
            "pending": self.pending,
            "findings": [f.as_dict() for f in sorted_findings(self.findings)],
        }


def sorted_findings(findings: list[Finding]) -> list[Finding]:
    """Errors first, then warnings, accepted limits and notes; stable within a severity."""
    return sorted(findings, key=lambda f: SEVERITIES.index(f.severity))
