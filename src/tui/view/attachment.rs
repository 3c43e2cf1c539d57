//! Draws the attachment viewer over the screen: a title line, then the picture in Unicode
//! upper half blocks (`▀`: the top pixel as foreground, the bottom one as background), or
//! blank cells where the front places it in the terminal's own graphics ([`placement`]), or
//! the first page of text, or why it cannot be shown. Names and text from outside go through
//! [`text`] like every outside text.
//!
//! A picture's colours stay within the theme's depth ([`Theme::depth`]): the nearest of the 16
//! ANSI colours under `default` and `light` (so a 16-colour terminal or an SSH client whose
//! TERM is not 256-colour shows it as it shows the rest of the screen), the xterm palette's
//! nearest under `256`, the pixels' own under `truecolor`. A terminal with fewer colours than
//! the theme gets the nearest of its own when the cells are written, as for every cell.
//!
//! [`Theme::depth`]: crate::tui::theme::Theme::depth

use super::text;
use crate::tui::app::{App, Mode};
use crate::tui::remote::{self, ColorDepth};
use crate::tui::theme::Role;
use crate::tui::viewer::room;
use crate::workstation::attachment::PreviewBody;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Clear, Widget};

/// A picture the front places in the terminal's graphics: its pixels, over `area` (cells,
/// from its top-left), for the request `seq`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement<'a> {
    pub seq: u64,
    pub area: Rect,
    pub width: u16,
    pub height: u16,
    pub rgb: &'a [u8],
}

/// The popup's area and the area inside its border, on `screen`.
fn frame_areas(app: &App, screen: Rect) -> (Rect, Rect) {
    let area = Rect::new(
        screen.x,
        screen.y,
        screen.width.min(room(app.size).0 + 4),
        screen.height,
    );
    let inner = Rect::new(
        area.x + 2,
        area.y + 1,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    (area, inner)
}

/// The area below the title and above the hint.
fn body_area(inner: Rect) -> Rect {
    Rect::new(
        inner.x,
        inner.y + 1,
        inner.width,
        inner.height.saturating_sub(2),
    )
}

/// The picture to place over the viewer's blank cells on `screen`, when the viewer shows one
/// as pixels (kitty, sixel) rather than half blocks.
pub fn placement<'a>(app: &'a App, screen: Rect) -> Option<Placement<'a>> {
    let v = app
        .viewer
        .as_ref()
        .filter(|_| app.mode == Mode::Attachment)?;
    if !super::fits((screen.width, screen.height)) {
        return None;
    }
    let (_, inner) = frame_areas(app, screen);
    if inner.height < 2 {
        return None;
    }
    let body = body_area(inner);
    let Some(Ok(p)) = &v.preview else {
        return None;
    };
    let PreviewBody::Bitmap {
        width,
        height,
        cols,
        rows,
        rgb,
    } = &p.body
    else {
        return None;
    };
    let area = Rect::new(
        body.x,
        body.y,
        (*cols).min(body.width),
        (*rows).min(body.height),
    );
    if area.is_empty() || *cols > body.width || *rows > body.height {
        // The screen shrank since it was made: the resize asks for another.
        return None;
    }
    Some(Placement {
        seq: v.seq,
        area,
        width: *width,
        height: *height,
        rgb,
    })
}

/// Draws the viewer, when open.
pub fn render(app: &App, screen: Rect, buf: &mut Buffer) {
    let Some(v) = &app.viewer else {
        return;
    };
    let (area, inner) = frame_areas(app, screen);
    Clear.render(area, buf);
    let border = app.theme.get(Role::Border);
    Block::bordered().border_style(border).render(area, buf);
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
    let body = body_area(inner);
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
            } => picture(buf, body, (*width, *height), pixels, app.theme.depth()),
            // Placed by the front over these blank cells.
            PreviewBody::Bitmap { .. } => {}
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

/// The pixels in half blocks, two rows of pixels per row of cells, in colours of `depth`.
fn picture(
    buf: &mut Buffer,
    area: Rect,
    (width, height): (u16, u16),
    pixels: &[[u8; 3]],
    depth: ColorDepth,
) {
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
                cell.set_style(
                    Style::default()
                        .fg(pixel_colour(*top, depth))
                        .bg(pixel_colour(*bottom, depth)),
                );
            }
        }
    }
}

/// A pixel's colour within `depth`: the nearest of the 16 ANSI colours (as xterm draws them),
/// of the xterm 256-colour palette, or the pixel's own. A picture needs colours, so a mono
/// theme draws it as 16 (a mono terminal drops them when the cells are written).
pub fn pixel_colour([r, g, b]: [u8; 3], depth: ColorDepth) -> Color {
    let depth = match depth {
        ColorDepth::Mono => ColorDepth::Ansi16,
        d => d,
    };
    remote::color(Color::Rgb(r, g, b), depth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixels_take_the_nearest_colour_of_the_depth() {
        use ColorDepth::*;
        // Sixteen: the nearest of the ANSI colours as xterm draws them.
        assert_eq!(pixel_colour([250, 10, 10], Ansi16), Color::LightRed);
        assert_eq!(pixel_colour([180, 20, 20], Ansi16), Color::Red);
        assert_eq!(pixel_colour([10, 10, 240], Ansi16), Color::Blue);
        assert_eq!(pixel_colour([0, 0, 0], Ansi16), Color::Black);
        assert_eq!(pixel_colour([255, 255, 255], Ansi16), Color::White);
        assert_eq!(pixel_colour([128, 128, 128], Ansi16), Color::DarkGray);
        assert_eq!(pixel_colour([230, 230, 230], Ansi16), Color::Gray);
        assert_eq!(pixel_colour([20, 200, 200], Ansi16), Color::Cyan);
        assert_eq!(pixel_colour([128, 128, 128], Mono), Color::DarkGray);
        // 256: the cube and the grey ramp.
        assert_eq!(pixel_colour([255, 0, 0], Ansi256), Color::Indexed(196));
        assert_eq!(pixel_colour([0, 0, 255], Ansi256), Color::Indexed(21));
        assert_eq!(pixel_colour([128, 128, 128], Ansi256), Color::Indexed(244));
        // True colour: the pixel itself.
        assert_eq!(pixel_colour([1, 2, 3], TrueColor), Color::Rgb(1, 2, 3));
        // Every pixel of a 16-colour picture is one of the 16.
        for v in (0..=255u8).step_by(15) {
            for rgb in [[v, 0, 0], [0, v, v], [v, v, v], [255 - v, v, 0]] {
                assert!(
                    !matches!(
                        pixel_colour(rgb, Ansi16),
                        Color::Indexed(_) | Color::Rgb(..)
                    ),
                    "{rgb:?}"
                );
            }
        }
    }
}
