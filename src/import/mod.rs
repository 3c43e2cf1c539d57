//! `owed import`: the billing system's CSV exports into the store, atomically.
//!
//! Files are recognised by name, in any case (`customers.csv`, `contacts.csv`, `documents.csv`,
//! `payments.csv`, `applications.csv`, `exchange_rates.csv`) and read in dependency order, streaming row by
//! row. Every row is upserted by its `id` inside one transaction; the first bad row stops the
//! run with a message naming its file, line and column, and nothing is written. A bad row is
//! also one whose quoting is broken (an unterminated quote would otherwise swallow the rows
//! after it: see `quotes`) and one whose id (for rates: currency and date; for
//! applications: source, document and date) an earlier row of the same file has.

pub mod lockbox;
mod older;
mod quotes;
mod row;

use crate::domain::action_checks::{in_minor_units, too_many_decimals};
use crate::domain::document::labels;
use crate::domain::users::owner_as_registered;
use crate::domain::{Decimal, date::day_number, format, money};
use crate::error::quoted;
use crate::store::Store;
use crate::store::ledger::deductions::SettledDeduction;
use crate::store::ledger::import::{
    ContactRecord, CustomerRecord, CustomerRef, DeductionReturn, DocumentRecord, ImportKind,
    ImportRun, ImportWriter, MovedDocument, PaymentRecord, RestoredApplication, ReturnedDeduction,
    Shortfall, StagedApplication, Unfit, UnsettledDeduction, UnworkableOwner, Upsert,
    WithdrawnDeduction, phase,
};
use crate::{Error, Result};
use quotes::{QuoteCheck, QuoteError};
use row::{Header, Lines, Row};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The files `owed import` understands, in the order they are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    ExchangeRates,
    Customers,
    /// Optional: the people of a customer, upserted by (customer, email).
    Contacts,
    Documents,
    Payments,
    Applications,
}

impl FileKind {
    /// Every kind, in import order.
    pub const ALL: [FileKind; 6] = [
        FileKind::ExchangeRates,
        FileKind::Customers,
        FileKind::Contacts,
        FileKind::Documents,
        FileKind::Payments,
        FileKind::Applications,
    ];

    /// The file name that identifies this kind.
    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::ExchangeRates => "exchange_rates.csv",
            FileKind::Customers => "customers.csv",
            FileKind::Contacts => "contacts.csv",
            FileKind::Documents => "documents.csv",
            FileKind::Payments => "payments.csv",
            FileKind::Applications => "applications.csv",
        }
    }

    /// The kind a file's name says, in any case (`Customers.CSV`, as some systems save it).
    fn from_file_name(name: &str) -> Option<FileKind> {
        FileKind::ALL
            .into_iter()
            .find(|k| k.file_name().eq_ignore_ascii_case(name))
    }
}

/// How one file went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSummary {
    pub kind: FileKind,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Stored applications a row of amount 0 released (`applications.csv` only).
    pub removed: u64,
    /// The newest date its rows give (see [`older`]), none after the day of the import.
    pub newest: Option<i32>,
}

impl FileSummary {
    fn new(kind: FileKind) -> Self {
        FileSummary {
            kind,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            removed: 0,
            newest: None,
        }
    }

    fn count(&mut self, outcome: Upsert) {
        match outcome {
            Upsert::Inserted => self.inserted += 1,
            Upsert::Updated => self.updated += 1,
            Upsert::Unchanged => self.unchanged += 1,
        }
    }
}

/// How a whole import went, one entry per file read.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub files: Vec<FileSummary>,
    /// Applications taken away because their payment is no longer successful (see
    /// [`ImportWriter::withdraw_unpaid_applications`]).
    pub withdrawn: u64,
    /// Deductions withdrawn because the payment that opened them is no longer successful
    /// (see [`ImportWriter::withdraw_deductions`]).
    pub deductions_withdrawn: Vec<WithdrawnDeduction>,
    /// Applications of lockbox payments given back because their payment is successful again
    /// (see [`ImportWriter::restore_withdrawn_applications`]).
    pub restored: Vec<RestoredApplication>,
    /// Deductions withdrawn earlier whose payment is successful again: reopened, or left
    /// withdrawn and why (see [`ImportWriter::reopen_deductions`]).
    pub deductions_returned: Vec<ReturnedDeduction>,
    /// Deductions resolved because their documents are settled in full now (see
    /// [`ImportWriter::settle_deductions`]).
    pub deductions_settled: Vec<SettledDeduction>,
    /// Deductions resolved so earlier whose documents have a balance open again: reopened
    /// (see [`ImportWriter::reopen_unsettled_deductions`]).
    pub deductions_unsettled: Vec<UnsettledDeduction>,
    /// Documents and payments already stored that a new or changed exchange rate converts
    /// differently (see [`ImportWriter::rerate`]).
    pub rerated: u64,
    /// The finance owners `customers.csv` gave whose customers nobody registered may work: an
    /// auditor, a name no user has, a user's name not as registered (see
    /// [`ImportWriter::unworkable_owners`]). The billing system is the source of truth for
    /// owners, so they are taken, and said.
    pub unworkable_owners: Vec<UnworkableOwner>,
    /// The finance owners `customers.csv` gave as a registered user's name written otherwise
    /// (`Bob` for bob), written as registered (see
    /// [`crate::domain::users::owner_as_registered`]): most customers first.
    pub owners_as_registered: Vec<OwnerAsRegistered>,
    /// Stored documents given another customer (the same number and date: a merge) that
    /// promises or issues name.
    pub moved: Vec<MovedDocument>,
    /// After an import with `documents.csv`: how many invoices and debit notes the billing
    /// system gives a balance of 0 while owed has them open, and the first few's numbers.
    pub settled_in_billing: (u64, Vec<String>),
    /// An export older than the ledger, imported because `--older` said it is meant.
    pub older: Option<older::Older>,
}

impl ImportSummary {
    /// What each file did: `customers.csv 50 inserted, 0 updated, 0 unchanged; …`.
    pub fn per_file(&self) -> String {
        let parts: Vec<String> = self
            .files
            .iter()
            .map(|s| {
                let removed = match s.removed {
                    0 => String::new(),
                    n => format!(", {n} removed"),
                };
                format!(
                    "{} {} inserted, {} updated, {} unchanged{removed}",
                    s.kind.file_name(),
                    s.inserted,
                    s.updated,
                    s.unchanged
                )
            })
            .collect();
        let mut text = parts.join("; ");
        if self.rerated > 0 {
            text.push_str(&format!(
                "; {} stored row{} (documents and payments) converted at a new exchange rate",
                self.rerated,
                if self.rerated == 1 { "" } else { "s" }
            ));
        }
        if self.withdrawn > 0 {
            let s = if self.withdrawn == 1 { "" } else { "s" };
            text.push_str(&format!(
                "; {} application{s} of payments no longer successful taken away",
                self.withdrawn
            ));
        }
        if !self.deductions_withdrawn.is_empty() {
            let n = self.deductions_withdrawn.len();
            let (s, their) = if n == 1 { ("", "its") } else { ("s", "their") };
            let which: Vec<String> = self
                .deductions_withdrawn
                .iter()
                .map(|d| format!("issue {} of {} ({})", d.issue, d.payment, d.status))
                .collect();
            text.push_str(&format!(
                "; {n} deduction{s} withdrawn, {their} payment{s} no longer successful: {}",
                which.join(", ")
            ));
        }
        if !self.restored.is_empty() {
            text.push_str(&restored_text(&self.restored));
        }
        let reopened: Vec<String> = self
            .deductions_returned
            .iter()
            .filter(|d| d.outcome == DeductionReturn::Reopened)
            .map(|d| format!("issue {} of {}", d.issue, d.payment))
            .collect();
        if !reopened.is_empty() {
            let n = reopened.len();
            let (s, their) = if n == 1 { ("", "its") } else { ("s", "their") };
            text.push_str(&format!(
                "; {n} deduction{s} reopened, {their} payment{s} successful again: {}",
                reopened.join(", ")
            ));
        }
        let left: Vec<String> = self
            .deductions_returned
            .iter()
            .filter_map(|d| {
                let why = match d.outcome {
                    DeductionReturn::Reopened => return None,
                    DeductionReturn::NotAllRestored => {
                        "not all its payment's applications could be restored"
                    }
                    DeductionReturn::Settled => "the documents it is on are settled",
                };
                Some(format!("issue {} of {} ({why})", d.issue, d.payment))
            })
            .collect();
        if !left.is_empty() {
            let n = left.len();
            text.push_str(&format!(
                "; {n} deduction{} left withdrawn: {}",
                if n == 1 { "" } else { "s" },
                left.join(", ")
            ));
        }
        if !self.deductions_unsettled.is_empty() {
            let n = self.deductions_unsettled.len();
            let (s, their) = if n == 1 { ("", "its") } else { ("s", "their") };
            let which: Vec<String> = self
                .deductions_unsettled
                .iter()
                .map(|d| format!("issue {}", d.issue))
                .collect();
            text.push_str(&format!(
                "; {n} deduction{s} reopened, {their} documents open again: {}",
                which.join(", ")
            ));
        }
        if !self.deductions_settled.is_empty() {
            text.push_str(&settled_text(&self.deductions_settled));
        }
        if !self.moved.is_empty() {
            let n = self.moved.len();
            text.push_str(&format!(
                "; {n} document{} that promises or issues name moved to another customer",
                if n == 1 { "" } else { "s" }
            ));
        }
        if let Some(older) = &self.older {
            text.push_str("; ");
            text.push_str(&older.taken());
        }
        text
    }

