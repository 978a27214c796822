"""What the figures say: the ratios, the time Airflow adds, the targets and whether each is met.

:func:`derive` fills ``ratios``, ``airflow_added`` and ``targets`` of a result from its parts, so that a result
file merged from several runs (``--only``) is derived again from what it holds. A ratio or target whose parts
were not measured is ``null``.

The targets are the issue's, set for the ``national`` scale on a 2-core, 24 GB machine; at the other scales they
are evaluated the same way as an indication.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.stages import STAGES


def _median(figures: dict | None, key: str = "seconds") -> float | None:
    if not figures or key not in figures or figures[key] is None:
        return None
    return figures[key]["median"]


def _ratio(numerator: float | None, denominator: float | None, digits: int = 3) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def airflow_added(result: dict) -> dict | None:
    """The end-to-end run minus the stages measured alone (extract to report), split into the metadata
    preparation, the tasks' time beyond the same work alone and the time between tasks."""
    stages, e2e = result.get("stages"), result.get("end_to_end")
    if not stages or not e2e or "airflow" not in e2e:
        return None
    end_to_end = e2e["seconds"]["median"]
    alone = stages["extract_to_report_seconds"]
    output = e2e["output"]
    in_tasks = sum(e2e["airflow"]["stages"].values()) + output["report_seconds"]
    return {
        "end_to_end_seconds": end_to_end,
        "stages_alone_seconds": alone,
        "seconds": round(end_to_end - alone, 3),
        "share_of_end_to_end": _ratio(end_to_end - alone, end_to_end),
        "prepare_airflow_seconds": output["prepare_airflow_seconds"],
        "inside_tasks_seconds": round(in_tasks - alone, 3),
        "between_tasks_seconds": round(end_to_end - output["prepare_airflow_seconds"] - in_tasks, 3),
        "per_stage": {
            stage: {
                "alone": _median(stages.get(stage)),
                "in_airflow": e2e["airflow"]["stages"][stage],
            }
            for stage in e2e["airflow"]["stages"]
        },
    }


def peak_memory_mb(result: dict) -> float | None:
    """The largest peak of the platform's own steps: the stages, end to end, the incremental runs."""
    peaks = []
    for stage in STAGES:
        figures = (result.get("stages") or {}).get(stage)
        if figures:
            peaks.append(figures["peak_rss_mb"]["max"])
    if result.get("end_to_end"):
        peaks.append(result["end_to_end"]["peak_rss_mb"]["max"])
    for run in ("daily_run", "full_rebuild"):
        figures = (result.get("incremental") or {}).get(run)
        if figures:
            peaks.append(figures["peak_rss_mb"]["max"])
    return max(peaks) if peaks else None


def ratios(result: dict) -> dict:
    stages = result.get("stages") or {}
    e2e = result.get("end_to_end")
    floors = result.get("floors") or {}
    plain_dbt = _median(stages.get("dbt_build"))
    scan = _median(floors.get("duckdb_scan"))
    dbt_in_airflow = e2e["airflow"]["stages"]["dbt_build"] if e2e and "airflow" in e2e else None
    pandas = result.get("pandas_alternative") or {}
    incremental = result.get("incremental") or {}
    engines = result.get("engines") or {}
    return {
        "end_to_end_over_input_read": _ratio(_median(e2e), _median(floors.get("input_read")), 1),
        "transform_over_dbt_plus_scan": _ratio(
            stages.get("transform_seconds"), plain_dbt + scan if plain_dbt is not None and scan is not None else None
        ),
        "dbt_in_airflow_over_plain_dbt": _ratio(dbt_in_airflow, plain_dbt),
        "quality_gate_over_dbt": _ratio(_median(stages.get("quality_gate")), plain_dbt),
        "polars_over_pandas": pandas.get("ratio"),
        "incremental_share_of_full_build": incremental.get("share_of_full_build"),
        "postgres_over_duckdb": engines.get("postgres_over_duckdb"),
    }


@dataclass(frozen=True)
class Target:
    key: str
    description: str
    threshold: float
    unit: str
    at_most: bool
    value: Callable[[dict], float | None]
    scales: tuple[str, ...] = ("national",)

    def evaluate(self, result: dict) -> dict:
        value = self.value(result)
        met = None if value is None else (value <= self.threshold if self.at_most else value >= self.threshold)
        comparison = "≤" if self.at_most else "≥"
        return {
            "key": self.key,
            "description": self.description,
            "target": f"{comparison} {self.threshold:g}{self.unit}",
            "value": None if value is None else round(value, 3),
            "unit": self.unit,
            "met": met,
            "set_for": list(self.scales),
        }


