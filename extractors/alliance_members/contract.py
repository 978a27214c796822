"""The alliance members' tables in the warehouse: members matched to the catalogue, and their committees."""

from __future__ import annotations

from parkplatform.alliance import COMMITTEES
from parkplatform.contracts import Contract, Rule

MATCH_STATUSES = ("code", "name", "ambiguous", "review", "alliance_only")
# the member list's matching: more members left for a person to decide than this is worth a look
MEMBERS_FOR_REVIEW_SHARE = 0.10

CONTRACTS = (
    Contract(
        "raw.alliance_members",
        "member_id text, member_name text, province text, city text, country_iso3 text, member_zone_code text, "
        "join_date date, committees text, member_key text, member_province text, match_status text, park_id text, "
        "catalogue_code text, catalogue_name text, candidate_park_ids text, data_origin text",
        key=("member_id",),
        required=("member_name", "country_iso3", "join_date", "match_status"),
        domains={"match_status": list(MATCH_STATUSES)},
        not_future=("join_date",),
        source="alliance_members",
        lineage=True,
        rules=(
            Rule(
                "not_in",
                "match_status",
                values=("ambiguous", "review"),
                mostly=1 - MEMBERS_FOR_REVIEW_SHARE,
                severity="warning",
            ),
        ),
    ),
    Contract(
        "raw.alliance_member_committees",
        "member_id text, committee text",
        key=("member_id", "committee"),
        required=("member_id", "committee"),
        domains={"committee": list(COMMITTEES)},
        source="alliance_members",
    ),
)
