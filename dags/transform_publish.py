"""Transform and publish: normalise -> load BUILD -> dbt build (Cosmos) -> quality gate -> publish.

Scheduled on the landing Assets of every source. Wiring only: the work lives in
parkplatform.pipeline, dbt_project/ and expectations/.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, get_current_context, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

from parkplatform.alerts import on_dag_failure, on_task_failure
from parkplatform.config import get_settings
from parkplatform.dbt import (
    DBT_PROJECT_DIR,
    PROFILE_NAME,
    PROFILES_YML,
    dbt_executable,
    manifest_path,
    watchers_after_the_build,
)
from parkplatform.schedules import any_landing
from parkplatform.sources import sources

# PARK_DBT_SELECT narrows the dbt nodes (and tests) a run builds; the others continue from serving
DBT_SELECT = list(get_settings().dbt_select)

# the dbt target is the warehouse engine (profiles.yml has one output per engine, and one for sqlfluff)
DBT_PROFILE = ProfileConfig(
    profile_name=PROFILE_NAME, target_name=get_settings().warehouse_engine, profiles_yml_filepath=PROFILES_YML
)


def _as_of():
    """The logical date of the run, or None for an Asset-triggered run (then: newest batches)."""
    logical_date = get_current_context().get("logical_date")
    return logical_date.date() if logical_date else None


with DAG(
    dag_id="transform_publish",
    # any source's landing starts a run (a list of Assets would wait for all of them: the daily CRM for the
    # monthly NBS); the landings that arrive while a run builds are taken by the next run (max_active_runs=1)
    schedule=any_landing(spec.asset_name for spec in sources()),
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    # one build at a time: two writers on one DuckDB file fail with a lock error
    max_active_runs=1,
    default_args={"owner": "data-engineering", "retries": 0, "on_failure_callback": on_task_failure},
    # a failed run names its failed task and, at the gate, each failed expectation (parkplatform.alerts)
    on_failure_callback=on_dag_failure,
    tags=["transform", "dbt", "quality", "publish"],
    doc_md="""### Transform and publish

0. **serving_moves_forward**: a run for a date older than the one serving describes (a backfill or a
   re-run of a past date) ends here, logging why, and every later task is *skipped*: its build
   could never be published, and serving's weekly and monthly marts already hold that date's weeks and
   months. A run without a date (triggered by a source's Asset) always goes on.
1. **normalise**: Polars types the batches of each source up to the logical date (the newest one, or
   all of them for an incremental source).
2. **load_build**: `data/warehouse/build.duckdb` (a copy of serving for the same or a later date, so
   incremental models continue; else empty) with a fresh schema `raw`.
3. **dbt**: staging → intermediate → marts and every test, in ONE `dbt build` (the task
   `dbt_producer_watcher`, dbt's own threads), with a task per model that follows that model and its
   tests as dbt reports them (Cosmos' watcher mode): a failed model or test fails its own task.
4. **quality_gate**: the Great Expectations checkpoint over the build; a failed critical expectation
   fails the run and names each failure with its observed value.
5. **publish**: atomic rename of the build over `data/warehouse/serving.duckdb` (PostgreSQL: one schema
   swap), only when the build still describes the same date as serving or a later one, so serving never
   goes back in time.

A failure anywhere before publish leaves serving exactly as it was. A failed run's callback logs
and records (`data/alerts/transform_publish/<run id>.txt`) which task failed and, at the gate, which
suite and expectations failed with observed versus expected values.
""",
) as dag:

    @task.short_circuit  # False (a backfill of a past date): every later task is skipped at once
    def serving_moves_forward() -> bool:
        from parkplatform import pipeline

        return pipeline.serving_moves_forward(_as_of())

    @task
    def normalise() -> dict[str, str]:
        from parkplatform import pipeline

        return pipeline.normalise(_as_of())

    @task
    def load_build(normalised: dict[str, str]) -> dict[str, int]:
        from parkplatform import pipeline

        return pipeline.load_build(_as_of(), normalised)

    # Cosmos' watcher mode: ONE `dbt build` of the whole selection (the producer task, dbt's threads)
    # and a task per model (and one per model's tests) that turns green or red as dbt reported them, so
    # Airflow still shows (and fails at) each node without paying a dbt start-up per node
    dbt_build = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(
            dbt_project_path=DBT_PROJECT_DIR, manifest_path=manifest_path(), install_dbt_deps=False
        ),
        profile_config=DBT_PROFILE,
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.WATCHER,
            dbt_executable_path=dbt_executable(),
            # subprocess: in-process dbt would keep the DuckDB file open inside the Airflow worker
            invocation_mode=InvocationMode.SUBPROCESS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.AFTER_EACH,
            emit_datasets=False,
            select=DBT_SELECT,
        ),
    )

    @task
    def quality_gate() -> dict:
        from expectations.gate import quality_gate as validate_the_build

        return validate_the_build(get_current_context()["run_id"])

    @task
    def publish() -> str:
        from airflow.exceptions import AirflowSkipException

        from parkplatform import pipeline

        try:
            return pipeline.publish()
        except pipeline.ServingIsNewer as newer:  # serving moved on while this run built: the build stays
            raise AirflowSkipException(str(newer)) from None

    watchers_after_the_build(dbt_build)
    forward = serving_moves_forward()
    normalised = normalise()
    forward >> normalised
    load_build(normalised) >> dbt_build >> quality_gate() >> publish()
