//! Collector activity over the customer's whole history, drawn from the ledger it lived.
//!
//! A collector works the same ledger the customer paid: every dispute the customer raised is
//! opened a few days after it happened and resolved when the document was settled (paid or
//! credited in full); some late invoices got a promise to pay before they were paid — kept when
//! the money arrived by then, broken otherwise — and some a note while they were chased.
//! On top of that, a share of customers (most with overdue items today) have recent notes and
//! an open promise; and the reminders the shipped dunning cycle sent over the last weeks
//! (`reminders`). Nothing is dated after `today`, nothing about a document before it exists,
//! and nothing about a settled document after it was settled (except the resolution, a few
//! days later at most), so the activity log read as of any past date holds only what a
//! collector could have known then.

use chrono::{Datelike, NaiveDate};

use super::customers::Customer;
use super::dates_money::{cents_to_decimal, shift, to_cents};
use super::ledger::{Doc, Ledger, Source};
use super::reminders::draw_reminders;
use super::replies::draw_replies;
use super::rng::Rng;
use super::tunables::{ENGAGED_IF_OVERDUE, ENGAGED_OTHERWISE};
use crate::domain::backfill::{PastActivity, PastActivityKind, PastFollowUp, PastResolution};
use crate::domain::calls::CallOutcome;

/// Days from an invoice's date to the customer raising a dispute (AP reviewing it), and from
/// there to the collector opening it.
const DISPUTE_RAISED_DAYS: (i64, i64) = (3, 25);
const DISPUTE_LOGGED_DAYS: (i64, i64) = (1, 5);
/// Days after the settlement that the collector marks the dispute resolved.
const RESOLVE_LAG_DAYS: (i64, i64) = (0, 3);
/// A settled invoice paid at least this many days late may have had a promise, with this chance.
const PROMISE_MIN_LATE_DAYS: i64 = 10;
const PROMISE_CHANCE: f64 = 0.25;
/// Share of promises the customer means: it pays within a few days of the promised date.
const SINCERE_PROMISE: f64 = 0.7;
/// After a broken promise, chance that the collector got another one (which is kept).
const FOLLOW_UP_PROMISE: f64 = 0.5;
/// The default `promise_grace_days`: past the promised date plus these, a promise is broken.
const PROMISE_GRACE_DAYS: i64 = 3;
/// An invoice unpaid this long after its due date, with nothing applied, may carry a promise
/// that was broken, with this chance.
const BROKEN_MIN_OVERDUE_DAYS: i64 = 45;
const BROKEN_PROMISE_CHANCE: f64 = 0.2;
/// An invoice paid (or still open) at least this many days late got a chasing note with this
/// chance, at most this many days after its due date.
const NOTE_MIN_LATE_DAYS: i64 = 7;
const NOTE_CHANCE: f64 = 0.25;
const NOTE_MAX_DAYS: i64 = 45;

/// A follow-up due longer ago than this, with nothing logged since its call, was done on its
/// day; a more recent one is still open (the Follow-ups tab's).
pub(super) const FOLLOW_UP_LEFT_DAYS: i64 = 30;

/// What a collector logged about a customer: a call (and how it went) or a note of
/// something done without one.
const NOTES: [(&str, Option<CallOutcome>); 18] = [
    ("Called AP, invoice in approval", Some(CallOutcome::Reached)),
    ("Left voicemail", Some(CallOutcome::Voicemail)),
    (
        "Left voicemail with the AP clerk, will try again Thursday",
        Some(CallOutcome::Voicemail),
    ),
    (
        "Spoke to the controller: payment run is on Fridays",
        Some(CallOutcome::Reached),
    ),
    ("Customer asked for a copy of the invoice, resent", None),
    ("Emailed statement of account", None),
    (
        "AP says the PO number is missing on the invoice",
        Some(CallOutcome::Reached),
    ),
    (
        "Customer is changing banks, payments delayed about two weeks",
        Some(CallOutcome::Reached),
    ),
    ("Sent the W-9 / tax form they asked for", None),
    (
        "No answer, sent a follow-up email",
        Some(CallOutcome::NoAnswer),
    ),
    ("CFO on leave until next week", Some(CallOutcome::Reached)),
    (
        "Customer confirmed remittance sent by wire",
        Some(CallOutcome::Reached),
    ),
    (
        "Asked the customer to update card details in the portal",
        None,
    ),
    ("Escalated to the account manager", None),
    (
        "Customer asks for a payment plan",
        Some(CallOutcome::Reached),
    ),
    (
        "Invoice approved, scheduled for the next payment run",
        Some(CallOutcome::Reached),
    ),
    ("Wrong billing address on file, updated and resent", None),
    (
        "Customer says the invoice never arrived; resent by email",
        Some(CallOutcome::Reached),
    ),
];

