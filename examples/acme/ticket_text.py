"""Support-ticket text for the Acme Analytics example data set.

Every ticket is composed from sentence fragments of its topic (problems,
details, impacts, things already tried, asks) wrapped in one of several
writing styles. Fragments use ``{slot}`` placeholders that are filled per
ticket by :class:`Slots`, so one ticket mentions the same connector, identity
provider or dashboard throughout.

Only the standard library is used; all randomness comes from the
``random.Random`` instance passed in by the caller.
"""

from __future__ import annotations

import random
import re

TOPICS = (
    "outage",
    "performance",
    "refund",
    "billing_dispute",
    "sso_login",
    "data_export",
    "api_rate_limit",
    "integration_sync",
    "feature_request",
    "security_compliance",
    "data_residency",
    "onboarding",
    "cancellation",
    "bug_report",
)

STYLES = (
    "terse",
    "angry",
    "polite",
    "non_native",
    "bullets",
    "exec_forward",
    "call_note",
)

# ---------------------------------------------------------------------------
# Slot values shared by all topics
# ---------------------------------------------------------------------------

SLOT_CHOICES = {
    "dashboard": (
        "Revenue Overview", "Pipeline by Stage", "Weekly Active Users", "Churn Cohorts",
        "Executive KPI", "Marketing Attribution", "Board Pack", "Ops Daily", "Regional Sales",
        "Cash Flow", "Headcount Planning", "Customer Health",
    ),
    "connector": (
        "Salesforce", "HubSpot", "Snowflake", "BigQuery", "Redshift", "PostgreSQL",
        "MySQL", "NetSuite", "Zendesk", "Stripe", "Shopify", "Marketo",
        "Google Analytics 4", "SAP HANA", "Jira", "Workday",
    ),
    "warehouse": ("Snowflake", "BigQuery", "Redshift", "Databricks", "PostgreSQL"),
    "idp": ("Okta", "Azure AD", "Google Workspace", "OneLogin", "Ping Identity", "JumpCloud"),
    "area": (
        "query editor", "scheduled reports page", "pipelines page", "workspace settings",
        "notebook view", "alerts screen", "admin console", "data catalog",
        "semantic layer editor", "embedded analytics settings",
    ),
    "cloud_region": (
        "eu-west-1 (Ireland)", "eu-central-1 (Frankfurt)", "us-east-1", "us-west-2",
        "ap-southeast-2 (Sydney)", "ap-northeast-1 (Tokyo)",
    ),
    "office_city": (
        "Chicago", "Austin", "London", "Berlin", "Madrid", "Toronto", "Sydney",
        "Singapore", "Sao Paulo", "Mexico City", "Dublin", "Amsterdam",
    ),
    "since": (
        "since about 8:40 this morning", "since around 2pm", "since the weekend",
        "for the last three hours", "since yesterday evening", "since roughly 07:15 UTC",
        "since last night's release", "since just after lunch", "for about forty minutes now",
    ),
    "team": (
        "finance team", "ops team", "sales leadership", "analysts", "data team",
        "customer success team", "exec team", "marketing team", "reporting team",
    ),
    "meeting": (
        "a board meeting on Thursday", "quarter close this week", "the Monday exec review",
        "month-end reporting", "a customer demo tomorrow", "our audit next week",
        "the investor update on Friday", "our planning offsite",
    ),
    "outage_err": (
        "502 Bad Gateway", "503 Service Unavailable", "ERR_UPSTREAM_TIMEOUT",
        "a blank white page", "'We'll be right back'", "504 Gateway Timeout",
    ),
    "perf_err": (
        "QUERY_TIMEOUT after 300s", "'Query exceeded memory limit'", "a 504 after two minutes",
        "'Result set too large, try adding filters'", "ERR_QUEUE_FULL",
    ),
    "sso_err": (
        "SAML_RESPONSE_INVALID", "'Audience mismatch'", "'NameID missing from assertion'",
        "'Signature validation failed'", "invalid_grant", "'Assertion expired (clock skew)'",
    ),
    "export_err": (
        "EXPORT_FAILED_413", "'AccessDenied' from the bucket", "'Export timed out'",
        "a generic 'Something went wrong'", "ERR_EXPORT_QUOTA",
    ),
    "api_err": (
        "HTTP 429 Too Many Requests", "429 with Retry-After: 60", "'rate_limit_exceeded'",
        "X-RateLimit-Remaining: 0 and then 429s",
    ),
    "sync_err": (
        "ERR_SYNC_4102", "'schema drift detected'", "'OAuth token expired'",
        "'column type mismatch on amount'", "'Source API returned 500'", "ERR_SYNC_TIMEOUT",
    ),
    "bug_err": (
        "'TypeError: cannot read properties of undefined'", "'Something went wrong (ref 8f2c1a)'",
        "a red 'Failed to save' toast", "an empty error dialog", "'Unexpected token in JSON'",
    ),
    "dest": (
        "S3 bucket", "Azure Blob container", "Google Cloud Storage bucket", "SFTP server",
    ),
    "feature": (
        "dark mode", "row-level security based on user groups", "export to PowerPoint",
        "Git version control for metric definitions", "custom fiscal calendars",
        "scheduled exports to SFTP", "a Terraform provider", "bulk user provisioning via SCIM",
        "conditional formatting in pivot tables", "drill-through between dashboards",
        "Slack alerts when a metric crosses a threshold", "a read-only API for dashboard metadata",
        "annotations on time-series charts", "per-dashboard usage statistics",
        "translated dashboards for our Spanish-speaking teams",
    ),
    "standard": (
        "SOC 2 Type II", "ISO 27001", "HIPAA BAA", "PCI DSS attestation",
        "penetration test summary", "CAIQ", "DORA register information",
    ),
    "residency_region": (
        "the EU", "Germany", "Australia", "Canada", "the UK", "Switzerland", "the US",
    ),
    "role": (
        "Data Analyst", "BI Lead", "IT Administrator", "Finance Manager", "Head of Operations",
        "Analytics Engineer", "Controller", "Workspace Admin", "RevOps Manager",
    ),
    "exec_title": ("CFO", "COO", "CTO", "VP Finance", "VP Operations", "Chief Data Officer", "Head of IT"),
    "hours": ("three", "four", "five", "almost six", "seven"),
    "n_users": ("40", "a dozen", "about 300", "more than 150", "25", "roughly 80", "all 600"),
    "rows": ("40 million rows", "2.3 million rows", "120 million rows", "900k rows", "15 million rows"),
    "api_calls": ("5,000", "1,200", "20,000", "600", "12,000"),
    "chrome_ver": ("124", "126", "129", "131", "133"),
}

