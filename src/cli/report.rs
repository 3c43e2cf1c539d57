//! `owed report aging|metrics|engagement`.

use super::Context;
use crate::engage::report::EngagementReport;
use crate::report::{Portfolio, aging, metrics::Metrics};
use crate::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub report: Report,
}

#[derive(Debug, clap::Subcommand)]
pub enum Report {
    /// Aging by bucket per customer and in total.
    Aging(ReportOptions),
    /// The metrics bar's figures: outstanding, overdue, net overdue, DSO, …
    Metrics(ReportOptions),
    /// What the reminders achieved per cycle and reminder, and emails and replies by week.
    Engagement(ReportOptions),
}

#[derive(Debug, clap::Args)]
pub struct ReportOptions {
    /// Print JSON (SPEC "Report output") instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, args: &ReportArgs) -> Result<()> {
    let store = ctx.open_store()?;
    if let Report::Engagement(o) = &args.report {
        let r = EngagementReport::compute(&store, ctx.as_of, &ctx.config.base_currency)?;
        if o.json {
            println!("{}", r.to_json());
        } else {
            print!("{}", r.to_text());
        }
        return Ok(());
    }
    let bounds = ctx.config.aging().map_err(Error::input)?;
    let portfolio =
        Portfolio::compute(&store, ctx.as_of, None, &bounds, &ctx.config.base_currency)?;
    let out = match &args.report {
        Report::Aging(o) => {
            let labels = store.customer_labels()?;
            if o.json {
                aging::to_json(&portfolio, &labels).to_string()
            } else {
                aging::to_text(&portfolio, &labels)
            }
        }
        Report::Engagement(_) => unreachable!("handled above"),
        Report::Metrics(o) => {
            let m = Metrics::compute(&store, &portfolio, ctx.config.promise_grace_days)?;
            if o.json {
                m.to_json().to_string()
            } else {
                m.to_text()
            }
        }
    };
    println!("{out}");
    Ok(())
}
