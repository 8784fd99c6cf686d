"""Help-centre articles for the Acme Analytics example data set.

Each entry of :data:`ARTICLE_KINDS` describes one kind of article; kinds with
several ``values`` expand into one article per value (for example one SSO
guide per identity provider). Bodies combine the kind's own introduction and
steps with troubleshooting notes and remarks of the article's category.
"""

from __future__ import annotations

import random
import re

# (category, title, values, introduction, steps). ``{value}`` is replaced by
# each entry of ``values``; a kind without values yields a single article.
ARTICLE_KINDS = (
    # -- outage --------------------------------------------------------------
    ("outage", "Status page and incident communication", (),
     "When something goes wrong with the platform we publish updates on the public status page before anywhere "
     "else. This article explains what each status means, how often we post updates during an incident and where "
     "to find the post-incident report once the issue is resolved.",
     ("Open the status page from the Help menu or the link in the footer of the app.",
      "Check the component list: Web App, Query Engine, Connectors, API and Scheduled Delivery are reported separately.",
      "Select an open incident to see the timeline of updates; we post at least every 30 minutes until it is resolved.",
      "Use Subscribe to updates to receive notifications for future incidents.")),
    ("outage", "What to do when the workspace is unavailable", (),
     "If pages do not load, dashboards spin without finishing or you see 502 and 503 errors, the cause is either a "
     "platform incident or something between your network and our service. The checks below help you tell the two "
     "apart quickly and give our support team what they need.",
     ("Check the status page for an open incident affecting your region.",
      "Try the workspace from a different network, such as a phone hotspot, to rule out a proxy or firewall change.",
      "Note the exact error text and the time it started, including your time zone.",
      "If there is no incident listed, open an urgent ticket and include your workspace id and the request id shown on the error page.")),
    ("outage", "Subscribing to incident notifications by {value}", ("email", "Slack", "SMS", "webhook"),
     "You can receive incident and maintenance notifications by {value} so your team hears about problems as soon "
     "as we do. Notifications are sent when an incident is opened, when its status changes and when it is resolved.",
     ("Open the status page and choose Subscribe to updates.",
      "Select {value} as the delivery method and enter the destination details.",
      "Choose the components and regions you care about, for example only the Query Engine in EU regions.",
      "Confirm the subscription from the verification message we send.")),
    ("outage", "How we publish post-incident reports", (),
     "For every incident that affects availability for more than fifteen minutes we publish a post-incident report "
     "within five business days. The report describes the impact, the timeline, the root cause and the follow-up "
     "actions we are taking to prevent a repeat.",
     ("Find the resolved incident on the status page history.",
      "Open the Postmortem link at the bottom of the incident timeline.",
      "Enterprise customers can ask their account manager for a walkthrough call.")),
    ("outage", "Scheduled maintenance windows", (),
     "Most updates are deployed without any downtime. Occasionally we need a maintenance window for database "
     "upgrades; these are announced at least 48 hours in advance and scheduled outside business hours for the "
     "affected region.",
     ("Check Upcoming maintenance on the status page.",
      "Subscribe to maintenance notices if you run scheduled reports during night hours.",
      "Move critical scheduled deliveries outside the announced window if possible.")),
    # -- performance ---------------------------------------------------------
    ("performance", "Speeding up slow dashboards", (),
     "Dashboards slow down for a handful of common reasons: too many tiles querying large tables, filters that "
     "cannot be pushed down to the warehouse, or caching that has been switched off. Work through the steps below "
     "before opening a ticket.",
     ("Open the dashboard and choose Performance insights from the menu to see the slowest tiles.",
      "Reduce the default date range; most dashboards only need the last 90 days by default.",
      "Replace tiles that scan raw event tables with tiles built on an aggregate table.",
      "Turn on result caching and set a refresh interval that matches how often the data changes.")),
    ("performance", "Using aggregate tables with {value}", ("Snowflake", "BigQuery", "Redshift", "Databricks"),
     "Aggregate tables pre-compute common rollups, such as revenue per day and region, directly in {value}. Queries "
     "that can be answered from an aggregate avoid scanning the underlying detail table and typically return in "
     "seconds instead of minutes.",
     ("In the semantic layer editor, open the model that backs the slow dashboard.",
      "Choose Add aggregate and select the dimensions and measures your tiles use most.",
      "Pick a refresh schedule; the aggregate is materialised in {value} using your connection's credentials.",
      "Verify in the query profile that tiles now report 'served from aggregate'.")),
    ("performance", "Understanding query queues and concurrency", (),
     "Every workspace has a concurrency limit that depends on the plan. When more queries arrive than can run at "
     "once, the extra queries wait in a queue. Long queue times usually mean many heavy queries start at the same "
     "moment, for example when a scheduled report fans out to dozens of recipients.",
     ("Open Admin > Usage > Query queue to see waiting time per hour.",
      "Stagger scheduled reports so they do not all start on the hour.",
      "Move heavy exploratory work to a separate connection with its own warehouse.",
      "Contact your account manager if you consistently need a higher concurrency limit.")),
    ("performance", "Reading the query profile", (),
     "The query profile shows where the time of a query was spent: waiting in the queue, compiling, running in your "
     "warehouse, and transferring and rendering results. It is the fastest way to find out whether a slow tile is "
     "caused by the platform or by the warehouse.",
     ("Open the tile menu and choose View query profile.",
      "Compare 'queued', 'warehouse execution' and 'render' times.",
      "Copy the query id if you need to share it with support.")),
    ("performance", "Caching and refresh schedules", (),
     "Results are cached per dashboard and filter combination. A warm cache makes a dashboard open instantly, while "
     "a cache that expires too often causes every visitor to wait for fresh queries.",
     ("Open dashboard settings and choose Caching.",
      "Set the cache lifetime to match the refresh frequency of the source data.",
      "Enable cache warming so the first visitor in the morning does not pay the cost.")),
    # -- refund --------------------------------------------------------------
    ("refund", "Requesting a refund", (),
     "If you believe you were charged incorrectly, you can request a refund from the billing page or by contacting "
     "support. Refunds are reviewed by our billing team, usually within three business days.",
     ("Go to Admin > Billing > Invoices and find the charge in question.",
      "Choose Request refund and pick the reason that best describes the situation.",
      "Add any supporting information, such as a cancellation confirmation or a bank statement.",
      "You will receive an email when the request is approved or if we need more details.")),
    ("refund", "Refund policy for {value}", ("annual plans", "monthly plans", "unused seats", "duplicate payments"),
     "This article summarises how refunds work for {value}. The general rule is that fees are non-refundable once a "
     "billing period has started, but there are exceptions described below and any terms in your signed contract "
     "take precedence.",
     ("Check the renewal and termination sections of your order form for contract-specific terms.",
      "Compare the charge date with the date on your cancellation or change confirmation.",
      "Submit a refund request from the billing page, mentioning {value} in the description.")),
    ("refund", "Service credits after an incident", (),
     "Customers with an uptime commitment in their contract are entitled to service credits when monthly "
     "availability falls below the committed level. Credits are applied to a future invoice rather than paid out as "
     "cash.",
     ("Look up the monthly availability for your region on the status page history.",
      "Compare it with the uptime percentage in your agreement.",
      "Request the credit within thirty days after the end of the affected month, quoting the incident reference.")),
    ("refund", "How long refunds take by {value}", ("card payment", "bank transfer"),
     "Once a refund is approved, the time until the money arrives depends on the payment method. For {value}, "
     "processing on our side takes one business day; the remaining time depends on your bank.",
     ("Wait for the refund confirmation email, which includes a reference number.",
      "Allow five to ten business days for the amount to appear on your statement.",
      "If it has not arrived after ten business days, reply to the confirmation email with the reference.")),
    # -- billing_dispute -----------------------------------------------------
    ("billing_dispute", "Understanding your invoice", (),
     "Invoices list recurring subscription fees first, followed by any usage-based charges and taxes. Each line "
     "shows the service period it covers, which is the most common source of confusion when an invoice is issued "
     "partway through a month.",
     ("Open Admin > Billing > Invoices and download the PDF.",
      "Check the service period column for each line.",
      "Match seat quantities with Admin > Users > Active seats for the same period.",
      "Review usage charges under the Usage section, which links to the detailed usage report.")),
    ("billing_dispute", "Adding a PO number or VAT ID to invoices", (),
     "Many accounts payable teams reject invoices that do not show a purchase order number or the correct tax "
     "registration. You can add both so that all future invoices include them.",
     ("Go to Admin > Billing > Billing details.",
      "Enter the PO number and, if applicable, your VAT or GST registration number.",
      "Choose Reissue to regenerate any open invoices with the new details.")),
    ("billing_dispute", "How seat counts are calculated", (),
     "A seat is counted for every user who can sign in during the billing period, regardless of how often they use "
     "the platform. Deactivated users stop counting from the next billing period. Viewer accounts are free on the "
     "Business and Enterprise plans.",
     ("Open Admin > Users and filter by status Active.",
      "Deactivate users who no longer need access before the period ends.",
      "Review the seat history chart to see peak usage during the period.")),
    ("billing_dispute", "Disputing a charge", (),
     "If an invoice does not match your agreement, raise a dispute before the due date. Disputed amounts are put on "
     "hold and payment reminders for them are paused while we investigate.",
     ("Open the invoice in Admin > Billing and choose Dispute.",
      "Select the lines you disagree with and explain why, referencing your order form if relevant.",
      "Pay any undisputed amounts by the due date to avoid service interruption.")),
    ("billing_dispute", "Usage-based overage charges explained", (),
     "Plans include an allowance of compute credits and API calls. Usage beyond the allowance is billed monthly in "
     "arrears at the rates in the price list. Overage is calculated per workspace, not per user.",
     ("Open Admin > Usage to see consumption against your allowance.",
      "Set a usage alert at 80% of the allowance.",
      "Ask your account manager about a larger plan if you are regularly over the allowance.")),
    ("billing_dispute", "Paying by {value}", ("card", "ACH", "wire transfer", "SEPA direct debit"),
     "You can pay invoices by {value}. The payment method is set per billing account and applies to all future "
     "invoices; open invoices can also be paid individually.",
     ("Go to Admin > Billing > Payment method.",
      "Choose {value} and enter the required details.",
      "Check that the remittance reference on your payment matches the invoice number.")),
    # -- sso_login -----------------------------------------------------------
    ("sso_login", "Configuring SAML SSO with {value}",
     ("Okta", "Azure AD", "Google Workspace", "OneLogin", "Ping Identity", "JumpCloud"),
     "Single sign-on lets your users log in with their {value} account instead of a separate password. SAML SSO is "
     "available on the Business and Enterprise plans and can be enforced for all users once tested.",
     ("In {value}, create a new SAML application and paste the ACS URL and entity id from Admin > Security > SSO.",
      "Map the email attribute to the NameID and, optionally, a groups attribute for role mapping.",
      "Download the metadata XML from {value} and upload it in the Acme SSO settings.",
      "Test with a non-admin account before switching Enforce SSO on.")),
    ("sso_login", "Setting up SCIM provisioning with {value}", ("Okta", "Azure AD", "OneLogin"),
     "SCIM keeps users and groups in sync with {value}: new employees get access automatically and leavers are "
     "deactivated as soon as they are removed from the identity provider.",
     ("Generate a SCIM token under Admin > Security > Provisioning.",
      "In {value}, enable provisioning for the Acme application and paste the base URL and token.",
      "Assign groups to the application and map them to Acme roles.",
      "Check the provisioning log after the first sync for rejected users.")),
    ("sso_login", "Troubleshooting SAML errors", (),
     "Most SAML failures come from a mismatch between what the identity provider sends and what the workspace "
     "expects. The error page shows a code and a request id; the table of common codes below explains what each "
     "one means.",
     ("SAML_RESPONSE_INVALID usually means the signing certificate in Acme does not match the one the IdP uses.",
      "Audience mismatch means the entity id configured in the IdP is not the one shown in the Acme settings.",
      "NameID missing means the email attribute is not mapped.",
      "Assertion expired points to clock skew of more than three minutes on the IdP server.")),
    ("sso_login", "Rotating your SSO signing certificate", (),
     "Identity providers rotate signing certificates every one to three years. To avoid locking users out, upload "
     "the new certificate to Acme before it becomes active in your identity provider.",
     ("Create the new certificate in the IdP but do not activate it yet.",
      "Upload it under Admin > Security > SSO > Additional certificates.",
      "Activate it in the IdP; Acme accepts both certificates during the transition.",
      "Remove the old certificate once everyone has logged in successfully.")),
    ("sso_login", "Break-glass admin access", (),
     "When SSO is enforced, a misconfiguration can lock everyone out. Owners can keep one break-glass account that "
     "signs in with a password and hardware key, bypassing SSO.",
     ("Go to Admin > Security > Break-glass accounts.",
      "Nominate one or two owners and require a hardware security key.",
      "Store the recovery codes in your company password vault.")),
    # -- data_export ---------------------------------------------------------
    ("data_export", "Exporting data to {value}",
     ("Amazon S3", "Azure Blob Storage", "Google Cloud Storage", "an SFTP server"),
     "Scheduled exports deliver query results or whole tables to {value} on a schedule you choose, in CSV or "
     "Parquet format. Exports run with a dedicated service identity so you can scope permissions narrowly.",
     ("Go to Data > Exports and choose New destination.",
      "Select {value} and enter the location and credentials, or copy the access policy we generate.",
      "Pick the tables or saved queries to export and the file format.",
      "Set the schedule and run a test delivery.")),
    ("data_export", "Downloading results as {value}", ("CSV", "Excel", "Parquet"),
     "Any table or query result can be downloaded as {value} from the tile menu. Downloads run in the background for "
     "large results and you receive a link when the file is ready.",
     ("Open the tile menu and choose Download.",
      "Select {value} and choose whether to apply the current filters.",
      "Large files are prepared in the background; follow the link in the notification to fetch them.")),
    ("data_export", "Export row limits", (),
     "Interactive downloads are limited to one million rows to keep the app responsive. Scheduled exports to cloud "
     "storage have no row limit and are the right tool for large or complete extracts.",
     ("For larger results, create a scheduled export to cloud storage instead.",
      "Split very large exports by date if your downstream tools cannot handle big files.",
      "Ask support to raise the interactive limit if your plan includes it.")),
    ("data_export", "Requesting a full workspace export", (),
     "Owners can request a complete export of a workspace, including dashboards definitions, models and cached "
     "data, for archiving or before closing an account.",
     ("Go to Admin > Workspace > Export everything.",
      "Choose the destination bucket or request a download link.",
      "The export is prepared within 24 hours and the link stays valid for seven days.")),
    # -- api_rate_limit ------------------------------------------------------
    ("api_rate_limit", "API rate limits and retries", (),
     "The API enforces limits per API key and per workspace to protect the platform. When a limit is exceeded the "
     "API returns HTTP 429 with a Retry-After header telling you how many seconds to wait.",
     ("Read the X-RateLimit-Limit and X-RateLimit-Remaining headers on every response.",
      "When you receive a 429, wait for the number of seconds in Retry-After before retrying.",
      "Use exponential backoff with jitter for repeated failures.",
      "Spread batch jobs over time instead of starting all workers at once.")),
    ("api_rate_limit", "Using the bulk query endpoint", (),
     "The bulk query endpoint accepts up to 50 queries in one request and counts as a single call against your rate "
     "limit. It is the recommended way to pull many small results, for example one per customer.",
     ("Group queries into batches of up to 50.",
      "Send them to the bulk endpoint and poll the returned job id.",
      "Fetch results per query from the job result URL.")),
    ("api_rate_limit", "Service accounts and API keys", (),
     "Integrations should use a service account rather than a personal API key. Service accounts have their own rate "
     "limit bucket, so a heavy nightly job does not slow down people using the app.",
     ("Create a service account under Admin > API > Service accounts.",
      "Give it the minimum role needed and generate a key.",
      "Rotate keys at least every 90 days.")),
    ("api_rate_limit", "Handling 429 responses in {value}", ("Python", "JavaScript", "Java", "Go"),
     "This guide shows a minimal retry loop in {value} that respects the Retry-After header returned with HTTP 429 "
     "responses. The same approach works for 503 responses during maintenance.",
     ("Wrap each call in a loop with a maximum number of attempts.",
      "On a 429, read Retry-After and sleep for that many seconds plus a small random jitter.",
      "Log the X-Request-Id header so support can trace throttled calls.")),
    ("api_rate_limit", "Monitoring your API usage", (),
     "The API usage page shows requests per minute, throttled requests and the top endpoints for each key. Use it "
     "to find the job that is consuming your quota.",
     ("Open Admin > API > Usage.",
      "Filter by key to find the heaviest caller.",
      "Set an alert when throttled requests exceed a threshold.")),
    # -- integration_sync ----------------------------------------------------
    ("integration_sync", "Connecting {value}",
     ("Salesforce", "HubSpot", "Snowflake", "BigQuery", "Redshift", "PostgreSQL", "MySQL", "NetSuite",
      "Zendesk", "Stripe", "Shopify", "Marketo", "Jira", "Workday"),
     "The {value} connector loads data into your workspace on a schedule. The first sync copies full history; later "
     "runs are incremental and only fetch rows that changed since the previous run.",
     ("Go to Data > Connectors and choose Add connector, then {value}.",
      "Authenticate with a service user that has read access to the objects you need.",
      "Select the objects or tables to sync and the sync frequency.",
      "Start the initial sync and watch progress on the connector page.")),
    ("integration_sync", "Fixing schema drift errors", (),
     "A schema drift error means a column in the source changed type or was renamed since the last sync. The "
     "connector stops instead of loading data that might be wrong.",
     ("Open the failed run and read which column changed.",
      "Choose Accept change to update the destination table, or map the new column to the old name.",
      "Re-run the sync; dashboards using a renamed column may need updating.")),
    ("integration_sync", "Incremental vs full sync", (),
     "Incremental syncs use a cursor column, usually updated_at, to fetch changed rows. If the source does not update "
     "that column reliably, changes are missed and a periodic full sync is needed.",
     ("Check which cursor column the connector uses on its settings page.",
      "Schedule a weekly full sync for sources without a reliable cursor.",
      "Enable deletion tracking if you need removed records to disappear from reports.")),
    ("integration_sync", "Re-authenticating a connector", (),
     "OAuth tokens expire when a password changes, when the connected user is deactivated or when the source revokes "
     "access. The connector then fails with an authentication error until it is reconnected.",
     ("Open the connector and choose Reconnect.",
      "Sign in with a service user rather than a personal account.",
      "Trigger a manual sync to confirm the new token works.")),
    ("integration_sync", "Sync schedules and data freshness", (),
     "Each connector shows when it last synced successfully. Dashboards display a freshness badge based on the "
     "oldest source they depend on.",
     ("Set the sync frequency per connector; the minimum depends on your plan.",
      "Add a freshness alert for critical sources.",
      "Check the sync history if a badge shows data older than expected.")),
    # -- feature_request -----------------------------------------------------
    ("feature_request", "How to submit a feature request", (),
     "We read every feature request. The most useful requests describe the problem you are trying to solve rather "
     "than a specific solution, and mention how many people in your team are affected.",
     ("Open Help > Ideas and search for an existing request first.",
      "Vote on an existing idea, or create a new one describing the problem.",
      "Add your use case in a comment; product managers review new ideas every week.")),
    ("feature_request", "Product roadmap and release notes", (),
     "We publish a quarterly roadmap summary and release notes for every release. Enterprise customers can also "
     "request a roadmap briefing with a product manager.",
     ("Open Help > What's new for the latest release notes.",
      "Subscribe to the monthly product newsletter.",
      "Ask your account manager for a roadmap session.")),
    ("feature_request", "Joining the beta program", (),
     "Beta features are available to workspaces that opt in. They are fully supported for feedback but may change "
     "before general availability.",
     ("Go to Admin > Workspace > Beta features.",
      "Enable the features you want to try.",
      "Share feedback using the button shown on each beta feature.")),
    ("feature_request", "What's new in release {value}", ("2025.1", "2025.2", "2025.3", "2026.1", "2026.2"),
     "Release {value} brings improvements to dashboards, connectors and administration. This article lists the "
     "highlights; the full changelog is linked at the bottom.",
     ("Dashboards: new drill-through between dashboards and improved conditional formatting.",
      "Connectors: faster incremental syncs and more detailed error messages.",
      "Administration: audit log export and finer-grained roles.")),
    # -- security_compliance -------------------------------------------------
    ("security_compliance", "Security overview", (),
     "Acme Analytics is built with security controls at every layer: encryption in transit and at rest, single "
     "sign-on, role-based access control, audit logging and regular third-party penetration tests.",
     ("Review the security whitepaper on the trust portal.",
      "Enable SSO and enforce multi-factor authentication for owners.",
      "Turn on audit log export to your SIEM.")),
    ("security_compliance", "Requesting our {value}",
     ("SOC 2 Type II report", "ISO 27001 certificate", "penetration test summary"),
     "Our {value} is available to customers and prospects under a non-disclosure agreement through the trust "
     "portal. Documents are updated as soon as a new audit or test is completed.",
     ("Open the trust portal and sign in with your work email.",
      "Accept the click-through NDA.",
      "Download the {value}; the page shows the audit period it covers.")),
    ("security_compliance", "Encryption at rest and in transit", (),
     "All traffic to the platform uses TLS 1.2 or higher. Customer data at rest is encrypted with AES-256, with keys "
     "managed in a cloud key management service and rotated annually.",
     ("Check that your network does not intercept TLS for the platform's domains.",
      "Enterprise customers can enable customer-managed keys; see the dedicated article.")),
    ("security_compliance", "Audit logs and SIEM export", (),
     "Audit logs record sign-ins, permission changes, exports and configuration changes. They are retained for one "
     "year and can be streamed to your SIEM.",
     ("Open Admin > Security > Audit log.",
      "Choose Stream to SIEM and select your provider or a generic HTTPS endpoint.",
      "Verify that test events arrive in your SIEM.")),
    ("security_compliance", "Customer-managed encryption keys", (),
     "On the Enterprise plan you can encrypt workspace data with a key you control in your own cloud key management "
     "service. Revoking the key makes the data unreadable to us immediately.",
     ("Create a key in your key management service and grant our service role permission to use it.",
      "Enter the key identifier under Admin > Security > Encryption.",
      "Confirm the status shows Active before loading sensitive data.")),
    ("security_compliance", "HIPAA and the business associate agreement", (),
     "Healthcare customers that load protected health information must sign a business associate agreement before "
     "doing so. The BAA is available on the Enterprise plan.",
     ("Contact your account manager to request the BAA.",
      "Restrict PHI to dedicated workspaces with SSO enforced.",
      "Disable public sharing links for those workspaces.")),
    # -- data_residency ------------------------------------------------------
    ("data_residency", "Data residency and hosting regions", (),
     "Every workspace is hosted in one region, chosen when the workspace is created. Customer data, backups and "
     "query caches stay in that region; only service metadata such as billing records is processed centrally.",
     ("Find your region under Admin > Workspace > Hosting.",
      "Review the subprocessor list to see which providers operate in that region.",
      "Contact your account manager if your contract requires a specific region.")),
    ("data_residency", "Choosing a hosting region: {value}",
     ("EU (Frankfurt)", "EU (Ireland)", "US East", "US West", "Australia (Sydney)", "Japan (Tokyo)", "Canada (Central)"),
     "The {value} region is available for new workspaces on all paid plans. Data stored in this region, including "
     "backups, does not leave it; support engineers access it only through audited sessions.",
     ("Select {value} when creating a new workspace.",
      "For an existing workspace, request a region migration (see the migration article).",
      "Check that your connectors and export destinations are allowed to reach {value}.")),
    ("data_residency", "Migrating a workspace to another region", (),
     "Region migrations copy all workspace data, dashboards and settings to the new region and then switch traffic. "
     "Most migrations complete within a four-hour window with the workspace in read-only mode.",
     ("Request the migration through your account manager or a support ticket.",
      "Agree a window; scheduled reports are paused during the migration.",
      "After the switch, update IP allow-lists in your warehouse to the new region's addresses.")),
    ("data_residency", "Subprocessors and international transfers", (),
     "We use a small number of subprocessors for hosting, email delivery and support tooling. Where personal data is "
     "transferred outside its region we rely on the Standard Contractual Clauses.",
     ("Review the current subprocessor list on the trust portal.",
      "Subscribe to change notifications for new subprocessors.",
      "Ask your account manager for a copy of the transfer impact assessment.")),
    # -- onboarding ----------------------------------------------------------
    ("onboarding", "Getting started with Acme Analytics", (),
     "Welcome! This guide walks you through the first hour in your new workspace: connecting a data source, building "
     "a first dashboard and inviting colleagues.",
     ("Connect a data source under Data > Connectors.",
      "Open the starter dashboard template for that source.",
      "Invite colleagues under Admin > Users and assign roles.",
      "Book your onboarding session from the welcome email.")),
    ("onboarding", "Inviting users and assigning roles", (),
     "Roles control what people can see and change. Viewers can open dashboards, Editors can build them, and Admins "
     "manage users, connections and billing.",
     ("Go to Admin > Users and choose Invite.",
      "Enter email addresses and pick a role for each person.",
      "Use groups to manage access to folders for whole teams.")),
    ("onboarding", "Building your first dashboard", (),
     "Dashboards are collections of tiles, each backed by a query. Start from a question your team asks every week, "
     "such as revenue by region, and build from there.",
     ("Choose New > Dashboard and add a tile.",
      "Pick a table, drag measures and dimensions into the tile and choose a chart type.",
      "Add a date filter that applies to all tiles.",
      "Share the dashboard with a group or schedule it by email.")),
    ("onboarding", "Workspace setup checklist for admins", (),
     "A few settings are worth configuring before you invite the whole company. They are easy to change later but "
     "avoid confusion if done up front.",
     ("Set the workspace time zone and fiscal year start.",
      "Configure SSO if you are on a plan that includes it.",
      "Create folders for each department and grant group access.",
      "Decide who may create public sharing links.")),
    ("onboarding", "Training resources for {value}", ("analysts", "business users", "admins"),
     "We offer self-paced courses and live sessions tailored to {value}. All training is included in your "
     "subscription.",
     ("Open Help > Academy and filter courses for {value}.",
      "Register for a live session from the calendar.",
      "Complete the quiz at the end of a course to receive a certificate.")),
    ("onboarding", "Setting time zone and fiscal calendar", (),
     "The workspace time zone controls how dates are bucketed in charts and when scheduled reports are sent. The "
     "fiscal calendar controls what 'this quarter' and 'last fiscal year' mean in filters.",
     ("Go to Admin > Workspace > Localisation.",
      "Pick the time zone used by most of your users.",
      "Set the first month of the fiscal year.")),
    # -- cancellation --------------------------------------------------------
    ("cancellation", "Cancelling your subscription", (),
     "Owners can cancel a subscription at any time. Cancellation takes effect at the end of the current billing "
     "period or contract term; you keep access until then.",
     ("Go to Admin > Billing > Subscription and choose Cancel subscription.",
      "Tell us why you are leaving; this helps us improve.",
      "Export any data you need before the end date.",
      "You will receive a confirmation email with the end date.")),
    ("cancellation", "Downgrading your plan", (),
     "Moving to a smaller plan takes effect at the next renewal. Features not included in the new plan, such as SSO "
     "or audit logs, are switched off on that date.",
     ("Open Admin > Billing > Subscription and choose Change plan.",
      "Review which features will be removed.",
      "Reduce the number of seats if needed before the renewal date.")),
    ("cancellation", "What happens to your data after cancellation", (),
     "After the subscription ends, the workspace becomes read-only for thirty days so you can export data. After that "
     "period all data is deleted, and backups are purged within a further ninety days.",
     ("Use the full workspace export during the read-only period.",
      "Ask support for a deletion certificate if you need one for your records.")),
    ("cancellation", "Pausing a subscription", (),
     "Seasonal businesses can pause a subscription for up to three months once per year. While paused, dashboards "
     "are read-only and no invoices are issued.",
     ("Go to Admin > Billing > Subscription and choose Pause.",
      "Pick the resume date; billing restarts automatically on that date.")),
    ("cancellation", "Non-renewal notices for annual contracts", (),
     "Annual and multi-year contracts usually renew automatically unless notice is given before a deadline stated in "
     "the contract, often 30 to 90 days before the renewal date.",
     ("Check the renewal section of your agreement for the notice period.",
      "Send notice in writing to your account manager or through a support ticket.",
      "Keep the confirmation we send for your records.")),
    # -- bug_report ----------------------------------------------------------
    ("bug_report", "How to report a bug", (),
     "A good bug report lets our engineers reproduce the problem quickly. Include what you did, what you expected and "
     "what happened instead.",
     ("Note the exact steps to reproduce, starting from a fresh page load.",
      "Take a screenshot or short screen recording.",
      "Include the browser and version, and the request id from any error message.",
      "Open a ticket with the category Bug.")),
    ("bug_report", "Collecting a HAR file in {value}", ("Chrome", "Firefox", "Safari", "Edge"),
     "A HAR file records the network requests your browser makes and helps us diagnose loading errors. This is how "
     "to capture one in {value}.",
     ("Open the developer tools in {value} and select the Network tab.",
      "Enable 'Preserve log' and reproduce the problem.",
      "Export the log as a HAR file and attach it to your ticket.")),
    ("bug_report", "Known issues", (),
     "This page lists issues we are aware of and working on, with workarounds where available. It is updated with "
     "every release.",
     ("Check the list before opening a ticket.",
      "Follow an issue to receive an email when it is fixed.")),
    ("bug_report", "Clearing cache and site data", (),
     "Some display problems after a release are caused by outdated files in the browser cache. Clearing site data "
     "for the app fixes them without affecting your saved work.",
     ("Open your browser settings and find site data for the app.",
      "Clear cached files and reload the page.",
      "Sign in again if prompted.")),
    ("bug_report", "Supported browsers", (),
     "The app supports the two most recent major versions of Chrome, Edge, Firefox and Safari. Older versions may "
     "work but are not tested.",
     ("Check your browser version in its About page.",
      "Update if you are more than two versions behind.")),
)