INDUSTRY_TEAMS = {
    "Healthcare": ("clinical operations group", "revenue cycle team"),
    "Financial Services": ("risk team", "treasury team"),
    "Retail": ("store operations team", "merchandising team"),
    "Manufacturing": ("plant managers", "supply chain team"),
    "Software": ("product team", "growth team"),
    "Education": ("admissions office", "institutional research team"),
    "Media": ("editorial team", "ad sales team"),
    "Logistics": ("warehouse managers", "dispatch team"),
    "Government": ("program office", "budget office"),
    "Energy": ("grid operations team", "field services team"),
}

INDUSTRY_DASHBOARDS = {
    "Healthcare": ("Patient Throughput", "Bed Occupancy", "Claims Aging"),
    "Financial Services": ("Loan Book", "Fraud Alerts", "Claims Aging"),
    "Retail": ("Store Performance", "Basket Analysis", "Inventory Turns"),
    "Manufacturing": ("Production Yield", "Scrap Rate", "Supplier Lead Times"),
    "Software": ("ARR Bridge", "Product Usage", "Trial Conversion"),
    "Education": ("Enrollment Funnel", "Course Completion", "Student Retention"),
    "Media": ("Audience Reach", "Ad Yield", "Subscriber Growth"),
    "Logistics": ("Fulfilment SLA", "On-Time Delivery", "Fleet Utilisation"),
    "Government": ("Service Requests", "Budget vs Actuals", "Permit Backlog"),
    "Energy": ("Grid Load", "Outage Minutes", "Asset Maintenance"),
}

FIRST_NAMES = (
    "Alex", "Maria", "James", "Linh", "Fatima", "Noah", "Chloe", "Rafael", "Anna", "Ben",
    "Yuki", "Olga", "Samir", "Grace", "Mateo", "Ingrid", "Kwame", "Elena", "Ravi", "Hannah",
    "Lucas", "Mei", "Tomasz", "Zoe", "Omar", "Claire", "Jonas", "Ana", "Daniel", "Sara",
)
LAST_NAMES = (
    "Nguyen", "Schmidt", "Okafor", "Garcia", "Patel", "Kowalski", "Brennan", "Silva",
    "Johansson", "Takahashi", "Moreau", "Hughes", "Costa", "Fischer", "Walsh", "Kim",
    "Haddad", "Novak", "Reyes", "Lindgren", "Murphy", "Bauer", "Ito", "Ramos",
)


def _hex8(rng: random.Random) -> str:
    return "%08x" % rng.getrandbits(32)


def _digits4(rng: random.Random) -> str:
    return "%04d" % rng.randrange(10000)


def _time_hm(rng: random.Random) -> str:
    return "%02d:%02d" % (rng.randint(0, 23), rng.choice((0, 5, 10, 15, 20, 30, 40, 45, 50)))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


SLOT_FACTORIES = {
    "hex8": _hex8,
    "digits4": _digits4,
    "time_hm": _time_hm,
    "contact": _person,
    "exec_name": _person,
}


class Slots(dict):
    """Mapping for ``str.format_map`` that fills unknown slots lazily.

    The first use of a slot draws a value; later uses in the same ticket see
    the same value, which keeps a ticket internally consistent.
    """

    def __init__(self, rng: random.Random, known: dict):
        super().__init__(known)
        self._rng = rng

    def __missing__(self, key: str) -> str:
        if key in SLOT_FACTORIES:
            value = SLOT_FACTORIES[key](self._rng)
        else:
            value = self._rng.choice(SLOT_CHOICES[key])
        self[key] = value
        return value


# ---------------------------------------------------------------------------
# Topic fragments
# ---------------------------------------------------------------------------