    /// One line per finance owner written as the registered user it names
    /// ([`ImportSummary::owners_as_registered`]: `finance owner `Bob` written as the
    /// registered user bob (3 customers)`), then one per finance owner whose customers nobody
    /// registered may work ([`ImportSummary::unworkable_owners`]: `12 customers owned by
    /// `bbo`, who is not a registered collector or manager (did you mean bob? owed user
    /// list)`); of each kind the first [`OWNERS_SHOWN`] and then how many more.
    pub fn owner_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .owners_as_registered
            .iter()
            .take(OWNERS_SHOWN)
            .map(|o| {
                format!(
                    "finance owner {} written as the registered user {} ({})",
                    quoted(&o.written),
                    crate::domain::users::quoted(&o.user),
                    customers(o.customers)
                )
            })
            .collect();
        let rest = self.owners_as_registered.get(OWNERS_SHOWN..).unwrap_or(&[]);
        if !rest.is_empty() {
            lines.push(format!(
                "… and {} more finance owners written as the registered users they name ({})",
                rest.len(),
                customers(rest.iter().map(|o| o.customers).sum())
            ));
        }
        lines.extend(
            self.unworkable_owners
                .iter()
                .take(OWNERS_SHOWN)
                .map(owner_line),
        );
        let rest = self.unworkable_owners.get(OWNERS_SHOWN..).unwrap_or(&[]);
        if !rest.is_empty() {
            let customers: u64 = rest.iter().map(|o| o.customers).sum();
            lines.push(format!(
                "… and {} more owners of {customers} customer{}, none of them a registered \
                 collector or manager ({})",
                rest.len(),
                if customers == 1 { "" } else { "s" },
                crate::error::command("user list")
            ));
        }
        lines
    }

    /// The line naming the documents the billing system says are settled and owed has open
    /// (`3 documents the billing system says are settled are still open here: INV-1, INV-2,
    /// INV-3; a void needs a credit note applied to it …`), if any.
    pub fn settled_in_billing_line(&self) -> Option<String> {
        let (n, first) = &self.settled_in_billing;
        if *n == 0 {
            return None;
        }
        let named: Vec<String> = first.iter().map(|number| bare(number)).collect();
        let more = match *n - named.len() as u64 {
            0 => String::new(),
            m => format!(" and {m} more"),
        };
        let (s, says, is) = if *n == 1 {
            ("", "is", "is")
        } else {
            ("s", "are", "are")
        };
        Some(format!(
            "{n} document{s} the billing system says {says} settled {is} still open here: {}{more}; \
             a void needs a credit note applied to it (README, \"Import format\")",
            named.join(", ")
        ))
    }

    /// A line for each moved document that promises or issues name, at most
    /// [`MOVED_SHOWN`], then how many more (`INV-0011 moved C6 → C5; promise 4 of C6 names
    /// it`).
    pub fn moved_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self
            .moved
            .iter()
            .take(MOVED_SHOWN)
            .map(moved_line)
            .collect();
        if self.moved.len() > MOVED_SHOWN {
            lines.push(format!(
                "… and {} more moved documents that promises or issues name",
                self.moved.len() - MOVED_SHOWN
            ));
        }
        lines
    }

    /// What the log of imports keeps of the run: [`ImportSummary::per_file`], then each of
    /// [`ImportSummary::owner_lines`].
    pub fn recorded(&self) -> String {
        let mut text = self.per_file();
        for line in self.owner_lines() {
            text.push_str("; ");
            text.push_str(&line);
        }
        text
    }
}

/// How many owners of each kind (written as registered, whose customers nobody may work)
/// an import's summary names one by one.
pub const OWNERS_SHOWN: usize = 10;

/// A finance owner of `customers.csv` that names a registered user otherwise than as
/// registered (`Bob` for bob): the import writes it as the user's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerAsRegistered {
    /// As the file wrote it.
    pub written: String,
    /// The user's name as registered, as stored.
    pub user: String,
    /// How many of the file's customers it was written for.
    pub customers: u64,
}

/// `1 customer`, `3 customers`.
fn customers(n: u64) -> String {
    format!("{n} customer{}", if n == 1 { "" } else { "s" })
}

/// One finance owner whose customers nobody registered may work, in the import's summary.
fn owner_line(o: &UnworkableOwner) -> String {
    use crate::domain::users::Unworkable;
    let n = o.customers;
    let owned = format!(
        "{n} customer{} owned by {}",
        if n == 1 { "" } else { "s" },
        quoted(&o.owner)
    );
    let list = crate::error::command("user list");
    match &o.why {
        Unworkable::Auditor => {
            format!("{owned}, who is an auditor, not a registered collector or manager ({list})")
        }
        Unworkable::Unknown { near: None } => {
            format!("{owned}, who is not a registered collector or manager ({list})")
        }
        Unworkable::Unknown { near: Some(near) } => format!(
            "{owned}, who is not a registered collector or manager (did you mean {}? {list})",
            crate::domain::users::quoted(near)
        ),
    }
}

/// The most moved documents an import's summary names one by one.
const MOVED_SHOWN: usize = 10;

/// An id, number or other value from a file, as a line of output shows it bare: on one line,
/// cut as quoted values are.
fn bare(value: &str) -> String {
    use crate::domain::text::{first_chars, one_line};
    one_line(first_chars(value, crate::error::QUOTED_CHARS)).into_owned()
}

/// `INV-0011 moved C6 → C5; promise 4 of C6 names it`.
fn moved_line(m: &MovedDocument) -> String {
    let label = bare(
        m.new_number
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&m.id),
    );
    let records: Vec<String> = m
        .records
        .iter()
        .map(|(what, n, customer)| format!("{what} {n} of {}", bare(customer)))
        .collect();
    format!(
        "{label} moved {} → {}; {} {} it",
        bare(&m.old_customer),
        bare(&m.new_customer),
        records.join(" and "),
        if records.len() == 1 { "names" } else { "name" }
    )
}

/// The message for a stored document that a row of `documents.csv` (at `line`, when known)
/// gives another customer and another number or date: another document under a reused id.
fn reused_id_error(m: &MovedDocument, line: Option<u64>) -> Error {
    let stored = format!(
        "{} {} of {} dated {}",
        m.kind.words(),
        quoted(
            m.old_number
                .as_deref()
                .filter(|n| !n.is_empty())
                .unwrap_or(&m.id)
        ),
        quoted(&m.old_customer),
        format_day(m.old_date)
    );
    let records = match m.records.len() {
        0 => String::new(),
        n => {
            let named: Vec<String> = m
                .records
                .iter()
                .take(5)
                .map(|(what, id, _)| format!("{what} {id}"))
                .collect();
            let more = if n > 5 {
                format!(" and {} more", n - 5)
            } else {
                String::new()
            };
            format!(
                ", which {}{more} {}",
                named.join(" and "),
                if n == 1 { "names" } else { "name" }
            )
        }
    };
    let number = match m.new_number.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => format!("number {}", quoted(n)),
        None => "no number".to_string(),
    };
    let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
    Error::input(format!(
        "documents.csv{at}, column customer_id: the id {} is stored for {stored}{records}; this \
         row gives it customer {}, {number} and date {}: another document reusing the id? Give \
         it an id of its own (a row that only moves a document to another customer keeps its \
         number and date)",
        quoted(&m.id),
        quoted(&m.new_customer),
        format_day(m.new_date)
    ))
}

/// The deductions resolved because their documents are settled, in the import's line (`; 2
/// deductions resolved, their documents settled: issue 2 on INV-3 (invalid), issue 3 on
/// INV-2 (valid)`).
fn settled_text(settled: &[SettledDeduction]) -> String {
    let n = settled.len();
    let (s, their) = if n == 1 { ("", "its") } else { ("s", "their") };
    let which: Vec<String> = settled
        .iter()
        .map(|d| {
            let outcome = d.outcome.map_or("no outcome", |o| o.as_str());
            format!("issue {} on {} ({outcome})", d.issue, labels(&d.documents))
        })
        .collect();
    format!(
        "; {n} deduction{s} resolved, {their} documents settled: {}",
        which.join(", ")
    )
}

/// The restored applications in the import's line: how many, and each that did not come back
/// in full with why (`; 3 applications of lockbox payments successful again restored, 1 of
/// them not in full: LBX-1001 → I1 on 2026-04-15 400.00 of 1000.00 USD (I1 had only that
/// open: …)`).
fn restored_text(restored: &[RestoredApplication]) -> String {
    let n = restored.len();
    let mut text = format!(
        "; {n} application{} of lockbox payments successful again restored",
        if n == 1 { "" } else { "s" }
    );
    let short: Vec<String> = restored
        .iter()
        .filter_map(|r| {
            let why = match (r.short?, r.restored > 0) {
                (Shortfall::Document, true) => format!(
                    "{} had only that open: another payment or credit note settled it meanwhile",
                    r.document
                ),
                (Shortfall::Document, false) => format!(
                    "{} had nothing open: another payment or credit note settled it meanwhile",
                    r.document
                ),
                (Shortfall::Payment, true) => format!("{} had only that left to apply", r.payment),
                (Shortfall::Payment, false) => format!("{} had nothing left to apply", r.payment),
                (Shortfall::Unfit(unfit), _) => {
                    let (document, payment) = (&r.document, &r.payment);
                    match unfit {
                        Unfit::CreditNote => format!("{document} is now a credit note"),
                        Unfit::Customer => {
                            format!("{document} now belongs to another customer than {payment}")
                        }
                        Unfit::Currency => {
                            format!("{document} is now in another currency than {payment}")
                        }
                        Unfit::Date => {
                            format!("{document} or {payment} is now dated after the application")
                        }
                    }
                }
            };
            let amount = |units: i64| money::plain(money::from_units(units), &r.currency);
            Some(format!(
                "{} → {} on {} {} of {} {} ({why})",
                r.payment,
                r.document,
                format_day(r.date),
                amount(r.restored),
                amount(r.withdrawn),
                r.currency
            ))
        })
        .collect();
    if !short.is_empty() {
        let of_them = if n == 1 {
            String::new()
        } else {
            format!("{} of them ", short.len())
        };
        text.push_str(&format!(", {of_them}not in full: {}", short.join(", ")));
    }
    text
}

impl std::fmt::Display for ImportSummary {
    /// `imported: …`, then one line per owner whose customers nobody registered may work.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "imported: {}", self.per_file())?;
        for line in self.owner_lines().into_iter().chain(self.moved_lines()) {
            write!(f, "\n{line}")?;
        }
        Ok(())
    }
}

/// Options of one import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub base_currency: String,
    /// Show a progress line on stderr (only when it is a terminal).
    pub progress: bool,
    /// Who imports, for the log of imports.
    pub actor: String,
    /// When, for the log of imports (read at the edge, passed in).
    pub at: chrono::DateTime<chrono::Utc>,
    /// Read and check everything as an import would, then keep nothing (`--dry-run`): the
    /// summary says what the import would change.
    pub dry_run: bool,
    /// Where the files came from, for the log of imports, when their paths would mislead
    /// (the demo's generated files, in a folder removed once they are imported): the log
    /// keeps this and the files' names instead of their paths.
    pub source: Option<String>,
    /// Import an export that looks older than the ledger (`--older`; see [`older`]), which is
    /// otherwise refused.
    pub older: bool,
}

