//! Excel output for people: per table a worksheet with a title row, bold frozen human
//! headers, typed cells with number, date and percent formats, an autofilter over the data
//! rows only, `SUBTOTAL(109, …)` totals below them and fitted column widths; a table longer
//! than the rows a worksheet takes continues on the next one ("Documents (2)"); a last
//! worksheet "About".
//!
//! Excel stores numbers as IEEE doubles; amounts are converted only here, at the edge, after
//! rounding to the currency's minor units (half away from zero, as everywhere), and shown
//! with as many decimals (`#,##0` for yen, `#,##0.00` for dollars). The totals' formulas
//! carry their value (the rounded cells summed exactly, as decimals), so a reader that does
//! not recalculate still shows the right figure.
//!
//! Excel keeps 15 significant digits of a number: an amount past them (12,345,678,901,234.56)
//! would lose its cents, so it is written as text, as its number format shows it
//! (`12,345,678,901,234.56`, right-aligned), and so is the total of its column (`SUBTOTAL`
//! skips text) or a total past them; [`Sheet::finish`] says how many.

use super::{Cell, Column, Kind, Meta, Sheet};
use crate::domain::Decimal;
use crate::domain::money::{STORE_SCALE, fixed, grouped_plain, minor_units, round_half_away};
use crate::{Error, Result};
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet,
    XlsxError,
};
use std::path::{Path, PathBuf};
use unicode_width::UnicodeWidthStr;

const MAX_WIDTH: usize = 60;
/// Row of the title, of the headers, and the first data row.
const TITLE_ROW: u32 = 0;
const HEADER_ROW: u32 = 1;
const FIRST_DATA_ROW: u32 = 2;

/// The significant digits Excel keeps of a number.
const EXCEL_DIGITS: usize = 15;

/// Whether `amount` (rounded to what is shown) has more significant digits than Excel keeps:
/// as a number, it would be shown rounded.
fn past_excel(amount: Decimal) -> bool {
    digits(amount.normalize().mantissa().unsigned_abs()) > EXCEL_DIGITS
}

/// An amount past Excel's digits as the text a cell holds instead: as the number format
/// would show it, `dp` decimals and thousands separators (`12,345,678,901,234.56`).
fn amount_text(amount: Decimal, dp: u32) -> String {
    grouped_plain(&fixed(amount, dp))
}

fn xlsx_error(e: XlsxError) -> Error {
    match e {
        // The file cannot be written: said with its name (see `export::atomically`).
        XlsxError::IoError(io) => Error::Io(io),
        // Each worksheet is written to a temporary file first (`TMPDIR`, else /tmp).
        XlsxError::TempFileError(dir, io) => Error::runtime(format!(
            "could not make the workbook's temporary files in {} ({io}): nothing was exported; \
             set TMPDIR to a folder owed may write",
            dir.display()
        )),
        e => Error::runtime(format!("xlsx: {e}")),
    }
}

/// The cell formats of a workbook.
struct Formats {
    title: Format,
    header: Format,
    /// By decimal places: `#,##0`, `#,##0.0`, `#,##0.00`, …
    amount: Vec<Format>,
    /// An amount past Excel's digits, written as text: right-aligned as the numbers are.
    amount_text: Format,
    integer: Format,
    count: Format,
    ratio: Format,
    percent: Format,
    date: Format,
    moment: Format,
    total_label: Format,
    /// By decimal places, as `amount`.
    total_amount: Vec<Format>,
    /// A total past Excel's digits (or of a column holding such an amount), as text.
    total_amount_text: Format,
    total_count: Format,
}

/// The number format of money with `dp` decimal places: `#,##0` (yen), `#,##0.00` (dollars).
fn amount_format(dp: u32) -> String {
    if dp == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(dp as usize))
    }
}

/// The formats of an amount with `dp` decimal places among `formats` (one per place).
fn with_places(formats: &[Format], dp: u32) -> &Format {
    &formats[(dp as usize).min(formats.len() - 1)]
}

