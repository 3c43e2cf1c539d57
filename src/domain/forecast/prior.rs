//! What the portfolio as a whole says at the as-of date: the effects every customer shares
//! (disputes, unusual amounts), how strongly a customer's own history is shrunk toward its
//! peers, and the curves a customer with little history is shrunk toward.
//!
//! Every effect is *measured* on the loaded ledger and shrunk toward a neutral prior, with a
//! pull that fades as the evidence grows (a normal prior of mean zero and a stated standard
//! deviation, against the standard error of the measurement):
//!
//! | effect | measured as | prior |
//! | --- | --- | --- |
//! | dispute delay | median of disputed documents' days late minus their customer's median over its undisputed ones (from their Kaplan–Meier curve, open disputes as still running, once 30 are settled: [`DisputeCurve`]) | 0 days, sd 20 |
//! | amount class | the same for documents of each amount class (against the customer's median amount) | 0 days, sd 3 |
//! | prior strength | a customer's own spread² ÷ the between-customer variance of days late (empirical Bayes), less for a customer far from its peers (Student t, [`PRIOR_TAIL`] degrees of freedom), in documents | — |
//!
//! No prior comes from a generator's settings: zero is "no effect", and the standard
//! deviations only say how far a handful of documents may move it (a few days for amounts,
//! a few weeks for disputes).
//!
//! **A ledger without dispute history.** When disputes are recorded only while open (the
//! ledger's recent documents are disputed at some rate, but its settled ones almost never
//! say so), a settled document may have been disputed without saying it. Then the dispute
//! delay and each settled document's chance of having been disputed are estimated together
//! ([`Latent`]): each customer's days late are a mixture of its plain payments and the same
//! moved by the delay, with the customer's share of disputes shrunk toward the share among
//! the portfolio's recent documents. The delay is the one that explains the payments best
//! (by likelihood, against no delay at all); a ledger whose payments show no such second
//! bump gets none.

use super::model::ModelConfig;
use super::stats::{AtRisk, Obs, Survival, median, robust_sd, weighted_median, weighted_quantile};
use super::{CustomerHistory, days, par_map};
use crate::domain::{Date, Decimal};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use std::f64::consts::FRAC_PI_2;

/// Upper bounds of the amount classes, in ln(amount ÷ the customer's median amount):
/// under half, half to ¾, usual (¾ to 1⅓), up to twice, up to 3⅓ times, more.
const SIZE_BOUNDS: [f64; 5] = [-0.7, -0.25, 0.25, 0.7, 1.2];
/// Number of amount classes.
pub const SIZE_CLASSES: usize = SIZE_BOUNDS.len() + 1;
/// The class of usual amounts (never adjusted).
const USUAL_CLASS: usize = 2;
/// Documents a customer needs before its amounts are classed.
const MIN_DOCUMENTS_FOR_SIZE: usize = 4;
/// Probabilities at which the prior's pseudo-observations sit. The far tail is left out:
/// it is made of documents in collection, not of anyone's payment rhythm.
const PSEUDO_QUANTILES: [f64; 9] = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85];

/// Days late of the pseudo-documents every portfolio curve starts from: before any
/// evidence, customers pay on the due date, give or take two days (a handful of documents'
/// worth, which a real portfolio outweighs at once).
const HYPERPRIOR: [f64; 6] = [-2.0, -1.0, 0.0, 0.0, 1.0, 2.0];

/// Prior standard deviation of an amount class's extra days late (mean 0).
pub const AMOUNT_PRIOR_SD: f64 = 3.0;
/// Prior standard deviation of the dispute delay (mean 0).
pub const DISPUTE_PRIOR_SD: f64 = 20.0;
/// Spread of days late assumed within a customer before the ledger shows any.
const DEFAULT_SPREAD: f64 = 5.0;
/// Bounds on the prior's strength, in documents.
const PRIOR_WEIGHT_RANGE: (f64, f64) = (0.5, 10.0);
/// Settled documents a customer needs to count in the spreads behind the prior's strength.
const MIN_SETTLED_FOR_SPREAD: usize = 4;

/// `estimate` (a median of `n` values of spread `spread`) shrunk toward 0 under a normal
/// prior of standard deviation `prior_sd`: the pull fades as `n` grows.
pub fn shrink(estimate: f64, n: usize, spread: f64, prior_sd: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let variance = FRAC_PI_2 * spread * spread / n as f64;
    let prior = prior_sd * prior_sd;
    estimate * prior / (prior + variance)
}

/// A customer's median document amount, against which its documents are classed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AmountScale(Option<Decimal>);

impl AmountScale {
    /// The median amount of the customer's documents, when it has enough of them.
    pub fn of(h: &CustomerHistory) -> AmountScale {
        let mut amounts: Vec<Decimal> = h
            .settled
            .iter()
            .map(|s| s.amount)
            .chain(h.open.iter().map(|o| o.amount))
            .collect();
        if amounts.len() < MIN_DOCUMENTS_FOR_SIZE {
            return AmountScale(None);
        }
        amounts.sort();
        AmountScale(Some(amounts[amounts.len() / 2]).filter(|m| *m > Decimal::ZERO))
    }

