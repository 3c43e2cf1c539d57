//! Engagement cycle files: every `*.toml` in the cycles folder, checked when loaded.
//!
//! ```toml
//! name = "Standard dunning"
//! customer = "overdue > 1000 and open_issue_amount = 0"
//! document = "type includes [invoice, debit_note] and due_date < 3 days ago"
//! payment  = "last_attempted_payment_status includes [failure]"   # optional
//!
//! priority = 10            # optional: the higher wins when cycles meet one customer
//! pause_on_promise = true   # default; false lets the cycle work on open promises
//!
//! [[reminder]]
//! name = "Due soon"
//! before_due_days = 3       # or after_due_days = N; neither: due whenever its rules hold
//! document = "due_date between today and in 3 days"   # narrows the cycle's rule
//! template = "templates/due-soon.md"
//! channel = "email"         # or "sms"
//! to = ["billing"]          # contact roles (contacts.csv); cc likewise
//! attach = ["statement"]    # the customer's statement of account as a PDF
//! ```
//!
//! Every rule is optional (a missing rule always holds); a reminder's own `customer`,
//! `document` and `payment` rules narrow the cycle's. Loading checks everything a run would
//! trip over later: the TOML itself (unknown keys are errors), each rule (an error shows the
//! file, the line, the rule and a caret under the problem; custom fields typed in the config's
//! `[custom_fields]` compare by their type), unique cycle names across files and unique
//! reminder names within a cycle, at least one reminder, the reminders' days strictly
//! increasing (a reminder without days must come first), known channels, contact roles and
//! attachments, and each template (relative to the cycle file), which must exist, compile
//! and render a sample (and its `.sms.txt` beside it for a text message, when there is one).

use super::template::{TemplateRef, TemplateSet};
use crate::domain::rules::{self, CustomFields, Expr, Level, MAX_DAYS};
use crate::domain::text::{line_of, name_key};
use crate::error::quoted;
use crate::files::{NotAFile, read_text};
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

/// How a reminder reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Channel {
    #[default]
    Email,
    /// A text message through the `[sms]` provider.
    Sms,
}

impl Channel {
    /// `email` or `sms`, as cycle files and the outbox name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

/// Contact roles (`contacts.csv`) a reminder can be addressed to.
pub use crate::domain::format::CONTACT_ROLES;

/// What a reminder can attach.
pub const ATTACHMENTS: &[&str] = &["statement"];

/// A reminder of a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub name: String,
    /// Due when the earliest due date of its matching documents is at least this many days
    /// past (`after_due_days = N`: N; `before_due_days = N`: -N). `None`: due whenever its
    /// rules hold.
    pub after_due: Option<i64>,
    pub template: TemplateRef,
    /// Rules narrowing the cycle's for this reminder.
    pub customer: Option<Rule>,
    pub document: Option<Rule>,
    pub payment: Option<Rule>,
    pub channel: Channel,
    /// Contact roles to address (empty: the primary billing contact, else the customer).
    pub to: Vec<String>,
    pub cc: Vec<String>,
    /// Whether the customer's statement of account goes with it as a PDF.
    pub attach_statement: bool,
}

impl Reminder {
    /// The reminder's own rule of `level`, if it has one.
    pub fn rule(&self, level: Level) -> Option<&Rule> {
        match level {
            Level::Customer => self.customer.as_ref(),
            Level::Document => self.document.as_ref(),
            Level::Payment => self.payment.as_ref(),
        }
    }

    /// Whether the reminder is due when the earliest matching due date is `days` past.
    pub fn is_due(&self, days: i64) -> bool {
        self.after_due.is_none_or(|after| days >= after)
    }
}

/// One cycle file.
#[derive(Debug, Clone, PartialEq)]
pub struct Cycle {
    pub name: String,
    pub file: PathBuf,
    /// The line of its `name` in the file (for messages).
    pub line: usize,
    /// When cycles would remind one customer the same day, the highest priority wins (ties:
    /// the cycle name first in order). Default 0.
    pub priority: i64,
    /// Whether an open promise to pay whose date has not passed keeps the customer out of
    /// this cycle (default yes).
    pub pause_on_promise: bool,
    pub customer: Option<Rule>,
    pub document: Option<Rule>,
    pub payment: Option<Rule>,
    /// In increasing days (a reminder without days first).
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

    /// The position of reminder `name` in the cycle, the name compared as the loader compares
    /// names (the record of what was sent keeps the spelling of its day).
    pub fn reminder_index(&self, name: &str) -> Option<usize> {
        self.reminders.iter().position(|r| same_name(&r.name, name))
    }
}

