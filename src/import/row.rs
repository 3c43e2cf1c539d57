//! Reading one CSV row with errors that name the file, line and column.

use crate::Error;
use crate::domain::format::Columns;
use crate::domain::{Date, Decimal, date, money};
use crate::error::quoted;

/// The header of a file: column name → index, and the `cf_*` columns in order.
pub struct Header {
    pub file: String,
    /// Column name → position; a short list, faster than hashing for a dozen columns.
    index: Vec<(String, usize)>,
    custom: Vec<(String, usize)>,
}

/// The lines rows start on, as an editor numbers them (a line ends at LF, CR LF or a lone
/// CR), from the rows' byte offsets: the csv reader's own count skips blank lines and a CR LF
/// row's LF (rust-csv issue 395), and named the wrong line after a blank one or in a file of
/// mixed line ends. Reads the file once more, alongside, in order.
pub struct Lines {
    reader: Option<std::io::BufReader<std::fs::File>>,
    path: std::path::PathBuf,
    /// Bytes read so far, and the line the next one is on.
    pos: u64,
    line: u64,
    /// The last byte read was a CR (a LF right after it ends no other line).
    after_cr: bool,
}

impl Lines {
    pub fn new(path: &std::path::Path) -> Lines {
        Lines {
            reader: None,
            path: path.to_path_buf(),
            pos: 0,
            line: 1,
            after_cr: false,
        }
    }

    /// The line a row (or an error in it) starts on: that of the first byte at or after its
    /// position that is no line end. The csv reader's count when the file cannot be read.
    pub fn of(&mut self, position: &csv::Position) -> u64 {
        self.line_at(position.byte()).unwrap_or(position.line())
    }

    /// The number of the file's last line that holds anything (blank lines at its end are
    /// none), read on its own: for a message.
    pub fn last_line(&self) -> Option<u64> {
        use std::io::Read;
        let mut reader = std::io::BufReader::new(std::fs::File::open(&self.path).ok()?);
        let (mut line, mut after_cr, mut last) = (1u64, false, None);
        let mut buf = [0u8; 1 << 16];
        loop {
            let n = reader.read(&mut buf).ok()?;
            if n == 0 {
                return last;
            }
            for &b in &buf[..n] {
                match b {
                    b'\r' => line += 1,
                    b'\n' if !after_cr => line += 1,
                    b'\n' => {}
                    _ => last = Some(line),
                }
                after_cr = b == b'\r';
            }
        }
    }

    fn line_at(&mut self, byte: u64) -> Option<u64> {
        use std::io::BufRead;
        if self.reader.is_none() || byte < self.pos {
            let file = std::fs::File::open(&self.path).ok()?;
            self.reader = Some(std::io::BufReader::with_capacity(1 << 16, file));
            (self.pos, self.line, self.after_cr) = (0, 1, false);
        }
        let reader = self.reader.as_mut()?;
        loop {
            let buf = reader.fill_buf().ok()?;
            if buf.is_empty() {
                return Some(self.line);
            }
            let (mut used, mut found) = (0, None);
            for &b in buf {
                let line_end = b == b'\r' || b == b'\n';
                // The row's first byte that is no line end: it starts here.
                if self.pos >= byte && !line_end {
                    found = Some(self.line);
                    break;
                }
                self.line += u64::from(b == b'\r' || (b == b'\n' && !self.after_cr));
                self.after_cr = b == b'\r';
                self.pos += 1;
                used += 1;
            }
            reader.consume(used);
            if found.is_some() {
                return found;
            }
        }
    }
}

