"""Every DAG file imports through Airflow's DagBag, without touching a database or importing the
heavy libraries its tasks use."""

import subprocess
import sys
from pathlib import Path

from parkplatform.config import get_settings
from parkplatform.sources import sources

HEAVY_MODULES = ("polars", "pandas", "numpy", "pyarrow", "duckdb", "great_expectations", "dbt")


def test_every_dag_file_imports_without_errors(airflow_ready):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(get_settings().dags_dir))
    assert bag.import_errors == {}
    expected = {spec.dag_id for spec in sources()} | {"transform_publish", "weekly_report"}
    assert set(bag.dag_ids) == expected
    for dag_id in expected:
        dag = bag.get_dag(dag_id)
        assert dag.doc_md, f"{dag_id} has no documentation for the UI"
        assert dag.max_active_runs == 1


def test_transform_dag_runs_dbt_between_load_and_the_quality_gate(airflow_ready):
    """load -> ONE dbt build (Cosmos watcher mode) -> a task per model and per model's tests, each after
    the build -> quality gate -> publish."""
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(get_settings().dags_dir)).get_dag("transform_publish")
    assert dag.get_task("publish").upstream_task_ids == {"quality_gate"}
    gate_upstream = dag.get_task("quality_gate").upstream_task_ids
    assert gate_upstream and all(task_id.startswith("dbt.") for task_id in gate_upstream)
    build = dag.get_task("dbt.dbt_producer_watcher")
    assert build.upstream_task_ids == {"load_build"}
    node_tasks = [task for task in dag.tasks if task.task_id.startswith("dbt.") and "producer" not in task.task_id]
    assert {"dbt.dim_park.run", "dbt.dim_park.test", "dbt.mart_weekly_indicators.run"} <= {
        t.task_id for t in node_tasks
    }
    # every model's task follows the build: directly (the roots of the graph) or through its upstream models
    for task in node_tasks:
        assert build.task_id in task.get_flat_relative_ids(upstream=True), task.task_id
    assert not any("relationships" in task_id for task_id in dag.task_ids)


def test_the_transform_runs_when_any_source_lands(airflow_ready):
    """An Asset condition with |: a daily landing does not wait for the monthly ones (a list means all)."""
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import Asset, AssetAll, AssetAny

    dag = DagBag(dag_folder=str(get_settings().dags_dir)).get_dag("transform_publish")
    condition = dag.timetable.asset_condition
    assert isinstance(condition, AssetAny) and not isinstance(condition, AssetAll)
    assert sorted(asset.name for asset in condition.objects) == sorted(spec.asset_name for spec in sources())
    # the hash computed once (parkplatform.schedules) is Airflow's own, and the condition equals Airflow's
    plain = AssetAny(*(Asset(spec.asset_name) for spec in sources()))
    assert hash(condition) == hash(plain) and condition == plain and plain == condition
    assert condition != AssetAny(*plain.objects[:-1])


def test_dag_files_import_no_heavy_library_and_need_no_database(airflow_ready, tmp_path):
    """Parse the DAG files in a fresh interpreter whose metadata database cannot exist."""
    script = f"""
import importlib.util, sys
for path in sorted(__import__('pathlib').Path({str(get_settings().dags_dir)!r}).glob('*.py')):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
loaded = [m for m in {HEAVY_MODULES!r} if m in sys.modules]
print('HEAVY:' + ','.join(loaded))
"""
    env = {
        **__import__("os").environ,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{tmp_path / 'missing' / 'never.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False, cwd=Path(__file__).parent
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "HEAVY:\n" in result.stdout, result.stdout
    assert not (tmp_path / "missing").exists()
