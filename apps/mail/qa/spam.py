"""The spam score: SpamAssassin's own rules on the whole message, headers included.

`spamassassin -L -t` (the Debian package `spamassassin`) runs its local rules only: no DNS
blocklists, no Razor or Pyzor, nothing leaves the machine. Several messages go through one
process as an mbox (SpamAssassin compiles its rules in about a second; each message then takes
milliseconds). A machine without SpamAssassin gets a finding that says so, never a score.
"""

import mailbox
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .findings import ERROR, INFO, Finding

TIMEOUT_SECONDS = 120
_SENDER = "qa-{}@summasaas.invalid"
_SEPARATOR = re.compile(r"^From qa-(\d+)@summasaas\.invalid .*$", re.M)
_RULE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s+([A-Z0-9_]+)\s+(.*)$")
_SCORE = re.compile(r"Content analysis details:\s*\((-?[\d.]+) points?, (-?[\d.]+) required\)")
MISSING = (
    "SpamAssassin is not installed, so the spam score was not checked: install the Debian "
    "package spamassassin (apt-get install spamassassin)"
)


class SpamAssassinMissing(RuntimeError):
    """The `spamassassin` program is not on this machine."""


class SpamAssassinFailed(RuntimeError):
    """SpamAssassin ran but gave no report we could read."""


@dataclass(frozen=True)
class Rule:
    points: float
    name: str
    description: str


@dataclass(frozen=True)
class SpamReport:
    score: float
    required: float
    rules: tuple[Rule, ...]

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "required": self.required,
            "rules": [r.__dict__ for r in self.rules],
        }


def program() -> str | None:
    return shutil.which("spamassassin")


def score_messages(messages: list[bytes]) -> list[SpamReport]:
    """One report per message, in order (raises SpamAssassinMissing or SpamAssassinFailed)."""
    executable = program()
    if executable is None:
        raise SpamAssassinMissing(MISSING)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "messages.mbox"
        box = mailbox.mbox(path)
        for index, message in enumerate(messages):
            entry = mailbox.mboxMessage(message)
            entry.set_from(f"{_SENDER.format(index)} Thu Jan  1 00:00:00 1970")
            box.add(entry)
        box.flush()
        box.close()
        try:
            done = subprocess.run(
                [executable, "-L", "-t", "--mbox", str(path)],
                capture_output=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            raise SpamAssassinFailed(f"SpamAssassin took over {TIMEOUT_SECONDS} s") from error
    reports = _by_message(done.stdout.decode("utf-8", "replace"), len(messages))
    if len(reports) != len(messages):
        why = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise SpamAssassinFailed(
            f"SpamAssassin reported on {len(reports)} of {len(messages)} "
            f"messages (exit {done.returncode}): {why}"
        )
    return reports


def _by_message(output: str, count: int) -> list[SpamReport]:
    """The reports in input order. SpamAssassin may take an mbox's messages in another order;
    each keeps the mbox separator line we wrote for it, which names its index."""
    found: dict[int, SpamReport] = {}
    parts = _SEPARATOR.split(output)
    for index, chunk in zip(parts[1::2], parts[2::2], strict=False):
        reports = parse(chunk)
        if len(reports) == 1 and int(index) < count:
            found[int(index)] = reports[0]
    return [found[i] for i in range(count) if i in found]


def parse(output: str) -> list[SpamReport]:
    """Every report in `spamassassin -t` output, in order."""
    reports = []
    for match in _SCORE.finditer(output):
        table = output[match.end() :].split("\n---- ", 1)[-1].split("\n", 1)[-1]
        rules = []
        for line in table.splitlines():
            if not line.strip():
                break
            if found := _RULE.match(line):
                points = float(found.group(1)) + 0.0  # SpamAssassin prints -0.0: no sign
                rules.append(Rule(points, found.group(2), found.group(3).strip()))
            elif rules and line.startswith(" "):  # a description continued on the next line
                last = rules[-1]
                rules[-1] = Rule(last.points, last.name, f"{last.description} {line.strip()}")
        score = float(match.group(1)) + 0.0
        reports.append(SpamReport(score, float(match.group(2)), tuple(rules)))
    return reports


def spam_findings(report: SpamReport) -> list[Finding]:
    """A rule with positive points is an error (it counts toward the spam folder)."""
    findings = [
        Finding(
            "spam",
            ERROR if rule.points > 0 else INFO,
            f"{rule.name} ({rule.points:+g} points): {rule.description}",
            where=rule.name,
            points=rule.points,
        )
        for rule in sorted(report.rules, key=lambda r: -r.points)
    ]
    findings.append(
        Finding(
            "spam",
            INFO,
            f"SpamAssassin scores the message {report.score:g} "
            f"(it files mail as spam from {report.required:g})",
            where="SpamAssassin",
            points=report.score,
        )
    )
    return findings


def unavailable_finding(error: Exception, *, severity: str = ERROR) -> Finding:
    return Finding("spam", severity, str(error), where="SpamAssassin")
