"""The reference data from its real upstreams: ``park reference fetch`` (also ``python -m park.reference fetch``).

Every file of the reference folder the readers accept (the layout of ``PARK_REFERENCE_DIR``) is declared once
in :data:`UPSTREAMS`: the public address ``PROVENANCE.md`` names (a GitHub file at a pinned commit, or the
World Bank WDI API), the path it takes in the folder, how the upstream file becomes the folder's file where
they differ (the catalogue extract keeps 14 of its 47 columns), and the upstream file's SHA-256 where known.

How far each download is trusted (``Trust``), said in the summary and in the manifest:

- ``pinned``: the SHA-256 written in the declaration, of the upstream file at its pinned commit (the offline
  mirror holds byte-identical copies; tests/test_reference_upstreams.py checks the digests against it).
  A download that differs is refused.
- ``first use``: where no digest could be recorded (the declarations were written on a machine without
  internet, and the catalogue extract has no copy here to take it from), the first download's digest is
  recorded in the cache's manifest, and every later download of the file must match it.
- ``live API``: the WDI API's answers change whenever the World Bank revises its data; the file assembled
  from them is recorded with its digest (a damaged cache is noticed), fetched again only with ``--refresh``.

A mismatch raises :class:`ChecksumMismatchError` naming the file, the URL, the expected and the actual digest,
and writes nothing. Downloads go to a cache (``$PARK_DATA_DIR/cache/reference/<host>/<path>``, with
``manifest.json``), every file written whole or not at all (a temporary file renamed); a second fetch with a
complete cache whose digests match downloads nothing. The reference folder
(``$PARK_DATA_DIR/reference-upstream/``, with ``upstream.json`` saying where each file came from) is assembled
from the cache beside it and then put in place of the previous one, so it is never half written.
``PARK_REFERENCE_UPSTREAM_URL`` reads every file from a mirror (``<url>/<host>/<path>``), ``PARK_WDI_BASE_URL``
the WDI API from another address: tests point them at loopback servers.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, unquote, urlsplit

import httpx
import polars as pl
import typer

from extractors.nbs_province_gdp.extract import WORKBOOK
from extractors.reference_tables import extract as reference_tables
from extractors.world_bank.contract import INDICATORS, wdi_csv
from extractors.world_bank.extract import WdiClient, WdiError
from parkplatform.catalogue import CATALOGUE_COLUMNS, CATALOGUE_FILE
from parkplatform.config import Settings, get_settings
from parkplatform.http import HTTPFetchError, RetryPolicy, get_with_retries

MANIFEST = "manifest.json"
# the services run as an unprivileged account (Makefile): what is fetched must be readable by it
READABLE_FILE, READABLE_FOLDER = 0o644, 0o755
PROVENANCE_FILE = "upstream.json"
# the first year of the WDI series: the fetched extracts hold every year the World Bank publishes
WDI_FIRST_YEAR = 1960
WDI_COLUMNS = {"country_name": "Country Name", "country_iso3": "Country Code", "year": "Year", "value": "Value"}


class Trust(StrEnum):
    pinned = "pinned"
    first_use = "first use"
    live_api = "live API"


class ReferenceFetchError(RuntimeError):
    """A reference file could not be fetched: its upstream kept failing, refused, or sent something else."""


class ChecksumMismatchError(ReferenceFetchError):
    """A download differs from the digest pinned in the declaration or recorded on first use."""


def github_file(repository: str, commit: str, path: str) -> str:
    """The public address of a file of a GitHub repository at a commit (its path percent-encoded)."""
    return f"https://raw.githubusercontent.com/{repository}/{commit}/{quote(path)}"


@dataclass(frozen=True)
class UpstreamFile:
    """A file downloaded as it is published; ``keep_columns``: a CSV of which only these columns, in this
    order, become the folder's file (empty: the file as downloaded)."""

    target: Path
    url: str
    sha256: str | None
    keep_columns: tuple[str, ...] = ()

    @property
    def cache_key(self) -> str:
        """Where the file is kept in the cache: ``<host>/<path>`` of its public address, readable (not %-encoded)."""
        parts = urlsplit(self.url)
        return f"{parts.netloc}{unquote(parts.path)}"

    def source_url(self, settings: Settings) -> str:
        if settings.reference_upstream_url is None:
            return self.url
        parts = urlsplit(self.url)
        return f"{settings.reference_upstream_url}/{parts.netloc}{parts.path}"


