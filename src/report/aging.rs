//! `owed report aging`: the aging of every customer and of the portfolio.

use super::Portfolio;
use super::table::{Align, NAME_MOST, TextTable};
use crate::domain::Decimal;
use crate::domain::aging::Figures;
use crate::domain::money::{grouped, plain};
use crate::store::ledger::customers::CustomerLabel;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// One customer's line of the aging report.
pub struct AgingLine<'a> {
    pub label: &'a CustomerLabel,
    pub figures: &'a Figures,
}

/// The customers with something open, some credit or an outstanding mismatch, by id (the
/// numbers in it by value, as documents' numbers are: K2 before K10).
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
    lines.sort_by(|a, b| crate::domain::document::number_order(&a.label.id, &b.label.id));
    lines
}

/// The amount columns of a row after its buckets: (JSON and export name, text header).
pub const AMOUNT_COLUMNS: [(&str, &str); 5] = [
    ("outstanding", "outstanding"),
    ("overdue", "overdue"),
    ("unutilised_credit", "credit"),
    ("unapplied_cash", "cash"),
    ("net_overdue", "net overdue"),
];

/// A row's amounts after its buckets, in the order of [`AMOUNT_COLUMNS`].
pub fn amounts(f: &Figures, net_overdue: Decimal) -> [Decimal; 5] {
    [
        f.outstanding,
        f.overdue,
        f.unutilised_credit,
        f.unapplied_cash,
        net_overdue,
    ]
}

/// One row of the report as tables show it: a customer's line, or the total.
pub struct AgingRow<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub figures: &'a Figures,
    pub net_overdue: Decimal,
}

/// The customers' lines ([`lines`]), then the portfolio's total (id `TOTAL`, no name).
pub fn rows<'a>(
    portfolio: &'a Portfolio,
    labels: &'a HashMap<i64, CustomerLabel>,
) -> Vec<AgingRow<'a>> {
    let mut rows: Vec<AgingRow> = lines(portfolio, labels)
        .into_iter()
        .map(|line| AgingRow {
            id: &line.label.id,
            name: &line.label.name,
            figures: line.figures,
            net_overdue: line.figures.net_overdue(),
        })
        .collect();
    rows.push(AgingRow {
        id: "TOTAL",
        name: "",
        figures: &portfolio.total,
        net_overdue: portfolio.net_overdue,
    });
    rows
}

fn figures_json(p: &Portfolio, f: &Figures, net_overdue: Decimal) -> Map<String, Value> {
    let cur = &p.currency;
    let mut aging = Map::new();
    for (label, amount) in p.bounds.labelled(&f.aging) {
        aging.insert(label, json!(plain(*amount, cur)));
    }
    let mut m = Map::new();
    for ((name, _), amount) in AMOUNT_COLUMNS.into_iter().zip(amounts(f, net_overdue)) {
        m.insert(name.into(), json!(plain(amount, cur)));
    }
    m.insert("aging".into(), Value::Object(aging));
    m.insert(
        "outstanding_mismatch".into(),
        json!(plain(f.outstanding_mismatch, cur)),
    );
    m
}

/// Writes the report as SPEC's JSON, one customer at a time: the same bytes as
/// `to_json(…).to_string()` without holding a JSON tree of every customer (a third of a
/// gigabyte at 100k customers).
pub fn write_json(
    p: &Portfolio,
    labels: &HashMap<i64, CustomerLabel>,
    w: &mut impl std::io::Write,
) -> std::io::Result<()> {
    // The keys in the order `serde_json::Map` keeps them (sorted), as `to_json` gives them.
    write!(
        w,
        "{{\"as_of\":{},\"buckets\":{},\"currency\":{},\"customers\":[",
        json!(p.as_of.to_string()),
        json!(p.bounds.labels()),
        json!(p.currency)
    )?;
    for (i, line) in lines(p, labels).into_iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        serde_json::to_writer(&mut *w, &Value::Object(customer_json(p, &line)))?;
    }
    w.write_all(b"]")?;
    if let Some(owner) = &p.owner {
        write!(w, ",\"owner\":{}", json!(owner))?;
    }
    write!(
        w,
        ",\"total\":{}}}",
        Value::Object(figures_json(p, &p.total, p.net_overdue))
    )
}

fn customer_json(p: &Portfolio, line: &AgingLine) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("id".into(), json!(line.label.id));
    m.insert("name".into(), json!(line.label.name));
    m.extend(figures_json(p, line.figures, line.figures.net_overdue()));
    m
}

/// The report as SPEC's JSON.
pub fn to_json(p: &Portfolio, labels: &HashMap<i64, CustomerLabel>) -> Value {
    let customers: Vec<Value> = lines(p, labels)
        .into_iter()
        .map(|line| Value::Object(customer_json(p, &line)))
        .collect();
    let mut report = json!({
        "as_of": p.as_of.to_string(),
        "currency": p.currency,
        "buckets": p.bounds.labels(),
        "total": Value::Object(figures_json(p, &p.total, p.net_overdue)),
        "customers": customers,
    });
    // Whose figures these are, when they are one finance owner's (`--owner`).
    if let Some(owner) = &p.owner {
        report["owner"] = json!(owner);
    }
    report
}

/// The report as an aligned table, amounts in the base currency, the outstanding mismatch
/// last; the heading names whose customers it holds when they are one owner's.
pub fn to_text(p: &Portfolio, labels: &HashMap<i64, CustomerLabel>) -> String {
    let cur = &p.currency;
    let bucket_labels = p.bounds.labels();
    let mut columns: Vec<(&str, Align)> = vec![("customer", Align::Left), ("name", Align::Left)];
    columns.extend(bucket_labels.iter().map(|l| (l.as_str(), Align::Right)));
    columns.extend(AMOUNT_COLUMNS.map(|(_, header)| (header, Align::Right)));
    // A customer listed for what the billing system says alone shows why.
    columns.push(("mismatch", Align::Right));
    // One long name must not widen every row of the team's report.
    let mut table = TextTable::new(&columns).cut(1, NAME_MOST);
    for row in rows(p, labels) {
        let mut cells = vec![row.id.to_string(), row.name.to_string()];
        cells.extend(row.figures.aging.iter().map(|a| grouped(*a, cur)));
        cells.extend(amounts(row.figures, row.net_overdue).map(|a| grouped(a, cur)));
        cells.push(grouped(row.figures.outstanding_mismatch, cur));
        table.row(cells);
    }
    format!(
        "Aging as of {} in {cur}{}\n\n{}",
        p.as_of,
        super::scope_heading(p.owner.as_deref()),
        table.render()
    )
}