TOPIC_TEXT = {
    "outage": {
        "subjects": (
            "Platform down?", "Nothing loads", "App unreachable for our whole team",
            "Dashboards stuck spinning", "Is there an incident right now?",
            "Total loss of service", "Workspace returns errors on every page",
            "Everything is down for us", "Status page says green but we are down",
            "Cannot reach the app at all", "Login works, nothing after that",
            "Service unavailable", "Down again",
        ),
        "problems": (
            "Nothing loads since this morning, every dashboard just spins forever.",
            "None of our users can open the workspace {since}.",
            "The web app returns {outage_err} on every page {since}.",
            "Every request to the workspace times out, both in the browser and through the API.",
            "Our entire team is staring at a blank screen right after logging in.",
            "The app is completely unreachable from our office in {office_city} and from home connections too.",
            "Scheduled reports did not go out at all this morning and the UI will not load either.",
            "We get past the login screen and then the page hangs on a grey loading bar.",
            "All of the embedded dashboards in our customer portal show an error box instead of charts.",
            "It looks like your service is down again, the second time this month.",
            "The workspace has been unavailable {since} and nobody on our side can get to any data.",
            "Queries are not running at all, the editor just says 'connecting' and never finishes.",
            "Your platform appears to be offline for our tenant in {cloud_region}.",
            "Since the maintenance window last night the whole application is dead for us.",
            "Every page shows {outage_err} and then bounces back to the home page.",
            "No one in the company can load anything in Acme right now.",
            "The site is not responding at all, the browser eventually gives up with {outage_err}.",
            "All charts are empty and the refresh button does nothing {since}.",
        ),
        "details": (
            "Our workspace is hosted in {cloud_region}.",
            "Your status page still shows all systems operational.",
            "It started at the same moment for colleagues in three different countries, so it is not our network.",
            "The API health endpoint also fails with {outage_err}.",
            "People on and off the VPN see exactly the same thing.",
            "The last successful refresh we can see was at {time_hm} UTC.",
            "The mobile app only says 'Unable to reach server'.",
            "Our other SaaS tools are working fine from the same machines.",
        ),
        "impacts": (
            "Our {team} cannot work at all until this is back.",
            "We have {meeting} and all the numbers live in your dashboards.",
            "Our own customers see broken charts in the portal we embed, which is very visible.",
            "We have {n_users} people blocked right now.",
            "Our operations floor runs off these screens, so people are working blind.",
            "This stops our daily revenue reporting completely.",
            "Every minute of this costs us, our operations centre depends on it.",
        ),
        "tried": (
            "We cleared caches and tried Chrome, Firefox and Edge.",
            "We tried from a phone hotspot to rule out our firewall.",
            "Our IT team confirmed there were no changes on our side.",
            "Logging out and back in does not help.",
            "We restarted the on-prem gateway service but it cannot reach your side either.",
        ),
        "asks": (
            "Please confirm whether there is an incident and give us an ETA.",
            "When will service be restored?",
            "We will need a root cause analysis once this is resolved.",
            "Please update the status page so we can point our users to it.",
            "Call me as soon as you know anything.",
            "Is there any workaround we can use in the meantime?",
            "Please tell us whether our data is safe.",
        ),
    },
    "performance": {
        "subjects": (
            "Dashboards very slow", "Query times have gotten much worse", "Report takes minutes to render",
            "Sluggish {area}", "Everything is sluggish today", "Timeouts on large queries",
            "Slow scheduled refresh", "Refresh taking hours", "Loading takes forever",
            "Performance regression after last release",
        ),
        "problems": (
            "The {dashboard} dashboard used to load in a few seconds and now takes over two minutes.",
            "Queries against our {warehouse} connection have become painfully slow this week.",
            "Filters take 30 to 40 seconds to apply, which makes the dashboards almost unusable.",
            "Our nightly refresh now runs for {hours} hours instead of about forty minutes.",
            "Large queries in the {area} fail with {perf_err}.",
            "The app feels sluggish everywhere, even switching between tabs lags.",
            "Charts render bit by bit and the browser tab freezes on the {dashboard} board.",
            "Scrolling a table with a few thousand rows makes the page hang.",
            "Since the last release the same SQL takes roughly five times longer to come back.",
            "Drill-downs are painfully slow: click, wait, wait some more.",
            "Downloading the {dashboard} view is fine but opening it interactively crawls.",
            "Things only get slow between 8 and 10 in the morning our time, exactly when everyone uses it.",
            "Our queries sit in a queue for minutes before they even start executing.",
            "The {dashboard} report eventually loads, but only after several spinning minutes.",
        ),
        "details": (
            "The underlying table has about {rows} and we have not changed the model.",
            "Running the same query directly in {warehouse} takes under ten seconds.",
            "The query profile shows most of the time spent in 'waiting for slot'.",
            "It affects all users, not just admins.",
            "We first noticed it on {weekday}.",
            "Query id from the history page: q_{hex8}.",
            "Memory on the browser tab goes above 3 GB while it loads.",
        ),
        "impacts": (
            "Our analysts are losing hours every day waiting on results.",
            "People have started copying numbers into spreadsheets because the dashboards are too slow.",
            "The deck for {meeting} is built from this report and we cannot wait this long.",
            "Our daily stand-up now starts with everyone staring at loading spinners.",
            "The {team} has stopped trusting that the report will be ready in time.",
        ),
        "tried": (
            "We added an aggregate table as suggested in the docs, which helped only slightly.",
            "We reduced the date range to 90 days and it is still slow.",
            "Caching is enabled on the dashboard.",
            "We scaled up the warehouse on our side with no difference.",
            "We removed the two heaviest tiles and it barely changed.",
        ),
        "asks": (
            "Can someone look at the query plan and tell us what is going on?",
            "Is there a known regression?",
            "Please advise how to tune this, or raise our concurrency limit.",
            "We would like an engineer to review the model with us.",
            "Let us know if you need a HAR file or query ids.",
        ),
    },
    "refund": {
        "subjects": (
            "Refund request", "Charged after cancelling", "Please reverse this charge",
            "Money back for unused seats", "Duplicate payment", "Request to credit our account",
            "Charged twice this month", "Renewal charged by mistake", "Reimbursement please",
        ),
        "problems": (
            "We were charged {amount} on invoice {invoice_ref} even though we cancelled before the renewal date.",
            "Our card was billed twice for the same month and we would like the second payment returned.",
            "We moved off the {plan} plan last month but were still billed at the old rate.",
            "The annual plan renewed on its own and we never intended to continue at that size.",
            "We paid for {seats} seats but only ever activated about half of them.",
            "Because of the downtime last week we believe we are owed money back.",
            "A trial workspace converted to paid without anyone on our side approving it.",
            "We want our money back for the rest of the term, the product did not work for our use case.",
            "We paid invoice {invoice_ref} by wire and then the same amount was also taken from the card on file.",
            "Our finance team spotted a charge of {amount} that nobody here recognises.",
            "We were promised a credit for the unused months when we downsized, but it never showed up.",
        ),
        "details": (
            "The cancellation confirmation email is dated {date_short}.",
            "Our purchase order only covers {seats} seats.",
            "The duplicate payment reference ends in {digits4}.",
            "I have attached the bank statement showing both debits.",
            "{am} agreed on a call that this would be reversed.",
        ),
        "impacts": (
            "This was not budgeted and our controller needs it reversed before month end.",
            "Procurement will not approve any further spend until this is sorted.",
            "It has pushed our department over its software budget for the quarter.",
        ),
        "tried": (
            "I could not find a way to request this on the billing page.",
            "I already emailed {am} but have not heard back.",
            "Our bank says the charge has to be reversed by the merchant.",
        ),
        "asks": (
            "Please refund the duplicate amount to the original card.",
            "Can you issue a credit note and confirm the amount?",
            "How long does it take for the money to be back in our account?",
            "Please process a pro-rated reimbursement for the unused months.",
            "We would accept a credit against the next invoice if paying it back is not possible.",
            "Please send the money back to the account it came from.",
        ),
    },
    "billing_dispute": {
        "subjects": (
            "Invoice looks wrong", "Question about invoice {invoice_ref}", "Seat count on bill is incorrect",
            "Overcharged?", "Dispute: {month} invoice", "Tax on our invoice", "PO number missing on invoice",
            "Price increase not agreed", "Unexpected line item", "Invoice does not match contract",
        ),
        "problems": (
            "Invoice {invoice_ref} shows {amount}, which does not match the price in our order form.",
            "We are billed for {seats} seats but the admin console shows far fewer active users.",
            "The {month} invoice includes an overage line we do not understand.",
            "Our contract says net 60 but the invoice says payment is due in 30 days.",
            "Nobody told us about the price increase that appears on this month's bill.",
            "The invoice is addressed to our old legal entity and accounts payable will reject it.",
            "VAT was added even though we gave you our VAT number at checkout.",
            "Our PO number is missing, so the invoice is stuck in our approval workflow.",
            "The usage-based line for API calls is about ten times higher than our actual traffic.",
            "We keep getting payment reminders for an invoice we already contested.",
            "The amount on the {month} statement is higher than what {am} quoted us.",
            "We were billed for the {plan} plan although we signed for a lower tier.",
        ),
        "details": (
            "Our order form lists the {plan} plan at a fixed monthly price.",
            "We had {n_users} active users last month according to your own usage report.",
            "The line item is labelled 'Compute overage - tier 2'.",
            "The invoice date is {date_short}.",
            "Our billing address changed in January and we updated it in the portal.",
        ),
        "impacts": (
            "Accounts payable has put all Acme invoices on hold until this is clarified.",
            "We cannot pay an invoice we cannot reconcile against the PO.",
            "Our auditors flagged the mismatch during the quarterly review.",
        ),
        "tried": (
            "I compared it line by line with last quarter's invoices.",
            "I checked the usage page in the admin console.",
        ),
        "asks": (
            "Please send a corrected invoice.",
            "Can you break down how this amount was calculated?",
            "Please pause the reminders while we sort this out.",
            "Can someone from your finance team call our AP team?",
            "Please reissue it with our PO reference included.",
        ),
    },
    "sso_login": {
        "subjects": (
            "SSO not working", "Can't log in via {idp}", "SAML error on login", "Users locked out",
            "Login loop", "New employees can't access workspace", "Sign-in broken after certificate change",
            "Access problem", "Cannot sign in", "Identity provider integration",
        ),
        "problems": (
            "When our users click the {idp} tile they end up back on the login page in a loop.",
            "Sign-in fails with {sso_err} right after the redirect from {idp}.",
            "Nobody can get in since we rotated the signing certificate in {idp}.",
            "New hires are provisioned in {idp} but get 'user not found' when they try to sign in.",
            "Password login is disabled for us and the single sign-on button now throws an error.",
            "Some users are asked for a password even though we enforce sign-in through {idp}.",
            "After we changed our email domain, people can no longer get into their accounts.",
            "The session expires every few minutes and everyone has to authenticate again.",
            "People we removed in {idp} can still log into Acme days later.",
            "I am locked out as the only admin and cannot reset the identity provider settings.",
            "Just-in-time provisioning creates duplicate accounts with the wrong role.",
            "Our users see {sso_err} and are stuck on your error page.",
        ),
        "details": (
            "The error page shows request id {hex8}.",
            "Our IdP entity id is unchanged, only the certificate changed.",
            "It works for people in the Admins group but not for Viewers.",
            "The SAML trace shows the NameID as the employee number instead of the email address.",
            "We switched from {idp} to a new tenant over the weekend.",
        ),
        "impacts": (
            "We have {n_users} employees who cannot reach their reports.",
            "Our security policy forbids falling back to passwords, so we are completely stuck.",
            "Our new starters cannot begin their training this week.",
        ),
        "tried": (
            "We re-downloaded the metadata XML and uploaded it again.",
            "We checked the clock on our IdP server, it is in sync.",
            "We tested with a fresh browser profile.",
            "We removed and re-added the app assignment in {idp}.",
        ),
        "asks": (
            "Please check the SAML logs on your side for our workspace.",
            "Can you temporarily enable a break-glass admin login?",
            "What attribute mapping do you expect for email and groups?",
            "Please reset our identity provider configuration so we can start over.",
        ),
    },
    "data_export": {
        "subjects": (
            "Export failing", "Can't download full dataset", "CSV download truncated",
            "Scheduled delivery to our {dest} not arriving", "Need a full copy of our data",
            "Excel download broken", "Export stuck in queue", "Bulk download of historical data",
            "Getting our data out",
        ),
        "problems": (
            "Downloading the {dashboard} table as CSV stops at exactly one million rows.",
            "The scheduled export to our {dest} has not delivered a file for three days.",
            "Downloads fail with {export_err} whenever the result is larger than a few hundred MB.",
            "The Excel file we download has broken characters in every column with accents.",
            "We need a complete dump of all our workspace data for an internal archive.",
            "Our export job has been sitting in the queue with status 'preparing' since yesterday.",
            "Dates in the downloaded file come out as numbers instead of proper timestamps.",
            "The Parquet files landing in our {dest} have a different schema from last week.",
            "Clicking 'Download results' in the {area} does nothing at all.",
            "We want to move our historical reports out so we can load them into {warehouse}.",
            "The nightly file drop to our {dest} arrives empty.",
        ),
        "details": (
            "The bucket policy grants write access to the role from your documentation.",
            "Smaller downloads with a date filter work fine.",
            "The file arrives but is zero bytes.",
            "The job id shown in the UI is exp_{hex8}.",
        ),
        "impacts": (
            "Our auditors need the full extract by Friday.",
            "Downstream jobs in our data lake depend on that file landing every night.",
            "Our {team} has been copying numbers by hand in the meantime.",
        ),
        "tried": (
            "We re-entered the bucket credentials.",
            "We tried both the CSV and Parquet formats.",
            "We split the date range into smaller chunks, which is very tedious.",
        ),
        "asks": (
            "Is there a row limit we can raise for our workspace?",
            "Can you provide a one-off full export?",
            "Please tell us the supported way to pull everything out in bulk.",
            "Can you check why the delivery is failing on your side?",
        ),
    },
    "api_rate_limit": {
        "subjects": (
            "429 errors from API", "API throttling", "Limits too low for our integration",
            "Requests being rejected", "Need higher API quota", "Intermittent API failures",
            "Retry-After question", "Our job keeps getting blocked",
        ),
        "problems": (
            "Our integration started getting {api_err} after about {api_calls} requests.",
            "The nightly sync script is being throttled and only gets through part of the job.",
            "Calls to the query endpoint are rejected in bursts even though we stay under the documented limit.",
            "We hit the per-minute cap when our ETL tool paginates through large results.",
            "Since yesterday the API answers 'too many requests' to every call for several minutes at a time.",
            "Our service account shares a quota with the UI users, so dashboards break whenever the job runs.",
            "The Retry-After header says 60 seconds but we are still blocked after waiting.",
            "Our embed token endpoint starts failing under load during business hours.",
            "The limits in the documentation do not match what we see in practice.",
            "Our backend gets {api_err} as soon as more than a handful of users open the embedded reports.",
        ),
        "details": (
            "We use one service account with a single API key.",
            "We implemented exponential backoff starting at one second.",
            "Peak traffic is about {api_calls} calls per minute.",
            "The failing requests all go to the /v2/query endpoint.",
        ),
        "impacts": (
            "Partial syncs mean our customer-facing numbers are out of date.",
            "Our product team is blocked on launching the embedded analytics feature.",
            "Our nightly pipeline misses its SLA every time this happens.",
        ),
        "tried": (
            "We added jitter and reduced concurrency to four workers.",
            "We batched requests wherever the API allows it.",
            "We spread the job over two hours, which only delays the problem.",
        ),
        "asks": (
            "Can you raise the limit for our workspace?",
            "What are the actual limits per key and per workspace?",
            "Is there a bulk endpoint we should be using instead?",
            "Please confirm whether limits apply per user or per organisation.",
        ),
    },
    "integration_sync": {
        "subjects": (
            "{connector} sync failing", "Connector stuck", "Data not updating from {connector}",
            "Missing records after sync", "Sync error {sync_err}", "Stale data in dashboards",
            "Schema change broke pipeline", "Duplicate rows after sync", "{connector} numbers out of date",
        ),
        "problems": (
            "The {connector} connector has failed every run since {weekday} with {sync_err}.",
            "Our {connector} data in Acme is about two days behind even though each run says successful.",
            "New fields we added in {connector} are not coming through.",
            "Each sync creates duplicate rows for the same record id.",
            "The pipeline stops halfway with 'schema drift detected' after someone renamed a column.",
            "Records deleted in {connector} still show up in our reports.",
            "The {connector} source keeps asking us to re-authenticate every morning.",
            "Only the first 10,000 records are pulled and the rest are silently skipped.",
            "Incremental loads from {connector} ignore updates made to existing rows.",
            "Timestamps from {connector} are shifted by several hours after they land.",
            "The history page shows green ticks but the table row count has not changed in a week.",
            "Yesterday's orders from {connector} never showed up in the {dashboard} dashboard.",
        ),
        "details": (
            "The last good run was on {date_short}.",
            "We use incremental mode with the updated_at cursor.",
            "The service user in {connector} has admin permissions.",
            "The run log ends with {sync_err}.",
        ),
        "impacts": (
            "Our numbers on the {dashboard} board are wrong, and leadership noticed.",
            "We are making decisions on stale data.",
            "The {team} is reconciling by hand until this works again.",
        ),
        "tried": (
            "We reconnected the source and triggered a full resync.",
            "We checked the field-level permissions in {connector}.",
            "We paused and resumed the pipeline.",
        ),
        "asks": (
            "Can you check the connector logs for our workspace?",
            "Is there a way to force a historical backfill?",
            "Is this a known issue with the {connector} connector?",
        ),
    },
    "feature_request": {
        "subjects": (
            "Feature request: {feature}", "Suggestion", "Would love to see {feature}",
            "Any plans for {feature}?", "Roadmap question", "Idea for the product", "Missing capability",
            "Product feedback",
        ),
        "problems": (
            "It would be great if we could have {feature}.",
            "Is {feature} on the roadmap?",
            "We keep working around the lack of {feature}.",
            "Our team would really benefit from {feature}.",
            "Other vendors we evaluated offer {feature}, and it came up in our renewal discussion.",
            "Could you consider adding {feature} in a future release?",
            "A small wish from our analysts: {feature}.",
            "The one thing our users keep asking me for is {feature}.",
        ),
        "details": (
            "Today we export to Excel and do this by hand every week.",
            "We think {n_users} users would use this daily.",
            "Even a basic version would help.",
            "I saw a similar idea in the community forum with lots of votes.",
        ),
        "impacts": (
            "This would save us several hours per week.",
            "It would make rolling Acme out to the rest of the company much easier.",
        ),
        "tried": (
            "We tried to approximate it with calculated fields, but it gets messy.",
            "We built a small script around the API as a stopgap.",
        ),
        "asks": (
            "Please add our vote to this.",
            "Could you share any timeline?",
            "Happy to join a customer interview about it.",
            "Let us know if there is a beta we can join.",
        ),
    },
    "security_compliance": {
        "subjects": (
            "Security questionnaire", "Request for {standard} documentation", "Pen test results",
            "Vendor security review", "Compliance documentation needed", "Encryption question",
            "Audit evidence request", "Vulnerability report",
        ),
        "problems": (
            "Our vendor risk team needs your latest {standard} documentation before renewal.",
            "Please complete the attached security questionnaire, it has about 180 questions.",
            "We need to know how customer data is encrypted at rest and in transit.",
            "Our auditors asked for evidence of your access reviews and employee background checks.",
            "Can you confirm whether Acme will sign a {standard}?",
            "Our scanner flagged an outdated library in your browser extension.",
            "Our CISO wants a summary of your most recent penetration test.",
            "We need details on how long backups are kept and how deletion requests are honoured.",
            "Our policy requires customer-managed encryption keys, does the platform support that?",
            "We want audit logs of admin actions shipped to our SIEM.",
        ),
        "details": (
            "Our review deadline is the end of next month.",
            "The questionnaire follows the SIG Lite format.",
            "Our regulator asks about this for every new data processor.",
            "This is part of our annual third-party risk review.",
        ),
        "impacts": (
            "Procurement cannot finalise the renewal until security signs off.",
            "Without this we cannot onboard the finance division.",
        ),
        "tried": (
            "I looked through your trust page but could not find the current report.",
        ),
        "asks": (
            "Please share the report through your trust portal or under NDA.",
            "Who is the right contact on your security team?",
            "Can we get a call with your security lead?",
        ),
    },
    "data_residency": {
        "subjects": (
            "Where is our data stored?", "Data location requirement", "Move workspace to {residency_region}",
            "Cross-border transfer question", "Hosting region", "Residency confirmation for legal",
        ),
        "problems": (
            "We need all our data to be stored and processed in {residency_region} only.",
            "Can you confirm which country our workspace data physically sits in?",
            "Our legal team is asking whether anything leaves {residency_region}, including backups and logs.",
            "We would like to move our workspace from us-east-1 to a region in {residency_region}.",
            "Does your support team access our data from outside {residency_region}?",
            "A new works council agreement requires employee data to stay in {residency_region}.",
            "Our public sector customers require that their data never crosses the border.",
            "Which subprocessors could see our data, and in which countries are they?",
            "Our regulator wants written proof of where the servers holding our records are located.",
        ),
        "details": (
            "This concerns our HR analytics workspace specifically.",
            "We are subject to GDPR and the latest national guidance on transfers.",
            "Our contract has a location clause but the DPA annex lists US subprocessors.",
        ),
        "impacts": (
            "Our DPO will not approve the rollout otherwise.",
            "We risk a finding in the next audit.",
        ),
        "tried": (
            "The workspace settings page does not show the hosting location anywhere.",
        ),
        "asks": (
            "Please send us written confirmation of the hosting location.",
            "What is the process and expected downtime for moving to another region?",
            "Can you provide the list of subprocessors with their locations?",
        ),
    },
    "onboarding": {
        "subjects": (
            "Getting started", "New workspace setup help", "Onboarding call", "How do I invite my team?",
            "First dashboard", "Training for new users", "Where do I start?", "Kickoff follow-up",
        ),
        "problems": (
            "We just signed up and are not sure how to connect our first data source.",
            "How do I invite the rest of my team and give them view-only access?",
            "Could we schedule the onboarding session that was part of our plan?",
            "I am new to Acme and would like to know the best way to model our sales data.",
            "Our admin left and I have inherited the workspace with no handover.",
            "What is the recommended way to organise folders and permissions for {n_users} users?",
            "We are moving off spreadsheets and want to rebuild our weekly report here.",
            "Is there training material for non-technical users?",
            "I cannot find where to set our fiscal year start and time zone.",
            "We bought the {plan} plan last week and would like help with the first steps.",
        ),
        "details": (
            "We have {connector} and a {warehouse} instance ready to go.",
            "Our kickoff with {am} was last week.",
            "Most of our users have never used a BI tool before.",
        ),
        "impacts": (
            "We want to go live with leadership before the end of the quarter.",
            "Our {team} is eager to start but we do not want to set things up wrong.",
        ),
        "tried": (
            "I watched the intro video but it skips the permissions part.",
        ),
        "asks": (
            "Could you point me to the right guides?",
            "Can we book a thirty minute call this week?",
            "Is there a checklist for new admins?",
        ),
    },
    "cancellation": {
        "subjects": (
            "Cancel our subscription", "Not renewing", "Notice of non-renewal", "How to close our account",
            "Downgrade or cancel", "Ending our contract", "Termination notice", "Account closure",
        ),
        "problems": (
            "We have decided not to renew our {plan} subscription.",
            "Please treat this as formal notice that we want to end our contract at the end of the term.",
            "How do we close the workspace and stop future billing?",
            "We are consolidating tools and Acme is being phased out.",
            "Budget cuts mean we have to stop using the platform after this month.",
            "After the repeated problems this quarter we are moving to another vendor.",
            "We would like to drop to the smallest plan or leave altogether.",
            "Our company was acquired and the new parent has its own analytics stack.",
            "Nobody on our side uses the dashboards anymore, so we want to stop paying.",
            "We will not be continuing with Acme once the current term is up.",
        ),
        "details": (
            "Our renewal date is coming up next month.",
            "We have {seats} seats on the current plan.",
            "{am} is aware of our decision.",
        ),
        "impacts": (
            "We no longer have budget approved for this.",
            "The reliability issues have cost us too much time with our own customers.",
        ),
        "tried": (
            "I looked for a close-account button in the admin console but could not find one.",
        ),
        "asks": (
            "Please confirm the cancellation in writing.",
            "What do we need to do to get our data out before the account closes?",
            "Please make sure the card is not charged again.",
            "Is there an early termination fee?",
        ),
    },
    "bug_report": {
        "subjects": (
            "Bug in {area}", "Chart shows wrong totals", "Error when saving dashboard", "Filter not working",
            "Something went wrong error", "Broken layout", "Unexpected behaviour", "Possible bug",
        ),
        "problems": (
            "Saving the {dashboard} dashboard throws {bug_err}.",
            "The totals row in the pivot table does not add up to the sum of the rows above it.",
            "Date filters set to 'last month' include the first day of the current month.",
            "Conditional formatting disappears after I reload the page.",
            "The legend on stacked bar charts shows the series in the wrong colours.",
            "Duplicating a dashboard loses all of its filters.",
            "Percentages show NaN% when a group has zero rows.",
            "The {area} crashes when I paste a query with a comment on the last line.",
            "The time zone setting is ignored in scheduled emails, they always show UTC.",
            "Sorting by a calculated field sorts alphabetically instead of numerically.",
            "The drag handle on tiles does not respond in Safari.",
            "Renaming a column in the {area} silently breaks every chart that uses it.",
        ),
        "details": (
            "Steps to reproduce: open the dashboard, change the region filter, click save.",
            "It happens on Chrome {chrome_ver} on macOS and Windows.",
            "Screenshot attached.",
            "It started after the update that moved the filter bar.",
        ),
        "impacts": (
            "Not blocking, but the numbers look wrong to our execs.",
            "We have to rebuild the dashboard each time.",
        ),
        "tried": (
            "It happens in incognito mode too.",
            "A colleague on a different laptop can reproduce it.",
        ),
        "asks": (
            "Can you confirm it is a bug and give an idea of when it could be fixed?",
            "Is there a workaround?",
            "Let me know if you need more details.",
        ),
    },
}

