//! `owed export VIEW [--format xlsx|csv] -o FILE`: a view as a workbook for people or CSV for
//! programs (`-o -`: CSV on standard output).

use super::Context;
use crate::domain::queue::{Predicate, QueueFilter, QueueQuery, Scope, SortKey, Tab};
use crate::engage::report::EngagementReport;
use crate::export::screen::queue_scope;
use crate::export::statement::Statement;
use crate::export::{Format, Meta, Options, about, views, write_view};
use crate::report::forecast::Forecast;
use crate::report::team::TeamReport;
use crate::report::{Portfolio, metrics::Metrics};
use crate::store::Store;
use crate::store::activity::activity_log::LogScope;
use crate::{Error, Result};
use std::path::PathBuf;

/// The views that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    /// Every customer's aging, credit, cash, net overdue and mismatch.
    Aging,
    /// The portfolio's figures: outstanding, DSO, CEI…
    Metrics,
    /// Every open document (of one customer with --customer).
    Documents,
    /// The engagement report: per cycle and reminder.
    Engagement,
    /// Today's engagement plan (as `owed engage plan`): who gets which reminder, and the due
    /// reminders not sent and why.
    Plan,
    /// The cash expected week by week, and every open document's predicted payment date.
    Forecast,
    /// The team's figures: one row per collector (as `owed report team`).
    Team,
    /// The workstation's queue: --tab, --filter, --sort, --owner (default every customer).
    Queue,
    /// Every record of the activity log with its customer (of one with --customer; of some
    /// days with --from and --to; of one person with --by).
    Activity,
    /// Every payment and payment attempt, with what was applied of it.
    Payments,
    /// Every promise to pay, with its state.
    Promises,
    /// Short payments and deductions (issues), with their state and resolution.
    Deductions,
    /// One customer's statement of account (--customer ID).
    Statement,
}

impl View {
    /// The view's name as typed (`export engagement`).
    fn name(self) -> String {
        clap::ValueEnum::to_possible_value(&self)
            .map(|v| v.get_name().to_string())
            .unwrap_or_default()
    }

