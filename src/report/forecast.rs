//! `owed report forecast`: the predicted payment date of every open document, the 13-week
//! cash forecast, and every customer's risk — the store-facing entry points of
//! `domain::forecast` for the CLI, the workstation and the rule engine.
//!
//! - [`Forecast::compute`]: everything at once, from one pass over the histories (what the
//!   workstation loads, and re-loads when the database changes).
//! - [`payment_risks`]: only the risk level per customer (the rule field `payment_risk`).

use super::table::{Align, TextTable};
use crate::Result;
use crate::domain::forecast::cash::{self, CashForecast};
use crate::domain::forecast::check::{Decision, Segment};
use crate::domain::forecast::{Forecaster, Method, ModelConfig, Risk, RiskLevel, par_map};
use crate::domain::money::{grouped, plain};
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::store::ledger::history::HistoryQuery;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;

/// One open document's forecast.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentForecast {
    /// Store key (`did`) and billing id.
    pub key: i64,
    pub id: String,
    /// Store key (`cid`) and billing id of the customer.
    pub cid: i64,
    pub customer_id: String,
    /// Open balance in the base currency.
    pub balance: Decimal,
    /// The cash the forecast expects for it (the weeks' amounts): its balance less what the
    /// customer's credit and cash in hand settle ([`cash::after_credit`]); 0 for the documents
    /// of a customer in net credit.
    pub cash: Decimal,
    pub due_date: Date,
    pub predicted: Date,
    pub reason: String,
    /// How the date was made: the model, the per-customer median (where the self-check
    /// found the model no better on this ledger), or an open promise.
    pub method: Method,
    /// The method's mean absolute error in days on the ledger's own recent history, for
    /// documents of this kind; `None` when too few were scored (or for a promise).
    pub backtest_mae: Option<f64>,
    /// The calibrated probability of being paid after the due date.
    pub p_late: f64,
}

/// The forecast of the portfolio as of a date.
#[derive(Debug, Clone)]
pub struct Forecast {
    pub as_of: Date,
    pub currency: String,
    /// Every open document, by predicted date then id.
    pub documents: Vec<DocumentForecast>,
    pub cash: CashForecast,
    /// Risk per customer key, for every customer with documents.
    pub risks: HashMap<i64, Risk>,
    /// What the self-check decided per segment (not yet due, overdue, disputed), and the
    /// cutoffs it replayed.
    pub check: Vec<(Segment, Decision)>,
    pub check_cutoffs: Vec<Date>,
    /// The effects the model measured on the ledger.
    pub effects: Effects,
}

/// What the model measured on the ledger (see `domain::forecast::prior`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effects {
    /// Days a dispute adds.
    pub dispute_days: f64,
    /// `measured` (on disputed settled documents), `estimated` (the ledger keeps no dispute
    /// history: from the shape of its payments) or `prior` (nothing to measure: none).
    pub dispute_source: &'static str,
    /// Disputed settled documents measured.
    pub disputed_documents: usize,
    /// Days added by amount class, smallest to largest (the usual class is 0).
    pub amount_days: Vec<f64>,
    /// Documents' worth of its peers in a customer's typical days late.
    pub prior_weight_documents: f64,
    /// Documents' worth, at least, of the portfolio's residual curve in each document's
    /// blend, as the self-check chose it; `None` (null): the customer's prior weight.
    pub residual_weight_documents: Option<f64>,
    /// The typical spread of a customer's days late (days).
    pub customer_spread_days: f64,
}

impl Effects {
    fn of(f: &Forecaster) -> Effects {
        let prior = &f.model.prior;
        let a = &prior.adjustments;
        Effects {
            dispute_days: round2(a.dispute_days),
            dispute_source: if a.latent.is_some() {
                "estimated"
            } else if a.dispute_evidence > 0 {
                "measured"
            } else {
                "prior"
            },
            disputed_documents: a.dispute_evidence,
            amount_days: a.size_days.iter().map(|&d| round2(d)).collect(),
            prior_weight_documents: round2(prior.prior_weight),
            residual_weight_documents: f.model.config.residual_weight.map(round2),
            customer_spread_days: round2(prior.spread),
        }
    }
}

