"""Loads the ``defs/`` folder as Dagster's defs-folder autoloading does: every module under it,
its Dagster objects (or lists of them), or what its ``@dg.definitions`` function returns.

Written by hand instead of ``dg.load_from_defs_folder`` for one measured reason: that call also
scans the environment's component plugins and imports every installed integration's components
(dagster-snowflake's pull in the Snowflake Python API): loading the definitions took 11.5 s
instead of 5.3 s on this machine kind, and every run step pays it. ``dg check defs`` and
``dg list defs`` read the same definitions through ``definitions.py``.
"""

import contextlib
import gc
import importlib
import pkgutil
from collections.abc import Iterator
from types import ModuleType

import dagster as dg
from dagster._core.definitions.unresolved_asset_job_definition import UnresolvedAssetJobDefinition
from dagster.components.definitions import LazyDefinitions

_KINDS = {
    "assets": (dg.AssetsDefinition, dg.AssetSpec),
    "asset_checks": (dg.AssetChecksDefinition,),
    "jobs": (dg.JobDefinition, UnresolvedAssetJobDefinition),
    "schedules": (dg.ScheduleDefinition,),
    "sensors": (dg.SensorDefinition,),
}


def _module_definitions(module: ModuleType) -> dg.Definitions:
    """The module's own top-level objects (and lists of them); an asset-checks-only object is a check."""
    values = [v for value in vars(module).values() for v in (value if isinstance(value, list) else [value])]
    by_kind: dict[str, list] = {kind: [] for kind in _KINDS}
    for value in values:
        if isinstance(value, dg.AssetChecksDefinition):
            by_kind["asset_checks"].append(value)
            continue
        kind = next((k for k, types in _KINDS.items() if isinstance(value, types)), None)
        if kind is not None and all(value is not seen for seen in by_kind[kind]):
            by_kind[kind].append(value)
    return dg.Definitions(**by_kind)


def load_defs_package(package: ModuleType) -> dg.Definitions:
    loaded = []
    for info in sorted(pkgutil.walk_packages(package.__path__, f"{package.__name__}."), key=lambda i: i.name):
        module = importlib.import_module(info.name)
        lazy = [value for value in vars(module).values() if isinstance(value, LazyDefinitions)]
        # As Dagster's autoloading: a module's @dg.definitions function, when it has one, is its definitions.
        loaded += [definitions() for definitions in lazy] or [_module_definitions(module)]
    return dg.Definitions.merge(*loaded)


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Pauses the cyclic garbage collector while the definitions load, then freezes what exists.

    What loading builds lives as long as the process, and each full collection while it was built
    walked every object there was (~400k, Dagster's and dbt's included): measured, a third of a
    second of the load. Frozen, those objects are out of the collector's reach for the rest of the
    process too, the runs' own collections included. The few thousand cycles dropped while loading
    stay allocated (well under a megabyte).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()