pub(super) const DISPUTE_REASONS: [(&str, u32); 7] = [
    ("pricing", 30),
    ("quantity", 15),
    ("quality", 12),
    ("missing_po", 18),
    ("duplicate", 8),
    ("service", 12),
    ("other", 5),
];

/// Resolutions of a dispute settled by a credit note for the whole document.
const CREDITED_IN_FULL: [&str; 3] = [
    "Invoice cancelled, credit note issued",
    "Service credit agreed with the account manager",
    "Charge reversed, credit note issued",
];
/// Resolutions of a dispute settled by a partial credit, the rest paid.
const CREDITED_IN_PART: [&str; 3] = [
    "Credit note agreed for the difference, balance paid",
    "Service credit agreed with the account manager, rest paid",
    "Partial credit issued, customer paid the remainder",
];
/// Resolutions of a dispute that ended with the customer paying in full.
const PAID_IN_FULL: [&str; 3] = [
    "Customer withdrew the dispute and paid",
    "Explained the charges, customer paid",
    "Confirmed delivery with the customer, invoice paid",
];

/// What became of one debit document, from the ledger's applications.
#[derive(Clone, Copy, Default)]
struct Life {
    /// The day its balance reached zero (`None`: still open today).
    settled: Option<NaiveDate>,
    /// Cents credited to it by credit notes.
    credited: i64,
    /// Whether anything was applied to it at all.
    any_applied: bool,
}

/// The ledger's documents with what became of each, and their applications by date.
pub(super) struct Lives<'a> {
    pub(super) ledger: &'a Ledger,
    lives: Vec<Life>,
}

impl<'a> Lives<'a> {
    pub(super) fn of(ledger: &'a Ledger) -> Self {
        let mut lives = vec![Life::default(); ledger.docs.len()];
        let mut applied = vec![0i64; ledger.docs.len()];
        // Applications are in date order (see `Ledger::finalize`).
        for a in &ledger.applications {
            applied[a.doc] += a.amount;
            let life = &mut lives[a.doc];
            life.any_applied = true;
            if matches!(a.source, Source::Credit(_)) {
                life.credited += a.amount;
            }
            if applied[a.doc] == ledger.docs[a.doc].amount {
                life.settled = Some(a.date);
            }
        }
        Self { ledger, lives }
    }

    /// The position of the document with this id.
    pub(super) fn index_of(&self, id: &str) -> Option<usize> {
        self.ledger.docs.iter().position(|d| d.id == id)
    }

    /// The day document `doc`'s balance reached zero (`None`: still open today).
    pub(super) fn settled(&self, doc: usize) -> Option<NaiveDate> {
        self.lives[doc].settled
    }

    /// The balance of document `doc` at the end of `date`, in cents.
    pub(super) fn balance_at(&self, doc: usize, date: NaiveDate) -> i64 {
        let applied: i64 = self
            .ledger
            .applications
            .iter()
            .filter(|a| a.doc == doc && a.date <= date)
            .map(|a| a.amount)
            .sum();
        self.ledger.docs[doc].amount - applied
    }
}

/// Appends the customer's collector activity, in date order, to `out`.
pub(super) fn draw_activities(
    customer: &Customer,
    ledger: &Ledger,
    today: NaiveDate,
    rng: &mut Rng,
    out: &mut Vec<PastActivity>,
) {
    let first = out.len();
    let lives = Lives::of(ledger);
    let mut log = Log {
        customer,
        today,
        out,
    };
    draw_history(&lives, today, rng, &mut log);
    draw_recent(ledger, today, rng, &mut log);
    on_working_days(&mut out[first..], &lives, customer.timeline.start, today);
    let reminders = draw_reminders(customer, &lives, today, &out[first..]);
    out.extend(reminders);
    out[first..].sort_by_key(|activity| activity.at);
    let replies = draw_replies(customer, &lives, today, &out[first..], rng);
    out.extend(replies);
    out[first..].sort_by_key(|activity| activity.at);
    schedule_followups(&mut out[first..], today);
}

