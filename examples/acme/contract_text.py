"""Contract documents for the Acme Analytics example data set.

A customer's negotiated position (termination rights, liability cap, data
residency, SLA tier, renewal, governing law, ...) is drawn once by
:func:`deal_terms`. :func:`render_contract` then writes one markdown document
(YAML front matter + numbered clauses) of a given type from those terms,
choosing one of several wordings for every clause so documents differ in
language as well as in substance.
"""

from __future__ import annotations

import random
from datetime import date

CONTRACT_TYPES = ("MSA", "Order Form", "DPA", "Amendment")

TITLES = {
    "MSA": ("Master Subscription Agreement", "Master Services Agreement", "Master Subscription and Services Agreement"),
    "Order Form": ("Order Form", "Order Form - {plan} Plan", "Subscription Order Form"),
    "DPA": ("Data Processing Agreement", "Data Processing Addendum"),
    "Amendment": ("Amendment No. {amend_no} to Master Subscription Agreement", "Amendment No. {amend_no}"),
}

# How the document refers to itself inside clause text.
DOC_WORD = {"MSA": "Agreement", "Order Form": "Order Form", "DPA": "DPA", "Amendment": "Agreement"}

PREAMBLES = {
    "default": (
        'This {title} (the "{doc}") is entered into as of {signed_long} (the "Effective Date") by and between '
        "Acme Analytics, Inc., a Delaware corporation with its principal office at 200 Harbor Street, Suite 1200, "
        'Boston, Massachusetts ("Acme"), and {customer}, an organisation established in {country} ("Customer").',
        '{customer} ("Customer") and Acme Analytics, Inc. ("Acme") agree to the terms of this {title}, which takes '
        'effect on {signed_long}. Acme and Customer are each a "party" and together the "parties".',
        'This {title} is made on {signed_long} between Acme Analytics, Inc. ("Acme", "we") and {customer} of '
        '{country} ("Customer", "you"). It sets out the terms on which Acme provides its data platform to Customer.',
        'Effective Date: {signed_long}. Parties: Acme Analytics, Inc. ("Acme") and {customer} ("Customer"). '
        "By signing below, the parties agree to be bound by this {title}.",
    ),
    "DPA": (
        "This {title} is entered into on {signed_long} between {customer}, established in {country} (the "
        '"Controller" or "Customer"), and Acme Analytics, Inc. (the "Processor" or "Acme").',
        'This {title} ("DPA") supplements the agreement between Acme Analytics, Inc. ("Acme") and {customer} '
        '("Customer") and takes effect on {signed_long}.',
        "Effective Date: {signed_long}. Parties: {customer} as data controller and Acme Analytics, Inc. as data "
        "processor. This DPA sets out how Acme protects personal data it processes for Customer.",
    ),
    "Amendment": (
        'This {title} (the "Amendment") is entered into as of {signed_long} by and between Acme Analytics, Inc. '
        '("Acme") and {customer} ("Customer"), and amends the Master Subscription Agreement between them dated '
        "{agreement_long}.",
        '{customer} ("Customer") and Acme Analytics, Inc. ("Acme") agree to this {title} with effect from '
        "{signed_long}.",
        "Effective {signed_long}, Acme Analytics, Inc. and {customer} of {country} agree to amend their existing "
        "agreement as set out below.",
    ),
}

# ---------------------------------------------------------------------------
# Clause library: clause -> headings and variant -> wordings -> paragraphs
# ---------------------------------------------------------------------------

