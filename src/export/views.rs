//! The exportable views: each writes its tables of rows to a [`Sheet`], with columns that
//! have a machine name (CSV) and a title for people (xlsx), and says which figures its
//! workbook's About sheet explains. Totals are the sheet's (SUBTOTAL formulas in xlsx), never
//! rows typed in here.

use super::about::{self, Figure};
use super::statement::Statement;
use super::{Cell, Column, Kind, Sheet};
use crate::Result;
use crate::domain::aging::days_overdue;
use crate::domain::document::DocumentKind;
use crate::domain::money::round_to_currency;
use crate::domain::queue::QueueQuery;
use crate::domain::statement::LineKind;
use crate::domain::{Date, Decimal};
use crate::report::Portfolio;
use crate::report::aging::{amounts, lines};
use crate::report::forecast::Forecast;
use crate::report::metrics::Metrics;
use crate::store::Store;
use crate::store::activity::activity_log::LogScope;
use crate::store::activity::issues::DEDUCTION_REASON;
use crate::store::queue::PromiseFlag;
use std::collections::HashSet;

/// The customers a view keeps (`--owner`: one finance owner's), by key and by id; a view
/// given none keeps every customer.
#[derive(Debug, Clone, Default)]
pub struct Only {
    cids: HashSet<i64>,
    ids: HashSet<String>,
}

impl Only {
    /// The customers of `owned` (see [`crate::report::owned_by`]).
    pub fn of(store: &Store, owned: &crate::report::Owned) -> Result<Only> {
        let labels = store.ledger().customer_labels()?;
        Ok(Only {
            ids: owned
                .cids
                .iter()
                .filter_map(|cid| labels.get(cid).map(|l| l.id.clone()))
                .collect(),
            cids: owned.cids.clone(),
        })
    }
}

/// Whether `only` (none: every customer) keeps the customer of key `cid`.
fn keeps(only: Option<&Only>, cid: i64) -> bool {
    only.is_none_or(|o| o.cids.contains(&cid))
}

/// Whether `only` (none: every customer) keeps the customer of id `id`.
fn keeps_id(only: Option<&Only>, id: &str) -> bool {
    only.is_none_or(|o| o.ids.contains(id))
}

/// The About figures of each view.
pub const AGING_FIGURES: &[Figure] = &[
    about::OPEN_BALANCE,
    about::DAYS_OVERDUE,
    about::BUCKETS,
    about::OUTSTANDING,
    about::OVERDUE,
    about::UNUTILISED_CREDIT,
    about::UNAPPLIED_CASH,
    about::NET_OVERDUE,
    about::MISMATCH,
    about::BASE_CURRENCY,
];
pub const METRICS_FIGURES: &[Figure] = &[
    about::OUTSTANDING,
    about::OVERDUE,
    about::NET_OVERDUE,
    about::UNUTILISED_CREDIT,
    about::UNAPPLIED_CASH,
    about::COLLECTABLE,
    about::OPEN_ISSUES,
    about::OPEN_DEDUCTIONS,
    about::OPEN_PROMISES,
    about::SALES,
    about::DSO,
    about::ADD,
    about::CEI,
    about::BASE_CURRENCY,
];
pub const DOCUMENTS_FIGURES: &[Figure] = &[
    about::OPEN_BALANCE,
    about::DAYS_OVERDUE,
    about::BASE_CURRENCY,
];
pub const FORECAST_FIGURES: &[Figure] = &[
    about::PREDICTED,
    about::WEEKS,
    about::OPEN_BALANCE,
    about::BASE_CURRENCY,
];
pub const QUEUE_FIGURES: &[Figure] = &[
    about::QUEUE,
    about::OUTSTANDING,
    about::OVERDUE,
    about::NET_OVERDUE,
    about::UNUTILISED_CREDIT,
    about::UNAPPLIED_CASH,
    about::PROMISE_STATE,
    about::BASE_CURRENCY,
];
pub const ACTIVITY_FIGURES: &[Figure] = &[about::PROMISE_STATE, about::ISSUE_STATE];
pub const PAYMENTS_FIGURES: &[Figure] = &[about::UNAPPLIED_CASH, about::BASE_CURRENCY];
pub const PROMISES_FIGURES: &[Figure] = &[
    about::PROMISE_STATE,
    about::OPEN_PROMISES,
    about::BASE_CURRENCY,
];
pub const DEDUCTIONS_FIGURES: &[Figure] = &[
    about::ISSUE_STATE,
    about::OPEN_DEDUCTIONS,
    about::BASE_CURRENCY,
];
pub const STATEMENT_FIGURES: &[Figure] = &[
    about::STATEMENT,
    about::OPEN_BALANCE,
    about::DAYS_OVERDUE,
    about::UNUTILISED_CREDIT,
    about::UNAPPLIED_CASH,
];
pub const ENGAGEMENT_FIGURES: &[Figure] = &[about::BASE_CURRENCY];
pub const PLAN_FIGURES: &[Figure] = &[about::BASE_CURRENCY];
pub const TEAM_FIGURES: &[Figure] = &[
    about::TEAM_PERIOD,
    about::TEAM_OWNED,
    about::OVERDUE,
    about::TOUCH,
    about::CALLS,
    about::NOTES_AND_DISPUTES,
    about::REMINDERS,
    about::PROMISES_TAKEN,
    about::PROMISE_STATE,
    about::PAID_AFTER_TOUCH,
    about::BROKEN_WITHOUT_FOLLOWUP,
    about::REPLIES_WAITING,
    about::BASE_CURRENCY,
];

