//! `owed report metrics`: the metrics bar's figures.

use super::Portfolio;
use super::table::{Align, TextTable};
use crate::Result;
use crate::domain::metrics::{
    average_days_delinquent, cei, days_inclusive, dso_count_back, months_back,
};
use crate::domain::money::{grouped, plain};
use crate::domain::{Date, Decimal};
use crate::store::Store;
use serde_json::{Map, Value, json};

/// Months of sales the DSO count-back may walk through.
pub const DSO_MONTHS: usize = 12;

/// The portfolio's headline figures as of a date, in the base currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub as_of: Date,
    pub currency: String,
    pub outstanding: Decimal,
    pub overdue: Decimal,
    pub net_overdue: Decimal,
    pub unutilised_credit: Decimal,
    pub unapplied_cash: Decimal,
    pub collectable_this_month: Decimal,
    pub open_issue_amount: Decimal,
    pub open_p2p_amount: Decimal,
    /// Days sales outstanding, count-back over up to twelve months (None: no sales).
    pub dso: Option<Decimal>,
    /// Average days delinquent over the last three months' sales.
    pub add: Option<Decimal>,
    /// Collection effectiveness of the as-of month to date (percent).
    pub cei: Option<Decimal>,
    pub customers_overdue: u64,
}

impl Metrics {
    /// Computes the metrics from the portfolio's figures and the sales around `as_of`.
    pub fn compute(store: &Store, p: &Portfolio, grace_days: u32) -> Result<Metrics> {
        let t = std::time::Instant::now();
        let spans = months_back(p.as_of, DSO_MONTHS);
        let oldest = spans.last().map_or(p.as_of, |s| s.0);
        let sales = store.sales_by_day(oldest, p.as_of, &p.currency)?;
        let month_sales: Vec<(Decimal, u32)> = spans
            .iter()
            .map(|(first, last)| {
                let total = sales
                    .iter()
                    .filter(|(d, _)| d >= first && d <= last)
                    .map(|(_, a)| *a)
                    .sum();
                (total, days_inclusive(*first, *last))
            })
            .collect();
        crate::store::import::phase("sales", t);
        let t = &p.total;
        let dso = dso_count_back(t.outstanding, &month_sales);
        let (sales3, days3) = month_sales
            .iter()
            .take(3)
            .fold((Decimal::ZERO, 0), |(s, d), (ms, md)| (s + ms, d + md));
        let add = average_days_delinquent(t.outstanding, t.aging[0], sales3, days3);
        let t0 = std::time::Instant::now();
        let cei = month_cei(store, p, month_sales.first().map_or(Decimal::ZERO, |m| m.0))?;
        crate::store::import::phase("cei", t0);
        let t0 = std::time::Instant::now();
        let open_issue_amount = store.open_issue_amount(p.as_of, &p.currency)?;
        crate::store::import::phase("issues", t0);
        let t0 = std::time::Instant::now();
        let open_p2p_amount = store.open_promise_amount(p.as_of, grace_days, &p.currency)?;
        crate::store::import::phase("promises", t0);
        Ok(Metrics {
            as_of: p.as_of,
            currency: p.currency.clone(),
            outstanding: t.outstanding,
            overdue: t.overdue,
            net_overdue: p.net_overdue,
            unutilised_credit: t.unutilised_credit,
            unapplied_cash: t.unapplied_cash,
            collectable_this_month: t.collectable_this_month,
            open_issue_amount,
            open_p2p_amount,
            dso,
            add,
            cei,
            customers_overdue: p.customers_overdue,
        })
    }

    /// The amounts in report order: (JSON and export name, text label, value in the base
    /// currency).
    pub fn amounts(&self) -> [(&'static str, &'static str, Decimal); 8] {
        [
            ("outstanding", "Outstanding", self.outstanding),
            ("overdue", "Overdue", self.overdue),
            ("net_overdue", "Net overdue", self.net_overdue),
            (
                "unutilised_credit",
                "Unutilised credit",
                self.unutilised_credit,
            ),
            ("unapplied_cash", "Unapplied cash", self.unapplied_cash),
            (
                "collectable_this_month",
                "Collectable this month",
                self.collectable_this_month,
            ),
            ("open_issue_amount", "Open issues", self.open_issue_amount),
            ("open_p2p_amount", "Open promises", self.open_p2p_amount),
        ]
    }

    /// The ratios in report order: (JSON and export name, text label, value, unit).
    pub fn ratios(&self) -> [(&'static str, &'static str, Option<Decimal>, &'static str); 3] {
        [
            ("dso", "DSO (count-back)", self.dso, "days"),
            (
                "average_days_delinquent",
                "Average days delinquent",
                self.add,
                "days",
            ),
            ("cei", "CEI (month to date)", self.cei, "%"),
        ]
    }

    /// SPEC's JSON: amounts as strings in the base currency's minor units; ratios as strings
    /// with one decimal (null when undefined).
    pub fn to_json(&self) -> Value {
        let cur = &self.currency;
        let mut m = Map::new();
        m.insert("as_of".into(), json!(self.as_of.to_string()));
        m.insert("currency".into(), json!(cur));
        for (name, _, v) in self.amounts() {
            m.insert(name.into(), json!(plain(v, cur)));
        }
        for (name, _, v, _) in self.ratios() {
            m.insert(name.into(), json!(v.map(|d| d.round_dp(1).to_string())));
        }
        m.insert("customers_overdue".into(), json!(self.customers_overdue));
        Value::Object(m)
    }

    /// The metrics as a two-column table.
    pub fn to_text(&self) -> String {
        let cur = &self.currency;
        let mut t = TextTable::new(&[("metric", Align::Left), ("value", Align::Right)]);
        for (_, label, v) in self.amounts() {
            t.row(vec![label.into(), format!("{} {cur}", grouped(v, cur))]);
        }
        for (_, label, v, unit) in self.ratios() {
            let value = v.map_or("—".into(), |d| format!("{} {unit}", d.round_dp(1)));
            t.row(vec![label.into(), value]);
        }
        t.row(vec![
            "Customers overdue".into(),
            self.customers_overdue.to_string(),
        ]);
        format!("Metrics as of {} in {cur}\n\n{}", self.as_of, t.render())
    }
}

/// CEI of the as-of month to date: beginning AR at the end of the previous month.
fn month_cei(store: &Store, p: &Portfolio, month_sales: Decimal) -> Result<Option<Decimal>> {
    let (first, _) = crate::domain::aging::month_of(p.as_of);
    let Some(prev_end) = first.pred_opt() else {
        return Ok(None);
    };
    let begin = Portfolio::compute(store, prev_end, None, &p.bounds, &p.currency)?;
    Ok(cei(
        begin.total.outstanding,
        month_sales,
        1,
        p.total.outstanding,
        p.total.aging[0],
    ))
}
