//! The exportable views: each writes its columns and rows to a [`Sheet`].

use super::{Cell, Column, Kind, Sheet};
use crate::Result;
use crate::domain::aging::days_overdue;
use crate::domain::money::round_to_currency;
use crate::report::Portfolio;
use crate::report::aging::{AMOUNT_COLUMNS, amounts, rows};
use crate::report::forecast::Forecast;
use crate::report::metrics::Metrics;
use crate::store::Store;

/// The aging report: one row per customer, then a total row.
pub fn aging(store: &Store, p: &Portfolio, sheet: &mut dyn Sheet) -> Result<()> {
    let labels = store.customer_labels()?;
    let mut columns = vec![
        Column::new("customer_id", Kind::Text),
        Column::new("name", Kind::Text),
    ];
    columns.extend(
        p.bounds
            .labels()
            .iter()
            .map(|l| Column::new(l, Kind::Amount)),
    );
    columns.extend(AMOUNT_COLUMNS.map(|(name, _)| Column::new(name, Kind::Amount)));
    sheet.header(&columns)?;
    for row in rows(p, &labels) {
        let mut cells = vec![Cell::from(row.id), Cell::from(row.name)];
        cells.extend(row.figures.aging.iter().map(|a| Cell::Amount(*a)));
        cells.extend(amounts(row.figures, row.net_overdue).map(Cell::Amount));
        sheet.row(&cells)?;
    }
    Ok(())
}

/// The metrics: one row per figure.
pub fn metrics(m: &Metrics, sheet: &mut dyn Sheet) -> Result<()> {
    sheet.header(&[
        Column::new("metric", Kind::Text),
        Column::new("value", Kind::Amount),
        Column::new("unit", Kind::Text),
    ])?;
    let cur = m.currency.as_str();
    for (name, _, v) in m.amounts() {
        sheet.row(&[Cell::from(name), Cell::Amount(v), Cell::from(cur)])?;
    }
    for (name, _, v, unit) in m.ratios() {
        sheet.row(&[
            Cell::from(name),
            v.map_or(Cell::Empty, Cell::Ratio),
            Cell::from(unit),
        ])?;
    }
    sheet.row(&[
        Cell::from("customers_overdue"),
        Cell::Integer(m.customers_overdue as i64),
        Cell::Empty,
    ])
}

/// Every document open at the as-of date, streamed.
pub fn documents(store: &Store, p: &Portfolio, sheet: &mut dyn Sheet) -> Result<()> {
    sheet.header(&[
        Column::new("document_id", Kind::Text),
        Column::new("number", Kind::Text),
        Column::new("type", Kind::Text),
        Column::new("customer_id", Kind::Text),
        Column::new("customer", Kind::Text),
        Column::new("doc_date", Kind::Date),
        Column::new("due_date", Kind::Date),
        Column::new("days_overdue", Kind::Integer),
        Column::new("currency", Kind::Text),
        Column::new("amount", Kind::Amount),
        Column::new("balance", Kind::Amount),
        Column::new(&format!("balance_{}", p.currency), Kind::Amount),
        Column::new("billing_balance", Kind::Amount),
    ])?;
    store.for_each_open_document(p.as_of, None, |d| {
        let overdue = match (d.kind.as_str(), d.due_date) {
            ("credit_note", _) | (_, None) => Cell::Empty,
            (_, Some(due)) => Cell::Integer(days_overdue(p.as_of, due).max(0)),
        };
        sheet.row(&[
            Cell::Text(d.id),
            Cell::from(d.number),
            Cell::Text(d.kind),
            Cell::Text(d.customer_id),
            Cell::Text(d.customer_name),
            Cell::Date(d.doc_date),
            Cell::from(d.due_date),
            overdue,
            Cell::Text(d.currency.clone()),
            Cell::Amount(d.amount),
            Cell::Amount(d.balance),
            Cell::Amount(round_to_currency(d.balance * d.rate, &p.currency)),
            d.billing_balance.map_or(Cell::Empty, Cell::Amount),
        ])
    })
}