CLAUSES = {
    "services": {
        "headings": ("Provision of Services", "Services", "Subscription Services", "Access to the Platform"),
        "variants": {
            "standard": (
                (
                    "Acme will make the Acme Analytics data platform, including the hosted query engine, dashboards, "
                    'connectors and APIs described in the applicable Order Form (the "Services"), available to Customer '
                    "during the Subscription Term. Customer may permit its employees and contractors to use the Services "
                    "solely for Customer's internal business purposes, up to the number of seats purchased.",
                    "Acme may update the Services from time to time, provided that no update materially reduces the core "
                    "functionality of the Services during the then-current Subscription Term. Acme will give Customer "
                    "reasonable advance notice of any change that requires action on Customer's part.",
                ),
                (
                    "Subject to the terms of this {doc}, Acme grants {customer} a non-exclusive, non-transferable right to "
                    "access and use the Services during the Subscription Term. Use is limited to the plan, seat count and "
                    "usage allowances stated in each Order Form.",
                    "Customer is responsible for all activity under its accounts, for keeping credentials confidential, and "
                    "for ensuring that its users comply with this {doc}. Customer shall not (a) resell or sublicense the "
                    "Services, (b) reverse engineer any part of the Services, or (c) use the Services to build a competing "
                    "product.",
                ),
                (
                    "The Services consist of Acme's cloud analytics platform together with related documentation, standard "
                    "support and any professional services expressly listed in an Order Form. Acme will provide the "
                    "Services in a professional manner consistent with generally accepted industry standards.",
                    "Customer Data remains the property of Customer. Acme will access and use Customer Data only to provide "
                    "and improve the Services, to prevent or address technical problems, or as compelled by law.",
                    "Each Order Form is governed by this {doc}. In case of conflict, the Order Form prevails only with "
                    "respect to the commercial terms stated in it.",
                ),
            ),
        },
    },
    "order_details": {
        "headings": ("Ordered Services", "Subscription Details", "Order Details"),
        "variants": {
            "standard": (
                (
                    "This Order Form is issued under and governed by the Master Subscription Agreement between Acme "
                    "Analytics, Inc. and {customer}. Capitalised terms have the meaning given in that agreement.",
                    "| Item | Details |\n| --- | --- |\n| Plan | {plan} |\n| Seats | {seats} |\n"
                    "| Monthly Fees | USD {monthly_fee} |\n| Billing Cycle | {billing_cycle_title} |\n"
                    "| Subscription Start | {start_long} |\n| Initial Term | {term_months} months |",
                ),
                (
                    "{customer} orders the {plan} plan for {seats} named users, starting on {start_long}. The recurring fee "
                    "is USD {monthly_fee} per month, invoiced {billing_cycle_adv}.",
                    "Additional seats may be added at any time at the same per-seat rate, pro-rated to the end of the "
                    "current billing period. Seats may not be reduced below {seats} during the Initial Term.",
                ),
                (
                    "Subscription: Acme Analytics {plan}. Quantity: {seats} seats. Fees: USD {monthly_fee} per month "
                    "(USD {annual_fee} per year), billed {billing_cycle_adv} in advance. Start date: {start_long}.",
                    "Included usage: the standard connector library, API access within the published rate limits for the "
                    "{plan} plan, and email support. Usage above the included allowances is billed monthly in arrears at "
                    "the rates in Acme's then-current price list.",
                ),
            ),
        },
    },
    "payment": {
        "headings": ("Fees and Payment", "Payment Terms", "Invoicing and Payment", "Fees"),
        "variants": {
            "standard": (
                (
                    "Acme will invoice Customer for the Fees {billing_cycle_adv} in advance. Customer shall pay each invoice "
                    "within {net_days} days of the invoice date. All Fees are stated and payable in US dollars and are "
                    "exclusive of taxes, which Customer shall pay except for taxes on Acme's net income.",
                    "Amounts not paid when due accrue interest at {late_pct}% per month, or the maximum rate permitted by "
                    "law if lower. If any undisputed amount is more than thirty (30) days overdue, Acme may suspend the "
                    "Services after giving ten (10) days' written notice.",
                ),
                (
                    "Payment terms are net {net_days} days from the date of invoice. Customer may dispute an invoice in good "
                    "faith by notifying Acme in writing before the due date, describing the disputed amount and the reason; "
                    "the parties will work together to resolve any dispute within thirty (30) days, and Customer shall pay "
                    "all undisputed amounts on time.",
                    "Late payments bear interest at {late_pct}% per month. Fees are non-refundable except as expressly "
                    "stated in this {doc}.",
                ),
                (
                    "Customer agrees to pay all Fees specified in each Order Form. Invoices are due and payable within "
                    "{net_days} days after receipt. Customer will provide any purchase order number required by its "
                    "accounts payable process before the first invoice is issued; the absence of a purchase order number "
                    "does not delay Customer's payment obligation.",
                    "Acme may increase the Fees for any renewal term by giving at least sixty (60) days' notice before the "
                    "renewal date, provided that any increase does not exceed seven percent (7%) over the Fees for the "
                    "preceding term.",
                ),
                (
                    "All invoices issued under this {doc} are payable by bank transfer or card within {net_days} calendar "
                    "days. Each party bears its own bank charges.",
                    "If Customer is required by law to withhold any tax from a payment, Customer shall gross up the payment "
                    "so that Acme receives the amount it would have received without such withholding. Overdue amounts "
                    "bear interest at {late_pct}% per month from the due date until paid.",
                ),
            ),
        },
    },
    "renewal": {
        "headings": ("Term and Renewal", "Subscription Term", "Term", "Duration and Renewal"),
        "variants": {
            "auto": (
                (
                    "This {doc} commences on the Effective Date and continues for an initial term of {term_months} months "
                    '(the "Initial Term"). Thereafter, it automatically renews for successive periods of {renew_months} '
                    'months (each a "Renewal Term") unless either party gives written notice of non-renewal at least '
                    "{renew_notice_days} days before the end of the then-current term.",
                    "Fees for each Renewal Term are calculated at Acme's then-current list price unless otherwise agreed "
                    "in an Order Form.",
                ),
                (
                    "The Subscription Term begins on the Effective Date and lasts {term_months} months. At the end of the "
                    "Subscription Term, the subscription will renew automatically for an additional {renew_months} months, "
                    "and will continue to do so at the end of each renewal period.",
                    "A party that does not wish to renew must notify the other party in writing no later than "
                    "{renew_notice_days} days before the renewal date. Notices sent by email to the addresses in the "
                    "Order Form are sufficient for this purpose.",
                ),
                (
                    "Unless terminated earlier in accordance with its terms, this {doc} shall remain in force for "
                    "{term_months} months from the Effective Date and shall renew automatically for consecutive "
                    "{renew_months}-month periods. Either party may prevent automatic renewal by giving notice of "
                    "non-renewal not less than {renew_notice_days} days prior to the expiry of the current term.",
                ),
                (
                    "Term. {term_months} months from the Effective Date.",
                    "Renewal. The subscription renews automatically for successive {renew_months}-month terms unless "
                    "Customer or Acme opts out by written notice given at least {renew_notice_days} days before the "
                    "renewal date. Acme will send Customer a reminder of the upcoming renewal at least thirty (30) days "
                    "before that notice deadline.",
                ),
            ),
            "none": (
                (
                    "This {doc} commences on the Effective Date and continues for a fixed term of {term_months} months. It "
                    "does not renew automatically and will expire at the end of that term unless the parties sign a "
                    "renewal Order Form.",
                    "Acme will contact Customer no later than ninety (90) days before expiry to discuss renewal options. If "
                    "no renewal is signed, Customer's access to the Services ends on the expiry date, subject to the data "
                    "export provisions of this {doc}.",
                ),
                (
                    "The Subscription Term is {term_months} months from the Effective Date. There is no automatic renewal. "
                    "Any continuation of the Services after the end of the Subscription Term requires a new written "
                    "agreement or Order Form executed by both parties.",
                ),
                (
                    "This {doc} shall remain in effect for {term_months} months and shall expire automatically at the end "
                    "of that period without the need for notice by either party. Nothing in this {doc} obliges either "
                    "party to renew.",
                    "If Customer continues to use the Services after expiry with Acme's consent while renewal terms are "
                    "being negotiated, such use is governed by this {doc} and billed monthly at the rates in effect "
                    "immediately before expiry.",
                ),
                (
                    "Term. A single term of {term_months} months beginning on the Effective Date.",
                    "No automatic renewal. This subscription ends at the close of the term. To continue, Customer must sign "
                    "a new Order Form; Acme will not charge Customer for any period after the end of the term unless such "
                    "an Order Form has been signed.",
                ),
            ),
        },
    },
    "termination": {
        "headings": ("Termination", "Termination Rights", "Termination and Suspension", "Ending the Agreement"),
        "variants": {
            "convenience": (
                (
                    "Either party may terminate this {doc} for convenience by giving the other party at least "
                    "{notice_days} days' prior written notice. Termination for convenience takes effect at the end of the "
                    "notice period, and Customer shall pay all Fees accrued up to the effective date of termination.",
                    "Either party may also terminate this {doc} immediately upon written notice if the other party "
                    "materially breaches it and fails to cure the breach within thirty (30) days after receiving notice "
                    "describing the breach in reasonable detail.",
                ),
                (
                    "{customer} may terminate this {doc}, or any Order Form, at any time and for any reason on {notice_days} "
                    "days' written notice to Acme. Where Customer terminates for convenience, Acme will refund any prepaid "
                    "Fees covering the period after the effective date of termination.",
                    "Acme may terminate for convenience only with effect from the end of the then-current Subscription "
                    "Term, by giving at least {notice_days} days' notice before that date.",
                ),
                (
                    "Each party has the right to end this {doc} without cause. The terminating party must deliver written "
                    "notice not less than {notice_days} days before the intended termination date. No termination fee or "
                    "penalty applies to a termination made under this section.",
                    "On termination for any reason, Customer's access to the Services ends on the termination date, and "
                    "Acme will keep Customer Data available for export for a further thirty (30) days, after which it "
                    "will be deleted.",
                ),
                (
                    "Termination for convenience. Customer may terminate this {doc} in whole or in part by written notice "
                    "with a notice period of {notice_days} days. Acme may terminate this {doc} for convenience with the "
                    "same notice period.",
                    "Termination for cause. Either party may terminate with immediate effect if the other party commits a "
                    "material breach that is incapable of remedy, or that is capable of remedy but is not remedied within "
                    "thirty (30) days of written notice.",
                    "Consequences. Provisions that by their nature should survive termination, including confidentiality, "
                    "limitation of liability and payment of accrued Fees, will survive.",
                ),
            ),
            "cause_only": (
                (
                    "This {doc} may not be terminated for convenience. Either party may terminate it only for cause, "
                    "meaning (a) a material breach by the other party that remains uncured thirty (30) days after written "
                    "notice, or (b) the other party becoming insolvent, making an assignment for the benefit of creditors, "
                    "or becoming subject to bankruptcy or similar proceedings.",
                    "Fees for the entire Subscription Term are committed and non-cancellable. Termination by Acme for "
                    "Customer's uncured breach does not relieve Customer of its obligation to pay the Fees for the "
                    "remainder of the Subscription Term.",
                ),
                (
                    "Neither party may end this {doc} early except as set out in this section. A party may terminate by "
                    "written notice if the other party (i) fails to pay undisputed amounts within forty-five (45) days "
                    "after their due date, (ii) materially breaches any other obligation and does not cure the breach "
                    "within thirty (30) days of notice, or (iii) ceases to carry on business in the ordinary course.",
                    "If Customer terminates for Acme's uncured material breach, Acme will refund any prepaid Fees for the "
                    "period after the termination date. No other refunds apply.",
                ),
                (
                    "The Subscription Term is a committed term. Customer acknowledges that the Fees have been priced on "
                    "that basis and that there is no right to terminate for convenience.",
                    "Either party may terminate this {doc} upon written notice if the other party materially breaches it "
                    "and the breach remains unremedied thirty (30) days after the breaching party receives notice of it. "
                    "Acme may additionally suspend the Services immediately where Customer's use poses a security risk to "
                    "the Services or to other customers.",
                ),
            ),
            "early_fee": (
                (
                    "Customer may terminate this {doc} before the end of the Subscription Term by giving {notice_days} "
                    "days' written notice and paying an early termination fee equal to {fee_pct}% of the Fees that would "
                    "have been payable for the remainder of the Subscription Term.",
                    "The early termination fee reflects a genuine pre-estimate of Acme's loss and is not a penalty. It is "
                    "due within thirty (30) days of the effective date of termination. Either party may also terminate "
                    "for the other's uncured material breach without any fee.",
                ),
                (
                    "If {customer} elects to end the subscription early, it shall pay Acme an early termination charge "
                    "equal to {fee_months} months of the then-current monthly Fees, in addition to all Fees accrued up to "
                    "the termination date. Notice of early termination must be given in writing at least {notice_days} "
                    "days in advance.",
                    "No early termination charge applies where Customer terminates because of Acme's material breach, or "
                    "because Acme has failed to meet its availability commitment in three consecutive months.",
                ),
                (
                    "Early termination. Customer may end this {doc} early on {notice_days} days' written notice. In that "
                    "case Customer shall pay, as liquidated damages, {fee_pct}% of the remaining committed Fees for the "
                    "Subscription Term. Prepaid Fees are credited against this amount.",
                    "Termination for cause. Either party may terminate immediately by notice if the other party materially "
                    "breaches this {doc} and fails to cure within thirty (30) days.",
                ),
            ),
        },
    },
    "liability": {
        "headings": ("Limitation of Liability", "Liability", "Limitations of Liability", "Liability Cap"),
        "variants": {
            "cap_12m": (
                (
                    "Except for the Excluded Claims, each party's total aggregate liability arising out of or relating to "
                    "this {doc} shall not exceed the total Fees paid or payable by Customer in the twelve (12) months "
                    "immediately preceding the event giving rise to the claim.",
                    "In no event will either party be liable for any indirect, incidental, special, consequential or "
                    "punitive damages, or for loss of profits, revenue or goodwill, even if advised of the possibility of "
                    'such damages. "Excluded Claims" means a party\'s indemnification obligations and Customer\'s '
                    "obligation to pay Fees.",
                ),
                (
                    "The maximum liability of either party for all claims under this {doc}, whether in contract, tort "
                    "(including negligence) or otherwise, is limited to an amount equal to the Fees paid by Customer "
                    "during the twelve-month period before the claim arose.",
                    "Neither party is liable for indirect or consequential loss, loss of data (except to the extent caused "
                    "by a breach of Acme's security obligations) or loss of anticipated savings.",
                ),
                (
                    "Cap. Each party's aggregate liability is capped at the amounts paid and payable to Acme under this "
                    "{doc} during the twelve (12) months before the first event giving rise to liability.",
                    "Exclusions. The cap does not apply to liability for death or personal injury caused by negligence, "
                    "fraud, or any liability that cannot be limited by law.",
                    "Indirect damages. Neither party will be liable for lost profits, business interruption or any "
                    "indirect damages.",
                ),
            ),
            "cap_2x": (
                (
                    "Each party's total liability under or in connection with this {doc} is limited to two times (2x) the "
                    "Fees paid or payable by Customer in the twelve (12) months preceding the incident giving rise to the "
                    "claim.",
                    "This limitation applies to all causes of action in aggregate, but does not apply to a party's "
                    "indemnification obligations or to liability arising from gross negligence or wilful misconduct.",
                ),
                (
                    "Notwithstanding anything to the contrary, neither party's aggregate liability shall exceed an amount "
                    "equal to twice the annual Fees under this {doc}. For the purposes of this section, the annual Fees "
                    "are the Fees payable for the twelve-month period in which the liability arises.",
                    "Neither party shall be liable for indirect, special or consequential losses. The parties agree that "
                    "the enhanced cap reflects the importance of the Services to Customer's operations.",
                ),
                (
                    "Acme's liability for claims relating to the Services, including any breach of its data protection "
                    "obligations, is limited to two hundred percent (200%) of the Fees paid by Customer during the "
                    "preceding twelve (12) months. Customer's liability, other than for unpaid Fees, is subject to the "
                    "same limit.",
                    "Nothing in this {doc} limits liability for fraud or for death or personal injury resulting from "
                    "negligence.",
                ),
            ),
            "fixed": (
                (
                    "Each party's total cumulative liability arising out of or related to this {doc} shall in no event "
                    "exceed {cap_amount}, regardless of the form of action or the theory of liability.",
                    "Neither party shall be liable to the other for any lost profits, lost revenue or indirect, special, "
                    "incidental or consequential damages, except that this exclusion does not apply to breaches of the "
                    "confidentiality obligations.",
                ),
                (
                    "The parties agree a fixed liability cap of {cap_amount} for all claims arising in any contract year. "
                    "Claims in excess of that amount are waived.",
                    "The fixed cap does not apply to Customer's payment obligations, or to either party's liability for "
                    "infringement of the other party's intellectual property rights.",
                ),
                (
                    "Limitation. The aggregate liability of Acme and its affiliates for all claims relating to this {doc} "
                    "is limited to {cap_amount}.",
                    "Exclusion of certain damages. In no event will either party be responsible for indirect, incidental "
                    "or consequential damages, including loss of use, loss of data or business interruption, however "
                    "caused.",
                ),
            ),
            "uncapped_breach": (
                (
                    "Except as set out below, each party's aggregate liability shall not exceed the Fees paid or payable "
                    "by Customer in the twelve (12) months preceding the claim. The foregoing limitation shall not apply "
                    "to a party's breach of its data protection or confidentiality obligations, including any Security "
                    "Breach affecting Customer Data, for which liability is unlimited.",
                    "Neither party is liable for indirect or consequential damages, save that costs of notifying affected "
                    "individuals, regulatory fines and reasonable forensic investigation costs arising from a Security "
                    "Breach shall be deemed direct damages recoverable by Customer.",
                ),
                (
                    "General cap: the liability of either party is limited to twelve months of Fees.",
                    "Data breach: Acme's liability for any unauthorised access to, disclosure of or loss of Customer Data "
                    "caused by Acme's failure to comply with its security obligations is not subject to any cap or "
                    "limitation in this {doc}.",
                    "Neither party excludes liability that cannot be excluded by law.",
                ),
                (
                    "The limitations of liability in this {doc} do not apply to (a) Acme's obligations with respect to the "
                    "security and confidentiality of Customer Data, (b) either party's indemnification obligations, or "
                    "(c) gross negligence, fraud or wilful misconduct. For all other claims, liability is capped at the "
                    "total Fees paid or payable in the twelve (12) months before the claim.",
                ),
            ),
        },
    },
    "residency": {
        "headings": ("Data Residency", "Location of Processing", "Data Location", "Hosting Location"),
        "variants": {
            "eu_only": (
                (
                    "Acme shall store and process Customer Data exclusively in data centres located within the European "
                    "Economic Area, currently in {eu_region}. Acme shall not transfer Customer Data, including backups, "
                    "logs and copies made for support purposes, outside the European Economic Area without Customer's "
                    "prior written consent.",
                    "Where Acme personnel located outside the European Economic Area require access to Customer Data to "
                    "provide support, such access will be limited to remote viewing of the EEA environment, logged, and "
                    "subject to Customer's explicit approval for each support case.",
                ),
                (
                    "All Customer Data shall be hosted and processed in the European Union. The primary hosting location "
                    "is {eu_region}; disaster recovery copies are kept in a second EU region. Acme will not relocate "
                    "Customer Data to a different country without giving at least ninety (90) days' notice, and in no "
                    "case outside the European Union.",
                ),
                (
                    "Processing location. Acme commits that Customer Data will be processed only within the EU/EEA. Any "
                    "transfer outside the EU/EEA, including to Acme's affiliates, is prohibited unless Customer has "
                    "consented in writing and an adequate transfer mechanism under the GDPR is in place.",
                    "Acme will provide, on request, written confirmation of the locations in which Customer Data is "
                    "stored.",
                ),
            ),
            "us_only": (
                (
                    "Acme shall host and process Customer Data only in data centres located in the United States, "
                    "currently in the us-east-1 and us-west-2 regions of its cloud infrastructure provider. Customer Data "
                    "will not be stored outside the United States.",
                    "Support personnel located outside the United States will not access Customer Data. Acme will "
                    "maintain records sufficient to demonstrate compliance with this section.",
                ),
                (
                    "Customer Data will remain within the United States at all times, including backups and disaster "
                    "recovery copies. Acme will not move Customer Data to another country during the Subscription Term.",
                    "This commitment supports Customer's obligations under applicable U.S. federal and state "
                    "requirements, and Acme will cooperate with reasonable requests from Customer to evidence the "
                    "location of processing.",
                ),
                (
                    "Location of processing: United States only. Acme shall ensure that all personnel with access to "
                    "Customer Data are located in the United States and that no Subprocessor processes Customer Data "
                    "outside the United States.",
                ),
            ),
            "australia": (
                (
                    "Acme shall store Customer Data exclusively in its Sydney, Australia hosting region. Backups are "
                    "stored in a separate availability zone within Australia.",
                    "Acme shall not transfer Customer Data outside Australia except where required to comply with law, "
                    "and then only after notifying Customer unless legally prohibited from doing so. Acme will handle "
                    "personal information in accordance with the Australian Privacy Principles.",
                ),
                (
                    "Customer has elected the Australian data region. All Customer Data, including derived aggregates and "
                    "query caches, will be processed in Australia. Follow-the-sun support teams outside Australia may "
                    "access service metadata but not Customer Data.",
                ),
                (
                    "Data sovereignty. Customer Data shall be hosted onshore in Australia for the entire Subscription "
                    "Term. Any proposal to process Customer Data offshore requires a written variation signed by both "
                    "parties.",
                ),
            ),
            "none": (
                (
                    "Acme may process Customer Data in any country in which Acme or its Subprocessors maintain facilities, "
                    "provided that any transfer of personal data is subject to appropriate safeguards, such as the "
                    "Standard Contractual Clauses, where required by applicable law.",
                    "Acme will inform Customer of the primary hosting region used for Customer's workspace and will "
                    "provide at least thirty (30) days' notice before changing it.",
                ),
                (
                    "There is no restriction on the location of processing under this {doc}. Customer acknowledges that "
                    "the Services are operated from multiple regions and that Customer Data may be replicated between "
                    "them for resilience.",
                ),
                (
                    "Customer Data may be stored and processed in the United States, the European Union or any other "
                    "location where Acme or its Subprocessors operate. Acme remains responsible for the protection of "
                    "Customer Data wherever it is processed and will apply the same security controls in every location.",
                ),
            ),
        },
    },
    "sla": {
        "headings": ("Service Levels", "Service Level Agreement", "Availability and Service Credits", "Uptime Commitment"),
        "variants": {
            "standard": (
                (
                    "Acme will make the Services available with a Monthly Uptime Percentage of at least {uptime}%, "
                    "excluding scheduled maintenance announced at least 48 hours in advance and downtime caused by "
                    "factors outside Acme's reasonable control.",
                    "If Acme fails to meet this commitment in any calendar month, Customer will be entitled to a service "
                    "credit calculated as a percentage of the monthly Fees for the affected Services:",
                    "{credit_table}",
                    "Customer must request service credits within thirty (30) days of the end of the affected month. "
                    "Service credits are Customer's sole and exclusive remedy for unavailability of the Services.",
                ),
                (
                    "Availability target: {uptime}% per calendar month, measured by Acme's external monitoring at "
                    "one-minute intervals.",
                    "{credit_table}",
                    "Credits are applied to the next invoice and may not exceed the monthly Fees for the month concerned. "
                    "Failure to meet the availability target for three consecutive months entitles Customer to terminate "
                    "the affected Order Form without penalty.",
                ),
                (
                    "Acme commits to an uptime of {uptime}% for the production environment. Downtime means any period of "
                    "more than five consecutive minutes during which users cannot log in or queries fail for all users.",
                    "Should availability fall below the commitment, Acme shall grant credits on the following schedule: "
                    "{credit_prose}",
                    "Acme will publish an incident report for any downtime event affecting Customer within five (5) "
                    "business days.",
                ),
                (
                    "Service Level. The Services will be available at least {uptime}% of the time in each month. Acme "
                    "will notify Customer of any incident affecting availability through its status page and by email to "
                    "Customer's designated contacts.",
                    "Service Credits. The following credits apply to the monthly Fees for the affected month:",
                    "{credit_bullets}",
                ),
            ),
        },
    },
    "confidentiality": {
        "headings": ("Confidentiality", "Confidential Information", "Non-Disclosure"),
        "variants": {
            "standard": (
                (
                    'Each party (the "Recipient") shall keep confidential all non-public information disclosed by the '
                    'other party (the "Discloser") that is marked as confidential or that a reasonable person would '
                    "understand to be confidential, and shall use it only to perform its obligations or exercise its "
                    "rights under this {doc}.",
                    "These obligations do not apply to information that is or becomes public through no fault of the "
                    "Recipient, was lawfully known to the Recipient before disclosure, is independently developed, or is "
                    "received from a third party without restriction. The obligations survive for {conf_years} years "
                    "after termination, and indefinitely for trade secrets.",
                ),
                (
                    "Confidential Information includes the terms of this {doc}, pricing, product roadmaps, security "
                    "reports and Customer Data. The Recipient will protect the Discloser's Confidential Information using "
                    "at least the same degree of care it uses for its own similar information, and no less than "
                    "reasonable care.",
                    "The Recipient may disclose Confidential Information to its employees, contractors and advisers who "
                    "need to know it and are bound by obligations at least as protective as these, and where required by "
                    "law after giving the Discloser prompt notice where lawful.",
                ),
                (
                    "Neither party shall disclose the other's Confidential Information to any third party for a period of "
                    "{conf_years} years from the date of disclosure, except as permitted by this {doc}. On request, and in "
                    "any case on termination, the Recipient shall return or destroy the Discloser's Confidential "
                    "Information, except for copies retained in routine backups or as required by law, which remain "
                    "subject to this section.",
                ),
                (
                    "The parties acknowledge that they will exchange commercially sensitive information in connection "
                    "with this {doc}. Each party undertakes not to use that information for any purpose other than the "
                    "performance of this {doc}, and not to disclose it to anyone other than personnel who need to know it.",
                    "A breach of this section may cause irreparable harm for which damages would not be an adequate "
                    "remedy, and the Discloser shall be entitled to seek injunctive relief in addition to any other "
                    "remedies. This section survives for {conf_years} years after the end of this {doc}.",
                ),
            ),
        },
    },
    "governing_law": {
        "headings": ("Governing Law", "Governing Law and Jurisdiction", "Disputes", "Applicable Law and Venue"),
        "variants": {
            "courts": (
                (
                    "This {doc} and any dispute arising out of or in connection with it shall be governed by and "
                    "construed in accordance with {law}, without regard to its conflict of laws principles. The parties "
                    "submit to the exclusive jurisdiction of {venue}.",
                    "The United Nations Convention on Contracts for the International Sale of Goods does not apply to "
                    "this {doc}.",
                ),
                (
                    "Governing law: {law}. Jurisdiction: {venue}, which shall have exclusive jurisdiction over any "
                    "dispute, and each party waives any objection to proceedings in those courts on the grounds of venue "
                    "or inconvenient forum.",
                ),
                (
                    "The parties shall first attempt to resolve any dispute through good-faith negotiation between senior "
                    "executives for a period of thirty (30) days. If the dispute is not resolved, either party may bring "
                    "proceedings in {venue}.",
                    "This {doc} is governed by {law}. Nothing in this section prevents either party from seeking urgent "
                    "injunctive relief in any court of competent jurisdiction.",
                ),
            ),
            "arbitration": (
                (
                    "This {doc} is governed by {law}. Any dispute arising out of or in connection with this {doc} shall be "
                    "finally resolved by arbitration under the rules of {arb_body} by a single arbitrator. The seat of "
                    "arbitration shall be {arb_seat} and the language of the arbitration shall be English.",
                    "Judgment on the award may be entered in any court having jurisdiction. Either party may seek interim "
                    "relief from a competent court pending the constitution of the tribunal.",
                ),
                (
                    "Disputes will be settled by binding arbitration administered by {arb_body} in {arb_seat}, before "
                    "three arbitrators, one appointed by each party and the third by the two party-appointed arbitrators. "
                    "The governing law is {law}.",
                    "The arbitration and any award shall be confidential, except as required to enforce the award.",
                ),
                (
                    "Any controversy or claim relating to this {doc} shall be resolved first by mediation and, if "
                    "mediation fails within sixty (60) days, by arbitration under the rules of {arb_body}, seated in "
                    "{arb_seat}. The substantive law applicable to this {doc} is {law}.",
                ),
            ),
        },
    },
    "audits": {
        "headings": ("Security Audits", "Audit Rights", "Security Reviews and Audits"),
        "variants": {
            "report_only": (
                (
                    "Acme maintains an information security programme audited annually by an independent third party "
                    "against the SOC 2 Type II criteria. Upon written request, no more than once per calendar year, Acme "
                    "will provide Customer with a copy of its most recent SOC 2 Type II report and bridge letter, subject "
                    "to the confidentiality obligations of this {doc}.",
                    "Customer agrees that the provision of these reports satisfies any audit right Customer may have, "
                    "except where a supervisory authority requires a direct audit.",
                ),
                (
                    "Customer's audit rights are exercised by reviewing Acme's third-party certifications, currently ISO "
                    "27001 and SOC 2 Type II. Acme will make the current certificates and reports available through its "
                    "trust portal.",
                    "If an independent report identifies a material exception, Acme will describe the remediation plan "
                    "and expected completion date to Customer on request.",
                ),
                (
                    "Audit. Acme shall provide its latest independent audit reports and a summary of its most recent "
                    "penetration test on request. Customer shall treat such materials as Acme's Confidential Information "
                    "and shall not conduct on-site audits.",
                ),
            ),
            "onsite": (
                (
                    "Customer, or an independent auditor appointed by Customer and bound by confidentiality obligations, "
                    "may audit Acme's compliance with its security obligations once per calendar year, on at least "
                    "{audit_notice_days} days' prior written notice, during normal business hours and without "
                    "unreasonable disruption to Acme's operations.",
                    "Customer shall bear its own costs of any audit, unless the audit reveals a material non-compliance, "
                    "in which case Acme shall reimburse Customer's reasonable audit costs and remediate the "
                    "non-compliance promptly.",
                ),
                (
                    "In addition to receiving Acme's SOC 2 Type II report, Customer may conduct one on-site inspection per "
                    "year of the facilities and systems used to process Customer Data. Requests must be made at least "
                    "{audit_notice_days} days in advance and include a proposed scope.",
                    "Additional audits are permitted following a Security Breach or where required by a regulator with "
                    "authority over Customer.",
                ),
                (
                    "Right to audit. Acme will allow Customer and its regulators to access relevant premises, personnel "
                    "and records for the purpose of verifying compliance with this {doc}. Customer will give "
                    "{audit_notice_days} days' notice, except where a regulator requires shorter notice.",
                ),
            ),
            "questionnaire": (
                (
                    "Once in each contract year, Customer may send Acme a written security questionnaire of reasonable "
                    "length. Acme will answer it accurately and completely within thirty (30) days.",
                    "If Customer reasonably believes, based on the answers, that Acme is not complying with its security "
                    "obligations, the parties will meet to agree a remediation plan.",
                ),
                (
                    "Acme will respond to Customer's standard vendor security assessment, such as the SIG Lite or CAIQ, "
                    "once per year and will promptly notify Customer of any material change to its security practices "
                    "that would render a previous answer inaccurate.",
                ),
                (
                    "Security reviews. Customer may review Acme's security posture by means of a questionnaire and a "
                    "one-hour call with Acme's security team, no more than annually. On-site audits are not included "
                    "unless agreed in a separate statement of work at Customer's expense.",
                ),
            ),
        },
    },
    "subprocessors": {
        "headings": ("Subprocessors", "Use of Subprocessors", "Third-Party Processors"),
        "variants": {
            "notice_objection": (
                (
                    "Customer grants Acme general authorisation to engage Subprocessors. Acme will notify Customer at "
                    "least {objection_days} days before engaging any new Subprocessor, by updating its Subprocessor list "
                    "and sending an email to subscribed contacts.",
                    "Customer may object to a new Subprocessor on reasonable data protection grounds within the notice "
                    "period. If the parties cannot resolve the objection, Customer may terminate the affected Services and "
                    "receive a refund of prepaid Fees for the remaining term.",
                ),
                (
                    "Acme may use Subprocessors to provide the Services, provided that it imposes on each Subprocessor "
                    "data protection obligations no less protective than those in this {doc} and remains liable for their "
                    "acts and omissions.",
                    "Acme will give Customer {objection_days} days' advance notice of any addition or replacement of a "
                    "Subprocessor, during which Customer may raise reasonable objections.",
                ),
                (
                    "New Subprocessors. Acme shall inform Customer of any intended changes concerning the addition or "
                    "replacement of Subprocessors at least {objection_days} days in advance, giving Customer the "
                    "opportunity to object. Acme will not allow the new Subprocessor to process Customer Data until the "
                    "objection period has expired.",
                ),
            ),
            "prior_consent": (
                (
                    "Acme shall not engage any new Subprocessor to process Customer Data without Customer's prior specific "
                    "written consent. Requests for consent shall identify the Subprocessor, the processing it will "
                    "perform and the location of processing.",
                    "The Subprocessors approved as of the Effective Date are listed in Annex 2. Acme remains fully liable "
                    "to Customer for the performance of each Subprocessor's obligations.",
                ),
                (
                    "Any use of a third party to process Customer Data requires Customer's written approval in advance. "
                    "Customer will not unreasonably withhold or delay approval and will respond to a request within "
                    "fifteen (15) business days.",
                ),
                (
                    "Subprocessing is permitted only with Customer's prior written consent, which may be given by email "
                    "from Customer's designated privacy contact. Acme shall flow down to each approved Subprocessor "
                    "obligations equivalent to those in this {doc}.",
                ),
            ),
            "list_only": (
                (
                    "Acme maintains a current list of its Subprocessors on its website and may update it from time to "
                    "time. Customer is responsible for reviewing the list; continued use of the Services after an update "
                    "constitutes acceptance of the new Subprocessor.",
                ),
                (
                    "Customer acknowledges that Acme uses third-party hosting, email delivery and support tooling "
                    "providers to deliver the Services. A list of these Subprocessors is available on request. Acme will "
                    "ensure each is bound by written obligations to protect Customer Data.",
                ),
                (
                    "Acme may engage and replace Subprocessors at its discretion, provided that each Subprocessor is "
                    "subject to written data protection terms. Acme will make the current list available in the admin "
                    "console.",
                ),
            ),
        },
    },
    "warranties": {
        "headings": ("Warranties", "Representations and Warranties", "Warranty and Disclaimer"),
        "variants": {
            "standard": (
                (
                    "Acme warrants that the Services will perform materially in accordance with the documentation during "
                    "the Subscription Term. If the Services do not so perform, Acme will use commercially reasonable "
                    "efforts to correct the non-conformity and, if it cannot do so within thirty (30) days, Customer may "
                    "terminate the affected Order Form and receive a refund of prepaid Fees for the remainder of the term.",
                    'Except as expressly stated in this {doc}, the Services are provided "as is" and each party disclaims '
                    "all other warranties, express or implied, including warranties of merchantability and fitness for a "
                    "particular purpose.",
                ),
                (
                    "Each party represents that it has the authority to enter into this {doc}. Acme further warrants that "
                    "it will not materially decrease the security of the Services during the Subscription Term and that "
                    "the Services will not contain malicious code.",
                    "Customer warrants that it has obtained all rights and consents necessary for Acme to process Customer "
                    "Data in accordance with this {doc}.",
                ),
                (
                    "Acme does not warrant that the Services will be error-free or uninterrupted, or that analytical "
                    "results will meet Customer's requirements. Customer is responsible for the interpretation of any "
                    "reports produced with the Services.",
                    "Claims under any warranty must be notified to Acme within thirty (30) days of Customer becoming aware "
                    "of the issue.",
                ),
            ),
        },
    },
    "support": {
        "headings": ("Support", "Technical Support", "Support and Maintenance"),
        "variants": {
            "standard": (
                (
                    "Acme will provide email and web support during business hours (09:00 to 18:00, Monday to Friday, in "
                    "Customer's primary time zone) with a target first response time of one business day for standard "
                    "requests and four hours for critical incidents.",
                ),
                (
                    "Support is provided through the help centre and ticketing portal. Acme will use reasonable efforts "
                    "to respond to Severity 1 issues within four hours and to all other issues within two business days.",
                    "Customer will designate up to three named support contacts who are familiar with the Services.",
                ),
            ),
            "premium": (
                (
                    "Customer is entitled to Premium Support, which includes 24x7 coverage for Severity 1 incidents with a "
                    "one-hour response target, a named technical account manager and quarterly service reviews.",
                    "Acme will provide a post-incident report for any Severity 1 incident within five (5) business days.",
                ),
                (
                    "Premium Support: round-the-clock phone and chat support, a response time of thirty (30) minutes for "
                    "critical issues and two hours for high-priority issues, plus a dedicated support engineer familiar "
                    "with Customer's configuration.",
                ),
            ),
        },
    },
    "general": {
        "headings": ("General", "Miscellaneous", "General Provisions"),
        "variants": {
            "standard": (
                (
                    "Neither party may assign this {doc} without the other party's prior written consent, except to a "
                    "successor in connection with a merger, acquisition or sale of all or substantially all of its "
                    "assets. Any attempted assignment in breach of this section is void.",
                    "Notices must be in writing and are effective when delivered by hand, by courier or by email to the "
                    "addresses specified in the Order Form. Notices of breach or termination sent by email must also be "
                    "confirmed by courier.",
                ),
                (
                    "This {doc}, together with its Order Forms and annexes, is the entire agreement between the parties on "
                    "its subject matter and supersedes all prior proposals and understandings. Terms in any purchase "
                    "order issued by Customer have no effect.",
                    "If any provision is held unenforceable, the remaining provisions remain in full force, and the "
                    "unenforceable provision is replaced by an enforceable one that most closely reflects the parties' "
                    "intent.",
                ),
                (
                    "Neither party is liable for delay or failure to perform caused by events beyond its reasonable "
                    "control, such as natural disasters, acts of government, or failures of public utilities or "
                    "networks, provided that it uses reasonable efforts to resume performance. This section does not "
                    "excuse Customer's payment obligations.",
                    "The parties are independent contractors. Nothing in this {doc} creates a partnership, franchise, "
                    "joint venture, agency or employment relationship.",
                ),
                (
                    "Acme may identify Customer as a customer in its marketing materials only with Customer's prior "
                    "written consent. Each party shall comply with all export control and sanctions laws applicable to "
                    "its performance under this {doc}.",
                    "Amendments to this {doc} must be in writing and signed by authorised representatives of both "
                    "parties. A waiver of any right is effective only if in writing, and a failure to enforce a provision "
                    "is not a waiver of it.",
                ),
            ),
        },
    },
    "dpa_scope": {
        "headings": ("Scope and Roles", "Subject Matter and Duration", "Purpose of this DPA"),
        "variants": {
            "standard": (
                (
                    'This Data Processing Agreement ("DPA") forms part of the agreement between Acme Analytics, Inc. and '
                    '{customer} for the provision of the Services (the "Agreement") and applies to all personal data '
                    "that Acme processes on behalf of Customer in the course of providing the Services.",
                    "For the purposes of this DPA, Customer is the controller and Acme is the processor. Acme shall "
                    "process personal data only on Customer's documented instructions, including with regard to "
                    "transfers, unless required to do otherwise by law.",
                ),
                (
                    "Subject matter: the hosting and analysis of Customer Data within the Acme Analytics platform. "
                    "Duration: the Subscription Term plus the period until deletion of Customer Data. Nature and purpose: "
                    "storage, querying, visualisation and export at Customer's direction.",
                    "Categories of data subjects may include Customer's employees, customers, suppliers and website "
                    "visitors, depending on the data Customer chooses to load.",
                ),
                (
                    "Acme acts as processor, and Customer as controller, of the personal data contained in Customer Data. "
                    "Acme shall ensure that persons authorised to process personal data are bound by confidentiality and "
                    "shall assist Customer, taking into account the nature of processing, in responding to requests from "
                    "data subjects.",
                ),
            ),
        },
    },
    "breach_notification": {
        "headings": ("Security Incident Notification", "Personal Data Breach", "Breach Notification"),
        "variants": {
            "standard": (
                (
                    "Acme shall notify Customer without undue delay, and in any event within {breach_hours} hours, after "
                    "becoming aware of a Personal Data Breach affecting Customer Data. The notification shall describe the "
                    "nature of the breach, the categories and approximate number of records concerned, the likely "
                    "consequences and the measures taken or proposed.",
                    "Acme shall cooperate with Customer and take reasonable steps to assist in the investigation, "
                    "mitigation and remediation of the breach, and shall not inform any third party of the breach without "
                    "Customer's prior consent unless required by law.",
                ),
                (
                    "In the event of a security incident leading to accidental or unlawful destruction, loss, alteration, "
                    "unauthorised disclosure of or access to Customer Data, Acme will inform Customer's security contact "
                    "within {breach_hours} hours by phone and email.",
                    "Follow-up reports will be provided at least daily until the incident is contained, and a final root "
                    "cause report within ten (10) business days.",
                ),
                (
                    "Incident notification: within {breach_hours} hours of confirmation.",
                    "Content of notice: a description of the incident, the data affected, containment steps and a point "
                    "of contact at Acme. Acme bears the reasonable costs of notifying affected individuals where the "
                    "incident was caused by Acme's failure to comply with this DPA.",
                ),
            ),
        },
    },
    "data_return": {
        "headings": ("Return and Deletion of Data", "Deletion of Customer Data", "End of Processing"),
        "variants": {
            "standard": (
                (
                    "On termination or expiry of the Agreement, Acme shall, at Customer's choice, return all Customer Data "
                    "in a commonly used machine-readable format or delete it. Unless Customer instructs otherwise, Acme "
                    "will delete Customer Data within thirty (30) days after the end of the Subscription Term and will "
                    "confirm deletion in writing on request.",
                ),
                (
                    "Customer may export its data using the self-service export tools at any time during the Subscription "
                    "Term and for thirty (30) days afterwards. After that period Acme will delete Customer Data from "
                    "production systems, and from backups within a further ninety (90) days.",
                ),
                (
                    "Deletion. Within sixty (60) days of the end of processing, Acme shall securely delete all copies of "
                    "personal data processed on behalf of Customer, except to the extent that retention is required by "
                    "law, in which case Acme shall continue to protect such data and process it only for that purpose.",
                ),
            ),
        },
    },
    "amendment_purpose": {
        "headings": ("Background", "Purpose of Amendment", "Recitals"),
        "variants": {
            "standard": (
                (
                    "Acme Analytics, Inc. and {customer} are parties to a Master Subscription Agreement dated "
                    '{agreement_long} (the "Agreement"). The parties wish to amend the Agreement as set out in this '
                    "Amendment No. {amend_no}, effective as of {signed_long}.",
                    "Capitalised terms used but not defined in this Amendment have the meanings given in the Agreement.",
                ),
                (
                    "This Amendment No. {amend_no} modifies the Master Subscription Agreement between the parties dated "
                    "{agreement_long}. It was agreed in connection with Customer's renewal and reflects the commercial "
                    "terms negotiated by the parties.",
                ),
                (
                    "Background. (A) The parties entered into the Agreement on {agreement_long}. (B) Customer has "
                    "requested, and Acme has agreed to, certain changes to the Agreement. (C) The parties therefore agree "
                    "as follows.",
                ),
            ),
        },
    },
    "amendment_effect": {
        "headings": ("Effect of Amendment", "Miscellaneous", "No Other Changes"),
        "variants": {
            "standard": (
                (
                    "Except as expressly modified by this Amendment, the Agreement remains unchanged and in full force "
                    "and effect. In the event of any conflict between this Amendment and the Agreement, this Amendment "
                    "shall prevail.",
                ),
                (
                    "This Amendment may be executed in counterparts, including by electronic signature, each of which is "
                    "an original and all of which together constitute one instrument. All other provisions of the "
                    "Agreement continue to apply.",
                ),
                (
                    "The Agreement, as amended by this Amendment, constitutes the entire agreement between the parties "
                    'regarding its subject matter. References in the Agreement to "this Agreement" shall be read as '
                    "references to the Agreement as amended.",
                ),
            ),
        },
    },
}

