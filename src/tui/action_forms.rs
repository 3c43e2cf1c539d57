//! The collector-action forms: note, call, promise to pay, dispute, resolve, follow-up and
//! assign.
//!
//! A key on the queue or the detail opens a form for the selected customer (notes, calls,
//! follow-ups and owners also for every marked customer, after a confirmation naming how
//! many). The call form proposes a follow-up from the outcome (no answer: in 2 days); the
//! resolve form takes an optional outcome (writing off is a manager's: the write refuses a
//! collector's, as on the command line). The form asks the worker
//! for what it pre-fills ([`Request::FormData`]: the overdue amount and documents, the open
//! issues, the owners' names) and checks each field as it is typed with the same checks as
//! the command line ([`crate::domain::action_checks`]). Enter sends a [`Request::Save`]: the worker
//! writes (never the input path), refreshes what changed and answers [`Response::Saved`], on
//! which the form closes with "saved: …" (or shows why the action was refused). Esc closes it
//! and writes nothing.
//!
//! [`Response::Saved`]: crate::workstation::Response::Saved

use super::app::{App, Mode, Screen, Status};
use super::field::{Field, FieldId};
use super::key_action::Action;
use super::keymap::{Key, KeyContext, Resolved};
use super::update::{self, Effect};
use crate::config::Config;
use crate::domain::action_checks::{self as check, Outcome, OwnerRole};
use crate::domain::calls::CallOutcome;
use crate::domain::customer::{ActivityEntry, EntryRecord};
use crate::domain::{Date, Decimal, date, money};
use crate::workstation::attachment::path_choices;
use crate::workstation::save::{ActionValues, FormData, FormKind, SaveJob, SaveOutcome};
use crate::workstation::{Draft, Request};
use chrono::Datelike;
use crossterm::event::{KeyCode, KeyEvent};

/// What the forms take from the config.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionSettings {
    /// The reasons a dispute may give.
    pub dispute_reasons: Vec<String>,
    /// After saving an action on the selected customer, move the cursor to the next one.
    pub advance_after_action: bool,
}

impl ActionSettings {
    /// The settings of a config.
    pub fn from_config(config: &Config) -> ActionSettings {
        ActionSettings {
            dispute_reasons: config.dispute_reasons.clone(),
            advance_after_action: config.advance_after_action,
        }
    }
}

impl Default for ActionSettings {
    fn default() -> Self {
        ActionSettings::from_config(&Config::default())
    }
}

/// Where a form is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormState {
    /// Being filled in.
    Editing,
    /// Asking whether to save for every marked customer.
    Confirm,
    /// Sent to the worker; waiting for its answer.
    Saving { seq: u64 },
    /// Esc on a form with something typed: asking whether to close it (keeping a draft),
    /// throw it away, or go back to it.
    Closing,
}

/// What identifies a draft: the form, its customers, and the timeline's record it acts on.
type DraftKey = (FormKind, Vec<i64>, Option<i64>);

/// Forms closed with something typed, by form and customers, for this session: opening the
/// same form on the same customers brings the text back.
#[derive(Debug, Clone, Default)]
pub struct Drafts(std::collections::HashMap<DraftKey, Vec<Option<String>>>);

impl Drafts {
    /// How many drafts are kept.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// An open form.
#[derive(Debug, Clone)]
pub struct ActionForm {
    pub kind: FormKind,
    /// The customers it applies to.
    pub cids: Vec<i64>,
    /// Who, for the title: `Acme Corp (K6)` or `3 marked customers`.
    pub target: String,
    /// The customers are the marked ones (the marks are cleared once saved).
    pub marked: bool,
    pub fields: Vec<Field>,
    /// The field with the cursor.
    pub focus: usize,
    /// What the worker answered for the (first) customer.
    pub data: Option<FormData>,
    /// The request that asked for it.
    pub data_seq: u64,
    pub state: FormState,
    /// A line for the whole form: why it was not saved, the confirmation question.
    pub message: Option<Status>,
    /// Every field's error shows, empty ones too (after Enter).
    pub strict: bool,
    /// The timeline's record the form acts on (done, void, reopen, resolve from the
    /// timeline), with the entry's text.
    pub record: Option<(EntryRecord, String)>,
}

/// What a field's text means, as the line under it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Nothing wrong yet: how to fill it in.
    Hint(String),
    /// Valid; what it stands for (`Fri 2026-05-08, in 8 days`).
    Ok(String),
    /// Not valid: why (the save would be refused).
    Err(String),
}

impl ActionForm {
    /// Whether the collector typed anything that closing the form would lose.
    pub fn typed(&self) -> bool {
        self.fields
            .iter()
            .any(|f| f.typed && !f.value().trim().is_empty())
    }

    fn draft_key(&self) -> DraftKey {
        let mut cids = self.cids.clone();
        cids.sort_unstable();
        (self.kind, cids, self.record.as_ref().map(|(r, _)| r.id()))
    }

    /// Puts a draft's text back into the fields.
    fn restore(&mut self, drafts: &Drafts) -> bool {
        let Some(texts) = drafts.0.get(&self.draft_key()) else {
            return false;
        };
        for (field, text) in self.fields.iter_mut().zip(texts) {
            if let Some(text) = text {
                field.set(text);
            }
        }
        self.message = Some(Status {
            text: "Your draft, as you left it (Esc then x throws it away).".into(),
            error: false,
        });
        true
    }

