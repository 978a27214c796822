"""The alliance CRM: investment projects, the matchmaking event log and the payment ledger (DESIGN.md
sections 3 and 4).

Three landed sources come from one operational system:

``crm_projects``
    ``<schema>.investment_projects``, one row per project in its current state (stage dates, paid-in
    to date, status); a row changes whenever the project moves, so it is landed again then.
``crm_match_events``
    ``<schema>.match_events``, the matchmaking log: one row per stage a match reaches
    (recommended → contacted → meeting → negotiation → signed → landed, or lost with a reason).
``crm_payments``
    ``<schema>.payments``, the ledger of paid-in funds (到位资金): one row per payment received on a
    project, with its payment date and amount in the contract's currency. A project's paid-in to date
    is the sum of its payments; the warehouse counts paid-in by payment date from here.

The CRM is read from PostgreSQL when ``PARK_CRM_DSN`` is set (``PARK_CRM_SCHEMA``, default ``crm``),
else from its file exports under ``<sources_dir>/crm/export_date=YYYY-MM-DD/`` (CSV part files for
projects and payments, JSON lines for events). All are read *incrementally*: a batch receives the rows with
``watermark < updated_at <= end of the logical date`` (Asia/Shanghai), where the watermark is the
newest ``updated_at`` received (landed or quarantined) by the source's batches of *earlier* logical
dates. The watermark is therefore a function of those batches' own content, written atomically with
them by :func:`parkplatform.landing.land_batch`: a rerun of a date receives the same rows and
replaces its batch, and other dates are never touched. The batch's ``batch.json`` records the window
(``details``: ``watermark_from``, ``watermark_to``, ``window_end_exclusive``), written in the same
swap as the rows.

Both modes land the same rows as text, timestamps as ISO 8601 with the +08:00 offset, so that the
normalisation step types them once. Every row is validated (:func:`project_rules`,
:func:`event_rules`, :func:`payment_rules`); a failing row is quarantined with the first rule it breaks. The stage order of a
match is checked across the batch and against the match's events landed by earlier batches.

No public CRM exists: the demo and the tests have a simulator (:mod:`simulators.crm`) write the snapshot
as of the logical date where the CRM would hold it (the exports, or the PostgreSQL schema), marked as
generated (a ``generated.json`` in the export folder, the schema's comment); the extractor only reads,
and labels what it lands ``generated`` when the source carries that mark, else ``crm``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import polars as pl

from extractors.crm.contract import (
    AMOUNT_PATTERN,
    CHANNELS,
    COMMITTEES,
    CSV_TABLES,
    CURRENCIES,
    DEFAULT_SCHEMA,
    DIRECTIONS,
    EVENT_ID_PATTERN,
    EVENT_TIMESTAMPS,
    EXPORT_FOLDER,
    LOST_REASONS,
    MATCH_ID_PATTERN,
    MATCH_TYPES,
    ORIGIN_CRM,
    PAYMENT_ID_PATTERN,
    PAYMENT_TIMESTAMPS,
    PROJECT_DATES,
    PROJECT_ID_PATTERN,
    PROJECT_STATUSES,
    PROJECT_TIMESTAMPS,
    SOURCE_EVENTS,
    SOURCE_PAYMENTS,
    SOURCE_PROJECTS,
    SOURCE_TABLES,
    STAGE_RANK,
    STAGES,
    TABLE_AMOUNTS,
    TABLE_COLUMNS,
    TABLE_DATES,
    TABLE_KEYS,
    TABLE_TIMESTAMPS,
)
from parkplatform import catalogue, registry_enrichment
from parkplatform.config import Settings
from parkplatform.landing import (
    LANDED_FILE,
    BatchReport,
    first_reject_reason,
    land_batch,
    read_report,
    read_text_csv,
)
from parkplatform.origin import ORIGIN_GENERATED, comment_says_generated, is_generated

log = logging.getLogger(__name__)

DSN_VARIABLE = "PARK_CRM_DSN"  # read by parkplatform.config (Settings.crm_dsn ...); named in messages
SCHEMA_VARIABLE = "PARK_CRM_SCHEMA"

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving since 1991
SHANGHAI_ZONE = "Asia/Shanghai"  # the same, as Polars names a time zone
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%:z"  # 2026-11-23T10:15:00+08:00
DATE_FORMAT = "%Y-%m-%d"


class CrmSourceError(RuntimeError):
    """The CRM cannot be read: PostgreSQL is unreachable, an export is missing, or the schema is not ours."""


# --------------------------------------------------------------------------- configuration


def describe_dsn(dsn: str) -> str:
    """``host:port/database`` of a DSN, never its password, for error messages and logs."""
    from psycopg2.extensions import parse_dsn

    try:
        parts = parse_dsn(dsn)
    except Exception:  # noqa: BLE001 - an unparsable DSN is described, not echoed (it may hold a password)
        return "<unparsable DSN>"
    host = parts.get("host") or parts.get("hostaddr") or "localhost"
    return f"{host}:{parts.get('port') or 5432}/{parts.get('dbname') or parts.get('user') or ''}"


def connect(dsn: str, purpose: str):
    """A psycopg2 connection, or a :class:`CrmSourceError` naming host, port and what was being done."""
    import psycopg2

    try:
        return psycopg2.connect(dsn, connect_timeout=10)
    except psycopg2.OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        password = _dsn_password(dsn)
        if password:
            reason = reason.replace(password, "***")
        raise CrmSourceError(
            f"CRM PostgreSQL at {describe_dsn(dsn)} is unreachable while {purpose}: {reason}"
        ) from None


def _dsn_password(dsn: str) -> str | None:
    from psycopg2.extensions import parse_dsn

    try:
        return parse_dsn(dsn).get("password")
    except Exception:  # noqa: BLE001
        return None


# --------------------------------------------------------------------------- windows and watermarks


def end_of_day(day: date) -> datetime:
    """The exclusive end of ``day`` in Asia/Shanghai (next midnight): rows up to 23:59:59 belong to it."""
    return datetime.combine(day + timedelta(days=1), time(), SHANGHAI)


def format_timestamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S+08:00")


@dataclass(frozen=True)
class Window:
    """The rows a batch receives: ``after < updated_at < until`` (``after`` None: from the start)."""

    after: datetime | None
    until: datetime

    def contains(self, updated_at: pl.Expr) -> pl.Expr:
        inside = updated_at < pl.lit(self.until)
        return inside if self.after is None else inside & (updated_at > pl.lit(self.after))


def parse_timestamp(text: pl.Expr) -> pl.Expr:
    """An ISO 8601 text with offset as a UTC datetime (null when it is not one)."""
    return text.str.to_datetime(TIMESTAMP_FORMAT, strict=False, time_zone="UTC", time_unit="us")


def _batch_dates(landing_dir: Path, source: str) -> list[tuple[date, Path]]:
    found = []
    for path in (landing_dir / source).glob("batch_date=*"):
        try:
            found.append((date.fromisoformat(path.name.split("=", 1)[1]), path))
        except ValueError:
            continue
    return sorted(found)


def batch_watermark(batch: Path) -> datetime | None:
    """The newest ``updated_at`` a batch received, as its ``batch.json`` records it."""
    recorded = read_report(batch).details.get("watermark_to")
    return datetime.fromisoformat(recorded) if recorded else None


def watermark(landing_dir: Path, source: str, logical_date: date) -> datetime | None:
    """The newest ``updated_at`` received by ``source``'s batches of logical dates before ``logical_date``."""
    marks = [
        mark
        for day, path in _batch_dates(landing_dir, source)
        if day < logical_date and (mark := batch_watermark(path)) is not None
    ]
    return max(marks) if marks else None


