//! The `?` help popup, generated from the keymap (so it never disagrees with the keys), with
//! the queue's flags (from the table beside the row's flags), the filter language (from the
//! table beside its parser) and the commands (from the table the command line reads).

use super::text;
use crate::tui::app::App;
use crate::tui::key_action::Action;
use crate::tui::keymap::KeyContext;
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Columns of the key (or term, or command) column, its two-space indent included.
const KEY_COLUMNS: usize = 22;

/// The help text, `width` columns wide: each description wraps under itself.
pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let heading = app.theme.get(Role::Heading);
    let key = app.theme.get(Role::FooterKey);
    let mut out = Vec::new();
    // The keys of the screen help was opened on first, then every other context.
    let contexts = std::iter::once(app.help_from)
        .chain(KeyContext::ALL.into_iter().filter(|c| *c != app.help_from));
    for context in contexts {
        // A screen the user's role cannot open has no keys to learn.
        if context == KeyContext::Team && !app.role_allows(KeyContext::Queue, Action::Team) {
            continue;
        }
        // One line per action, with every key bound to it.
        let mut rows: Vec<(Vec<String>, String)> = Vec::new();
        for b in app.keymap.bindings(context) {
            // As the footer: only what this terminal and this user's role can do.
            if !app.has_terminal_for(b.action) || !app.role_allows(context, b.action) {
                continue;
            }
            match rows.iter_mut().find(|(_, desc)| *desc == b.desc) {
                Some((keys, _)) => keys.push(b.keys_named(app.ascii)),
                None => rows.push((vec![b.keys_named(app.ascii)], b.desc.clone())),
            }
        }
        if rows.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::styled(context.title().to_string(), heading));
        for (keys, desc) in rows {
            entry(&keys.join(", "), &desc, key, width, &mut out);
        }
    }
    // From the table beside the queue's flags: what each letter of the Flag column says.
    out.push(Line::default());
    out.push(Line::styled("Queue flags", heading));
    for (flag, role, desc) in super::queue::FLAGS {
        entry(flag, desc, app.theme.get(*role), width, &mut out);
    }
    out.push(Line::default());
    out.push(Line::styled("Filter (/)", heading));
    // From the table beside the filter's parser: every kind of term.
    for (term, desc) in crate::domain::queue::FILTER_TERMS {
        entry(term, desc, Style::default(), width, &mut out);
    }
    for l in text::wrap(
        "Terms combine: acme overdue>5000 owner:alice",
        width.saturating_sub(2),
    ) {
        out.push(Line::raw(format!("  {l}")));
    }
    // From the table the command line reads: every command, every value.
    out.push(Line::default());
    out.push(Line::styled("Commands (:)", heading));
    // Over SSH there is no shell to give the terminal back to: no `:suspend`, as no `Ctrl-Z`.
    // Nor the commands the user's role may not run.
    let shown = |c| {
        use crate::tui::commands::Command;
        use crate::tui::key_action::Action;
        match c {
            Command::Suspend => app.has_terminal_for(Action::Suspend),
            Command::Hold => app.role_allows(KeyContext::Queue, Action::Hold),
            Command::Remind => app.role_allows(KeyContext::Queue, Action::Remind),
            Command::Team => app.role_allows(KeyContext::Queue, Action::Team),
            _ => true,
        }
    };
    for (call, desc) in crate::tui::commands::help_rows(shown) {
        entry(&call, &desc, Style::default(), width, &mut out);
    }
    out
}

/// One entry: `name` in the key column (alone on its line when too long for it), `desc`
/// beside it, wrapped to `width` under its first line.
fn entry(name: &str, desc: &str, style: Style, width: usize, out: &mut Vec<Line<'static>>) {
    let name = format!("  {name}");
    let room = width.saturating_sub(KEY_COLUMNS + 1).max(10);
    let mut desc = text::wrap(desc, room).into_iter();
    if text::width(&name) > KEY_COLUMNS {
        out.push(Line::styled(name, style));
    } else {
        out.push(Line::from(vec![
            Span::styled(text::fit(&name, KEY_COLUMNS), style),
            Span::raw(" "),
            Span::raw(desc.next().unwrap_or_default()),
        ]));
    }
    for more in desc {
        out.push(Line::raw(format!("{:1$}{more}", "", KEY_COLUMNS + 1)));
    }
}

/// Columns of text the popup has on a screen: inside its borders, a column clear on each
/// side.
pub fn text_width(screen: Rect) -> usize {
    usize::from(popup_area(screen).width.saturating_sub(4))
}

/// The popup's rectangle on a screen.
pub fn popup_area(screen: Rect) -> Rect {
    let width = screen.width.saturating_sub(4).min(88);
    let height = screen.height.saturating_sub(2);
    Rect::new(
        screen.x + (screen.width - width) / 2,
        screen.y + (screen.height - height) / 2,
        width,
        height,
    )
}

/// Lines of help that fit at once on a screen.
pub fn rows(screen: Rect) -> u16 {
    popup_area(screen).height.saturating_sub(2)
}

/// Draws the popup over the screen.
pub fn render(app: &App, screen: Rect, buf: &mut Buffer) {
    let area = popup_area(screen);
    let lines = lines(app, text_width(screen));
    let inner_h = area.height.saturating_sub(2);
    let max_scroll = (lines.len() as u16).saturating_sub(inner_h);
    let scroll = app.help_scroll.min(max_scroll);
    let inner = super::popup_frame(app, area, buf, " Keys · Esc closes ".into());
    let rows = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    );
    text::put_lines(buf, rows, &lines, usize::from(scroll));
}
