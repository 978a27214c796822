"""Weekly indicator report: every Monday at 08:00 Asia/Shanghai, the ISO week just ended, rendered from
the serving warehouse's marts to HTML and PDF (Chinese, and English when configured) and e-mailed.

Wiring only: the work lives in the report package (report/run.py).
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from parkplatform.alerts import on_dag_failure, on_task_failure

TIMEZONE = "Asia/Shanghai"

with DAG(
    dag_id="weekly_report",
    # a run fires Monday 08:00 Shanghai time; its data interval is the week before it, so the interval
    # starts on the Monday of the ISO week just ended
    schedule=CronTriggerTimetable("0 8 * * 1", timezone=TIMEZONE, interval=timedelta(weeks=1)),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "data-engineering",
        "retries": 2,
        "retry_delay": pendulum.duration(minutes=15),
        "on_failure_callback": on_task_failure,
    },
    on_failure_callback=on_dag_failure,
    tags=["report", "weekly"],
    doc_md="""### Weekly indicator report

1. **render**: the ISO week of the run's data interval (Monday to Sunday, Asia/Shanghai; the week just
   ended for a scheduled run) from the serving warehouse's marts, in each language of
   `PARK_REPORT_LANG` (default `zh`), to `data/reports/<YYYY-Www>/report.<lang>.html` and `.pdf`.
   Re-running a run (or `python -m report --week 2026-W47`) renders the same numbers again.
2. **send**: e-mails each language's report (HTML body, PDF attached) through SMTP: the Airflow
   connection `park_smtp` when it exists, else `PARK_SMTP_HOST` / `PARK_SMTP_PORT`, to
   `PARK_REPORT_RECIPIENTS`; without either it logs that nothing was sent.

The run fails when the warehouse has no complete data for the week (the transform has not published it).
""",
) as dag:

    @task
    def render() -> list[dict]:
        from report.run import render_reports, week_of_data_interval

        start = get_current_context()["data_interval_start"]
        return render_reports(week_of_data_interval(start))

    @task
    def send(reports: list[dict]) -> dict:
        from report.run import send_rendered

        return send_rendered(reports)

    send(render())
