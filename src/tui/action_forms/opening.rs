//! Opening a form: from a key on the queue or the detail, on a timeline's record, or from a
//! draft (this session's or the last one's), and the worker's defaults that fill it in.

use super::fields::{documents, fields, kind_of};
use super::{ActionForm, DraftKey, Drafts, FormState};
use crate::domain::customer::{ActivityEntry, EntryRecord};
use crate::domain::{Decimal, money};
use crate::tui::app::{App, Mode, Status};
use crate::tui::field::{Field, FieldId};
use crate::tui::key_action::Action;
use crate::tui::keymap::KeyContext;
use crate::tui::update::Effect;
use crate::workstation::save::{FormData, FormKind, ResolvedIssue};
use crate::workstation::{Draft, Request};

impl ActionForm {
    pub(super) fn draft_key(&self) -> DraftKey {
        let mut cids = self.cids.clone();
        cids.sort_unstable();
        (self.kind, cids, self.record.as_ref().map(|(r, _)| r.id()))
    }

    /// Puts a draft's text back into the fields.
    fn restore(&mut self, drafts: &Drafts) -> bool {
        let Some(draft) = drafts.0.get(&self.draft_key()) else {
            return false;
        };
        for (field, text) in self.fields.iter_mut().zip(&draft.fields) {
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
}

/// Opens the form of `action` for the marked customers or the selected one, and asks the
/// worker for its defaults.
pub fn open(app: &mut App, action: Action) -> Vec<Effect> {
    let Some(kind) = kind_of(action) else {
        return Vec::new();
    };
    let marked = app.acts_on_marks();
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
    if app.refused(kind.work(), &cids) {
        return Vec::new();
    }
    if kind == FormKind::Attach
        && let Some(why) = app.files.refused()
    {
        app.say_error(format!("Cannot attach files: {why}."));
        return Vec::new();
    }
    let target = if marked {
        marked_label(cids.len(), app.label(first))
    } else {
        app.label(first).unwrap_or_default()
    };
    let fields = fields(kind, &app.action_settings, &app.files);
    let form = editing(app, kind, (cids, target, marked), fields, 0);
    let data_seq = form.data_seq;
    app.form = Some(form);
    shown(app, first, kind, data_seq)
}

/// A form of `kind` being filled in on customers `cids` (`target` names them, `marked`: they
/// are the marked ones), the cursor in field `focus`, its defaults to be asked for with the
/// app's next request number.
fn editing(
    app: &mut App,
    kind: FormKind,
    (cids, target, marked): (Vec<i64>, String, bool),
    fields: Vec<Field>,
    focus: usize,
) -> ActionForm {
    ActionForm {
        kind,
        cids,
        target,
        marked,
        fields,
        focus,
        data: None,
        data_seq: app.next_seq(),
        state: FormState::Editing,
        message: None,
        strict: false,
        files: app.files.clone(),
        record: None,
        paid_since: Vec::new(),
    }
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

/// The form a timeline key opens on an entry's record, if the key applies to it: `d` on an
/// open follow-up, `v` on a promise not voided, `I` on an open issue, `o` on a resolved one.
pub fn record_form(action: Action, record: Option<EntryRecord>) -> Option<FormKind> {
    match (action, record?) {
        (Action::Done, EntryRecord::FollowUp { done: false, .. }) => Some(FormKind::FollowUpDone),
        (Action::Void, EntryRecord::Promise { voided: false, .. }) => Some(FormKind::VoidPromise),
        (Action::Resolve, EntryRecord::Issue { open: true, .. }) => Some(FormKind::Resolve),
        (Action::Reopen, EntryRecord::Issue { open: false, .. }) => Some(FormKind::Reopen),
        _ => None,
    }
}

/// A key on an entry of the timeline (`d` done, `v` void, `I` resolve, `o` reopen): the form
/// of that action on the entry's record, or why it does not apply to it.
pub fn open_record(app: &mut App, action: Action, entry: &ActivityEntry) -> Vec<Effect> {
    let record = entry.record;
    let kind = match record_form(action, record) {
        Some(kind) => kind,
        None => {
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
                    .map_or(String::new(), |b| b.keys_named(app.ascii));
                let label = entry.kind.label();
                let article = if label.starts_with(['a', 'e', 'i', 'o', 'u']) {
                    "an"
                } else {
                    "a"
                };
                format!("{key} {wants}; this entry is {article} {label}.")
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
    if app.refused(kind.work(), &[cid]) {
        return Vec::new();
    }
    let mut fields = fields(kind, &app.action_settings, &app.files);
    if let Some(issue) = fields.iter_mut().find(|f| f.id == FieldId::Issue) {
        issue.preset(&record.id().to_string());
    }
    // The entry names the record: the cursor starts in the first field left to fill in.
    let focus = fields
        .iter()
        .position(|f| !f.edited && f.id != FieldId::Issue)
        .unwrap_or(0);
    let target = app.label(cid).unwrap_or_default();
    let mut form = editing(app, kind, (vec![cid], target, false), fields, focus);
    form.record = Some((record, format!("{} · {}", entry.date, entry.text)));
    let data_seq = form.data_seq;
    app.form = Some(form);
    shown(app, cid, kind, data_seq)
}

/// The form half-typed, for the user's next session (when this one ends without saving it).
/// `None` when no form is open, or it was already sent to be saved.
fn open_draft(app: &App) -> Option<Draft> {
    let form = app.form.as_ref()?;
    if matches!(form.state, FormState::Saving { .. }) {
        return None;
    }
    Some(form.draft(app.as_of, false))
}

impl ActionForm {
    /// The form as a draft: the fields typed into when `kept` (closed with `Esc`, `y`), else
    /// every field the collector changed.
    pub(super) fn draft(&self, as_of: crate::domain::Date, kept: bool) -> Draft {
        Draft {
            kind: self.kind,
            cids: self.cids.clone(),
            target: self.target.clone(),
            marked: self.marked,
            fields: self
                .fields
                .iter()
                .map(|f| (if kept { f.typed } else { f.edited }).then(|| f.value().to_string()))
                .collect(),
            focus: self.focus,
            as_of,
            record: self.record.as_ref().map(|(r, _)| r.id()),
            kept,
        }
    }
}

/// What goes to the user's next session when this one ends: every draft kept with `Esc`,
/// then, when `with_open_form` (the session did not end by `q`), the form half-typed.
pub fn drafts_to_keep(app: &App, with_open_form: bool) -> Vec<Draft> {
    let mut drafts: Vec<Draft> = app.drafts.0.values().cloned().collect();
    if with_open_form && let Some(open) = open_draft(app) {
        drafts.push(open);
    }
    drafts
}

/// The drafts the user's last sessions kept, as a session starts: the last form half-typed
/// (not one on a timeline's record) opens again, and every other one comes back with the
/// same form on its customers; the status line names them. (Only the last session's form
/// came back, and drafts kept with `Esc` did not outlive their session.)
pub fn bring_back(app: &mut App, drafts: Vec<Draft>) -> Vec<Effect> {
    let last_open = drafts
        .iter()
        .rposition(|d| !d.kept && d.record.is_none() && !d.cids.is_empty());
    let mut reopened = None;
    let mut others = Vec::new();
    for (i, draft) in drafts.into_iter().enumerate() {
        if Some(i) == last_open {
            reopened = Some(draft);
            continue;
        }
        let mut cids = draft.cids.clone();
        cids.sort_unstable();
        others.push(format!("{} on {}", draft.kind.title(), draft.target));
        app.drafts.0.insert((draft.kind, cids, draft.record), draft);
    }
    let effects = match reopened {
        Some(draft) => reopen(app, draft),
        None => Vec::new(),
    };
    if !others.is_empty() {
        let more = if effects.is_empty() { "" } else { " more" };
        let n = others.len();
        let (s, each) = if n == 1 { ("", "") } else { ("s", " on each") };
        let shown = if n > 3 {
            format!("{} and {} more", others[..3].join(", "), n - 3)
        } else {
            others.join(", ")
        };
        app.say(format!(
            "{n}{more} draft{s} kept: {shown}: the same form{each} brings it back."
        ));
    }
    effects
}

/// Opens a draft kept from the user's last session: the form of its kind on its customers,
/// with what was typed, and asks the worker for its defaults again.
pub fn reopen(app: &mut App, draft: Draft) -> Vec<Effect> {
    let Some(&first) = draft.cids.first() else {
        return Vec::new();
    };
    let mut fields = fields(draft.kind, &app.action_settings, &app.files);
    for (field, text) in fields.iter_mut().zip(&draft.fields) {
        if let Some(text) = text {
            field.set(text);
        }
    }
    let focus = draft.focus.min(fields.len().saturating_sub(1));
    if draft.marked {
        // The customers were the marked ones: marked again, as they were.
        app.marks.extend(draft.cids.iter().copied());
    }
    let mut form = editing(
        app,
        draft.kind,
        (draft.cids, draft.target, draft.marked),
        fields,
        focus,
    );
    form.message = Some(Status {
        text: "Not saved when your last session ended: here it is again.".into(),
        error: false,
    });
    let data_seq = form.data_seq;
    app.form = Some(form);
    app.mode = Mode::Form;
    app.status = None;
    vec![Effect::Request(Request::FormData {
        seq: data_seq,
        as_of: app.as_of,
        cid: first,
        kind: draft.kind,
    })]
}

/// The worker's answer to the form's [`Request::FormData`]: the defaults go into the fields
/// not typed into yet.
pub fn form_data(app: &mut App, seq: u64, data: Result<Box<FormData>, String>) -> Vec<Effect> {
    let void = how_to_void(app);
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
    let resolved = resolved_meanwhile(form, &data);
    let keep_documents = paid_meanwhile(form, &data);
    let cur = data.customer.currency.clone();
    for field in &mut form.fields {
        match (field.id, data.defaults.as_ref()) {
            // Documents paid meanwhile stay named, and the amount that went with them.
            (FieldId::Amount | FieldId::Documents, _) if keep_documents => field.edited = true,
            // What can still be promised (none: empty, a default proposed before goes).
            (FieldId::Amount, Some(d)) if form.kind == FormKind::Promise => {
                let amount = d.proposed_promise();
                field.set_default(&if amount > Decimal::ZERO {
                    money::plain(amount, &cur)
                } else {
                    String::new()
                });
            }
            (FieldId::Documents, Some(d)) => {
                field.set_default(&d.proposal(&d.proposed_documents().collect::<Vec<_>>()));
            }
            (FieldId::Issue, _) => {
                field.choices = data.open_issues.iter().map(|i| i.id.to_string()).collect();
                if let Some(r) = &resolved {
                    // It stays on the issue it was on (not moved to another open one), and
                    // says why it cannot be saved, until the collector changes it.
                    let why = r.sentence("a moment ago");
                    field.edited = true;
                    field.refused = Some(why.clone());
                    form.message = Some(Status {
                        text: format!(
                            "{why}, so this form cannot be saved: Esc closes it (what you typed \
                             can be kept as a draft)."
                        ),
                        error: true,
                    });
                } else if let Some(newest) = data.open_issues.first() {
                    field.set_default(&newest.id.to_string());
                }
            }
            (FieldId::Owner, _) => field.choices = data.owners.clone(),
            // The first customer's contacts are not the other marked customers'.
            (FieldId::Contact, _) if form.cids.len() == 1 => {
                field.choices = data.contacts.clone();
            }
            _ => {}
        }
    }
    // Nothing to resolve when it opens: said at once. Once open, it stays (a refresh that
    // finds its issue resolved elsewhere keeps what was typed, saying so above).
    if form.kind == FormKind::Resolve && data.open_issues.is_empty() && form.data.is_none() {
        let name = data.customer.name.clone();
        app.form = None;
        app.mode = Mode::Normal;
        app.say_error(format!("{name} has no open dispute to resolve."));
        return Vec::new();
    }
    if form.kind == FormKind::Promise {
        nothing_left_to_promise(form, &data, &void);
    }
    form.data = Some(data);
    // A dispute's amount typed before the defaults came: its documents follow it.
    form.follow_amount();
    Vec::new()
}

/// How the collector voids a promise, by the keys of this keymap: Tab in the detail, then v
/// on the promise (`owed void-promise N` when a key is unbound).
fn how_to_void(app: &App) -> String {
    let key = |context, action| {
        app.keymap
            .first(context, action)
            .map(|b| b.keys_named(app.ascii))
    };
    match (
        key(KeyContext::Detail, Action::FocusTimeline),
        key(KeyContext::Timeline, Action::Void),
    ) {
        (Some(timeline), Some(void)) => {
            format!("in the detail, {timeline} then {void} on one that no longer stands voids it")
        }
        _ => "`owed void-promise N` voids one that no longer stands".to_string(),
    }
}

/// A promise form whose customer's open promises already come to all it has open (nothing
/// more can be promised: the save would refuse any amount) says so as it opens, and how to
/// void one, in place of proposing an amount; the message goes when a refresh finds room
/// again (a promise voided or kept meanwhile). A refusal said already stays.
fn nothing_left_to_promise(form: &mut ActionForm, data: &FormData, void: &str) {
    let why = data
        .defaults
        .as_ref()
        .and_then(|d| d.nothing_left_to_promise(&data.customer.name, void));
    let ours = |m: &Status| m.error && m.text.ends_with(&format!("{void}."));
    match why {
        Some(why) if form.message.as_ref().is_none_or(|m| !m.error || ours(m)) => {
            form.message = Some(Status {
                text: why,
                error: true,
            });
        }
        None if form.message.as_ref().is_some_and(ours) => form.message = None,
        _ => {}
    }
}

/// The issue the resolve form is on when it was open at the form's last data and is
/// resolved in `data` (another collector resolved it meanwhile): who resolved it and how.
fn resolved_meanwhile(form: &ActionForm, data: &FormData) -> Option<ResolvedIssue> {
    if form.kind != FormKind::Resolve {
        return None;
    }
    let before = form.data.as_ref()?;
    let id: i64 = form.field(FieldId::Issue)?.value().trim().parse().ok()?;
    if !before.open_issues.iter().any(|i| i.id == id) {
        return None;
    }
    data.resolved_issues.iter().find(|r| r.id == id).cloned()
}

/// Notes the documents the form names that were open at its last data and are not in
/// `data` (paid, or credited, meanwhile) in [`ActionForm::paid_since`]; whether it names one
/// of those. They stay named, so that the field says they are paid and the save is refused,
/// rather than the defaults that follow dropping them (a promise on them became the
/// customer's as a whole, kept at once by the payment that paid them).
fn paid_meanwhile(form: &mut ActionForm, data: &FormData) -> bool {
    let named = documents(&form.value(FieldId::Documents));
    if let (Some(before), Some(now)) = (
        form.data.as_ref().and_then(|d| d.defaults.as_ref()),
        data.defaults.as_ref(),
    ) {
        for name in &named {
            if before.find(name).is_some()
                && now.find(name).is_none()
                && !form.paid_since.contains(name)
            {
                form.paid_since.push(name.clone());
            }
        }
    }
    named.iter().any(|n| form.paid_since.contains(n))
}

/// The detail of customer `cid` was answered again while its form is open (another
/// session's save, an import): the form asks for its data again, so that its heading and
/// hints say what the detail beside it says. What was typed stays; the defaults of the
/// fields not typed into follow.
pub fn refresh_data(app: &mut App, cid: i64) -> Vec<Effect> {
    let open = app
        .form
        .as_ref()
        .is_some_and(|f| f.state == FormState::Editing && f.cids.first() == Some(&cid));
    if !open {
        return Vec::new();
    }
    let seq = app.next_seq();
    let as_of = app.as_of;
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    form.data_seq = seq;
    vec![Effect::Request(Request::FormData {
        seq,
        as_of,
        cid,
        kind: form.kind,
    })]
}

/// The data changed (a save, another program's commit): an open form asks for its own
/// customer's data again, whoever is under the cursor now (the customer may have left the
/// tab, and the detail beside it moved on to another).
pub fn data_changed(app: &mut App) -> Vec<Effect> {
    match app.form.as_ref().and_then(|f| f.cids.first().copied()) {
        Some(cid) => refresh_data(app, cid),
        None => Vec::new(),
    }
}

/// Shows the form just put in `app.form` (with the draft kept of it, if any) and asks the
/// worker for its data about customer `cid` (request `data_seq`).
fn shown(app: &mut App, cid: i64, kind: FormKind, data_seq: u64) -> Vec<Effect> {
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