impl ImportOptions {
    /// An import by `actor` at `at` into a database of `base_currency`, without progress.
    pub fn by(actor: &str, at: chrono::DateTime<chrono::Utc>, base_currency: &str) -> Self {
        ImportOptions {
            base_currency: base_currency.to_string(),
            progress: false,
            actor: actor.to_string(),
            at,
            dry_run: false,
            source: None,
            older: false,
        }
    }
}

/// The entries of a folder, in name order (a folder that cannot be read is bad input).
fn entries_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::input(format!("cannot read the folder {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    Ok(paths)
}

/// Refuses an entry named as an import file that is no file to read: a folder (a Spark or
/// Databricks export writes `documents.csv/part-00000.csv`), a broken link (an unmounted
/// share) or a pipe. Passed over, the rest of the folder was imported as if it were all, and
/// a ledger looked freshly imported with no document read.
fn refuse_not_a_file(path: &Path) -> Result<()> {
    let Some(what) = crate::files::NotAFile::of(path) else {
        return Ok(());
    };
    let advice = match what {
        crate::files::NotAFile::Folder => ": export the table as one CSV file of that name",
        _ => "",
    };
    Err(Error::input(format!(
        "{} is {what}{advice} (nothing was imported)",
        path.display()
    )))
}

/// Finds the importable files among `paths`: a folder contributes the known files it holds
/// (their names in any case); a file must have one of the known names.
pub fn resolve_files(paths: &[PathBuf]) -> Result<Vec<(FileKind, PathBuf)>> {
    let mut found: Vec<(FileKind, PathBuf)> = Vec::new();
    for path in paths {
        if path.is_dir() {
            for file in entries_in(path)? {
                let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if let Some(kind) = FileKind::from_file_name(name) {
                    refuse_not_a_file(&file)?;
                    found.push((kind, file));
                }
            }
            continue;
        }
        if !path.exists() {
            return Err(Error::input(format!(
                "{}: no such file or folder",
                path.display()
            )));
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let kind = FileKind::from_file_name(name).ok_or_else(|| {
            Error::input(format!(
                "{}: not an import file (expected one of {})",
                path.display(),
                FileKind::ALL.map(FileKind::file_name).join(", ")
            ))
        })?;
        found.push((kind, path.clone()));
    }
    if found.is_empty() {
        return Err(Error::input(
            "no import files found (customers.csv, documents.csv, …)",
        ));
    }
    found.sort_by_key(|(k, _)| *k);
    if let Some(w) = found.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Error::input(format!(
            "{} is given twice ({} and {})",
            w[0].0.file_name(),
            w[0].1.display(),
            w[1].1.display()
        )));
    }
    Ok(found)
}

/// The `.csv` files of the folders among `paths` that are not import files — said before an
/// import, so that an export saved under another name (`customers (1).csv`) is not taken for
/// imported.
pub fn skipped_csv(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .filter(|p| p.is_dir())
        .flat_map(|dir| entries_in(dir).unwrap_or_default())
        .filter(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let csv = f.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
            csv && FileKind::from_file_name(name).is_none()
        })
        .collect()
}

/// Imports the given files and folders in one transaction.
pub fn import_paths(
    store: &mut Store,
    paths: &[PathBuf],
    options: &ImportOptions,
) -> Result<ImportSummary> {
    import_files(store, &resolve_files(paths)?, options)
}

/// Imports files found by [`resolve_files`] in one transaction. The first import fixes the
/// database's base currency; an import in another one is refused before anything is read.
pub fn import_files(
    store: &mut Store,
    files: &[(FileKind, PathBuf)],
    options: &ImportOptions,
) -> Result<ImportSummary> {
    store.ensure_writable()?;
    store.check_base_currency(&options.base_currency)?;
    // The import checks every reference itself (naming the file, line and column of a bad
    // one) before it commits, so SQLite's own foreign-key check is not run a million times
    // over; it is on again for everything else this connection does. A first import into
    // an empty database writes through a rollback journal (see the store).
    store.set_foreign_keys(false)?;
    let rollback_journal = store.rollback_journal_if_empty()?;
    let result = import_in_one_transaction(store, files, options);
    let restored = if rollback_journal {
        store.wal_again()
    } else {
        Ok(())
    };
    store.set_foreign_keys(true)?;
    let summary = result?;
    restored?;
    if !options.dry_run {
        let t = Instant::now();
        crate::store::ledger::import::optimize(store)?;
        phase("optimize", t);
    }
    Ok(summary)
}

fn import_in_one_transaction(
    store: &mut Store,
    files: &[(FileKind, PathBuf)],
    options: &ImportOptions,
) -> Result<ImportSummary> {
    let mut importer = Importer {
        writer: store.ledger_mut().import_writer(&options.actor)?,
        base: options.base_currency.clone(),
        progress: options.progress && std::io::stderr().is_terminal(),
        rates: Rates::default(),
        customers: HashMap::new(),
        currencies_apart: HashMap::new(),
        contact_roles: HashMap::new(),
        finance_owners: HashSet::new(),
        // The day of the import, in the ledger's time zone (the process's: see
        // `store::time_zone`): a date after it says nothing of how new an export is.
        today: day_number(options.at.with_timezone(&chrono::Local).date_naive()),
        users: Vec::new(),
        as_registered: HashMap::new(),
    };
    importer.users = importer.writer.registered_users()?;
    importer.writer.fix_base_currency(&options.base_currency)?;
    let mut summary = ImportSummary::default();
    importer.load_rates()?;
    for (kind, path) in files {
        match kind {
            FileKind::Customers => importer.writer.prepare_bulk_load("customers")?,
            FileKind::Documents => importer.writer.prepare_bulk_load("documents")?,
            FileKind::Payments => importer.writer.prepare_bulk_load("payments")?,
            FileKind::Applications => importer.writer.prepare_bulk_load("applications")?,
            _ => {}
        }
        if matches!(
            kind,
            FileKind::Documents | FileKind::Payments | FileKind::Contacts
        ) && importer.customers.is_empty()
        {
            importer.customers = importer.writer.customer_refs()?;
        }
        let t = Instant::now();
        let file_summary = importer.import_file(*kind, path)?;
        phase(kind.file_name(), t);
        if matches!(
            kind,
            FileKind::Customers | FileKind::Documents | FileKind::Payments
        ) {
            let t = Instant::now();
            importer.writer.refresh_statistics()?;
            phase("statistics", t);
        }
        if *kind == FileKind::Documents {
            let moved = importer.writer.moved_documents()?;
            if let Some(reused) = moved.iter().find(|m| m.looks_reused()) {
                return Err(reused_id_error(
                    reused,
                    last_line_mentioning(path, "id", &reused.id),
                ));
            }
            summary.moved = moved
                .into_iter()
                .filter(|m| !m.records.is_empty())
                .collect();
        }
        if *kind == FileKind::ExchangeRates {
            importer.load_rates()?;
            summary.rerated += importer.writer.rerate(&importer.base)?;
        }
        summary.files.push(file_summary);
    }
    // Before anything is worked out from the rows: an export older than the ledger is told
    // as such, not by what its old rows would then break.
    if let Some(older) = older::judge(&importer.writer, &summary.files)? {
        if !options.older {
            return Err(Error::input(older.refusal()));
        }
        summary.older = Some(older);
    }
    if let Some(past) = importer.writer.first_past_countable(&importer.base)? {
        return Err(past_countable_error(&past, files, &importer.base));
    }
    summary.withdrawn = importer.writer.withdraw_unpaid_applications()?;
    summary.deductions_withdrawn = importer
        .writer
        .withdraw_deductions(&options.actor, options.at)?;
    summary.restored = importer.writer.restore_withdrawn_applications()?;
    summary.deductions_returned =
        importer
            .writer
            .reopen_deductions(&options.actor, options.at, &summary.restored)?;
    if let Some(broken) = importer.writer.first_broken_application()? {
        return Err(broken_application_error(&broken, files));
    }
    importer.writer.refresh_applied().map_err(|e| match e {
        Error::Db(db) if db.to_string().contains("integer overflow") => Error::input(
            "applications.csv: the applications to or from one document or payment add up to \
             more than owed can count, far beyond its amount: nothing was imported",
        ),
        e => e,
    })?;
    // After the totals: what settles a deduction's documents, or opens them again.
    summary.deductions_unsettled = importer
        .writer
        .reopen_unsettled_deductions(&options.actor, options.at)?;
    summary.deductions_settled = importer
        .writer
        .settle_deductions(&options.actor, options.at)?;
    let documents_changed = summary.rerated > 0
        || summary
            .files
            .iter()
            .any(|f| f.kind == FileKind::Documents && f.inserted + f.updated > 0);
    if documents_changed {
        let t = Instant::now();
        importer.writer.rebuild_sales(&options.base_currency)?;
        phase("daily sales", t);
    }
    if files.iter().any(|(k, _)| *k == FileKind::Documents) {
        summary.settled_in_billing = importer.writer.settled_in_billing_open_here(3)?;
    }
    let t = Instant::now();
    if let Some(over) = importer.writer.first_over_applied()? {
        return Err(over_applied_error(&over, files, &importer.writer));
    }
    phase("over-applied check", t);
    summary.unworkable_owners = importer
        .writer
        .unworkable_owners(&importer.finance_owners)?;
    summary.owners_as_registered = importer
        .as_registered
        .drain()
        .map(|((written, user), customers)| OwnerAsRegistered {
            written,
            user,
            customers,
        })
        .collect();
    summary.owners_as_registered.sort_by(|a, b| {
        b.customers
            .cmp(&a.customers)
            .then_with(|| a.written.cmp(&b.written))
    });
    if options.dry_run {
        // Every row read and checked, every reference and balance too: nothing is kept.
        importer.writer.roll_back()?;
        return Ok(summary);
    }
    let import_id = importer.writer.record(&ImportRun {
        at: options.at,
        actor: options.actor.clone(),
        // Where the files were, whatever folder the import ran in.
        files: files
            .iter()
            .map(|(kind, p)| match &options.source {
                Some(_) => kind.file_name().to_string(),
                None => p
                    .canonicalize()
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string(),
            })
            .collect(),
        summary: summary.recorded(),
        source: options.source.clone(),
        kind: ImportKind::Billing,
        changes: Vec::new(),
    })?;
    let newest: Vec<(&str, i32)> = summary
        .files
        .iter()
        .filter_map(|f| f.newest.map(|day| (f.kind.file_name(), day)))
        .collect();
    importer.writer.record_newest(import_id, &newest)?;
    let t = Instant::now();
    importer.writer.commit()?;
    phase("commit", t);
    Ok(summary)
}

