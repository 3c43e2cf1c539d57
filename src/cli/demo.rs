//! `owed demo`: create (or reuse) the demo database and open it.

use super::Context;
use crate::Result;

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Number of customers (about ten documents each).
    #[arg(long, default_value_t = 2000)]
    pub customers: usize,
    /// Seed of the generator: the same seed gives the same portfolio.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Only create the database; do not open the workstation.
    #[arg(long)]
    pub no_tui: bool,
    /// Write the portfolio as import CSVs into this folder instead of a database.
    #[arg(long, value_name = "DIR")]
    pub csv: Option<std::path::PathBuf>,
}

pub fn run(_ctx: &Context, _args: &DemoArgs) -> Result<()> {
    Err(crate::Error::runtime("the demo generator is not wired yet"))
}
