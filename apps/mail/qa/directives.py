"""What a template tells the QA in MJML comments (MJML drops comments from the HTML it writes).

    <!-- qa-accept: border-radius | Outlook (Windows) | square corners there are fine -->
    <!-- qa-recipient: staff -->

`qa-accept` takes a feature as the studio names it (caniemail's title, or its key), the
client ("Outlook (Windows)"), its family ("Outlook") or "all", and the reason in words: the
finding is then shown as accepted, with the reason, instead of failing. `qa-recipient: staff`
says the email goes to staff, whose links may open the staff console.
"""

import re
from dataclasses import dataclass

_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_ACCEPT = re.compile(r"^\s*qa-accept\s*:\s*(.+?)\s*\|\s*(.+?)\s*\|\s*(.+?)\s*$", re.S)
_RECIPIENT = re.compile(r"^\s*qa-recipient\s*:\s*(staff|customer)\s*$", re.I)


@dataclass(frozen=True)
class Acceptance:
    feature: str  # lower case
    client: str  # lower case: a client, a family or "all"
    reason: str

    def covers(self, *, slug: str, title: str, client_name: str) -> bool:
        if self.feature not in (slug.lower(), title.lower()):
            return False
        family = client_name.split(" (")[0].lower()
        return self.client in ("all", client_name.lower(), family)


@dataclass(frozen=True)
class Directives:
    acceptances: tuple[Acceptance, ...] = ()
    recipient: str = "customer"

    def accepted(self, *, slug: str, title: str, client_name: str) -> Acceptance | None:
        return next(
            (
                a
                for a in self.acceptances
                if a.covers(slug=slug, title=title, client_name=client_name)
            ),
            None,
        )


def read_directives(*sources: str) -> Directives:
    """The directives in MJML sources (the layout's, then the template's)."""
    acceptances, recipient = [], "customer"
    for source in sources:
        for comment in _COMMENT.findall(source or ""):
            if match := _ACCEPT.match(comment):
                feature, client, reason = (" ".join(g.split()) for g in match.groups())
                acceptances.append(Acceptance(feature.lower(), client.lower(), reason))
            elif match := _RECIPIENT.match(comment):
                recipient = match.group(1).lower()
    return Directives(tuple(acceptances), recipient)
