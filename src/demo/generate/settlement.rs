//! Settlement, how the customer pays: credit notes, instalments, card declines, voids and
//! the odd receipt quirk, each document paid on its due date plus the customer's lateness.

use chrono::Datelike;
use chrono::NaiveDate;

use super::customers::{Archetype, Customer, Method};
use super::dates_money::{next_weekday, portion, shift, to_cents};
use super::documents::draw_posting_date;
use super::ledger::{Application, Doc, DocKind, Ledger, Payment, PaymentStatus, Source};
use super::rng::Rng;
use super::tunables::{
    DUPLICATE_BELOW, NO_REMITTANCE_BELOW, NO_REMITTANCE_MAX_AGE_DAYS, OVERPAY_BELOW, RESIDUE_BELOW,
    ROUTINE_CREDIT_CHANCE, VOID_CHANCE,
};

/// The unusual things that happen to a receipt.
enum Quirk {
    None,
    /// Pays one cent short: a 0.01 residue stays open.
    Residue,
    /// Pays a bit more than owed: unapplied cash.
    Overpay,
    /// Pays the same invoice twice: the second payment stays unapplied.
    Duplicate,
    /// Money arrives without remittance advice and is not yet applied.
    NoRemittance,
}

/// Lives one customer's history: credit notes, declines, instalments and receipts.
pub(super) struct Settler<'a, 'm> {
    pub(super) customer: &'a Customer<'m>,
    pub(super) today: NaiveDate,
    pub(super) rng: &'a mut Rng,
    pub(super) ledger: &'a mut Ledger,
    /// True until the run has produced its first 0.01 residue (forces at least one).
    pub(super) residue_owed: &'a mut bool,
}

impl Settler<'_, '_> {
    pub(super) fn settle_all(&mut self) {
        let debit_count = self.ledger.docs.len();
        for doc in 0..debit_count {
            self.settle(doc);
        }
    }

    /// Credits, then pays (possibly in instalments) whatever of `doc` is due by today.
    fn settle(&mut self, doc: usize) {
        let credit = self.issue_credit(doc);
        let credited = credit.map_or(0, |(applied, _)| applied);
        let remaining = self.ledger.docs[doc].amount - credited;
        if remaining == 0 {
            return;
        }
        let mut target = self.target_date(doc);
        if let Some((_, credit_date)) = credit {
            target = target.max(shift(credit_date, self.rng.int(2, 20)));
        }
        let stopped = self.customer.timeline.stop_paying;
        if stopped.is_some_and(|stop| target >= stop) {
            return;
        }
        for (amount, date) in self.instalments(remaining, target) {
            let date = self.on_payment_run(date);
            if date > self.today {
                break;
            }
            self.receive(doc, amount, date);
        }
    }

    /// The day the customer means to pay `doc`: due date + lateness (with drift) + size
    /// effect + noise, and much later if disputed.
    fn target_date(&mut self, doc: usize) -> NaiveDate {
        let customer = self.customer;
        let doc = &self.ledger.docs[doc];
        let lateness = &customer.lateness;
        let years = (doc.doc_date - customer.timeline.start).num_days() as f64 / 365.0;
        let mut days = lateness.mean
            + lateness.drift_per_year * years
            + customer.behaviour.size_effect_days * doc.size_log
            + lateness.spread * self.rng.normal();
        if self.rng.chance(customer.behaviour.hiccup_chance) {
            days += self.rng.uniform(10.0, 60.0);
        }
        if doc.disputed {
            let (low, high) = customer.behaviour.dispute_days;
            days += self.rng.uniform(low, high);
        }
        let due = doc.due_date.unwrap_or(doc.doc_date);
        shift(due, days.round() as i64).max(doc.doc_date)
    }

    /// Customers with a weekly payment run pay on its next occurrence.
    fn on_payment_run(&self, date: NaiveDate) -> NaiveDate {
        match self.customer.payment_run {
            Some(weekday) => next_weekday(date, weekday),
            None => date,
        }
    }

