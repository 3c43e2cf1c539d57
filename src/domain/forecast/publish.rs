//! What is published for each open document: the model's date or the per-customer median's,
//! as the self-check chose for the document's segment, corrected for the bias the check
//! measured; an open promise's date where it applies; the method and its error on this
//! ledger; and the calibrated probability of being paid after the due date.

use super::check::{Decision, Method, Segment, SelfCheck, days_late, median_method_date};
use super::model::{
    Model, ModelConfig, Prediction, Profile, apply_promise, describe_late, little_history_reason,
    no_history_reason, partly_paid, promise_dates,
};
use super::risk::Risk;
use super::{CustomerHistory, OpenDoc, days};
use crate::domain::Date;
use chrono::Days;

/// One open document's published forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct Published {
    /// The document's key (`did`).
    pub key: i64,
    pub date: Date,
    /// One line for people.
    pub reason: String,
    pub method: Method,
    pub segment: Segment,
    /// The method's mean absolute error on the ledger's own recent history (days), when the
    /// check scored enough documents of the segment.
    pub backtest_mae: Option<f64>,
    /// The calibrated probability of being paid after the due date (1 once due and unpaid).
    pub p_late: f64,
}

/// The fitted model and what its check on the ledger decided.
#[derive(Debug, Clone)]
pub struct Forecaster {
    pub model: Model,
    /// `None` when the settings turn the check off.
    pub check: Option<SelfCheck>,
}

impl Forecaster {
    /// Fits the model on every customer's history as of `as_of`, then checks it on the
    /// ledger's recent history (unless the settings say not to).
    pub fn fit(histories: &[CustomerHistory], as_of: Date, config: ModelConfig) -> Forecaster {
        let mut model = Model::fit(histories, as_of, config);
        let check = model
            .config
            .self_check
            .then(|| SelfCheck::run(histories, &model));
        if let Some(check) = &check {
            model.config.residual_weight = check.residual_weight;
        }
        Forecaster { model, check }
    }

    /// The as-of date.
    pub fn as_of(&self) -> Date {
        self.model.as_of
    }

    /// What the check decided for a segment (the model, unchecked, without a check).
    pub fn decision(&self, segment: Segment) -> Decision {
        self.check.as_ref().map_or(
            Decision {
                method: Method::Model,
                shift: 0,
                mae: None,
                scored: 0,
                model_mae: None,
                median_mae: None,
            },
            |c| *c.decision(segment),
        )
    }

    /// The calibrated form of a model probability of lateness.
    pub fn calibrate(&self, p: f64) -> f64 {
        self.check.as_ref().map_or(p, |c| c.calibration.apply(p))
    }

    /// The customer's profile (see [`Model::profile`]).
    pub fn profile(&self, h: &CustomerHistory) -> Profile {
        self.model.profile(h)
    }

    /// Publishes each of the customer's open documents, in order.
    pub fn publish(&self, h: &CustomerHistory, profile: &Profile) -> Vec<Published> {
        let as_of = self.as_of();
        let earliest = as_of + Days::new(1);
        let predictions = self.model.predict_with(h, profile);
        let promises = promise_dates(h);
        let late = days_late(h);
        let customer_median = super::stats::median(&mut late.clone());
        let fallback = self.model.prior.median_days_late;
        h.open
            .iter()
            .zip(predictions)
            .zip(promises)
            .map(|((doc, prediction), promise)| {
                let segment = Segment::of(doc, as_of);
                let decision = self.decision(segment);
                let p_late = self.calibrate(prediction.p_late);
                let median = match decision.method {
                    Method::Median => median_method_date(doc, &late, fallback, as_of),
                    Method::Model | Method::Promise => None,
                };
                let (date, reason, method) = match median {
                    Some(base) => {
                        let date = shifted(base, decision.shift, earliest);
                        let mut reasons =
                            vec![median_reason(customer_median, fallback, partly_paid(h))];
                        let usual = customer_median.unwrap_or(fallback);
                        let overdue = days(doc.due_date, as_of);
                        if overdue > 0.0 && days(doc.due_date, base) - usual >= 3.0 {
                            reasons.push(format!("already {overdue:.0} days overdue"));
                        }
                        if doc.disputed {
                            reasons.push("disputed".into());
                        }
                        let (moved, promised) = apply_promise(date, promise, h, earliest);
                        reasons.extend(promised.clone());
                        let method = promise_method(Method::Median, &promised, h, moved != date);
                        let date = moved;
                        (date, reasons.join("; "), method)
                    }
                    // The model, or a document the median leaves to the model's survival
                    // view (its customer never paid that late): the check scored it so, under
                    // the median's correction.
                    None => self.model_date(h, profile, doc, prediction, promise, decision.shift),
                };
                let p_late = agreeing(p_late, date, doc.due_date);
                Published {
                    key: doc.key,
                    date,
                    reason,
                    backtest_mae: match method {
                        Method::Promise => None,
                        _ => decision.mae,
                    },
                    method,
                    segment,
                    p_late,
                }
            })
            .collect()
    }