    /// The amount class of a document of `amount` (the usual class when unknown).
    pub fn class(&self, amount: Decimal) -> usize {
        let Some(ratio) = self.0.and_then(|m| (amount / m).to_f64()) else {
            return USUAL_CLASS;
        };
        if ratio <= 0.0 {
            return 0;
        }
        let log = ratio.ln();
        SIZE_BOUNDS.iter().take_while(|&&b| log > b).count()
    }
}

/// Whether an amount class is above the usual one.
pub fn is_above_usual(class: usize) -> bool {
    class > USUAL_CLASS
}

/// The measured effects, in days late.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustments {
    /// Extra days late of a disputed document.
    pub dispute_days: f64,
    /// Disputed settled documents behind `dispute_days` (0: the prior, or [`Latent`]).
    pub dispute_evidence: usize,
    /// Extra days late by amount class.
    pub size_days: [f64; SIZE_CLASSES],
    /// Disputes the ledger did not record on its settled documents, when it keeps no
    /// dispute history.
    pub latent: Option<Latent>,
}

impl Adjustments {
    /// The days to add for a document (to subtract to normalise one).
    pub fn days(&self, disputed: bool, size_class: usize) -> f64 {
        let dispute = if disputed { self.dispute_days } else { 0.0 };
        dispute + self.size_days.get(size_class).copied().unwrap_or(0.0)
    }
}

/// A customer's normalised observations: settled documents (days late minus their
/// adjustments, weighted by recency) and open ones overdue by at most the censoring cap
/// (censored at their days overdue minus their adjustments, weight 1). On a ledger without
/// dispute history, a settled document not known to be disputed counts partly as a plain
/// payment and partly as a disputed one, by its chance of having been disputed.
pub fn customer_observations(
    h: &CustomerHistory,
    as_of: Date,
    config: &ModelConfig,
    adjustments: &Adjustments,
    scale: AmountScale,
    chances: &[f64],
) -> Vec<Obs> {
    let mut obs = Vec::with_capacity(h.settled.len() + h.open.len());
    let mut unlabelled = chances.iter();
    for s in &h.settled {
        let size = adjustments.days(false, scale.class(s.amount));
        let late = days(s.due_date, s.settled) - size;
        let weight = config.weight(s.settled, as_of);
        if s.disputed {
            obs.push(Obs::settled(late - adjustments.dispute_days, weight));
        } else if let (Some(latent), Some(&p)) = (adjustments.latent, unlabelled.next()) {
            obs.push(Obs::settled(late, weight * (1.0 - p)));
            obs.push(Obs::settled(late - latent.delay, weight * p));
        } else {
            obs.push(Obs::settled(late, weight));
        }
    }
    for o in &h.open {
        let overdue = days(o.due_date, as_of);
        if overdue <= config.censor_cap_days {
            let late = overdue - adjustments.days(o.disputed, scale.class(o.amount));
            obs.push(Obs::open(late, 1.0));
        }
    }
    obs
}

/// On a ledger without dispute history: the chance that each of the customer's settled
/// documents not known to be disputed (in order) was disputed (see [`Latent::labels`]);
/// empty elsewhere.
pub fn latent_chances(
    h: &CustomerHistory,
    as_of: Date,
    config: &ModelConfig,
    adjustments: &Adjustments,
    scale: AmountScale,
) -> Vec<f64> {
    let Some(latent) = adjustments.latent else {
        return Vec::new();
    };
    let values: Vec<(f64, f64)> = h
        .settled
        .iter()
        .filter(|s| !s.disputed)
        .map(|s| {
            let late = days(s.due_date, s.settled) - adjustments.days(false, scale.class(s.amount));
            (late, config.weight(s.settled, as_of))
        })
        .collect();
    latent.labels(&values).0
}

/// A customer's typical (median) normalised days late: the median of its observations
/// together with the prior's pseudo-observations of total weight `prior_weight`.
pub fn location(obs: &[Obs], pseudo: &[f64], prior_weight: f64, fallback: f64) -> f64 {
    let pseudo_weight = prior_weight / pseudo.len().max(1) as f64;
    let mut all: Vec<Obs> = obs.to_vec();
    all.extend(pseudo.iter().map(|&d| Obs::settled(d, pseudo_weight)));
    Survival::kaplan_meier(&mut all)
        .median()
        .unwrap_or(fallback)
}

/// Settled documents a customer needs before its residuals join the portfolio's.
const MIN_SETTLED_FOR_RESIDUALS: usize = 5;
/// Settled documents a group of customers needs before it gets curves of its own.
const MIN_GROUP_SETTLED: usize = 200;
/// Residual observations a group needs before its residual curve replaces the portfolio's.
const MIN_GROUP_RESIDUALS: usize = 100;

/// The curves of a set of customers (the portfolio, or a group sharing how they pay).
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    /// Their curve of normalised days late (settled and open documents).
    pub survival: Survival,
    /// Their curve of *residuals*: normalised days late minus each customer's typical days
    /// late, over customers with enough history. It is the shape of a customer's surprises:
    /// what a document already later than usual tends to do next.
    pub residuals: Survival,
    /// Quantiles of `survival`, the pseudo-observations that shrink each customer's typical
    /// days late toward theirs.
    pub pseudo: Vec<f64>,
    /// Their median days late.
    pub median_late: f64,
    /// How many residual observations lie beyond a point (unweighted): where `residuals`
    /// has too little support, it is not trusted.
    pub residual_support: AtRisk,
    /// Residual observations behind `residuals`.
    residual_count: usize,
    /// The daily rate at which what is still open far past a customer's typical gets paid,
    /// as measured where the ledger has documents that late (see `tail_rate`); read it
    /// through [`Curves::tail_rate_beyond`].
    pub tail_rate: f64,
}