/// The exchange rates in memory: per currency, (day number, rate) sorted by day.
#[derive(Default)]
struct Rates(HashMap<String, Vec<(i32, String)>>);

impl Rates {
    /// Whether any rate of `currency` is known.
    fn has(&self, currency: &str) -> bool {
        self.0.contains_key(currency)
    }

    /// The latest rate dated on or before `day`.
    fn on_or_before(&self, currency: &str, day: i32) -> Option<&str> {
        let series = self.0.get(currency)?;
        let i = series.partition_point(|(d, _)| *d <= day);
        (i > 0).then(|| series[i - 1].1.as_str())
    }
}

struct Importer<'a> {
    writer: ImportWriter<'a>,
    base: String,
    progress: bool,
    rates: Rates,
    customers: HashMap<String, CustomerRef>,
    /// For a file of documents or payments without a `currency` column: those stored in
    /// another currency than their customer's, by id (see `ImportWriter::currencies_apart`).
    currencies_apart: HashMap<String, String>,
    /// For a contacts file without a `role` column: the stored contacts' roles, by
    /// (customer, email).
    contact_roles: HashMap<(i64, String), &'static str>,
    /// Every finance owner `customers.csv` named, as written into the database (see
    /// [`ImportSummary::unworkable_owners`]).
    finance_owners: HashSet<String>,
    /// The day of the import (day number): a row dated after it does not count in its file's
    /// newest date ([`FileSummary::newest`]).
    today: i32,
    /// The registered users, each with their role (none in a single user's shell).
    users: Vec<(String, crate::domain::users::Role)>,
    /// The finance owners written as the registered user they name: (as in the file, as
    /// registered) and for how many of its customers.
    as_registered: HashMap<(String, String), u64>,
}

impl Importer<'_> {
    fn load_rates(&mut self) -> Result<()> {
        let mut map: HashMap<String, Vec<(i32, String)>> = HashMap::new();
        for (currency, day, rate) in self.writer.rates()? {
            map.entry(currency).or_default().push((day, rate));
        }
        self.rates = Rates(map);
        Ok(())
    }

    /// Reads one file: a thread parses and checks its rows (against the customers and rates
    /// known when the file starts) while this one writes them, so that parsing overlaps
    /// SQLite's work. The first bad row in file order stops both; nothing is committed.
    fn import_file(&mut self, kind: FileKind, path: &Path) -> Result<FileSummary> {
        let name = kind.file_name();
        // Looked at before it is opened: opening a pipe would wait for a writer.
        if let Ok(meta) = std::fs::metadata(path)
            && let Some(what) = crate::domain::attachment::not_a_file(meta.file_type())
        {
            return Err(Error::input(format!("{}: it is {what}", path.display())));
        }
        let file = std::fs::File::open(path)
            .map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
        refuse_cut_short(name, &file)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(std::io::BufReader::with_capacity(
                1 << 16,
                QuoteCheck::new(file),
            ));
        let names = reader
            .headers()
            .map_err(|e| csv_error(name, None, None, &e))?
            .clone();
        let columns = match kind {
            FileKind::ExchangeRates => &format::EXCHANGE_RATES,
            FileKind::Customers => &format::CUSTOMERS,
            FileKind::Contacts => &format::CONTACTS,
            FileKind::Documents => &format::DOCUMENTS,
            FileKind::Payments => &format::PAYMENTS,
            FileKind::Applications => &format::APPLICATIONS,
        };
        let header = Header::new(name, &names, columns)?;
        // A column the file does not have keeps what is stored, in every file of records.
        let has = |c: &str| header.has(c);
        match kind {
            FileKind::Contacts => self.writer.contacts_file_has(&has),
            FileKind::Documents => self.writer.documents_file_has(&has, &header.custom_names()),
            FileKind::Payments => self.writer.payments_file_has(&has),
            _ => {}
        }
        // A contacts file without `role` keeps the stored contacts' roles: its primary marks
        // are checked against them.
        self.contact_roles = match kind {
            FileKind::Contacts if !header.has("role") => self.writer.contact_roles()?,
            _ => HashMap::new(),
        };
        self.currencies_apart = match kind {
            FileKind::Documents if !header.has("currency") => {
                self.writer.currencies_apart("documents", &self.base)?
            }
            FileKind::Payments if !header.has("currency") => {
                self.writer.currencies_apart("payments", &self.base)?
            }
            _ => HashMap::new(),
        };
        if kind == FileKind::Customers {
            self.writer.customers_file_has(&has, &header.custom_names());
            // A credit limit is in its customer's currency, which a file without the column
            // leaves as stored (the customers are read again for the files after this one).
            self.customers = if header.has("currency") || !header.has("credit_limit") {
                HashMap::new()
            } else {
                self.writer.customer_refs()?
            };
        }
        let mut summary = FileSummary::new(kind);
        let checker = Checker {
            base: &self.base,
            rates: &self.rates,
            customers: &self.customers,
            currencies_apart: &self.currencies_apart,
            contact_roles: &self.contact_roles,
        };
        let writer = &self.writer;
        let progress = self.progress;
        let finance_owners = &mut self.finance_owners;
        let today = self.today;
        let (users, as_registered) = (&self.users, &mut self.as_registered);
        std::thread::scope(|scope| -> Result<()> {
            let (send, batches) = std::sync::mpsc::sync_channel::<Result<Batch>>(PIPELINE_DEPTH);
            let checker = &checker;
            let header = &header;
            scope.spawn(move || read_rows(kind, path, reader, header, checker, &send));
            let mut rows: u64 = 0;
            let mut shown: u64 = 0;
            for batch in batches {
                let batch = batch?;
                for mut parsed in batch.rows {
                    if let Parsed::Customer(c) = &mut parsed
                        && let Some(owner) = &mut c.finance_owner
                    {
                        // A user's name written otherwise is written as registered.
                        if let Some(user) = owner_as_registered(owner, users) {
                            *as_registered
                                .entry((owner.clone(), user.to_string()))
                                .or_default() += 1;
                            *owner = user.to_string();
                        }
                        if !finance_owners.contains(owner.as_str()) {
                            finance_owners.insert(owner.clone());
                        }
                    }
                    if let Some(day) = parsed.newest_day(today) {
                        summary.newest = summary.newest.max(Some(day));
                    }
                    let outcome = write_row(writer, parsed, path)?;
                    if kind != FileKind::Applications {
                        summary.count(outcome);
                    }
                    rows += 1;
                }
                if progress && rows - shown >= 50_000 {
                    shown = rows;
                    show_progress(name, rows, batch.byte, size);
                }
            }
            if progress {
                show_progress(name, rows, size, size);
                eprintln!();
            }
            Ok(())
        })?;
        if kind == FileKind::Customers {
            // Read again, with this file's customers, by the files that refer to them.
            self.customers.clear();
        }
        if kind == FileKind::Applications {
            self.finish_applications(&mut summary)?;
        }
        Ok(summary)
    }

    /// Resolves the staged applications against documents and payments (the file's and the
    /// database's), refusing the first row in file order that refers to something missing or
    /// unsuitable, then upserts them all in one statement.
    fn finish_applications(&mut self, summary: &mut FileSummary) -> Result<()> {
        let t = Instant::now();
        let bad = self.writer.first_bad_staged_application()?;
        phase("applications resolved", t);
        if let Some(bad) = bad {
            let (column, message) = application_problem(&bad).unwrap_or((
                "source_id",
                "this application cannot be resolved".to_string(),
            ));
            return Err(Error::input(format!(
                "applications.csv line {}, column {column}: {message}",
                bad.line
            )));
        }
        let t = Instant::now();
        let outcome = self.writer.apply_staged_applications()?;
        phase("applications written", t);
        summary.inserted = outcome.inserted;
        summary.updated = outcome.updated;
        summary.unchanged = outcome.unchanged;
        summary.removed = outcome.removed;
        Ok(())
    }
}

/// Rows sent from the parsing thread to the writer at a time, and batches in flight.
const BATCH_ROWS: usize = 1024;
const PIPELINE_DEPTH: usize = 8;

/// Parsed rows of one file, with the byte offset reached (for the progress line).
struct Batch {
    rows: Vec<Parsed>,
    byte: u64,
}

/// A row parsed and checked, ready to write.
enum Parsed {
    Rate {
        currency: String,
        day: i32,
        rate: String,
    },
    Customer(Box<CustomerRecord>),
    Contact(Box<ContactRecord>),
    Document(Box<DocumentRecord>),
    Payment(Box<PaymentRecord>),
    Application {
        line: u64,
        source_id: String,
        document_id: String,
        units: i64,
        date: i32,
    },
}

impl Parsed {
    /// The newest date the row gives that is not after `today` (see [`older`]): a
    /// document's date or posting date, a payment's, an application's, a rate's. A due date
    /// or a next retry is no entry's date.
    fn newest_day(&self, today: i32) -> Option<i32> {
        let days = match self {
            Parsed::Rate { day, .. } => [Some(*day), None],
            Parsed::Document(d) => [Some(d.doc_date), d.posting_date],
            Parsed::Payment(p) => [Some(p.date), None],
            Parsed::Application { date, .. } => [Some(*date), None],
            Parsed::Customer(_) | Parsed::Contact(_) => [None, None],
        };
        days.into_iter().flatten().filter(|d| *d <= today).max()
    }
}

/// The CSV reader of an import file.
type CsvReader = csv::Reader<std::io::BufReader<QuoteCheck<std::fs::File>>>;

