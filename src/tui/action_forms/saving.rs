//! Saving a form: Enter checks every field and asks to confirm for several customers, the
//! job goes to the worker, and its answer closes the form or puts a refusal under its field.

use super::{ActionForm, FormState};
use crate::tui::app::{App, Mode, Screen, Status};
use crate::tui::field::FieldId;
use crate::tui::update;
use crate::tui::update::Effect;
use crate::workstation::Request;
use crate::workstation::save::{SaveJob, SaveOutcome};

impl ActionForm {
    /// Puts a refusal from the worker under the field it is about (else on the form).
    fn refuse(&mut self, error: &str) {
        let e = error.to_lowercase();
        let id = [
            // Writing off refused by the user's role: the outcome asked for it.
            ("write amounts off", FieldId::Outcome),
            // An amount more than a promise or a dispute may be of (the sentence then names
            // its documents too).
            ("the promise of", FieldId::Amount),
            ("the dispute of", FieldId::Amount),
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

/// Enter: checks every field, asks to confirm for several customers, then saves.
pub(super) fn submit(app: &mut App) -> Vec<Effect> {
    let (as_of, today) = (app.as_of, app.session.today);
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    form.strict = true;
    if let Some((i, e)) = form.first_error(as_of, today) {
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
pub(super) fn save(app: &mut App) -> Vec<Effect> {
    let seq = app.next_seq();
    let as_of = app.as_of;
    // On the selected customer alone, from the queue: whom the cursor moves on to after.
    let alone = app
        .form
        .as_ref()
        .filter(|f| !f.marked)
        .map(|f| f.cids.first().copied());
    app.advance_to = match alone {
        Some(first) if app.screen != Screen::Detail && app.selected().map(|r| r.cid) == first => {
            app.row(app.cursor + 1).map(|r| r.cid)
        }
        _ => None,
    };
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

/// The form whose job `seq` is being saved (an answer for another is old news).
fn saving_form(app: &mut App, seq: u64) -> Option<&mut ActionForm> {
    app.form
        .as_mut()
        .filter(|f| f.state == FormState::Saving { seq })
}

/// The worker is part way through the form's job: how far, or that it waits for another
/// program's write lock.
pub fn saving(app: &mut App, seq: u64, written: usize, of: usize, waiting: bool) -> Vec<Effect> {
    let Some(form) = saving_form(app, seq) else {
        return Vec::new();
    };
    let text = match (waiting, of > 1) {
        (true, _) => "Saving… waiting for the database: another program is writing to it (an \
                      import?); this is saved when it is done"
            .to_string(),
        (false, true) => format!("Saving… {written} of {of} customers"),
        (false, false) => "Saving…".to_string(),
    };
    // A key typed meanwhile waits: the form goes on saying so as the save goes on.
    let text = if form
        .message
        .as_ref()
        .is_some_and(|m| m.text.ends_with(STILL_SAVING))
    {
        text + STILL_SAVING
    } else {
        text
    };
    form.message = Some(Status { text, error: false });
    Vec::new()
}

/// What a form being saved adds to its message when a key is typed: the key waits for the
/// save, and runs once it is done (`App::typeahead`).
const STILL_SAVING: &str = " · still saving; what you type waits for it";

/// A key typed while the form is being saved: its message says the key waits (once).
pub fn still_saving(form: &mut ActionForm) {
    let mut text = form
        .message
        .take()
        .map_or_else(|| "Saving…".to_string(), |m| m.text);
    if !text.ends_with(STILL_SAVING) {
        text.push_str(STILL_SAVING);
    }
    form.message = Some(Status { text, error: false });
}

/// The worker saved (or refused) the form's job.
pub fn saved(app: &mut App, seq: u64, outcome: SaveOutcome) -> Vec<Effect> {
    let Some(form) = saving_form(app, seq) else {
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
    // A record dated today while the screen shows an earlier date is not in that date's
    // timeline, and one counted from that date is back-dated to it: said first, so that a
    // narrow status line keeps it.
    let dated = outcome
        .recorded
        .first()
        .and_then(|r| match (r.after_as_of, r.back_dated) {
            (Some(as_of), _) => Some(format!(" (dated today, not as of {as_of})")),
            (None, Some(as_of)) => Some(format!(
                " ({})",
                crate::domain::action_checks::back_dated(as_of)
            )),
            (None, None) => None,
        })
        .unwrap_or_default();
    let mut text = match n {
        0 => "nothing to save".to_string(),
        1 => format!("saved{dated}: {first}"),
        n => format!("saved for {n} customers{dated}: {first} …"),
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
    // The refreshed page came first, the cursor still on the customer saved on if it is in
    // the tab (wherever the save moved it), else on the row that took its place: move on to
    // the customer that was after it, or else the next row. Either way the footer names who
    // is under the cursor now when it is someone else.
    let mut fx = Vec::new();
    let after = app.advance_to.take();
    if app.action_settings.advance_after_action && first_cid.is_some() {
        let at = after.and_then(|cid| app.page.rows.iter().position(|r| r.cid == cid));
        if let Some(i) = at {
            fx = update::select_row(app, app.page.offset + i as u64);
        } else if app.selected().map(|r| r.cid) == first_cid {
            fx = update::move_cursor(app, 1);
        }
    }
    if let Some(row) = app.selected().filter(|r| Some(r.cid) != first_cid) {
        let next = format!(" · next: {} ({})", row.name, row.id);
        if let Some(status) = app.status.as_mut() {
            status.text.push_str(&next);
        }
    }
    fx
}
