//! What is on a workstation's screen, as a file (`:export xlsx FILE`, `owed export queue`):
//! the queue with its tab, filter, sort and scope, one customer's open documents and
//! timeline, the team's figures, or the engagement plan.

use super::{Meta, Options, about, views, write_view};
use crate::Result;
use crate::domain::Date;
use crate::domain::queue::{QueueQuery, Scope};
use crate::store::Store;
use std::path::Path;

/// The queue's scope as its title row says it: tab, whose customers, filter, order.
pub fn queue_scope(query: &QueueQuery, owner: Option<&str>) -> String {
    let mut parts = vec![format!("tab {}", query.tab.title())];
    parts.push(match (owner, query.scope) {
        (Some(o), _) => format!("customers of {o}"),
        (None, Scope::Mine) => format!("customers of {}", query.collector),
        (None, Scope::Everyone) => "every collector's customers".into(),
    });
    if !query.filter.text.trim().is_empty() {
        parts.push(format!("filter \"{}\"", query.filter.text.trim()));
    }
    parts.push(format!(
        "sorted by {} ({})",
        query.sort.name(),
        if query.descending {
            "descending"
        } else {
            "ascending"
        }
    ));
    parts.join(", ")
}

/// What a queue's workbook says about itself.
pub fn queue_meta(scope: String, as_of: Date, currency: &str) -> Meta {
    Meta::new("Queue", as_of, currency, scope, views::QUEUE_FIGURES)
}

/// Writes the queue of `query` from the queue table built on `store` (`with_risk`: the
/// forecast's risks are in it) to `path`; the rows written.
pub fn write_queue(
    store: &Store,
    query: &QueueQuery,
    with_risk: bool,
    meta: &Meta,
    path: &Path,
    options: &Options,
) -> Result<u64> {
    write_view(path, options, meta, |s| {
        views::queue(store, query, &meta.currency, with_risk, s)
    })
}

/// Writes one customer's open documents and whole timeline as of `as_of` to `path` (CSV
/// holds the documents); the documents written.
pub fn write_customer(
    store: &Store,
    cid: i64,
    as_of: Date,
    currency: &str,
    path: &Path,
    options: &Options,
) -> Result<u64> {
    let label = store
        .ledger()
        .customer_label(cid)?
        .ok_or_else(|| crate::Error::input("that customer is no longer in the database"))?;
    let mut figures: Vec<about::Figure> = views::DOCUMENTS_FIGURES.to_vec();
    figures.extend(views::ACTIVITY_FIGURES);
    let scope = format!("customer {} {}", label.id, label.name);
    let meta = Meta::new("Customer", as_of, currency, scope, &figures);
    write_view(path, options, &meta, |s| {
        views::documents(store, as_of, currency, Some(cid), s)?;
        views::activity(store, as_of, currency, Some(cid), ("Timeline", false), s)
    })
}

/// Writes the team's figures (one row per collector, the customers nobody owns) to `path`,
/// as `owed export team` does; the rows written (the collectors, and one for the customers
/// nobody owns when there are some).
pub fn write_team(
    report: &crate::report::team::TeamReport,
    as_of: Date,
    path: &Path,
    options: &Options,
) -> Result<u64> {
    let meta = Meta::new(
        "Team",
        as_of,
        &report.currency,
        "every collector",
        views::TEAM_FIGURES,
    );
    write_view(path, options, &meta, |s| views::team(report, s))?;
    Ok(report.collectors.len() as u64 + u64::from(report.unassigned.customers > 0))
}

/// Writes an engagement plan (the reminders it sends, then those it skips) to `path`, as
/// `owed export plan` does; the reminders written.
pub fn write_plan(
    lines: &[views::PlanLine],
    skipped: &[views::SkippedLine],
    as_of: Date,
    currency: &str,
    path: &Path,
    options: &Options,
) -> Result<u64> {
    let meta = Meta::new(
        "Engagement plan",
        as_of,
        currency,
        "every cycle",
        views::PLAN_FIGURES,
    );
    write_view(path, options, &meta, |s| {
        views::plan(lines, skipped, currency, s)
    })?;
    Ok(lines.len() as u64)
}
