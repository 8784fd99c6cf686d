"""Generate the Acme Analytics example data set.

Acme Analytics is a fictional B2B SaaS company selling a data platform. This
module writes an internally consistent company history from 2022-01-01 up to
``TODAY`` (2026-06-30):

    customers.csv                           one row per customer
    subscriptions.csv                       1-3 subscriptions per customer
    invoices.csv                            monthly / annual invoices, last 24 months
    tickets/YYYY-Qn.jsonl                   support tickets, one file per quarter
    contracts/{customer_id}/{contract_id}.md  MSAs, order forms, DPAs, amendments
    kb/{slug}.md                            help-centre articles

Usage::

    python -m examples.acme.generate --out examples/acme/data --scale 1.0 --seed 7

or from Python::

    from examples.acme.generate import generate
    counts = generate(Path("/tmp/acme"), scale=0.05)

``scale`` multiplies the row counts (1.0 = 1,200 customers, ~6,500 tickets);
every categorical value still appears at small scales. Only the standard
library is used and every random draw comes from a ``random.Random`` seeded
from ``seed``, so the same arguments always produce byte-identical files.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import csv
import json
import math
import random
import shutil
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

try:
    from . import contract_text, kb_text, ticket_text
except ImportError:  # run as a plain script: python examples/acme/generate.py
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import contract_text
    import kb_text
    import ticket_text

TODAY = date(2026, 6, 30)
HISTORY_START = date(2022, 1, 1)
INVOICE_WINDOW_START = date(2024, 7, 1)  # invoices cover the last 24 months
DEFAULT_OUT = Path(__file__).resolve().parent / "data"

BASE_COUNTS = {"customers": 1200, "tickets": 6500, "kb": 120}
MINIMUMS = {"customers": 20, "tickets": 100, "contracts": 10, "kb": 20}
OWNED_FILES = ("customers.csv", "subscriptions.csv", "invoices.csv")
OWNED_DIRS = ("tickets", "contracts", "kb")

# ---------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------

SEGMENT_WEIGHTS = {"SMB": 55, "Mid-Market": 30, "Enterprise": 15}
REGION_WEIGHTS = {"NA": 45, "EMEA": 30, "APAC": 15, "LATAM": 10}
INDUSTRY_WEIGHTS = {
    "Software": 16, "Financial Services": 13, "Retail": 12, "Healthcare": 11, "Manufacturing": 11,
    "Logistics": 9, "Media": 8, "Education": 7, "Energy": 7, "Government": 6,
}
COUNTRY_WEIGHTS = {
    "NA": {"United States": 82, "Canada": 18},
    "EMEA": {"United Kingdom": 24, "Germany": 20, "France": 12, "Netherlands": 10, "Spain": 7, "Sweden": 6,
             "Ireland": 6, "Italy": 6, "Switzerland": 5, "Poland": 4},
    "APAC": {"Australia": 35, "India": 18, "Japan": 18, "Singapore": 17, "New Zealand": 7, "South Korea": 5},
    "LATAM": {"Brazil": 40, "Mexico": 30, "Argentina": 10, "Chile": 10, "Colombia": 10},
}
US_STATE_WEIGHTS = {
    "California": 16, "Texas": 11, "New York": 10, "Florida": 7, "Illinois": 6, "Washington": 5,
    "Massachusetts": 5, "Georgia": 4, "Pennsylvania": 4, "Colorado": 4, "New Jersey": 4, "North Carolina": 3,
    "Ohio": 3, "Virginia": 3, "Michigan": 3, "Minnesota": 2, "Arizona": 2, "Oregon": 2, "Utah": 2, "Tennessee": 2,
}
ACCOUNT_MANAGERS = {
    "NA": ("Dana Whitfield", "Marcus Bell", "Priya Raman", "Tom Okafor", "Jenna Morales", "Kevin Park"),
    "EMEA": ("Sophie Laurent", "Lukas Brandt", "Emma Lindqvist", "Oliver Grant", "Chiara Rossi"),
    "APAC": ("Hiro Tanaka", "Aisha Khan"),
    "LATAM": ("Camila Rocha", "Diego Fernández"),
}
EMPLOYEE_RANGES = {"SMB": (8, 190), "Mid-Market": (200, 1900), "Enterprise": (2000, 90000)}
CHURN_SHARE = 0.12
AT_RISK_SHARE = 0.10  # share of active customers with health_score < 40

NAME_PREFIXES = (
    "North", "Blue", "Silver", "Iron", "Red", "Clear", "Bright", "Stone", "Pine", "Summit", "Harbor", "River",
    "Cedar", "Granite", "Oak", "Maple", "Falcon", "Polar", "Sun", "Star", "True", "Swift", "Copper", "Cobalt",
    "Golden", "High", "Lake", "Meadow", "Prairie", "Ridge", "Sand", "Tide", "West", "East", "South", "Frost",
    "Ember", "Bay", "Elm", "Storm",
)
NAME_ROOTS = (
    "wind", "peak", "line", "field", "bridge", "gate", "point", "stone", "wood", "well", "view", "port", "brook",
    "haven", "ridge", "shore", "light", "works", "way", "vale", "mark", "crest", "side", "path",
)
NAME_STANDALONE = (
    "Meridian", "Keystone", "Vantage", "Apex", "Lumen", "Vertex", "Orion", "Halcyon", "Sterling", "Pioneer",
    "Cascade", "Evergreen", "Redwood", "Ironclad", "Beacon", "Atlas", "Nova", "Zenith", "Quantum", "Horizon",
    "Paragon", "Sequoia", "Tidewater", "Kestrel", "Juniper", "Arbor", "Mosaic", "Catalyst", "Bluebird",
    "Lighthouse", "Solstice", "Borealis", "Magnolia", "Trident", "Aurora", "Helix",
)
NAME_SURNAMES = (
    "Hartley", "Whitmore", "Ashford", "Calloway", "Pemberton", "Langley", "Thornton", "Mercer", "Holloway",
    "Brightman", "Fairbanks", "Kensington", "Delgado", "Okoro", "Lindqvist", "Moreau", "Brandt", "Sato", "Varga",
    "Castellano", "Fischer", "Nakamura", "Oliveira", "Gallagher",
)
PLACES = (
    "Riverton", "Lakewood", "Fairview", "Brookhaven", "Cedar Falls", "Maple Grove", "Westbury", "Northfield",
    "Kingsport", "Ashland", "Millbrook", "Port Alder", "Greenvale", "Stonebridge", "Oakdale", "Clearwater",
    "Bellmont", "Harrow", "Eastleigh", "Summerset", "Redcliff", "Silverton", "Havenport", "Elmhurst",
)
INDUSTRY_NOUNS = {
    "Healthcare": ("Health", "Medical", "Care", "Clinics", "Diagnostics", "Biosciences", "Pharma", "Health Partners"),
    "Financial Services": ("Capital", "Financial", "Bank", "Insurance", "Wealth", "Payments", "Credit Union", "Lending"),
    "Retail": ("Retail", "Outfitters", "Market", "Goods", "Home", "Apparel", "Stores", "Grocers"),
    "Manufacturing": ("Manufacturing", "Industries", "Components", "Fabrication", "Machining", "Materials",
                      "Plastics", "Precision"),
    "Software": ("Software", "Labs", "Systems", "Technologies", "Cloud", "Digital", "Data", "Networks"),
    "Media": ("Media", "Studios", "Publishing", "Broadcasting", "Entertainment", "Press", "Pictures"),
    "Logistics": ("Logistics", "Freight", "Shipping", "Transport", "Supply", "Couriers", "Distribution"),
    "Energy": ("Energy", "Power", "Utilities", "Renewables", "Solar", "Grid", "Oil & Gas"),
}
GOVERNMENT_TEMPLATES = (
    "City of {place}", "{place} County", "{place} Transit Authority", "{place} Water District",
    "{place} Housing Authority", "{place} Port Authority", "{place} Public Health Agency", "{place} Regional Council",
)
EDUCATION_TEMPLATES = (
    "{place} University", "{stem} Academy", "{place} Community College", "{stem} Learning",
    "{place} School District", "{stem} Education Group", "University of {place}", "{stem} Institute",
)
LEGAL_SUFFIXES = {
    "United States": ("Inc.", "LLC", "Corp."), "Canada": ("Inc.", "Ltd."), "United Kingdom": ("Ltd", "plc"),
    "Germany": ("GmbH", "AG"), "France": ("SAS", "SA"), "Netherlands": ("B.V.",), "Spain": ("S.L.", "S.A."),
    "Sweden": ("AB",), "Ireland": ("Ltd", "DAC"), "Italy": ("S.p.A.", "S.r.l."), "Switzerland": ("AG", "SA"),
    "Poland": ("Sp. z o.o.",), "Australia": ("Pty Ltd",), "India": ("Pvt. Ltd.",), "Japan": ("K.K.",),
    "Singapore": ("Pte. Ltd.",), "New Zealand": ("Limited",), "South Korea": ("Co., Ltd.",),
    "Brazil": ("Ltda.", "S.A."), "Mexico": ("S.A. de C.V.",), "Argentina": ("S.A.",), "Chile": ("SpA",),
    "Colombia": ("S.A.S.",),
}

# ---------------------------------------------------------------------------
# Subscriptions and invoices
# ---------------------------------------------------------------------------

PLANS = ("Starter", "Growth", "Business", "Enterprise")
PLAN_WEIGHTS = {
    "SMB": {"Starter": 60, "Growth": 35, "Business": 5},
    "Mid-Market": {"Growth": 30, "Business": 55, "Enterprise": 15},
    "Enterprise": {"Business": 25, "Enterprise": 75},
}
PLAN_MRR = {"Starter": (200, 900), "Growth": (900, 4000), "Business": (4000, 15000), "Enterprise": (15000, 80000)}
PLAN_SEATS = {"Starter": (3, 15), "Growth": (10, 60), "Business": (40, 300), "Enterprise": (200, 3000)}
ANNUAL_SHARE = {"Starter": 0.12, "Growth": 0.3, "Business": 0.5, "Enterprise": 0.8}
SUBSCRIPTIONS_PER_CUSTOMER = {
    "SMB": {1: 70, 2: 25, 3: 5},
    "Mid-Market": {1: 50, 2: 35, 3: 15},
    "Enterprise": {1: 35, 2: 40, 3: 25},
}
PAUSE_SHARE = 0.04
INVOICE_STATUSES = ("paid", "open", "overdue", "void")

# ---------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------

TOPIC_WEIGHTS = {
    "outage": 6, "performance": 9, "refund": 4, "billing_dispute": 7, "sso_login": 8, "data_export": 7,
    "api_rate_limit": 6, "integration_sync": 11, "feature_request": 10, "security_compliance": 5,
    "data_residency": 3, "onboarding": 8, "cancellation": 4, "bug_report": 12,
}
SEGMENT_TOPIC_FACTORS = {
    "SMB": {"refund": 1.4, "billing_dispute": 1.3, "onboarding": 1.3, "security_compliance": 0.4,
            "data_residency": 0.3, "api_rate_limit": 0.7},
    "Mid-Market": {},
    "Enterprise": {"security_compliance": 2.0, "data_residency": 2.0, "sso_login": 1.5, "api_rate_limit": 1.3,
                   "refund": 0.6},
}
AT_RISK_TOPIC_FACTORS = {"outage": 2.5, "cancellation": 3.0, "performance": 1.5, "refund": 1.5}
SEGMENT_TICKET_WEIGHT = {"SMB": 1.0, "Mid-Market": 2.2, "Enterprise": 5.0}
PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = {
    "outage": (0, 10, 40, 50), "performance": (5, 45, 40, 10), "refund": (15, 65, 18, 2),
    "billing_dispute": (15, 60, 22, 3), "sso_login": (3, 37, 40, 20), "data_export": (15, 55, 25, 5),
    "api_rate_limit": (5, 45, 40, 10), "integration_sync": (8, 52, 33, 7), "feature_request": (60, 37, 3, 0),
    "security_compliance": (15, 55, 25, 5), "data_residency": (20, 60, 18, 2), "onboarding": (30, 60, 10, 0),
    "cancellation": (10, 60, 25, 5), "bug_report": (20, 55, 22, 3),
}
CHANNELS = ("email", "chat", "phone", "web")
CHANNEL_WEIGHTS = {"default": (40, 25, 10, 25), "outage": (30, 30, 25, 15)}
TICKET_STATUSES = ("open", "pending", "solved", "closed")
STATUS_BY_AGE = (  # (max age in days, weights for open/pending/solved/closed)
    (3, (50, 30, 20, 0)),
    (14, (25, 30, 40, 5)),
    (45, (6, 10, 44, 40)),
    (10 ** 6, (1, 1, 13, 85)),
)
STYLE_WEIGHTS = {"terse": 18, "angry": 8, "polite": 30, "non_native": 6, "bullets": 12, "exec_forward": 5}
CHAT_STYLE_WEIGHTS = {"terse": 45, "polite": 25, "angry": 12, "non_native": 6}
HEATED_TOPICS = ("outage", "billing_dispute", "refund", "cancellation", "performance")
NON_ENGLISH_COUNTRIES = (
    "Germany", "France", "Netherlands", "Spain", "Sweden", "Italy", "Switzerland", "Poland", "Japan",
    "South Korea", "Brazil", "Mexico", "Argentina", "Chile", "Colombia",
)
HOUR_WEIGHTS = (0.3, 0.3, 0.3, 0.3, 0.3, 0.5, 1, 2, 6, 10, 11, 10, 7, 8, 10, 10, 8, 5, 3, 2, 1, 1, 1, 0.5)
MINUTES = tuple(range(0, 60))
SECONDARY_TOPIC_SHARE = 0.10
INCIDENT_COUNT = 22
INCIDENT_TICKET_SHARE = 0.75
MONTH_NAMES = tuple(calendar.month_name)[1:]
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# ---------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------

CONTRACTS_PER_CUSTOMER = {"Enterprise": {1: 30, 2: 40, 3: 30}, "Mid-Market": {1: 50, 2: 35, 3: 15}}
MID_MARKET_CONTRACT_SHARE = 0.4
FOLLOW_UP_CONTRACT_WEIGHTS = {"DPA": 4, "Order Form": 3, "Amendment": 3}
COUNTRIES_WITH_ARTICLE = ("United States", "United Kingdom", "Netherlands")

# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


@dataclass
class Customer:
    customer_id: int
    name: str
    segment: str
    region: str
    country: str
    state: str
    industry: str
    employees: int
    signup_date: date
    account_manager: str
    health_score: int
    is_active: bool
    churn_date: date | None = None

    @property
    def end_date(self) -> date:
        return self.churn_date or TODAY

    @property
    def at_risk(self) -> bool:
        return self.health_score < 40


@dataclass
class Subscription:
    subscription_id: int
    customer_id: int
    plan: str
    seats: int
    mrr: float
    start_date: date
    billing_cycle: str
    end_date: date | None = None
    status: str = "active"
    pause_date: date | None = None  # internal: invoices stop after this date


@dataclass
class Invoice:
    invoice_id: int
    customer_id: int
    subscription_id: int
    amount: float
    issued_date: date
    status: str = "paid"
    paid_date: date | None = None

    @property
    def due_date(self) -> date:
        return self.issued_date + timedelta(days=30)


@dataclass
class Ticket:
    customer: Customer
    created_at: datetime
    topic: str
    secondary: str | None = None
    incident: dict | None = None
    ticket_id: int = 0
    priority: str = "normal"
    channel: str = "email"
    status: str = "closed"
    style: str = "polite"
    subject: str = ""
    body: str = ""


@dataclass
class Contract:
    customer: Customer
    contract_type: str
    signed_date: date
    term_months: int
    terms: dict
    facts: dict = field(default_factory=dict)
    contract_id: str = ""
    text: str = ""


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _rng(seed: int, stream: str) -> random.Random:
    """Independent, reproducible random stream per table."""
    return random.Random(f"acme:{seed}:{stream}")


def _scaled(name: str, scale: float) -> int:
    return max(MINIMUMS[name], int(round(BASE_COUNTS[name] * scale)))


def _weighted(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _quota(rng: random.Random, weights: dict, n: int) -> list:
    """``n`` values in proportion to ``weights``; each value at least once if n allows, shuffled."""
    keys = list(weights)
    total = sum(weights.values())
    raw = [weights[k] * n / total for k in keys]
    floor = 1 if n >= len(keys) else 0
    counts = [max(floor, int(r)) for r in raw]
    while sum(counts) < n:
        i = max(range(len(keys)), key=lambda j: raw[j] - counts[j])
        counts[i] += 1
    while sum(counts) > n:
        i = max(range(len(keys)), key=lambda j: (counts[j] > max(floor, 1), counts[j] - raw[j]))
        counts[i] -= 1
    values = [k for k, c in zip(keys, counts) for _ in range(c)]
    rng.shuffle(values)
    return values


def _rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _add_months(d: date, months: int) -> date:
    year, month0 = divmod(d.month - 1 + months, 12)
    year += d.year
    return date(year, month0 + 1, min(d.day, calendar.monthrange(year, month0 + 1)[1]))


def _fmt_date(d: date | None) -> str:
    return d.isoformat() if d else ""


def _money(value: float) -> str:
    return f"{value:.2f}"


# ---------------------------------------------------------------------------
# Customers
# ---------------------------------------------------------------------------


def _name_stem(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        return rng.choice(NAME_PREFIXES) + rng.choice(NAME_ROOTS)
    if kind < 0.8:
        return rng.choice(NAME_STANDALONE)
    if kind < 0.9:
        return rng.choice(NAME_SURNAMES)
    first, second = rng.sample(NAME_SURNAMES, 2)
    return f"{first} & {second}"


def _company_name(rng: random.Random, industry: str, country: str) -> str:
    stem = _name_stem(rng)
    if industry == "Government":
        return rng.choice(GOVERNMENT_TEMPLATES).format(place=rng.choice(PLACES))
    if industry == "Education":
        return rng.choice(EDUCATION_TEMPLATES).format(place=rng.choice(PLACES), stem=stem)
    name = f"{stem} {rng.choice(INDUSTRY_NOUNS[industry])}"
    if rng.random() < 0.6:
        name = f"{name} {rng.choice(LEGAL_SUFFIXES[country])}"
    return name


def _unique_name(rng: random.Random, industry: str, country: str, used: set) -> str:
    for _ in range(200):
        name = _company_name(rng, industry, country)
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("ran out of company names")


def _employees(rng: random.Random, segment: str) -> int:
    low, high = EMPLOYEE_RANGES[segment]
    if segment != "Enterprise":
        return rng.randint(low, high)
    value = math.exp(rng.uniform(math.log(low), math.log(high)))
    return int(round(value, -2))


def _signup_date(rng: random.Random, churned: bool) -> date:
    latest = TODAY - timedelta(days=200 if churned else 14)
    span = (latest - HISTORY_START).days
    # Growth: more customers signed up recently than in 2022.
    return HISTORY_START + timedelta(days=int(span * rng.random() ** 0.75))


def _health_score(rng: random.Random, churned: bool, at_risk: bool) -> int:
    if churned:
        return rng.randint(3, 38)
    if at_risk:
        return rng.randint(12, 39)
    return max(40, min(100, int(rng.gauss(74, 13))))


def make_customers(rng: random.Random, n: int) -> list:
    segments = _quota(rng, SEGMENT_WEIGHTS, n)
    regions = _quota(rng, REGION_WEIGHTS, n)
    industries = _quota(rng, INDUSTRY_WEIGHTS, n)
    churned_flags = _quota(rng, {True: CHURN_SHARE, False: 1 - CHURN_SHARE}, n)
    used: set = set()
    customers = []
    for i in range(n):
        segment, region, industry, churned = segments[i], regions[i], industries[i], churned_flags[i]
        country = _weighted(rng, COUNTRY_WEIGHTS[region])
        at_risk = not churned and rng.random() < AT_RISK_SHARE
        signup = _signup_date(rng, churned)
        churn_date = None
        if churned:
            churn_date = _rand_date(rng, signup + timedelta(days=150), TODAY - timedelta(days=7))
        customers.append(Customer(
            customer_id=i + 1,
            name=_unique_name(rng, industry, country, used),
            segment=segment,
            region=region,
            country=country,
            state=_weighted(rng, US_STATE_WEIGHTS) if country == "United States" else "",
            industry=industry,
            employees=_employees(rng, segment),
            signup_date=signup,
            account_manager=rng.choice(ACCOUNT_MANAGERS[region]),
            health_score=_health_score(rng, churned, at_risk),
            is_active=not churned,
            churn_date=churn_date,
        ))
    return customers


# ---------------------------------------------------------------------------
# Subscriptions
# ---------------------------------------------------------------------------


def _price(rng: random.Random, plan: str) -> tuple:
    """Seats and MRR for a plan; MRR grows with seats."""
    seat_low, seat_high = PLAN_SEATS[plan]
    mrr_low, mrr_high = PLAN_MRR[plan]
    position = rng.random() ** 1.6
    seats = seat_low + int(round((seat_high - seat_low) * position))
    noisy = min(1.0, max(0.0, position + rng.gauss(0, 0.06)))
    return seats, round(mrr_low + (mrr_high - mrr_low) * noisy, 2)


def _new_subscription(rng: random.Random, customer: Customer, plan: str, start: date) -> Subscription:
    seats, mrr = _price(rng, plan)
    cycle = "annual" if rng.random() < ANNUAL_SHARE[plan] else "monthly"
    return Subscription(0, customer.customer_id, plan, seats, mrr, start, cycle)


def _next_plan(plan: str) -> str:
    return PLANS[min(PLANS.index(plan) + 1, len(PLANS) - 1)]


def _follow_up_plan(rng: random.Random, customer: Customer, subs: list, start: date) -> str:
    """Either upgrade the latest open subscription (closing it) or add a smaller add-on."""
    open_subs = [s for s in subs if s.end_date is None]
    current = open_subs[-1]
    if rng.random() < 0.5:
        current.end_date = start
        current.status = "cancelled"
        return _next_plan(current.plan)
    allowed = [p for p in PLAN_WEIGHTS[customer.segment] if PLANS.index(p) <= PLANS.index(current.plan)]
    return rng.choice(allowed)


def _customer_subscriptions(rng: random.Random, customer: Customer) -> list:
    count = _weighted(rng, SUBSCRIPTIONS_PER_CUSTOMER[customer.segment])
    subs = [_new_subscription(rng, customer, _weighted(rng, PLAN_WEIGHTS[customer.segment]), customer.signup_date)]
    for _ in range(count - 1):
        earliest = subs[-1].start_date + timedelta(days=60)
        latest = customer.end_date - timedelta(days=30)
        if earliest > latest:
            break
        start = _rand_date(rng, earliest, latest)
        subs.append(_new_subscription(rng, customer, _follow_up_plan(rng, customer, subs, start), start))
    for sub in subs:
        if sub.end_date is None and customer.churn_date:
            sub.end_date, sub.status = customer.churn_date, "cancelled"
        elif sub.end_date is None and rng.random() < PAUSE_SHARE:
            _pause(rng, sub)
    return subs


def _pause(rng: random.Random, sub: Subscription) -> bool:
    earliest = max(sub.start_date + timedelta(days=45), TODAY - timedelta(days=240))
    latest = TODAY - timedelta(days=5)
    if earliest > latest:
        return False
    sub.status, sub.pause_date = "paused", _rand_date(rng, earliest, latest)
    return True


def make_subscriptions(rng: random.Random, customers: list) -> list:
    subs = []
    for customer in customers:
        subs.extend(_customer_subscriptions(rng, customer))
    _ensure_plans(rng, customers, subs)
    if not any(s.status == "paused" for s in subs):
        for sub in subs:
            if sub.status == "active" and _pause(rng, sub):
                break
    for number, sub in enumerate(subs, start=1):
        sub.subscription_id = number
    return subs


def _ensure_plans(rng: random.Random, customers: list, subs: list) -> None:
    """Small scales must still contain every plan."""
    by_id = {c.customer_id: c for c in customers}
    for plan in PLANS:
        if any(s.plan == plan for s in subs):
            continue
        counts = Counter(s.plan for s in subs)
        for sub in subs:
            if plan in PLAN_WEIGHTS[by_id[sub.customer_id].segment] and counts[sub.plan] > 1:
                sub.plan = plan
                sub.seats, sub.mrr = _price(rng, plan)
                break


# ---------------------------------------------------------------------------
# Invoices
# ---------------------------------------------------------------------------


def _billing_dates(sub: Subscription) -> list:
    step = 12 if sub.billing_cycle == "annual" else 1
    if sub.end_date:
        last = sub.end_date - timedelta(days=1)
    else:
        last = sub.pause_date or TODAY
    dates, n = [], 0
    while True:
        issued = _add_months(sub.start_date, n * step)
        if issued > last:
            return dates
        if issued >= INVOICE_WINDOW_START:
            dates.append(issued)
        n += 1


def _late_probability(customer: Customer, issued: date) -> float:
    if customer.churn_date and (customer.churn_date - issued).days < 75:
        return 0.5
    return 0.15 if customer.at_risk else 0.025


def _settle(rng: random.Random, invoice: Invoice, customer: Customer) -> None:
    """Decide status and paid date; overdue/open follow from the due date vs TODAY."""
    if rng.random() < 0.015:
        invoice.status = "void"
        return
    if invoice.due_date >= TODAY:
        if rng.random() < 0.35:
            invoice.status, invoice.paid_date = "paid", _rand_date(rng, invoice.issued_date, TODAY)
        else:
            invoice.status = "open"
        return
    if rng.random() < _late_probability(customer, invoice.issued_date):
        invoice.status = "overdue"
        return
    delay = rng.randint(0, 30) if rng.random() < 0.85 else rng.randint(31, 75)
    invoice.status, invoice.paid_date = "paid", min(TODAY, invoice.issued_date + timedelta(days=delay))


def make_invoices(rng: random.Random, customers: list, subs: list) -> list:
    by_id = {c.customer_id: c for c in customers}
    drafts = []
    for sub in subs:
        amount = sub.mrr * (12 if sub.billing_cycle == "annual" else 1)
        for issued in _billing_dates(sub):
            drafts.append(Invoice(0, sub.customer_id, sub.subscription_id, round(amount, 2), issued))
    drafts.sort(key=lambda inv: (inv.issued_date, inv.subscription_id))
    for number, invoice in enumerate(drafts, start=1):
        invoice.invoice_id = number
        _settle(rng, invoice, by_id[invoice.customer_id])
    _ensure_invoice_statuses(drafts)
    return drafts


def _ensure_invoice_statuses(invoices: list) -> None:
    present = {inv.status for inv in invoices}
    if "void" not in present:
        target = next(inv for inv in invoices if inv.status == "paid")
        target.status, target.paid_date = "void", None
    if "overdue" not in present:
        target = next(inv for inv in invoices if inv.status == "paid" and inv.due_date < TODAY)
        target.status, target.paid_date = "overdue", None
    if "open" not in present:
        target = next(inv for inv in reversed(invoices) if inv.due_date >= TODAY)
        target.status, target.paid_date = "open", None


# ---------------------------------------------------------------------------
# Tickets
# ---------------------------------------------------------------------------


def make_incidents(rng: random.Random) -> list:
    """Platform incidents; most outage tickets cluster around them."""
    incidents = []
    for _ in range(INCIDENT_COUNT):
        day = _rand_date(rng, HISTORY_START + timedelta(days=30), TODAY - timedelta(days=1))
        start = datetime(day.year, day.month, day.day, rng.randint(6, 16), rng.choice((0, 10, 20, 30, 40, 50)))
        incidents.append({"start": start, "cloud_region": rng.choice(ticket_text.SLOT_CHOICES["cloud_region"])})
    incidents.sort(key=lambda inc: inc["start"])
    return incidents


def _ticket_datetime(rng: random.Random, customer: Customer) -> datetime:
    day = _rand_date(rng, customer.signup_date, customer.end_date)
    for _ in range(3):  # weekends are quieter
        if day.weekday() < 5 or rng.random() < 0.35:
            break
        day = _rand_date(rng, customer.signup_date, customer.end_date)
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    return datetime(day.year, day.month, day.day, hour, rng.choice(MINUTES))


def _topic_weights(customer: Customer, day: date) -> dict:
    weights = dict(TOPIC_WEIGHTS)
    factors = [SEGMENT_TOPIC_FACTORS[customer.segment]]
    if customer.at_risk:
        factors.append(AT_RISK_TOPIC_FACTORS)
    if customer.region == "EMEA":
        factors.append({"data_residency": 2.0})
    if (day - customer.signup_date).days < 60:
        factors.append({"onboarding": 5.0})
    if customer.churn_date and (customer.churn_date - day).days < 60:
        factors.append({"cancellation": 6.0, "refund": 2.0})
    for factor in factors:
        for topic, multiplier in factor.items():
            weights[topic] *= multiplier
    return weights


def _attach_incident(rng: random.Random, ticket: Ticket, incidents: list) -> None:
    customer = ticket.customer
    candidates = [inc for inc in incidents if customer.signup_date <= inc["start"].date() <= customer.end_date]
    if not candidates or rng.random() > INCIDENT_TICKET_SHARE:
        return
    incident = rng.choice(candidates)
    ticket.incident = incident
    ticket.created_at = incident["start"] + timedelta(minutes=rng.randint(4, 300))


def _draft_tickets(rng: random.Random, n: int, customers: list, incidents: list) -> list:
    weights = [
        SEGMENT_TICKET_WEIGHT[c.segment] * (1.6 if c.at_risk else 1.0) * ((c.end_date - c.signup_date).days + 1)
        for c in customers
    ]
    tickets = []
    for customer in rng.choices(customers, weights=weights, k=n):
        created = _ticket_datetime(rng, customer)
        topic_weights = _topic_weights(customer, created.date())
        topic = _weighted(rng, topic_weights)
        ticket = Ticket(customer, created, topic)
        if rng.random() < SECONDARY_TOPIC_SHARE:
            ticket.secondary = _weighted(rng, {t: w for t, w in topic_weights.items() if t != topic})
        if topic == "outage":
            _attach_incident(rng, ticket, incidents)
        tickets.append(ticket)
    _ensure_topics(tickets)
    tickets.sort(key=lambda t: (t.created_at, t.customer.customer_id))
    for number, ticket in enumerate(tickets, start=1):
        ticket.ticket_id = number
    return tickets


def _ensure_topics(tickets: list) -> None:
    """Small scales must still contain every topic."""
    for topic in ticket_text.TOPICS:
        counts = Counter(t.topic for t in tickets)
        if counts[topic]:
            continue
        most_common = counts.most_common(1)[0][0]
        target = next(t for t in tickets if t.topic == most_common)
        target.topic, target.incident = topic, None
        if target.secondary == topic:
            target.secondary = None


def _status(rng: random.Random, created: datetime) -> str:
    age = (TODAY - created.date()).days
    for max_age, weights in STATUS_BY_AGE:
        if age <= max_age:
            return rng.choices(TICKET_STATUSES, weights=weights)[0]
    raise AssertionError("unreachable")


def _channel(rng: random.Random, topic: str) -> str:
    return rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS.get(topic, CHANNEL_WEIGHTS["default"]))[0]


def _style(rng: random.Random, ticket: Ticket) -> str:
    customer = ticket.customer
    if ticket.channel == "phone" and rng.random() < 0.8:
        return "call_note"
    weights = dict(CHAT_STYLE_WEIGHTS if ticket.channel == "chat" else STYLE_WEIGHTS)
    if customer.country in NON_ENGLISH_COUNTRIES:
        weights["non_native"] *= 5
    if ticket.topic in HEATED_TOPICS:
        weights["angry"] *= 2.5
    if customer.at_risk:
        weights["angry"] *= 2
    if "exec_forward" in weights:
        weights["exec_forward"] *= {"SMB": 0.4, "Mid-Market": 1.0, "Enterprise": 2.5}[customer.segment]
    return _weighted(rng, weights)


def _priority(rng: random.Random, ticket: Ticket) -> str:
    level = rng.choices(range(len(PRIORITIES)), weights=PRIORITY_WEIGHTS[ticket.topic])[0]
    if ticket.style == "angry" and rng.random() < 0.5:
        level += 1
    if ticket.customer.segment == "Enterprise" and rng.random() < 0.2:
        level += 1
    return PRIORITIES[min(level, len(PRIORITIES) - 1)]


class TicketContext:
    """Customer facts (plan, invoices, ...) as of a ticket's date, for the ticket text."""

    def __init__(self, subs: list, invoices: list):
        self.subs: dict = {}
        for sub in subs:
            self.subs.setdefault(sub.customer_id, []).append(sub)
        self.invoices: dict = {}
        for invoice in invoices:
            self.invoices.setdefault(invoice.customer_id, []).append(invoice)
        self.invoice_dates = {cid: [inv.issued_date for inv in invs] for cid, invs in self.invoices.items()}

    def _subscription(self, customer_id: int, day: date) -> Subscription:
        subs = self.subs[customer_id]
        running = [s for s in subs if s.start_date <= day and (s.end_date is None or s.end_date > day)]
        return running[-1] if running else subs[0]

    def _latest_invoice(self, customer_id: int, day: date):
        dates = self.invoice_dates.get(customer_id, [])
        index = bisect.bisect_right(dates, day) - 1
        if index < 0 or (day - dates[index]).days > 75:
            return None
        return self.invoices[customer_id][index]

    def known_slots(self, rng: random.Random, ticket: Ticket) -> dict:
        customer, day = ticket.customer, ticket.created_at.date()
        sub = self._subscription(customer.customer_id, day)
        invoice = self._latest_invoice(customer.customer_id, day)
        billed = invoice.issued_date if invoice else _add_months(day, -1)
        recent = day - timedelta(days=rng.randint(1, 14))
        slots = {
            "company": customer.name,
            "am": customer.account_manager,
            "am_first": customer.account_manager.split()[0],
            "plan": sub.plan,
            "seats": str(sub.seats),
            "mrr": f"${sub.mrr:,.2f}",
            "amount": f"${(invoice.amount if invoice else sub.mrr):,.2f}",
            "invoice_ref": f"#{invoice.invoice_id}" if invoice else f"for {MONTH_NAMES[billed.month - 1]}",
            "month": MONTH_NAMES[billed.month - 1],
            "date_short": f"{MONTH_NAMES[recent.month - 1]} {recent.day}",
            "weekday": DAY_NAMES[(day - timedelta(days=rng.randint(1, 6))).weekday()],
        }
        if rng.random() < 0.5:
            slots["team"] = rng.choice(ticket_text.INDUSTRY_TEAMS[customer.industry])
        if rng.random() < 0.5:
            slots["dashboard"] = rng.choice(ticket_text.INDUSTRY_DASHBOARDS[customer.industry])
        if ticket.incident and rng.random() < 0.6:
            start = ticket.incident["start"]
            slots["since"] = f"since about {start:%H:%M} UTC"
            slots["cloud_region"] = ticket.incident["cloud_region"]
        return slots


