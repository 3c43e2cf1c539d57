//! The payment-date model.
//!
//! For each customer, a survival curve of *days late* (settle date − due date) is estimated
//! by weighted Kaplan–Meier from:
//! - its settled documents, weighted by recency (a half-life in days since they settled);
//! - its open documents, as censored observations (paid later than they are overdue now);
//! - a few pseudo-observations from the portfolio's own curve (the *prior*), so that a
//!   customer with little history looks like a typical customer, and one with a long history
//!   looks like itself (shrinkage by the amount of evidence).
//!
//! Observations are first *normalised*: a disputed document's days late lose the portfolio's
//! typical dispute delay, and a large document's lose the typical large-amount delay, both
//! measured on the portfolio's history (median residual against each customer's own median).
//!
//! The prediction for an open document is the median of its customer's curve *given that it
//! is not paid yet* (days late > days overdue today), plus the document's own adjustments
//! and the customer's recent trend — then never earlier than the day after the as-of date.
//! The median minimises the mean absolute error in days, the figure the backtest reports.
//! An open promise to pay on the document overrides, unless the customer breaks more
//! promises than it keeps.

use super::stats::{Obs, Survival, median};
use super::{CustomerHistory, OpenDoc, days};
use crate::domain::{Date, Decimal};
use chrono::Days;

/// The model's settings. The defaults were chosen on backtests of varied synthetic
/// portfolios; they are round numbers on purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// A settled document's weight halves every this many days since it settled.
    pub half_life_days: f64,
    /// Total weight of the portfolio prior's pseudo-observations in each customer's curve.
    pub prior_weight: f64,
    /// A document is large when its amount exceeds this many times the customer's median.
    pub large_ratio: Decimal,
    /// Settled documents needed before the reason says "usually pays …".
    pub min_history: usize,
    /// Days (back from the as-of date) that count as the customer's recent behaviour.
    pub recent_days: i64,
    /// Share of the recent-vs-older change in days late carried into the prediction.
    pub trend_weight: f64,
    /// Largest trend shift applied, in days (either way).
    pub max_trend_days: f64,
    /// Dispute delay used when the portfolio has too few disputed documents to measure it.
    pub default_dispute_days: f64,
    /// Days added after today for a document later than anything the curves know.
    pub stale_days: f64,
    /// Open documents overdue by more than this many days are left out of the curves (they
    /// are in collection, not in the customer's payment rhythm).
    pub censor_cap_days: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            half_life_days: 180.0,
            prior_weight: 2.0,
            large_ratio: Decimal::TWO,
            min_history: 3,
            recent_days: 120,
            trend_weight: 0.0,
            max_trend_days: 30.0,
            default_dispute_days: 15.0,
            stale_days: 30.0,
            censor_cap_days: f64::INFINITY,
        }
    }
}

/// What the portfolio as a whole says, measured at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    /// The portfolio's curve of normalised days late (settled and open documents).
    pub survival: Survival,
    /// Quantiles of that curve, used as pseudo-observations in each customer's curve.
    pub pseudo: Vec<f64>,
    /// The portfolio's median days late.
    pub median_late: f64,
    /// Typical extra days late of a disputed document.
    pub dispute_days: f64,
    /// Typical extra days late of a large document.
    pub large_days: f64,
    /// The portfolio's median days from document date to settlement (the baseline's
    /// fallback for customers with no history).
    pub median_days_to_pay: f64,
}

/// One open document's predicted payment date.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The document's key (`did`).
    pub key: i64,
    pub date: Date,
    /// One line for people: "usually pays 12 days late; disputed".
    pub reason: String,
}

/// A fitted model: settings, the portfolio prior and the as-of date.
#[derive(Debug, Clone)]
pub struct Model {
    pub config: ModelConfig,
    pub prior: Prior,
    pub as_of: Date,
}

/// Probabilities at which the prior's pseudo-observations sit.
const PSEUDO_QUANTILES: [f64; 9] = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85];
/// Residuals needed before a portfolio adjustment is measured rather than defaulted.
const MIN_RESIDUALS: usize = 10;

