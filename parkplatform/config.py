"""The one place where the platform reads its configuration: pydantic-settings over the environment.

Every setting is an environment variable ``PARK_<NAME>`` (``AIRFLOW_HOME`` for the Airflow home) with a
default that works on a fresh clone; a blank variable counts as unset. :func:`get_settings` reads them
on each call, so tests and Airflow tasks see the environment of the moment, not the one at import
time, and turns a bad value into a :class:`ConfigurationError` naming the variable and what it expects.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scale:
    """A named size of generated data (DESIGN.md section 7)."""

    name: str
    parks: int
    enterprises: int
    investment_projects: int
    match_events: int


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale("tiny", 20, 500, 200, 1_000),
        Scale("demo", 2_543, 100_000, 20_000, 100_000),
        Scale("national", 2_543, 5_000_000, 1_000_000, 10_000_000),
        Scale("stress", 2_543, 50_000_000, 10_000_000, 100_000_000),
    )
}

# languages of the weekly report (Chinese is the default)
REPORT_LANGUAGES = ("zh", "en")

# duckdb: build.duckdb renamed over serving.duckdb; postgres: build schemas swapped for the serving ones
WAREHOUSE_ENGINES = ("duckdb", "postgres")

ENV_PREFIX = "PARK_"


class ConfigurationError(ValueError):
    """A configuration variable holds a value the platform cannot use."""


def _words(value: object, separator: str | None) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(separator) if part.strip())
    return tuple(value or ())


class Settings(BaseSettings):
    """Every setting of the platform; the README's configuration table lists them for a person."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True, extra="ignore")

    data_dir: Path = Field(REPO_ROOT / "data", description="root of everything produced at run time")
    reference_dir: Path | None = Field(
        None, description="the reference data: an offline mirror of the upstreams (real), or a generated folder"
    )
    # what the demo uses when PARK_REFERENCE_DIR is unset: the real files fetched from their public addresses
    # (park reference fetch, cached under the data folder), or generated ones without trying the network
    reference_source: Literal["upstream", "generated"] = Field(
        "upstream",
        description="without PARK_REFERENCE_DIR: upstream (fetch the real reference data into the data folder) "
        "or generated (write demonstration data, no network)",
    )
    reference_upstream_url: str | None = Field(
        None,
        description="a mirror of the reference upstreams: each file is read from <url>/<host>/<path> instead of "
        "its public address (tests, an organisation's mirror); WDI follows PARK_WDI_BASE_URL",
    )
    scale: Annotated[Scale, NoDecode] = Field(
        SCALES["demo"], description="size of generated data: tiny, demo, national, stress"
    )
    seed: int = 20180101
    bad_row_rate: float = Field(0.02, ge=0.0, lt=1.0, description="share of generated rows corrupted on purpose")
    airflow_home: Path | None = Field(None, validation_alias=AliasChoices("AIRFLOW_HOME"))
    inbox_dir: Path | None = Field(
        None, description="where park offices' files and member-list exports arrive (default <data_dir>/inbox)"
    )
    profile: Literal["demo", "production"] = Field(
        "demo",
        description="demo: everything embedded (SQLite metadata, DuckDB); production: PostgreSQL for Airflow's and "
        "Superset's metadata and the warehouse, secrets only from the environment (production_problems)",
    )
    airflow_database_url: str | None = Field(
        None, description="Airflow's metadata database (SQLAlchemy URL); default SQLite in the Airflow home"
    )
    # the DAG files change only with a deployment; parsing transform_publish (Cosmos draws 114 tasks from the
    # manifest) every 30 s, Airflow's default, keeps a tenth of a core of a 2-core machine busy
    dag_reparse_seconds: int = Field(
        120, ge=1, description="how often the DAG processor parses each DAG file again (Airflow's default: 30)"
    )
    # Under the scheduler most of the transform's tasks are Cosmos' watchers: each reads what the one dbt build
    # recorded and waits mostly on Airflow's own round trips, so four slots left a 2-core machine half idle
    # (the production test's transform: load 1.6)
    airflow_parallelism: int = Field(
        8, ge=1, description="task instances the scheduler runs at once (Airflow's [core] parallelism)"
    )
    read_workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        description="processes that read a batch of park offices' files (default: one per CPU; 1 reads in the task)",
    )
    # DuckDB takes 80% of the machine's memory by default and keeps what it took: the national dbt build
    # then held 19 GB of 24; with a limit it spills to disk (build.duckdb.tmp beside the build) instead
    duckdb_memory_limit: str = Field(
        "6GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="the most memory DuckDB takes in the dbt build before it spills to disk (DuckDB's memory_limit)",
    )
    # dbt writes every event of every node to its log file at `debug` by default (each test's SQL, each BEGIN):
    # a fifth of a small build's CPU went into formatting and writing them (py-spy of the tiny build)
    dbt_file_log_level: Literal["debug", "info", "warn", "error", "none"] = Field(
        "info", description="what dbt writes to its log file (dbt's --log-level-file); debug adds every statement"
    )
    warehouse_engine: Literal["duckdb", "postgres"] = "duckdb"
    wdi_base_url: str = "https://api.worldbank.org/v2"
    extract_retries: int = Field(2, ge=0)
    extract_retry_delay_seconds: float = Field(120.0, ge=0)
    http_attempts: int = Field(5, ge=1)
    crm_dsn: str | None = None
    crm_schema: str = "crm"
    full_refresh: bool = False
    # quality gate: a table may lose this share of its rows since the last published run before the
    # gate blocks (growth beyond it is a warning); a source's newest batch may be its schedule's
    # interval plus this many days older than the run's as_of before a freshness warning
    row_count_band: float = Field(0.3, ge=0.0, le=1.0)
    freshness_grace_days: int = Field(3, ge=0)
    # dbt node selection of the transform DAG (dbt --select syntax); empty = the whole project
    dbt_select: Annotated[tuple[str, ...], NoDecode] = ()
    report_lang: Annotated[tuple[Literal["zh", "en"], ...], NoDecode] = ("zh",)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "park-indicators@localhost"
    report_recipients: Annotated[tuple[str, ...], NoDecode] = ()
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    pg_password: str | None = None
    pg_database: str = "park"
    # the PostgreSQL role readers (Superset) log in as: SELECT on the serving marts, nothing else
    pg_reader_role: str = Field("park_reader", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    pg_reader_password: str | None = None

    @field_validator("scale", mode="before")
    @classmethod
    def _scale_by_name(cls, value: object) -> object:
        if isinstance(value, str):
            if value not in SCALES:
                raise ValueError(f"expected one of {', '.join(SCALES)}")
            return SCALES[value]
        return value

    @field_validator("dbt_select", mode="before")
    @classmethod
    def _selection(cls, value: object) -> tuple[str, ...]:
        return _words(value, None)

    @field_validator("report_recipients", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> tuple[str, ...]:
        return _words(value, ",")

    @field_validator("report_lang", mode="before")
    @classmethod
    def _languages(cls, value: object) -> tuple[str, ...]:
        languages = _words(value, ",")
        if not languages:
            raise ValueError(f"expected one or more of {', '.join(REPORT_LANGUAGES)}, comma-separated")
        return languages

    @field_validator("wdi_base_url", "reference_upstream_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("data_dir", "reference_dir", "airflow_home", "inbox_dir")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        return value.resolve() if value is not None else None

    @field_validator("reference_dir")
    @classmethod
    def _a_reference_folder(cls, value: Path | None) -> Path | None:
        if value is not None and not (value / "parks").is_dir():
            raise ValueError(
                "no parks/ folder there (point it at shared/data/reference, or at a folder written by "
                "python -m simulators.reference)"
            )
        return value

    @model_validator(mode="after")
    def _homes_under_the_data_folder(self) -> Settings:
        if self.airflow_home is None:
            object.__setattr__(self, "airflow_home", self.data_dir / "airflow")
        if self.inbox_dir is None:
            object.__setattr__(self, "inbox_dir", self.data_dir / "inbox")
        return self

    @property
    def report_languages(self) -> tuple[str, ...]:
        return self.report_lang

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def reference_cache_dir(self) -> Path:
        """What ``park reference fetch`` downloaded, as the upstreams sent it, with its manifest of digests."""
        return self.data_dir / "cache" / "reference"

    @property
    def upstream_reference_dir(self) -> Path:
        """The reference folder ``park reference fetch`` assembles from its cache (the readers' layout)."""
        return self.data_dir / "reference-upstream"

    @property
    def sources_dir(self) -> Path:
        """Where generated operational sources write the files a park office would send."""
        return self.data_dir / "sources"

    @property
    def normalised_dir(self) -> Path:
        return self.data_dir / "normalised"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def build_warehouse(self) -> Path:
        return self.warehouse_dir / "build.duckdb"

    @property
    def serving_warehouse(self) -> Path:
        return self.warehouse_dir / "serving.duckdb"

    @property
    def quality_dir(self) -> Path:
        return self.data_dir / "quality"

    @property
    def reports_dir(self) -> Path:
        """The weekly report's archive: one folder per ISO week (``2026-W47/report.zh.pdf``)."""
        return self.data_dir / "reports"

    @property
    def dags_dir(self) -> Path:
        return REPO_ROOT / "dags"

    @property
    def postgres_dsn(self) -> str:
        """The warehouse on PostgreSQL (PARK_WAREHOUSE_ENGINE=postgres), from the PARK_PG_* variables
        that dbt's profile reads too; the password only from the environment."""
        from psycopg2.extensions import make_dsn

        return make_dsn(
            host=self.pg_host,
            port=str(self.pg_port),
            user=self.pg_user,
            password=self.pg_password or None,
            dbname=self.pg_database,
        )

    @property
    def uses_real_registry(self) -> bool:
        return self.reference_dir is not None


def _variable(location: tuple) -> str:
    field = str(location[0]) if location else "?"
    return "AIRFLOW_HOME" if field == "airflow_home" else f"{ENV_PREFIX}{field.upper()}"


def get_settings() -> Settings:
    """The settings of this moment's environment; a bad value raises ConfigurationError naming it."""
    try:
        return Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{_variable(issue['loc'])}"
            + (f"={issue['input']!r}" if isinstance(issue.get("input"), str) else "")
            + f": {issue['msg'].removeprefix('Value error, ')}"
            for issue in error.errors()
        )
        raise ConfigurationError(problems) from None


def runtime_environment(settings: Settings) -> dict[str, str]:
    """Environment for Airflow and the dbt it starts: its metadata database (SQLite under the data folder
    unless PARK_AIRFLOW_DATABASE_URL names one), the repository's DAGs, no examples, Cosmos with its cache inside the Airflow home and
    telemetry off, the resolved data folder and DuckDB memory limit that dbt's profile reads, and dbt's log-file level."""
    home = settings.airflow_home
    return {
        "PARK_DATA_DIR": str(settings.data_dir),
        "PARK_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": settings.airflow_database_url or f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": str(settings.airflow_parallelism),
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": str(settings.dag_reparse_seconds),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DBT_LOG_LEVEL_FILE": settings.dbt_file_log_level,
    }


# The secrets of the production profile, each with its shortest acceptable length: only from the environment
# (production_problems; .env.example and the deployment files in infra/ name the same ones)
PRODUCTION_SECRETS = {
    "SUPERSET_SECRET_KEY": 32,
    "SUPERSET_ADMIN_PASSWORD": 12,
    "PARK_PG_READER_PASSWORD": 12,
    # the API server checks with it the tokens the scheduler's tasks carry: one value for all components
    "AIRFLOW__API_AUTH__JWT_SECRET": 32,
    "AIRFLOW__CORE__FERNET_KEY": 44,
}
# The databases of the production profile: PostgreSQL, never the embedded default
PRODUCTION_DATABASES = ("PARK_AIRFLOW_DATABASE_URL", "SUPERSET_DATABASE_URI")
# Values that ship with Superset, Airflow or this repository's examples: never a production secret.
SHIPPED_DEFAULTS = frozenset(
    {"admin", "CHANGE_ME", "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET", "thisISaSECRET_1234", "secret"}
)


def production_problems(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """Why the production profile may not start, one line per variable (empty when it may): every component
    on PostgreSQL, and every secret set in the environment, long enough and none of the shipped defaults."""
    problems: list[str] = []

    def on_postgres(variable: str, value: str | None) -> None:
        if not (value or "").startswith("postgresql"):
            problems.append(f"{variable} must name a PostgreSQL database (postgresql://...), not {value or 'unset'}")

    def secret(variable: str, minimum: int) -> None:
        value = (environ.get(variable) or "").strip()
        if not value:
            problems.append(f"{variable} is not set (secrets come only from the environment)")
        elif value in SHIPPED_DEFAULTS or len(value) < minimum:
            problems.append(f"{variable} is a shipped default or shorter than {minimum} characters")

    if settings.warehouse_engine != "postgres":
        problems.append("PARK_WAREHOUSE_ENGINE must be postgres (the schema-swap publish), not duckdb")
    for variable in PRODUCTION_DATABASES:
        on_postgres(variable, environ.get(variable))
    for variable, minimum in PRODUCTION_SECRETS.items():
        secret(variable, minimum)
    if (environ.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS") or "").lower() in {"1", "true"}:
        problems.append("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS makes every visitor an admin: unset it")
    return problems
