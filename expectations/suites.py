"""Expectation suites as code: one per landed table (``raw.<table>``), one per published table
(``main.<table>``) and one per cross-table reconciliation, with severity next to each check.

A landed table's contract is its source's (``extractors/<source>/contract.py``, read through
:func:`parkplatform.sources.source_contracts`); a published table's is its dbt model's YAML, read from
the dbt manifest by :func:`published_contracts` (column types, key, required columns, domains and ranges
from the model's tests, the rest from ``meta.gate``); the landing's bookkeeping tables' are declared
here (:func:`contracts`).

``critical`` expectations block publishing; ``warning`` ones are reported and never block.

Each table is declared once as a :class:`parkplatform.contracts.Contract` (its columns with their types,
key, required columns, domains, ranges, dates that cannot lie after the run's ``as_of``); :func:`suites`
expands the contracts into GX expectations and adds what depends on the run: the row-count band against
the last published run, the freshness of every source and the reconciliations (difference tables that
must be empty, computed by :data:`RECONCILIATIONS` over the exported tables).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import great_expectations.expectations as gxe
import sqlalchemy as sa
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.expectations.registry import get_metric_kwargs
from great_expectations.expectations.row_conditions import Column
from great_expectations.validator.metric_configuration import MetricConfiguration

from parkplatform.contracts import Contract, Rule, Severity
from parkplatform.sources import source_contracts

SCHEDULE_DAYS = {"@daily": 1, "@weekly": 7, "@monthly": 31}

# How the gate reads the logical types of parkplatform.contracts from the type of each column as its validation
# database (DuckDB) sees it: the same for a DuckDB build and a PostgreSQL one exported to Parquet.
DUCKDB_LOGICAL_TYPES = (
    ("decimal", ("DECIMAL", "NUMERIC")),
    ("integer", ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                 "UBIGINT", "UHUGEINT")),
    ("double", ("DOUBLE", "FLOAT", "REAL")),
    ("text", ("VARCHAR",)),
    ("boolean", ("BOOLEAN",)),
    ("timestamp", ("TIMESTAMP",)),
    ("date", ("DATE",)),
)  # fmt: skip


def logical_type(duckdb_type: str) -> str:
    """The logical type of a DuckDB column type (``DECIMAL(20,2)`` -> decimal), else the type itself."""
    base = duckdb_type.upper().split("(")[0].strip()
    for name, kinds in DUCKDB_LOGICAL_TYPES:
        if base in kinds or any(base.startswith(f"{kind} ") for kind in kinds):  # TIMESTAMP WITH TIME ZONE
            return name
    return duckdb_type.lower()


class TableLogicalColumnTypes(TableMetricProvider):
    """``table.logical_column_types``: each column's logical type, from DuckDB's own catalogue (the SQL
    reflection of the DuckDB driver cannot read column types of this DuckDB)."""

    metric_name = "table.logical_column_types"

    @metric_value(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        batch_id = metric_domain_kwargs.get("batch_id") or execution_engine.batch_manager.active_batch_data_id
        table = execution_engine.batch_manager.batch_data_cache[batch_id].source_table_name
        rows = execution_engine.execute_query(
            sa.text(
                "select column_name, data_type from information_schema.columns "
                "where table_name = :table order by ordinal_position"
            ).bindparams(table=table)
        ).fetchall()
        return {name: logical_type(kind) for name, kind in rows}


class ExpectTableColumnsToHaveLogicalTypes(gxe.ExpectTableColumnsToMatchSet):
    """The table has exactly the columns of ``column_types`` (name -> type of :data:`LOGICAL_TYPES`;
    ``number``: integer, decimal or double), each of its type: one expectation per table, whose
    observed value names every column that differs (its type as found, ``missing`` or ``unexpected``).

    GX's own type check compares the engine's type names (``DECIMAL(20,2)``, ``VARCHAR``), which differ
    between engines and sizes; this one compares the columns' kinds, a table-level metric only.
    """

    column_types: dict[str, str]

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None, **kwargs):
        dependencies = super().get_validation_dependencies(execution_engine, runtime_configuration)
        metric_kwargs = get_metric_kwargs(
            metric_name=TableLogicalColumnTypes.metric_name,
            configuration=self.configuration,
            runtime_configuration=runtime_configuration,
        )
        dependencies.set_metric_configuration(
            metric_name=TableLogicalColumnTypes.metric_name,
            metric_configuration=MetricConfiguration(
                metric_name=TableLogicalColumnTypes.metric_name,
                metric_domain_kwargs=metric_kwargs["metric_domain_kwargs"],
                metric_value_kwargs=metric_kwargs["metric_value_kwargs"],
            ),
        )
        return dependencies

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        found = metrics[TableLogicalColumnTypes.metric_name]
        differences = {}
        for name, declared in self.column_types.items():
            accepted = {"integer", "decimal", "double"} if declared == "number" else {declared}
            if found.get(name, "missing") not in accepted:
                differences[name] = found.get(name, "missing")
        differences |= {name: "unexpected" for name in found if name not in self.column_types}
        return {"success": not differences, "result": {"observed_value": differences or "as declared"}}


@dataclass(frozen=True)
class Check:
    expectation: gxe.Expectation
    severity: Severity = "critical"


def contracts() -> list[Contract]:
    """The landing's bookkeeping tables' contracts (schema raw of the build; the landed tables' are the
    sources', the published tables' dbt's)."""
    return [
        Contract(
            "raw.landing_batches",
            "source text, batch_id text, logical_date text, loaded_at text, received integer, landed integer, "
            "quarantined integer",
            key=("batch_id",),
            required=("source", "logical_date", "received", "landed", "quarantined"),
            non_negative=("received", "landed", "quarantined"),
        ),
        Contract(
            "raw.landing_quarantine",
            "source text, batch_id text, logical_date text, reason text, quarantined integer",
            key=("batch_id", "reason"),
            required=("source", "batch_id", "reason", "quarantined"),
            non_negative=("quarantined",),
            non_empty=False,  # a load without a rejected row
        ),
    ]


# The dbt tests the gate reads as a published table's contract: these, not_null, accepted_values,
# non_negative and share_between_0_and_1. Every other test (relationships, not_null_where_reference_loaded,
# the singular tests, ...) is dbt's alone: `dbt build` runs it before the gate.
UNIQUENESS_TESTS = ("unique", "unique_combination")
# the keys a column's and a model's ``meta.gate`` may hold
COLUMN_GATE_KEYS = frozenset({"not_future", "rules"})
MODEL_GATE_KEYS = frozenset({"may_be_empty", "rules"})


def _gate_meta(node: dict, keys: frozenset[str], where: str) -> dict:
    gate = (node.get("meta") or {}).get("gate") or {}
    unknown = set(gate) - keys
    if unknown:
        raise ValueError(f"{where}: unknown meta.gate key(s) {sorted(unknown)}, expected some of {sorted(keys)}")
    return gate


def _meta_rule(rule: dict, column: str | None, where: str) -> Rule:
    fields = {"column": column, **rule}
    if "values" in fields:
        fields["values"] = tuple(fields["values"])
    try:
        return Rule(**fields)
    except TypeError as error:
        raise ValueError(f"{where}: meta.gate rule {rule}: {error}") from None


def _model_contract(node: dict, tests: list[dict]) -> Contract:
    """A published model's contract, from its YAML as the manifest holds it (see :func:`published_contracts`)."""
    name = node["name"]
    columns = node["columns"]
    untyped = [column for column, spec in columns.items() if not spec.get("data_type")]
    if untyped:
        raise ValueError(f"model {name}: no data_type on column(s) {untyped} (a published column declares its type)")
    types = {column: spec["data_type"] for column, spec in columns.items()}
    keys: list[tuple[str, ...]] = []
    required: list[str] = []
    domains: dict[str, list[Any]] = {}
    non_negative: list[str] = []
    shares: list[str] = []
    rules: list[Rule] = []
    for test in tests:
        kind = test["test_metadata"]["name"]
        column = test.get("column_name")
        arguments = test["test_metadata"].get("kwargs") or {}
        where = (test["config"].get("where") or "").strip()
        severity: Severity = "warning" if str(test["config"].get("severity", "error")).lower() == "warn" else "critical"
        if where and types.get(where) != "boolean":
            continue  # a SQL condition the gate cannot state: dbt's alone
        when = where or None
        plain = when is None and severity == "critical"
        if kind in UNIQUENESS_TESTS or kind == "accepted_values":
            if not plain:
                raise ValueError(
                    f"model {name}: the gate has no conditional or warning form of {kind} ({test['unique_id']})"
                )
            if kind == "accepted_values":
                domains[column] = list(arguments["values"])
            else:
                keys.append((column,) if kind == "unique" else tuple(arguments["columns"]))
        elif kind == "not_null":
            if plain:
                required.append(column)
            else:
                rules.append(Rule("not_null", column, when=when, severity=severity))
        elif kind == "non_negative":
            if plain:
                non_negative.append(column)
            else:
                rules.append(Rule("between", column, low=0, when=when, severity=severity))
        elif kind == "share_between_0_and_1":
            if plain:
                shares.append(column)
            else:
                rules.append(Rule("between", column, low=0, high=1, when=when, severity=severity))
    # the key: a unique column (the first in column order), else the first declared unique combination
    keys.sort(key=lambda key: (len(key) > 1, list(types).index(key[0]) if len(key) == 1 else 0))
    model_gate = _gate_meta(node, MODEL_GATE_KEYS, f"model {name}")
    rules += [_meta_rule(rule, rule.get("column"), f"model {name}") for rule in model_gate.get("rules", ())]
    not_future = []
    for column, spec in columns.items():
        gate = _gate_meta(spec, COLUMN_GATE_KEYS, f"model {name}, column {column}")
        if gate.get("not_future"):
            not_future.append(column)
        rules += [_meta_rule(rule, column, f"model {name}, column {column}") for rule in gate.get("rules", ())]
    return Contract(
        f"main.{name}",
        ", ".join(f"{column} {kind}" for column, kind in types.items()),
        key=keys[0] if keys else (),
        alternate_keys=tuple(keys[1:]),
        required=tuple(required),
        domains=domains,
        non_negative=tuple(non_negative),
        shares=tuple(shares),
        not_future=tuple(not_future),
        non_empty=not model_gate.get("may_be_empty", False),
        rules=tuple(rules),
    )


def published_contracts(manifest: dict | None = None) -> list[Contract]:
    """Every published table's contract, read from the dbt manifest (by default the one ``dbt build`` last
    wrote, :func:`parkplatform.dbt.read_manifest`): the models of this project that dbt writes to the
    target schema (no custom schema, ``macros/generate_schema_name.sql``: the marts), each as
    ``main.<model>``, the schema it has in the validation database.

    A model's YAML declares its contract once: each column's ``data_type`` (a logical type of
    :data:`parkplatform.contracts.LOGICAL_TYPES`, in the model's column order), and its tests: ``unique``
    or ``unique_combination`` (the key; more of them: alternate keys), ``not_null`` (required; with
    ``where`` naming a boolean column: a not-null rule on the rows where it is true), ``accepted_values``
    (the domain), ``non_negative`` and ``share_between_0_and_1``; a test with ``severity: warn`` is a
    warning, one with any other ``where`` is dbt's alone. What dbt does not test goes in ``meta.gate``
    (under ``config``): a column's ``not_future: true`` (not after the run's as_of) and ``rules`` (in the
    vocabulary of :class:`parkplatform.contracts.Rule`, ``column`` defaulting to the column), a model's
    ``may_be_empty: true`` and table ``rules``."""
    if manifest is None:
        from parkplatform.dbt import read_manifest

        manifest = read_manifest()
    project = manifest["metadata"]["project_name"]
    tests: dict[str, list[dict]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node") and node.get("test_metadata"):
            tests.setdefault(node["attached_node"], []).append(node)
    models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["package_name"] == project and node["config"].get("schema") is None
    ]
    return [_model_contract(node, tests.get(node["unique_id"], [])) for node in sorted(models, key=lambda n: n["name"])]


@dataclass(frozen=True)
class Reconciliation:
    """A difference table (DuckDB SQL over the exported tables, each a view named like the table with
    ``.`` as ``__``) that must be empty; its rows say what disagrees."""

    name: str
    sql: str
    severity: Severity = "critical"

    @property
    def suite(self) -> str:
        return f"reconcile.{self.name}"


RECONCILIATIONS = [
    Reconciliation(
        "landing_batches_received",
        "select source, batch_id, received, landed, quarantined from raw__landing_batches "
        "where received <> landed + quarantined",
    ),
    Reconciliation(
        "quarantine_reasons_per_batch",
        """
        with reasons as (
            select batch_id, sum(quarantined) as quarantined from raw__landing_quarantine group by batch_id
        )
        select batch_id, batches.quarantined as batch_quarantined, reasons.quarantined as reasons_quarantined
        from raw__landing_batches as batches full outer join reasons using (batch_id)
        where batches.quarantined is distinct from coalesce(reasons.quarantined, 0)
        """,
    ),
    Reconciliation(
        "flows_projects_per_park_month",
        """
        with mart as (
            select park_id, signed_month, sum(projects) as projects, sum(contracted_cny) as contracted_cny
            from main__mart_investment_flows_month group by park_id, signed_month
        ), facts as (
            select park_id, signed_month, count(*) as projects, sum(contracted_cny) as contracted_cny
            from main__fct_investment_project where signed_date is not null group by park_id, signed_month
        )
        select park_id, signed_month, mart.projects as mart_projects, facts.projects as fact_projects,
            mart.contracted_cny as mart_contracted_cny, facts.contracted_cny as fact_contracted_cny
        from mart full outer join facts using (park_id, signed_month)
        where mart.projects is distinct from facts.projects
            or abs(coalesce(mart.contracted_cny, 0) - coalesce(facts.contracted_cny, 0)) > 0.01
        """,
    ),
    Reconciliation(
        "funnel_matches_per_cohort",
        """
        with mart as (
            select cohort_month, sum(recommended_matches) as matches, sum(signed_matches) as signed
            from main__mart_match_funnel group by cohort_month
        ), facts as (
            -- signed as the funnel counts it: reached signing or beyond (a landing may skip the signed event)
            select cohort_month, count(*) as matches, count(case when furthest_stage_rank >= 5 then 1 end) as signed
            from main__fct_match group by cohort_month
        )
        select cohort_month, mart.matches as mart_matches, facts.matches as fact_matches,
            mart.signed as mart_signed, facts.signed as fact_signed
        from mart full outer join facts using (cohort_month)
        where mart.matches is distinct from facts.matches or mart.signed is distinct from facts.signed
        """,
    ),
    Reconciliation(
        "parks_per_province_zone_type",
        """
        with mart as (
            select province_adcode, level, zone_type, parks from main__mart_parks_by_province_zone_type
        ), facts as (
            select province_adcode, level, zone_type, count(*) as parks
            from main__dim_park where in_catalogue group by province_adcode, level, zone_type
        )
        select province_adcode, level, zone_type, mart.parks as mart_parks, facts.parks as dim_parks
        from mart full outer join facts using (province_adcode, level, zone_type)
        where mart.parks is distinct from facts.parks
        """,
    ),
    Reconciliation(
        "catalogue_zones_in_dim_park",
        "select park_id from raw__park_registry anti join "
        "(select park_id from main__dim_park where in_catalogue) using (park_id)",
    ),
    Reconciliation(
        "projects_in_fct_investment_project",
        "select distinct project_id from raw__crm_projects anti join main__fct_investment_project using (project_id)",
    ),
    Reconciliation(
        "payments_in_fct_paid_in_payment",
        "select distinct payment_id from raw__crm_payments anti join main__fct_paid_in_payment using (payment_id)",
    ),
    Reconciliation(
        "weekly_paid_in_from_the_payment_ledger",
        """
        with mart as (
            select week_start, value as paid_in_cny
            from main__mart_weekly_indicators where indicator_code = 'paid_in_cny'
        ), ledger as (
            select cast(date_trunc('week', payment_date) as date) as week_start, sum(amount_cny) as paid_in_cny
            from main__fct_paid_in_payment group by 1
        )
        select week_start, mart.paid_in_cny as mart_paid_in_cny, ledger.paid_in_cny as ledger_paid_in_cny
        from mart left join ledger using (week_start)
        where abs(mart.paid_in_cny - coalesce(ledger.paid_in_cny, 0)) > 0.01
        """,
    ),
]


@dataclass(frozen=True)
class RunFacts:
    """What the run-dependent checks need to know about this run and the last published one."""

    as_of: date
    sources: dict[str, str]  # every source the build should hold -> its schedule (@daily, ...)
    previous_counts: dict[str, int]  # table -> rows when last published (empty: first run)
    row_count_band: float
    freshness_grace_days: int


def _not_null(column: str) -> Check:
    return Check(gxe.ExpectColumnValuesToNotBeNull(column=column))


def _bounded(column: str, low: Any = None, high: Any = None) -> Check:
    return Check(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))


