# The platform's image (Airflow's components, dbt, the pipeline): Python 3.11 and exactly the packages of
# the repository's uv.lock, as `make setup` installs them. Built from the repository root:
#   docker build -f infra/deploy/platform.Dockerfile -t park-platform .
FROM python:3.11-slim-bookworm
COPY --from=ghcr.io/astral-sh/uv:0.13.8 /uv /usr/local/bin/uv
ENV UV_PROJECT_ENVIRONMENT=/opt/park/.venv UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy PATH=/opt/park/.venv/bin:$PATH
WORKDIR /opt/park/app
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY . .
RUN uv sync --locked --no-dev && useradd --system --no-create-home --shell /usr/sbin/nologin park-svc
USER park-svc