def make_tickets(rng: random.Random, n: int, customers: list, subs: list, invoices: list) -> list:
    incidents = make_incidents(rng)
    tickets = _draft_tickets(rng, n, customers, incidents)
    context = TicketContext(subs, invoices)
    for ticket in tickets:
        ticket.channel = _channel(rng, ticket.topic)
        ticket.style = _style(rng, ticket)
        ticket.priority = _priority(rng, ticket)
        ticket.status = _status(rng, ticket.created_at)
        slots = context.known_slots(rng, ticket)
        ticket.subject, ticket.body = ticket_text.compose_ticket(
            rng, ticket.topic, ticket.style, slots, ticket.secondary)
    _ensure_ticket_values(tickets)
    return tickets


def _ensure_ticket_values(tickets: list) -> None:
    """Every status, priority and channel appears, even at tiny scales."""
    for attr, values in (("status", TICKET_STATUSES), ("priority", PRIORITIES), ("channel", CHANNELS)):
        for value in values:
            counts = Counter(getattr(t, attr) for t in tickets)
            if counts[value]:
                continue
            common = counts.most_common(1)[0][0]
            target = next(t for t in reversed(tickets) if getattr(t, attr) == common)
            setattr(target, attr, value)


# ---------------------------------------------------------------------------
# Contracts
# ---------------------------------------------------------------------------


