//! Aligned plain-text tables for people: text left, amounts right, widths by display width.
//! Every cell is shown on its line with its control characters visible, and measured alike by
//! every terminal ([`crate::domain::text::in_columns`], as the workstation draws it: a ZWJ
//! emoji sequence side by side, a skin tone cut), so that a name from outside can neither move
//! the columns nor start a row of its own. A column of names can be cut ([`TextTable::cut`]),
//! so that one long name does not widen every row.

use crate::domain::text::in_columns;
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// The most columns a customer's name takes in a table (cut with `…`).
pub const NAME_MOST: usize = 40;

fn cell(text: &str) -> String {
    in_columns(text).into_owned()
}

/// `text` cut to at most `most` columns, with `…` where it was cut.
fn cut_to(text: &str, most: usize) -> String {
    if text.width() <= most {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for g in text.graphemes(true) {
        let w = g.width();
        if used + w + 1 > most {
            break;
        }
        out.push_str(g);
        used += w;
    }
    out.push('…');
    out
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A table rendered with two spaces between columns and a rule under the header.
pub struct TextTable {
    header: Vec<String>,
    align: Vec<Align>,
    /// The most columns a cell takes, by column (`None`: as wide as its widest cell).
    most: Vec<Option<usize>>,
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these column names and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        TextTable {
            header: columns.iter().map(|(n, _)| cell(n)).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            most: vec![None; columns.len()],
            rows: Vec::new(),
        }
    }

    /// Cuts the cells of column `column` (counted from 0) to at most `most` columns, with `…`.
    pub fn cut(mut self, column: usize, most: usize) -> Self {
        if let Some(m) = self.most.get_mut(column) {
            *m = Some(most.max(2));
        }
        self
    }

    /// Appends a row (missing cells are empty).
    pub fn row(&mut self, cells: Vec<String>) {
        let row = cells
            .iter()
            .enumerate()
            .map(|(i, c)| match self.most.get(i).copied().flatten() {
                Some(most) => cut_to(&cell(c), most),
                None => cell(c),
            })
            .collect();
        self.rows.push(row);
    }

    /// Renders the table.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(widths.len()) {
                widths[i] = widths[i].max(cell.width());
            }
        }
        let mut out = String::new();
        self.line(&mut out, &self.header, &widths);
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        self.line(&mut out, &rule, &widths);
        for row in &self.rows {
            self.line(&mut out, row, &widths);
        }
        out
    }

    fn line(&self, out: &mut String, cells: &[String], widths: &[usize]) {
        let mut parts = Vec::with_capacity(widths.len());
        for (i, width) in widths.iter().enumerate() {
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            let pad = " ".repeat(width.saturating_sub(cell.width()));
            parts.push(match self.align[i] {
                Align::Left => format!("{cell}{pad}"),
                Align::Right => format!("{pad}{cell}"),
            });
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_by_display_width() {
        let mut t = TextTable::new(&[("name", Align::Left), ("amount", Align::Right)]);
        t.row(vec!["株式会社".into(), "1,000.00".into()]);
        t.row(vec!["Kite".into(), "5.00".into()]);
        assert_eq!(
            t.render(),
            "name        amount\n--------  --------\n株式会社  1,000.00\nKite          5.00\n"
        );
    }

    #[test]
    fn emoji_sequences_are_measured_as_every_terminal_draws_them() {
        let mut t = TextTable::new(&[("name", Align::Left), ("amount", Align::Right)]);
        t.row(vec![
            "👨\u{200d}👩\u{200d}👧 👍🏽 ❤\u{fe0f}".into(),
            "1.00".into(),
        ]);
        t.row(vec!["Kite".into(), "5.00".into()]);
        assert_eq!(
            t.render(),
            "name         amount\n\
             -----------  ------\n\
             👨👩👧 👍 ❤    1.00\n\
             Kite           5.00\n"
        );
    }

    #[test]
    fn a_long_name_is_cut_where_the_column_says() {
        let mut t = TextTable::new(&[("name", Align::Left), ("amount", Align::Right)]).cut(0, 8);
        t.row(vec!["株式会社東京商事".into(), "1.00".into()]);
        t.row(vec!["Kite Co".into(), "5.00".into()]);
        assert_eq!(
            t.render(),
            "name     amount\n-------  ------\n株式会…    1.00\nKite Co    5.00\n"
        );
    }

    #[test]
    fn a_cell_from_outside_stays_on_its_row() {
        let mut t = TextTable::new(&[("name", Align::Left), ("amount", Align::Right)]);
        t.row(vec!["Evil\nK9  Trusted\x1b[2J".into(), "1.00".into()]);
        assert_eq!(
            t.render(),
            "name                  amount\n\
             --------------------  ------\n\
             Evil↵K9  Trusted␛[2J    1.00\n"
        );
    }
}
