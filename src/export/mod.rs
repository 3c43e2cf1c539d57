//! `owed export VIEW --format xlsx|csv -o FILE`: any view as a spreadsheet a finance team can
//! hand on, and `owed statement`'s PDF.
//!
//! A view writes tables of rows through a [`Sheet`], so large views (a million documents)
//! stream to disk: the CSV writer buffers nothing, the xlsx writer runs in rust_xlsxwriter's
//! constant-memory mode. The file appears only when complete: it is written beside the target
//! under a temporary name of its own and renamed at the end (`-o -` writes CSV to standard
//! output; a FIFO or a character device is written straight into). The workstation reads a
//! screen's view into memory first ([`Prepared`]) and writes the file on a thread of its own,
//! so that other sessions are not kept waiting.
//!
//! The two formats are for two readers. CSV is for programs: the first row is the columns'
//! machine names (`customer_id`, `net_overdue`), plain amounts, ISO dates, one table (the
//! view's main one). xlsx is for people (SPEC "Exports (additions)"): each table is a
//! worksheet whose first row says what it is (view, as-of date, base currency, scope), whose
//! second row is the human column headers, frozen, with an autofilter over the data rows only
//! and, below them, the totals as `SUBTOTAL(109, …)` formulas (so that filtering re-adds them);
//! numbers, dates and percentages are typed cells with formats, columns fitted to their
//! content; a table longer than Excel's 1,048,576 rows continues on another worksheet; a last
//! worksheet "About" gives the formula of every figure and the owed version.

pub mod about;
mod csv_sheet;
pub mod pdf;
mod prepared;
pub mod screen;
pub mod statement;
pub mod views;
mod xlsx_sheet;

pub use prepared::Prepared;

use crate::domain::{Date, Decimal};
use crate::{Error, Result};
use std::path::Path;

/// The most rows an Excel worksheet holds.
pub const EXCEL_MAX_ROWS: u32 = 1_048_576;

/// Data rows a worksheet takes at most: Excel's limit less the title, header and total rows.
pub const EXCEL_DATA_ROWS: u32 = EXCEL_MAX_ROWS - 3;

/// What a column holds: its cells' type and number format in xlsx, and whether it is summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    /// Money in the base currency (or one currency throughout), with thousands separators and
    /// the currency's minor units; summed.
    Amount,
    /// Money in each row's own currency: formatted like an amount, never summed.
    CurrencyAmount,
    /// A whole number that is not summed (days, an id).
    Integer,
    /// A count; summed.
    Count,
    Date,
    /// A moment in UTC ([`Cell::Moment`]).
    Moment,
    /// A ratio shown with one decimal (days, a share in percent points).
    Ratio,
    /// A percentage: `20.5` is written as 20.5 % (0.205 with a percent format).
    Percent,
}

impl Kind {
    /// Whether the column gets a total below the data.
    pub fn summed(self) -> bool {
        matches!(self, Kind::Amount | Kind::Count)
    }
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The CSV header: a machine name (`net_overdue`).
    pub key: String,
    /// The xlsx header: for people (`Net overdue`).
    pub title: String,
    pub kind: Kind,
}

impl Column {
    /// A column with a machine name, a human title and a kind.
    pub fn new(key: impl Into<String>, title: impl Into<String>, kind: Kind) -> Self {
        Column {
            key: key.into(),
            title: title.into(),
            kind,
        }
    }
}

/// One cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    /// A value programs read by its machine name (CSV: `debit_note`, as the import and
    /// `export documents` write it) and people in words (a workbook: `debit note`).
    Named {
        key: String,
        words: String,
    },
    /// Money and the decimal places of its currency ([`Cell::amount`]): written rounded to
    /// them, half away from zero.
    Amount(Decimal, u32),
    Integer(i64),
    Date(Date),
    /// A moment in UTC, as the activity log stamps its records: `2026-12-06T17:23:27Z` in
    /// CSV, a date-time cell in a workbook.
    Moment(chrono::NaiveDateTime),
    /// One decimal.
    Ratio(Decimal),
    /// In percent points (`20.5` is 20.5 %).
    Percent(Decimal),
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

