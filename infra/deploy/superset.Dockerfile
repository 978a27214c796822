# Superset's image: its own locked environment (DESIGN.md section 8), infra/superset/uv.lock, and the
# platform's Superset configuration, bootstrap and dashboards. Built from the repository root:
#   docker build -f infra/deploy/superset.Dockerfile -t park-superset .
FROM python:3.11-slim-bookworm
COPY --from=ghcr.io/astral-sh/uv:0.13.8 /uv /usr/local/bin/uv
ENV UV_PROJECT_ENVIRONMENT=/opt/superset/.venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy \
    PATH=/opt/superset/.venv/bin:$PATH PYTHONPATH=/opt/park/app/infra/superset \
    SUPERSET_CONFIG_PATH=/opt/park/app/infra/superset/superset_config.py FLASK_APP=superset
WORKDIR /opt/park/app/infra/superset
COPY infra/superset/pyproject.toml infra/superset/uv.lock ./
RUN uv sync --locked --no-install-project
COPY infra/superset ./
# the datasets' and columns' descriptions are read from the dbt YAML at import (assets_io.py)
COPY dbt_project/models /opt/park/app/dbt_project/models
RUN useradd --system --no-create-home --shell /usr/sbin/nologin park-svc
USER park-svc