/// Collectors work Monday to Friday: what one logged on a weekend is logged on one of the
/// five working days around it instead (Wednesday to Friday before, Monday and Tuesday
/// after), spread evenly by the day and the customer, so no working day gets more than its
/// share — the first of them, in turn, that fits (not before the customer's history starts
/// or after today, not before a document it names was issued or once it is paid, a promise
/// before its date, a dispute before its resolution); when none fits it stays. No draw, and
/// only days move: the portfolio and every figure computed from it stay as they were.
fn on_working_days(
    activities: &mut [PastActivity],
    lives: &Lives,
    start: NaiveDate,
    today: NaiveDate,
) {
    let docs = &lives.ledger.docs;
    let fits = |kind: &PastActivityKind, day: NaiveDate| {
        let open_on = |ids: &[String]| {
            ids.iter().all(|id| {
                lives
                    .index_of(id)
                    .is_some_and(|i| docs[i].doc_date <= day && lives.balance_at(i, day) > 0)
            })
        };
        day >= start
            && day <= today
            && match kind {
                PastActivityKind::Promise {
                    date, document_ids, ..
                } => day < *date && open_on(document_ids),
                PastActivityKind::Dispute {
                    document_ids,
                    resolved,
                    ..
                } => open_on(document_ids) && resolved.as_ref().is_none_or(|r| r.date > day),
                _ => true,
            }
    };
    for activity in activities.iter_mut() {
        let at = activity.at;
        // Days from `at` to Wednesday, Thursday, Friday before and Monday, Tuesday after.
        let around: [i64; 5] = match at.weekday() {
            chrono::Weekday::Sat => [-3, -2, -1, 2, 3],
            chrono::Weekday::Sun => [-4, -3, -2, 1, 2],
            _ => continue,
        };
        let turn = activity
            .customer_id
            .bytes()
            .map(i64::from)
            .sum::<i64>()
            .wrapping_add(i64::from(at.num_days_from_ce()));
        let first = usize::try_from(turn.rem_euclid(5)).unwrap_or(0);
        let mut tries = (0..5).map(|k| shift(at, around[(first + k) % 5]));
        if let Some(day) = tries.find(|&d| fits(&activity.kind, d)) {
            activity.at = day;
        }
    }
}

/// The follow-up each call scheduled — the one the call form proposes for its outcome (again
/// in 2 days after no answer or a voicemail, in a week after a refusal) — marked done on the
/// day of the collector's next call, note, promise or dispute on the customer (not a reminder
/// the cycle sent, nor a reply), else on its due date when that is more than
/// [`FOLLOW_UP_LEFT_DAYS`] before today (called again with nothing more to log), and still
/// open otherwise. `activities` are one customer's, in date order. No draw: the portfolio and
/// every figure computed from it stay as they were.
fn schedule_followups(activities: &mut [PastActivity], today: NaiveDate) {
    for i in 0..activities.len() {
        let at = activities[i].at;
        let next = activities[i + 1..]
            .iter()
            .filter(|a| a.at > at && a.kind.is_collectors())
            .map(|a| a.at)
            .next();
        if let PastActivityKind::Call {
            outcome, followup, ..
        } = &mut activities[i].kind
        {
            *followup = outcome.proposed_followup(at, None).map(|(due, text)| {
                let left = (today - due).num_days() > FOLLOW_UP_LEFT_DAYS;
                let done = next.or(left.then_some(due));
                PastFollowUp { due, text, done }
            });
        }
    }
}

/// Where one customer's activities go.
struct Log<'a, 'c, 'm> {
    customer: &'c Customer<'m>,
    today: NaiveDate,
    out: &'a mut Vec<PastActivity>,
}

