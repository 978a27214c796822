"""Expectation suites for the published tables, one per table, with severity next to each check.

``critical`` expectations block publishing; ``warning`` ones are reported and never block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import great_expectations.expectations as gxe

Severity = Literal["critical", "warning"]
LEVELS = ["national", "provincial"]
PARK_LEVELS = [*LEVELS, "unlisted"]  # unlisted: an alliance member park the catalogue does not list
GEOCODE_QUALITY = ["ok", "suspect", "city_only", "missing"]
# 229 of the catalogue's 2,543 zones (9%) have a suspect point: more than this means a new problem
SUSPECT_GEOCODE_SHARE = 0.12


@dataclass(frozen=True)
class Check:
    expectation: gxe.Expectation
    severity: Severity = "critical"


def suites() -> dict[str, list[Check]]:
    """Table name -> its checks. Built on call: GX expectations are mutable objects."""
    return {
        "dim_park": [
            Check(gxe.ExpectColumnValuesToNotBeNull(column="zone_code")),
            Check(gxe.ExpectColumnValuesToNotBeNull(column="park_id")),
            Check(gxe.ExpectColumnValuesToBeUnique(column="park_id")),
            Check(gxe.ExpectColumnValuesToBeInSet(column="level", value_set=PARK_LEVELS)),
            Check(gxe.ExpectColumnValuesToNotBeNull(column="level")),
            Check(
                gxe.ExpectColumnValuesToNotBeNull(
                    column="province_adcode", row_condition="in_catalogue == True", condition_parser="pandas"
                )
            ),
            Check(gxe.ExpectColumnValuesToBeInSet(column="geocode_quality", value_set=GEOCODE_QUALITY)),
            Check(
                gxe.ExpectColumnValuesToNotBeInSet(
                    column="geocode_quality", value_set=["suspect"], mostly=1 - SUSPECT_GEOCODE_SHARE
                ),
                "warning",
            ),
            Check(gxe.ExpectColumnValuesToBeBetween(column="approved_area_ha", min_value=0)),
            # a few zones lack a geocode in the real catalogue: worth a look, not a reason to stop
            Check(gxe.ExpectColumnValuesToNotBeNull(column="longitude", mostly=0.95), "warning"),
        ],
        "dim_enterprise": [
            Check(gxe.ExpectColumnValuesToNotBeNull(column="credit_code")),
            Check(gxe.ExpectColumnValuesToBeUnique(column="credit_code")),
            Check(gxe.ExpectColumnValueLengthsToEqual(column="credit_code", value=18)),
            Check(gxe.ExpectColumnValuesToBeBetween(column="employees", min_value=0)),
            Check(gxe.ExpectColumnValuesToBeBetween(column="revenue_cny", min_value=0)),
        ],
        "mart_parks_by_province_zone_type": [
            Check(gxe.ExpectTableRowCountToBeBetween(min_value=1)),
            Check(gxe.ExpectColumnValuesToBeInSet(column="level", value_set=LEVELS)),
            Check(gxe.ExpectColumnValuesToBeBetween(column="parks", min_value=0)),
            Check(gxe.ExpectColumnValuesToBeBetween(column="enterprises", min_value=0)),
            Check(gxe.ExpectColumnValuesToBeBetween(column="employees", min_value=0)),
        ],
    }
