//! The values of the rules' fields, computed in bulk for every customer and open document.
//!
//! [`Facts::gather`] runs one query per kind of fact (never one per customer or rule), and
//! only the queries the cycles' rules need: a field that no rule names is never computed.
//! The few facts every plan needs whatever the rules say (open documents, disputes, promises,
//! holds) are always read.
//!
//! Field meanings that SPEC leaves open:
//! - `open_debits`: the sum of the open balances of invoices and debit notes (base currency).
//! - `aging_*`: by the field's own day ranges (1-30, 31-60, ...), whatever the configured
//!   aging bounds.
//! - `open_p2p_amount`, `next_p2p_date`, `p2p_date`, `has_p2p_date`: the promises open at
//!   the as-of date as [`Activity::open_promises`](crate::store::Activity::open_promises)
//!   derives them (not voided, not yet kept, date plus the grace days not passed — the
//!   metrics bar's and the queue's definition);
//!   `open_p2p_amount` is what is still expected from them (Σ remaining), in the base
//!   currency; document level counts the promises naming the document.
//! - `open_issue_amount`: the amounts of the issues open at the as-of date
//!   ([`Activity::open_issues`](crate::store::Activity::open_issues)), in the base currency
//!   (of the customer; at document level, of the issues naming the document).
//! - `last_email_date`: the latest reminder sent (to the customer; naming the document);
//!   for a customer `min_days_between` stops today, the latest before the reminders that
//!   stop it ([`Facts::customer_value_spaced`]).
//!   `last_reply_date`: the latest reply (from the customer; at document level, replies to a
//!   reminder naming the document).
//! - `paid`: whether the document is fully paid; plans consider open documents only, so in
//!   practice `no`. `disputed`: named by an open issue (such documents never get reminders).
//! - `payment_attempts`: attempts since the latest successful payment (voided ones left out).
//! - `last_attempted_payment_amount`: in the base currency.
//! - `monthly_dso`: the customer's count-back DSO over the last 12 months of its own sales.
//! - `net_term_days`: the customer's `payment_terms_days`.
//! - `average_payment_attempts`: attempts (voided ones left out) per successful payment, by
//!   the as-of date (all attempts when none succeeded; 0 without any).
//! - `transaction_type`: `debit` for invoices and debit notes, `credit` for credit notes.
//! - `dunning_status`, `next_retry_date`: of the latest payment attempt, as imported.
//! - `last_email_date`: emails only; a text message sets the last reminder date that
//!   `[engage] min_days_between` reads, not this.

use super::cycle::Cycles;
use super::template::OpenPromise;
use crate::Result;
use crate::domain::aging::{AgingBounds, Figures};
use crate::domain::forecast::RiskLevel;
use crate::domain::metrics::{days_inclusive, dso_count_back, months_back};
use crate::domain::rules::{Level, Value};
use crate::domain::{Date, Decimal, money};
use crate::report::Portfolio;
use crate::report::forecast::payment_risks;
use crate::store::Store;
use crate::store::activity::issues::IssueView;
use crate::store::activity::promises::PromiseView;
use crate::store::engage::{Customer, EngageDocument, LastAttempt};
use crate::store::ledger::rates::RateCache;
use std::collections::{HashMap, HashSet};

/// What the cycles' rules refer to, per level.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    customer: HashSet<String>,
    document: HashSet<String>,
    payment: HashSet<String>,
}

impl Needs {
    /// The fields named by any rule of `cycles`.
    pub fn of(cycles: &Cycles) -> Needs {
        let set = |level| {
            cycles
                .field_names(level)
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        Needs {
            customer: set(Level::Customer),
            document: set(Level::Document),
            payment: set(Level::Payment),
        }
    }

    /// Every field of every level (for previews of arbitrary rules).
    pub fn all() -> Needs {
        let set = |level| {
            crate::domain::rules::fields(level)
                .iter()
                .map(|(n, _)| n.to_string())
                .chain(std::iter::once("cf_".to_string()))
                .collect()
        };
        Needs {
            customer: set(Level::Customer),
            document: set(Level::Document),
            payment: set(Level::Payment),
        }
    }

    fn customer(&self, name: &str) -> bool {
        self.customer.contains(name)
    }

    fn document(&self, name: &str) -> bool {
        self.document.contains(name)
    }

    fn payment(&self, name: &str) -> bool {
        self.payment.contains(name)
    }

    fn customer_any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.customer(n))
    }

    fn custom(&self, level: Level) -> bool {
        let set = match level {
            Level::Customer => &self.customer,
            Level::Document => &self.document,
            Level::Payment => &self.payment,
        };
        set.iter()
            .any(|n| n.starts_with(crate::domain::rules::CUSTOM_PREFIX))
    }
}

