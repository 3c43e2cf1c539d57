//! Text measured by display width: CJK and emoji take two columns, so names are cut and
//! padded by what the terminal shows, not by bytes or chars.

use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The graphemes the terminal buffer draws (control characters are dropped) with their widths.
fn cells(text: &str) -> impl Iterator<Item = (&str, usize)> {
    text.graphemes(true)
        .filter(|g| !g.contains(char::is_control))
        .map(|g| (g, UnicodeWidthStr::width(g)))
}

/// Display width of a text, grapheme by grapheme (as the terminal buffer counts it).
pub fn width(text: &str) -> usize {
    cells(text).map(|(_, w)| w).sum()
}

/// Writes `text` at (x, y) and returns the column after it.
pub fn put(
    buf: &mut ratatui::buffer::Buffer,
    x: u16,
    y: u16,
    text: &str,
    style: ratatui::style::Style,
) -> u16 {
    buf.set_stringn(x, y, text, usize::MAX, style).0
}

/// The text cut to at most `max` columns, ending in `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if width(text) <= max {
        return cells(text).map(|(g, _)| g).collect();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for (g, w) in cells(text) {
        if used + w > max - 1 {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
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
    use super::*;

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
        assert_eq!(fit("a\tb", 4), "ab  ");
        for name in ["🍕 Pizza Co", "Café Ünïcode", "👩‍💻 Dev GmbH", "株式会社ABC"]
        {
            for cols in 1..14 {
                assert_eq!(width(&fit(name, cols)), cols, "{name} in {cols}");
            }
        }
    }
}

/// Splits `text` into lines of at most `cols` columns, at spaces where it can.
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
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
            for (g, gw) in cells(word) {
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
