"""PARK_PROFILE: the embedded demo keeps its defaults; production starts nothing until every component is on
PostgreSQL and every secret comes from the environment, none of them a shipped default."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from parkplatform.config import REPO_ROOT, get_settings, production_problems

SUPERSET_PYTHON = REPO_ROOT / "infra" / "superset" / ".venv" / "bin" / "python"


def _production_environment() -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        "PARK_PROFILE": "production",
        "PARK_WAREHOUSE_ENGINE": "postgres",
        "PARK_PG_READER_PASSWORD": secrets.token_urlsafe(24),
        "PARK_AIRFLOW_DATABASE_URL": "postgresql+psycopg2://airflow@127.0.0.1:5432/airflow",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        "SUPERSET_DATABASE_URI": "postgresql://superset@127.0.0.1:5432/superset",
        "SUPERSET_SECRET_KEY": secrets.token_urlsafe(48),
        "SUPERSET_ADMIN_PASSWORD": secrets.token_urlsafe(16),
    }


def test_production_with_postgres_everywhere_and_its_own_secrets_may_start(monkeypatch):
    environment = _production_environment()
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    assert production_problems(get_settings(), environment) == []


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("SUPERSET_SECRET_KEY", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "SUPERSET_SECRET_KEY is a shipped default"),
        ("SUPERSET_SECRET_KEY", "", "SUPERSET_SECRET_KEY is not set"),
        ("SUPERSET_ADMIN_PASSWORD", "admin", "SUPERSET_ADMIN_PASSWORD is a shipped default"),
        ("AIRFLOW__API_AUTH__JWT_SECRET", "short", "AIRFLOW__API_AUTH__JWT_SECRET is a shipped default or shorter"),
        ("PARK_PG_READER_PASSWORD", "", "PARK_PG_READER_PASSWORD is not set"),
        ("PARK_WAREHOUSE_ENGINE", "duckdb", "PARK_WAREHOUSE_ENGINE must be postgres"),
        ("PARK_AIRFLOW_DATABASE_URL", "", "PARK_AIRFLOW_DATABASE_URL must name a PostgreSQL database"),
        ("SUPERSET_DATABASE_URI", "sqlite:///superset.db", "SUPERSET_DATABASE_URI must name a PostgreSQL database"),
        ("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "True", "makes every visitor an admin"),
    ],
)
def test_production_names_each_default_missing_secret_or_embedded_component(monkeypatch, variable, value, reason):
    environment = _production_environment() | {variable: value}
    for name, setting in environment.items():
        monkeypatch.setenv(name, setting)
    (problem,) = production_problems(get_settings(), environment)
    assert problem.startswith(reason) or reason in problem, problem


def test_make_up_in_production_refuses_to_start_anything_and_says_why(tmp_path):
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith(("PARK_", "SUPERSET_", "AIRFLOW"))
    }
    environment |= {"PARK_PROFILE": "production", "PARK_DATA_DIR": str(tmp_path / "data")}
    completed = subprocess.run(
        [sys.executable, "-m", "park.services", "up"], cwd=REPO_ROOT, env=environment, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode != 0
    message = completed.stderr
    assert message.startswith("PARK_PROFILE=production: nothing started, because"), message
    for variable in ("PARK_WAREHOUSE_ENGINE", "PARK_AIRFLOW_DATABASE_URL", "SUPERSET_DATABASE_URI",
                     "SUPERSET_SECRET_KEY", "SUPERSET_ADMIN_PASSWORD", "AIRFLOW__API_AUTH__JWT_SECRET",
                     "AIRFLOW__CORE__FERNET_KEY", "PARK_PG_READER_PASSWORD"):  # fmt: skip
        assert variable in message, variable
    assert "See .env.example." in message
    assert not list((tmp_path / "data").glob("run/*.pid"))  # no service was started


def test_every_variable_production_needs_is_in_the_env_example():
    example = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    for variable in _production_environment():
        assert f"\n{variable}=" in example, variable


@pytest.mark.parametrize(
    ("unset", "message"),
    [
        ("SUPERSET_SECRET_KEY", "SUPERSET_SECRET_KEY must come from the environment"),
        ("SUPERSET_DATABASE_URI", "SUPERSET_DATABASE_URI must name a PostgreSQL database"),
    ],
)
def test_superset_itself_refuses_production_without_its_secret_or_on_sqlite(tmp_path, unset, message):
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PARK_", "SUPERSET_"))}
    environment |= _production_environment() | {
        "PARK_DATA_DIR": str(tmp_path),
        "PYTHONPATH": str(REPO_ROOT / "infra" / "superset"),
    }
    environment.pop(unset)
    completed = subprocess.run(
        [str(SUPERSET_PYTHON), "-c", "import superset_config"], env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode != 0 and message in completed.stderr, completed.stderr[-2000:]
    assert not (tmp_path / "superset" / "secret_key").exists()  # no key generated behind the operator's back


def test_the_demo_has_one_user_per_role_and_production_none(tiny_warehouse, tmp_path, monkeypatch):
    """`make up` in the demo creates (and prints) an Analyst, a Leadership and a Park user of the park with the
    most enterprises, their passwords generated once and kept for the owner only; production creates none."""
    import shutil
    import stat

    import duckdb

    from park import services

    data = tmp_path / "data"
    monkeypatch.setenv("PARK_DATA_DIR", str(data))
    before_publish = services.demo_users(get_settings())
    assert [(user.username, user.role) for user in before_publish] == [("analyst", "Analyst"), ("leader", "Leadership")]

    (data / "warehouse").mkdir(parents=True)
    shutil.copyfile(tiny_warehouse, data / "warehouse" / "serving.duckdb")
    users = services.demo_users(get_settings())
    assert [(user.username, user.role) for user in users] == [
        ("analyst", "Analyst"), ("leader", "Leadership"), ("park", "Park")
    ]  # fmt: skip
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        busiest = con.execute(
            "select park_id from dim_enterprise group by park_id order by count(*) desc, park_id limit 1"
        ).fetchone()[0]
    assert users[2].park == busiest and users[2].spec.endswith(f":Park:{busiest}")
    assert [user.password for user in users[:2]] == [user.password for user in before_publish]  # kept
    assert len({user.password for user in users}) == 3 and all(len(user.password) >= 16 for user in users)
    stored = data / "superset" / "demo-users.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600

    monkeypatch.setenv("PARK_PROFILE", "production")
    assert services.demo_users(get_settings()) == []