def _contract_checks(contract: Contract, facts: RunFacts) -> list[Check]:
    types = contract.column_types
    checks = [Check(ExpectTableColumnsToHaveLogicalTypes(column_set=list(types), exact_match=True, column_types=types))]
    if len(contract.key) == 1:
        checks += [_not_null(contract.key[0]), Check(gxe.ExpectColumnValuesToBeUnique(column=contract.key[0]))]
    elif contract.key:
        checks.append(Check(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.key))))
    checks += [
        Check(gxe.ExpectColumnValuesToBeUnique(column=key[0]))
        if len(key) == 1
        else Check(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key)))
        for key in contract.alternate_keys
    ]
    checks += [_not_null(column) for column in contract.required if column not in contract.key[:1]]
    checks += [
        Check(gxe.ExpectColumnValuesToBeInSet(column=column, value_set=values))
        for column, values in contract.domains.items()
    ]
    checks += [_bounded(column, low=0) for column in contract.non_negative]
    checks += [_bounded(column, low=0, high=1) for column in contract.shares]
    # a date is compared with the day; a timestamp (UTC) with the end of that day in Asia/Shanghai
    end_of_day = f"{facts.as_of.isoformat()}T16:00:00+00:00"
    checks += [
        _bounded(column, high=end_of_day if types[column] == "timestamp" else facts.as_of.isoformat())
        for column in contract.not_future
    ]
    if contract.non_empty:
        checks.append(Check(gxe.ExpectTableRowCountToBeBetween(min_value=1)))
    previous = facts.previous_counts.get(contract.table)
    if previous:
        band = facts.row_count_band
        # rows lost beyond the band block (a broken load); growth beyond it is reported (a new period)
        checks.append(Check(gxe.ExpectTableRowCountToBeBetween(min_value=math.floor(previous * (1 - band)))))
        checks.append(Check(gxe.ExpectTableRowCountToBeBetween(max_value=math.ceil(previous * (1 + band))), "warning"))
    return checks + [_rule_check(rule) for rule in contract.rules]