GENERIC_TRIED = (
    "I already cleared my browser cache.",
    "Tried incognito mode with the same result.",
    "Restarted my laptop, no change.",
    "A colleague sees exactly the same thing.",
)

# ---------------------------------------------------------------------------
# Style wrappers
# ---------------------------------------------------------------------------

POLITE_GREETINGS = ("Hi team,", "Hello Acme support,", "Hi there,", "Good morning,", "Hello,", "Hi {am_first},")
POLITE_CONTEXT = (
    "I'm one of the workspace admins at {company}.",
    "We're on the {plan} plan with {seats} seats.",
    "I look after reporting for {company}.",
    "Writing on behalf of the {team} at {company}.",
    "Hope you are well.",
    "Thanks for the quick help last time.",
)
POLITE_CLOSINGS = (
    "Thanks in advance for your help.",
    "Appreciate any guidance.",
    "Thank you, and let me know if you need anything else from us.",
    "Many thanks.",
    "Thanks for looking into it.",
)
SIGNOFFS = (
    "Best,\n{contact}",
    "Kind regards,\n{contact}\n{role}, {company}",
    "Cheers,\n{contact}",
    "Thanks,\n{contact}",
)
TERSE_OPENERS = ("", "", "", "hi, ", "Hey - ", "Quick one: ", "fyi ", "Urgent: ", "{company} here. ", "Hello. ")
TERSE_ENDINGS = (
    "", "", "", " Thx.", " ty", " - {contact}", " Sent from my phone.", " Please advise.", " Any ideas?",
    " Workspace: {company}.", " ({role})", " Cheers",
)
ANGRY_OPENERS = (
    "This is unacceptable.",
    "I am extremely frustrated.",
    "Third time I'm writing about this.",
    "Seriously?",
    "We are running out of patience.",
    "Nobody has answered my previous ticket.",
)
ANGRY_ESCALATIONS = (
    "We pay {mrr} a month for this service.",
    "I want this escalated to a manager today.",
    "If this isn't fixed we will be reviewing our contract.",
    "Your status page is useless.",
    "I expect a call back within the hour.",
    "I have copied {am} and our {exec_title}.",
)
ANGRY_CLOSERS = ("Fix it.", "Escalate this now.", "Waiting.", "I expect an answer today.", "Not happy.")
NN_GREETINGS = ("Hello team,", "Dear Support,", "Dear Sir or Madam,", "Hello, good day.", "Hi,", "Greetings,")
NN_CLOSERS = (
    "Please help us asap.",
    "Waiting your answer.",
    "Thanks and regards.",
    "Thank you very much for your kindly support.",
    "Please revert soon.",
    "Thanking you.",
)
BULLET_HEADERS = ("Summary:", "Details below:", "Issue report", "Quick rundown:", "Context:")
BULLET_LABELS = {
    "problems": ("What", "Issue", "Problem", "Observed"),
    "details": ("Where", "Notes", "Environment", "Details"),
    "impacts": ("Impact", "Business impact", "Why it matters"),
    "tried": ("Tried", "Already done", "Checked"),
    "asks": ("Need", "Ask", "Request", "Next step"),
}
EXEC_NOTES = (
    "Can someone please get on this today?",
    "My team tells me this has been going on for a while. Not great.",
    "Please prioritise. I'd like an update by end of day.",
    "Looping in support. Who owns this on your side?",
    "{am_first}, can you make sure this gets attention?",
    "See below. This needs a proper answer, not a canned reply.",
)
CALL_OPENERS = (
    "{contact} ({role}) called about the following.",
    "Inbound call from {contact} at {company}.",
    "Customer phoned in.",
    "Call summary:",
    "Phone call with {contact}, {role}.",
)
CALL_NEXT_STEPS = (
    "Escalated to tier 2.",
    "Promised a callback within four business hours.",
    "Sent the relevant help article after the call.",
    "Asked the customer to send screenshots by email.",
    "Created an internal engineering ticket and linked it.",
    "Customer is fine to close once confirmed.",
    "Looped in {am} as the account manager.",
)
SECONDARY_CONNECTORS = (
    "Also, unrelated: ",
    "While I have you: ",
    "Separately, ",
    "One more thing: ",
    "On another note, ",
)
SUBJECT_PREFIX = {
    "angry": ("URGENT: ", "ESCALATION - ", "", "!!! "),
    "exec_forward": ("Fwd: ", "FW: "),
    "call_note": ("Phone: ", "Call - ", ""),
}