impl Header {
    /// The file's `cf_*` columns, as named in its header.
    pub fn custom_names(&self) -> Vec<String> {
        self.custom.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Whether the file has the column `name` (for `custom`: any `cf_*` column).
    pub fn has(&self, name: &str) -> bool {
        if name == "custom" {
            return !self.custom.is_empty();
        }
        self.index.iter().any(|(n, _)| n == name)
    }

    /// Checks the header row against the file's columns: every required column present, no
    /// unknown column except `cf_*`, no column twice.
    pub fn new(file: &str, names: &csv::StringRecord, columns: &Columns) -> Result<Header, Error> {
        let Columns {
            required,
            optional,
            custom: allow_custom,
        } = *columns;
        let mut index: Vec<(String, usize)> = Vec::new();
        let mut custom = Vec::new();
        if names.iter().all(|n| n.trim().is_empty()) {
            return Err(Error::input(format!(
                "{file} line 1: there is no header row (the file is empty, or its first line is)"
            )));
        }
        // Excel's hint of the separator (`sep=,`, read as a column `sep=` and an empty one)
        // before the header; `sep=;` is told by its separator below.
        if names
            .get(0)
            .is_some_and(|n| n.trim().eq_ignore_ascii_case("sep="))
        {
            return Err(Error::input(format!(
                "{file} line 1: the first line is Excel's separator hint (`sep=`), not the \
                 header row: delete that line and import it again"
            )));
        }
        for (i, raw) in names.iter().enumerate() {
            let name = raw.trim();
            if name.is_empty() {
                return Err(Error::input(format!(
                    "{file} line 1, column {}: a column without a name (a comma too many at the \
                     end of the header?)",
                    i + 1
                )));
            }
            let known = required.contains(&name) || optional.contains(&name);
            let is_custom = allow_custom && name.starts_with("cf_") && name.len() > 3;
            // A whole header in one column: the file is separated by something else (Excel
            // writes `;` where the decimal mark is a comma).
            if names.len() == 1
                && let Some(sep) = [';', '\t', '|'].into_iter().find(|c| name.contains(*c))
            {
                let shown = if sep == '\t' {
                    "tabs".to_string()
                } else {
                    format!("`{sep}`")
                };
                return Err(Error::input(format!(
                    "{file} line 1: the columns are separated by {shown}, not commas: save it \
                     as comma-separated CSV (with `.` as the decimal mark) and import it again"
                )));
            }
            if !known && !is_custom {
                return Err(Error::input(format!(
                    "{file} line 1, column {}: unknown column {} (expected {}{})",
                    i + 1,
                    quoted(name),
                    required
                        .iter()
                        .chain(optional)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", "),
                    if allow_custom {
                        ", or cf_* custom fields"
                    } else {
                        ""
                    }
                )));
            }
            if index.iter().any(|(n, _)| n == name) {
                return Err(Error::input(format!(
                    "{file} line 1, column {}: column {} appears twice",
                    i + 1,
                    quoted(name)
                )));
            }
            index.push((name.to_string(), i));
            if is_custom {
                custom.push((name.to_string(), i));
            }
        }
        if let Some(missing) = required
            .iter()
            .find(|c| !index.iter().any(|(n, _)| n == *c))
        {
            return Err(Error::input(format!(
                "{file} line 1: required column `{missing}` is missing"
            )));
        }
        Ok(Header {
            file: file.to_string(),
            index,
            custom,
        })
    }

    /// The name of the column at `position` (from 0), else its number (from 1).
    pub fn column_name(&self, position: usize) -> String {
        self.index
            .iter()
            .find(|(_, i)| *i == position)
            .map_or_else(|| (position + 1).to_string(), |(n, _)| n.clone())
    }

    /// Wraps a record for typed access.
    pub fn row<'r>(&'r self, record: &'r csv::StringRecord, line: u64) -> Row<'r> {
        Row {
            header: self,
            record,
            line,
        }
    }
}

/// One data row.
pub struct Row<'r> {
    header: &'r Header,
    record: &'r csv::StringRecord,
    pub line: u64,
}

/// The longest field an import takes, in characters: no name, id, address or custom field
/// of a billing system comes near it, and a longer one (a corrupted export, a pasted
/// document) would reach every screen, email and workbook that shows the field.
pub const MAX_FIELD_CHARS: usize = 10_000;

