//! `owed report aging|metrics|engagement|forecast|team|imports`.

use super::Context;
use crate::engage::report::EngagementReport;
use crate::report::forecast::Forecast;
use crate::report::table::{Align, TextTable};
use crate::report::team::TeamReport;
use crate::report::{Portfolio, aging, metrics::Metrics};
use crate::store::Store;
use crate::store::ledger::import::ImportChange;
use crate::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub report: Report,
}

#[derive(Debug, clap::Subcommand)]
pub enum Report {
    /// Aging by bucket per customer and in total.
    Aging(ScopedOptions),
    /// The metrics bar's figures: outstanding, overdue, net overdue, DSO, …
    Metrics(ScopedOptions),
    /// What the reminders achieved per cycle and reminder, and emails and replies by week.
    Engagement(ReportOptions),
    /// Predicted payment date of every open document, and expected cash by week (13 weeks).
    Forecast(ForecastOptions),
    /// Per collector: customers and overdue owned, touches, calls, promises kept, money paid
    /// after a touch, broken promises without follow-up, replies waiting.
    Team(ReportOptions),
    /// The imports that committed, newest first: when, by whom, which files, what they did.
    Imports(ImportsOptions),
}

#[derive(Debug, clap::Args)]
pub struct ImportsOptions {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// How many of the newest imports to list (0: all, as `find --limit 0`).
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub last: u32,
}

