"""A loopback mirror of the World Bank WDI API v2 (no network beyond 127.0.0.1).

Used by the tests and by `make demo` (park.demo.wdi_served_from_reference), which has no
internet: both serve the real extracts kept in the reference folder.

Serves the real WDI extracts in ``$PARK_REFERENCE_DIR/world/wdi/<code>.csv`` (Country Name,
Country Code, Year, Value) in the API's own JSON shape:
``GET /v2/country/all/indicator/{code}?format=json&per_page=N&page=P&date=Y1:Y2`` ->
``[{"page","pages","per_page","total","sourceid","lastupdated"}, [rows]]``, rows ordered by country
then year descending, like the API. An unknown indicator or a bad ``date`` answers the API's
HTTP 200 ``[{"message":[{"id":"120","key":"Invalid value",...}]}]``.

Deviation from the real API: ``country.id`` is the ISO3 code (the CSVs carry no ISO2 code).

Fault modes (set with ``fault(...)``, consumed request by request): ``"429"`` and ``"500"`` answer
that status ``times`` times and then serve normally (``times=None``: forever); ``"invalid"``
answers the invalid-value message; ``"malformed"`` answers a body that is not JSON; ``"not_wdi"``
answers JSON of another shape; ``"slow"`` waits ``delay`` seconds before answering.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl

from extractors.world_bank.contract import wdi_csv
from simulators.loopback import LoopbackServer

PATH_PREFIX = "/v2/country/all/indicator/"
INVALID_VALUE = [
    {"message": [{"id": "120", "key": "Invalid value", "value": "The provided parameter value is not valid"}]}
]


def read_wdi_csv(reference_dir: Path, code: str) -> pl.DataFrame:
    """The CSV as text, in the API's order: country as in the file, then year descending."""
    raw = pl.read_csv(wdi_csv(reference_dir, code), infer_schema=False)
    return raw.sort(["Country Code", "Year"], descending=[False, True], maintain_order=True)


def _number(text: str | None) -> int | float | None:
    if text is None or text == "":
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


@dataclass
class _Fault:
    mode: str
    times: int | None
    delay: float = 0.0


@dataclass
class MirrorState:
    reference_dir: Path
    faults: list[_Fault] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    cache: dict[str, pl.DataFrame] = field(default_factory=dict)

    def next_fault(self) -> _Fault | None:
        with self.lock:
            if not self.faults:
                return None
            fault = self.faults[0]
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.pop(0)
            return fault

    def indicator(self, code: str) -> pl.DataFrame | None:
        with self.lock:
            if code not in self.cache:
                path = wdi_csv(self.reference_dir, code)
                if not path.is_file():
                    return None
                self.cache[code] = read_wdi_csv(self.reference_dir, code)
            return self.cache[code]


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test and demo output quiet
        pass

    def do_GET(self) -> None:
        state = self.server.state
        with state.lock:
            state.requests.append(self.path)
        fault = state.next_fault()
        if fault is not None:
            if fault.mode == "slow":
                time.sleep(fault.delay)
            elif fault.mode in ("429", "500", "503"):
                self._send(int(fault.mode), b'{"error": "fault injected by the mirror"}')
                return
            elif fault.mode == "invalid":
                self._json(INVALID_VALUE)
                return
            elif fault.mode == "malformed":
                self._send(200, b"<html><body>Service temporarily in maintenance</body></html>", "text/html")
                return
            elif fault.mode == "not_wdi":
                self._json({"page": 1, "data": []})
                return
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        if not url.path.startswith(PATH_PREFIX):
            self._send(404, b"not found", "text/plain")
            return
        code = url.path[len(PATH_PREFIX) :].strip("/")
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        frame = self.server.state.indicator(code)
        try:
            per_page = int(query.get("per_page", "50"))
            page = int(query.get("page", "1"))
            first, _, last = query.get("date", "1900:2100").partition(":")
            first_year, last_year = int(first), int(last or first)
        except ValueError:
            frame = None
        if frame is None or query.get("format") != "json" or per_page < 1 or page < 1:
            self._json(INVALID_VALUE)
            return
        selected = frame.filter(pl.col("Year").cast(pl.Int32).is_between(first_year, last_year))
        total = selected.height
        pages = -(-total // per_page)
        chunk = selected.slice((page - 1) * per_page, per_page)
        meta = {
            "page": page,
            "pages": pages,
            "per_page": per_page,
            "total": total,
            "sourceid": "2",
            "lastupdated": "2026-07-01",
        }
        rows = [
            {
                "indicator": {"id": code, "value": f"{code} (loopback mirror)"},
                "country": {"id": iso3, "value": country},
                "countryiso3code": iso3,
                "date": year,
                "value": _number(value),
                "unit": "",
                "obs_status": "",
                "decimal": 0,
            }
            for country, iso3, year, value in chunk.select("Country Name", "Country Code", "Year", "Value").iter_rows()
        ]
        self._json([meta, rows or None])

    def _json(self, payload: object) -> None:
        self._send(200, json.dumps(payload).encode(), "application/json;charset=utf-8")

    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


class WdiMirror(LoopbackServer):
    """Start with ``with WdiMirror(reference_dir) as mirror:``; ``mirror.base_url`` is the API root."""

    def __init__(self, reference_dir: Path) -> None:
        super().__init__(_Handler, MirrorState(reference_dir=reference_dir), "wdi-mirror")

    @property
    def base_url(self) -> str:
        return f"{self.address}/v2"

    def fault(self, mode: str, times: int | None = 1, delay: float = 0.0) -> None:
        with self.state.lock:
            self.state.faults.append(_Fault(mode, times, delay))

    def clear(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.requests.clear()
