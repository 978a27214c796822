"""The build warehouse continues from serving for the same or a later date, starts empty otherwise."""

from datetime import date

import duckdb
import polars as pl

from parkplatform.landing import land_batch
from parkplatform.warehouse import built_as_of, load_build


def _serving(tmp_path, day: date):
    source = tmp_path / "source.parquet"
    pl.DataFrame({"value": [1]}).write_parquet(source)
    report = land_batch(
        pl.DataFrame({"value": [1], "_source_file": ["f"], "_source_row": [1], "_reject_reason": [None]}),
        source="demo",
        logical_date=day,
        landing_dir=tmp_path / "landing",
    )
    serving = tmp_path / "serving.duckdb"
    load_build(serving, {"demo": source}, [report])
    with duckdb.connect(str(serving)) as con:
        con.execute("create table main.fct_kept as select 42 as answer")
    return serving, {"demo": source}, [report]


def _has_kept_table(build) -> bool:
    with duckdb.connect(str(build), read_only=True) as con:
        return bool(
            con.execute("select count(*) from information_schema.tables where table_name = 'fct_kept'").fetchone()[0]
        )


def test_a_build_continues_from_serving_only_forward(tmp_path):
    serving, normalised, reports = _serving(tmp_path, date(2026, 11, 23))
    assert built_as_of(serving) == date(2026, 11, 23)
    build = tmp_path / "build.duckdb"

    load_build(build, normalised, reports, previous=serving, as_of=date(2026, 11, 30))
    assert _has_kept_table(build)  # a later date: incremental models find their rows
    load_build(build, normalised, reports, previous=serving, as_of=date(2026, 11, 23))
    assert _has_kept_table(build)  # a re-run of the same date too
    load_build(build, normalised, reports, previous=serving, as_of=date(2026, 11, 16))
    assert not _has_kept_table(build)  # a backfill of an earlier date starts empty (a full refresh)
    load_build(build, normalised, reports, previous=None, as_of=date(2026, 11, 30))
    assert not _has_kept_table(build)  # PARK_FULL_REFRESH: no previous
    with duckdb.connect(str(build), read_only=True) as con:
        assert con.execute("select value from raw.demo").fetchall() == [(1,)]