PREREQUISITES = {
    "sso_login": "Before you begin, make sure you are a workspace Owner and have admin rights in your identity provider.",
    "integration_sync": "Before you begin, create a dedicated service user in the source system with read-only access.",
    "data_export": "Before you begin, check that your plan includes scheduled exports and that you have the Editor role.",
    "api_rate_limit": "Before you begin, create an API key for a service account rather than using a personal key.",
    "data_residency": "Only workspace Owners can view or change hosting settings.",
    "billing_dispute": "You need the Billing Admin role to see invoices and payment details.",
    "refund": "You need the Billing Admin role to request refunds.",
    "security_compliance": "Some documents are available only under a signed non-disclosure agreement.",
}

TROUBLESHOOTING = {
    "outage": (
        "If the status page shows all systems operational but you cannot load the app, check whether your company "
        "recently changed its proxy or DNS settings. Corporate proxies that inspect TLS traffic are the most common "
        "cause of partial outages that only affect one office.",
        "Embedded dashboards may fail even when the main app works, because they depend on the embed token service. "
        "The status page lists it as a separate component.",
        "If only scheduled deliveries are missing, the Scheduled Delivery component may be degraded while the rest of "
        "the app works normally. Deliveries missed during an incident are retried automatically once it is resolved.",
    ),
    "performance": (
        "If only one dashboard is slow, open its performance insights; a single tile scanning a very large table is "
        "usually responsible. If every dashboard is slow at the same time of day, look at concurrency instead.",
        "Slow queries that are also slow when run directly in your warehouse need to be optimised there, for example "
        "with clustering or partitioning on the date column.",
        "Browser-side slowness, such as tables that freeze while scrolling, improves when tables are limited to a few "
        "thousand rows and pagination is enabled.",
    ),
    "refund": (
        "Refund requests for charges older than twelve months cannot be processed through the billing page; contact "
        "your account manager instead.",
        "If you cancelled but were charged for a renewal, check the date on the cancellation confirmation: notice must "
        "be received before the deadline in your contract.",
    ),
    "billing_dispute": (
        "Mismatches between the seat count on an invoice and the user list usually come from users who were active "
        "for part of the period. The seat history chart shows the daily count.",
        "If tax was charged although you provided a tax registration number, check that the number was entered "
        "before the invoice date; invoices are not recalculated automatically.",
        "Price changes at renewal are announced at least sixty days in advance by email to the billing contact. Check "
        "that the billing contact on file is still correct.",
    ),
    "sso_login": (
        "If users end up in a redirect loop, clear cookies for both the identity provider and the app, then try "
        "again. Loops almost always mean the session cookie from a previous configuration is still present.",
        "Users who were created before SSO was enabled may have a different email address in Acme than in the "
        "identity provider. Update the email in Admin > Users so the two match.",
        "If group-based roles are not applied, check that the groups attribute is included in the assertion and that "
        "the group names match exactly, including capitalisation.",
    ),
    "data_export": (
        "Empty files usually mean the query returned no rows for the scheduled time window, for example because the "
        "source had not synced yet. Schedule exports after your connector syncs complete.",
        "Access denied errors mean the bucket policy does not grant write access to the export role, or that the "
        "bucket enforces encryption with a key the role cannot use.",
        "Garbled characters in Excel are caused by opening a UTF-8 CSV without specifying the encoding. Use the Excel "
        "download option instead of CSV.",
    ),
    "api_rate_limit": (
        "If you are throttled while well below the documented limit, check whether several integrations share the "
        "same key; limits apply to the key, not to the machine sending requests.",
        "Requests that return 429 do not count towards your quota, but retrying immediately will keep you throttled. "
        "Always wait for the Retry-After period.",
    ),
    "integration_sync": (
        "A sync that reports success but loads no new rows usually means the cursor column did not change in the "
        "source. Run a full sync to recover missed records.",
        "Duplicates appear when a table has no primary key configured. Set the primary key in the connector settings "
        "and run a full sync.",
        "Authentication errors every morning suggest the source revokes tokens overnight. Use a service user whose "
        "password does not expire.",
    ),
    "feature_request": (
        "If you cannot find an idea you submitted, it may have been merged into an existing request; you will find "
        "your vote on the merged idea.",
        "Ideas marked Planned are on the roadmap for the next two quarters. Ideas marked Under review are being "
        "evaluated and may change.",
    ),
    "security_compliance": (
        "If the trust portal does not accept your email address, ask your account manager to add your domain to the "
        "approved list.",
        "Security questionnaires are answered by our security team within ten business days. Attach the "
        "questionnaire to a ticket with the category Security.",
    ),
    "data_residency": (
        "Connectors that pull data from sources outside your region transfer that data into your region; they do not "
        "move your workspace data out of it.",
        "If your contract requires a region other than the one shown in settings, contact your account manager "
        "before loading personal data.",
    ),
    "onboarding": (
        "If colleagues do not receive their invitation, ask them to check spam folders and confirm that your email "
        "domain allows messages from our notification service.",
        "If starter templates show no data, the connector's first sync may still be running. Large sources can take "
        "several hours the first time.",
    ),
    "cancellation": (
        "If the Cancel button is not visible, your subscription is managed under a signed contract; contact your "
        "account manager to give notice.",
        "Cancelling does not delete data immediately. You can reactivate within the read-only period and everything "
        "will be restored.",
    ),
    "bug_report": (
        "If a problem appears only in one browser, try disabling extensions; ad blockers and privacy extensions "
        "sometimes block scripts the app needs.",
        "Errors that include a reference code have been logged automatically. Mention the code in your ticket so "
        "engineers can find the matching log entry.",
    ),
}

