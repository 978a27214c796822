"""The inbox: where park offices' files and the CRM's member-list exports arrive, with a receipt for each.

Layout under ``$PARK_INBOX_DIR`` (default ``<PARK_DATA_DIR>/inbox``)::

    park_submissions/<period>/<park>/<file>      period: YYYY-MM, YYYYQn or YYYY (an office's cadence)
    alliance_members/<export date>/<file>        export date: YYYY-MM-DD
    receipts.jsonl                               the ledger: one JSON object per event, append-only

A file gets in two ways, with the same result: ``park intake submit`` (or ``python -m parkplatform.intake
submit``) copies it in whole and records its receipt at once; a file put into the layout by other means
(a shared folder, SFTP) gets its receipt when an extract next scans the inbox (sender ``inbox-folder``).
A receipt records the sender, the time, the size, the SHA-256 and the original name. ``<park>`` is a
catalogue code or a name (Chinese, with the usual abbreviations: 天津经开区) that resolves to exactly one
catalogue zone; a park that does not resolve, or resolves to several zones, sends the whole file to the
review list (status ``review`` with the reason), never to the bin. An exact duplicate of a file already
received for the source is refused. A file for the same park and period as an earlier one is a
resubmission: the newer receipt is current and the earlier one is superseded (its file, receipt and
landed rows are kept; the warehouse counts only the current receipt's rows). A file in review is released
by submitting the same file again with a park that resolves (its review receipt is then superseded).

The extracts read the receipts not yet landed (:meth:`Inbox.pending`), land them and record each
receipt's outcome in the ledger (:meth:`Inbox.record_landing`), so that the intake report can say for
every file what happened to it. Nothing in the inbox is ever deleted or rewritten by the platform.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from parkplatform.config import Settings, get_settings
from parkplatform.receipts import (
    ACCEPTED,
    INBOX_SOURCES,
    REVIEW,
    SUBMISSIONS,
    IntakeError,
    Period,
    period_of,
)

LEDGER_FILE = "receipts.jsonl"
FOLDER_SENDER = "inbox-folder"  # a file found in the inbox without a receipt

# what the ledger records about a receipt; the intake report and the warehouse table read these
RECEIPT_COLUMNS = {
    "receipt_id": pl.String,
    "source": pl.String,
    "period": pl.String,
    "period_kind": pl.String,
    "period_start": pl.Date,
    "period_end": pl.Date,
    "park_as_sent": pl.String,
    "park_code": pl.String,
    "receipt_status": pl.String,
    "review_reason": pl.String,
    "original_name": pl.String,
    "path": pl.String,
    "size_bytes": pl.Int64,
    "sha256": pl.String,
    "sender": pl.String,
    "received_at": pl.Datetime("us", "UTC"),
    "generated": pl.Boolean,
    "superseded_by": pl.String,
    "batch_id": pl.String,
    "rows_received": pl.Int64,
    "rows_landed": pl.Int64,
    "rows_quarantined": pl.Int64,
    "file_error": pl.String,
}


# -------------------------------------------------------------------------------------------- parks


@dataclass(frozen=True)
class ParkMatch:
    code: str | None
    reason: str | None  # why the file goes to review (None when resolved)


class ParkResolver:
    """A park as an office names its folder: a catalogue or alliance code, or a name resolving to exactly one park."""

    def __init__(self, zones: pl.DataFrame) -> None:
        """``zones``: ``zone_code``, ``zone_name``, ``province_name`` of every catalogue zone (a code may repeat)."""
        from parkplatform.park_names import leading_province, normalise_park_name

        self._zones = zones.select("zone_code", "zone_name", "province_name").with_columns(
            normalise_park_name(pl.col("zone_name")).alias("key")
        )
        self._key = lambda name: pl.select(
            normalise_park_name(pl.lit(name)).alias("key"), leading_province(pl.lit(name)).alias("province")
        ).row(0)

    @classmethod
    def from_settings(cls, settings: Settings) -> ParkResolver:
        """The catalogue's zones and the alliance's own members that the catalogue does not list."""
        from parkplatform import catalogue

        zones = catalogue.valid_registry(settings).select("zone_code", "zone_name", "province_name")
        return cls(pl.concat([zones, alliance_only_parks(settings)]))

    @cached_property
    def codes(self) -> list[str]:
        """Every park code an office may submit under: the catalogue's and the alliance-only members'."""
        return self._zones["zone_code"].unique().sort().to_list()

    @cached_property
    def names(self) -> dict[str, str]:
        """Full zone name -> code of the zones whose code and name are their own (for title lines)."""
        unique = self._zones.filter(pl.len().over("zone_code") == 1, pl.len().over("zone_name") == 1)
        return dict(zip(unique["zone_name"], unique["zone_code"], strict=True))

    def resolve(self, park: str) -> ParkMatch:
        text = park.strip()
        # codes as offices type them: g121002 is G121002; alliance A-codes carry lower-case hex digits
        by_code = self._zones.filter(pl.col("zone_code").str.to_uppercase() == text.upper())
        if by_code.height == 1:
            return ParkMatch(by_code["zone_code"][0], None)
        if by_code.height > 1:
            names = "、".join(by_code["zone_name"].to_list())
            return ParkMatch(
                None, f"park code {by_code['zone_code'][0]} is shared by several catalogue zones ({names})"
            )
        # a name starting with its province (天津经开区) is compared within that province only
        key, province = self._key(text)
        by_name = self._zones.filter(pl.col("key") == key)
        if province is not None:
            by_name = by_name.filter(pl.col("province_name") == province)
        by_name = by_name.unique("zone_code", maintain_order=True)
        if by_name.height == 1 and self._zones.filter(pl.col("zone_code") == by_name["zone_code"][0]).height == 1:
            return ParkMatch(by_name["zone_code"][0], None)
        if by_name.height >= 1:
            candidates = ", ".join(f"{c} {n}" for c, n in by_name.select("zone_code", "zone_name").iter_rows())
            return ParkMatch(None, f"park {text!r} is ambiguous: it names {candidates}")
        return ParkMatch(
            None,
            f"park {text!r} is neither a catalogue or alliance code nor the name of a catalogue zone or alliance member",
        )


def alliance_only_parks(settings: Settings) -> pl.DataFrame:
    """Members of the alliance that the catalogue does not list (company-run, approved after 2018, overseas),
    under their alliance A-code, name and province, from the newest landed member list; none before one landed.
    Their offices submit like any other park's."""
    from parkplatform.landing import LANDED_FILE, latest_batch

    columns = {"zone_code": pl.String, "zone_name": pl.String, "province_name": pl.String}
    try:
        members = pl.read_parquet(latest_batch(settings.landing_dir, "alliance_members") / LANDED_FILE)
    except FileNotFoundError:
        return pl.DataFrame(schema=columns)
    return (
        members.filter(pl.col("match_status") == "alliance_only")
        .select(
            pl.col("park_id").alias("zone_code"),
            pl.col("member_name").alias("zone_name"),
            pl.col("member_province").alias("province_name"),
        )
        .unique("zone_code", maintain_order=True)
        .cast(columns)
    )