    /// The model's date, corrected by `shift` (and back on the customer's payment habit, if
    /// it has one: a correction must not move a payment run's date off its weekday), with
    /// the promise applied after the correction. A reason that gives the document's own days
    /// late gives those of the corrected date.
    fn model_date(
        &self,
        h: &CustomerHistory,
        profile: &Profile,
        doc: &OpenDoc,
        prediction: Prediction,
        promise: Option<Date>,
        shift: i64,
    ) -> (Date, String, Method) {
        let earliest = self.as_of() + Days::new(1);
        let base = profile.on_habit(shifted(prediction.model_date, shift, earliest), earliest);
        let (date, promised) = apply_promise(base, promise, h, earliest);
        let method = promise_method(Method::Model, &promised, h, date != base);
        let mut reason = prediction.reason;
        if let Some(paid) = prediction.little_history
            && base != prediction.model_date
        {
            let late = |d: Date| days(doc.due_date, d);
            let before = little_history_reason(paid, late(prediction.model_date));
            debug_assert!(reason.starts_with(&before), "{reason}");
            if let Some(rest) = reason.strip_prefix(&before) {
                reason = format!("{}{rest}", little_history_reason(paid, late(base)));
            }
        }
        (date, reason, method)
    }

    /// The customer's risk, with the calibrated probability that its next document is paid
    /// late.
    pub fn risk(&self, h: &CustomerHistory, profile: &Profile) -> Risk {
        let p_late = self.calibrate(self.model.p_late_new(h, profile));
        self.model.risk_with(h, profile, p_late)
    }
}

/// The method a promise leaves: the promise when it decides the date, else `method`.
/// A customer that broke more promises than it kept gets the later of the method's date and
/// the promise: the promise made it when it is later (`moved`).
fn promise_method(
    method: Method,
    promised: &Option<String>,
    h: &CustomerHistory,
    moved: bool,
) -> Method {
    if promised.is_some() && (h.broken_promises <= h.kept_promises || moved) {
        Method::Promise
    } else {
        method
    }
}

/// `date` moved by `shift` days, never before `earliest`.
fn shifted(date: Date, shift: i64, earliest: Date) -> Date {
    date.checked_add_signed(chrono::Duration::days(shift))
        .unwrap_or(date)
        .max(earliest)
}

/// "usually paid 4 days late", for the median method (a customer without a document paid
/// in full, of which `partly_paid` are paid in part: [`no_history_reason`]).
fn median_reason(customer: Option<f64>, portfolio: f64, partly_paid: usize) -> String {
    match customer {
        Some(d) => format!("usually paid {}", describe_late(d)),
        None => no_history_reason(partly_paid, portfolio),
    }
}

/// The probability of being paid after `due`, kept in agreement with the date published
/// beside it: that date is a median (of the model's, the customer's or a promise), so a date
/// after the due date says "more likely late than not" and one on or before it the opposite.
/// A collector read "predicted 13 April (due 10 April), 2 % likely to pay late".
/// On the demo, the second and the third portfolio's backtests the Brier score stayed or
/// improved (0.0953 → 0.0949, 0.1139, 0.0661 → 0.0660).
fn agreeing(p_late: f64, date: Date, due: Date) -> f64 {
    if date > due {
        p_late.max(0.5)
    } else {
        p_late.min(0.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A customer who broke more promises than it kept gets the later of the two dates: when
    /// that is the promise's, the promise made the date (it said "model", with the model's
    /// error beside it).
    #[test]
    fn a_promise_that_moves_the_date_made_it() {
        let promised = Some("promised for 2026-04-25".to_string());
        let breaker = CustomerHistory {
            broken_promises: 1,
            ..Default::default()
        };
        assert_eq!(
            promise_method(Method::Model, &promised, &breaker, true),
            Method::Promise
        );
        assert_eq!(
            promise_method(Method::Model, &promised, &breaker, false),
            Method::Model
        );
        let keeper = CustomerHistory::default();
        assert_eq!(
            promise_method(Method::Median, &promised, &keeper, false),
            Method::Promise
        );
        assert_eq!(
            promise_method(Method::Median, &None, &keeper, false),
            Method::Median
        );
    }
}
