//! The footer: the keys of the current mode (from the keymap), a status message, or the text
//! field of the filter and command line.

use super::text;
use crate::tui::app::{App, Mode};
use crate::tui::key_action::Action;
use crate::tui::keymap::{Binding, KeyContext};
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;

/// The hints of a context: the first binding of each action, in keymap order, skipping plain
/// movement, redraw and suspend (every screen does them the same way; `?` lists them).
pub fn hints(app: &App, context: KeyContext) -> Vec<(String, String)> {
    let mut seen: Vec<Action> = Vec::new();
    let mut out = Vec::new();
    let movement = [
        Action::Down,
        Action::Up,
        Action::Top,
        Action::Bottom,
        Action::HalfPageDown,
        Action::HalfPageUp,
        Action::PageDown,
        Action::PageUp,
        Action::Redraw,
        Action::Suspend,
    ];
    for b in app.keymap.bindings(context) {
        if seen.contains(&b.action)
            || movement.contains(&b.action)
            || !app.offers(context, b.action)
        {
            continue;
        }
        seen.push(b.action);
        out.push((b.keys_named(app.ascii), short(b)));
    }
    out
}

/// The hints the footer shows: the context's, but a form asking its question (save for every
/// marked customer, or close) takes only that question's answers.
fn shown_hints(app: &App) -> Vec<(String, String)> {
    use crate::tui::action_forms::FormState;
    let pairs = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(k, d)| (k.to_string(), d.to_string()))
            .collect()
    };
    match app.form.as_ref().map(|f| f.state) {
        Some(FormState::Confirm) if app.mode == Mode::Form => {
            pairs(&[("Enter/y", "Save"), ("Esc/n", "Back to the form")])
        }
        Some(FormState::Closing) if app.mode == Mode::Form => pairs(&[
            ("Enter/y", "Keep a draft"),
            ("x", "Throw it away"),
            ("Esc/n", "Back to the form"),
        ]),
        _ => hints(app, app.key_context()),
    }
}

fn short(b: &Binding) -> String {
    b.desc.clone()
}

/// The most lines a status message takes.
const STATUS_LINES: u16 = 3;