/// Parses every row of a file into batches for the writer, stopping at the first bad row
/// (sent as the last message) or when the writer has stopped listening.
fn read_rows(
    kind: FileKind,
    path: &Path,
    mut reader: CsvReader,
    header: &Header,
    checker: &Checker,
    send: &std::sync::mpsc::SyncSender<Result<Batch>>,
) {
    let name = kind.file_name();
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::with_capacity(BATCH_ROWS);
    let mut seen = SeenKeys::default();
    let mut primaries = Primaries::default();
    let mut lines = Lines::new(path);
    loop {
        let more = match reader.read_record(&mut record) {
            Ok(more) => more,
            Err(e) => {
                let _ = send.send(Ok(Batch { rows, byte: 0 }));
                let _ = send.send(Err(csv_error(name, Some(header), Some(&mut lines), &e)));
                return;
            }
        };
        if more {
            let line = record.position().map_or(0, |p| lines.of(p));
            let row = header.row(&record, line);
            let parsed = checker
                .parse(kind, &row)
                .and_then(|parsed| {
                    match seen.first_line(&parsed, line, || {
                        earlier_line_with_key(kind, path, header, checker, &parsed, line)
                    }) {
                        Some(first) => Err(duplicate_error(
                            name,
                            row.line_of(parsed.key_column()),
                            first,
                            &parsed,
                        )),
                        None => Ok(parsed),
                    }
                })
                .and_then(|parsed| primaries.check(name, row.line_of("primary"), parsed));
            match parsed {
                Ok(parsed) => rows.push(parsed),
                Err(e) => {
                    let _ = send.send(Ok(Batch { rows, byte: 0 }));
                    let _ = send.send(Err(e));
                    return;
                }
            }
        }
        if rows.len() == BATCH_ROWS || (!more && !rows.is_empty()) {
            let byte = record.position().map_or(0, |p| p.byte());
            let full = std::mem::replace(&mut rows, Vec::with_capacity(BATCH_ROWS));
            if send.send(Ok(Batch { rows: full, byte })).is_err() {
                return;
            }
        }
        if !more {
            return;
        }
    }
}

/// The keys of the rows of one file read so far, by hash (a million ids in a few tens of
/// megabytes, without keeping their text), with the line of the first row of each hash.
#[derive(Default)]
struct SeenKeys {
    lines: HashMap<u64, u64>,
    hasher: std::hash::RandomState,
}

impl SeenKeys {
    /// Notes the row at `line`; the line of an earlier row with the same key, if any. Two keys
    /// of the same hash are told apart by `confirm`, which finds the earlier row with this
    /// very key (it reads the file again: only for a duplicate, or a rare collision).
    fn first_line(
        &mut self,
        parsed: &Parsed,
        line: u64,
        confirm: impl FnOnce() -> Option<u64>,
    ) -> Option<u64> {
        let mut h = self.hasher.build_hasher();
        parsed.hash_key(&mut h);
        match self.lines.entry(h.finish()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(line);
                None
            }
            std::collections::hash_map::Entry::Occupied(_) => confirm(),
        }
    }
}

/// The primary contacts of one contacts file so far, by customer and role, with their line:
/// a customer has one primary contact of a role (the one reminders without `to` go to), so a
/// second in one file is refused rather than one of them silently losing.
#[derive(Default)]
struct Primaries {
    lines: HashMap<(i64, &'static str), u64>,
}

impl Primaries {
    /// `parsed`, unless it is a second primary contact of its customer and role.
    fn check(&mut self, file: &str, line: u64, parsed: Parsed) -> Result<Parsed> {
        if let Parsed::Contact(c) = &parsed
            && c.primary
            && let Some(first) = self.lines.insert((c.cid, c.role), line)
        {
            return Err(Error::input(format!(
                "{file} line {line}, column primary: this customer's primary {} contact is \
                 already on line {first} (one primary contact per customer and role)",
                c.role
            )));
        }
        Ok(parsed)
    }
}

/// The line of the first row before `line` of the file at `path` whose key is `parsed`'s:
/// the line its key's value is on.
fn earlier_line_with_key(
    kind: FileKind,
    path: &Path,
    header: &Header,
    checker: &Checker,
    parsed: &Parsed,
    line: u64,
) -> Option<u64> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let mut record = csv::StringRecord::new();
    let mut lines = Lines::new(path);
    while reader.read_record(&mut record).ok()? {
        let at = record.position().map_or(0, |p| lines.of(p));
        if at >= line {
            return None;
        }
        let row = header.row(&record, at);
        if let Ok(earlier) = checker.parse(kind, &row)
            && earlier.same_key(parsed)
        {
            return Some(row.line_of(parsed.key_column()));
        }
    }
    None
}

/// The message for a row whose key an earlier row of the file has (`line` and `first`: the
/// lines of the two keys' values).
fn duplicate_error(file: &str, line: u64, first: u64, parsed: &Parsed) -> Error {
    let column = parsed.key_column();
    let what = match parsed {
        Parsed::Rate { currency, day, .. } => format!(
            "the rate of {currency} on {} is also on line {first} (one rate per currency \
             and date)",
            crate::domain::date::from_day_number(*day)
        ),
        Parsed::Customer(c) => id_twice(&c.id, first),
        Parsed::Contact(c) => format!(
            "the contact {} of this customer is also on line {first} (one row per customer \
             and email)",
            crate::error::quoted(&c.email)
        ),
        Parsed::Document(d) => id_twice(&d.id, first),
        Parsed::Payment(p) => id_twice(&p.id, first),
        Parsed::Application {
            source_id,
            document_id,
            date,
            ..
        } => format!(
            "an application of {} to {} on {} is also on line {first} (one row per source, \
             document and date)",
            crate::error::quoted(source_id),
            crate::error::quoted(document_id),
            crate::domain::date::from_day_number(*date)
        ),
    };
    Error::input(format!("{file} line {line}, column {column}: {what}"))
}

fn id_twice(id: &str, first: u64) -> String {
    format!(
        "the id {} is also on line {first} (each id once per file: the second row would \
         replace the first)",
        crate::error::quoted(id)
    )
}

impl Parsed {
    /// The column a duplicate of the row's key is named by.
    fn key_column(&self) -> &'static str {
        match self {
            Parsed::Rate { .. } => "date",
            Parsed::Contact(_) => "email",
            Parsed::Application { .. } => "source_id",
            Parsed::Customer(_) | Parsed::Document(_) | Parsed::Payment(_) => "id",
        }
    }

    /// Feeds what identifies the row within its file to `state`: its id; for a rate, its
    /// currency and date; for an application, its source, document and date.
    fn hash_key(&self, state: &mut impl Hasher) {
        match self {
            Parsed::Rate { currency, day, .. } => (currency, day).hash(state),
            Parsed::Customer(c) => c.id.hash(state),
            Parsed::Contact(c) => (c.cid, &c.email).hash(state),
            Parsed::Document(d) => d.id.hash(state),
            Parsed::Payment(p) => p.id.hash(state),
            Parsed::Application {
                source_id,
                document_id,
                date,
                ..
            } => (source_id, document_id, date).hash(state),
        }
    }

    /// Whether two rows of one file have the same key.
    fn same_key(&self, other: &Parsed) -> bool {
        match (self, other) {
            (
                Parsed::Rate { currency, day, .. },
                Parsed::Rate {
                    currency: c2,
                    day: d2,
                    ..
                },
            ) => currency == c2 && day == d2,
            (Parsed::Customer(a), Parsed::Customer(b)) => a.id == b.id,
            (Parsed::Contact(a), Parsed::Contact(b)) => a.cid == b.cid && a.email == b.email,
            (Parsed::Document(a), Parsed::Document(b)) => a.id == b.id,
            (Parsed::Payment(a), Parsed::Payment(b)) => a.id == b.id,
            (
                Parsed::Application {
                    source_id,
                    document_id,
                    date,
                    ..
                },
                Parsed::Application {
                    source_id: s2,
                    document_id: d2,
                    date: t2,
                    ..
                },
            ) => source_id == s2 && document_id == d2 && date == t2,
            _ => false,
        }
    }
}

/// Writes one parsed row of the file at `path`. A credit note and a payment may not share an
/// id (an application from it could not tell which one it means): the row that would give
/// the second of them the id is refused, against what is stored and what this import wrote
/// before it (documents are read before payments).
fn write_row(writer: &ImportWriter, parsed: Parsed, path: &Path) -> Result<Upsert> {
    match parsed {
        Parsed::Rate {
            currency,
            day,
            rate,
        } => writer.upsert_rate(&currency, day, &rate),
        Parsed::Customer(c) => writer.upsert_customer(&c),
        Parsed::Contact(c) => writer.upsert_contact(&c),
        Parsed::Document(d) => {
            let outcome = writer.upsert_document(&d)?;
            if d.kind == "credit_note"
                && outcome != Upsert::Unchanged
                && writer.is_payment_id(&d.id)?
            {
                return Err(shared_id_error(FileKind::Documents, path, &d.id));
            }
            Ok(outcome)
        }
        Parsed::Payment(p) => {
            // An empty status is the default, `success`, for a new payment; for one stored as
            // failed or voided it would turn a bounced cheque into money received without a
            // word, so its status must be written.
            if let Some(line) = p.blank_status_at
                && let Some(stored) = writer.payment_status(&p.id)?
                && stored != "success"
            {
                return Err(Error::input(format!(
                    "payments.csv line {line}, column status: {} is stored as {stored}, and an \
                     empty status would make it money received: write its status ({stored} as \
                     it is, or success if the money really was received)",
                    quoted(&p.id)
                )));
            }
            // An update keeps the id: only a new payment can take a credit note's.
            let outcome = writer.upsert_payment(&p)?;
            if outcome == Upsert::Inserted && writer.is_credit_note_id(&p.id)? {
                return Err(shared_id_error(FileKind::Payments, path, &p.id));
            }
            Ok(outcome)
        }
        Parsed::Application {
            line,
            source_id,
            document_id,
            units,
            date,
        } => {
            writer.stage_application(line, &source_id, &document_id, units, date)?;
            Ok(Upsert::Unchanged)
        }
    }
}

/// The message for a credit note (in `documents.csv`) or payment (in `payments.csv`) whose id
/// the other kind already has, at its line of the file at `path`.
fn shared_id_error(kind: FileKind, path: &Path, id: &str) -> Error {
    let (this, other) = match kind {
        FileKind::Documents => ("credit note", "payment"),
        _ => ("payment", "credit note"),
    };
    let at = last_line_mentioning(path, "id", id)
        .map(|line| format!(" line {line}"))
        .unwrap_or_default();
    Error::input(format!(
        "{}{at}, column id: {} is already the id of a {other}: applications.csv could not \
         tell this {this} from it (give one of them another id)",
        kind.file_name(),
        quoted(id)
    ))
}

