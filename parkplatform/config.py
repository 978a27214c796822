"""The one place where the platform reads its configuration.

Every path, the warehouse engine, the scale and the reference directory come from environment
variables with defaults that work on a fresh clone. Settings are read on each call so that tests and
Airflow tasks see the environment of the moment, not the one at import time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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


class ConfigurationError(ValueError):
    """A configuration variable holds a value the platform cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    reference_dir: Path | None
    scale: Scale
    seed: int
    bad_row_rate: float
    airflow_home: Path
    warehouse_engine: str
    wdi_base_url: str = "https://api.worldbank.org/v2"
    extract_retries: int = 2
    extract_retry_delay_seconds: float = 120.0
    http_attempts: int = 5
    crm_dsn: str | None = None
    crm_schema: str = "crm"
    crm_generate: bool = True
    full_refresh: bool = False
    # quality gate: a table may lose this share of its rows since the last published run before the
    # gate blocks (growth beyond it is a warning); a source's newest batch may be its schedule's
    # interval plus this many days older than the run's as_of before a freshness warning
    row_count_band: float = 0.3
    freshness_grace_days: int = 3
    # dbt node selection of the transform DAG (dbt --select syntax); empty = the whole project
    dbt_select: tuple[str, ...] = ()
    report_languages: tuple[str, ...] = ("zh",)
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_sender: str = "park-indicators@localhost"
    report_recipients: tuple[str, ...] = ()
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    # the PostgreSQL role readers (Superset) log in as: SELECT on the serving marts, nothing else
    pg_reader_role: str = "park_reader"
    pg_reader_password: str | None = None

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

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
            host=_env("PARK_PG_HOST", "127.0.0.1"),
            port=_env("PARK_PG_PORT", "5432"),
            user=_env("PARK_PG_USER", "postgres"),
            password=os.environ.get("PARK_PG_PASSWORD") or None,
            dbname=_env("PARK_PG_DATABASE", "park"),
        )

    @property
    def uses_real_registry(self) -> bool:
        return self.reference_dir is not None


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def get_settings() -> Settings:
    data_dir = Path(_env("PARK_DATA_DIR", str(REPO_ROOT / "data"))).resolve()

    scale_name = _env("PARK_SCALE", "demo")
    if scale_name not in SCALES:
        raise ConfigurationError(f"PARK_SCALE={scale_name!r}: expected one of {', '.join(SCALES)}")

    reference_raw = os.environ.get("PARK_REFERENCE_DIR", "").strip()
    reference_dir = Path(reference_raw).resolve() if reference_raw else None
    if reference_dir is not None and not (reference_dir / "parks").is_dir():
        raise ConfigurationError(
            f"PARK_REFERENCE_DIR={reference_raw!r}: no parks/ folder there "
            "(point it at shared/data/reference, or at a folder written by python -m simulators.reference)"
        )

    try:
        seed = int(_env("PARK_SEED", "20180101"))
        bad_row_rate = float(_env("PARK_BAD_ROW_RATE", "0.02"))
        extract_retries = int(_env("PARK_EXTRACT_RETRIES", "2"))
        extract_retry_delay = float(_env("PARK_EXTRACT_RETRY_DELAY_SECONDS", "120"))
        http_attempts = int(_env("PARK_HTTP_ATTEMPTS", "5"))
        row_count_band = float(_env("PARK_ROW_COUNT_BAND", "0.3"))
        freshness_grace_days = int(_env("PARK_FRESHNESS_GRACE_DAYS", "3"))
    except ValueError as exc:
        raise ConfigurationError(
            "PARK_SEED, PARK_BAD_ROW_RATE, PARK_EXTRACT_RETRIES, PARK_EXTRACT_RETRY_DELAY_SECONDS, "
            f"PARK_HTTP_ATTEMPTS, PARK_ROW_COUNT_BAND and PARK_FRESHNESS_GRACE_DAYS must be numbers: {exc}"
        ) from exc
    if not 0.0 <= row_count_band <= 1.0 or freshness_grace_days < 0:
        raise ConfigurationError(
            f"PARK_ROW_COUNT_BAND={row_count_band}: expected a share in [0, 1]; "
            f"PARK_FRESHNESS_GRACE_DAYS={freshness_grace_days}: expected >= 0"
        )
    if extract_retries < 0 or extract_retry_delay < 0 or http_attempts < 1:
        raise ConfigurationError(
            "PARK_EXTRACT_RETRIES and PARK_EXTRACT_RETRY_DELAY_SECONDS must be >= 0, PARK_HTTP_ATTEMPTS >= 1"
        )
    if not 0.0 <= bad_row_rate < 1.0:
        raise ConfigurationError(f"PARK_BAD_ROW_RATE={bad_row_rate}: expected a share in [0, 1)")

    engine = _env("PARK_WAREHOUSE_ENGINE", "duckdb")
    if engine not in WAREHOUSE_ENGINES:
        raise ConfigurationError(f"PARK_WAREHOUSE_ENGINE={engine!r}: expected one of {', '.join(WAREHOUSE_ENGINES)}")

    wdi_base_url = _env("PARK_WDI_BASE_URL", "https://api.worldbank.org/v2").rstrip("/")
    if not wdi_base_url.startswith(("http://", "https://")):
        raise ConfigurationError(f"PARK_WDI_BASE_URL={wdi_base_url!r}: expected an http:// or https:// URL")

    crm_generate_raw = _env("PARK_CRM_GENERATE", "1").lower()
    if crm_generate_raw not in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
        raise ConfigurationError(f"PARK_CRM_GENERATE={crm_generate_raw!r}: expected 1/0 (true/false)")

    report_languages = tuple(part.strip() for part in _env("PARK_REPORT_LANG", "zh").split(",") if part.strip())
    unknown = [language for language in report_languages if language not in REPORT_LANGUAGES]
    if unknown or not report_languages:
        raise ConfigurationError(
            f"PARK_REPORT_LANG={_env('PARK_REPORT_LANG', 'zh')!r}: expected one or more of "
            f"{', '.join(REPORT_LANGUAGES)}, comma-separated (first is the default)"
        )
    try:
        smtp_port = int(_env("PARK_SMTP_PORT", "25"))
    except ValueError as exc:
        raise ConfigurationError(f"PARK_SMTP_PORT must be a port number: {exc}") from exc

    return Settings(
        data_dir=data_dir,
        reference_dir=reference_dir,
        scale=SCALES[scale_name],
        seed=seed,
        bad_row_rate=bad_row_rate,
        airflow_home=Path(_env("AIRFLOW_HOME", str(data_dir / "airflow"))).resolve(),
        warehouse_engine=engine,
        wdi_base_url=wdi_base_url,
        extract_retries=extract_retries,
        extract_retry_delay_seconds=extract_retry_delay,
        http_attempts=http_attempts,
        crm_dsn=os.environ.get("PARK_CRM_DSN", "").strip() or None,
        crm_schema=_env("PARK_CRM_SCHEMA", "crm"),
        crm_generate=crm_generate_raw in {"1", "true", "yes", "on"},
        full_refresh=_env("PARK_FULL_REFRESH", "0").lower() in {"1", "true", "yes", "on"},
        dbt_select=tuple(_env("PARK_DBT_SELECT", "").split()),
        report_languages=report_languages,
        smtp_host=os.environ.get("PARK_SMTP_HOST", "").strip() or None,
        smtp_port=smtp_port,
        smtp_sender=_env("PARK_SMTP_SENDER", "park-indicators@localhost"),
        report_recipients=tuple(
            address.strip() for address in os.environ.get("PARK_REPORT_RECIPIENTS", "").split(",") if address.strip()
        ),
        smtp_user=os.environ.get("PARK_SMTP_USER", "").strip() or None,
        smtp_password=os.environ.get("PARK_SMTP_PASSWORD") or None,
        smtp_starttls=_env("PARK_SMTP_STARTTLS", "0").lower() in {"1", "true", "yes", "on"},
        pg_reader_role=_identifier("PARK_PG_READER_ROLE", "park_reader"),
        pg_reader_password=os.environ.get("PARK_PG_READER_PASSWORD") or None,
    )


def _identifier(name: str, default: str) -> str:
    value = _env(name, default)
    if not value.replace("_", "").isalnum() or not value.isascii() or value[0].isdigit():
        raise ConfigurationError(f"{name}={value!r}: expected a SQL identifier (letters, digits, underscores)")
    return value


def runtime_environment(settings: Settings) -> dict[str, str]:
    """Environment for an embedded Airflow and the dbt it starts: SQLite metadata under the data
    folder, the repository's DAGs, no examples, Cosmos with its cache inside the Airflow home and
    telemetry off, and the resolved data folder that dbt's profile reads."""
    home = settings.airflow_home
    return {
        "PARK_DATA_DIR": str(settings.data_dir),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(settings.dags_dir),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    }
