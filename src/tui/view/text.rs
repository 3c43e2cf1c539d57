//! Text measured by display width: CJK and emoji take two columns, so names are cut and
//! padded by what the terminal shows, not by bytes or chars.
//!
//! Every text passes through [`shown`] first (SPEC "Output that reaches a terminal"): its
//! control characters are made visible ([`crate::domain::text::visible`]), and every grapheme
//! left is one that takes as many columns whether the terminal counts code points (most do)
//! or whole graphemes (a few do). Joiners and variation selectors are dropped, so that a ZWJ
//! emoji sequence shows as its emoji side by side, and a grapheme that still measures
//! differently keeps its first character only. What is drawn is then what was measured, and
//! the columns stay where they are. [`settle`] checks the whole frame once more before it
//! goes out, for text drawn without these helpers.
//!
//! On a terminal that draws in ASCII (`App::ascii`: `LANG=C`, locally or over SSH) the text
//! is spelt in ASCII here too ([`crate::domain::text::in_ascii`]: `ß` as `ss`, `Œ` as `OE`),
//! before anything measures it: [`draw`](super::draw) says so for the frame it draws
//! ([`AsciiFrame`]), and a session for the thread it runs on.

use crate::domain::text::{in_ascii, in_columns, is_settled};
use std::borrow::Cow;
use std::cell::Cell;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

thread_local! {
    /// Whether the frame drawn on this thread is for a terminal that draws in ASCII (a
    /// session, local or SSH, draws on a thread of its own).
    static ASCII: Cell<bool> = const { Cell::new(false) };
}

/// Spells every text of the frames this thread draws and measures in ASCII, or not, until it
/// is dropped (then as before).
pub struct AsciiFrame(bool);

impl AsciiFrame {
    pub fn set(ascii: bool) -> AsciiFrame {
        AsciiFrame(ASCII.with(|a| a.replace(ascii)))
    }
}

impl Drop for AsciiFrame {
    fn drop(&mut self) {
        ASCII.with(|a| a.set(self.0));
    }
}

/// The text as the workstation draws it: on one line, control characters made visible, each
/// grapheme measured alike by every terminal ([`in_columns`]), and in ASCII on a terminal
/// that draws in ASCII ([`AsciiFrame`]).
pub fn shown(text: &str) -> Cow<'_, str> {
    let columns = in_columns(text);
    if !ASCII.with(Cell::get) || columns.is_ascii() {
        return columns;
    }
    match columns {
        Cow::Borrowed(t) => in_ascii(t),
        Cow::Owned(t) => Cow::Owned(in_ascii(&t).into_owned()),
    }
}

/// The graphemes the terminal buffer draws (control characters and what has no width are
/// left out) with their widths, from text already [`shown`].
fn graphemes(text: &str) -> impl Iterator<Item = (&str, usize)> {
    text.graphemes(true)
        .filter(|g| !g.contains(char::is_control))
        .map(|g| (g, UnicodeWidthStr::width(g)))
        .filter(|(_, w)| *w > 0)
}

/// Display width of a text, grapheme by grapheme (as the terminal buffer counts it).
pub fn width(text: &str) -> usize {
    graphemes(&shown(text)).map(|(_, w)| w).sum()
}

/// Writes `text` ([`shown`]) at (x, y) and returns the column after it.
pub fn put(
    buf: &mut ratatui::buffer::Buffer,
    x: u16,
    y: u16,
    text: &str,
    style: ratatui::style::Style,
) -> u16 {
    put_n(buf, x, y, text, usize::MAX, style)
}

/// Writes at most `max` columns of `text` ([`shown`]) at (x, y) and returns the column
/// after it.
pub fn put_n(
    buf: &mut ratatui::buffer::Buffer,
    x: u16,
    y: u16,
    text: impl AsRef<str>,
    max: usize,
    style: ratatui::style::Style,
) -> u16 {
    buf.set_stringn(x, y, shown(text.as_ref()), max, style).0
}

/// Writes a line of spans, each [`shown`], at (x, y) in at most `max` columns; returns the
/// column after it.
pub fn put_line(
    buf: &mut ratatui::buffer::Buffer,
    x: u16,
    y: u16,
    line: &ratatui::text::Line<'_>,
    max: u16,
) -> u16 {
    let spans: Vec<ratatui::text::Span<'_>> = line
        .spans
        .iter()
        .map(|s| ratatui::text::Span::styled(shown(&s.content), s.style))
        .collect();
    let line = ratatui::text::Line::from(spans).style(line.style);
    buf.set_line(x, y, &line, max).0
}

