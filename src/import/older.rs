//! An export older than the ledger: refused, unless `--older` says it is meant.
//!
//! Rows are upserted by id, so yesterday's export imported after today's would put back
//! yesterday's values without a word: a payment's status, a corrected amount, an owner. No
//! file says when it was exported, so the import judges by what the files hold, and refuses
//! only when two signs agree:
//!
//! 1. Its dates are behind the ledger's. Each file's newest entry (documents' `doc_date` and
//!    `posting_date`, payments' `date`, applications' `date`, exchange rates' `date`; none
//!    after the day of the import, so that a document dated ahead or a mistyped year does not
//!    make every later export look old) is kept with the import. The export's newest entry,
//!    over its files, is earlier than the newest the earlier billing imports gave the same
//!    files. Over its files, not each: an export whose newest payment was deleted in the
//!    billing system (reversed) is still current when its documents or applications reach
//!    the ledger's newest; and a file without dates (customers, contacts, an empty file), or
//!    a ledger with none recorded yet, says nothing.
//! 2. It would put back values that the import of a newer export changed: a field the log
//!    of imports keeps (amounts, dates, statuses, customers, owners, rates) of a stored row
//!    would go back to a value the log shows an import changing it from, an import whose
//!    files (of the same names) gave a date later than this export's newest. A delta export
//!    that corrects an old invoice (a new value), that says again what an export no newer
//!    than itself said before (a payment voided, then successful after all), or that lists
//!    rows unchanged (a same-day re-import) puts nothing back, and is taken.

use super::FileSummary;
use crate::Result;
use crate::domain::date::from_day_number;
use crate::store::ledger::import::{ImportChange, ImportWriter, NewestMark};

/// How many of the values put back a refusal names.
const SHOWN: usize = 3;

/// An export that looks older than the ledger, and what it would put back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Older {
    /// The file of the export's newest entry, and its date (day number).
    pub file: &'static str,
    pub day: i32,
    /// The newest entry the ledger holds of the export's files.
    pub mark: NewestMark,
    /// How many values it puts back, and the first few.
    pub put_back: u64,
    pub first: Vec<ImportChange>,
}

/// Judges the export just read (its rows written, not committed): `Some` when it looks older
/// than the ledger (see the module).
pub(super) fn judge(writer: &ImportWriter, files: &[FileSummary]) -> Result<Option<Older>> {
    let dated: Vec<(&'static str, i32)> = files
        .iter()
        .filter_map(|f| f.newest.map(|day| (f.kind.file_name(), day)))
        .collect();
    if dated.is_empty() {
        return Ok(None);
    }
    // The ledger's newest of these files, and the first import that gave it.
    let Some(mark) = writer
        .newest_marks()?
        .into_iter()
        .filter(|m| dated.iter().any(|(f, _)| *f == m.file))
        .max_by_key(|m| (m.day, std::cmp::Reverse(m.at)))
    else {
        return Ok(None);
    };
    // The export's newest, named by the same file as the ledger's when they tie.
    let Some(&(file, day)) = dated.iter().max_by_key(|(f, d)| (*d, *f == mark.file)) else {
        return Ok(None);
    };
    if day >= mark.day {
        return Ok(None);
    }
    let files: Vec<&'static str> = dated.iter().map(|(f, _)| *f).collect();
    let (put_back, first) = writer.put_back(&files, day, SHOWN)?;
    if put_back == 0 {
        return Ok(None);
    }
    Ok(Some(Older {
        file,
        day,
        mark,
        put_back,
        first,
    }))
}

impl Older {
    /// `3 days`.
    fn behind(&self) -> String {
        let days = self.mark.day - self.day;
        format!("{days} day{}", if days == 1 { "" } else { "s" })
    }

    /// `2 values … (P1 status success → in_progress; I1 amount 1,200.00 → 1,000.00)`.
    fn values(&self) -> String {
        let n = self.put_back;
        let mut shown: Vec<String> = self.first.iter().map(ImportChange::text).collect();
        if n > self.first.len() as u64 {
            shown.push(format!("… {} more", n - self.first.len() as u64));
        }
        format!(
            "{n} value{} that the import of a newer export changed ({})",
            if n == 1 { "" } else { "s" },
            shown.join("; ")
        )
    }

    /// The refusal: what looks older, by how much, what it would put back, and how to import
    /// it all the same.
    pub fn refusal(&self) -> String {
        let in_file = if self.mark.file == self.file {
            String::new()
        } else {
            format!(" (in {})", self.mark.file)
        };
        format!(
            "{}'s newest entry is dated {}; the ledger already holds entries to {}{in_file}, {} \
             later, from the import of {} by {}, and this export would put back {}: it looks \
             older than the ledger; nothing was imported. If it is the export you mean to \
             import, import it again with --older",
            self.file,
            from_day_number(self.day),
            from_day_number(self.mark.day),
            self.behind(),
            self.mark.at.format("%Y-%m-%d %H:%M UTC"),
            crate::domain::text::one_line(&self.mark.actor),
            self.values()
        )
    }

    /// What the summary and the log of imports say of an older export imported with
    /// `--older`.
    pub fn taken(&self) -> String {
        format!(
            "imported with --older: an export older than the ledger ({} newest {}, the \
             ledger's {}); it put back {}",
            self.file,
            from_day_number(self.day),
            from_day_number(self.mark.day),
            self.values()
        )
    }
}