impl Curves {
    /// The daily rate at which what is still open `residual` days past a customer's typical
    /// gets paid (see [`shrunk_tail_rate`]).
    pub fn tail_rate_beyond(&self, residual: f64) -> f64 {
        shrunk_tail_rate(
            self.tail_rate,
            self.residual_support.weight_beyond(residual),
        )
    }

    /// The curves of the customers `members` (indices into `histories` / `observations`).
    fn fit(
        histories: &[CustomerHistory],
        observations: &[Vec<Obs>],
        members: &[usize],
        strength: &Strength,
    ) -> Curves {
        let mut pooled: Vec<Obs> = HYPERPRIOR.iter().map(|&d| Obs::settled(d, 1.0)).collect();
        pooled.extend(
            members
                .iter()
                .flat_map(|&i| observations[i].iter().copied()),
        );
        let survival = Survival::kaplan_meier(&mut pooled);
        let pseudo = survival.quantiles(&PSEUDO_QUANTILES);
        let median_late = survival.median().unwrap_or(0.0);
        let mut residuals: Vec<Obs> = par_map(members, |&i| {
            if histories[i].settled.len() < MIN_SETTLED_FOR_RESIDUALS {
                return Vec::new();
            }
            let obs = &observations[i];
            let weight = strength.weight_for(obs, median_late);
            let typical = location(obs, &pseudo, weight, median_late);
            obs.iter()
                .map(|o| Obs {
                    days: o.days - typical,
                    ..*o
                })
                .collect()
        })
        .concat();
        let residual_support = AtRisk::new(
            &residuals
                .iter()
                .map(|o| Obs { weight: 1.0, ..*o })
                .collect::<Vec<_>>(),
        );
        let residual_count = residuals.len();
        let residuals = Survival::kaplan_meier(&mut residuals);
        Curves {
            survival,
            residual_count,
            tail_rate: tail_rate(&residuals, &residual_support),
            residual_support,
            residuals,
            pseudo,
            median_late,
        }
    }
}

/// Residual observations a curve needs beyond a point to be trusted there.
pub const MIN_TAIL_SUPPORT: f64 = 30.0;
/// The far tail's daily payment rate before the ledger has documents that late: half of
/// what is left is paid within a month (an assumption, used only until it is measured).
const DEFAULT_TAIL_RATE: f64 = std::f64::consts::LN_2 / 30.0;

/// The rate at which documents far past their customer's typical get paid: the average
/// hazard of the residual curve over its last trusted stretch (from where 4 × the support
/// needed lies beyond, to where only the support needed does). A document later than
/// anything the ledger can speak for is predicted from it, shrunk toward the prior by how
/// many documents that late there are ([`shrunk_tail_rate`]): what is left of it is paid at
/// that rate (a survival view of the remaining time), not at a fixed date.
fn tail_rate(residuals: &Survival, support: &AtRisk) -> f64 {
    let hi = support.time_with_beyond(MIN_TAIL_SUPPORT);
    let lo = support.time_with_beyond(4.0 * MIN_TAIL_SUPPORT);
    match (lo, hi) {
        (Some(lo), Some(hi)) if hi > lo => residuals
            .hazard(lo, hi)
            .filter(|r| *r > 1e-4)
            .unwrap_or(DEFAULT_TAIL_RATE),
        _ => DEFAULT_TAIL_RATE,
    }
}

/// The far tail's rate past a point with `beyond` documents later than it: the measured
/// `rate` (from the last trusted stretch, which may lie far before that point) shrunk toward
/// the prior's month by their count, [`MIN_TAIL_SUPPORT`] documents' worth of prior. The mean
/// remaining times are averaged (a gamma prior on the rate), so that where the ledger has no
/// document that late half of what is left is paid within a month: a ledger whose documents
/// are all paid a day or two past their customer's typical says nothing about one already 100
/// days past it (it is not "paid tomorrow"), nor does one slow stretch make such a document
/// wait for years.
fn shrunk_tail_rate(rate: f64, beyond: f64) -> f64 {
    let beyond = beyond.max(0.0);
    (beyond + MIN_TAIL_SUPPORT) / (beyond / rate + MIN_TAIL_SUPPORT / DEFAULT_TAIL_RATE)
}

/// The portfolio prior.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub adjustments: Adjustments,
    /// On a ledger without dispute history, each customer's chances (by `cid`) that its
    /// settled documents not known to be disputed were (see [`latent_chances`]).
    pub chances: HashMap<i64, Vec<f64>>,
    /// How long disputes hold payments up, when the ledger has enough of them.
    pub dispute: Option<DisputeCurve>,
    /// The whole portfolio's curves.
    pub portfolio: Curves,
    /// The curves of each customer group (see [`CustomerHistory::group`]) with enough history
    /// of its own; the others use the portfolio's.
    pub groups: HashMap<String, Curves>,
    /// How many documents' worth the prior weighs in a typical customer's typical days
    /// late: measured (see [`prior_strength`]) unless the settings fix it.
    pub prior_weight: f64,
    /// The typical spread of a customer's days late around its own typical (days).
    pub spread: f64,
    /// What sets each customer's weight (see [`Strength::weight_for`]).
    pub strength: Strength,
    /// The portfolio's median days from document date to settlement (the median method's
    /// fallback for customers with no history).
    pub median_days_to_pay: f64,
    /// The portfolio's median days late (settle date − due date): the median method's days
    /// late for a customer with no history.
    pub median_days_late: f64,
}

