//! Aligned plain-text tables for people: text left, amounts right, widths by display width.
//! Every cell is shown on its line with its control characters visible
//! ([`crate::domain::text::one_line`]), so that a name from outside can neither move the
//! columns nor start a row of its own.

use crate::domain::text::one_line;
use unicode_width::UnicodeWidthStr;

fn cell(text: &str) -> String {
    one_line(text).into_owned()
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
    rows: Vec<Vec<String>>,
}

impl TextTable {
    /// A table with these column names and alignments.
    pub fn new(columns: &[(&str, Align)]) -> Self {
        TextTable {
            header: columns.iter().map(|(n, _)| cell(n)).collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (missing cells are empty).
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|c| one_line(&c).into_owned())
                .collect(),
        );
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