impl Formats {
    fn new() -> Formats {
        let total = Format::new().set_bold().set_border_top(FormatBorder::Thin);
        Formats {
            title: Format::new().set_bold().set_font_size(12),
            header: Format::new()
                .set_bold()
                .set_background_color(Color::RGB(0xE7E6E6))
                .set_border_bottom(FormatBorder::Thin),
            amount: (0..=STORE_SCALE)
                .map(|dp| Format::new().set_num_format(amount_format(dp)))
                .collect(),
            amount_text: Format::new().set_align(FormatAlign::Right),
            integer: Format::new().set_num_format("0"),
            count: Format::new().set_num_format("#,##0"),
            ratio: Format::new().set_num_format("0.0"),
            percent: Format::new().set_num_format("0.0%"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            moment: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            total_label: total.clone(),
            total_amount: (0..=STORE_SCALE)
                .map(|dp| total.clone().set_num_format(amount_format(dp)))
                .collect(),
            total_amount_text: total.clone().set_align(FormatAlign::Right),
            total_count: total.set_num_format("#,##0"),
        }
    }
}

/// The worksheet being filled: one part of a table.
struct Part {
    index: usize,
    /// The table's name and which part of it this is (1 for the first).
    name: String,
    number: u32,
    columns: Vec<Column>,
    widths: Vec<usize>,
    /// Column sums, for the totals' cached values.
    sums: Vec<Decimal>,
    /// The most decimal places of a column's amounts, for its total's format.
    places: Vec<Option<u32>>,
    /// A column holds an amount written as text (past Excel's digits): its total is too.
    texts: Vec<bool>,
    /// Data rows written.
    rows: u32,
}

pub struct XlsxSheet {
    workbook: Workbook,
    path: PathBuf,
    meta: Meta,
    rows_per_sheet: u32,
    formats: Formats,
    part: Option<Part>,
    /// Worksheet names taken (Excel refuses two alike, without regard to case).
    names: Vec<String>,
    /// Amounts (totals too) written as text, past Excel's digits.
    as_text: u64,
}

impl XlsxSheet {
    /// A workbook to be saved at `path`, with `rows_per_sheet` data rows per worksheet at most.
    pub fn create(path: &Path, meta: Meta, rows_per_sheet: u32) -> Self {
        let mut workbook = Workbook::new();
        // Compressing the file was a third of the time a large export took: level 3 (of 9;
        // 6 by default) makes the file about an eighth larger and the export a fifth faster.
        workbook.set_zip_compression_level(3);
        XlsxSheet {
            workbook,
            path: path.to_path_buf(),
            meta,
            rows_per_sheet: rows_per_sheet.max(1),
            formats: Formats::new(),
            part: None,
            names: Vec::new(),
            as_text: 0,
        }
    }