@dataclass(frozen=True)
class WdiIndicator:
    """One WDI indicator, read page by page from the API and kept in the long layout of the offline mirror
    (Country Name, Country Code, Year, Value; only the observations, countries then years ascending)."""

    target: Path
    code: str
    sha256: None = None

    @property
    def cache_key(self) -> str:
        return f"api.worldbank.org/v2/country/all/indicator/{self.code}.csv"

    def source_url(self, settings: Settings) -> str:
        return f"{settings.wdi_base_url}/country/all/indicator/{self.code}"


Upstream = UpstreamFile | WdiIndicator

MODOOD = ("modood/Administrative-divisions-of-China", "57a0aa9cef47169a2eb74cf057b0245052a34e8c")
CHINAVIEW = ("chinaview/china-public-data", "934692c4430256bfa86608c9d9a87c4f52e9df53")
GBT4754_FOLDER = "国民经济行业分类"

# One declaration per file of the reference folder (PROVENANCE.md of the offline mirror says the same in prose).
UPSTREAMS: tuple[Upstream, ...] = (
    # the 2018 catalogue with geocodes; the platform keeps the columns it reads, in its order
    UpstreamFile(
        CATALOGUE_FILE,
        github_file(
            "kaiwulaw/china-industrial-zones-atlas", "358d79bb303c1cadbc98ef9244d5180f79184f5f", "data/enriched.csv"
        ),
        sha256=None,
        keep_columns=tuple(CATALOGUE_COLUMNS),
    ),
    # GB/T 2260 divisions (National Bureau of Statistics codes), WTFPL: dist/ holds them under the same names
    *(
        UpstreamFile(target, github_file(*MODOOD, f"dist/{target.name}"), sha256=digest)
        for target, digest in (
            (reference_tables.PROVINCES_FILE, "b17e76dab634e24e0f56021f15737c0a526dc7f0c4e39d21abeba5a8668383cd"),
            (reference_tables.CITIES_FILE, "a9c818e8a5120189173668b40882ce8bf59a7ec2b057c49d7a724a04bec727f2"),
            (reference_tables.AREAS_FILE, "169b8d99654c28cbd285e771e00688837f77af8d50c2b703592146388d2a99ab"),
        )
    ),
    # GB/T 4754-2017 and its ISIC Rev.4 crosswalk (appendix C of the standard), GPL-3.0 extract
    UpstreamFile(
        reference_tables.GBT4754_FILE,
        github_file(*CHINAVIEW, f"{GBT4754_FOLDER}/国民经济行业分类_2017.csv"),
        sha256="4f6765583c08ed6c093fab50f2668f7568ddc59fca8a61e020cea0ec5c1feb97",
    ),
    UpstreamFile(
        reference_tables.CROSSWALK_FILE,
        github_file(*CHINAVIEW, f"{GBT4754_FOLDER}/附录 C.csv"),
        sha256="36f7cde9132d317f24c8bc8b115851df06846997a76c027d3a5ae0c38751d97f",
    ),
    # ISO 3166 / M49 / ISO 4217: the repository datahub.io publishes its country-codes dataset from, PDDL
    UpstreamFile(
        reference_tables.COUNTRIES_FILE,
        github_file("datasets/country-codes", "caa72d1e0e5af8876c170bb36a9e4d64a01bba88", "data/country-codes.csv"),
        sha256="67b009b529330b0a6043551189f43faa785c9c3cc0011ad2bdb4eac876356c43",
    ),
    # the NBS "Annual by Province" export of Gross Regional Product, as kept by a public research repository
    UpstreamFile(
        WORKBOOK,
        github_file(
            "jialingzhang0730/Local_GDP_Estimates_Around_the_World",
            "c5b5de2f6a1659739e7be30c26f9225d3ef03c7c",
            "step2_obtain_gdp_data/inputs/gdp_data/regional/CHN/AnnualbyProvince.xls",
        ),
        sha256="7f08ebefa07e52b209eec0fcc9ad2faa29cd01863a7bc36e188ac871b4ae7b1d",
    ),
    # World Bank WDI, CC-BY-4.0: the indicators the world_bank source lands
    *(WdiIndicator(wdi_csv(Path(), code), code) for code in INDICATORS),
)


@dataclass(frozen=True)
class Fetched:
    """What became of one file: ``downloaded`` or ``cached``, with the digest it was checked against."""

    target: Path
    url: str
    status: str
    sha256: str
    trust: Trust


