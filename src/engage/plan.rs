//! Today's plan: which reminder of which cycle goes to which customer, for which documents.
//!
//! One pass: the facts every rule needs are read in bulk ([`Facts::gather`]), the open
//! invoices and debit notes are streamed once and grouped by customer, then every customer
//! is run through every cycle in memory. For a customer and a cycle:
//!
//! 1. a customer held back by a collector, or with an open promise whose date has not
//!    passed, gets nothing from any cycle;
//! 2. disputed documents (named by an open issue) are left out before anything else;
//! 3. the customer rule and the payment rule must hold, and at least one document must pass
//!    the document rule: those are the matching documents;
//! 4. the due reminders are those whose `after_due_days` the oldest matching document has
//!    reached; only the furthest is sent, the earlier ones count as passed;
//! 5. it is sent for the matching documents that have not yet had it, nor a later reminder
//!    of the cycle (at most once per cycle, reminder and document);
//! 6. a customer without a valid email address is listed as skipped.

use super::cycle::{Cycle, Cycles};
use super::facts::{Custom, Facts, Needs, parse_custom};
use super::outbox::recipients;
use crate::Result;
use crate::domain::aging::days_overdue;
use crate::domain::rules::Level;
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::store::engage::{EngageCustomer, EngageDocument};
use serde::Serialize;
use std::collections::HashMap;

/// One reminder to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEntry {
    pub cycle: String,
    pub reminder: String,
    /// The reminder's position in its cycle.
    pub reminder_index: usize,
    pub cid: i64,
    pub customer_id: String,
    pub customer_name: String,
    /// The customer's email as stored (one or more addresses).
    pub to: String,
    /// Oldest due date first.
    pub documents: Vec<EngageDocument>,
    /// Days overdue of the oldest matching document.
    pub days_overdue: i64,
}

impl PlanEntry {
    /// The billing system's ids of the documents.
    pub fn document_ids(&self) -> Vec<&str> {
        self.documents.iter().map(|d| d.id.as_str()).collect()
    }

    /// The sum of the documents' balances in the base currency.
    pub fn base_balance(&self, base_currency: &str) -> Decimal {
        self.documents
            .iter()
            .map(|d| crate::domain::money::round_to_currency(d.balance * d.rate, base_currency))
            .sum()
    }
}

/// A reminder that is due but cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
    pub reason: String,
}

/// The plan as of a date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub as_of: Date,
    /// Sorted by cycle, reminder and customer id.
    pub entries: Vec<PlanEntry>,
    /// Due reminders that cannot be sent (no or an invalid email address).
    pub skipped: Vec<Skipped>,
    /// Customers with open documents left out because of an open promise, until its date.
    pub paused: HashMap<i64, Date>,
    /// Customers with open documents held back by a collector, until the date.
    pub held: HashMap<i64, Date>,
}

/// The JSON form of an entry (SPEC's shape).
#[derive(Debug, Serialize)]
struct EntryJson<'a> {
    cycle: &'a str,
    reminder: &'a str,
    customer_id: &'a str,
    document_ids: Vec<&'a str>,
    to: &'a str,
}

impl Plan {
    /// `[{"cycle", "reminder", "customer_id", "document_ids", "to"}]`.
    pub fn to_json(&self) -> String {
        let list: Vec<EntryJson<'_>> = self
            .entries
            .iter()
            .map(|e| EntryJson {
                cycle: &e.cycle,
                reminder: &e.reminder,
                customer_id: &e.customer_id,
                document_ids: e.document_ids(),
                to: &e.to,
            })
            .collect();
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
    }

    /// The entries for one customer.
    pub fn for_customer(&self, customer_id: &str) -> impl Iterator<Item = &PlanEntry> {
        self.entries
            .iter()
            .filter(move |e| e.customer_id == customer_id)
    }
}

/// Settings a plan depends on.
#[derive(Debug, Clone, Copy)]
pub struct PlanSettings<'a> {
    pub as_of: Date,
    pub base_currency: &'a str,
    pub promise_grace_days: u32,
}