impl Forecast {
    /// The forecast of some customers only (keys: one finance owner's, `--owner`): their
    /// documents, as predicted with the whole ledger's model, their risks, and the cash by
    /// week of those documents.
    pub fn restricted(mut self, cids: &std::collections::HashSet<i64>) -> Forecast {
        self.documents.retain(|d| cids.contains(&d.cid));
        self.risks.retain(|cid, _| cids.contains(cid));
        self.cash = cash::weekly(
            self.as_of,
            cash::WEEKS,
            self.documents.iter().map(|d| (d.predicted, d.cash)),
        );
        self
    }

    /// Predicts every open document and every customer's risk as of `as_of`.
    pub fn compute(
        store: &Store,
        as_of: Date,
        base_currency: &str,
        promise_grace_days: u32,
    ) -> Result<Forecast> {
        let histories = store.ledger().histories(&HistoryQuery {
            cutoff: as_of,
            base_currency: base_currency.to_string(),
            promise_grace_days,
            customer: None,
            with_ids: true,
        })?;
        let mut histories = histories;
        with_credit(store, as_of, base_currency, &mut histories.customers)?;
        let labels = store.ledger().customer_labels()?;
        let forecaster = Forecaster::fit(&histories.customers, as_of, ModelConfig::default());
        let per_customer = par_map(&histories.customers, |h| {
            let profile = forecaster.profile(h);
            (
                forecaster.risk(h, &profile),
                forecaster.publish(h, &profile),
            )
        });
        let mut documents = Vec::new();
        let mut risks = HashMap::with_capacity(histories.customers.len());
        for (h, (risk, predictions)) in histories.customers.iter().zip(per_customer) {
            risks.insert(h.cid, risk);
            let customer_id = labels.get(&h.cid).map(|l| l.id.clone()).unwrap_or_default();
            let cash_of = cash::after_credit(h);
            for ((doc, p), cash) in h.open.iter().zip(predictions).zip(cash_of) {
                documents.push(DocumentForecast {
                    key: doc.key,
                    id: histories
                        .document_ids
                        .get(&doc.key)
                        .cloned()
                        .unwrap_or_default(),
                    cid: h.cid,
                    customer_id: customer_id.clone(),
                    balance: doc.balance,
                    cash,
                    due_date: doc.due_date,
                    predicted: p.date,
                    reason: p.reason,
                    method: p.method,
                    backtest_mae: p.backtest_mae,
                    p_late: p.p_late,
                });
            }
        }
        documents.sort_by(|a, b| a.predicted.cmp(&b.predicted).then_with(|| a.id.cmp(&b.id)));
        let cash = cash::weekly(
            as_of,
            cash::WEEKS,
            documents.iter().map(|d| (d.predicted, d.cash)),
        );
        Ok(Forecast {
            as_of,
            currency: base_currency.to_string(),
            documents,
            cash,
            risks,
            check: Segment::ALL
                .iter()
                .map(|&s| (s, forecaster.decision(s)))
                .collect(),
            check_cutoffs: forecaster
                .check
                .as_ref()
                .map(|c| c.cutoffs.clone())
                .unwrap_or_default(),
            effects: Effects::of(&forecaster),
        })
    }

