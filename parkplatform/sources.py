"""The platform's sources and how often each is pulled (light: DAG files import this at parse time)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SourceSpec:
    name: str
    module: str
    schedule: str
    description: str

    @property
    def dag_id(self) -> str:
        return f"extract_{self.name}"

    @property
    def asset_name(self) -> str:
        return f"landing.{self.name}"


SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        name="park_registry",
        module="extractors.park_registry",
        schedule="@weekly",
        description="China Development Zone Audit Catalogue 2018 (2,543 zones), or a generated registry "
        "when PARK_REFERENCE_DIR is not set.",
    ),
    SourceSpec(
        name="park_submissions",
        module="extractors.park_submissions",
        schedule="@weekly",
        description="Park offices' spreadsheets of the enterprises in their parks (generated: no public data).",
    ),
)
SOURCES_BY_NAME = {spec.name: spec for spec in SOURCES}
