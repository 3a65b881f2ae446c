"""The huey adapter keeps the contracts it declares (apps/jobs/adapter/contracts.py): the
package's functions, the Huey classes' additions and the storages' in-flight register take
exactly the parameters declared there, so neither side drifts from the other unnoticed."""

import inspect

import pytest
from huey.contrib.djhuey import HUEY

from apps.jobs import adapter
from apps.jobs.adapter.contracts import InflightStorage, JobsAdapter, ReliableHuey
from apps.jobs.adapter.storage_local import MemoryInflightStorage, SqliteInflightStorage
from apps.jobs.adapter.storage_redis import RedisInflightStorage

pytestmark = pytest.mark.embedded


def declared(protocol) -> dict[str, list]:
    """The methods a protocol declares, as the shape of their parameters after `self`."""
    return {
        name: shape(member, bound=True)
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def shape(function, *, bound: bool = False) -> list[tuple[str, object, object]]:
    """Parameter names, kinds and defaults (what a caller relies on; annotations are docs),
    without `self` when `bound`."""
    parameters = list(inspect.signature(function).parameters.values())[1 if bound else 0 :]
    return [(p.name, p.kind, p.default) for p in parameters]


def test_the_package_offers_every_declared_function_with_its_declared_parameters():
    assert isinstance(adapter, JobsAdapter)
    for name, parameters in declared(JobsAdapter).items():
        assert name in adapter.__all__, name
        assert shape(getattr(adapter, name)) == parameters, name


@pytest.mark.parametrize(
    "storage", [RedisInflightStorage, SqliteInflightStorage, MemoryInflightStorage]
)
def test_every_storage_keeps_the_in_flight_register_as_declared(storage):
    for name, parameters in declared(InflightStorage).items():
        assert shape(getattr(storage, name), bound=True) == parameters, f"{storage.__name__}.{name}"


@pytest.mark.parametrize("huey_class", [adapter.RedisHuey, adapter.SqliteHuey])
def test_both_huey_classes_add_what_the_jobs_app_sets_and_calls(huey_class):
    for name, parameters in declared(ReliableHuey).items():
        found = shape(getattr(huey_class, name), bound=True)
        assert found == parameters, f"{huey_class.__name__}.{name}"
    for attribute in ("release_later", "clock"):
        assert hasattr(huey_class, attribute), attribute


def test_the_running_huey_and_its_storage_match_the_protocols():
    assert isinstance(HUEY, ReliableHuey)
    assert isinstance(HUEY.storage, InflightStorage)


def test_every_huey_method_the_adapter_overrides_is_still_hueys_with_the_same_parameters():
    from huey.api import Huey

    from apps.jobs.adapter.contracts import HUEY_OVERRIDES
    from apps.jobs.adapter.reliable import ReliableFetch

    overridden = {n for n, m in vars(ReliableFetch).items() if callable(m) and n != "__init__"}
    ours = overridden & {n for n in dir(Huey)}
    assert ours == set(HUEY_OVERRIDES)
    for name in HUEY_OVERRIDES:
        assert shape(getattr(ReliableFetch, name)) == shape(getattr(Huey, name)), name
