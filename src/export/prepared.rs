//! A view read into memory now and written to its file later, on another thread.
//!
//! The workstation's service reads what a screen shows from its own connection (the queue
//! table is a TEMP table of that connection), which is quick, between other sessions'
//! requests; building the workbook is the slow part (about 2 s for a 100,000-customer queue in
//! xlsx), and a thread of its own does it while the service answers everyone else.

use super::{Cell, Column, Meta, Options, Sheet, Written, write_view};
use crate::Result;
use std::path::Path;

/// A view's tables and rows, read and kept, with what its file says about itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    meta: Meta,
    tables: Vec<Table>,
    /// What the export counts as written, when not the rows of its main table.
    rows: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
struct Table {
    name: String,
    columns: Vec<Column>,
    csv: bool,
    rows: Vec<Vec<Cell>>,
}

/// The sheet a view is read into.
#[derive(Default)]
struct Recorder {
    tables: Vec<Table>,
}

impl Sheet for Recorder {
    fn table(&mut self, name: &str, columns: &[Column], csv: bool) -> Result<()> {
        self.tables.push(Table {
            name: name.to_string(),
            columns: columns.to_vec(),
            csv,
            rows: Vec::new(),
        });
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        match self.tables.last_mut() {
            Some(table) => {
                table.rows.push(cells.to_vec());
                Ok(())
            }
            None => Err(crate::Error::runtime(
                "an export wrote a row before its table",
            )),
        }
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        Ok(0)
    }
}

impl Prepared {
    /// Reads the view `fill` writes, to be written with `meta` later.
    ///
    /// # Errors
    ///
    /// What `fill` returns (the database could not be read).
    pub fn read(meta: Meta, fill: impl FnOnce(&mut dyn Sheet) -> Result<()>) -> Result<Prepared> {
        let mut recorder = Recorder::default();
        fill(&mut recorder)?;
        Ok(Prepared {
            meta,
            tables: recorder.tables,
            rows: None,
        })
    }

    /// The same, saying `rows` were written (the team's collectors, the plan's reminders)
    /// rather than the rows of its main table.
    pub fn counting(self, rows: u64) -> Prepared {
        Prepared {
            rows: Some(rows),
            ..self
        }
    }

    /// The rows of its main table (the one CSV keeps).
    pub fn main_rows(&self) -> u64 {
        self.tables
            .iter()
            .filter(|t| t.csv)
            .map(|t| t.rows.len() as u64)
            .sum()
    }

    /// The same, the scope its titles say made by `scope` of the one it had.
    pub fn rescoped(mut self, scope: impl FnOnce(&str) -> String) -> Prepared {
        self.meta.scope = scope(&self.meta.scope);
        self
    }

    /// Writes the view to `path` as [`write_view`] does; the rows written (those counted,
    /// when [`Prepared::counting`]) and the amounts written as text.
    ///
    /// # Errors
    ///
    /// When the file cannot be written (nothing is left at `path` then).
    pub fn write(self, path: &Path, options: &Options) -> Result<Written> {
        let Prepared { meta, tables, rows } = self;
        let main = write_view(path, options, &meta, |sheet| {
            for table in tables {
                sheet.table(&table.name, &table.columns, table.csv)?;
                for row in &table.rows {
                    sheet.row(row)?;
                }
            }
            Ok(())
        })?;
        Ok(Written {
            rows: rows.unwrap_or(main.rows),
            ..main
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Date;
    use crate::export::{Format, Kind};

    fn meta() -> Meta {
        Meta::new(
            "Queue",
            Date::from_ymd_opt(2026, 4, 30).unwrap(),
            "EUR",
            "every collector's customers",
            &[],
        )
    }

    fn two_tables(sheet: &mut dyn Sheet) -> Result<()> {
        sheet.table(
            "Main",
            &[
                Column::new("id", "ID", Kind::Text),
                Column::new("open", "Open", Kind::Amount),
            ],
            true,
        )?;
        sheet.row(&[
            Cell::from("K1"),
            Cell::amount("12.50".parse().unwrap(), "EUR"),
        ])?;
        sheet.row(&[Cell::from("K2, \"quoted\""), Cell::Empty])?;
        sheet.table("Other", &[Column::new("n", "N", Kind::Count)], false)?;
        sheet.row(&[Cell::count(3)])
    }

    #[test]
    fn a_prepared_view_writes_the_same_file_as_the_view_written_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let options = Options::new(Format::Csv);
        let direct = dir.path().join("direct.csv");
        let later = dir.path().join("later.csv");
        let rows = write_view(&direct, &options, &meta(), two_tables).unwrap();
        let prepared = Prepared::read(meta(), two_tables).unwrap();
        assert_eq!(prepared.write(&later, &options).unwrap(), rows);
        assert_eq!(rows.rows, 2, "the main table's rows");
        let text = std::fs::read_to_string(&later).unwrap();
        assert_eq!(text, std::fs::read_to_string(&direct).unwrap());
        assert!(text.contains("\"K2, \"\"quoted\"\"\""), "{text}");
    }

    #[test]
    fn a_prepared_view_can_say_what_it_counts() {
        let dir = tempfile::tempdir().unwrap();
        let prepared = Prepared::read(meta(), two_tables).unwrap().counting(7);
        let path = dir.path().join("q.xlsx");
        assert_eq!(
            prepared
                .write(&path, &Options::new(Format::Xlsx))
                .unwrap()
                .rows,
            7
        );
        assert!(path.is_file());
    }

    #[test]
    fn two_writes_of_one_file_at_once_each_leave_a_whole_file() {
        // Two sessions' exports to one name, both half written at the same moment: each
        // writes its own temporary file, and the file is the whole of one of them.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("queue.csv");
        let both_started = std::sync::Barrier::new(2);
        let write = |id: &'static str| {
            write_view(&path, &Options::new(Format::Csv), &meta(), |s| {
                s.table("Main", &[Column::new("id", "ID", Kind::Text)], true)?;
                s.row(&[Cell::from(id)])?;
                both_started.wait();
                s.row(&[Cell::from(id)])
            })
        };
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| write("first"));
            let b = scope.spawn(|| write("second"));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!((a.unwrap().rows, b.unwrap().rows), (2, 2));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text == "id\r\nfirst\r\nfirst\r\n" || text == "id\r\nsecond\r\nsecond\r\n",
            "{text:?}"
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["queue.csv"], "no temporary file left");
    }

    #[test]
    fn a_row_before_any_table_is_refused() {
        let err = Prepared::read(meta(), |s| s.row(&[Cell::Empty])).unwrap_err();
        assert!(err.to_string().contains("before its table"), "{err}");
    }
}
