//! The payment-date model.
//!
//! For each customer, a survival curve of *days late* (settle date − due date) is estimated
//! by weighted Kaplan–Meier from:
//! - its settled documents, weighted by recency (a half-life in days since they settled);
//! - its open documents, as censored observations (paid later than they are overdue now);
//! - pseudo-observations from its peers' curve (the [`Prior`]), of a weight the ledger itself
//!   sets (empirical Bayes: see [`super::prior::prior_strength`]), so that a customer with
//!   little history looks like its peers and one with a long history looks like itself.
//!
//! Observations are first *normalised*: a disputed document's days late lose the measured
//! dispute delay, and a document of unusual amount the measured delay of its amount class
//! (see [`super::prior`]). A customer whose recent payments moved away from its usual is
//! moved toward its recent level, by as much as the evidence for the move allows.
//!
//! The prediction for an open document is the median of its customer's curve *given that it
//! is not paid yet*: the document's effects (dispute, amount, recent level) are taken off
//! its days overdue, the plain curve is conditioned on being later than that, and the effects
//! are added back — so a dispute delays the date the document would otherwise have been
//! paid, and a document already late is predicted from the remaining time of documents
//! that were that late (past what the ledger can speak for, from the rate at which such
//! documents get paid). A customer who pays on one weekday, or at one time of the month,
//! is predicted then; never earlier than the day after the as-of date. The median minimises
//! the mean absolute error in days, the figure the backtest reports. An open promise to pay
//! on the document overrides, unless the customer breaks more promises than it keeps.
//!
//! Each prediction also carries the model's probability that the document is paid after
//! its due date (1 once it is overdue), which [`super::check`] calibrates.

use super::prior::{
    AmountScale, MIN_TAIL_SUPPORT, Prior, customer_observations, is_above_usual, location,
};
use super::stats::{
    AtRisk, Part, Survival, Tail, blended_conditional_median, blended_conditional_survival, median,
};
use super::{CustomerHistory, CustomerPromise, OpenDoc, days};
use crate::domain::{Date, Decimal};
use chrono::{Datelike, Days, Weekday};
use std::f64::consts::FRAC_PI_2;

/// The model's settings. The defaults are round numbers on purpose; none is an effect (the
/// effects are measured on the ledger, see [`super::prior`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// A settled document's weight halves every this many days since it settled.
    pub half_life_days: f64,
    /// Documents' worth of the prior in each customer's curve; `None`: measured on the ledger.
    pub prior_weight: Option<f64>,
    /// Settled documents needed before the reason says "usually pays …".
    pub min_history: usize,
    /// Days (back from the as-of date) that count as the customer's recent behaviour.
    pub recent_days: i64,
    /// Share of the (evidence-weighted) move to the recent level carried into predictions.
    pub trend_weight: f64,
    /// Largest move to the recent level, in days (either way).
    pub max_trend_days: f64,
    /// Open documents overdue by more than this many days are left out of the curves (they
    /// are in collection, not in the customer's payment rhythm).
    pub censor_cap_days: f64,
    /// Settlements needed, and the share of them (recency-weighted, shrunk toward an even
    /// spread) on one weekday or in one five-day stretch of the month, before a customer
    /// counts as paying then.
    pub weekday_min_count: usize,
    pub weekday_min_share: f64,
    /// Documents' worth, at least, of the portfolio's residual curve in the blend each
    /// document's date is read from (see [`Model::predict`]); `None`: as much as the peers
    /// weigh in the customer's typical days late. Unless the settings fix it, the self-check
    /// chooses it on the ledger's own history (see [`super::check`]).
    pub residual_weight: Option<f64>,
    /// Check the model on the ledger's own recent history before publishing (see
    /// [`super::check`]); off for the fits the check itself makes.
    pub self_check: bool,
    /// The unrecorded disputes found at the as-of date, for the check's replays of earlier
    /// dates (a ledger that keeps no dispute history kept none then either); `None`: look.
    pub latent: Option<super::prior::Latent>,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            half_life_days: 270.0,
            prior_weight: None,
            min_history: 3,
            recent_days: 120,
            trend_weight: 1.0,
            max_trend_days: 45.0,
            censor_cap_days: 60.0,
            weekday_min_count: 5,
            weekday_min_share: 0.7,
            residual_weight: None,
            self_check: true,
            latent: None,
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