/// What rows are checked against while a file is read: the base currency, the exchange
/// rates and the customers known when the file starts (read-only, shared with the parser).
struct Checker<'a> {
    base: &'a str,
    rates: &'a Rates,
    customers: &'a HashMap<String, CustomerRef>,
    currencies_apart: &'a HashMap<String, String>,
    contact_roles: &'a HashMap<(i64, String), &'static str>,
}

impl<'a> Checker<'a> {
    fn parse(&self, kind: FileKind, row: &Row) -> Result<Parsed> {
        row.check_lengths()?;
        match kind {
            FileKind::ExchangeRates => self.rate_row(row),
            FileKind::Customers => self.customer_row(row),
            FileKind::Contacts => self.contact_row(row),
            FileKind::Documents => self.document_row(row),
            FileKind::Payments => self.payment_row(row),
            FileKind::Applications => self.application_row(row),
        }
    }

    fn rate_row(&self, row: &Row) -> Result<Parsed> {
        let date = row.date("date")?;
        let currency = row
            .opt_currency("currency")?
            .ok_or_else(|| row.error("currency", "required value is missing"))?;
        if currency == self.base {
            return Err(row.error(
                "currency",
                format!(
                    "{currency} is the base currency, whose rate is always 1 (the file gives \
                     other currencies in units of it)"
                ),
            ));
        }
        let rate = row.rate_text("rate")?;
        Ok(Parsed::Rate {
            currency,
            day: day_number(date),
            rate,
        })
    }

    fn customer_row(&self, row: &Row) -> Result<Parsed> {
        let currency = row.opt_currency("currency")?;
        // A customer bills in a currency owed can convert (as its documents and payments
        // must): an unknown code would only be found at its first document.
        if let Some(code) = currency.as_deref()
            && code != self.base
            && !self.rates.has(code)
        {
            return Err(row.error(
                "currency",
                format!("no exchange rate for {code} (add it to exchange_rates.csv)"),
            ));
        }
        let credit_limit = row.opt_amount("credit_limit")?;
        if let Some(limit) = credit_limit {
            // In the customer's currency: the row's, else (a file without the column keeps
            // it) the stored one, else the base currency.
            let stored = || {
                let id = row.opt("id")?;
                self.customers.get(id)?.currency.as_deref()
            };
            let limit_currency = currency.as_deref().or_else(stored).unwrap_or(self.base);
            row.in_minor_units("credit_limit", limit, limit_currency)?;
        }
        // The address (or addresses) reminders go to: one that is none is refused here, at
        // its line, rather than found at the first reminder.
        let email = row.opt_string("email");
        if let Some(email) = email.as_deref()
            && let Err(why) = crate::engage::outbox::recipients(email)
        {
            return Err(row.error("email", why));
        }
        let record = CustomerRecord {
            id: row.req("id")?.to_string(),
            name: row.req("name")?.to_string(),
            email,
            phone: row.opt_phone("phone")?,
            currency,
            finance_owner: row
                .opt_string("finance_owner")
                .map(|o| crate::domain::text::nfc(&o).into_owned()),
            sales_owner: row
                .opt_string("sales_owner")
                .map(|o| crate::domain::text::nfc(&o).into_owned()),
            payment_terms_days: row.opt_count("payment_terms_days")?,
            credit_limit: credit_limit
                .map(units)
                .transpose()
                .map_err(|e| row.error("credit_limit", e))?,
            auto_collection: row
                .opt_enum("auto_collection", format::ON_OFF)?
                .map(|v| v == "on"),
            primary_payment_method: row.opt_string("primary_payment_method"),
            backup_payment_method: row.opt_string("backup_payment_method"),
            payment_source_status: row
                .opt_enum("payment_source_status", format::PAYMENT_SOURCE_STATUSES)?
                .map(str::to_string),
            subscription_status: row
                .opt_enum("subscription_status", format::SUBSCRIPTION_STATUSES)?
                .map(str::to_string),
            card_last4: match row.opt("card_last4") {
                Some(v) if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) => {
                    Some(v.to_string())
                }
                Some(v) => {
                    return Err(row.error(
                        "card_last4",
                        format!(
                            "{} is not the last 4 digits of a card",
                            crate::error::quoted(v)
                        ),
                    ));
                }
                None => None,
            },
            custom: row.custom_json(),
        };
        Ok(Parsed::Customer(Box::new(record)))
    }

    fn contact_row(&self, row: &Row) -> Result<Parsed> {
        let customer = self.customer_of(row)?;
        let email = row.req("email")?.trim().to_lowercase();
        // One part, and an address: the same address twice is not one address either
        // (recipients keeps it once).
        let parts = crate::domain::engage::split_addresses(&email)
            .iter()
            .filter(|p| !p.trim().is_empty())
            .count();
        if parts != 1 || crate::engage::outbox::recipients(&email).is_err() {
            return Err(row.error(
                "email",
                format!("{} is not one email address", crate::error::quoted(&email)),
            ));
        }
        let role = match row.opt_enum("role", format::CONTACT_ROLES)? {
            Some(role) => role,
            // No role given: the stored contact's, else `other`.
            None => self
                .contact_roles
                .get(&(customer.cid, email.clone()))
                .copied()
                .unwrap_or("other"),
        };
        let record = ContactRecord {
            cid: customer.cid,
            name: row.opt_string("name"),
            email,
            phone: row.opt_phone("phone")?,
            role,
            primary: row.opt_enum("primary", format::YES_NO)? == Some("yes"),
        };
        Ok(Parsed::Contact(Box::new(record)))
    }

    /// The customer a row refers to, from the file or the database.
    fn customer_of(&self, row: &Row) -> Result<&'a CustomerRef> {
        let id = row.req("customer_id")?;
        self.customers.get(id).ok_or_else(|| {
            row.error(
                "customer_id",
                format!(
                    "no customer {} (in customers.csv or the database)",
                    quoted(id)
                ),
            )
        })
    }

    /// The currency of a row (default: the stored document's or payment's, else the
    /// customer's, else the base) and its rate to the base currency on `day`.
    fn currency_and_rate(
        &self,
        row: &Row,
        customer: &CustomerRef,
        day: i32,
    ) -> Result<(String, String)> {
        let stored = || self.currencies_apart.get(row.opt("id")?).cloned();
        let currency = row
            .opt_currency("currency")?
            .or_else(stored)
            .or_else(|| customer.currency.clone())
            .unwrap_or_else(|| self.base.to_string());
        if currency == self.base {
            return Ok((currency, "1".into()));
        }
        let rate = self.rates.on_or_before(&currency, day).ok_or_else(|| {
            row.error(
                "currency",
                format!(
                    "no exchange rate for {currency} on or before {} (add it to exchange_rates.csv)",
                    crate::domain::date::from_day_number(day)
                ),
            )
        })?;
        Ok((currency, rate.to_string()))
    }

    /// Refuses an amount too large for owed's sums once in the base currency: each one fits
    /// the store alone, but a trillion in a currency of a million per unit does not, and the
    /// import then failed on the day's sales with no row named.
    fn fits_in_base(&self, row: &Row, amount: Decimal, currency: &str, rate: &str) -> Result<()> {
        if money::converts_within_store(amount, rate) {
            return Ok(());
        }
        Err(row.error(
            "amount",
            format!(
                "the amount {amount} {currency} is too large once converted to {} at {rate} {} \
                 per {currency}",
                self.base, self.base
            ),
        ))
    }

    fn document_row(&self, row: &Row) -> Result<Parsed> {
        let customer = self.customer_of(row)?;
        let kind = row.enumerated("type", format::DOCUMENT_TYPES)?;
        let doc_date = row.date("doc_date")?;
        let due_date = if kind == "credit_note" {
            if row.opt("due_date").is_some() {
                return Err(row.error(
                    "due_date",
                    "a credit note has no due date (leave due_date empty)",
                ));
            }
            None
        } else {
            Some(row.date("due_date")?)
        };
        if let Some(due) = due_date.filter(|due| *due < doc_date) {
            return Err(row.error(
                "due_date",
                format!("due date {due} is before the document date {doc_date}"),
            ));
        }
        let amount = row.positive_amount("amount")?;
        let (currency, rate) = self.currency_and_rate(row, customer, day_number(doc_date))?;
        self.fits_in_base(row, amount, &currency, &rate)?;
        let billing_balance = row.opt_amount("billing_balance")?;
        row.in_minor_units("amount", amount, &currency)?;
        if let Some(balance) = billing_balance {
            row.in_minor_units("billing_balance", balance, &currency)?;
        }
        let other_currency = currency != customer.currency.as_deref().unwrap_or(self.base);
        let record = DocumentRecord {
            id: row.req("id")?.to_string(),
            cid: customer.cid,
            kind,
            number: row.opt_string("number"),
            doc_date: day_number(doc_date),
            due_date: due_date.map(day_number),
            posting_date: row.opt_date("posting_date")?.map(day_number),
            amount: units(amount).map_err(|e| row.error("amount", e))?,
            currency,
            rate,
            billing_balance: billing_balance
                .map(units)
                .transpose()
                .map_err(|e| row.error("billing_balance", e))?,
            location: row.opt_string("location"),
            business_unit: row.opt_string("business_unit"),
            custom: row.custom_json(),
            other_currency,
        };
        Ok(Parsed::Document(Box::new(record)))
    }

    fn payment_row(&self, row: &Row) -> Result<Parsed> {
        let customer = self.customer_of(row)?;
        let date = row.date("date")?;
        let amount = row.positive_amount("amount")?;
        let status = row
            .opt_enum("status", format::PAYMENT_STATUSES)?
            .unwrap_or("success");
        let (currency, rate) = self.currency_and_rate(row, customer, day_number(date))?;
        row.in_minor_units("amount", amount, &currency)?;
        self.fits_in_base(row, amount, &currency, &rate)?;
        let record = PaymentRecord {
            id: row.req("id")?.to_string(),
            cid: customer.cid,
            date: day_number(date),
            amount: units(amount).map_err(|e| row.error("amount", e))?,
            currency,
            rate,
            status,
            method: row.opt_enum("method", format::PAYMENT_METHODS)?,
            gateway: row.opt_string("gateway"),
            failure_reason: row.opt_string("failure_reason"),
            reference: row.opt_string("reference"),
            dunning_status: row.opt_enum("dunning_status", format::DUNNING_STATUSES)?,
            next_retry_date: row.opt_date("next_retry_date")?.map(day_number),
            blank_status_at: row.is_blank("status").then(|| row.line_of("status")),
        };
        Ok(Parsed::Payment(Box::new(record)))
    }

    /// An application row for the staging table; references are resolved for the whole
    /// file at once by [`Importer::finish_applications`]. An amount of 0 releases the stored
    /// application of that source, document and date: the billing system no longer applies
    /// it there (a payment re-applied to another invoice).
    fn application_row(&self, row: &Row) -> Result<Parsed> {
        let source_id = row.req("source_id")?;
        let document_id = row.req("document_id")?;
        let amount = row.non_negative_amount("amount")?;
        let date = day_number(row.date("date")?);
        let units = units(amount).map_err(|e| row.error("amount", e))?;
        Ok(Parsed::Application {
            line: row.line,
            source_id: source_id.to_string(),
            document_id: document_id.to_string(),
            units,
            date,
        })
    }
}