/// A customer's payment behaviour as of the model's date.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Settled documents on record.
    pub settled_count: usize,
    /// The customer's curve of normalised days late, prior included.
    pub survival: Survival,
    /// Median normalised days late (the prior's when there is no history).
    pub typical_late: f64,
    /// Recent minus older median days late (0 when either side has too few documents).
    pub trend: f64,
    /// Median document amount, when there are enough documents to call one large.
    pub median_amount: Option<Decimal>,
}

impl Model {
    /// Fits the portfolio prior on every customer's history as of `as_of`.
    pub fn fit(histories: &[CustomerHistory], as_of: Date, config: ModelConfig) -> Model {
        let prior = fit_prior(histories, as_of, &config);
        Model {
            config,
            prior,
            as_of,
        }
    }

    /// The recency weight of something that settled on `date`.
    fn weight(&self, date: Date) -> f64 {
        let age = days(date, self.as_of).max(0.0);
        if self.config.half_life_days.is_finite() && self.config.half_life_days > 0.0 {
            0.5f64.powf(age / self.config.half_life_days)
        } else {
            1.0
        }
    }

    /// Days to subtract from a document's days late to normalise it.
    fn adjustment(&self, disputed: bool, large: bool) -> f64 {
        let mut adj = 0.0;
        if disputed {
            adj += self.prior.dispute_days;
        }
        if large {
            adj += self.prior.large_days;
        }
        adj
    }

    /// The customer's profile: its curve, typical days late and trend.
    pub fn profile(&self, h: &CustomerHistory) -> Profile {
        let median_amount = median_amount(h);
        let large = |amount: Decimal| is_large(amount, median_amount, &self.config);
        let mut obs: Vec<Obs> =
            Vec::with_capacity(h.settled.len() + h.open.len() + self.prior.pseudo.len());
        for s in &h.settled {
            let late = days(s.due_date, s.settled) - self.adjustment(s.disputed, large(s.amount));
            obs.push(Obs::settled(late, self.weight(s.settled)));
        }
        for o in &h.open {
            let overdue = days(o.due_date, self.as_of);
            if overdue <= self.config.censor_cap_days {
                let adj = self.adjustment(o.disputed, large(o.amount));
                obs.push(Obs::open(overdue - adj, 1.0));
            }
        }
        let pseudo_weight = self.config.prior_weight / self.prior.pseudo.len().max(1) as f64;
        obs.extend(
            self.prior
                .pseudo
                .iter()
                .map(|&d| Obs::settled(d, pseudo_weight)),
        );
        let survival = Survival::kaplan_meier(&mut obs);
        let typical_late = survival.median().unwrap_or(self.prior.median_late);
        Profile {
            settled_count: h.settled.len(),
            survival,
            typical_late,
            trend: self.trend(h),
            median_amount,
        }
    }

    /// Recent minus older median days late of undisputed settled documents.
    fn trend(&self, h: &CustomerHistory) -> f64 {
        let split = self.as_of - chrono::Duration::days(self.config.recent_days);
        let (mut recent, mut older) = (Vec::new(), Vec::new());
        for s in h.settled.iter().filter(|s| !s.disputed) {
            let late = days(s.due_date, s.settled);
            if s.settled > split {
                recent.push(late);
            } else {
                older.push(late);
            }
        }
        if recent.len() < 3 || older.len() < 3 {
            return 0.0;
        }
        match (median(&mut recent), median(&mut older)) {
            (Some(r), Some(o)) => r - o,
            _ => 0.0,
        }
    }

    /// The days the trend moves this customer's predictions.
    fn trend_shift(&self, p: &Profile) -> f64 {
        let max = self.config.max_trend_days;
        (self.config.trend_weight * p.trend).clamp(-max, max)
    }

    /// Predicts the payment date of each of the customer's open documents, in order.
    pub fn predict(&self, h: &CustomerHistory) -> Vec<Prediction> {
        self.predict_with(h, &self.profile(h))
    }

