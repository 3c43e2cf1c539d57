//! Robust statistics over days: medians, a weighted Kaplan–Meier survival curve, and blends of
//! curves conditioned on what is already known.
//!
//! Times are days late (settle date − due date); weights are recency weights. Documents
//! still open are *censored*: all we know is that they will be paid later than they are
//! overdue today. Ignoring them would make a customer whose recent invoices are all still
//! unpaid look like a prompt payer (only the quick ones have settled), which is exactly the
//! customer a forecast must not get wrong.

/// One observation: `days` late, with a weight; `event` is false for a censored observation
/// (still open: the true value is greater than `days`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Obs {
    pub days: f64,
    pub weight: f64,
    pub event: bool,
}

impl Obs {
    /// A settled observation.
    pub fn settled(days: f64, weight: f64) -> Obs {
        Obs {
            days,
            weight,
            event: true,
        }
    }

    /// A still-open observation: paid later than `days`.
    pub fn open(days: f64, weight: f64) -> Obs {
        Obs {
            days,
            weight,
            event: false,
        }
    }
}

/// The plain median of values (mean of the two middle ones); `None` when empty. Reorders
/// `values`.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    Some(if n % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    })
}

/// The weighted median of `(value, weight)` pairs (the first value at which half the
/// weight is reached); `None` when there is no positive weight. Reorders `pairs`.
pub fn weighted_median(pairs: &mut [(f64, f64)]) -> Option<f64> {
    weighted_quantile(pairs, 0.5)
}

/// The weighted `q`-quantile of `(value, weight)` pairs (the first value at which a share
/// `q` of the weight is reached). Reorders `pairs`.
pub fn weighted_quantile(pairs: &mut [(f64, f64)], q: f64) -> Option<f64> {
    let total: f64 = pairs.iter().map(|p| p.1.max(0.0)).sum();
    if total <= 0.0 {
        return None;
    }
    pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut acc = 0.0;
    for &(v, w) in pairs.iter() {
        acc += w.max(0.0);
        if acc >= total * q - 1e-12 {
            return Some(v);
        }
    }
    pairs.last().map(|p| p.0)
}

/// A robust spread: 1.4826 × the median absolute deviation from the median (the standard
/// deviation, for normal data); `None` for fewer than two values. Reorders `values`.
pub fn robust_sd(values: &mut [f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = median(values)?;
    let mut dev: Vec<f64> = values.iter().map(|v| (v - m).abs()).collect();
    median(&mut dev).map(|d| 1.4826 * d)
}

/// A right-continuous survival step function: `S(t) = P(T > t)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Survival {
    /// `(t, S(t))` at each event time, `t` increasing, `S` non-increasing.
    steps: Vec<(f64, f64)>,
}

impl Survival {
    /// The weighted Kaplan–Meier estimate from `obs` (sorted in place). At a tie, events
    /// come before censorings (a document open at `t` was still at risk at `t`).
    pub fn kaplan_meier(obs: &mut [Obs]) -> Survival {
        obs.sort_unstable_by(|a, b| a.days.total_cmp(&b.days).then(b.event.cmp(&a.event)));
        let mut at_risk: f64 = obs.iter().map(|o| o.weight.max(0.0)).sum();
        let mut s = 1.0;
        let mut steps = Vec::new();
        let mut i = 0;
        while i < obs.len() {
            let t = obs[i].days;
            let (mut events, mut leaving) = (0.0, 0.0);
            while i < obs.len() && obs[i].days == t {
                let w = obs[i].weight.max(0.0);
                if obs[i].event {
                    events += w;
                }
                leaving += w;
                i += 1;
            }
            if events > 0.0 && at_risk > 0.0 {
                s *= (1.0 - events / at_risk).max(0.0);
                steps.push((t, s));
            }
            at_risk -= leaving;
        }
        Survival { steps }
    }

    /// `S(t)`: the probability of being paid later than `t` days late.
    pub fn at(&self, t: f64) -> f64 {
        let idx = self.steps.partition_point(|&(x, _)| x <= t);
        if idx == 0 { 1.0 } else { self.steps[idx - 1].1 }
    }

    /// The median of `T` given `T > after`: the first event time `t > after` with
    /// `S(t) ≤ S(after) / 2`. `None` when the curve never falls that far (too much of the
    /// remaining weight is still open), or when nothing is left after `after`.
    pub fn conditional_median(&self, after: f64) -> Option<f64> {
        self.conditional_quantile(after, 0.5)
    }