def _plan_facts(subs: list, day: date) -> dict:
    running = [s for s in subs if s.start_date <= day] or subs
    sub = running[-1]
    annual = sub.billing_cycle == "annual"
    return {
        "plan": sub.plan,
        "seats": sub.seats,
        "monthly_fee": f"{sub.mrr:,.2f}",
        "annual_fee": f"{sub.mrr * 12:,.2f}",
        "billing_cycle_title": "Annual" if annual else "Monthly",
        "billing_cycle_adv": "annually" if annual else "monthly",
        "start_long": contract_text.long_date(sub.start_date),
    }


def _country_phrase(country: str) -> str:
    return f"the {country}" if country in COUNTRIES_WITH_ARTICLE else country


def _contract_count(rng: random.Random, customer: Customer) -> int:
    if customer.segment == "Enterprise":
        return _weighted(rng, CONTRACTS_PER_CUSTOMER["Enterprise"])
    if customer.segment == "Mid-Market" and rng.random() < MID_MARKET_CONTRACT_SHARE:
        return _weighted(rng, CONTRACTS_PER_CUSTOMER["Mid-Market"])
    return 0


def _first_contract_type(rng: random.Random, customer: Customer) -> str:
    if customer.segment == "Enterprise" or rng.random() < 0.55:
        return "MSA"
    return "Order Form"


