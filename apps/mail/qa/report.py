"""The QA handoff: one static HTML file a reviewer opens without the console.

For every template and language: the email at 600 px and 375 px, light, its own dark and a
client's forced dark (sandboxed frames: nothing in an email runs), the plain-text part, and
every check's findings, errors first. A summary table on top says what fails where.
"""

import datetime as dt
import subprocess
from collections import defaultdict
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string

from . import caniemail, spam
from .caniemail import CLIENTS
from .check import EmailQa
from .findings import AREAS, ERROR, SEVERITIES, sorted_findings
from .modes import MODES, document

TEMPLATE = "mail/qa/report.html"
WIDTHS = [600, 375]
FRAME_CSP = "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'"


def _framed(html: str) -> str:
    """The document with a CSP first in its head: it may load images, nothing else."""
    meta = f'<meta http-equiv="Content-Security-Policy" content="{FRAME_CSP}">'
    at = html.lower().find("<head>")
    return html[: at + 6] + meta + html[at + 6 :] if at >= 0 else meta + html


def _spamassassin_version() -> str:
    executable = spam.program()
    if executable is None:
        return "not installed"
    done = subprocess.run([executable, "--version"], capture_output=True, text=True, check=False)
    return done.stdout.splitlines()[0] if done.stdout else "unknown"


def _area(qa: EmailQa, area: str) -> dict:
    result = qa.areas[area]
    findings = sorted_findings(result.findings)
    by_client = defaultdict(list)
    if area == "clients":
        for finding in findings:
            by_client[finding.where].append(finding)
    return {
        "key": area,
        "title": AREAS[area],
        "status": result.status,
        "counts": {s: result.count(s) for s in SEVERITIES},
        "findings": findings,
        "by_client": [(c.name, by_client[c.name]) for c in CLIENTS if by_client.get(c.name)],
    }


def _score(qa: EmailQa) -> str:
    total = next((f for f in qa.areas["spam"].findings if f.where == "SpamAssassin"), None)
    return f"{total.points:g}" if total and total.points is not None else "—"


def _email(qa: EmailQa, index: int) -> dict:
    email = qa.email
    frames = [
        {"mode": label, "width": width, "html": _framed(document(email.html, mode))}
        for width in WIDTHS
        for mode, label in MODES.items()
    ]
    return {
        "anchor": f"email-{index}",
        "email": email,
        "errors": len(qa.errors),
        "score": _score(qa),
        "areas": [_area(qa, area) for area in AREAS if area in qa.areas],
        "frames": frames,
    }


def report_html(results: list[EmailQa], *, generated: dt.datetime | None = None) -> str:
    emails = [_email(qa, index) for index, qa in enumerate(results)]
    source = caniemail.source()
    return render_to_string(
        TEMPLATE,
        {
            "emails": emails,
            "areas": AREAS,
            "generated": generated or dt.datetime.now(dt.UTC),
            "site_url": settings.SITE_URL,
            "caniemail": source,
            "spamassassin": _spamassassin_version(),
            "clients": [c.name for c in CLIENTS],
            "errors": sum(e["errors"] for e in emails),
            "failing": sum(1 for e in emails if e["errors"]),
            "ERROR": ERROR,
        },
    )


def write_report(results: list[EmailQa], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(report_html(results))
    return path