impl Prior {
    /// Measures the prior on every customer's history as of `as_of`.
    pub fn fit(histories: &[CustomerHistory], as_of: Date, config: &ModelConfig) -> Prior {
        let scales = par_map(histories, AmountScale::of);
        let (mut adjustments, mut dispute) = measure_adjustments(histories, &scales, as_of, config);
        adjustments.latent = config
            .latent
            .or_else(|| fit_latent(histories, &scales, as_of, config, &adjustments));
        if let Some(latent) = adjustments.latent {
            adjustments.dispute_days = latent.delay;
            adjustments.dispute_evidence = 0;
            dispute = None;
        }
        let indices: Vec<usize> = (0..histories.len()).collect();
        let chances: HashMap<i64, Vec<f64>> = match adjustments.latent {
            Some(_) => histories
                .iter()
                .map(|h| h.cid)
                .zip(par_map(&indices, |&i| {
                    latent_chances(&histories[i], as_of, config, &adjustments, scales[i])
                }))
                .collect(),
            None => HashMap::new(),
        };
        let observations: Vec<Vec<Obs>> = par_map(&indices, |&i| {
            let h = &histories[i];
            let chances = chances.get(&h.cid).map_or(&[][..], Vec::as_slice);
            customer_observations(h, as_of, config, &adjustments, scales[i], chances)
        });
        let strength = Strength {
            fixed: config.prior_weight,
            ..prior_strength(&observations)
        };
        let portfolio = Curves::fit(histories, &observations, &indices, &strength);

        let mut members: HashMap<&str, (Vec<usize>, usize)> = HashMap::new();
        for (i, h) in histories.iter().enumerate() {
            if let Some(group) = h.group.as_deref() {
                let entry = members.entry(group).or_default();
                entry.0.push(i);
                entry.1 += h.settled.len();
            }
        }
        let mut groups = HashMap::new();
        if members.len() > 1 {
            for (group, (list, settled)) in members {
                if settled < MIN_GROUP_SETTLED {
                    continue;
                }
                let mut curves = Curves::fit(histories, &observations, &list, &strength);
                if curves.residual_count < MIN_GROUP_RESIDUALS {
                    curves.residuals = portfolio.residuals.clone();
                    curves.residual_support = portfolio.residual_support.clone();
                }
                groups.insert(group.to_string(), curves);
            }
        }
        let mut days_to_pay: Vec<f64> = histories
            .iter()
            .flat_map(|h| h.settled.iter().map(|s| days(s.doc_date, s.settled)))
            .collect();
        let mut days_late: Vec<f64> = histories
            .iter()
            .flat_map(|h| h.settled.iter().map(|s| days(s.due_date, s.settled)))
            .collect();
        Prior {
            adjustments,
            chances,
            dispute,
            portfolio,
            groups,
            prior_weight: strength.weight(),
            spread: strength.spread,
            strength,
            median_days_to_pay: median(&mut days_to_pay).unwrap_or(30.0),
            median_days_late: median(&mut days_late).unwrap_or(0.0),
        }
    }

    /// A customer's chances that its settled documents not known to be disputed were (see
    /// [`latent_chances`]): as measured when fitting, or measured now for a customer the
    /// prior was not fitted on.
    pub fn chances_for(
        &self,
        h: &CustomerHistory,
        as_of: Date,
        config: &ModelConfig,
        scale: AmountScale,
    ) -> std::borrow::Cow<'_, [f64]> {
        if self.adjustments.latent.is_none() {
            return std::borrow::Cow::Borrowed(&[]);
        }
        match self.chances.get(&h.cid) {
            Some(c) if c.len() == h.settled.iter().filter(|s| !s.disputed).count() => {
                std::borrow::Cow::Borrowed(c)
            }
            _ => {
                std::borrow::Cow::Owned(latent_chances(h, as_of, config, &self.adjustments, scale))
            }
        }
    }

    /// The curves a customer is shrunk toward: its group's, else the portfolio's.
    pub fn curves_for(&self, h: &CustomerHistory) -> &Curves {
        h.group
            .as_deref()
            .and_then(|g| self.groups.get(g))
            .unwrap_or(&self.portfolio)
    }
}

/// How strongly its peers pull a customer's typical days late (empirical Bayes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strength {
    /// The typical spread of days late within a customer (days).
    pub spread: f64,
    /// The variance of customers' own typical days late (days²), less sampling noise.
    pub between: f64,
    /// A fixed weight from the settings instead, in documents.
    pub fixed: Option<f64>,
}

impl Strength {
    /// The portfolio's weight in documents: within-customer variance over between-customer
    /// variance.
    pub fn weight(&self) -> f64 {
        self.fixed.unwrap_or_else(|| {
            (self.spread * self.spread / self.between)
                .clamp(PRIOR_WEIGHT_RANGE.0, PRIOR_WEIGHT_RANGE.1)
        })
    }

