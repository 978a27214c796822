"""What a table promises, declared once, as plain data.

A source package declares the contract of each table it lands (``extractors/<source>/contract.py``); a
published table's contract is its dbt model's YAML (column ``data_type``, tests and ``meta.gate``), which
the quality gate reads from the dbt manifest (``expectations.suites.published_contracts``). The gate
expands every contract into Great Expectations checks (``expectations.suites``), the warehouse builds a
skipped source's empty table from it, and nothing else restates a column. Plain data on purpose:
declaring a contract imports neither Great Expectations nor Polars, so DAG files can read the sources'
declarations at parse time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "warning"]

# every landed table's lineage columns (parkplatform.landing.LINEAGE_COLUMNS), in the contract's types
LINEAGE = "_source text, _batch_id text, _loaded_at timestamp, _source_file text, _source_row integer"
# The warehouse-neutral types a contract declares (the gate reads each column's type as its validation
# database sees it). ``number``: any numeric type, for sums whose type the engine chooses.
LOGICAL_TYPES = frozenset({"text", "integer", "decimal", "double", "number", "boolean", "date", "timestamp"})


@dataclass(frozen=True)
class Rule:
    """A check beyond the contract's standard ones, on one column (or the table when ``column`` is None).

    ``kind`` is one of: ``between`` (``low``/``high``, inclusive, either may be None), ``not_null``,
    ``not_in`` (``values``), ``length`` (``value``), ``distinct_at_least`` (``value``), ``row_count``
    (``value``: exactly that many rows). ``mostly``: the share of rows that must pass; ``when``: a
    boolean column, the rule applies only to rows where it is true."""

    kind: Literal["between", "not_null", "not_in", "length", "distinct_at_least", "row_count"]
    column: str | None = None
    low: Any = None
    high: Any = None
    value: Any = None
    values: tuple[Any, ...] = ()
    mostly: float | None = None
    when: str | None = None
    severity: Severity = "critical"
    why: str = ""


@dataclass(frozen=True)
class Contract:
    """A table's promise. Every check is critical unless its rule says ``warning``."""

    table: str  # schema-qualified: raw.park_registry, main.dim_park
    columns: str  # "name type, name type, ..." in LOGICAL_TYPES, in the table's order
    key: tuple[str, ...] = ()  # unique together; a one-column key is also required
    alternate_keys: tuple[tuple[str, ...], ...] = ()  # other column sets unique together (nulls allowed)
    required: tuple[str, ...] = ()  # not null
    domains: dict[str, list[Any]] = field(default_factory=dict)  # column -> allowed values (null allowed)
    non_negative: tuple[str, ...] = ()
    shares: tuple[str, ...] = ()  # in [0, 1]
    not_future: tuple[str, ...] = ()  # dates and timestamps not after the run's as_of
    source: str | None = None  # the landed source of a raw table: checked only when that source ran
    lineage: bool = False  # a landed table: the landing contract's lineage columns follow its own
    non_empty: bool = True
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        unknown = {kind for kind in self.column_types.values() if kind not in LOGICAL_TYPES}
        if unknown:
            raise ValueError(f"contract {self.table}: unknown column type(s) {sorted(unknown)}")

    @property
    def column_types(self) -> dict[str, str]:
        spec = f"{self.columns}, {LINEAGE}" if self.lineage else self.columns
        pairs = [item.split() for item in spec.split(",")]
        return {name: kind for name, kind in pairs}

    @property
    def name(self) -> str:
        """The table's name without its schema."""
        return self.table.split(".", 1)[1]
