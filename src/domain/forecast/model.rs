//! The payment-date model.
//!
//! For each customer, a survival curve of *days late* (settle date − due date) is estimated
//! by weighted Kaplan–Meier from:
//! - its settled documents, weighted by recency (a half-life in days since they settled);
//! - its open documents, as censored observations (paid later than they are overdue now);
//! - a few pseudo-observations from the portfolio's own curve (the [`Prior`]), so that a
//!   customer with little history looks like a typical customer, and one with a long history
//!   looks like itself (shrinkage by the amount of evidence).
//!
//! Observations are first *normalised*: a disputed document's days late lose the portfolio's
//! measured dispute delay, and a document of unusual amount the measured delay of its amount
//! class (see [`super::prior`]).
//!
//! The prediction for an open document is the median of its customer's curve *given that it
//! is not paid yet* (days late > days overdue today), plus the document's own adjustments
//! and part of the customer's recent trend; a customer who always pays on the same weekday (a
//! payment run) is predicted on that weekday; and never earlier than the day after the as-of
//! date. The median minimises the mean absolute error in days, the figure the backtest
//! reports. An open promise to pay on the document overrides, unless the customer breaks more
//! promises than it keeps.

use super::prior::{AmountScale, Prior, customer_observations, is_above_usual, location};
use super::stats::{AtRisk, Part, Survival, Tail, blended_conditional_median, median};
use super::{CustomerHistory, OpenDoc, days};
use crate::domain::{Date, Decimal};
use chrono::{Datelike, Days, Weekday};

/// The model's settings. The defaults were chosen on backtests of varied synthetic
/// portfolios; they are round numbers on purpose.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// A settled document's weight halves every this many days since it settled.
    pub half_life_days: f64,
    /// Total weight of the portfolio prior's pseudo-observations in each customer's curve.
    pub prior_weight: f64,
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
    /// Days added after the as-of date for a document later than almost anything on record.
    pub stale_days: f64,
    /// Open documents overdue by more than this many days are left out of the curves (they
    /// are in collection, not in the customer's payment rhythm).
    pub censor_cap_days: f64,
    /// Settlements needed, and the (recency-weighted) share of them on one weekday, before a
    /// customer counts as paying on that weekday.
    pub weekday_min_count: usize,
    pub weekday_min_share: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            half_life_days: 270.0,
            prior_weight: 2.0,
            min_history: 3,
            recent_days: 120,
            trend_weight: 0.3,
            max_trend_days: 30.0,
            default_dispute_days: 15.0,
            stale_days: 30.0,
            censor_cap_days: 60.0,
            weekday_min_count: 5,
            weekday_min_share: 0.7,
        }
    }
}

impl ModelConfig {
    /// The recency weight, at `as_of`, of something that settled on `date`.
    pub fn weight(&self, date: Date, as_of: Date) -> f64 {
        let age = days(date, as_of).max(0.0);
        if self.half_life_days.is_finite() && self.half_life_days > 0.0 {
            0.5f64.powf(age / self.half_life_days)
        } else {
            1.0
        }
    }
}

/// Portfolio documents that must have been at least this late (beyond their customer's
/// typical) before the portfolio's residual curve is trusted there; past that, a document is
/// later than almost anything on record and is predicted `stale_days` out.
const MIN_TAIL_SUPPORT: f64 = 30.0;

/// The furthest a prediction looks past the days already overdue.
const HORIZON_DAYS: u32 = 3 * 365;

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

/// A customer's payment behaviour as of the model's date.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Settled documents on record.
    pub settled_count: usize,
    /// The median days late of the customers it is shrunk toward (its group, or all).
    pub prior_late: f64,
    /// The customer's own curve of normalised days late (settled and open documents).
    pub survival: Survival,
    /// How much of the customer's own evidence lies beyond a number of days.
    pub at_risk: AtRisk,
    /// Median normalised days late, shrunk toward the portfolio's.
    pub typical_late: f64,
    /// Recent minus older median days late (0 when either side has too few documents).
    pub trend: f64,
    /// The customer's median amount, to class its documents.
    pub scale: AmountScale,
    /// The weekday the customer (nearly) always pays on, if any.
    pub weekday: Option<Weekday>,
}

impl Model {
    /// Fits the portfolio prior on every customer's history as of `as_of`.
    pub fn fit(histories: &[CustomerHistory], as_of: Date, config: ModelConfig) -> Model {
        let prior = Prior::fit(histories, as_of, &config);
        Model {
            config,
            prior,
            as_of,
        }
    }

    /// The customer's profile: its curve, typical days late, trend and habits.
    pub fn profile(&self, h: &CustomerHistory) -> Profile {
        let scale = AmountScale::of(h);
        let mut obs =
            customer_observations(h, self.as_of, &self.config, &self.prior.adjustments, scale);
        let curves = self.prior.curves_for(h);
        let typical_late = location(
            &obs,
            &curves.pseudo,
            self.config.prior_weight,
            curves.median_late,
        );
        let at_risk = AtRisk::new(&obs);
        let survival = Survival::kaplan_meier(&mut obs);
        Profile {
            settled_count: h.settled.len(),
            prior_late: curves.median_late,
            survival,
            at_risk,
            typical_late,
            trend: self.trend(h),
            scale,
            weekday: self.weekday_habit(h),
        }
    }

