"""The checks panel beside the preview: the email QA's six areas for the edit on screen.

The QA itself is the mail app's (`apps.mail.qa`); this module turns its result into what the
panel shows: per area a status, a one-line summary and its findings (client support grouped
per client), and for the spam score, which a consumer computes, where to ask for it.
"""

from apps.mail.qa.caniemail import CLIENTS
from apps.mail.qa.findings import ACCEPTED, AREAS, ERROR, WARNING, AreaResult

PASS, WARN, FAIL, PENDING = "pass", "warn", "fail", "pending"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _summary(result: AreaResult) -> str:
    errors, warnings = result.count(ERROR), result.count(WARNING)
    accepted = result.count(ACCEPTED)
    if result.area == "spam":
        return _spam_summary(result)
    if result.area == "size":
        return result.findings[0].message if result.findings else ""
    if errors:
        return {
            "clients": f"{_plural(errors, 'gap')} a client cannot show, with nothing to make "
            "up for it",
            "links": f"{_plural(errors, 'link problem')}",
            "contrast": f"{_plural(errors, 'text run')} below WCAG AA",
            "accessibility": _plural(errors, "problem"),
        }[result.area]
    return {
        "clients": f"No gap left open: {_plural(warnings, 'partial or degrading feature')}, "
        f"{accepted} accepted",
        "links": "Every link lands where it should",
        "contrast": "Every text run meets WCAG AA in light, own dark and forced dark",
        "accessibility": "Language, tables, alt text, headings, link text and text part are fine",
    }[result.area]


def _spam_summary(result: AreaResult) -> str:
    if result.pending:
        return "SpamAssassin is scoring the message…"
    total = next((f for f in result.findings if f.where == "SpamAssassin"), None)
    if total is None or total.points is None:
        return result.findings[0].message if result.findings else "Not scored"
    fired = result.count(ERROR)
    score = f"{total.points:.1f}".replace("-0.0", "0.0")
    if fired:
        return f"SpamAssassin scores {score}: {_plural(fired, 'rule')} with points"
    return f"SpamAssassin scores {score}: no rule with points"


def area_panel(result: AreaResult) -> dict:
    """One area as the panel shows it."""
    panel = result.as_dict()
    status = panel["status"]
    panel.update(key=result.area, status=status, summary=_summary(result))
    if result.area == "clients":
        panel["groups"] = _groups(panel["findings"])
    return panel


def _groups(findings: list[dict]) -> list[dict]:
    groups = []
    for client in CLIENTS:
        own = [f for f in findings if f["where"] == client.name]
        if not own:
            continue
        severities = {f["severity"] for f in own}
        status = FAIL if ERROR in severities else WARN if WARNING in severities else PASS
        groups.append({"client": client.name, "status": status, "findings": own})
    return groups


def panel(areas: dict[str, AreaResult], *, spam_url: str = "") -> list[dict]:
    """Every area, in the order the panel shows them."""
    shown = []
    for area in AREAS:
        if area in areas:
            item = area_panel(areas[area])
            if area == "spam" and areas[area].pending:
                item["url"] = spam_url
            shown.append(item)
    return shown
