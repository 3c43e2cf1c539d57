//! The ledger of one customer: its documents, payment attempts and applications, the global
//! id sequences, and the finishing pass that orders, numbers and balances them.

use chrono::Datelike;
use chrono::NaiveDate;

use super::customers::Method;
use super::rng::Rng;
use super::tunables::BILLING_MISMATCH_CHANCE;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DocKind {
    Invoice,
    DebitNote,
    CreditNote,
}

impl DocKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            DocKind::Invoice => "invoice",
            DocKind::DebitNote => "debit_note",
            DocKind::CreditNote => "credit_note",
        }
    }
}

/// A document of the customer. For debit documents `applied` is what has been applied to it;
/// for credit notes, what has been applied from it.
pub(super) struct Doc {
    pub(super) kind: DocKind,
    pub(super) id: String,
    pub(super) number: String,
    pub(super) doc_date: NaiveDate,
    pub(super) due_date: Option<NaiveDate>,
    pub(super) posting_date: NaiveDate,
    pub(super) amount: i64,
    pub(super) applied: i64,
    /// What the billing system reports as open (debit documents), set by [`Ledger::finalize`].
    pub(super) billing_balance: Option<i64>,
    /// log(amount / usual amount): larger invoices are paid later.
    pub(super) size_log: f64,
    pub(super) disputed: bool,
    pub(super) business_unit: &'static str,
    pub(super) project: Option<i64>,
}

impl Doc {
    pub(super) fn is_debit(&self) -> bool {
        self.kind != DocKind::CreditNote
    }

    pub(super) fn balance(&self) -> i64 {
        self.amount - self.applied
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PaymentStatus {
    Success,
    Failure,
    Voided,
}

impl PaymentStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Success => "success",
            PaymentStatus::Failure => "failure",
            PaymentStatus::Voided => "voided",
        }
    }
}

/// A payment attempt and, for successes, what it settles (document index, cents).
pub(super) struct Payment {
    pub(super) id: String,
    pub(super) date: NaiveDate,
    pub(super) amount: i64,
    pub(super) status: PaymentStatus,
    pub(super) method: Method,
    pub(super) failure_reason: &'static str,
    pub(super) reference: String,
    pub(super) allocations: Vec<(usize, i64)>,
    /// A plain receipt that may be merged with others of the same payment run.
    pub(super) batchable: bool,
}

/// Who settles a document: a payment or a credit note (by index in the ledger).
#[derive(Clone, Copy, Debug)]
pub(super) enum Source {
    Payment(usize),
    Credit(usize),
}

pub(super) struct Application {
    pub(super) source: Source,
    pub(super) doc: usize,
    pub(super) amount: i64,
    pub(super) date: NaiveDate,
}

/// One customer's documents, payments and applications; reused from customer to customer.
#[derive(Default)]
pub(super) struct Ledger {
    pub(super) docs: Vec<Doc>,
    pub(super) payments: Vec<Payment>,
    /// Credit-note applications while settling; all applications after [`Ledger::finalize`].
    pub(super) applications: Vec<Application>,
    /// Document indices in output (date) order.
    pub(super) order: Vec<usize>,
}

/// Global document and payment sequence numbers.
#[derive(Default)]
pub(super) struct IdCounters {
    invoices: u64,
    debit_notes: u64,
    credit_notes: u64,
    payments: u64,
}

impl IdCounters {
    /// The next `(id, number)` for a document of `kind` dated in `year`.
    fn next_document(&mut self, kind: DocKind, year: i32) -> (String, String) {
        let (counter, prefix, series) = match kind {
            DocKind::Invoice => (&mut self.invoices, "INV", "A"),
            DocKind::DebitNote => (&mut self.debit_notes, "DN", "D"),
            DocKind::CreditNote => (&mut self.credit_notes, "CN", "K"),
        };
        *counter += 1;
        (
            format!("{prefix}-{:07}", *counter),
            format!("{series}{year}-{:07}", *counter),
        )
    }

    fn next_payment(&mut self) -> String {
        self.payments += 1;
        format!("PAY-{:07}", self.payments)
    }
}

impl Ledger {
    pub(super) fn clear(&mut self) {
        self.docs.clear();
        self.payments.clear();
        self.applications.clear();
        self.order.clear();
    }

    /// Puts documents and payments in date order, merges payment-run receipts, assigns ids,
    /// lists every application, and sets the billing system's balances.
    pub(super) fn finalize(&mut self, ids: &mut IdCounters, rng: &mut Rng) {
        self.order.extend(0..self.docs.len());
        let docs = &self.docs;
        self.order.sort_by_key(|&i| (docs[i].doc_date, i));
        for &i in &self.order {
            let doc = &mut self.docs[i];
            (doc.id, doc.number) = ids.next_document(doc.kind, doc.doc_date.year());
        }

        self.payments.sort_by_key(|payment| payment.date);
        merge_payment_runs(&mut self.payments);
        for (index, payment) in self.payments.iter_mut().enumerate() {
            payment.id = ids.next_payment();
            self.applications
                .extend(
                    payment
                        .allocations
                        .iter()
                        .map(|&(doc, amount)| Application {
                            source: Source::Payment(index),
                            doc,
                            amount,
                            date: payment.date,
                        }),
                );
        }
        self.applications
            .sort_by_key(|application| application.date);

        for doc in self.docs.iter_mut().filter(|doc| doc.is_debit()) {
            doc.billing_balance = Some(billing_balance(doc.balance(), rng));
        }
    }

    pub(super) fn source_id(&self, source: Source) -> &str {
        match source {
            Source::Payment(i) => &self.payments[i].id,
            Source::Credit(i) => &self.docs[i].id,
        }
    }
}

/// Merges consecutive same-day receipts of a payment run into one payment.
fn merge_payment_runs(payments: &mut Vec<Payment>) {
    payments.dedup_by(|later, earlier| {
        let merge = earlier.batchable && later.batchable && earlier.date == later.date;
        if merge {
            earlier.amount += later.amount;
            earlier.allocations.append(&mut later.allocations);
        }
        merge
    });
}

/// The open balance, or now and then a slightly different figure (a billing mismatch).
fn billing_balance(balance: i64, rng: &mut Rng) -> i64 {
    if !rng.chance(BILLING_MISMATCH_CHANCE) {
        return balance;
    }
    let delta = rng.int(1, 2_500);
    if balance > delta && rng.chance(0.5) {
        balance - delta
    } else {
        balance + delta
    }
}