    /// Maybe credits part or all of `doc` with a credit note dated on or before today.
    /// Returns the amount applied to `doc` and the credit note's date.
    fn issue_credit(&mut self, doc: usize) -> Option<(i64, NaiveDate)> {
        let Doc {
            amount,
            doc_date,
            disputed,
            ..
        } = self.ledger.docs[doc];
        let rng = &mut *self.rng;
        // Disputes end in a credit for part or all of the document, applied at once; routine
        // credits are smaller, and some sit unused for a while (unutilised credit).
        let (credit, delay, applied) = if disputed {
            if !rng.chance(self.customer.behaviour.dispute_credit_chance) {
                return None;
            }
            let fraction = if rng.chance(0.3) {
                1.0
            } else {
                rng.uniform(0.1, 0.9)
            };
            let credit = portion(amount, fraction);
            (credit, rng.int(15, 75), credit)
        } else {
            if !rng.chance(ROUTINE_CREDIT_CHANCE) {
                return None;
            }
            let credit = portion(amount, rng.uniform(0.05, 0.5));
            let applied = match rng.unit() {
                r if r < 0.80 => credit,
                r if r < 0.92 => 0,
                _ => portion(credit, rng.uniform(0.3, 0.8)),
            };
            (credit, rng.int(3, 45), applied)
        };
        let date = shift(doc_date, delay);
        if date > self.today {
            return None;
        }
        let applied_on = shift(date, self.rng.int(0, 3)).min(self.today);
        self.push_credit_note(doc, credit, applied, date, applied_on);
        Some((applied, date))
    }

    /// Adds a credit note of `amount` dated `date`, `applied` of it to `doc` on `applied_on`.
    fn push_credit_note(
        &mut self,
        doc: usize,
        amount: i64,
        applied: i64,
        date: NaiveDate,
        applied_on: NaiveDate,
    ) {
        let posting_date = draw_posting_date(date, self.today, self.rng);
        let ledger = &mut *self.ledger;
        let target = &mut ledger.docs[doc];
        target.applied += applied;
        let business_unit = target.business_unit;
        let project = target.project;
        let credit_note = ledger.docs.len();
        ledger.docs.push(Doc {
            kind: DocKind::CreditNote,
            id: String::new(),
            number: String::new(),
            doc_date: date,
            due_date: None,
            posting_date,
            amount,
            applied,
            billing_balance: None,
            size_log: 0.0,
            disputed: false,
            business_unit,
            project,
        });
        if applied > 0 {
            ledger.applications.push(Application {
                source: Source::Credit(credit_note),
                doc,
                amount: applied,
                date: applied_on,
            });
        }
    }

    /// Splits `amount` into one to three instalments from `first` on: partial payers
    /// usually split, anyone else rarely; all but the last are whole currency units.
    fn instalments(&mut self, amount: i64, first: NaiveDate) -> Vec<(i64, NaiveDate)> {
        let splits = match self.customer.archetype {
            Archetype::Partial if self.rng.chance(0.7) => self.rng.int(2, 3),
            _ if self.rng.chance(0.02) => 2,
            _ => 1,
        };
        let mut parts = Vec::with_capacity(splits as usize);
        let mut left = amount;
        let mut date = first;
        for _ in 1..splits {
            let wanted = to_cents(left as f64 * self.rng.uniform(0.3, 0.6) / 100.0) * 100;
            if wanted < 100 || wanted >= left {
                break;
            }
            parts.push((wanted, date));
            left -= wanted;
            date = shift(date, self.rng.int(10, 35));
        }
        parts.push((left, date));
        parts
    }

    /// Money for `amount` of `doc` arriving on `date`, after any declines and voids.
    fn receive(&mut self, doc: usize, amount: i64, date: NaiveDate) {
        let Some((date, method)) = self.after_declines(amount, date) else {
            return;
        };
        let Some(date) = self.after_void(amount, date, method) else {
            return;
        };
        match self.draw_quirk(amount, date) {
            Quirk::None => self.push_receipt(date, method, amount, Some((doc, amount))),
            Quirk::Residue => {
                *self.residue_owed = false;
                self.push_receipt(date, method, amount - 1, Some((doc, amount - 1)));
            }
            Quirk::Overpay => {
                let extra = to_cents(amount as f64 * self.rng.uniform(0.005, 0.05)).max(1);
                self.push_receipt(date, method, amount + extra, Some((doc, amount)));
            }
            Quirk::Duplicate => {
                self.push_receipt(date, method, amount, Some((doc, amount)));
                let again = shift(date, self.rng.int(0, 10)).min(self.today);
                self.push_receipt(again, method, amount, None);
            }
            Quirk::NoRemittance => self.push_receipt(date, method, amount, None),
        }
    }

    fn draw_quirk(&mut self, amount: i64, date: NaiveDate) -> Quirk {
        if *self.residue_owed && amount > 1 {
            return Quirk::Residue;
        }
        let roll = self.rng.unit();
        let recent = (self.today - date).num_days() <= NO_REMITTANCE_MAX_AGE_DAYS;
        if roll < RESIDUE_BELOW && amount > 1 {
            Quirk::Residue
        } else if roll < OVERPAY_BELOW {
            Quirk::Overpay
        } else if roll < DUPLICATE_BELOW {
            Quirk::Duplicate
        } else if roll < NO_REMITTANCE_BELOW && recent {
            Quirk::NoRemittance
        } else {
            Quirk::None
        }
    }