def _rule_check(rule: Rule) -> Check:
    """The Great Expectations check of a contract's rule (parkplatform.contracts.Rule)."""
    options: dict[str, Any] = {}
    if rule.mostly is not None:
        options["mostly"] = rule.mostly
    if rule.when is not None:
        options["row_condition"] = Column(rule.when) == True
    column = {"column": rule.column}
    expectation = {
        "between": lambda: gxe.ExpectColumnValuesToBeBetween(
            **column,
            **{k: v for k, v in (("min_value", rule.low), ("max_value", rule.high)) if v is not None},
            **options,
        ),
        "not_null": lambda: gxe.ExpectColumnValuesToNotBeNull(**column, **options),
        "not_in": lambda: gxe.ExpectColumnValuesToNotBeInSet(**column, value_set=list(rule.values), **options),
        "length": lambda: gxe.ExpectColumnValueLengthsToEqual(**column, value=rule.value, **options),
        "distinct_at_least": lambda: gxe.ExpectColumnUniqueValueCountToBeBetween(**column, min_value=rule.value),
        "row_count": lambda: gxe.ExpectTableRowCountToEqual(value=rule.value),
    }[rule.kind]()
    return Check(expectation, rule.severity)


def all_contracts() -> list[Contract]:
    """Every table's contract: the landed tables' (the sources'), the landing's bookkeeping tables' and the
    published tables' (dbt's)."""
    return [*source_contracts(), *contracts(), *published_contracts()]