    /// SPEC's JSON, plus `currency`; per document a `reason`, the `method` that made the
    /// date, its `backtest_mae_days` on this ledger and `p_late` (the probability of being
    /// paid after the due date); `beyond` (expected after the last week); and `self_check`
    /// (what the check decided per segment).
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.json_view()).unwrap_or(Value::Null)
    }

    /// Writes [`Forecast::to_json`]'s document to `out` as it goes (no tree in memory).
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, &self.json_view())?;
        writeln!(out)
    }

    fn json_view(&self) -> JsonForecast<'_> {
        JsonForecast {
            as_of: self.as_of,
            currency: &self.currency,
            documents: JsonDocuments(self),
            weeks: self
                .cash
                .weeks
                .iter()
                .map(|w| JsonWeek {
                    week_start: w.start,
                    amount: plain(w.amount, &self.currency),
                })
                .collect(),
            beyond: plain(self.cash.beyond, &self.currency),
            effects: &self.effects,
            self_check: JsonCheck {
                cutoffs: &self.check_cutoffs,
                segments: self
                    .check
                    .iter()
                    .map(|(segment, d)| JsonSegment {
                        segment: segment.as_str(),
                        method: d.method.as_str(),
                        scored: d.scored,
                        shift_days: d.shift,
                        backtest_mae_days: d.mae.map(round2),
                        model_mae_days: d.model_mae.map(round2),
                        median_mae_days: d.median_mae.map(round2),
                    })
                    .collect(),
            },
        }
    }

    /// The weeks as a table, then the `top` largest open documents with their reasons.
    pub fn to_text(&self, top: usize) -> String {
        let cur = &self.currency;
        let mut weeks = TextTable::new(&[
            ("week of", Align::Left),
            ("expected", Align::Right),
            ("cumulative", Align::Right),
        ]);
        let mut cumulative = Decimal::ZERO;
        for w in &self.cash.weeks {
            cumulative += w.amount;
            weeks.row(vec![
                w.start.to_string(),
                grouped(w.amount, cur),
                grouped(cumulative, cur),
            ]);
        }
        weeks.row(vec![
            "later".into(),
            grouped(self.cash.beyond, cur),
            grouped(cumulative + self.cash.beyond, cur),
        ]);
        let mut largest: Vec<&DocumentForecast> = self.documents.iter().collect();
        largest.sort_by(|a, b| b.balance.cmp(&a.balance).then_with(|| a.id.cmp(&b.id)));
        let mut docs = TextTable::new(&[
            ("document", Align::Left),
            ("customer", Align::Left),
            ("balance", Align::Right),
            ("due", Align::Left),
            ("expected", Align::Left),
            ("how", Align::Left),
            ("why", Align::Left),
        ]);
        for d in largest.iter().take(top) {
            docs.row(vec![
                d.id.clone(),
                d.customer_id.clone(),
                grouped(d.balance, cur),
                d.due_date.to_string(),
                d.predicted.to_string(),
                method_label(d.method, d.backtest_mae),
                d.reason.clone(),
            ]);
        }
        format!(
            "Cash forecast as of {} in {cur}: {} open documents\n\n{}\n{}\nLargest open documents\n\n{}",
            self.as_of,
            self.documents.len(),
            weeks.render(),
            self.check_text(),
            docs.render()
        )
    }

    /// One line per segment: the method the self-check chose and why.
    fn check_text(&self) -> String {
        if self.check_cutoffs.is_empty() {
            return "Not checked: too little history on this ledger (the model is used).\n".into();
        }
        let mut out = format!(
            "Checked on this ledger's own history ({} cutoffs from {} to {}):\n",
            self.check_cutoffs.len(),
            self.check_cutoffs[0],
            self.check_cutoffs[self.check_cutoffs.len() - 1]
        );
        for (segment, d) in &self.check {
            let line = match (d.model_mae, d.median_mae) {
                (Some(m), Some(n)) => format!(
                    "  {:<9} {} (model {m:.1} d, median {n:.1} d, {} scored{})\n",
                    segment.as_str(),
                    d.method.as_str(),
                    d.scored,
                    if d.shift != 0 {
                        format!(", moved {:+} d", d.shift)
                    } else {
                        String::new()
                    }
                ),
                _ => format!(
                    "  {:<9} {} (too few scored: {})\n",
                    segment.as_str(),
                    d.method.as_str(),
                    d.scored
                ),
            };
            out.push_str(&line);
        }
        out
    }

    /// Each open document's forecast by its key (`did`), for showing it beside the document.
    pub fn by_document(&self) -> HashMap<i64, &DocumentForecast> {
        self.documents.iter().map(|d| (d.key, d)).collect()
    }

    /// Customers by risk, riskiest first (score, then key): the "High risk" tab's order.
    pub fn by_risk(&self) -> Vec<(i64, &Risk)> {
        let mut out: Vec<(i64, &Risk)> = self.risks.iter().map(|(c, r)| (*c, r)).collect();
        out.sort_by(|a, b| b.1.score.cmp(&a.1.score).then(a.0.cmp(&b.0)));
        out
    }
}

