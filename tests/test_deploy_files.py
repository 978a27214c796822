"""What an operator deploys (infra/deploy/: the compose file, the images, the Helm charts' values) names the same
environment variables as the code, and the images install exactly the locked Python dependencies."""

from __future__ import annotations

import re
import tomllib

import pytest
import yaml

from parkplatform.config import (
    ENV_PREFIX,
    PRODUCTION_DATABASES,
    PRODUCTION_SECRETS,
    REPO_ROOT,
    Settings,
    _variable,
)

DEPLOY = REPO_ROOT / "infra" / "deploy"
DEPLOY_FILES = sorted(path for path in DEPLOY.rglob("*") if path.is_file())
VARIABLE = re.compile(r"\b((?:PARK|AIRFLOW_|SUPERSET)_[A-Z0-9_]+)\b")
# variables read outside parkplatform/config.py, by Superset's configuration and bootstrap (infra/superset/)
SUPERSET_VARIABLES = {
    "SUPERSET_HOME", "SUPERSET_CONFIG_PATH", "SUPERSET_DATABASE_URI", "SUPERSET_WAREHOUSE_URI", "SUPERSET_SECRET_KEY",
    "SUPERSET_ADMIN_USER", "SUPERSET_ADMIN_PASSWORD", "SUPERSET_REDIS_URL", "SUPERSET_PORT",
}  # fmt: skip


def _env_example() -> dict[str, str]:
    lines = (REPO_ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_deployment_files_exist_and_parse():
    names = {path.name for path in DEPLOY_FILES}
    assert {"compose.production.yaml", "platform.Dockerfile", "superset.Dockerfile", "airflow-values.yaml",
            "superset-values.yaml", "park-env.secret.yaml"} <= names  # fmt: skip
    for path in DEPLOY_FILES:
        if path.suffix == ".yaml":
            assert yaml.safe_load(path.read_text(encoding="utf-8")), path


def test_every_variable_they_name_is_one_the_code_reads():
    """No typo survives: each PARK_* is a setting of parkplatform/config.py, each AIRFLOW__SECTION__KEY an
    option of Airflow's configuration, each SUPERSET_* one that infra/superset reads."""
    import inspect

    import cosmos.settings
    from airflow.configuration import conf

    described = {
        (section, key) for section, entry in conf.configuration_description.items() for key in entry["options"]
    }
    # Cosmos reads its options with fallbacks rather than describing them
    cosmos_options = re.findall(r'conf\.get\w*\(\s*"cosmos",\s*"(\w+)"', inspect.getsource(cosmos.settings))
    described |= {("cosmos", key) for key in cosmos_options}
    settings = {_variable((name,)) for name in Settings.model_fields}
    superset_code = "".join(
        path.read_text(encoding="utf-8") for path in (REPO_ROOT / "infra" / "superset").glob("*.py")
    )
    for path in DEPLOY_FILES:
        for variable in set(VARIABLE.findall(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(REPO_ROOT)}: {variable}"
            if variable.startswith(ENV_PREFIX):
                assert variable in settings, where
            elif variable.startswith("AIRFLOW__"):
                section, key = variable.removeprefix("AIRFLOW__").lower().split("__", 1)
                assert (section, key) in described, where
            elif variable.startswith("SUPERSET_"):
                assert variable in SUPERSET_VARIABLES and variable in superset_code, where
            else:
                assert variable == "AIRFLOW_HOME", where


def test_the_secrets_and_databases_of_production_are_named_alike_everywhere():
    required = set(PRODUCTION_SECRETS) | set(PRODUCTION_DATABASES)
    example = _env_example()
    secret = yaml.safe_load((DEPLOY / "helm" / "park-env.secret.yaml").read_text(encoding="utf-8"))["stringData"]
    assert required <= set(example)
    assert set(secret) == set(example)  # the Kubernetes Secret is .env.example, key for key
    assert all(not example[name] for name in PRODUCTION_SECRETS)  # no value ships: each must be chosen
    compose = yaml.safe_load((DEPLOY / "compose.production.yaml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        if name != "postgres":  # every platform and Superset container reads the operator's .env
            assert service.get("env_file") == "../../.env", name
            assert service["environment"]["PARK_PROFILE"] == "production", name
    airflow = yaml.safe_load((DEPLOY / "helm" / "airflow-values.yaml").read_text(encoding="utf-8"))
    assert "name: park-env" in airflow["extraEnvFrom"]
    superset = yaml.safe_load((DEPLOY / "helm" / "superset-values.yaml").read_text(encoding="utf-8"))
    assert superset["envFromSecret"] == "park-env" and superset["extraEnv"]["PARK_PROFILE"] == "production"


@pytest.mark.parametrize(
    ("dockerfile", "project"),
    [("platform.Dockerfile", REPO_ROOT), ("superset.Dockerfile", REPO_ROOT / "infra" / "superset")],
)
def test_each_image_installs_its_locked_dependencies_on_the_python_the_project_requires(dockerfile, project):
    text = (DEPLOY / dockerfile).read_text(encoding="utf-8")
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    lock = (project / "uv.lock").relative_to(REPO_ROOT)
    assert pyproject["project"]["requires-python"] == ">=3.11,<3.12"
    assert re.search(r"^FROM python:3\.11[-.]", text, re.MULTILINE)
    assert str(lock) in text or (f"COPY {lock.parent}/pyproject.toml {lock}" in text), lock
    installs = re.findall(r"uv sync ([^\n&]*)", text)
    assert installs and all("--locked" in flags for flags in installs)
    uv_version = re.search(r"^UV_VERSION := (\S+)$", (REPO_ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert f"ghcr.io/astral-sh/uv:{uv_version[1]} " in text  # the uv that wrote the lock files


def test_the_airflow_chart_deploys_the_pinned_airflow_with_its_four_components():
    airflow = yaml.safe_load((DEPLOY / "helm" / "airflow-values.yaml").read_text(encoding="utf-8"))
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = next(dep for dep in pyproject["project"]["dependencies"] if dep.startswith("apache-airflow=="))
    assert airflow["airflowVersion"] == pinned.split("==")[1]
    assert airflow["executor"] == "LocalExecutor" and airflow["postgresql"]["enabled"] is False
    assert airflow["dagProcessor"]["enabled"] and airflow["triggerer"]["enabled"]
    assert airflow["createUserJob"]["defaultUser"]["enabled"] is False  # no default user outside the demo
    compose = yaml.safe_load((DEPLOY / "compose.production.yaml").read_text(encoding="utf-8"))
    commands = {name: service.get("command") for name, service in compose["services"].items()}
    for component in ("api-server", "scheduler", "dag-processor", "triggerer"):
        assert commands[f"airflow-{component}"][:2] == ["airflow", component]