/// A value named as the import names it (`bank_transfer`, `in_progress`), for programs, and
/// in words for people (`bank transfer`).
fn words(key: String) -> Cell {
    Cell::Named {
        words: key.replace('_', " "),
        key,
    }
}

/// An amount column in the base currency: `name_USD` for programs, "Name (USD)" for people.
fn base_amount(key: &str, title: &str, currency: &str) -> Column {
    Column::new(
        format!("{key}_{currency}"),
        format!("{title} ({currency})"),
        Kind::Amount,
    )
}

/// A bucket label as a column title: `1-30` → `1–30 days`.
fn bucket_title(label: &str) -> String {
    if label == "current" {
        "Current".into()
    } else {
        format!("{} days", label.replace('-', "–"))
    }
}

/// The aging report: one row per customer with something open or some credit.
pub fn aging(store: &Store, p: &Portfolio, sheet: &mut dyn Sheet) -> Result<()> {
    let labels = store.ledger().customer_labels()?;
    let mut columns = vec![
        Column::new("customer_id", "Customer ID", Kind::Text),
        Column::new("name", "Customer", Kind::Text),
    ];
    columns.extend(
        p.bounds
            .labels()
            .iter()
            .map(|l| Column::new(l.clone(), bucket_title(l), Kind::Amount)),
    );
    for (key, title) in [
        ("outstanding", "Outstanding"),
        ("overdue", "Overdue"),
        ("unutilised_credit", "Unutilised credit"),
        ("unapplied_cash", "Unapplied cash"),
        ("net_overdue", "Net overdue"),
        ("outstanding_mismatch", "Outstanding mismatch"),
    ] {
        columns.push(Column::new(key, title, Kind::Amount));
    }
    sheet.table("Aging", &columns, true)?;
    for line in lines(p, &labels) {
        let f = line.figures;
        let mut cells = vec![
            Cell::from(line.label.id.as_str()),
            Cell::from(line.label.name.as_str()),
        ];
        let base = |v: Decimal| Cell::amount(v, &p.currency);
        cells.extend(f.aging.iter().map(|a| base(*a)));
        cells.extend(amounts(f, f.net_overdue()).map(base));
        cells.push(base(f.outstanding_mismatch));
        sheet.row(&cells)?;
    }
    Ok(())
}

/// The metrics: one row per figure, amounts in the base currency, CEI as a percentage.
pub fn metrics(m: &Metrics, sheet: &mut dyn Sheet) -> Result<()> {
    sheet.table(
        "Metrics",
        &[
            Column::new("metric", "Metric", Kind::Text),
            Column::new("label", "Figure", Kind::Text),
            Column::new("value", "Value", Kind::Text),
            Column::new("unit", "Unit", Kind::Text),
        ],
        true,
    )?;
    let cur = m.currency.as_str();
    for (name, label, v) in m.amounts() {
        sheet.row(&[
            Cell::from(name),
            Cell::from(label),
            Cell::amount(v, cur),
            Cell::from(cur),
        ])?;
    }
    for (name, label, v, unit) in m.ratios() {
        let value = match (v, unit) {
            (None, _) => Cell::Empty,
            (Some(v), "%") => Cell::Percent(v),
            (Some(v), _) => Cell::Ratio(v),
        };
        sheet.row(&[Cell::from(name), Cell::from(label), value, Cell::from(unit)])?;
    }
    sheet.row(&[
        Cell::from("customers_overdue"),
        Cell::from("Customers overdue"),
        Cell::count(m.headline.customers_overdue),
        Cell::from("customers"),
    ])
}

