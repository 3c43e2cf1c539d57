//! `owed backtest`: replays the database's history at cutoffs and scores the forecast.
//!
//! At each cutoff the histories are read strictly as of the cutoff (`store::history`), the
//! model is fitted on them and every document open then is predicted. A document is scored
//! against the date it was actually settled, as known at the horizon (the as-of date of the
//! command, today by default); documents still open at the horizon cannot be scored and are
//! counted apart. The model's mean absolute error in days is printed beside the
//! per-customer-median and due-date baselines (`domain::forecast::backtest`).

use super::table::{Align, TextTable};
use crate::domain::Date;
use crate::domain::forecast::backtest::{Tally, due_baseline, median_baseline, median_days_to_pay};
use crate::domain::forecast::{Model, ModelConfig, par_map};
use crate::store::Store;
use crate::store::history::HistoryQuery;
use crate::{Error, Result};
use serde_json::{Value, json};
use std::collections::HashMap;

/// What to replay.
#[derive(Debug, Clone)]
pub struct BacktestOptions {
    pub from: Date,
    pub to: Date,
    /// Days between cutoffs.
    pub every_days: u32,
    /// What happened is known up to this date (the command's as-of date).
    pub horizon: Date,
    pub base_currency: String,
    pub promise_grace_days: u32,
    pub model: ModelConfig,
}

/// One cutoff's results.
#[derive(Debug, Clone, PartialEq)]
pub struct CutoffResult {
    pub cutoff: Date,
    /// Documents open at the cutoff.
    pub open: u64,
    /// Of those, still open at the horizon (not scored).
    pub still_open: u64,
    pub tally: Tally,
}

/// The whole backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    pub horizon: Date,
    pub cutoffs: Vec<CutoffResult>,
    pub total: Tally,
    pub still_open: u64,
}

/// The cutoffs `from`, `from + every`, … up to `to`.
pub fn cutoffs(from: Date, to: Date, every_days: u32) -> Vec<Date> {
    let step = chrono::Days::new(u64::from(every_days.max(1)));
    let mut out = Vec::new();
    let mut d = from;
    while d <= to {
        out.push(d);
        match d.checked_add_days(step) {
            Some(next) => d = next,
            None => break,
        }
    }
    out
}

impl Backtest {
    /// Runs the backtest.
    pub fn run(store: &Store, o: &BacktestOptions) -> Result<Backtest> {
        if o.from > o.to {
            return Err(Error::input(format!(
                "--from {} is after --to {}",
                o.from, o.to
            )));
        }
        if o.to >= o.horizon {
            return Err(Error::input(format!(
                "--to {} must be before the as-of date {} (what happened after a cutoff must be known)",
                o.to, o.horizon
            )));
        }
        let query = |cutoff: Date| HistoryQuery {
            cutoff,
            base_currency: o.base_currency.clone(),
            promise_grace_days: o.promise_grace_days,
            customer: None,
            with_ids: false,
        };
        let settled: HashMap<i64, Date> = store
            .histories(&query(o.horizon))?
            .customers
            .iter()
            .flat_map(|h| h.settled.iter().map(|s| (s.key, s.settled)))
            .collect();
        let mut results = Vec::new();
        let mut total = Tally::default();
        let mut still_open = 0;
        for cutoff in cutoffs(o.from, o.to, o.every_days) {
            let histories = store.histories(&query(cutoff))?;
            let model = Model::fit(&histories.customers, cutoff, o.model.clone());
            let fallback = model.prior.median_days_to_pay;
            let mut r = CutoffResult {
                cutoff,
                open: 0,
                still_open: 0,
                tally: Tally::default(),
            };
            let predictions = par_map(&histories.customers, |h| model.predict(h));
            for (h, predictions) in histories.customers.iter().zip(predictions) {
                let customer_median = median_days_to_pay(h);
                for (doc, p) in h.open.iter().zip(predictions) {
                    r.open += 1;
                    let Some(&actual) = settled.get(&doc.key) else {
                        r.still_open += 1;
                        continue;
                    };
                    r.tally.add(
                        actual,
                        p.date,
                        median_baseline(doc, customer_median, fallback, cutoff),
                        due_baseline(doc, cutoff),
                    );
                }
            }
            total.absorb(&r.tally);
            still_open += r.still_open;
            results.push(r);
        }
        Ok(Backtest {
            horizon: o.horizon,
            cutoffs: results,
            total,
            still_open,
        })
    }

