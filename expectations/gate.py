"""The quality gate: a Great Expectations checkpoint over the BUILD warehouse.

Tables are read through a read-only DuckDB connection into pandas (GX's SQL path on DuckDB returns
empty metrics, DESIGN.md section 8) and validated by one checkpoint holding one validation
definition per suite. Only a gate without a failed critical expectation lets the build publish.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHECKPOINT_NAME = "publish_gate"


@dataclass(frozen=True)
class ExpectationOutcome:
    suite: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    expected: str
    observed: str

    def describe(self) -> str:
        where = f"{self.suite}.{self.column}" if self.column else self.suite
        return f"{where}: {self.expectation} expected {self.expected}, observed {self.observed}"


@dataclass(frozen=True)
class GateResult:
    success: bool
    outcomes: list[ExpectationOutcome]

    @property
    def failed_critical(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "critical"]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]


class QualityGateFailed(RuntimeError):
    """At least one critical expectation failed: the build must not be published."""

    def __init__(self, result: GateResult):
        self.result = result
        lines = "\n".join(f"  - {outcome.describe()}" for outcome in result.failed_critical)
        super().__init__(f"quality gate failed, build not published; failed critical expectations:\n{lines}")


_KWARGS_NOT_EXPECTED = {"batch_id", "column", "result_format", "mostly"}


def _expected(kwargs: dict[str, Any]) -> str:
    shown = {key: value for key, value in kwargs.items() if key not in _KWARGS_NOT_EXPECTED and value is not None}
    if kwargs.get("mostly") is not None:
        shown["mostly"] = kwargs["mostly"]
    return json.dumps(shown, ensure_ascii=False, default=str) if shown else "true"


def _observed(result: dict[str, Any]) -> str:
    if "observed_value" in result:
        return json.dumps(result["observed_value"], ensure_ascii=False, default=str)
    unexpected = result.get("unexpected_count")
    if unexpected is None:
        return "n/a"
    # pandas reports a missing value as NaN; show it as null
    sample = [None if value != value else value for value in result.get("partial_unexpected_list", [])][:5]  # noqa: PLR0124
    return f"{unexpected} of {result.get('element_count')} rows unexpected, e.g. {json.dumps(sample, ensure_ascii=False, default=str)}"


def validate_build(build: Path, workdir: Path) -> GateResult:
    """Run the checkpoint over every suite's table in ``build``; never raises on failed data.

    Each table is exported to Parquet in ``workdir`` and read by a pandas filesystem data source,
    so that one checkpoint validates all suites in one run.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import duckdb
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations.suites import suites

    workdir.mkdir(parents=True, exist_ok=True)
    checks_by_table = suites()
    with duckdb.connect(str(build), read_only=True) as con:
        for table in checks_by_table:
            target = workdir / f"{table}.parquet"
            con.execute(f"copy (select * from main.\"{table}\") to '{target}' (format parquet)")

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_pandas_filesystem("build_warehouse", base_directory=workdir)
    severities: dict[str, str] = {}
    definitions = []
    for table, checks in checks_by_table.items():
        batch = datasource.add_parquet_asset(table).add_batch_definition_path(table, path=f"{table}.parquet")
        suite = context.suites.add(gx.ExpectationSuite(name=table))
        for check in checks:
            severities[suite.add_expectation(check.expectation).id] = check.severity
        definitions.append(
            context.validation_definitions.add(gx.ValidationDefinition(name=table, data=batch, suite=suite))
        )
    checkpoint = context.checkpoints.add(gx.Checkpoint(name=CHECKPOINT_NAME, validation_definitions=definitions))

    outcomes: list[ExpectationOutcome] = []
    for run in checkpoint.run().run_results.values():
        suite_name = run.suite_name
        for result in run.results:
            config = result.expectation_config
            outcomes.append(
                ExpectationOutcome(
                    suite=suite_name,
                    expectation=config.type,
                    column=config.kwargs.get("column"),
                    severity=severities[config.id],
                    success=bool(result.success),
                    expected=_expected(config.kwargs),
                    observed=_observed(result.result or {}),
                )
            )
    gate = GateResult(success=not any(not o.success and o.severity == "critical" for o in outcomes), outcomes=outcomes)
    for warning in gate.failed_warnings:
        log.warning("quality warning (does not block): %s", warning.describe())
    return gate


def enforce(build: Path, run_dir: Path) -> GateResult:
    """Validate ``build``; keep the outcomes as ``run_dir/outcomes.json``; raise QualityGateFailed
    on a failed critical expectation."""
    result = validate_build(build, run_dir / "tables")
    report_path = run_dir / "outcomes.json"
    report_path.write_text(
        json.dumps([asdict(o) for o in result.outcomes], ensure_ascii=False, indent=2), encoding="utf-8"
    )
    if not result.success:
        raise QualityGateFailed(result)
    log.info("quality gate passed: %d expectations, %d warnings", len(result.outcomes), len(result.failed_warnings))
    return result
