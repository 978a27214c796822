"""Airflow schedules shared by the DAG files."""

from __future__ import annotations

from collections.abc import Iterable

from airflow.sdk import Asset, AssetAny


class _AnyLanding(AssetAny):
    """``AssetAny`` with its hash computed once, the same value ``AssetAny`` computes on every call.

    Airflow hashes a DAG, its schedule included, each time two of its tasks are linked (``>>``), and an
    Asset's hash serialises it to JSON. The transform's 130 Cosmos links made that 0.5 s of the 1.2-s parse
    of ``transform_publish.py``, paid again by every one of its task processes under the scheduler. The
    schedule cannot change after the DAG is made (Airflow freezes it), so neither can its hash."""

    def __init__(self, *objects: Asset) -> None:
        super().__init__(*objects)
        self._hash = hash(tuple(self.objects))

    def __hash__(self) -> int:
        return self._hash


def any_landing(asset_names: Iterable[str]) -> AssetAny:
    """A schedule that starts a run when any of these landing Assets is updated (a list of Assets would wait
    for all of them)."""
    return _AnyLanding(*(Asset(name) for name in asset_names))