/// How a record's stamp is written: a moment in UTC to the second.
const MOMENT: &str = "%Y-%m-%dT%H:%M:%SZ";

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

impl Cell {
    /// The moment of a record's stamp (`2026-12-06T17:23:27Z`); a stamp of another form is
    /// kept as text, as it was written.
    pub fn moment(stamp: String) -> Cell {
        chrono::NaiveDateTime::parse_from_str(&stamp, MOMENT)
            .map_or(Cell::Text(stamp), Cell::Moment)
    }

    /// An amount in `currency`, shown with its minor units (JPY 0, KWD 3, most 2).
    pub fn amount(value: Decimal, currency: &str) -> Cell {
        Cell::Amount(value, crate::domain::money::minor_units(currency))
    }

    /// A count as a cell (saturating at `i64::MAX`).
    pub fn count(n: u64) -> Cell {
        Cell::Integer(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

/// What a workbook says about itself: in each worksheet's title row, and on "About".
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    /// The view, as people name it (`Aging`, `Documents`).
    pub view: String,
    pub as_of: Date,
    /// The base currency (report totals are in it).
    pub currency: String,
    /// Which customers or records: `all customers`, `customer K1`, `tab Overdue, …`.
    pub scope: String,
    /// (figure, how it is computed) for the About sheet.
    pub about: Vec<(String, String)>,
    /// The ledger's last import, when known ([`ledger_stamp`]).
    pub ledger: Option<String>,
    /// Who exported it and when, when known ([`Options::exported_by`]): `audrey, 2026-12-07
    /// 22:14 UTC`.
    pub exported: Option<String>,
}

impl Meta {
    /// The meta of `view` as of `as_of`, amounts in `currency`, over `scope`, whose About
    /// sheet explains `figures`.
    pub fn new(
        view: &str,
        as_of: Date,
        currency: &str,
        scope: impl Into<String>,
        figures: &[about::Figure],
    ) -> Meta {
        Meta {
            view: view.to_string(),
            as_of,
            currency: currency.to_string(),
            scope: scope.into(),
            about: about::lines(figures, currency),
            ledger: None,
            exported: None,
        }
    }

    /// The title row of a table: view, as-of date, base currency and scope, then who
    /// exported it and when. A table named after its view ("Queue Overdue" of "Queue") is not
    /// named twice.
    pub fn title(&self, table: &str) -> String {
        let name = if table == self.view || table.starts_with(&format!("{} ", self.view)) {
            table.to_string()
        } else {
            format!("{} — {table}", self.view)
        };
        let mut title = format!(
            "{name} · as of {} · amounts in {} unless a column says otherwise · {}",
            self.as_of, self.currency, self.scope
        );
        if let Some(exported) = &self.exported {
            title.push_str(&format!(" · exported by {exported}"));
        }
        title
    }
}

/// A destination for tables of rows: CSV or xlsx.
pub trait Sheet {
    /// Starts a table (a worksheet in xlsx) named `name`. CSV keeps only the tables marked
    /// `csv` (one per view): the others' rows are dropped.
    fn table(&mut self, name: &str, columns: &[Column], csv: bool) -> Result<()>;
    /// Writes one data row, cells in column order.
    fn row(&mut self, cells: &[Cell]) -> Result<()>;
    /// Finishes the file. Returns how many amounts (totals too) it wrote as text because
    /// they have more significant digits than Excel keeps (xlsx; none in CSV).
    fn finish(self: Box<Self>) -> Result<u64>;
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    /// The rows of its main table.
    pub rows: u64,
    /// Amounts (totals too) written as text: past the 15 significant digits Excel keeps of a
    /// number, they would have lost their last digits (xlsx only).
    pub as_text: u64,
}

impl Written {
    /// The sentence about the amounts written as text into `path`, when there are any:
    /// `3 amounts past Excel's 15 significant digits were written as text in aging.xlsx, so
    /// that no cent is lost`.
    pub fn as_text_note(&self, path: &Path) -> Option<String> {
        (self.as_text > 0).then(|| {
            format!(
                "{} past Excel's 15 significant digits {} written as text in {}, so that no \
                 cent is lost",
                match self.as_text {
                    1 => "1 amount".to_string(),
                    n => format!("{n} amounts"),
                },
                if self.as_text == 1 { "was" } else { "were" },
                path.display()
            )
        })
    }
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Xlsx,
    Csv,
}

impl Format {
    /// The format of an output path when none is asked for: CSV for `-` and `*.csv`, else
    /// xlsx.
    pub fn for_path(path: &Path) -> Format {
        let csv = path == Path::new("-")
            || path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if csv { Format::Csv } else { Format::Xlsx }
    }
}

/// How a workbook is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub format: Format,
    /// Data rows per worksheet before a table continues on the next one (xlsx).
    pub rows_per_sheet: u32,
    /// What the ledger was when the view was written (its last import, [`ledger_stamp`]),
    /// for the workbook's About sheet.
    pub ledger: Option<String>,
    /// A new file is made readable by its owner only (0600), whatever the umask: an export
    /// of `owed serve`'s users (one written over keeps its permissions either way).
    pub private: bool,
    /// Who exported it and when, for the workbook's titles and About sheet
    /// ([`Options::exported_by`]).
    pub exported: Option<String>,
}

impl Options {
    /// `format` with Excel's own row limit.
    pub fn new(format: Format) -> Options {
        Options {
            format,
            rows_per_sheet: EXCEL_DATA_ROWS,
            ledger: None,
            private: false,
            exported: None,
        }
    }