/// The cycles of a folder, sorted by name, with their compiled templates.
#[derive(Debug, Default)]
pub struct Cycles {
    pub dir: PathBuf,
    pub cycles: Vec<Cycle>,
    pub templates: TemplateSet,
    /// Files of the folder that look like cycles and are not read: `.toml` in another case
    /// (`std.TOML`).
    pub skipped: Vec<PathBuf>,
}

impl Cycles {
    /// Every field name the cycles' rules (and their reminders' rules) refer to, per level.
    pub fn field_names(&self, level: Level) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .cycles
            .iter()
            .flat_map(|c| {
                c.rule(level)
                    .into_iter()
                    .chain(c.reminders.iter().filter_map(move |r| r.rule(level)))
            })
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

    /// What a person should know of the folder, one sentence each: a file that looks like a
    /// cycle and is not read, and a folder without any cycle (an empty or mistyped `--cycles`
    /// otherwise plans nothing without a word; it may be meant, so it is not an error).
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .skipped
            .iter()
            .map(|file| {
                format!(
                    "{} is not read: cycle files end in .toml (in lower case)",
                    file.display()
                )
            })
            .collect();
        if self.cycles.is_empty() {
            out.push(format!(
                "no engagement cycles in {} (cycle files end in .toml): nothing is planned",
                self.dir.display()
            ));
        }
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCycle {
    name: Spanned<String>,
    priority: Option<i64>,
    pause_on_promise: Option<bool>,
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
    after_due_days: Option<Spanned<i64>>,
    before_due_days: Option<Spanned<i64>>,
    template: Spanned<String>,
    customer: Option<Spanned<String>>,
    document: Option<Spanned<String>>,
    payment: Option<Spanned<String>>,
    channel: Option<Spanned<String>>,
    #[serde(default)]
    to: Vec<Spanned<String>>,
    #[serde(default)]
    cc: Vec<Spanned<String>>,
    #[serde(default)]
    attach: Vec<Spanned<String>>,
}

/// Loads every `*.toml` file of `dir` (in file-name order), with custom fields as text.
///
/// # Errors
///
/// [`Error::Input`] naming the file (and line, rule, field) of the first problem.
pub fn load_dir(dir: &Path) -> Result<Cycles> {
    load_dir_with(dir, &CustomFields::default())
}

/// A cycle's file: a `.toml` entry of the cycles folder, whatever it is. One that is no file
/// to read (a broken link, a folder) is an error when the folder is loaded ([`not_a_file`]):
/// passed over, a cycle stopped without a word.
fn is_cycle_file(path: &Path) -> bool {
    path.extension().is_some_and(|x| x == "toml")
}

/// What the cycle file `path` is when it is no file to read a cycle from (a link to nothing,
/// a directory, a pipe or a device), as a sentence naming it. `None` for a file, or a link
/// to one, and when it cannot be told (reading it then says why).
fn not_a_file(path: &Path) -> Option<String> {
    let shown = path.display();
    let every = "every `*.toml` in the cycles folder is a cycle";
    Some(match NotAFile::of(path)? {
        NotAFile::Folder => {
            format!("{shown} is a directory, not a cycle file ({every}: rename or remove it)")
        }
        NotAFile::Special => format!(
            "{shown} is not a regular file (a pipe, a socket or a device; {every}: rename or \
             remove it)"
        ),
        link @ NotAFile::BrokenLink(_) => {
            format!("{shown} is {link} ({every}: mend or remove the link)")
        }
    })
}

/// A file that looks like a cycle's and is not one: `.toml` in another case (`.TOML`,
/// `.Toml`), which a person may take for one.
fn looks_like_cycle_file(path: &Path) -> bool {
    path.is_file()
        && path
            .extension()
            .is_some_and(|x| x != "toml" && x.eq_ignore_ascii_case("toml"))
}

/// Whether `dir` holds any cycle file (a folder that does not exist holds none).
pub fn holds_cycles(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(|e| e.ok())
            .any(|e| is_cycle_file(&e.path()))
    })
}

