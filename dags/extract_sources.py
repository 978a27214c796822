"""One Airflow DAG per source: extract, validate, land an immutable batch, emit the source's Asset.

Wiring only: the work lives in parkplatform.pipeline and the extractors.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Asset, task

from parkplatform.alerts import on_dag_failure, on_task_failure
from parkplatform.config import get_settings
from parkplatform.schedules import any_landing
from parkplatform.sources import SourceSpec, source_spec, sources

_settings = get_settings()
# A source that is down fails its own run after these retries; the other sources' DAGs go on.
DEFAULT_ARGS = {
    "owner": "data-engineering",
    "retries": _settings.extract_retries,
    "retry_delay": pendulum.duration(seconds=_settings.extract_retry_delay_seconds),
    "retry_exponential_backoff": True,
    # records the task's error for the DAG's failure message
    "on_failure_callback": on_task_failure,
}


def build_extract_dag(spec: SourceSpec) -> DAG:
    with DAG(
        dag_id=spec.dag_id,
        # a source that follows others (intake receipts) runs when one of them lands
        schedule=any_landing(source_spec(name).asset_name for name in spec.after) if spec.after else spec.schedule,
        start_date=pendulum.datetime(2024, 1, 1, tz="Asia/Shanghai"),
        catchup=False,
        max_active_runs=1,
        default_args=DEFAULT_ARGS,
        # a failed run logs and records which task failed and why (parkplatform.alerts)
        on_failure_callback=on_dag_failure,
        tags=["extract", spec.name],
        doc_md=f"""### Extract `{spec.name}`

{spec.description}

Lands one immutable batch per logical date under `data/landing/{spec.name}/batch_date=<date>/`
(landed rows, quarantined rows with `_reject_reason`, `batch.json` with received = landed +
quarantined). Re-running a logical date replaces its batch. Emits the Asset `{spec.asset_name}`,
which schedules `transform_publish`.
""",
    ) as dag:

        @task(task_id=f"land_{spec.name}", outlets=[Asset(spec.asset_name)])
        def land(source: str, logical_date=None) -> dict:
            from parkplatform.pipeline import extract

            return extract(source, logical_date.date())

        land(spec.name)
    return dag


for _spec in sources():
    globals()[_spec.dag_id] = build_extract_dag(_spec)
