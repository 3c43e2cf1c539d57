//! The collector-action form, drawn over the screen: a title naming the action and the
//! customer, a line about the customer, each field with what its text means (or why it is
//! wrong) under it, and the form's message. The keys are in the footer, as everywhere.

use super::text;
use crate::domain::money;
use crate::tui::action_forms::{ActionForm, Check, FormState};
use crate::tui::app::App;
use crate::tui::field::{Field, FieldId};
use crate::tui::theme::Role;
use crate::workstation::save::FormKind;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};

/// Columns of the labels at the least: the marker, the label and a space.
const LABEL: u16 = 12;

/// Columns of `form`'s labels: its longest label whole ("What was said"), with the marker
/// before it and a space after.
fn label_width(form: &ActionForm) -> u16 {
    let longest = form
        .fields
        .iter()
        .map(|f| text::width(f.label))
        .max()
        .unwrap_or(0);
    LABEL.max(u16::try_from(longest + 3).unwrap_or(u16::MAX))
}

/// The most lines a field's error wraps into under it.
const NOTE_LINES: usize = 4;

/// A field's note under it (its error, or what its value means) wrapped to `width`: an error
/// reads whole (up to [`NOTE_LINES`] lines: `the follow-up date … is not a date (use
/// YYYY-MM-DD…` was cut at the popup's width), a hint is one line, cut.
fn note_lines(note: &str, error: bool, width: usize) -> Vec<String> {
    if !error {
        return vec![text::truncate(note, width)];
    }
    let mut lines = text::wrap_lines(note, width);
    if lines.len() > NOTE_LINES {
        lines.truncate(NOTE_LINES);
        if let Some(last) = lines.last_mut() {
            *last = format!("{}…", text::truncate(last, width.saturating_sub(1)));
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// The popup's rectangle on a screen (the footer stays visible below it), for fields whose
/// notes take `notes` lines in all.
pub fn popup_area(screen: Rect, form: &ActionForm, notes: u16) -> Rect {
    let width = screen.width.saturating_sub(4).min(78);
    // Borders, what the form is about and a blank line, a line a field and its note's lines,
    // a blank line and the message (as many lines as it wraps into: why a save was refused
    // reads whole).
    let message = message_lines(form, text_width(width)).len().max(1) as u16;
    let wanted = 2 + 2 + form.fields.len() as u16 + notes + 1 + message;
    let height = wanted.min(screen.height.saturating_sub(2));
    Rect::new(
        screen.x + (screen.width - width) / 2,
        screen.y + (screen.height.saturating_sub(1) - height) / 2,
        width,
        height,
    )
}

/// Columns for text inside a popup `width` wide: its borders and a blank column each side.
fn text_width(width: u16) -> usize {
    usize::from(width.saturating_sub(4))
}

/// The form's message (a save refused, or done) wrapped to `width`; none without one.
fn message_lines(form: &ActionForm, width: usize) -> Vec<String> {
    form.message
        .as_ref()
        .map(|m| text::wrap_lines(&m.text, width))
        .unwrap_or_default()
}

/// Draws the form; returns where the terminal's cursor goes (in the field being typed in).
pub fn render(app: &App, screen: Rect, buf: &mut Buffer) -> Option<Position> {
    let form = app.form.as_ref()?;
    let value_w = {
        let width = screen.width.saturating_sub(4).min(78);
        text_width(width).saturating_sub(usize::from(label_width(form)))
    };
    let notes: Vec<(Vec<String>, ratatui::style::Style)> = form
        .fields
        .iter()
        .map(|field| {
            let (note, error) = field_note(app, form, field);
            let style = if error {
                app.theme.get(Role::Error)
            } else {
                app.theme.get(Role::Muted)
            };
            (note_lines(&note, error, value_w), style)
        })
        .collect();
    let note_count: usize = notes.iter().map(|(lines, _)| lines.len()).sum();
    let area = popup_area(screen, form, u16::try_from(note_count).unwrap_or(u16::MAX));
    clear_wide_edge(area, buf);
    let title = format!(" {} · {} ", form.kind.title(), form.target);
    let room = usize::from(area.width.saturating_sub(2));
    let inner = super::popup_frame(app, area, buf, text::truncate(&title, room));
    let inner = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(2),
        inner.height,
    );
    let width = usize::from(inner.width);
    let muted = app.theme.get(Role::Muted);
    let bottom = inner.bottom();
    let mut y = inner.y;
    let mut line = |y: &mut u16, s: &str, style| {
        if *y < bottom {
            text::put_n(buf, inner.x, *y, text::truncate(s, width), width, style);
        }
        *y += 1;
    };
    line(&mut y, &about(form), muted);
    y += 1;
    let mut cursor = None;
    let label_w = label_width(form);
    let value_x = inner.x + label_w;
    let value_w = usize::from(inner.width.saturating_sub(label_w));
    for (i, (field, (note, note_style))) in form.fields.iter().zip(&notes).enumerate() {
        if y >= bottom {
            break;
        }
        let focused = i == form.focus && form.state == FormState::Editing;
        let (marker, label_style) = if focused {
            ("›", app.theme.get(Role::Heading))
        } else {
            (" ", app.theme.get(Role::MetricLabel))
        };
        text::put_n(
            buf,
            inner.x,
            y,
            format!("{marker} {}", field.label),
            usize::from(label_w),
            label_style,
        );
        let (shown, col) = visible(field, value_w);
        let style = if focused {
            app.theme.get(Role::Input)
        } else {
            ratatui::style::Style::default()
        };
        if focused {
            buf.set_style(Rect::new(value_x, y, value_w as u16, 1), style);
            cursor = Some(Position::new(value_x + col as u16, y));
        }
        text::put_n(buf, value_x, y, &shown, value_w, style);
        y += 1;
        if y >= bottom {
            break;
        }
        for l in note {
            if y >= bottom {
                break;
            }
            text::put_n(buf, value_x, y, l, value_w, *note_style);
            y += 1;
        }
    }
    y += 1;
    if let Some(message) = &form.message {
        let style = if message.error {
            app.theme.get(Role::Error)
        } else {
            app.theme.get(Role::Heading)
        };
        // At the popup's foot, whatever the room: as many of its lines as fit, the last
        // shown ending in "…" when the terminal is too short for all of them.
        let lines = message_lines(form, width);
        let room = usize::from(bottom.saturating_sub(y)).max(1);
        let shown = lines.len().min(room);
        let top = bottom.saturating_sub(shown as u16).max(inner.y);
        for (i, l) in lines.iter().take(shown).enumerate() {
            let l = if i + 1 == shown && shown < lines.len() {
                format!("{l}…")
            } else {
                l.clone()
            };
            let y = top + i as u16;
            text::put_n(buf, inner.x, y, text::truncate(&l, width), width, style);
        }
    }
    cursor
}

/// A wide character (CJK, emoji) just left of the popup would spill into its border, and the
/// terminal would draw it over the border: it becomes a space.
fn clear_wide_edge(area: Rect, buf: &mut Buffer) {
    let Some(x) = area.x.checked_sub(1) else {
        return;
    };
    for y in area.top()..area.bottom() {
        if let Some(cell) = buf.cell_mut((x, y))
            && text::width(cell.symbol()) > 1
        {
            cell.set_symbol(" ");
        }
    }
}

/// The line about the customer under the title.
fn about(form: &ActionForm) -> String {
    let Some(data) = form.data.as_ref() else {
        return "Loading…".into();
    };
    let c = &data.customer;
    let cur = c.currency.as_str();
    if form.cids.len() > 1 {
        return format!(
            "{} customers, starting with {} ({})",
            form.cids.len(),
            c.name,
            c.id
        );
    }
    if let Some((record, text)) = &form.record {
        // The entry of the timeline it acts on: `follow-up 3 · 2026-04-27 · for 2026-04-29 —
        // Call back about the PO number`.
        return format!("{} {} · {text}", record.noun(), record.id());
    }
    match form.kind {
        FormKind::Promise | FormKind::Dispute => match data.defaults.as_ref() {
            Some(d) if d.overdue > crate::domain::Decimal::ZERO => {
                let n = d.overdue_documents().count();
                let s = if n == 1 { "" } else { "s" };
                let disputed = match d.overdue_disputed() {
                    0 => String::new(),
                    k => format!(" ({} in dispute)", money::grouped_count(k as u64)),
                };
                let count = |k: usize| money::grouped_count(k as u64);
                format!(
                    "Overdue {} {cur} in {} document{s}{disputed}; {} open document{}",
                    money::grouped(d.overdue, cur),
                    count(n),
                    count(d.documents.len()),
                    if d.documents.len() == 1 { "" } else { "s" }
                )
            }
            Some(d) => format!(
                "Nothing overdue; {} open document{}",
                money::grouped_count(d.documents.len() as u64),
                if d.documents.len() == 1 { "" } else { "s" }
            ),
            None => String::new(),
        },
        FormKind::Resolve => {
            let n = data.open_issues.len();
            format!("{n} open dispute{}", if n == 1 { "" } else { "s" })
        }
        FormKind::Attach => match &form.files {
            crate::workstation::FileAccess::Within { .. } => {
                "Your folder of the server's files folder (../ the team's folders); Tab \
                 completes a path"
                    .to_string()
            }
            _ => "Files on this machine; Tab completes a path".to_string(),
        },
        FormKind::Assign => format!(
            "Finance owner {} · sales owner {}",
            c.finance_owner.as_deref().unwrap_or("none"),
            c.sales_owner.as_deref().unwrap_or("none")
        ),
        FormKind::Note
        | FormKind::FollowUp
        | FormKind::FollowUpDone
        | FormKind::VoidPromise
        | FormKind::Reopen
        | FormKind::Call => {
            let mut parts = vec![c.id.clone()];
            parts.extend(c.email.clone());
            parts.extend(c.phone.clone());
            parts.join(" · ")
        }
    }
}

/// What the line under a field says, with the editor's key for text that may run long.
/// What is said under `field`, and whether it is an error: why it was refused, that it is
/// full, else what its value means as of the date shown (on the real today).
fn field_note(app: &App, form: &ActionForm, field: &Field) -> (String, bool) {
    match field.refused.as_ref() {
        Some(e) => (e.clone(), true),
        None if field.full => (crate::tui::field::field_full(), true),
        None => match form.check(field, (app.as_of, app.session.today), form.strict) {
            Check::Err(e) => (e, true),
            Check::Ok(s) | Check::Hint(s) => (hint(app, field, s), false),
        },
    }
}

fn hint(app: &App, field: &Field, hint: String) -> String {
    use crate::tui::key_action::Action;
    use crate::tui::keymap::KeyContext;
    if field.id != FieldId::Text || !app.has_terminal_for(Action::EditExternal) {
        return hint;
    }
    match app.keymap.first(KeyContext::Form, Action::EditExternal) {
        Some(b) if hint.is_empty() => format!("{} writes it in $EDITOR", b.keys_named(app.ascii)),
        Some(b) => format!("{hint} · {} writes it in $EDITOR", b.keys_named(app.ascii)),
        None => hint,
    }
}

/// The part of a field's text that fits in `width` columns around the cursor (line breaks
/// shown as `↵`; a `…` first where the text runs on to the left), and the cursor's column
/// in it.
fn visible(field: &Field, width: usize) -> (String, usize) {
    let cursor = field.input.cursor();
    let chars: Vec<String> = field
        .value()
        .chars()
        .map(|c| match c {
            '\n' => "↵".to_string(),
            '\t' | '\r' => " ".to_string(),
            c => c.to_string(),
        })
        .collect();
    let widths: Vec<usize> = chars.iter().map(|c| text::width(c)).collect();
    let col: usize = widths.iter().take(cursor).sum();
    let room = width.saturating_sub(1).max(1);
    if col <= room {
        return (text::truncate(&chars.concat(), width), col);
    }
    // Skip whole characters from the left until the cursor fits after the `…`.
    let room = room.saturating_sub(1).max(1);
    let mut skip = 0;
    let mut skipped = 0;
    while col - skipped > room && skip < chars.len() {
        skipped += widths[skip];
        skip += 1;
    }
    let shown = format!("…{}", chars[skip..].concat());
    (text::truncate(&shown, width), col - skipped + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::field::FieldId;

    fn field(text: &str) -> Field {
        let mut f = Field::new(FieldId::Documents, "Documents");
        f.set(text);
        f
    }

    #[test]
    fn a_field_that_fits_shows_whole_with_the_cursor_after_its_text() {
        assert_eq!(visible(&field("A1, A2"), 20), ("A1, A2".to_string(), 6));
    }

    #[test]
    fn a_field_longer_than_its_width_says_it_runs_on_to_the_left() {
        let text = "A2026-0001617, A2026-0001627, A2026-0001629";
        let (shown, col) = visible(&field(text), 20);
        assert_eq!(shown, "…627, A2026-0001629");
        // The cursor sits after the last character, in the field's last column.
        assert_eq!(col, 19);
        // Moved back to the start, the text shows from its first character again.
        let mut f = field(text);
        f.input = f.input.with_cursor(0);
        let (shown, col) = visible(&f, 20);
        assert!(shown.starts_with("A2026-0001617"), "{shown}");
        assert_eq!(col, 0);
    }
}
