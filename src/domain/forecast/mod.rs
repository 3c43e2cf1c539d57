//! Forecasts: when each open document will be paid, the cash expected week by week, and how
//! risky each customer is — from the customers' own payment history, as of a date.
//!
//! Pure: the histories come in as plain structs (built by `store::ledger::history`, strictly as of the
//! cutoff), the as-of date is passed in, nothing reads the clock or the database.
//!
//! - [`model`]: the payment-date model ([`Model::fit`] on the whole portfolio, then
//!   [`Model::predict`] per customer), with a one-line reason and a probability of paying
//!   late per prediction.
//! - [`prior`]: what the portfolio says: measured effects shrunk toward neutral priors, how
//!   strongly a customer is pulled toward its peers, and the curves it is pulled toward.
//! - [`check`]: the model checked on the ledger's own recent history before publishing:
//!   model or median per segment, bias corrections, calibration.
//! - [`publish`]: what is published per document ([`Forecaster`]: fit, check, publish).
//! - [`risk`]: high / medium / low per customer, with its reasons.
//! - [`cash`]: the 13-week cash forecast.
//! - [`backtest`]: the baselines and the error tallies of `owed backtest`.
//! - [`stats`]: weighted medians and the Kaplan–Meier survival curve the model rests on.
//!
//! Days late = settle date − due date; the *settle date* of a document is the date its
//! balance reached zero (the date of its last application). All amounts are in the base
//! currency.

pub mod backtest;
pub mod cash;
pub mod check;
pub mod model;
pub mod prior;
pub mod publish;
pub mod risk;
pub mod stats;
#[cfg(test)]
mod tests;

pub use check::{Method, Segment, SelfCheck};
pub use model::{Model, ModelConfig, Prediction};
pub use prior::Prior;
pub use publish::{Forecaster, Published};
pub use risk::{Risk, RiskLevel};

use super::{Date, Decimal};

/// A debit document that was settled (its balance reached zero) on or before the cutoff.
#[derive(Debug, Clone, PartialEq)]
pub struct SettledDoc {
    /// The store's document key (`did`).
    pub key: i64,
    pub doc_date: Date,
    pub due_date: Date,
    /// The document's amount, in the base currency.
    pub amount: Decimal,
    /// The date of the application that brought the balance to zero.
    pub settled: Date,
    /// An issue was opened on it (on or before it settled, and on or before the cutoff).
    pub disputed: bool,
    /// When the first issue naming it was opened (on or before the cutoff), if any: what a
    /// replay of an earlier date may know of it.
    pub dispute_opened: Option<Date>,
}

/// A debit document with a balance at the cutoff.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDoc {
    /// The store's document key (`did`).
    pub key: i64,
    pub doc_date: Date,
    pub due_date: Date,
    /// The document's amount, in the base currency.
    pub amount: Decimal,
    /// The open balance at the cutoff, in the base currency.
    pub balance: Decimal,
    /// The open balance in the document's own currency, and that currency (empty where it
    /// is not known: a replay, which has no promises). A promise in the same currency is set
    /// against it, whatever the two days' rates.
    pub own_balance: Decimal,
    pub currency: String,
    /// An issue naming it is open at the cutoff.
    pub disputed: bool,
    /// When the first issue naming it was opened (on or before the cutoff), if any.
    pub dispute_opened: Option<Date>,
}

/// A promise to pay still open at the cutoff: it is taken to pay off the documents it names,
/// oldest first, or when it names none the customer's oldest undisputed open documents, as
/// far as its amount goes ([`model::promise_dates`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerPromise {
    pub date: Date,
    /// What is still to come, in the base currency as the balances it is set against are:
    /// used only to decide how many of its documents the promise covers.
    pub amount: Decimal,
    /// The keys (`did`) of the documents it names; empty: it names none.
    pub documents: Vec<i64>,
    /// What is still to come in the promise's own currency, that currency, and the rate
    /// `amount` was converted at: a document in the same currency is compared in it (a
    /// promise of 1,000 EUR pays an invoice of 1,000 EUR off, whatever the rates of the day
    /// it was made and of the invoice's date), another in the base currency at that rate.
    pub own_amount: Decimal,
    pub currency: String,
    pub rate: Decimal,
}

impl CustomerPromise {
    /// A promise in the base currency (its rate 1).
    pub fn in_base(date: Date, amount: Decimal, documents: Vec<i64>) -> CustomerPromise {
        CustomerPromise {
            date,
            amount,
            documents,
            own_amount: amount,
            currency: String::new(),
            rate: Decimal::ONE,
        }
    }

    /// What the open document `d` asks of this promise to be paid off whole, in the
    /// promise's own currency.
    pub fn asked_by(&self, d: &OpenDoc) -> Decimal {
        if !d.currency.is_empty() && d.currency == self.currency {
            d.own_balance
        } else if self.rate > Decimal::ZERO {
            d.balance / self.rate
        } else {
            d.balance
        }
    }
}

/// Everything known about one customer's payments at a cutoff.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerHistory {
    /// The store's customer key (`cid`).
    pub cid: i64,
    pub settled: Vec<SettledDoc>,
    pub open: Vec<OpenDoc>,
    /// Open promises, in the order they were recorded.
    pub promises: Vec<CustomerPromise>,
    /// Promises whose date (plus grace) passed by the cutoff: kept in full.
    pub kept_promises: u32,
    /// … and broken (nothing or only part of the amount arrived).
    pub broken_promises: u32,
    /// Dates of failed or timed-out payment attempts on or before the cutoff.
    pub failed_attempts: Vec<Date>,
    /// Issues open at the cutoff (with or without documents).
    pub open_issues: u32,
    /// Customers of one group pay alike and share a prior (the store groups them by how they
    /// pay: automatic collection and payment method); `None`: no group.
    pub group: Option<String>,
    /// The customer's unutilised credit and unapplied cash at the cutoff, in the base
    /// currency: money in hand that only needs applying (the risk score sets it against what
    /// is overdue; zero where it is not read, as in a backtest's replay).
    pub credit: Decimal,
}

impl CustomerHistory {
    /// The open balance at the cutoff.
    pub fn open_balance(&self) -> Decimal {
        self.open.iter().map(|d| d.balance).sum()
    }
}

/// Maps `f` over `items` in order, on as many threads as the machine has (customers are
/// independent of each other once the prior is fitted). Pure computation: no I/O.
pub fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads <= 1 || items.len() < 2048 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Days from `from` to `to` as a float (for statistics; never for money).
fn days(from: Date, to: Date) -> f64 {
    (to - from).num_days() as f64
}
