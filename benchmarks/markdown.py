"""``BENCHMARKS.md`` written from the result files (``benchmarks/results/<scale>.json``).

A targets table over the scales, then per scale: the machine, the stages, end to end, the floors and ratios,
the pandas alternative, the incremental run, the engines, the serving latencies and the orchestration. The
section ``## What limits it`` is hand-written: when the file exists, that section is kept as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import SCHEMA_VERSION
from benchmarks.results import derive
from benchmarks.stages import STAGES

SHOWN_SCALES = ("demo", "national", "stress")
SCALE_ORDER = ("tiny", "demo", "national", "stress")
LIMITS_HEADING = "## What limits it"
LIMITS_PLACEHOLDER = """<!-- hand-written: this section is kept when the file is regenerated -->

- TODO: what bounds the end-to-end time at `national` (which stage, which resource: CPU, I/O, memory).
- TODO: why the dbt stage in Airflow costs more than a plain `dbt build` (Cosmos, task start-up).
- TODO: the submission reader against its floor and the pandas alternative.
- TODO: what the incremental run still does in full.
- TODO: what `stress` shows beyond memory.
"""
STAGE_NAMES = {
    "generate": "generate (set-up, not in the sums)",
    "extract": "extract and land",
    "normalise": "normalise",
    "load": "load (build warehouse)",
    "dbt_build": "dbt build",
    "quality_gate": "quality gate",
    "publish": "publish",
    "report": "weekly report",
}


def _number(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def fig(figures: dict | None, digits: int = 1, unit: str = "") -> str:
    """``12.3 (11.9–12.8, 3 runs)``, or ``12.3 (1 run)``; with ``unit`` after the median (``12.3 s (1 run)``)."""
    if not figures:
        return "—"
    if figures["runs"] == 1:
        return f"{_number(figures['median'], digits)}{unit} (1 run)"
    return (
        f"{_number(figures['median'], digits)}{unit} "
        f"({_number(figures['min'], digits)}–{_number(figures['max'], digits)}, {figures['runs']} runs)"
    )


def times(value: float | None, digits: int = 2) -> str:
    """``**1.23×**``, or ``not measured``."""
    return "not measured" if value is None else f"**{_number(value, digits)}×**"


def _mark(met: bool | None) -> str:
    return {True: "✅", False: "❌", None: ""}[met]


def load_results(results_dir: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """(results of this harness by scale, earlier harness's results by scale)."""
    current, earlier = {}, {}
    for path in sorted(results_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        scale = data.get("scale", {}).get("name", path.stem)
        if data.get("schema_version") == SCHEMA_VERSION:
            current[scale] = derive(data)  # the targets as they are now, whenever the figures were measured
        else:
            earlier[scale] = data
    return current, earlier


def kept_limits_section(existing: Path) -> str:
    """The hand-written ``## What limits it`` section of an existing file, else the placeholder."""
    if existing.exists():
        lines = existing.read_text(encoding="utf-8").splitlines()
        if LIMITS_HEADING in lines:
            start = lines.index(LIMITS_HEADING) + 1
            end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
            body = "\n".join(lines[start:end]).strip("\n")
            if body.strip():
                return body + "\n"
    return LIMITS_PLACEHOLDER


def _machine(result: dict) -> str:
    machine = result["machine"]
    versions = machine["versions"]
    parts = ", ".join(f"{name} {version}" for name, version in versions.items() if version)
    dirty = " with uncommitted changes" if machine.get("uncommitted_changes") else ""
    return (
        f"Measured {machine['measured_at']} on {machine['cpus']} CPUs ({machine.get('cpu_model') or 'unknown'}), "
        f"{machine['memory_gb']} GB, Python {machine['python']}; {parts}; commit `{machine['commit']}`{dirty}. "
        f"Logical date {result['logical_date']}."
    )


def _stages(result: dict) -> list[str]:
    stages = result.get("stages")
    if not stages:
        return []
    lines = [
        "### Stages, each alone in a fresh process",
        "",
        "| stage | seconds | peak RSS (MB) | rows | rows/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for stage in ("generate", *STAGES):
        figures = stages.get(stage)
        if not figures:
            continue
        rows = figures.get("rows")
        per_second = figures.get("rows_per_second", {}).get("median") if "rows_per_second" in figures else None
        lines.append(
            f"| {STAGE_NAMES[stage]} | {fig(figures['seconds'], 2)} | {_number(figures['peak_rss_mb']['max'], 0)} "
            f"| {_number(rows, 0) if rows is not None else '—'} | {_number(per_second, 0)} |"
        )
    lines.append(f"| **extract → report** (sum of medians) | {_number(stages['extract_to_report_seconds'], 2)} | | | |")
    lines.append(f"| transform: normalise → publish | {_number(stages['transform_seconds'], 2)} | | | |")
    extract = stages.get("extract", {}).get("output", {}).get("per_source")
    if extract:
        lines += ["", "Extract and land by source (last run): " + ", ".join(
            f"{name} {values['seconds']:.2f} s ({values['received']:,} rows)" for name, values in extract.items()
        ) + "."]  # fmt: skip
    notes = []
    nodes = stages.get("dbt_build", {}).get("output", {}).get("nodes")
    if nodes:
        notes.append("dbt build: " + ", ".join(f"{count} {kind.replace(':', ' ')}" for kind, count in nodes.items()))
    gate = stages.get("quality_gate", {}).get("output")
    if gate:
        notes.append(f"quality gate: {gate['expectations']} expectations ({gate['warnings']} warnings)")
    if notes:
        lines += ["", "; ".join(notes) + "."]
    return [*lines, ""]


def _end_to_end(result: dict) -> list[str]:
    e2e = result.get("end_to_end")
    if not e2e:
        return []
    output = e2e["output"]
    lines = [
        "### End to end with the real DAGs",
        "",
        (
            "`park.runs.run_platform` (every extract DAG, then `transform_publish`, by `dag.test()`), then the "
            "weekly report, on a folder holding only the generated sources."
        ),
        "",
        "| | seconds | peak RSS (MB) |",
        "|---|---:|---:|",
        f"| **end to end** | {fig(e2e['seconds'], 1)} | {_number(e2e['peak_rss_mb']['max'], 0)} |",
        f"| of which `prepare_airflow` (metadata, dbt parse) | {_number(output['prepare_airflow_seconds'], 1)} | |",
    ]
    for dag_id, dag in e2e["airflow"]["dags"].items():
        lines.append(
            f"| DAG `{dag_id}` ({dag['tasks']} tasks), first start to last end | {dag['span_seconds']:.1f} | |"
        )
    lines.append(f"| weekly report | {_number(output['report_seconds'], 1)} | |")
    added = result.get("airflow_added")
    if added:
        lines += [
            "",
            (
                f"**Airflow adds {added['seconds']:.1f} s** ({added['share_of_end_to_end']:.0%} of end to end) around the "
                f"stages measured alone ({added['stages_alone_seconds']:.1f} s): metadata and dbt parse "
                f"{added['prepare_airflow_seconds']:.1f} s, inside the tasks beyond the same work alone "
                f"{added['inside_tasks_seconds']:.1f} s, between tasks {added['between_tasks_seconds']:.1f} s."
            ),
            "",
            "| stage | alone (s) | in Airflow (s) |",
            "|---|---:|---:|",
        ]
        for stage, values in added["per_stage"].items():
            lines.append(
                f"| {STAGE_NAMES[stage]} | {_number(values['alone'], 2)} | {_number(values['in_airflow'], 2)} |"
            )
    return [*lines, ""]


def _floors(result: dict) -> list[str]:
    floors = result.get("floors")
    if not floors:
        return []
    read, scan = floors["input_read"], floors["duckdb_scan"]
    ratios = result["ratios"]
    by_kind = ", ".join(f"{kind} {size / 1e6:,.1f} MB" for kind, size in read["output"]["bytes_by_kind"].items())
    lines = [
        "### Floors and ratios",
        "",
        "| floor | size | seconds | throughput |",
        "|---|---|---:|---:|",
        (
            f"| reading every input file once, warm cache | {read['output']['files']:,} files, "
            f"{read['bytes'] / 1e6:,.1f} MB ({by_kind}) | {fig(read['seconds'], 3)} | "
            f"{_number(read['mb_per_second']['median'], 0)} MB/s |"
        ),
        (
            f"| DuckDB reading every landed Parquet column once | {scan['output']['files']} files, "
            f"{scan['rows']:,} rows, {scan['output']['columns']:,} columns | {fig(scan['seconds'], 3)} | "
            f"{_number(scan['rows_per_second']['median'], 0)} rows/s |"
        ),
        "",
        f"- end to end / reading every input once: {times(ratios['end_to_end_over_input_read'], 1)}",
        (
            "- transform (normalise → publish, stages alone) / (plain dbt build + DuckDB scan): "
            f"{times(ratios['transform_over_dbt_plus_scan'])}"
        ),
        (
            f"- dbt stage in Airflow / plain dbt build: {times(ratios['dbt_in_airflow_over_plain_dbt'])}; "
            f"quality gate / plain dbt build: {times(ratios['quality_gate_over_dbt'])}"
        ),
    ]
    return [*lines, ""]


def _pandas(result: dict) -> list[str]:
    pandas = result.get("pandas_alternative")
    if not pandas:
        return []
    lines = [
        "### The usual alternative: pandas, cleaned row by row",
        "",
        (
            "The same submission files, same run: the platform's reader (`park_submissions.land_files`, Polars) against "
            "benchmark-only pandas code (`benchmarks/pandas_alternative.py`: `iterrows`, per-cell cleaning, the credit "
            "code checked in Python)."
        ),
        "",
        "| reader | seconds | rows | rows/s | peak RSS (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, label in (("polars_reader", "platform (Polars)"), ("pandas_reader", "pandas, row by row")):
        figures = pandas[key]
        lines.append(
            f"| {label} | {fig(figures['seconds'], 2)} | {figures['rows']:,} | "
            f"{_number(figures['rows_per_second']['median'], 0)} | {_number(figures['peak_rss_mb']['max'], 0)} |"
        )
    same = pandas["same_rows"]
    lines += [
        "",
        (
            f"Polars / pandas: **{_number(pandas['ratio'], 2)}×**. Both received, landed and quarantined the same number "
            f"of rows: {'yes' if all(same.values()) else 'NO ' + str(same)}."
        ),
    ]
    return [*lines, ""]


def _incremental(result: dict) -> list[str]:
    incremental = result.get("incremental")
    if not incremental:
        return []
    daily, full = incremental["daily_run"], incremental["full_rebuild"]
    comparison = incremental["comparison"]
    lines = [
        "### Daily incremental run",
        "",
        (
            f"After the full build for the logical date, one more day of CRM changes ({incremental['next_day']}) landed "
            "and rebuilt incrementally (serving copied, dbt's incremental models), then the same day rebuilt with "
            "`PARK_FULL_REFRESH=1`."
        ),
        "",
        "| | incremental | full refresh |",
        "|---|---:|---:|",
        f"| land the day's CRM changes ({daily['output']['rows_received']:,} rows) | {fig(daily['land'], 2)} | |",
    ]
    for step in ("normalise", "load", "dbt_build", "quality_gate", "publish"):
        lines.append(f"| {STAGE_NAMES[step]} | {fig(daily[step], 2)} | {fig(full[step], 2)} |")
    lines.append(f"| **total** | {fig(daily['seconds'], 2)} | {fig(full['seconds'], 2)} |")
    share = incremental.get("share_of_full_build")
    lines += [
        "",
        f"Daily run / full build (extract and land + transform, stages alone, {_number(incremental.get('full_build_seconds'), 1)} s): "
        f"**{_number(share * 100 if share is not None else None, 1)}%**; incremental transform / full-refresh "
        f"transform: {_number(incremental['transform_share_of_full_rebuild'] * 100, 1)}%. "
        f"Published tables identical: **{'yes' if comparison['identical'] else 'NO'}** "
        f"({comparison['tables_compared']} tables and views, {comparison['rows_compared']:,} rows, floating-point "
        f"values to {comparison.get('significant_digits', 9)} significant digits; not compared: "
        + ", ".join(f"`{name}` ({why})" for name, why in comparison["not_compared"].items())
        + ").",
    ]  # fmt: skip
    if comparison.get("equal_within_relative_tolerance"):
        names = ", ".join(f"`{name}`" for name in comparison["equal_within_relative_tolerance"])
        tolerance = comparison["relative_tolerance"]
        note = (
            f"Equal only within a relative tolerance of {tolerance:g} (rows sorted on every column and compared one "
            f"by one; their digests differ where a value lies on a rounding boundary): {names}."
        )
        lines += ["", note]
    if comparison["different"]:
        lines += ["", "| differs | rows (incremental / full) | columns that differ |", "|---|---:|---|"]
        for name, entry in comparison["different"].items():
            lines.append(
                f"| `{name}` | {entry['rows_incremental']} / {entry['rows_full']} | "
                + ", ".join(f"`{column}`" for column in entry["columns"])
                + " |"
            )
    return [*lines, ""]


def _engines(result: dict) -> list[str]:
    engines = result.get("engines")
    if not engines:
        return []
    duckdb_build, postgres = engines["duckdb"]["dbt_build"], engines["postgres"]
    server = postgres["server"].split(" on ")[0]
    lines = [
        "### Engines: the dbt build on DuckDB and PostgreSQL",
        "",
        "| engine | dbt build seconds | peak RSS (MB) |",
        "|---|---:|---:|",
        f"| DuckDB | {fig(duckdb_build['seconds'], 1)} | {_number(duckdb_build['peak_rss_mb']['max'], 0)} |",
        (
            f"| {server} (local, 127.0.0.1) | {fig(postgres['dbt_build']['seconds'], 1)} | "
            f"{_number(postgres['dbt_build']['peak_rss_mb']['max'], 0)} (dbt only) |"
        ),
        "",
        (
            f"PostgreSQL / DuckDB: **{_number(engines['postgres_over_duckdb'], 2)}×**; copying the loaded raw tables to "
            f"PostgreSQL before its build: {fig(postgres['copy_raw']['seconds'], 1, ' s')}."
        ),
    ]
    return [*lines, ""]


def _serving_roles(serving: dict) -> dict[str, dict]:
    """The chart latencies by role; a result measured before the harness had roles and a cache (as the admin,
    every call with ``force=true``) as the admin's cold figures."""
    if "roles" in serving:
        return serving["roles"]
    return {"Admin": {"charts": serving["charts"], "refused": 0, "cold_ms": serving["overall_ms"], "warm_ms": None,
                      "warm_not_cached": None}}  # fmt: skip


def _ms(figures: dict | None, key: str) -> str:
    return _number(figures[key], 0) if figures else "—"


def _serving(result: dict) -> list[str]:
    serving = result.get("serving")
    if not serving or not serving.get("overall_ms"):
        return []
    cold, warm = serving["overall_ms"], serving.get("warm_overall_ms")
    roles = _serving_roles(serving)
    charts = {(chart["dashboard"], chart["chart"]) for role in roles.values() for chart in role["charts"]}
    warm_text = (
        f"; warm p50 {_ms(warm, 'p50')} ms, p95 {_ms(warm, 'p95')} ms, max {_ms(warm, 'max')} ms" if warm else ""
    )
    lines = [
        "### Serving: every dashboard chart through Superset's chart-data API"
        + (", each dashboard in Chromium" if serving.get("rendered") else ""),
        "",
        (
            f"{len(charts)} charts on {serving['dashboards']} dashboards, for {', '.join(roles)}: "
            f"{serving['calls_per_chart']} calls per chart after one warm-up with the cache bypassed (`force=true`: "
            "cold, the query runs on DuckDB)"
            + (" and as many answered from Superset's data cache (warm)" if warm else "")
            + f", one at a time. Over every role: **cold p50 {_ms(cold, 'p50')} ms, p95 {_ms(cold, 'p95')} ms, max "
            f"{_ms(cold, 'max')} ms{warm_text}**; failures: {len(serving['failures'])}. Superset (gunicorn, 1 worker "
            f"× 8 threads) resident: {_number(serving['superset']['superset_rss_mb'], 0)} MB."
        ),
        "",
        "| role | charts | refused | cold p50 (ms) | cold p95 (ms) | warm p50 (ms) | warm p95 (ms) | warm calls not cached |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, role in roles.items():
        lines.append(
            f"| {name} | {len(role['charts'])} | {role['refused']} | {_ms(role['cold_ms'], 'p50')} | "
            f"{_ms(role['cold_ms'], 'p95')} | {_ms(role['warm_ms'], 'p50')} | {_ms(role['warm_ms'], 'p95')} | "
            f"{_number(role['warm_not_cached'], 0)} |"
        )
    if serving.get("rendered"):
        lines += [
            "",
            (
                f"Each dashboard fully rendered in headless Chromium as the {serving['superset']['render_role']} "
                f"(median of {serving['renders_per_dashboard']} visits; cold: right after a publish of the same "
                "warehouse, so no chart is in the cache; warm: opened again), in seconds from the navigation's "
                "start, with when the page's load event fired, the first chart-data request left and the last "
                "answer came (warm visits):"
            ),
            "",
            (
                "| dashboard | charts | with an error | cold (s) | warm (s) | load event (s) | first chart request (s) "
                "| last chart answer (s) |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for dashboard in serving["rendered"]:
            cold_visit, warm_visit = dashboard["cold"], dashboard["warm"]
            lines.append(
                f"| {dashboard['dashboard']} | {dashboard['charts']} | {_number(warm_visit and warm_visit['chart_errors'], 0)} "
                f"| {_number(cold_visit and cold_visit['seconds'], 2)} | "
                f"{_number(warm_visit and warm_visit['seconds'], 2)} | "
                f"{_number(warm_visit and warm_visit.get('load_event_seconds'), 2)} | "
                f"{_number(warm_visit and warm_visit.get('first_data_request_seconds'), 2)} | "
                f"{_number(warm_visit and warm_visit.get('last_data_response_seconds'), 2)} |"
            )
    name, shown = next(iter(roles.items()))
    lines += [
        "",
        f"By chart, as the {name}, slowest cold first:",
        "",
        "| dashboard | chart | cold p50 (ms) | cold p95 (ms) | cold max (ms) | warm p50 (ms) | warm p95 (ms) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for chart in sorted(shown["charts"], key=lambda chart: -(chart.get("p95") or 0)):
        lines.append(
            f"| {chart['dashboard']} | {chart['chart']} | {_number(chart.get('p50'), 0)} | "
            f"{_number(chart.get('p95'), 0)} | {_number(chart.get('max'), 0)} | {_ms(chart.get('warm'), 'p50')} | "
            f"{_ms(chart.get('warm'), 'p95')} |"
        )
    return [*lines, ""]


def _orchestration(result: dict) -> list[str]:
    orchestration = result.get("orchestration")
    if not orchestration:
        return []
    lines = [
        "### Orchestration",
        "",
        (
            "Each DAG file's parse time from Airflow's DAG report (`airflow dags report -o json`, one process: the first "
            "file pays for the imports the others share)."
        ),
        "",
        "| DAG file | DAGs | tasks | parse seconds |",
        "|---|---:|---:|---:|",
    ]
    for name, entry in orchestration["dag_files"].items():
        lines.append(f"| `dags/{name}` | {entry['dags']} | {entry['tasks']} | {fig(entry['seconds'], 3)} |")
    lines += [
        "",
        (
            f"`airflow dags report` wall time: {fig(orchestration['dag_report']['seconds'], 1, ' s')}; "
            f"`prepare_airflow` on a fresh Airflow home (metadata migrated, dbt parse): "
            f"{fig(orchestration['prepare_airflow']['seconds'], 1, ' s')}."
        ),
    ]
    return [*lines, ""]


def _scale_section(result: dict) -> list[str]:
    scale = result["scale"]
    lines = [
        f"## {scale['name']}",
        "",
        (
            f"{scale['parks']:,} parks, {scale['enterprises']:,} enterprises, {scale['investment_projects']:,} investment "
            f"projects, {scale['match_events']:,} match events. {_machine(result)}"
        ),
        "",
    ]
    if result.get("errors"):
        lines += ["**Parts that failed:** " + "; ".join(f"{part}: {error.splitlines()[0]}" for part, error in
                                                        result["errors"].items()), ""]  # fmt: skip
    for section in (_stages, _end_to_end, _floors, _pandas, _incremental, _engines, _serving, _orchestration):
        lines += section(result)
    return lines


def _targets(results: dict[str, dict], scales: list[str]) -> list[str]:
    lines = [
        "## Targets",
        "",
        (
            "Set for the scale the second column names on a 2-core, 24 GB machine; the other scales' values are "
            "shown as an indication. ✅ met, ❌ not met, — not measured."
        ),
        "",
        "| target | set for | " + " | ".join(scales) + " |",
        "|---|---|" + "---:|" * len(scales),
    ]
    reference = next(iter(results.values()))["targets"] if results else []
    for index, target in enumerate(reference):
        cells = []
        for scale in scales:
            evaluated = results[scale]["targets"][index] if scale in results else None
            if not evaluated or evaluated["value"] is None:
                cells.append("—")
            else:
                value = evaluated["value"]
                digits = 0 if abs(value) >= 100 else 2
                shown = f"{_number(value, digits)}{evaluated['unit']}"
                cells.append(f"{shown} {_mark(evaluated['met'])}".strip())
        lines.append(
            f"| {target['description']} {target['target']} | {', '.join(target['set_for'])} | "
            + " | ".join(cells)
            + " |"
        )
    return [*lines, ""]


def _earlier(earlier: dict[str, dict]) -> list[str]:
    if not earlier:
        return []
    lines = [
        "## Earlier figures (previous harness: generators and first landings only)",
        "",
        "| scale | step | seconds | rows | rows/s | peak RSS (MB) | commit |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for scale in sorted(earlier, key=lambda name: SCALE_ORDER.index(name) if name in SCALE_ORDER else 9):
        data = earlier[scale]
        for step in data.get("steps", []):
            lines.append(
                f"| {scale} | {step['step']} | {step['seconds']:.1f} | {step['rows']:,} | "
                f"{step['rows_per_second']:,.0f} | {step['peak_rss_mb']:,.0f} | `{data['machine']['commit']}` |"
            )
    return [*lines, ""]


HOW_TO_RUN = """## How to run

```bash
make bench SCALE=demo                      # one scale; SCALE="demo national" for several
make bench SCALE=national BENCH_ARGS="--only stages,end_to_end,floors"
.venv/bin/python -m benchmarks --help      # parts, repetitions, scratch folder, result folder
.venv/bin/python -m benchmarks --markdown-only   # this file again from benchmarks/results/*.json
```

Parts: `stages` (generation, then each stage alone), `end_to_end` (the real DAGs), `floors`, `pandas`,
`incremental`, `engines` (DuckDB and PostgreSQL), `serving` (Superset), `orchestration`. Each measured step runs in
a fresh process on a scratch data folder; a step shorter than a minute is repeated three times, a longer one runs
once, and each figure is the median with min–max and the number of runs. Peak RSS is the largest resident memory of
the step's process tree (dbt and Airflow children included). A part run again replaces its figures in the scale's
result file; the others are kept. Measure on a quiet machine: another heavy process changes every figure.
"""


def render(results_dir: Path, existing: Path | None = None) -> str:
    current, earlier = load_results(results_dir)
    scales = [scale for scale in SCALE_ORDER if scale in current or scale in SHOWN_SCALES]
    lines = [
        "# Benchmarks",
        "",
        (
            "<!-- generated by benchmarks/markdown.py from benchmarks/results/*.json (python -m benchmarks); only the "
            "section 'What limits it' is hand-written -->"
        ),
        "",
        (
            "How long a national refresh and a daily incremental run take, how much memory they need, how fast the "
            "dashboards answer: measured by `make bench` (the package `benchmarks/`), never by a timed test. Scales as "
            "in DESIGN.md section 7."
        ),
        "",
        *_targets(current, scales),
        HOW_TO_RUN,
    ]
    for scale in scales:
        if scale in current:
            lines += _scale_section(current[scale])
        else:
            lines += [f"## {scale}", "", f"Not measured yet with this harness: `make bench SCALE={scale}`.", ""]
    lines += [LIMITS_HEADING, "", kept_limits_section(existing) if existing else LIMITS_PLACEHOLDER]
    lines += _earlier(earlier)
    return "\n".join(lines).rstrip("\n") + "\n"


def write(results_dir: Path, target: Path) -> Path:
    target.write_text(render(results_dir, existing=target), encoding="utf-8")
    return target
