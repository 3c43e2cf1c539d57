//! The forecast checks itself on the ledger's own recent history before it is published.
//!
//! At several cutoffs in the last six months (60, 90, 120, 150 and 180 days before the as-of
//! date) the ledger is replayed from what was known then — documents dated by the cutoff,
//! their settlements by then, and disputes opened by then (a dispute opened after a cutoff
//! is not known at it) — the model is fitted on that, and every document open at the cutoff
//! is predicted, by the model and by the per-customer median (the due date plus the
//! customer's median days late given the document is still unpaid, never before the day
//! after the cutoff: see [`median_method_date`]). Documents settled by the as-of date are
//! scored against their settlement; those still unpaid then, against the day after the as-of
//! date (the earliest they can be paid: leaving them out would keep only the quick payments
//! of each cutoff), unless they were already more than the censoring cap overdue at the
//! cutoff.
//!
//! Documents fall into [`Segment`]s: disputed ones, others already overdue, others not yet
//! due. For each segment with enough scored documents ([`MIN_SCORED`]):
//! - **bias**: each method's median signed error (predicted − paid; documents still unpaid
//!   count as paid later than the as-of date, through a Kaplan–Meier median) is taken off
//!   its dates (rounded to whole days), so that it is neither early nor late on this ledger;
//! - **method**: the model is published only where it then beats the median (lower mean
//!   absolute error); elsewhere the median is;
//! - its **error**: the mean absolute error of the method chosen, in days — what each
//!   document's forecast says of itself ("model, 4.4 d on this ledger").
//!
//! A segment with too few scored documents keeps the model, without a bias correction, and
//! states no error.
//!
//! The replay also chooses the **residual weight** (see [`ModelConfig::residual_weight`]):
//! the model is scored with each of [`RESIDUAL_WEIGHTS`], and the one whose dates, corrected
//! for each segment's bias, err least over all scored documents is published (the decisions
//! and the calibration are those of that weight). Customers differ far more in where they
//! pay than in what a payment later than usual does next, so the portfolio's residual curve
//! may deserve more weight in a late document's blend than its peers have in a customer's
//! typical days late; the ledger says how much.
//!
//! On a ledger without dispute history (see [`super::prior::Latent`]) a document settled
//! since a cutoff may have been disputed then without saying so: it is scored both as
//! disputed and as not, weighted by its chance of having been disputed — otherwise the
//! check would judge the model on disputed payments it was never asked about, and the
//! disputed segment would have nothing to score.
//!
//! The model's probability that a not-yet-due document is paid late is **calibrated** on
//! the same replay: `logit p' = a + b · logit p`, fitted by maximum likelihood on the
//! not-yet-due documents whose outcome is known (paid, or still unpaid past their due date),
//! with a weak pull toward `a = 0, b = 1` (no change) so that a handful of documents changes
//! little.
//!
//! At most [`MAX_CUSTOMERS`] customers are replayed (every k-th): the choices concern the
//! portfolio's segments, which a sample speaks for as well as the whole.

use super::model::{Model, ModelConfig, Prediction};
use super::stats::{Obs, Survival};
use super::{CustomerHistory, OpenDoc, SettledDoc, days, par_map};
use crate::domain::Date;
use std::collections::HashMap;

/// Days before the as-of date of the replayed cutoffs.
pub const CHECK_CUTOFFS: [i64; 5] = [180, 150, 120, 90, 60];
/// Scored documents a segment needs before it is judged on its own.
pub const MIN_SCORED: usize = 20;
/// Customers replayed at most.
pub const MAX_CUSTOMERS: usize = 5000;
/// Largest bias correction (days either way).
const MAX_SHIFT: i64 = 30;
/// Pull of the calibration toward no change (a ridge penalty, in documents' worth).
const CALIBRATION_PRIOR: f64 = 2.0;
/// Probabilities are kept this far from 0 and 1 before calibrating.
const P_CLIP: f64 = 0.005;
/// The residual weights tried (see [`ModelConfig::residual_weight`]): the customer's prior
/// weight, or at least 2, 4 or 8 documents' worth.
pub const RESIDUAL_WEIGHTS: [Option<f64>; 4] = [None, Some(2.0), Some(4.0), Some(8.0)];