/// Writes `lines` from the `scroll`-th on, one a row of `area` as long as there are rows,
/// each through [`put_line`] in the area's width.
pub fn put_lines(
    buf: &mut ratatui::buffer::Buffer,
    area: ratatui::layout::Rect,
    lines: &[ratatui::text::Line<'_>],
    scroll: usize,
) {
    let rows = lines.iter().skip(scroll).take(usize::from(area.height));
    for (y, line) in (area.y..).zip(rows) {
        put_line(buf, area.x, y, line, area.width);
    }
}

/// Looks over a drawn frame before it goes out: a cell that still holds a character that
/// must not reach the terminal, or a grapheme that terminals measure differently (drawn
/// without the helpers above), is replaced by what [`shown`] makes of it, or by `?` when that
/// is wider, and padded to the columns the cell took.
pub fn settle(buf: &mut ratatui::buffer::Buffer) {
    let area = buf.area;
    for y in area.top()..area.bottom() {
        for x in area.left()..area.right() {
            let symbol = buf[(x, y)].symbol();
            if symbol.len() == 1 || is_settled(symbol) {
                continue;
            }
            let symbol = symbol.to_string();
            let took = UnicodeWidthStr::width(symbol.as_str()).max(1);
            let fixed = shown(&symbol);
            let fits = graphemes(&fixed).count() == 1 && width(&fixed) <= took;
            let (used, replacement) = if fits {
                (width(&fixed), fixed.into_owned())
            } else {
                (1, "?".to_string())
            };
            buf[(x, y)].set_symbol(&replacement);
            for pad in x + used as u16..(x + took as u16).min(area.right()) {
                buf[(pad, y)].set_symbol(" ");
            }
        }
    }
}

/// `title`'s parts (separated by " · ") that fit whole in `cols` columns, from the first: a
/// figure is left out rather than cut ("unapplied cash 4…" read as a 4). The first part alone
/// is cut when even it does not fit.
pub fn fit_parts(title: &str, cols: usize) -> String {
    if width(title) <= cols {
        return title.to_string();
    }
    let mut out = String::new();
    for part in title.split(" · ") {
        let next = if out.is_empty() {
            part.to_string()
        } else {
            format!("{out} · {part}")
        };
        if width(&next) > cols {
            break;
        }
        out = next;
    }
    if out.is_empty() {
        truncate(title, cols)
    } else {
        out
    }
}

/// `first / second` in at most `cols` columns, the first part cut before the second: the
/// second is what tells rows apart (a cycle's reminders: "Standard… / Friendly", where
/// "Standard dunning …" read the same on every row). Only the second, cut, when even a
/// letter of the first does not fit beside it.
pub fn pair(first: &str, second: &str, cols: usize) -> String {
    first_cut((first, " / "), second, "", cols)
}

/// A customer as `name (id)` in at most `cols` columns, the name cut before the id: the id is
/// what finds the customer again ("Iron Outfitters Group (C000…" hid it). The id alone, cut,
/// when not even two columns of the name fit beside it; the id alone without a name.
pub fn named(name: &str, id: &str, cols: usize) -> String {
    match name.is_empty() {
        true => truncate(id, cols),
        false => first_cut((name, " ("), id, ")", cols),
    }
}

/// `first`, `between`, `kept`, `after` in at most `cols` columns: `first` cut to make room
/// for the rest; `kept` alone, cut, when not two columns of `first` fit.
fn first_cut((first, between): (&str, &str), kept: &str, after: &str, cols: usize) -> String {
    let whole = format!("{first}{between}{kept}{after}");
    if width(&whole) <= cols {
        return whole;
    }
    let room = cols.saturating_sub(width(between) + width(kept) + width(after));
    if room >= 2 {
        format!("{}{between}{kept}{after}", truncate(first, room))
    } else {
        truncate(kept, cols)
    }
}

/// The text cut to at most `max` columns, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    let text = shown(text);
    if width(&text) <= max {
        return graphemes(&text).map(|(g, _)| g).collect();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for (g, w) in graphemes(&text) {
        if used + w > max - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// A label as a terminal that draws in ASCII must read it when `ascii`: `≤` and `≥` as `<=`
/// and `>=` (the cell-by-cell fallback would make "at most" a `<`, "less than").
pub fn signs(text: &str, ascii: bool) -> String {
    match ascii {
        true => text.replace('≤', "<=").replace('≥', ">="),
        false => text.to_string(),
    }
}

/// The text cut to `cols` columns and padded with spaces to exactly `cols`, left-aligned.
pub fn fit(text: &str, cols: usize) -> String {
    let mut out = truncate(text, cols);
    let w = width(&out);
    out.extend(std::iter::repeat_n(' ', cols.saturating_sub(w)));
    out
}

/// The text cut to `cols` columns and padded on the left to exactly `cols`, right-aligned.
pub fn fit_right(text: &str, cols: usize) -> String {
    let cut = truncate(text, cols);
    let w = width(&cut);
    let mut out: String = std::iter::repeat_n(' ', cols.saturating_sub(w)).collect();
    out.push_str(&cut);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_customer_keeps_its_id_when_its_name_is_cut() {
        use super::{named, width};
        let (name, id) = ("Iron Outfitters Group", "C000154");
        assert_eq!(named(name, id, 40), "Iron Outfitters Group (C000154)");
        assert_eq!(named(name, id, 28), "Iron Outfitters G… (C000154)");
        assert_eq!(width(&named(name, id, 28)), 28);
        assert_eq!(named(name, id, 12), "I… (C000154)");
        assert_eq!(named(name, id, 11), "C000154");
        assert_eq!(named(name, id, 5), "C000…");
        assert_eq!(named("", id, 20), "C000154");
    }

    #[test]
    fn a_pair_cuts_its_first_part_first() {
        use super::{pair, width};
        let (cycle, reminder) = ("Standard dunning", "Friendly");
        assert_eq!(pair(cycle, reminder, 40), "Standard dunning / Friendly");
        assert_eq!(pair(cycle, reminder, 27), "Standard dunning / Friendly");
        assert_eq!(pair(cycle, reminder, 20), "Standard… / Friendly");
        assert_eq!(width(&pair(cycle, reminder, 20)), 20);
        assert_eq!(pair(cycle, reminder, 13), "S… / Friendly");
        assert_eq!(pair(cycle, reminder, 12), "Friendly");
        assert_eq!(pair(cycle, reminder, 6), "Frien…");
    }

    use super::*;

    #[test]
    fn lines_that_fit_keep_their_spacing_and_longer_ones_wrap() {
        let error = "cycles.toml, line 6, customer rule: error in rule `overdue >> 0`\n  \
                     overdue >> 0\n           ^\n  expected an amount after `>`";
        assert_eq!(
            wrap_lines(error, 40),
            [
                "cycles.toml, line 6, customer rule:",
                "error in rule `overdue >> 0`",
                "  overdue >> 0",
                "           ^",
                "  expected an amount after `>`",
            ]
        );
        // Outside text is shown as drawn, line by line.
        assert_eq!(wrap_lines("a\x1b[2J\nb", 10), ["a␛[2J", "b"]);
    }

    #[test]
    fn a_title_too_long_keeps_its_whole_parts() {
        let title = "Aging · unutilised credit 4,772.22 · unapplied cash 40,118.00";
        assert_eq!(fit_parts(title, 80), title);
        assert_eq!(fit_parts(title, 50), "Aging · unutilised credit 4,772.22");
        assert_eq!(fit_parts(title, 20), "Aging");
        assert_eq!(fit_parts("Customer C001428", 10), "Customer …");
    }

    #[test]
    fn wide_characters_count_twice_and_stay_aligned() {
        assert_eq!(width("東京商事"), 8);
        assert_eq!(fit("東京商事株式会社", 9), "東京商事…");
        assert_eq!(
            fit("東京商事株式会社", 10),
            "東京商事… ",
            "a wide char that does not fit leaves a space"
        );
        assert_eq!(fit("Kite", 6), "Kite  ");
        assert_eq!(fit("Kite Supplies", 6), "Kite …");
        assert_eq!(fit_right("60.00", 7), "  60.00");
        // A tab is a space on a line (it was dropped: "ab").
        assert_eq!(fit("a\tb", 4), "a b ");
        for name in ["🍕 Pizza Co", "Café Ünïcode", "👩‍💻 Dev GmbH", "株式会社ABC"]
        {
            for cols in 1..14 {
                assert_eq!(width(&fit(name, cols)), cols, "{name} in {cols}");
            }
        }
    }
}

/// Splits `text` at its own line breaks, then each line that does not fit in `cols` columns
/// at spaces: lines that fit keep their spacing (an email's documents table stays aligned, a
/// caret stays under the place it points at).
pub fn wrap_lines(text: &str, cols: usize) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = shown(line.trim_end());
        if width(&line) <= cols {
            out.push(line.into_owned());
        } else {
            out.extend(wrap(&line, cols));
        }
    }
    out
}

/// Splits `text` into lines of at most `cols` columns, at spaces where it can.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let text = shown(text);
    let cols = cols.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for word in text.split_whitespace() {
        let w = width(word);
        if used > 0 && used + 1 + w > cols {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if w > cols {
            // A word longer than a line is cut into pieces.
            for (g, gw) in graphemes(word) {
                if used + gw > cols {
                    lines.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push_str(g);
                used += gw;
            }
            continue;
        }
        if used > 0 {
            line.push(' ');
            used += 1;
        }
        line.push_str(word);
        used += w;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod shown_tests {
    use super::*;
    use crate::domain::text::agrees;
    use proptest::prelude::*;
    use std::borrow::Cow;

    #[test]
    fn outside_text_is_shown_and_measured_as_drawn() {
        assert_eq!(shown("\x1b]0;T\x07\x1b[2J Evil"), "␛]0;T␇␛[2J Evil");
        // On one line: a newline shows, a tab is a space (they were dropped: "Line1Line2").
        assert_eq!(shown("Line1\nLine2\tCo"), "Line1↵Line2 Co");
        assert_eq!(width("Line1\nLine2"), 11);
        assert_eq!(shown("a\u{85}b\u{2028}c"), "a<U+0085>b<U+2028>c");
        assert_eq!(shown("\u{202e}gpj.exe"), "<U+202E>gpj.exe");
        // A ZWJ sequence shows its emoji side by side (4 columns, counted either way).
        assert_eq!(shown("👩\u{200d}💻 Dev"), "👩💻 Dev");
        assert_eq!(width("👩\u{200d}💻 Dev"), 8);
        // Emoji presentation and skin tones: one column or two, whoever counts.
        assert_eq!(shown("❤\u{fe0f}"), "❤");
        assert_eq!(shown("👍🏻ok"), "👍ok");
        for plain in [
            "Kite Supplies",
            "東京商事",
            "Café Ünïcode",
            "e\u{301}",
            "🇺🇸 Flag",
        ] {
            assert!(matches!(shown(plain), Cow::Borrowed(_)), "{plain}");
        }
        assert_eq!(fit("\x1b[2J👩\u{200d}💻\u{2028}", 9), "␛[2J👩💻…");
        // A letter under thousands of accents: drawn with a few, one column wide.
        let zalgo = format!("Z{} Co", "\u{301}".repeat(9_990));
        let drawn = shown(&zalgo);
        assert_eq!(
            drawn.chars().count(),
            crate::domain::text::GRAPHEME_MOST + 3,
            "{drawn}"
        );
        assert_eq!(width(&zalgo), 4);
    }

    #[test]
    fn a_frame_drawn_past_the_helpers_is_settled() {
        use ratatui::buffer::Buffer;
        use ratatui::layout::Rect;
        let mut buf = Buffer::empty(Rect::new(0, 0, 12, 1));
        buf.set_string(
            0,
            0,
            "a\u{2028}b❤\u{fe0f}c👍🏻d",
            ratatui::style::Style::default(),
        );
        settle(&mut buf);
        let cells: Vec<&str> = (0..12).map(|x| buf[(x, 0)].symbol()).collect();
        assert_eq!(
            cells,
            ["a", "?", "b", "❤", " ", "c", "👍", " ", "d", " ", " ", " "]
        );
    }

    /// Characters that terminals and ratatui disagree on, mixed with ordinary ones.
    fn tricky() -> impl Strategy<Value = String> {
        let chars = prop::sample::select(vec![
            'a',
            ' ',
            '東',
            '\u{1b}',
            '\u{7}',
            '\n',
            '\t',
            '\r',
            '\u{7f}',
            '\u{85}',
            '\u{9b}',
            '\u{2028}',
            '\u{2029}',
            '\u{202e}',
            '\u{2066}',
            '\u{200d}',
            '\u{200b}',
            '\u{fe0f}',
            '\u{301}',
            '❤',
            '👩',
            '💻',
            '👍',
            '🏻',
            '🇺',
            '🇸',
            '\u{ad}',
            '\u{3164}',
            '\u{1160}',
            '\u{1100}',
            'ｶ',
            '\u{ff9e}',
            '#',
            '\u{20e3}',
            '\u{e0067}',
            '🏴',
        ]);
        prop::collection::vec(chars, 0..24).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn shown_text_is_settled_and_measures_the_same_both_ways(text in tricky()) {
            let once = shown(&text).into_owned();
            prop_assert_eq!(shown(&once).into_owned(), once.clone());
            prop_assert!(!once.chars().any(crate::domain::text::is_unsafe));
            for g in once.graphemes(true) {
                prop_assert!(agrees(g), "{:?} in {:?}", g, once);
            }
            for cols in 1..12 {
                prop_assert_eq!(width(&fit(&text, cols)), cols);
            }
        }
    }
}

#[cfg(test)]
mod wrap_tests {
    use super::*;

    #[test]
    fn wraps_at_spaces_and_cuts_long_words() {
        assert_eq!(wrap("will pay on friday", 9), ["will pay", "on friday"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        for l in wrap("東京商事 株式会社 東京商事株式会社", 5) {
            assert!(width(&l) <= 5, "{l}");
        }
    }
}
