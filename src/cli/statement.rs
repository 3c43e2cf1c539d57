//! `owed statement CUSTOMER -o FILE.pdf`: the statement of account of one customer as a PDF.

use super::Context;
use crate::Result;
use crate::export::statement::{StatementSettings, statement_pdf};
use crate::export::write_bytes;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct StatementArgs {
    /// The customer's id (as in the billing system).
    pub customer: String,
    /// The PDF file to write (`-` for standard output).
    #[arg(short, long, value_name = "FILE.pdf")]
    pub output: PathBuf,
}

pub fn run(ctx: &Context, args: &StatementArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let settings = StatementSettings::from_config(&ctx.config)?;
    let (pdf, unprinted) = statement_pdf(&store, &args.customer, ctx.as_of, &settings)?;
    write_bytes(&args.output, &pdf)?;
    if args.output.as_os_str() != "-" {
        errln!("wrote {}", args.output.display());
    }
    if let Some(why) = unprinted {
        errln!("warning: {why}");
    }
    Ok(())
}