def batch_window(landing_dir: Path, source: str, logical_date: date) -> Window:
    return Window(after=watermark(landing_dir, source, logical_date), until=end_of_day(logical_date))


def window_details(window: Window, received: pl.DataFrame) -> dict:
    """What a batch records of its window: the watermark it started from, the newest ``updated_at``
    it received (the next batch's watermark) and the end of its logical date."""
    newest = received.select(parse_timestamp(pl.col("updated_at")).max()).item() if received.height else None
    return {
        "watermark_from": format_timestamp(window.after),
        "watermark_to": format_timestamp(newest if newest is not None else window.after),
        "window_end_exclusive": format_timestamp(window.until),
    }


# --------------------------------------------------------------------------- reading: exports


def export_dir(sources_dir: Path, as_of: date) -> Path:
    return sources_dir / EXPORT_FOLDER / f"export_date={as_of.isoformat()}"


def export_parts(folder: Path, table: str) -> list[Path]:
    suffix = ".csv" if table in CSV_TABLES else ".jsonl"
    return sorted(folder.glob(f"{table}-[0-9][0-9][0-9][0-9][0-9]{suffix}"))


def _clean_text(frame: pl.DataFrame, columns: Collection[str]) -> pl.DataFrame:
    return frame.with_columns(pl.col(columns).str.strip_chars().replace("", None))


