//! The `?` help popup, generated from the keymap (so it never disagrees with the keys), with
//! the filter language and the commands (from the table the command line reads).

use super::text;
use crate::tui::app::App;
use crate::tui::keymap::KeyContext;
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

const FILTER_HELP: &[&str] = &[
    "acme                 name or id contains acme (\"two words\" in quotes)",
    "owner:alice          finance owner (owner:none for none)",
    "currency:EUR         the customer's currency",
    "bucket:31-60         some amount in that bucket; bucket:90+ over 90 days",
    "overdue>5000         also outstanding, net, credit, collectable; 1.5k, 2m",
    "days>=60             days past due of the oldest item",
    "Terms combine: acme overdue>5000 owner:alice",
];

/// The help text.
pub fn lines(app: &App) -> Vec<Line<'static>> {
    let heading = app.theme.get(Role::Heading);
    let key = app.theme.get(Role::FooterKey);
    let mut out = Vec::new();
    // The keys of the screen help was opened on first, then every other context.
    let contexts = std::iter::once(app.help_from)
        .chain(KeyContext::ALL.into_iter().filter(|c| *c != app.help_from));
    for context in contexts {
        if !out.is_empty() {
            out.push(Line::default());
        }
        out.push(Line::styled(context.title().to_string(), heading));
        // One line per action, with every key bound to it.
        let mut rows: Vec<(Vec<String>, String)> = Vec::new();
        for b in app.keymap.bindings(context) {
            match rows.iter_mut().find(|(_, desc)| *desc == b.desc) {
                Some((keys, _)) => keys.push(b.keys_text()),
                None => rows.push((vec![b.keys_text()], b.desc.clone())),
            }
        }
        for (keys, desc) in rows {
            out.push(Line::from(vec![
                Span::styled(text::fit(&format!("  {}", keys.join(", ")), 22), key),
                Span::raw(" "),
                Span::raw(desc),
            ]));
        }
    }
    out.push(Line::default());
    out.push(Line::styled("Filter (/)", heading));
    for l in FILTER_HELP {
        out.push(Line::raw(format!("  {l}")));
    }
    // From the table the command line reads: every command, every value.
    out.push(Line::default());
    out.push(Line::styled("Commands (:)", heading));
    for l in crate::tui::commands::help_lines() {
        out.push(Line::raw(format!("  {l}")));
    }
    out
}

/// The popup's rectangle on a screen.
pub fn popup_area(screen: Rect) -> Rect {
    let width = screen.width.saturating_sub(4).min(84);
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
    let lines = lines(app);
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