/// What is wrong with a staged application, as (column, message); `None` when nothing is.
fn application_problem(a: &StagedApplication) -> Option<(&'static str, String)> {
    // As messages quote them (cut when long).
    let (source_id, document_id) = (&quoted(&a.source_id), &quoted(&a.document_id));
    let Some(target) = &a.target else {
        return Some((
            "document_id",
            format!("no document {document_id} (in documents.csv or the database)"),
        ));
    };
    if target.kind.is_credit() {
        return Some((
            "document_id",
            format!("{document_id} is a credit note; only invoices and debit notes can be settled"),
        ));
    }
    if a.ambiguous {
        return Some((
            "source_id",
            format!(
                "{source_id} is both a payment and a credit note: which one settles \
                 {document_id} cannot be told (give one of them another id)"
            ),
        ));
    }
    let (cid, currency, source_date) = match (&a.payment, &a.credit) {
        (Some(p), _) if p.status != "success" && a.amount > 0 => {
            return Some((
                "source_id",
                format!(
                    "payment {source_id} has status {}; only successful payments can be applied",
                    p.status
                ),
            ));
        }
        (Some(p), _) => (p.cid, &p.currency, p.date),
        (None, Some(d)) if d.kind.is_credit() => (d.cid, &d.currency, d.doc_date),
        (None, Some(d)) => {
            return Some((
                "source_id",
                format!(
                    "{source_id} is {} {}, not a payment or credit note",
                    if d.kind.words().starts_with(['a', 'e', 'i', 'o', 'u']) {
                        "an"
                    } else {
                        "a"
                    },
                    d.kind.words()
                ),
            ));
        }
        (None, None) => {
            return Some((
                "source_id",
                format!("no payment or credit note {source_id} (in the files or the database)"),
            ));
        }
    };
    if cid != target.cid {
        return Some((
            "document_id",
            format!("{document_id} belongs to another customer than {source_id}"),
        ));
    }
    if *currency != target.currency {
        return Some((
            "document_id",
            format!(
                "{source_id} is in {currency} but {document_id} is in {}",
                target.currency
            ),
        ));
    }
    if a.date < source_date.max(target.doc_date) {
        let before = if a.date < source_date {
            source_id
        } else {
            document_id
        };
        return Some((
            "date",
            format!("the application is dated before {before} exists"),
        ));
    }
    if let Err(e) = in_minor_units(money::from_units(a.amount), currency) {
        return Some(("amount", e));
    }
    None
}

impl Row<'_> {
    /// Refuses an amount with more decimals than its currency has (100.5 yen, 10.005
    /// dollars): kept to the ten-thousandth, it would be shown rounded, and a statement's
    /// lines would not add up to its total.
    fn in_minor_units(&self, column: &str, amount: Decimal, currency: &str) -> Result<()> {
        in_minor_units(amount, currency).map_err(|e| match self.opt(column) {
            // As the file has it (`100.50`, not `100.5`).
            Some(text) => self.error(column, too_many_decimals(text.trim(), currency)),
            None => self.error(column, e),
        })
    }

    /// An exchange rate, kept as its text (stored exactly as given, normalised): see
    /// [`money::parse_new_rate`].
    fn rate_text(&self, column: &str) -> Result<String> {
        let text = self.req(column)?;
        money::parse_new_rate(text)
            .map(|v| v.normalize().to_string())
            .map_err(|e| self.error(column, format!("{} {e}", quoted(text))))
    }
}

fn units(amount: Decimal) -> std::result::Result<i64, String> {
    money::to_units(amount).map_err(|e| format!("`{amount}` {e}"))
}

/// Refuses a file whose last line has no line ending: an export cut short (a full disk, a
/// transfer broken off) ends mid-row, and its last row read as a whole one (an amount of
/// 1,696.95 cut to `16`). Names the last line and shows it. An empty file is left to the
/// header's check.
fn refuse_cut_short(name: &str, file: &std::fs::File) -> Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = file;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len == 0 {
        return Ok(());
    }
    let mut last = [0u8; 1];
    let ends = file
        .seek(SeekFrom::End(-1))
        .and_then(|_| file.read_exact(&mut last))
        .map(|()| matches!(last[0], b'\n' | b'\r'));
    let rewound = file.seek(SeekFrom::Start(0));
    if ends.unwrap_or(true) || rewound.is_err() {
        return Ok(());
    }
    // The line it is on, as an editor numbers them (LF, CR LF or a lone CR end one), and
    // its text (up to the last 64 KiB: what a message shows of it is much less).
    let (mut line, mut after_cr, mut tail) = (1u64, false, Vec::new());
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let mut buf = [0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            match b {
                b'\r' => {
                    line += 1;
                    tail.clear();
                }
                b'\n' if !after_cr => {
                    line += 1;
                    tail.clear();
                }
                b'\n' => tail.clear(),
                _ if tail.len() < 1 << 16 => tail.push(b),
                _ => {}
            }
            after_cr = b == b'\r';
        }
    }
    let _ = reader.seek(SeekFrom::Start(0));
    Err(Error::input(format!(
        "{name} line {line}: the file does not end with a line ending, so it may have been cut \
         short (its last line reads {}); if it is complete, end it with a newline and import \
         again",
        quoted(&String::from_utf8_lossy(&tail))
    )))
}

/// The message for an error of the CSV reader; `header` names the columns (none while the
/// header row itself is read).
fn csv_error(
    file: &str,
    header: Option<&Header>,
    lines: Option<&mut Lines>,
    e: &csv::Error,
) -> Error {
    let mut lines = lines;
    let line = e
        .position()
        .map(|p| lines.as_deref_mut().map_or(p.line(), |l| l.of(p)));
    let at = line.map(|l| format!(" line {l}")).unwrap_or_default();
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            // Short: the column it stops before; on the last line, an export cut short?
            let column = match header {
                Some(h) if len < expected_len => {
                    format!(", column {}", h.column_name(*len as usize))
                }
                _ => String::new(),
            };
            let last =
                line.is_some() && len < expected_len && lines.and_then(|l| l.last_line()) == line;
            let hint = if last {
                "; it is the file's last line: the file may have been cut short (export it again)"
            } else {
                ""
            };
            Error::input(format!(
                "{file}{at}{column}: expected {expected_len} fields like the header, found {len}{hint}"
            ))
        }
        csv::ErrorKind::Utf8 { err, .. } => {
            let column = header.map_or_else(
                || (err.field() + 1).to_string(),
                |h| h.column_name(err.field()),
            );
            Error::input(format!(
                "{file}{at}, column {column}: not valid UTF-8 (save the file as UTF-8)"
            ))
        }
        csv::ErrorKind::Io(io) => match QuoteError::of(io) {
            Some(q) => {
                let column =
                    header.map_or_else(|| (q.field + 1).to_string(), |h| h.column_name(q.field));
                Error::input(format!("{file} line {}, column {column}: {q}", q.line))
            }
            None => Error::input(format!("{file}: {io}")),
        },
        _ => Error::input(format!("{file}{at}: {e}")),
    }
}

/// The message for an application a changed document or payment left unsuitable, naming the
/// changed row's file, line (when the file is among those given) and column.
fn broken_application_error(
    broken: &crate::store::ledger::import::BrokenApplication,
    files: &[(FileKind, PathBuf)],
) -> Error {
    let (source, target) = (&broken.source, &broken.target);
    let describe = |side: &crate::store::ledger::import::AppliedSide| match side.kind {
        None => format!("payment {}", quoted(&side.id)),
        Some(kind) => format!(
            "{} {}",
            kind.words(),
            document_named(&side.id, side.number.as_deref())
        ),
    };
    let (source_name, target_name) = (describe(source), describe(target));
    let (changed, date_column) = if broken.source_changed {
        (
            source,
            if source.kind.is_some() {
                "doc_date"
            } else {
                "date"
            },
        )
    } else {
        (target, "doc_date")
    };
    let applied_on = format_day(broken.date);
    let (column, detail) = if target.kind.is_some_and(|k| k.is_credit()) {
        (
            "type",
            format!(
                "{} is now a credit note, but {source_name} is applied to it; only invoices \
                 and debit notes can be settled",
                document_named(&target.id, target.number.as_deref())
            ),
        )
    } else if source.kind.is_some_and(|k| !k.is_credit()) {
        (
            "type",
            format!("{source_name} is no longer a credit note, but it is applied to {target_name}"),
        )
    } else if source.customer_id != target.customer_id {
        let detail = if broken.source_changed {
            format!(
                "{source_name} now belongs to customer {}, but it is applied to {target_name} of {}",
                quoted(&source.customer_id),
                quoted(&target.customer_id)
            )
        } else {
            format!(
                "{target_name} now belongs to customer {}, but {source_name} of {} is applied to it",
                quoted(&target.customer_id),
                quoted(&source.customer_id)
            )
        };
        ("customer_id", detail)
    } else if source.currency != target.currency {
        let detail = if broken.source_changed {
            format!(
                "{source_name} is now in {}, but it is applied to {target_name} in {}",
                source.currency, target.currency
            )
        } else {
            format!(
                "{target_name} is now in {}, but {source_name} in {} is applied to it",
                target.currency, source.currency
            )
        };
        ("currency", detail)
    } else if broken.source_changed {
        (
            date_column,
            format!(
                "{source_name} is now dated {}, after it was applied to {target_name} on \
                 {applied_on}",
                format_day(source.date)
            ),
        )
    } else {
        (
            "doc_date",
            format!(
                "{target_name} is now dated {}, after {source_name} was applied to it on \
                 {applied_on}",
                format_day(target.date)
            ),
        )
    };
    let kind = if changed.kind.is_some() {
        FileKind::Documents
    } else {
        FileKind::Payments
    };
    let name = kind.file_name();
    match line_in(files, kind, "id", &changed.id) {
        Some(line) => Error::input(format!("{name} line {line}, column {column}: {detail}")),
        None => Error::input(format!("{name}, column {column}: {detail}")),
    }
}