/// The furthest a prediction looks past the days already overdue.
const HORIZON_DAYS: u32 = 3 * 365;
/// Pseudo-settlements spread evenly over the week (or the month) that a habit must outweigh.
const HABIT_PRIOR: f64 = 2.0;
/// Share of the settlements that their due dates would have put off a habit's days that must
/// still be paid on them for the habit to count (see [`beyond_due_dates`]).
const HABIT_BEYOND_DUE_DATES: f64 = 0.5;
/// A move to the recent level counts once its square exceeds this many times its sampling
/// variance (a non-negative garrote: small moves are noise and shrink to nothing, large
/// ones are kept nearly whole).
const MOVE_THRESHOLD: f64 = 2.0;
/// Settled documents needed on each side (recent, older) before a move is measured.
const MIN_MOVE_DOCUMENTS: usize = 3;
/// Documents' worth of the portfolio's spread in a customer's own (the recent move).
const SPREAD_PRIOR: f64 = 4.0;
/// How far a month habit may move a date (days): half a month, so that every date has a day
/// of the habit within reach, as every date has its weekday within three days. (At 10 days, a
/// date between two payment runs stayed where it was: on a day the customer never pays.)
const MONTH_HABIT_REACH: i64 = 15;

/// One settled document, as a payment habit sees it.
struct Settlement {
    date: Date,
    /// Its due date plus the customer's typical days late.
    expected: Date,
    weight: f64,
}

/// Whether a habit (`on`: the days it pays on, `even`: their share of an even spread) is the
/// customer's own and not its due dates': of the settlements its due dates plus its typical
/// days late would have put off those days, most (shrunk toward an even spread) were paid on
/// them all the same. A customer that invoices on the 1st and pays 10 days after the due date
/// settles around the 10th, but an invoice dated the 10th is paid 10 days after its due date,
/// not moved to the 10th; one with a payment run pays on it whenever its invoices fall due.
fn beyond_due_dates(settlements: &[Settlement], even: f64, on: impl Fn(Date) -> bool) -> bool {
    let (mut off, mut paid_on) = (0.0, 0.0);
    for s in settlements.iter().filter(|s| !on(s.expected)) {
        off += s.weight;
        if on(s.date) {
            paid_on += s.weight;
        }
    }
    (paid_on + HABIT_PRIOR * even) / (off + HABIT_PRIOR) > HABIT_BEYOND_DUE_DATES
}

/// One open document's predicted payment date.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// The document's key (`did`).
    pub key: i64,
    pub date: Date,
    /// The model's own date, before any promise had its say.
    pub model_date: Date,
    /// One line for people: "usually pays 12 days late; disputed".
    pub reason: String,
    /// The model's probability that the document is paid after its due date (uncalibrated;
    /// 1 once it is due and unpaid).
    pub p_late: f64,
    /// An open promise decided the date (or held it back).
    pub promised: bool,
    /// The customer has little history (this many paid): the reason starts with
    /// [`little_history_reason`] of the model's date, to be told again of a date the
    /// self-check moves.
    pub little_history: Option<usize>,
}

/// A fitted model: settings, the portfolio prior and the as-of date.
#[derive(Debug, Clone)]
pub struct Model {
    pub config: ModelConfig,
    pub prior: Prior,
    pub as_of: Date,
}

/// When in the month a customer pays: five consecutive days counted from the turn of the
/// month (`first` = 0 is the 1st, −1 the last day of the previous month), and the day of the
/// month its payments in them fall on most (what the reason names: the 25th is −7 in a
/// 31-day month but −6 in a 30-day one, so the stretch alone does not say which day it is).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthHabit {
    pub first: i64,
    pub day: u32,
}