    /// The `q`-quantile of `T` given `T > after` (see [`Survival::conditional_median`]).
    pub fn conditional_quantile(&self, after: f64, q: f64) -> Option<f64> {
        let base = self.at(after);
        if base <= 1e-12 {
            return None;
        }
        let target = base * (1.0 - q) + 1e-12;
        let start = self.steps.partition_point(|&(x, _)| x <= after);
        self.steps[start..]
            .iter()
            .find(|&&(_, s)| s <= target)
            .map(|&(t, _)| t)
    }

    /// The average daily rate at which what is left gets paid between `from` and `to`
    /// (`−ln(S(to) / S(from)) / (to − from)`); `None` when the curve is spent or the span empty.
    pub fn hazard(&self, from: f64, to: f64) -> Option<f64> {
        let (a, b) = (self.at(from), self.at(to));
        (to > from && a > 1e-12 && b > 1e-12).then(|| (a / b).ln() / (to - from))
    }

    /// The time of the curve's last event, if any.
    pub fn last_event(&self) -> Option<f64> {
        self.steps.last().map(|s| s.0)
    }

    /// The curve's last value: the share never seen paid (still open past the last event).
    pub fn end(&self) -> f64 {
        self.steps.last().map_or(1.0, |s| s.1)
    }

    /// The unconditional median (`None` when more than half is still open).
    pub fn median(&self) -> Option<f64> {
        self.conditional_median(f64::NEG_INFINITY)
    }

    /// Event times at the given probabilities `qs` (increasing), as far as the curve goes.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<f64> {
        qs.iter()
            .filter_map(|&q| self.conditional_quantile(f64::NEG_INFINITY, q))
            .collect()
    }
}

/// How much weight of a set of observations lies beyond a time: the evidence a curve has
/// about what happens after it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AtRisk {
    /// Observation times, increasing.
    days: Vec<f64>,
    /// `beyond[i]`: total weight of observations `i..`.
    beyond: Vec<f64>,
}

impl AtRisk {
    /// From observations (events and censored alike).
    pub fn new(obs: &[Obs]) -> AtRisk {
        let mut pairs: Vec<(f64, f64)> = obs.iter().map(|o| (o.days, o.weight.max(0.0))).collect();
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        let mut beyond = vec![0.0; pairs.len()];
        let mut acc = 0.0;
        for i in (0..pairs.len()).rev() {
            acc += pairs[i].1;
            beyond[i] = acc;
        }
        AtRisk {
            days: pairs.into_iter().map(|p| p.0).collect(),
            beyond,
        }
    }

    /// The latest observation time, if any.
    pub fn last(&self) -> Option<f64> {
        self.days.last().copied()
    }

    /// The latest observation time with at least `weight` of the observations at or after
    /// it; `None` when there is not that much in all.
    pub fn time_with_beyond(&self, weight: f64) -> Option<f64> {
        let i = self.beyond.partition_point(|&b| b >= weight);
        (i > 0).then(|| self.days[i - 1])
    }

    /// Total weight of the observations later than `t`.
    pub fn weight_beyond(&self, t: f64) -> f64 {
        let i = self.days.partition_point(|&d| d <= t);
        self.beyond.get(i).copied().unwrap_or(0.0)
    }
}

/// One curve in a [`blended_conditional_median`]: the curve of `T − offset`, how much
/// evidence it carries, and optionally where its unresolved tail goes.
#[derive(Debug, Clone, Copy)]
pub struct Part<'a> {
    pub curve: &'a Survival,
    pub offset: f64,
    pub weight: f64,
    pub tail: Option<Tail<'a>>,
}

/// Where the share of a curve still open after its last observation is paid.
#[derive(Debug, Clone, Copy)]
pub enum Tail<'a> {
    /// As another curve (of `T − offset`) says, conditioned on `T > after`.
    Curve {
        curve: &'a Survival,
        offset: f64,
        after: f64,
    },
    /// All at one time.
    At(f64),
    /// At a constant daily rate (a hazard) from a time on: what is left halves every
    /// `ln 2 / rate` days.
    Exp { from: f64, rate: f64 },
}

/// A part ready to evaluate: `paid_by(t)` is its conditional distribution function (it may
/// top out below 1 when some of it is never resolved).
struct LivePart<'a> {
    part: Part<'a>,
    base: f64,
    /// The unresolved share and its tail (with the tail curve's base, 1 for a point).
    tail: Option<(f64, Tail<'a>, f64)>,
    weight: f64,
}