    /// The weight for one customer whose peers' median is `center`: its own spread (shrunk
    /// toward the typical one) over the between-customer variance — a customer that always
    /// pays alike is pulled less than an erratic one with as many documents — and less
    /// again the further its own median lies from its peers' given its evidence: customers
    /// vary around their peers with heavy tails (a Student t prior of [`PRIOR_TAIL`]
    /// degrees of freedom), so one far away with plenty of evidence is taken at its word.
    pub fn weight_for(&self, obs: &[Obs], center: f64) -> f64 {
        if let Some(w) = self.fixed {
            return w;
        }
        let mut pairs: Vec<(f64, f64)> = obs
            .iter()
            .filter(|o| o.event && o.weight > 0.0)
            .map(|o| (o.days, o.weight))
            .collect();
        let n: f64 = pairs.iter().map(|p| p.1).sum();
        let Some(own_median) = weighted_median(&mut pairs) else {
            return self.weight();
        };
        let mut dev: Vec<(f64, f64)> = pairs
            .iter()
            .map(|&(d, w)| ((d - own_median).abs(), w))
            .collect();
        let own = 1.4826 * weighted_median(&mut dev).unwrap_or(self.spread);
        let spread2 =
            (n * own * own + SPREAD_PRIOR * self.spread * self.spread) / (n + SPREAD_PRIOR);
        let weight = spread2 / self.between;
        let sampling = FRAC_PI_2 * spread2 / n.max(1e-9);
        let z2 = (own_median - center).powi(2) / (self.between + sampling);
        (weight * (PRIOR_TAIL + 1.0) / (PRIOR_TAIL + z2))
            .clamp(PRIOR_WEIGHT_RANGE.0, PRIOR_WEIGHT_RANGE.1)
    }
}

/// Degrees of freedom of the heavy-tailed prior on customers' typical days late.
pub const PRIOR_TAIL: f64 = 4.0;

/// Documents' worth of the typical spread in a customer's own.
const SPREAD_PRIOR: f64 = 4.0;

/// How strongly the portfolio pulls a customer's typical days late — empirical Bayes: the
/// within-customer variance of days late over the variance of customers' own medians (less
/// what their sampling noise explains). Where customers differ a lot and each is regular, a
/// couple of documents say who a customer is; where they are alike and each is erratic,
/// many are needed.
pub fn prior_strength(observations: &[Vec<Obs>]) -> Strength {
    let mut spreads = Vec::new();
    let mut medians = Vec::new();
    let mut weights = Vec::new();
    for obs in observations {
        let mut pairs: Vec<(f64, f64)> = obs
            .iter()
            .filter(|o| o.event && o.weight > 0.0)
            .map(|o| (o.days, o.weight))
            .collect();
        let weight: f64 = pairs.iter().map(|p| p.1).sum();
        if pairs.len() < MIN_SETTLED_FOR_SPREAD || weight < 1.0 {
            continue;
        }
        let Some(m) = weighted_median(&mut pairs) else {
            continue;
        };
        let mut dev: Vec<(f64, f64)> = pairs.iter().map(|&(d, w)| ((d - m).abs(), w)).collect();
        spreads.push(1.4826 * weighted_median(&mut dev).unwrap_or(0.0));
        medians.push(m);
        weights.push(weight);
    }
    let spread = median(&mut spreads)
        .filter(|s| *s > 0.0)
        .unwrap_or(DEFAULT_SPREAD)
        .max(1.0);
    let Some(between) = robust_sd(&mut medians) else {
        // Nothing to compare customers with: two documents' worth.
        return Strength {
            spread,
            between: spread * spread / 2.0,
            fixed: None,
        };
    };
    // The sampling variance of a median of n values of spread σ is about (π/2)·σ²/n.
    let sampling = weights
        .iter()
        .map(|w| FRAC_PI_2 * spread * spread / w)
        .sum::<f64>()
        / weights.len().max(1) as f64;
    // What is left once sampling noise is taken off — but never below the uncertainty of
    // that estimate itself (a variance measured on m customers is known to about
    // √(2/m) of itself): customers that look alike may still differ that much.
    let observed = between * between;
    let uncertainty = observed * (2.0 / weights.len().max(1) as f64).sqrt();
    Strength {
        spread,
        between: (observed - sampling).max(uncertainty).max(1e-6),
        fixed: None,
    }
}

