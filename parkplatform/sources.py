"""What a source is, and the platform's sources as their packages declare them.

Each source is one package under ``extractors/`` whose ``__init__`` declares a :class:`SourceSpec`:
its cadence, whether it needs the reference folder, how the transform reads its batches, where its
extract and normalisation functions are, and the contract of every table it lands. The package
registers the declaration as an entry point of the group ``park_indicators.sources`` (pyproject.toml),
and :func:`sources` reads them from there: the shared layer runs the sources without importing one
(a source is a plugin), and adding a source touches no shared module.

Sources with ``requires_reference`` read the reference folder (``PARK_REFERENCE_DIR``): without any
reference folder they cannot be extracted, and a transform run loads them as empty tables with their
columns. Light on purpose: DAG files read the declarations at parse time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from parkplatform.contracts import Contract

ENTRY_POINT_GROUP = "park_indicators.sources"


def resolve(reference: str) -> Callable[..., Any]:
    """The function a ``module:function`` reference names (imported on first use)."""
    module, _, function = reference.partition(":")
    return getattr(importlib.import_module(module), function)


@dataclass(frozen=True, eq=False)  # one declaration per source: compared by identity
class SourceSpec:
    """A source: how often it is pulled and how the transform reads its batches (a snapshot source is
    read from its newest batch; an ``incremental`` one adds to what its earlier batches landed, so the
    transform reads every batch up to the logical date and dbt keeps the latest version of each record).

    ``extract`` (``module:function(settings, logical_date)``) lands one batch; ``normalise``
    (``module:function(landed frame)``) types it into the warehouse table ``raw.<name>``; ``derived``
    names the tables computed from that one (``table -> module:function(normalised frame)``);
    ``contracts`` declares every table the source puts in ``raw`` (its own first); ``reread``
    (``module:function(settings, logical_date, files)``) lands a batch again from the files it received,
    for a source whose extract would read other files today (reprocessing); ``empty_landed`` gives
    the landed columns and their Polars types of a source that needs the reference folder, for the
    empty table of a run without one."""

    name: str
    schedule: str
    description: str
    extract: str
    normalise: str
    contracts: tuple[Contract, ...]
    requires_reference: bool = False
    incremental: bool = False
    derived: dict[str, str] = field(default_factory=dict)
    reread: str | None = None
    empty_landed: dict[str, str] = field(default_factory=dict)
    # sources whose landing this one follows: its DAG runs when one of them lands (instead of on
    # ``schedule``, which then only says how fresh it should be) and a run of every source extracts it after them
    after: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        tables = [contract.table for contract in self.contracts]
        expected = [f"raw.{self.name}", *(f"raw.{table}" for table in self.derived)]
        if sorted(tables) != sorted(expected) or tables[0] != expected[0]:
            raise ValueError(f"source {self.name}: contracts for {tables}, expected {expected} (its own table first)")
        if self.requires_reference and not self.empty_landed:
            raise ValueError(f"source {self.name} needs the reference folder: declare empty_landed")

    @property
    def dag_id(self) -> str:
        return f"extract_{self.name}"

    @property
    def asset_name(self) -> str:
        return f"landing.{self.name}"


@cache
def sources() -> tuple[SourceSpec, ...]:
    """Every source the installed packages declare, by name except that a source comes after those it
    follows (``after``)."""
    found = []
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        spec = entry_point.load()
        if not isinstance(spec, SourceSpec) or spec.name != entry_point.name:
            raise TypeError(f"entry point {entry_point.name} = {entry_point.value} is not the SourceSpec of that name")
        found.append(spec)
    if not found:
        raise RuntimeError(
            f"no source declared under the entry point group {ENTRY_POINT_GROUP!r}: the project is not installed "
            "(make setup)"
        )
    return _after_those_it_follows(found)


def _after_those_it_follows(found: list[SourceSpec]) -> tuple[SourceSpec, ...]:
    names = {spec.name for spec in found}
    ordered: list[SourceSpec] = []
    waiting = list(found)
    while waiting:
        placed = {spec.name for spec in ordered}
        ready = [spec for spec in waiting if all(name in placed or name not in names for name in spec.after)]
        if not ready:
            raise ValueError(f"sources follow each other in a circle: {', '.join(spec.name for spec in waiting)}")
        ordered += ready
        waiting = [spec for spec in waiting if spec not in ready]
    return tuple(ordered)


def source_spec(name: str) -> SourceSpec:
    by_name = {spec.name: spec for spec in sources()}
    if name not in by_name:
        raise KeyError(f"unknown source {name!r}: expected one of {', '.join(by_name)}")
    return by_name[name]


def source_names() -> list[str]:
    return [spec.name for spec in sources()]


def runnable_sources(has_reference: bool) -> tuple[SourceSpec, ...]:
    """The sources a run extracts: all of them with a reference folder, else those not requiring one."""
    return tuple(spec for spec in sources() if has_reference or not spec.requires_reference)


def skipped_sources(has_reference: bool) -> tuple[SourceSpec, ...]:
    """The sources a run without a reference folder does not extract (loaded as empty tables)."""
    return tuple(spec for spec in sources() if spec not in runnable_sources(has_reference))


def source_contracts() -> tuple[Contract, ...]:
    """The contract of every table the sources land, in source order."""
    return tuple(contract for spec in sources() for contract in spec.contracts)