    /// [`Model::predict`] from an already computed profile.
    pub fn predict_with(&self, h: &CustomerHistory, profile: &Profile) -> Vec<Prediction> {
        let promised = promise_dates(h);
        h.open
            .iter()
            .zip(promised)
            .map(|(doc, promise)| self.predict_doc(h, profile, doc, promise))
            .collect()
    }

    fn predict_doc(
        &self,
        h: &CustomerHistory,
        p: &Profile,
        doc: &OpenDoc,
        promise: Option<Date>,
    ) -> Prediction {
        let large = is_large(doc.amount, p.median_amount, &self.config);
        let adj = self.adjustment(doc.disputed, large);
        let shift = self.trend_shift(p);
        let overdue = days(doc.due_date, self.as_of);
        let after = overdue - adj - shift;
        let late = p
            .survival
            .conditional_median(after)
            .or_else(|| self.prior.survival.conditional_median(after))
            .unwrap_or(after + self.config.stale_days)
            + adj
            + shift;
        let earliest = self.as_of + Days::new(1);
        let mut date = add_days(doc.due_date, late.round() as i64).max(earliest);

        let mut reasons = vec![self.history_reason(p)];
        if shift.abs() >= 2.0 {
            let word = if shift > 0.0 { "later" } else { "sooner" };
            reasons.push(format!("paying {:.0} days {word} lately", shift.abs()));
        }
        let unconditional = p.typical_late + adj + shift;
        if overdue > 0.0 && late - unconditional >= 3.0 {
            reasons.push(format!("already {overdue:.0} days overdue"));
        }
        if doc.disputed {
            reasons.push("disputed".into());
        }
        if large {
            reasons.push("large amount".into());
        }
        if let Some(pd) = promise {
            if h.broken_promises > h.kept_promises {
                date = date.max(pd).max(earliest);
                reasons.push(format!(
                    "promised for {pd}, but {} of {} promises broken",
                    h.broken_promises,
                    h.broken_promises + h.kept_promises
                ));
            } else {
                date = pd.max(earliest);
                reasons.push(format!("promised for {pd}"));
            }
        }
        Prediction {
            key: doc.key,
            date,
            reason: reasons.join("; "),
        }
    }

    /// "usually pays 12 days late", or what the prior says when there is little history.
    fn history_reason(&self, p: &Profile) -> String {
        if p.settled_count >= self.config.min_history {
            format!("usually pays {}", describe_late(p.typical_late))
        } else if p.settled_count == 0 {
            format!(
                "no payment history; customers typically pay {}",
                describe_late(self.prior.median_late)
            )
        } else {
            format!(
                "little history ({} paid); expect {}",
                p.settled_count,
                describe_late(p.typical_late)
            )
        }
    }
}

/// "12 days late", "on the due date", "3 days early".
pub fn describe_late(days: f64) -> String {
    let d = days.round() as i64;
    match d {
        0 => "on the due date".into(),
        1 => "1 day late".into(),
        -1 => "1 day early".into(),
        d if d > 0 => format!("{d} days late"),
        d => format!("{} days early", -d),
    }
}

fn add_days(date: Date, n: i64) -> Date {
    date.checked_add_signed(chrono::Duration::days(n))
        .unwrap_or(if n > 0 { Date::MAX } else { Date::MIN })
}

/// The median amount of the customer's documents, when it has at least four.
fn median_amount(h: &CustomerHistory) -> Option<Decimal> {
    let mut amounts: Vec<Decimal> = h
        .settled
        .iter()
        .map(|s| s.amount)
        .chain(h.open.iter().map(|o| o.amount))
        .collect();
    if amounts.len() < 4 {
        return None;
    }
    amounts.sort();
    Some(amounts[amounts.len() / 2])
}

fn is_large(amount: Decimal, median: Option<Decimal>, config: &ModelConfig) -> bool {
    median.is_some_and(|m| m > Decimal::ZERO && amount > m * config.large_ratio)
}

