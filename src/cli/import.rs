//! `owed import DIR_OR_FILES...`: one of the commands that create a database (SPEC "The
//! database file"), and only once its input is found: an import of nothing, or one that
//! fails into a database it created, leaves no database behind.

use super::Context;
use crate::domain::users::{Work, may};
use crate::import::{ImportOptions, import_files, resolve_files, skipped_csv};
use crate::{Error, Result};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Folders holding the export files, or the files themselves (recognised by name).
    #[arg(required = true, value_name = "DIR_OR_FILES")]
    pub paths: Vec<PathBuf>,
    /// Read and check everything as an import would and say what it would change; write
    /// nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import an export that looks older than the ledger (its newest entry earlier than the
    /// ledger's, and it would put back values that the import of a newer export changed),
    /// which is otherwise refused.
    #[arg(long)]
    pub older: bool,
}

pub fn run(ctx: &Context, args: &ImportArgs) -> Result<()> {
    // Who imports, told at once when they may not, before a file is read: with users, a
    // manager (an import changes every collector's customers); a name not registered, or a
    // database not made yet, the file's owner.
    let by = if ctx.db_path.exists() {
        // (Opened as the import opens it: a first import stopped half-way is run again.)
        let store = ctx.create_store()?;
        let actor = ctx.actor(&store)?;
        may(&actor, Work::Import, None).map_err(Error::Input)?;
        actor.name
    } else {
        crate::domain::text::nfc(ctx.collector.trim()).into_owned()
    };
    // Named first: when nothing else is there, they are why "no import files found".
    for skipped in skipped_csv(&args.paths) {
        errln!(
            "skipped {}: not an import file (expected {})",
            skipped.display(),
            crate::import::FileKind::ALL
                .map(|k| k.file_name())
                .join(", ")
        );
    }
    let files = resolve_files(&args.paths)?;
    let created = !ctx.db_path.exists();
    let new_folders = missing_folders(&ctx.db_path);
    let options = ImportOptions {
        progress: true,
        dry_run: args.dry_run,
        older: args.older,
        ..ImportOptions::by(&by, chrono::Utc::now(), &ctx.config.base_currency)
    };
    let mut store = ctx.create_store()?;
    if created && !args.dry_run {
        store.import_started()?;
    }
    let result = import_files(&mut store, &files, &options).and_then(|summary| {
        if !args.dry_run {
            store.import_finished()?;
        }
        Ok(summary)
    });
    // Nothing was written by a failed import or a dry run: a database made for it goes
    // too, unless another process has filled it meanwhile.
    if result.is_err() || args.dry_run {
        let empty = store.ledger().counts().is_ok_and(|c| c.customers == 0);
        drop(store);
        if created && empty {
            let _ = crate::store::remove_database(&ctx.db_path);
            for folder in &new_folders {
                // Only while empty: nothing else is ever removed.
                let _ = std::fs::remove_dir(folder);
            }
        }
    }
    let summary = result?;
    if args.dry_run {
        outln!(
            "would import: {}; nothing was written (a dry run)",
            summary.per_file()
        )?;
        for line in summary.owner_lines() {
            outln!("{line}")?;
        }
        return Ok(());
    }
    outln!("{summary}")?;
    match summary.settled_in_billing_line() {
        Some(line) => outln!("{line}"),
        None => Ok(()),
    }
}

/// The folders on the way to `path` that do not exist yet, deepest first.
fn missing_folders(path: &Path) -> Vec<PathBuf> {
    path.ancestors()
        .skip(1)
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .map(Path::to_path_buf)
        .collect()
}
