//! Writing a frame's cells to a terminal: cursor moves, attributes, colours and text.
//!
//! ratatui's crossterm backend writes every colour, the 16 ANSI ones included, as a
//! 256-colour code (`ESC[38;5;9m`), which a 16-colour terminal (the Linux console, many
//! serial and SSH clients) shows wrongly or not at all. Here the 16 ANSI colours are written
//! as the 16-colour codes every terminal knows (`ESC[31m`, `ESC[91m`, `ESC[41m`, `ESC[101m`),
//! an indexed colour as `38;5;N` and an RGB one as `38;2;R;G;B`; which of those a frame holds
//! is the theme's choice, brought down to what the terminal shows beforehand
//! ([`super::remote::Capabilities`]).

use crossterm::QueueableCommand;
use crossterm::cursor::MoveTo;
use crossterm::style::{Attribute, SetAttribute};
use ratatui::buffer::Cell;
use ratatui::style::{Color, Modifier};
use std::io::{self, Write};

/// Writes the cells that changed, moving the cursor only where they are not contiguous, and
/// leaves colours and attributes reset.
pub fn draw<'a, W: Write>(
    w: &mut W,
    content: impl Iterator<Item = (u16, u16, &'a Cell)>,
) -> io::Result<()> {
    let mut fg = Color::Reset;
    let mut bg = Color::Reset;
    let mut modifier = Modifier::empty();
    let mut last: Option<(u16, u16)> = None;
    for (x, y, cell) in content {
        if !matches!(last, Some((lx, ly)) if x == lx + 1 && y == ly) {
            w.queue(MoveTo(x, y))?;
        }
        last = Some((x, y));
        if cell.modifier != modifier {
            attributes(w, modifier, cell.modifier)?;
            modifier = cell.modifier;
        }
        if cell.fg != fg || cell.bg != bg {
            write!(w, "\x1b[{};{}m", code(cell.fg, false), code(cell.bg, true))?;
            fg = cell.fg;
            bg = cell.bg;
        }
        w.write_all(cell.symbol().as_bytes())?;
    }
    w.write_all(b"\x1b[39;49m\x1b[0m")
}

/// The SGR parameters of a colour, foreground or `background`.
pub fn code(color: Color, background: bool) -> String {
    let base = if background { 10 } else { 0 };
    let ansi = |n: u8| {
        if n < 8 {
            (30 + base + u16::from(n)).to_string()
        } else {
            (90 + base + u16::from(n) - 8).to_string()
        }
    };
    match color {
        Color::Reset => (39 + base).to_string(),
        Color::Black => ansi(0),
        Color::Red => ansi(1),
        Color::Green => ansi(2),
        Color::Yellow => ansi(3),
        Color::Blue => ansi(4),
        Color::Magenta => ansi(5),
        Color::Cyan => ansi(6),
        Color::Gray => ansi(7),
        Color::DarkGray => ansi(8),
        Color::LightRed => ansi(9),
        Color::LightGreen => ansi(10),
        Color::LightYellow => ansi(11),
        Color::LightBlue => ansi(12),
        Color::LightMagenta => ansi(13),
        Color::LightCyan => ansi(14),
        Color::White => ansi(15),
        Color::Indexed(n) if n < 16 => ansi(n),
        Color::Indexed(n) => format!("{};5;{n}", 38 + base),
        Color::Rgb(r, g, b) => format!("{};2;{r};{g};{b}", 38 + base),
    }
}

/// Turns off the attributes `from` has and `to` has not, then turns on those `to` adds
/// (bold and dim share one "normal intensity" code, so both are set again after it).
fn attributes<W: Write>(w: &mut W, from: Modifier, to: Modifier) -> io::Result<()> {
    let removed = from - to;
    let set = |w: &mut W, a: Attribute| w.queue(SetAttribute(a)).map(|_| ());
    if removed.contains(Modifier::REVERSED) {
        set(w, Attribute::NoReverse)?;
    }
    let intensity = removed.intersects(Modifier::BOLD | Modifier::DIM);
    if intensity {
        set(w, Attribute::NormalIntensity)?;
        if to.contains(Modifier::DIM) {
            set(w, Attribute::Dim)?;
        }
        if to.contains(Modifier::BOLD) {
            set(w, Attribute::Bold)?;
        }
    }
    if removed.contains(Modifier::ITALIC) {
        set(w, Attribute::NoItalic)?;
    }
    if removed.contains(Modifier::UNDERLINED) {
        set(w, Attribute::NoUnderline)?;
    }
    if removed.contains(Modifier::CROSSED_OUT) {
        set(w, Attribute::NotCrossedOut)?;
    }
    if removed.contains(Modifier::HIDDEN) {
        set(w, Attribute::NoHidden)?;
    }
    if removed.intersects(Modifier::SLOW_BLINK | Modifier::RAPID_BLINK) {
        set(w, Attribute::NoBlink)?;
    }
    let added = to - from;
    for (m, a) in [
        (Modifier::REVERSED, Attribute::Reverse),
        (Modifier::ITALIC, Attribute::Italic),
        (Modifier::UNDERLINED, Attribute::Underlined),
        (Modifier::CROSSED_OUT, Attribute::CrossedOut),
        (Modifier::HIDDEN, Attribute::Hidden),
        (Modifier::SLOW_BLINK, Attribute::SlowBlink),
        (Modifier::RAPID_BLINK, Attribute::RapidBlink),
    ] {
        if added.contains(m) {
            set(w, a)?;
        }
    }
    if !intensity {
        if added.contains(Modifier::BOLD) {
            set(w, Attribute::Bold)?;
        }
        if added.contains(Modifier::DIM) {
            set(w, Attribute::Dim)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_16_colours_are_written_as_16_colour_codes() {
        assert_eq!(code(Color::Red, false), "31");
        assert_eq!(code(Color::LightRed, false), "91");
        assert_eq!(code(Color::DarkGray, false), "90");
        assert_eq!(code(Color::Gray, false), "37");
        assert_eq!(code(Color::White, true), "107");
        assert_eq!(code(Color::Cyan, true), "46");
        assert_eq!(code(Color::Reset, true), "49");
        assert_eq!(code(Color::Indexed(4), false), "34");
        assert_eq!(code(Color::Indexed(208), false), "38;5;208");
        assert_eq!(code(Color::Rgb(1, 2, 3), true), "48;2;1;2;3");
    }

    #[test]
    fn a_frame_holds_no_256_colour_code_for_the_ansi_colours() {
        let mut cells = Vec::new();
        for (i, color) in [Color::Red, Color::LightCyan, Color::DarkGray]
            .into_iter()
            .enumerate()
        {
            let mut c = Cell::new("x");
            c.fg = color;
            c.bg = Color::Blue;
            c.modifier = if i == 1 {
                Modifier::BOLD
            } else {
                Modifier::empty()
            };
            cells.push((i as u16, 0u16, c));
        }
        let mut out = Vec::new();
        draw(&mut out, cells.iter().map(|(x, y, c)| (*x, *y, c))).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("38;5"), "{text:?}");
        assert!(text.contains("\x1b[31;44mx"), "{text:?}");
        assert!(text.contains("\x1b[96;44mx"), "{text:?}");
        assert!(text.ends_with("\x1b[39;49m\x1b[0m"), "{text:?}");
    }
}
