"""The CRM extractor: its three sources land incrementally by watermark, from the exports or from PostgreSQL
with the same rows, quarantine every fault with its rule, and fail clearly when the database is down.

PostgreSQL runs on 127.0.0.1:5432 (trust auth, database ``test``); each test uses its own schema and
drops it."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import psycopg2
import pytest

from extractors.crm import contract as crm_contract
from extractors.crm import extract as crm
from parkplatform.config import get_settings
from parkplatform.landing import LANDED_FILE, QUARANTINED_FILE, REPORT_FILE, read_report
from simulators import crm as crm_simulator

DAY = date(2026, 11, 23)
# a month later: each of the three tables has new rows by then (the tiny CRM records no payment in the two
# weeks after DAY)
LATER = DAY + timedelta(days=30)
LINEAGE = ["_source", "_batch_id", "_loaded_at", "_source_file", "_source_row"]


@pytest.fixture
def crm_tiny(tiny, monkeypatch):
    """Tiny scale, 10 % of rows corrupted, reading the file exports (no DSN)."""
    monkeypatch.setenv("PARK_BAD_ROW_RATE", "0.1")
    for variable in (crm.DSN_VARIABLE, crm.SCHEMA_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    return tiny


@pytest.fixture
def pg_schema(postgres_dsn):
    """A schema name of its own in the test database, dropped afterwards."""
    schema = f"crm_test_{uuid.uuid4().hex[:10]}"
    yield schema
    connection = psycopg2.connect(postgres_dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    connection.close()


def _landed(report) -> pl.DataFrame:
    return pl.read_parquet(Path(report.path) / LANDED_FILE)


def _quarantined(report) -> pl.DataFrame:
    return pl.read_parquet(Path(report.path) / QUARANTINED_FILE)


def _content(frame: pl.DataFrame) -> pl.DataFrame:
    """The rows without lineage, in a stable order."""
    return frame.drop(LINEAGE, strict=False).sort(pl.all(), nulls_last=True)


def _simulated_extract(settings, day: date) -> list:
    """The simulated CRM's snapshot as of ``day`` written where the CRM would hold it, then the three sources
    (projects, events, payments)."""
    crm_simulator.write_snapshot(settings, day)
    return [
        crm.extract_projects(settings, day),
        crm.extract_match_events(settings, day),
        crm.extract_payments(settings, day),
    ]


TABLES = (crm_contract.PROJECTS_TABLE, crm_contract.EVENTS_TABLE, crm_contract.PAYMENTS_TABLE)


def _export(table: str, as_of: date) -> pl.DataFrame:
    folder = crm.export_dir(get_settings().sources_dir, as_of)
    return pl.concat(crm.read_export_part(path, table) for path in crm.export_parts(folder, table))


def test_every_fault_kind_is_quarantined_with_its_exact_reason(crm_tiny):
    settings = get_settings()
    projects, events, payments = _simulated_extract(settings, DAY)
    for report in (projects, events, payments):
        assert report.received == report.landed + report.quarantined > 0
        assert all(f.received == f.landed + f.quarantined for f in report.files)
        assert _landed(report)["data_origin"].unique().to_list() == ["generated"]  # the export says so

    manifest = pl.read_csv(crm.export_dir(settings.sources_dir, DAY) / crm_simulator.FAULTS_FILE, infer_schema=False)
    assert set(manifest["fault"]) == (
        set(crm_simulator.PROJECT_FAULTS) | set(crm_simulator.EVENT_FAULTS) | set(crm_simulator.PAYMENT_FAULTS)
    )
    quarantined = pl.concat(
        _quarantined(report).select(
            pl.col("_source_file").str.split("/").list.last().alias("file"),
            pl.col("_source_row").cast(pl.String).alias("row"),
            "_reject_reason",
        )
        for report in (projects, events, payments)
    )
    expected = manifest.with_columns(
        pl.col("fault").replace_strict(crm_simulator.FAULT_REASONS).alias("expected_reason")
    )
    both = expected.join(quarantined, on=["file", "row"], how="full", coalesce=True)
    # every corrupted row, and nothing else, is quarantined with the rule its fault breaks
    assert both.filter(pl.col("fault").is_null()).is_empty()
    assert both.filter(pl.col("_reject_reason").is_null()).is_empty()
    assert (both["_reject_reason"] == both["expected_reason"]).all()
    assert (
        projects.quarantine_reasons["project_id: missing"]
        == manifest.filter(pl.col("fault") == "missing_project_id").height
    )
    assert events.quarantine_reasons["event_id: duplicate (kept the first)"] > 0
    # the first of a repeated event id lands, as the reason says
    duplicated = _quarantined(events).filter(pl.col("_reject_reason") == "event_id: duplicate (kept the first)")
    assert duplicated["event_id"].is_in(_landed(events)["event_id"].implode()).all()
    # every payment fault of the ledger, each with its named rule
    ledger = manifest.filter(pl.col("table") == crm_contract.PAYMENTS_TABLE)
    assert payments.quarantine_reasons == {
        crm_simulator.FAULT_REASONS[fault]: count for fault, count in ledger.group_by("fault").len().iter_rows()
    }
    assert set(ledger["fault"]) == set(crm_simulator.PAYMENT_FAULTS)


def test_exports_and_postgres_land_the_same_rows(crm_tiny, postgres_dsn, pg_schema, tmp_path, monkeypatch):
    from_exports = {day: _simulated_extract(get_settings(), day) for day in (DAY, LATER)}

    monkeypatch.setenv("PARK_DATA_DIR", str(tmp_path / "with_postgres"))
    monkeypatch.setenv(crm.DSN_VARIABLE, postgres_dsn)
    monkeypatch.setenv(crm.SCHEMA_VARIABLE, pg_schema)
    from_postgres = {day: _simulated_extract(get_settings(), day) for day in (DAY, LATER)}  # day 2 loads incrementally

    faults_of = {
        crm_contract.SOURCE_PROJECTS: crm_simulator.PROJECT_FAULTS,
        crm_contract.SOURCE_EVENTS: crm_simulator.EVENT_FAULTS,
        crm_contract.SOURCE_PAYMENTS: crm_simulator.PAYMENT_FAULTS,
    }
    for day in (DAY, LATER):
        for exported, selected in zip(from_exports[day], from_postgres[day], strict=True):
            unstorable = {
                crm_simulator.FAULT_REASONS[fault]
                for fault in crm_simulator.UNSTORABLE_FAULTS
                if fault in faults_of[exported.source]
            }
            assert exported.landed > 0
            assert _content(_landed(exported)).equals(_content(_landed(selected)))
            # a table with a primary key cannot hold a row without its key or a second row under one key
            assert selected.quarantine_reasons == {
                reason: count for reason, count in exported.quarantine_reasons.items() if reason not in unstorable
            }
            assert selected.received == exported.received - sum(
                count for reason, count in exported.quarantine_reasons.items() if reason in unstorable
            )
            table = crm_contract.SOURCE_TABLES[selected.source]
            landed = _landed(selected)
            assert set(landed["_source_file"]) == {f"postgresql:{pg_schema}.{table}"}
            rows = pl.concat([landed, _quarantined(selected)], how="diagonal")["_source_row"].sort()
            assert rows.to_list() == list(range(1, selected.received + 1))


def test_watermark_lands_each_change_once_and_a_rerun_replaces_only_its_date(crm_tiny):
    settings = get_settings()
    first = _simulated_extract(settings, DAY)
    for report, table in zip(first, TABLES, strict=True):
        assert report.received == _export(table, DAY).height  # the first batch: everything up to DAY
    day_one = {report.source: Path(report.path) for report in first}
    kept = {path: (path / name).read_bytes() for path in day_one.values() for name in (LANDED_FILE, REPORT_FILE)}

    second = _simulated_extract(settings, LATER)
    for report, table in zip(second, TABLES, strict=True):
        mark = crm.watermark(settings.landing_dir, report.source, LATER)
        assert mark == crm.batch_watermark(day_one[report.source])  # the newest updated_at received on DAY
        assert mark is not None and mark < crm.end_of_day(DAY)
        # exactly the rows of the later export that changed after the watermark
        export = _export(table, LATER)
        changed = export.filter(crm.parse_timestamp(pl.col("updated_at")) > mark)
        received = pl.concat([_landed(report), _quarantined(report)], how="diagonal")
        assert 0 < report.received == changed.height == received.height
        assert _content(received.select(crm_contract.TABLE_COLUMNS[table])).equals(
            _content(changed.select(crm_contract.TABLE_COLUMNS[table]))
        )
        # each event and each payment is landed once over the two days; a project again only when it changed
        key = crm_contract.TABLE_KEYS[table]
        earlier = _landed(first[TABLES.index(table)])
        again = _landed(report).join(earlier, on=key, suffix="_before")
        if table != crm_contract.PROJECTS_TABLE:
            assert again.is_empty()
        else:
            assert (crm.parse_timestamp(again["updated_at"]) > crm.parse_timestamp(again["updated_at_before"])).all()

    # a rerun receives the same rows, replaces its own batch and leaves DAY's untouched
    rerun = _simulated_extract(settings, LATER)
    for before, after in zip(second, rerun, strict=True):
        assert (after.received, after.landed, after.quarantine_reasons) == (
            before.received,
            before.landed,
            before.quarantine_reasons,
        )
        assert _content(_landed(after)).equals(_content(_landed(before)))
        assert len(list((settings.landing_dir / after.source).glob("batch_date=*"))) == 2
    assert {
        path: (path / name).read_bytes() for path in day_one.values() for name in (LANDED_FILE, REPORT_FILE)
    } == kept
    assert read_report(day_one[crm_contract.SOURCE_EVENTS]).batch_id == f"{crm_contract.SOURCE_EVENTS}-{DAY:%Y%m%d}"

    # each batch records its window in batch.json; the next one starts from its watermark_to
    first_window = read_report(day_one[crm_contract.SOURCE_PROJECTS]).details
    second_window = read_report(settings.landing_dir / crm_contract.SOURCE_PROJECTS / f"batch_date={LATER}").details
    assert first_window["watermark_from"] is None
    assert second_window["watermark_from"] == first_window["watermark_to"]
    assert second_window["window_end_exclusive"] == f"{LATER + timedelta(days=1)}T00:00:00+08:00"


def test_an_export_without_the_simulators_mark_lands_as_the_real_crm(crm_tiny):
    settings = get_settings()
    crm_simulator.write_snapshot(settings, DAY)
    (crm.export_dir(settings.sources_dir, DAY) / "generated.json").unlink()
    report = crm.extract_projects(settings, DAY)
    assert _landed(report)["data_origin"].unique().to_list() == ["crm"]


def test_stage_order_is_checked_against_events_landed_earlier():
    row = {column: None for column in crm_contract.EVENT_COLUMNS} | {
        "match_id": "M000000001",
        "match_type": "financing",
        "channel": "summit",
        "park_code": "G321001",
        "cluster_code": "food",
        "updated_at": "2026-11-24T10:00:00+08:00",
    }
    received = pl.DataFrame(
        [
            row | {"event_id": "ME0000000014", "stage": "signed", "event_at": "2026-11-24T09:00:00+08:00"},
            row | {"event_id": "ME0000000015", "stage": "landed", "event_at": "2026-11-24T09:30:00+08:00"},
        ],
        schema=dict.fromkeys(crm_contract.EVENT_COLUMNS, pl.String),
    ).with_columns(pl.lit("x").alias("_source_file"), pl.int_range(1, 3).alias("_source_row"))
    earlier = pl.DataFrame(
        {
            "match_id": ["M000000001", "M000000001"],
            "stage": ["recommended", "negotiation"],
            "event_at": ["2026-10-01T10:00:00+08:00", "2026-11-24T09:10:00+08:00"],  # after the signing
        }
    )
    checked = crm.validate_events(received, ["G321001"], ["food"], earlier)
    assert checked["_reject_reason"].to_list() == ["event_at: before the match's earlier stage", None]
    alone = crm.validate_events(received, ["G321001"], ["food"])
    assert alone["_reject_reason"].to_list() == [None, None]


def test_postgres_down_names_host_port_and_table_but_not_the_password(crm_tiny, monkeypatch):
    monkeypatch.setenv(crm.DSN_VARIABLE, "postgresql://postgres:s3cret-pw@127.0.0.1:1/test")
    with pytest.raises(crm.CrmSourceError, match=r"127\.0\.0\.1:1/test .*reading crm\.investment_projects") as read:
        crm.extract_projects(get_settings(), DAY)
    with pytest.raises(crm.CrmSourceError, match=r"127\.0\.0\.1:1/test .*crm\.match_events") as load:
        crm.extract_match_events(get_settings(), DAY)
    with pytest.raises(crm.CrmSourceError, match=r"127\.0\.0\.1:1/test .*reading crm\.payments") as ledger:
        crm.extract_payments(get_settings(), DAY)
    for error in (read, load, ledger):
        assert "s3cret-pw" not in str(error.value)
    assert not (get_settings().landing_dir / crm_contract.SOURCE_PROJECTS).exists()


def test_generator_never_writes_into_a_crm_schema_it_did_not_create(crm_tiny, postgres_dsn, pg_schema):
    connection = psycopg2.connect(postgres_dsn)
    with connection, connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{pg_schema}"')
        cursor.execute(f'CREATE TABLE "{pg_schema}".investment_projects (project_id text PRIMARY KEY)')
        cursor.execute(f"INSERT INTO \"{pg_schema}\".investment_projects VALUES ('IP000000001')")
    connection.close()
    settings = get_settings()
    spec = crm_simulator.spec_from_settings(settings, crm_simulator.generator_parks(settings))
    with pytest.raises(crm.CrmSourceError, match="did not create"):
        crm_simulator.load_postgres(postgres_dsn, spec, DAY, schema=pg_schema)


def test_paid_in_beyond_the_contract_is_quarantined_with_its_rule():
    """Paid-in is recorded in the contract's currency; more than the contract is a CRM error, quarantined
    (the quality gate would otherwise stop the publish on a 到位率 above 100 %)."""
    row = {column: None for column in crm_contract.PROJECT_COLUMNS} | {
        "project_name": "Atlas 新材料生产基地项目",
        "park_code": "G321001",
        "investor_name": "Atlas GmbH",
        "direction": "inbound_foreign",
        "origin_country_iso3": "DEU",
        "destination_country_iso3": "CHN",
        "cluster_code": "new_materials",
        "committee": "europe",
        "currency": "EUR",
        "contracted_amount": "1000000.00",
        "intention_date": "2025-01-10",
        "signed_date": "2025-02-10",
        "construction_started_date": "2025-04-01",
        "status": "active",
        "created_at": "2025-01-10T09:00:00+08:00",
        "updated_at": "2026-11-20T09:00:00+08:00",
    }
    received = pl.DataFrame(
        [
            row | {"project_id": "IP000000001", "paid_in_amount": "1000000.00"},  # paid in full: fine
            row | {"project_id": "IP000000002", "paid_in_amount": "1000000.01"},
            row | {"project_id": "IP000000003", "paid_in_amount": "-5.00"},
        ],
        schema=dict.fromkeys(crm_contract.PROJECT_COLUMNS, pl.String),
    )
    checked = crm.validate_projects(received, ["G321001"], ["new_materials"])
    assert checked["_reject_reason"].to_list() == [
        None,
        "paid_in_amount: above contracted_amount (both in the contract's currency)",
        "paid_in_amount: not a non-negative number",
    ]


# A ledger export as the CRM writes it, by hand: the same columns as the generator's, a blank cell where a
# value is missing, payments of two projects in their contracts' currencies, and one row per rule broken.
HAND_MADE_LEDGER = """payment_id,project_id,payment_date,amount,currency,created_at,updated_at
PY0000000010,IP000000001,2026-11-02,1250000.00,EUR,2026-11-02T10:05:00+08:00,2026-11-02T10:05:00+08:00
PY0000000011,IP000000001,2026-11-20,750000.5,EUR,2026-11-20T16:40:12+08:00,2026-11-20T16:40:12+08:00
PY0000000020,IP000000002,2026-11-23,30000000,CNY,2026-11-23T09:00:00+08:00,2026-11-23T09:30:00+08:00
PY0000000030,,2026-11-03,100.00,CNY,2026-11-03T09:00:00+08:00,2026-11-03T09:00:00+08:00
PY0000000040,IP000000004,2026-11-04,-100.00,CNY,2026-11-04T09:00:00+08:00,2026-11-04T09:00:00+08:00
PY0000000041,IP000000004,2026-11-05,0.00,CNY,2026-11-05T09:00:00+08:00,2026-11-05T09:00:00+08:00
PY0000000050,IP000000005,2026-11-06,100.00,RMB,2026-11-06T09:00:00+08:00,2026-11-06T09:00:00+08:00
PY0000000060,IP000000006,2026-12-06,100.00,USD,2026-11-06T09:00:00+08:00,2026-11-06T09:00:00+08:00
PY0000000061,IP000000006,2026/11/07,100.00,USD,2026-11-07T09:00:00+08:00,2026-11-07T09:00:00+08:00
PY0000000020,IP000000002,2026-11-23,30000000,CNY,2026-11-23T09:00:00+08:00,2026-11-23T09:45:00+08:00
PAY-7,IP000000007,2026-11-08,100.00,CNY,2026-11-08T09:00:00+08:00,2026-11-08T09:00:00+08:00
PY0000000080,IP000000008,2026-11-09,12.345,CNY,2026-11-09T09:00:00+08:00,2026-11-09T09:00:00+08:00
PY0000000090,IP000000009,2026-11-10,100.00,CNY,2026-11-10 09:00,2026-11-10T09:00:00+08:00
PY0000000100,IP000000010,2026-11-30,100.00,CNY,2026-11-30T09:00:00+08:00,2026-11-30T09:00:00+08:00
"""


def test_a_hand_made_ledger_export_lands_payments_and_quarantines_each_rule(data_dir, reference_dir, monkeypatch):
    """The payment ledger from a CRM export written by hand: good payments land typed, each broken rule
    quarantines its row with its reason, a payment recorded after the logical date waits for its batch,
    and an export without the simulator's mark lands as the real CRM's."""
    from extractors.crm.normalise import normalise_payments

    monkeypatch.setenv("PARK_REFERENCE_DIR", str(reference_dir))
    for variable in (crm.DSN_VARIABLE, crm.SCHEMA_VARIABLE):
        monkeypatch.delenv(variable, raising=False)
    settings = get_settings()
    folder = crm.export_dir(settings.sources_dir, DAY)
    folder.mkdir(parents=True)
    (folder / "payments-00000.csv").write_text(HAND_MADE_LEDGER, encoding="utf-8")

    report = crm.extract_payments(settings, DAY)
    assert (report.received, report.landed, report.quarantined) == (13, 3, 10)  # the 30 November row waits
    quarantined = _quarantined(report).sort("_source_row")
    assert list(zip(quarantined["_source_row"], quarantined["_reject_reason"], strict=True)) == [
        (5, "project_id: missing"),
        (6, "amount: not positive (a payment is money received)"),
        (7, "amount: not positive (a payment is money received)"),
        (8, "currency: not an ISO 4217 code we convert"),
        (9, "payment_date: after the day the CRM recorded the payment (created_at)"),
        (10, "payment_date: not a date (YYYY-MM-DD)"),
        (11, "payment_id: duplicate (kept the first)"),
        (12, "payment_id: not PY followed by 10 digits"),
        (13, "amount: not a number"),
        (14, "created_at: missing or not an ISO 8601 timestamp with offset"),
    ]
    landed = normalise_payments(_landed(report)).sort("payment_id")
    assert landed["payment_id"].to_list() == ["PY0000000010", "PY0000000011", "PY0000000020"]
    assert landed["amount"].cast(pl.String).to_list() == ["1250000.00", "750000.50", "30000000.00"]
    assert landed["payment_date"].to_list() == [date(2026, 11, 2), date(2026, 11, 20), date(2026, 11, 23)]
    assert landed["data_origin"].unique().to_list() == ["crm"]  # no generated.json: the real CRM
    assert report.details["watermark_to"] == "2026-11-23T09:45:00+08:00"

    # the next day's batch receives only the row recorded after the watermark
    later = DAY + timedelta(days=7)
    crm.export_dir(settings.sources_dir, later).mkdir(parents=True)
    (crm.export_dir(settings.sources_dir, later) / "payments-00000.csv").write_text(HAND_MADE_LEDGER, encoding="utf-8")
    next_batch = crm.extract_payments(settings, later)
    assert (next_batch.received, next_batch.landed) == (1, 1)
    assert _landed(next_batch)["payment_id"].to_list() == ["PY0000000100"]