/// `message` wrapped in a footer `width` columns wide, in at most `most` lines (at least one);
/// a longer message ends in `…`.
fn message_lines(message: &str, width: u16, most: u16) -> Vec<String> {
    let cols = usize::from(width.saturating_sub(2));
    let most = usize::from(most.max(1));
    let mut lines = text::wrap(message, cols);
    if lines.len() > most {
        lines.truncate(most);
        if let Some(last) = lines.last_mut() {
            *last = text::truncate(&format!("{last} …"), cols);
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// The status message standing above the text field while one is open: an error, or what
/// Tab offers on the command line, too long to stand beside what is typed.
fn above_input(app: &App, width: u16) -> Option<&str> {
    let status = app.status.as_ref()?;
    let shown = status.error || app.mode == Mode::Command;
    let field = usize::from(width.saturating_sub(2 + 1));
    (shown && text::width(&status.text) + 20 >= field).then_some(status.text.as_str())
}

/// The rows the footer takes in a terminal `width` columns wide and `height` rows high: one,
/// or as many as a long status message needs (up to [`STATUS_LINES`], and a quarter of the
/// screen), with the text field under it while one is open. The screen above gives them up
/// until the next key: a message drawn over the queue hid the row just saved and the one
/// selected after it, and took their colours.
pub fn height(app: &App, width: u16, height: u16) -> u16 {
    let most = STATUS_LINES.min(height / 4);
    let lines = |message: &str| message_lines(message, width, most).len() as u16;
    match app.mode {
        Mode::Filter | Mode::Command => above_input(app, width).map_or(1, |m| 1 + lines(m)),
        Mode::Normal | Mode::Help | Mode::Form | Mode::Attachment => {
            app.status.as_ref().map_or(1, |s| lines(&s.text))
        }
    }
}

/// Draws `message` wrapped in the rows of `area`, each row cleared first.
fn put_message(buf: &mut Buffer, area: Rect, message: &str, style: Style, fill: Style) {
    let cols = usize::from(area.width.saturating_sub(2));
    for (i, line) in message_lines(message, area.width, area.height)
        .iter()
        .take(usize::from(area.height))
        .enumerate()
    {
        let y = area.y + i as u16;
        buf.set_string(area.x, y, " ".repeat(usize::from(area.width)), fill);
        text::put_n(buf, area.x + 1, y, line, cols, style);
    }
}

/// Draws the footer; returns where the terminal cursor goes when a text field is open.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) -> Option<Position> {
    let footer = app.theme.get(Role::Footer);
    buf.set_style(area, footer);
    match app.mode {
        Mode::Filter | Mode::Command => return Some(render_input(app, area, buf)),
        Mode::Normal | Mode::Help | Mode::Form | Mode::Attachment => {}
    }
    if let Some(status) = &app.status {
        let style = if status.error {
            app.theme.get(Role::Error)
        } else {
            footer
        };
        // A message longer than the line is read whole: the footer has the rows it needs
        // (see `height`), instead of cutting it.
        put_message(buf, area, &status.text, style, footer);
        return None;
    }
    let key_style = app.theme.get(Role::FooterKey);
    let mut x = area.x + 1;
    let mut right_edge = area.right().saturating_sub(1);
    if !app.pending_keys.is_empty() {
        let typed: Vec<String> = app.pending_keys.iter().map(|k| k.name(app.ascii)).collect();
        let pending = format!("{}…", typed.join(" "));
        right_edge = right_edge.saturating_sub(text::width(&pending) as u16 + 1);
        text::put(buf, right_edge + 1, area.y, &pending, key_style);
    }
    for (i, (keys, desc)) in shown_hints(app).into_iter().enumerate() {
        let w = (text::width(&keys) + 1 + text::width(&desc)) as u16 + if i > 0 { 2 } else { 0 };
        if x + w > right_edge {
            break;
        }
        if i > 0 {
            x = text::put(buf, x, area.y, "  ", footer);
        }
        x = text::put(buf, x, area.y, &keys, key_style);
        x = text::put(buf, x, area.y, " ", footer);
        x = text::put(buf, x, area.y, &desc, footer);
    }
    None
}

fn render_input(app: &App, area: Rect, buf: &mut Buffer) -> Position {
    let prefix = if app.mode == Mode::Filter { "/" } else { ":" };
    let input_style = app.theme.get(Role::Input);
    let x0 = area.x + 1;
    // The text field is the footer's last row (a long message stands above it).
    let y = area.bottom().saturating_sub(1);
    let right = match &app.status {
        Some(s) if s.error => Some((s.text.clone(), app.theme.get(Role::Error))),
        // What Tab offers on the command line.
        Some(s) if app.mode == Mode::Command => Some((s.text.clone(), app.theme.get(Role::Muted))),
        _ => {
            let h = hints(app, KeyContext::Input);
            let text: Vec<String> = h.iter().map(|(k, d)| format!("{k} {d}")).collect();
            Some((text.join("  "), app.theme.get(Role::Muted)))
        }
    };
    let mut field_w = usize::from(area.width.saturating_sub(2 + 1));
    if let Some((text_right, style)) = &right {
        let w = text::width(text_right);
        if w + 20 < field_w {
            field_w -= w + 2;
            let x = area.right().saturating_sub(1 + w as u16);
            text::put(buf, x, y, text_right, *style);
        } else if above_input(app, area.width).is_some() && area.height > 1 {
            // Too long to stand beside what is typed: an error (or what Tab offers) stands
            // in the rows above the text field instead of going unsaid.
            let fill = app.theme.get(Role::Footer);
            let rows = Rect::new(area.x, area.y, area.width, area.height - 1);
            put_message(buf, rows, text_right, *style, fill);
        }
    }
    let scroll = app.input.visual_scroll(field_w);
    let value: String = app.input.value().chars().collect();
    let shown: String = {
        // Skip `scroll` columns of the value.
        let mut skipped = 0;
        let mut out = String::new();
        for ch in value.chars() {
            let w = text::width(&ch.to_string());
            if skipped < scroll {
                skipped += w;
                continue;
            }
            out.push(ch);
        }
        text::truncate(&out, field_w)
    };
    let x = text::put(buf, x0, y, prefix, app.theme.get(Role::FooterKey));
    text::put(buf, x, y, &shown, input_style);
    let cursor = app.input.visual_cursor().saturating_sub(scroll) as u16;
    Position::new((x + cursor).min(area.right().saturating_sub(1)), y)
}
