//! `owed inbox import MAILDIR`.

use super::Context;
use crate::domain::users::{Work, may};
use crate::engage::inbox::{self, Filed};
use crate::store::engage::InboxRunLog;
use crate::store::ledger::import::{ImportKind, ImportRun};
use crate::{Error, Result};
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
    // A reply without a date is dated by `--as-of`: not after today.
    ctx.dated_by_today()?;
    let mut store = ctx.open_store()?;
    // Replies reach every collector's customers and take them to the Replies tab: a manager's
    // work (or the unregistered account a cron job runs as), never an auditor's.
    may(&ctx.actor(&store)?, Work::FileReplies, None).map_err(Error::Input)?;
    // Who files them, recorded with each reply and the run.
    let by = ctx.stamp(&store)?;
    let (mut filed, mut duplicates, mut unmatched, mut skipped, mut unverified) = (0, 0, 0, 0, 0);
    // Each message is reported as it is dealt with: an error that stops the import later
    // leaves what was filed before it said.
    let mut report = |item: &inbox::InboxItem| -> Result<()> {
        match &item.outcome {
            Filed::Reply {
                customer_id,
                by_thread,
                verified,
                from,
            } => {
                filed += 1;
                let how = if *by_thread {
                    "reply to a reminder"
                } else {
                    "by sender"
                };
                if *verified {
                    outln!("filed {customer_id} ({how}): {}", item.subject)?;
                } else {
                    unverified += 1;
                    outln!(
                        "filed {customer_id} ({how}) UNVERIFIED: the sender {} is not among the \
                         customer's addresses or domains: {}",
                        from.as_deref().unwrap_or("(none)"),
                        item.subject
                    )?;
                }
            }
            Filed::Duplicate { customer_id } => {
                duplicates += 1;
                outln!("already filed {customer_id}: {}", item.subject)?;
            }
            Filed::Unmatched { from } => {
                unmatched += 1;
                errln!(
                    "no customer for {} from {}: {} (left in new/)",
                    item.file,
                    from.as_deref().unwrap_or("an unknown sender"),
                    item.subject
                );
            }
            Filed::Skipped { why } => {
                skipped += 1;
                errln!("skipped {}: {why} (left in new/)", item.file);
            }
        }
        Ok(())
    };
    // In the log of imports from the first reply it files, with each reply's transaction:
    // a run killed part-way is there with what it filed.
    let mut log = InboxRunLog::new(ImportRun {
        at: chrono::Utc::now(),
        actor: by.collector.clone(),
        files: vec![new_folder(&args.maildir)],
        source: None,
        summary: String::new(),
        kind: ImportKind::Inbox,
        changes: Vec::new(),
    });
    let imported = inbox::import_maildir(
        &mut store,
        &args.maildir,
        &by.collector,
        ctx.as_of,
        super::clock(),
        &mut log,
        &mut report,
    );
    let mut summary = format!("{filed} filed, {duplicates} already filed, {unmatched} unmatched");
    if skipped > 0 {
        summary.push_str(&format!(", {skipped} skipped"));
    }
    if unverified > 0 {
        summary.push_str(&format!("; {unverified} filed from an unverified sender"));
    }
    // A run that filed replies is in the log of imports, as other imports are (one that
    // filed nothing wrote nothing): stopped by an error, with what it filed before it.
    if filed > 0 {
        let logged = match &imported {
            Ok(()) => summary.clone(),
            Err(e) => format!("{summary}; stopped: {e}"),
        };
        store.engagement_mut().finish_inbox_run(&log, &logged)?;
    }
    imported?;
    outln!("{summary}")?;
    Ok(())
}

/// The Maildir's `new/` folder, where the replies were read, by its whole path.
fn new_folder(maildir: &std::path::Path) -> String {
    let new = maildir.join("new");
    new.canonicalize().unwrap_or(new).display().to_string()
}