    /// Card-failing customers (and now and then anyone charged automatically) get one to
    /// three declines, retried every few days, before the charge goes through — possibly
    /// after today, in which case nothing is received. Returns the date and method of success.
    fn after_declines(&mut self, amount: i64, date: NaiveDate) -> Option<(NaiveDate, Method)> {
        let customer = self.customer;
        let primary = customer.primary_method;
        let declines = match customer.archetype {
            Archetype::CardFailing => self.rng.chance(0.6),
            _ => primary.is_automatic() && self.rng.chance(0.02),
        };
        if !declines {
            return Some((date, primary));
        }
        let mut date = date;
        for _ in 0..self.rng.int(1, 3) {
            if date > self.today {
                return None;
            }
            let reason = self.decline_reason();
            self.push_attempt(date, primary, amount, PaymentStatus::Failure, reason);
            date = shift(date, self.rng.int(2, 5));
        }
        let mut method = primary;
        if customer.archetype == Archetype::CardFailing {
            // Waiting for the customer to update the card, or paying another way.
            date = shift(date, self.rng.int(0, 14));
            if let Some(backup) = customer.backup_method.filter(|_| self.rng.chance(0.3)) {
                method = backup;
            }
        }
        (date <= self.today).then_some((date, method))
    }

    fn decline_reason(&mut self) -> &'static str {
        if self.customer.primary_method == Method::DirectDebit {
            return self.rng.pick(&["insufficient_funds", "mandate_cancelled"]);
        }
        if self.rng.chance(0.6) {
            self.customer.usual_failure
        } else {
            self.rng.pick(&[
                "insufficient_funds",
                "card_expired",
                "do_not_honor",
                "card_declined",
                "processing_error",
            ])
        }
    }

    /// Rarely, a payment is voided and entered again a few days later (None: after today).
    fn after_void(&mut self, amount: i64, date: NaiveDate, method: Method) -> Option<NaiveDate> {
        if !self.rng.chance(VOID_CHANCE) {
            return Some(date);
        }
        self.push_attempt(date, method, amount, PaymentStatus::Voided, "");
        let date = shift(date, self.rng.int(1, 5));
        (date <= self.today).then_some(date)
    }

    /// Records a failed or voided attempt (settles nothing).
    fn push_attempt(
        &mut self,
        date: NaiveDate,
        method: Method,
        amount: i64,
        status: PaymentStatus,
        reason: &'static str,
    ) {
        let reference = self.reference(method, date);
        self.ledger.payments.push(Payment {
            id: String::new(),
            date,
            amount,
            status,
            method,
            failure_reason: reason,
            reference,
            allocations: Vec::new(),
            batchable: false,
        });
    }

    /// Records money received, applied to `allocation` if given.
    fn push_receipt(
        &mut self,
        date: NaiveDate,
        method: Method,
        amount: i64,
        allocation: Option<(usize, i64)>,
    ) {
        let reference = match allocation {
            Some(_) => self.reference(method, date),
            None if method.is_automatic() => self.reference(method, date),
            None => String::new(),
        };
        if let Some((doc, applied)) = allocation {
            self.ledger.docs[doc].applied += applied;
        }
        // Only plain receipts (nothing over or unapplied) join a payment run.
        let batchable = self.customer.payment_run.is_some()
            && allocation.is_some_and(|(_, applied)| applied == amount);
        self.ledger.payments.push(Payment {
            id: String::new(),
            date,
            amount,
            status: PaymentStatus::Success,
            method,
            failure_reason: "",
            reference,
            allocations: allocation.into_iter().collect(),
            batchable,
        });
    }

    /// A gateway charge id, bank transfer reference or cheque number.
    fn reference(&mut self, method: Method, date: NaiveDate) -> String {
        let token = self.rng.next_u64();
        match method {
            Method::Card => format!("ch_{token:016x}"),
            Method::DirectDebit => format!("PM{:012X}", token >> 16),
            Method::BankTransfer => format!(
                "TRF-{}{:02}{:02}-{:05}",
                date.year(),
                date.month(),
                date.day(),
                token % 100_000
            ),
            Method::Cheque => format!("CHQ {:06}", token % 1_000_000),
        }
    }
}