AMENDED_INTROS = (
    'The section of the Agreement entitled "{orig_heading}" is deleted in its entirety and replaced with the following:',
    "With effect from the date of this Amendment, the {orig_heading_lower} provisions of the Agreement shall read as follows:",
    "The parties agree to replace the existing {orig_heading_lower} clause with the text below.",
)
AMENDED_HEADINGS = ("Amendment to {orig_heading}", "Revised {orig_heading}", "Changes to {orig_heading}")

# Which clauses each document type contains, with the chance of including them.
SECTION_PLANS = {
    "MSA": (
        ("services", 1.0), ("payment", 1.0), ("renewal", 1.0), ("termination", 1.0), ("sla", 0.7),
        ("confidentiality", 1.0), ("residency", 0.6), ("audits", 0.4), ("subprocessors", 0.35),
        ("warranties", 0.5), ("support", 0.3), ("liability", 1.0), ("governing_law", 1.0), ("general", 0.4),
    ),
    "Order Form": (
        ("order_details", 1.0), ("payment", 1.0), ("renewal", 1.0), ("sla", 0.6), ("termination", 0.5),
        ("support", 0.5), ("confidentiality", 0.2), ("liability", 0.3), ("governing_law", 1.0), ("general", 0.5),
    ),
    "DPA": (
        ("dpa_scope", 1.0), ("residency", 1.0), ("subprocessors", 1.0), ("audits", 0.8),
        ("breach_notification", 1.0), ("data_return", 0.8), ("liability", 0.5), ("renewal", 1.0),
        ("governing_law", 0.7), ("general", 0.2),
    ),
}
MIN_WORDS = 420  # short documents get extra clauses (from the same plan) until they reach this
MIN_SECTIONS, MAX_SECTIONS = 5, 10
AMENDABLE = ("termination", "liability", "residency", "sla", "payment", "subprocessors")