def freshness_checks(facts: RunFacts) -> list[Check]:
    """Checks on the freshness table (one row per source: its newest batch's age in days at as_of)."""
    checks = [
        Check(gxe.ExpectColumnDistinctValuesToContainSet(column="source", value_set=sorted(facts.sources))),
    ]
    for source, schedule in sorted(facts.sources.items()):
        limit = SCHEDULE_DAYS.get(schedule, 1) + facts.freshness_grace_days
        checks.append(
            Check(
                gxe.ExpectColumnValuesToBeBetween(
                    column="age_days",
                    max_value=limit,
                    row_condition=Column("source") == source,
                ),
                # a late source does not make the others' data wrong: reported, publishing goes on
                "warning",
            )
        )
    return checks


FRESHNESS_SUITE = "freshness.landing_batches"
FRESHNESS_SQL = (
    "select source, max(cast(logical_date as date)) as newest_batch, "
    "date_diff('day', max(cast(logical_date as date)), cast($as_of as date)) as age_days "
    "from raw__landing_batches group by source"
)


def suites(facts: RunFacts, tables: set[str]) -> dict[str, list[Check]]:
    """Suite name -> its checks, for the tables present in this build (``tables``, schema-qualified).

    A raw table whose source the build does not hold (generated mode: no reference folder) has no
    suite; its published tables keep theirs."""
    result: dict[str, list[Check]] = {}
    for contract in all_contracts():
        if contract.source is not None and contract.source not in facts.sources:
            continue
        if contract.table in tables:
            result[contract.table] = _contract_checks(contract, facts)
    result[FRESHNESS_SUITE] = freshness_checks(facts)
    for reconciliation in RECONCILIATIONS:
        result[reconciliation.suite] = [Check(gxe.ExpectTableRowCountToEqual(value=0), reconciliation.severity)]
    return result


def contract_tables() -> list[str]:
    return [contract.table for contract in all_contracts()]