    /// The median days late of a document given it is later than `after` (normalised days):
    /// the customer's own curve, weighted by its evidence beyond `after`, blended with the
    /// portfolio's residual curve placed at the customer's typical days late, weighted like
    /// the prior. What the customer's own curve leaves open (documents still unpaid past its
    /// last observation) is paid as the residual curve says beyond that point.
    fn conditional_late(&self, h: &CustomerHistory, p: &Profile, after: f64) -> f64 {
        let curves = self.prior.curves_for(h);
        let supported =
            |t: f64| curves.residual_support.weight_beyond(t - p.typical_late) >= MIN_TAIL_SUPPORT;
        // Beyond the customer's last observation: the residual curve where it has support,
        // else a stale document's date.
        let tail = |last: f64| {
            if supported(last) {
                Tail::Curve {
                    curve: &curves.residuals,
                    offset: p.typical_late,
                    after: last,
                }
            } else {
                Tail::At(last.max(after) + self.config.stale_days)
            }
        };
        // The portfolio's side: its residual curve placed at the customer's typical days late
        // where it has support; else (a small or young portfolio) the shape of its whole
        // curve, moved from its median to the customer's typical.
        let prior = if supported(after) {
            Part {
                curve: &curves.residuals,
                offset: p.typical_late,
                weight: self.config.prior_weight,
                tail: None,
            }
        } else {
            Part {
                curve: &curves.survival,
                offset: p.typical_late - curves.median_late,
                weight: self.config.prior_weight,
                tail: None,
            }
        };
        let parts = [
            Part {
                curve: &p.survival,
                offset: 0.0,
                weight: p.at_risk.weight_beyond(after),
                tail: p.at_risk.last().map(tail),
            },
            prior,
        ];
        blended_conditional_median(&parts, after, HORIZON_DAYS)
            .unwrap_or(after + self.config.stale_days)
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

    /// The weekday most of the customer's settlements fall on, when they nearly all do.
    fn weekday_habit(&self, h: &CustomerHistory) -> Option<Weekday> {
        if h.settled.len() < self.config.weekday_min_count {
            return None;
        }
        let mut weights = [0.0f64; 7];
        for s in &h.settled {
            weights[s.settled.weekday().num_days_from_monday() as usize] +=
                self.config.weight(s.settled, self.as_of);
        }
        let total: f64 = weights.iter().sum();
        let (best, weight) = weights
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        let share = weight / total;
        (total > 0.0 && share >= self.config.weekday_min_share)
            .then(|| Weekday::try_from(best as u8).ok())
            .flatten()
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
        let class = p.scale.class(doc.amount);
        let size_adj = self.prior.adjustments.days(false, class);
        let adj = self.prior.adjustments.days(doc.disputed, class);
        let shift = self.trend_shift(p);
        let overdue = days(doc.due_date, self.as_of);
        let after = overdue - adj - shift;
        let late = self.conditional_late(h, p, after) + adj + shift;
        let earliest = self.as_of + Days::new(1);
        let mut date = add_days(doc.due_date, late.round() as i64);
        if let Some(weekday) = p.weekday {
            date = nearest_weekday(date, weekday, earliest);
        }
        date = date.max(earliest);

        let mut reasons = vec![self.history_reason(p, late)];
        if let Some(weekday) = p.weekday {
            reasons.push(format!("pays on {}s", weekday_name(weekday)));
        }
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
        if size_adj.abs() >= 2.0 {
            reasons.push(if is_above_usual(class) {
                "large amount".into()
            } else {
                "small amount".into()
            });
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

    /// "usually pays 12 days late", or what the prior says when there is little history
    /// (then with the document's own expected days late, `late`).
    fn history_reason(&self, p: &Profile, late: f64) -> String {
        if p.settled_count >= self.config.min_history {
            format!("usually pays {}", describe_late(p.typical_late))
        } else if p.settled_count == 0 {
            format!(
                "no payment history; customers typically pay {}",
                describe_late(p.prior_late)
            )
        } else {
            format!(
                "little history ({} paid); expect {}",
                p.settled_count,
                describe_late(late)
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

/// The date on `weekday` nearest to `date` (at most three days away), not before `earliest`.
fn nearest_weekday(date: Date, weekday: Weekday, earliest: Date) -> Date {
    let ahead = (7 + weekday.num_days_from_monday() as i64
        - date.weekday().num_days_from_monday() as i64)
        % 7;
    let back = add_days(date, ahead - 7);
    let forward = add_days(date, ahead);
    if ahead > 3 && back >= earliest {
        back
    } else {
        forward
    }
}

fn weekday_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
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
