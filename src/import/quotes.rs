//! Strict quoting, checked on the bytes' way to the CSV reader.
//!
//! The `csv` crate reads an unterminated quote as a field that runs to the end of the file,
//! and text after a closing quote as part of the field, without an error: a last field of
//! `"alice` swallowed every row after it and the import said "1 updated". [`QuoteCheck`]
//! follows the quoting as the reader does (RFC 4180: a quote opens a field only at its start,
//! `""` inside a quoted field is one quote) and stops at the first quoted field that is not
//! closed properly: one the file ends inside, or one whose closing quote is followed by
//! something other than a comma, a line end or blanks (where an unterminated quote ends at
//! the next quote of the file). The error names the line and field where the value began.

use std::io::{self, Read};

/// What is wrong with a quoted field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuoteProblem {
    /// The file ends inside it.
    Unterminated,
    /// Its closing quote is followed by more text, on this line.
    TextAfterQuote { line: u64 },
}

/// A quoted field not closed properly, and where it began: its line (from 1) and its field
/// within the row (from 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteError {
    pub line: u64,
    pub field: usize,
    pub problem: QuoteProblem,
}

impl std::fmt::Display for QuoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.problem {
            QuoteProblem::Unterminated => write!(
                f,
                "the quoted value that begins here is never closed (a closing \" is missing)"
            ),
            QuoteProblem::TextAfterQuote { line } => write!(
                f,
                "the quoted value that begins here is closed by a quote followed by more text \
                 on line {line}: a closing \" is missing, or a \" inside the value is not \
                 doubled (\"\")"
            ),
        }
    }
}

impl std::error::Error for QuoteError {}

/// Where the scan is within a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field (a quote here opens a quoted value).
    FieldStart,
    /// Inside a field that did not start with a quote (quotes are text).
    Unquoted,
    /// Inside a quoted value.
    Quoted,
    /// Just after a quote inside a quoted value: a second quote is an escaped one,
    /// anything else closes the value.
    QuoteInQuoted,
    /// After a closing quote and blanks.
    AfterQuote,
}

/// A reader that passes bytes through unchanged while checking their quoting; the first
/// problem is returned as an [`io::Error`] of kind `InvalidData` holding a [`QuoteError`]
/// (see [`QuoteError::of`]), after the bytes before it.
pub struct QuoteCheck<R> {
    inner: R,
    state: State,
    /// The line being read, from 1.
    line: u64,
    /// The field being read within its row, from 0.
    field: usize,
    /// Where the current quoted value began: (line, field).
    start: (u64, usize),
    /// Nothing read yet (a byte-order mark may come first).
    first: bool,
    failed: Option<QuoteError>,
}

impl<R: Read> QuoteCheck<R> {
    pub fn new(inner: R) -> Self {
        QuoteCheck {
            inner,
            state: State::FieldStart,
            line: 1,
            field: 0,
            start: (1, 0),
            first: true,
            failed: None,
        }
    }

    /// Follows `bytes`; at the first problem, records it and returns its offset.
    fn scan(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate() {
            match self.state {
                State::FieldStart => match b {
                    b'"' => {
                        self.state = State::Quoted;
                        self.start = (self.line, self.field);
                    }
                    b',' | b'\n' | b'\r' => self.separator(b),
                    _ => self.state = State::Unquoted,
                },
                State::Unquoted => {
                    if matches!(b, b',' | b'\n' | b'\r') {
                        self.separator(b);
                    }
                }
                State::Quoted => match b {
                    b'"' => self.state = State::QuoteInQuoted,
                    b'\n' => self.line += 1,
                    _ => {}
                },
                State::QuoteInQuoted | State::AfterQuote => match b {
                    b'"' if self.state == State::QuoteInQuoted => self.state = State::Quoted,
                    b',' | b'\n' | b'\r' => self.separator(b),
                    b' ' | b'\t' => self.state = State::AfterQuote,
                    _ => {
                        let line = self.line;
                        return Some(self.fail(i, QuoteProblem::TextAfterQuote { line }));
                    }
                },
            }
        }
        None
    }

    /// A comma or line end outside a quoted value: the next field starts.
    fn separator(&mut self, b: u8) {
        self.state = State::FieldStart;
        match b {
            b',' => self.field += 1,
            b'\n' => {
                self.line += 1;
                self.field = 0;
            }
            _ => self.field = 0,
        }
    }

    fn fail(&mut self, at: usize, problem: QuoteProblem) -> usize {
        self.failed = Some(QuoteError {
            line: self.start.0,
            field: self.start.1,
            problem,
        });
        at
    }

    fn error(e: QuoteError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

impl QuoteError {
    /// The quoting problem an I/O error from [`QuoteCheck`] holds.
    pub fn of(e: &io::Error) -> Option<QuoteError> {
        e.get_ref()
            .and_then(|inner| inner.downcast_ref::<QuoteError>())
            .copied()
    }
}

impl<R: Read> Read for QuoteCheck<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = self.failed {
            return Err(Self::error(e));
        }
        let n = self.inner.read(buf)?;
        if n == 0 {
            if self.state == State::Quoted {
                self.fail(0, QuoteProblem::Unterminated);
                return Err(Self::error(self.failed.expect("just set")));
            }
            return Ok(0);
        }
        let mut from = 0;
        if std::mem::take(&mut self.first) && buf[..n].starts_with(b"\xEF\xBB\xBF") {
            from = 3;
        }
        match self.scan(&buf[from..n]) {
            None => Ok(n),
            Some(0) if from == 0 => Err(Self::error(self.failed.expect("just set"))),
            Some(at) => Ok(from + at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` through the check in chunks of `chunk` bytes: what came through, or the
    /// problem.
    fn check(text: &str, chunk: usize) -> Result<String, QuoteError> {
        struct Chunks<'a>(&'a [u8], usize);
        impl Read for Chunks<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        let mut reader = QuoteCheck::new(Chunks(text.as_bytes(), chunk));
        match reader.read_to_end(&mut out) {
            Ok(_) => Ok(String::from_utf8(out).unwrap()),
            Err(e) => Err(QuoteError::of(&e).expect("a quote error")),
        }
    }

    #[test]
    fn well_quoted_files_pass_through_unchanged() {
        let text = "\u{feff}id,name,note\n1,\"Moss, \"\"& Sons\"\"\",\"two\nlines\"\r\n2,5\" floppy,\"x\" \n3,,\"\"";
        for chunk in [1, 2, 7, 4096] {
            assert_eq!(check(text, chunk).unwrap(), text);
        }
    }

    #[test]
    fn an_unterminated_quote_names_where_the_value_began() {
        let text = "id,name,finance_owner\nK1,Kite,\"alice\nK2,Lumen,bob\n";
        for chunk in [1, 5, 4096] {
            let e = check(text, chunk).unwrap_err();
            assert_eq!(
                e,
                QuoteError {
                    line: 2,
                    field: 2,
                    problem: QuoteProblem::Unterminated
                }
            );
        }
    }

    #[test]
    fn a_quote_closed_by_the_next_value_is_refused() {
        // The quote opened on line 2 pairs with the one opening "Beta" on line 3.
        let text = "id,name,owner\n1,\"Acme,alice\n2,\"Beta\",bob\n";
        let e = check(text, 4096).unwrap_err();
        assert_eq!(
            e,
            QuoteError {
                line: 2,
                field: 1,
                problem: QuoteProblem::TextAfterQuote { line: 3 }
            }
        );
        assert!(e.to_string().contains("line 3"), "{e}");
    }
}