# ----------------------------------------------------------------------------------------- receipts


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    source: str
    period: str
    period_kind: str
    park_as_sent: str | None
    park_code: str | None
    status: str  # accepted | review
    review_reason: str | None
    original_name: str
    path: str  # relative to the inbox
    size_bytes: int
    sha256: str
    sender: str
    received_at: str  # ISO 8601, UTC
    generated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED


@dataclass(frozen=True)
class Landing:
    receipt_id: str
    batch_id: str
    rows_received: int
    rows_landed: int
    rows_quarantined: int
    file_error: str | None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe_part(text: str) -> str:
    """A folder name from what an office typed: no separators, no leading dots."""
    cleaned = re.sub(r"[/\\\x00-\x1f]", "_", text.strip()).lstrip(".")
    return cleaned or "_"


def _receipts_in(events: Sequence[dict], source: str | None = None) -> list[Receipt]:
    """The receipts of the ledger's ``events`` in the order received (of ``source`` only, when given)."""
    found = [
        Receipt(**{k: v for k, v in event.items() if k != "event"}) for event in events if event["event"] == "received"
    ]
    return [receipt for receipt in found if source is None or receipt.source == source]


def _landings_in(events: Sequence[dict]) -> dict[str, Landing]:
    """The newest landing of each receipt among the ledger's ``events``."""
    landed: dict[str, Landing] = {}
    for event in events:
        if event["event"] == "landed":
            landed[event["receipt_id"]] = Landing(**{k: v for k, v in event.items() if k != "event"})
    return landed


