"""The CRM's three tables as the platform lands them: what each column is and what each may hold."""

from __future__ import annotations

from parkplatform.alliance import COMMITTEES
from parkplatform.contracts import Contract
from parkplatform.origin import ORIGIN_GENERATED

SOURCE_PROJECTS = "crm_projects"
ORIGIN_CRM = "crm"
SOURCE_EVENTS = "crm_match_events"
SOURCE_PAYMENTS = "crm_payments"
PROJECTS_TABLE = "investment_projects"
EVENTS_TABLE = "match_events"
PAYMENTS_TABLE = "payments"
DEFAULT_SCHEMA = "crm"
EXPORT_FOLDER = "crm"


PROJECT_COLUMNS = (
    "project_id",
    "project_name",
    "park_code",
    "investor_name",
    "direction",
    "origin_country_iso3",
    "origin_province_adcode",
    "destination_country_iso3",
    "cluster_code",
    "committee",
    "currency",
    "contracted_amount",
    "paid_in_amount",
    "intention_date",
    "signed_date",
    "construction_started_date",
    "in_production_date",
    "status",
    "created_at",
    "updated_at",
)
EVENT_COLUMNS = (
    "event_id",
    "match_id",
    "event_at",
    "stage",
    "lost_reason",
    "match_type",
    "channel",
    "committee",
    "demand_party",
    "supply_party",
    "park_code",
    "cluster_code",
    "project_id",
    "updated_at",
)
# The payment ledger: one row per payment received on a project (到位资金), in the contract's currency.
PAYMENT_COLUMNS = (
    "payment_id",
    "project_id",
    "payment_date",
    "amount",
    "currency",
    "created_at",
    "updated_at",
)
PROJECT_DATES = ("intention_date", "signed_date", "construction_started_date", "in_production_date")
PROJECT_TIMESTAMPS = ("created_at", "updated_at")
PROJECT_AMOUNTS = ("contracted_amount", "paid_in_amount")
EVENT_TIMESTAMPS = ("event_at", "updated_at")
PAYMENT_DATES = ("payment_date",)
PAYMENT_TIMESTAMPS = ("created_at", "updated_at")
PAYMENT_AMOUNTS = ("amount",)
TABLE_COLUMNS = {PROJECTS_TABLE: PROJECT_COLUMNS, EVENTS_TABLE: EVENT_COLUMNS, PAYMENTS_TABLE: PAYMENT_COLUMNS}
TABLE_KEYS = {PROJECTS_TABLE: "project_id", EVENTS_TABLE: "event_id", PAYMENTS_TABLE: "payment_id"}
TABLE_DATES = {PROJECTS_TABLE: PROJECT_DATES, EVENTS_TABLE: (), PAYMENTS_TABLE: PAYMENT_DATES}
TABLE_TIMESTAMPS = {
    PROJECTS_TABLE: PROJECT_TIMESTAMPS,
    EVENTS_TABLE: EVENT_TIMESTAMPS,
    PAYMENTS_TABLE: PAYMENT_TIMESTAMPS,
}
TABLE_AMOUNTS = {PROJECTS_TABLE: PROJECT_AMOUNTS, EVENTS_TABLE: (), PAYMENTS_TABLE: PAYMENT_AMOUNTS}
# how the exports write each table: CSV part files, or JSON lines for the event log
CSV_TABLES = (PROJECTS_TABLE, PAYMENTS_TABLE)
SOURCE_TABLES = {SOURCE_PROJECTS: PROJECTS_TABLE, SOURCE_EVENTS: EVENTS_TABLE, SOURCE_PAYMENTS: PAYMENTS_TABLE}