/// A customer's payment behaviour as of the model's date.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Settled documents on record.
    pub settled_count: usize,
    /// Open documents paid (or credited) in part: a customer with none settled but some of
    /// these has paid, only no document in full ([`no_history_reason`]).
    pub partly_paid: usize,
    /// The median days late of the customers it is shrunk toward (its group, or all).
    pub prior_late: f64,
    /// The customer's own curve of normalised days late (settled and open documents).
    pub survival: Survival,
    /// How much of the customer's own evidence lies beyond a number of days.
    pub at_risk: AtRisk,
    /// Median normalised days late, shrunk toward its peers'.
    pub typical_late: f64,
    /// Documents' worth of its peers in its curve (see [`super::prior::Strength`]).
    pub prior_weight: f64,
    /// Recent minus older median days late (0 when either side has too few documents).
    pub trend: f64,
    /// Days the customer's predictions move toward its recent level.
    pub shift: f64,
    /// The customer's median amount, to class its documents.
    pub scale: AmountScale,
    /// The weekday the customer (nearly) always pays on, if any.
    pub weekday: Option<Weekday>,
    /// The time of the month the customer (nearly) always pays at, if any.
    pub month: Option<MonthHabit>,
}

impl Profile {
    /// `date` moved to the customer's payment habit (the nearest day of its payment run, or
    /// of its time of the month), never before `earliest`.
    pub fn on_habit(&self, date: Date, earliest: Date) -> Date {
        let date = if let Some(weekday) = self.weekday {
            nearest_weekday(date, weekday, earliest)
        } else if let Some(month) = self.month {
            nearest_in_month(date, month, earliest)
        } else {
            date
        };
        date.max(earliest)
    }
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

    /// The customer's profile: its curve, typical days late, recent level and habits.
    pub fn profile(&self, h: &CustomerHistory) -> Profile {
        let scale = AmountScale::of(h);
        let chances = self.prior.chances_for(h, self.as_of, &self.config, scale);
        let mut obs = customer_observations(
            h,
            self.as_of,
            &self.config,
            &self.prior.adjustments,
            scale,
            &chances,
        );
        let curves = self.prior.curves_for(h);
        let prior_weight = self.prior.strength.weight_for(&obs, curves.median_late);
        let typical_late = location(&obs, &curves.pseudo, prior_weight, curves.median_late);
        let at_risk = AtRisk::new(&obs);
        let survival = Survival::kaplan_meier(&mut obs);
        let (trend, shift) = self.recent_move(h, scale, typical_late, &chances);
        let weekday = self.weekday_habit(h, typical_late);
        Profile {
            settled_count: h.settled.len(),
            partly_paid: partly_paid(h),
            prior_late: curves.median_late,
            survival,
            at_risk,
            typical_late,
            prior_weight,
            trend,
            shift,
            scale,
            month: weekday
                .is_none()
                .then(|| self.month_habit(h, typical_late))
                .flatten(),
            weekday,
        }
    }

