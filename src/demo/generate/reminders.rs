//! The reminders the shipped "Standard dunning" cycle (`config/cycles/standard.toml`) sent
//! each Monday of the last [`WEEKS`] weeks, so that the demo's Engagement report, its
//! timelines and its plan start from a history: the cycle's rules applied to the ledger as it
//! stood on each of those days.
//!
//! As the cycle says: a customer is reminded when it has more than 100 overdue, no dispute
//! and no promise open that day; its documents are the invoices and debit notes at least 3
//! days overdue; the reminder is the furthest one due by the oldest of them (Friendly at 3
//! days, Firm at 30, Final notice at 60), about those of its documents that have not had it.
//! Amounts are the customer's own currency (a demo customer has one). No random draw: the
//! history follows from the ledger and the activity drawn before it.

use chrono::{Datelike, NaiveDate};

use super::activities::Lives;
use super::customers::Customer;
use super::dates_money::{cents_to_decimal, shift};
use crate::domain::backfill::{PastActivity, PastActivityKind, PastReminder};
use crate::domain::money::grouped;

/// The cycle, and its reminders with the days overdue each waits for.
const CYCLE: &str = "Standard dunning";
const STEPS: [(&str, i64); 3] = [("Friendly", 3), ("Firm", 30), ("Final notice", 60)];
/// Weeks of history, the Engagement report's span.
const WEEKS: i64 = 13;
/// Overdue needed for a reminder, in cents (`net_overdue > 100`).
const MIN_OVERDUE_CENTS: i64 = 10_000;
/// Days after a promised date that the promise still holds (the default grace).
const PROMISE_GRACE_DAYS: i64 = 3;

/// The customer's reminders, given its ledger and the activity drawn before them.
pub(super) fn draw_reminders(
    customer: &Customer,
    lives: &Lives,
    today: NaiveDate,
    earlier: &[PastActivity],
) -> Vec<PastActivity> {
    let mut out = Vec::new();
    let mut sent: Vec<(usize, usize)> = Vec::new();
    if customer.email.is_empty() {
        return out;
    }
    // The last Monday before today.
    let back = match today.weekday().num_days_from_monday() {
        0 => 7,
        n => i64::from(n),
    };
    let last_monday = shift(today, -back);
    for week in (0..WEEKS).rev() {
        let day = shift(last_monday, -7 * week);
        if day < customer.timeline.start || paused(earlier, day) {
            continue;
        }
        // (document, days overdue, balance) of the documents the cycle's rule picks that day.
        let overdue: Vec<(usize, i64, i64)> = lives
            .ledger
            .order
            .iter()
            .filter_map(|&i| {
                let doc = &lives.ledger.docs[i];
                let due = doc
                    .due_date
                    .filter(|_| doc.is_debit() && doc.doc_date <= day)?;
                let days = (day - due).num_days();
                let balance = lives.balance_at(i, day);
                (days > 3 && balance > 0).then_some((i, days, balance))
            })
            .collect();
        if overdue.iter().map(|d| d.2).sum::<i64>() <= MIN_OVERDUE_CENTS {
            continue;
        }
        let oldest = overdue.iter().map(|d| d.1).max().unwrap_or(0);
        let Some(step) = STEPS.iter().rposition(|(_, after)| oldest >= *after) else {
            continue;
        };
        let about: Vec<&(usize, i64, i64)> = overdue
            .iter()
            .filter(|d| !sent.contains(&(step, d.0)))
            .collect();
        if about.is_empty() {
            continue;
        }
        sent.extend(about.iter().map(|d| (step, d.0)));
        out.push(PastActivity {
            customer_id: customer.id.clone(),
            // Each collector runs the cycle on their own customers: the team figures count
            // a reminder as its sender's touch, so one sender would take every customer's.
            collector: customer.finance_owner.to_string(),
            at: day,
            kind: PastActivityKind::Reminder(message(customer, lives, step, &about)),
        });
    }
    out
}

/// Whether a dispute or a promise of the customer is open on `day` (the cycle leaves it be).
fn paused(earlier: &[PastActivity], day: NaiveDate) -> bool {
    earlier.iter().any(|a| match &a.kind {
        PastActivityKind::Dispute { resolved, .. } => {
            a.at <= day && resolved.as_ref().is_none_or(|r| r.date > day)
        }
        PastActivityKind::Promise { date, .. } => {
            a.at <= day && day <= shift(*date, PROMISE_GRACE_DAYS)
        }
        _ => false,
    })
}

/// The email of reminder `step` about `about` (document, days overdue, balance), in the words
/// of the shipped templates.
fn message(
    customer: &Customer,
    lives: &Lives,
    step: usize,
    about: &[&(usize, i64, i64)],
) -> PastReminder {
    let currency = customer.currency;
    let total: i64 = about.iter().map(|d| d.2).sum();
    let total = grouped(cents_to_decimal(total, currency), currency);
    let oldest = about.iter().map(|d| d.1).max().unwrap_or(0);
    let count = about.len();
    let plural = if count == 1 { "" } else { "s" };
    let name = &customer.name;
    let subject = match step {
        0 => format!("Friendly reminder: {count} open invoice{plural} for {name}"),
        1 => format!("Overdue: {total} {currency} for {name}, the oldest {oldest} days past due"),
        _ => format!("Final notice before escalation: {name} ({})", customer.id),
    };
    let lines: Vec<String> = about
        .iter()
        .map(|&&(i, days, balance)| {
            let doc = &lives.ledger.docs[i];
            format!(
                "  {}  {} days overdue  {} {currency}",
                doc.number,
                days,
                grouped(cents_to_decimal(balance, currency), currency)
            )
        })
        .collect();
    let body = format!(
        "Hello {name},\n\nThe following document{plural} {} past due:\n\n{}\n\nTotal open: {total} \
         {currency}\n\nKind regards,\n{}\n",
        if count == 1 { "is" } else { "are" },
        lines.join("\n"),
        customer.finance_owner
    );
    PastReminder {
        cycle: CYCLE.to_string(),
        reminder: STEPS[step].0.to_string(),
        to: customer.email.clone(),
        subject,
        body,
        document_ids: about
            .iter()
            .map(|d| lives.ledger.docs[d.0].id.clone())
            .collect(),
    }
}