/// Measures the dispute and amount effects (see the module docs).
fn measure_adjustments(
    histories: &[CustomerHistory],
    scales: &[AmountScale],
    as_of: Date,
    config: &ModelConfig,
) -> (Adjustments, Option<DisputeCurve>) {
    let mut dispute = Vec::new();
    let mut dispute_obs = Vec::new();
    let mut by_size: [Vec<f64>; SIZE_CLASSES] = Default::default();
    let mut within = Vec::new();
    for (h, scale) in histories.iter().zip(scales) {
        let mut plain: Vec<f64> = h
            .settled
            .iter()
            .filter(|s| !s.disputed)
            .map(|s| days(s.due_date, s.settled))
            .collect();
        if plain.len() < 3 {
            continue;
        }
        let Some(own) = median(&mut plain) else {
            continue;
        };
        if plain.len() >= MIN_SETTLED_FOR_SPREAD
            && let Some(sd) = robust_sd(&mut plain)
        {
            within.push(sd);
        }
        for s in &h.settled {
            let residual = days(s.due_date, s.settled) - own;
            if s.disputed {
                dispute.push(residual);
                dispute_obs.push(Obs::settled(residual, config.weight(s.settled, as_of)));
            } else {
                by_size[scale.class(s.amount)].push(residual);
            }
        }
        // Disputes still open: later than they are overdue (long ones are open longest).
        for o in h.open.iter().filter(|o| o.disputed) {
            dispute_obs.push(Obs::open(days(o.due_date, as_of) - own, 1.0));
        }
    }
    let pooled = median(&mut within)
        .filter(|s| *s > 0.0)
        .unwrap_or(DEFAULT_SPREAD)
        .max(1.0);
    // A median of residuals, shrunk toward zero by the prior; its spread is at least the
    // typical one within a customer (a handful of residuals says little about their own).
    let measured = |mut r: Vec<f64>, prior_sd: f64| {
        let n = r.len();
        let spread = robust_sd(&mut r).unwrap_or(pooled).max(pooled);
        median(&mut r).map_or(0.0, |m| shrink(m, n, spread, prior_sd))
    };
    let mut size_days = [0.0; SIZE_CLASSES];
    for (class, residuals) in by_size.into_iter().enumerate() {
        if class != USUAL_CLASS {
            size_days[class] = measured(residuals, AMOUNT_PRIOR_SD);
        }
    }
    let evidence = dispute.len();
    let curve = (evidence >= MIN_DISPUTE_CURVE).then(|| DisputeCurve::fit(&mut dispute_obs));
    // The delay: the median of the disputes' curve, open ones included (settled ones alone
    // would leave out the longest), else of the settled ones; shrunk by the prior.
    let dispute_days = match curve.as_ref().and_then(|c| c.residuals.median()) {
        Some(m) => {
            let mut r = dispute.clone();
            let spread = robust_sd(&mut r).unwrap_or(pooled).max(pooled);
            shrink(m, evidence, spread, DISPUTE_PRIOR_SD)
        }
        None => measured(dispute, DISPUTE_PRIOR_SD),
    };
    (
        Adjustments {
            dispute_evidence: evidence,
            dispute_days: dispute_days.max(0.0),
            size_days,
            latent: None,
        },
        curve,
    )
}

/// Disputed settled documents needed before disputes get a curve of their own.
const MIN_DISPUTE_CURVE: usize = 30;

/// How long disputes hold payments up on this ledger: the curve of a disputed document's
/// days late less its customer's median over its plain ones (settled disputes, and open ones
/// as censored), so that a dispute open for long is predicted from what long disputes did.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeCurve {
    pub residuals: Survival,
    /// Observations (unweighted) beyond a point.
    pub support: AtRisk,
    /// The rate at which disputes still open past the curve's support get paid, as
    /// measured; read it through [`DisputeCurve::tail_rate_beyond`].
    pub tail_rate: f64,
}

impl DisputeCurve {
    /// The daily rate at which disputes still open `residual` days past when they would
    /// otherwise have been paid get paid (see [`shrunk_tail_rate`]).
    pub fn tail_rate_beyond(&self, residual: f64) -> f64 {
        shrunk_tail_rate(self.tail_rate, self.support.weight_beyond(residual))
    }

    fn fit(obs: &mut [Obs]) -> DisputeCurve {
        let support = AtRisk::new(
            &obs.iter()
                .map(|o| Obs { weight: 1.0, ..*o })
                .collect::<Vec<_>>(),
        );
        let residuals = Survival::kaplan_meier(obs);
        DisputeCurve {
            tail_rate: tail_rate(&residuals, &support),
            residuals,
            support,
        }
    }
}

/// Days back the census of recent documents reaches (their disputes are still open).
const RECENT_CENSUS_DAYS: i64 = 45;
/// The older documents compared with them: dated from this many days back to this many.
const OLDER_CENSUS_DAYS: (i64, i64) = (400, 90);
/// Disputed recent documents needed before a missing dispute history is suspected.
const MIN_RECENT_DISPUTES: usize = 5;
/// A ledger whose older documents are disputed at less than this share of the rate of its
/// recent ones keeps no dispute history.
const HISTORY_RATIO: f64 = 0.25;
/// Customers sampled to choose the delay of unrecorded disputes.
const LATENT_SAMPLE: usize = 2000;
/// Delays tried (days).
const LATENT_DELAYS: [f64; 16] = [
    3.0, 5.0, 7.0, 9.0, 11.0, 13.0, 15.0, 17.0, 20.0, 24.0, 28.0, 35.0, 42.0, 50.0, 60.0, 75.0,
];
/// Documents' worth of the portfolio's share and spread in each customer's own.
const LATENT_SHARE_PRIOR: f64 = 4.0;
const LATENT_SCALE_PRIOR: f64 = 4.0;
/// Where in a customer's payments (quantiles) the estimate starts from.
const LATENT_STARTS: [f64; 3] = [0.15, 0.35, 0.5];
/// Rounds of the estimate per customer.
const LATENT_ROUNDS: usize = 8;

/// Disputes a ledger did not record on its settled documents (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Latent {
    /// The days a dispute adds.
    pub delay: f64,
    /// The share of the portfolio's recent documents disputed; each customer's own share is
    /// shrunk toward it.
    pub share: f64,
    /// The typical (Laplace) scale of a customer's days late around its typical.
    pub scale: f64,
}