/// Which kind of open document: the forecast chooses its method per segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// Not disputed, not yet due.
    NotDue,
    /// Not disputed, past its due date.
    Overdue,
    /// An issue naming it is open.
    Disputed,
}

impl Segment {
    pub const ALL: [Segment; 3] = [Segment::NotDue, Segment::Overdue, Segment::Disputed];

    /// The segment of `doc` at `as_of`.
    pub fn of(doc: &OpenDoc, as_of: Date) -> Segment {
        if doc.disputed {
            Segment::Disputed
        } else if doc.due_date < as_of {
            Segment::Overdue
        } else {
            Segment::NotDue
        }
    }

    /// `not due`, `overdue`, `disputed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Segment::NotDue => "not due",
            Segment::Overdue => "overdue",
            Segment::Disputed => "disputed",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How a published date was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// The payment-date model.
    Model,
    /// The per-customer median of days to pay.
    Median,
    /// An open promise to pay.
    Promise,
}

impl Method {
    /// `model`, `median`, `promise`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Model => "model",
            Method::Median => "median",
            Method::Promise => "promise",
        }
    }
}

/// The customer's days late (settle date − due date) of its settled documents, sorted: what
/// the median method reads a document's date from.
pub fn days_late(h: &CustomerHistory) -> Vec<f64> {
    let mut late: Vec<f64> = h
        .settled
        .iter()
        .map(|s| days(s.due_date, s.settled))
        .collect();
    late.sort_by(f64::total_cmp);
    late
}

/// The median method's date for `doc`, still unpaid at `as_of`: its due date plus the
/// median of the customer's days late (`late`, from [`days_late`]) among those later than
/// the document already is — the remaining time given it is still open, so that a
/// document past its customer's usual is not "paid tomorrow"; for a customer with no
/// payments, the portfolio's median days late (`portfolio`). `None` when the customer (or,
/// without payments, the portfolio's median) never paid that late: then the model's
/// survival view, which carries the portfolio's tail, gives the date.
///
/// For a customer whose terms never change, and a document not yet past any of its
/// payments, this is the backtest's baseline (document date plus median days to pay,
/// [`super::backtest::median_baseline`]) to the day; when a document's terms differ from
/// the customer's usual ones (an invoice on 90-day terms from a customer on 30), it keeps a
/// customer who pays relative to its due date doing so, where the baseline would expect it
/// 30 days after the document date, two months before it is due.
pub fn median_method_date(
    doc: &OpenDoc,
    late: &[f64],
    portfolio: f64,
    as_of: Date,
) -> Option<Date> {
    let overdue = days(doc.due_date, as_of);
    let late = if late.is_empty() {
        Some(portfolio).filter(|&l| l > overdue)
    } else {
        let mut beyond = late[late.partition_point(|&l| l <= overdue)..].to_vec();
        super::stats::median(&mut beyond)
    }?;
    let date = doc
        .due_date
        .checked_add_signed(chrono::Duration::days(late.round() as i64))
        .unwrap_or(doc.due_date);
    Some(date.max(as_of + chrono::Days::new(1)))
}

/// Signed errors in days (predicted − actual) of one method, each with a weight (1, or a
/// document's chance of belonging to the segment on a ledger without dispute history) and
/// whether it is only a bound (the document is still unpaid: its error is at most this).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Errors(Vec<(i64, f64, bool)>);

impl Errors {
    pub fn push(&mut self, error: i64, weight: f64, bound: bool) {
        if weight > 0.0 {
            self.0.push((error, weight, bound));
        }
    }