/// Computes the plan of `cycles` as of `settings.as_of`.
pub fn compute(store: &Store, cycles: &Cycles, settings: PlanSettings<'_>) -> Result<Plan> {
    let as_of = settings.as_of;
    let needs = Needs::of(cycles);
    let facts = Facts::gather(
        store,
        as_of,
        &needs,
        settings.base_currency,
        settings.promise_grace_days,
    )?;
    let customer_custom = Facts::needs_custom(&needs, Level::Customer);
    let document_custom = Facts::needs_custom(&needs, Level::Document);

    let mut by_customer: HashMap<i64, Vec<(EngageDocument, Custom)>> = HashMap::new();
    store.for_each_open_debit(as_of, document_custom, None, |d| {
        if facts.disputed.contains(&d.did) {
            return;
        }
        let custom = parse_custom(d.custom.as_deref());
        by_customer.entry(d.cid).or_default().push((d, custom));
    })?;
    let claims = Claims::read(store, cycles)?;

    let mut plan = Plan {
        as_of,
        ..Plan::default()
    };
    for customer in store.engage_customers(customer_custom)? {
        let Some(docs) = by_customer.get_mut(&customer.cid) else {
            continue;
        };
        if let Some(until) = facts.held.get(&customer.cid) {
            plan.held.insert(customer.cid, *until);
            continue;
        }
        if let Some(until) = facts.paused.get(&customer.cid) {
            plan.paused.insert(customer.cid, *until);
            continue;
        }
        docs.sort_by(|a, b| (a.0.due_date, &a.0.id).cmp(&(b.0.due_date, &b.0.id)));
        let custom = parse_custom(customer.custom.as_deref());
        for (position, cycle) in cycles.cycles.iter().enumerate() {
            let claimed = |did| claims.furthest(position, did);
            if let Some(entry) = plan_one(cycle, &customer, &custom, docs, &facts, &claimed) {
                match recipients(&entry.to) {
                    Ok(_) => plan.entries.push(entry),
                    Err(reason) => plan.skipped.push(Skipped {
                        cycle: entry.cycle,
                        reminder: entry.reminder,
                        customer_id: entry.customer_id,
                        reason,
                    }),
                }
            }
        }
    }
    plan.entries.sort_by(|a, b| {
        (&a.cycle, &a.reminder, &a.customer_id).cmp(&(&b.cycle, &b.reminder, &b.customer_id))
    });
    plan.skipped.sort_by(|a, b| {
        (&a.cycle, &a.reminder, &a.customer_id).cmp(&(&b.cycle, &b.reminder, &b.customer_id))
    });
    Ok(plan)
}

/// The reminder `cycle` sends `customer` today, if any.
fn plan_one(
    cycle: &Cycle,
    customer: &EngageCustomer,
    custom: &Custom,
    docs: &[(EngageDocument, Custom)],
    facts: &Facts,
    claimed: &dyn Fn(i64) -> Option<usize>,
) -> Option<PlanEntry> {
    let today = facts.as_of;
    if let Some(rule) = &cycle.customer {
        let fields = |name: &str| facts.customer_value(customer, custom, name);
        if !rule.expr.eval(&fields, today) {
            return None;
        }
    }
    if let Some(rule) = &cycle.payment {
        let fields = |name: &str| facts.payment_value(customer, name);
        if !rule.expr.eval(&fields, today) {
            return None;
        }
    }
    let matching: Vec<&EngageDocument> = docs
        .iter()
        .filter(|(d, c)| {
            cycle.document.as_ref().is_none_or(|rule| {
                let fields = |name: &str| facts.document_value(d, c, name);
                rule.expr.eval(&fields, today)
            })
        })
        .map(|(d, _)| d)
        .collect();
    let oldest = matching
        .iter()
        .filter_map(|d| d.due_date)
        .min()
        .map(|due| days_overdue(today, due))?;
    let index = cycle
        .reminders
        .iter()
        .rposition(|r| r.after_due_days <= oldest)?;
    let documents: Vec<EngageDocument> = matching
        .into_iter()
        .filter(|d| claimed(d.did).is_none_or(|had| had < index))
        .cloned()
        .collect();
    if documents.is_empty() {
        return None;
    }
    Some(PlanEntry {
        cycle: cycle.name.clone(),
        reminder: cycle.reminders[index].name.clone(),
        reminder_index: index,
        cid: customer.cid,
        customer_id: customer.id.clone(),
        customer_name: customer.name.clone(),
        to: customer.email.clone().unwrap_or_default(),
        documents,
        days_overdue: oldest,
    })
}

/// For each cycle (by position) and document, the furthest reminder (by position) the
/// document has been claimed for.
#[derive(Debug, Default)]
struct Claims {
    furthest: HashMap<(usize, i64), usize>,
}

impl Claims {
    fn read(store: &Store, cycles: &Cycles) -> Result<Claims> {
        let names: Vec<&str> = cycles.cycles.iter().map(|c| c.name.as_str()).collect();
        let mut claims = Claims::default();
        for (cycle, reminder, did) in store.claimed_documents(&names)? {
            let Some(position) = names.iter().position(|n| *n == cycle) else {
                continue;
            };
            // A reminder since renamed or removed from the cycle no longer counts.
            let Some(index) = cycles.cycles[position].reminder_index(&reminder) else {
                continue;
            };
            let had = claims.furthest.entry((position, did)).or_insert(index);
            *had = (*had).max(index);
        }
        Ok(claims)
    }

    fn furthest(&self, cycle: usize, did: i64) -> Option<usize> {
        self.furthest.get(&(cycle, did)).copied()
    }
}
