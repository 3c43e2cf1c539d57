//! What the portfolio as a whole says at the as-of date: the adjustments for disputes and
//! for unusual amounts, and the curve a customer with little history is shrunk toward.
//!
//! Adjustments are *measured*, never assumed: a document's residual is its days late minus
//! its customer's median days late (over the customer's plain documents); the adjustment
//! for disputed documents is the median residual of disputed ones, and the adjustment for
//! each amount class (the document's amount against the customer's median amount) the median
//! residual of that class. A class with too few documents adjusts nothing, so a portfolio
//! where amounts don't matter gets no amount adjustment.

use super::model::ModelConfig;
use super::stats::{AtRisk, Obs, Survival, median};
use super::{CustomerHistory, days, par_map};
use crate::domain::{Date, Decimal};
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;

/// Upper bounds of the amount classes, in ln(amount ÷ the customer's median amount):
/// under half, half to ¾, usual (¾ to 1⅓), up to twice, up to 3⅓ times, more.
const SIZE_BOUNDS: [f64; 5] = [-0.7, -0.25, 0.25, 0.7, 1.2];
/// Number of amount classes.
pub const SIZE_CLASSES: usize = SIZE_BOUNDS.len() + 1;
/// The class of usual amounts (never adjusted).
const USUAL_CLASS: usize = 2;
/// Documents a customer needs before its amounts are classed.
const MIN_DOCUMENTS_FOR_SIZE: usize = 4;
/// Residuals needed before an adjustment is measured rather than defaulted.
const MIN_RESIDUALS: usize = 30;
/// Probabilities at which the prior's pseudo-observations sit. The far tail is left out:
/// it is made of documents in collection, not of anyone's payment rhythm.
const PSEUDO_QUANTILES: [f64; 9] = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85];

/// Days late of the pseudo-documents every portfolio curve starts from.
const HYPERPRIOR: [f64; 6] = [-2.0, -1.0, 0.0, 0.0, 1.0, 2.0];

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

/// The measured adjustments, in days late.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustments {
    /// Extra days late of a disputed document.
    pub dispute_days: f64,
    /// Extra days late by amount class.
    pub size_days: [f64; SIZE_CLASSES],
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
/// (censored at their days overdue minus their adjustments, weight 1).
pub fn customer_observations(
    h: &CustomerHistory,
    as_of: Date,
    config: &ModelConfig,
    adjustments: &Adjustments,
    scale: AmountScale,
) -> Vec<Obs> {
    let mut obs = Vec::with_capacity(h.settled.len() + h.open.len());
    for s in &h.settled {
        let late =
            days(s.due_date, s.settled) - adjustments.days(s.disputed, scale.class(s.amount));
        obs.push(Obs::settled(late, config.weight(s.settled, as_of)));
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
}

impl Curves {
    /// The curves of the customers `members` (indices into `histories` / `observations`).
    fn fit(
        histories: &[CustomerHistory],
        observations: &[Vec<Obs>],
        members: &[usize],
        config: &ModelConfig,
    ) -> Curves {
        // Before any evidence, customers pay on the due date, give or take: a handful of
        // documents' worth, which a real portfolio outweighs at once.
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
            let typical = location(obs, &pseudo, config.prior_weight, median_late);
            obs.iter()
                .map(|o| Obs {
                    days: o.days - typical,
                    ..*o
                })
                .collect()
        })
        .concat();
        Curves {
            survival,
            residual_count: residuals.len(),
            residual_support: AtRisk::new(
                &residuals
                    .iter()
                    .map(|o| Obs { weight: 1.0, ..*o })
                    .collect::<Vec<_>>(),
            ),
            residuals: Survival::kaplan_meier(&mut residuals),
            pseudo,
            median_late,
        }
    }
}

/// The portfolio prior.
#[derive(Debug, Clone, PartialEq)]
pub struct Prior {
    pub adjustments: Adjustments,
    /// The whole portfolio's curves.
    pub portfolio: Curves,
    /// The curves of each customer group (see [`CustomerHistory::group`]) with enough history
    /// of its own; the others use the portfolio's.
    pub groups: HashMap<String, Curves>,
    /// The portfolio's median days from document date to settlement (the baseline's
    /// fallback for customers with no history).
    pub median_days_to_pay: f64,
}

impl Prior {
    /// Measures the prior on every customer's history as of `as_of`.
    pub fn fit(histories: &[CustomerHistory], as_of: Date, config: &ModelConfig) -> Prior {
        let scales = par_map(histories, AmountScale::of);
        let adjustments = measure_adjustments(histories, &scales, config);
        let indices: Vec<usize> = (0..histories.len()).collect();
        let observations: Vec<Vec<Obs>> = par_map(&indices, |&i| {
            customer_observations(&histories[i], as_of, config, &adjustments, scales[i])
        });
        let everyone: Vec<usize> = (0..histories.len()).collect();
        let portfolio = Curves::fit(histories, &observations, &everyone, config);

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
                let mut curves = Curves::fit(histories, &observations, &list, config);
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
        Prior {
            adjustments,
            portfolio,
            groups,
            median_days_to_pay: median(&mut days_to_pay).unwrap_or(30.0),
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

/// Measures the dispute and amount adjustments (see the module docs).
fn measure_adjustments(
    histories: &[CustomerHistory],
    scales: &[AmountScale],
    config: &ModelConfig,
) -> Adjustments {
    let mut dispute = Vec::new();
    let mut by_size: [Vec<f64>; SIZE_CLASSES] = Default::default();
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
        for s in &h.settled {
            let residual = days(s.due_date, s.settled) - own;
            if s.disputed {
                dispute.push(residual);
            } else {
                by_size[scale.class(s.amount)].push(residual);
            }
        }
    }
    let measured = |mut r: Vec<f64>, default: f64, limit: f64| {
        if r.len() >= MIN_RESIDUALS {
            median(&mut r).unwrap_or(default).clamp(-limit, limit)
        } else {
            default
        }
    };
    let mut size_days = [0.0; SIZE_CLASSES];
    for (class, residuals) in by_size.into_iter().enumerate() {
        if class != USUAL_CLASS {
            size_days[class] = measured(residuals, 0.0, 30.0);
        }
    }
    Adjustments {
        dispute_days: measured(dispute, config.default_dispute_days, 120.0).max(0.0),
        size_days,
    }
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
}
