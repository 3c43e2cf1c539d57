//! `owed import DIR_OR_FILES...`

use super::Context;
use crate::Result;
use crate::import::{ImportOptions, import_paths};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Folders holding the export files, or the files themselves (recognised by name).
    #[arg(required = true, value_name = "DIR_OR_FILES")]
    pub paths: Vec<PathBuf>,
}

pub fn run(ctx: &Context, args: &ImportArgs) -> Result<()> {
    let mut store = ctx.open_store()?;
    let options = ImportOptions {
        base_currency: ctx.config.base_currency.clone(),
        progress: true,
    };
    let summary = import_paths(&mut store, &args.paths, &options)?;
    outln!("{summary}")?;
    Ok(())
}
