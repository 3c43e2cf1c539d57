//! Engagement cycle files: every `*.toml` in the cycles folder, checked when loaded.
//!
//! ```toml
//! name = "Standard dunning"
//! customer = "overdue > 1000 and open_issue_amount = 0"
//! document = "type includes [invoice, debit_note] and due_date < 3 days ago"
//! payment  = "last_attempted_payment_status includes [failure]"   # optional
//!
//! [[reminder]]
//! name = "Friendly"
//! after_due_days = 3
//! template = "templates/friendly.md"
//! ```
//!
//! Every rule is optional (a missing rule always holds). Loading checks everything a run
//! would trip over later: the TOML itself (unknown keys are errors), each rule (an error
//! shows the file, the line, the rule and a caret under the problem), unique cycle names
//! across files and unique reminder names within a cycle, at least one reminder,
//! `after_due_days` strictly increasing, and each template (relative to the cycle file),
//! which must exist, compile and render a sample.

use super::template::{TemplateRef, TemplateSet};
use crate::domain::rules::{self, Expr, Level};
use crate::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The cycle name reserved for reminders a collector sends by hand.
pub const MANUAL_CYCLE: &str = "manual";

/// A checked rule with its source text.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub source: String,
    pub expr: Expr,
}

/// A reminder of a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub name: String,
    /// Sent when the oldest matching document is at least this many days overdue.
    pub after_due_days: i64,
    pub template: TemplateRef,
}

/// One cycle file.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub name: String,
    pub file: PathBuf,
    pub customer: Option<Rule>,
    pub document: Option<Rule>,
    pub payment: Option<Rule>,
    /// In increasing `after_due_days`.
    pub reminders: Vec<Reminder>,
}

impl Cycle {
    /// The rule of `level`, if the cycle has one.
    pub fn rule(&self, level: Level) -> Option<&Rule> {
        match level {
            Level::Customer => self.customer.as_ref(),
            Level::Document => self.document.as_ref(),
            Level::Payment => self.payment.as_ref(),
        }
    }

    /// The position of reminder `name` in the cycle.
    pub fn reminder_index(&self, name: &str) -> Option<usize> {
        self.reminders.iter().position(|r| r.name == name)
    }
}

/// The cycles of a folder, sorted by name, with their compiled templates.
#[derive(Debug, Default)]
pub struct Cycles {
    pub dir: PathBuf,
    pub cycles: Vec<Cycle>,
    pub templates: TemplateSet,
}

impl Cycles {
    /// Every field name the cycles' rules refer to, per level.
    pub fn field_names(&self, level: Level) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .cycles
            .iter()
            .filter_map(|c| c.rule(level))
            .flat_map(|r| r.expr.field_names())
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The cycle named `name`.
    pub fn get(&self, name: &str) -> Option<&Cycle> {
        self.cycles.iter().find(|c| c.name == name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCycle {
    name: Spanned<String>,
    customer: Option<Spanned<String>>,
    document: Option<Spanned<String>>,
    payment: Option<Spanned<String>>,
    #[serde(default)]
    reminder: Vec<RawReminder>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReminder {
    name: Spanned<String>,
    after_due_days: Spanned<i64>,
    template: Spanned<String>,
}

/// Loads every `*.toml` file of `dir` (in file-name order).
///
/// # Errors
///
/// [`Error::Input`] naming the file (and line, rule, field) of the first problem.
pub fn load_dir(dir: &Path) -> Result<Cycles> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::input(format!(
            "cannot read the engagement cycles folder {}: {e} (give one with --cycles DIR)",
            dir.display()
        ))
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut cycles = Cycles {
        dir: dir.to_path_buf(),
        ..Cycles::default()
    };
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| Error::input(format!("cannot read {}: {e}", file.display())))?;
        let cycle = parse_cycle(&file, &text, &mut cycles.templates)?;
        if let Some(other) = cycles.get(&cycle.name) {
            return Err(Error::input(format!(
                "{}: the cycle name `{}` is already used by {}",
                file.display(),
                cycle.name,
                other.file.display()
            )));
        }
        cycles.cycles.push(cycle);
    }
    cycles.cycles.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cycles)
}