/// Every document open at the as-of date (of one customer with `cid`, of the customers
/// `only` keeps), streamed, with its days overdue signed as docs/arithmetic.md has them (due
/// tomorrow is −1).
pub fn documents(
    store: &Store,
    as_of: Date,
    currency: &str,
    (cid, only): (Option<i64>, Option<&Only>),
    sheet: &mut dyn Sheet,
) -> Result<()> {
    sheet.table(
        "Documents",
        &[
            Column::new("document_id", "Document ID", Kind::Text),
            Column::new("number", "Number", Kind::Text),
            Column::new("type", "Type", Kind::Text),
            Column::new("customer_id", "Customer ID", Kind::Text),
            Column::new("customer", "Customer", Kind::Text),
            Column::new("doc_date", "Date", Kind::Date),
            Column::new("due_date", "Due", Kind::Date),
            Column::new("days_overdue", "Days overdue", Kind::Integer),
            Column::new("currency", "Currency", Kind::Text),
            Column::new("amount", "Amount (document currency)", Kind::CurrencyAmount),
            Column::new("balance", "Open (document currency)", Kind::CurrencyAmount),
            base_amount("balance", "Open", currency),
            Column::new(
                "billing_balance",
                "Billing system's balance",
                Kind::CurrencyAmount,
            ),
        ],
        true,
    )?;
    store.ledger().for_each_open_document(as_of, cid, |d| {
        if !keeps_id(only, &d.customer_id) {
            return Ok(());
        }
        let overdue = match (d.kind, d.due_date) {
            (DocumentKind::CreditNote, _) | (_, None) => Cell::Empty,
            (_, Some(due)) => Cell::Integer(days_overdue(as_of, due)),
        };
        // A credit note's open balance is credit: negative in the base-currency column, so
        // that the total is what the customers owe net of their credit.
        let sign = if d.kind.is_credit() {
            -Decimal::ONE
        } else {
            Decimal::ONE
        };
        sheet.row(&[
            Cell::Text(d.id),
            Cell::from(d.number),
            Cell::Named {
                key: d.kind.as_str().to_string(),
                words: d.kind.words().to_string(),
            },
            Cell::Text(d.customer_id),
            Cell::Text(d.customer_name),
            Cell::Date(d.doc_date),
            Cell::from(d.due_date),
            overdue,
            Cell::Text(d.currency.clone()),
            Cell::amount(d.amount, &d.currency),
            Cell::amount(d.balance, &d.currency),
            Cell::amount(
                sign * round_to_currency(d.balance * d.rate, currency),
                currency,
            ),
            d.billing_balance
                .map_or(Cell::Empty, |b| Cell::amount(b, &d.currency)),
        ])
    })
}

/// The payment forecast: the cash expected week by week, then every open document with its
/// customer, number, predicted payment date and forecast week (empty after the 13th week).
/// CSV holds the documents.
pub fn forecast(store: &Store, f: &Forecast, sheet: &mut dyn Sheet) -> Result<()> {
    sheet.table(
        "Weekly cash",
        &[
            Column::new("week_start", "Week of (Monday)", Kind::Date),
            Column::new("week_end", "To (Sunday)", Kind::Date),
            Column::new("documents", "Documents", Kind::Count),
            base_amount("expected", "Expected", &f.currency),
        ],
        false,
    )?;
    let weeks: Vec<Date> = f.cash.weeks.iter().map(|w| w.start).collect();
    let week_of = |d: Date| {
        weeks
            .iter()
            .rev()
            .find(|&&start| start <= d)
            .filter(|&&start| (d - start).num_days() < 7)
            .copied()
    };
    let mut counts = vec![0u64; weeks.len()];
    for d in &f.documents {
        if let Some(i) = week_of(d.predicted).and_then(|w| weeks.iter().position(|&s| s == w)) {
            counts[i] += 1;
        }
    }
    for (w, n) in f.cash.weeks.iter().zip(&counts) {
        sheet.row(&[
            Cell::Date(w.start),
            Cell::Date(w.start + chrono::Days::new(6)),
            Cell::count(*n),
            Cell::amount(w.amount, &f.currency),
        ])?;
    }
    let beyond = f.documents.len() as u64 - counts.iter().sum::<u64>();
    sheet.row(&[
        Cell::from("later"),
        Cell::Empty,
        Cell::count(beyond),
        Cell::amount(f.cash.beyond, &f.currency),
    ])?;

    sheet.table(
        "Documents",
        &[
            Column::new("document_id", "Document ID", Kind::Text),
            Column::new("number", "Number", Kind::Text),
            Column::new("customer_id", "Customer ID", Kind::Text),
            Column::new("customer", "Customer", Kind::Text),
            base_amount("balance", "Open", &f.currency),
            // What the weeks expect of it: the open balance less the customer's credit.
            base_amount("expected_cash", "Expected cash", &f.currency),
            Column::new("due_date", "Due", Kind::Date),
            Column::new("predicted_payment_date", "Predicted payment", Kind::Date),
            Column::new("week_start", "Forecast week", Kind::Date),
            Column::new("reason", "Why", Kind::Text),
        ],
        true,
    )?;
    let names = store.ledger().customer_labels()?;
    let keys: Vec<i64> = f.documents.iter().map(|d| d.key).collect();
    let numbers = store.ledger().document_numbers(&keys)?;
    for d in &f.documents {
        sheet.row(&[
            Cell::from(d.id.as_str()),
            Cell::from(numbers.get(&d.key).cloned()),
            Cell::from(d.customer_id.as_str()),
            Cell::from(names.get(&d.cid).map(|l| l.name.clone())),
            Cell::amount(d.balance, &f.currency),
            Cell::amount(d.cash, &f.currency),
            Cell::Date(d.due_date),
            Cell::Date(d.predicted),
            Cell::from(week_of(d.predicted)),
            Cell::from(d.reason.as_str()),
        ])?;
    }
    Ok(())
}

