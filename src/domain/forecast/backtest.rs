//! The backtest's baselines and error tallies.
//!
//! At each cutoff every document open then is predicted from what was known then, and the
//! prediction compared with the date it was actually settled: the absolute error (its mean
//! is the MAE) and the signed error, predicted − paid (its median is the *bias*: positive,
//! the forecast runs late). The probability of being paid late is scored on the documents
//! not yet due at the cutoff whose outcome is known ([`Reliability`]: the Brier score and a
//! reliability table). Two baselines are scored beside the model, both also held to "not
//! before the day after the cutoff" (the document is known to be unpaid at the cutoff, so an
//! earlier date is wrong by construction):
//! - **per-customer median**: document date + the customer's median days to pay (document
//!   date to settlement) over its settled documents; the portfolio's median when it has none;
//! - **due date**: the due date.

use super::stats::{Obs, Survival, median};
use super::{CustomerHistory, OpenDoc, days};
use crate::domain::Date;
use chrono::Days;
use std::collections::BTreeMap;

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

/// Signed errors in whole days, counted by value (for their median), and bounds of the
/// errors of documents still unpaid at the horizon (their error is below the bound).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignedErrors(BTreeMap<i64, u64>, BTreeMap<i64, u64>);

impl SignedErrors {
    pub fn add(&mut self, error: i64) {
        *self.0.entry(error).or_default() += 1;
    }

    /// A document still unpaid at the horizon: its error is below `bound`.
    pub fn add_bound(&mut self, bound: i64) {
        *self.1.entry(bound).or_default() += 1;
    }

    pub fn absorb(&mut self, other: &SignedErrors) {
        for (&e, &n) in &other.0 {
            *self.0.entry(e).or_default() += n;
        }
        for (&e, &n) in &other.1 {
            *self.1.entry(e).or_default() += n;
        }
    }

    /// The bias: the median error, documents still unpaid counted as paid after the
    /// horizon (the Kaplan–Meier median of paid − predicted, with those censored); the
    /// median of the errors alone when there are none, or too many to reach the middle.
    pub fn bias(&self) -> Option<f64> {
        if self.1.is_empty() {
            return self.median();
        }
        let mut obs: Vec<Obs> = self
            .0
            .iter()
            .map(|(&e, &n)| Obs::settled(-e as f64, n as f64))
            .chain(
                self.1
                    .iter()
                    .map(|(&b, &n)| Obs::open(-b as f64 - 1.0, n as f64)),
            )
            .collect();
        Survival::kaplan_meier(&mut obs)
            .median()
            .map(|m| -m)
            .or_else(|| self.median())
    }

    /// The median of the errors (mean of the two middle values for an even count); `None`
    /// when empty.
    pub fn median(&self) -> Option<f64> {
        let n: u64 = self.0.values().sum();
        if n == 0 {
            return None;
        }
        let nth = |k: u64| {
            let mut seen = 0;
            for (&e, &c) in &self.0 {
                seen += c;
                if seen > k {
                    return e as f64;
                }
            }
            0.0
        };
        Some(if n % 2 == 1 {
            nth(n / 2)
        } else {
            (nth(n / 2 - 1) + nth(n / 2)) / 2.0
        })
    }
}

/// Absolute errors in days, summed, for the model and the two baselines, and the signed
/// errors of the model and the median.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tally {
    /// Documents scored.
    pub count: u64,
    pub model: f64,
    pub median: f64,
    pub due: f64,
    pub model_signed: SignedErrors,
    pub median_signed: SignedErrors,
}

impl Tally {
    /// Scores one document settled on `actual`.
    pub fn add(&mut self, actual: Date, model: Date, median: Date, due: Date) {
        let err = |d: Date| (d - actual).num_days();
        self.count += 1;
        self.model += err(model).abs() as f64;
        self.median += err(median).abs() as f64;
        self.due += err(due).abs() as f64;
        self.model_signed.add(err(model));
        self.median_signed.add(err(median));
    }

    /// Counts a document still unpaid at `horizon` in the biases (paid after it).
    pub fn add_unpaid(&mut self, horizon: Date, model: Date, median: Date) {
        let bound = |d: Date| (d - horizon).num_days() - 1;
        self.model_signed.add_bound(bound(model));
        self.median_signed.add_bound(bound(median));
    }