    /// The results as JSON: per cutoff and overall, MAE in days (null when nothing scored).
    pub fn to_json(&self) -> Value {
        let round = |v: Option<f64>| v.map(|x| (x * 100.0).round() / 100.0);
        let tally = |t: &Tally| {
            json!({
                "scored": t.count,
                "model_mae": round(t.model_mae()),
                "median_mae": round(t.median_mae()),
                "due_date_mae": round(t.due_mae()),
                "ratio": round(t.ratio()),
            })
        };
        let cutoffs: Vec<Value> = self
            .cutoffs
            .iter()
            .map(|c| {
                let mut v = tally(&c.tally);
                v["cutoff"] = json!(c.cutoff.to_string());
                v["open"] = json!(c.open);
                v["still_open"] = json!(c.still_open);
                v
            })
            .collect();
        let mut overall = tally(&self.total);
        overall["still_open"] = json!(self.still_open);
        json!({
            "horizon": self.horizon.to_string(),
            "cutoffs": cutoffs,
            "overall": overall,
        })
    }

    /// The results as a table.
    pub fn to_text(&self) -> String {
        let days = |v: Option<f64>| v.map_or("—".into(), |x| format!("{x:.2}"));
        let mut t = TextTable::new(&[
            ("cutoff", Align::Left),
            ("open", Align::Right),
            ("scored", Align::Right),
            ("model", Align::Right),
            ("median", Align::Right),
            ("due date", Align::Right),
            ("ratio", Align::Right),
        ]);
        let row = |label: String, open: String, t: &Tally| {
            vec![
                label,
                open,
                t.count.to_string(),
                days(t.model_mae()),
                days(t.median_mae()),
                days(t.due_mae()),
                days(t.ratio()),
            ]
        };
        for c in &self.cutoffs {
            t.row(row(c.cutoff.to_string(), c.open.to_string(), &c.tally));
        }
        let open: u64 = self.cutoffs.iter().map(|c| c.open).sum();
        t.row(row("overall".into(), open.to_string(), &self.total));
        format!(
            "Backtest: mean absolute error in days of the predicted payment date, against what \
             happened up to {}\n(median: the per-customer median days to pay; ratio: model ÷ \
             median)\n\n{}\n{} document-cutoffs still open at {} were not scored.\n",
            self.horizon,
            t.render(),
            self.still_open,
            self.horizon
        )
    }
}

/// Parses `--every`: `14d`, `2w` or a bare number of days.
pub fn parse_every(text: &str) -> std::result::Result<u32, String> {
    let t = text.trim().to_ascii_lowercase();
    let (num, mult) = if let Some(n) = t.strip_suffix('d') {
        (n, 1)
    } else if let Some(n) = t.strip_suffix('w') {
        (n, 7)
    } else {
        (t.as_str(), 1)
    };
    match num.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n * mult),
        _ => Err(format!(
            "`{text}` is not a period (use days like 14d, or weeks like 2w)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::date::parse_iso;

    #[test]
    fn cutoffs_step_from_from_to_to() {
        let d = |s| parse_iso(s).unwrap();
        assert_eq!(
            cutoffs(d("2026-01-01"), d("2026-01-29"), 14),
            vec![d("2026-01-01"), d("2026-01-15"), d("2026-01-29")]
        );
        assert_eq!(cutoffs(d("2026-01-01"), d("2026-01-28"), 14).len(), 2);
    }

    #[test]
    fn every_takes_days_and_weeks() {
        assert_eq!(parse_every("14d"), Ok(14));
        assert_eq!(parse_every("2w"), Ok(14));
        assert_eq!(parse_every("7"), Ok(7));
        assert!(parse_every("0d").is_err());
        assert!(parse_every("fortnight").is_err());
    }
}
