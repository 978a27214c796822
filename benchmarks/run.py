"""The benchmarks' entry point as a script: ``.venv/bin/python benchmarks/run.py --scale demo`` is
``python -m benchmarks --scale demo`` (see :mod:`benchmarks.cli`, ``--help``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