def _follow_up_type(rng: random.Random, customer: Customer, docs: list) -> str:
    weights = dict(FOLLOW_UP_CONTRACT_WEIGHTS)
    if customer.region == "EMEA":
        weights["DPA"] *= 2
    if any(d.contract_type == "DPA" for d in docs):
        del weights["DPA"]
    if not any(d.contract_type == "MSA" for d in docs):
        weights.pop("Amendment", None)
    return _weighted(rng, weights)


def _signed_date(rng: random.Random, kind: str, customer: Customer, docs: list, subs: list):
    """Signing date for a new document, or None if it cannot fit before the customer's end date."""
    first = docs[0].signed_date if docs else None
    end = customer.end_date
    if kind in ("MSA", "Order Form") and not docs:
        return max(HISTORY_START, customer.signup_date - timedelta(days=rng.randint(0, 20)))
    if kind == "DPA":
        return min(end, first + timedelta(days=rng.randint(0, 30)))
    if kind == "Order Form":
        later = [s for s in subs if s.start_date > first] or subs
        sub = rng.choice(later)
        return max(first, sub.start_date - timedelta(days=rng.randint(0, 10)))
    earliest = max(d.signed_date for d in docs) + timedelta(days=120)
    if earliest > end:
        return None
    return _rand_date(rng, earliest, min(end, earliest + timedelta(days=700)))