/// "model, 4.4 d", "median, 6.1 d", "model", "promise": a method and its error on the ledger.
pub fn method_label(method: Method, mae: Option<f64>) -> String {
    match mae {
        Some(e) => format!("{}, {e:.1} d", method.as_str()),
        None => method.as_str().to_string(),
    }
}

/// The JSON document, field by field in SPEC's order.
#[derive(Serialize)]
struct JsonForecast<'a> {
    as_of: Date,
    currency: &'a str,
    documents: JsonDocuments<'a>,
    weeks: Vec<JsonWeek>,
    beyond: String,
    effects: &'a Effects,
    self_check: JsonCheck<'a>,
}

/// The self-check's decisions.
#[derive(Serialize)]
struct JsonCheck<'a> {
    cutoffs: &'a [Date],
    segments: Vec<JsonSegment>,
}

#[derive(Serialize)]
struct JsonSegment {
    segment: &'static str,
    method: &'static str,
    scored: usize,
    shift_days: i64,
    backtest_mae_days: Option<f64>,
    model_mae_days: Option<f64>,
    median_mae_days: Option<f64>,
}

/// Rounds to two decimals (days and probabilities in JSON).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[derive(Serialize)]
struct JsonWeek {
    week_start: Date,
    amount: String,
}

/// The documents, serialised one by one.
struct JsonDocuments<'a>(&'a Forecast);

#[derive(Serialize)]
struct JsonDocument<'a> {
    id: &'a str,
    customer_id: &'a str,
    balance: String,
    predicted_payment_date: Date,
    reason: &'a str,
    method: &'static str,
    backtest_mae_days: Option<f64>,
    p_late: f64,
}

impl Serialize for JsonDocuments<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let f = self.0;
        s.collect_seq(f.documents.iter().map(|d| JsonDocument {
            id: &d.id,
            customer_id: &d.customer_id,
            balance: plain(d.balance, &f.currency),
            predicted_payment_date: d.predicted,
            reason: &d.reason,
            method: d.method.as_str(),
            backtest_mae_days: d.backtest_mae.map(round2),
            p_late: round2(d.p_late),
        }))
    }
}

/// Sets each customer's credit and cash in hand at `as_of` (its open credit notes and
/// unapplied payments, in the base currency), which the risk score sets against what is
/// overdue: one pass over those items alone.
fn with_credit(
    store: &Store,
    as_of: Date,
    base_currency: &str,
    customers: &mut [crate::domain::forecast::CustomerHistory],
) -> Result<()> {
    use crate::store::ledger::ItemKind;
    let mut credit: HashMap<i64, Decimal> = HashMap::new();
    store.ledger().for_each_open_item_of(
        as_of,
        None,
        &[ItemKind::Credit, ItemKind::Cash],
        |item| *credit.entry(item.cid).or_default() += item.base_balance(base_currency).abs(),
    )?;
    for h in customers {
        h.credit = credit.get(&h.cid).copied().unwrap_or_default();
    }
    Ok(())
}

/// The risk level of every customer with documents as of `as_of` (customers without any
/// are low risk) — what the rule field `payment_risk` reads.
pub fn payment_risks(
    store: &Store,
    as_of: Date,
    base_currency: &str,
    promise_grace_days: u32,
) -> Result<HashMap<i64, RiskLevel>> {
    let histories = store.ledger().histories(&HistoryQuery {
        cutoff: as_of,
        base_currency: base_currency.to_string(),
        promise_grace_days,
        customer: None,
        with_ids: false,
    })?;
    let mut histories = histories;
    with_credit(store, as_of, base_currency, &mut histories.customers)?;
    let forecaster = Forecaster::fit(&histories.customers, as_of, ModelConfig::default());
    let levels = par_map(&histories.customers, |h| {
        forecaster.risk(h, &forecaster.profile(h)).level
    });
    Ok(histories
        .customers
        .iter()
        .map(|h| h.cid)
        .zip(levels)
        .collect())
}