/// Parses and checks one cycle file's `text`; templates are loaded into `templates`,
/// relative to the file's folder.
pub fn parse_cycle(file: &Path, text: &str, templates: &mut TemplateSet) -> Result<Cycle> {
    let shown = file.display().to_string();
    let raw: RawCycle = toml::from_str(text)
        .map_err(|e| Error::input(format!("{shown}: {}", e.to_string().trim_end())))?;
    let at = |span: std::ops::Range<usize>| line_of(text, span.start);
    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty() {
        return Err(Error::input(format!(
            "{shown}, line {}: `name` is empty",
            at(raw.name.span())
        )));
    }
    if name == MANUAL_CYCLE {
        return Err(Error::input(format!(
            "{shown}, line {}: the cycle name `{MANUAL_CYCLE}` is reserved for reminders sent by hand",
            at(raw.name.span())
        )));
    }
    let rule = |level: Level, src: &Option<Spanned<String>>| -> Result<Option<Rule>> {
        let Some(src) = src else { return Ok(None) };
        let label = format!("{shown}, line {}, {level} rule", at(src.span()));
        let expr = rules::parse(level, src.get_ref())
            .map_err(|e| Error::input(e.render(&label, src.get_ref())))?;
        Ok(Some(Rule {
            source: src.get_ref().clone(),
            expr,
        }))
    };
    let customer = rule(Level::Customer, &raw.customer)?;
    let document = rule(Level::Document, &raw.document)?;
    let payment = rule(Level::Payment, &raw.payment)?;
    if raw.reminder.is_empty() {
        return Err(Error::input(format!(
            "{shown}: the cycle has no [[reminder]]; add at least one"
        )));
    }
    let base = file.parent().unwrap_or(Path::new("."));
    let mut reminders: Vec<Reminder> = Vec::with_capacity(raw.reminder.len());
    for r in &raw.reminder {
        let line = at(r.name.span());
        let rname = r.name.get_ref().trim().to_string();
        if rname.is_empty() {
            return Err(Error::input(format!(
                "{shown}, line {line}: a reminder's `name` is empty"
            )));
        }
        if reminders.iter().any(|x| x.name == rname) {
            return Err(Error::input(format!(
                "{shown}, line {line}: the reminder name `{rname}` is used twice"
            )));
        }
        let days = *r.after_due_days.get_ref();
        if let Some(prev) = reminders.last()
            && days <= prev.after_due_days
        {
            return Err(Error::input(format!(
                "{shown}, line {}: `after_due_days` of reminder `{rname}` is {days}, not more than \
                 the {} of `{}` before it; reminders must be in increasing after_due_days",
                at(r.after_due_days.span()),
                prev.after_due_days,
                prev.name
            )));
        }
        let path = base.join(r.template.get_ref());
        if !path.is_file() {
            return Err(Error::input(format!(
                "{shown}, line {}: the template of reminder `{rname}` does not exist: {}",
                at(r.template.span()),
                path.display()
            )));
        }
        let template = templates.load(&path)?;
        reminders.push(Reminder {
            name: rname,
            after_due_days: days,
            template,
        });
    }
    Ok(Cycle {
        name,
        file: file.to_path_buf(),
        customer,
        document,
        payment,
        reminders,
    })
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(
            dir.path().join("templates/t.md"),
            "Invoices for {{ customer.name }}\n\n{{ table }}\n",
        )
        .unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    fn load_err(text: &str) -> String {
        let dir = dir_with(&[("c.toml", text)]);
        match load_dir(dir.path()) {
            Ok(_) => panic!("loaded: {text}"),
            Err(e) => {
                assert_eq!(e.exit_code(), 2, "{e}");
                e.to_string()
                    .replace(&dir.path().display().to_string(), "DIR")
            }
        }
    }

    const REMINDERS: &str = "
[[reminder]]
name = \"Friendly\"
after_due_days = 3
template = \"templates/t.md\"
[[reminder]]
name = \"Firm\"
after_due_days = 30
template = \"templates/t.md\"
";

    #[test]
    fn a_good_cycle_loads() {
        let text = format!(
            "name = \"Std\"\ncustomer = \"overdue > 1000\"\ndocument = \"due_date < 3 days ago\"\n{REMINDERS}"
        );
        let dir = dir_with(&[("c.toml", &text)]);
        let cycles = load_dir(dir.path()).unwrap();
        assert_eq!(cycles.cycles.len(), 1);
        let c = &cycles.cycles[0];
        assert_eq!(c.name, "Std");
        assert_eq!(c.reminders[1].after_due_days, 30);
        assert!(c.payment.is_none());
        assert_eq!(cycles.field_names(Level::Customer), vec!["overdue"]);
        assert_eq!(c.reminder_index("Firm"), Some(1));
    }

    #[test]
    fn a_rule_error_names_file_line_rule_and_position() {
        let e = load_err(&format!(
            "name = \"Std\"\n\ncustomer = \"overdeu > 1000\"\n{REMINDERS}"
        ));
        assert_eq!(
            e,
            "DIR/c.toml, line 3, customer rule: error in rule `overdeu > 1000`\n  \
             overdeu > 1000\n  ^\n  unknown field `overdeu` at customer level; did you mean `overdue`?"
        );
        let e = load_err(&format!(
            "name = \"Std\"\ndocument = \"type includes [invoice, bill]\"\n{REMINDERS}"
        ));
        assert!(
            e.starts_with("DIR/c.toml, line 2, document rule: error in rule"),
            "{e}"
        );
        // The caret sits under `bill`.
        let caret_line = e.lines().nth(2).unwrap();
        assert_eq!(
            caret_line.find('^'),
            Some(2 + "type includes [invoice, ".len()),
            "{e}"
        );
    }

    #[test]
    fn payment_risk_is_a_payment_field() {
        let dir = dir_with(&[(
            "c.toml",
            &format!(
                "name = \"Risky\"\npayment = \"auto_collection = yes and payment_risk includes [high]\"\n{REMINDERS}"
            ),
        )]);
        let cycles = load_dir(dir.path()).unwrap();
        assert_eq!(cycles.cycles.len(), 1);
    }

    #[test]
    fn toml_and_structure_errors_name_the_file() {
        let e = load_err("name = \"x\"\ncustomer = \n");
        assert!(
            e.starts_with("DIR/c.toml: TOML parse error at line 2"),
            "{e}"
        );
        let e = load_err(&format!("name = \"x\"\ncolour = \"red\"\n{REMINDERS}"));
        assert!(e.contains("unknown field `colour`"), "{e}");
        let e = load_err("name = \"x\"\n");
        assert!(e.contains("no [[reminder]]"), "{e}");
        let e = load_err(
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 10\ntemplate = \"templates/t.md\"\n\
             [[reminder]]\nname = \"B\"\nafter_due_days = 10\ntemplate = \"templates/t.md\"\n",
        );
        assert!(
            e.contains("line 8") && e.contains("increasing after_due_days"),
            "{e}"
        );
        let e = load_err(
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 1\ntemplate = \"templates/nope.md\"\n",
        );
        assert!(e.contains("line 5") && e.contains("does not exist"), "{e}");
        let e = load_err(
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 1\ntemplate = \"templates/t.md\"\n\
             [[reminder]]\nname = \"A\"\nafter_due_days = 2\ntemplate = \"templates/t.md\"\n",
        );
        assert!(e.contains("used twice"), "{e}");
        let e = load_err(&format!("name = \"manual\"\n{REMINDERS}"));
        assert!(e.contains("reserved"), "{e}");
    }

    #[test]
    fn duplicate_cycle_names_across_files_are_refused() {
        let text = format!("name = \"Same\"\n{REMINDERS}");
        let dir = dir_with(&[("a.toml", &text), ("b.toml", &text)]);
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("b.toml") && e.contains("a.toml"), "{e}");
    }

    #[test]
    fn template_mistakes_are_caught_at_load() {
        let dir = dir_with(&[(
            "c.toml",
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 1\ntemplate = \"templates/bad.md\"\n",
        )]);
        std::fs::write(
            dir.path().join("templates/bad.md"),
            "Hello {{ customer.nmae }}\n",
        )
        .unwrap();
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("bad.md") && e.contains("undefined"), "{e}");
        std::fs::write(dir.path().join("templates/bad.md"), "Hello {% if %}\n").unwrap();
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("bad.md") && e.contains("syntax"), "{e}");
    }

    #[test]
    fn a_missing_folder_says_how_to_give_one() {
        let e = load_dir(Path::new("/nonexistent/cycles"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("--cycles"), "{e}");
    }

    #[test]
    fn the_shipped_examples_load() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/cycles");
        let cycles = load_dir(&dir).unwrap();
        assert!(cycles.cycles.len() >= 3);
        for c in &cycles.cycles {
            assert!(!c.reminders.is_empty(), "{}", c.name);
        }
    }
}