# ---------------------------------------------------------------------------
# Deal terms
# ---------------------------------------------------------------------------

SLA_CREDITS = {
    "99.5": (("below 99.5% but at least 99.0%", 5), ("below 99.0% but at least 97.0%", 10), ("below 97.0%", 25)),
    "99.9": (("below 99.9% but at least 99.5%", 10), ("below 99.5% but at least 99.0%", 25), ("below 99.0%", 50)),
    "99.95": (
        ("below 99.95% but at least 99.9%", 10), ("below 99.9% but at least 99.5%", 20),
        ("below 99.5% but at least 99.0%", 30), ("below 99.0%", 100),
    ),
}

LAW_BY_COUNTRY = {
    "United States": (
        ("the laws of the State of Delaware", "the state and federal courts located in Wilmington, Delaware"),
        ("the laws of the State of New York", "the state and federal courts located in New York County, New York"),
        ("the laws of the State of California", "the state and federal courts located in San Francisco, California"),
        ("the laws of the Commonwealth of Massachusetts", "the state and federal courts located in Suffolk County, Massachusetts"),
    ),
    "Canada": (("the laws of the Province of Ontario", "the courts of Toronto, Ontario"),),
    "United Kingdom": (("the laws of England and Wales", "the courts of London, England"),),
    "Germany": (("the laws of the Federal Republic of Germany", "the courts of Frankfurt am Main"),),
    "France": (("the laws of France", "the Commercial Court of Paris"),),
    "Netherlands": (("the laws of the Netherlands", "the courts of Amsterdam"),),
    "Ireland": (("the laws of Ireland", "the courts of Dublin"),),
    "Switzerland": (("the laws of Switzerland", "the courts of Zurich"),),
    "Sweden": (("the laws of Sweden", "the Stockholm District Court"),),
    "Spain": (("the laws of Spain", "the courts of Madrid"),),
    "Australia": (("the laws of New South Wales, Australia", "the courts of New South Wales"),),
    "Singapore": (("the laws of Singapore", "the courts of Singapore"),),
    "Japan": (("the laws of Japan", "the Tokyo District Court"),),
}
DEFAULT_LAWS = (
    ("the laws of the State of Delaware", "the state and federal courts located in Wilmington, Delaware"),
    ("the laws of England and Wales", "the courts of London, England"),
    ("the laws of Ireland", "the courts of Dublin"),
)
ARBITRATION = {
    "NA": (("the American Arbitration Association", "New York, New York"), ("JAMS", "San Francisco, California")),
    "EMEA": (("the International Chamber of Commerce (ICC)", "Paris, France"),
             ("the London Court of International Arbitration (LCIA)", "London, England")),
    "APAC": (("the Singapore International Arbitration Centre (SIAC)", "Singapore"),),
    "LATAM": (("the International Chamber of Commerce (ICC)", "Miami, Florida"),),
}
RESIDENCY_WEIGHTS = {
    "EMEA": {"eu_only": 6, "none": 4},
    "NA": {"us_only": 45, "none": 55},
    "APAC": {"none": 10},
    "LATAM": {"none": 8, "us_only": 2},
}
OCEANIA = ("Australia", "New Zealand")
CAP_AMOUNTS = {
    "Mid-Market": ("USD 250,000", "USD 500,000", "USD 1,000,000"),
    "Enterprise": ("USD 1,000,000", "USD 2,000,000", "USD 5,000,000"),
}
CONF_YEARS = ("three (3)", "five (5)", "seven (7)")


