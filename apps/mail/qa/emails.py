"""The emails to check: each template's active version in each language, as its recipient
gets it (the version's sample data, the engine's values for the QA recipient)."""

from ..models import EmailTemplate, EmailTemplateVersion
from ..rendering import Rendered
from ..services.personalize import render_for, system_context
from .check import BACKGROUND, QA_ADDRESS, RUN, Email, EmailQa, check_email, score_in_one_run


def active_versions(*, keys: list[str] | None = None) -> list[EmailTemplateVersion]:
    """The active version of every template (or those named), then of each translation."""
    templates = EmailTemplate.objects.filter(active_version__isnull=False).order_by("key")
    if keys:
        templates = templates.filter(key__in=keys)
    versions = []
    for template in templates.select_related("active_version").prefetch_related(
        "translations__active_version"
    ):
        versions.append(template.active_version)
        translations = sorted(template.translations.all(), key=lambda t: t.language)
        versions += [t.active_version for t in translations if t.active_version is not None]
    return versions


def email_from_rendered(
    rendered: Rendered, *, key: str, language: str, category: str, sources: tuple[str, ...]
) -> Email:
    system = system_context(address=QA_ADDRESS, category=category)
    return Email(
        key=key,
        language=language,
        category=category,
        subject=rendered.subject,
        preheader=rendered.preheader,
        html=rendered.html,
        text=rendered.text,
        sources=sources,
        unsubscribe_url=system["unsubscribe_url"],
    )


def email_from_version(version: EmailTemplateVersion) -> Email:
    """A saved version rendered with its sample data for the QA recipient."""
    rendered = render_for(version=version, address=QA_ADDRESS, context=version.sample_context)
    return email_from_rendered(
        rendered,
        key=version.template.key,
        language=version.language,
        category=version.category,
        sources=(version.layout_mjml, version.mjml),
    )


def qa_active_emails(*, keys: list[str] | None = None, spam_score: str = RUN) -> list[EmailQa]:
    """Every active version checked; SpamAssassin scores them all in one run."""
    results = [
        check_email(
            email_from_version(version), spam_score=BACKGROUND if spam_score == RUN else spam_score
        )
        for version in active_versions(keys=keys)
    ]
    if spam_score == RUN and results:
        score_in_one_run(results)
    return results
