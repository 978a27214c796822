from datetime import date

import polars as pl
import pytest

from parkplatform.landing import (
    LANDED_FILE,
    QUARANTINED_FILE,
    ReconciliationError,
    _check_reconciliation,
    batch_dir,
    batches_up_to,
    first_reject_reason,
    land_batch,
    latest_batch,
    read_report,
)


def _received(values: list[int]) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"value": values, "_source_file": ["a.csv"] * len(values), "_source_row": range(2, len(values) + 2)}
    )
    return frame.with_columns(first_reject_reason([("value is negative", pl.col("value") < 0)]))


def test_batch_reconciles_and_keeps_rejected_rows_with_reason(tmp_path):
    report = land_batch(_received([1, -2, 3, -4]), source="demo", logical_date=date(2026, 11, 23), landing_dir=tmp_path)
    assert (report.received, report.landed, report.quarantined) == (4, 2, 2)
    assert report.quarantine_reasons == {"value is negative": 2}
    folder = batch_dir(tmp_path, "demo", date(2026, 11, 23))
    landed = pl.read_parquet(folder / LANDED_FILE)
    quarantined = pl.read_parquet(folder / QUARANTINED_FILE)
    assert landed["value"].to_list() == [1, 3]
    assert quarantined.select("_source_row", "_reject_reason").rows() == [
        (3, "value is negative"),
        (5, "value is negative"),
    ]
    assert set(landed.columns) >= {"_source", "_batch_id", "_loaded_at", "_source_file", "_source_row"}
    assert read_report(folder).files[0].received == 4


def test_rerunning_a_date_replaces_its_batch_and_leaves_other_dates(tmp_path):
    first, second = date(2026, 11, 16), date(2026, 11, 23)
    land_batch(_received([1, 2]), source="demo", logical_date=first, landing_dir=tmp_path)
    land_batch(_received([5, 6, 7]), source="demo", logical_date=second, landing_dir=tmp_path)
    land_batch(_received([8, -9]), source="demo", logical_date=second, landing_dir=tmp_path)

    assert pl.read_parquet(batch_dir(tmp_path, "demo", second) / LANDED_FILE)["value"].to_list() == [8]
    assert pl.read_parquet(batch_dir(tmp_path, "demo", first) / LANDED_FILE)["value"].to_list() == [1, 2]
    assert sorted(p.name for p in (tmp_path / "demo").iterdir()) == ["batch_date=2026-11-16", "batch_date=2026-11-23"]


def test_latest_batch_respects_the_as_of_date(tmp_path):
    for day in (9, 16, 23):
        land_batch(_received([day]), source="demo", logical_date=date(2026, 11, day), landing_dir=tmp_path)
    assert latest_batch(tmp_path, "demo").name == "batch_date=2026-11-23"
    assert latest_batch(tmp_path, "demo", date(2026, 11, 20)).name == "batch_date=2026-11-16"
    with pytest.raises(FileNotFoundError, match="no landed batch of 'demo' on or before 2026-11-01"):
        latest_batch(tmp_path, "demo", date(2026, 11, 1))
    # an incremental source is read from all its batches up to the date, oldest first
    assert [path.name for path in batches_up_to(tmp_path, "demo", date(2026, 11, 20))] == [
        "batch_date=2026-11-09",
        "batch_date=2026-11-16",
    ]


def test_a_batch_that_does_not_reconcile_is_refused(tmp_path):
    report = land_batch(_received([1]), source="demo", logical_date=date(2026, 11, 23), landing_dir=tmp_path)
    broken = type(report)(**{**report.__dict__, "landed": 5})
    with pytest.raises(ReconciliationError, match="received 1 = landed 5 \\+ quarantined 0"):
        _check_reconciliation(broken)


def test_first_failing_rule_gives_the_reason():
    frame = pl.DataFrame({"a": [None, "x", "ok"]}, schema={"a": pl.String})
    reasons = frame.select(
        first_reject_reason([("a is missing", pl.col("a").is_null()), ("a is not ok", pl.col("a") != "ok")])
    )["_reject_reason"].to_list()
    assert reasons == ["a is missing", "a is not ok", None]
