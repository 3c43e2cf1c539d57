//! The customer's debit documents: invoices and debit notes spread over its billing period,
//! with their amounts, due dates and posting dates.

use chrono::NaiveDate;

use super::customers::{Archetype, Customer, Segment};
use super::dates_money::{shift, to_cents};
use super::ledger::{Doc, DocKind, IdCounters, Ledger};
use super::names::BUSINESS_UNITS;
use super::rng::{Rng, exp};
use super::settlement::Settler;
use super::tunables::{DEBIT_NOTE_SHARE, MAX_AMOUNT, MIN_AMOUNT};

/// Replaces `ledger` with the customer's documents and the payment history it lived through,
/// ready to write. `residue_owed` forces a 0.01 residue on the first receipt of the run.
pub(super) fn draw_ledger(
    customer: &Customer,
    today: NaiveDate,
    rng: &mut Rng,
    ledger: &mut Ledger,
    ids: &mut IdCounters,
    residue_owed: &mut bool,
) {
    ledger.clear();
    draw_debit_documents(customer, today, rng, &mut ledger.docs);
    Settler {
        customer,
        today,
        rng: &mut *rng,
        ledger: &mut *ledger,
        residue_owed,
    }
    .settle_all();
    ledger.finalize(ids, rng);
}

/// Spreads the customer's invoices and debit notes over its billing period, in date order.
fn draw_debit_documents(customer: &Customer, today: NaiveDate, rng: &mut Rng, docs: &mut Vec<Doc>) {
    let timeline = &customer.timeline;
    let span = (timeline.billing_end - timeline.start).num_days() as f64;
    let count = customer.document_count;
    let step = span / count as f64;
    for k in 0..count {
        let offset = (k as f64 + 0.5 + rng.uniform(-0.35, 0.35)) * step;
        let doc_date = shift(timeline.start, offset.round() as i64)
            .clamp(timeline.start, timeline.billing_end);
        let kind = if rng.chance(DEBIT_NOTE_SHARE) {
            DocKind::DebitNote
        } else {
            DocKind::Invoice
        };
        docs.push(draw_debit_document(customer, kind, doc_date, today, rng));
    }
}

fn draw_debit_document(
    customer: &Customer,
    kind: DocKind,
    doc_date: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Doc {
    let (amount, size_log) = draw_debit_amount(customer, kind, rng);
    let disputed_share = match customer.archetype {
        Archetype::Disputer => customer.behaviour.disputer_share,
        _ => 0.01,
    };
    Doc {
        kind,
        id: String::new(),
        number: String::new(),
        doc_date,
        due_date: Some(shift(doc_date, customer.terms_days)),
        posting_date: draw_posting_date(doc_date, today, rng),
        amount,
        applied: 0,
        billing_balance: None,
        size_log,
        disputed: rng.chance(disputed_share),
        business_unit: if rng.chance(0.85) {
            customer.business_unit
        } else {
            rng.pick(&BUSINESS_UNITS)
        },
        project: (customer.segment != Segment::Smb && rng.chance(0.4)).then(|| rng.int(1000, 9999)),
    }
}

/// Recurring invoices vary a little around the usual amount, one-off ones a lot;
/// debit notes are small charges. Returns cents and log(amount / usual amount).
fn draw_debit_amount(customer: &Customer, kind: DocKind, rng: &mut Rng) -> (i64, f64) {
    let size_log = match kind {
        DocKind::DebitNote => rng.uniform(-2.5, -1.0),
        _ if rng.chance(0.75) => 0.25 * rng.normal(),
        _ => 0.3 + 0.9 * rng.normal(),
    };
    let mut cents = to_cents(customer.typical_amount * exp(size_log));
    if cents > MAX_AMOUNT {
        cents = to_cents(MAX_AMOUNT as f64 * rng.uniform(0.55, 1.0));
    }
    (cents.max(MIN_AMOUNT), size_log)
}

/// Most documents post the day they are dated; some a few days later (never after today).
pub(super) fn draw_posting_date(doc_date: NaiveDate, today: NaiveDate, rng: &mut Rng) -> NaiveDate {
    let delay = if rng.chance(0.8) { 0 } else { rng.int(1, 3) };
    shift(doc_date, delay).min(today).max(doc_date)
}