def _term_months(rng: random.Random, kind: str, facts: dict, docs: list) -> int:
    if kind == "Order Form" and facts["billing_cycle_adv"] == "monthly":
        return 12
    if kind == "DPA" and docs:
        return docs[0].term_months
    if kind == "Amendment":
        return rng.choice((12, 24))
    return rng.choice((12, 24, 24, 36))


def _add_contract(rng: random.Random, kind: str, customer: Customer, docs: list, subs: list, state: dict) -> bool:
    signed = _signed_date(rng, kind, customer, docs, subs)
    if signed is None:
        return False
    if kind == "Amendment":
        state["terms"] = contract_text.amend_terms(rng, state["terms"])
        state["amendments"] += 1
    facts = _plan_facts(subs, signed)
    msa = next((d for d in docs if d.contract_type == "MSA"), None)
    facts.update({
        "customer": customer.name,
        "country": _country_phrase(customer.country),
        "signed_date": signed,
        "amend_no": state["amendments"],
        "agreement_long": contract_text.long_date(msa.signed_date if msa else signed),
    })
    facts["term_months"] = _term_months(rng, kind, facts, docs)
    docs.append(Contract(customer, kind, signed, facts["term_months"], dict(state["terms"]), facts))
    return True


def _customer_contracts(rng: random.Random, customer: Customer, subs: list, count: int, state=None) -> list:
    state = state or {"terms": contract_text.deal_terms(rng, customer.segment, customer.region, customer.country),
                      "amendments": 0}
    docs: list = []
    _add_contract(rng, _first_contract_type(rng, customer), customer, docs, subs, state)
    for _ in range(count - 1):
        _add_contract(rng, _follow_up_type(rng, customer, docs), customer, docs, subs, state)
    return docs