@dataclass(frozen=True)
class FetchReport:
    reference_dir: Path
    files: tuple[Fetched, ...]

    @property
    def downloaded(self) -> int:
        return sum(one.status == "downloaded" for one in self.files)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds ``data`` whole, or keeps what it held: written beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, READABLE_FILE)  # mkstemp's 0600 would hide it from the services' account
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def trust_of(upstream: Upstream) -> Trust:
    if isinstance(upstream, WdiIndicator):
        return Trust.live_api
    return Trust.pinned if upstream.sha256 else Trust.first_use


def _download(upstream: Upstream, settings: Settings, http: httpx.Client, policy: RetryPolicy) -> bytes:
    url = upstream.source_url(settings)
    try:
        if isinstance(upstream, UpstreamFile):
            return get_with_retries(http, url, policy, label=str(upstream.target)).content
        with WdiClient(settings.wdi_base_url, policy=policy) as client:
            rows = client.fetch_indicator(upstream.code, WDI_FIRST_YEAR, date.today().year)
    except (HTTPFetchError, WdiError) as error:
        raise ReferenceFetchError(f"{upstream.target}: could not fetch {url}: {error}") from error
    observed = rows.filter(pl.col("country_iso3").is_not_null() & pl.col("value").is_not_null())
    extract = observed.select(list(WDI_COLUMNS)).rename(WDI_COLUMNS).sort(["Country Code", "Year"], maintain_order=True)
    return extract.write_csv().encode()


def folder_file(upstream: Upstream, downloaded: bytes, url: str) -> bytes:
    """The reference folder's file made of the upstream's: the kept columns of a CSV, else the bytes as sent."""
    if not (isinstance(upstream, UpstreamFile) and upstream.keep_columns):
        return downloaded
    frame = pl.read_csv(io.BytesIO(downloaded), infer_schema=False)
    missing = [name for name in upstream.keep_columns if name not in frame.columns]
    if missing:
        raise ReferenceFetchError(
            f"{upstream.target}: the upstream file {url} lacks the column(s) {', '.join(missing)} "
            f"(found: {', '.join(frame.columns)})"
        )
    return frame.select(upstream.keep_columns).write_csv().encode()