def _weighted(rng: random.Random, weights: dict) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _residency(rng: random.Random, region: str, country: str) -> str:
    if country in OCEANIA:
        return _weighted(rng, {"australia": 7, "none": 3})
    return _weighted(rng, RESIDENCY_WEIGHTS[region])


def _law(rng: random.Random, region: str, country: str) -> dict:
    law, venue = rng.choice(LAW_BY_COUNTRY.get(country, DEFAULT_LAWS))
    arb_body, arb_seat = rng.choice(ARBITRATION[region])
    arbitration = country != "United States" and rng.random() < 0.35
    return {"law": law, "venue": venue, "arb_body": arb_body, "arb_seat": arb_seat,
            "dispute": "arbitration" if arbitration else "courts"}


def deal_terms(rng: random.Random, segment: str, region: str, country: str) -> dict:
    """Draw the negotiated position shared by all contracts of one customer."""
    enterprise = segment == "Enterprise"
    terms = {
        "termination": _weighted(rng, {"convenience": 35, "cause_only": 40, "early_fee": 25} if enterprise
                                 else {"convenience": 45, "cause_only": 25, "early_fee": 30}),
        "notice_days": rng.choice((30, 60, 90)),
        "fee_pct": rng.choice((25, 50, 75, 100)),
        "fee_months": rng.choice((3, 6)),
        "liability": _weighted(rng, {"cap_12m": 30, "cap_2x": 20, "fixed": 20, "uncapped_breach": 30} if enterprise
                               else {"cap_12m": 50, "cap_2x": 20, "fixed": 20, "uncapped_breach": 10}),
        "cap_amount": rng.choice(CAP_AMOUNTS.get(segment, CAP_AMOUNTS["Mid-Market"])),
        "residency": _residency(rng, region, country),
        "eu_region": "Frankfurt, Germany" if country in ("Germany", "Switzerland") else rng.choice(
            ("Frankfurt, Germany", "Dublin, Ireland")),
        "uptime": rng.choice(("99.9", "99.95")) if enterprise else rng.choice(("99.5", "99.9")),
        "auto_renew": rng.random() < 0.7,
        "renew_months": 12,
        "renew_notice_days": rng.choice((30, 60, 90)),
        "conf_years": rng.choice(CONF_YEARS),
        "net_days": _weighted(rng, {30: 3, 45: 3, 60: 4} if enterprise else {30: 6, 45: 3, 60: 1}),
        "late_pct": rng.choice(("1", "1.5")),
        "audits": _weighted(rng, {"onsite": 4, "report_only": 4, "questionnaire": 2} if enterprise
                            else {"report_only": 6, "questionnaire": 4}),
        "subprocessors": _weighted(rng, {"notice_objection": 55, "prior_consent": 20 if enterprise else 5,
                                         "list_only": 25}),
        "objection_days": rng.choice((14, 30)),
        "audit_notice_days": rng.choice((30, 45, 60)),
        "breach_hours": rng.choice((24, 48, 72)),
        "support": "premium" if enterprise and rng.random() < 0.6 else "standard",
    }
    terms.update(_law(rng, region, country))
    return terms


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------

