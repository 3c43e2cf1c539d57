//! What is on a workstation's screen, as a file (`:export xlsx FILE`, `owed export queue`):
//! the queue with its tab, filter, sort and scope, one customer's open documents and
//! timeline, the team's figures, or the engagement plan — each read into a [`Prepared`] view,
//! which the workstation's service writes on a thread beside.

use super::{Meta, Prepared, about, views};
use crate::Result;
use crate::domain::Date;
use crate::domain::queue::{QueueQuery, Scope};
use crate::store::Store;
use crate::store::activity::activity_log::LogScope;

/// The queue's scope as its title row says it: tab, whose customers, filter, order.
pub fn queue_scope(query: &QueueQuery, owner: Option<&str>, mine_fallback: bool) -> String {
    let mut parts = vec![format!("tab {}", query.tab.title())];
    parts.push(match (owner, query.scope) {
        (Some(o), _) => format!("customers of {o}"),
        // As the queue shows it: someone who owns no customers sees everyone's.
        (None, Scope::Mine) if mine_fallback => format!(
            "every collector's customers ({} owns none)",
            query.collector
        ),
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

/// Reads the queue of `query` from the queue table built on `store` (`with_risk`: the
/// forecast's risks are in it), to be written as `meta` says; when customers are `marked`
/// (the workstation's marks), only their rows, and the title's scope says how many
/// (`…, the 2 marked customers only`).
///
/// # Errors
///
/// When the database cannot be read.
pub fn queue(
    store: &Store,
    query: &QueueQuery,
    with_risk: bool,
    meta: Meta,
    marked: &[i64],
) -> Result<Prepared> {
    let currency = meta.currency.clone();
    if marked.is_empty() {
        return Prepared::read(meta, |s| {
            views::queue(store, query, &currency, with_risk, None, s)
        });
    }
    let marked: std::collections::HashSet<i64> = marked.iter().copied().collect();
    let prepared = Prepared::read(meta, |s| {
        views::queue(store, query, &currency, with_risk, Some(&marked), s)
    })?;
    let n = prepared.main_rows();
    Ok(prepared.rescoped(|scope| {
        format!(
            "{scope}, the {n} marked customer{} only",
            if n == 1 { "" } else { "s" }
        )
    }))
}

/// Reads one customer's open documents and whole timeline as of `as_of` (CSV holds the
/// documents; they are what is counted).
///
/// # Errors
///
/// When the customer is no longer in the database, or the database cannot be read.
pub fn customer(store: &Store, cid: i64, as_of: Date, currency: &str) -> Result<Prepared> {
    let label = store
        .ledger()
        .customer_label(cid)?
        .ok_or_else(|| crate::Error::input("that customer is no longer in the database"))?;
    let mut figures: Vec<about::Figure> = views::DOCUMENTS_FIGURES.to_vec();
    figures.extend(views::ACTIVITY_FIGURES);
    let scope = format!("customer {} {}", label.id, label.name);
    let meta = Meta::new("Customer", as_of, currency, scope, &figures);
    Prepared::read(meta, |s| {
        views::documents(store, as_of, currency, (Some(cid), None), s)?;
        views::activity(
            store,
            as_of,
            currency,
            (&LogScope::customer(cid), None),
            ("Timeline", false),
            s,
        )
    })
}

/// The team's figures (one row per collector, the customers nobody owns), as `owed export
/// team` writes them; counted as the collectors, and one for the customers nobody owns when
/// there are some.
///
/// # Errors
///
/// None in practice (the figures are in memory); the type is that of every view.
pub fn team(report: &crate::report::team::TeamReport, as_of: Date) -> Result<Prepared> {
    let meta = Meta::new(
        "Team",
        as_of,
        &report.currency,
        team_scope(report),
        views::TEAM_FIGURES,
    );
    let rows = report.collectors.len() as u64 + u64::from(report.unassigned.customers > 0);
    Ok(Prepared::read(meta, |s| views::team(report, s))?.counting(rows))
}

/// Whom and which days the team's figures count, for the title row: the week and the
/// window are as much a part of them as the as-of date.
pub fn team_scope(report: &crate::report::team::TeamReport) -> String {
    format!(
        "every collector · week from {} · calls, notes, disputes, reminders, promises and payments over the {} days from {}",
        report.period.week_start,
        crate::domain::team::WINDOW_DAYS,
        report.period.window_start
    )
}

/// An engagement plan (the reminders it sends, then those it skips; of `owner`'s customers
/// alone when named), as `owed export plan` writes it; counted as the reminders.
///
/// # Errors
///
/// None in practice (the plan is in memory); the type is that of every view.
pub fn plan(
    lines: &[views::PlanLine],
    skipped: &[views::SkippedLine],
    as_of: Date,
    currency: &str,
    owner: Option<&str>,
) -> Result<Prepared> {
    let scope = match owner {
        Some(o) => format!("every cycle, customers of {o}"),
        None => "every cycle".to_string(),
    };
    let meta = Meta::new(
        "Engagement plan",
        as_of,
        currency,
        scope,
        views::PLAN_FIGURES,
    );
    Ok(
        Prepared::read(meta, |s| views::plan(lines, skipped, currency, s))?
            .counting(lines.len() as u64),
    )
}