    /// A worksheet name Excel accepts and no other worksheet has: no `[]:*?/\`, 31
    /// characters at most.
    fn sheet_name(&mut self, name: &str, number: u32) -> String {
        let clean: String = name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c) && !c.is_control())
            .collect();
        let clean = clean.trim().trim_matches('\'');
        let clean = if clean.is_empty() { "Sheet" } else { clean };
        let mut n = number;
        loop {
            let suffix = if n > 1 {
                format!(" ({n})")
            } else {
                String::new()
            };
            let room = 31 - suffix.chars().count();
            let candidate: String = clean.chars().take(room).collect::<String>() + &suffix;
            if !self
                .names
                .iter()
                .any(|t| t.to_lowercase() == candidate.to_lowercase())
            {
                self.names.push(candidate.clone());
                return candidate;
            }
            n += 1;
        }
    }

    /// Starts part `number` of a table on a new worksheet: title and header rows.
    fn start(&mut self, name: &str, number: u32, columns: &[Column]) -> Result<()> {
        let sheet_name = self.sheet_name(name, number);
        let mut title = self.meta.title(name);
        if number > 1 {
            title = format!("{title} · continued (part {number})");
        }
        let formats = Formats::new();
        let sheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(xlsx_error)?;
        sheet.set_name(&sheet_name).map_err(xlsx_error)?;
        sheet
            .write_string_with_format(TITLE_ROW, 0, &title, &formats.title)
            .map_err(xlsx_error)?;
        for (i, c) in columns.iter().enumerate() {
            sheet
                .write_string_with_format(HEADER_ROW, col(i)?, &c.title, &formats.header)
                .map_err(xlsx_error)?;
        }
        sheet
            .set_freeze_panes(FIRST_DATA_ROW, 0)
            .map_err(xlsx_error)?;
        let index = self.names.len() - 1;
        self.part = Some(Part {
            index,
            name: name.to_string(),
            number,
            columns: columns.to_vec(),
            widths: columns.iter().map(|c| c.title.width() + 2).collect(),
            sums: vec![Decimal::ZERO; columns.len()],
            places: vec![None; columns.len()],
            texts: vec![false; columns.len()],
            rows: 0,
        });
        Ok(())
    }

    /// Ends the current worksheet: the totals below the data, the autofilter over the
    /// header and data rows only, the column widths.
    fn end(&mut self) -> Result<()> {
        let Some(part) = self.part.take() else {
            return Ok(());
        };
        let Formats {
            total_label,
            total_amount,
            total_amount_text,
            total_count,
            ..
        } = Formats::new();
        let last = FIRST_DATA_ROW + part.rows - 1;
        let total_row = last + 1;
        let base_places = minor_units(&self.meta.currency);
        let mut as_text = 0;
        let sheet = self
            .workbook
            .worksheet_from_index(part.index)
            .map_err(xlsx_error)?;
        let mut widths = part.widths.clone();
        // A table with nothing to total (amounts in several currencies) gets no total row.
        if part.rows > 0 && part.columns.iter().any(|c| c.kind.summed()) {
            let label_col = part
                .columns
                .iter()
                .position(|c| !c.kind.summed())
                .unwrap_or(0);
            for (i, c) in part.columns.iter().enumerate() {
                if !c.kind.summed() {
                    if i == label_col {
                        sheet
                            .write_string_with_format(total_row, col(i)?, "Total", &total_label)
                            .map_err(xlsx_error)?;
                    } else {
                        sheet
                            .write_blank(total_row, col(i)?, &total_label)
                            .map_err(xlsx_error)?;
                    }
                    continue;
                }
                let places = part.places[i].unwrap_or(base_places);
                if c.kind == Kind::Amount && (part.texts[i] || past_excel(part.sums[i])) {
                    // Excel would add the numbers in 15 digits, and skip the texts.
                    let text = amount_text(part.sums[i], places);
                    sheet
                        .write_string_with_format(total_row, col(i)?, &text, &total_amount_text)
                        .map_err(xlsx_error)?;
                    as_text += 1;
                    widths[i] = widths[i].max(text.width() + 2);
                    continue;
                }
                let letter = rust_xlsxwriter::utility::column_number_to_name(col(i)?);
                let formula = Formula::new(format!(
                    "=SUBTOTAL(109,{letter}{}:{letter}{})",
                    FIRST_DATA_ROW + 1,
                    last + 1
                ))
                .set_result(part.sums[i].normalize().to_string());
                let format = if c.kind == Kind::Amount {
                    with_places(&total_amount, places)
                } else {
                    &total_count
                };
                sheet
                    .write_formula_with_format(total_row, col(i)?, formula, format)
                    .map_err(xlsx_error)?;
                widths[i] = widths[i].max(shown_width(&Cell::Amount(part.sums[i], places)) + 2);
            }
        }
        for (i, w) in widths.iter().enumerate() {
            sheet
                .set_column_width(col(i)?, (*w).min(MAX_WIDTH) as f64)
                .map_err(xlsx_error)?;
        }
        self.as_text += as_text;
        if !part.columns.is_empty() {
            sheet
                .autofilter(
                    HEADER_ROW,
                    0,
                    last.max(HEADER_ROW),
                    col(part.columns.len() - 1)?,
                )
                .map_err(xlsx_error)?;
        }
        Ok(())
    }

    /// The last worksheet: what the workbook is and how its figures are computed.
    fn about(&mut self) -> Result<()> {
        let name = self.sheet_name("About", 1);
        let Formats {
            title,
            header,
            date,
            ..
        } = Formats::new();
        let meta = self.meta.clone();
        let sheet = self.workbook.add_worksheet();
        sheet.set_name(&name).map_err(xlsx_error)?;
        let mut row = 0;
        // Writes a row of two texts; returns its number.
        let mut put = |sheet: &mut Worksheet, a: &str, b: &str, f: Option<&Format>| {
            let r = match f {
                Some(f) => sheet
                    .write_string_with_format(row, 0, a, f)
                    .and_then(|s| s.write_string_with_format(row, 1, b, f)),
                None => sheet
                    .write_string(row, 0, a)
                    .and_then(|s| s.write_string(row, 1, b)),
            };
            row += 1;
            r.map(|_| row - 1).map_err(xlsx_error)
        };
        put(
            sheet,
            &format!("{} — about this workbook", meta.view),
            "",
            Some(&title),
        )?;
        put(sheet, "View", &meta.view, None)?;
        let as_of_row = put(sheet, "As of", "", None)?;
        put(sheet, "Base currency", &meta.currency, None)?;
        put(sheet, "Scope", &meta.scope, None)?;
        if let Some(ledger) = &meta.ledger {
            put(sheet, "Ledger imported", ledger, None)?;
        }
        if let Some(exported) = &meta.exported {
            put(sheet, "Exported by", exported, None)?;
        }
        put(
            sheet,
            "Written by",
            &format!("owed {}", env!("CARGO_PKG_VERSION")),
            None,
        )?;
        put(sheet, "", "", None)?;
        put(sheet, "Figure", "How it is computed", Some(&header))?;
        for (figure, formula) in &meta.about {
            put(sheet, figure, formula, None)?;
        }
        {
            use chrono::Datelike;
            let d = meta.as_of;
            let as_of = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                .map_err(xlsx_error)?;
            sheet
                .write_datetime_with_format(as_of_row, 1, &as_of, &date)
                .map_err(xlsx_error)?;
        }
        let widest =
            |f: &dyn Fn(&(String, String)) -> usize| meta.about.iter().map(f).max().unwrap_or(0);
        sheet
            .set_column_width(0, (widest(&|a| a.0.width()).max(14) + 2) as f64)
            .map_err(xlsx_error)?;
        sheet
            .set_column_width(1, (widest(&|a| a.1.width()).clamp(20, 120) + 2) as f64)
            .map_err(xlsx_error)?;
        Ok(())
    }
}