/// Promise facts of a customer or a document.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct PromiseFacts {
    amount: Decimal,
    next_date: Option<Date>,
}

/// What promises amount to: what was promised, what has been paid towards it and what is
/// still to come.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct PromiseSums {
    promised: Decimal,
    paid: Decimal,
    remaining: Decimal,
}

impl PromiseSums {
    fn add(&mut self, other: PromiseSums) {
        self.promised += other.promised;
        self.paid += other.paid;
        self.remaining += other.remaining;
    }
}

/// A customer's open promises as its reminders state them: in the currency each was made
/// in, and in the base currency for a customer whose promises were made in more than one.
#[derive(Debug, Clone, Default, PartialEq)]
struct PromiseAmounts {
    by_currency: std::collections::BTreeMap<String, PromiseSums>,
    base: PromiseSums,
}

/// Everything the rules may read, for every customer and open document.
#[derive(Debug, Default)]
pub struct Facts {
    pub as_of: Date,
    base_currency: String,
    figures: HashMap<i64, Figures>,
    issue_by_customer: HashMap<i64, Decimal>,
    issue_by_document: HashMap<i64, Decimal>,
    /// Documents named by an open issue.
    pub disputed: HashSet<i64>,
    promise_by_customer: HashMap<i64, PromiseFacts>,
    promise_amounts: HashMap<i64, PromiseAmounts>,
    promise_by_document: HashMap<i64, PromiseFacts>,
    /// Customers with an open promise whose date has not passed: no reminders.
    pub paused: HashMap<i64, Date>,
    /// Customers held back by a manager, until the date.
    pub held: HashMap<i64, Date>,
    last_email: HashMap<i64, Date>,
    last_email_document: HashMap<i64, Date>,
    /// `last_email_date` as it stood before the days `min_days_between` counts back
    /// ([`Facts::gather_before_spacing`]): what the rules read for a customer that the
    /// spacing stops today.
    last_email_before_spacing: HashMap<i64, Date>,
    last_email_document_before_spacing: HashMap<i64, Date>,
    last_reply: HashMap<i64, Date>,
    last_reply_document: HashMap<i64, Date>,
    mismatch: HashSet<i64>,
    attempts: HashMap<i64, LastAttempt>,
    dso: HashMap<i64, Decimal>,
    /// `payment_risk` per customer (customers without documents are low risk).
    risk: HashMap<i64, RiskLevel>,
    /// The latest day any reminder was sent to a customer (for `min_days_between`).
    pub last_reminder: HashMap<i64, Date>,
    /// Customers sent a reminder by a run of a later date than the plan's, with when the
    /// latest of those was delivered: a plan of an earlier date is sent now.
    pub sent_after: HashMap<i64, String>,
    /// Customers with reminders pending (in flight, or their delivery unknown), the latest
    /// claimed first: each counts as sent on its run's date.
    pub pending_reminder: HashMap<i64, Vec<crate::store::engage::PendingReminder>>,
    /// Contacts per customer (`contacts.csv`), primary ones first.
    pub contacts: HashMap<i64, Vec<crate::store::engage::Contact>>,
}

/// A customer's `cf_*` values.
pub type Custom = HashMap<String, String>;