fn laplace(e: f64, b: f64) -> f64 {
    (-e.abs() / b).exp() / (2.0 * b)
}

impl Latent {
    /// Each of `values`' (days late, weight) chance of having been disputed, for one
    /// customer, and the log-likelihood of its payments: its typical, spread and share of
    /// disputes are estimated together with the chances (expectation–maximisation, a few
    /// rounds, each shrunk toward the portfolio's).
    pub fn labels(&self, values: &[(f64, f64)]) -> (Vec<f64>, f64) {
        let total: f64 = values.iter().map(|v| v.1).sum();
        if values.is_empty() || total <= 0.0 {
            return (vec![self.share; values.len()], 0.0);
        }
        // Started from a few places in its payments (a frequent disputer's median is a
        // disputed payment, its plain ones lower down): the best explanation wins.
        let mut pairs = values.to_vec();
        let mut best: Option<(Vec<f64>, f64)> = None;
        let mut tried: Vec<f64> = Vec::with_capacity(LATENT_STARTS.len());
        for q in LATENT_STARTS {
            let Some(start) = weighted_quantile(&mut pairs, q) else {
                continue;
            };
            if tried.iter().any(|t| (t - start).abs() < 0.5) {
                continue;
            }
            tried.push(start);
            let fit = self.labels_from(values, total, start);
            if best.as_ref().is_none_or(|b| fit.1 > b.1) {
                best = Some(fit);
            }
        }
        best.unwrap_or_else(|| (vec![self.share; values.len()], 0.0))
    }

    fn labels_from(&self, values: &[(f64, f64)], total: f64, start: f64) -> (Vec<f64>, f64) {
        let mut chances = vec![self.share; values.len()];
        let mut typical = start;
        let (mut share, mut scale) = (self.share, self.scale);
        let mut both: Vec<(f64, f64)> = Vec::with_capacity(2 * values.len());
        for _ in 0..LATENT_ROUNDS {
            for (p, &(t, _)) in chances.iter_mut().zip(values) {
                let late = share * laplace(t - typical - self.delay, scale);
                let plain = (1.0 - share) * laplace(t - typical, scale);
                *p = if late + plain > 0.0 {
                    late / (late + plain)
                } else {
                    share
                };
            }
            both.clear();
            for (&p, &(t, w)) in chances.iter().zip(values) {
                both.push((t, w * (1.0 - p)));
                both.push((t - self.delay, w * p));
            }
            typical = weighted_median(&mut both).unwrap_or(typical);
            let disputed: f64 = chances.iter().zip(values).map(|(p, v)| p * v.1).sum();
            share = (disputed + LATENT_SHARE_PRIOR * self.share) / (total + LATENT_SHARE_PRIOR);
            let deviation: f64 = chances
                .iter()
                .zip(values)
                .map(|(p, &(t, w))| {
                    w * ((1.0 - p) * (t - typical).abs() + p * (t - typical - self.delay).abs())
                })
                .sum();
            scale = ((deviation + LATENT_SCALE_PRIOR * self.scale) / (total + LATENT_SCALE_PRIOR))
                .max(0.5);
        }
        let likelihood = values
            .iter()
            .map(|&(t, w)| {
                let density = (1.0 - share) * laplace(t - typical, scale)
                    + share * laplace(t - typical - self.delay, scale);
                w * density.max(1e-300).ln()
            })
            .sum();
        (chances, likelihood)
    }

    /// The log-likelihood of one customer's payments without any unrecorded dispute.
    fn plain_likelihood(&self, values: &[(f64, f64)]) -> f64 {
        let total: f64 = values.iter().map(|v| v.1).sum();
        let mut pairs = values.to_vec();
        let Some(typical) = weighted_median(&mut pairs) else {
            return 0.0;
        };
        let deviation: f64 = values.iter().map(|&(t, w)| w * (t - typical).abs()).sum();
        let scale =
            ((deviation + LATENT_SCALE_PRIOR * self.scale) / (total + LATENT_SCALE_PRIOR)).max(0.5);
        values
            .iter()
            .map(|&(t, w)| w * laplace(t - typical, scale).max(1e-300).ln())
            .sum()
    }
}