    /// The documents' total weight.
    pub fn weight(&self) -> f64 {
        self.0.iter().map(|e| e.1).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The median signed error, the bias: how much later than paid the dates are. A
    /// document still unpaid was paid later than its bound says, so the median is read
    /// from the Kaplan–Meier curve of paid − predicted (the bounds as censored); when that
    /// curve does not reach its middle, from the bounds as they are.
    pub fn bias(&self) -> Option<f64> {
        let mut obs: Vec<Obs> = self
            .0
            .iter()
            .map(|&(e, w, bound)| {
                if bound {
                    Obs::open(-e as f64 - 1.0, w)
                } else {
                    Obs::settled(-e as f64, w)
                }
            })
            .collect();
        if let Some(m) = Survival::kaplan_meier(&mut obs).median() {
            return Some(-m);
        }
        let mut v: Vec<(f64, f64)> = self.0.iter().map(|&(e, w, _)| (e as f64, w)).collect();
        super::stats::weighted_median(&mut v)
    }

    /// The correction that takes the bias off: minus the bias, rounded, within bounds.
    pub fn correction(&self) -> i64 {
        self.bias()
            .map_or(0, |b| (-b).round() as i64)
            .clamp(-MAX_SHIFT, MAX_SHIFT)
    }

    /// The (weighted) mean absolute error after adding `shift` days to every prediction
    /// (bounds as they are).
    pub fn mae(&self, shift: i64) -> Option<f64> {
        let total = self.weight();
        (total > 0.0).then(|| {
            self.0
                .iter()
                .map(|&(e, w, _)| w * (e + shift).abs() as f64)
                .sum::<f64>()
                / total
        })
    }

    fn extend(&mut self, other: &Errors) {
        self.0.extend_from_slice(&other.0);
    }
}

/// Both methods' errors on the same documents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scores {
    pub model: Errors,
    pub median: Errors,
}

/// What the check decided for one segment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub method: Method,
    /// Days added to the method's dates (the bias correction).
    pub shift: i64,
    /// The method's mean absolute error on the check, after the correction (days); `None`
    /// when too few documents were scored.
    pub mae: Option<f64>,
    /// Documents scored.
    pub scored: usize,
    /// Both methods' errors after their own corrections, for the record.
    pub model_mae: Option<f64>,
    pub median_mae: Option<f64>,
}

impl Decision {
    /// The model, unchecked.
    fn unchecked(method: Method, scored: usize) -> Decision {
        Decision {
            method,
            shift: 0,
            mae: None,
            scored,
            model_mae: None,
            median_mae: None,
        }
    }

    /// Judges a segment's scores: the corrected model against the corrected median.
    fn judge(scores: &Scores) -> Decision {
        let (m_shift, d_shift) = (scores.model.correction(), scores.median.correction());
        let model_mae = scores.model.mae(m_shift);
        let median_mae = scores.median.mae(d_shift);
        let model_wins = match (model_mae, median_mae) {
            (Some(m), Some(d)) => m < d,
            _ => true,
        };
        let (method, shift, mae) = if model_wins {
            (Method::Model, m_shift, model_mae)
        } else {
            (Method::Median, d_shift, median_mae)
        };
        Decision {
            method,
            shift,
            mae,
            scored: scores.model.weight().round() as usize,
            model_mae,
            median_mae,
        }
    }
}

/// `logit p' = a + b · logit p`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    pub a: f64,
    pub b: f64,
    /// Documents it was fitted on.
    pub fitted_on: usize,
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            a: 0.0,
            b: 1.0,
            fitted_on: 0,
        }
    }
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(P_CLIP, 1.0 - P_CLIP);
    (p / (1.0 - p)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Calibration {
    /// The calibrated probability (1 stays 1: a document already due is late for sure).
    pub fn apply(&self, p: f64) -> f64 {
        if p >= 1.0 {
            return 1.0;
        }
        sigmoid(self.a + self.b * logit(p))
    }

    /// Fits `a` and `b` on (probability, was late, weight) by penalised maximum likelihood
    /// (Newton's method).
    pub fn fit(points: &[(f64, bool, f64)]) -> Calibration {
        let total: f64 = points.iter().map(|p| p.2).sum();
        if total < MIN_SCORED as f64 {
            return Calibration::default();
        }
        let (mut a, mut b) = (0.0f64, 1.0f64);
        for _ in 0..25 {
            // Gradient and Hessian of the penalised negative log-likelihood.
            let (mut ga, mut gb) = (CALIBRATION_PRIOR * a, CALIBRATION_PRIOR * (b - 1.0));
            let (mut haa, mut hab, mut hbb) = (CALIBRATION_PRIOR, 0.0, CALIBRATION_PRIOR);
            for &(p, late, weight) in points {
                let x = logit(p);
                let q = sigmoid(a + b * x);
                let r = weight * (q - f64::from(u8::from(late)));
                ga += r;
                gb += r * x;
                let w = weight * q * (1.0 - q);
                haa += w;
                hab += w * x;
                hbb += w * x * x;
            }
            let det = haa * hbb - hab * hab;
            if det.abs() < 1e-12 {
                break;
            }
            let da = (hbb * ga - hab * gb) / det;
            let db = (haa * gb - hab * ga) / det;
            a -= da;
            b -= db;
            if da.abs() + db.abs() < 1e-9 {
                break;
            }
        }
        Calibration {
            a,
            b,
            fitted_on: total.round() as usize,
        }
    }
}

/// The check's findings.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfCheck {
    /// The cutoffs replayed (those with anything to score).
    pub cutoffs: Vec<Date>,
    /// The whole check's decision, and each segment's.
    pub overall: Decision,
    pub segments: [Decision; 3],
    pub calibration: Calibration,
    /// The residual weight that scored best (see [`ModelConfig::residual_weight`]): what
    /// the published forecast uses.
    pub residual_weight: Option<f64>,
}

