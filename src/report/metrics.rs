//! `owed report metrics`: the metrics bar's figures.

use super::table::{Align, TextTable};
use super::{Owned, Portfolio};
use crate::Result;
use crate::domain::aging::AgingBounds;
use crate::domain::metrics::{
    Headline, average_days_delinquent, cei, dso_count_back, dso_sales_from, monthly_sales,
};
use crate::domain::money::{fixed, grouped, plain};
use crate::domain::{Date, Decimal};
use crate::store::Store;
use serde_json::{Map, Value, json};
use std::collections::HashSet;

/// The portfolio's headline figures as of a date, in the base currency.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub as_of: Date,
    pub currency: String,
    pub headline: Headline,
    /// Average days delinquent over the last three months' sales.
    pub add: Option<Decimal>,
    /// Collection effectiveness of the as-of month to date (percent).
    pub cei: Option<Decimal>,
    /// The finance owner whose customers these are (`--owner`), `None` for every customer.
    pub owner: Option<String>,
}

impl Metrics {
    /// Computes the metrics from the portfolio's figures and the sales around `as_of`.
    pub fn compute(store: &Store, p: &Portfolio, grace_days: u32) -> Result<Metrics> {
        let others = Others::read(store, p.as_of, &p.currency, grace_days)?;
        Metrics::assemble(store, p, others, None)
    }

    /// Computes the portfolio's figures and the metrics as of `as_of`, the figures on
    /// `store` while a second connection to the same file reads what the metrics add to them
    /// (the outstanding a month back for CEI, the open issues and promises): about half the
    /// time of [`Metrics::compute`] on two cores.
    pub fn compute_beside(
        store: &Store,
        as_of: Date,
        bounds: &AgingBounds,
        base: &str,
        grace_days: u32,
        owned: Option<&Owned>,
    ) -> Result<(Portfolio, Metrics)> {
        let only = owned.map(|o| &o.cids);
        let prev_end = crate::domain::aging::month_of(as_of).0.pred_opt();
        let mine = |cid: &i64| only.is_none_or(|o| o.contains(cid));
        // About even halves: the figures and the open issues here; the outstanding a month
        // back and the open promises on the other connection.
        let ((portfolio, issues, deductions), beside) = store.beside(
            || {
                let portfolio =
                    Portfolio::compute(store, as_of, None, bounds, base).map(|p| match owned {
                        Some(owned) => p.owned(owned),
                        None => p,
                    });
                let open = store
                    .activity()
                    .open_issues_base(as_of, base, None)
                    .map(|issues| {
                        issues
                            .into_iter()
                            .filter(|i| mine(&i.cid))
                            .collect::<Vec<_>>()
                    });
                let (issues, deductions): (Result<Decimal>, Result<Decimal>) = match open {
                    Ok(open) => (
                        Ok(open.iter().map(|i| i.amount).sum()),
                        Ok(crate::store::activity::issues::deductions(&open)),
                    ),
                    Err(e) => (Err(e), Ok(Decimal::ZERO)),
                };
                (portfolio, issues, deductions)
            },
            |other| -> Result<(Option<Decimal>, Decimal)> {
                let begin = prev_end
                    .map(|d| other.ledger().outstanding_at_of(d, base, only))
                    .transpose()?;
                let promises = match only {
                    None => other
                        .activity()
                        .open_promise_amount(as_of, grace_days, base)?,
                    Some(_) => other
                        .activity()
                        .open_promise_amounts(as_of, grace_days, base)?
                        .iter()
                        .filter(|(cid, _)| mine(cid))
                        .map(|(_, a)| *a)
                        .sum(),
                };
                Ok((begin, promises))
            },
        );
        let others = beside.and_then(|(begin_outstanding, open_p2p_amount)| {
            Ok(Others {
                begin_outstanding,
                open_issue_amount: issues?,
                open_deduction_amount: deductions?,
                open_p2p_amount,
            })
        });
        let portfolio = portfolio?;
        let metrics = Metrics::assemble(store, &portfolio, others?, only)?;
        Ok((portfolio, metrics))
    }

