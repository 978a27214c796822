"""Quarantine reports: batches' quarantined rows by reason reach the warehouse; a quarantined batch is
re-processed once its file is fixed, reconciling and never losing a row (tiny scale, exact counts)."""

from datetime import date

import duckdb
import polars as pl

from parkplatform import pipeline
from parkplatform.config import get_settings
from parkplatform.landing import QUARANTINED_FILE, batch_dir, read_report
from parkplatform.reprocess import main as reprocess_main
from parkplatform.warehouse import load_build, quarantine_by_reason
from simulators import members as members_simulator

DAY = date(2026, 11, 23)
FIXES = {
    "member_name: missing": ("member_name", "京津科技谷产业园"),
    "join_date: not a date": ("join_date", "2020-05-01"),
}


def test_quarantined_rows_by_reason_reach_the_warehouse(tiny_warehouse):
    with duckdb.connect(str(tiny_warehouse), read_only=True) as con:
        by_reason = con.execute(
            "select source, sum(quarantined_rows) from mart_quarantine_batches group by 1 order by 1"
        ).fetchall()
        batches = con.execute(
            "select source, quarantined_rows from staging.stg_landing__batches where quarantined_rows > 0 order by 1"
        ).fetchall()
        members = con.execute(
            "select reason, quarantined_rows, received_rows from mart_quarantine_batches "
            "where source = 'alliance_members' order by reason"
        ).fetchall()
    assert by_reason == batches  # every quarantined row counted under its reason
    assert dict(by_reason)["alliance_members"] == 4 and dict(by_reason)["reference_tables"] == 7
    assert [count for _, count, _ in members] == [1, 1, 1, 1] and {r for *_, r in members} == {120}


def test_a_fixed_member_list_is_reprocessed_into_a_reconciled_batch(tiny, capsys):
    settings = get_settings()
    members_simulator.write_export(settings, DAY)
    before = read_report_of(pipeline.extract("alliance_members", DAY))
    assert (before.received, before.landed, before.quarantined) == (120, 116, 4)
    batch = batch_dir(settings.landing_dir, "alliance_members", DAY)
    quarantined = pl.read_parquet(batch / QUARANTINED_FILE)

    # the CRM's export is corrected: the rows with a missing name or an unreadable join date are fixed
    export = pl.read_csv(quarantined["_source_file"][0], infer_schema=False)
    fixed = 0
    for reason, line in quarantined.select("_reject_reason", "_source_row").iter_rows():
        for prefix, (column, value) in FIXES.items():
            if reason.startswith(prefix):
                export = export.with_columns(
                    pl.when(pl.int_range(pl.len()) == line - 2)
                    .then(pl.lit(value))
                    .otherwise(pl.col(column))
                    .alias(column)
                )
                fixed += 1
    assert fixed == 2
    export.write_csv(quarantined["_source_file"][0])

    assert reprocess_main(["alliance_members", before.batch_id]) == 0
    after = read_report(batch)
    assert (after.received, after.landed, after.quarantined) == (120, 118, 2)
    assert after.received == after.landed + after.quarantined
    assert not any(reason.startswith(tuple(FIXES)) for reason in after.quarantine_reasons)
    printed = capsys.readouterr().out
    assert "quarantined 4 -> 2 (2 released from quarantine)" in printed
    # the batch as it was is kept, its four quarantined rows with it
    (archive,) = (settings.landing_dir / "alliance_members" / "reprocessed" / before.batch_id).iterdir()
    assert pl.read_parquet(archive / QUARANTINED_FILE).height == 4
    assert read_report(archive).quarantined == 4

    # the warehouse's quarantine report follows the re-processed batch
    counts = quarantine_by_reason([after])
    assert counts["quarantined"].sum() == 2 and counts["batch_id"].unique().to_list() == [before.batch_id]
    load_build(settings.build_warehouse, {}, [after])
    with duckdb.connect(str(settings.build_warehouse), read_only=True) as con:
        assert con.execute("select sum(quarantined) from raw.landing_quarantine").fetchone() == (2,)


def read_report_of(report: dict):
    return read_report(
        batch_dir(get_settings().landing_dir, report["source"], date.fromisoformat(report["logical_date"]))
    )