/// Parses a `custom` JSON column (absent or malformed: no custom fields).
pub fn parse_custom(json: Option<&str>) -> Custom {
    json.and_then(|j| serde_json::from_str::<HashMap<String, serde_json::Value>>(j).ok())
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| match v {
                    serde_json::Value::String(s) => Some((k, s)),
                    serde_json::Value::Null => None,
                    other => Some((k, other.to_string())),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl Facts {
    /// Reads the facts `needs` asks for, as of `as_of`.
    pub fn gather(
        store: &Store,
        as_of: Date,
        needs: &Needs,
        base_currency: &str,
        grace_days: u32,
    ) -> Result<Facts> {
        let mut facts = Facts {
            as_of,
            base_currency: base_currency.to_string(),
            ..Facts::default()
        };
        let figures_fields = [
            "outstanding",
            "overdue",
            "net_overdue",
            "open_debits",
            "unapplied_cash",
            "unutilised_credit",
            "aging_current",
            "aging_1_30",
            "aging_31_60",
            "aging_61_90",
            "aging_91_120",
            "aging_120_plus",
        ];
        if needs.customer_any(&figures_fields) || needs.payment("monthly_dso") {
            let bounds = AgingBounds::default();
            facts.figures =
                Portfolio::compute(store, as_of, None, &bounds, base_currency)?.customers;
        }
        facts.disputed = store.activity().disputed_documents(None, as_of)?;
        let mut rates = RateCache::new(store, base_currency);
        if needs.customer("open_issue_amount") || needs.document("open_issue_amount") {
            facts.add_issues(
                &store.activity().open_issues(as_of, base_currency)?,
                &mut rates,
            )?;
        }
        facts.add_promises(
            &store
                .activity()
                .open_promises(as_of, grace_days, base_currency)?,
            &mut rates,
        )?;
        facts.held = store.engagement().held_customers(as_of)?;
        if needs.customer("last_email_date") {
            facts.last_email = store.engagement().last_email_dates(as_of)?;
        }
        if needs.document("last_email_date") {
            facts.last_email_document = store.engagement().last_email_dates_by_document(as_of)?;
        }
        if needs.customer("last_reply_date") {
            facts.last_reply = store.engagement().last_reply_dates(as_of)?;
        }
        if needs.document("last_reply_date") {
            facts.last_reply_document = store.engagement().last_reply_dates_by_document(as_of)?;
        }
        if needs.customer("outstanding_mismatch") {
            facts.mismatch = store.engagement().customers_with_mismatch(as_of)?;
        }
        let attempt_fields = [
            "last_attempted_payment_date",
            "last_attempted_payment_status",
            "last_attempted_payment_amount",
            "last_attempted_payment_method",
            "last_attempted_payment_failure",
            "last_payment_gateway",
            "payment_attempts",
        ];
        if attempt_fields.iter().any(|n| needs.payment(n))
            || needs.payment("dunning_status")
            || needs.payment("next_retry_date")
            || needs.customer("average_payment_attempts")
        {
            facts.attempts = store
                .engagement()
                .last_payment_attempts(as_of, base_currency)?;
        }
        if needs.payment("monthly_dso") {
            facts.dso = facts.monthly_dso(store)?;
        }
        if needs.payment("payment_risk") {
            facts.risk = payment_risks(store, as_of, base_currency, grace_days)?;
        }
        facts.contacts = store.engagement().contacts_by_customer()?;
        Ok(facts)
    }

    /// Open issues: each counts once for its customer and once for every document it names,
    /// in the base currency (as the metrics bar's `open_issue_amount`).
    fn add_issues(&mut self, issues: &[IssueView], rates: &mut RateCache<'_>) -> Result<()> {
        for issue in issues {
            let amount = issue.base_amount(rates)?;
            *self.issue_by_customer.entry(issue.cid).or_default() += amount;
            for d in &issue.documents {
                *self.issue_by_document.entry(d.did).or_default() += amount;
            }
        }
        Ok(())
    }

    /// Open promises (as the metrics bar and the queue derive them): what is still expected
    /// from them in the base currency, their earliest date, and the customers they pause.
    fn add_promises(&mut self, promises: &[PromiseView], rates: &mut RateCache<'_>) -> Result<()> {
        for p in promises {
            if p.date >= self.as_of {
                let until = self.paused.entry(p.cid).or_insert(p.date);
                *until = (*until).max(p.date);
            }
            let remaining = p.base_remaining(rates)?;
            let add = |entry: &mut PromiseFacts| {
                entry.amount += remaining;
                entry.next_date = Some(entry.next_date.map_or(p.date, |d| d.min(p.date)));
            };
            add(self.promise_by_customer.entry(p.cid).or_default());
            for d in &p.documents {
                add(self.promise_by_document.entry(d.did).or_default());
            }
            let amounts = self.promise_amounts.entry(p.cid).or_default();
            amounts
                .by_currency
                .entry(p.currency.clone())
                .or_default()
                .add(PromiseSums {
                    promised: p.amount,
                    paid: p.progress.paid,
                    remaining: p.progress.remaining,
                });
            amounts.base.add(PromiseSums {
                promised: p.in_base(p.amount, rates)?,
                paid: p.in_base(p.progress.paid, rates)?,
                remaining,
            });
        }
        Ok(())
    }

    fn monthly_dso(&self, store: &Store) -> Result<HashMap<i64, Decimal>> {
        let months = months_back(self.as_of, 12);
        let (Some(first), Some(last)) = (months.last(), months.first()) else {
            return Ok(HashMap::new());
        };
        let sales =
            store
                .engagement()
                .monthly_sales_by_customer(first.0, last.1, &self.base_currency)?;
        let mut out = HashMap::new();
        for (cid, f) in &self.figures {
            let Some(by_month) = sales.get(cid) else {
                continue;
            };
            let series: Vec<(Decimal, u32)> = months
                .iter()
                .map(|&(start, end)| {
                    let sales = by_month.get(&start).copied().unwrap_or_default();
                    (sales, days_inclusive(start, end))
                })
                .collect();
            if let Some(dso) = dso_count_back(f.outstanding, &series) {
                out.insert(*cid, crate::domain::money::round_half_away(dso, 1));
            }
        }
        Ok(out)
    }

    /// Reads every customer's figures, when the rules did not need them.
    pub fn ensure_figures(&mut self, store: &Store) -> Result<()> {
        if self.figures.is_empty() {
            self.figures = Portfolio::compute(
                store,
                self.as_of,
                None,
                &AgingBounds::default(),
                &self.base_currency,
            )?
            .customers;
        }
        Ok(())
    }

    /// The customer's whole account for its reminders' templates (none: nothing open, no
    /// credit, or the figures not read: [`Facts::ensure_figures`]).
    pub fn balances(&self, cid: i64) -> Option<super::template::CustomerBalances> {
        self.figures
            .get(&cid)
            .map(super::template::CustomerBalances::of)
    }

    /// The customer's open promises, when it has any: the next promised date, and what was
    /// promised, paid and is still to come in the currency they were made in (the base
    /// currency when they were made in more than one).
    pub fn open_promise(&self, cid: i64) -> Option<OpenPromise> {
        let p = self.promise_by_customer.get(&cid)?;
        let date = p.next_date?;
        let amounts = self.promise_amounts.get(&cid)?;
        let (currency, sums) = match amounts.by_currency.iter().collect::<Vec<_>>().as_slice() {
            [(currency, sums)] => ((*currency).clone(), **sums),
            _ => (self.base_currency.clone(), amounts.base),
        };
        Some(OpenPromise {
            date,
            currency,
            promised: sums.promised,
            paid: sums.paid,
            remaining: sums.remaining,
            base_remaining: p.amount,
        })
    }

    /// The value of customer-level field `name` for `c`.
    pub fn customer_value(&self, c: &Customer, custom: &Custom, name: &str) -> Value {
        let figures = self.figures.get(&c.cid);
        let figure = |f: fn(&Figures) -> Decimal| Value::Amount(figures.map_or(Decimal::ZERO, f));
        let bucket = |i: usize| figure_bucket(figures, i);
        match name {
            "outstanding" | "open_debits" => figure(|f| f.outstanding),
            "overdue" => figure(|f| f.overdue),
            "net_overdue" => figure(Figures::net_overdue),
            "unapplied_cash" => figure(|f| f.unapplied_cash),
            "unutilised_credit" => figure(|f| f.unutilised_credit),
            "aging_current" => bucket(0),
            "aging_1_30" => bucket(1),
            "aging_31_60" => bucket(2),
            "aging_61_90" => bucket(3),
            "aging_91_120" => bucket(4),
            "aging_120_plus" => bucket(5),
            "open_issue_amount" => Value::Amount(
                self.issue_by_customer
                    .get(&c.cid)
                    .copied()
                    .unwrap_or_default(),
            ),
            "open_p2p_amount" => Value::Amount(
                self.promise_by_customer
                    .get(&c.cid)
                    .map_or(Decimal::ZERO, |p| p.amount),
            ),
            "next_p2p_date" => self
                .promise_by_customer
                .get(&c.cid)
                .and_then(|p| p.next_date)
                .into(),
            "last_email_date" => self.last_email.get(&c.cid).copied().into(),
            "last_reply_date" => self.last_reply.get(&c.cid).copied().into(),
            "finance_owner" => c.finance_owner.clone().into(),
            "sales_owner" => c.sales_owner.clone().into(),
            "outstanding_mismatch" => Value::Bool(self.mismatch.contains(&c.cid)),
            "average_payment_attempts" => Value::Amount(
                self.attempts
                    .get(&c.cid)
                    .map_or(Decimal::ZERO, LastAttempt::average_attempts),
            ),
            "card_last4" => c.card_last4.clone().into(),
            other => custom.get(other).cloned().into(),
        }
    }

    /// For a plan of an earlier date than `today` (`--as-of`: it is sent now), adds the
    /// holds and the promises in force today to those of the plan's date: a customer held
    /// back today, or who promised to pay by a date not passed today, is not reminded now, as
    /// a document disputed today is not chased. The rules still read the promises of the
    /// plan's date.
    pub fn add_in_force_today(
        &mut self,
        store: &Store,
        today: Date,
        grace_days: u32,
    ) -> Result<()> {
        if today <= self.as_of {
            return Ok(());
        }
        self.held = store.engagement().held_then_or_now(self.as_of, today)?;
        for p in store
            .activity()
            .open_promises(today, grace_days, &self.base_currency)?
        {
            if p.date >= today {
                let until = self.paused.entry(p.cid).or_insert(p.date);
                *until = (*until).max(p.date);
            }
        }
        Ok(())
    }

    /// Reads `last_email_date` (as far as `needs` names it) as it stood before the days
    /// `[engage] min_days_between` counts back (one at least: today's): of the emails sent
    /// before any that stops a customer today.
    pub fn gather_before_spacing(
        &mut self,
        store: &Store,
        needs: &Needs,
        min_days_between: u32,
    ) -> Result<()> {
        let before = self
            .as_of
            .checked_sub_days(chrono::Days::new(u64::from(min_days_between.max(1))))
            .unwrap_or(Date::MIN);
        if needs.customer("last_email_date") {
            self.last_email_before_spacing = store.engagement().last_email_dates(before)?;
        }
        if needs.document("last_email_date") {
            self.last_email_document_before_spacing =
                store.engagement().last_email_dates_by_document(before)?;
        }
        Ok(())
    }

    /// [`Facts::customer_value`], for a customer the spacing stops today when `spaced`: its
    /// `last_email_date` is then the one before the reminders that stop it, so that a rule
    /// waiting after an email (`last_email_date < 7 days ago`) reads as it did before them,
    /// and what its cycle would send is skipped for the spacing, saying why, rather than gone.
    pub fn customer_value_spaced(
        &self,
        c: &Customer,
        custom: &Custom,
        name: &str,
        spaced: bool,
    ) -> Value {
        if spaced && name == "last_email_date" {
            return self.last_email_before_spacing.get(&c.cid).copied().into();
        }
        self.customer_value(c, custom, name)
    }

    /// [`Facts::document_value`], as [`Facts::customer_value_spaced`] reads it.
    pub fn document_value_spaced(
        &self,
        d: &EngageDocument,
        custom: &Custom,
        name: &str,
        spaced: bool,
    ) -> Value {
        if spaced && name == "last_email_date" {
            return self
                .last_email_document_before_spacing
                .get(&d.did)
                .copied()
                .into();
        }
        self.document_value(d, custom, name)
    }

    /// The value of document-level field `name` for `d`.
    pub fn document_value(&self, d: &EngageDocument, custom: &Custom, name: &str) -> Value {
        let promise = self.promise_by_document.get(&d.did);
        let base =
            |v: Decimal| Value::Amount(money::round_to_currency(v * d.rate, &self.base_currency));
        match name {
            "amount" => Value::Amount(d.amount),
            "balance" => Value::Amount(d.balance),
            "converted_amount" => base(d.amount),
            "converted_balance" => base(d.balance),
            "open_issue_amount" => Value::Amount(
                self.issue_by_document
                    .get(&d.did)
                    .copied()
                    .unwrap_or_default(),
            ),
            "open_p2p_amount" => Value::Amount(promise.map_or(Decimal::ZERO, |p| p.amount)),
            "doc_date" => Value::Date(d.doc_date),
            "due_date" => d.due_date.into(),
            "posting_date" => d.posting_date.into(),
            "p2p_date" => promise.and_then(|p| p.next_date).into(),
            "has_p2p_date" => Value::Bool(promise.is_some_and(|p| p.next_date.is_some())),
            "last_email_date" => self.last_email_document.get(&d.did).copied().into(),
            "last_reply_date" => self.last_reply_document.get(&d.did).copied().into(),
            "type" => Value::Text(d.kind.as_str().to_string()),
            "transaction_type" => Value::Text(
                if d.kind.is_credit() {
                    "credit"
                } else {
                    "debit"
                }
                .to_string(),
            ),
            "currency" => Value::Text(d.currency.clone()),
            "location" => d.location.clone().into(),
            "business_unit" => d.business_unit.clone().into(),
            "disputed" => Value::Bool(self.disputed.contains(&d.did)),
            "paid" => Value::Bool(d.balance <= Decimal::ZERO),
            other => custom.get(other).cloned().into(),
        }
    }

    /// The value of payment-level field `name` for customer `c`.
    pub fn payment_value(&self, c: &Customer, name: &str) -> Value {
        let last = self.attempts.get(&c.cid);
        match name {
            "last_attempted_payment_date" => last.map(|a| a.date).into(),
            "last_attempted_payment_status" => last.map(|a| a.status.clone()).into(),
            "last_attempted_payment_amount" => last.map(|a| a.amount).into(),
            "last_attempted_payment_method" => last.and_then(|a| a.method.clone()).into(),
            "last_attempted_payment_failure" => last.and_then(|a| a.failure_reason.clone()).into(),
            "last_payment_gateway" => last.and_then(|a| a.gateway.clone()).into(),
            "payment_attempts" => Value::Integer(last.map_or(0, |a| a.attempts_since_success)),
            "primary_payment_method" => c.primary_payment_method.clone().into(),
            "backup_payment_method" => c.backup_payment_method.clone().into(),
            "auto_collection" => c.auto_collection.into(),
            "net_term_days" => c.payment_terms_days.into(),
            "payment_source_status" => c.payment_source_status.clone().into(),
            "subscription_status" => c.subscription_status.clone().into(),
            "dunning_status" => last.and_then(|a| a.dunning_status.clone()).into(),
            "next_retry_date" => last.and_then(|a| a.next_retry_date).into(),
            "monthly_dso" => self.dso.get(&c.cid).copied().into(),
            "payment_risk" => Value::Text(
                self.risk
                    .get(&c.cid)
                    .copied()
                    .unwrap_or(RiskLevel::Low)
                    .as_str()
                    .to_string(),
            ),
            _ => Value::Null,
        }
    }

    /// Whether custom fields of `level` are needed (read the JSON columns).
    pub fn needs_custom(needs: &Needs, level: Level) -> bool {
        needs.custom(level)
    }
}

fn figure_bucket(figures: Option<&Figures>, i: usize) -> Value {
    Value::Amount(
        figures
            .and_then(|f| f.aging.get(i).copied())
            .unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_json_becomes_text() {
        let c = parse_custom(Some(r#"{"cf_region":"west","cf_n":3,"cf_none":null}"#));
        assert_eq!(c.get("cf_region").map(String::as_str), Some("west"));
        assert_eq!(c.get("cf_n").map(String::as_str), Some("3"));
        assert!(!c.contains_key("cf_none"));
        assert!(parse_custom(Some("not json")).is_empty());
        assert!(parse_custom(None).is_empty());
    }

    /// A customer's promises are stated in the currency they were made in; made in two (its
    /// currency changed between them), in the base currency, which adds them up.
    #[test]
    fn the_open_promise_is_in_its_own_currency_else_the_base() {
        let sums = |promised: i64, paid: i64| PromiseSums {
            promised: Decimal::from(promised),
            paid: Decimal::from(paid),
            remaining: Decimal::from(promised - paid),
        };
        let date = Date::from_ymd_opt(2026, 5, 10).unwrap();
        let mut facts = Facts {
            base_currency: "USD".into(),
            ..Facts::default()
        };
        facts.promise_by_customer.insert(
            1,
            PromiseFacts {
                amount: Decimal::from(393),
                next_date: Some(date),
            },
        );
        let mut amounts = PromiseAmounts {
            base: sums(655, 262),
            ..PromiseAmounts::default()
        };
        amounts
            .by_currency
            .insert("JPY".into(), sums(100_000, 40_000));
        facts.promise_amounts.insert(1, amounts.clone());
        let p = facts.open_promise(1).unwrap();
        assert_eq!(p.currency, "JPY");
        assert_eq!(
            (p.promised, p.paid, p.remaining),
            (100_000.into(), 40_000.into(), 60_000.into())
        );
        assert_eq!((p.date, p.base_remaining), (date, 393.into()));
        amounts.by_currency.insert("EUR".into(), sums(10, 0));
        facts.promise_amounts.insert(1, amounts);
        let p = facts.open_promise(1).unwrap();
        assert_eq!(p.currency, "USD");
        assert_eq!(
            (p.promised, p.paid, p.remaining),
            (655.into(), 262.into(), 393.into())
        );
        assert_eq!(facts.open_promise(2), None);
    }
}