/// The engagement report: one row per cycle and reminder.
pub fn engagement(
    report: &crate::engage::report::EngagementReport,
    sheet: &mut dyn Sheet,
) -> Result<()> {
    sheet.table(
        "Engagement",
        &[
            Column::new("cycle", "Cycle", Kind::Text),
            Column::new("reminder", "Reminder", Kind::Text),
            Column::new("sent", "Sent", Kind::Count),
            Column::new("texts_sent", "Of them texts", Kind::Count),
            Column::new("replied", "Replied", Kind::Count),
            Column::new(
                "promised_within_7_days",
                "Promised within 7 days",
                Kind::Count,
            ),
            Column::new("paid_within_14_days", "Paid within 14 days", Kind::Count),
            base_amount("collected", "Collected", &report.currency),
        ],
        true,
    )?;
    for r in &report.reminders {
        sheet.row(&[
            Cell::from(r.cycle.as_str()),
            Cell::from(r.reminder.as_str()),
            Cell::count(r.sent),
            Cell::count(r.texts),
            Cell::count(r.replied),
            Cell::count(r.promised),
            Cell::count(r.paid),
            Cell::amount(r.collected, &report.currency),
        ])?;
    }
    // The report's two series, as `report engagement --json` has them (the workbook only).
    sheet.table(
        "Weeks",
        &[
            Column::new("week_start", "Week of (Monday)", Kind::Date),
            Column::new("emails_sent", "Emails sent", Kind::Count),
            Column::new("texts_sent", "Texts sent", Kind::Count),
            Column::new("replies", "Replies", Kind::Count),
        ],
        false,
    )?;
    for w in &report.weeks {
        sheet.row(&[
            Cell::Date(w.week_start),
            Cell::count(w.emails_sent.unsigned_abs()),
            Cell::count(w.texts_sent.unsigned_abs()),
            Cell::count(w.replies.unsigned_abs()),
        ])?;
    }
    sheet.table(
        "Cycles by week",
        &[
            Column::new("cycle", "Cycle", Kind::Text),
            Column::new("week_start", "Week of (Monday)", Kind::Date),
            Column::new("sent", "Sent", Kind::Count),
            Column::new("replied", "Replied", Kind::Count),
            Column::new("promised", "Promised within 7 days", Kind::Count),
            Column::new("paid", "Paid within 14 days", Kind::Count),
        ],
        false,
    )?;
    for w in &report.cycle_weeks {
        sheet.row(&[
            Cell::from(w.cycle.as_str()),
            Cell::Date(w.week_start),
            Cell::count(w.sent),
            Cell::count(w.replied),
            Cell::count(w.promised),
            Cell::count(w.paid),
        ])?;
    }
    Ok(())
}

/// One reminder of an engagement plan, as exported (from `owed engage plan`'s plan, or the
/// engagement screen's).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanLine {
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
    pub customer: String,
    /// The customer's finance owner (`None`: it has none).
    pub owner: Option<String>,
    pub to: String,
    /// The documents it names (numbers, else ids), oldest due first.
    pub documents: Vec<String>,
    /// Their open balance in the base currency.
    pub open: Decimal,
    /// Days overdue of the oldest.
    pub days_overdue: i64,
}

/// A due reminder the plan does not send, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedLine {
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
    pub customer: String,
    /// The customer's finance owner (`None`: it has none).
    pub owner: Option<String>,
    pub reason: String,
}

/// An engagement plan: the reminders it sends (the CSV's table), then those it skips and why;
/// each with whose customer it goes to (its finance owner, the last column: added after the
/// others, which programs may read by position).
pub fn plan(
    lines: &[PlanLine],
    skipped: &[SkippedLine],
    currency: &str,
    sheet: &mut dyn Sheet,
) -> Result<()> {
    let text = |key: &str, title: &str| Column::new(key, title, Kind::Text);
    sheet.table(
        "Plan",
        &[
            text("cycle", "Cycle"),
            text("reminder", "Reminder"),
            text("customer_id", "Customer ID"),
            text("customer", "Customer"),
            text("to", "To"),
            text("documents", "Documents"),
            base_amount("open", "Open", currency),
            Column::new("days_overdue", "Days overdue", Kind::Integer),
            text("owner", "Finance owner"),
        ],
        true,
    )?;
    for l in lines {
        sheet.row(&[
            Cell::from(l.cycle.as_str()),
            Cell::from(l.reminder.as_str()),
            Cell::from(l.customer_id.as_str()),
            Cell::from(l.customer.as_str()),
            Cell::from(l.to.as_str()),
            Cell::from(l.documents.join(", ").as_str()),
            Cell::amount(l.open, currency),
            Cell::Integer(l.days_overdue),
            Cell::from(l.owner.clone()),
        ])?;
    }
    sheet.table(
        "Skipped",
        &[
            text("cycle", "Cycle"),
            text("reminder", "Reminder"),
            text("customer_id", "Customer ID"),
            text("customer", "Customer"),
            text("reason", "Why it is not sent"),
            text("owner", "Finance owner"),
        ],
        false,
    )?;
    for s in skipped {
        sheet.row(&[
            Cell::from(s.cycle.as_str()),
            Cell::from(s.reminder.as_str()),
            Cell::from(s.customer_id.as_str()),
            Cell::from(s.customer.as_str()),
            Cell::from(s.reason.as_str()),
            Cell::from(s.owner.clone()),
        ])?;
    }
    Ok(())
}