    /// The same, saying that `who` exported it at `at` (`audrey, 2026-12-07 22:14 UTC`: UTC,
    /// as the ledger's last import is said, so that it reads the same anywhere).
    pub fn exported_by(self, who: &str, at: chrono::DateTime<chrono::Utc>) -> Options {
        Options {
            exported: Some(format!(
                "{}, {}",
                crate::domain::text::one_line(who.trim()),
                at.format("%Y-%m-%d %H:%M UTC")
            )),
            ..self
        }
    }

    /// The same, saying what `store`'s ledger is (its last import) on the About sheet.
    ///
    /// # Errors
    ///
    /// When the database cannot be read.
    pub fn of_ledger(self, store: &crate::store::Store) -> Result<Options> {
        Ok(Options {
            ledger: ledger_stamp(store)?,
            ..self
        })
    }
}

/// The ledger's last import, as a workbook and a report say it: `2026-12-05 06:10 UTC by
/// carol` (UTC, so that it reads the same anywhere); none before the log of imports began.
///
/// # Errors
///
/// When the database cannot be read.
pub fn ledger_stamp(store: &crate::store::Store) -> Result<Option<String>> {
    Ok(store
        .ledger()
        .last_import()?
        .map(|run| format!("{} by {}", run.at.format("%Y-%m-%d %H:%M UTC"), run.actor)))
}

/// Counts the rows of the tables CSV keeps (the view's main table).
struct Counting {
    inner: Box<dyn Sheet>,
    main: bool,
    rows: u64,
}

impl Sheet for Counting {
    fn table(&mut self, name: &str, columns: &[Column], csv: bool) -> Result<()> {
        self.main = csv;
        self.inner.table(name, columns, csv)
    }

