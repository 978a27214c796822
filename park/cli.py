"""``park``: the platform's one command line (``park --help``; also ``python -m park``).

Each subcommand is the front of a module that keeps its own ``python -m`` entry point (named in its help),
so a data engineer can use either; the options are the same.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from park import reference
from parkplatform import intake
from parkplatform.config import REPO_ROOT, get_settings

app = typer.Typer(
    name="park",
    help="Park Indicators Platform: run the demo, receive offices' files, fetch the reference data, write simulated "
    "sources, re-process a batch, render the weekly report, benchmark, start or stop the services.",
    no_args_is_help=True,
    add_completion=False,
)
# `park intake submit|list` is `python -m parkplatform.intake submit|list`
app.add_typer(intake.app, name="intake")
# `park reference fetch` is `python -m park.reference fetch`
app.add_typer(reference.app, name="reference")


class Action(StrEnum):
    up = "up"
    down = "down"
    status = "status"


def _exit(code: int | None) -> None:
    raise typer.Exit(code or 0)


@app.command()
def demo(
    logical_date: Annotated[str, typer.Option(help="YYYY-MM-DD (default: today)")] = "",
    verbose: Annotated[bool, typer.Option(help="on failure, also print the Python traceback")] = False,
) -> None:
    """Run every DAG once (embedded Airflow, DuckDB) with one progress display, then say what it produced.
    Same as `make demo` after set-up, or `python -m park.demo`."""
    from park.demo import main

    _exit(main([f"--logical-date={logical_date or date.today().isoformat()}", *(["--verbose"] if verbose else [])]))


@app.command()
def simulate(
    logical_date: Annotated[str, typer.Option(help="YYYY-MM-DD")],
) -> None:
    """Write what the sources without public data read (park submissions, the member list, the CRM), where
    the real ones would be, marked generated (`python -m simulators.sources`). Never in production."""
    from simulators.sources import main

    _exit(main(["--logical-date", logical_date]))


@app.command()
def reprocess(
    source: Annotated[str, typer.Argument(help="the source, e.g. alliance_members")],
    batch_id: Annotated[str, typer.Argument(help="<source>-YYYYMMDD, as mart_quarantine_batches names it")],
) -> None:
    """Land a batch again from its source as it is now (after the sender fixed it), never losing a row
    (`python -m parkplatform.reprocess`)."""
    from parkplatform.reprocess import main

    _exit(main([source, batch_id]))


@app.command()
def report(
    week: Annotated[str, typer.Option(help="ISO week, e.g. 2026-W47 (default: the latest complete one)")] = "",
    lang: Annotated[list[str], typer.Option(help="zh or en; repeat for both (default: PARK_REPORT_LANG)")] = [],  # noqa: B006
    send: Annotated[bool, typer.Option(help="e-mail it (PARK_SMTP_HOST, PARK_REPORT_RECIPIENTS, ...)")] = False,
    warehouse: Annotated[Path | None, typer.Option(help="warehouse file (default: serving)")] = None,
) -> None:
    """Render the weekly indicator report (HTML and PDF) from the serving warehouse (`python -m report`)."""
    from report.__main__ import main

    argv = [*([f"--week={week}"] if week else []), *(f"--lang={one}" for one in lang)]
    argv += [*(["--send"] if send else []), *([f"--warehouse={warehouse}"] if warehouse else [])]
    _exit(main(argv))


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def bench(
    context: typer.Context,
    scale: Annotated[list[str], typer.Option(help="tiny, demo, national or stress; repeat for several")] = [],  # noqa: B006
) -> None:
    """Benchmarks at the named scales; results in benchmarks/results/ and BENCHMARKS.md. Any other option goes
    to `python -m benchmarks` (see its --help: --only, --runs, --scratch ...)."""
    # a process of its own: the benchmarks measure the application, they are not part of it
    command = [sys.executable, "-m", "benchmarks", *(f"--scale={one}" for one in scale or ["demo"]), *context.args]
    _exit(subprocess.call(command, cwd=REPO_ROOT))


@app.command()
def services(
    action: Annotated[
        Action,
        typer.Argument(help="up: start Superset, the Airflow UI, scheduler and DAG processor; status; down: stop them"),
    ],
) -> None:
    """Start, list or stop Superset (127.0.0.1:8088), the Airflow UI (127.0.0.1:8080) and Airflow's scheduler and DAG
    processor, as `make up` / `make status` / `make down`."""
    from park.services import main

    main([action.value])


@app.command()
def settings() -> None:
    """Print the effective settings (PARK_* variables and their defaults), secrets hidden."""
    for name, value in sorted(get_settings().model_dump().items()):
        shown = "***" if any(word in name for word in ("password", "secret", "dsn")) and value else value
        typer.echo(f"{name} = {shown}")


def main() -> None:
    app()
