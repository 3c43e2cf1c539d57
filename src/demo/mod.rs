//! The demo portfolio: a deterministic generator (`generate`) whose CSVs go through the
//! real import, so the demo exercises the same path as a real billing export.

pub mod cycles;
mod generate;
pub mod lockbox;

pub use generate::{DemoBehaviour, DemoCounts, DemoOptions, write_csvs, write_csvs_behaving};

use crate::domain::action_checks::Stamp;
use crate::domain::backfill::PastActivity;
use crate::domain::users::{Actor, Work, may};
use crate::import::{ImportOptions, ImportSummary, import_paths};
use crate::store::Store;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The most customers a demo has: ten times the benchmarks' 100,000 (whose database is about
/// 700 MB). `--customers 99999999999` wrote 13 GB of CSVs in two minutes before it was
/// stopped.
pub const MAX_CUSTOMERS: usize = 1_000_000;

/// Refuses a demo of more than [`MAX_CUSTOMERS`] customers (bad input), before anything is
/// written.
pub fn check_customers(customers: usize) -> Result<()> {
    if customers > MAX_CUSTOMERS {
        return Err(Error::input(format!(
            "--customers {customers} is more than a demo has: give at most 1,000,000 (a \
             database of about 7 GB)"
        )));
    }
    Ok(())
}

/// The `meta` key recording how a demo database was generated.
const META_KEY: &str = "demo";

/// The `meta` key recording how many records the demo's activity and imports held when it
/// was made ([`crate::store::Activity::records`]).
const RECORDS_KEY: &str = "demo_records";

/// What [`ensure_database`] did.
#[derive(Debug)]
pub enum DemoOutcome {
    /// The database already held this exact demo.
    Reused,
    /// A new demo was generated and imported.
    Created {
        counts: DemoCounts,
        summary: Box<ImportSummary>,
        activities: Vec<PastActivity>,
        /// The demo it replaced, made with other settings (or by an earlier `owed`).
        replaced: Option<Replaced>,
    },
}

/// A demo replaced by one made with other settings: what it was made with, and what had
/// been added to it since (which is gone with it). A reviewer's notes on a demo went when
/// the next day's `owed demo` made it again, and it said only "created".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The settings it differed in: `--customers 200`, `--seed 7`, `as of 2026-11-24`…
    pub made_with: String,
    /// The records (notes, calls, promises…, imports) added to it since it was made; `None`
    /// for a demo of an earlier `owed`, which did not count them.
    pub added_since: Option<u64>,
    /// The users registered on it (for `owed serve`), kept in the new demo with their keys
    /// and the system's log.
    pub users_kept: u64,
}

impl std::fmt::Display for Replaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "it was made with {}; ", self.made_with)?;
        match self.added_since {
            Some(0) => write!(f, "nothing had been added to it since"),
            Some(1) => write!(f, "the 1 record added to it since is gone"),
            Some(n) => write!(f, "the {n} records added to it since are gone"),
            None => write!(f, "anything added to it since is gone"),
        }?;
        match self.users_kept {
            0 => Ok(()),
            1 => write!(f, "; its 1 user is kept, with their keys"),
            n => write!(f, "; its {n} users are kept, with their keys"),
        }
    }
}

/// Who made a demo again and what went with the one it replaced, for the system's log.
struct Rebuilt {
    by: Actor,
    detail: String,
}

/// What the generator writes besides the portfolio, raised when that changes (2: calls, and
/// the dunning cycle's reminders; 3: the calls' follow-ups, reminders sent by each customer's
/// collector, open promises recorded over the past weeks rather than most of them today; 4:
/// the calls' follow-ups on working days; 5: the lockbox's deductions and images recorded by
/// `owed demo`, its papers by each customer's collector), so that a demo made before is made
/// again, not reused.
const GENERATION: u32 = 5;

fn fingerprint(options: &DemoOptions, behaviour: &DemoBehaviour) -> String {
    let mut text = format!(
        "customers={} seed={} today={} base={} lockbox={} generation={GENERATION}",
        options.customers,
        options.seed,
        options.today,
        options.base_currency,
        lockbox::demo_items(options.customers)
    );
    let behaviour = behaviour.describe();
    if !behaviour.is_empty() {
        text.push_str(&format!(" behaviour={behaviour}"));
    }
    text
}