/// A column number as rust_xlsxwriter takes it.
fn col(i: usize) -> Result<u16> {
    u16::try_from(i).map_err(|_| Error::runtime("xlsx: too many columns"))
}

/// The most characters Excel holds in a cell, counted as Excel (and the xlsx writer, which
/// refuses a longer text) counts them: in UTF-16 units, two for a character beyond the Basic
/// Multilingual Plane (an emoji, a rare CJK character).
const CELL_UNITS: usize = 32_767;

/// Text as a cell can hold it: a longer one (a note pasted from a long email, a reply of many
/// pages) is cut, and says so, rather than failing the whole export.
fn within_a_cell(text: &str) -> std::borrow::Cow<'_, str> {
    let units = |s: &str| s.encode_utf16().count();
    if text.len() <= CELL_UNITS || units(text) <= CELL_UNITS {
        return std::borrow::Cow::Borrowed(text);
    }
    // Counted as Excel counts: 20,000 emoji are 40,000 (beside "holds 32767", "20000" read
    // as if the text fitted).
    let note = format!(
        " … [cut: Excel holds {CELL_UNITS} characters in a cell; this text has {}, and the CSV \
         export or owed activity has it whole]",
        units(text)
    );
    let room = CELL_UNITS - units(&note);
    let mut used = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            used += c.len_utf16();
            used > room
        })
        .map_or(text.len(), |(at, _)| at);
    std::borrow::Cow::Owned(format!("{}{note}", &text[..end]))
}

