"""Templates and versions: validate, save, restore and preview what staff edit."""

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q

from ..exceptions import (
    Problem,
    TemplateBoundError,
    TemplateInvalidError,
    TemplateNotFoundError,
)
from ..models import EmailLayout, EmailTemplate, EmailTemplateTranslation, EmailTemplateVersion
from ..rendering import (
    Rendered,
    Source,
    bound_problem,
    compile_version,
    render,
    unsaved_version,
)
from .outbox import plain_data
from .personalize import default_language, system_context


def layout_default() -> EmailLayout:
    layout = EmailLayout.objects.filter(is_default=True).first()
    if layout is None:
        raise TemplateNotFoundError(
            "There is no default email layout; run `manage.py sync_email_templates`."
        )
    return layout


def template_source(*, template, layout: EmailLayout) -> Source:
    """A template's (or a translation's, with its template's shared parts) source."""
    return Source(
        layout_mjml=layout.mjml,
        subject=template.subject,
        preheader=template.preheader,
        mjml=template.mjml,
        text_body=template.text_body,
        variables=template.variables,
        sample_context=template.sample_context,
        language=getattr(template, "language", None) or default_language(),
    )


def template_validate(*, template) -> None:
    """Raise `TemplateInvalidError` (with lines and columns) unless the template (or a
    translation, with its template's layout, variables and sample data) compiles."""
    layout = template.layout or layout_default()
    compile_version(template_source(template=template, layout=layout))


@transaction.atomic
def template_save(*, template: EmailTemplate, author=None) -> EmailTemplateVersion:
    """Validate, save and activate a new immutable version; nothing is saved if invalid."""
    return _save_and_activate(row=template, template=template, author=author)


def _save_and_activate(*, row, template: EmailTemplate, author) -> EmailTemplateVersion:
    """Compile `row` (a template, or one of its translations) in its template's layout, save
    it, and make a new version in its language its active one; nothing is saved if invalid."""
    source = template_source(template=row, layout=template.layout or layout_default())
    compiled = compile_version(source)
    row.updated_by = author
    row.save()
    version = _new_version(
        template=template,
        language=source.language,
        source=source,
        compiled=compiled,
        author=author,
    )
    type(row).objects.filter(pk=row.pk).update(active_version=version)
    row.active_version = version
    return version


def _new_version(*, template: EmailTemplate, language: str, source: Source, compiled, author):
    """The next version in `language`'s history (each language numbers its own)."""
    versions = template.versions.filter(language=language)
    number = (versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return EmailTemplateVersion.objects.create(
        template=template,
        language=language,
        number=number,
        category=template.category,
        layout_mjml=source.layout_mjml,
        subject=source.subject,
        preheader=source.preheader,
        mjml=source.mjml,
        variables=source.variables,
        sample_context=source.sample_context,
        compiled_html=compiled.html,
        text_body=compiled.text,
        author=author,
    )


@transaction.atomic
def translation_save(*, translation: EmailTemplateTranslation, author=None) -> EmailTemplateVersion:
    """Validate a translation with its template's layout, variables and sample data, then save
    and activate a new version in its language; nothing is saved if invalid."""
    template = translation.template
    if translation.language == default_language():
        raise TemplateInvalidError(
            [
                Problem(
                    "language",
                    1,
                    1,
                    "the default language is the template itself; pick another language",
                )
            ]
        )
    return _save_and_activate(row=translation, template=template, author=author)


def translations_missing(*, template: EmailTemplate) -> list[str]:
    """The configured languages this template has no active translation in."""
    present = set(
        template.translations.filter(active_version__isnull=False).values_list(
            "language", flat=True
        )
    )
    return [
        code
        for code, _name in settings.LANGUAGES
        if code != default_language() and code not in present
    ]


@transaction.atomic
def layout_save(*, layout: EmailLayout, author=None) -> list[EmailTemplateVersion]:
    """Save a layout and give every template placed in it a new version; all or nothing."""
    layout.updated_by = author
    layout.save()
    using = EmailTemplate.objects.filter(Q(layout=layout) | Q(layout__isnull=True))
    if not layout.is_default:
        using = using.filter(layout=layout)
    versions, problems = [], []
    for template in using:
        try:
            versions.append(template_save(template=template, author=author))
            for translation in template.translations.all():
                translation.template = template
                versions.append(translation_save(translation=translation, author=author))
        except TemplateInvalidError as error:
            problems += [
                Problem(p.field, p.line, p.column, f"[{template.key}] {p.message}")
                for p in error.problems
            ]
    if problems:
        raise TemplateInvalidError(problems)
    return versions


def template_preview(
    *, template: EmailTemplate, context: dict | None = None, address: str = "ada@example.com"
) -> Rendered:
    """Compile and render a template as edited, without saving it; raise `TemplateInvalidError`.

    Nothing is stored or cached (a preview changes with every keystroke); the context defaults
    to the template's sample data. Rendered by the same `render` as every send.
    """
    layout = template.layout or layout_default()
    source = template_source(template=template, layout=layout)
    compiled = compile_version(source)
    data = template.sample_context if context is None else plain_data(context)
    values = {**system_context(address=address, category=template.category), **data}
    try:
        return render(unsaved_version(source, compiled), values)
    except TemplateBoundError as error:
        raise TemplateInvalidError([bound_problem(error, source)]) from error


@transaction.atomic
def template_version_restore(*, version: EmailTemplateVersion, author=None) -> EmailTemplateVersion:
    """Make an old version's content current again as a new version; history is kept.

    The template keeps its current layout: a version's layout snapshot is not restored.
    """
    from ..rendering import html_to_text

    template = EmailTemplate.objects.select_for_update().get(pk=version.template_id)
    derived_text = version.text_body == html_to_text(version.compiled_html)
    template.category = version.category
    template.subject, template.preheader = version.subject, version.preheader
    template.mjml, template.variables = version.mjml, version.variables
    template.sample_context = version.sample_context
    template.text_body = "" if derived_text else version.text_body
    return template_save(template=template, author=author)