def _superseded_in(receipts: Sequence[Receipt]) -> dict[str, str]:
    """Receipt id -> the id of the receipt replacing it, among the ``receipts`` of one source (see
    :meth:`Inbox.superseded`)."""
    by_key: dict[tuple[str | None, str], list[str]] = {}
    accepted_by_digest: dict[str, str] = {}
    for receipt in receipts:
        if receipt.accepted:
            by_key.setdefault((receipt.park_code, receipt.period), []).append(receipt.receipt_id)
            accepted_by_digest.setdefault(receipt.sha256, receipt.receipt_id)
    replaced = {old: ids[-1] for ids in by_key.values() for old in ids[:-1]}
    for receipt in receipts:
        release = accepted_by_digest.get(receipt.sha256)
        if not receipt.accepted and release is not None and release > receipt.receipt_id:
            replaced[receipt.receipt_id] = release
    return replaced


class Inbox:
    """The inbox folder and its ledger of receipts."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.ledger = self.root / LEDGER_FILE

    @classmethod
    def from_settings(cls, settings: Settings) -> Inbox:
        assert settings.inbox_dir is not None
        return cls(settings.inbox_dir)

    # -- the ledger

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time (an office submitting while an extract scans)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / f".{LEDGER_FILE}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _events(self) -> list[dict]:
        if not self.ledger.is_file():
            return []
        with self.ledger.open(encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def _append(self, events: Sequence[dict]) -> None:
        with self.ledger.open("a", encoding="utf-8") as handle:
            for event in events:
                handle.write(json.dumps(event, ensure_ascii=False, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def receipts(self, source: str | None = None) -> list[Receipt]:
        """Every receipt in the order received (of ``source`` only, when given)."""
        return _receipts_in(self._events(), source)

    def landings(self) -> dict[str, Landing]:
        """The newest landing of each receipt."""
        return _landings_in(self._events())

    def superseded(self, source: str) -> dict[str, str]:
        """Receipt id -> the id of the receipt that replaces it: for an accepted file, the current (newest
        accepted) receipt for the same park and period; for a file in review, the receipt under which the
        same bytes were accepted later (the file released from review with its park)."""
        return _superseded_in(self.receipts(source))

    # -- receiving

    def submit(
        self,
        source: str,
        files: Sequence[Path],
        *,
        period: str,
        park: str | None = None,
        sender: str,
        resolver: ParkResolver | None = None,
        generated: bool = False,
        skip_identical: bool = False,
    ) -> list[Receipt]:
        """Copy ``files`` of one park (none for the member list) into the inbox, a receipt for each."""
        return self.receive(
            source,
            [(Path(file), park) for file in files],
            period=period,
            sender=sender,
            resolver=resolver,
            generated=generated,
            skip_identical=skip_identical,
        )

    def receive(
        self,
        source: str,
        items: Sequence[tuple[Path, str | None]],
        *,
        period: str,
        sender: str,
        resolver: ParkResolver | None = None,
        generated: bool = False,
        skip_identical: bool = False,
    ) -> list[Receipt]:
        """Copy each ``(file, park)`` of ``items`` into the inbox and record a receipt for each (see the
        module docstring), under one lock and one read of the ledger however many files.

        An exact duplicate (same bytes as a file already accepted for ``source``) raises
        :class:`IntakeError` before anything of ``items`` is stored, or is skipped with
        ``skip_identical`` (a generator sending the same period twice). The same bytes as a file in
        review are accepted: that is how a file is released from review (with its park's code)."""
        if source not in INBOX_SOURCES:
            raise IntakeError(f"source {source!r} has no inbox; expected one of {', '.join(INBOX_SOURCES)}")
        the_period = period_of(source, period)
        missing = [str(path) for path, _ in items if not Path(path).is_file()]
        if missing:
            raise IntakeError(f"no such file: {', '.join(missing)}")
        if source == SUBMISSIONS:
            if any(not park or not park.strip() for _, park in items):
                raise IntakeError("a park submission needs its park (--park: catalogue or alliance code, or name)")
            resolver = resolver or ParkResolver.from_settings(get_settings())
        receipts = []
        with self._locked():
            known = {receipt.sha256: receipt for receipt in self.receipts(source) if receipt.accepted}
            digests = [sha256_of(Path(path)) for path, _ in items]
            duplicates = [
                (path, known[digest]) for (path, _), digest in zip(items, digests, strict=True) if digest in known
            ]
            if duplicates and not skip_identical:
                file, earlier = duplicates[0]
                raise IntakeError(
                    f"{file}: identical to {earlier.original_name!r} received {earlier.received_at} from "
                    f"{earlier.sender} (receipt {earlier.receipt_id}, SHA-256 {earlier.sha256[:12]}…); not stored again"
                )
            for (file, park), digest in zip(items, digests, strict=True):
                if digest in known:
                    continue
                match = self._park(source, park, resolver)
                target = self._free_name(self._folder(source, the_period, park, match), Path(file).name, digest)
                staging = target.with_name(f".{target.name}.partial")
                shutil.copyfile(file, staging)
                os.replace(staging, target)
                receipt = self._receipt(
                    source, the_period, park, match, target, Path(file).name, digest, sender, generated=generated
                )
                known[digest] = receipt
                receipts.append(receipt)
            self._append([{"event": "received", **asdict(receipt)} for receipt in receipts])
        return receipts

    def scan(self, source: str, resolver: ParkResolver | None = None) -> list[Receipt]:
        """Receipts for files put into the inbox without ``submit`` (new, or changed in place); a file
        outside the layout (``<period>/<park>/<file>``, ``<export date>/<file>``) or with a period that is
        not one goes to review with the reason."""
        base = self.root / source
        if not base.is_dir():
            return []
        new = []
        with self._locked():
            by_path = {receipt.path: receipt for receipt in self.receipts(source)}
            for file in sorted(base.rglob("*")):
                if not file.is_file() or any(part.startswith(".") for part in file.relative_to(base).parts):
                    continue
                relative = file.relative_to(self.root).as_posix()
                earlier = by_path.get(relative)
                digest = sha256_of(file)
                if earlier is not None and earlier.sha256 == digest:
                    continue
                the_period, park, match = self._place(source, file.relative_to(base).parts, resolver)
                notes = [] if earlier is None else [f"replaced in place; receipt {earlier.receipt_id} had other bytes"]
                receipt = self._receipt(
                    source, the_period, park, match, file, file.name, digest, FOLDER_SENDER, notes=notes
                )
                self._append([{"event": "received", **asdict(receipt)}])
                new.append(receipt)
        return new

    def _place(
        self, source: str, parts: tuple[str, ...], resolver: ParkResolver | None
    ) -> tuple[Period, str | None, ParkMatch]:
        """The period, park and park match of a file found at ``parts`` under the source's folder."""
        depth = 3 if source == SUBMISSIONS else 2
        layout = "<period>/<park>/<file>" if source == SUBMISSIONS else "<export date>/<file>"
        unknown = Period(parts[0] if len(parts) > 1 else "", "unknown", date.min, date.min)
        if len(parts) != depth:
            return unknown, None, ParkMatch(None, f"not in the inbox layout {source}/{layout}")
        park = parts[1] if source == SUBMISSIONS else None
        try:
            the_period = period_of(source, parts[0])
        except IntakeError as error:
            return unknown, park, ParkMatch(None, str(error))
        if source == SUBMISSIONS:
            resolver = resolver or ParkResolver.from_settings(get_settings())
        return the_period, park, self._park(source, park, resolver)

    def _park(self, source: str, park: str | None, resolver: ParkResolver | None) -> ParkMatch:
        if source != SUBMISSIONS or resolver is None or park is None:
            return ParkMatch(None, None)
        return resolver.resolve(park)

    def _folder(self, source: str, period: Period, park: str | None, match: ParkMatch) -> Path:
        folder = self.root / source / period.label
        if source == SUBMISSIONS:
            folder = folder / _safe_part(match.code or park or "_")
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    @staticmethod
    def _free_name(folder: Path, name: str, digest: str) -> Path:
        """The file's own name, or, when the folder already holds one of that name (a resubmission), the
        name with the start of its SHA-256 before the suffix: the earlier file stays as it was."""
        target = folder / _safe_part(name)
        if not target.exists():
            return target
        return target.with_name(f"{target.stem}.{digest[:12]}{target.suffix}")

    def _receipt(
        self,
        source: str,
        period: Period,
        park: str | None,
        match: ParkMatch,
        stored: Path,
        original_name: str,
        digest: str,
        sender: str,
        *,
        generated: bool = False,
        notes: list[str] | None = None,
    ) -> Receipt:
        now = datetime.now(UTC)
        return Receipt(
            receipt_id=f"{now:%Y%m%dT%H%M%S%f}-{digest[:8]}",
            source=source,
            period=period.label,
            period_kind=period.kind,
            park_as_sent=park,
            park_code=match.code,
            status=REVIEW if match.reason else ACCEPTED,
            review_reason=match.reason,
            original_name=original_name,
            path=stored.relative_to(self.root).as_posix(),
            size_bytes=stored.stat().st_size,
            sha256=digest,
            sender=sender,
            received_at=now.isoformat(),
            generated=generated,
            notes=notes or [],
        )

    # -- landing

    def pending(self, source: str, batch_id: str) -> list[Receipt]:
        """Current accepted receipts of ``source`` not landed yet, or landed by ``batch_id`` (a re-run of the
        same logical date lands them again), oldest first. A file superseded before it was landed is not
        read: its newer file is."""
        events = self._events()
        receipts = _receipts_in(events, source)
        landed = _landings_in(events)
        superseded = _superseded_in(receipts)
        return [
            receipt
            for receipt in receipts
            if receipt.accepted
            and receipt.receipt_id not in superseded
            and (receipt.receipt_id not in landed or landed[receipt.receipt_id].batch_id == batch_id)
        ]

    def path(self, receipt: Receipt) -> Path:
        return self.root / receipt.path

    def record_landing(self, landings: Sequence[Landing]) -> None:
        with self._locked():
            self._append([{"event": "landed", **asdict(landing)} for landing in landings])

    # -- the report

    def table(self) -> pl.DataFrame:
        """Every receipt with its period's dates, whether a newer one superseded it, and its landing."""
        events = self._events()
        receipts = _receipts_in(events)
        landed = _landings_in(events)
        superseded = {
            rid: new
            for source in INBOX_SOURCES
            for rid, new in _superseded_in([receipt for receipt in receipts if receipt.source == source]).items()
        }
        rows = []
        for receipt in receipts:
            try:
                period = period_of(receipt.source, receipt.period)
                start, end = period.start, period.end
            except IntakeError:
                start = end = None
            landing = landed.get(receipt.receipt_id)
            rows.append(
                {
                    **{name: getattr(receipt, name) for name in RECEIPT_COLUMNS if hasattr(receipt, name)},
                    "receipt_status": receipt.status,
                    "period_start": start,
                    "period_end": end,
                    "received_at": datetime.fromisoformat(receipt.received_at),
                    "superseded_by": superseded.get(receipt.receipt_id),
                    **({k: v for k, v in asdict(landing).items() if k != "receipt_id"} if landing else {}),
                }
            )
        return (
            pl.DataFrame(rows, schema=RECEIPT_COLUMNS, orient="row") if rows else pl.DataFrame(schema=RECEIPT_COLUMNS)
        )


# ----------------------------------------------------------------------------------------- commands

app = typer.Typer(
    name="intake",
    help="The inbox where park offices' files and member-list exports arrive: submit files, list receipts.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def submit(
    files: Annotated[list[Path], typer.Argument(help="the file(s) as the office sent them (CSV, XLSX, XLS)")],
    source: Annotated[str, typer.Option(help="park_submissions or alliance_members")] = SUBMISSIONS,
    park: Annotated[str | None, typer.Option(help="catalogue code (G120011) or park name (天津经开区)")] = None,
    period: Annotated[
        str | None, typer.Option(help="YYYY-MM, YYYYQn or YYYY (park_submissions); YYYY-MM-DD (alliance_members)")
    ] = None,
    sender: Annotated[str | None, typer.Option(help="who sent it (default: the login name)")] = None,
) -> None:
    """Receive files as an office would send them: copied in whole, with a receipt each."""
    if period is None:
        raise typer.BadParameter("--period is required", param_hint="--period")
    inbox = Inbox.from_settings(get_settings())
    try:
        receipts = inbox.submit(source, files, period=period, park=park, sender=sender or getpass.getuser())
    except IntakeError as error:
        typer.echo(f"refused: {error}", err=True)
        raise typer.Exit(1) from None
    for receipt in receipts:
        outcome = "received" if receipt.accepted else f"sent for review: {receipt.review_reason}"
        typer.echo(
            f"{receipt.original_name}: {outcome} (receipt {receipt.receipt_id}, {receipt.size_bytes} bytes, "
            f"SHA-256 {receipt.sha256[:12]}…) → {inbox.root / receipt.path}"
        )


@app.command("list")
def list_receipts(
    source: Annotated[str | None, typer.Option(help="only this source")] = None,
    period: Annotated[str | None, typer.Option(help="only this period")] = None,
) -> None:
    """Every receipt: what arrived, for which park and period, and what happened to it."""
    table = Inbox.from_settings(get_settings()).table()
    if source:
        table = table.filter(pl.col("source") == source)
    if period:
        table = table.filter(pl.col("period") == period)
    if table.is_empty():
        typer.echo("no receipts")
        return
    for row in table.iter_rows(named=True):
        if row["receipt_status"] == REVIEW:
            outcome = f"REVIEW: {row['review_reason']}"
        elif row["superseded_by"]:
            outcome = f"superseded by {row['superseded_by']}"
        elif row["batch_id"] is None:
            outcome = "waiting for the next extract"
        elif row["file_error"]:
            outcome = f"REJECTED: {row['file_error']}"
        else:
            outcome = f"landed {row['rows_landed']} of {row['rows_received']} rows in {row['batch_id']}"
        typer.echo(
            f"{row['receipt_id']}  {row['source']}  {row['period']}  {row['park_code'] or row['park_as_sent'] or '-'}  "
            f"{row['original_name']}  {row['sender']}  {outcome}"
        )


if __name__ == "__main__":
    app()