/// The team's figures: one row per collector, then the customers nobody owns.
pub fn team(report: &crate::report::team::TeamReport, sheet: &mut dyn Sheet) -> Result<()> {
    let cur = &report.currency;
    let count = |key: &str, title: &str| Column::new(key, title, Kind::Count);
    sheet.table(
        "Team",
        &[
            Column::new("collector", "Collector", Kind::Text),
            count("customers_assigned", "Customers assigned"),
            count("customers_overdue", "Customers overdue"),
            Column::new(
                format!("overdue_{cur}"),
                format!("Overdue ({cur})"),
                Kind::Amount,
            ),
            count("touched_today", "Touched today"),
            count("touched_this_week", "Touched this week"),
            count("calls", "Calls"),
            count("notes", "Notes"),
            count("disputes_opened", "Disputes opened"),
            count("disputes_resolved", "Disputes resolved"),
            count("reminders_by_hand", "Reminders by hand"),
            count("reminders_by_runs", "Reminders by runs"),
            count("promises_taken", "Promises taken"),
            count("promises_kept", "Kept"),
            count("promises_partially_kept", "Partially kept"),
            count("promises_broken", "Broken"),
            count("promises_open", "Open"),
            Column::new("kept_share", "Kept share", Kind::Percent),
            Column::new(
                format!("paid_within_14_days_of_touch_{cur}"),
                format!("Paid within 14 days of a touch ({cur})"),
                Kind::Amount,
            ),
            count(
                "broken_promises_without_followup",
                "Broken promises without follow-up",
            ),
            count("replies_waiting", "Replies waiting"),
        ],
        true,
    )?;
    for c in &report.collectors {
        sheet.row(&[
            Cell::from(c.collector.as_str()),
            Cell::count(c.customers_assigned),
            Cell::count(c.customers_overdue),
            Cell::amount(c.overdue, cur),
            Cell::count(c.touched_today),
            Cell::count(c.touched_this_week),
            Cell::count(c.calls),
            Cell::count(c.notes),
            Cell::count(c.disputes_opened),
            Cell::count(c.disputes_resolved),
            Cell::count(c.reminders_by_hand),
            Cell::count(c.reminders_by_runs),
            Cell::count(c.promises_taken),
            Cell::count(c.promises_kept),
            Cell::count(c.promises_partially_kept),
            Cell::count(c.promises_broken),
            Cell::count(c.promises_open),
            c.kept_share.map_or(Cell::Empty, Cell::Percent),
            Cell::amount(c.paid_after_touch, cur),
            Cell::count(c.broken_without_followup),
            Cell::count(c.replies_waiting),
        ])?;
    }
    let u = &report.unassigned;
    if u.customers > 0 {
        let mut cells = vec![
            Cell::from("(unassigned)"),
            Cell::count(u.customers),
            Cell::count(u.customers_overdue),
            Cell::amount(u.overdue, cur),
        ];
        cells.resize(19, Cell::Empty);
        cells.push(Cell::count(u.broken_without_followup));
        cells.push(Cell::Empty);
        sheet.row(&cells)?;
    }
    Ok(())
}

/// Rows of the queue read at a time: a whole queue of 100,000 customers in one page, which
/// SQLite reads and sorts in one pass (0.5 s; in pages of 10,000 from their offset, 0.8 s).
const QUEUE_PAGE: u64 = 200_000;

/// The queue as `query` selects and orders it (tab, filter, sort, scope), one row per
/// customer, from the queue table built on `store` ([`Queue::rebuild`](crate::store::Queue::rebuild)).
/// `with_risk`: the forecast's risks are in the table (a Risk column is written: `high`,
/// `medium`, `low`, or `none` for a customer with nothing open to rate). `marked`: only the
/// rows of these customers (the workstation's marks).
pub fn queue(
    store: &Store,
    query: &QueueQuery,
    currency: &str,
    with_risk: bool,
    marked: Option<&std::collections::HashSet<i64>>,
    sheet: &mut dyn Sheet,
) -> Result<()> {
    let mut columns = vec![
        Column::new("customer_id", "Customer ID", Kind::Text),
        Column::new("name", "Customer", Kind::Text),
        Column::new("finance_owner", "Owner", Kind::Text),
        Column::new("currency", "Currency", Kind::Text),
        base_amount("outstanding", "Outstanding", currency),
        base_amount("overdue", "Overdue", currency),
        base_amount("net_overdue", "Net overdue", currency),
        base_amount("credit_and_cash", "Credit and cash", currency),
        Column::new("days_late", "Days late (oldest)", Kind::Integer),
        Column::new("last_contact", "Last contact", Kind::Date),
        Column::new("promise", "Promise", Kind::Text),
        Column::new("followups_due", "Follow-ups due", Kind::Count),
        Column::new("open_issues", "Open issues", Kind::Count),
        Column::new("unread_replies", "Unread replies", Kind::Count),
    ];
    if with_risk {
        columns.push(Column::new("risk", "Risk", Kind::Text));
    }
    sheet.table(&format!("Queue {}", query.tab.title()), &columns, true)?;
    let counts = store.queue().counts(query)?;
    let mut offset = 0;
    loop {
        let page = store
            .queue()
            .page_counted(query, offset, QUEUE_PAGE, &counts, None)?;
        for r in page
            .rows
            .iter()
            .filter(|r| marked.is_none_or(|m| m.contains(&r.cid)))
        {
            let promise = match r.promise {
                PromiseFlag::None => "",
                PromiseFlag::Open => "open",
                PromiseFlag::Due => "due",
                PromiseFlag::Broken => "broken",
            };
            let mut cells = vec![
                Cell::from(r.id.as_str()),
                Cell::from(r.name.as_str()),
                Cell::from(r.finance_owner.clone()),
                Cell::from(r.currency.clone()),
                Cell::amount(r.outstanding, currency),
                Cell::amount(r.overdue, currency),
                Cell::amount(r.net_overdue, currency),
                Cell::amount(r.credit, currency),
                Cell::Integer(r.max_days),
                Cell::from(r.last_contact),
                Cell::from(promise),
                Cell::count(r.followups_due.into()),
                Cell::count(r.open_issues.into()),
                Cell::count(r.unread_replies.into()),
            ];
            if with_risk {
                // A customer with nothing open (only credit, or everything paid) is not
                // rated in a work list: `none`, not a blank that reads as not computed.
                cells.push(Cell::from(r.risk.map_or("none", |l| l.as_str())));
            }
            sheet.row(&cells)?;
        }
        offset += page.rows.len() as u64;
        if page.rows.is_empty() || offset >= page.total {
            return Ok(());
        }
    }
}