    /// The field holding `id`, if the form has one.
    pub fn field(&self, id: FieldId) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    fn value(&self, id: FieldId) -> String {
        self.field(id)
            .map(|f| f.value().to_string())
            .unwrap_or_default()
    }

    /// The customer's currency, once known.
    fn currency(&self) -> &str {
        self.data
            .as_ref()
            .map_or("", |d| d.customer.currency.as_str())
    }

    /// Whether every field is valid.
    pub fn first_error(&self, as_of: Date) -> Option<(usize, String)> {
        self.fields.iter().enumerate().find_map(|(i, f)| {
            if let Some(e) = &f.refused {
                return Some((i, e.clone()));
            }
            match self.check(f, as_of, true) {
                Check::Err(e) => Some((i, e)),
                _ => None,
            }
        })
    }

    /// What a field's text means as of `as_of`; `strict`: an empty required field or a
    /// half-typed choice is an error (else a hint).
    pub fn check(&self, field: &Field, as_of: Date, strict: bool) -> Check {
        let v = field.value().trim();
        let missing = |error: String, hint: String| {
            if strict {
                Check::Err(error)
            } else {
                Check::Hint(hint)
            }
        };
        let cur = self.currency();
        let money = |a: Decimal| {
            format!("{} {cur}", money::grouped(a, cur))
                .trim()
                .to_string()
        };
        match field.id {
            FieldId::Text => {
                let required = matches!(self.kind, FormKind::Note | FormKind::FollowUp);
                if v.is_empty() {
                    let what = if self.kind == FormKind::Note {
                        "note"
                    } else {
                        "follow-up text"
                    };
                    return if required {
                        missing(format!("the {what} is empty"), "required".into())
                    } else {
                        Check::Hint("optional".into())
                    };
                }
                match field.value().lines().count() {
                    n if n > 1 => Check::Ok(format!("{n} lines")),
                    _ => Check::Ok(String::new()),
                }
            }
            FieldId::Amount => {
                if v.is_empty() {
                    return match self.kind {
                        FormKind::Dispute => Check::Hint(self.dispute_default()),
                        _ => missing("the amount is missing".into(), "required".into()),
                    };
                }
                match check::amount(v) {
                    Ok(a) => {
                        let overdue = self.data.as_ref().and_then(|d| d.defaults.as_ref());
                        let note = match overdue {
                            Some(d) if d.overdue == a => ", the overdue amount",
                            _ => "",
                        };
                        Check::Ok(format!("{}{note}", money(a)))
                    }
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Date => {
                let what = if self.kind == FormKind::Promise {
                    "promise date"
                } else {
                    "follow-up date"
                };
                if v.is_empty() && self.kind == FormKind::Call {
                    return Check::Hint("empty: no follow-up".into());
                }
                if v.is_empty() {
                    return missing(
                        format!("the {what} is missing"),
                        "YYYY-MM-DD, +7d, +2w or a weekday (friday)".into(),
                    );
                }
                match check::future_date(what, v, as_of) {
                    Ok(d) => Check::Ok(describe_date(d, as_of)),
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Documents => self.check_documents(&money),
            FieldId::Reason => {
                if field.is_choice() {
                    return Check::Ok(String::new());
                }
                let all = format!("Tab: {}", field.choices.join(", "));
                if v.is_empty() {
                    let e = check::reason("", &field.choices).err().unwrap_or_default();
                    return missing(e, all);
                }
                let matches = field.matches();
                if !strict && !matches.is_empty() {
                    return Check::Hint(format!("Tab: {}", matches.join(", ")));
                }
                match check::reason(v, &field.choices) {
                    Ok(_) => Check::Ok(String::new()),
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Issue => self.check_issue(field, &money),
            FieldId::Owner => self.check_owner(field),
            FieldId::Files => check_files(v, strict),
            FieldId::Role => match role(v) {
                Some(_) => Check::Ok("Tab: finance or sales".into()),
                None => Check::Err("the role is finance or sales".into()),
            },
            FieldId::Outcome if self.kind == FormKind::Resolve => check_resolution(field, strict),
            FieldId::Outcome => {
                let all = format!("Tab: {}", field.choices.join(", "));
                if v.is_empty() {
                    let e = CallOutcome::parse("").err().unwrap_or_default();
                    return missing(e, all);
                }
                let matches = field.matches();
                if !strict && !field.is_choice() && !matches.is_empty() {
                    return Check::Hint(format!("Tab: {}", matches.join(", ")));
                }
                match CallOutcome::parse(v) {
                    Ok(o) => Check::Ok(match o.followup_days() {
                        Some(n) => format!("{}; proposes a follow-up in {n} days", o.label()),
                        None => o.label().to_string(),
                    }),
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Contact => {
                if v.is_empty() {
                    return Check::Hint(if field.choices.is_empty() {
                        "optional: whom you called".into()
                    } else {
                        format!("optional; Tab: {}", field.choices.join(", "))
                    });
                }
                match crate::domain::text::check_name(v) {
                    Ok(()) => Check::Ok(String::new()),
                    Err(e) => Check::Err(format!("the contact's name {e}")),
                }
            }
        }
    }

    /// The dispute's amount when none is typed: the documents' open balances, else the
    /// overdue amount.
    fn dispute_default(&self) -> String {
        let Some(defaults) = self.data.as_ref().and_then(|d| d.defaults.as_ref()) else {
            return "empty: the documents' open balance, else the overdue amount".into();
        };
        let cur = self.currency();
        let docs = documents(&self.value(FieldId::Documents));
        if docs.is_empty() {
            return format!(
                "empty: {} {cur}, the overdue amount",
                money::grouped(defaults.overdue, cur)
            );
        }
        let sum: Decimal = docs
            .iter()
            .filter_map(|d| defaults.find(d))
            .map(|d| d.balance)
            .sum();
        format!(
            "empty: {} {cur}, the documents' open balance",
            money::grouped(sum, cur)
        )
    }

    fn check_documents(&self, money: &dyn Fn(Decimal) -> String) -> Check {
        let docs = documents(&self.value(FieldId::Documents));
        if docs.is_empty() {
            return Check::Hint(match self.kind {
                FormKind::Promise => "none: any payment of the customer counts".into(),
                _ => "none: the customer as a whole".into(),
            });
        }
        let Some(data) = self.data.as_ref() else {
            return Check::Ok(String::new());
        };
        let Some(defaults) = data.defaults.as_ref() else {
            return Check::Ok(String::new());
        };
        let mut sum = Decimal::ZERO;
        for d in &docs {
            match defaults.find(d) {
                Some(doc) => sum += doc.balance,
                None => {
                    return Check::Err(format!(
                        "`{d}` is not an open invoice or debit note of {}",
                        data.customer.name
                    ));
                }
            }
        }
        let n = docs.len();
        let s = if n == 1 { "" } else { "s" };
        if self.kind != FormKind::Dispute {
            return Check::Ok(format!("{n} document{s}, {} open", money(sum)));
        }
        // What the dispute takes out of dunning, and what stays in it.
        let named: Vec<&str> = docs
            .iter()
            .filter_map(|d| defaults.find(d))
            .map(|d| d.label())
            .collect();
        let staying = defaults
            .overdue_documents()
            .filter(|d| !docs.iter().any(|n| d.is(n)))
            .count();
        let stay = match staying {
            0 => "no overdue one stays".to_string(),
            1 => "1 overdue stays".to_string(),
            k => format!("{k} overdue stay"),
        };
        Check::Ok(format!(
            "{n} leave{} dunning ({}), {stay}: {}",
            if n == 1 { "s" } else { "" },
            money(sum),
            named.join(", ")
        ))
    }

    /// A dispute's documents, while the collector has not named them: those its amount
    /// covers (all overdue ones while it has none).
    fn follow_amount(&mut self) {
        if self.kind != FormKind::Dispute {
            return;
        }
        let Some(defaults) = self.data.as_ref().and_then(|d| d.defaults.as_ref()) else {
            return;
        };
        let labels: Vec<String> = match check::amount(self.value(FieldId::Amount).trim()) {
            Ok(amount) => defaults
                .covering(amount)
                .into_iter()
                .map(|d| d.label().to_string())
                .collect(),
            Err(_) => defaults
                .overdue_documents()
                .map(|d| d.label().to_string())
                .collect(),
        };
        if let Some(field) = self.fields.iter_mut().find(|f| f.id == FieldId::Documents) {
            field.set_default(&labels.join(", "));
        }
    }

    fn check_issue(&self, field: &Field, money: &dyn Fn(Decimal) -> String) -> Check {
        let v = field.value().trim();
        if v.is_empty() {
            return Check::Err("choose an issue (Tab)".into());
        }
        let number = match check::record_id("issue", v) {
            Ok(n) => n,
            Err(e) => return Check::Err(e),
        };
        let Some(data) = self.data.as_ref() else {
            return Check::Ok(String::new());
        };
        match data.open_issues.iter().find(|i| i.id == number) {
            Some(i) => Check::Ok(format!(
                "{} · {} · opened {}",
                i.reason,
                money(i.amount),
                i.opened
            )),
            None => {
                let open: Vec<String> = data.open_issues.iter().map(|i| i.id.to_string()).collect();
                Check::Err(format!(
                    "{} has no open issue {number} (open: {})",
                    data.customer.name,
                    if open.is_empty() {
                        "none".into()
                    } else {
                        open.join(", ")
                    }
                ))
            }
        }
    }

    fn check_owner(&self, field: &Field) -> Check {
        let v = field.value().trim();
        if v.is_empty() {
            let hint = if field.choices.is_empty() {
                "a collector's name".to_string()
            } else {
                format!("Tab: {}", field.choices.join(", "))
            };
            return if self.strict {
                Check::Err("the new owner's name is empty".into())
            } else {
                Check::Hint(hint)
            };
        }
        if let Err(e) = check::owner(v) {
            return Check::Err(e);
        }
        let role = role(&self.value(FieldId::Role)).unwrap_or(OwnerRole::Finance);
        if let (Some(data), [_]) = (self.data.as_ref(), self.cids.as_slice()) {
            let current = match role {
                OwnerRole::Finance => &data.customer.finance_owner,
                OwnerRole::Sales => &data.customer.sales_owner,
            };
            if current
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(v))
            {
                return Check::Err(format!("{v} is already the {}", role.label()));
            }
        }
        if field.is_choice() {
            return Check::Ok(String::new());
        }
        // A name that starts like known ones is probably one of them, half typed.
        let matches = field.matches();
        if !matches.is_empty() {
            return Check::Hint(format!("Tab: {}", matches.join(", ")));
        }
        Check::Ok("a new owner: no customer has this name yet".into())
    }

    /// What the fields say, for the worker.
    fn values(&self) -> ActionValues {
        let text = self.value(FieldId::Text);
        match self.kind {
            FormKind::Note => ActionValues::Note { text },
            FormKind::Promise => ActionValues::Promise {
                amount: self.value(FieldId::Amount),
                date: self.value(FieldId::Date),
                documents: documents(&self.value(FieldId::Documents)),
                text,
            },
            FormKind::Dispute => ActionValues::Dispute {
                reason: self.value(FieldId::Reason),
                amount: self.value(FieldId::Amount),
                documents: documents(&self.value(FieldId::Documents)),
                text,
            },
            FormKind::Resolve => ActionValues::Resolve {
                issue: self.value(FieldId::Issue),
                outcome: self.value(FieldId::Outcome).trim().to_string(),
                text,
            },
            FormKind::FollowUp => ActionValues::FollowUp {
                date: self.value(FieldId::Date),
                text,
            },
            FormKind::Assign => ActionValues::Assign {
                owner: self.value(FieldId::Owner).trim().to_string(),
                role: role(&self.value(FieldId::Role)).unwrap_or(OwnerRole::Finance),
            },
            FormKind::FollowUpDone => ActionValues::FollowUpDone {
                followup: self.record_id(),
            },
            FormKind::VoidPromise => ActionValues::VoidPromise {
                promise: self.record_id(),
                text,
            },
            FormKind::Reopen => ActionValues::Reopen {
                issue: self.record_id(),
                text,
            },
            FormKind::Attach => ActionValues::Attach {
                paths: paths(&self.value(FieldId::Files)),
                text,
            },
            FormKind::Call => ActionValues::Call {
                outcome: self.value(FieldId::Outcome),
                contact: self.value(FieldId::Contact),
                followup: self.value(FieldId::Date),
                text,
            },
        }
    }

    /// The call form: the follow-up the outcome proposes, in the date field unless the
    /// collector typed there (`+2d` for no answer; empty for an outcome that proposes none).
    fn propose_followup(&mut self) {
        if self.kind != FormKind::Call {
            return;
        }
        let days = CallOutcome::parse(&self.value(FieldId::Outcome))
            .ok()
            .and_then(CallOutcome::followup_days);
        if let Some(field) = self.fields.iter_mut().find(|f| f.id == FieldId::Date) {
            field.set_default(&days.map_or(String::new(), |n| format!("+{n}d")));
        }
    }

    /// The number of the timeline's record the form acts on (0: none, which the worker
    /// refuses).
    fn record_id(&self) -> i64 {
        self.record.as_ref().map_or(0, |(r, _)| r.id())
    }

    /// Puts a refusal from the worker under the field it is about (else on the form).
    fn refuse(&mut self, error: &str) {
        let e = error.to_lowercase();
        let id = [
            // Writing off refused by the user's role: the outcome asked for it.
            ("write amounts off", FieldId::Outcome),
            ("document", FieldId::Documents),
            ("amount", FieldId::Amount),
            ("date", FieldId::Date),
            ("reason", FieldId::Reason),
            ("issue", FieldId::Issue),
            ("owner", FieldId::Owner),
            ("outcome", FieldId::Outcome),
            ("contact", FieldId::Contact),
            ("attach", FieldId::Files),
            ("read", FieldId::Files),
            ("note", FieldId::Text),
            ("text", FieldId::Text),
        ]
        .into_iter()
        .find(|(word, id)| e.contains(word) && self.field(*id).is_some())
        .map(|(_, id)| id);
        if let Some(i) = id.and_then(|id| self.fields.iter().position(|f| f.id == id)) {
            self.fields[i].refused = Some(error.to_string());
            self.focus = i;
        }
        self.message = Some(Status {
            text: format!("Not saved: {error}"),
            error: true,
        });
    }
}

/// The resolve form's outcome: empty (resolved without one) or one of [`Outcome::ALL`];
/// whether the user may write it off is the write layer's to say.
fn check_resolution(field: &Field, strict: bool) -> Check {
    let v = field.value().trim();
    if v.is_empty() {
        return Check::Hint("optional; Tab: valid, invalid, written_off (a manager's)".into());
    }
    let matches = field.matches();
    if !strict && !field.is_choice() && !matches.is_empty() {
        return Check::Hint(format!("Tab: {}", matches.join(", ")));
    }
    match Outcome::parse(v) {
        Ok(o) => Check::Ok(o.meaning().to_string()),
        Err(e) => Check::Err(e),
    }
}

/// The paths in the attach form's field: separated by `;`, without repeats.
pub fn paths(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in text.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let p = match p.strip_prefix("~/") {
            Some(rest) => {
                std::env::var("HOME").map_or_else(|_| p.to_string(), |h| format!("{h}/{rest}"))
            }
            None => p.to_string(),
        };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The attach form's files: each a readable file (the save checks their size and reads
/// them again).
fn check_files(v: &str, strict: bool) -> Check {
    let list = paths(v);
    if list.is_empty() {
        return if strict {
            Check::Err("no file to attach was given".into())
        } else {
            Check::Hint("a path; Tab completes it; several: separate with ;".into())
        };
    }
    let mut total = 0;
    for p in &list {
        match std::fs::metadata(p) {
            Ok(m) if m.is_file() => total += m.len(),
            Ok(_) if p.ends_with('/') && !strict => {
                return Check::Hint("Tab: the files in it".into());
            }
            Ok(_) => return Check::Err(format!("{p} is a folder, not a file")),
            Err(e) if strict => return Check::Err(format!("cannot read {p}: {e}")),
            Err(_) => return Check::Hint("Tab completes the path".into()),
        }
    }
    let n = list.len();
    Check::Ok(format!(
        "{n} file{}, {}",
        if n == 1 { "" } else { "s" },
        crate::domain::attachment::size_label(total)
    ))
}

/// The document ids in a field: separated by commas or spaces, without repeats.
pub fn documents(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in text
        .split([',', ' ', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        if !out.iter().any(|d| d == id) {
            out.push(id.to_string());
        }
    }
    out
}

fn role(text: &str) -> Option<OwnerRole> {
    match text.trim().to_ascii_lowercase().as_str() {
        "finance" | "finance_owner" => Some(OwnerRole::Finance),
        "sales" | "sales_owner" => Some(OwnerRole::Sales),
        _ => None,
    }
}

/// `Fri 2026-05-08, in 8 days`.
fn describe_date(d: Date, today: Date) -> String {
    let days = date::days_between(today, d);
    let when = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        n => format!("in {n} days"),
    };
    format!("{} {d}, {when}", d.weekday())
}

/// The fields of a form, empty.
fn fields(kind: FormKind, settings: &ActionSettings) -> Vec<Field> {
    let f = Field::new;
    match kind {
        FormKind::Note => vec![f(FieldId::Text, "Note")],
        FormKind::Promise => vec![
            f(FieldId::Amount, "Amount"),
            f(FieldId::Date, "Pay by"),
            f(FieldId::Documents, "Documents"),
            f(FieldId::Text, "Comment"),
        ],
        FormKind::Dispute => {
            let mut reason = f(FieldId::Reason, "Reason");
            reason.choices = settings.dispute_reasons.clone();
            vec![
                reason,
                f(FieldId::Amount, "Amount"),
                f(FieldId::Documents, "Documents"),
                f(FieldId::Text, "Comment"),
            ]
        }
        FormKind::Resolve => {
            let mut outcome = f(FieldId::Outcome, "Outcome");
            outcome.choices = Outcome::ALL
                .iter()
                .map(|o| o.as_str().to_string())
                .collect();
            vec![
                f(FieldId::Issue, "Issue"),
                outcome,
                f(FieldId::Text, "Resolution"),
            ]
        }
        FormKind::Attach => {
            let mut files = f(FieldId::Files, "Files");
            files.choices = path_choices("");
            vec![files, f(FieldId::Text, "What they are")]
        }
        FormKind::FollowUp => vec![f(FieldId::Date, "On"), f(FieldId::Text, "To do")],
        FormKind::Assign => {
            let mut role = f(FieldId::Role, "Role");
            role.choices = vec!["finance".into(), "sales".into()];
            role.set_default("finance");
            vec![f(FieldId::Owner, "Owner"), role]
        }
        FormKind::Call => {
            let mut outcome = f(FieldId::Outcome, "Outcome");
            outcome.choices = CallOutcome::ALL
                .iter()
                .map(|o| o.as_str().to_string())
                .collect();
            vec![
                outcome,
                f(FieldId::Contact, "Contact"),
                f(FieldId::Date, "Follow-up"),
                f(FieldId::Text, "What was said"),
            ]
        }
        FormKind::FollowUpDone => Vec::new(),
        FormKind::VoidPromise | FormKind::Reopen => vec![f(FieldId::Text, "Why")],
    }
}

/// The form an action opens, if it is one.
pub fn kind_of(action: Action) -> Option<FormKind> {
    Some(match action {
        Action::Note => FormKind::Note,
        Action::Promise => FormKind::Promise,
        Action::Dispute => FormKind::Dispute,
        Action::Resolve => FormKind::Resolve,
        Action::FollowUp => FormKind::FollowUp,
        Action::Assign => FormKind::Assign,
        Action::Call => FormKind::Call,
        Action::Attach => FormKind::Attach,
        _ => return None,
    })
}

/// Opens the form of `action` for the marked customers or the selected one, and asks the
/// worker for its defaults.
pub fn open(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(kind) = kind_of(action) else {
        return Vec::new();
    };
    let marked = !app.marks.is_empty();
    if marked && !kind.applies_to_marks() {
        app.say_error(format!(
            "{} is for one customer at a time: Esc clears the marks.",
            kind.title()
        ));
        return Vec::new();
    }
    let cids = app.targets();
    let Some(&first) = cids.first() else {
        app.say_error("No customer selected.");
        return Vec::new();
    };
    let target = if marked {
        marked_label(cids.len(), app.label(first))
    } else {
        app.label(first).unwrap_or_default()
    };
    let data_seq = app.next_seq();
    app.form = Some(ActionForm {
        kind,
        cids,
        target,
        marked,
        fields: fields(kind, &app.action_settings),
        focus: 0,
        data: None,
        data_seq,
        state: FormState::Editing,
        message: None,
        strict: false,
        record: None,
    });
    if let Some(form) = app.form.as_mut() {
        form.restore(&app.drafts);
    }
    app.mode = Mode::Form;
    app.status = None;
    vec![Effect::Request(Request::FormData {
        seq: data_seq,
        as_of: app.as_of,
        cid: first,
        kind,
    })]
}

/// The title's target for marked customers: their count, and the first one's name once
/// known (`3 marked customers: Acme Corp (K6) and 2 more`).
fn marked_label(n: usize, first: Option<String>) -> String {
    match (n, first) {
        (1, Some(first)) => format!("1 marked customer: {first}"),
        (1, None) => "1 marked customer".to_string(),
        (n, Some(first)) => format!("{n} marked customers: {first} and {} more", n - 1),
        (n, None) => format!("{n} marked customers"),
    }
}

/// A key on an entry of the timeline (`d` done, `v` void, `I` resolve, `o` reopen): the form
/// of that action on the entry's record, or why it does not apply to it.
pub fn open_record(app: &mut App, action: Action, entry: &ActivityEntry) -> Vec<Effect> {
    let record = entry.record;
    let kind = match (action, record) {
        (Action::Done, Some(EntryRecord::FollowUp { done: false, .. })) => FormKind::FollowUpDone,
        (Action::Void, Some(EntryRecord::Promise { voided: false, .. })) => FormKind::VoidPromise,
        (Action::Resolve, Some(EntryRecord::Issue { open: true, .. })) => FormKind::Resolve,
        (Action::Reopen, Some(EntryRecord::Issue { open: false, .. })) => FormKind::Reopen,
        _ => {
            let (wants, state) = match (action, record) {
                (Action::Done, Some(EntryRecord::FollowUp { id, .. })) => {
                    ("", format!("Follow-up {id} is done already."))
                }
                (Action::Void, Some(EntryRecord::Promise { id, .. })) => {
                    ("", format!("Promise {id} is voided already."))
                }
                (Action::Resolve, Some(EntryRecord::Issue { id, .. })) => (
                    "",
                    format!("Issue {id} is resolved already (o reopens it)."),
                ),
                (Action::Reopen, Some(EntryRecord::Issue { id, .. })) => {
                    ("", format!("Issue {id} is open (I resolves it)."))
                }
                (Action::Done, _) => ("marks a follow-up done", String::new()),
                (Action::Void, _) => ("voids a promise", String::new()),
                (Action::Resolve, _) => ("resolves an issue", String::new()),
                _ => ("reopens an issue", String::new()),
            };
            let text = if state.is_empty() {
                let key = app
                    .keymap
                    .first(KeyContext::Timeline, action)
                    .map_or(String::new(), |b| b.keys_text());
                format!("{key} {wants}; this entry is a {}.", entry.kind.label())
            } else {
                state
            };
            app.say_error(text);
            return Vec::new();
        }
    };
    let Some(record) = record else {
        return Vec::new();
    };
    let Some(&cid) = app.targets().first() else {
        return Vec::new();
    };
    let mut fields = fields(kind, &app.action_settings);
    if let Some(issue) = fields.iter_mut().find(|f| f.id == FieldId::Issue) {
        issue.preset(&record.id().to_string());
    }
    // The entry names the record: the cursor starts in the first field left to fill in.
    let focus = fields
        .iter()
        .position(|f| !f.edited && f.id != FieldId::Issue)
        .unwrap_or(0);
    let data_seq = app.next_seq();
    app.form = Some(ActionForm {
        kind,
        cids: vec![cid],
        target: app.label(cid).unwrap_or_default(),
        marked: false,
        fields,
        focus,
        data: None,
        data_seq,
        state: FormState::Editing,
        message: None,
        strict: false,
        record: Some((record, format!("{} · {}", entry.date, entry.text))),
    });
    if let Some(form) = app.form.as_mut() {
        form.restore(&app.drafts);
    }
    app.mode = Mode::Form;
    app.status = None;
    vec![Effect::Request(Request::FormData {
        seq: data_seq,
        as_of: app.as_of,
        cid,
        kind,
    })]
}

/// The form half-typed, for the user's next session (when this one ends without saving it).
/// `None` when no form is open, or it was already sent to be saved.
pub fn draft(app: &App) -> Option<Draft> {
    let form = app.form.as_ref()?;
    if matches!(form.state, FormState::Saving { .. }) {
        return None;
    }
    Some(Draft {
        kind: form.kind,
        cids: form.cids.clone(),
        target: form.target.clone(),
        marked: form.marked,
        fields: form
            .fields
            .iter()
            .map(|f| f.edited.then(|| f.value().to_string()))
            .collect(),
        focus: form.focus,
        as_of: app.as_of,
    })
}

/// Opens a draft kept from the user's last session: the form of its kind on its customers,
/// with what was typed, and asks the worker for its defaults again.
pub fn reopen(app: &mut App, draft: Draft) -> Vec<Effect> {
    let Some(&first) = draft.cids.first() else {
        return Vec::new();
    };
    let mut fields = fields(draft.kind, &app.action_settings);
    for (field, text) in fields.iter_mut().zip(&draft.fields) {
        if let Some(text) = text {
            field.set(text);
        }
    }
    let data_seq = app.next_seq();
    let focus = draft.focus.min(fields.len().saturating_sub(1));
    if draft.marked {
        // The customers were the marked ones: marked again, as they were.
        app.marks.extend(draft.cids.iter().copied());
    }
    app.form = Some(ActionForm {
        kind: draft.kind,
        cids: draft.cids,
        target: draft.target,
        marked: draft.marked,
        fields,
        focus,
        data: None,
        data_seq,
        state: FormState::Editing,
        message: Some(Status {
            text: "Not saved when your last session ended: here it is again.".into(),
            error: false,
        }),
        strict: false,
        record: None,
    });
    app.mode = Mode::Form;
    app.status = None;
    vec![Effect::Request(Request::FormData {
        seq: data_seq,
        as_of: app.as_of,
        cid: first,
        kind: draft.kind,
    })]
}

/// A key while a form is open: the form's keys (Enter, Esc, Tab …) from the keymap, else
/// typing into the field with the cursor.
pub fn key(app: &mut App, event: KeyEvent) -> Vec<Effect> {
    let key = Key::from_event(&event);
    let action = match app.keymap.resolve(KeyContext::Form, &[key]) {
        Resolved::Run(a) => Some(a),
        _ => None,
    };
    let Some(form) = app.form.as_mut() else {
        app.mode = Mode::Normal;
        return Vec::new();
    };
    match form.state {
        FormState::Saving { .. } => return Vec::new(),
        FormState::Confirm => {
            let yes =
                action == Some(Action::Submit) || matches!(event.code, KeyCode::Char('y' | 'Y'));
            let no =
                action == Some(Action::Cancel) || matches!(event.code, KeyCode::Char('n' | 'N'));
            if yes {
                return save(app);
            }
            if no {
                form.state = FormState::Editing;
                form.message = None;
            }
            return Vec::new();
        }
        FormState::Closing => {
            let keep =
                action == Some(Action::Submit) || matches!(event.code, KeyCode::Char('y' | 'Y'));
            let discard = matches!(event.code, KeyCode::Char('x' | 'X'));
            let back =
                action == Some(Action::Cancel) || matches!(event.code, KeyCode::Char('n' | 'N'));
            if keep || discard {
                let key = form.draft_key();
                if keep {
                    let texts = form
                        .fields
                        .iter()
                        .map(|f| f.typed.then(|| f.value().to_string()))
                        .collect();
                    app.drafts.0.insert(key, texts);
                } else {
                    app.drafts.0.remove(&key);
                }
                let target = form.target.clone();
                app.form = None;
                app.mode = Mode::Normal;
                let text = if keep {
                    format!("Draft kept: the same form on {target} brings it back.")
                } else {
                    "Thrown away; nothing was saved.".to_string()
                };
                app.say(text);
            } else if back {
                form.state = FormState::Editing;
                form.message = None;
            }
            return Vec::new();
        }
        FormState::Editing => {}
    }
    match action {
        Some(action) => form_action(app, action),
        None => {
            let focus = form.focus;
            if let Some(field) = form.fields.get_mut(focus)
                && field.type_key(&event)
            {
                form.message = None;
                if field.id == FieldId::Files {
                    field.choices = path_choices(field.value());
                }
                form.propose_followup();
                form.follow_amount();
            }
            Vec::new()
        }
    }
}

/// An action of the form's keymap section.
pub fn form_action(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    let n = form.fields.len().max(1);
    match action {
        Action::Submit => return submit(app),
        Action::Cancel if form.typed() => {
            // What was typed is not thrown away without asking.
            form.state = FormState::Closing;
            form.message = Some(Status {
                text: "Close? y: keep a draft · x: throw it away · n: back to the form".into(),
                error: false,
            });
        }
        Action::Cancel => {
            // Nothing was typed or written: the form goes without a trace.
            app.form = None;
            app.mode = Mode::Normal;
            app.status = None;
        }
        Action::NextField => form.focus = (form.focus + 1) % n,
        Action::PrevField => form.focus = (form.focus + n - 1) % n,
        Action::Complete | Action::CompleteBack if form.fields.is_empty() => {}
        Action::Complete => {
            let focus = form.focus;
            let field = &mut form.fields[focus];
            if field.choices.is_empty() {
                form.focus = (focus + 1) % n;
            } else {
                field.complete(true);
                // A folder completed: the next Tab goes into it.
                if field.id == FieldId::Files && field.value().ends_with('/') {
                    let value = field.value().to_string();
                    field.choices = path_choices(&value);
                    field.set(&value);
                }
                form.propose_followup();
            }
        }
        Action::CompleteBack => {
            let focus = form.focus;
            let field = &mut form.fields[focus];
            if field.choices.is_empty() {
                form.focus = (focus + n - 1) % n;
            } else {
                field.complete(false);
                form.propose_followup();
            }
        }
        Action::EditExternal => return edit_external(app),
        Action::Redraw => return vec![Effect::Clear],
        _ => {}
    }
    Vec::new()
}

/// Enter: checks every field, asks to confirm for several customers, then saves.
fn submit(app: &mut App) -> Vec<Effect> {
    let as_of = app.as_of;
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    form.strict = true;
    if let Some((i, e)) = form.first_error(as_of) {
        form.focus = i;
        form.message = Some(Status {
            text: format!("Not saved: {e}"),
            error: true,
        });
        return Vec::new();
    }
    if form.cids.len() > 1 {
        form.state = FormState::Confirm;
        form.message = Some(Status {
            text: format!(
                "Save this for {} customers? Enter or y: save · Esc or n: back",
                form.cids.len()
            ),
            error: false,
        });
        return Vec::new();
    }
    save(app)
}

/// Sends the form to the worker.
fn save(app: &mut App) -> Vec<Effect> {
    let seq = app.next_seq();
    let as_of = app.as_of;
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    form.state = FormState::Saving { seq };
    form.message = Some(Status {
        text: "Saving…".into(),
        error: false,
    });
    vec![Effect::Request(Request::Save {
        seq,
        job: SaveJob {
            as_of,
            cids: form.cids.clone(),
            values: form.values(),
        },
    })]
}

/// The note (or any text field) in `$EDITOR`: the loop leaves the screen, runs the editor and
/// hands the text back through [`edited`].
fn edit_external(app: &mut App) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    let Some(i) = form.fields.iter().position(|f| f.id == FieldId::Text) else {
        form.message = Some(Status {
            text: "This form has no text to write in an editor.".into(),
            error: true,
        });
        return Vec::new();
    };
    form.focus = i;
    let label = form.fields[i].label.to_lowercase();
    let instructions = format!(
        "The {label} for {} ({}).\nLines starting with # are left out. Save and quit the editor to go back to owed;\nnothing is saved until you press Enter there.",
        form.target,
        form.kind.title()
    );
    vec![Effect::Edit {
        text: form.fields[i].value().to_string(),
        instructions,
    }]
}

/// The editor is done: its text goes into the form's text field (or its failure on the form).
pub fn edited(app: &mut App, result: Result<String, String>) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    match result {
        Ok(text) => {
            if let Some(i) = form.fields.iter().position(|f| f.id == FieldId::Text) {
                form.fields[i].set(&text);
                form.focus = i;
                form.message = None;
            }
        }
        Err(e) => {
            form.message = Some(Status {
                text: e,
                error: true,
            });
        }
    }
    Vec::new()
}

/// The worker's answer to the form's [`Request::FormData`]: the defaults go into the fields
/// not typed into yet.
pub fn form_data(app: &mut App, seq: u64, data: Result<Box<FormData>, String>) -> Vec<Effect> {
    let Some(form) = app.form.as_mut().filter(|f| f.data_seq == seq) else {
        return Vec::new();
    };
    let data = match data {
        Ok(data) => *data,
        Err(e) => {
            app.form = None;
            app.mode = Mode::Normal;
            app.say_error(e);
            return Vec::new();
        }
    };
    // The title names the customer, also when the form opened before its row was known.
    let name = format!("{} ({})", data.customer.name, data.customer.id);
    form.target = if form.marked {
        marked_label(form.cids.len(), Some(name))
    } else {
        name
    };
    let cur = data.customer.currency.clone();
    for field in &mut form.fields {
        match (field.id, data.defaults.as_ref()) {
            (FieldId::Amount, Some(d))
                if form.kind == FormKind::Promise && d.overdue > Decimal::ZERO =>
            {
                field.set_default(&money::plain(d.overdue, &cur));
            }
            (FieldId::Documents, Some(d)) => {
                let labels: Vec<&str> = d.overdue_documents().map(|d| d.label()).collect();
                field.set_default(&labels.join(", "));
            }
            (FieldId::Issue, _) => {
                field.choices = data.open_issues.iter().map(|i| i.id.to_string()).collect();
                if let Some(newest) = data.open_issues.first() {
                    field.set_default(&newest.id.to_string());
                }
            }
            (FieldId::Owner, _) => field.choices = data.owners.clone(),
            (FieldId::Contact, _) => field.choices = data.contacts.clone(),
            _ => {}
        }
    }
    if form.kind == FormKind::Resolve && data.open_issues.is_empty() {
        let name = data.customer.name.clone();
        app.form = None;
        app.mode = Mode::Normal;
        app.say_error(format!("{name} has no open dispute to resolve."));
        return Vec::new();
    }
    form.data = Some(data);
    // A dispute's amount typed before the defaults came: its documents follow it.
    form.follow_amount();
    Vec::new()
}

/// The worker saved (or refused) the form's job.
pub fn saved(app: &mut App, seq: u64, outcome: SaveOutcome) -> Vec<Effect> {
    let Some(form) = app
        .form
        .as_mut()
        .filter(|f| f.state == FormState::Saving { seq })
    else {
        return Vec::new();
    };
    let n = outcome.recorded.len();
    if let Some(e) = &outcome.error
        && n == 0
        && outcome.skipped == 0
    {
        form.state = FormState::Editing;
        form.refuse(e);
        return Vec::new();
    }
    let marked = form.marked;
    let first_cid = form.cids.first().copied();
    let key = form.draft_key();
    app.form = None;
    if !outcome.recorded.is_empty() {
        app.drafts.0.remove(&key);
    }
    app.mode = Mode::Normal;
    let first = outcome
        .recorded
        .first()
        .map_or(String::new(), |r| r.message.clone());
    if let Some(e) = outcome.error {
        // Some were saved, then one was refused: those saved are unmarked, the rest stay.
        for r in &outcome.recorded {
            app.marks.remove(&r.cid);
        }
        app.say_error(format!(
            "saved for {n} of {} customers, then refused: {e}",
            outcome.targets
        ));
        return Vec::new();
    }
    let mut text = match n {
        0 => "nothing to save".to_string(),
        1 => format!("saved: {first}"),
        n => format!("saved for {n} customers: {first} …"),
    };
    if outcome.skipped > 0 {
        text.push_str(&format!(" ({} had it already)", outcome.skipped));
    }
    app.say(text);
    if marked {
        app.marks.clear();
        return Vec::new();
    }
    // The detail screen stays on the customer it shows: the next key acts on it again.
    if app.screen == Screen::Detail {
        return Vec::new();
    }
    // The refreshed page came first: when the customer is still under the cursor (it did not
    // leave the tab), move on to the next one. Either way the footer names who is under the
    // cursor now when it is someone else.
    let mut fx = Vec::new();
    if app.action_settings.advance_after_action
        && first_cid.is_some()
        && app.selected().map(|r| r.cid) == first_cid
    {
        fx = update::move_cursor(app, 1);
    }
    if let Some(row) = app.selected().filter(|r| Some(r.cid) != first_cid) {
        let next = format!(" · next: {} ({})", row.name, row.id);
        if let Some(status) = app.status.as_mut() {
            status.text.push_str(&next);
        }
    }
    fx
}
