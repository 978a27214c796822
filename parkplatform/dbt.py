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


def manifest_path() -> Path:
    """Where dbt writes its manifest: ``target/manifest.json``, or under ``DBT_TARGET_PATH`` when set."""
    target = os.environ.get("DBT_TARGET_PATH")
    return DBT_PROJECT_DIR / target / "manifest.json" if target else MANIFEST


def profile_arguments(arguments: tuple[str, ...] | list[str] = ()) -> list[str]:
    """``--profile`` and ``--target`` as the transform DAG's Cosmos producer passes them (the target: the
    warehouse engine), unless ``arguments`` name a target. dbt hashes these flags into its partial-parse
    state: a parse without them makes the producer's ``dbt build`` parse the whole project again (about
    4 s of CPU per transform run)."""
    target = [] if "--target" in arguments else ["--target", get_settings().warehouse_engine]
    return ["--profile", PROFILE_NAME, *target]


def parse_project() -> Path:
    """Write ``target/manifest.json``, which Cosmos reads to render the dbt task group, and dbt's partial-parse
    state, which the transform's ``dbt build`` then starts from."""
    env = {**os.environ, **runtime_environment(get_settings())}
    subprocess.run(
        [str(dbt_executable()), "parse", "--profiles-dir", str(DBT_PROJECT_DIR), *profile_arguments(), "--quiet"],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
    )
    return manifest_path()


def read_manifest() -> dict:
    """The dbt manifest as ``dbt build`` (or ``dbt parse``) last wrote it; parsed first when missing."""
    import json

    path = manifest_path()
    if not path.exists():
        path = parse_project()
    return json.loads(path.read_text(encoding="utf-8"))