def make_contracts(rng: random.Random, customers: list, subs: list) -> list:
    subs_by_customer: dict = {}
    for sub in subs:
        subs_by_customer.setdefault(sub.customer_id, []).append(sub)
    docs_by_customer = {}
    for customer in customers:
        count = _contract_count(rng, customer)
        if count:
            docs_by_customer[customer.customer_id] = _customer_contracts(
                rng, customer, subs_by_customer[customer.customer_id], count)
    _ensure_contract_minimum(rng, customers, subs_by_customer, docs_by_customer)
    _ensure_contract_types(rng, customers, subs_by_customer, docs_by_customer)
    contracts = [doc for docs in docs_by_customer.values() for doc in docs]
    contracts.sort(key=lambda c: (c.signed_date, c.customer.customer_id, contract_text.CONTRACT_TYPES.index(c.contract_type)))
    for number, contract in enumerate(contracts, start=1):
        contract.contract_id = f"C-{number:06d}"
        contract.text = contract_text.render_contract(rng, contract.contract_type, contract.terms, contract.facts)
    return contracts


def _ensure_contract_minimum(rng, customers, subs_by_customer, docs_by_customer) -> None:
    rank = {"Enterprise": 0, "Mid-Market": 1, "SMB": 2}
    spare = sorted((c for c in customers if c.customer_id not in docs_by_customer),
                   key=lambda c: (rank[c.segment], -c.employees, c.customer_id))
    while sum(len(d) for d in docs_by_customer.values()) < MINIMUMS["contracts"] and spare:
        customer = spare.pop(0)
        docs_by_customer[customer.customer_id] = _customer_contracts(
            rng, customer, subs_by_customer[customer.customer_id], 1)


