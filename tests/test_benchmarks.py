"""The benchmark harness (benchmarks/) at the tiny scale: it runs, writes a well-formed result and BENCHMARKS.md.

A reduced set of parts (stages, floors, the pandas alternative, orchestration), one run each, into a temporary
results folder. Nothing here asserts a duration: figures are only checked to be there and positive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parkplatform.config import REPO_ROOT

PARTS = ("stages", "floors", "pandas", "orchestration")
STAGES = ("generate", "extract", "normalise", "load", "dbt_build", "quality_gate", "publish", "report")
DAG_FILES = {"extract_sources.py", "transform_publish.py", "weekly_report.py"}


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory, reference_dir: Path) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("bench")
    command = [
        sys.executable, "-m", "benchmarks", "--scale", "tiny", "--only", ",".join(PARTS), "--runs", "1",
        "--results-dir", str(out / "results"), "--markdown", str(out / "BENCHMARKS.md"),
        "--scratch", str(out / "scratch"),
    ]  # fmt: skip
    env = {**os.environ, "PARK_REFERENCE_DIR": str(reference_dir)}
    completed = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert completed.returncode == 0, completed.stdout[-5000:] + completed.stderr[-5000:]
    return json.loads((out / "results" / "tiny.json").read_text(encoding="utf-8")), out


def _is_figure(value: dict, *, positive: bool = True) -> bool:
    keys_ok = set(value) == {"median", "min", "max", "runs"} and value["runs"] == 1
    ordered = value["min"] <= value["median"] <= value["max"]
    return keys_ok and ordered and (value["min"] > 0 if positive else value["min"] >= 0)


def test_the_result_names_the_scale_machine_versions_and_commit(bench):
    result, _ = bench
    assert result["schema_version"] == 2
    assert result["scale"]["name"] == "tiny" and result["logical_date"] == "2026-11-23"
    machine = result["machine"]
    assert machine["cpus"] > 0 and machine["memory_gb"] > 0 and machine["python"] and machine["commit"]
    for package in ("duckdb", "polars", "dbt-core", "dbt-duckdb", "apache-airflow", "great-expectations"):
        assert machine["versions"][package], package
    assert machine["measured_at"].endswith("+00:00")
    assert result["errors"] == {}
    assert set(PARTS) - {"pandas"} | {"pandas_alternative"} <= set(result)


def test_every_stage_has_seconds_and_peak_memory(bench):
    result, _ = bench
    stages = result["stages"]
    for stage in STAGES:
        assert _is_figure(stages[stage]["seconds"]), stage
        assert _is_figure(stages[stage]["peak_rss_mb"]), stage
        assert len(stages[stage]["runs"]) == 1 and stages[stage]["runs"][0]["log"].endswith(".log")
    for stage in ("generate", "extract", "normalise", "load"):
        assert stages[stage]["rows"] > 0 and _is_figure(stages[stage]["rows_per_second"]), stage
    assert set(stages["extract"]["output"]["per_source"]) >= {"park_submissions", "crm_projects", "world_bank"}
    assert stages["extract_to_report_seconds"] > stages["transform_seconds"] > 0
    assert any(kind.startswith("model:") for kind in stages["dbt_build"]["output"]["nodes"])
    assert stages["quality_gate"]["output"]["expectations"] > 0


def test_floors_pandas_alternative_and_orchestration(bench):
    result, _ = bench
    floors = result["floors"]
    assert floors["input_read"]["bytes"] > 0 and _is_figure(floors["input_read"]["seconds"])
    assert floors["duckdb_scan"]["rows"] > 0 and floors["duckdb_scan"]["output"]["columns"] > 0
    pandas = result["pandas_alternative"]
    assert pandas["same_rows"] == {"received": True, "landed": True, "quarantined": True}
    assert pandas["polars_reader"]["rows"] == pandas["pandas_reader"]["rows"] > 0
    assert _is_figure(pandas["pandas_reader"]["rows_per_second"]) and pandas["ratio"] > 0
    orchestration = result["orchestration"]
    assert set(orchestration["dag_files"]) == DAG_FILES
    for entry in orchestration["dag_files"].values():
        assert _is_figure(entry["seconds"]) and entry["dags"] >= 1 and entry["tasks"] >= 1
    assert _is_figure(orchestration["prepare_airflow"]["seconds"])


def test_ratios_and_targets_are_computed_from_what_was_measured(bench):
    result, _ = bench
    ratios = result["ratios"]
    for key in ("transform_over_dbt_plus_scan", "quality_gate_over_dbt", "polars_over_pandas"):
        assert ratios[key] > 0, key
    # not measured at this reduced set: null, not zero
    for key in ("end_to_end_over_input_read", "dbt_in_airflow_over_plain_dbt", "incremental_share_of_full_build"):
        assert ratios[key] is None, key
    assert result["airflow_added"] is None and result["peak_memory_mb"] > 0
    targets = {target["key"]: target for target in result["targets"]}
    assert len(targets) == 13
    for key in ("quality_gate_over_dbt", "extract_rows_per_second", "polars_over_pandas", "peak_memory_gb"):
        assert targets[key]["value"] > 0 and isinstance(targets[key]["met"], bool), key
    assert targets["slowest_dag_parse_seconds"]["met"] in (True, False)
    assert targets["end_to_end_minutes"]["value"] is None and targets["end_to_end_minutes"]["met"] is None


def test_benchmarks_md_is_written_from_the_results_and_keeps_the_hand_written_section(bench):
    from benchmarks.markdown import LIMITS_HEADING, write

    _, out = bench
    markdown = out / "BENCHMARKS.md"
    text = markdown.read_text(encoding="utf-8")
    for heading in (
        "## Targets",
        "## How to run",
        "## tiny",
        "### Stages",
        "### Floors and ratios",
        "### Orchestration",
    ):
        assert heading in text, heading
    assert "Not measured yet with this harness: `make bench SCALE=national`" in text
    assert f"{LIMITS_HEADING}\n" in text and "TODO" in text
    mine = text.split(LIMITS_HEADING)[0] + f"{LIMITS_HEADING}\n\nThe dbt build is bound by one core.\n"
    markdown.write_text(mine, encoding="utf-8")
    again = write(out / "results", markdown).read_text(encoding="utf-8")
    assert "The dbt build is bound by one core." in again and "TODO" not in again
    assert "## tiny" in again


def test_the_pandas_reader_checks_credit_codes_as_the_platform_does():
    import polars as pl

    from benchmarks.pandas_alternative import credit_code_ok
    from extractors.park_submissions import credit_code

    codes = ["91350100M000100Y43", "91350100M000100Y44", "9135010", "91350100M000100YI3", "11100000000013127E"]
    expected = pl.select(credit_code.is_valid(pl.Series(codes))).to_series().to_list()
    assert [credit_code_ok(code) for code in codes] == expected


def test_the_incremental_comparison_tells_a_last_bit_difference_from_a_real_one(tmp_path):
    """Two builds whose sums of doubles differ in the last bit, on a rounding boundary of 9 digits: the digests
    differ, the row-by-row comparison within the relative tolerance finds them equal; a real change is not."""
    import duckdb

    from benchmarks.incremental import compare

    boundary = 1234567895.0  # printf %.9g rounds it one way or the other for a difference in its last bit
    paths = {}
    for name, value in (("incremental", boundary), ("full", float.fromhex(boundary.hex()) * (1 - 2**-52))):
        paths[name] = tmp_path / f"{name}.duckdb"
        with duckdb.connect(str(paths[name])) as con:
            con.execute("create table mart (park text, paid double)")
            con.execute("insert into mart values ('G1', ?), ('G2', 2.5)", [value])
    result = compare("2026-11-23", str(paths["incremental"]), str(paths["full"]))
    assert result["identical"] and list(result["equal_within_relative_tolerance"]) == ["main.mart"]

    with duckdb.connect(str(paths["full"])) as con:
        con.execute("update mart set paid = 2.6 where park = 'G2'")
    result = compare("2026-11-23", str(paths["incremental"]), str(paths["full"]))
    assert not result["identical"] and list(result["different"]) == ["main.mart"]


def test_the_end_to_end_part_starts_from_the_generated_sources_and_the_inbox_as_sent(tmp_path, reference_dir):
    """The end-to-end run is timed from the data folder as the simulators left it: what earlier parts produced
    is gone, the generated sources stay, and the inbox is back as sent (its files, and no landing in its
    ledger). It once removed the inbox, so a national run found no member list and no office file."""
    from datetime import date

    from benchmarks.harness import Workspace
    from benchmarks.stages import _generated, as_generated

    ws = Workspace(root=tmp_path, scale="tiny", logical_date=date(2026, 11, 23), reference_dir=reference_dir)
    sent = {
        "sources/crm/export_date=2026-11-23/investment_projects-00000.csv": "project_id\n",
        "inbox/park_submissions/2026-11/G121002/list.csv": "企业名称\n",
        "inbox/alliance_members/2026-11-23/members.csv": "member_id\n",
        "inbox/receipts.jsonl": '{"receipt_id": "r1"}\n',
    }
    for name, text in sent.items():
        (ws.data_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (ws.data_dir / name).write_text(text, encoding="utf-8")
    _generated(ws)
    # what the stages and an earlier end-to-end run leave behind
    (ws.data_dir / "landing" / "park_submissions").mkdir(parents=True)
    (ws.data_dir / "warehouse").mkdir()
    (ws.data_dir / "warehouse" / "serving.duckdb").write_bytes(b"x")
    with (ws.data_dir / "inbox" / "receipts.jsonl").open("a", encoding="utf-8") as ledger:
        ledger.write('{"landing": "park_submissions-20261123"}\n')
    (ws.data_dir / "inbox" / "alliance_members" / "2026-11-23" / "members.csv").unlink()

    as_generated(ws)
    left = {
        str(path.relative_to(ws.data_dir)): path.read_text(encoding="utf-8")
        for path in ws.data_dir.rglob("*")
        if path.is_file()
    }
    assert left == sent
    assert "generated" in ws.states
