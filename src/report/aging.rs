//! `owed report aging`: the aging of every customer and of the portfolio.

use super::Portfolio;
use super::table::{Align, TextTable};
use crate::domain::aging::Figures;
use crate::domain::money::{grouped, plain};
use crate::store::customers::CustomerLabel;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// One customer's line of the aging report.
pub struct AgingLine<'a> {
    pub label: &'a CustomerLabel,
    pub figures: &'a Figures,
}

/// The customers with something open or some credit, by id.
pub fn lines<'a>(
    portfolio: &'a Portfolio,
    labels: &'a HashMap<i64, CustomerLabel>,
) -> Vec<AgingLine<'a>> {
    let mut lines: Vec<AgingLine> = portfolio
        .customers
        .iter()
        .filter(|(_, f)| !f.is_empty())
        .filter_map(|(cid, figures)| labels.get(cid).map(|label| AgingLine { label, figures }))
        .collect();
    lines.sort_by(|a, b| a.label.id.cmp(&b.label.id));
    lines
}

fn figures_json(
    p: &Portfolio,
    f: &Figures,
    net_overdue: rust_decimal::Decimal,
) -> Map<String, Value> {
    let cur = &p.currency;
    let mut aging = Map::new();
    for (label, amount) in p.bounds.labels().into_iter().zip(&f.aging) {
        aging.insert(label, json!(plain(*amount, cur)));
    }
    let mut m = Map::new();
    m.insert("outstanding".into(), json!(plain(f.outstanding, cur)));
    m.insert("overdue".into(), json!(plain(f.overdue, cur)));
    m.insert(
        "unutilised_credit".into(),
        json!(plain(f.unutilised_credit, cur)),
    );
    m.insert("unapplied_cash".into(), json!(plain(f.unapplied_cash, cur)));
    m.insert("net_overdue".into(), json!(plain(net_overdue, cur)));
    m.insert("aging".into(), Value::Object(aging));
    m.insert(
        "outstanding_mismatch".into(),
        json!(plain(f.outstanding_mismatch, cur)),
    );
    m
}

/// The report as SPEC's JSON.
pub fn to_json(p: &Portfolio, labels: &HashMap<i64, CustomerLabel>) -> Value {
    let customers: Vec<Value> = lines(p, labels)
        .into_iter()
        .map(|line| {
            let mut m = Map::new();
            m.insert("id".into(), json!(line.label.id));
            m.insert("name".into(), json!(line.label.name));
            m.extend(figures_json(p, line.figures, line.figures.net_overdue()));
            Value::Object(m)
        })
        .collect();
    json!({
        "as_of": p.as_of.to_string(),
        "currency": p.currency,
        "buckets": p.bounds.labels(),
        "total": Value::Object(figures_json(p, &p.total, p.net_overdue)),
        "customers": customers,
    })
}

/// The report as an aligned table, amounts in the base currency.
pub fn to_text(p: &Portfolio, labels: &HashMap<i64, CustomerLabel>) -> String {
    let cur = &p.currency;
    let bucket_labels = p.bounds.labels();
    let mut columns: Vec<(&str, Align)> = vec![("customer", Align::Left), ("name", Align::Left)];
    columns.extend(bucket_labels.iter().map(|l| (l.as_str(), Align::Right)));
    columns.extend([
        ("outstanding", Align::Right),
        ("overdue", Align::Right),
        ("credit", Align::Right),
        ("cash", Align::Right),
        ("net overdue", Align::Right),
    ]);
    let mut table = TextTable::new(&columns);
    let row = |id: &str, name: &str, f: &Figures, net| {
        let mut cells = vec![id.to_string(), name.to_string()];
        cells.extend(f.aging.iter().map(|a| grouped(*a, cur)));
        cells.extend(
            [
                f.outstanding,
                f.overdue,
                f.unutilised_credit,
                f.unapplied_cash,
                net,
            ]
            .map(|a| grouped(a, cur)),
        );
        cells
    };
    for line in lines(p, labels) {
        table.row(row(
            &line.label.id,
            &line.label.name,
            line.figures,
            line.figures.net_overdue(),
        ));
    }
    table.row(row("TOTAL", "", &p.total, p.net_overdue));
    format!("Aging as of {} in {cur}\n\n{}", p.as_of, table.render())
}
