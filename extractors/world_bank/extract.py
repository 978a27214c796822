"""Country indicators: the World Bank World Development Indicators (WDI) API v2.

``GET {base_url}/country/all/indicator/{code}?format=json&per_page=N&page=P&date=Y1:Y2`` answers
``[meta, rows]``; meta says how many pages and rows there are, each row is one country (or
aggregate: ARB, WLD, ... come mixed with countries) and year, with ``value`` null where there is no
observation. An invalid request answers HTTP 200 with ``[{"message": [...]}]``: that is an error,
never an empty load.

Transient faults (timeouts and other transport errors, HTTP 429, HTTP 5xx) are retried with
exponential backoff; when the attempts run out, or on any other HTTP error or malformed payload,
``WdiError`` names the indicator and the URL.

Landing is long format, one row per indicator x country x year as the API sent it: numbers are
parsed as text so that ``value`` keeps the exact digits of the payload (typing happens in the
normalisation step). ``_source_file`` is the URL of the page a row came from and ``_source_row``
its position (1-based) in that page. Rows with no observation (null ``value``) are landed as such:
they are the API's answer, not a fault.
"""

from __future__ import annotations

import json
import logging
from datetime import date
from typing import Any, Self

import httpx
import polars as pl

from extractors.world_bank.contract import FIRST_YEAR, INDICATORS
from parkplatform.config import Settings
from parkplatform.http import DEFAULT_POLICY, HTTPFetchError, RetryPolicy, get_with_retries
from parkplatform.landing import BatchReport, first_reject_reason, land_batch

log = logging.getLogger(__name__)

SOURCE = "world_bank"
PER_PAGE = 1000

YEAR_PATTERN = r"^\d{4}$"
ISO3_PATTERN = r"^[A-Z0-9]{3}$"
NUMBER_PATTERN = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"

# one row of the API, numbers kept as the text the server wrote (json.loads(parse_int/parse_float=str))
ROW_SCHEMA = {
    "indicator": pl.Struct({"id": pl.String, "value": pl.String}),
    "country": pl.Struct({"id": pl.String, "value": pl.String}),
    "countryiso3code": pl.String,
    "date": pl.String,
    "value": pl.String,
    "unit": pl.String,
    "obs_status": pl.String,
    "decimal": pl.String,
}


class WdiError(RuntimeError):
    """The WDI API refused the request, kept failing, or answered something that is not WDI data."""


class WdiClient:
    """A small client of the WDI API v2: pages through one indicator and returns its rows."""

    def __init__(
        self,
        base_url: str,
        *,
        policy: RetryPolicy = DEFAULT_POLICY,
        per_page: int = PER_PAGE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.policy = policy
        self.per_page = per_page
        self._http = httpx.Client(timeout=policy.timeout, transport=transport, follow_redirects=True)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def indicator_url(self, code: str, page: int, first_year: int, last_year: int) -> str:
        query = f"format=json&per_page={self.per_page}&page={page}&date={first_year}:{last_year}"
        return f"{self.base_url}/country/all/indicator/{code}?{query}"

    def fetch_indicator(self, code: str, first_year: int, last_year: int) -> pl.DataFrame:
        """Every row of ``code`` for the years, page by page, with the page URL and row position."""
        frames: list[pl.DataFrame] = []
        page, pages, total = 1, 1, 0
        while page <= pages:
            url = self.indicator_url(code, page, first_year, last_year)
            meta, rows = self._get_page(code, url)
            pages, total = meta["pages"], meta["total"]
            if meta["page"] != page:
                raise WdiError(f"WDI indicator {code}: asked for page {page}, got page {meta['page']} from {url}")
            frames.append(_rows_frame(rows, code, url))
            page += 1
        received = sum(frame.height for frame in frames)
        if received != total:
            raise WdiError(
                f"WDI indicator {code}: meta announced {total} rows over {pages} page(s), received {received} "
                f"(last URL {self.indicator_url(code, pages, first_year, last_year)})"
            )
        if total == 0:
            log.warning("WDI indicator %s has no rows for %s:%s", code, first_year, last_year)
        return pl.concat(frames, how="vertical") if frames else _rows_frame([], code, "")

    def _get_page(self, code: str, url: str) -> tuple[dict[str, int], list[dict[str, Any]]]:
        try:
            response = get_with_retries(self._http, url, self.policy, label=f"WDI indicator {code}")
        except HTTPFetchError as exc:
            raise WdiError(f"WDI indicator {code}: {exc}") from exc
        return _parse_payload(code, url, response.content)


def _parse_payload(code: str, url: str, content: bytes) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """``[meta, rows]`` checked for shape; the API's error message and anything else raise WdiError."""
    try:
        payload = json.loads(content, parse_int=str, parse_float=str)
    except ValueError as exc:
        raise WdiError(f"WDI indicator {code}: the answer of {url} is not JSON ({exc}): {content[:200]!r}") from exc

    if isinstance(payload, list) and len(payload) == 1 and isinstance(payload[0], dict) and "message" in payload[0]:
        messages = payload[0]["message"]
        text = "; ".join(
            f"{m.get('id', '?')} {m.get('key', '')}: {m.get('value', '')}".strip()
            for m in (messages if isinstance(messages, list) else [messages])
            if isinstance(m, dict)
        )
        raise WdiError(f"WDI indicator {code}: the API rejected {url}: {text or repr(messages)}")

    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], dict)):
        raise WdiError(f"WDI indicator {code}: the answer of {url} is not [meta, rows]: {content[:200]!r}")
    raw_meta, rows = payload
    try:
        meta = {key: int(raw_meta[key]) for key in ("page", "pages", "per_page", "total")}
    except (KeyError, TypeError, ValueError) as exc:
        raise WdiError(
            f"WDI indicator {code}: the meta of {url} lacks page/pages/per_page/total: {raw_meta!r}"
        ) from exc
    if rows is None:  # the API's answer when nothing matches
        rows = []
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise WdiError(f"WDI indicator {code}: the rows of {url} are not a list of objects")
    return meta, rows


