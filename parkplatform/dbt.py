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


if __name__ == "__main__":
    print(parse_project())
