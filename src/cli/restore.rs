//! `owed restore FILE --yes`: the database in use replaced by a backup
//! ([`crate::store::Store::restore_from`]), the database as it was kept first; where there is
//! no database yet, made from the backup ([`crate::store::backup::restore_new`]). Without
//! `--yes` it checks the backup and says what the restore would do, changing nothing.

use super::Context;
use crate::domain::users::{Work, may};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup (made by `owed backup`).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Replace the database with it (without: check it and say what would be replaced).
    #[arg(long)]
    pub yes: bool,
    /// Where the database as it is now is backed up first (default: beside it,
    /// NAME.before-restore-YYYYMMDD-HHMMSS).
    #[arg(long, value_name = "FILE")]
    pub keep: Option<PathBuf>,
}

/// The default name of the database's copy taken before a restore: beside it, stamped.
fn kept_name(db: &Path) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".before-restore-{stamp}"));
    db.with_file_name(name)
}

pub fn run(ctx: &Context, args: &RestoreArgs) -> Result<()> {
    if !ctx.db_path.exists() {
        return restore_new(ctx, args);
    }
    let mut store = ctx.open_store()?;
    let db = store.path().to_path_buf();
    let keep = args.keep.clone().unwrap_or_else(|| kept_name(&db));
    let users_now = store.serve_users()?;
    if !args.yes {
        // Told at once, before the backup is even read, when this user may not restore.
        may(&ctx.actor(&store)?, Work::Restore, None).map_err(Error::Input)?;
        let backup = store.check_backup(&args.file)?;
        warn_if_another_database(&store, &args.file);
        if let Some(change) = backup.users_change(&users_now) {
            outln!("It changes the {change}.")?;
        }
        return only_checked(
            &args.file,
            &backup,
            format!(
                "replaces everything in {} with it — whatever was saved since the backup is \
                 gone from the database — after keeping the database as it is in {}",
                db.display(),
                keep.display()
            ),
        );
    }
    let t = Instant::now();
    let by = ctx.undated_stamp(&store)?;
    warn_if_another_database(&store, &args.file);
    let restored = store.restore_from(&args.file, &keep, &by)?;
    let users = restored
        .now
        .users_change(&users_now)
        .map(|change| format!(" It changed the {change}."))
        .unwrap_or_default();
    outln!(
        "Restored {} from {}: {}; checked; {:.1} s. The database as it was ({}) is kept in {} \
         (`{}` puts it back).{users}",
        db.display(),
        args.file.display(),
        restored.now.describe(),
        t.elapsed().as_secs_f64(),
        restored.kept_copy.describe(),
        restored.kept.display(),
        restore_command(&restored.kept)
    )
}

/// Warns (stderr) when the backup `file` shares no customer with the database it replaces,
/// which has some: a backup of another database (it was said to be "a sound backup" and
/// restored without a word). A file that cannot be read so is left to the restore's checks.
fn warn_if_another_database(store: &crate::store::Store, file: &Path) {
    let Ok(ours) = store.ledger().counts().map(|c| c.customers) else {
        return;
    };
    if let Ok((0, theirs)) = store.customers_in_common(file)
        && ours > 0
        && theirs > 0
    {
        errln!(
            "warning: {} shares no customer with {} (its {theirs} customers against the \
             database's {ours}): it looks like a backup of another database",
            file.display(),
            store.path().display()
        );
    }
}

/// No database at the path (a new server): the backup becomes it
/// ([`crate::store::backup::restore_new`]); without `--yes`, only checked.
fn restore_new(ctx: &Context, args: &RestoreArgs) -> Result<()> {
    let db = &ctx.db_path;
    let t = Instant::now();
    let made = crate::store::backup::restore_new(
        &args.file,
        db,
        &ctx.collector,
        chrono::Utc::now(),
        ctx.as_of,
        args.yes,
    )?;
    if !args.yes {
        return only_checked(
            &args.file,
            &made,
            format!(
                "makes {} from it (there is no database there yet)",
                db.display()
            ),
        );
    }
    outln!(
        "Restored {} from {}: {}; checked; {:.1} s. There was no database there before.",
        db.display(),
        args.file.display(),
        made.describe(),
        t.elapsed().as_secs_f64()
    )
}

/// Without `--yes`: says the backup is sound and what it holds, and that nothing was
/// restored, with what `--yes` `does` (exit 2).
fn only_checked(
    file: &Path,
    backup: &crate::store::backup::BackupCopy,
    does: String,
) -> Result<()> {
    outln!(
        "{} is a sound backup: {}.",
        file.display(),
        backup.describe()
    )?;
    Err(Error::input(format!(
        "nothing restored: `{}` {does}",
        restore_command(file)
    )))
}

/// `owed restore FILE --yes` on the database this run restores ([`crate::error::command`]).
fn restore_command(file: &Path) -> String {
    crate::error::command(&format!(
        "restore {} --yes",
        crate::error::shell_word(&file.to_string_lossy())
    ))
}