    /// The view's name for people (title rows, About).
    fn title(self) -> &'static str {
        match self {
            View::Aging => "Aging",
            View::Metrics => "Metrics",
            View::Documents => "Documents",
            View::Engagement => "Engagement",
            View::Plan => "Engagement plan",
            View::Forecast => "Forecast",
            View::Team => "Team",
            View::Queue => "Queue",
            View::Activity => "Activity",
            View::Payments => "Payments",
            View::Promises => "Promises",
            View::Deductions => "Deductions",
            View::Statement => "Statement of account",
        }
    }

    /// The figures the workbook's About sheet explains.
    fn figures(self) -> &'static [about::Figure] {
        match self {
            View::Aging => views::AGING_FIGURES,
            View::Metrics => views::METRICS_FIGURES,
            View::Documents => views::DOCUMENTS_FIGURES,
            View::Engagement => views::ENGAGEMENT_FIGURES,
            View::Plan => views::PLAN_FIGURES,
            View::Forecast => views::FORECAST_FIGURES,
            View::Team => views::TEAM_FIGURES,
            View::Queue => views::QUEUE_FIGURES,
            View::Activity => views::ACTIVITY_FIGURES,
            View::Payments => views::PAYMENTS_FIGURES,
            View::Promises => views::PROMISES_FIGURES,
            View::Deductions => views::DEDUCTIONS_FIGURES,
            View::Statement => views::STATEMENT_FIGURES,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// What to export.
    pub view: View,
    /// File format (default: csv for `-o -` and *.csv, else xlsx).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Output file (`-`: CSV on standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// The customer (statement; documents and activity of one customer).
    #[arg(long, value_name = "ID")]
    pub customer: Option<String>,
    /// Activity: only the entries dated on or after this day.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    pub from: Option<crate::domain::Date>,
    /// Activity: only the entries dated on or before this day.
    #[arg(long, value_name = "DATE", value_parser = super::parse_date)]
    pub to: Option<crate::domain::Date>,
    /// Activity: only the entries this person recorded (without regard to case).
    #[arg(long, value_name = "NAME", value_parser = super::owner_name)]
    pub by: Option<String>,
    /// Queue: the tab (overdue, all, promises, followups, disputes, replies, risk; default all).
    #[arg(long, value_name = "TAB")]
    pub tab: Option<String>,
    /// Queue: a filter as the workstation's `/` takes it (`owner:alice overdue>1000`).
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Queue: the order (overdue, days, outstanding, contact, name, risk, call; `:asc` or
    /// `:desc` after it to choose the direction, or ` asc`/` desc` as views write it).
    #[arg(long, value_name = "KEY")]
    pub sort: Option<String>,
    /// Only the customers of this finance owner (default every customer): aging, metrics,
    /// queue, plan, documents, activity, payments, promises, deductions and forecast.
    #[arg(long, value_name = "NAME", value_parser = super::owner_name)]
    pub owner: Option<String>,
    /// Plan: the engagement cycles folder (default: `cycles` in the config, else `cycles/` beside the config file).
    #[arg(long, value_name = "DIR")]
    pub cycles: Option<PathBuf>,
    /// Data rows per worksheet before a table continues on the next (tests; default Excel's
    /// limit).
    #[arg(long, hide = true, value_name = "N")]
    pub rows_per_sheet: Option<u32>,
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<()> {
    check_options(args)?;
    let format = args
        .format
        .unwrap_or_else(|| Format::for_path(&args.output));
    let mut options = Options::new(format);
    if let Some(n) = args.rows_per_sheet {
        options.rows_per_sheet = n.clamp(1, crate::export::EXCEL_DATA_ROWS);
    }
    let store = ctx.open_store()?;
    // A name that owns no customer is refused before anything is computed or written.
    let owned = super::owned(&store, args.owner.as_deref())?;
    // Who exports, as registered (the name typed when it names no user).
    let who = ctx
        .actor(&store)
        .map_or_else(|_| ctx.collector.trim().to_string(), |a| a.name);
    let options = options
        .of_ledger(&store)?
        .exported_by(&who, chrono::Utc::now());
    let bounds = ctx.config.aging().map_err(Error::input)?;
    let base = ctx.config.base_currency.as_str();
    let grace = ctx.config.promise_grace_days;
    let as_of = ctx.as_of;
    let customer = match &args.customer {
        Some(id) => Some((id.as_str(), customer_key(&store, id)?)),
        None => None,
    };
    let scope = match (customer, &owned) {
        (Some((id, _)), _) => format!("customer {id}"),
        (None, Some(owned)) => format!("customers of {}", owned.name),
        (None, None) => "every customer".into(),
    };
    // The customers of `--owner`, for the views that list customers' rows.
    let only = owned
        .as_ref()
        .map(|o| views::Only::of(&store, o))
        .transpose()?;
    let only = only.as_ref();
    let mut meta = Meta::new(args.view.title(), as_of, base, scope, args.view.figures());
    let portfolio = || {
        Portfolio::compute(&store, as_of, None, &bounds, base).map(|p| match &owned {
            Some(owned) => p.owned(owned),
            None => p,
        })
    };
    let written = match args.view {
        View::Aging => {
            let p = portfolio()?;
            write_view(&args.output, &options, &meta, |s| {
                views::aging(&store, &p, s)
            })?
        }
        View::Metrics => {
            // As `report metrics --owner`: the owner's open issues, promises and sales too.
            let m = match &owned {
                Some(owned) => {
                    Metrics::compute_beside(&store, as_of, &bounds, base, grace, Some(owned))?.1
                }
                None => Metrics::compute(&store, &portfolio()?, grace)?,
            };
            write_view(&args.output, &options, &meta, |s| views::metrics(&m, s))?
        }
        View::Documents => write_view(&args.output, &options, &meta, |s| {
            views::documents(&store, as_of, base, (customer.map(|c| c.1), only), s)
        })?,
        View::Plan => {
            let cycles = super::engage::load_cycles(ctx, args.cycles.as_deref(), &store)?;
            let plan = crate::engage::plan::compute(
                &store,
                &cycles,
                crate::engage::plan_settings(&ctx.config, as_of, super::today()),
            )?;
            let plan = super::engage::owners_plan(plan, owned.as_ref());
            let (entries, skipped) = crate::workstation::engage::plan_rows(&plan, base);
            crate::workstation::engage::plan_export(
                &entries,
                &skipped,
                as_of,
                base,
                owned.as_ref().map(|o| o.name.as_str()),
            )?
            .write(&args.output, &options)?
        }
        View::Engagement => {
            let report = EngagementReport::compute(&store, as_of, base)?;
            write_view(&args.output, &options, &meta, |s| {
                views::engagement(&report, s)
            })?
        }
        View::Forecast => {
            let f = Forecast::compute(&store, as_of, base, grace)?;
            let f = match &owned {
                Some(owned) => f.restricted(&owned.cids),
                None => f,
            };
            write_view(&args.output, &options, &meta, |s| {
                views::forecast(&store, &f, s)
            })?
        }
        View::Team => {
            crate::domain::users::may_see_team(&ctx.actor(&store)?).map_err(Error::Input)?;
            let p = portfolio()?;
            let report = TeamReport::compute(&store, &p, grace)?;
            meta.scope = crate::export::screen::team_scope(&report);
            write_view(&args.output, &options, &meta, |s| views::team(&report, s))?
        }
        View::Queue => {
            let query = queue_query(ctx, args, &bounds)?;
            let reasons = store
                .activity()
                .issue_reasons(&ctx.config.dispute_reasons)?;
            query
                .filter
                .check_issue_reasons(&reasons)
                .map_err(|e| Error::input(format!("--filter: {e}")))?;
            let p = portfolio()?;
            let with_risk = query.tab == Tab::HighRisk || query.sort == SortKey::Risk;
            let mut risks = Vec::new();
            if with_risk {
                let f = Forecast::compute(&store, as_of, base, grace)?;
                let open: std::collections::HashSet<i64> =
                    f.documents.iter().map(|d| d.cid).collect();
                risks = f
                    .risks
                    .iter()
                    .map(|(&cid, r)| {
                        crate::store::queue::risk::QueueRisk::of(cid, r, open.contains(&cid))
                    })
                    .collect();
                risks.sort_by_key(|r| r.cid);
            }
            store
                .queue()
                .rebuild(as_of, &bounds, &p.customers, grace, base, &risks)?;
            let fallback = store.queue().mine_falls_back(&query)?;
            let meta = crate::export::screen::queue_meta(
                queue_scope(&query, owned.as_ref().map(|o| o.name.as_str()), fallback),
                as_of,
                base,
            );
            write_view(&args.output, &options, &meta, |s| {
                views::queue(&store, &query, base, with_risk, None, s)
            })?
        }
        View::Activity => {
            let scope = LogScope {
                cid: customer.map(|c| c.1),
                from: args.from,
                to: args.to,
                by: args.by.as_ref().map(|b| b.trim().to_string()),
            };
            meta.scope = activity_scope(&meta.scope, &scope);
            write_view(&args.output, &options, &meta, |s| {
                views::activity(&store, as_of, base, (&scope, only), ("Activity", true), s)
            })?
        }
        View::Payments => write_view(&args.output, &options, &meta, |s| {
            views::payments(&store, as_of, base, only, s)
        })?,
        View::Promises => write_view(&args.output, &options, &meta, |s| {
            views::promises(&store, (as_of, grace), base, only, s)
        })?,
        View::Deductions => write_view(&args.output, &options, &meta, |s| {
            views::deductions(&store, as_of, base, only, s)
        })?,
        View::Statement => {
            let (id, _) = customer.ok_or_else(|| {
                Error::input("export statement needs the customer: --customer ID")
            })?;
            let statement = Statement::read(&store, id, as_of, &bounds)?;
            meta.scope = format!("customer {} {}", statement.customer_id, statement.name);
            write_view(&args.output, &options, &meta, |s| {
                views::statement(&statement, s)
            })?
        }
    };
    if args.output.as_os_str() != "-" {
        errln!("wrote {}", args.output.display());
    }
    if let Some(note) = written.as_text_note(&args.output) {
        errln!("note: {note}");
    }
    Ok(())
}

/// The options a view does not take are bad input, not silently ignored.
fn check_options(args: &ExportArgs) -> Result<()> {
    let queue_only = args.tab.is_some() || args.filter.is_some() || args.sort.is_some();
    if queue_only && args.view != View::Queue {
        return Err(Error::input(
            "--tab, --filter and --sort apply to export queue only",
        ));
    }
    if args.owner.is_some() {
        // A view of customers' rows takes one finance owner's; these have no such rows.
        let not_per_customer = match args.view {
            View::Engagement => Some(
                "its figures are per cycle and reminder, not per customer (export plan \
                 --owner NAME lists the reminders to NAME's customers)",
            ),
            View::Team => Some("it has a row per collector already"),
            View::Statement => Some("a statement is one customer's (--customer ID)"),
            _ => None,
        };
        if let Some(why) = not_per_customer {
            return Err(Error::input(format!(
                "--owner does not apply to export {}: {why}",
                args.view.name()
            )));
        }
        if args.customer.is_some() {
            return Err(Error::input(
                "--owner and --customer choose the customers two ways: give one of them",
            ));
        }
    }
    if args.cycles.is_some() && args.view != View::Plan {
        return Err(Error::input("--cycles applies to export plan only"));
    }
    let activity_only = args.from.is_some() || args.to.is_some() || args.by.is_some();
    if activity_only && args.view != View::Activity {
        return Err(Error::input(
            "--from, --to and --by apply to export activity only",
        ));
    }
    if let (Some(from), Some(to)) = (args.from, args.to)
        && from > to
    {
        return Err(Error::input(format!(
            "--from {from} is after --to {to}: give the earlier day first"
        )));
    }
    if args.by.as_deref().is_some_and(|b| b.trim().is_empty()) {
        return Err(Error::input("--by needs a name: who recorded the entries"));
    }
    let takes_customer = matches!(
        args.view,
        View::Statement | View::Documents | View::Activity
    );
    if args.customer.is_some() && !takes_customer {
        return Err(Error::input(
            "--customer applies to export statement, documents and activity only",
        ));
    }
    Ok(())
}

/// The title row's scope of an activity export: the customers' (`every customer`,
/// `customer K1`), then the days and the person when given (`every customer, dated
/// 2026-04-27 to 2026-05-03, by alice`).
fn activity_scope(customers: &str, scope: &LogScope) -> String {
    let mut out = customers.to_string();
    match (scope.from, scope.to) {
        (Some(from), Some(to)) => out.push_str(&format!(", dated {from} to {to}")),
        (Some(from), None) => out.push_str(&format!(", dated from {from}")),
        (None, Some(to)) => out.push_str(&format!(", dated up to {to}")),
        (None, None) => {}
    }
    if let Some(by) = &scope.by {
        out.push_str(&format!(", by {by}"));
    }
    out
}

fn customer_key(store: &Store, id: &str) -> Result<i64> {
    store
        .ledger()
        .customer_key(id)?
        .ok_or_else(|| Error::no_customer(id))
}

/// The queue query of `--tab`, `--filter`, `--sort` and `--owner`: every customer unless an
/// owner is named (then only theirs, never a fallback to everyone).
fn queue_query(
    ctx: &Context,
    args: &ExportArgs,
    bounds: &crate::domain::aging::AgingBounds,
) -> Result<QueueQuery> {
    let mut query = QueueQuery::new(&ctx.collector);
    query.scope = Scope::Everyone;
    query.tab = match &args.tab {
        Some(t) => Tab::parse(t).ok_or_else(|| {
            Error::input(format!(
                "{} is not a tab ({})",
                crate::error::quoted(t),
                Tab::names()
            ))
        })?,
        None => Tab::All,
    };
    if let Some(sort) = &args.sort {
        // `overdue:desc`, or `overdue desc` as views and `:sort` write it.
        (query.sort, query.descending) =
            crate::domain::queue::parse_sort(sort).map_err(Error::input)?;
    }
    let text = args.filter.clone().unwrap_or_default();
    query.filter =
        QueueFilter::parse(&text, bounds).map_err(|e| Error::input(format!("--filter: {e}")))?;
    if let Some(owner) = &args.owner {
        query
            .filter
            .predicates
            .push(Predicate::Owner(Some(owner.trim().to_string())));
    }
    Ok(query)
}