impl Log<'_, '_, '_> {
    fn push(&mut self, at: NaiveDate, kind: PastActivityKind) {
        self.out.push(PastActivity {
            customer_id: self.customer.id.clone(),
            collector: self.customer.finance_owner.to_string(),
            at: at.max(self.customer.timeline.start).min(self.today),
            kind,
        });
    }

    /// A note, or a call when it says how a call went.
    fn note(&mut self, at: NaiveDate, (text, call): (&str, Option<CallOutcome>)) {
        let text = text.to_string();
        let kind = match call {
            Some(outcome) => PastActivityKind::Call {
                outcome,
                text,
                followup: None,
            },
            None => PastActivityKind::Note { text },
        };
        self.push(at, kind);
    }

    fn promise(&mut self, at: NaiveDate, cents: i64, date: NaiveDate, docs: &[&Doc]) {
        let kind = PastActivityKind::Promise {
            amount: cents_to_decimal(cents, self.customer.currency),
            date,
            document_ids: docs.iter().map(|doc| doc.id.clone()).collect(),
        };
        self.push(at, kind);
    }
}

/// Disputes, promises and notes on the documents of the whole history.
fn draw_history(lives: &Lives, today: NaiveDate, rng: &mut Rng, log: &mut Log) {
    let ledger = lives.ledger;
    for &i in &ledger.order {
        let doc = &ledger.docs[i];
        let Some(due) = doc.due_date.filter(|_| doc.is_debit()) else {
            continue;
        };
        if doc.disputed {
            draw_dispute(lives, i, today, rng, log);
            continue;
        }
        let life = lives.lives[i];
        let late = (life.settled.unwrap_or(today) - due).num_days();
        if late >= NOTE_MIN_LATE_DAYS && rng.chance(NOTE_CHANCE) {
            let at = shift(due, rng.int(1, (late - 1).min(NOTE_MAX_DAYS)));
            log.note(at, rng.pick(&NOTES));
        }
        match life.settled {
            Some(paid) if late >= PROMISE_MIN_LATE_DAYS && rng.chance(PROMISE_CHANCE) => {
                draw_past_promises(lives, i, due, paid, rng, log);
            }
            None if !life.any_applied
                && late >= BROKEN_MIN_OVERDUE_DAYS
                && rng.chance(BROKEN_PROMISE_CHANCE) =>
            {
                let at = shift(due, rng.int(3, 25));
                let date = shift(at, rng.int(3, 14));
                log.promise(at, doc.amount, date, &[doc]);
            }
            _ => {}
        }
    }
}

/// A dispute on disputed document `i`, opened a few days after the customer raised it (and
/// before the document was settled), resolved a few days after it was settled. Nothing when
/// it has not been raised by today.
fn draw_dispute(lives: &Lives, i: usize, today: NaiveDate, rng: &mut Rng, log: &mut Log) {
    let doc = &lives.ledger.docs[i];
    let life = lives.lives[i];
    let raised = shift(
        doc.doc_date,
        rng.int(DISPUTE_RAISED_DAYS.0, DISPUTE_RAISED_DAYS.1),
    );
    let mut opened = shift(
        raised,
        rng.int(DISPUTE_LOGGED_DAYS.0, DISPUTE_LOGGED_DAYS.1),
    );
    if let Some(settled) = life.settled {
        opened = opened.min(shift(settled, -1));
    }
    if opened > today || opened < doc.doc_date {
        return;
    }
    let balance = lives.balance_at(i, opened);
    if balance <= 0 {
        return;
    }
    let amount = if life.credited > 0 && rng.chance(0.7) {
        life.credited.min(balance)
    } else if rng.chance(0.75) {
        balance
    } else {
        to_cents(balance as f64 * rng.uniform(0.2, 0.9)).clamp(1, balance)
    };
    let reason = rng.weighted(&DISPUTE_REASONS);
    let resolved = life.settled.map(|settled| {
        let text = match (reason, life.credited) {
            ("duplicate", credited) if credited >= doc.amount => "Duplicate confirmed, credited",
            ("missing_po", 0) => "PO received, invoice approved and paid",
            (_, credited) if credited >= doc.amount => rng.pick(&CREDITED_IN_FULL),
            (_, 0) => rng.pick(&PAID_IN_FULL),
            _ => rng.pick(&CREDITED_IN_PART),
        };
        PastResolution {
            date: shift(settled, rng.int(RESOLVE_LAG_DAYS.0, RESOLVE_LAG_DAYS.1)).min(today),
            text: text.to_string(),
        }
    });
    let kind = PastActivityKind::Dispute {
        reason: reason.to_string(),
        amount: cents_to_decimal(amount, log.customer.currency),
        document_ids: vec![doc.id.clone()],
        resolved,
    };
    log.push(opened, kind);
}

