"""Apps import one way only, downward, and domain apps reach mail and jobs only through what those
two offer them (DESIGN.md, "Dependency rules"). Read from the source with `ast`: every import of
`apps.…` in every module under apps/ (migrations aside), inside functions too."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "apps"

# Top to bottom. An app imports only itself and the apps on the layers below it; apps on one
# layer are peers and import each other neither way (api and console).
LAYERS = [
    {"demo"},  # seeds the whole project: it may import anything
    {"api", "console"},
    {"analytics"},
    {"summaries"},
    {"billing"},
    {"accounts"},
    {"mail"},  # knows no business
    {"jobs"},  # generic machinery
    # shared utilities (apps/*.py) importing nothing of the project
    {"text_input", "batches", "buffered", "signed_links"},
]
RANK = {app: len(LAYERS) - depth for depth, apps in enumerate(LAYERS) for app in apps}

DOMAIN_APPS = {"accounts", "billing", "summaries", "analytics"}
# All a domain app may import of mail and jobs: module -> names.
OFFERED = {
    "mail": {
        "apps.mail.services": {"send_email", "send_email_many"},
    },
    "jobs": {
        # The declaration of periodic jobs (tasks are declared with huey's own `db_task`).
        "apps.jobs.periodic": {"periodic_job", "JobRun"},
        # What the machinery announces to the apps above it.
        "apps.jobs.signals": {"run_lost", "broker_lost_runs"},
        # Whether a run of one's own task may still run (for rows that are their own truth).
        "apps.jobs.live": {"live_first_arguments", "live_task_ids"},
    },
}


def _is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imports_of(source: str, package: str) -> list[tuple[int, str, str | None]]:
    """(line, module, name) of each `apps.…` import in `source`, relative ones resolved against
    `package`; name is None when a whole module is imported."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, package)
            for alias in node.names:
                whole = f"{module}.{alias.name}"
                found.append(
                    (node.lineno, whole, None)
                    if _is_module(whole)
                    else (node.lineno, module, alias.name)
                )
    return sorted((item for item in found if item[1].startswith("apps.")), key=lambda i: i[:2])


def _absolute(node: ast.ImportFrom, package: str) -> str:
    """The module a `from … import` names, a relative one (`from ..models`) made absolute."""
    if not node.level:
        return node.module
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _app_of(dotted: str) -> str:
    return dotted.split(".")[1]


def _modules():
    """(path relative to the repo, its app, its package, its source) of each module."""
    for path in sorted(APPS.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if "migrations" in relative.parts or path == APPS / "__init__.py":
            continue
        parts = relative.with_suffix("").parts  # ("apps", app, ..., module or "__init__")
        yield relative, parts[1], ".".join(parts[:-1]), path.read_text()


def _imports():
    for relative, app, package, source in _modules():
        for line, module, name in imports_of(source, package):
            yield f"{relative}:{line}", app, module, name


def test_the_checker_sees_relative_imports_and_imports_inside_functions():
    source = (
        "from ..models import A\nfrom . import usage\ndef f():\n    from apps.demo import seed\n"
    )
    assert imports_of(source, "apps.billing.services") == [
        (1, "apps.billing.models", "A"),
        (2, "apps.billing.services.usage", None),
        (4, "apps.demo.seed", None),
    ]


def test_every_app_has_a_layer():
    apps = {p.stem for p in APPS.glob("*.py") if p.name != "__init__.py"}
    apps |= {p.name for p in APPS.iterdir() if (p / "__init__.py").is_file()}
    assert apps - RANK.keys() == set(), "add the new app to LAYERS, above what it imports"


def test_apps_import_only_apps_on_lower_layers():
    upward = [
        f"{where}: {app} imports {module} ({_app_of(module)} is not below {app})"
        for where, app, module, _ in _imports()
        if _app_of(module) != app and RANK.get(_app_of(module), 0) >= RANK.get(app, 0)
    ]
    assert upward == []


def test_domain_apps_reach_mail_and_jobs_only_through_what_those_offer():
    reached_into = [
        f"{where}: {app} imports {module}" + (f".{name}" if name else "")
        for where, app, module, name in _imports()
        if app in DOMAIN_APPS
        and _app_of(module) in OFFERED
        and name not in OFFERED[_app_of(module)].get(module, set())
    ]
    assert reached_into == []