# Rewrites that give text a non-native flavour; each applies per occurrence
# with the given probability.
NON_NATIVE_RULES = (
    (r"\bdoes not\b", "is not", 0.6),
    (r"\bdoesn't\b", "not", 0.7),
    (r"\bdon't\b", "not", 0.6),
    (r"\bdo not\b", "not", 0.5),
    (r"\bcannot\b", "is not possible to", 0.3),
    (r"\bcan't\b", "cannot", 0.8),
    (r"\bI'm\b", "I am", 1.0),
    (r"\bWe're\b", "We are", 1.0),
    (r"\bisn't\b", "is not", 1.0),
    (r"\bthe ", "", 0.45),
    (r"\bThe (\w)", r"\1", 0.3),
    (r"\ba ", "", 0.4),
    (r"\bsince\b", "from", 0.5),
    (r"\bPlease\b", "Kindly", 0.4),
    (r"\bWe have\b", "We are having", 0.5),
    (r"\bit is\b", "is", 0.3),
    (r"\bany\b", "some", 0.3),
)


# ---------------------------------------------------------------------------
# Composition
# ---------------------------------------------------------------------------

def _fill(text: str, slots: Slots) -> str:
    return text.format_map(slots)


def _pick(rng: random.Random, topic: str, part: str, slots: Slots) -> str:
    return _fill(rng.choice(TOPIC_TEXT[topic][part]), slots)


