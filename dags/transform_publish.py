"""Transform and publish: normalise -> load BUILD -> dbt build (Cosmos) -> quality gate -> publish.

Scheduled on the landing Assets of every source. Wiring only: the work lives in
parkplatform.pipeline, dbt_project/ and expectations/.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Asset, get_current_context, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import InvocationMode, LoadMode, TestBehavior, TestIndirectSelection
from cosmos.operators.local import DbtTestLocalOperator

from parkplatform.alerts import on_dag_failure, on_task_failure
from parkplatform.config import get_settings
from parkplatform.dbt import DBT_PROJECT_DIR, MANIFEST, PROFILE_NAME, PROFILES_YML, dbt_executable
from parkplatform.sources import SOURCES

# PARK_DBT_SELECT narrows the dbt nodes (and tests) a run builds; the others continue from serving
DBT_SELECT = list(get_settings().dbt_select)

# the dbt target is the warehouse engine (profiles.yml has one output per engine)
DBT_PROFILE = ProfileConfig(
    profile_name=PROFILE_NAME, target_name=get_settings().warehouse_engine, profiles_yml_filepath=PROFILES_YML
)


def _as_of():
    """The logical date of the run, or None for an Asset-triggered run (then: newest batches)."""
    logical_date = get_current_context().get("logical_date")
    return logical_date.date() if logical_date else None


with DAG(
    dag_id="transform_publish",
    schedule=[Asset(spec.asset_name) for spec in SOURCES],
    start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    # one build at a time: two writers on one DuckDB file fail with a lock error
    max_active_runs=1,
    default_args={"owner": "data-engineering", "retries": 0, "on_failure_callback": on_task_failure},
    # a failed run names its failed task and, at the gate, each failed expectation (parkplatform.alerts)
    on_failure_callback=on_dag_failure,
    tags=["transform", "dbt", "quality", "publish"],
    doc_md="""### Transform and publish

1. **normalise**: Polars types the batches of each source up to the logical date (the newest one, or
   all of them for an incremental source).
2. **load_build**: `data/warehouse/build.duckdb` (a copy of serving for the same or a later date, so
   incremental models continue; else empty) with a fresh schema `raw`.
3. **dbt**: staging → intermediate → marts, each node built with its own tests (`dbt build` per node,
   through Cosmos); **dbt_tests** then runs every test once all nodes exist (relationships and other
   tests spanning several nodes).
4. **quality_gate**: the Great Expectations checkpoint over the build; a failed critical expectation
   fails the run and names each failure with its observed value.
5. **publish**: atomic rename of the build over `data/warehouse/serving.duckdb`.

A failure anywhere before publish leaves serving exactly as it was. A failed run's callback logs
and records (`data/alerts/transform_publish/<run id>.txt`) which task failed and, at the gate, which
suite and expectations failed with observed versus expected values.
""",
) as dag:

    @task
    def normalise() -> dict[str, str]:
        from parkplatform import pipeline

        return pipeline.normalise(_as_of())

    @task
    def load_build(normalised: dict[str, str]) -> dict[str, int]:
        from parkplatform import pipeline

        return pipeline.load_build(_as_of(), normalised)

    dbt_build = DbtTaskGroup(
        group_id="dbt",
        project_config=ProjectConfig(dbt_project_path=DBT_PROJECT_DIR, manifest_path=MANIFEST, install_dbt_deps=False),
        profile_config=DBT_PROFILE,
        # subprocess: in-process dbt would keep the DuckDB file open inside the Airflow worker
        execution_config=ExecutionConfig(
            dbt_executable_path=dbt_executable(),
            invocation_mode=InvocationMode.SUBPROCESS,
            # a node's task builds it and runs its own tests, so a broken model stops the run at once;
            # tests spanning two nodes (relationships, ...) run in dbt_tests once every node is built
            test_indirect_selection=TestIndirectSelection.CAUTIOUS,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            test_behavior=TestBehavior.BUILD,
            emit_datasets=False,
            select=DBT_SELECT,
        ),
    )

    # every test of the project once more, after all nodes: those spanning several nodes run only here
    # (one task instead of one per test keeps the run short; the single-node tests are cheap to repeat)
    dbt_tests = DbtTestLocalOperator(
        task_id="dbt_tests",
        project_dir=str(DBT_PROJECT_DIR),
        profile_config=DBT_PROFILE,
        dbt_executable_path=str(dbt_executable()),
        invocation_mode=InvocationMode.SUBPROCESS,
        install_deps=False,
        emit_datasets=False,
        select=" ".join(DBT_SELECT) or None,
    )

    @task
    def quality_gate() -> dict:
        from parkplatform import pipeline

        return pipeline.quality_gate(get_current_context()["run_id"])

    @task
    def publish() -> str:
        from parkplatform import pipeline

        return pipeline.publish()

    load_build(normalise()) >> dbt_build >> dbt_tests >> quality_gate() >> publish()
