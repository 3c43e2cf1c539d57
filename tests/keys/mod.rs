//! Helpers for the tests that drive the workstation by keys (`workstation::Driver`): the
//! fixture database, `:` commands as typed, and what the status line and the open form say.
//! A test that uses them also declares `mod workstation;`.
#![allow(dead_code)]

use crate::workstation::{self, Driver};
use owed::tui::action_forms::Check;
use owed::tui::field::FieldId;
use owed::tui::update::Effect;

/// The fixture database in a folder of its own (removed with the returned guard).
pub fn fixture() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    (dir, db)
}

/// The workstation of `collector` in a terminal of `size`, on the fixture database.
pub fn driver(collector: &str, size: (u16, u16)) -> (tempfile::TempDir, Driver) {
    let (dir, db) = fixture();
    (dir, Driver::new(&db, collector, size))
}

/// Runs a `:` command as typed (its words separated by spaces), and returns what the
/// workstation asked to be done.
pub fn command(d: &mut Driver, line: &str) -> Vec<Effect> {
    let keys: Vec<&str> = line.split(' ').collect();
    d.press(&format!(": {} <Enter>", keys.join(" <Space> ")))
}

/// The text of the status line (empty when it shows none).
pub fn status(d: &Driver) -> String {
    d.app
        .status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

/// The text in the field of `id` of the open form.
pub fn value(d: &Driver, id: FieldId) -> String {
    let form = d.app.form.as_ref().expect("a form is open");
    form.field(id).unwrap().value().to_string()
}

/// What the field of `id` of the open form says about its text (as drawn under it).
pub fn check(d: &Driver, id: FieldId) -> Check {
    let form = d.app.form.as_ref().expect("a form is open");
    let field = form.field(id).expect("the form has the field");
    form.check(field, (d.app.as_of, d.app.session.today), form.strict)
}

/// Attaches `files` (name, bytes) with `text` to Acme Corp (K6, alice's) on the fixture
/// database at `db`, as dana the manager on 16 April.
pub fn attach_to_acme(db: &std::path::Path, files: &[(&str, Vec<u8>)], text: &str) {
    let mut store = owed::store::Store::open_existing(db).unwrap();
    let stamp = owed::domain::action_checks::Stamp {
        collector: "dana".into(),
        role: owed::domain::users::Role::Manager,
        verified: false,
        at: "2026-04-16T09:00:00Z".into(),
        today: workstation::as_of(),
    };
    let files: Vec<_> = files
        .iter()
        .map(
            |(name, bytes)| owed::store::activity::attachments::NewFile {
                name: (*name).into(),
                bytes: bytes.clone(),
            },
        )
        .collect();
    let form = owed::actions::AttachForm {
        customer: "K6",
        files: &files,
        documents: &[],
        text: Some(text),
    };
    owed::actions::attach(&mut store, &stamp, &form).unwrap();
}

/// Asserts that the field of `id` of the open form shows the hint `text` under it.
#[track_caller]
pub fn assert_hint(d: &Driver, id: FieldId, text: &str) {
    assert_eq!(
        check(d, id),
        Check::Hint(text.into()),
        "the check of {id:?}"
    );
}

/// Asserts that the field of `id` of the open form is valid and says `text` under it.
#[track_caller]
pub fn assert_valid(d: &Driver, id: FieldId, text: &str) {
    assert_eq!(check(d, id), Check::Ok(text.into()), "the check of {id:?}");
}

/// Asserts that the field of `id` of the open form is not valid, for the reason `text`.
#[track_caller]
pub fn assert_invalid(d: &Driver, id: FieldId, text: &str) {
    assert_eq!(check(d, id), Check::Err(text.into()), "the check of {id:?}");
}