DIRECTIONS = ("inbound_foreign", "domestic", "outbound")
PROJECT_STATUSES = ("active", "dropped")
# The funnel in order; ``lost`` closes a dropped match after whatever stage it reached.
STAGES = ("recommended", "contacted", "meeting", "negotiation", "signed", "landed", "lost")
STAGE_RANK = {stage: rank for rank, stage in enumerate(STAGES)}
LOST_REASONS = ("budget", "timing", "location", "policy", "competitor", "no_response")
MATCH_TYPES = ("investment_attraction", "financing", "technology_transfer", "supply_chain", "training")
CHANNELS = ("summit", "roadshow", "online_platform", "committee_referral")
# ISO 4217 codes the platform converts to CNY and USD (the generator's rates cover exactly these).
CURRENCIES = (
    "CNY",
    "USD",
    "EUR",
    "JPY",
    "GBP",
    "HKD",
    "SGD",
    "AED",
    "SAR",
    "QAR",
    "KWD",
    "CHF",
    "CAD",
    "SEK",
    "PLN",
    "RUB",
    "MYR",
    "THB",
    "IDR",
    "VND",
    "PHP",
    "EGP",
    "MAD",
    "ZAR",
    "NGN",
    "KES",
    "BRL",
    "MXN",
    "CLP",
)
PROJECT_ID_PATTERN = r"^IP\d{9}$"
MATCH_ID_PATTERN = r"^M\d{9}$"
EVENT_ID_PATTERN = r"^ME\d{10}$"
PAYMENT_ID_PATTERN = r"^PY\d{10}$"
AMOUNT_PATTERN = r"^-?\d+(\.\d{1,2})?$"


ORIGINS = [ORIGIN_GENERATED, ORIGIN_CRM]
# the funnel a match moves through; lost closes a match after whatever stage it reached
FUNNEL_STAGES = [stage for stage in STAGES if stage != "lost"]

PROJECTS_CONTRACT = Contract(
    "raw.crm_projects",
    "project_id text, project_name text, park_code text, investor_name text, direction text, "
    "origin_country_iso3 text, origin_province_adcode text, destination_country_iso3 text, cluster_code text, "
    "committee text, currency text, contracted_amount decimal, paid_in_amount decimal, intention_date date, "
    "signed_date date, construction_started_date date, in_production_date date, status text, "
    "created_at timestamp, updated_at timestamp, data_origin text",
    key=("project_id", "_batch_id"),
    required=("project_id", "park_code", "direction", "currency", "contracted_amount", "intention_date"),
    domains={
        "direction": list(DIRECTIONS),
        "committee": list(COMMITTEES),
        "currency": sorted(CURRENCIES),
        "status": list(PROJECT_STATUSES),
        "data_origin": ORIGINS,
    },
    non_negative=("contracted_amount", "paid_in_amount"),
    not_future=(*PROJECT_DATES, *PROJECT_TIMESTAMPS),
    source=SOURCE_PROJECTS,
    lineage=True,
)
EVENTS_CONTRACT = Contract(
    "raw.crm_match_events",
    "event_id text, match_id text, event_at timestamp, stage text, lost_reason text, match_type text, "
    "channel text, committee text, demand_party text, supply_party text, park_code text, cluster_code text, "
    "project_id text, updated_at timestamp, data_origin text",
    key=("event_id", "_batch_id"),
    required=("event_id", "match_id", "event_at", "stage", "match_type", "channel"),
    domains={
        "stage": list(STAGES),
        "lost_reason": list(LOST_REASONS),
        "match_type": list(MATCH_TYPES),
        "channel": list(CHANNELS),
        "committee": list(COMMITTEES),
        "data_origin": ORIGINS,
    },
    not_future=EVENT_TIMESTAMPS,
    source=SOURCE_EVENTS,
    lineage=True,
)
PAYMENTS_CONTRACT = Contract(
    "raw.crm_payments",
    "payment_id text, project_id text, payment_date date, amount decimal, currency text, created_at timestamp, "
    "updated_at timestamp, data_origin text",
    key=("payment_id", "_batch_id"),
    required=("payment_id", "project_id", "payment_date", "amount", "currency", "updated_at"),
    domains={"currency": sorted(CURRENCIES), "data_origin": ORIGINS},
    non_negative=("amount",),
    not_future=(*PAYMENT_DATES, *PAYMENT_TIMESTAMPS),
    source=SOURCE_PAYMENTS,
    lineage=True,
)