/// The date of the open promise covering each open document, in order: a promise naming the
/// document, else a customer-wide promise, applied to the oldest documents (by due date)
/// until its amount is used up.
pub fn promise_dates(h: &CustomerHistory) -> Vec<Option<Date>> {
    let mut dates: Vec<Option<Date>> = h.open.iter().map(|o| o.promised).collect();
    if h.promises.is_empty() {
        return dates;
    }
    let mut order: Vec<usize> = (0..h.open.len()).filter(|&i| dates[i].is_none()).collect();
    order.sort_by_key(|&i| (h.open[i].due_date, h.open[i].key));
    let mut promises = h.promises.clone();
    promises.sort_by_key(|p| p.date);
    let mut next = order.into_iter();
    for p in promises {
        let mut left = p.amount;
        while left > Decimal::ZERO {
            let Some(i) = next.next() else {
                return dates;
            };
            dates[i] = Some(p.date);
            left -= h.open[i].balance;
        }
    }
    dates
}

/// Measures the portfolio prior: the dispute and large-amount delays (median residual of
/// such documents against their customer's own median), then the pooled curve of normalised
/// days late.
fn fit_prior(histories: &[CustomerHistory], as_of: Date, config: &ModelConfig) -> Prior {
    let mut dispute_residuals = Vec::new();
    let mut large_residuals = Vec::new();
    let mut days_to_pay = Vec::new();
    for h in histories {
        let median_amount = median_amount(h);
        let mut plain: Vec<f64> = h
            .settled
            .iter()
            .filter(|s| !s.disputed && !is_large(s.amount, median_amount, config))
            .map(|s| days(s.due_date, s.settled))
            .collect();
        days_to_pay.extend(h.settled.iter().map(|s| days(s.doc_date, s.settled)));
        if plain.len() < 3 {
            continue;
        }
        let Some(own) = median(&mut plain) else {
            continue;
        };
        for s in &h.settled {
            let late = days(s.due_date, s.settled);
            if s.disputed {
                dispute_residuals.push(late - own);
            } else if is_large(s.amount, median_amount, config) {
                large_residuals.push(late - own);
            }
        }
    }
    let measured = |mut r: Vec<f64>, default: f64, lo: f64, hi: f64| {
        if r.len() >= MIN_RESIDUALS {
            median(&mut r).unwrap_or(default).clamp(lo, hi)
        } else {
            default
        }
    };
    let dispute_days = measured(dispute_residuals, config.default_dispute_days, 0.0, 120.0);
    let large_days = measured(large_residuals, 0.0, -30.0, 30.0);

    let half_life = config.half_life_days;
    let weight = |date: Date| {
        if half_life.is_finite() && half_life > 0.0 {
            0.5f64.powf(days(date, as_of).max(0.0) / half_life)
        } else {
            1.0
        }
    };
    let mut obs = Vec::new();
    for h in histories {
        let median_amount = median_amount(h);
        let adj = |disputed: bool, amount: Decimal| {
            let mut a = 0.0;
            if disputed {
                a += dispute_days;
            }
            if is_large(amount, median_amount, config) {
                a += large_days;
            }
            a
        };
        for s in &h.settled {
            let late = days(s.due_date, s.settled) - adj(s.disputed, s.amount);
            obs.push(Obs::settled(late, weight(s.settled)));
        }
        for o in &h.open {
            let overdue = days(o.due_date, as_of);
            if overdue <= config.censor_cap_days {
                obs.push(Obs::open(overdue - adj(o.disputed, o.amount), 1.0));
            }
        }
    }
    let survival = Survival::kaplan_meier(&mut obs);
    let mut pseudo = survival.quantiles(&PSEUDO_QUANTILES);
    if pseudo.is_empty() {
        // No history at all: customers pay on the due date, give or take.
        pseudo = vec![-2.0, 0.0, 0.0, 2.0];
    }
    let median_late = survival.median().unwrap_or(0.0);
    Prior {
        survival,
        pseudo,
        median_late,
        dispute_days,
        large_days,
        median_days_to_pay: median(&mut days_to_pay).unwrap_or(30.0),
    }
}
