//! Errors in a rule, with the position they point at.

use std::fmt;

use crate::domain::text::{is_unsafe, visible};
use crate::error::quoted;

/// A rule that does not parse or type-check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    /// Char offset (not byte offset) into the rule of the offending token;
    /// the rule's length in chars when the problem is its end.
    pub offset: usize,
    /// One sentence, without the position, e.g. "expected a date (YYYY-MM-DD,
    /// today, N days ago, in N days) after `<`".
    pub message: String,
}

impl RuleError {
    pub(super) fn new(offset: usize, message: impl Into<String>) -> Self {
        RuleError {
            offset,
            message: message.into(),
        }
    }

    /// The error for a person, naming the file and showing the rule with a
    /// caret under the offending position:
    ///
    /// ```text
    /// cycles/standard.toml: error in rule `overdeu > 1000`
    ///   overdeu > 1000
    ///   ^
    ///   unknown field `overdeu` at customer level; did you mean `overdue`?
    /// ```
    ///
    /// A rule may span lines in TOML: the rule is quoted on one line, and the
    /// line under it is the rule's line that holds the error. White space is
    /// shown as single spaces, and characters a terminal must not get raw (ESC,
    /// BEL, …) made visible (`crate::domain::text::visible`: `␛`, `␇`), so the
    /// caret stays aligned: it is indented by the display width of the
    /// characters before it as they are shown.
    /// A long rule is quoted cut (`crate::error::quoted`), and the line under
    /// it shows only a window of about 80 characters around the
    /// error, with `…` where it was cut, so that a rule of thousands of terms
    /// gives a message of a few lines.
    pub fn render(&self, file: &str, expr: &str) -> String {
        let flat: String = expr.chars().map(blank).collect();
        let chars: Vec<char> = expr.chars().collect();
        let at = self.position(expr);
        // The line of the rule that holds the error (a rule may span lines in TOML).
        let start = chars[..at]
            .iter()
            .rposition(|&c| c == '\n')
            .map_or(0, |i| i + 1);
        let end = chars[at..]
            .iter()
            .position(|&c| c == '\n')
            .map_or(chars.len(), |i| at + i);
        let line: Vec<char> = chars[start..end].iter().copied().map(blank).collect();
        let (shown, indent) = window(&line, at - start);
        format!(
            "{file}: error in rule {}\n  {shown}\n  {}^\n  {}",
            quoted(&flat),
            " ".repeat(indent),
            self.message
        )
    }
}

impl RuleError {
    /// The char offset in `expr` the error points at: its offset, or for a problem at the end
    /// of the rule, just after the rule's last character that is not white space (a rule
    /// written over several lines may end with a line break).
    pub fn position(&self, expr: &str) -> usize {
        self.offset.min(expr.trim_end().chars().count())
    }
}

/// How many characters of a rule's line the error shows around the error.
const WINDOW: usize = 80;

/// A character of a rule as the error shows it: white space a terminal does not obey
/// (newline, tab, the spaces) as a space, so the caret stays aligned. Every other character
/// stays: those a terminal must not get raw (ESC, BEL, a carriage return, a line separator)
/// are made visible where the rule is shown, as every outside text is.
fn blank(c: char) -> char {
    if c.is_whitespace() && !is_unsafe(c) {
        ' '
    } else {
        c
    }
}

/// The part of `line` shown around the char position `at` (at most about `WINDOW`
/// characters, `…` where it was cut), and the display width before `at` in it (where the
/// caret goes). Characters a terminal must not get raw are shown as `visible` shows them.
fn window(line: &[char], at: usize) -> (String, usize) {
    let (start, end) = if line.len() <= WINDOW {
        (0, line.len())
    } else {
        // A third of the window before the error, the rest after it.
        let start = at.saturating_sub(WINDOW / 3).min(line.len() - WINDOW);
        (start, start + WINDOW)
    };
    let mut shown = String::new();
    let mut indent = 0;
    if start > 0 {
        shown.push('…');
        indent += 1;
    }
    for (i, &c) in line.iter().enumerate().take(end).skip(start) {
        let text = if is_unsafe(c) {
            visible(&c.to_string()).into_owned()
        } else {
            c.to_string()
        };
        if i < at {
            indent += text.chars().map(display_width).sum::<usize>();
        }
        shown.push_str(&text);
    }
    if end < line.len() {
        shown.push('…');
    }
    (shown, indent)
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RuleError {}

/// Terminal columns taken by `c`: 0 for combining marks and zero-width
/// characters, 2 for East Asian wide characters and most emoji, else 1.
/// An approximation of Unicode's East Asian Width that needs no tables.
fn display_width(c: char) -> usize {
    const ZERO: &[(u32, u32)] = &[(0x0300, 0x036F), (0x200B, 0x200F), (0xFE00, 0xFE0F)];
    const WIDE: &[(u32, u32)] = &[
        (0x1100, 0x115F),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF),
        (0xFE30, 0xFE4F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x1F300, 0x1F64F),
        (0x1F900, 0x1F9FF),
        (0x20000, 0x3FFFD),
    ];
    let code = u32::from(c);
    let within = |ranges: &[(u32, u32)]| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&code));
    if within(ZERO) {
        0
    } else if within(WIDE) {
        2
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_counts_wide_characters_twice() {
        let error = RuleError::new(4, "oops");
        let rendered = error.render("f", "日本 = x");
        // 日 and 本 take two columns each, then a space and `=`: six columns.
        assert_eq!(
            rendered,
            format!(
                "f: error in rule `日本 = x`\n  日本 = x\n  {}^\n  oops",
                " ".repeat(6)
            )
        );
    }

    #[test]
    fn a_rule_over_several_lines_shows_the_line_of_the_error() {
        let error = RuleError::new(4, "oops");
        assert_eq!(
            error.render("f", "a\nb c\nd"),
            "f: error in rule `a b c d`\n  b c\n    ^\n  oops"
        );
        // At the end of a rule that ends with a line break: after its last word.
        let error = RuleError::new(9, "oops");
        assert_eq!(
            error.render("f", "a\n  b >\n"),
            "f: error in rule `a   b > `\n    b >\n       ^\n  oops"
        );
    }

    /// ESC and BEL were shown as spaces: they are made visible as `visible` shows them, in
    /// the quote and in the line, and the caret counts them as they are shown. White space
    /// a terminal obeys (a carriage return, a line separator) is made visible too; a tab
    /// and a newline are spaces.
    #[test]
    fn control_characters_are_made_visible_not_blanked() {
        let rule = "finance_owner = \"al\u{1b}[31mice\u{7}\" and bogus = 1";
        let at = rule.chars().position(|c| c == 'b').unwrap();
        let rendered = RuleError::new(at, "oops").render("f", rule);
        assert_eq!(
            rendered,
            format!(
                "f: error in rule `finance_owner = \"al␛[31mice␇\" and bogus = 1`\n  \
                 finance_owner = \"al␛[31mice␇\" and bogus = 1\n  {}^\n  oops",
                " ".repeat(at)
            )
        );
        let rendered = RuleError::new(6, "oops").render("f", "a\rb\u{2028}c\td = x");
        assert_eq!(
            rendered,
            format!(
                "f: error in rule `a␍b<U+2028>c d = x`\n  a␍b<U+2028>c d = x\n  {}^\n  oops",
                " ".repeat(13)
            )
        );
    }

    #[test]
    fn offset_past_the_end_points_just_after_the_rule() {
        let error = RuleError::new(99, "oops");
        assert_eq!(
            error.render("f", "ab"),
            "f: error in rule `ab`\n  ab\n    ^\n  oops"
        );
    }
}
