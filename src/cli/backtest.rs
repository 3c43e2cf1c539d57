//! `owed backtest --from DATE --to DATE --every 14d`: how well the forecast would have done
//! on this database's own history.

use super::{Context, parse_date};
use crate::Result;
use crate::domain::Date;
use crate::domain::forecast::ModelConfig;
use crate::report::backtest::{Backtest, BacktestOptions, parse_every};

#[derive(Debug, clap::Args)]
pub struct BacktestArgs {
    /// The first cutoff, YYYY-MM-DD.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Date,
    /// The last cutoff (at most), YYYY-MM-DD; before the as-of date.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Date,
    /// Time between cutoffs: days (14d) or weeks (2w).
    #[arg(long, default_value = "14d", value_name = "PERIOD", value_parser = parse_every)]
    pub every: u32,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Model tuning: half-life in days of a settled document's weight.
    #[arg(long, hide = true, value_name = "DAYS", value_parser = days)]
    pub half_life: Option<f64>,
    /// Model tuning: weight of the portfolio prior in each customer's curve.
    #[arg(long, hide = true, value_name = "W", value_parser = documents)]
    pub prior_weight: Option<f64>,
    /// Model tuning: share of the (evidence-weighted) move to the recent level carried.
    #[arg(long, hide = true, value_name = "S", value_parser = share)]
    pub trend_weight: Option<f64>,
    /// Model tuning: open documents overdue by more than this are left out of the curves.
    #[arg(long, hide = true, value_name = "DAYS", value_parser = days)]
    pub censor_cap: Option<f64>,
    /// Model tuning: documents' worth, at least, of the portfolio's residual curve in each
    /// document's blend, instead of the one the self-check chooses.
    #[arg(long, hide = true, value_name = "W", value_parser = documents)]
    pub residual_weight: Option<f64>,
    /// Model tuning: share of settlements on one weekday that makes it a payment run.
    #[arg(long, hide = true, value_name = "S", value_parser = share)]
    pub weekday_share: Option<f64>,
    /// Model tuning: publish the model everywhere, without checking it on the history
    /// before each cutoff.
    #[arg(long, hide = true)]
    pub no_self_check: bool,
}

pub fn run(ctx: &Context, args: &BacktestArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let mut model = ModelConfig::default();
    if let Some(v) = args.half_life {
        model.half_life_days = v;
    }
    if let Some(v) = args.prior_weight {
        model.prior_weight = Some(v);
    }
    if let Some(v) = args.weekday_share {
        model.weekday_min_share = v;
    }
    if let Some(v) = args.censor_cap {
        model.censor_cap_days = v;
    }
    if let Some(v) = args.trend_weight {
        model.trend_weight = v;
    }
    if let Some(v) = args.residual_weight {
        model.residual_weight = Some(v);
    }
    model.self_check = !args.no_self_check;
    let result = Backtest::run(
        &store,
        &BacktestOptions {
            from: args.from,
            to: args.to,
            every_days: args.every,
            horizon: ctx.as_of,
            base_currency: ctx.config.base_currency.clone(),
            promise_grace_days: ctx.config.promise_grace_days,
            model,
        },
    )?;
    if args.json {
        jsonln!("{}", result.to_json())?;
    } else {
        out!("{}", result.to_text())?;
    }
    Ok(())
}

/// `text` as a number that `fits`, else a sentence saying it is not `what`.
fn number(text: &str, fits: impl Fn(f64) -> bool, what: &str) -> std::result::Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|&x| fits(x))
        .ok_or_else(|| format!("`{text}` is not {what}"))
}

/// A number of days, more than 0 (a half-life or a cap of 0 or less meant nothing and was
/// ignored without a word).
fn days(text: &str) -> std::result::Result<f64, String> {
    number(
        text,
        |d| d.is_finite() && d > 0.0,
        "a number of days (more than 0)",
    )
}

/// A share from 0 to 1 (`inf` made a model of nonsense).
fn share(text: &str) -> std::result::Result<f64, String> {
    number(text, |s| (0.0..=1.0).contains(&s), "a share from 0 to 1")
}

/// A number of documents' worth: finite and not negative.
fn documents(text: &str) -> std::result::Result<f64, String> {
    number(
        text,
        |w| w.is_finite() && w >= 0.0,
        "a number of documents (0 or more)",
    )
}