/// The last line of the import's file of `kind` (when it is among `files`) whose `column`
/// holds `id`.
fn line_in(files: &[(FileKind, PathBuf)], kind: FileKind, column: &str, id: &str) -> Option<u64> {
    let (_, path) = files.iter().find(|(k, _)| *k == kind)?;
    last_line_mentioning(path, column, id)
}

/// A document as an import's message names it: by its number, as people know it, with the id
/// the files give it beside (`` `INV-4` (id `I4`) ``); by its id alone when it has no number.
fn document_named(id: &str, number: Option<&str>) -> String {
    match number.filter(|n| !n.is_empty() && *n != id) {
        Some(number) => format!("{} (id {})", quoted(number), quoted(id)),
        None => quoted(id),
    }
}

/// A store day as `2026-04-05`.
fn format_day(day: i32) -> String {
    crate::domain::date::from_day_number(day).to_string()
}

/// The refusal of a ledger whose amounts add up past what owed can count, naming the row
/// that crosses it (its file, line and column when one of the files imported has it).
fn past_countable_error(
    past: &crate::store::ledger::import::PastCountable,
    files: &[(FileKind, PathBuf)],
    base: &str,
) -> Error {
    let (kind, file) = if past.table == "document" {
        (FileKind::Documents, "documents.csv")
    } else {
        (FileKind::Payments, "payments.csv")
    };
    let detail = past_countable_detail(past, base);
    let line = files
        .iter()
        .filter(|(k, _)| *k == kind)
        .find_map(|(_, path)| last_line_mentioning(path, "id", &past.id));
    Error::input(match line {
        Some(line) => format!("{file} line {line}, column amount: {detail}"),
        None => format!("{file}: {detail}"),
    })
}

/// What [`past_countable_error`] says after the file, line and column (`owed lockbox
/// import`'s too).
pub(crate) fn past_countable_detail(
    past: &crate::store::ledger::import::PastCountable,
    base: &str,
) -> String {
    let limit = money::grouped_plain(&money::countable(base));
    format!(
        "with {} {} of {} {} the ledger's documents and payments add up to more than \
         {limit} {base}, the most owed can count (each taken in {base} and in its own \
         currency): nothing was imported",
        past.table,
        quoted(&past.id),
        money::plain(money::from_units(past.amount), &past.currency),
        past.currency
    )
}

/// The message for a document or payment applied beyond its amount after the import: at
/// the last line of `applications.csv` that involves it, or, when that file does not (the
/// amount itself was lowered), at its own row in `documents.csv` or `payments.csv`.
fn over_applied_error(
    over: &crate::store::ledger::import::OverApplied,
    files: &[(FileKind, PathBuf)],
    writer: &ImportWriter,
) -> Error {
    let column = if over.role == "document" {
        "document_id"
    } else {
        "source_id"
    };
    // In the currency's minor units, with the currency, as every other output shows them.
    let shown = |units: i64| {
        format!(
            "{} {}",
            money::plain(money::from_units(units), &over.currency),
            over.currency
        )
    };
    let (applied, amount) = (shown(over.applied), shown(over.amount));
    let named = document_named(&over.id, over.number.as_deref());
    let what = match over.role {
        "document" => format!("applications to {named} total"),
        "credit_note" => format!("applications from credit note {named} total"),
        _ => format!("applications from payment {named} total"),
    };
    let mut detail = format!("{what} {applied}, more than its amount {amount}");
    if !over.lockbox.is_empty() {
        // The bank's cheques are stored payments of their own: a billing export that books
        // the same cheque again settles the invoice twice, and only voiding the lockbox's
        // payment (by a payments.csv of its own, imported first) takes it back.
        let parts: Vec<String> = over
            .lockbox
            .iter()
            .map(|p| {
                format!(
                    "{} from lockbox payment {}",
                    shown(p.applied),
                    quoted(&p.payment)
                )
            })
            .collect();
        let rows: Vec<String> = over
            .lockbox
            .iter()
            .map(|p| {
                format!(
                    "`{},{},{},{},voided`",
                    p.payment,
                    p.customer_id,
                    format_day(p.date),
                    money::plain(money::from_units(p.amount), &over.currency)
                )
            })
            .collect();
        let (s, row) = if rows.len() == 1 {
            ("", "the row")
        } else {
            ("s", "the rows")
        };
        detail.push_str(&format!(
            ", of which {}: if this export books the same cheque{s}, void the lockbox's \
             payment{s} first by importing a payments.csv with the header \
             `id,customer_id,date,amount,status` and {row} {}, then import this export again",
            parts.join(", "),
            rows.join(" and ")
        ));
    }
    detail.push_str(&unlisted_text(over, files, writer));
    if let Some(line) = line_in(files, FileKind::Applications, column, &over.id) {
        return Error::input(format!(
            "applications.csv line {line}, column amount: {detail}"
        ));
    }
    let own = if over.role == "payment" {
        FileKind::Payments
    } else {
        FileKind::Documents
    };
    match line_in(files, own, "id", &over.id) {
        Some(line) => Error::input(format!(
            "{} line {line}, column amount: {named} is now {amount}, less than the {applied} \
             already applied {} it",
            own.file_name(),
            if over.role == "document" {
                "to"
            } else {
                "from"
            }
        )),
        None => Error::input(format!("applications.csv: {detail}")),
    }
}

/// The most stored applications a refusal names one by one.
const UNLISTED_SHOWN: usize = 5;

/// For a refusal of an over-applied payment, credit note or document: the stored applications
/// of it that the import's `applications.csv` does not list (all of them when it gives none),
/// with the rows of amount 0 that release them (`; stored, and not in this file: P1 → I1
/// 500.00 USD since 2026-02-10 (if the billing system no longer applies it there, the row
/// `P1,I1,0,2026-02-10` releases it)`); nothing when there are none.
fn unlisted_text(
    over: &crate::store::ledger::import::OverApplied,
    files: &[(FileKind, PathBuf)],
    writer: &ImportWriter,
) -> String {
    let Ok(stored) = writer.applications_of(over.role, &over.id) else {
        return String::new();
    };
    let listed = files
        .iter()
        .find(|(k, _)| *k == FileKind::Applications)
        .map(|(_, path)| listed_applications(path))
        .unwrap_or_default();
    let unlisted: Vec<_> = stored
        .iter()
        .filter(|a| !listed.contains(&(a.source_id.clone(), a.document_id.clone(), a.date)))
        // A lockbox payment's are named with their own advice (void the payment).
        .filter(|a| !over.lockbox.iter().any(|p| p.payment == a.source_id))
        .collect();
    if unlisted.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = unlisted
        .iter()
        .take(UNLISTED_SHOWN)
        .map(|a| {
            // As quoted values are, without their backticks.
            let id = |id: &str| {
                use crate::domain::text::{first_chars, one_line};
                one_line(first_chars(id, crate::error::QUOTED_CHARS)).into_owned()
            };
            format!(
                "{} → {} {} {} since {}",
                id(&a.source_id),
                id(&a.document_id),
                money::plain(money::from_units(a.amount), &over.currency),
                over.currency,
                format_day(a.date)
            )
        })
        .collect();
    let rows: Vec<String> = unlisted
        .iter()
        .take(UNLISTED_SHOWN)
        .map(|a| {
            quoted(&format!(
                "{},{},0,{}",
                csv_field(&a.source_id),
                csv_field(&a.document_id),
                format_day(a.date)
            ))
        })
        .collect();
    let more = match unlisted.len().saturating_sub(UNLISTED_SHOWN) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let (it, row, releases) = if unlisted.len() == 1 {
        ("it", "the row", "releases it")
    } else {
        ("them", "rows", "release them")
    };
    format!(
        "; stored, and not in this file: {}{more} (if the billing system no longer applies \
         {it} there, {row} {}{more} {releases})",
        shown.join(", "),
        rows.join(", ")
    )
}

/// A value as a CSV row writes it: quoted when it holds a comma, a quote or a line end.
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// The (source, document, date) of every row of the `applications.csv` at `path` (those
/// that read as one: the file was read and checked before).
fn listed_applications(path: &Path) -> std::collections::HashSet<(String, String, i32)> {
    let mut listed = std::collections::HashSet::new();
    let Ok(mut reader) = csv::Reader::from_path(path) else {
        return listed;
    };
    let Ok(headers) = reader.headers().cloned() else {
        return listed;
    };
    let at = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(source), Some(document), Some(date)) =
        (at("source_id"), at("document_id"), at("date"))
    else {
        return listed;
    };
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).unwrap_or(false) {
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
        if let Some(day) = crate::domain::date::parse_iso(field(date)) {
            listed.insert((
                field(source).to_string(),
                field(document).to_string(),
                day_number(day),
            ));
        }
    }
    listed
}

fn last_line_mentioning(path: &Path, column: &str, id: &str) -> Option<u64> {
    let mut reader = csv::Reader::from_path(path).ok()?;
    let index = reader
        .headers()
        .ok()?
        .iter()
        .position(|h| h.trim() == column)?;
    let mut lines = Lines::new(path);
    let mut last = None;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).ok()? {
        if record.get(index).map(str::trim) == Some(id) {
            last = record.position().cloned();
        }
    }
    last.map(|p| lines.of(&p))
}

fn show_progress(file: &str, rows: u64, done: u64, size: u64) {
    let pct = (done * 100).checked_div(size).unwrap_or(100).min(100);
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r{file:<20} {pct:>3}%  {rows:>10} rows");
    let _ = err.flush();
}