/// How many decimal digits a number has.
fn digits(n: u128) -> usize {
    n.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// About how wide a cell shows, in characters.
fn shown_width(cell: &Cell) -> usize {
    match cell {
        Cell::Empty => 0,
        Cell::Text(s) | Cell::Named { words: s, .. } => s.width(),
        Cell::Amount(d, dp) => {
            // Digits, separators and the decimals, without formatting the number.
            let mut whole = d.trunc().abs();
            whole.rescale(0);
            let digits = digits(whole.mantissa().unsigned_abs());
            let decimals = if *dp == 0 { 0 } else { *dp as usize + 1 };
            digits + (digits - 1) / 3 + decimals + usize::from(d.is_sign_negative())
        }
        Cell::Ratio(_) | Cell::Percent(_) => 7,
        Cell::Integer(n) => {
            let digits = digits(n.unsigned_abs().into());
            digits + (digits - 1) / 3 + usize::from(*n < 0)
        }
        Cell::Date(_) => 10,
        Cell::Moment(_) => 19,
    }
}

/// The error of a panic in the xlsx writer. It panics on a failed write to its temporary
/// files (one per worksheet, in the system's temporary folder: `/tmp` full), where it should
/// have returned an error.
fn writer_panicked(message: &str) -> Error {
    if message.contains("write") {
        Error::runtime(format!(
            "could not write the workbook's temporary files in {} (the disk may be full): \
             nothing was exported; free some space there, or set TMPDIR to a folder with room",
            std::env::temp_dir().display()
        ))
    } else {
        Error::runtime(format!(
            "the xlsx writer failed ({message}): nothing was exported"
        ))
    }
}

impl Sheet for XlsxSheet {
    fn table(&mut self, name: &str, columns: &[Column], _csv: bool) -> Result<()> {
        crate::error::catch_panic(
            || {
                self.end()?;
                self.start(name, 1, columns)
            },
            writer_panicked,
        )
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        crate::error::catch_panic(|| self.write_row(cells), writer_panicked)
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        crate::error::catch_panic(|| self.save_all(), writer_panicked)
    }
}

impl XlsxSheet {
    fn write_row(&mut self, cells: &[Cell]) -> Result<()> {
        let full = self
            .part
            .as_ref()
            .ok_or_else(|| Error::runtime("xlsx: a row before any table"))?
            .rows
            >= self.rows_per_sheet;
        if full {
            let (name, number, columns) = {
                let p = self.part.as_ref().expect("checked above");
                (p.name.clone(), p.number + 1, p.columns.clone())
            };
            self.end()?;
            self.start(&name, number, &columns)?;
        }
        let mut part = self.part.take().expect("a table is open");
        let row = FIRST_DATA_ROW + part.rows;
        let f = &self.formats;
        let mut as_text = 0;
        let sheet = self
            .workbook
            .worksheet_from_index(part.index)
            .map_err(xlsx_error)?;
        for (i, cell) in cells.iter().enumerate() {
            let c = col(i)?;
            let written = match cell {
                Cell::Empty => Ok(&mut *sheet),
                Cell::Text(s) | Cell::Named { words: s, .. } => {
                    sheet.write_string(row, c, within_a_cell(s).as_ref())
                }
                Cell::Amount(d, dp) => {
                    let v = round_half_away(*d, *dp);
                    if let Some(sum) = part.sums.get_mut(i) {
                        *sum += v;
                    }
                    if let Some(places) = part.places.get_mut(i) {
                        *places = Some(places.map_or(*dp, |p| p.max(*dp)));
                    }
                    if past_excel(v) {
                        if let Some(text) = part.texts.get_mut(i) {
                            *text = true;
                        }
                        as_text += 1;
                        sheet.write_string_with_format(row, c, amount_text(v, *dp), &f.amount_text)
                    } else {
                        let format = with_places(&f.amount, *dp);
                        sheet.write_number_with_format(row, c, v.to_f64().unwrap_or(0.0), format)
                    }
                }
                Cell::Ratio(d) => sheet.write_number_with_format(
                    row,
                    c,
                    round_half_away(*d, 1).to_f64().unwrap_or(0.0),
                    &f.ratio,
                ),
                Cell::Percent(d) => sheet.write_number_with_format(
                    row,
                    c,
                    (round_half_away(*d, 1) / Decimal::ONE_HUNDRED)
                        .to_f64()
                        .unwrap_or(0.0),
                    &f.percent,
                ),
                Cell::Integer(n) => {
                    if let Some(sum) = part.sums.get_mut(i) {
                        *sum += Decimal::from(*n);
                    }
                    let format = match part.columns.get(i).map(|c| c.kind) {
                        Some(Kind::Count) => &f.count,
                        _ => &f.integer,
                    };
                    sheet.write_number_with_format(row, c, *n as f64, format)
                }
                Cell::Date(d) => {
                    use chrono::Datelike;
                    let dt =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8);
                    match dt {
                        Ok(dt) => sheet.write_datetime_with_format(row, c, &dt, &f.date),
                        Err(e) => Err(e),
                    }
                }
                Cell::Moment(m) => {
                    use chrono::{Datelike, Timelike};
                    let dt =
                        ExcelDateTime::from_ymd(m.year() as u16, m.month() as u8, m.day() as u8)
                            .and_then(|d| d.and_hms(m.hour() as u16, m.minute() as u8, m.second()));
                    match dt {
                        Ok(dt) => sheet.write_datetime_with_format(row, c, &dt, &f.moment),
                        Err(e) => Err(e),
                    }
                }
            };
            written.map_err(xlsx_error)?;
            if let Some(w) = part.widths.get_mut(i) {
                *w = (*w).max(shown_width(cell) + 2).min(MAX_WIDTH);
            }
        }
        part.rows += 1;
        self.part = Some(part);
        self.as_text += as_text;
        Ok(())
    }

    /// Saves the workbook; the amounts written as text.
    fn save_all(mut self: Box<Self>) -> Result<u64> {
        self.end()?;
        self.about()?;
        let file = std::fs::File::create(&self.path)?;
        save(&mut self.workbook, file)?;
        Ok(self.as_text)
    }
}

