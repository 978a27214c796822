"""The process one measured run happens in: ``python -m benchmarks.worker <module:function> <params> <result>``.

Imports ``benchmarks.<module>``, prepares the platform's runtime environment (the embedded Airflow's
variables, as the DAGs' processes have them), calls the function with the JSON ``params`` as keyword
arguments and writes its output to ``<result>`` as JSON with its own peak memory (``getrusage``: this
process, and the largest child it waited for, e.g. ``dbt``). The function times its measured part itself
(:class:`Timer`) and returns ``{"seconds": ..., ...}``; what it does before or after (a mirror started, a count
taken) is not timed. Its log goes to stdout/stderr, which the harness sends to a file.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import sys
import time
from pathlib import Path
from typing import Self


class Timer:
    """``with Timer() as timer: ...`` then ``timer.seconds``."""

    def __enter__(self) -> Self:
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


def main(argv: list[str]) -> int:
    step, params, result_path = argv[0], json.loads(argv[1]), Path(argv[2])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from parkplatform.config import get_settings, runtime_environment

    os.environ.update(runtime_environment(get_settings()))
    module_name, function_name = step.split(":")
    function = getattr(importlib.import_module(f"benchmarks.{module_name}"), function_name)
    output = function(**params)
    seconds = output.pop("seconds")
    result = {
        "seconds": round(seconds, 4),
        "output": output,
        # ru_maxrss is in KiB on Linux
        "maxrss_self_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "maxrss_children_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
    result_path.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