    /// The metrics from the figures, with the sales of the customers `only` (else of all).
    fn assemble(
        store: &Store,
        p: &Portfolio,
        others: Others,
        only: Option<&HashSet<i64>>,
    ) -> Result<Metrics> {
        let oldest = dso_sales_from(p.as_of);
        let sales = match only {
            None => store.ledger().sales_by_day(oldest, p.as_of)?,
            Some(cids) => {
                let mut cids: Vec<i64> = cids.iter().copied().collect();
                cids.sort_unstable();
                store
                    .ledger()
                    .sales_by_day_of(oldest, p.as_of, &p.currency, &cids)?
            }
        };
        let month_sales = monthly_sales(p.as_of, &sales);
        let t = &p.total;
        let dso = dso_count_back(t.outstanding, &month_sales);
        let (sales3, days3) = month_sales
            .iter()
            .take(3)
            .fold((Decimal::ZERO, 0), |(s, d), (ms, md)| (s + ms, d + md));
        let add = average_days_delinquent(t.outstanding, t.aging[0], sales3, days3);
        // CEI of the as-of month to date, from the outstanding at the end of the previous one.
        let cei = others.begin_outstanding.and_then(|begin| {
            cei(
                begin,
                month_sales.first().map_or(Decimal::ZERO, |m| m.0),
                1,
                t.outstanding,
                t.aging[0],
            )
        });
        Ok(Metrics {
            as_of: p.as_of,
            currency: p.currency.clone(),
            headline: p.headline(
                others.open_issue_amount,
                others.open_deduction_amount,
                others.open_p2p_amount,
                dso,
            ),
            add,
            cei,
            owner: p.owner.clone(),
        })
    }

    pub fn amounts(&self) -> [(&'static str, &'static str, Decimal); 9] {
        [
            ("outstanding", "Outstanding", self.headline.outstanding),
            ("overdue", "Overdue", self.headline.overdue),
            ("net_overdue", "Net overdue", self.headline.net_overdue),
            (
                "unutilised_credit",
                "Unutilised credit",
                self.headline.unutilised_credit,
            ),
            (
                "unapplied_cash",
                "Unapplied cash",
                self.headline.unapplied_cash,
            ),
            (
                "collectable_this_month",
                "Collectable this month",
                self.headline.collectable_this_month,
            ),
            (
                "open_issue_amount",
                "Open issues",
                self.headline.open_issue_amount,
            ),
            (
                "open_deduction_amount",
                "Open deductions",
                self.headline.open_deduction_amount,
            ),
            (
                "open_p2p_amount",
                "Open promises",
                self.headline.open_p2p_amount,
            ),
        ]
    }

    /// The ratios in report order: (JSON and export name, text label, value, unit).
    pub fn ratios(&self) -> [(&'static str, &'static str, Option<Decimal>, &'static str); 3] {
        [
            ("dso", "DSO (count-back)", self.headline.dso, "days"),
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
    /// with one decimal, rounded half away from zero (`"365.0"`; null when undefined).
    pub fn to_json(&self) -> Value {
        let cur = &self.currency;
        let mut m = Map::new();
        m.insert("as_of".into(), json!(self.as_of.to_string()));
        m.insert("currency".into(), json!(cur));
        for (name, _, v) in self.amounts() {
            m.insert(name.into(), json!(plain(v, cur)));
        }
        for (name, _, v, _) in self.ratios() {
            m.insert(name.into(), json!(v.map(|d| fixed(d, 1))));
        }
        m.insert(
            "customers_overdue".into(),
            json!(self.headline.customers_overdue),
        );
        // Whose figures these are, when they are one finance owner's (SPEC: the keys
        // include those above).
        if let Some(owner) = &self.owner {
            m.insert("owner".into(), json!(owner));
        }
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
            let value = v.map_or("—".into(), |d| format!("{} {unit}", fixed(d, 1)));
            t.row(vec![label.into(), value]);
        }
        t.row(vec![
            "Customers overdue".into(),
            self.headline.customers_overdue.to_string(),
        ]);
        format!(
            "Metrics as of {} in {cur}{}\n\n{}",
            self.as_of,
            super::scope_heading(self.owner.as_deref()),
            t.render()
        )
    }
}

/// What the metrics add to the portfolio's figures.
struct Others {
    /// The outstanding at the end of the month before the as-of date's (CEI's beginning AR).
    begin_outstanding: Option<Decimal>,
    open_issue_amount: Decimal,
    open_deduction_amount: Decimal,
    open_p2p_amount: Decimal,
}

impl Others {
    fn read(store: &Store, as_of: Date, base: &str, grace_days: u32) -> Result<Others> {
        let (first, _) = crate::domain::aging::month_of(as_of);
        Ok(Others {
            begin_outstanding: first
                .pred_opt()
                .map(|prev_end| store.ledger().outstanding_at(prev_end, base))
                .transpose()?,
            open_issue_amount: store.activity().open_issue_amount(as_of, base)?,
            open_deduction_amount: store.activity().open_deduction_amount(as_of, base)?,
            open_p2p_amount: store
                .activity()
                .open_promise_amount(as_of, grace_days, base)?,
        })
    }
}