    /// The blend a document's days late are read from: the customer's own curve, weighted
    /// by its evidence beyond `after`, and the portfolio's residual curve placed at the
    /// customer's typical days late, weighted like the prior (or the residual weight the
    /// self-check chose, when more: see [`ModelConfig::residual_weight`]). What the customer's own curve
    /// leaves open (documents still unpaid past its last observation) is paid as the
    /// residual curve says beyond that point, or, past what the portfolio can speak for, at
    /// the rate its latest documents get paid.
    fn parts<'a>(&'a self, h: &CustomerHistory, p: &'a Profile, after: f64) -> [Part<'a>; 2] {
        let curves = self.prior.curves_for(h);
        let supported =
            |t: f64| curves.residual_support.weight_beyond(t - p.typical_late) >= MIN_TAIL_SUPPORT;
        // The far tail from `from` on (or from the document's days late, when later): at the
        // rate of the documents that late, as many as there are (see `Curves::tail_rate_beyond`).
        let exp = |from: f64| {
            let from = from.max(after);
            Tail::Exp {
                from,
                rate: curves.tail_rate_beyond(from - p.typical_late),
            }
        };
        let tail = |last: f64| {
            if supported(last) {
                Tail::Curve {
                    curve: &curves.residuals,
                    offset: p.typical_late,
                    after: last,
                }
            } else {
                exp(last)
            }
        };
        // The portfolio's side: its residual curve placed at the customer's typical days late
        // where it has support; else (a small or young portfolio) the shape of its whole
        // curve, moved from its median to the customer's typical; past its end, its rate.
        let tail_from = |c: &Survival, offset: f64| c.last_event().map(|t| exp(t + offset));
        let prior = if supported(after) {
            Part {
                curve: &curves.residuals,
                offset: p.typical_late,
                weight: self.residual_weight(p),
                tail: tail_from(&curves.residuals, p.typical_late),
            }
        } else {
            let offset = p.typical_late - curves.median_late;
            Part {
                curve: &curves.survival,
                offset,
                weight: self.residual_weight(p),
                tail: tail_from(&curves.survival, offset),
            }
        };
        [
            Part {
                curve: &p.survival,
                offset: 0.0,
                weight: p.at_risk.weight_beyond(after),
                tail: p.at_risk.last().map(tail),
            },
            prior,
        ]
    }

    /// Documents' worth of the portfolio's side in the customer's blend: its prior weight,
    /// or the settings' residual weight when that is more.
    fn residual_weight(&self, p: &Profile) -> f64 {
        self.config
            .residual_weight
            .map_or(p.prior_weight, |w| w.max(p.prior_weight))
    }

    /// The median normalised days late of a document given it is later than `after`.
    fn conditional_late(&self, h: &CustomerHistory, p: &Profile, after: f64) -> f64 {
        let parts = self.parts(h, p, after);
        blended_conditional_median(&parts, after, HORIZON_DAYS).unwrap_or_else(|| {
            // Counted from the due date for a document not yet due.
            let from = after.max(0.0);
            let rate = self
                .prior
                .curves_for(h)
                .tail_rate_beyond(from - p.typical_late);
            from + std::f64::consts::LN_2 / rate
        })
    }

    /// A disputed document's days late and probability of being paid late, from the
    /// ledger's curve of dispute delays placed at `otherwise` (the days late it would have
    /// been paid without the dispute), given it is unpaid `overdue` days after its due date;
    /// `None` without such a curve.
    fn dispute_late(&self, otherwise: f64, overdue: f64) -> Option<(f64, f64)> {
        let curve = self.prior.dispute.as_ref()?;
        let part = [Part {
            curve: &curve.residuals,
            offset: otherwise,
            weight: 1.0,
            tail: curve.residuals.last_event().map(|t| {
                let from = (t + otherwise).max(overdue);
                Tail::Exp {
                    from,
                    rate: curve.tail_rate_beyond(from - otherwise),
                }
            }),
        }];
        let late = blended_conditional_median(&part, overdue, HORIZON_DAYS)?;
        let p_late = if overdue >= 0.0 {
            1.0
        } else {
            blended_conditional_survival(&part, overdue, 0.0).unwrap_or(1.0)
        };
        Some((late, p_late))
    }

    /// The probability that a document is paid later than `x` normalised days late, given
    /// it is later than `after`.
    fn conditional_beyond(&self, h: &CustomerHistory, p: &Profile, after: f64, x: f64) -> f64 {
        let parts = self.parts(h, p, after);
        blended_conditional_survival(&parts, after, x).unwrap_or(1.0)
    }

    /// The probability that a new document of the customer's usual kind is paid after its
    /// due date.
    pub fn p_late_new(&self, h: &CustomerHistory, p: &Profile) -> f64 {
        self.conditional_beyond(h, p, -1e6, -p.shift)
    }

    /// On a ledger without dispute history (see [`super::prior::Latent`]): each of the
    /// customer's settled documents not known to be disputed, with its chance of having
    /// been disputed; empty elsewhere.
    pub fn dispute_chances(&self, h: &CustomerHistory) -> Vec<(i64, f64)> {
        if self.prior.adjustments.latent.is_none() {
            return Vec::new();
        }
        let chances = self
            .prior
            .chances_for(h, self.as_of, &self.config, AmountScale::of(h));
        h.settled
            .iter()
            .filter(|s| !s.disputed)
            .map(|s| s.key)
            .zip(chances.iter().copied())
            .collect()
    }

    /// The customer's move toward its recent level: (recent − older median days late of its
    /// undisputed settled documents, the days its predictions move). The move is the recent
    /// median less its typical days late, kept in the measure its evidence allows: a
    /// non-negative garrote on the recent-vs-older change against its sampling variance,
    /// which shrinks as documents accumulate on both sides.
    fn recent_move(
        &self,
        h: &CustomerHistory,
        scale: AmountScale,
        typical: f64,
        chances: &[f64],
    ) -> (f64, f64) {
        let split = self.as_of - chrono::Duration::days(self.config.recent_days);
        let adjustments = &self.prior.adjustments;
        let plain: Vec<(f64, f64, Date)> = h
            .settled
            .iter()
            .filter(|s| !s.disputed)
            .map(|s| {
                let late =
                    days(s.due_date, s.settled) - adjustments.days(false, scale.class(s.amount));
                (late, self.config.weight(s.settled, self.as_of), s.settled)
            })
            .collect();
        // On a ledger without dispute history, each payment less its expected dispute delay.
        let values: Vec<(f64, Date)> = match adjustments.latent {
            Some(latent) => plain
                .iter()
                .zip(chances)
                .map(|(&(t, _, date), p)| (t - p * latent.delay, date))
                .collect(),
            None => plain.iter().map(|&(t, _, date)| (t, date)).collect(),
        };
        let (mut recent, mut older) = (Vec::new(), Vec::new());
        for (late, date) in values {
            if date > split {
                recent.push(late);
            } else {
                older.push(late);
            }
        }
        if recent.len() < MIN_MOVE_DOCUMENTS || older.len() < MIN_MOVE_DOCUMENTS {
            return (0.0, 0.0);
        }
        let (n_recent, n_older) = (recent.len() as f64, older.len() as f64);
        let mut all: Vec<f64> = recent.iter().chain(&older).copied().collect();
        let own = super::stats::robust_sd(&mut all).unwrap_or(self.prior.spread);
        let n = all.len() as f64;
        let spread2 = (n * own * own + SPREAD_PRIOR * self.prior.spread * self.prior.spread)
            / (n + SPREAD_PRIOR);
        let (Some(r), Some(o)) = (median(&mut recent), median(&mut older)) else {
            return (0.0, 0.0);
        };
        let change = r - o;
        let variance = FRAC_PI_2 * spread2 * (1.0 / n_recent + 1.0 / n_older);
        let kept = if change.abs() > 1e-9 {
            (1.0 - MOVE_THRESHOLD * variance / (change * change)).max(0.0)
        } else {
            0.0
        };
        let max = self.config.max_trend_days;
        let shift = (self.config.trend_weight * kept * (r - typical)).clamp(-max, max);
        (change, shift)
    }

    /// The customer's settlements, when it has enough: each one's date, the date its due
    /// date plus the customer's typical days late (`lag`) would have put it on, and its
    /// recency weight.
    fn settlement_weights(&self, h: &CustomerHistory, lag: f64) -> Option<Vec<Settlement>> {
        (h.settled.len() >= self.config.weekday_min_count).then(|| {
            h.settled
                .iter()
                .map(|s| Settlement {
                    date: s.settled,
                    expected: add_days(s.due_date, lag.round() as i64),
                    weight: self.config.weight(s.settled, self.as_of),
                })
                .collect()
        })
    }

    /// The weekday most of the customer's settlements fall on, when they nearly all do (the
    /// share shrunk toward an even week) and not only because their due dates plus its
    /// typical days late do (see [`beyond_due_dates`]).
    fn weekday_habit(&self, h: &CustomerHistory, lag: f64) -> Option<Weekday> {
        let settlements = self.settlement_weights(h, lag)?;
        let mut weights = [0.0f64; 7];
        for s in &settlements {
            weights[s.date.weekday().num_days_from_monday() as usize] += s.weight;
        }
        let total: f64 = weights.iter().sum();
        let (best, weight) = weights
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))?;
        let share = (weight + HABIT_PRIOR / 7.0) / (total + HABIT_PRIOR);
        let weekday = Weekday::try_from(best as u8).ok()?;
        (total > 0.0
            && share >= self.config.weekday_min_share
            && beyond_due_dates(&settlements, 1.0 / 7.0, |d| d.weekday() == weekday))
        .then_some(weekday)
    }

    /// The five-day stretch of the month most of the customer's settlements fall in, when
    /// they nearly all do (the share shrunk toward an even month) and not only because their
    /// due dates plus its typical days late do (see [`beyond_due_dates`]).
    fn month_habit(&self, h: &CustomerHistory, lag: f64) -> Option<MonthHabit> {
        let settlements = self.settlement_weights(h, lag)?;
        // Days from the turn of the month: −16 … 14.
        let mut weights = [0.0f64; 31];
        for s in &settlements {
            weights[(month_position(s.date) + 16) as usize] += s.weight;
        }
        let total: f64 = weights.iter().sum();
        let (first, weight) = (0..27)
            .map(|i| (i as i64 - 16, weights[i..i + 5].iter().sum::<f64>()))
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let share = (weight + HABIT_PRIOR * 5.0 / 31.0) / (total + HABIT_PRIOR);
        let within = |d: Date| (first..first + 5).contains(&month_position(d));
        if !(total > 0.0
            && share >= self.config.weekday_min_share
            && beyond_due_dates(&settlements, 5.0 / 31.0, within))
        {
            return None;
        }
        let mut by_day = [0.0f64; 32];
        for s in settlements.iter().filter(|s| within(s.date)) {
            by_day[s.date.day() as usize] += s.weight;
        }
        let day = (1..32).max_by(|&a, &b| by_day[a].total_cmp(&by_day[b]))? as u32;
        Some(MonthHabit { first, day })
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
        let shift = p.shift;
        let overdue = days(doc.due_date, self.as_of);
        let after = overdue - adj - shift;
        let disputed = doc
            .disputed
            .then(|| self.dispute_late(p.typical_late + size_adj + shift, overdue))
            .flatten();
        let (late, p_late) = match disputed {
            Some(found) => found,
            None => {
                let late = self.conditional_late(h, p, after) + adj + shift;
                let p_late = if overdue >= 0.0 {
                    1.0
                } else {
                    self.conditional_beyond(h, p, after, -adj - shift)
                };
                (late, p_late)
            }
        };
        let earliest = self.as_of + Days::new(1);
        let date = p.on_habit(add_days(doc.due_date, late.round() as i64), earliest);

        let mut reasons = vec![self.history_reason(p, days(doc.due_date, date))];
        if let Some(weekday) = p.weekday {
            reasons.push(format!("pays on {}s", weekday_name(weekday)));
        } else if let Some(month) = p.month {
            reasons.push(month_reason(month));
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
        let model_date = date;
        let (date, promise_reason) = apply_promise(date, promise, h, earliest);
        reasons.extend(promise_reason.clone());
        Prediction {
            key: doc.key,
            date,
            model_date,
            reason: reasons.join("; "),
            p_late,
            promised: promise_reason.is_some(),
            little_history: self.little_history(p),
        }
    }

    /// "usually pays 12 days late", or what the prior says when there is little history
    /// (then with the document's own expected days late, `late`: its date less its due
    /// date).
    fn history_reason(&self, p: &Profile, late: f64) -> String {
        if let Some(paid) = self.little_history(p) {
            little_history_reason(paid, late)
        } else if p.settled_count >= self.config.min_history {
            format!("usually pays {}", describe_late(p.typical_late))
        } else {
            no_history_reason(p.partly_paid, p.prior_late)
        }
    }

    /// How many documents the customer paid, when they are too few to speak of its habit
    /// (but some).
    fn little_history(&self, p: &Profile) -> Option<usize> {
        (p.settled_count > 0 && p.settled_count < self.config.min_history)
            .then_some(p.settled_count)
    }
}