NOTES = {
    "outage": ("Enterprise customers also receive direct notifications from their technical account manager during major incidents.",
               "Incident history for the last 90 days is always visible on the status page."),
    "performance": ("Concurrency limits differ by plan; see the pricing page for details.",
                    "Performance insights are available to Editors and Admins."),
    "refund": ("Terms in a signed agreement always take precedence over this general policy.",
               "Approved refunds are issued in the currency of the original payment."),
    "billing_dispute": ("Invoices are issued in US dollars.",
                        "Billing admins can download all invoices for a year as a single ZIP file."),
    "sso_login": ("SSO is available on the Business and Enterprise plans.",
                  "Changes to SSO settings are recorded in the audit log."),
    "data_export": ("Exports respect row-level security; each export runs with the permissions of its owner.",
                    "Parquet exports preserve column types and are recommended for loading into a warehouse."),
    "api_rate_limit": ("Enterprise plans include higher limits; contact your account manager for details.",
                       "Rate limit headers are present on every API response, including successful ones."),
    "integration_sync": ("The minimum sync interval is 15 minutes on Business and 5 minutes on Enterprise.",
                         "Connector logs are kept for 30 days."),
    "feature_request": ("We cannot share exact release dates for ideas that are not yet planned.",),
    "security_compliance": ("Report suspected vulnerabilities through the responsible disclosure page.",
                            "Audit log retention can be extended on the Enterprise plan."),
    "data_residency": ("Region migrations are included once per year on the Enterprise plan.",
                       "Billing records are processed in the United States regardless of hosting region."),
    "onboarding": ("Every paid plan includes at least one live onboarding session.",
                   "Templates are available for the most popular connectors."),
    "cancellation": ("Paused subscriptions do not count towards the minimum term of a contract.",
                     "Refunds for unused time are handled according to your agreement."),
    "bug_report": ("We aim to respond to bug reports within one business day.",
                   "Fixed issues are listed in the release notes."),
}

