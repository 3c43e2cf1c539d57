//! The fields of each form, the defaults they take from one another as the collector
//! types (a call's follow-up, a dispute's documents), and what they say for the worker.

use super::{ActionForm, ActionSettings};
use crate::domain::action_checks::{self as check, Outcome, OwnerRole};
use crate::domain::calls::CallOutcome;
use crate::tui::field::{Field, FieldId};
use crate::tui::key_action::Action;
use crate::workstation::FileAccess;
use crate::workstation::files::split_paths;
use crate::workstation::save::{ActionValues, FormKind};

/// The fields of a form, empty.
pub(super) fn fields(kind: FormKind, settings: &ActionSettings, files: &FileAccess) -> Vec<Field> {
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
        FormKind::Resolve => vec![
            f(FieldId::Issue, "Issue"),
            choice(
                FieldId::Outcome,
                "Outcome",
                Outcome::ALL.map(Outcome::as_str),
            ),
            f(FieldId::Text, "Resolution"),
        ],
        FormKind::Attach => {
            let mut list = f(FieldId::Files, "Files");
            list.choices = files.choices("");
            vec![list, f(FieldId::Text, "What they are")]
        }
        FormKind::FollowUp => vec![f(FieldId::Date, "On"), f(FieldId::Text, "To do")],
        FormKind::Assign => {
            let mut role = choice(FieldId::Role, "Role", ["finance", "sales"]);
            role.set_default("finance");
            vec![f(FieldId::Owner, "Owner"), role]
        }
        FormKind::Call => vec![
            choice(
                FieldId::Outcome,
                "Outcome",
                CallOutcome::ALL.map(CallOutcome::as_str),
            ),
            f(FieldId::Contact, "Contact"),
            f(FieldId::Date, "Follow-up"),
            f(FieldId::Text, "What was said"),
        ],
        FormKind::FollowUpDone => Vec::new(),
        FormKind::VoidPromise | FormKind::Reopen => vec![f(FieldId::Text, "Why")],
    }
}

/// A field that offers `choices`.
fn choice<const N: usize>(id: FieldId, label: &'static str, choices: [&str; N]) -> Field {
    let mut field = Field::new(id, label);
    field.choices = choices.iter().map(|c| c.to_string()).collect();
    field
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

impl ActionForm {
    /// A dispute's documents, while the collector has not named them: those its amount
    /// covers (all overdue ones while it has none).
    pub(super) fn follow_amount(&mut self) {
        if self.kind != FormKind::Dispute {
            return;
        }
        let Some(defaults) = self.data.as_ref().and_then(|d| d.defaults.as_ref()) else {
            return;
        };
        let proposal = match check::amount(self.value(FieldId::Amount).trim()) {
            Ok(amount) => defaults.proposal(&defaults.covering(amount)),
            Err(_) => defaults.proposal(&defaults.proposed_documents().collect::<Vec<_>>()),
        };
        if let Some(field) = self.fields.iter_mut().find(|f| f.id == FieldId::Documents) {
            field.set_default(&proposal);
        }
    }

    /// The call form: the follow-up the outcome proposes for a call logged `today` (the real
    /// day, whatever date is on screen: a follow-up is dated when written), in the date
    /// field unless the collector typed there (`+2d` for no answer, `+4d` on a Thursday:
    /// never a weekend; empty for an outcome that proposes none).
    pub(super) fn propose_followup(&mut self, today: crate::domain::Date) {
        if self.kind != FormKind::Call {
            return;
        }
        let days = CallOutcome::parse(&self.value(FieldId::Outcome))
            .ok()
            .and_then(|o| o.followup_date(today))
            .map(|d| crate::domain::date::days_between(today, d));
        if let Some(field) = self.fields.iter_mut().find(|f| f.id == FieldId::Date) {
            field.set_default(&days.map_or(String::new(), |n| format!("+{n}d")));
        }
    }

    /// What the fields say, for the worker.
    pub(super) fn values(&self) -> ActionValues {
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
}

/// The paths in the attach form's field, as typed: separated by `;` (a `;` in a name written
/// `\;`, see [`split_paths`]), without repeats (the session's [`FileAccess`] says where they
/// are).
pub fn paths(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in split_paths(text) {
        if !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// The document ids in a field: separated by commas or spaces, without repeats
/// (`overdue` stands for the customer's overdue documents not in dispute).
pub fn documents(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.split([',', ' ', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty() && seen.insert(*s))
        .map(str::to_string)
        .collect()
}

pub(super) fn role(text: &str) -> Option<OwnerRole> {
    match text.trim().to_ascii_lowercase().as_str() {
        "finance" | "finance_owner" => Some(OwnerRole::Finance),
        "sales" | "sales_owner" => Some(OwnerRole::Sales),
        _ => None,
    }
}