def _maybe(rng: random.Random, probability: float, topic: str, part: str, slots: Slots) -> list:
    if rng.random() < probability:
        return [_pick(rng, topic, part, slots)]
    return []


def _lower_first(text: str) -> str:
    if len(text) > 1 and text[0].isupper() and not text[1].isupper():
        return text[0].lower() + text[1:]
    return text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _non_native(rng: random.Random, text: str) -> str:
    for pattern, replacement, probability in NON_NATIVE_RULES:
        def swap(match, replacement=replacement, probability=probability):
            return match.expand(replacement) if rng.random() < probability else match.group(0)
        text = re.sub(pattern, swap, text)
    sentences = [_upper_first(s) for s in re.split(r"(?<=[.?!]) ", text)]
    return " ".join(sentences)


def _core(rng: random.Random, topic: str, slots: Slots, weights: dict) -> list:
    """Pick the topic sentences for a ticket: always a problem, others optionally."""
    parts = [("problems", _pick(rng, topic, "problems", slots))]
    for part in ("details", "tried", "impacts", "asks"):
        for sentence in _maybe(rng, weights.get(part, 0.0), topic, part, slots):
            parts.append((part, sentence))
    return parts


def _connected(rng: random.Random, extra: list) -> list:
    """Second-topic sentences introduced with a connector, for prose styles."""
    return [rng.choice(SECONDARY_CONNECTORS) + _lower_first(sentence) for sentence in extra]


