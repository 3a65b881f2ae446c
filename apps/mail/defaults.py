"""The default layout and templates shipped as MJML files in `mjml/`, loaded into the database.

Each file starts with an MJML comment holding its settings as JSON (name, category, subject,
preheader, variables, sample data); the rest is the MJML. `sync_email_templates` is
idempotent and keeps staff edits unless forced.
"""

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction

from .models import EmailLayout, EmailTemplate, EmailTemplateTranslation
from .services import default_language, layout_save, template_save, translation_save
from .template_fields import TEMPLATE_FIELDS, TRANSLATION_FIELDS

LAYOUT_KEY = "layout"
TEMPLATE_KEYS = [
    "welcome",
    "email_verification",
    "password_reset",
    "invoice",
    "quota_alert_80",
    "quota_alert_100",
    "subscription_confirmed",
    "subscription_cancelled",
    "renewal_reminder",
    "usage_report",
    "daily_digest",
    "ops_alert",
    "payment_failed",
    "subscription_ended",
    "account_exists",
]
_HEADER = re.compile(r"\A\s*<!--(.*?)-->\s*\n", re.S)


def defaults_dir() -> Path:
    return Path(settings.BASE_DIR) / "mjml"


def read_default(key: str) -> dict:
    """One shipped file as a dict of model fields."""
    meta, body = _read(defaults_dir() / f"{key}.mjml")
    return {
        "name": meta.get("name", key),
        "category": meta.get("category", ""),
        "subject": meta.get("subject", ""),
        "preheader": meta.get("preheader", ""),
        "mjml": body,
        "text_body": meta.get("text_body", ""),
        "variables": meta.get("variables", []),
        "sample_context": meta.get("sample_context", {}),
    }


def _read(path: Path) -> tuple[dict, str]:
    """A shipped file's settings (the JSON in its leading comment) and its MJML."""
    text = path.read_text()
    match = _HEADER.match(text)
    if match is None:
        return {}, text
    return json.loads(match.group(1)), text[match.end() :]


def fingerprint(values: dict, fields: list[str]) -> str:
    data = json.dumps([values.get(f) for f in fields], sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _values(instance, fields) -> dict:
    return {f: getattr(instance, f) for f in fields}


@dataclass
class SyncReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]
    kept: list[str]  # edited by staff since the last sync; left alone without --force

    def lines(self) -> list[str]:
        return [
            f"{label}: {', '.join(keys)}"
            for label, keys in [
                ("created", self.created),
                ("updated", self.updated),
                ("unchanged", self.unchanged),
                ("kept staff edits (use --force to overwrite)", self.kept),
            ]
            if keys
        ]


@transaction.atomic
def sync_email_templates(*, force: bool = False) -> SyncReport:
    """Load the shipped layout, templates and translations (`mjml/<language>/<key>.mjml`);
    raises `TemplateInvalidError` if one is broken."""
    report = SyncReport([], [], [], [])
    _sync_layout(report, force)
    for key in TEMPLATE_KEYS:
        _sync_template(key, report, force)
        for language in translated_languages():
            _sync_translation(key, language, report, force)
    return report


def translated_languages() -> list[str]:
    """The configured languages other than the default that ship a folder in `mjml/`."""
    return [
        code
        for code, _name in settings.LANGUAGES
        if code != default_language() and (defaults_dir() / code).is_dir()
    ]


def read_translation(key: str, language: str) -> dict | None:
    """One shipped translation (subject, preheader, mjml, text_body), or None."""
    path = defaults_dir() / language / f"{key}.mjml"
    if not path.exists():
        return None
    meta, body = _read(path)
    return {
        "subject": meta.get("subject", ""),
        "preheader": meta.get("preheader", ""),
        "mjml": body,
        "text_body": meta.get("text_body", ""),
    }


def _outcome(report: SyncReport, label: str, row, fields, new_hash: str, force: bool):
    """Where a shipped default goes for `row` (unsaved when it is new): the report's list to
    append `label` to once saved, or None when the row stays as it is (unchanged and compiled,
    or changed by staff since the last sync and not forced)."""
    if row.pk is None:
        return report.created
    current = fingerprint(_values(row, fields), fields)
    if current == new_hash and getattr(row, "active_version_id", True):
        report.unchanged.append(label)
        return None
    if current != row.synced_hash and not force:
        report.kept.append(label)  # staff changed it since the last sync
        return None
    return report.updated


def _sync_translation(key: str, language: str, report: SyncReport, force: bool) -> None:
    shipped = read_translation(key, language)
    if shipped is None:
        return
    template = EmailTemplate.objects.get(key=key)
    translation = template.translations.filter(language=language).first()
    if translation is None:
        translation = EmailTemplateTranslation(template=template, language=language)
    _sync_row(translation, shipped, TRANSLATION_FIELDS, report, force, label=f"{key} ({language})")


def _sync_layout(report: SyncReport, force: bool) -> None:
    layout = EmailLayout.objects.filter(key=LAYOUT_KEY).first()
    if layout is None:
        layout = EmailLayout(key=LAYOUT_KEY, is_default=True)
    _sync_row(layout, read_default(LAYOUT_KEY), ["name", "mjml"], report, force, label=LAYOUT_KEY)


def _sync_template(key: str, report: SyncReport, force: bool) -> None:
    template = EmailTemplate.objects.filter(key=key).first()
    if template is None:
        template = EmailTemplate(key=key)
    _sync_row(template, read_default(key), TEMPLATE_FIELDS, report, force, label=key)


# How each kind of row is validated and saved (templates and layouts get new versions).
_SAVE = {
    EmailLayout: lambda row: layout_save(layout=row),
    EmailTemplate: lambda row: template_save(template=row),
    EmailTemplateTranslation: lambda row: translation_save(translation=row),
}


def _sync_row(row, shipped: dict, fields: list[str], report: SyncReport, force: bool, *, label):
    """Write the shipped `fields` into `row` and save it, unless `_outcome` keeps it as it is."""
    new_hash = fingerprint(shipped, fields)
    if (outcome := _outcome(report, label, row, fields, new_hash, force)) is None:
        return
    for field in fields:
        setattr(row, field, shipped[field])
    row.synced_hash = new_hash
    _SAVE[type(row)](row)
    outcome.append(label)
