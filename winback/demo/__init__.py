"""The demo: winback's own formats, filled from the public data shipped in winback/sample_data.

How each source is mapped (see also docs/architecture.md, "Demo data"):

* CDNOW (Fader, Hardie & Lee 2005; the paper's 1/10 sample, 2,357 buyers) -> non-contract
  customers (segment "retail", team "retail") with one `purchase` event per transaction.
  All dates are shifted by one constant so the data's last day (1998-06-30) becomes
  today minus 3 days: buying rhythms are kept exactly. value_per_year is the buyer's spend
  divided by the years from first purchase to the data's end (at least a quarter year).
* IBM Telco churn (4,930 subscribers) -> contract customers (segment "telecom", team
  "telecom"). Every tabular column except customerID and Churn goes to `attributes`;
  value_per_year = MonthlyCharges x 12; start_date = today - tenure months; renewal_date
  is the next contract anniversary (monthly for month-to-month). Churn=Yes becomes a
  `cancellation` event on a synthetic day in the last 60 days and status "cancelled" from
  that day: the contract signal the scan reads. Each subscriber also gets SYNTHETIC monthly
  `payment` events for the last 3 months (none from their cancellation on).
* Account team: SYNTHETIC people (names end in "(synthetic)"), a lead and members with
  handles, roles and daily capacities, one team per customer source, plus a leader.
* Feedback: CFPB complaint narratives (source "complaint"), BANKING77 queries (source
  "ticket") and Bitext utterances (source "social") on SYNTHETIC dates spread over the last
  90 days. INJECTED for the demo: extra "card has not arrived" queries (BANKING77
  card_arrival) dated in the last 3 days, so the listening view shows a spike.

Every row has a natural key from its source (customer id, file line), so loading twice
writes nothing the second time, whatever day it runs.
"""