def _style_terse(rng, topic, slots, extra):
    parts = _core(rng, topic, slots, {"asks": 0.35, "details": 0.25})
    text = " ".join([s for _, s in parts] + _connected(rng, extra))
    if rng.random() < 0.3:
        text = _lower_first(text).rstrip(".")
    opener = _fill(rng.choice(TERSE_OPENERS), slots)
    ending = _fill(rng.choice(TERSE_ENDINGS), slots)
    if opener.endswith((", ", "fyi ")):
        text = _lower_first(text)
    return (opener + text + ending).strip()


def _style_angry(rng, topic, slots, extra):
    parts = _core(rng, topic, slots, {"details": 0.3, "impacts": 0.8, "tried": 0.3, "asks": 0.9})
    sentences = [_fill(rng.choice(ANGRY_OPENERS), slots)]
    sentences += [s for _, s in parts] + _connected(rng, extra)
    if rng.random() < 0.7:
        sentences.append(_fill(rng.choice(ANGRY_ESCALATIONS), slots))
    if rng.random() < 0.5:
        sentences.append(rng.choice(ANGRY_CLOSERS))
    return " ".join(sentences)


def _style_polite(rng, topic, slots, extra):
    parts = _core(rng, topic, slots, {"details": 0.6, "tried": 0.55, "impacts": 0.5, "asks": 0.9})
    if rng.random() < 0.2:
        parts.insert(2 if len(parts) > 2 else 1, ("tried", rng.choice(GENERIC_TRIED)))
    intro = [_fill(rng.choice(POLITE_CONTEXT), slots)] if rng.random() < 0.6 else []
    body = " ".join(intro + [s for _, s in parts] + _connected(rng, extra))
    closing = _fill(rng.choice(POLITE_CLOSINGS), slots)
    greeting = _fill(rng.choice(POLITE_GREETINGS), slots)
    signoff = _fill(rng.choice(SIGNOFFS), slots)
    return f"{greeting}\n\n{body}\n\n{closing}\n\n{signoff}"