/// Every record of the activity log on or before the as-of date in `scope` (of one customer,
/// of some days, of one person), one row each with its customer, oldest first (rows of the same second in the order
/// they were written), as the table `(name, csv)`: a reminder of any status with its error
/// and recipients, a resolve with its outcome, what each record names.
pub fn activity(
    store: &Store,
    as_of: Date,
    base: &str,
    (scope, only): (&LogScope, Option<&Only>),
    (name, csv): (&str, bool),
    sheet: &mut dyn Sheet,
) -> Result<()> {
    sheet.table(
        name,
        &[
            Column::new("date", "Date", Kind::Date),
            Column::new("at", "Recorded at (UTC)", Kind::Moment),
            Column::new("kind", "What", Kind::Text),
            Column::new("customer_id", "Customer ID", Kind::Text),
            Column::new("customer", "Customer", Kind::Text),
            Column::new("who", "Who", Kind::Text),
            Column::new("detail", "Reason, cycle or role", Kind::Text),
            Column::new("amount", "Amount", Kind::CurrencyAmount),
            Column::new("currency", "Currency", Kind::Text),
            Column::new("due_date", "Promised for or due", Kind::Date),
            Column::new("text", "Text", Kind::Text),
            Column::new("record", "Record ID", Kind::Integer),
            Column::new("event_id", "Event ID", Kind::Text),
            Column::new("status", "Status", Kind::Text),
            Column::new("error", "Error", Kind::Text),
            Column::new("outcome", "Outcome", Kind::Text),
            Column::new("to", "To", Kind::Text),
            Column::new("cc", "Copied to", Kind::Text),
            Column::new("documents", "Documents", Kind::Text),
        ],
        csv,
    )?;
    store.activity().for_each_log_entry(as_of, scope, |e| {
        if !keeps_id(only, &e.customer_id) {
            return Ok(());
        }
        let currency = e
            .amount
            .map(|_| e.currency.clone().unwrap_or_else(|| base.to_string()));
        let amount = match (e.amount, &currency) {
            (Some(a), Some(c)) => Cell::amount(a, c),
            _ => Cell::Empty,
        };
        sheet.row(&[
            Cell::Date(e.date),
            Cell::moment(e.at),
            Cell::from(e.kind),
            Cell::Text(e.customer_id),
            Cell::Text(e.customer_name),
            Cell::Text(e.who),
            Cell::from(e.detail),
            amount,
            Cell::from(currency),
            Cell::from(e.due),
            Cell::Text(e.text),
            Cell::Integer(e.record),
            Cell::Text(e.event_id),
            Cell::from(e.status),
            Cell::from(e.error),
            e.outcome.map_or(Cell::Empty, words),
            Cell::from(e.to),
            Cell::from(e.cc),
            Cell::from((!e.documents.is_empty()).then(|| e.documents.join(" "))),
        ])
    })
}

