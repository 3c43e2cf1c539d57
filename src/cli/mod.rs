//! The command line (SPEC "Command line"): argument definitions and dispatch.
//!
//! `--db`, `--config`, `--as` and `--as-of` are global: they go before or after the
//! subcommand. Errors print one sentence on stderr; the exit code is 2 for bad usage or input,
//! 1 for a runtime failure.

mod bench_tui;
mod demo;
mod export;
mod import;
mod report;

use crate::Result;
use crate::config::{self, Config};
use crate::domain::Date;
use crate::store::Store;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

/// owed — the accounts-receivable collector's workstation.
#[derive(Debug, Parser)]
#[command(name = "owed", version, about, propagate_version = true)]
pub struct Cli {
    /// The database file (default: owed.db in the platform data dir).
    #[arg(long, global = true, env = "OWED_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The config file (default: config.toml in the platform config dir).
    #[arg(long, global = true, env = "OWED_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Act as this collector (default: `collector` in the config, else the OS user).
    #[arg(long = "as", global = true, value_name = "NAME")]
    pub as_collector: Option<String>,
    /// Compute everything as of this date, YYYY-MM-DD (default: today).
    #[arg(long, global = true, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// The workstation's theme: a name from themes/ (default, mono, light) or a file path.
    #[arg(long, global = true, env = "OWED_THEME", value_name = "NAME")]
    pub theme: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create (or reuse) a demo database with a realistic portfolio.
    Demo(demo::DemoArgs),
    /// Import the billing system's CSV exports (files or folders), atomically.
    Import(import::ImportArgs),
    /// Export a view to Excel or CSV.
    Export(export::ExportArgs),
    /// Reports: aging, metrics.
    Report(report::ReportArgs),
    /// Measure the workstation on a database (first frame, key latency, bytes per move).
    #[command(hide = true)]
    BenchTui(bench_tui::BenchArgs),
}

/// Parses a `YYYY-MM-DD` command-line date strictly.
pub fn parse_date(text: &str) -> std::result::Result<Date, String> {
    crate::domain::date::parse_iso(text)
        .ok_or_else(|| format!("`{text}` is not a valid date (YYYY-MM-DD)"))
}

/// What every command needs: the config, where the database is, who is acting and when.
pub struct Context {
    pub config: Config,
    pub db_path: PathBuf,
    pub collector: String,
    pub as_of: Date,
    /// Whether `--as-of` was given (the workstation shows it).
    pub as_of_given: bool,
    /// `--theme`, when given (else the config's, else `default`; `mono` under NO_COLOR).
    pub theme: Option<String>,
}

impl Context {
    fn new(cli: &Cli) -> Result<Context> {
        let config = Config::load(cli.config.as_deref())?;
        let db_path = config::database_path(cli.db.as_deref())?;
        let collector = config.collector_name(cli.as_collector.as_deref());
        Ok(Context {
            config,
            db_path,
            collector,
            as_of: cli.as_of.unwrap_or_else(today),
            as_of_given: cli.as_of.is_some(),
            theme: cli.theme.clone(),
        })
    }

    /// Opens the database.
    pub fn open_store(&self) -> Result<Store> {
        Store::open(&self.db_path)
    }

    /// Opens another database path with the same settings.
    pub fn open_store_at(&self, path: &Path) -> Result<Store> {
        Store::open(path)
    }
}

/// Today's date on this machine: read once, at the edge, and passed down.
pub fn today() -> Date {
    chrono::Local::now().date_naive()
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("owed: {e}");
            e.exit_code()
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    let ctx = Context::new(&cli)?;
    match cli.command {
        Some(Command::Demo(args)) => demo::run(&ctx, &args, cli.db.is_some()),
        Some(Command::Import(args)) => import::run(&ctx, &args),
        Some(Command::Report(args)) => report::run(&ctx, &args),
        Some(Command::Export(args)) => export::run(&ctx, &args),
        Some(Command::BenchTui(args)) => bench_tui::run(&ctx, &args),
        None => crate::tui::run(&ctx),
    }
}
