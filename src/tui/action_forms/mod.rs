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
//! Here: the form's types and what the rest of the screens call; beside it, `opening` (from a
//! key, a timeline's record or a draft, and the worker's defaults), `fields`, `checks`,
//! `keys` and `saving`.
//!
//! [`Request::FormData`]: crate::workstation::Request::FormData
//! [`Request::Save`]: crate::workstation::Request::Save
//! [`Response::Saved`]: crate::workstation::Response::Saved

mod checks;
mod fields;
mod keys;
mod opening;
mod saving;

pub use fields::{documents, kind_of, paths};
pub use keys::{defaults_failed, edited, form_action, key, paste, saving_now, waits};
pub use opening::{
    bring_back, data_changed, drafts_to_keep, form_data, open, open_record, record_form,
    refresh_data, reopen,
};
pub use saving::{saved, saving, still_saving};

use super::app::Status;
use super::field::{Field, FieldId};
use crate::config::Config;
use crate::domain::customer::EntryRecord;
use crate::workstation::save::{FormData, FormKind};

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

/// Forms closed with something typed, by form and customers (and those the user's last
/// sessions left): opening the same form on the same customers brings the text back. They go
/// to the user's next session when this one ends ([`drafts_to_keep`]).
#[derive(Debug, Clone, Default)]
pub struct Drafts(std::collections::HashMap<DraftKey, crate::workstation::Draft>);

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
    /// Where the attach form's files are read (the session's).
    pub files: crate::workstation::FileAccess,
    /// Documents named in the form that were open when it was filled in and were paid (or
    /// credited) since: the documents field says so.
    pub paid_since: Vec<String>,
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

    /// The number of the timeline's record the form acts on (0: none, which the worker
    /// refuses).
    fn record_id(&self) -> i64 {
        self.record.as_ref().map_or(0, |(r, _)| r.id())
    }
}