    fn row(&mut self, cells: &[Cell]) -> Result<()> {
        if self.main {
            self.rows += 1;
        }
        self.inner.row(cells)
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        self.inner.finish()
    }
}

/// Writes a view to `path` atomically (to a temporary file first, renamed when complete), or
/// CSV to standard output when `path` is `-`. Returns the rows of its main table and the
/// amounts written as text.
pub fn write_view(
    path: &Path,
    options: &Options,
    meta: &Meta,
    fill: impl FnOnce(&mut dyn Sheet) -> Result<()>,
) -> Result<Written> {
    let run = |inner: Box<dyn Sheet>| -> Result<Written> {
        let mut sheet = Box::new(Counting {
            inner,
            main: false,
            rows: 0,
        });
        fill(sheet.as_mut())?;
        let rows = sheet.rows;
        let as_text = sheet.finish()?;
        Ok(Written { rows, as_text })
    };
    if path == Path::new("-") {
        if options.format == Format::Xlsx {
            return Err(Error::input(
                "an xlsx workbook cannot go to standard output: use --format csv with -o -",
            ));
        }
        use std::io::IsTerminal;
        let stdout = std::io::stdout();
        let for_terminal = stdout.is_terminal();
        return run(Box::new(csv_sheet::CsvSheet::new(
            Box::new(stdout.lock()),
            for_terminal,
        )));
    }
    let mut written = Written::default();
    atomically(path, options.private, |temp| {
        let sheet: Box<dyn Sheet> = match options.format {
            Format::Csv => Box::new(csv_sheet::CsvSheet::create(temp)?),
            Format::Xlsx => Box::new(xlsx_sheet::XlsxSheet::create(
                temp,
                Meta {
                    ledger: options.ledger.clone(),
                    exported: options.exported.clone(),
                    ..meta.clone()
                },
                options.rows_per_sheet,
            )),
        };
        written = run(sheet)?;
        Ok(())
    })?;
    Ok(written)
}

/// Writes a finished file (a PDF) to `path` atomically, or to standard output for `-` — not
/// when that is a terminal: it would obey whatever the file's bytes say to it.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::{IsTerminal, Write};
    if path == Path::new("-") {
        if std::io::stdout().is_terminal() {
            return Err(Error::input(
                "a PDF is not for a terminal: name a file with -o, or send `-o -` to a pipe",
            ));
        }
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        return Ok(out.flush()?);
    }
    write_file(path, bytes)
}

/// Writes `bytes` to the file `path` as an export writes its file (`owed attachment get -o`):
/// never over a database, and atomically, so that the file is whole or as it was.
///
/// # Errors
///
/// [`Error::Input`] for a database (or one of its files) or a path that names no file;
/// else the failed write, naming `path`.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    atomically(path, false, |file| {
        Ok(std::fs::File::create(file)?.write_all(bytes)?)
    })
}

/// Refuses to write over a database (`-o owed.db` by a slip of the keyboard would replace
/// the team's ledger with an export): a database in use (known without opening it:
/// [`crate::store::database_in_use`]), a file that starts as an SQLite database or its
/// write-ahead log does, or a database's `-wal`, `-shm` or `-journal` file beside it.
fn refuse_database(path: &Path) -> Result<()> {
    use std::io::Read;
    const HEADERS: [&[u8]; 3] = [
        b"SQLite format 3\0",
        &[0x37, 0x7f, 0x06, 0x82],
        &[0x37, 0x7f, 0x06, 0x83],
    ];
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let sqlite_side_file = crate::store::LOG_SUFFIXES.iter().any(|suffix| {
        name.strip_suffix(suffix)
            .is_some_and(|db| path.with_file_name(db).is_file())
    });
    // A database in use is never opened here; any other file is read for its header.
    let database = || {
        let mut head = [0u8; 16];
        let read = std::fs::File::open(path)
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        HEADERS.iter().any(|h| head[..read].starts_with(h))
    };
    if sqlite_side_file || crate::store::database_in_use(path) || database() {
        return Err(Error::input(format!(
            "{} is a database (or one of its files): an export never writes over it; \
             name another file",
            path.display()
        )));
    }
    Ok(())
}

/// Where an output file is written, once its links are followed.
#[derive(Debug, PartialEq)]
enum Target {
    /// A regular file, or none yet: written under a temporary name beside it and renamed
    /// onto it. For a link, the file it points to (so the link stays a link).
    File(std::path::PathBuf),
    /// A FIFO or a character device (`/dev/stdout` to a pipe, a terminal): written straight
    /// into, as there is nothing to rename over and nothing to read first.
    Stream(std::path::PathBuf),
}

/// What `path` is as an output ([`Target`]); a folder, a socket or a block device is
/// refused in one sentence.
fn target(path: &Path) -> Result<Target> {
    let kind = match std::fs::metadata(path) {
        Ok(meta) => meta.file_type(),
        // Nothing there, or a link to nothing yet: made where the links end.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Target::File(end_of_links(path)));
        }
        Err(e) => return Err(e.into()),
    };
    if kind.is_file() {
        return Ok(Target::File(std::fs::canonicalize(path)?));
    }
    if kind.is_dir() {
        return Err(Error::input(format!(
            "cannot write {}: it is a folder; name a file in it",
            path.display()
        )));
    }
    #[cfg(unix)]
    let what = {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() || kind.is_char_device() {
            return Ok(Target::Stream(path.to_path_buf()));
        }
        if kind.is_socket() {
            "a socket"
        } else if kind.is_block_device() {
            "a block device (a disk)"
        } else {
            "not a file"
        }
    };
    #[cfg(not(unix))]
    let what = "not a file";
    Err(Error::input(format!(
        "cannot write {}: it is {what}; name a file",
        path.display()
    )))
}

