"""Park registry source: lands the development-zone catalogue (:mod:`parkplatform.catalogue`) as it was
read, with how well the cluster keyword seed covers its 主导产业 in the batch's details."""

from __future__ import annotations

from datetime import date

import polars as pl

from parkplatform import catalogue, registry_enrichment
from parkplatform.config import Settings
from parkplatform.landing import BatchReport, land_batch


def extract(settings: Settings, logical_date: date) -> BatchReport:
    """Land the registry; the batch records how well the cluster keyword seed covers its 主导产业."""
    read = catalogue.read_registry(settings)
    return land_batch(
        catalogue.validate(read),
        source=catalogue.SOURCE,
        logical_date=logical_date,
        landing_dir=settings.landing_dir,
        details=cluster_coverage_details(read),
    )


def cluster_coverage_details(read: pl.DataFrame, top: int = 20) -> dict:
    """Share of the (valid) zones with at least one mapped cluster and the most frequent unmapped terms."""
    report = registry_enrichment.cluster_coverage(registry_enrichment.registry_frame(read))
    return {
        "zones": report.zones,
        "zones_with_cluster": report.zones_with_cluster,
        "cluster_coverage": round(report.share, 4),
        "unmapped_terms": [
            list(row) for row in report.unmapped_terms.head(top).select("industry_term", "occurrences").iter_rows()
        ],
    }
