//! `owed backup FILE`: a copy of the whole database — ledger, activity, attachments, users —
//! made while collectors work on it, checked, then put in place
//! ([`crate::store::Store::backup_to`]), and recorded in the system's log
//! ([`crate::store::Store::log_backup`]). For cron: `owed backup /backups/owed-$(date +%F).db`.

use super::Context;
use crate::Result;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// The backup's file (replaced whole if it exists; never the database itself).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn run(ctx: &Context, args: &BackupArgs) -> Result<()> {
    let mut store = ctx.open_store()?;
    // Who backs up, for the system's log: a name that cannot be recorded is refused before
    // anything is written. A database this user may only read records nothing.
    let by = (!store.is_read_only())
        .then(|| ctx.undated_stamp(&store))
        .transpose()?;
    let t = Instant::now();
    let copy = store.backup_to(&args.file)?;
    let logged = match &by {
        Some(by) => store.log_backup(by, &args.file, &copy),
        None => Ok(()),
    };
    outln!(
        "Backed up {} to {}: {} customers, {} documents, {} activity entries, {:.1} MB; \
         checked; {:.1} s.",
        store.path().display(),
        args.file.display(),
        copy.customers,
        copy.documents,
        copy.activity,
        copy.bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    )?;
    logged
}