CLOSINGS = (
    "Still stuck? Open a ticket from the Help menu and include your workspace id.",
    "If these steps do not solve the problem, contact support and mention this article.",
    "Need more help? Your account manager can arrange a call with a solutions engineer.",
)


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def article_pool() -> list:
    """Every available article as ``(category, title, intro, steps)``, in a fixed order."""
    pool = []
    for category, title, values, intro, steps in ARTICLE_KINDS:
        for value in values or (None,):
            fill = (lambda text, v=value: text.replace("{value}", v)) if value else (lambda text: text)
            pool.append((category, fill(title), fill(intro), tuple(fill(s) for s in steps)))
    return pool


def render_body(rng: random.Random, category: str, title: str, intro: str, steps: tuple) -> str:
    """Compose a help-article body of 3 to 8 paragraphs."""
    paragraphs = [intro]
    if category in PREREQUISITES and rng.random() < 0.6:
        paragraphs.append(PREREQUISITES[category])
    paragraphs.append("\n".join(f"{i}. {step}" for i, step in enumerate(steps, start=1)))
    tips = TROUBLESHOOTING[category]
    paragraphs.append("## Troubleshooting")
    paragraphs += rng.sample(tips, rng.randint(1, min(2, len(tips))))
    notes = NOTES[category]
    paragraphs += [f"Note: {n}" for n in rng.sample(notes, rng.randint(0, min(1, len(notes))))]
    if rng.random() < 0.6:
        paragraphs.append(rng.choice(CLOSINGS))
    return f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"