    /// Adds another tally.
    pub fn absorb(&mut self, other: &Tally) {
        self.count += other.count;
        self.model += other.model;
        self.median += other.median;
        self.due += other.due;
        self.model_signed.absorb(&other.model_signed);
        self.median_signed.absorb(&other.median_signed);
    }

    /// The model's bias: its median signed error in days (positive: late), documents still
    /// unpaid at the horizon counted as paid after it.
    pub fn model_bias(&self) -> Option<f64> {
        self.model_signed.bias()
    }

    /// The per-customer median baseline's bias.
    pub fn median_bias(&self) -> Option<f64> {
        self.median_signed.bias()
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

/// Bins of the reliability table (tenths of probability).
pub const RELIABILITY_BINS: usize = 10;

/// One bin of the reliability table.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bin {
    pub count: u64,
    /// Sum of the predicted probabilities.
    pub predicted: f64,
    /// Documents that were paid late.
    pub late: u64,
}

/// Predicted probabilities of paying late against what happened: the Brier score (the mean
/// squared difference; 0 is perfect) and, by tenths of predicted probability, how often
/// documents were late — for a calibrated forecast, about as often as predicted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reliability {
    pub bins: [Bin; RELIABILITY_BINS],
    squared: f64,
}

impl Reliability {
    /// Scores a probability `p` of a document that was (or was not) paid late.
    pub fn add(&mut self, p: f64, late: bool) {
        let p = p.clamp(0.0, 1.0);
        let i = ((p * RELIABILITY_BINS as f64) as usize).min(RELIABILITY_BINS - 1);
        let bin = &mut self.bins[i];
        bin.count += 1;
        bin.predicted += p;
        bin.late += u64::from(late);
        let y = f64::from(u8::from(late));
        self.squared += (p - y) * (p - y);
    }

    pub fn absorb(&mut self, other: &Reliability) {
        for (a, b) in self.bins.iter_mut().zip(&other.bins) {
            a.count += b.count;
            a.predicted += b.predicted;
            a.late += b.late;
        }
        self.squared += other.squared;
    }

    /// Documents scored.
    pub fn count(&self) -> u64 {
        self.bins.iter().map(|b| b.count).sum()
    }

    /// The Brier score.
    pub fn brier(&self) -> Option<f64> {
        let n = self.count();
        (n > 0).then(|| self.squared / n as f64)
    }

    /// The Brier score of always predicting the observed share of late documents (what a
    /// forecast must beat to say anything per document).
    pub fn reference(&self) -> Option<f64> {
        let n = self.count();
        let late: u64 = self.bins.iter().map(|b| b.late).sum();
        (n > 0).then(|| {
            let rate = late as f64 / n as f64;
            rate * (1.0 - rate)
        })
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
                    dispute_opened: None,
                },
                SettledDoc {
                    key: 2,
                    doc_date: d("2026-02-01"),
                    due_date: d("2026-03-03"),
                    amount: Decimal::ONE,
                    settled: d("2026-03-03"), // 30 days to pay
                    disputed: false,
                    dispute_opened: None,
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
            own_balance: Decimal::ONE,
            currency: String::new(),
            disputed: false,
            dispute_opened: None,
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
        assert_eq!(t.model_bias(), Some(1.0));
        assert_eq!(t.median_bias(), Some(0.0));
        assert_eq!(Tally::default().model_mae(), None);
        assert_eq!(Tally::default().model_bias(), None);
    }

    #[test]
    fn brier_and_reliability() {
        let mut r = Reliability::default();
        r.add(0.95, true);
        r.add(0.95, true);
        r.add(0.15, false);
        r.add(0.15, true);
        assert_eq!(r.count(), 4);
        assert_eq!(r.bins[9].count, 2);
        assert_eq!(r.bins[9].late, 2);
        assert_eq!(r.bins[1].late, 1);
        let brier = r.brier().unwrap();
        let expected = (0.0025 + 0.0025 + 0.0225 + 0.7225) / 4.0;
        assert!((brier - expected).abs() < 1e-12);
        assert!((r.reference().unwrap() - 0.1875).abs() < 1e-12);
    }
}
