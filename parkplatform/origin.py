"""Where data come from, as far as the platform may know it: real, or written by a data simulator.

A folder written by a simulator (``simulators``: the reference folder, a period's park submissions, a
member-list export, the CRM's exports) holds the same files, in the same layouts, as the real source
would, plus a ``generated.json`` that says it is generated (the CRM's PostgreSQL schema says so in its
comment). The extractors read both through the same code and look at the marker only to label what
they land (``data_origin``). Production code never imports the simulators: this module is the shared part.
"""

from __future__ import annotations

import json
from pathlib import Path

GENERATED_MARKER = "generated.json"
ORIGIN_GENERATED = "generated"
# the key of the JSON object a simulator writes as the comment of a PostgreSQL schema it fills
GENERATOR_KEY = "generator"


def is_generated(folder: Path) -> bool:
    """Whether ``folder`` holds generated demonstration data (its ``generated.json`` exists)."""
    return (Path(folder) / GENERATED_MARKER).is_file()


def comment_says_generated(comment: str | None) -> bool:
    """Whether a PostgreSQL object's comment is a simulator's mark (a JSON object naming its generator)."""
    try:
        marker = json.loads(comment) if comment else None
    except json.JSONDecodeError:
        return False
    return isinstance(marker, dict) and bool(marker.get(GENERATOR_KEY))