/// Saves `workbook` into `out`, returning the first write that failed (a full disk) as
/// [`Error::Io`], and printing nothing.
///
/// The zip library finishes an archive again when it is dropped unfinished — as it is when
/// a write failed — and prints that second failure on standard error itself
/// (`ZipWriter::drop: failed to finalize archive: …`), before owed's sentence. Through
/// [`FirstFailure`] that second try succeeds, writing nowhere, so only owed says what failed.
fn save<W: std::io::Write + Send>(workbook: &mut Workbook, out: W) -> Result<()> {
    let mut out = FirstFailure {
        inner: out,
        failed: None,
    };
    let saved = workbook.save_to_writer(&mut out);
    match out.failed {
        Some(e) => Err(Error::Io(e)),
        None => saved.map_err(xlsx_error),
    }
}

/// A writer that, once a write to `inner` failed, keeps that failure and takes every later
/// write without passing it on (see [`save`]).
struct FirstFailure<W> {
    inner: W,
    failed: Option<std::io::Error>,
}

impl<W: std::io::Write> FirstFailure<W> {
    /// The result of `op` on `inner`, unless a write failed before: then nothing is done.
    fn pass<T>(
        &mut self,
        nothing: T,
        op: impl FnOnce(&mut W) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        if self.failed.is_some() {
            return Ok(nothing);
        }
        op(&mut self.inner).map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                return e;
            }
            // The caller gets its like; the failure itself is kept for `save` to return.
            let like = std::io::Error::new(e.kind(), e.to_string());
            self.failed = Some(e);
            like
        })
    }
}

impl<W: std::io::Write> std::io::Write for FirstFailure<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pass(buf.len(), |w| w.write(buf))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.pass((), std::io::Write::flush)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A disk with room for `room` bytes: later writes fail as a full disk's do. Counts the
    /// writes tried after the first that failed.
    struct Disk {
        written: Vec<u8>,
        room: usize,
        failed: bool,
        tried_after: usize,
    }

    impl Write for &mut Disk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.failed {
                self.tried_after += 1;
            }
            let n = buf.len().min(self.room - self.written.len());
            if n == 0 && !buf.is_empty() {
                self.failed = true;
                return Err(std::io::Error::from(std::io::ErrorKind::StorageFull));
            }
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A workbook of a few worksheets, as an export makes them.
    fn workbook() -> Workbook {
        let mut workbook = Workbook::new();
        for sheet in 0..12 {
            let worksheet = workbook.add_worksheet();
            for row in 0..40 {
                worksheet
                    .write_string(row, 0, format!("sheet {sheet} row {row}"))
                    .unwrap();
            }
        }
        workbook
    }

    /// However far a full disk lets the file get — into a worksheet, or into the archive's
    /// last bytes, which the zip library writes again when dropped — the first failure is
    /// returned, and nothing more is tried on the disk (the library's second try, which it
    /// would print on standard error, goes nowhere).
    #[test]
    fn a_full_disk_is_said_once_and_the_archive_is_not_finished_twice() {
        let mut whole = Vec::new();
        save(&mut workbook(), &mut whole).unwrap();
        for room in [100, whole.len() / 2, whole.len() - 300, whole.len() - 10] {
            let mut disk = Disk {
                written: Vec::new(),
                room,
                failed: false,
                tried_after: 0,
            };
            let saved = save(&mut workbook(), &mut disk);
            assert!(
                matches!(&saved, Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::StorageFull),
                "room {room}: {saved:?}"
            );
            assert!(disk.failed);
            assert_eq!(disk.tried_after, 0, "room {room} of {}", whole.len());
        }
    }
}