class ReferenceCache:
    """The downloaded files as the upstreams sent them, and ``manifest.json``: per file, the URL it came from,
    its digest, size, trust and time."""

    def __init__(self, root: Path) -> None:
        self.root = root
        manifest = root / MANIFEST
        self.entries: dict[str, dict] = json.loads(manifest.read_text("utf-8"))["files"] if manifest.is_file() else {}

    def valid_copy(self, upstream: Upstream) -> bytes | None:
        """The cached file when it is there and has the digest recorded for it (and pinned, if pinned)."""
        entry, path = self.entries.get(upstream.cache_key), self.root / upstream.cache_key
        if entry is None or not path.is_file():
            return None
        data = path.read_bytes()
        digest = sha256(data)
        return data if digest == entry["sha256"] and upstream.sha256 in (None, digest) else None

    def expected_digest(self, upstream: Upstream) -> str | None:
        """The digest a download must have: pinned, else the one recorded on first use (never for a live API)."""
        if upstream.sha256 or trust_of(upstream) is Trust.live_api:
            return upstream.sha256
        entry = self.entries.get(upstream.cache_key)
        return entry["sha256"] if entry else None

    def store(self, upstream: Upstream, data: bytes, url: str) -> None:
        write_atomically(self.root / upstream.cache_key, data)
        self.entries[upstream.cache_key] = {
            "url": url,
            "sha256": sha256(data),
            "bytes": len(data),
            "trust": str(trust_of(upstream)),
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        # after every file, so that what was verified stays recorded when a later file fails
        write_atomically(self.root / MANIFEST, json.dumps({"files": self.entries}, indent=2).encode())


def fetch_reference(
    settings: Settings,
    *,
    upstreams: tuple[Upstream, ...] = UPSTREAMS,
    refresh: bool = False,
    policy: RetryPolicy | None = None,
    on_file: Callable[[Fetched], None] | None = None,
) -> FetchReport:
    """Download what the cache lacks (everything with ``refresh``), check each download's digest, and
    assemble the reference folder ``settings.upstream_reference_dir`` from the cache; returns what was done.

    Each request is tried ``settings.http_attempts`` times (PARK_HTTP_ATTEMPTS) unless ``policy`` says."""
    policy = policy or RetryPolicy(attempts=settings.http_attempts)
    cache = ReferenceCache(settings.reference_cache_dir)
    target_dir = settings.upstream_reference_dir
    target_dir.parent.mkdir(parents=True, exist_ok=True)
    assembly = Path(tempfile.mkdtemp(prefix=f".{target_dir.name}.", dir=target_dir.parent))
    assembly.chmod(READABLE_FOLDER)
    fetched: list[Fetched] = []
    try:
        with httpx.Client(timeout=policy.timeout, follow_redirects=True) as http:
            for upstream in upstreams:
                one = _fetch_one(upstream, settings, cache, http, policy, refresh, assembly)
                fetched.append(one)
                if on_file is not None:
                    on_file(one)
        provenance = {str(one.target): {**cache.entries[up.cache_key]} for one, up in zip(fetched, upstreams)}
        write_atomically(assembly / PROVENANCE_FILE, json.dumps(provenance, indent=2, ensure_ascii=False).encode())
        _replace_folder(assembly, target_dir)
    finally:
        shutil.rmtree(assembly, ignore_errors=True)
    return FetchReport(target_dir, tuple(fetched))


def _fetch_one(
    upstream: Upstream,
    settings: Settings,
    cache: ReferenceCache,
    http: httpx.Client,
    policy: RetryPolicy,
    refresh: bool,
    assembly: Path,
) -> Fetched:
    url = upstream.source_url(settings)
    data = None if refresh else cache.valid_copy(upstream)
    status = "cached"
    if data is None:
        data = _download(upstream, settings, http, policy)
        expected, actual = cache.expected_digest(upstream), sha256(data)
        if expected is not None and actual != expected:
            raise ChecksumMismatchError(
                f"{upstream.target}: the download of {url} has SHA-256 {actual}, expected {expected} "
                f"({trust_of(upstream)}); nothing was written. If the upstream really changed, check the new "
                f"file and update the declaration in park/reference.py (pinned) or delete "
                f"{settings.reference_cache_dir} (first use)"
            )
        cache.store(upstream, data, url)
        status = "downloaded"
    write_atomically(assembly / upstream.target, folder_file(upstream, data, url))
    return Fetched(upstream.target, url, status, sha256(data), trust_of(upstream))


def _replace_folder(assembled: Path, target: Path) -> None:
    """Put the assembled folder where the previous one was; the previous one goes only once the new one is in."""
    previous = target.with_name(f".{target.name}.previous")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        target.rename(previous)
    assembled.rename(target)
    shutil.rmtree(previous, ignore_errors=True)


app = typer.Typer(no_args_is_help=True, add_completion=False)


@app.callback()
def reference() -> None:
    """The reference data (catalogue, GB/T 2260 and GB/T 4754 tables, country codes, World Bank WDI) from
    their public upstreams, checked and cached under the data folder (python -m park.reference)."""


@app.command()
def fetch(
    refresh: Annotated[
        bool, typer.Option(help="download every file again (a changed file is still refused unless it is live WDI)")
    ] = False,
) -> None:
    """Download the reference files their cache lacks into $PARK_DATA_DIR/cache/reference/, check each one's
    SHA-256 (pinned, or recorded on first use), and assemble $PARK_DATA_DIR/reference-upstream/, a folder
    PARK_REFERENCE_DIR can point at. A second run with a complete cache downloads nothing. Mirrors:
    PARK_REFERENCE_UPSTREAM_URL (files) and PARK_WDI_BASE_URL (WDI)."""
    from rich.console import Console
    from rich.logging import RichHandler
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    console = Console()
    # the retry warnings of parkplatform.http, above the progress bar rather than through it
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(console=console)])
    settings = get_settings()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("reference files", total=len(UPSTREAMS))
        try:
            report = fetch_reference(
                settings,
                refresh=refresh,
                on_file=lambda one: progress.update(task, advance=1, description=str(one.target)),
            )
        except ReferenceFetchError as error:
            progress.stop()
            console.print(f"[bold red]✗ reference fetch failed[/]: {error}", highlight=False)
            raise typer.Exit(1) from None
    table = Table(title=f"Reference data in {report.reference_dir}", title_justify="left")
    for column in ("file", "status", "trust", "SHA-256", "from"):
        table.add_column(column)
    for one in report.files:
        table.add_row(str(one.target), one.status, str(one.trust), one.sha256[:12] + "…", one.url)
    console.print(table)
    console.print(
        f"{report.downloaded} of {len(report.files)} file(s) downloaded, the others from the cache "
        f"({settings.reference_cache_dir}). Use it: PARK_REFERENCE_DIR={report.reference_dir}",
        highlight=False,
    )


if __name__ == "__main__":
    app()
