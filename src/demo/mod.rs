//! The demo portfolio: a deterministic generator ([`generate`]) whose CSVs go through the
//! real import, so the demo exercises the same path as a real billing export.

mod generate;

pub use generate::{
    DemoActivity, DemoActivityKind, DemoBehaviour, DemoCounts, DemoOptions, DemoResolution,
    write_csvs, write_csvs_behaving,
};

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
        activities: Vec<DemoActivity>,
    },
}

fn fingerprint(options: &DemoOptions, behaviour: &DemoBehaviour) -> String {
    let mut text = format!(
        "customers={} seed={} today={} base={}",
        options.customers, options.seed, options.today, options.base_currency
    );
    let behaviour = behaviour.describe();
    if !behaviour.is_empty() {
        text.push_str(&format!(" behaviour={behaviour}"));
    }
    text
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
        let empty = store.counts()?.customers == 0;
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
                base_currency: options.base_currency.clone(),
                progress,
            };
            let summary = import_paths(&mut store, std::slice::from_ref(&csv_dir), &import)?;
            store.record_demo_activity(&activities)?;
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