impl SelfCheck {
    /// The decision for documents of `segment`.
    pub fn decision(&self, segment: Segment) -> &Decision {
        &self.segments[segment.index()]
    }

    /// Replays the ledger's recent history (see the module docs). `model` is the model
    /// fitted at the as-of date (its settings are reused, without a check of their own).
    pub fn run(histories: &[CustomerHistory], model: &Model) -> SelfCheck {
        let as_of = model.as_of;
        let step = histories.len().div_ceil(MAX_CUSTOMERS).max(1);
        let sample: Vec<&CustomerHistory> = histories.iter().step_by(step).collect();
        let config = ModelConfig {
            self_check: false,
            latent: model.prior.adjustments.latent,
            ..model.config.clone()
        };
        // On a ledger without dispute history, a document settled since a cutoff may have
        // been disputed then without saying so: it is scored both ways, as disputed and as
        // not, by its chance of having been disputed (see `prior::Latent`). Elsewhere each
        // document counts once, as what the ledger says it was.
        let chances: HashMap<i64, f64> = match model.prior.adjustments.latent {
            Some(_) => sample
                .iter()
                .flat_map(|h| model.dispute_chances(h))
                .collect(),
            None => HashMap::new(),
        };
        // Unless the settings fix it, every residual weight is tried on the same replay.
        let weights: Vec<Option<f64>> = match model.config.residual_weight {
            Some(w) => vec![Some(w)],
            None => RESIDUAL_WEIGHTS.to_vec(),
        };
        let mut model_errors: Vec<[Errors; 3]> = vec![Default::default(); weights.len()];
        // The median's errors by residual weight too: where the median leaves a document to
        // the model (see `median_method_date`), the model's date of that weight is scored.
        let mut median_errors: Vec<[Errors; 3]> = vec![Default::default(); weights.len()];
        let mut points: Vec<Vec<(f64, bool, f64)>> = vec![Vec::new(); weights.len()];
        let mut cutoffs = Vec::new();
        for back in CHECK_CUTOFFS {
            let cutoff = as_of - chrono::Duration::days(back);
            let (replayed, actual): (Vec<CustomerHistory>, Vec<Vec<Option<Date>>>) =
                sample.iter().map(|h| replay_at(h, cutoff)).unzip();
            if replayed.iter().all(|h| h.settled.is_empty()) {
                continue;
            }
            let fitted = Model::fit(&replayed, cutoff, config.clone());
            let variants: Vec<Model> = weights
                .iter()
                .map(|&residual_weight| Model {
                    config: ModelConfig {
                        residual_weight,
                        ..fitted.config.clone()
                    },
                    ..fitted.clone()
                })
                .collect();
            let fallback = fitted.prior.median_days_late;
            let indices: Vec<usize> = (0..replayed.len()).collect();
            let results: Vec<Vec<Scored>> = par_map(&indices, |&i| {
                let h = &replayed[i];
                let late = days_late(h);
                let scored = |h: &CustomerHistory| {
                    let profile = fitted.profile(h);
                    let predictions: Vec<Vec<Prediction>> = variants
                        .iter()
                        .map(|m| m.predict_with(h, &profile))
                        .collect();
                    h.open
                        .iter()
                        .enumerate()
                        .zip(&actual[i])
                        .map(|((k, doc), &paid)| {
                            let median = median_method_date(doc, &late, fallback, cutoff);
                            let chance = if doc.disputed {
                                1.0
                            } else {
                                chances.get(&doc.key).copied().unwrap_or(0.0)
                            };
                            Scored {
                                segment: Segment::of(doc, cutoff),
                                due: doc.due_date,
                                model: predictions
                                    .iter()
                                    .map(|p| (p[k].date, p[k].p_late))
                                    .collect(),
                                median,
                                chance,
                                paid,
                            }
                        })
                        .collect::<Vec<_>>()
                };
                let plain = scored(h);
                if !plain
                    .iter()
                    .any(|s| s.chance > 0.0 && s.segment != Segment::Disputed)
                {
                    // Each document once, as what the ledger says it was.
                    return plain
                        .into_iter()
                        .map(|p| Scored { chance: 1.0, ..p })
                        .collect();
                }
                // The same documents, as disputed.
                let flagged = CustomerHistory {
                    open: h
                        .open
                        .iter()
                        .map(|o| OpenDoc {
                            disputed: o.disputed || chances.contains_key(&o.key),
                            ..o.clone()
                        })
                        .collect(),
                    ..h.clone()
                };
                let disputed = scored(&flagged);
                plain
                    .into_iter()
                    .zip(disputed)
                    .flat_map(|(p, d)| {
                        if p.segment == Segment::Disputed || p.chance <= 0.0 {
                            vec![Scored { chance: 1.0, ..p }]
                        } else {
                            vec![
                                Scored {
                                    chance: 1.0 - p.chance,
                                    ..p
                                },
                                Scored {
                                    chance: p.chance,
                                    ..d
                                },
                            ]
                        }
                    })
                    .collect()
            });
            let mut any = false;
            for s in results.iter().flatten() {
                let (paid, weight) = (s.paid, s.chance.min(1.0));
                if s.due > cutoff {
                    // Its outcome is known once it is paid, or unpaid past its due date.
                    let late = match paid {
                        Some(paid) => Some(paid > s.due),
                        None if s.due < as_of => Some(true),
                        None => None,
                    };
                    if let Some(late) = late {
                        for (points, &(_, p_late)) in points.iter_mut().zip(&s.model) {
                            points.push((p_late, late, weight));
                        }
                    }
                }
                // Still unpaid at the as-of date: paid the day after at the earliest. Its
                // errors are bounds, but leaving it out would keep only the quick
                // payments of the cutoff (unless it was long overdue already then, and
                // says nothing of anyone's rhythm).
                let (paid, bound) = match paid {
                    Some(paid) => (paid, false),
                    None if days(s.due, cutoff) <= config.censor_cap_days => {
                        (as_of + chrono::Days::new(1), true)
                    }
                    None => continue,
                };
                any = true;
                let segment = s.segment.index();
                for ((errors, median), &(date, _)) in model_errors
                    .iter_mut()
                    .zip(median_errors.iter_mut())
                    .zip(&s.model)
                {
                    errors[segment].push((date - paid).num_days(), weight, bound);
                    let median_date = s.median.unwrap_or(date);
                    median[segment].push((median_date - paid).num_days(), weight, bound);
                }
            }
            if any {
                cutoffs.push(cutoff);
            }
        }
        // The residual weight whose forecast, corrected for each segment's bias, erred least
        // (the first of equals: the customer's own prior weight before any more; the
        // settings' weight when they fix it).
        let cost = |errors: &[Errors; 3]| -> f64 {
            errors
                .iter()
                .map(|e| {
                    let shift = if e.weight() >= MIN_SCORED as f64 {
                        e.correction()
                    } else {
                        0
                    };
                    e.mae(shift).map_or(0.0, |m| m * e.weight())
                })
                .sum()
        };
        let costs: Vec<f64> = model_errors.iter().map(cost).collect();
        // With too few documents scored, the first (no choice on noise).
        let scored: f64 = model_errors
            .first()
            .map_or(0.0, |e| e.iter().map(Errors::weight).sum());
        let best = (0..weights.len())
            .filter(|_| scored >= MIN_SCORED as f64)
            .min_by(|&a, &b| costs[a].total_cmp(&costs[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        let scores: [Scores; 3] = Segment::ALL.map(|segment| Scores {
            model: model_errors[best][segment.index()].clone(),
            median: median_errors[best][segment.index()].clone(),
        });
        let mut all = Scores::default();
        for s in &scores {
            all.model.extend(&s.model);
            all.median.extend(&s.median);
        }
        let overall = if all.model.weight() >= MIN_SCORED as f64 {
            Decision::judge(&all)
        } else {
            Decision::unchecked(Method::Model, all.model.weight().round() as usize)
        };
        let segments = Segment::ALL.map(|segment| {
            let s = &scores[segment.index()];
            if s.model.weight() >= MIN_SCORED as f64 {
                Decision::judge(s)
            } else {
                // Too few to judge: the model, whatever the other segments chose. (Inheriting
                // the not-due segment's median left a disputed document without its dispute
                // delay, on the word of documents that were never disputed.)
                Decision::unchecked(Method::Model, s.model.weight().round() as usize)
            }
        });
        SelfCheck {
            cutoffs,
            overall,
            segments,
            calibration: Calibration::fit(&points[best]),
            residual_weight: weights[best],
        }
    }
}

/// One way of scoring a document of the check.
#[derive(Debug, Clone)]
struct Scored {
    segment: Segment,
    due: Date,
    /// The model's date and probability of paying late, by residual weight tried.
    model: Vec<(Date, f64)>,
    /// The median method's date; `None`: the model's (see [`median_method_date`]).
    median: Option<Date>,
    /// Its chance of having been disputed, then its weight once scored one way: 1, or its
    /// chance of being of this segment.
    chance: f64,
    /// When it was paid, if by the as-of date.
    paid: Option<Date>,
}

/// A customer's history as it stood at `cutoff` (before the as-of date of `h`), from what
/// `h` knows: documents dated by then; settled by then if their settlement is; disputed at
/// the cutoff if an issue on them was opened by then. Promises and issues of the time are
/// not kept in a history, so the replay has none. Also returns each open document's
/// settlement date, if it settled by the as-of date.
pub fn replay_at(h: &CustomerHistory, cutoff: Date) -> (CustomerHistory, Vec<Option<Date>>) {
    let mut out = CustomerHistory {
        cid: h.cid,
        group: h.group.clone(),
        failed_attempts: h
            .failed_attempts
            .iter()
            .copied()
            .filter(|&d| d <= cutoff)
            .collect(),
        ..Default::default()
    };
    let mut actual = Vec::new();
    let known = |opened: Option<Date>| opened.is_some_and(|d| d <= cutoff);
    for s in h.settled.iter().filter(|s| s.doc_date <= cutoff) {
        if s.settled <= cutoff {
            out.settled.push(SettledDoc {
                dispute_opened: s.dispute_opened.filter(|&d| d <= cutoff),
                ..s.clone()
            });
        } else {
            out.open.push(OpenDoc {
                key: s.key,
                doc_date: s.doc_date,
                due_date: s.due_date,
                amount: s.amount,
                balance: s.amount,
                own_balance: s.amount,
                currency: String::new(),
                disputed: known(s.dispute_opened),
                dispute_opened: s.dispute_opened.filter(|&d| d <= cutoff),
            });
            actual.push(Some(s.settled));
        }
    }
    for o in h.open.iter().filter(|o| o.doc_date <= cutoff) {
        out.open.push(OpenDoc {
            balance: o.amount,
            own_balance: o.amount,
            currency: String::new(),
            disputed: known(o.dispute_opened),
            dispute_opened: o.dispute_opened.filter(|&d| d <= cutoff),
            ..o.clone()
        });
        actual.push(None);
    }
    (out, actual)
}