def read_export_part(path: Path, table: str) -> pl.DataFrame:
    """One part file as received: text columns (blank = null), ``_source_file`` and ``_source_row`` (the
    file's line: 2 for the first CSV row under its header, 1 for the first JSON line)."""
    columns = TABLE_COLUMNS[table]
    if path.suffix == ".csv":
        return read_text_csv(path, {column: column for column in columns})
    frame = pl.read_ndjson(path, schema=dict.fromkeys(columns, pl.String))
    return _clean_text(frame, columns).with_columns(
        pl.lit(str(path)).alias("_source_file"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("_source_row"),
    )


def read_export(folder: Path, table: str, window: Window) -> pl.DataFrame:
    """The rows of ``table``'s part files in ``folder`` whose ``updated_at`` falls in ``window``.

    A row whose ``updated_at`` is missing or unreadable cannot be placed in a window: it is received
    (and quarantined by the rules) by every batch that reads this export, never dropped.
    """
    parts = export_parts(folder, table)
    if not parts:
        raise CrmSourceError(f"CRM export {folder} holds no {table} part files")
    frames = []
    for path in parts:
        part = read_export_part(path, table)
        updated = parse_timestamp(pl.col("updated_at"))
        frames.append(part.filter(window.contains(updated) | updated.is_null()))
    return pl.concat(frames)


# --------------------------------------------------------------------------- reading: PostgreSQL


def _select_list(table: str) -> str:
    """Columns as the exports write them: timestamps ISO 8601 at +08:00, dates ISO, amounts with 2 decimals."""
    out = []
    for column in TABLE_COLUMNS[table]:
        if column in TABLE_TIMESTAMPS[table]:
            out.append(
                f"""to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD"T"HH24:MI:SS"+08:00"') AS {column}"""
            )
        elif column in TABLE_DATES[table]:
            out.append(f"to_char({column}, 'YYYY-MM-DD') AS {column}")
        elif column in TABLE_AMOUNTS[table]:
            out.append(f"{column}::text AS {column}")
        else:
            out.append(column)
    return ", ".join(out)


def read_postgres(dsn: str, table: str, window: Window, *, schema: str = DEFAULT_SCHEMA) -> pl.DataFrame:
    """The rows of ``schema.table`` in ``window``, through ``COPY (SELECT ...) TO STDOUT`` into a temporary
    file (not memory) and read back as text; ``_source_row`` numbers the rows of the ordered result."""
    from psycopg2 import sql

    qualified = f"{schema}.{table}"
    connection = connect(dsn, f"reading {qualified}")
    try:
        with connection.cursor() as cursor:
            where = sql.SQL("updated_at < %(until)s") + (
                sql.SQL(" AND updated_at > %(after)s") if window.after is not None else sql.SQL("")
            )
            query = sql.SQL(
                "COPY (SELECT {columns} FROM {table} WHERE {where} ORDER BY {key}) TO STDOUT WITH CSV HEADER"
            )
            statement = query.format(
                columns=sql.SQL(_select_list(table)),
                table=sql.Identifier(schema, table),
                where=where,
                key=sql.Identifier(TABLE_KEYS[table]),
            )
            text = cursor.mogrify(statement, {"until": window.until, "after": window.after}).decode()
            with tempfile.TemporaryDirectory(prefix="crm-copy-") as scratch:
                target = Path(scratch) / f"{table}.csv"
                with target.open("wb") as handle:
                    cursor.copy_expert(text, handle)
                frame = pl.read_csv(target, infer_schema=False, encoding="utf8")
    except CrmSourceError:
        raise
    except Exception as exc:
        raise CrmSourceError(f"CRM PostgreSQL at {describe_dsn(dsn)}: reading {qualified} failed: {exc}") from exc
    finally:
        connection.close()
    if frame.width == 0:  # an empty result still has its header; guard against an empty COPY
        frame = pl.DataFrame(schema=dict.fromkeys(TABLE_COLUMNS[table], pl.String))
    return _clean_text(frame, TABLE_COLUMNS[table]).with_columns(
        pl.lit(f"postgresql:{qualified}").alias("_source_file"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("_source_row"),
    )


def read_source(settings: Settings, table: str, logical_date: date, window: Window) -> pl.DataFrame:
    """``table`` in ``window`` from PostgreSQL when ``PARK_CRM_DSN`` is set, else from the date's export."""
    if settings.crm_dsn is not None:
        return read_postgres(settings.crm_dsn, table, window, schema=settings.crm_schema)
    folder = export_dir(settings.sources_dir, logical_date)
    if not folder.is_dir():
        raise CrmSourceError(f"no CRM export for {logical_date} at {folder}")
    return read_export(folder, table, window)


# --------------------------------------------------------------------------- validation


def _one_of(column: str, values: Collection[str], *, optional: bool = False) -> tuple[str, pl.Expr]:
    outside = ~pl.col(column).is_in(list(values))
    return (
        f"{column}: not one of {', '.join(values)}",
        pl.col(column).is_not_null() & outside if optional else outside,
    )


def _not_a_date(column: str) -> tuple[str, pl.Expr]:
    return (
        f"{column}: not a date (YYYY-MM-DD)",
        pl.col(column).is_not_null() & pl.col(column).str.to_date(DATE_FORMAT, strict=False).is_null(),
    )


def _not_a_timestamp(column: str) -> tuple[str, pl.Expr]:
    return (f"{column}: missing or not an ISO 8601 timestamp with offset", parse_timestamp(pl.col(column)).is_null())


def _as_date(column: str) -> pl.Expr:
    return pl.col(column).str.to_date(DATE_FORMAT, strict=False)


def _before(later: str, earlier: str) -> tuple[str, pl.Expr]:
    return (f"{later}: before {earlier}", (_as_date(later) < _as_date(earlier)).fill_null(False))


def _first_of(key: str) -> pl.Expr:
    return pl.col(key).is_first_distinct()


def project_rules(catalogue: Collection[str], clusters: Collection[str]) -> list[tuple[str, pl.Expr]]:
    """(reason, fails) per rule, first failing rule wins; the rows are the CRM's text, in received order."""
    amount = pl.col("contracted_amount")
    return [
        ("project_id: missing", pl.col("project_id").is_null()),
        ("project_id: not IP followed by 9 digits", ~pl.col("project_id").str.contains(PROJECT_ID_PATTERN)),
        ("project_id: duplicate (kept the first)", ~_first_of("project_id")),
        _one_of("direction", DIRECTIONS),
        ("park_code: not a catalogue zone code", ~pl.col("park_code").is_in(list(catalogue))),
        ("cluster_code: not a cluster code", ~pl.col("cluster_code").is_in(list(clusters))),
        _one_of("committee", COMMITTEES, optional=True),
        (
            "committee: missing for a project sourced abroad",
            pl.col("committee").is_null() & (pl.col("direction") != "domestic"),
        ),
        ("currency: not an ISO 4217 code we convert", ~pl.col("currency").is_in(list(CURRENCIES))),
        ("contracted_amount: not a number", ~amount.str.contains(AMOUNT_PATTERN)),
        ("contracted_amount: negative", amount.str.starts_with("-")),
        (
            "paid_in_amount: not a non-negative number",
            ~pl.col("paid_in_amount").str.contains(AMOUNT_PATTERN) | pl.col("paid_in_amount").str.starts_with("-"),
        ),
        (
            "paid_in_amount: above contracted_amount (both in the contract's currency)",
            pl.col("paid_in_amount").cast(pl.Decimal(20, 2), strict=False)
            > amount.cast(pl.Decimal(20, 2), strict=False),
        ),
        ("intention_date: missing", pl.col("intention_date").is_null()),
        *(_not_a_date(column) for column in PROJECT_DATES),
        _before("signed_date", "intention_date"),
        _before("construction_started_date", "signed_date"),
        _before("in_production_date", "construction_started_date"),
        _one_of("status", PROJECT_STATUSES),
        *(_not_a_timestamp(column) for column in PROJECT_TIMESTAMPS),
    ]


def event_rules(catalogue: Collection[str], clusters: Collection[str]) -> list[tuple[str, pl.Expr]]:
    """Rules over the events with ``_before_t`` (latest earlier-stage time of the match, see
    :func:`validate_events`) and ``_event_t`` (the parsed ``event_at``)."""
    lost = pl.col("stage") == "lost"
    return [
        ("event_id: missing", pl.col("event_id").is_null()),
        ("event_id: not ME followed by 10 digits", ~pl.col("event_id").str.contains(EVENT_ID_PATTERN)),
        ("event_id: duplicate (kept the first)", ~_first_of("event_id")),
        ("match_id: missing or not M followed by 9 digits", ~pl.col("match_id").str.contains(MATCH_ID_PATTERN)),
        _one_of("stage", STAGES),
        ("lost_reason: missing for a lost match", lost & pl.col("lost_reason").is_null()),
        ("lost_reason: set on a stage other than lost", ~lost & pl.col("lost_reason").is_not_null()),
        _one_of("lost_reason", LOST_REASONS, optional=True),
        _one_of("match_type", MATCH_TYPES),
        _one_of("channel", CHANNELS),
        _one_of("committee", COMMITTEES, optional=True),
        ("park_code: not a catalogue zone code", ~pl.col("park_code").is_in(list(catalogue))),
        ("cluster_code: not a cluster code", ~pl.col("cluster_code").is_in(list(clusters))),
        (
            "project_id: not IP followed by 9 digits",
            pl.col("project_id").is_not_null() & ~pl.col("project_id").str.contains(PROJECT_ID_PATTERN),
        ),
        *(_not_a_timestamp(column) for column in EVENT_TIMESTAMPS),
        ("event_at: before the match's earlier stage", (pl.col("_event_t") < pl.col("_before_t")).fill_null(False)),
    ]


def payment_rules() -> list[tuple[str, pl.Expr]]:
    """(reason, fails) per rule of the payment ledger, first failing rule wins. A payment is money received:
    its amount is positive and in a currency the platform converts, and it cannot be dated after the day
    the CRM recorded it. Whether its currency is its contract's is checked in dbt (the contract may land
    in another batch)."""
    amount = pl.col("amount")
    recorded_on = parse_timestamp(pl.col("created_at")).dt.convert_time_zone(SHANGHAI_ZONE).dt.date()
    return [
        ("payment_id: missing", pl.col("payment_id").is_null()),
        ("payment_id: not PY followed by 10 digits", ~pl.col("payment_id").str.contains(PAYMENT_ID_PATTERN)),
        ("payment_id: duplicate (kept the first)", ~_first_of("payment_id")),
        ("project_id: missing", pl.col("project_id").is_null()),
        ("project_id: not IP followed by 9 digits", ~pl.col("project_id").str.contains(PROJECT_ID_PATTERN)),
        ("payment_date: missing", pl.col("payment_date").is_null()),
        _not_a_date("payment_date"),
        ("currency: not an ISO 4217 code we convert", ~pl.col("currency").is_in(list(CURRENCIES))),
        ("amount: not a number", ~amount.str.contains(AMOUNT_PATTERN)),
        (
            "amount: not positive (a payment is money received)",
            amount.str.starts_with("-") | (amount.cast(pl.Decimal(20, 2), strict=False) == 0),
        ),
        *(_not_a_timestamp(column) for column in PAYMENT_TIMESTAMPS),
        (
            "payment_date: after the day the CRM recorded the payment (created_at)",
            (_as_date("payment_date") > recorded_on).fill_null(False),
        ),
    ]


def validate_payments(received: pl.DataFrame) -> pl.DataFrame:
    return received.with_columns(first_reject_reason(payment_rules()))


def validate_projects(received: pl.DataFrame, catalogue: Collection[str], clusters: Collection[str]) -> pl.DataFrame:
    return received.with_columns(first_reject_reason(project_rules(catalogue, clusters)))


def validate_events(
    received: pl.DataFrame,
    catalogue: Collection[str],
    clusters: Collection[str],
    earlier: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Validate the events; ``earlier`` (match_id, stage, event_at) holds the matches' events landed before.

    A row breaks the stage order when an event of a lower stage of its match (in this batch or landed
    earlier) is later than it: for a ``signed`` event, any recommended, contacted, meeting or
    negotiation event after it; a ``lost`` event must come after every other stage.
    """
    rank = pl.col("stage").replace_strict(STAGE_RANK, default=None, return_dtype=pl.Int8)
    event_t = parse_timestamp(pl.col("event_at"))
    context = received.lazy().select("match_id", event_t.alias("_event_t"), rank.alias("_rank"))
    if earlier is not None and earlier.height:
        context = pl.concat(
            [context, earlier.lazy().select("match_id", event_t.alias("_event_t"), rank.alias("_rank"))]
        )
    # per match and stage rank, the latest event of any lower rank: the running latest over the match's
    # ranks in order, taken from the rank below (one row per match and rank present)
    before = (
        context.drop_nulls()
        .group_by("match_id", "_rank")
        .agg(pl.col("_event_t").max())
        .sort("match_id", "_rank")
        .select("match_id", "_rank", pl.col("_event_t").cum_max().shift(1).over("match_id").alias("_before_t"))
    )
    # joined to the two key columns only, then set beside the received columns: joining the wide rows
    # would copy every column of a national batch
    before_t = (
        received.lazy()
        .select("match_id", rank.alias("_rank"))
        .join(before, on=["match_id", "_rank"], how="left", maintain_order="left")
        .collect()["_before_t"]
    )
    return (
        received.lazy()
        .with_columns(event_t.alias("_event_t"), rank.alias("_rank"), pl.lit(before_t).alias("_before_t"))
        .with_columns(first_reject_reason(event_rules(catalogue, clusters)))
        .drop("_before_t", "_event_t", "_rank")
        .collect()
    )


def earlier_events(landing_dir: Path, logical_date: date, match_ids: pl.Series) -> pl.DataFrame:
    """Events of ``match_ids`` landed by batches of earlier logical dates (match_id, stage, event_at)."""
    files = [
        path / LANDED_FILE
        for day, path in _batch_dates(landing_dir, SOURCE_EVENTS)
        if day < logical_date and (path / LANDED_FILE).is_file()
    ]
    if not files or match_ids.is_empty():
        return pl.DataFrame(schema={"match_id": pl.String, "stage": pl.String, "event_at": pl.String})
    wanted = match_ids.drop_nulls().unique().implode()
    return (
        pl.scan_parquet(files)
        .select("match_id", "stage", "event_at")
        .filter(pl.col("match_id").is_in(wanted))
        .collect()
    )


# --------------------------------------------------------------------------- reference lists


def cluster_codes() -> list[str]:
    return sorted(registry_enrichment.load_cluster_keywords()["cluster_code"].unique().to_list())


def crm_is_generated(settings: Settings, logical_date: date) -> bool:
    """Whether the CRM read for ``logical_date`` is the simulator's (its export folder's or schema's mark)."""
    if settings.crm_dsn is None:
        return is_generated(export_dir(settings.sources_dir, logical_date))
    connection = connect(settings.crm_dsn, f"reading the comment of schema {settings.crm_schema}")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = %s",
                (settings.crm_schema,),
            )
            row = cursor.fetchone()
    finally:
        connection.close()
    return comment_says_generated(row[0] if row else None)


def land_projects(received: pl.DataFrame, settings: Settings, logical_date: date, window: Window) -> BatchReport:
    validated = validate_projects(received, catalogue.catalogue_codes(settings), cluster_codes())
    return _land(SOURCE_PROJECTS, validated, received, settings, logical_date, window)


def land_events(received: pl.DataFrame, settings: Settings, logical_date: date, window: Window) -> BatchReport:
    earlier = earlier_events(settings.landing_dir, logical_date, received["match_id"])
    validated = validate_events(received, catalogue.catalogue_codes(settings), cluster_codes(), earlier)
    return _land(SOURCE_EVENTS, validated, received, settings, logical_date, window)


def land_payments(received: pl.DataFrame, settings: Settings, logical_date: date, window: Window) -> BatchReport:
    return _land(SOURCE_PAYMENTS, validate_payments(received), received, settings, logical_date, window)


def _land(
    source: str,
    validated: pl.DataFrame,
    received: pl.DataFrame,
    settings: Settings,
    logical_date: date,
    window: Window,
) -> BatchReport:
    """Land the ``validated`` rows of ``source`` with their origin, the window and what was ``received``."""
    return land_batch(
        _labelled(validated, settings, logical_date),
        source=source,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
        details=window_details(window, received),
    )


def _labelled(rows: pl.DataFrame, settings: Settings, logical_date: date) -> pl.DataFrame:
    """``data_origin``: generated when the simulator wrote what was read, else crm (the real system)."""
    origin = ORIGIN_GENERATED if crm_is_generated(settings, logical_date) else ORIGIN_CRM
    return rows.with_columns(pl.lit(origin).alias("data_origin"))


def extract_projects(settings: Settings, logical_date: date) -> BatchReport:
    """Land the projects created or changed since the watermark, up to the end of ``logical_date``."""
    received, window = _received(settings, SOURCE_PROJECTS, logical_date)
    return land_projects(received, settings, logical_date, window)


def extract_match_events(settings: Settings, logical_date: date) -> BatchReport:
    """Land the match events recorded since the watermark, up to the end of ``logical_date``."""
    received, window = _received(settings, SOURCE_EVENTS, logical_date)
    return land_events(received, settings, logical_date, window)


def extract_payments(settings: Settings, logical_date: date) -> BatchReport:
    """Land the payments recorded in the ledger since the watermark, up to the end of ``logical_date``."""
    received, window = _received(settings, SOURCE_PAYMENTS, logical_date)
    return land_payments(received, settings, logical_date, window)


def _received(settings: Settings, source: str, logical_date: date) -> tuple[pl.DataFrame, Window]:
    """What ``source``'s table holds in the window since its watermark, and that window."""
    window = batch_window(settings.landing_dir, source, logical_date)
    return read_source(settings, SOURCE_TABLES[source], logical_date, window), window