/// The payment forecast: one row per open document with its predicted payment date, the
/// forecast week that date falls in (empty after the 13th week) and the reason.
pub fn forecast(f: &Forecast, sheet: &mut dyn Sheet) -> Result<()> {
    sheet.header(&[
        Column::new("document_id", Kind::Text),
        Column::new("customer_id", Kind::Text),
        Column::new(&format!("balance_{}", f.currency), Kind::Amount),
        Column::new("due_date", Kind::Date),
        Column::new("predicted_payment_date", Kind::Date),
        Column::new("week_start", Kind::Date),
        Column::new("reason", Kind::Text),
    ])?;
    let weeks: Vec<_> = f.cash.weeks.iter().map(|w| w.start).collect();
    for d in &f.documents {
        let week = weeks
            .iter()
            .rev()
            .find(|&&start| start <= d.predicted)
            .filter(|&&start| (d.predicted - start).num_days() < 7)
            .copied();
        sheet.row(&[
            Cell::from(d.id.as_str()),
            Cell::from(d.customer_id.as_str()),
            Cell::Amount(d.balance),
            Cell::Date(d.due_date),
            Cell::Date(d.predicted),
            Cell::from(week),
            Cell::from(d.reason.as_str()),
        ])?;
    }
    Ok(())
}

/// The engagement report: one row per cycle and reminder, then a total row.
pub fn engagement(
    report: &crate::engage::report::EngagementReport,
    sheet: &mut dyn Sheet,
) -> Result<()> {
    sheet.header(&[
        Column::new("cycle", Kind::Text),
        Column::new("reminder", Kind::Text),
        Column::new("sent", Kind::Integer),
        Column::new("replied", Kind::Integer),
        Column::new("promised_within_7_days", Kind::Integer),
        Column::new("paid_within_14_days", Kind::Integer),
        Column::new("collected", Kind::Amount),
    ])?;
    let count = |n: u64| Cell::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    for r in report
        .reminders
        .iter()
        .chain(std::iter::once(&report.total))
    {
        sheet.row(&[
            Cell::from(r.cycle.as_str()),
            Cell::from(r.reminder.as_str()),
            count(r.sent),
            count(r.replied),
            count(r.promised),
            count(r.paid),
            Cell::Amount(r.collected),
        ])?;
    }
    Ok(())
}

/// The team's figures: one row per collector, then the customers nobody owns.
pub fn team(report: &crate::report::team::TeamReport, sheet: &mut dyn Sheet) -> Result<()> {
    sheet.header(&[
        Column::new("collector", Kind::Text),
        Column::new("customers_assigned", Kind::Integer),
        Column::new("customers_overdue", Kind::Integer),
        Column::new(&format!("overdue_{}", report.currency), Kind::Amount),
        Column::new("touched_today", Kind::Integer),
        Column::new("touched_this_week", Kind::Integer),
        Column::new("calls", Kind::Integer),
        Column::new("promises_taken", Kind::Integer),
        Column::new("promises_kept", Kind::Integer),
        Column::new("promises_partially_kept", Kind::Integer),
        Column::new("promises_broken", Kind::Integer),
        Column::new("promises_open", Kind::Integer),
        Column::new("kept_share", Kind::Ratio),
        Column::new(
            &format!("paid_within_14_days_of_touch_{}", report.currency),
            Kind::Amount,
        ),
        Column::new("broken_promises_without_followup", Kind::Integer),
        Column::new("replies_waiting", Kind::Integer),
    ])?;
    let count = |n: u64| Cell::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    for c in &report.collectors {
        sheet.row(&[
            Cell::from(c.collector.as_str()),
            count(c.customers_assigned),
            count(c.customers_overdue),
            Cell::Amount(c.overdue),
            count(c.touched_today),
            count(c.touched_this_week),
            count(c.calls),
            count(c.promises_taken),
            count(c.promises_kept),
            count(c.promises_partially_kept),
            count(c.promises_broken),
            count(c.promises_open),
            c.kept_share.map_or(Cell::Empty, Cell::Ratio),
            Cell::Amount(c.paid_after_touch),
            count(c.broken_without_followup),
            count(c.replies_waiting),
        ])?;
    }
    let u = &report.unassigned;
    if u.customers > 0 {
        let mut cells = vec![
            Cell::from("(unassigned)"),
            count(u.customers),
            count(u.customers_overdue),
            Cell::Amount(u.overdue),
        ];
        cells.resize(16, Cell::Empty);
        sheet.row(&cells)?;
    }
    Ok(())
}