/// Loads every `*.toml` file of `dir` (in file-name order); custom fields compare as `custom`
/// types them (the config's `[custom_fields]`).
///
/// # Errors
///
/// [`Error::Input`] naming the file (and line, rule, field) of the first problem.
pub fn load_dir_with(dir: &Path, custom: &CustomFields) -> Result<Cycles> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::input(format!(
            "cannot read the engagement cycles folder {}: {e} (give one with --cycles DIR)",
            dir.display()
        ))
    })?;
    let paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    let (mut files, mut skipped): (Vec<PathBuf>, Vec<PathBuf>) = paths
        .into_iter()
        .filter(|p| is_cycle_file(p) || looks_like_cycle_file(p))
        .partition(|p| is_cycle_file(p));
    files.sort();
    skipped.sort();
    let mut cycles = Cycles {
        dir: dir.to_path_buf(),
        skipped,
        ..Cycles::default()
    };
    for file in files {
        if let Some(what) = not_a_file(&file) {
            return Err(Error::input(what));
        }
        let text = read_text(&file, "")?;
        let cycle = parse_cycle_with(&file, &text, &mut cycles.templates, custom)?;
        if let Some(other) = cycles
            .cycles
            .iter()
            .find(|c| same_name(&c.name, &cycle.name))
        {
            return Err(Error::input(format!(
                "{}, line {}: the cycle name {} is already used by {}, line {} (as {}; names \
                 differing only in case or in the encoding of their accents are the same name)",
                file.display(),
                cycle.line,
                quoted(&cycle.name),
                other.file.display(),
                other.line,
                quoted(&other.name)
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
    parse_cycle_with(file, text, templates, &CustomFields::default())
}

/// [`parse_cycle`] with custom fields typed by `custom`.
pub fn parse_cycle_with(
    file: &Path,
    text: &str,
    templates: &mut TemplateSet,
    custom: &CustomFields,
) -> Result<Cycle> {
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
    if same_name(&name, MANUAL_CYCLE) {
        return Err(Error::input(format!(
            "{shown}, line {}: the cycle name {} is reserved for reminders sent by hand \
             (`{MANUAL_CYCLE}`, in any case)",
            at(raw.name.span()),
            quoted(&name)
        )));
    }
    let rule = |level: Level, src: &Option<Spanned<String>>| -> Result<Option<Rule>> {
        let Some(src) = src else { return Ok(None) };
        let expr = rules::parse_with(level, src.get_ref(), custom).map_err(|e| {
            // The file's line and column of the bad token (a rule may span lines); the
            // rule's first line when its string cannot be followed back to the file.
            let label =
                match value_position(text, src.span(), src.get_ref(), e.position(src.get_ref())) {
                    Some((line, column)) => {
                        format!("{shown}, line {line}, column {column}, {level} rule")
                    }
                    None => format!("{shown}, line {}, {level} rule", at(src.span())),
                };
            Error::input(e.render(&label, src.get_ref()))
        })?;
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
        if let Some(other) = reminders.iter().find(|x| same_name(&x.name, &rname)) {
            return Err(Error::input(format!(
                "{shown}, line {line}: the reminder name {} is used twice (as {} before it; \
                 names differing only in case or in the encoding of their accents are the same name)",
                quoted(&rname),
                quoted(&other.name)
            )));
        }
        for (key, days, other) in [
            ("after_due_days", &r.after_due_days, "before_due_days"),
            ("before_due_days", &r.before_due_days, "after_due_days"),
        ] {
            let Some(days) = days else { continue };
            if *days.get_ref() < 0 {
                return Err(Error::input(format!(
                    "{shown}, line {}: `{key}` of reminder {} is negative; write {other} instead",
                    at(days.span()),
                    quoted(&rname)
                )));
            }
            if *days.get_ref() > MAX_DAYS {
                return Err(Error::input(format!(
                    "{shown}, line {}: `{key}` of reminder {} is {}; at most {MAX_DAYS} days \
                     are allowed",
                    at(days.span()),
                    quoted(&rname),
                    days.get_ref()
                )));
            }
        }
        let after_due = match (&r.after_due_days, &r.before_due_days) {
            (Some(after), None) => Some(*after.get_ref()),
            (None, Some(before)) => Some(-*before.get_ref()),
            (Some(_), Some(before)) => {
                return Err(Error::input(format!(
                    "{shown}, line {}: reminder `{rname}` has both after_due_days and \
                     before_due_days; give one",
                    at(before.span())
                )));
            }
            (None, None) => None,
        };
        let days_line = r
            .after_due_days
            .as_ref()
            .map(Spanned::span)
            .or_else(|| r.before_due_days.as_ref().map(Spanned::span))
            .map_or(line, at);
        if let Some(prev) = reminders.last() {
            let increasing = match (prev.after_due, after_due) {
                (Some(p), Some(d)) => d > p,
                (None, Some(_)) => true,
                (_, None) => false,
            };
            if !increasing {
                let shown_days = |d: Option<i64>| match d {
                    Some(d) if d < 0 => format!("before_due_days = {}", -d),
                    Some(d) => format!("after_due_days = {d}"),
                    None => "no days".to_string(),
                };
                return Err(Error::input(format!(
                    "{shown}, line {days_line}: reminder `{rname}` ({}) does not come after `{}` ({}); \
                     reminders must be in increasing days after the due date, and a reminder \
                     without days must come first",
                    shown_days(after_due),
                    prev.name,
                    shown_days(prev.after_due)
                )));
            }
        }
        let path = base.join(r.template.get_ref());
        if !path.is_file() {
            // What is there instead, when something is: a folder or a pipe does not "not
            // exist", and a broken link says where it points.
            let what =
                NotAFile::of(&path).map_or("does not exist".to_string(), |n| format!("is {n}"));
            return Err(Error::input(format!(
                "{shown}, line {}: the template of reminder `{rname}` {what}: {}",
                at(r.template.span()),
                path.display()
            )));
        }
        let template = templates.load(&path)?;
        let channel = match r.channel.as_ref().map(|c| (c.get_ref().as_str(), c)) {
            None | Some(("email", _)) => Channel::Email,
            Some(("sms", _)) => Channel::Sms,
            Some((other, c)) => {
                return Err(Error::input(format!(
                    "{shown}, line {}: reminder `{rname}` has channel `{other}`; use \"email\" or \"sms\"",
                    at(c.span())
                )));
            }
        };
        let roles = |list: &[Spanned<String>], key: &str| -> Result<Vec<String>> {
            list.iter()
                .map(|role| {
                    let name = role.get_ref().trim().to_lowercase();
                    if CONTACT_ROLES.contains(&name.as_str()) {
                        Ok(name)
                    } else {
                        Err(Error::input(format!(
                            "{shown}, line {}: `{key}` of reminder `{rname}` names the role `{}`; \
                             contact roles are {}",
                            at(role.span()),
                            role.get_ref(),
                            CONTACT_ROLES.join(", ")
                        )))
                    }
                })
                .collect()
        };
        let to = roles(&r.to, "to")?;
        let cc = roles(&r.cc, "cc")?;
        let mut attach_statement = false;
        for a in &r.attach {
            if a.get_ref() == "statement" {
                attach_statement = true;
            } else {
                return Err(Error::input(format!(
                    "{shown}, line {}: reminder `{rname}` attaches `{}`; it can attach {}",
                    at(a.span()),
                    a.get_ref(),
                    ATTACHMENTS.join(", ")
                )));
            }
        }
        if channel == Channel::Sms && (attach_statement || !cc.is_empty()) {
            return Err(Error::input(format!(
                "{shown}, line {line}: reminder `{rname}` is a text message; it cannot attach a \
                 statement or have cc"
            )));
        }
        reminders.push(Reminder {
            name: rname,
            after_due,
            template,
            customer: rule(Level::Customer, &r.customer)?,
            document: rule(Level::Document, &r.document)?,
            payment: rule(Level::Payment, &r.payment)?,
            channel,
            to,
            cc,
            attach_statement,
        });
    }
    Ok(Cycle {
        name,
        file: file.to_path_buf(),
        line: at(raw.name.span()),
        priority: raw.priority.unwrap_or(0),
        pause_on_promise: raw.pause_on_promise.unwrap_or(true),
        customer,
        document,
        payment,
        reminders,
    })
}

/// Whether two (trimmed) cycle or reminder names are the same name as people read them:
/// without regard to case (`Manual` is `manual`, `T` is `t`) nor to how an editor encoded
/// their accents (`Relancé` composed or decomposed): what was sent is recorded by this key.
fn same_name(a: &str, b: &str) -> bool {
    a == b || name_key(a) == name_key(b)
}

/// Where char `at` of the string `value`, written in `text` at `span` as a TOML string, is
/// in the file: its 1-based line and column (in characters). `None` when the written string
/// cannot be followed back to the value.
fn value_position(
    text: &str,
    span: std::ops::Range<usize>,
    value: &str,
    at: usize,
) -> Option<(usize, usize)> {
    let start = span.start;
    let raw = text.get(span)?;
    let offsets = value_offsets(raw, value, false).or_else(|| value_offsets(raw, value, true))?;
    let byte = start + *offsets.get(at)?;
    let line_start = text[..byte].rfind('\n').map_or(0, |i| i + 1);
    Some((
        line_of(text, byte),
        text[line_start..byte].chars().count() + 1,
    ))
}

/// For each char of `value`, its byte offset in `raw`, the TOML string (quotes included)
/// that reads as `value`, then the offset of the closing quotes. Basic strings' escapes and
/// line-ending backslashes are followed, and a multi-line string's first line break is
/// skipped; `crlf` reads a CR LF in the string as the LF alone. `None` when `raw` does not
/// read as `value` so.
fn value_offsets(raw: &str, value: &str, crlf: bool) -> Option<Vec<usize>> {
    let (quotes, basic) = if raw.starts_with("\"\"\"") {
        (3, true)
    } else if raw.starts_with("'''") {
        (3, false)
    } else if raw.starts_with('"') {
        (1, true)
    } else if raw.starts_with('\'') {
        (1, false)
    } else {
        return None;
    };
    let end = raw.len().checked_sub(quotes)?;
    let mut begin = quotes;
    if quotes == 3 {
        if raw[begin..].starts_with("\r\n") {
            begin += 2;
        } else if raw[begin..].starts_with('\n') {
            begin += 1;
        }
    }
    let mut offsets = Vec::with_capacity(value.len() + 1);
    let mut read = String::with_capacity(value.len());
    let mut chars = raw.get(begin..end)?.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let offset = begin + i;
        let c = match c {
            '\\' if basic => match chars.next()?.1 {
                'b' => '\u{8}',
                't' => '\t',
                'n' => '\n',
                'f' => '\u{c}',
                'r' => '\r',
                'e' => '\u{1b}',
                '"' => '"',
                '\\' => '\\',
                escape @ ('u' | 'U' | 'x') => {
                    let digits = match escape {
                        'u' => 4,
                        'U' => 8,
                        _ => 2,
                    };
                    let mut hex = String::new();
                    for _ in 0..digits {
                        hex.push(chars.next()?.1);
                    }
                    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?
                }
                space if space.is_whitespace() => {
                    // A line-ending backslash: the white space and line breaks after it go.
                    while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
                    continue;
                }
                _ => return None,
            },
            '\r' if crlf && chars.peek().is_some_and(|(_, c)| *c == '\n') => continue,
            c => c,
        };
        offsets.push(offset);
        read.push(c);
    }
    offsets.push(end);
    (read == value).then_some(offsets)
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
        assert_eq!(c.reminders[1].after_due, Some(30));
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
            "DIR/c.toml, line 3, column 13, customer rule: error in rule `overdeu > 1000`\n  \
             overdeu > 1000\n  ^\n  unknown field `overdeu` at customer level; did you mean `overdue`?"
        );
        let e = load_err(&format!(
            "name = \"Std\"\ndocument = \"type includes [invoice, bill]\"\n{REMINDERS}"
        ));
        assert!(
            e.starts_with("DIR/c.toml, line 2, column 37, document rule: error in rule"),
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

    /// A rule written over several lines (a TOML multi-line string) is reported at the file's
    /// line and column of the bad token, not at the line where the rule starts, and the
    /// caret is under that line of the rule.
    #[test]
    fn a_multi_line_rule_error_names_the_line_and_column_of_the_bad_token() {
        let e = load_err(&format!(
            "name = \"Std\"\n# the customers\n\ncustomer = \"\"\"\n  overdue > 1000\n  and open_issue_amount = 0\n  and ovrdue < 5000\n\"\"\"\n{REMINDERS}"
        ));
        assert_eq!(
            e,
            "DIR/c.toml, line 7, column 7, customer rule: error in rule \
             `  overdue > 1000   and open_issue_amount = 0   and ovrdue < 5000 `\n  \
             \x20 and ovrdue < 5000\n  \
             \x20     ^\n  \
             unknown field `ovrdue` at customer level; did you mean `overdue`?"
        );
        // A literal string, the opening line holding the first term.
        let e = load_err(&format!(
            "name = \"Std\"\ndocument = \'\'\'type = invoice\n   and due_date < soon\'\'\'\n{REMINDERS}"
        ));
        assert!(
            e.starts_with("DIR/c.toml, line 3, column 19, document rule:"),
            "{e}"
        );
        assert!(
            e.contains("\n     and due_date < soon\n                    ^\n"),
            "{e}"
        );
        // Escapes and a line-ending backslash are followed back to the file.
        let e = load_err(&format!(
            "name = \"Std\"\ncustomer = \"\"\"finance_owner = \\\"a\\\" \\\n    and ovrdue > 1\"\"\"\n{REMINDERS}"
        ));
        assert!(
            e.starts_with("DIR/c.toml, line 3, column 9, customer rule:"),
            "{e}"
        );
        // A problem at the end of the rule: after its last word, on its last line.
        let e = load_err(&format!(
            "name = \"Std\"\ncustomer = \"\"\"\noverdue > 1 and\n  overdue <\n\"\"\"\n{REMINDERS}"
        ));
        assert!(
            e.starts_with("DIR/c.toml, line 4, column 12, customer rule:")
                && e.contains("\n    overdue <\n             ^\n"),
            "{e}"
        );
        // Lines ending in CR LF.
        let text = format!(
            "name = \"Std\"\ncustomer = \"\"\"\noverdue > 1 and\n  ovrdue > 2\"\"\"\n{REMINDERS}"
        )
        .replace('\n', "\r\n");
        let e = load_err(&text);
        assert!(
            e.starts_with("DIR/c.toml, line 4, column 3, customer rule:")
                && e.contains("\n    ovrdue > 2\n    ^\n"),
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
        assert!(e.contains("line 8") && e.contains("increasing days"), "{e}");
        let e = load_err(
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 1\ntemplate = \"templates/nope.md\"\n",
        );
        assert!(e.contains("line 5") && e.contains("does not exist"), "{e}");
        // A folder where the template should be is named for what it is.
        let dir = dir_with(&[(
            "c.toml",
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 1\ntemplate = \"templates/d.md\"\n",
        )]);
        std::fs::create_dir(dir.path().join("templates/d.md")).unwrap();
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("line 5: the template of reminder `A` is a folder, not a file"),
            "{e}"
        );
        let e = load_err(
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 1\ntemplate = \"templates/t.md\"\n\
             [[reminder]]\nname = \"A\"\nafter_due_days = 2\ntemplate = \"templates/t.md\"\n",
        );
        assert!(e.contains("used twice"), "{e}");
        let e = load_err(&format!("name = \"manual\"\n{REMINDERS}"));
        assert!(e.contains("reserved"), "{e}");
    }

    /// A negative `after_due_days` would remind customers before their due date (that is
    /// `before_due_days`), and a day count past the rule language's cap is a slip: both are
    /// refused, naming the file, the line and the key, as a negative `before_due_days` is.
    #[test]
    fn negative_or_absurd_day_counts_are_refused() {
        let one = |days: &str| {
            load_err(&format!(
                "name = \"x\"\n\n[[reminder]]\nname = \"A\"\n{days}\ntemplate = \"templates/t.md\"\n"
            ))
        };
        assert_eq!(
            one("after_due_days = -5"),
            "DIR/c.toml, line 5: `after_due_days` of reminder `A` is negative; \
             write before_due_days instead"
        );
        assert_eq!(
            one("before_due_days = -3"),
            "DIR/c.toml, line 5: `before_due_days` of reminder `A` is negative; \
             write after_due_days instead"
        );
        assert_eq!(
            one("after_due_days = 99999999999"),
            "DIR/c.toml, line 5: `after_due_days` of reminder `A` is 99999999999; \
             at most 100000 days are allowed"
        );
        assert_eq!(
            one("before_due_days = 100001"),
            "DIR/c.toml, line 5: `before_due_days` of reminder `A` is 100001; \
             at most 100000 days are allowed"
        );
        // The cap itself, and zero, are days a cycle may give.
        for days in [
            "after_due_days = 100000",
            "before_due_days = 100000",
            "after_due_days = 0",
        ] {
            let text = format!(
                "name = \"x\"\n[[reminder]]\nname = \"A\"\n{days}\ntemplate = \"templates/t.md\"\n"
            );
            let dir = dir_with(&[("c.toml", &text)]);
            assert!(load_dir(dir.path()).is_ok(), "{days}");
        }
    }

    /// The message named both files but no line in either.
    #[test]
    fn duplicate_cycle_names_across_files_are_refused_naming_both_lines() {
        let text = format!("name = \"Same\"\n{REMINDERS}");
        let later = format!("# the same again\npriority = 1\nname = \"same \"\n{REMINDERS}");
        let dir = dir_with(&[("a.toml", &text), ("b.toml", &later)]);
        let e = load_dir(dir.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string()
                .replace(&dir.path().display().to_string(), "DIR"),
            "DIR/b.toml, line 3: the cycle name `same` is already used by DIR/a.toml, line 1 \
             (as `Same`; names differing only in case or in the encoding of their accents are the same name)"
        );
    }

    /// A byte that is not UTF-8 gave "cannot read …: stream did not contain valid UTF-8",
    /// with no place in the file; in a template too.
    #[test]
    fn a_byte_that_is_not_utf8_is_named_by_line_and_column() {
        let dir = dir_with(&[]);
        let file = dir.path().join("x.toml");
        let mut bytes = "# é\nname = \"".as_bytes().to_vec();
        bytes.extend_from_slice(b"X\x8f\x7f\"\n");
        bytes.extend_from_slice(REMINDERS.as_bytes());
        std::fs::write(&file, bytes).unwrap();
        let e = load_dir(dir.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string()
                .replace(&dir.path().display().to_string(), "DIR"),
            "DIR/x.toml, line 2, column 10: not valid UTF-8 (the byte 0x8F; save the file as UTF-8)"
        );
        std::fs::remove_file(&file).unwrap();
        std::fs::write(dir.path().join("templates/t.md"), b"Dear \xe9\n").unwrap();
        std::fs::write(
            dir.path().join("c.toml"),
            format!("name = \"x\"\n{REMINDERS}"),
        )
        .unwrap();
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e.replace(&dir.path().display().to_string(), "DIR"),
            "DIR/templates/t.md, line 1, column 6: not valid UTF-8 (the byte 0xE9; save the \
             template as UTF-8)"
        );
    }

    /// Names are compared as people read them: `Manual` is the reserved `manual`, and `T` in
    /// one file and ` t ` in another are one cycle name (two cycles would share what was
    /// sent); likewise the reminders of a cycle.
    #[test]
    fn names_that_differ_only_in_case_are_the_same_name() {
        for name in ["Manual", " MANUAL ", "manual"] {
            let e = load_err(&format!("name = \"{name}\"\n{REMINDERS}"));
            assert_eq!(
                e,
                format!(
                    "DIR/c.toml, line 1: the cycle name `{}` is reserved for reminders sent by \
                     hand (`manual`, in any case)",
                    name.trim()
                )
            );
        }
        let dir = dir_with(&[
            ("a.toml", &format!("name = \"T\"\n{REMINDERS}")),
            ("b.toml", &format!("name = \" t \"\n{REMINDERS}")),
        ]);
        let e = load_dir(dir.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string()
                .replace(&dir.path().display().to_string(), "DIR"),
            "DIR/b.toml, line 1: the cycle name `t` is already used by DIR/a.toml, line 1 (as \
             `T`; names differing only in case or in the encoding of their accents are the same name)"
        );
        let e = load_err(
            "name = \"x\"\n[[reminder]]\nname = \"Firm\"\nafter_due_days = 1\ntemplate = \"templates/t.md\"\n\
             [[reminder]]\nname = \"FIRM\"\nafter_due_days = 2\ntemplate = \"templates/t.md\"\n",
        );
        assert_eq!(
            e,
            "DIR/c.toml, line 7: the reminder name `FIRM` is used twice (as `Firm` before it; \
             names differing only in case or in the encoding of their accents are the same name)"
        );
        // Names that differ in more than case stay apart.
        let dir = dir_with(&[
            ("a.toml", &format!("name = \"Manual review\"\n{REMINDERS}")),
            ("b.toml", &format!("name = \"Tt\"\n{REMINDERS}")),
            ("c.toml", &format!("name = \"T\"\n{REMINDERS}")),
        ]);
        assert_eq!(load_dir(dir.path()).unwrap().cycles.len(), 3);
    }

    /// `Relancé` composed (one `é`) and decomposed (`e` and an accent, as some editors save
    /// it) read the same: one name, for cycles and for a cycle's reminders.
    #[test]
    fn names_that_differ_only_in_their_accents_encoding_are_the_same_name() {
        let dir = dir_with(&[
            ("a.toml", &format!("name = \"Relanc\u{e9}\"\n{REMINDERS}")),
            ("b.toml", &format!("name = \"Relance\u{301}\"\n{REMINDERS}")),
        ]);
        let e = load_dir(dir.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("is already used by"), "{e}");
        let e = load_err(
            "name = \"x\"\n[[reminder]]\nname = \"Relanc\u{e9}\"\nafter_due_days = 1\n\
             template = \"templates/t.md\"\n[[reminder]]\nname = \"RELANCE\u{301}\"\n\
             after_due_days = 2\ntemplate = \"templates/t.md\"\n",
        );
        assert!(e.contains("is used twice"), "{e}");
        let c = &load_dir(dir_with(&[("c.toml", &format!("name = \"x\"\n{REMINDERS}"))]).path())
            .unwrap()
            .cycles[0];
        assert_eq!(c.reminder_index(" FIRM"), Some(1));
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

    /// A template's error names the file, the line and the undefined variable (not only
    /// "undefined value"), or quotes the template's text where another error is.
    #[test]
    fn a_template_error_names_the_variable_and_the_line() {
        let dir = dir_with(&[(
            "c.toml",
            "name = \"x\"\n[[reminder]]\nname = \"A\"\nafter_due_days = 1\ntemplate = \"templates/bad.md\"\n",
        )]);
        let bad = dir.path().join("templates/bad.md");
        let error = |template: &str| {
            std::fs::write(&bad, template).unwrap();
            let e = load_dir(dir.path()).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{e}");
            e.to_string().replace(&bad.display().to_string(), "bad.md")
        };
        let sees = "(a template sees customer, documents, table, totals, promise, collector, cycle, \
                    reminder, today)";
        assert_eq!(
            error("Hi {{ customer.nam }}\n"),
            format!("bad.md, line 1: template error: undefined value `customer.nam` {sees}")
        );
        assert_eq!(
            error(
                "Overdue\n\nDear {{ customer.name }},\n{{ totals.balance | upper }} {{ totalz.count }}\n"
            ),
            format!("bad.md, line 4: template error: undefined value `totalz` {sees}")
        );
        // Through a filter, the variable is still the one named.
        assert_eq!(
            error("Hi\n{{ customer.nam | upper }}\n"),
            format!("bad.md, line 2: template error: undefined value `customer.nam` {sees}")
        );
        assert_eq!(
            error("Hello\n{% if %}\n"),
            "bad.md, line 2: template error: syntax error: unexpected end of block at `%}`"
        );
        // A name from the template is quoted as any text from outside: cut, controls shown.
        let long = format!("x{}", "y".repeat(500));
        let e = error(&format!("Hi {{{{ {long} }}}}\n"));
        assert!(
            e.starts_with("bad.md, line 1: template error: undefined value `xyyy")
                && e.contains("…` (501 characters)")
                && e.len() < 300,
            "{e}"
        );
    }

    /// An empty or mistyped folder planned nothing without a word; a file in `.TOML` was
    /// passed over silently.
    #[test]
    fn a_folder_without_cycles_and_files_not_read_are_said() {
        let dir = dir_with(&[("std.TOML", ""), ("readme.txt", "")]);
        let cycles = load_dir(dir.path()).unwrap();
        assert!(cycles.cycles.is_empty());
        let shown = dir.path().display().to_string();
        assert_eq!(
            cycles.warnings(),
            [
                format!("{shown}/std.TOML is not read: cycle files end in .toml (in lower case)"),
                format!(
                    "no engagement cycles in {shown} (cycle files end in .toml): nothing is \
                     planned"
                ),
            ]
        );
        let text = format!("name = \"Std\"\n{REMINDERS}");
        let dir = dir_with(&[("a.toml", &text), ("b.Toml", &text)]);
        let cycles = load_dir(dir.path()).unwrap();
        assert_eq!(cycles.cycles.len(), 1);
        let warnings = cycles.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].ends_with("/b.Toml is not read: cycle files end in .toml (in lower case)")
        );
        let dir = dir_with(&[("a.toml", &text)]);
        assert!(load_dir(dir.path()).unwrap().warnings().is_empty());
    }

    /// A broken link or a directory named `*.toml` was passed over: a cycle stopped without a
    /// word (cron exited 0), and a folder holding only that said there was nothing to plan.
    #[cfg(unix)]
    #[test]
    fn a_cycle_file_that_is_no_file_is_an_error_naming_it() {
        let text = format!("name = \"Std\"\n{REMINDERS}");
        let dir = dir_with(&[("a.toml", &text)]);
        std::os::unix::fs::symlink("gone.toml", dir.path().join("b.toml")).unwrap();
        let e = load_dir(dir.path()).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
        let shown = dir.path().display();
        assert_eq!(
            e.to_string(),
            format!(
                "{shown}/b.toml is a broken link: `gone.toml` does not exist (every `*.toml` in \
                 the cycles folder is a cycle: mend or remove the link)"
            )
        );
        // A folder with only such an entry holds cycles: it is not "nothing is planned".
        let dir = dir_with(&[]);
        std::fs::create_dir(dir.path().join("old.toml")).unwrap();
        assert!(holds_cycles(dir.path()));
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}/old.toml is a directory, not a cycle file (every `*.toml` in the cycles \
                 folder is a cycle: rename or remove it)",
                dir.path().display()
            )
        );
        // A link to a cycle file is one.
        let dir = dir_with(&[("real.txt", &text)]);
        std::os::unix::fs::symlink("real.txt", dir.path().join("c.toml")).unwrap();
        assert_eq!(load_dir(dir.path()).unwrap().cycles.len(), 1);
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