def _ensure_contract_types(rng, customers, subs_by_customer, docs_by_customer) -> None:
    """Small scales must still contain every contract type."""
    by_id = {c.customer_id: c for c in customers}
    for kind in contract_text.CONTRACT_TYPES:
        if any(d.contract_type == kind for docs in docs_by_customer.values() for d in docs):
            continue
        for customer_id, docs in docs_by_customer.items():
            if not any(d.contract_type == "MSA" for d in docs):
                continue
            customer = by_id[customer_id]
            terms = {"terms": docs[-1].terms, "amendments": sum(d.contract_type == "Amendment" for d in docs)}
            if _add_contract(rng, kind, customer, docs, subs_by_customer[customer_id], terms):
                break


# ---------------------------------------------------------------------------
# Knowledge base
# ---------------------------------------------------------------------------


def make_kb(rng: random.Random, n: int) -> list:
    """Pick ``n`` articles round-robin over categories so every category appears."""
    pool = kb_text.article_pool()
    by_category = {topic: [i for i, a in enumerate(pool) if a[0] == topic] for topic in ticket_text.TOPICS}
    for indices in by_category.values():
        rng.shuffle(indices)
    chosen: list = []
    while len(chosen) < min(n, len(pool)):
        for indices in by_category.values():
            if indices and len(chosen) < n:
                chosen.append(indices.pop())
    articles = []
    for article_id, index in enumerate(sorted(chosen), start=1):
        category, title, intro, steps = pool[index]
        updated = _rand_date(rng, date(2024, 1, 1), TODAY)
        body = kb_text.render_body(rng, category, title, intro, steps)
        articles.append({"article_id": article_id, "title": title, "category": category,
                         "updated": updated, "slug": kb_text.slugify(title), "body": body})
    return articles


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