impl LivePart<'_> {
    fn new<'a>(p: &Part<'a>, after: f64) -> Option<LivePart<'a>> {
        if p.weight <= 0.0 {
            return None;
        }
        let base = p.curve.at(after - p.offset);
        if base <= 1e-12 {
            return None;
        }
        let unresolved = p.curve.end() / base;
        let tail = p.tail.filter(|_| unresolved > 1e-12).and_then(|t| match t {
            Tail::Curve {
                curve,
                offset,
                after: from,
            } => {
                let from = from.max(after);
                let tail_base = curve.at(from - offset);
                (tail_base > 1e-12).then_some((
                    unresolved,
                    Tail::Curve {
                        curve,
                        offset,
                        after: from,
                    },
                    tail_base,
                ))
            }
            Tail::At(at) => Some((unresolved, Tail::At(at.max(after)), 1.0)),
            Tail::Exp { from, rate } => (rate > 0.0).then_some((
                unresolved,
                Tail::Exp {
                    from: from.max(after),
                    rate,
                },
                1.0,
            )),
        });
        // Without a tail, a part speaks only for the share it resolves.
        let weight = match tail {
            Some(_) => p.weight,
            None => p.weight * (1.0 - unresolved),
        };
        (weight > 1e-12).then_some(LivePart {
            part: *p,
            base,
            tail,
            weight,
        })
    }

    /// Weighted probability of being paid by `t`.
    fn paid_by(&self, t: f64) -> f64 {
        let p = &self.part;
        let mut paid = 1.0 - p.curve.at(t - p.offset) / self.base;
        match self.tail {
            Some((
                unresolved,
                Tail::Curve {
                    curve,
                    offset,
                    after,
                },
                tail_base,
            )) if t > after => paid += unresolved * (1.0 - curve.at(t - offset) / tail_base),
            Some((unresolved, Tail::At(at), _)) if t >= at => paid += unresolved,
            Some((unresolved, Tail::Exp { from, rate }, _)) if t > from => {
                paid += unresolved * (1.0 - (-rate * (t - from)).exp());
            }
            _ => {}
        }
        p.weight * paid
    }
}

/// The parts of a blend with something left after `after`, each conditioned on it, and their
/// total weight; `None` when no part has anything left.
fn live_parts<'a>(parts: &[Part<'a>], after: f64) -> Option<(Vec<LivePart<'a>>, f64)> {
    let live: Vec<LivePart> = parts
        .iter()
        .filter_map(|p| LivePart::new(p, after))
        .collect();
    let total: f64 = live.iter().map(|p| p.weight).sum();
    (total > 0.0).then_some((live, total))
}

/// `P(T > x | T > after)` under a blend of curves (see [`blended_conditional_median`]);
/// `None` when no part has anything left after `after`. What no part resolves counts as
/// later than `x`.
pub fn blended_conditional_survival(parts: &[Part], after: f64, x: f64) -> Option<f64> {
    if x <= after {
        return Some(1.0);
    }
    let (live, total) = live_parts(parts, after)?;
    let paid: f64 = live.iter().map(|p| p.paid_by(x)).sum::<f64>() / total;
    Some((1.0 - paid).clamp(0.0, 1.0))
}