/// How the demo of fingerprint `old` differs from the one of `new`, in the words of the
/// command line: `--customers 200, as of 2026-11-24`.
fn made_with(old: &str, new: &str) -> String {
    // `key=value` pairs; the behaviour, last, is taken whole.
    let fields = |text: &str| -> Vec<(String, String)> {
        let (head, behaviour) = text.split_once(" behaviour=").unwrap_or((text, ""));
        let mut fields: Vec<(String, String)> = head
            .split(' ')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        fields.push(("behaviour".into(), behaviour.into()));
        fields
    };
    let (old, new) = (fields(old), fields(new));
    let value = |fields: &[(String, String)], key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut said = Vec::new();
    for (key, words) in [
        ("customers", "--customers "),
        ("seed", "--seed "),
        ("today", "as of "),
        ("base", "the base currency "),
        ("behaviour", "--behaviour "),
        ("generation", ""),
    ] {
        let was = value(&old, key);
        if was == value(&new, key) {
            continue;
        }
        said.push(match key {
            "generation" => "an earlier owed".to_string(),
            "behaviour" if was.is_empty() => "the demo's own behaviour".to_string(),
            _ => format!("{words}{was}"),
        });
    }
    if said.is_empty() {
        return "other settings".into();
    }
    said.join(", ")
}

/// Who ran the demo's imports, and where their files came from, in the log of imports: their
/// folders are hidden ones, removed or renamed once imported.
const IMPORTED_BY: &str = "owed demo";
const IMPORTED_FROM: &str = "generated by owed demo";

/// The demo's lockbox folder, beside its database (`demo.db` → `demo-lockbox/`).
pub fn lockbox_dir(db: &Path) -> PathBuf {
    beside(db, "lockbox")
}

/// A folder of the demo's beside its database: `demo.db` and `lockbox` → `demo-lockbox/`.
fn beside(db: &Path, what: &str) -> PathBuf {
    let stem = db
        .file_stem()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "owed".into());
    db.with_file_name(format!("{stem}-{what}"))
}

