//! `owed export VIEW --format xlsx|csv -o FILE`: any view as a spreadsheet.
//!
//! A view writes its header and rows through a [`Sheet`], so large views (a million
//! documents) stream to disk: the CSV writer buffers nothing, the xlsx writer runs in
//! rust_xlsxwriter's constant-memory mode. The file appears only when complete: it is written
//! beside the target under a temporary name and renamed at the end.

mod csv_sheet;
pub mod pdf;
pub mod statement;
pub mod views;
mod xlsx_sheet;

use crate::domain::{Date, Decimal};
use crate::{Error, Result};
use std::path::Path;

/// What a column holds; decides the cell type and number format in xlsx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Money, two decimals with thousands separators.
    Amount,
    Integer,
    Date,
    /// A ratio shown with one decimal (days, percent).
    Ratio,
}

/// A column of a sheet.
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub kind: Kind,
}

impl Column {
    /// A column titled `title` holding `kind`.
    pub fn new(title: &str, kind: Kind) -> Self {
        Column {
            title: title.to_string(),
            kind,
        }
    }
}

/// One cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Amount(Decimal),
    Integer(i64),
    Date(Date),
    Ratio(Decimal),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        s.map_or(Cell::Empty, Cell::Text)
    }
}

impl From<Option<Date>> for Cell {
    fn from(d: Option<Date>) -> Self {
        d.map_or(Cell::Empty, Cell::Date)
    }
}

/// A destination for rows: CSV or xlsx.
pub trait Sheet {
    /// Writes the header row; called once, first.
    fn header(&mut self, columns: &[Column]) -> Result<()>;
    /// Writes one data row, cells in column order.
    fn row(&mut self, cells: &[Cell]) -> Result<()>;
    /// Finishes the file.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Xlsx,
    Csv,
}

/// Opens a sheet writing to a temporary file beside `path`.
pub fn open_sheet(format: Format, temp: &Path, name: &str) -> Result<Box<dyn Sheet>> {
    Ok(match format {
        Format::Csv => Box::new(csv_sheet::CsvSheet::create(temp)?),
        Format::Xlsx => Box::new(xlsx_sheet::XlsxSheet::create(temp, name)),
    })
}

/// Writes a view to `path` atomically: to a temporary file first, renamed when complete.
pub fn write_atomically(
    path: &Path,
    format: Format,
    sheet_name: &str,
    fill: impl FnOnce(&mut dyn Sheet) -> Result<()>,
) -> Result<()> {
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::input(format!("{}: not a file name", path.display())))?;
    let temp = path.with_file_name(format!(".{}.partial", file_name.to_string_lossy()));
    let result = (|| {
        let mut sheet = open_sheet(format, &temp, sheet_name)?;
        fill(sheet.as_mut())?;
        sheet.finish()?;
        std::fs::rename(&temp, path)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(|e: Error| match e {
        Error::Io(io) => Error::runtime(format!("cannot write {}: {io}", path.display())),
        other => other,
    })
}
