"""Polars normalisation of landed batches: types, trimmed text, coded domains, units.

Landing keeps what a source sent (as text); each source's ``normalise`` function (its package's
``normalise.py``) turns it into typed columns the warehouse can trust. Values outside a known domain
are kept as they are rather than guessed, so that the quality gate sees them and blocks publishing.
This module runs those functions for a source (:class:`parkplatform.sources.SourceSpec`) and writes
one Parquet file per warehouse table: the source's own and the tables derived from it.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from parkplatform.landing import LANDED_FILE
from parkplatform.sources import SourceSpec, resolve

# the landing's lineage columns, for the empty landed frame of a source a run did not extract
LINEAGE_SCHEMA = {
    "_source": pl.String,
    "_batch_id": pl.String,
    "_loaded_at": pl.Datetime("us", "UTC"),
    "_source_file": pl.String,
    "_source_row": pl.Int64,
}


def normalise_batch(spec: SourceSpec, batches: list[Path], target_dir: Path) -> dict[str, Path]:
    """Normalise the landed rows of ``batches`` of the source ``spec`` into ``target_dir/<table>.parquet``:
    the source's own table and the tables derived from it; returns table name -> file."""
    landed = pl.concat([pl.read_parquet(batch / LANDED_FILE) for batch in batches], how="diagonal_relaxed")
    return _write_tables(spec, resolve(spec.normalise)(landed), target_dir)


def empty_landed(spec: SourceSpec) -> pl.DataFrame:
    """The landed frame of ``spec`` with its columns and no row (from its ``empty_landed`` declaration)."""
    schema = {column: getattr(pl, kind) for column, kind in spec.empty_landed.items()}
    return pl.DataFrame(schema=schema | LINEAGE_SCHEMA)


def normalise_empty(spec: SourceSpec, target_dir: Path) -> dict[str, Path]:
    """The normalised tables of ``spec`` with their columns and no row (a skipped source)."""
    return _write_tables(spec, resolve(spec.normalise)(empty_landed(spec)), target_dir)


def _write_tables(spec: SourceSpec, normalised: pl.DataFrame, target_dir: Path) -> dict[str, Path]:
    target_dir.mkdir(parents=True, exist_ok=True)
    tables = {spec.name: normalised} | {name: resolve(derive)(normalised) for name, derive in spec.derived.items()}
    written = {}
    for name, frame in tables.items():
        written[name] = target_dir / f"{name}.parquet"
        frame.write_parquet(written[name])
    return written