def _rows_frame(rows: list[dict[str, Any]], code: str, url: str) -> pl.DataFrame:
    try:
        raw = pl.from_dicts(rows, schema=ROW_SCHEMA, strict=False) if rows else pl.DataFrame(schema=ROW_SCHEMA)
    except Exception as exc:  # polars raises several types for rows that do not fit the schema
        raise WdiError(f"WDI indicator {code}: the rows of {url} do not have the WDI row shape: {exc}") from exc
    return raw.select(
        pl.col("indicator").struct.field("id").alias("indicator_id"),
        pl.col("indicator").struct.field("value").alias("indicator_name"),
        pl.col("country").struct.field("id").alias("country_id"),
        pl.col("countryiso3code").alias("country_iso3"),
        pl.col("country").struct.field("value").alias("country_name"),
        pl.col("date").alias("year"),
        pl.col("value"),
        pl.col("unit"),
        pl.col("obs_status"),
        pl.col("decimal"),
    ).with_columns(
        pl.col(pl.String).str.strip_chars().replace("", None),
        pl.lit(code).alias("requested_indicator"),
        pl.lit(url).alias("_source_file"),
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("_source_row"),
    )


def validation_rules(first_year: int, last_year: int) -> list[tuple[str, pl.Expr]]:
    year = pl.col("year")
    return [
        (
            "indicator_id (indicator.id) is not the requested indicator",
            pl.col("indicator_id") != pl.col("requested_indicator"),
        ),
        ("country_iso3 (countryiso3code) is missing", pl.col("country_iso3").is_null()),
        (
            "country_iso3 (countryiso3code) is not 3 upper-case letters or digits",
            ~pl.col("country_iso3").str.contains(ISO3_PATTERN),
        ),
        ("year (date) is missing", year.is_null()),
        ("year (date) is not a 4-digit year", ~year.str.contains(YEAR_PATTERN)),
        (
            f"year (date) is outside the requested range {first_year}:{last_year}",
            ~year.cast(pl.Int32, strict=False).is_between(first_year, last_year),
        ),
        (
            "value is not a number",
            pl.col("value").is_not_null() & ~pl.col("value").str.contains(NUMBER_PATTERN),
        ),
    ]


def validate(received: pl.DataFrame, first_year: int, last_year: int) -> pl.DataFrame:
    return received.with_columns(first_reject_reason(validation_rules(first_year, last_year)))


def read_indicators(
    base_url: str,
    first_year: int,
    last_year: int,
    *,
    indicators: tuple[str, ...] = tuple(INDICATORS),
    policy: RetryPolicy = DEFAULT_POLICY,
    per_page: int = PER_PAGE,
) -> pl.DataFrame:
    """The rows of every indicator as received (not yet validated)."""
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    with WdiClient(base_url, policy=policy, per_page=per_page) as client:
        frames = [client.fetch_indicator(code, first_year, last_year) for code in indicators]
    return pl.concat(frames, how="vertical")


def extract(
    settings: Settings,
    logical_date: date,
    *,
    first_year: int = FIRST_YEAR,
    last_year: int | None = None,
    indicators: tuple[str, ...] = tuple(INDICATORS),
    policy: RetryPolicy | None = None,
    per_page: int = PER_PAGE,
) -> BatchReport:
    """Land every indicator for ``first_year`` up to ``last_year`` (default: the logical date's year).

    Without ``policy``, each request is tried ``settings.http_attempts`` times (PARK_HTTP_ATTEMPTS)."""
    last = logical_date.year if last_year is None else last_year
    policy = policy or RetryPolicy(attempts=settings.http_attempts)
    received = read_indicators(
        settings.wdi_base_url, first_year, last, indicators=indicators, policy=policy, per_page=per_page
    )
    return land_batch(
        validate(received, first_year, last).drop("requested_indicator"),
        source=SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
    )
