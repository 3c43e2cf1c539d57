//! The title bar: who is working, on what date, whether figures are still loading, and
//! whether the database can only be read.

use super::text;
use crate::tui::app::App;
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Draws the title bar.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let style = app.theme.get(Role::Title);
    buf.set_style(area, style);
    let left = format!(
        " owed · {} · {}",
        app.session.collector, app.session.base_currency
    );
    let mut right = String::new();
    // On the right, which is never cut.
    if app.read_only {
        right.push_str("read-only ");
    }
    if app.summary_pending {
        right.push_str("loading… ");
    }
    let date = if app.as_of_given {
        format!(" as of {} ", app.as_of)
    } else {
        format!(" today {} ", app.as_of)
    };
    let width = usize::from(area.width);
    let date_w = text::width(&date);
    let right_w = text::width(&right) + date_w;
    let left_room = width.saturating_sub(right_w + 1);
    text::put(
        buf,
        area.x,
        area.y,
        &text::truncate(&left, left_room),
        style,
    );
    let x = area.x + (width.saturating_sub(right_w)) as u16;
    text::put(buf, x, area.y, &right, style);
    let date_style = if app.as_of_given {
        app.theme.get(Role::TitleAsOf)
    } else {
        style
    };
    text::put(
        buf,
        x + text::width(&right) as u16,
        area.y,
        &date,
        date_style,
    );
}
