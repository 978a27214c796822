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


def generate_docs() -> Path:
    """dbt docs (lineage, descriptions, tests and the catalog of the published warehouse) into
    ``dbt_project/target/docs``. The catalog is read from a copy of the serving warehouse, so the
    published file is never opened for writing."""
    import shutil
    import tempfile

    settings = get_settings()
    if not settings.serving_warehouse.exists():
        raise FileNotFoundError(f"no published warehouse at {settings.serving_warehouse}: run `make demo` first")
    with tempfile.TemporaryDirectory(prefix="park-docs-") as scratch:
        copy = Path(scratch) / "warehouse" / "build.duckdb"
        copy.parent.mkdir(parents=True)
        shutil.copyfile(settings.serving_warehouse, copy)
        env = {**os.environ, **runtime_environment(settings), "PARK_DATA_DIR": scratch}
        subprocess.run(
            [
                str(dbt_executable()),
                "docs",
                "generate",
                "--profiles-dir",
                str(DBT_PROJECT_DIR),
                "--target-path",
                str(DOCS_DIR),
            ],
            cwd=DBT_PROJECT_DIR,
            env=env,
            check=True,
        )
    return DOCS_DIR / "index.html"


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