/// The median of `T` given `T > after` under a blend of curves, each conditioned on its own
/// and weighted by its evidence: the smallest `after + j` (`j` = 1, 2, … days, up to
/// `horizon` days past the later of `after` and zero — a document due years ahead is looked
/// at past its due date too) where the blended conditional distribution reaches one half.
/// `None` when the blend never gets there (too much of what remains is still open) or no
/// part has anything left after `after`.
pub fn blended_conditional_median(parts: &[Part], after: f64, horizon: u32) -> Option<f64> {
    let (live, total) = live_parts(parts, after)?;
    let paid_by = |t: f64| live.iter().map(|p| p.paid_by(t)).sum::<f64>() / total;
    let half = 0.5 - 1e-9;
    // Whole days from `after` to its due date (`-after`, when not yet due), at most a
    // century: the search is by halves, so a long span costs a few steps.
    let to_due = (-after).clamp(0.0, 36_525.0).ceil() as u32;
    let horizon = horizon + to_due;
    if paid_by(after + f64::from(horizon)) < half {
        return None;
    }
    let (mut lo, mut hi) = (1u32, horizon);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if paid_by(after + f64::from(mid)) >= half {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(after + f64::from(lo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn kaplan_meier_without_censoring_is_the_empirical_distribution() {
        let mut obs: Vec<Obs> = [1.0, 2.0, 3.0, 4.0]
            .iter()
            .map(|&d| Obs::settled(d, 1.0))
            .collect();
        let s = Survival::kaplan_meier(&mut obs);
        assert_eq!(s.at(0.0), 1.0);
        assert!((s.at(2.0) - 0.5).abs() < 1e-12);
        assert_eq!(s.at(4.0), 0.0);
        assert_eq!(s.median(), Some(2.0));
        // Given T > 2, the remaining values are 3 and 4.
        assert_eq!(s.conditional_median(2.0), Some(3.0));
        assert_eq!(s.conditional_median(4.0), None);
    }

    #[test]
    fn blends_weigh_curves_by_their_evidence() {
        let curve = |values: &[f64]| {
            let mut obs: Vec<Obs> = values.iter().map(|&d| Obs::settled(d, 1.0)).collect();
            Survival::kaplan_meier(&mut obs)
        };
        let early = curve(&[1.0, 2.0, 3.0]);
        let late = curve(&[20.0, 21.0, 22.0]);
        let part = |curve, weight| Part {
            curve,
            offset: 0.0,
            weight,
            tail: None,
        };
        // All weight on one curve: its own conditional median.
        let only_early = [part(&early, 1.0), part(&late, 0.0)];
        assert_eq!(blended_conditional_median(&only_early, 0.5, 100), Some(2.5));
        // Past everything the early curve knows, the late one answers alone.
        let both = [part(&early, 10.0), part(&late, 1.0)];
        assert_eq!(blended_conditional_median(&both, 5.0, 100), Some(21.0));
        // An offset moves a curve.
        let shifted = [Part {
            curve: &early,
            offset: 10.0,
            weight: 1.0,
            tail: None,
        }];
        assert_eq!(blended_conditional_median(&shifted, 10.5, 100), Some(12.5));
        assert_eq!(blended_conditional_median(&shifted, 30.0, 100), None);
        // Half paid at 1, half still open at 5: that half is paid as the tail curve says
        // after 5.
        let mut obs = vec![Obs::settled(1.0, 1.0), Obs::open(5.0, 1.0)];
        let half_open = Survival::kaplan_meier(&mut obs);
        let with_tail = [Part {
            curve: &half_open,
            offset: 0.0,
            weight: 1.0,
            tail: Some(Tail::Curve {
                curve: &late,
                offset: 0.0,
                after: 5.0,
            }),
        }];
        assert_eq!(blended_conditional_median(&with_tail, 0.5, 100), Some(1.5));
        assert_eq!(blended_conditional_median(&with_tail, 2.0, 100), Some(21.0));
        let no_tail = [part(&half_open, 1.0)];
        assert_eq!(blended_conditional_median(&no_tail, 2.0, 100), None);
        let point = [Part {
            tail: Some(Tail::At(40.0)),
            ..no_tail[0]
        }];
        assert_eq!(blended_conditional_median(&point, 2.0, 100), Some(40.0));
        let at_risk = AtRisk::new(&[Obs::settled(1.0, 1.0), Obs::open(5.0, 2.0)]);
        assert_eq!(at_risk.weight_beyond(0.0), 3.0);
        assert_eq!(at_risk.weight_beyond(1.0), 2.0);
        assert_eq!(at_risk.weight_beyond(5.0), 0.0);
    }

    #[test]
    fn censored_observations_push_the_curve_later() {
        // Two settled quickly, two still open beyond them: the median is not the quick one.
        let mut obs = vec![
            Obs::settled(2.0, 1.0),
            Obs::settled(30.0, 1.0),
            Obs::open(20.0, 1.0),
            Obs::open(20.0, 1.0),
        ];
        let s = Survival::kaplan_meier(&mut obs);
        // S(2) = 3/4; at 30 only one (the settled one) is still at risk: S(30) = 0.
        assert!((s.at(2.0) - 0.75).abs() < 1e-12);
        assert_eq!(s.median(), Some(30.0));
        let naive = median(&mut [2.0, 30.0]).unwrap();
        assert!(naive < 30.0);
    }
}