/// The name a link to nothing (yet) points to, followed link by link; `path` itself when it
/// is not a link.
fn end_of_links(path: &Path) -> std::path::PathBuf {
    let mut at = path.to_path_buf();
    // A loop of links is not "not found" (the caller's metadata says so), but bound it.
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(link) => {
                at = at
                    .parent()
                    .map_or(link.clone(), |folder| folder.join(&link))
            }
            Err(_) => break,
        }
    }
    at
}

/// Writes the output file `path` with `write`, which creates and fills the file it is given:
/// for a regular file (or a new one), a temporary file beside it, flushed to disk and renamed
/// onto it when `write` succeeded, removed when it failed — never a database
/// ([`refuse_database`]); a link's file is replaced, the link kept; a FIFO or a character
/// device is written straight into. An I/O failure names `path`.
fn atomically(path: &Path, private: bool, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    if path.file_name().is_none() {
        return Err(Error::input(format!("{}: not a file name", path.display())));
    }
    let mut streamed = false;
    let result = target(path).and_then(|target| match target {
        Target::Stream(stream) => {
            streamed = true;
            write(&stream)
        }
        Target::File(file) => {
            refuse_database(path)?;
            if file != path {
                refuse_database(&file)?;
            }
            replace(&file, private, write)
        }
    });
    result.map_err(|e: Error| match e {
        // Whoever read the stream has gone (`-o /dev/stdout | head`): as for `-o -`.
        Error::Io(io) if streamed && io.kind() == std::io::ErrorKind::BrokenPipe => Error::Io(io),
        Error::Io(io) => match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(folder) if io.kind() == std::io::ErrorKind::NotFound && !folder.is_dir() => {
                Error::input(format!(
                    "cannot write {}: there is no folder {}",
                    path.display(),
                    folder.display()
                ))
            }
            _ => Error::runtime(format!("cannot write {}: {io}", path.display())),
        },
        other => other,
    })
}

/// A new file that only its owner can read and write.
fn private_new_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Runs `write` on a temporary file beside the regular file `file`, flushes it to disk and
/// renames it onto `file`; removes it when anything failed.
fn replace(file: &Path, private: bool, write: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let file_name = file.file_name().unwrap_or_default().to_string_lossy();
    // What exports to this name killed part-way (`kill -9`, a power cut) left beside it.
    let folder = crate::store::folder_of(file);
    let prefix = format!(".{file_name}.");
    crate::store::backup::clear_of_dead_processes(folder, |name| {
        let (pid, n) = name
            .strip_prefix(&prefix)?
            .strip_suffix(".partial")?
            .split_once('-')?;
        n.parse::<u64>().ok()?;
        pid.parse().ok()
    });
    // Its own name: two exports to one file at once (two sessions of `owed serve`, a
    // collector and cron) each write their own, and the last to finish is the file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temp = file.with_file_name(format!(".{file_name}.{}-{n}.partial", std::process::id()));
    // A file written over keeps its permissions (a private statement stays private): the
    // temporary file has them before anything is written into it.
    // A new private one is made 0600 before anything is written into it.
    let kept = std::fs::metadata(file).ok().map(|m| m.permissions());
    let result = match kept {
        Some(permissions) => std::fs::File::create(&temp)
            .and_then(|_| std::fs::set_permissions(&temp, permissions))
            .map_err(Error::from),
        None if private => private_new_file(&temp).map(|_| ()).map_err(Error::from),
        None => Ok(()),
    }
    .and_then(|()| write(&temp))
    .and_then(|()| Ok(std::fs::File::open(&temp)?.sync_all()?))
    .and_then(|()| Ok(std::fs::rename(&temp, file)?));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