#[derive(Debug, clap::Args)]
pub struct ReportOptions {
    /// Print JSON (SPEC "Report output") instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScopedOptions {
    /// Print JSON (SPEC "Report output") instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Only the customers whose finance owner is NAME (as the workstation's "mine" shows
    /// them to NAME).
    #[arg(long, value_name = "NAME", value_parser = super::owner_name)]
    pub owner: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct ForecastOptions {
    /// Print JSON (SPEC "Report output") instead of tables.
    #[arg(long)]
    pub json: bool,
    /// How many of the largest open documents the table lists.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub top: usize,
}

pub fn run(ctx: &Context, args: &ReportArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let out = match &args.report {
        Report::Aging(o) => {
            let owned = owner(&store, o)?;
            let portfolio = portfolio(ctx, &store)?;
            let portfolio = match &owned {
                Some(owned) => portfolio.owned(owned),
                None => portfolio,
            };
            let labels = store.ledger().customer_labels()?;
            if o.json {
                use std::io::Write;
                let mut out = super::json_stdout();
                aging::write_json(&portfolio, &labels, &mut out)?;
                out.write_all(b"\n")?;
                out.flush()?;
                return Ok(());
            }
            crate::report::as_of_in_zone(
                &aging::to_text(&portfolio, &labels),
                ctx.as_of,
                &store.time_zone()?,
            )
        }
        Report::Metrics(o) => {
            let bounds = ctx.config.aging().map_err(Error::input)?;
            let owned = owner(&store, o)?;
            let (_, m) = Metrics::compute_beside(
                &store,
                ctx.as_of,
                &bounds,
                &ctx.config.base_currency,
                ctx.config.promise_grace_days,
                owned.as_ref(),
            )?;
            if o.json {
                jsonln!("{}", m.to_json())?;
                return Ok(());
            }
            crate::report::as_of_in_zone(&m.to_text(), ctx.as_of, &store.time_zone()?)
        }
        Report::Engagement(o) => {
            let r = EngagementReport::compute(&store, ctx.as_of, &ctx.config.base_currency)?;
            if o.json {
                jsonln!("{}", r.to_json())?;
            } else {
                let text = r.to_text();
                out!(
                    "{}",
                    crate::report::as_of_in_zone(&text, ctx.as_of, &store.time_zone()?)
                )?;
            }
            return Ok(());
        }
        Report::Forecast(o) => {
            let f = Forecast::compute(
                &store,
                ctx.as_of,
                &ctx.config.base_currency,
                ctx.config.promise_grace_days,
            )?;
            if o.json {
                let mut out = super::json_stdout();
                f.write_json(&mut out)?;
                std::io::Write::flush(&mut out)?;
                return Ok(());
            }
            crate::report::as_of_in_zone(&f.to_text(o.top), ctx.as_of, &store.time_zone()?)
        }
        Report::Team(o) => {
            // As the team screen: a manager's or an auditor's.
            crate::domain::users::may_see_team(&ctx.actor(&store)?).map_err(Error::Input)?;
            let bounds = ctx.config.aging().map_err(Error::input)?;
            let r = TeamReport::compute_at(
                &store,
                ctx.as_of,
                &bounds,
                &ctx.config.base_currency,
                ctx.config.promise_grace_days,
            )?;
            if o.json {
                return jsonln!("{}", r.to_json());
            }
            let text = r.to_text();
            return out!(
                "{}",
                crate::report::as_of_in_zone(&text, ctx.as_of, &store.time_zone()?)
            );
        }
        Report::Imports(o) => return imports(&store, o),
    };
    outln!("{out}")?;
    // Whoever reads the figures later knows what they were made from.
    if let Some(ledger) = crate::export::ledger_stamp(&store)? {
        // One blank line between, whether or not the table ends with one.
        let gap = if out.ends_with('\n') { "" } else { "\n" };
        outln!("{gap}Ledger last imported {ledger}.")?;
    }
    Ok(())
}

/// The customers of `--owner`, when given.
fn owner(store: &Store, o: &ScopedOptions) -> Result<Option<crate::report::Owned>> {
    super::owned(store, o.owner.as_deref())
}

fn portfolio(ctx: &Context, store: &Store) -> Result<Portfolio> {
    let bounds = ctx.config.aging().map_err(Error::input)?;
    Portfolio::compute(store, ctx.as_of, None, &bounds, &ctx.config.base_currency)
}

/// How many values a run changed in the rows it updated, and the first few
/// (`2: B1 amount 1,000.00 → 1,100.00; K2 finance_owner bob → alice`); `--json` has them all.
fn changed(changes: &[ImportChange]) -> String {
    const SHOWN: usize = 3;
    if changes.is_empty() {
        return "none".into();
    }
    let mut text = changes
        .iter()
        .take(SHOWN)
        .map(ImportChange::text)
        .collect::<Vec<_>>()
        .join("; ");
    if changes.len() > SHOWN {
        text.push_str(&format!("; … {} more", changes.len() - SHOWN));
    }
    format!("{}: {text}", changes.len())
}

/// `owed report imports`: the log of imports, newest first.
fn imports(store: &Store, o: &ImportsOptions) -> Result<()> {
    let limit = if o.last == 0 { u32::MAX } else { o.last };
    let runs = store.ledger().imports(limit)?;
    if o.json {
        return jsonln!("{}", serde_json::to_string(&runs).map_err(Error::runtime)?);
    }
    if runs.is_empty() {
        return outln!("No import is on record (the log of imports began with schema 11).");
    }
    let mut t = TextTable::new(&[
        ("at", Align::Left),
        ("by", Align::Left),
        ("from", Align::Left),
        ("what each file did", Align::Left),
        ("values changed", Align::Left),
    ]);
    for run in &runs {
        // Where the files came from when the log says, else the folders they were in (the
        // last column names the files).
        let mut from: Vec<String> = Vec::new();
        match &run.source {
            Some(source) => from.push(source.clone()),
            None => {
                for file in &run.files {
                    let folder = std::path::Path::new(file)
                        .parent()
                        .map_or_else(String::new, |p| p.display().to_string());
                    if !from.contains(&folder) {
                        from.push(folder);
                    }
                }
            }
        }
        t.row(vec![
            run.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            run.actor.clone(),
            from.join(", "),
            run.summary.clone(),
            changed(&run.changes),
        ]);
    }
    out!("{}", t.render())?;
    // A list cut at `--last` says so, as `find`'s at `--limit` does.
    let older = store
        .ledger()
        .import_count()?
        .saturating_sub(runs.len() as u64);
    if older > 0 {
        outln!("… and {older} older (--last 0 lists them all)")?;
    }
    Ok(())
}
