//! The keys of an open form: confirming, closing with or without a draft, moving between
//! fields, completing, typing, and writing the text in `$EDITOR`.

use super::saving::{save, submit};
use super::{ActionForm, FormState};
use crate::tui::app::{App, Mode, Status};
use crate::tui::field::FieldId;
use crate::tui::key_action::Action;
use crate::tui::keymap::{Key, KeyContext, Resolved};
use crate::tui::update::Effect;
use crossterm::event::{KeyCode, KeyEvent};

/// Whether a key typed into the open form waits for the worker's answer: every key while the
/// form is being saved (the next form typed at once would be dropped), and `Enter` before the
/// form's defaults came (it would refuse the form for the amount that is on its way).
pub fn waits(app: &App, event: &KeyEvent) -> bool {
    let Some(form) = app.form.as_ref() else {
        return false;
    };
    match form.state {
        FormState::Saving { .. } => true,
        FormState::Editing if form.data.is_none() => matches!(
            app.keymap
                .resolve(KeyContext::Form, &[Key::from_event(event)]),
            Resolved::Run(Action::Submit)
        ),
        _ => false,
    }
}

/// Whether the open form is being saved.
pub fn saving_now(app: &App) -> bool {
    app.form
        .as_ref()
        .is_some_and(|f| matches!(f.state, FormState::Saving { .. }))
}

/// The worker met an error (`Response::Error`) while the open form's defaults were on their
/// way: they will not come, and the form goes, as when they fail.
pub fn defaults_failed(app: &mut App) {
    if app
        .form
        .as_ref()
        .is_some_and(|f| f.data.is_none() && f.state == FormState::Editing)
    {
        app.form = None;
        app.mode = Mode::Normal;
    }
}

/// A key while a form is open: the form's keys (Enter, Esc, Tab …) from the keymap, else
/// typing into the field with the cursor.
pub fn key(app: &mut App, event: KeyEvent) -> Vec<Effect> {
    let key = Key::from_event(&event);
    let action = match app.keymap.resolve(KeyContext::Form, &[key]) {
        Resolved::Run(a) => Some(a),
        _ => None,
    };
    // A follow-up is dated when written: proposed from the real today, not the date shown.
    let today = app.session.today;
    let as_of = app.as_of;
    let Some(form) = app.form.as_mut() else {
        app.mode = Mode::Normal;
        return Vec::new();
    };
    match form.state {
        FormState::Saving { .. } => {
            // The key is not typed (the form is on its way): the form says so rather than
            // letting it vanish.
            super::saving::still_saving(form);
            return Vec::new();
        }
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
                    let draft = form.draft(as_of, true);
                    app.drafts.0.insert(key, draft);
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
                changed(form, today);
            }
            Vec::new()
        }
    }
}

/// Text pasted while a form is open: into the field with the cursor, in one go. A pasted line
/// break is no Enter, and a pasted `y` or `x` answers no question (while the form asks one,
/// or saves, a paste is dropped: the question stays on the screen; a form being saved says
/// to wait).
pub fn paste(app: &mut App, text: &str) -> Vec<Effect> {
    // A follow-up is dated when written: proposed from the real today, not the date shown.
    let today = app.session.today;
    let Some(form) = app.form.as_mut() else {
        return Vec::new();
    };
    if matches!(form.state, FormState::Saving { .. }) {
        super::saving::still_saving(form);
        return Vec::new();
    }
    let focus = form.focus;
    if form.state == FormState::Editing
        && let Some(field) = form.fields.get_mut(focus)
        && field.paste(text)
    {
        changed(form, today);
    }
    Vec::new()
}

/// The field with the cursor changed: the choices of a files field follow it, and so do the
/// follow-up proposed and the amount that goes with the documents.
fn changed(form: &mut ActionForm, today: crate::domain::Date) {
    form.message = None;
    if let Some(field) = form.fields.get_mut(form.focus)
        && field.id == FieldId::Files
    {
        field.choices = form.files.choices(field.value());
    }
    form.propose_followup(today);
    form.follow_amount();
}

/// An action of the form's keymap section.
pub fn form_action(app: &mut App, action: Action) -> Vec<Effect> {
    // A follow-up is dated when written: proposed from the real today, not the date shown.
    let today = app.session.today;
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
                    field.choices = form.files.choices(&value);
                    field.set(&value);
                }
                form.propose_followup(today);
            }
        }
        Action::CompleteBack => {
            let focus = form.focus;
            let field = &mut form.fields[focus];
            if field.choices.is_empty() {
                form.focus = (focus + n - 1) % n;
            } else {
                field.complete(false);
                form.propose_followup(today);
            }
        }
        Action::EditExternal => return edit_external(app),
        Action::Redraw => return vec![Effect::Clear],
        // The keymap's `Ctrl-Z` of a form: the form stays as it is until `fg`.
        Action::Suspend => return vec![Effect::Suspend],
        _ => {}
    }
    Vec::new()
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