def build_project(*arguments: str) -> None:
    """``dbt build`` of the whole project (or what ``arguments`` select) on the configured warehouse,
    as the transform DAG's Cosmos tasks run it node by node; raises on any failed model or test."""
    env = {**os.environ, **runtime_environment(get_settings())}
    subprocess.run(
        [
            str(dbt_executable()),
            "build",
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            *profile_arguments(arguments),
            "--quiet",
            *arguments,
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        check=True,
    )


DOCS_DIR = DBT_PROJECT_DIR / "target" / "docs"


def generate_docs(warehouse: Path | None = None, target: Path = DOCS_DIR) -> Path:
    """dbt docs (lineage, descriptions, tests and the catalog of what is published) into ``target``;
    returns its ``index.html``. On DuckDB the catalog is read from a copy of ``warehouse`` (default: the
    serving file), so the file itself is never opened for writing; on PostgreSQL from the serving schemas
    (dbt only reads the catalog)."""
    import shutil
    import tempfile

    settings = get_settings()
    command = ["docs", "generate", "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
    if settings.warehouse_engine == "postgres" and warehouse is None:
        env = {**os.environ, **runtime_environment(settings)}
        command += ["--target", "postgres", "--vars", '{"park_serving_catalog": true}']
        subprocess.run([str(dbt_executable()), *command], cwd=DBT_PROJECT_DIR, env=env, check=True)
        return target / "index.html"
    warehouse = warehouse or settings.serving_warehouse
    if not warehouse.exists():
        raise FileNotFoundError(f"no warehouse at {warehouse}: run `make demo` first")
    with tempfile.TemporaryDirectory(prefix="park-docs-") as scratch:
        copy = Path(scratch) / "warehouse" / "build.duckdb"
        copy.parent.mkdir(parents=True)
        shutil.copyfile(warehouse, copy)
        env = {**os.environ, **runtime_environment(settings), "PARK_DATA_DIR": scratch}
        subprocess.run([str(dbt_executable()), *command], cwd=DBT_PROJECT_DIR, env=env, check=True)
    return target / "index.html"


DATA_DICTIONARY = REPO_ROOT / "docs" / "data-dictionary.md"
LAYERS = (("marts", "Published tables (schema main of the serving warehouse)"), ("intermediate", "Intermediate views"),
          ("staging", "Staging views (one per source table)"))  # fmt: skip


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _gate_checks(meta: dict) -> list[str]:
    """The quality gate's checks a model's or column's ``meta.gate`` declares beyond dbt's tests."""
    gate = (meta or {}).get("gate") or {}
    checks = ["gate: not_future"] if gate.get("not_future") else []
    checks += ["gate: may be empty"] if gate.get("may_be_empty") else []
    for rule in gate.get("rules", ()):
        keys = ("column", "low", "high", "value", "values", "mostly", "when")
        details = [f"{key}={rule[key]}" for key in keys if rule.get(key) is not None]
        details += ["warning"] if rule.get("severity") == "warning" else []
        checks.append(f"gate: {rule['kind']}" + (f" ({', '.join(details)})" if details else ""))
    return checks


def data_dictionary(manifest: dict) -> str:
    """The data dictionary as Markdown, from the dbt manifest alone: every model by layer with its
    description, materialisation and tags, and each column with its type (a published column's logical
    type), description and the tests on it, with the quality gate's own checks (``meta.gate``).
    Written to ``docs/data-dictionary.md``; a test keeps that file equal to what dbt declares."""
    tests: dict[tuple[str, str | None], list[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        name = (node.get("test_metadata") or {}).get("name") or node["name"]
        # a generic test belongs to the model it is declared on; a singular one to every model it reads
        for parent in [node["attached_node"]] if node.get("attached_node") else node["depends_on"]["nodes"]:
            tests.setdefault((parent, node.get("column_name")), []).append(name)
    lines = [
        "# Data dictionary",
        "",
        "Generated from the dbt project (`make docs`, or `.venv/bin/python -m parkplatform.dbt dictionary`);",
        "do not edit by hand: describe models and columns in their YAML next to the SQL. A published",
        "table's YAML is also its contract for the quality gate (column types, tests, `meta.gate`).",
        "",
    ]
    models = sorted(
        (node for node in manifest["nodes"].values() if node["resource_type"] == "model"), key=lambda n: n["name"]
    )
    # tables of schema main that dbt does not build (the quality gate's), declared as sources: published too
    published_sources = sorted(
        (node for node in manifest["sources"].values() if node["schema"] == "main"), key=lambda n: n["name"]
    )

    def columns(node: dict) -> list[str]:
        rows = ["| column | type | description | tests |", "|---|---|---|---|"]
        for column in node["columns"].values():
            column_tests = sorted(set(tests.get((node["unique_id"], column["name"]), [])))
            column_tests += _gate_checks(column.get("meta"))
            rows.append(
                f"| `{column['name']}` | {column.get('data_type') or ''} | {_one_line(column['description'])} "
                f"| {_one_line(', '.join(column_tests))} |"
            )
        return [*rows, ""]

    for layer, title in LAYERS:
        lines += [f"## {title}", ""]
        for node in (model for model in models if model["fqn"][1] == layer):
            config = node["config"]
            model_tests = sorted(set(tests.get((node["unique_id"], None), []))) + _gate_checks(node.get("meta"))
            lines += [
                f"### `{node['name']}`",
                "",
                _one_line(node["description"]),
                "",
                f"{config.get('materialized')}, `{node['original_file_path']}`"
                + (f"; tags: {', '.join(node['tags'])}" if node["tags"] else "")
                + (f"; tests on the table: {', '.join(model_tests)}" if model_tests else ""),
                "",
                *columns(node),
            ]
        for node in published_sources if layer == "marts" else []:
            lines += [
                f"### `{node['name']}`",
                "",
                _one_line(node["description"]),
                "",
                (
                    f"not built by dbt, declared as the dbt source `{node['source_name']}` "
                    f"(`{node['original_file_path']}`): {_one_line(node['source_description'])}"
                ),
                "",
                *columns(node),
            ]
    return "\n".join(lines)


def write_data_dictionary(target: Path = DATA_DICTIONARY) -> Path:
    import json

    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(data_dictionary(json.loads(parse_project().read_text(encoding="utf-8"))), encoding="utf-8")
    return target


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["dictionary"]:
        print(f"data dictionary: {write_data_dictionary()}")
    elif sys.argv[1:] == ["docs"]:
        print(f"data dictionary: {write_data_dictionary()}")
        index = generate_docs()
        print(
            f"dbt docs: open {index} in a browser, or serve them: "
            f"(cd {DBT_PROJECT_DIR} && ../.venv/bin/dbt docs serve --target-path {DOCS_DIR} --port 8081)"
        )
    else:
        print(parse_project())