def _e2e_minutes(result: dict) -> float | None:
    seconds = _median(result.get("end_to_end"))
    return None if seconds is None else seconds / 60


def _extract_rate(result: dict) -> float | None:
    extract = (result.get("stages") or {}).get("extract")
    return extract["rows_per_second"]["median"] if extract else None


def _chart_p95(result: dict, key: str = "overall_ms") -> float | None:
    overall = (result.get("serving") or {}).get(key)
    return overall["p95"] if overall else None


def _slowest_render(result: dict) -> float | None:
    """The slowest dashboard's median time to render in Chromium with a warm cache."""
    rendered = (result.get("serving") or {}).get("rendered")
    seconds = [dashboard["warm"]["seconds"] for dashboard in rendered or [] if dashboard["warm"]]
    return max(seconds) if rendered and len(seconds) == len(rendered) else None


def _peak_gb(result: dict) -> float | None:
    peak = peak_memory_mb(result)
    return None if peak is None else peak / 1024


def _slowest_parse(result: dict) -> float | None:
    files = (result.get("orchestration") or {}).get("dag_files")
    return max(entry["seconds"]["median"] for entry in files.values()) if files else None


def _peak_share_of_memory(result: dict) -> float | None:
    peak = _peak_gb(result)
    return None if peak is None else peak / result["machine"]["memory_gb"]


TARGETS = (
    Target("end_to_end_minutes", "End to end with the real DAGs (without generation)", 10, " min", True, _e2e_minutes),
    Target(
        "end_to_end_over_input_read",
        "End to end / reading every input once",
        15,
        "×",
        True,
        lambda r: r["ratios"]["end_to_end_over_input_read"],
    ),
    Target(
        "dbt_in_airflow_over_plain_dbt",
        "dbt stage in Airflow (Cosmos) / plain dbt build",
        1.3,
        "×",
        True,
        lambda r: r["ratios"]["dbt_in_airflow_over_plain_dbt"],
    ),
    Target(
        "quality_gate_over_dbt",
        "Quality gate / dbt build",
        0.2,
        "×",
        True,
        lambda r: r["ratios"]["quality_gate_over_dbt"],
    ),
    Target("extract_rows_per_second", "Extract and land", 200_000, " rows/s", False, _extract_rate),
    Target(
        "polars_over_pandas",
        "Polars reader / pandas reader",
        5,
        "×",
        False,
        lambda r: r["ratios"]["polars_over_pandas"],
    ),
    Target(
        "incremental_share_of_full_build",
        "Daily incremental run / full build",
        0.1,
        "×",
        True,
        lambda r: r["ratios"]["incremental_share_of_full_build"],
    ),
    Target("chart_p95_ms", "Chart queries without cache, p95", 200, " ms", True, _chart_p95),
    Target(
        "chart_warm_p95_ms",
        "Chart queries from a warm cache, p95",
        200,
        " ms",
        True,
        lambda r: _chart_p95(r, "warm_overall_ms"),
        scales=("demo",),
    ),
    Target(
        "dashboard_render_seconds",
        "Slowest dashboard fully rendered in Chromium, warm cache",
        3,
        " s",
        True,
        _slowest_render,
        scales=("demo",),
    ),
    Target("peak_memory_gb", "Peak memory (RSS) of any step", 8, " GB", True, _peak_gb),
    Target("slowest_dag_parse_seconds", "Slowest DAG file parse", 1, " s", True, _slowest_parse),
    Target(
        "peak_share_of_machine_memory",
        "Peak memory / the machine's memory",
        1,
        "×",
        True,
        _peak_share_of_memory,
        scales=("stress",),
    ),
)


def derive(result: dict) -> dict:
    """Fill ``ratios``, ``airflow_added``, ``peak_memory_mb`` and ``targets`` from the parts (in place)."""
    result["ratios"] = ratios(result)
    result["airflow_added"] = airflow_added(result)
    result["peak_memory_mb"] = peak_memory_mb(result)
    result["targets"] = [target.evaluate(result) for target in TARGETS]
    return result
