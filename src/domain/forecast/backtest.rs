//! The backtest's baselines and error tallies.
//!
//! At each cutoff every document open then is predicted from what was known then, and the
//! prediction compared with the date it was actually settled. Two baselines are scored
//! beside the model, both also held to "not before the day after the cutoff" (the document is
//! known to be unpaid at the cutoff, so an earlier date is wrong by construction):
//! - **per-customer median**: document date + the customer's median days to pay (document
//!   date to settlement) over its settled documents; the portfolio's median when it has none;
//! - **due date**: the due date.

use super::stats::median;
use super::{CustomerHistory, OpenDoc, days};
use crate::domain::Date;
use chrono::Days;

/// The customer's median days from document date to settlement, if it settled anything.
pub fn median_days_to_pay(h: &CustomerHistory) -> Option<f64> {
    let mut d: Vec<f64> = h
        .settled
        .iter()
        .map(|s| days(s.doc_date, s.settled))
        .collect();
    median(&mut d)
}

/// The per-customer-median baseline's date for `doc` (`customer_median` from
/// [`median_days_to_pay`], `fallback` the portfolio's).
pub fn median_baseline(
    doc: &OpenDoc,
    customer_median: Option<f64>,
    fallback: f64,
    as_of: Date,
) -> Date {
    let d = customer_median.unwrap_or(fallback).round() as i64;
    let date = doc
        .doc_date
        .checked_add_signed(chrono::Duration::days(d))
        .unwrap_or(doc.doc_date);
    date.max(as_of + Days::new(1))
}

/// The due-date baseline's date for `doc`.
pub fn due_baseline(doc: &OpenDoc, as_of: Date) -> Date {
    doc.due_date.max(as_of + Days::new(1))
}

/// Absolute errors in days, summed, for the model and the two baselines.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tally {
    /// Documents scored.
    pub count: u64,
    pub model: f64,
    pub median: f64,
    pub due: f64,
}

impl Tally {
    /// Scores one document settled on `actual`.
    pub fn add(&mut self, actual: Date, model: Date, median: Date, due: Date) {
        let err = |d: Date| days(d, actual).abs();
        self.count += 1;
        self.model += err(model);
        self.median += err(median);
        self.due += err(due);
    }

    /// Adds another tally.
    pub fn absorb(&mut self, other: &Tally) {
        self.count += other.count;
        self.model += other.model;
        self.median += other.median;
        self.due += other.due;
    }

    fn mean(&self, sum: f64) -> Option<f64> {
        (self.count > 0).then(|| sum / self.count as f64)
    }

    /// The model's mean absolute error in days.
    pub fn model_mae(&self) -> Option<f64> {
        self.mean(self.model)
    }

    /// The per-customer-median baseline's mean absolute error in days.
    pub fn median_mae(&self) -> Option<f64> {
        self.mean(self.median)
    }

    /// The due-date baseline's mean absolute error in days.
    pub fn due_mae(&self) -> Option<f64> {
        self.mean(self.due)
    }

    /// Model MAE ÷ median-baseline MAE (below 1: the model is better).
    pub fn ratio(&self) -> Option<f64> {
        (self.median > 0.0).then(|| self.model / self.median)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Decimal;
    use crate::domain::date::parse_iso;
    use crate::domain::forecast::SettledDoc;

    fn d(s: &str) -> Date {
        parse_iso(s).unwrap()
    }

    #[test]
    fn baselines_are_never_before_the_day_after_the_cutoff() {
        let h = CustomerHistory {
            settled: vec![
                SettledDoc {
                    key: 1,
                    doc_date: d("2026-01-01"),
                    due_date: d("2026-01-31"),
                    amount: Decimal::ONE,
                    settled: d("2026-02-10"), // 40 days to pay
                    disputed: false,
                },
                SettledDoc {
                    key: 2,
                    doc_date: d("2026-02-01"),
                    due_date: d("2026-03-03"),
                    amount: Decimal::ONE,
                    settled: d("2026-03-03"), // 30 days to pay
                    disputed: false,
                },
            ],
            ..Default::default()
        };
        assert_eq!(median_days_to_pay(&h), Some(35.0));
        let doc = OpenDoc {
            key: 3,
            doc_date: d("2026-03-01"),
            due_date: d("2026-03-31"),
            amount: Decimal::ONE,
            balance: Decimal::ONE,
            disputed: false,
            promised: None,
        };
        assert_eq!(
            median_baseline(&doc, Some(35.0), 10.0, d("2026-03-10")),
            d("2026-04-05")
        );
        assert_eq!(
            median_baseline(&doc, None, 10.0, d("2026-03-20")),
            d("2026-03-21")
        );
        assert_eq!(due_baseline(&doc, d("2026-04-10")), d("2026-04-11"));
    }

    #[test]
    fn tally_means_and_ratio() {
        let mut t = Tally::default();
        t.add(
            d("2026-01-10"),
            d("2026-01-12"),
            d("2026-01-06"),
            d("2026-01-01"),
        );
        t.add(
            d("2026-01-10"),
            d("2026-01-10"),
            d("2026-01-14"),
            d("2026-01-10"),
        );
        assert_eq!(t.model_mae(), Some(1.0));
        assert_eq!(t.median_mae(), Some(4.0));
        assert_eq!(t.due_mae(), Some(4.5));
        assert_eq!(t.ratio(), Some(0.25));
        assert_eq!(Tally::default().model_mae(), None);
    }
}