def _write_csv(path: Path, header: tuple, rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def write_customers(out_dir: Path, customers: list) -> None:
    header = ("customer_id", "name", "segment", "region", "country", "state", "industry", "employees",
              "signup_date", "account_manager", "health_score", "is_active")
    _write_csv(out_dir / "customers.csv", header, (
        (c.customer_id, c.name, c.segment, c.region, c.country, c.state, c.industry, c.employees,
         _fmt_date(c.signup_date), c.account_manager, c.health_score, "true" if c.is_active else "false")
        for c in customers))


def write_subscriptions(out_dir: Path, subs: list) -> None:
    header = ("subscription_id", "customer_id", "plan", "seats", "mrr", "currency", "start_date", "end_date",
              "status", "billing_cycle")
    _write_csv(out_dir / "subscriptions.csv", header, (
        (s.subscription_id, s.customer_id, s.plan, s.seats, _money(s.mrr), "USD", _fmt_date(s.start_date),
         _fmt_date(s.end_date), s.status, s.billing_cycle)
        for s in subs))


def write_invoices(out_dir: Path, invoices: list) -> None:
    header = ("invoice_id", "customer_id", "subscription_id", "amount", "issued_date", "due_date", "paid_date",
              "status")
    _write_csv(out_dir / "invoices.csv", header, (
        (i.invoice_id, i.customer_id, i.subscription_id, _money(i.amount), _fmt_date(i.issued_date),
         _fmt_date(i.due_date), _fmt_date(i.paid_date), i.status)
        for i in invoices))


def _quarter(moment: datetime) -> str:
    return f"{moment.year}-Q{(moment.month - 1) // 3 + 1}"


def write_tickets(out_dir: Path, tickets: list) -> int:
    folder = out_dir / "tickets"
    folder.mkdir()
    by_quarter: dict = {}
    for t in tickets:
        record = {
            "ticket_id": t.ticket_id,
            "customer_id": t.customer.customer_id,
            "created_at": t.created_at.isoformat(timespec="seconds"),
            "priority": t.priority,
            "channel": t.channel,
            "status": t.status,
            "topic": t.topic,
            "subject": t.subject,
            "body": t.body,
        }
        by_quarter.setdefault(_quarter(t.created_at), []).append(json.dumps(record, ensure_ascii=False))
    for quarter, lines in by_quarter.items():
        (folder / f"{quarter}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(by_quarter)


def write_contracts(out_dir: Path, contracts: list) -> None:
    folder = out_dir / "contracts"
    for contract in contracts:
        target = folder / str(contract.customer.customer_id)
        target.mkdir(parents=True, exist_ok=True)
        (target / f"{contract.contract_id}.md").write_text(contract.text, encoding="utf-8")
    folder.mkdir(exist_ok=True)


def _yaml_scalar(text: str) -> str:
    """Plain YAML scalar when safe, double-quoted otherwise."""
    risky = ": " in text or " #" in text or text[:1] in "'\"[]{}&*!|>%@`-?,"
    return json.dumps(text, ensure_ascii=False) if risky else text


def write_kb(out_dir: Path, articles: list) -> None:
    folder = out_dir / "kb"
    folder.mkdir()
    for article in articles:
        front = (
            "---\n"
            f"article_id: {article['article_id']}\n"
            f"title: {_yaml_scalar(article['title'])}\n"
            f"category: {article['category']}\n"
            f"updated: {article['updated'].isoformat()}\n"
            "---\n\n"
        )
        (folder / f"{article['slug']}.md").write_text(front + article["body"], encoding="utf-8")


def _clean(out_dir: Path) -> None:
    """Remove only the files and folders this generator owns."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OWNED_FILES:
        (out_dir / name).unlink(missing_ok=True)
    for name in OWNED_DIRS:
        if (out_dir / name).exists():
            shutil.rmtree(out_dir / name)


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------


def generate(out_dir: Path, scale: float = 1.0, seed: int = 7) -> dict:
    """Write the data set to ``out_dir`` and return the number of records per table."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    customers = make_customers(_rng(seed, "customers"), _scaled("customers", scale))
    subs = make_subscriptions(_rng(seed, "subscriptions"), customers)
    invoices = make_invoices(_rng(seed, "invoices"), customers, subs)
    tickets = make_tickets(_rng(seed, "tickets"), _scaled("tickets", scale), customers, subs, invoices)
    contracts = make_contracts(_rng(seed, "contracts"), customers, subs)
    articles = make_kb(_rng(seed, "kb"), _scaled("kb", scale))

    _clean(out_dir)
    write_customers(out_dir, customers)
    write_subscriptions(out_dir, subs)
    write_invoices(out_dir, invoices)
    write_tickets(out_dir, tickets)
    write_contracts(out_dir, contracts)
    write_kb(out_dir, articles)
    return {
        "customers": len(customers),
        "subscriptions": len(subs),
        "invoices": len(invoices),
        "tickets": len(tickets),
        "contracts": len(contracts),
        "kb": len(articles),
    }


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the Acme Analytics example data set.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--scale", type=float, default=1.0, help="size multiplier, 1.0 = 1,200 customers")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = generate(args.out, scale=args.scale, seed=args.seed)
    elapsed = time.perf_counter() - started
    for table, count in counts.items():
        print(f"{table:>14}: {count:,}")
    print(f"wrote {args.out} in {elapsed:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
