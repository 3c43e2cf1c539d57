//! RFC 4180 CSV output for programs: machine column names, plain amounts (no separators,
//! their currency's minor units: `1234.50`, `123457` yen), percentages in points (`20.5`), ISO
//! dates; the view's main table only.
//!
//! A text value that a spreadsheet would run as a formula when the file is opened (one
//! starting with `=`, `+`, `-`, `@`, a tab or a carriage return: a customer name from the
//! billing system can be anything) is written with a leading `'`, the usual guard.
//!
//! Written to a terminal (`-o -` with nothing after it), text values are
//! [`crate::domain::text::visible`]: a person is reading it, and a name's escape sequence would
//! be obeyed (SPEC "Output that reaches a terminal"). Through a pipe or into a file they are
//! as stored.

use super::{Cell, Column, Sheet};
use crate::Result;
use crate::domain::money::fixed;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Where the CSV goes: a file (flushed to disk by `export::atomically`) or a stream (standard
/// output).
enum Out {
    File(BufWriter<std::fs::File>),
    Stream(BufWriter<Box<dyn Write>>),
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Out::File(f) => f.write(buf),
            Out::Stream(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Out::File(f) => f.flush(),
            Out::Stream(s) => s.flush(),
        }
    }
}

pub struct CsvSheet {
    writer: csv::Writer<Out>,
    /// Whether rows now go to the file (inside the first table marked for CSV).
    active: bool,
    /// Whether that table has started (later tables are not written).
    started: bool,
    /// Whether a person reads it on a terminal: text made visible.
    for_terminal: bool,
}

impl CsvSheet {
    /// CSV into a new file at `path`.
    pub fn create(path: &Path) -> Result<Self> {
        let file = std::fs::File::create(path)?;
        Ok(Self::with(Out::File(BufWriter::new(file))))
    }

    /// CSV into a stream; `for_terminal`: a person reads it there (text made visible).
    pub fn new(out: Box<dyn Write>, for_terminal: bool) -> Self {
        CsvSheet {
            for_terminal,
            ..Self::with(Out::Stream(BufWriter::new(out)))
        }
    }

    fn with(out: Out) -> Self {
        CsvSheet {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(out),
            active: false,
            started: false,
            for_terminal: false,
        }
    }
}

/// Text as a spreadsheet will not run it as a formula.
fn guarded(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

fn csv_error(e: csv::Error) -> crate::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => crate::Error::Io(io),
        other => crate::Error::Io(std::io::Error::other(format!("{other:?}"))),
    }
}

impl Sheet for CsvSheet {
    fn table(&mut self, _name: &str, columns: &[Column], csv: bool) -> Result<()> {
        self.active = csv && !self.started;
        if self.active {
            self.started = true;
            self.writer
                .write_record(columns.iter().map(|c| c.key.as_str()))
                .map_err(csv_error)?;
        }
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        if !self.active {
            return Ok(());
        }
        let text = cells.iter().map(|c| match c {
            Cell::Empty => String::new(),
            Cell::Text(s) if self.for_terminal => guarded(&crate::domain::text::visible(s)),
            Cell::Text(s) => guarded(s),
            Cell::Named { key, .. } if self.for_terminal => {
                guarded(&crate::domain::text::visible(key))
            }
            Cell::Named { key, .. } => guarded(key),
            Cell::Amount(d, dp) => fixed(*d, *dp),
            Cell::Ratio(d) | Cell::Percent(d) => fixed(*d, 1),
            Cell::Integer(i) => i.to_string(),
            Cell::Date(d) => d.to_string(),
            Cell::Moment(m) => m.format(super::MOMENT).to_string(),
        });
        self.writer.write_record(text).map_err(csv_error)
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        // Through every buffer (csv's and ours) into the file or the stream; a file is then
        // flushed to disk by `export::atomically`, when it is not a pipe. Every amount is
        // written whole.
        self.writer.flush()?;
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_from_outside_are_written_as_text() {
        assert_eq!(guarded("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(guarded("+1"), "'+1");
        assert_eq!(guarded("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(guarded("Kite = good"), "Kite = good");
    }

    /// A stream the test reads back after the sheet is finished.
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn streamed(for_terminal: bool, name: &str) -> String {
        let out = Shared::default();
        let mut sheet = Box::new(CsvSheet::new(Box::new(out.clone()), for_terminal));
        let columns = [super::super::Column::new(
            "name",
            "Name",
            super::super::Kind::Text,
        )];
        sheet.table("Queue", &columns, true).unwrap();
        sheet.row(&[Cell::Text(name.into())]).unwrap();
        sheet.finish().unwrap();
        String::from_utf8(out.0.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn a_terminal_is_shown_escape_sequences_and_a_pipe_gets_the_value() {
        let name = "Evil\x1b]52;c;aGk=\x07\u{9b}2J\u{202e} Co";
        assert_eq!(
            streamed(true, name),
            "name\r\nEvil␛]52;c;aGk=␇<U+009B>2J<U+202E> Co\r\n"
        );
        assert_eq!(streamed(false, name), format!("name\r\n{name}\r\n"));
    }
}