/// Every payment and payment attempt dated on or before the as-of date, with what was
/// applied of it by then.
pub fn payments(
    store: &Store,
    as_of: Date,
    base: &str,
    only: Option<&Only>,
    sheet: &mut dyn Sheet,
) -> Result<()> {
    sheet.table(
        "Payments",
        &[
            Column::new("payment_id", "Payment ID", Kind::Text),
            Column::new("customer_id", "Customer ID", Kind::Text),
            Column::new("customer", "Customer", Kind::Text),
            Column::new("date", "Date", Kind::Date),
            Column::new("status", "Status", Kind::Text),
            Column::new("method", "Method", Kind::Text),
            Column::new("gateway", "Gateway", Kind::Text),
            Column::new("reference", "Reference", Kind::Text),
            Column::new("failure_reason", "Failure reason", Kind::Text),
            Column::new("currency", "Currency", Kind::Text),
            Column::new("amount", "Amount (payment currency)", Kind::CurrencyAmount),
            Column::new(
                "applied",
                "Applied (payment currency)",
                Kind::CurrencyAmount,
            ),
            Column::new(
                "unapplied",
                "Not applied (payment currency)",
                Kind::CurrencyAmount,
            ),
            base_amount("received", "Received", base),
            base_amount("unapplied", "Not applied", base),
        ],
        true,
    )?;
    store.ledger().for_each_payment(as_of, |p| {
        if !keeps_id(only, &p.customer_id) {
            return Ok(());
        }
        let received = if p.status == "success" {
            round_to_currency(p.amount * p.rate, base)
        } else {
            Decimal::ZERO
        };
        let unapplied = round_to_currency(p.unapplied * p.rate, base);
        sheet.row(&[
            Cell::Text(p.id),
            Cell::Text(p.customer_id),
            Cell::Text(p.customer_name),
            Cell::Date(p.date),
            words(p.status),
            p.method.map_or(Cell::Empty, words),
            Cell::from(p.gateway),
            Cell::from(p.reference),
            Cell::from(p.failure_reason),
            Cell::Text(p.currency.clone()),
            Cell::amount(p.amount, &p.currency),
            Cell::amount(p.applied, &p.currency),
            Cell::amount(p.unapplied, &p.currency),
            Cell::amount(received, base),
            Cell::amount(unapplied, base),
        ])
    })
}

