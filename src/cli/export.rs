//! `owed export VIEW --format xlsx|csv -o FILE`.

use super::Context;
use crate::engage::report::EngagementReport;
use crate::export::{Format, views, write_atomically};
use crate::report::forecast::Forecast;
use crate::report::team::TeamReport;
use crate::report::{Portfolio, metrics::Metrics};
use crate::{Error, Result};
use std::path::PathBuf;

/// The views that can be exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum View {
    Aging,
    Metrics,
    Documents,
    /// The engagement report: per cycle and reminder.
    Engagement,
    /// Every open document with its predicted payment date, forecast week and reason.
    Forecast,
    /// The team's figures: one row per collector (as `owed report team`).
    Team,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// What to export.
    pub view: View,
    /// File format.
    #[arg(long, value_enum, default_value = "xlsx")]
    pub format: Format,
    /// Output file.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let bounds = ctx.config.aging().map_err(Error::input)?;
    let p = Portfolio::compute(&store, ctx.as_of, None, &bounds, &ctx.config.base_currency)?;
    let name = format!("{:?} {}", args.view, ctx.as_of).to_lowercase();
    write_atomically(&args.output, args.format, &name, |sheet| match args.view {
        View::Aging => views::aging(&store, &p, sheet),
        View::Metrics => views::metrics(
            &Metrics::compute(&store, &p, ctx.config.promise_grace_days)?,
            sheet,
        ),
        View::Documents => views::documents(&store, &p, sheet),
        View::Engagement => views::engagement(
            &EngagementReport::compute(&store, ctx.as_of, &ctx.config.base_currency)?,
            sheet,
        ),
        View::Forecast => views::forecast(
            &Forecast::compute(
                &store,
                ctx.as_of,
                &ctx.config.base_currency,
                ctx.config.promise_grace_days,
            )?,
            sheet,
        ),
        View::Team => views::team(
            &TeamReport::compute(&store, &p, ctx.config.promise_grace_days)?,
            sheet,
        ),
    })?;
    errln!("wrote {}", args.output.display());
    Ok(())
}
