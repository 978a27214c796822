"""The CRM's tables typed for the warehouse: dates, UTC timestamps and exact decimal amounts."""

from __future__ import annotations

import polars as pl

from extractors.crm.contract import (
    EVENT_COLUMNS,
    EVENT_TIMESTAMPS,
    PAYMENT_AMOUNTS,
    PAYMENT_COLUMNS,
    PAYMENT_DATES,
    PAYMENT_TIMESTAMPS,
    PROJECT_AMOUNTS,
    PROJECT_COLUMNS,
    PROJECT_DATES,
    PROJECT_TIMESTAMPS,
)
from extractors.crm.extract import DATE_FORMAT, parse_timestamp
from parkplatform.landing import LINEAGE_COLUMNS


def _crm_timestamp(column: str) -> pl.Expr:
    return parse_timestamp(pl.col(column)).alias(column)


def _crm_date(column: str) -> pl.Expr:
    return pl.col(column).str.to_date(DATE_FORMAT).alias(column)


def _crm_amount(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Decimal(20, 2)).alias(column)


def normalise_projects(landed: pl.DataFrame) -> pl.DataFrame:
    """Every landed version of each investment project (a project lands again whenever it changes),
    typed: stage dates as dates, timestamps in UTC, amounts as exact decimals (original currency for
    ``contracted_amount`` and ``paid_in_amount``)."""
    return landed.select(
        *(
            _crm_date(column)
            if column in PROJECT_DATES
            else _crm_timestamp(column)
            if column in PROJECT_TIMESTAMPS
            else _crm_amount(column)
            if column in PROJECT_AMOUNTS
            else pl.col(column)
            for column in PROJECT_COLUMNS
        ),
        "data_origin",
        *LINEAGE_COLUMNS,
    )


def normalise_match_events(landed: pl.DataFrame) -> pl.DataFrame:
    """The matchmaking log, typed: ``event_at`` and ``updated_at`` in UTC."""
    return landed.select(
        *(_crm_timestamp(column) if column in EVENT_TIMESTAMPS else pl.col(column) for column in EVENT_COLUMNS),
        "data_origin",
        *LINEAGE_COLUMNS,
    )


def normalise_payments(landed: pl.DataFrame) -> pl.DataFrame:
    """The payment ledger, typed: ``payment_date`` as a date, timestamps in UTC, ``amount`` as an exact
    decimal in the contract's currency (``currency``)."""
    return landed.select(
        *(
            _crm_date(column)
            if column in PAYMENT_DATES
            else _crm_timestamp(column)
            if column in PAYMENT_TIMESTAMPS
            else _crm_amount(column)
            if column in PAYMENT_AMOUNTS
            else pl.col(column)
            for column in PAYMENT_COLUMNS
        ),
        "data_origin",
        *LINEAGE_COLUMNS,
    )
