"""Progress of long-running steps (generation, reading many files), shown the same way everywhere."""

from __future__ import annotations

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


def progress_bar(*, disable: bool = False) -> Progress:
    """A rich progress bar: what, how far (done of total), time spent and time left. On a console that
    is not a terminal (an Airflow task log) rich prints it once, when it stops."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        disable=disable,
    )