/// Generates the demo's lockbox folder into `dir` and imports it (cheque payments,
/// deductions, images) by `owed demo`, as the billing import is, on the demo's date at 08:00,
/// or at the moment `clock` made it when that is earlier (logged when it is written, as the
/// billing import is); its deductions and images are recorded by the demo, as a real
/// `owed lockbox import` records them by who ran it. Then a few of those customers' collectors
/// attach a remittance advice, a signed PO and a photo, the papers a collector keeps.
fn add_lockbox(store: &mut Store, dir: &Path, options: &DemoOptions, clock: &Clock) -> Result<()> {
    let items = lockbox::demo_items(options.customers);
    if items == 0 {
        return Ok(());
    }
    lockbox::write_lockbox(store, dir, items, options.seed, options.today)?;
    let at = options
        .today
        .and_hms_opt(8, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let at = clock.not_after.map_or(at, |cap| at.min(cap));
    let stamp = Stamp::new(IMPORTED_BY, at, options.today).map_err(Error::Input)?;
    let lockbox_options = crate::import::lockbox::LockboxOptions {
        base_currency: options.base_currency.clone(),
        max_attachment_mb: crate::domain::attachment::DEFAULT_MAX_MB,
        logged_as: Some(crate::import::lockbox::LoggedAs {
            at: clock.now,
            source: IMPORTED_FROM.into(),
        }),
    };
    let summary = crate::import::lockbox::import_lockbox(store, dir, &stamp, &lockbox_options)?;
    // A few customers get the papers a collector keeps: the first ones the lockbox paid.
    let mut done: Vec<String> = Vec::new();
    for d in &summary.deductions {
        if done.len() == 3 || done.contains(&d.customer_id) {
            continue;
        }
        let Some(card) = store
            .activity()
            .customer_card_by_id(&d.customer_id, &options.base_currency)?
        else {
            continue;
        };
        let ids: Vec<String> = d.documents.iter().map(|x| x.id.clone()).collect();
        let invoice = ids.first().cloned().unwrap_or_default();
        let files: Vec<crate::store::activity::attachments::NewFile> =
            lockbox::demo_files(&card.name, &invoice)
                .into_iter()
                .map(|(name, bytes)| crate::store::activity::attachments::NewFile { name, bytes })
                .collect();
        let dids: Vec<i64> = store
            .activity()
            .document_owners(card.cid, &ids)?
            .into_iter()
            .flatten()
            .map(|o| o.did)
            .collect();
        // The customer's collector keeps them (the demo's, when it has none).
        let collector = card.finance_owner.as_deref().unwrap_or(IMPORTED_BY);
        let by = Stamp::new(collector, at, options.today).map_err(Error::Input)?;
        store.activity_mut().add_attachments(
            &by,
            &crate::store::activity::attachments::NewAttachments {
                cid: card.cid,
                files: &files,
                dids: &dids,
                text: Some("papers for the short payment"),
            },
        )?;
        done.push(d.customer_id.clone());
    }
    Ok(())
}

/// When a demo is made: read once, at the edge (`owed demo`), and passed down, so that what
/// is made stays the same for the same options and moment.
#[derive(Debug, Clone, Copy)]
struct Clock {
    /// When its imports are logged.
    now: chrono::DateTime<chrono::Utc>,
    /// No activity is stamped later: `now`, for a demo of today (or of a day before it); none
    /// for a demo of a day to come.
    not_after: Option<chrono::DateTime<chrono::Utc>>,
}

impl Clock {
    fn of(options: &DemoOptions, now: chrono::DateTime<chrono::Utc>) -> Clock {
        let today = now.with_timezone(&chrono::Local).date_naive();
        Clock {
            now,
            not_after: (options.today <= today).then_some(now),
        }
    }
}

/// Makes `db` hold the demo portfolio of `options`, made at `now`: reuses it when it already
/// does, otherwise replaces the file with a freshly generated one. The activity of its day,
/// when that is today, is stamped no later than `now` (it was stamped up to 18:00, and a
/// demo made in the morning listed calls made in the afternoon); the same options reuse a
/// demo made earlier the same day.
pub fn ensure_database(
    db: &Path,
    options: &DemoOptions,
    now: chrono::DateTime<chrono::Utc>,
    progress: bool,
) -> Result<DemoOutcome> {
    ensure_database_behaving(
        db,
        options,
        &DemoBehaviour::default(),
        now,
        progress,
        IMPORTED_BY,
    )
}

/// [`ensure_database`] with customers who pay as `behaviour` says, made by `by` (the
/// collector named by `--as`, the config or the OS user).
///
/// The demo is made whole or not at all: built in a hidden file beside `db` (with its CSVs
/// and lockbox folder in hidden folders beside it) and renamed into place once complete, so
/// that a demo killed part-way (`kill -9`, a full disk) leaves `db` as it was, and a failure
/// is one sentence naming `db`. What such a killed demo left is removed by the next one.
///
/// Made again over a demo with users (one a team is served from), it is a manager's work
/// ([`Work::RebuildDemo`]: what was added to it since is gone), refused before anything is
/// made; a name not registered makes it as the file's owner. The system's log, carried into
/// the new demo with the users, gains an entry saying who made it again and what went with
/// the old one (`owed user log`, kind `demo_rebuild`).
pub fn ensure_database_behaving(
    db: &Path,
    options: &DemoOptions,
    behaviour: &DemoBehaviour,
    now: chrono::DateTime<chrono::Utc>,
    progress: bool,
    by: &str,
) -> Result<DemoOutcome> {
    // Named (and what killed demos left beside `db` cleared) even when the demo is reused.
    let making = Making::beside(db);
    let mut replaced = None;
    let mut rebuilt = None;
    let mut carry = false;
    // The old database's write lock, from the checks until the new one is in its place: a
    // note written meanwhile went into the file about to be replaced, said "recorded", and
    // was gone (its number given again after). A write waiting for it is refused then.
    let mut held = None;
    if db.exists() {
        let store = Store::open_or_create(db)?;
        let wanted = fingerprint(options, behaviour);
        let made = store.meta(META_KEY)?;
        if made.as_deref() == Some(wanted.as_str()) {
            return Ok(DemoOutcome::Reused);
        }
        let users = store.users().list()?.len() as u64;
        if let Some(made) = &made {
            let then = store.meta(RECORDS_KEY)?.and_then(|n| n.parse::<u64>().ok());
            let now = store.activity().records()?;
            replaced = Some(Replaced {
                made_with: made_with(made, &wanted),
                added_since: then.map(|then| now.saturating_sub(then)),
                users_kept: users,
            });
        }
        let is_demo = made.is_some();
        let empty = store.ledger().counts()?.customers == 0;
        // Who makes it again, with the role a registered user has (none without users).
        let actor = store.users().local_actor(by)?;
        // The users and the system's log go into the new demo: a team set up on it keeps
        // its access, and the log who changed what (this rebuild too).
        carry = users > 0 || !store.users().log()?.is_empty();
        drop(store);
        if !is_demo && !empty {
            return Err(Error::input(format!(
                "{} holds data that is not a demo; give `owed demo` another --db",
                db.display()
            )));
        }
        may(&actor, Work::RebuildDemo, None).map_err(Error::Input)?;
        rebuilt = replaced.as_ref().map(|replaced| Rebuilt {
            by: actor,
            detail: format!("{} made again: {replaced}", db.display()),
        });
        // Before the minutes a demo takes to make; again when it is put in place.
        refuse_in_use(db)?;
        held = Some(crate::store::HeldWriteLock::take(db).map_err(|e| making.failure(db, e))?);
    }
    // The lockbox folder is renamed over the one beside the database: a demo's, or none.
    let lockbox = lockbox_dir(db);
    let empty_folder = || std::fs::read_dir(&lockbox).is_ok_and(|mut d| d.next().is_none());
    if lockbox.exists() && !lockbox.join(crate::import::lockbox::FILE).is_file() && !empty_folder()
    {
        return Err(Error::input(format!(
            "{} is in the way of the demo's lockbox folder: move it, or give `owed demo` \
             another --db",
            lockbox.display()
        )));
    }
    // A demo a team was served from keeps its users: made again, it dropped them, their keys
    // and the log of who changed them, at anyone's `owed demo`; the log says who made it
    // again, and what went with the demo it replaced.
    let carry = carry.then_some(db);
    let result = making
        .build(
            options,
            behaviour,
            carry,
            rebuilt.as_ref(),
            Clock::of(options, now),
            progress,
        )
        .and_then(|mut outcome| {
            making.put_in_place(db, held.as_ref())?;
            if let DemoOutcome::Created { replaced: r, .. } = &mut outcome {
                *r = replaced;
            }
            Ok(outcome)
        });
    drop(held);
    result.map_err(|e| making.failure(db, e))
}

/// Refuses to replace the demo `db` while some program has it open — a collector's
/// workstation, `owed serve` — as its log beside it says ([`crate::store::log_beside`]; this
/// process has closed the database by then, which removes the log of one nobody else has
/// open, a killed program's too). Renamed over, it went on in the deleted file: the saves of
/// its sessions were said to be recorded and were nowhere, and `R` mixed the two files'
/// figures.
fn refuse_in_use(db: &Path) -> Result<()> {
    match crate::store::log_beside(db) {
        Some(log) => Err(Error::input(format!(
            "{} is in use ({} is beside it: a workstation or `owed serve` has it open), so \
             the demo was not made again: close them, then run `owed demo` again; nothing \
             changed",
            db.display(),
            log.display()
        ))),
        None => Ok(()),
    }
}

/// [`refuse_in_use`] for a database another process has open (this one holds its write lock,
/// so its log is beside it either way).
fn refuse_in_use_by_others(db: &Path) -> Result<()> {
    Err(Error::input(format!(
        "{} is in use (another program has it open: a workstation, `owed serve`, or a command \
         waiting to write), so the demo was not made again: close them, then run `owed demo` \
         again; nothing changed",
        db.display()
    )))
}

/// The hidden files of a demo in the making beside its database `k.db`: the database
/// (`.k.db.demo-PID`), the generated CSVs (`.k.db.demo-csv-PID/`) and the lockbox folder
/// (`.k.db.demo-lockbox-PID/`). Whatever of them is left when it is dropped is removed, on
/// every path out, a panic's too.
struct Making {
    database: PathBuf,
    csv: PathBuf,
    lockbox: PathBuf,
}

impl Making {
    fn beside(db: &Path) -> Making {
        let dir = crate::store::folder_of(db);
        let name = db.file_name().unwrap_or(std::ffi::OsStr::new("owed.db"));
        let hidden = |what| crate::store::backup::hidden_beside(dir, name, what);
        Making {
            database: hidden("demo"),
            csv: hidden("demo-csv"),
            lockbox: hidden("demo-lockbox"),
        }
    }

    /// Generates the demo into the hidden files: its CSVs, imported; its collectors' past
    /// activity (stamped no later than `clock` says); its lockbox; the mark that says which
    /// demo it is.
    fn build(
        &self,
        options: &DemoOptions,
        behaviour: &DemoBehaviour,
        carry_users: Option<&Path>,
        rebuilt: Option<&Rebuilt>,
        clock: Clock,
        progress: bool,
    ) -> Result<DemoOutcome> {
        // The database first: a folder made for it is private (0700), the CSVs' too.
        let mut store = Store::open_or_create(&self.database)?;
        let (counts, activities) = write_csvs_behaving(options, behaviour, &self.csv)?;
        let import = ImportOptions {
            progress,
            source: Some(IMPORTED_FROM.into()),
            ..ImportOptions::by(IMPORTED_BY, clock.now, &options.base_currency)
        };
        let summary = import_paths(&mut store, std::slice::from_ref(&self.csv), &import)?;
        // The CSVs' room on the disk, for the rest of the demo.
        let _ = std::fs::remove_dir_all(&self.csv);
        store
            .activity_mut()
            .backfill_activity_until(&activities, clock.not_after)?;
        add_lockbox(&mut store, &self.lockbox, options, &clock)?;
        if let Some(old) = carry_users {
            store.users_mut().carry_from(old)?;
        }
        if let Some(rebuilt) = rebuilt {
            let stamp = Stamp::for_actor(&rebuilt.by, chrono::Utc::now(), options.today)
                .map_err(Error::Input)?;
            store
                .users_mut()
                .log_demo_rebuilt(&stamp, &rebuilt.detail)?;
        }
        let records = store.activity().records()?;
        store.set_meta(RECORDS_KEY, &records.to_string())?;
        store.set_meta(META_KEY, &fingerprint(options, behaviour))?;
        // Everything in the one file before it is renamed into place.
        store.checkpoint()?;
        drop(store);
        std::fs::File::open(&self.database)?.sync_all()?;
        Ok(DemoOutcome::Created {
            counts,
            summary: Box::new(summary),
            activities,
            replaced: None,
        })
    }

    /// Renames the finished demo over `db` (the demo it replaces, whose write lock is
    /// `held`, or nothing), then its lockbox folder over the one beside `db` (the replaced
    /// demo's).
    fn put_in_place(&self, db: &Path, held: Option<&crate::store::HeldWriteLock>) -> Result<()> {
        // Opened since it was looked at (a collector's workstation started meanwhile, or a
        // write waiting for the lock): by another process than this one, which holds it.
        match held {
            Some(held) if held.open_elsewhere() => refuse_in_use_by_others(db)?,
            Some(_) => {}
            None if db.exists() => refuse_in_use(db)?,
            None => {}
        }
        // A log left with no database is nobody's, and not the new file's.
        for log in crate::store::log_files(db) {
            match std::fs::remove_file(log) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
        std::fs::rename(&self.database, db)?;
        if let Some(folder) = db.parent().and_then(|d| std::fs::File::open(d).ok()) {
            let _ = folder.sync_all();
        }
        let lockbox = lockbox_dir(db);
        if lockbox.join(crate::import::lockbox::FILE).is_file() {
            std::fs::remove_dir_all(&lockbox)?;
        }
        if self.lockbox.is_dir() {
            std::fs::rename(&self.lockbox, &lockbox)?;
        }
        Ok(())
    }

    /// A failure as one sentence naming `db`, never the hidden file: the disk-full (or
    /// read-only) sentence of the store's writes, else what failed.
    fn failure(&self, db: &Path, e: Error) -> Error {
        let hidden = self.database.display().to_string();
        let shown = db.display().to_string();
        if let Some(sentence) = crate::store::write_failure(db, &e) {
            return sentence;
        }
        match e {
            Error::Io(io) if disk_full(&io) => crate::store::disk_full(db),
            Error::Io(io) => Error::runtime(format!(
                "cannot make the demo database {shown}: {io}; nothing was saved"
            )),
            Error::Input(text) => Error::Input(text.replace(&hidden, &shown)),
            Error::Runtime(text) => Error::Runtime(text.replace(&hidden, &shown)),
            e => e,
        }
    }
}

impl Drop for Making {
    fn drop(&mut self) {
        let _ = crate::store::remove_database(&self.database);
        let _ = std::fs::remove_dir_all(&self.csv);
        let _ = std::fs::remove_dir_all(&self.lockbox);
    }
}

/// Whether a write failed for want of room: a full disk, a quota, or a limit on the size of
/// a file (which refuses a write as a full disk does). A CSV writer's error holds the
/// system's inside it (its own kind is `Other`), so that one is looked at too.
fn disk_full(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{FileTooLarge, QuotaExceeded, StorageFull};
    let in_csv = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<csv::Error>())
        .and_then(|csv| match csv.kind() {
            csv::ErrorKind::Io(io) => Some(io),
            _ => None,
        });
    [Some(e), in_csv]
        .into_iter()
        .flatten()
        .any(|io| matches!(io.kind(), StorageFull | QuotaExceeded | FileTooLarge))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rebuilt_demo_says_what_it_was_made_with() {
        let new = "customers=20 seed=42 today=2026-11-25 base=USD lockbox=2 generation=4";
        let old = "customers=200 seed=42 today=2026-11-24 base=USD lockbox=28 generation=4";
        assert_eq!(made_with(old, new), "--customers 200, as of 2026-11-24");
        let old = "customers=20 seed=7 today=2026-11-25 base=USD lockbox=2 generation=3";
        assert_eq!(made_with(old, new), "--seed 7, an earlier owed");
        let old = format!("{new} behaviour=lateness=2,drift=0.5");
        assert_eq!(made_with(&old, new), "--behaviour lateness=2,drift=0.5");
        assert_eq!(made_with(new, &old), "the demo's own behaviour");
        let replaced = |added_since| {
            Replaced {
                made_with: "--customers 200".into(),
                added_since,
                users_kept: 0,
            }
            .to_string()
        };
        assert_eq!(
            replaced(Some(3)),
            "it was made with --customers 200; the 3 records added to it since are gone"
        );
        assert_eq!(
            replaced(Some(0)),
            "it was made with --customers 200; nothing had been added to it since"
        );
        assert_eq!(
            replaced(None),
            "it was made with --customers 200; anything added to it since is gone"
        );
        let kept = Replaced {
            made_with: "--customers 200".into(),
            added_since: Some(0),
            users_kept: 2,
        };
        assert_eq!(
            kept.to_string(),
            "it was made with --customers 200; nothing had been added to it since; its 2 users \
             are kept, with their keys"
        );
    }

    #[test]
    fn a_demo_has_at_most_a_million_customers() {
        assert!(check_customers(MAX_CUSTOMERS).is_ok());
        let e = check_customers(MAX_CUSTOMERS + 1).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "--customers 1000001 is more than a demo has: give at most 1,000,000 (a database \
             of about 7 GB)"
        );
    }

    /// A demo finished while a workstation opened the one it replaces (after it was looked
    /// at) is not renamed over it: that session would save into the deleted file. Refused,
    /// the database is as it was and the finished demo is removed.
    #[test]
    fn a_demo_is_not_put_in_place_over_a_database_opened_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        drop(Store::open_or_create(&db).unwrap());
        let making = Making::beside(&db);
        std::fs::write(&making.database, "the new demo").unwrap();
        let workstation = Store::open_existing(&db).unwrap();
        let e = making.put_in_place(&db, None).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("is in use"), "{e}");
        assert_ne!(std::fs::read(&db).unwrap(), b"the new demo");
        drop(workstation);
        drop(making);
        assert_eq!(
            std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect::<Vec<_>>(),
            ["k.db"],
            "the finished demo is removed"
        );
    }

    /// A write refused for want of room, the CSVs' or the lockbox's as well as the
    /// database's, is the store's disk-full sentence naming the database (it was "No space
    /// left on device (os error 28)"); a message about the hidden file names the database.
    #[test]
    fn a_failure_is_one_sentence_naming_the_database() {
        use std::io::ErrorKind::{FileTooLarge, StorageFull};
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("k.db");
        let making = Making::beside(&db);
        // The CSV writer's error holds the system's.
        let in_csv = |kind| std::io::Error::from(csv::Error::from(std::io::Error::from(kind)));
        for e in [StorageFull.into(), FileTooLarge.into(), in_csv(StorageFull)] {
            let said = making.failure(&db, Error::Io(e)).to_string();
            let expected = format!("the disk is full: {} could not be written", db.display());
            assert!(said.starts_with(&expected), "{said}");
        }
        let hidden = making.database.display().to_string();
        let said = making.failure(
            &db,
            Error::runtime(format!(
                "cannot create database {hidden}: Permission denied"
            )),
        );
        assert_eq!(
            said.to_string(),
            format!("cannot create database {}: Permission denied", db.display())
        );
    }
}
