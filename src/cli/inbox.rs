//! `owed inbox import MAILDIR`.

use super::Context;
use crate::Result;
use crate::engage::inbox::{self, Filed};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct InboxArgs {
    #[command(subcommand)]
    pub command: InboxCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum InboxCommand {
    /// Read customers' replies from a Maildir's new/ folder, file them, move them to cur/.
    Import(ImportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The Maildir (the folder holding new/ and cur/).
    pub maildir: PathBuf,
}

pub fn run(ctx: &Context, args: &InboxArgs) -> Result<()> {
    match &args.command {
        InboxCommand::Import(a) => import(ctx, a),
    }
}

fn import(ctx: &Context, args: &ImportArgs) -> Result<()> {
    let mut store = ctx.open_store()?;
    let items = inbox::import_maildir(&mut store, &args.maildir, ctx.as_of)?;
    let (mut filed, mut duplicates, mut unmatched) = (0, 0, 0);
    for item in &items {
        match &item.outcome {
            Filed::Reply {
                customer_id,
                by_thread,
            } => {
                filed += 1;
                let how = if *by_thread {
                    "reply to a reminder"
                } else {
                    "by sender"
                };
                outln!("filed {customer_id} ({how}): {}", item.subject)?;
            }
            Filed::Duplicate { customer_id } => {
                duplicates += 1;
                outln!("already filed {customer_id}: {}", item.subject)?;
            }
            Filed::Unmatched { from } => {
                unmatched += 1;
                eprintln!(
                    "no customer for {} from {}: {} (left in new/)",
                    item.file,
                    from.as_deref().unwrap_or("an unknown sender"),
                    item.subject
                );
            }
        }
    }
    outln!("{filed} filed, {duplicates} already filed, {unmatched} unmatched")?;
    Ok(())
}