/// How many of the customer's open documents are paid (or credited) in part.
pub fn partly_paid(h: &CustomerHistory) -> usize {
    h.open.iter().filter(|d| d.balance < d.amount).count()
}

/// What the prior (`prior_late`, the days late of the customers it is like) says of a
/// customer without a document settled: "no payment history; customers typically pay 9 days
/// late", or, when it has paid part of `partly_paid` documents, "no document paid in full
/// yet (1 partly paid); …" (only documents paid in full make a habit; a customer paying one
/// invoice in 400 instalments was said to have no payment history).
pub fn no_history_reason(partly_paid: usize, prior_late: f64) -> String {
    let history = match partly_paid {
        0 => "no payment history".to_string(),
        n => format!("no document paid in full yet ({n} partly paid)"),
    };
    format!(
        "{history}; customers typically pay {}",
        describe_late(prior_late)
    )
}

/// "little history (2 paid); expect 9 days late": a customer's few payments, and what they
/// make of one document (`late`: its date less its due date).
pub fn little_history_reason(paid: usize, late: f64) -> String {
    format!(
        "little history ({paid} paid); expect {}",
        describe_late(late)
    )
}

/// An open promise's say on a predicted date: its date (never before `earliest`), unless
/// the customer broke more promises than it kept — then the later of the two. Returns the
/// date and the reason to add, if a promise applies.
pub fn apply_promise(
    date: Date,
    promise: Option<Date>,
    h: &CustomerHistory,
    earliest: Date,
) -> (Date, Option<String>) {
    let Some(pd) = promise else {
        return (date, None);
    };
    if h.broken_promises > h.kept_promises {
        (
            date.max(pd).max(earliest),
            Some(format!(
                "promised for {pd}, but {} of {} promises broken",
                h.broken_promises,
                h.broken_promises + h.kept_promises
            )),
        )
    } else {
        (pd.max(earliest), Some(format!("promised for {pd}")))
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

/// Days from the turn of the month: 0 on the 1st, −1 on the last day of a month; −16 … 14.
fn month_position(date: Date) -> i64 {
    let day = i64::from(date.day());
    if day <= 15 {
        day - 1
    } else {
        day - days_in_month(date) - 1
    }
}

fn days_in_month(date: Date) -> i64 {
    let first = date.with_day(1).unwrap_or(date);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    (next - first).num_days()
}

/// The date nearest to `date` (within [`MONTH_HABIT_REACH`] days) whose place in the month
/// is within the habit's five days, not before `earliest`; `date` when there is none.
fn nearest_in_month(date: Date, habit: MonthHabit, earliest: Date) -> Date {
    let within = |d: Date| (habit.first..habit.first + 5).contains(&month_position(d));
    (0..=MONTH_HABIT_REACH)
        .flat_map(|k| [add_days(date, -k), add_days(date, k)])
        .find(|&d| d >= earliest && within(d))
        .unwrap_or(date)
}

/// "pays around the turn of the month", "pays around the 10th", "pays around the 20th",
/// "pays near the end of the month" (only for its last few days: a habit in the second half
/// of the month is named by its day, counted in a month of 31 days).
fn month_reason(habit: MonthHabit) -> String {
    match habit.first + 2 {
        -2..=1 => "pays around the turn of the month".into(),
        -4..=-3 => "pays near the end of the month".into(),
        _ => format!("pays around the {}", ordinal(i64::from(habit.day))),
    }
}

fn ordinal(n: i64) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
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
/// document, else a customer-wide promise. A promise gives its date only to the documents it
/// pays off whole: a document settles with its last payment, so one the promise pays only in
/// part is not settled on the promise's date (and a promise of 1 does not move 1,000 of
/// expected cash).
///
/// A promise naming documents is set against them, oldest due first, until one is more than
/// what is left of it (the latest recorded of two naming one document decides). A
/// customer-wide promise is set against the customer's other undisputed documents, oldest due
/// first; the first it cannot pay off whole takes what is left, and later promises go on from
/// there. A document in the promise's own currency is set against it in that currency
/// ([`CustomerPromise::asked_by`]).
pub fn promise_dates(h: &CustomerHistory) -> Vec<Option<Date>> {
    let mut dates: Vec<Option<Date>> = vec![None; h.open.len()];
    let oldest_first = |order: &mut Vec<usize>| {
        order.sort_by_key(|&i| (h.open[i].due_date, h.open[i].key));
    };
    for p in h.promises.iter().filter(|p| !p.documents.is_empty()) {
        let mut named: Vec<usize> = (0..h.open.len())
            .filter(|&i| p.documents.contains(&h.open[i].key))
            .collect();
        oldest_first(&mut named);
        let mut left = p.own_amount;
        for i in named {
            let asked = p.asked_by(&h.open[i]);
            if left < asked {
                break;
            }
            left -= asked;
            dates[i] = Some(p.date);
        }
    }
    if h.promises.iter().all(|p| !p.documents.is_empty()) {
        return dates;
    }
    let mut order: Vec<usize> = (0..h.open.len())
        .filter(|&i| dates[i].is_none() && !h.open[i].disputed)
        .collect();
    oldest_first(&mut order);
    let mut promises: Vec<&CustomerPromise> = h
        .promises
        .iter()
        .filter(|p| p.documents.is_empty())
        .collect();
    promises.sort_by_key(|p| p.date);
    let mut next = order.into_iter().peekable();
    // The share of the document next in line that earlier promises paid (a share: two
    // promises may be in two currencies).
    let mut paid = Decimal::ZERO;
    for p in promises {
        let mut left = p.own_amount;
        while let Some(&i) = next.peek() {
            let whole = p.asked_by(&h.open[i]);
            let owed = whole * (Decimal::ONE - paid);
            if left < owed {
                if whole > Decimal::ZERO {
                    paid += left / whole;
                }
                break;
            }
            dates[i] = Some(p.date);
            left -= owed;
            paid = Decimal::ZERO;
            next.next();
        }
    }
    dates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::parse_iso;

    #[test]
    fn places_in_the_month_count_from_its_turn() {
        let d = |s| parse_iso(s).unwrap();
        assert_eq!(month_position(d("2026-03-01")), 0);
        assert_eq!(month_position(d("2026-03-15")), 14);
        assert_eq!(month_position(d("2026-03-31")), -1);
        assert_eq!(month_position(d("2026-02-28")), -1);
        assert_eq!(month_position(d("2026-02-16")), -13);
        // Paying from the 29th to the 2nd: a date of the 8th moves back to the 2nd.
        let habit = MonthHabit { first: -3, day: 31 };
        assert_eq!(
            nearest_in_month(d("2026-04-08"), habit, d("2026-03-01")),
            d("2026-04-02")
        );
        // … unless that is before the earliest date, and the next turn is out of reach.
        assert_eq!(
            nearest_in_month(d("2026-04-08"), habit, d("2026-04-05")),
            d("2026-04-08")
        );
        assert_eq!(month_reason(habit), "pays around the turn of the month");
        assert_eq!(
            month_reason(MonthHabit { first: 8, day: 11 }),
            "pays around the 11th"
        );
    }

    #[test]
    fn a_habit_in_the_second_half_of_the_month_is_named_by_its_day() {
        // The 18th to the 22nd of a 31-day month: positions −14 … −10. The last days of the
        // month, and across its turn, keep their names.
        for (first, day, said) in [
            (-14, 20, "pays around the 20th"),
            (-16, 18, "pays around the 18th"),
            (-9, 25, "pays around the 25th"),
            (-6, 28, "pays near the end of the month"),
            (-4, 30, "pays around the turn of the month"),
        ] {
            assert_eq!(month_reason(MonthHabit { first, day }), said, "{first}");
        }
    }
}