/// Every promise to pay recorded on or before the as-of date, with its state then.
pub fn promises(
    store: &Store,
    (as_of, grace_days): (Date, u32),
    base: &str,
    only: Option<&Only>,
    sheet: &mut dyn Sheet,
) -> Result<()> {
    sheet.table(
        "Promises",
        &[
            Column::new("promise_id", "Promise ID", Kind::Integer),
            Column::new("customer_id", "Customer ID", Kind::Text),
            Column::new("customer", "Customer", Kind::Text),
            Column::new("recorded", "Recorded", Kind::Date),
            Column::new("collector", "Collector", Kind::Text),
            Column::new("promised_date", "Promised for", Kind::Date),
            Column::new("currency", "Currency", Kind::Text),
            Column::new("amount", "Amount", Kind::CurrencyAmount),
            Column::new("paid", "Paid", Kind::CurrencyAmount),
            Column::new("remaining", "Remaining", Kind::CurrencyAmount),
            Column::new("state", "State", Kind::Text),
            Column::new("documents", "Documents", Kind::Text),
            Column::new("text", "Text", Kind::Text),
            Column::new("voided_by", "Voided by", Kind::Text),
            Column::new("voided_at", "Voided at (UTC)", Kind::Moment),
            Column::new("void_reason", "Why voided", Kind::Text),
            // In the base currency, at the rate of the day it was recorded; the last, what
            // is open of it (empty unless open): those add up to the metrics'
            // `open_p2p_amount`, the bar's "Open promises".
            base_amount("amount", "Amount", base),
            base_amount("paid", "Paid", base),
            base_amount("remaining", "Remaining", base),
            base_amount("open", "Open", base),
        ],
        true,
    )?;
    let labels = store.ledger().customer_labels()?;
    let mut rates = crate::store::ledger::rates::RateCache::new(store, base);
    for p in store
        .activity()
        .promises_recorded_by(as_of, grace_days, base)?
        .into_iter()
        .filter(|p| keeps(only, p.cid))
    {
        let customer = labels.get(&p.cid);
        let voided = p
            .void
            .as_ref()
            .filter(|_| p.progress.state == crate::domain::promise::PromiseState::Voided);
        let in_base = [
            p.in_base(p.amount, &mut rates)?,
            p.in_base(p.progress.paid, &mut rates)?,
            p.base_remaining(&mut rates)?,
        ];
        let open = p.progress.state == crate::domain::promise::PromiseState::Open;
        sheet.row(&[
            Cell::Integer(p.id),
            Cell::from(customer.map(|c| c.id.clone())),
            Cell::from(customer.map(|c| c.name.clone())),
            Cell::Date(p.recorded),
            Cell::Text(p.collector),
            Cell::Date(p.date),
            Cell::Text(p.currency.clone()),
            Cell::amount(p.amount, &p.currency),
            Cell::amount(p.progress.paid, &p.currency),
            Cell::amount(p.progress.remaining, &p.currency),
            Cell::from(p.progress.state.as_str().replace('_', " ")),
            Cell::Text(
                p.documents
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Cell::from(p.text),
            Cell::from(voided.map(|v| v.collector.clone())),
            voided.map_or(Cell::Empty, |v| Cell::moment(v.at.clone())),
            Cell::from(voided.and_then(|v| v.text.clone())),
            Cell::amount(in_base[0], base),
            Cell::amount(in_base[1], base),
            Cell::amount(in_base[2], base),
            if open {
                Cell::amount(in_base[2], base)
            } else {
                Cell::Empty
            },
        ])?;
    }
    Ok(())
}

/// The deductions: issues with reason `short_payment` (opened by the lockbox import, or by
/// hand), opened on or before the as-of date, with their state then and the resolve that
/// stands: its date, who, its outcome (`valid`: a credit is due from billing; `invalid`: the
/// customer is chased for the gap; `written_off`) and its text — what the ERP is handed —
/// and, last, its amount in the base currency.
pub fn deductions(
    store: &Store,
    as_of: Date,
    base: &str,
    only: Option<&Only>,
    sheet: &mut dyn Sheet,
) -> Result<()> {
    sheet.table(
        "Deductions",
        &[
            Column::new("issue_id", "Issue ID", Kind::Integer),
            Column::new("customer_id", "Customer ID", Kind::Text),
            Column::new("customer", "Customer", Kind::Text),
            Column::new("opened", "Opened", Kind::Date),
            Column::new("collector", "Opened by", Kind::Text),
            Column::new("reason", "Reason", Kind::Text),
            Column::new("currency", "Currency", Kind::Text),
            Column::new("amount", "Amount", Kind::CurrencyAmount),
            Column::new("documents", "Documents", Kind::Text),
            Column::new("state", "State", Kind::Text),
            Column::new("resolved", "Resolved", Kind::Date),
            Column::new("resolved_by", "Resolved by", Kind::Text),
            Column::new("outcome", "Outcome", Kind::Text),
            Column::new("resolution", "Resolution", Kind::Text),
            Column::new("text", "Text", Kind::Text),
            // The amount in the base currency, at the rate of the day it was opened: the
            // open ones add up to the metrics' `open_deduction_amount`.
            base_amount("amount", "Amount", base),
        ],
        true,
    )?;
    let labels = store.ledger().customer_labels()?;
    let mut rates = crate::store::ledger::rates::RateCache::new(store, base);
    for i in store
        .activity()
        .issues_with_reasons(&[DEDUCTION_REASON], as_of, base)?
        .into_iter()
        .filter(|i| keeps(only, i.cid))
    {
        let customer = labels.get(&i.cid);
        let resolution = match i.state {
            crate::domain::action_checks::IssueState::Resolved => i.events.iter().rev().find(|e| {
                e.kind == crate::domain::action_checks::IssueEventKind::Resolve && e.date <= as_of
            }),
            crate::domain::action_checks::IssueState::Open => None,
        };
        let state = match i.state {
            crate::domain::action_checks::IssueState::Resolved => "resolved",
            crate::domain::action_checks::IssueState::Open => "open",
        };
        let base_amount = i.base_amount(&mut rates)?;
        sheet.row(&[
            Cell::Integer(i.id),
            Cell::from(customer.map(|c| c.id.clone())),
            Cell::from(customer.map(|c| c.name.clone())),
            Cell::Date(i.opened),
            Cell::Text(i.collector),
            words(i.reason),
            Cell::Text(i.currency.clone()),
            Cell::amount(i.amount, &i.currency),
            Cell::Text(
                i.documents
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            Cell::from(state),
            Cell::from(resolution.map(|e| e.date)),
            Cell::from(resolution.map(|e| e.collector.clone())),
            resolution
                .and_then(|e| e.outcome.clone())
                .map_or(Cell::Empty, words),
            Cell::from(resolution.and_then(|e| e.text.clone())),
            Cell::from(i.text),
            Cell::amount(base_amount, base),
        ])?;
    }
    Ok(())
}

/// A customer's statement of account: its open lines, each in its own currency, with the
/// open amount signed (credits and unapplied cash negative) so that the total per currency
/// is the balance due, and a debit's days overdue signed (due tomorrow is −1; the PDF, for
/// the customer, shows only the days late). The open amounts are totalled only when they
/// are all in one currency: euros and yen added up are no balance due.
pub fn statement(s: &Statement, sheet: &mut dyn Sheet) -> Result<()> {
    let one_currency = s.lines.iter().all(|l| l.currency == s.lines[0].currency);
    sheet.table(
        "Statement",
        &[
            Column::new("type", "Type", Kind::Text),
            Column::new("document", "Document", Kind::Text),
            Column::new("id", "ID", Kind::Text),
            Column::new("date", "Date", Kind::Date),
            Column::new("due_date", "Due", Kind::Date),
            Column::new("days_overdue", "Days overdue", Kind::Integer),
            Column::new("currency", "Currency", Kind::Text),
            Column::new("amount", "Amount", Kind::CurrencyAmount),
            Column::new(
                "open",
                "Open",
                if one_currency {
                    Kind::Amount
                } else {
                    Kind::CurrencyAmount
                },
            ),
        ],
        true,
    )?;
    for l in &s.lines {
        let sign = match l.kind {
            LineKind::Debit => Decimal::ONE,
            LineKind::Credit | LineKind::Cash => -Decimal::ONE,
        };
        sheet.row(&[
            Cell::Named {
                key: l.doc_type.clone(),
                words: l.doc_type.replace('_', " "),
            },
            Cell::from(l.reference()),
            Cell::from(l.id.as_str()),
            Cell::Date(l.date),
            Cell::from(l.due_date),
            l.days_overdue(s.as_of).map_or(Cell::Empty, Cell::Integer),
            Cell::from(l.currency.as_str()),
            Cell::amount(l.amount, &l.currency),
            Cell::amount(sign * l.open, &l.currency),
        ])?;
    }
    Ok(())
}