/// A promise on document `i`, due `due` and settled on `paid` (at least
/// [`PROMISE_MIN_LATE_DAYS`] later), recorded while it was overdue and unpaid. A sincere
/// customer pays within a few days of the promised date; another promises a date soon after
/// the call and misses it, and then sometimes gives a second promise that it keeps.
fn draw_past_promises(
    lives: &Lives,
    i: usize,
    due: NaiveDate,
    paid: NaiveDate,
    rng: &mut Rng,
    log: &mut Log,
) {
    let doc = &lives.ledger.docs[i];
    let late = (paid - due).num_days();
    let recorded = shift(due, rng.int(3, (late - 1).min(30)));
    let date = if rng.chance(SINCERE_PROMISE) {
        shift(paid, rng.int(-2, 3))
    } else {
        shift(recorded, rng.int(3, 14))
    }
    .max(shift(recorded, 1));
    log.promise(recorded, lives.balance_at(i, recorded), date, &[doc]);
    let deadline = shift(date, PROMISE_GRACE_DAYS);
    if deadline < paid && rng.chance(FOLLOW_UP_PROMISE) {
        let again = shift(deadline, rng.int(1, 7));
        if again < paid {
            let date = shift(paid, rng.int(-2, 3)).max(shift(again, 1));
            log.promise(again, lives.balance_at(i, again), date, &[doc]);
        }
    }
}

/// Recent notes and an open promise for some customers — most of them ones with overdue items.
fn draw_recent(ledger: &Ledger, today: NaiveDate, rng: &mut Rng, log: &mut Log) {
    let overdue: Vec<&Doc> = ledger
        .docs
        .iter()
        .filter(|doc| doc.is_debit() && doc.balance() > 0)
        .filter(|doc| doc.due_date.is_some_and(|due| due < today))
        .collect();
    let engaged_chance = if overdue.is_empty() {
        ENGAGED_OTHERWISE
    } else {
        ENGAGED_IF_OVERDUE
    };
    if !rng.chance(engaged_chance) {
        return;
    }
    for _ in 0..rng.int(1, 3) {
        let at = shift(today, -rng.int(0, 90));
        log.note(at, rng.pick(&NOTES));
    }
    if !overdue.is_empty() && rng.chance(0.55) {
        draw_open_promise(&overdue, today, rng, log);
    }
}

/// A promise covering the oldest one or two overdue documents (sometimes a round part of
/// it), due within the next three weeks or recently past, recorded a few days before its date
/// (once they were overdue).
fn draw_open_promise(overdue: &[&Doc], today: NaiveDate, rng: &mut Rng, log: &mut Log) {
    let covered = &overdue[..overdue.len().min(rng.int(1, 2) as usize)];
    let balance: i64 = covered.iter().map(|doc| doc.balance()).sum();
    let amount = if balance > 20_000 && rng.chance(0.3) {
        balance / 10_000 * 10_000
    } else {
        balance
    };
    let date = shift(today, rng.int(-14, 21));
    // Not before the documents were overdue, nor after the promised date. A day drawn after
    // today is mirrored before it (not all of them today: a collector takes promises every
    // day); no draw, so the portfolio stays as it was.
    let overdue_since = covered.iter().filter_map(|doc| doc.due_date).max();
    let drawn = shift(date, -rng.int(3, 10));
    let drawn = if drawn > today {
        shift(today, -(drawn - today).num_days())
    } else {
        drawn
    };
    let at = drawn.max(overdue_since.unwrap_or(date)).min(today);
    log.promise(at, amount, date.max(shift(at, 1)), covered);
}
