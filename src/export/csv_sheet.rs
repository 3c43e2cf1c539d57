//! RFC 4180 CSV output: plain amounts (no separators), ISO dates.

use super::{Cell, Column, Sheet};
use crate::Result;
use std::path::Path;

pub struct CsvSheet {
    writer: csv::Writer<std::io::BufWriter<std::fs::File>>,
}

impl CsvSheet {
    pub fn create(path: &Path) -> Result<Self> {
        let file = std::fs::File::create(path)?;
        let writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(std::io::BufWriter::new(file));
        Ok(CsvSheet { writer })
    }
}

/// A decimal with exactly `dp` places (`0.00`, not `0`).
fn fixed(d: rust_decimal::Decimal, dp: u32) -> String {
    let mut v = d.round_dp(dp);
    v.rescale(dp);
    v.to_string()
}

fn csv_error(e: csv::Error) -> crate::Error {
    crate::Error::Io(std::io::Error::other(e.to_string()))
}

impl Sheet for CsvSheet {
    fn header(&mut self, columns: &[Column]) -> Result<()> {
        self.writer
            .write_record(columns.iter().map(|c| c.title.as_str()))
            .map_err(csv_error)
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        let text = cells.iter().map(|c| match c {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Amount(d) => fixed(*d, 2),
            Cell::Ratio(d) => fixed(*d, 1),
            Cell::Integer(i) => i.to_string(),
            Cell::Date(d) => d.to_string(),
        });
        self.writer.write_record(text).map_err(csv_error)
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        self.writer.flush()?;
        let inner = self.writer.into_inner().map_err(|e| e.into_error())?;
        inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(())
    }
}
