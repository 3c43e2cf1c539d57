//! The demo portfolio: a deterministic generator (`generate`) whose CSVs go through the
//! real import, so the demo exercises the same path as a real billing export.

pub mod cycles;
mod generate;
pub mod lockbox;

pub use generate::{DemoBehaviour, DemoCounts, DemoOptions, write_csvs, write_csvs_behaving};

use crate::domain::backfill::PastActivity;
use crate::import::{ImportOptions, ImportSummary, import_paths};
use crate::store::Store;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// The `meta` key recording how a demo database was generated.
const META_KEY: &str = "demo";

/// What [`ensure_database`] did.
#[derive(Debug)]
pub enum DemoOutcome {
    /// The database already held this exact demo.
    Reused,
    /// A new demo was generated and imported.
    Created {
        counts: DemoCounts,
        summary: ImportSummary,
        activities: Vec<PastActivity>,
    },
}

/// What the generator writes besides the portfolio, raised when that changes (2: calls, and
/// the dunning cycle's reminders; 3: the calls' follow-ups, reminders sent by each customer's
/// collector, open promises recorded over the past weeks rather than most of them today; 4:
/// the calls' follow-ups on working days), so that a demo made before is made again, not
/// reused.
const GENERATION: u32 = 4;

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

/// Generates the demo's lockbox folder and imports it (cheque payments, deductions, images),
/// then attaches a remittance advice, a signed PO and a photo to a few customers, as the
/// demo's manager `alice` on the demo's date.
fn add_lockbox(store: &mut Store, db: &Path, options: &DemoOptions) -> Result<()> {
    let dir = lockbox_dir(db);
    if dir.join(crate::import::lockbox::FILE).is_file() {
        std::fs::remove_dir_all(&dir)?;
    }
    let items = lockbox::demo_items(options.customers);
    if items == 0 {
        return Ok(());
    }
    lockbox::write_lockbox(store, &dir, items, options.seed, options.today)?;
    let at = options
        .today
        .and_hms_opt(8, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let stamp = crate::domain::action_checks::Stamp::new("alice", at, options.today)
        .map_err(Error::Input)?;
    let lockbox_options = crate::import::lockbox::LockboxOptions {
        base_currency: options.base_currency.clone(),
        max_attachment_mb: crate::domain::attachment::DEFAULT_MAX_MB,
    };
    let summary = crate::import::lockbox::import_lockbox(store, &dir, &stamp, &lockbox_options)?;
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
        let invoice = d.documents.first().cloned().unwrap_or_default();
        let files: Vec<crate::store::activity::attachments::NewFile> =
            lockbox::demo_files(&card.name, &invoice)
                .into_iter()
                .map(|(name, bytes)| crate::store::activity::attachments::NewFile { name, bytes })
                .collect();
        let dids: Vec<i64> = store
            .activity()
            .document_owners(card.cid, &d.documents)?
            .into_iter()
            .flatten()
            .map(|o| o.did)
            .collect();
        store.activity_mut().add_attachments(
            &stamp,
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

/// Makes `db` hold the demo portfolio of `options`: reuses it when it already does,
/// otherwise replaces the file with a freshly generated one.
pub fn ensure_database(db: &Path, options: &DemoOptions, progress: bool) -> Result<DemoOutcome> {
    ensure_database_behaving(db, options, &DemoBehaviour::default(), progress)
}

/// [`ensure_database`] with customers who pay as `behaviour` says.
pub fn ensure_database_behaving(
    db: &Path,
    options: &DemoOptions,
    behaviour: &DemoBehaviour,
    progress: bool,
) -> Result<DemoOutcome> {
    if db.exists() {
        let store = Store::open_or_create(db)?;
        if store.meta(META_KEY)?.as_deref() == Some(fingerprint(options, behaviour).as_str()) {
            return Ok(DemoOutcome::Reused);
        }
        let is_demo = store.meta(META_KEY)?.is_some();
        let empty = store.ledger().counts()?.customers == 0;
        drop(store);
        if !is_demo && !empty {
            return Err(Error::input(format!(
                "{} holds data that is not a demo; give `owed demo` another --db",
                db.display()
            )));
        }
        crate::store::remove_database(db)?;
    }
    let csv_dir = scratch_dir(db);
    let generated = write_csvs_behaving(options, behaviour, &csv_dir);
    let result = generated
        .map_err(Error::from)
        .and_then(|(counts, activities)| {
            let mut store = Store::open_or_create(db)?;
            let import = ImportOptions {
                progress,
                source: Some("generated by owed demo".into()),
                ..ImportOptions::by("owed demo", chrono::Utc::now(), &options.base_currency)
            };
            let summary = import_paths(&mut store, std::slice::from_ref(&csv_dir), &import)?;
            store.activity_mut().backfill_activity(&activities)?;
            add_lockbox(&mut store, db, options)?;
            store.set_meta(META_KEY, &fingerprint(options, behaviour))?;
            Ok(DemoOutcome::Created {
                counts,
                summary,
                activities,
            })
        });
    let _ = std::fs::remove_dir_all(&csv_dir);
    result
}

/// A scratch folder beside the database for the generated CSVs.
fn scratch_dir(db: &Path) -> PathBuf {
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "owed.db".into());
    db.with_file_name(format!(".{name}.demo-csv-{}", std::process::id()))
}
