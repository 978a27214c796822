"""The CRM's tables typed for the warehouse: dates, UTC timestamps and exact decimal amounts."""

from __future__ import annotations

import polars as pl

from extractors.crm.contract import (
    EVENTS_TABLE,
    PAYMENTS_TABLE,
    PROJECTS_TABLE,
    TABLE_AMOUNTS,
    TABLE_COLUMNS,
    TABLE_DATES,
    TABLE_TIMESTAMPS,
)
from extractors.crm.extract import DATE_FORMAT, parse_timestamp
from parkplatform.landing import LINEAGE_COLUMNS


def _crm_typed(column: str, table: str) -> pl.Expr:
    """One landed column of ``table`` with its type: a date, a UTC timestamp, an amount, or as landed."""
    if column in TABLE_DATES[table]:
        return pl.col(column).str.to_date(DATE_FORMAT).alias(column)
    if column in TABLE_TIMESTAMPS[table]:
        return parse_timestamp(pl.col(column)).alias(column)
    if column in TABLE_AMOUNTS[table]:
        return pl.col(column).cast(pl.Decimal(20, 2)).alias(column)
    return pl.col(column)


def _normalise(landed: pl.DataFrame, table: str) -> pl.DataFrame:
    """The columns of ``table`` typed, then the origin and the lineage columns."""
    return landed.select(
        *(_crm_typed(column, table) for column in TABLE_COLUMNS[table]),
        "data_origin",
        *LINEAGE_COLUMNS,
    )


def normalise_projects(landed: pl.DataFrame) -> pl.DataFrame:
    """Every landed version of each investment project (a project lands again whenever it changes),
    typed: stage dates as dates, timestamps in UTC, amounts as exact decimals (original currency for
    ``contracted_amount`` and ``paid_in_amount``)."""
    return _normalise(landed, PROJECTS_TABLE)


def normalise_match_events(landed: pl.DataFrame) -> pl.DataFrame:
    """The matchmaking log, typed: ``event_at`` and ``updated_at`` in UTC."""
    return _normalise(landed, EVENTS_TABLE)


def normalise_payments(landed: pl.DataFrame) -> pl.DataFrame:
    """The payment ledger, typed: ``payment_date`` as a date, timestamps in UTC, ``amount`` as an exact
    decimal in the contract's currency (``currency``)."""
    return _normalise(landed, PAYMENTS_TABLE)
