//! The terminal with the frame it was last sent: ratatui's `Terminal`, and after every frame
//! the columns a replaced multi-column character covered written again.
//!
//! ratatui counts a grapheme as one cell of its width and, when it is replaced by something
//! narrower, writes only the first column: a terminal erases the rest of a wide character it
//! overwrites. But a terminal draws some multi-column graphemes as several characters, one a
//! column — a flag (two regional indicators), a Devanagari conjunct (its letters), and every
//! wide character in ASCII (`??`) — and keeps the later ones: they stayed beside the next
//! customer's name or phone number until `Ctrl-L`. [`Screen::draw`] marks the cells under
//! those columns to be written with the new frame (as they are in it, with their style).

use ratatui::Frame;
use ratatui::backend::Backend;
use ratatui::buffer::{Buffer, CellDiffOption, CellWidth};
use ratatui::{CompletedFrame, Terminal};
use std::ops::{Deref, DerefMut};

/// A terminal and the frame it shows.
pub(crate) struct Screen<B: Backend> {
    terminal: Terminal<B>,
    /// The last frame drawn; `None` after a wipe (the screen is blank, nothing to mend).
    shown: Option<Buffer>,
}

impl<B: Backend> Screen<B> {
    pub(crate) fn new(terminal: Terminal<B>) -> Screen<B> {
        Screen {
            terminal,
            shown: None,
        }
    }

    /// Draws a frame with `render`, writing again the columns that a multi-column character
    /// of the last frame covered where the character is gone.
    pub(crate) fn draw<F: FnOnce(&mut Frame)>(
        &mut self,
        render: F,
    ) -> Result<CompletedFrame<'_>, B::Error> {
        let shown = self.shown.take();
        let frame = self.terminal.draw(|frame| {
            render(frame);
            if let Some(shown) = &shown {
                rewrite_covered(shown, frame.buffer_mut());
            }
        })?;
        let mut kept = shown.unwrap_or_default();
        kept.clone_from(frame.buffer);
        self.shown = Some(kept);
        Ok(frame)
    }

    /// The screen was cleared: nothing of the last frame is left on it.
    pub(crate) fn forget(&mut self) {
        self.shown = None;
    }
}

impl<B: Backend> Deref for Screen<B> {
    type Target = Terminal<B>;

    fn deref(&self) -> &Terminal<B> {
        &self.terminal
    }
}

impl<B: Backend> DerefMut for Screen<B> {
    fn deref_mut(&mut self) -> &mut Terminal<B> {
        &mut self.terminal
    }
}

/// Marks, in `next`, the cells after each multi-column character of `shown` that `next`
/// replaces, to be written whether or not they changed (cells another renderer draws over are
/// left alone).
pub(crate) fn rewrite_covered(shown: &Buffer, next: &mut Buffer) {
    let area = next.area;
    if shown.area != area {
        // A resized terminal is cleared and drawn whole.
        return;
    }
    for y in area.top()..area.bottom() {
        let mut x = area.left();
        while x < area.right() {
            let old = &shown[(x, y)];
            let width = if old.symbol().is_ascii() {
                1
            } else {
                old.cell_width().max(1)
            };
            if width > 1 && old.symbol() != next[(x, y)].symbol() {
                for covered in x + 1..x.saturating_add(width).min(area.right()) {
                    let cell = &mut next[(covered, y)];
                    if cell.diff_option == CellDiffOption::None {
                        cell.set_diff_option(CellDiffOption::AlwaysUpdate);
                    }
                }
            }
            x = x.saturating_add(width);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::layout::Rect;
    use ratatui::style::{Color, Style};

    /// The cells ratatui writes to go from `before` to `after`, without and with the mending.
    fn writes(before: &str, after: &str, style: Style) -> (Vec<u16>, Vec<u16>) {
        let area = Rect::new(0, 0, 8, 1);
        let mut old = Buffer::empty(area);
        old.set_string(0, 0, before, style);
        let mut new = Buffer::empty(area);
        new.set_string(0, 0, after, style);
        let plain: Vec<u16> = old.diff(&new).iter().map(|(x, _, _)| *x).collect();
        rewrite_covered(&old, &mut new);
        let mended = old.diff(&new).iter().map(|(x, _, _)| *x).collect();
        (plain, mended)
    }

    #[test]
    fn a_flag_replaced_by_blanks_has_both_its_columns_written() {
        // ratatui alone writes column 1 only: a terminal that drew 🇪 in column 2 keeps it.
        let (plain, mended) = writes("a🇸🇪b", "a  b", Style::default());
        assert_eq!(plain, vec![1]);
        assert_eq!(mended, vec![1, 2]);
        // A selected row's colour: the column is written with it.
        let style = Style::default().bg(Color::Blue);
        let (_, mended) = writes("a🇸🇪b", "a  b", style);
        assert_eq!(mended, vec![1, 2]);
    }

    #[test]
    fn what_did_not_change_or_was_narrow_is_not_written_again() {
        assert_eq!(writes("a🇸🇪b", "a🇸🇪c", Style::default()).1, vec![3]);
        assert_eq!(writes("abcd", "axcd", Style::default()).1, vec![1]);
        // A wide character replaced by another: the terminal writes both columns itself.
        assert_eq!(writes("東京", "大阪", Style::default()).1, vec![0, 2]);
        // A wide character replaced by a narrow one: drawn in ASCII, it was `??`.
        assert_eq!(
            writes("東x", "a x", Style::default()),
            (vec![0], vec![0, 1])
        );
    }
}
