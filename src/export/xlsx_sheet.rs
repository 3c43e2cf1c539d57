//! Excel output: real numeric and date cells with number formats, a bold frozen header row,
//! an autofilter and column widths from the content.
//!
//! Excel stores numbers as IEEE doubles; amounts are converted only here, at the edge, after
//! rounding to cents.

use super::{Cell, Column, Sheet};
use crate::{Error, Result};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

const MAX_WIDTH: usize = 60;

pub struct XlsxSheet {
    workbook: Workbook,
    path: PathBuf,
    name: String,
    columns: Vec<Column>,
    widths: Vec<usize>,
    rows: u32,
    bold: Format,
    amount: Format,
    ratio: Format,
    date: Format,
    ready: bool,
}

fn xlsx_error(e: XlsxError) -> Error {
    Error::runtime(format!("xlsx: {e}"))
}

impl XlsxSheet {
    pub fn create(path: &Path, name: &str) -> Self {
        XlsxSheet {
            workbook: Workbook::new(),
            path: path.to_path_buf(),
            name: name.chars().take(31).collect(),
            columns: Vec::new(),
            widths: Vec::new(),
            rows: 0,
            bold: Format::new().set_bold(),
            amount: Format::new().set_num_format("#,##0.00"),
            ratio: Format::new().set_num_format("0.0"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            ready: false,
        }
    }

    fn sheet(&mut self) -> Result<&mut rust_xlsxwriter::Worksheet> {
        if !self.ready {
            let sheet = self
                .workbook
                .add_worksheet_with_constant_memory()
                .map_err(xlsx_error)?;
            sheet.set_name(&self.name).map_err(xlsx_error)?;
            self.ready = true;
        }
        self.workbook.worksheet_from_index(0).map_err(xlsx_error)
    }
}

impl Sheet for XlsxSheet {
    fn header(&mut self, columns: &[Column]) -> Result<()> {
        self.columns = columns.to_vec();
        self.widths = columns.iter().map(|c| c.title.width() + 2).collect();
        let bold = self.bold.clone();
        let sheet = self.sheet()?;
        for (i, c) in columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, i as u16, &c.title, &bold)
                .map_err(xlsx_error)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
        self.rows = 1;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        let row = self.rows;
        let (amount, ratio, date) = (self.amount.clone(), self.ratio.clone(), self.date.clone());
        let mut widths = std::mem::take(&mut self.widths);
        let sheet = self.sheet()?;
        for (i, cell) in cells.iter().enumerate() {
            let col = i as u16;
            let shown = match cell {
                Cell::Empty => 0,
                Cell::Text(s) => {
                    sheet.write_string(row, col, s).map_err(xlsx_error)?;
                    s.width()
                }
                Cell::Amount(d) => {
                    let v = d.round_dp(2).to_f64().unwrap_or(0.0);
                    sheet
                        .write_number_with_format(row, col, v, &amount)
                        .map_err(xlsx_error)?;
                    crate::domain::money::grouped(*d, "USD").len()
                }
                Cell::Ratio(d) => {
                    let v = d.round_dp(1).to_f64().unwrap_or(0.0);
                    sheet
                        .write_number_with_format(row, col, v, &ratio)
                        .map_err(xlsx_error)?;
                    6
                }
                Cell::Integer(n) => {
                    sheet
                        .write_number(row, col, *n as f64)
                        .map_err(xlsx_error)?;
                    n.to_string().len()
                }
                Cell::Date(d) => {
                    use chrono::Datelike;
                    let dt =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .map_err(xlsx_error)?;
                    sheet
                        .write_datetime_with_format(row, col, &dt, &date)
                        .map_err(xlsx_error)?;
                    10
                }
            };
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(shown + 2).min(MAX_WIDTH);
            }
        }
        self.widths = widths;
        self.rows += 1;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let widths = self.widths.clone();
        let (rows, cols) = (self.rows, self.columns.len() as u16);
        let path = self.path.clone();
        let sheet = self.sheet()?;
        for (i, w) in widths.iter().enumerate() {
            sheet
                .set_column_width(i as u16, *w as f64)
                .map_err(xlsx_error)?;
        }
        if cols > 0 {
            sheet
                .autofilter(0, 0, rows.saturating_sub(1).max(1), cols - 1)
                .map_err(xlsx_error)?;
        }
        self.workbook.save(&path).map_err(xlsx_error)?;
        Ok(())
    }
}
