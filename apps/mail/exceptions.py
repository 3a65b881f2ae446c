"""Errors of the mail app: each also inherits the standard type it resembles."""

from dataclasses import dataclass


class MailError(Exception):
    """Base class of the mail app's errors."""


@dataclass(frozen=True)
class Problem:
    """One validation finding, pointing at a line and column of one field."""

    field: str
    line: int
    column: int
    message: str
    # (line, column) of the problem in the same field this one follows from (a typo's
    # consequences): the studio shows the cause first and folds its consequences under it.
    cause: tuple[int, int] | None = None

    def __str__(self) -> str:
        return f"{self.field}, line {self.line}, column {self.column}: {self.message}"


def folded(problems: list[Problem]) -> list[tuple[Problem, list[Problem]]]:
    """Each cause with the problems that follow from it, causes in their original order."""
    causes: dict[tuple[str, int, int], tuple[Problem, list[Problem]]] = {}
    for problem in problems:
        key = (problem.field, *problem.cause) if problem.cause else None
        if key in causes:
            causes[key][1].append(problem)
        else:
            causes.setdefault((problem.field, problem.line, problem.column), (problem, []))
    return list(causes.values())


class TemplateInvalidError(MailError, ValueError):
    """A template or layout failed validation; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class TemplateBoundError(MailError, ValueError):
    """Rendering asked for more work than a template may (loops, output, a filter's width).

    `token` is the template code that asked for it (`{% for x in y %}`, `|center`), so the
    studio can point at its line.
    """

    def __init__(self, message: str, *, token: str = ""):
        self.token = token
        super().__init__(message)


class TemplateNotFoundError(MailError, LookupError):
    """No template with that key, or it has no active version."""


class ContextError(MailError, TypeError):
    """The context is not plain data (strings, numbers, booleans, lists, dicts)."""


class DeliveryError(MailError):
    """Sending failed."""


class TransientDeliveryError(DeliveryError):
    """The provider or server failed in a way worth retrying later."""


class PermanentDeliveryError(DeliveryError):
    """The provider refused the message; retrying would not help."""


class TokenError(MailError, ValueError):
    """An unsubscribe or preferences link was altered or has expired."""


class SecretsGoneError(MailError, ValueError):
    """An email's secret values (a one-time link) were wiped: it cannot be sent again."""
