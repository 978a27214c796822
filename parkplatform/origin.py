"""What the platform may know about a reference folder (``PARK_REFERENCE_DIR``) beyond its files.

A folder written by a data simulator (``simulators.reference``) holds the same files, in the same
layouts, as the real reference data, plus a ``generated.json`` that says it is generated. The
extractors read both through the same code; they only look at the marker to label what they land
(``data_origin``). Production code never imports the simulators: this module is the shared part.
"""

from __future__ import annotations

from pathlib import Path

GENERATED_MARKER = "generated.json"


def reference_is_generated(reference_dir: Path) -> bool:
    """Whether ``reference_dir`` holds generated demonstration data (its ``generated.json`` exists)."""
    return (Path(reference_dir) / GENERATED_MARKER).is_file()