/// Estimates the unrecorded disputes of a ledger that keeps no dispute history; `None` when
/// it keeps one, or its payments show no delay a dispute would explain.
fn fit_latent(
    histories: &[CustomerHistory],
    scales: &[AmountScale],
    as_of: Date,
    config: &ModelConfig,
    adjustments: &Adjustments,
) -> Option<Latent> {
    let recent_from = as_of - chrono::Duration::days(RECENT_CENSUS_DAYS);
    let older = (
        as_of - chrono::Duration::days(OLDER_CENSUS_DAYS.0),
        as_of - chrono::Duration::days(OLDER_CENSUS_DAYS.1),
    );
    let (mut recent, mut recent_disputed, mut old, mut old_disputed) = (0usize, 0, 0usize, 0);
    for h in histories {
        let docs = h
            .settled
            .iter()
            .map(|s| (s.doc_date, s.disputed || s.dispute_opened.is_some()))
            .chain(
                h.open
                    .iter()
                    .map(|o| (o.doc_date, o.disputed || o.dispute_opened.is_some())),
            );
        for (date, disputed) in docs {
            if date > recent_from {
                recent += 1;
                recent_disputed += usize::from(disputed);
            } else if date > older.0 && date <= older.1 {
                old += 1;
                old_disputed += usize::from(disputed);
            }
        }
    }
    if recent_disputed < MIN_RECENT_DISPUTES || old == 0 {
        return None;
    }
    let recent_rate = recent_disputed as f64 / recent as f64;
    let old_rate = old_disputed as f64 / old as f64;
    if old_rate >= HISTORY_RATIO * recent_rate {
        return None;
    }
    // Each customer's undisputed settled documents, normalised for their amounts.
    let values: Vec<Vec<(f64, f64)>> = histories
        .iter()
        .zip(scales)
        .map(|(h, scale)| {
            h.settled
                .iter()
                .filter(|s| !s.disputed)
                .map(|s| {
                    let late = days(s.due_date, s.settled)
                        - adjustments.days(false, scale.class(s.amount));
                    (late, config.weight(s.settled, as_of))
                })
                .collect::<Vec<_>>()
        })
        .filter(|v| v.len() >= MIN_SETTLED_FOR_SPREAD)
        .collect();
    let step = values.len().div_ceil(LATENT_SAMPLE).max(1);
    let sample: Vec<&Vec<(f64, f64)>> = values.iter().step_by(step).collect();
    if sample.is_empty() {
        return None;
    }
    let mut deviations: Vec<f64> = sample
        .iter()
        .filter_map(|v| {
            let mut days: Vec<f64> = v.iter().map(|p| p.0).collect();
            robust_sd(&mut days)
        })
        .collect();
    // A Laplace scale is the mean absolute deviation: about 0.8 standard deviations.
    let scale = (0.8 * median(&mut deviations).unwrap_or(DEFAULT_SPREAD)).max(0.5);
    let mut latent = Latent {
        delay: 0.0,
        share: recent_rate.clamp(0.01, 0.9),
        scale,
    };
    let plain: f64 = sample.iter().map(|v| latent.plain_likelihood(v)).sum();
    let total_weight: f64 = sample.iter().flat_map(|v| v.iter().map(|p| p.1)).sum();
    let fit = |delays: &[f64]| {
        par_map(delays, |&delay| {
            let candidate = Latent { delay, ..latent };
            let likelihood: f64 = sample.iter().map(|v| candidate.labels(v).1).sum();
            (delay, likelihood)
        })
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
    };
    // A coarse search, then to the day around the best.
    let (coarse, _) = fit(&LATENT_DELAYS)?;
    let step = (coarse * 0.15).ceil().max(1.0);
    let fine: Vec<f64> = (-2..=2)
        .map(|k| (coarse + f64::from(k) * step / 2.0).round())
        .filter(|d| *d >= 1.0)
        .collect();
    let (delay, best) = fit(&fine)?;
    // Two more parameters than no delay at all (the delay and the share) must earn their
    // keep (the Bayesian information criterion).
    if best - plain < total_weight.max(2.0).ln() {
        return None;
    }
    latent.delay = delay;
    Some(latent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_classed_against_the_customer_median() {
        let scale = AmountScale(Some(Decimal::from(100)));
        assert_eq!(scale.class(Decimal::from(100)), USUAL_CLASS);
        assert_eq!(scale.class(Decimal::from(120)), USUAL_CLASS);
        assert_eq!(scale.class(Decimal::from(40)), 0);
        assert_eq!(scale.class(Decimal::from(150)), 3);
        assert_eq!(scale.class(Decimal::from(250)), 4);
        assert_eq!(scale.class(Decimal::from(1000)), 5);
        assert_eq!(AmountScale(None).class(Decimal::from(1000)), USUAL_CLASS);
    }

    #[test]
    fn shrinkage_fades_as_evidence_grows() {
        let one = shrink(10.0, 1, 5.0, 3.0);
        let ten = shrink(10.0, 10, 5.0, 3.0);
        let thousand = shrink(10.0, 1000, 5.0, 3.0);
        assert!(one < ten && ten < thousand, "{one} {ten} {thousand}");
        assert!(one < 5.0);
        assert!(thousand > 9.9);
        assert_eq!(shrink(10.0, 0, 5.0, 3.0), 0.0);
    }

    #[test]
    fn prior_strength_follows_how_alike_customers_are() {
        // Customers far apart, each regular: a couple of documents suffice.
        let customer = |typical: f64, jitter: f64| -> Vec<Obs> {
            (0..10)
                .map(|i| Obs::settled(typical + jitter * ((i % 5) as f64 - 2.0), 1.0))
                .collect()
        };
        let apart: Vec<Vec<Obs>> = (0..40).map(|c| customer(3.0 * c as f64, 1.0)).collect();
        let alike: Vec<Vec<Obs>> = (0..40).map(|c| customer((c % 3) as f64, 6.0)).collect();
        let apart_weight = prior_strength(&apart).weight();
        let alike = prior_strength(&alike);
        let (alike_weight, alike_spread) = (alike.weight(), alike.spread);
        assert!(apart_weight < 1.0, "{apart_weight}");
        assert!(alike_weight > 5.0, "{alike_weight}");
        assert!(alike_spread > 5.0, "{alike_spread}");
    }
}
