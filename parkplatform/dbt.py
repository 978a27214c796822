"""dbt project locations shared by the DAGs (Cosmos) and the set-up (manifest)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from parkplatform.config import REPO_ROOT, get_settings, runtime_environment

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
PROFILES_YML = DBT_PROJECT_DIR / "profiles.yml"
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PROFILE_NAME = "park_indicators"


def dbt_executable() -> Path:
    return Path(sys.executable).with_name("dbt")


def watchers_after_the_build(task_group) -> int:
    """Cosmos' watcher mode in a task group: start the per-model tasks once the ONE `dbt build` task has
    ended, each then reading its model's (and tests') outcome that the build recorded. Cosmos orders them
    so for a whole-DAG render only; in a task group they start beside the build and wait on it, which in
    a single-process run (``dag.test()``) can wait on a build that never gets its turn. Each model task
    whose upstream lies outside the group follows the build whatever its outcome (``all_done``: a failed
    model is reported by its own task); the others keep following their upstream models. Returns the
    number of tasks set to follow the build."""
    from cosmos.constants import PRODUCER_WATCHER_DONE_TASK_ID, PRODUCER_WATCHER_TASK_ID

    prefix = f"{task_group.group_id}."
    producer = task_group.children[prefix + PRODUCER_WATCHER_TASK_ID]
    internal = {producer.task_id, prefix + PRODUCER_WATCHER_DONE_TASK_ID}
    tasks = [task for task in task_group.dag.tasks if task.task_id.startswith(prefix) and task.task_id not in internal]
    in_group = {task.task_id for task in tasks}
    roots = [task for task in tasks if not (task.upstream_task_ids & in_group)]
    for task in roots:
        producer >> task
        task.trigger_rule = "all_done"
    return len(roots)


def parse_project() -> Path:
    """Write ``target/manifest.json``, which Cosmos reads to render the dbt task group."""
    env = {**os.environ, **runtime_environment(get_settings())}
    subprocess.run(
        [str(dbt_executable()), "parse", "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
    )
    return MANIFEST


def build_project(*arguments: str) -> None:
    """``dbt build`` of the whole project (or what ``arguments`` select) on the configured warehouse,
    as the transform DAG's Cosmos tasks run it node by node; raises on any failed model or test."""
    env = {**os.environ, **runtime_environment(get_settings())}
    subprocess.run(
        [str(dbt_executable()), "build", "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet", *arguments],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
    )


DOCS_DIR = DBT_PROJECT_DIR / "target" / "docs"


def generate_docs(warehouse: Path | None = None, target: Path = DOCS_DIR) -> Path:
    """dbt docs (lineage, descriptions, tests and the catalog of ``warehouse``, by default the
    published one) into ``target``; returns its ``index.html``. The catalog is read from a copy of
    the warehouse, so the file itself is never opened for writing."""
    import shutil
    import tempfile

    settings = get_settings()
    warehouse = warehouse or settings.serving_warehouse
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `make demo` first")
    with tempfile.TemporaryDirectory(prefix="park-docs-") as scratch:
        copy = Path(scratch) / "warehouse" / "build.duckdb"
        copy.parent.mkdir(parents=True)
        shutil.copyfile(warehouse, copy)
        env = {**os.environ, **runtime_environment(settings), "PARK_DATA_DIR": scratch}
        command = ["docs", "generate", "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
        subprocess.run([str(dbt_executable()), *command], cwd=DBT_PROJECT_DIR, env=env, check=True)
    return target / "index.html"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["docs"]:
        index = generate_docs()
        print(
            f"dbt docs: open {index} in a browser, or serve them: "
            f"(cd {DBT_PROJECT_DIR} && ../.venv/bin/dbt docs serve --target-path {DOCS_DIR} --port 8081)"
        )
    else:
        print(parse_project())