def long_date(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def _credit_table(uptime: str) -> str:
    rows = ["| Monthly Uptime Percentage | Service Credit |", "| --- | --- |"]
    rows += [f"| {label[0].upper() + label[1:]} | {pct}% of monthly Fees |" for label, pct in SLA_CREDITS[uptime]]
    return "\n".join(rows)


def _credit_bullets(uptime: str) -> str:
    return "\n".join(f"- Availability {label}: credit of {pct}%" for label, pct in SLA_CREDITS[uptime])


def _credit_prose(uptime: str) -> str:
    parts = [f"{pct}% of the monthly Fees where availability is {label}" for label, pct in SLA_CREDITS[uptime]]
    return "; ".join(parts[:-1]) + "; and " + parts[-1] + "."


def _variant_key(clause: str, terms: dict) -> str:
    variants = CLAUSES[clause]["variants"]
    if clause == "renewal":
        return "auto" if terms["auto_renew"] else "none"
    if clause == "governing_law":
        return terms["dispute"]
    if len(variants) == 1:
        return next(iter(variants))
    return terms[clause]


def _clause_paragraphs(rng: random.Random, clause: str, values: dict) -> list:
    wording = rng.choice(CLAUSES[clause]["variants"][_variant_key(clause, values)])
    return [p.format_map(values) for p in wording]


def _plan_sections(rng: random.Random, contract_type: str) -> list:
    """Pick the clauses of one document, keeping between 5 and 10 sections."""
    plan = SECTION_PLANS[contract_type]
    required = [clause for clause, p in plan if p >= 1.0]
    optional = [clause for clause, p in plan if p < 1.0 and rng.random() < p]
    spare = [clause for clause, p in plan if p < 1.0 and clause not in optional]
    while len(required) + len(optional) > MAX_SECTIONS:
        optional.remove(rng.choice(optional))
    while len(required) + len(optional) < MIN_SECTIONS and spare:
        optional.append(spare.pop(rng.randrange(len(spare))))
    keep = set(required + optional)
    return [clause for clause, _ in plan if clause in keep]


def _amended_clause(rng: random.Random, clause: str, values: dict) -> tuple:
    orig = rng.choice(CLAUSES[clause]["headings"])
    names = {"orig_heading": orig, "orig_heading_lower": orig.lower()}
    intro = rng.choice(AMENDED_INTROS).format_map(names)
    heading = rng.choice(AMENDED_HEADINGS).format_map(names)
    return heading, [intro] + _clause_paragraphs(rng, clause, values)


def _amendment_sections(rng: random.Random, values: dict) -> list:
    """Amendments replace 2-4 clauses of the agreement; return (heading, paragraphs) pairs."""
    purpose = _render_clause(rng, "amendment_purpose", values)
    candidates = rng.sample(AMENDABLE, len(AMENDABLE))
    amended = [_amended_clause(rng, clause, values) for clause in candidates[:rng.randint(2, 3)]]
    closing_clauses = ["renewal", "amendment_effect"]
    if rng.random() < 0.6:
        closing_clauses.append("governing_law")
    closing = [_render_clause(rng, clause, values) for clause in closing_clauses]
    remaining = candidates[len(amended):]

    def words():
        return sum(len(p.split()) for _, paragraphs in [purpose] + amended + closing for p in paragraphs)

    while words() < MIN_WORDS and remaining and len(amended) < 4:
        amended.append(_amended_clause(rng, remaining.pop(0), values))
    return [purpose] + amended + closing


def _render_clause(rng: random.Random, clause: str, values: dict) -> tuple:
    return rng.choice(CLAUSES[clause]["headings"]), _clause_paragraphs(rng, clause, values)


def _word_count(sections: dict) -> int:
    return sum(len(p.split()) for _, paragraphs in sections.values() for p in paragraphs)


def _standard_sections(rng: random.Random, contract_type: str, values: dict) -> list:
    plan = [clause for clause, _ in SECTION_PLANS[contract_type]]
    chosen = _plan_sections(rng, contract_type)
    sections = {clause: _render_clause(rng, clause, values) for clause in chosen}
    spare = [clause for clause in plan if clause not in sections]
    while _word_count(sections) < MIN_WORDS and spare and len(sections) < MAX_SECTIONS:
        clause = spare.pop(rng.randrange(len(spare)))
        sections[clause] = _render_clause(rng, clause, values)
    return [sections[clause] for clause in plan if clause in sections]


def amend_terms(rng: random.Random, terms: dict) -> dict:
    """Return a copy of ``terms`` with a renegotiated position on some clauses."""
    new = dict(terms)
    new["termination"] = rng.choice([v for v in CLAUSES["termination"]["variants"] if v != terms["termination"]])
    new["liability"] = rng.choice([v for v in CLAUSES["liability"]["variants"] if v != terms["liability"]])
    if terms["residency"] == "none":
        new["residency"] = rng.choice(("eu_only", "us_only", "none"))
    new["uptime"] = {"99.5": "99.9", "99.9": "99.95", "99.95": "99.95"}[terms["uptime"]]
    new["net_days"] = rng.choice((30, 45, 60))
    new["notice_days"] = rng.choice((30, 60, 90))
    if rng.random() < 0.3:
        new["auto_renew"] = not terms["auto_renew"]
    return new


def render_contract(rng: random.Random, contract_type: str, terms: dict, facts: dict) -> str:
    """Render one contract as markdown with YAML front matter.

    ``terms`` comes from :func:`deal_terms` (possibly amended); ``facts`` holds
    customer name and country, signed date, term length, amendment number,
    the date of the master agreement and the ordered plan.
    """
    values = dict(terms)
    values.update(facts)
    values["doc"] = DOC_WORD[contract_type]
    values["signed_long"] = long_date(facts["signed_date"])
    values["credit_table"] = _credit_table(terms["uptime"])
    values["credit_bullets"] = _credit_bullets(terms["uptime"])
    values["credit_prose"] = _credit_prose(terms["uptime"])
    title = rng.choice(TITLES[contract_type]).format_map(values)
    values["title"] = title
    if contract_type == "Amendment":
        sections = _amendment_sections(rng, values)
    else:
        sections = _standard_sections(rng, contract_type, values)
    front = (
        "---\n"
        f"title: {title}\n"
        f"contract_type: {contract_type}\n"
        f"signed_date: {facts['signed_date'].isoformat()}\n"
        f"term_months: {facts['term_months']}\n"
        f"auto_renew: {'true' if terms['auto_renew'] else 'false'}\n"
        "---\n"
    )
    preamble = rng.choice(PREAMBLES.get(contract_type, PREAMBLES["default"])).format_map(values)
    lines = [front, f"# {title}\n", preamble + "\n"]
    for number, (heading, paragraphs) in enumerate(sections, start=1):
        lines.append(f"## {number}. {heading}\n")
        lines.extend(p + "\n" for p in paragraphs)
    return "\n".join(lines)
