//! Draws the attachment viewer over the screen: a title line, then the picture in Unicode
//! upper half blocks (`▀`: the top pixel as foreground, the bottom one as background, in the
//! 256-colour palette every terminal has), or the first page of text, or why it cannot be
//! shown. Names and text from outside go through [`text`] like every outside text.

use super::text;
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::viewer::room;
use crate::workstation::attachment::PreviewBody;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Clear, Widget};

/// Draws the viewer, when open.
pub fn render(app: &App, screen: Rect, buf: &mut Buffer) {
    let Some(v) = &app.viewer else {
        return;
    };
    let area = Rect::new(
        screen.x,
        screen.y,
        screen.width.min(room(app.size).0 + 4),
        screen.height,
    );
    Clear.render(area, buf);
    let border = app.theme.get(Role::Border);
    Block::bordered().border_style(border).render(area, buf);
    let inner = Rect::new(
        area.x + 2,
        area.y + 1,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    if inner.height < 2 {
        return;
    }
    let heading = app.theme.get(Role::Heading);
    let muted = app.theme.get(Role::Muted);
    let n = v.list.len();
    let position = format!("{} of {n}", v.index + 1);
    let title = match &v.preview {
        Some(Ok(p)) => format!("{} · {position}", p.title()),
        _ => format!("Attachment {} · {position}", v.list[v.index].name),
    };
    text::put_n(
        buf,
        inner.x,
        inner.y,
        &title,
        usize::from(inner.width),
        heading,
    );
    let hint = "j/k: next/previous · Esc: close";
    let hint_y = inner.bottom().saturating_sub(1);
    text::put_n(buf, inner.x, hint_y, hint, usize::from(inner.width), muted);
    let body = Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(2),
    );
    match &v.preview {
        None => {
            text::put(buf, body.x, body.y, "Loading…", muted);
        }
        Some(Err(e)) => {
            let error = app.theme.get(Role::Error);
            text::put_n(buf, body.x, body.y, e, usize::from(body.width), error);
        }
        Some(Ok(p)) => match &p.body {
            PreviewBody::Picture {
                width,
                height,
                pixels,
            } => picture(buf, body, *width, *height, pixels),
            PreviewBody::Text(lines) => {
                for (i, line) in lines.iter().take(usize::from(body.height)).enumerate() {
                    text::put_n(
                        buf,
                        body.x,
                        body.y + i as u16,
                        line,
                        usize::from(body.width),
                        Style::default(),
                    );
                }
            }
            PreviewBody::Unshown(why) => {
                text::put_n(buf, body.x, body.y, why, usize::from(body.width), muted);
            }
        },
    }
}

/// The pixels in half blocks, two rows of pixels per row of cells.
fn picture(buf: &mut Buffer, area: Rect, width: u16, height: u16, pixels: &[[u8; 3]]) {
    let w = usize::from(width);
    for row in 0..(height / 2).min(area.height) {
        for col in 0..width.min(area.width) {
            let top = pixels.get(usize::from(row) * 2 * w + usize::from(col));
            let bottom = pixels.get((usize::from(row) * 2 + 1) * w + usize::from(col));
            let (Some(top), Some(bottom)) = (top, bottom) else {
                continue;
            };
            if let Some(cell) = buf.cell_mut((area.x + col, area.y + row)) {
                cell.set_symbol("▀");
                cell.set_style(Style::default().fg(indexed(*top)).bg(indexed(*bottom)));
            }
        }
    }
}

/// The nearest colour of the xterm 256-colour palette: its grey ramp for greys, else its
/// 6×6×6 cube.
pub fn indexed([r, g, b]: [u8; 3]) -> Color {
    let (r, g, b) = (i32::from(r), i32::from(g), i32::from(b));
    if (r - g).abs() < 10 && (g - b).abs() < 10 && (r - b).abs() < 10 {
        let grey = (r + g + b) / 3;
        return match grey {
            0..=7 => Color::Indexed(16),
            248..=255 => Color::Indexed(231),
            _ => Color::Indexed((232 + (grey - 8) / 10).clamp(232, 255) as u8),
        };
    }
    let step = |v: i32| if v < 48 { 0 } else { ((v - 35) / 40).min(5) };
    Color::Indexed((16 + 36 * step(r) + 6 * step(g) + step(b)) as u8)
}