def _style_non_native(rng, topic, slots, extra):
    parts = _core(rng, topic, slots, {"details": 0.35, "tried": 0.35, "impacts": 0.3, "asks": 0.8})
    body = _non_native(rng, " ".join([s for _, s in parts] + _connected(rng, extra)))
    greeting = rng.choice(NN_GREETINGS)
    closer = rng.choice(NN_CLOSERS)
    if rng.random() < 0.3:
        return f"{body} {closer}"
    return f"{greeting}\n{body}\n{closer}\n{slots['contact']}"


def _style_bullets(rng, topic, slots, extra):
    parts = _core(rng, topic, slots, {"details": 0.7, "tried": 0.6, "impacts": 0.7, "asks": 0.8})
    lines = [rng.choice(BULLET_HEADERS)]
    for part, sentence in parts:
        label = rng.choice(BULLET_LABELS[part])
        lines.append(f"- {label}: {sentence}")
    for sentence in extra:
        lines.append(f"- Also: {_lower_first(sentence)}")
    return "\n".join(lines)


def _style_exec_forward(rng, topic, slots, extra):
    inner_style = rng.choice((_style_polite, _style_terse, _style_bullets))
    inner = inner_style(rng, topic, slots, extra)
    note = _fill(rng.choice(EXEC_NOTES), slots)
    quoted = "\n".join("> " + line if line else ">" for line in inner.split("\n"))
    header = f"---------- Forwarded message ----------\nFrom: {slots['contact']}, {slots['role']}, {slots['company']}"
    return f"{note}\n\n{slots['exec_name']}\n\n{header}\n\n{quoted}"


def _style_call_note(rng, topic, slots, extra):
    parts = _core(rng, topic, slots, {"details": 0.5, "tried": 0.4, "impacts": 0.4, "asks": 0.6})
    said = " ".join([s for _, s in parts] + _connected(rng, extra))
    opener = _fill(rng.choice(CALL_OPENERS), slots)
    steps = [_fill(s, slots) for s in rng.sample(CALL_NEXT_STEPS, rng.randint(1, 2))]
    return f"{opener} In their words: \"{said}\" Support notes: {' '.join(steps)}"


STYLE_BUILDERS = {
    "terse": _style_terse,
    "angry": _style_angry,
    "polite": _style_polite,
    "non_native": _style_non_native,
    "bullets": _style_bullets,
    "exec_forward": _style_exec_forward,
    "call_note": _style_call_note,
}


def _subject(rng: random.Random, topic: str, style: str, slots: Slots) -> str:
    subject = _fill(rng.choice(TOPIC_TEXT[topic]["subjects"]), slots)
    if style == "non_native" and rng.random() < 0.4:
        subject = "Problem: " + _lower_first(subject)
    if style == "terse" and rng.random() < 0.3:
        subject = subject.lower()
    if style == "angry" and rng.random() < 0.25:
        subject = subject.upper()
    prefix = rng.choice(SUBJECT_PREFIX.get(style, ("",)))
    return prefix + subject


def compose_ticket(rng: random.Random, topic: str, style: str, known: dict, secondary: str | None = None) -> tuple:
    """Return ``(subject, body)`` for one ticket.

    ``known`` pre-fills slots with facts about the customer (company, plan,
    seats, amount, invoice reference, ...); everything else is drawn here.
    ``secondary`` optionally names a second topic mentioned in the body.
    """
    slots = Slots(rng, known)
    subject = _subject(rng, topic, style, slots)
    extra = [_pick(rng, secondary, "problems", slots)] if secondary else []
    body = STYLE_BUILDERS[style](rng, topic, slots, extra)
    return subject, body
