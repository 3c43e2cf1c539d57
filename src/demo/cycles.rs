//! The engagement cycles the demo opens with: the examples of `config/cycles/`, built into
//! the binary and written beside the demo's database (`demo.db` → `demo-cycles/`), so that
//! the demo's Engagement screen has reminders to plan on a machine with no cycles of its own.
//! A collector's own cycles folder, when it holds any, is used instead.

use crate::Result;
use std::path::{Path, PathBuf};

/// One example file: its path inside the cycles folder and its text.
macro_rules! example {
    ($path:literal) => {
        ($path, include_str!(concat!("../../config/cycles/", $path)))
    };
}

/// Every file of `config/cycles/` (a test keeps the list whole).
const EXAMPLES: &[(&str, &str)] = &[
    example!("card-failures.toml"),
    example!("due-soon.toml"),
    example!("key-accounts.toml"),
    example!("promise-reminder.toml"),
    example!("standard.toml"),
    example!("templates/card-update-again.md"),
    example!("templates/card-update.md"),
    example!("templates/due-soon.md"),
    example!("templates/final.md"),
    example!("templates/firm.md"),
    example!("templates/friendly.html"),
    example!("templates/friendly.md"),
    example!("templates/friendly.sms.txt"),
    example!("templates/key-courtesy.md"),
    example!("templates/key-escalation.md"),
    example!("templates/promise-reminder.md"),
];

/// The demo's cycles folder, beside its database (`demo.db` → `demo-cycles/`).
pub fn cycles_dir(db: &Path) -> PathBuf {
    super::beside(db, "cycles")
}

/// The cycles a workstation on the database `db` plans with when the config's own cycles
/// folder holds no cycle: the demo's examples beside the database, when `owed demo` wrote
/// them there (so `owed --db demo.db` and `owed serve` on the demo plan what `owed demo`
/// does). `None` when the config's folder holds cycles, or there are none beside `db`.
pub fn beside_database(config: &crate::config::Config, db: &Path) -> Option<PathBuf> {
    use crate::engage::cycle::holds_cycles;
    if config
        .cycles_dir(None)
        .is_some_and(|dir| holds_cycles(&dir))
    {
        return None;
    }
    let dir = std::path::absolute(cycles_dir(db)).ok()?;
    holds_cycles(&dir).then_some(dir)
}

/// Writes the example cycles into `dir` unless it exists (a collector may have edited them:
/// they are kept). The files are written into a folder of their own first and it is renamed
/// into place, so a stop half-way leaves no half-written cycles. True when written.
///
/// # Errors
///
/// [`crate::Error::Io`] when the folder cannot be written.
pub fn write_example_cycles(dir: &Path) -> Result<bool> {
    if dir.exists() {
        return Ok(false);
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = dir.with_file_name(format!(".{name}.partial-{}", std::process::id()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)?;
    }
    for (path, text) in EXAMPLES {
        let file = partial.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(file, text)?;
    }
    std::fs::rename(&partial, dir)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the repository's `config/cycles/` (templates included) is an example.
    #[test]
    fn the_examples_are_every_file_of_config_cycles() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles");
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&root).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                for inner in std::fs::read_dir(&path).unwrap() {
                    let inner = inner.unwrap().path();
                    found.push(inner.strip_prefix(&root).unwrap().display().to_string());
                }
            } else {
                found.push(path.strip_prefix(&root).unwrap().display().to_string());
            }
        }
        found.sort();
        let mut listed: Vec<String> = EXAMPLES.iter().map(|(p, _)| p.to_string()).collect();
        listed.sort();
        assert_eq!(listed, found);
    }

    /// A workstation on the demo's database plans with the examples beside it, unless the
    /// config's cycles folder holds cycles of its own.
    #[test]
    fn the_examples_beside_a_database_serve_when_the_config_has_no_cycles() {
        let tmp = tempfile::tempdir().unwrap();
        let db = tmp.path().join("demo.db");
        let own = tmp.path().join("own");
        std::fs::create_dir(&own).unwrap();
        let config = crate::config::Config {
            cycles: Some(own.clone()),
            ..Default::default()
        };
        assert_eq!(beside_database(&config, &db), None, "none written yet");
        write_example_cycles(&cycles_dir(&db)).unwrap();
        assert_eq!(beside_database(&config, &db), Some(cycles_dir(&db)));
        std::fs::write(own.join("mine.toml"), "name = \"Mine\"\n").unwrap();
        assert_eq!(beside_database(&config, &db), None, "the config's own");
    }

    #[test]
    fn the_examples_are_written_once_and_then_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("demo-cycles");
        assert!(write_example_cycles(&dir).unwrap());
        let standard = dir.join("standard.toml");
        assert!(
            std::fs::read_to_string(&standard)
                .unwrap()
                .contains("[[reminder]]")
        );
        assert!(dir.join("templates/friendly.md").is_file());
        // Edited, then the demo opened again: the edit stays.
        std::fs::write(&standard, "# mine").unwrap();
        assert!(!write_example_cycles(&dir).unwrap());
        assert_eq!(std::fs::read_to_string(&standard).unwrap(), "# mine");
        // Nothing else was left beside it.
        let names: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }
}