impl Row<'_> {
    /// Refuses a row with a field longer than [`MAX_FIELD_CHARS`], naming its column.
    ///
    /// # Errors
    ///
    /// An input error naming the file, line and column.
    pub fn check_lengths(&self) -> Result<(), Error> {
        // Two exports joined into one file: the second's header is a row. As data it was a
        // customer `id` named `name`, or an error about a customer called `customer_id`.
        let index = &self.header.index;
        if self.record.len() == index.len()
            && index
                .iter()
                .all(|(name, i)| self.record.get(*i).map(str::trim) == Some(name.as_str()))
        {
            return Err(Error::input(format!(
                "{} line {}: this row repeats the header row (two files joined into one?): \
                 remove it",
                self.header.file, self.line
            )));
        }
        for (i, field) in self.record.iter().enumerate() {
            // Bytes first: only a field that long may have that many characters.
            if field.len() > MAX_FIELD_CHARS && field.chars().count() > MAX_FIELD_CHARS {
                return Err(self.error(
                    &self.header.column_name(i),
                    format!(
                        "{} is longer than the {MAX_FIELD_CHARS} characters a field may have",
                        quoted(field)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// An error about `column` of this row, on the line its value starts on.
    pub fn error(&self, column: &str, message: impl std::fmt::Display) -> Error {
        Error::input(format!(
            "{} line {}, column {column}: {message}",
            self.header.file,
            self.line_of(column)
        ))
    }

    /// The line `column`'s value starts on: the row's, after the line ends that quoted fields
    /// before it hold (a value after a multi-line address is lines below the row's start).
    pub fn line_of(&self, column: &str) -> u64 {
        let Some(&(_, i)) = self.header.index.iter().find(|(n, _)| n == column) else {
            return self.line;
        };
        let breaks = |field: &str| {
            let b = field.as_bytes();
            (0..b.len())
                .filter(|&k| b[k] == b'\n' || (b[k] == b'\r' && b.get(k + 1) != Some(&b'\n')))
                .count() as u64
        };
        self.line + self.record.iter().take(i).map(breaks).sum::<u64>()
    }

    /// The trimmed text of a column, `None` when the column is absent or empty.
    pub fn opt(&self, column: &str) -> Option<&str> {
        let i = self.header.index.iter().find(|(n, _)| n == column)?.1;
        self.record.get(i).map(str::trim).filter(|s| !s.is_empty())
    }

    /// Whether the file has `column` and this row leaves it empty (where a file without the
    /// column keeps what is stored, an empty cell takes the default).
    pub fn is_blank(&self, column: &str) -> bool {
        self.header.has(column) && self.opt(column).is_none()
    }

    /// Owned optional text.
    pub fn opt_string(&self, column: &str) -> Option<String> {
        self.opt(column).map(str::to_string)
    }

    /// An optional phone number, as people write it: any text (a number may be for people to
    /// call, not in E.164) but one with a control character (ESC, LF, tab) or a character that
    /// draws nothing or reorders text (U+200B, U+202E), which would reach a screen or a
    /// provider as something else than what is shown.
    ///
    /// # Errors
    ///
    /// An input error naming the file, line and column, the value quoted with the character
    /// shown.
    pub fn opt_phone(&self, column: &str) -> Result<Option<String>, Error> {
        let Some(phone) = self.opt_string(column) else {
            return Ok(None);
        };
        if let Some(c) = phone
            .chars()
            .find(|&c| c.is_control() || crate::domain::text::draws_nothing(c))
        {
            let shown = crate::domain::text::hidden_shown(&phone);
            return Err(self.error(
                column,
                format!(
                    "phone number `{}` holds a control, an invisible or a direction character \
                     (U+{:04X})",
                    crate::domain::text::cut_after(&shown, 60),
                    u32::from(c)
                ),
            ));
        }
        Ok(Some(phone))
    }

    /// A required column.
    pub fn req(&self, column: &str) -> Result<&str, Error> {
        self.opt(column)
            .ok_or_else(|| self.error(column, "required value is missing"))
    }

    /// A required `YYYY-MM-DD` date, within the dates `owed` computes with.
    pub fn date(&self, column: &str) -> Result<Date, Error> {
        let text = self.req(column)?;
        let d = date::parse_iso(text).ok_or_else(|| {
            self.error(
                column,
                format!(
                    "{} is not a date{}",
                    quoted(text),
                    date::not_a_date_because(text, " (YYYY-MM-DD)")
                ),
            )
        })?;
        if !date::in_calendar(d) {
            return Err(self.error(column, date::outside_calendar(d)));
        }
        Ok(d)
    }

    /// An optional `YYYY-MM-DD` date.
    pub fn opt_date(&self, column: &str) -> Result<Option<Date>, Error> {
        match self.opt(column) {
            None => Ok(None),
            Some(_) => self.date(column).map(Some),
        }
    }

    /// A required amount greater than zero.
    pub fn positive_amount(&self, column: &str) -> Result<Decimal, Error> {
        let amount = self.non_negative_amount(column)?;
        if amount.is_zero() {
            return Err(self.error(column, "amount must be greater than zero"));
        }
        Ok(amount)
    }

    /// A required amount of zero or more.
    pub fn non_negative_amount(&self, column: &str) -> Result<Decimal, Error> {
        let text = self.req(column)?;
        money::parse_non_negative(text)
            .map_err(|e| self.error(column, format!("{} {e}", quoted(text))))
    }

    /// An optional amount of zero or more.
    pub fn opt_amount(&self, column: &str) -> Result<Option<Decimal>, Error> {
        match self.opt(column) {
            None => Ok(None),
            Some(_) => self.non_negative_amount(column).map(Some),
        }
    }

    /// An optional whole number of zero or more.
    pub fn opt_count(&self, column: &str) -> Result<Option<i64>, Error> {
        match self.opt(column) {
            None => Ok(None),
            Some(text) => text
                .parse::<u32>()
                .map(|n| Some(i64::from(n)))
                .map_err(|_| {
                    self.error(
                        column,
                        format!("{} is not a whole number of days", quoted(text)),
                    )
                }),
        }
    }

    /// An optional value that must be one of `allowed` (case-insensitive, stored lower case).
    pub fn opt_enum(
        &self,
        column: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, Error> {
        match self.opt(column) {
            None => Ok(None),
            Some(text) => allowed
                .iter()
                .find(|a| a.eq_ignore_ascii_case(text))
                .copied()
                .map(Some)
                .ok_or_else(|| {
                    self.error(
                        column,
                        format!(
                            "unknown value {} (expected one of {})",
                            quoted(text),
                            allowed.join(", ")
                        ),
                    )
                }),
        }
    }

    /// A required value that must be one of `allowed`.
    pub fn enumerated(
        &self,
        column: &str,
        allowed: &[&'static str],
    ) -> Result<&'static str, Error> {
        self.req(column)?;
        Ok(self.opt_enum(column, allowed)?.unwrap_or(allowed[0]))
    }

    /// An optional ISO 4217 currency code (three letters, stored upper case).
    pub fn opt_currency(&self, column: &str) -> Result<Option<String>, Error> {
        match self.opt(column) {
            None => Ok(None),
            Some(text) if text.len() == 3 && text.chars().all(|c| c.is_ascii_alphabetic()) => {
                let code = text.to_ascii_uppercase();
                if money::is_currency(&code) {
                    Ok(Some(code))
                } else {
                    // A typing error (`EUE`) or a code no invoice is in (`XAU`, `XXX`) would
                    // be stored as a currency of its own, with two decimals.
                    Err(self.error(
                        column,
                        format!("{} is not an ISO 4217 currency code", quoted(text)),
                    ))
                }
            }
            Some(text) => Err(self.error(
                column,
                format!("{} is not a three-letter currency code", quoted(text)),
            )),
        }
    }

    /// The `cf_*` columns with a value, as a JSON object (`{}` when none).
    pub fn custom_json(&self) -> String {
        if self.header.custom.is_empty() {
            return "{}".to_string();
        }
        let mut map = serde_json::Map::new();
        for (name, i) in &self.header.custom {
            if let Some(v) = self.record.get(*i).map(str::trim).filter(|v| !v.is_empty()) {
                map.insert(name.clone(), serde_json::Value::String(v.to_string()));
            }
        }
        serde_json::Value::Object(map).to_string()
    }
}
