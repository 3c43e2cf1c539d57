//! The command line (SPEC "Command line"): argument definitions and dispatch.
//!
//! `--db`, `--config`, `--as` and `--as-of` are global: they go before or after the
//! subcommand. Errors print one sentence on stderr; the exit code is 2 for bad usage or input,
//! 1 for a runtime failure. Output goes through `out!` / `outln!`: a reader that stops
//! early (`owed report aging --json | head`) ends the command quietly instead of a panic.
//!
//! Every human writer shows control characters instead of writing them (SPEC "Output that
//! reaches a terminal", [`crate::domain::text::visible`]): `out!`, `outln!` and
//! `errln!` pass what they write through it, and so does the error printed on exit. JSON
//! goes through `jsonln!` (or [`json_out::JsonOut`]) as serde_json wrote it, but for the
//! characters a terminal obeys and JSON does not escape: `\u` escapes of the same values.
//! Names given on the command line are checked by [`parse_name`].

/// `print!` to standard output for people, returning a `Result` (see [`write_stdout`]).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `println!` to standard output for people, returning a `Result` (see [`write_stdout`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `println!` of a JSON document to standard output, as it is (see [`write_json`]).
macro_rules! jsonln {
    ($($arg:tt)*) => {
        $crate::cli::write_json(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `errln!` for people: control characters shown (see [`write_stderr`]).
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::write_stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}

mod action_commands;
mod activity;
mod attach;
mod backtest;
mod backup;
#[cfg(feature = "bench")]
mod bench;
#[cfg(feature = "bench")]
mod bench_find;
#[cfg(feature = "bench")]
mod bench_tui;
mod demo;
mod engage;
mod export;
mod find;
mod import;
mod inbox;
mod json_out;
mod lockbox;
mod log;
mod report;
mod restore;
mod serve;
mod settings;
mod statement;
mod user;
pub mod workstation;

use crate::Result;
use crate::config::{self, Config};
use crate::domain::Date;
use crate::domain::action_checks::Stamp;
use crate::domain::users::Actor;
use crate::store::Store;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// owed — the accounts-receivable collector's workstation.
#[derive(Debug, Parser)]
#[command(name = "owed", version, about, propagate_version = true)]
pub struct Cli {
    /// The database file (default: `OWED_DB`, else owed.db in the platform data dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// The config file (default: `OWED_CONFIG`, else config.toml in the platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Act as this collector (default: `collector` in the config, else the OS user).
    #[arg(long = "as", global = true, value_name = "NAME", value_parser = parse_name)]
    pub as_collector: Option<String>,
    /// Compute everything as of this date, YYYY-MM-DD (default: today).
    #[arg(long, global = true, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<Date>,
    /// The workstation's theme: a name from themes/ (default, light, mono, 256, truecolor) or a
    /// file path (default: `OWED_THEME`, else the config's).
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create (or reuse) a demo database with a realistic portfolio.
    ///
    /// The demo is `demo.db` beside the default database (in the platform data dir), never
    /// your own `owed.db`, unless --db names another file; it prints its path. Reused when made
    /// with the same --customers, --seed, day (--as-of) and base currency; else made again,
    /// saying so and how many records added to it since are gone with it.
    Demo(demo::DemoArgs),
    /// Write a lockbox folder paying the database's open invoices (for trying and measuring).
    #[command(hide = true)]
    DemoLockbox(demo::DemoLockboxArgs),
    /// Import the billing system's CSV exports (files or folders), atomically.
    Import(import::ImportArgs),
    /// Export a view to Excel or CSV.
    Export(export::ExportArgs),
    /// Reports: aging, metrics, forecast, engagement, team, imports.
    Report(report::ReportArgs),
    /// A customer's statement of account as a PDF.
    Statement(statement::StatementArgs),
    /// Engagement cycles: plan and send reminders.
    Engage(engage::EngageArgs),
    /// Customers' replies: import them from a Maildir.
    Inbox(inbox::InboxArgs),
    /// A bank's lockbox file: cheque payments applied, deductions opened, images kept.
    Lockbox(lockbox::LockboxArgs),
    /// Copy the whole database to a file while others work on it (checked, then put in place).
    Backup(backup::BackupArgs),
    /// Replace the database with a backup (the database as it was is kept first; none yet: made from the backup; without --yes, only checks)
    Restore(restore::RestoreArgs),
    /// Log a note on a customer.
    Note(action_commands::NoteArgs),
    /// Log a call: its outcome, the contact, what was said, and a follow-up.
    Call(action_commands::CallArgs),
    /// Find customers, documents (by number or id) and activity matching a text.
    Find(find::FindArgs),
    /// Record a promise to pay.
    Promise(action_commands::PromiseArgs),
    /// Void a promise to pay (it stays in the log).
    VoidPromise(action_commands::VoidArgs),
    /// Open an issue / dispute.
    Dispute(action_commands::DisputeArgs),
    /// Resolve an issue or deduction, with an outcome and a resolution text.
    Resolve(action_commands::ResolveArgs),
    /// Reopen a resolved issue.
    Reopen(action_commands::IssueArgs),
    /// Schedule a follow-up.
    Followup(action_commands::FollowupArgs),
    /// Mark a follow-up done.
    Done(action_commands::DoneArgs),
    /// Change a customer's finance (or sales) owner.
    Assign(action_commands::AssignArgs),
    /// A customer's activity: notes, promises, issues, follow-ups, reminders, replies,
    /// attachments.
    Activity(activity::ActivityArgs),
    /// Keep files (remittance advice, a signed PO, …) with a customer's activity.
    Attach(attach::AttachArgs),
    /// Attachments: write one back (`owed attachment get ID -o FILE`).
    Attachment(attach::AttachmentArgs),
    /// Benchmark: saving actions on a copy of the database, two collectors at once.
    #[cfg(feature = "bench")]
    #[command(hide = true)]
    BenchActions(bench::BenchArgs),
    /// Benchmark: search latency and the cost of the full-text index per save, on a copy.
    #[cfg(feature = "bench")]
    #[command(hide = true)]
    BenchFind(bench_find::BenchArgs),
    /// Measure the workstation on a database (first frame, key latency, bytes per move).
    #[cfg(feature = "bench")]
    #[command(hide = true)]
    BenchTui(bench_tui::BenchArgs),
    /// Replay the history at cutoffs and score the payment-date forecast against baselines.
    Backtest(backtest::BacktestArgs),
    /// Users of `owed serve`: add, list, remove, change their role; the log of changes.
    User(user::UserArgs),
    /// The ledger's settings, kept in the database: its time zone (`config time-zone`).
    Config(settings::ConfigArgs),
    /// Serve the workstation over SSH to the team: `ssh -p PORT NAME@HOST`.
    Serve(serve::ServeArgs),
}

/// Parses a `YYYY-MM-DD` command-line date strictly, within the dates `owed` computes with
/// (an as-of date of 9999-12-31 would put forecast dates past year 9999).
pub fn parse_date(text: &str) -> std::result::Result<Date, String> {
    use crate::domain::date;
    let d = date::parse_iso(text).ok_or_else(|| {
        format!(
            "{} is not a valid date{}",
            crate::error::quoted(text),
            date::not_a_date_because(text, " (YYYY-MM-DD)")
        )
    })?;
    if !date::in_calendar(d) {
        return Err(date::outside_calendar(d));
    }
    Ok(d)
}

/// Reads the collector's name given with `--as`: one with a control character in it is
/// refused, saying what to do.
pub fn parse_name(text: &str) -> std::result::Result<String, String> {
    crate::domain::text::check_name(text)
        .map_err(|e| format!("{e}; give another with --as NAME"))?;
    Ok(crate::domain::text::nfc(text).into_owned())
}

/// The customers of `--owner NAME`, when given: every command's `--owner` takes the one rule
/// of [`crate::report::owned_by`] (a name that owns no customer is refused, exit 2, before
/// anything is computed or written).
///
/// # Errors
///
/// An empty name or one that owns no customer, or a database that cannot be read.
pub fn owned(
    store: &crate::store::Store,
    owner: Option<&str>,
) -> Result<Option<crate::report::Owned>> {
    owner
        .map(|name| crate::report::owned_by(store, name))
        .transpose()
}

/// An owner's name given on the command line (`--owner`), composed as stored names are.
pub fn owner_name(text: &str) -> std::result::Result<String, String> {
    Ok(crate::domain::text::nfc(text).into_owned())
}

/// What every command needs: the config, where the database is, who is acting and when.
pub struct Context {
    pub config: Config,
    pub db_path: PathBuf,
    pub collector: String,
    /// Whether the collector is the config's `collector` (no `--as`): a name refused is
    /// then one to change in the config file, which the message names.
    pub collector_from_config: bool,
    pub as_of: Date,
    /// Whether `--as-of` was given (the workstation shows it).
    pub as_of_given: bool,
    /// `--theme`, when given (else the config's, else `default`; `mono` under NO_COLOR).
    pub theme: Option<String>,
}

impl Context {
    fn new(cli: &Cli) -> Result<Context> {
        let config = Config::load(cli.config.as_deref())?;
        let db_path = config::database_path(cli.db.as_deref())?;
        let collector = config.collector_name(cli.as_collector.as_deref());
        let collector_from_config = cli.as_collector.is_none() && config.collector.is_some();
        Ok(Context {
            config,
            db_path,
            collector,
            collector_from_config,
            as_of: cli.as_of.unwrap_or_else(today),
            as_of_given: cli.as_of.is_some(),
            theme: cli.theme.clone(),
        })
    }

    /// Opens the existing database (read-only when this user may only read it) and checks
    /// that the config's base currency is the database's. Nothing is created: no database
    /// at the path is bad input naming it.
    pub fn open_store(&self) -> Result<Store> {
        let store = Store::open_existing(&self.db_path)?;
        said_upgrade(store.path(), store.upgraded());
        store.check_base_currency(&self.config.base_currency)?;
        Ok(store)
    }

    /// Opens the database, creating it when there is none: only for the commands that
    /// create a database (SPEC "The database file").
    pub fn create_store(&self) -> Result<Store> {
        let store = Store::open_or_create(&self.db_path)?;
        said_upgrade(store.path(), store.upgraded());
        store.check_base_currency(&self.config.base_currency)?;
        Ok(store)
    }

    /// Who acts in this shell: the collector named by `--as`, the config or the OS user, with
    /// the role of the registered user of that name, else as the file's owner, a manager
    /// (`store::users::Users::local_actor`).
    pub fn actor(&self, store: &Store) -> Result<Actor> {
        store.users().local_actor(&self.collector)
    }

    /// Refuses a write when `--as-of` is after today (this machine's date, read here): a
    /// record dated in the future is in no view until that day
    /// ([`crate::domain::action_checks::dated_by_today`]). Viewing and reports take any
    /// date; an earlier one back-dates the write.
    pub fn dated_by_today(&self) -> Result<()> {
        crate::domain::action_checks::dated_by_today(
            self.as_of,
            today(),
            crate::domain::action_checks::AsOfFrom::CommandLine,
        )
        .map_err(crate::Error::Input)
    }

    /// The stamp of an action now by this shell's actor, effective on the as-of day, which
    /// is not after today ([`Context::dated_by_today`]): every collector action, a hold, a
    /// lockbox file.
    pub fn stamp(&self, store: &Store) -> Result<Stamp> {
        self.dated_by_today()?;
        self.undated_stamp(store)
    }

    /// The stamp of a write the as-of date does not date (a change of users, a restore),
    /// taken at any `--as-of`.
    pub fn undated_stamp(&self, store: &Store) -> Result<Stamp> {
        if self.collector_from_config
            && let Err(e) = crate::domain::text::check_name(self.collector.trim())
        {
            let file = self.config.path.as_deref().map_or_else(
                || "the config file".to_string(),
                |p| format!("the config file {}", p.display()),
            );
            return Err(crate::Error::input(format!(
                "the collector's name {e}: it is `collector` in {file}; change it there, or \
                 give another with --as NAME"
            )));
        }
        Stamp::for_actor(&self.actor(store)?, chrono::Utc::now(), self.as_of)
            .map_err(crate::Error::Input)
    }
}

/// Today's date in the ledger's time zone (this process's since [`run`] took the database's,
/// `crate::store::time_zone`): read once, at the edge, and passed down.
pub fn today() -> Date {
    chrono::Local::now().date_naive()
}

/// This machine's clock, for what writes records over a while (a send run, an inbox
/// import): read at each record, passed down from here.
pub fn clock() -> crate::domain::date::Clock {
    crate::domain::date::Clock::Reading(chrono::Local::now)
}

/// The formatted text, without a copy when it is a literal.
fn formatted(args: std::fmt::Arguments) -> std::borrow::Cow<'static, str> {
    match args.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(args.to_string()),
    }
}

/// Writes text for people to standard output, its control characters shown.
pub(crate) fn write_stdout(args: std::fmt::Arguments) -> Result<()> {
    use std::io::Write;
    let text = formatted(args);
    std::io::stdout()
        .lock()
        .write_all(crate::domain::text::visible(&text).as_bytes())?;
    Ok(())
}

/// Writes JSON to standard output: serde_json escapes what JSON escapes, and
/// [`json_out::JsonOut`] the rest of what a terminal obeys; the reader gets the values that
/// are stored.
pub(crate) fn write_json(args: std::fmt::Arguments) -> Result<()> {
    use std::io::Write;
    let mut out = json_out::JsonOut::new(std::io::stdout().lock());
    out.write_fmt(args)?;
    out.flush()?;
    Ok(())
}

/// Standard output for a JSON document written as it goes (see [`write_json`]): buffered
/// before it is looked at, so that it is looked at in large pieces.
pub(crate) fn json_stdout() -> std::io::BufWriter<json_out::JsonOut<std::io::StdoutLock<'static>>> {
    std::io::BufWriter::with_capacity(1 << 16, json_out::JsonOut::new(std::io::stdout().lock()))
}

/// Writes text for people to standard error, its control characters shown. Like
/// `errln!`, a failure to write is not an error of the command (but it does not panic).
pub(crate) fn write_stderr(args: std::fmt::Arguments) {
    use std::io::Write;
    let text = formatted(args);
    let _ = std::io::stderr()
        .lock()
        .write_all(crate::domain::text::visible(&text).as_bytes());
}

/// Prints what clap has to say about the command line (an error, `--help`, `--version`) and
/// returns the exit code. clap quotes the values it refuses whole: when an argument holds a
/// control character or is longer than an error quotes ([`crate::error::QUOTED_CHARS`]),
/// the message is made again without clap's colours, each long value in it cut as
/// [`crate::error::quoted`] cuts one, and printed with its control characters shown.
pub fn usage_error(e: clap::Error) -> i32 {
    use clap::CommandFactory;
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let hostile = args
        .iter()
        .any(|a| a.chars().any(crate::domain::text::is_unsafe));
    let long = args
        .iter()
        .any(|a| a.chars().count() > crate::error::QUOTED_CHARS);
    if !hostile && !long {
        e.exit();
    }
    let plain = Cli::command()
        .styles(clap::builder::Styles::plain())
        .try_get_matches_from(std::env::args_os())
        .err()
        .unwrap_or(e);
    let text = cut_long_values(&plain.render().ansi().to_string(), &args);
    if plain.use_stderr() {
        write_stderr(format_args!("{text}"));
    } else if write_stdout(format_args!("{text}")).is_err() {
        return 1;
    }
    plain.exit_code()
}

/// Reads the command line (and the variables standing in for its options), or says what is
/// wrong with it and gives the exit code: clap's own checks, and two of ours — a variable
/// set to nothing (`OWED_DB=`), which clap took for `--db` given without a path, and an
/// option given both before and after the subcommand with two values, of which clap kept
/// the last without a word (`owed --as alice note K1 x --as bob` recorded bob).
pub fn parse() -> std::result::Result<Cli, i32> {
    let mut cli = Cli::try_parse().map_err(usage_error)?;
    // The variables standing in for options not given; one set to nothing is named rather
    // than taken for a path (clap said "a value is required for --db").
    let from_env = |var: &str| -> std::result::Result<Option<std::ffi::OsString>, i32> {
        match std::env::var_os(var) {
            Some(v) if v.is_empty() => {
                errln!("owed: {var} is set but empty: unset it, or set it to a value");
                Err(2)
            }
            v => Ok(v),
        }
    };
    if cli.db.is_none() {
        cli.db = from_env("OWED_DB")?.map(PathBuf::from);
    }
    if cli.config.is_none() {
        cli.config = from_env("OWED_CONFIG")?.map(PathBuf::from);
    }
    if cli.theme.is_none() {
        cli.theme = from_env("OWED_THEME")?.map(|v| v.to_string_lossy().into_owned());
    }
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if let Some((option, first, second)) = given_twice(&args) {
        errln!(
            "owed: {option} is given twice, as {} and as {}: give it once",
            crate::error::quoted(&first),
            crate::error::quoted(&second)
        );
        return Err(2);
    }
    Ok(cli)
}

/// The first global option given twice with different values (before and after the
/// subcommand: clap refuses it twice in one place), as (option, first value, second).
fn given_twice(args: &[String]) -> Option<(&'static str, String, String)> {
    const GLOBAL: [&str; 5] = ["--db", "--config", "--as", "--as-of", "--theme"];
    let mut seen: Vec<(&'static str, String)> = Vec::new();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        if arg == "--" {
            break;
        }
        for option in GLOBAL {
            let value = if arg == option {
                rest.next().cloned()
            } else {
                arg.strip_prefix(option)
                    .and_then(|v| v.strip_prefix('='))
                    .map(str::to_string)
            };
            let Some(value) = value else { continue };
            if let Some((_, first)) = seen.iter().find(|(o, v)| *o == option && *v != value) {
                return Some((option, first.clone(), value));
            }
            seen.push((option, value));
        }
    }
    None
}

/// clap's message `text` with every value of `args` longer than an error quotes cut: quoted
/// (`'…'`) as [`crate::error::quoted`] quotes it, anywhere else to its first characters and
/// `…`. clap quotes an argument whole, or the value of `--name=VALUE` or `-oVALUE`, or one of
/// a list of values separated by commas.
fn cut_long_values(text: &str, args: &[String]) -> String {
    use crate::error::{QUOTED_CHARS, quoted};
    let mut values: Vec<&str> = Vec::new();
    for arg in args {
        let short_value = arg
            .strip_prefix('-')
            .filter(|rest| !rest.starts_with('-'))
            .and_then(|rest| rest.get(rest.chars().next().map_or(0, char::len_utf8)..));
        let forms = [
            Some(arg.as_str()),
            arg.split_once('=').map(|(_, v)| v),
            short_value,
        ];
        for form in forms.into_iter().flatten() {
            values.push(form);
            values.extend(form.split(','));
        }
    }
    values.retain(|v| v.chars().count() > QUOTED_CHARS);
    // The longest first: a shorter one may be part of it.
    values.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    values.dedup();
    let mut text = text.to_string();
    for value in values {
        text = text.replace(&format!("'{value}'"), &quoted(value));
        let cut = format!("{}…", crate::domain::text::first_chars(value, QUOTED_CHARS));
        text = text.replace(value, &cut);
    }
    text
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    count_days_in_the_ledgers_time_zone(cli.db.as_deref());
    fail_writes_past_the_file_size_limit();
    let db = config::database_path(cli.db.as_deref()).ok();
    let result = dispatch(cli).map_err(|e| {
        // SQLite's "attempt to write a readonly database", "database or disk is full" and
        // "disk I/O error", as sentences naming the file.
        match db
            .as_deref()
            .and_then(|db| crate::store::write_failure(db, &e))
        {
            Some(sentence) => sentence,
            None => e,
        }
    });
    match result {
        Ok(()) => 0,
        // Whoever read the output has gone (`| head`): nothing is wrong with the command.
        Err(crate::Error::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            errln!("owed: {e}");
            e.exit_code()
        }
    }
}

/// Takes the database's time zone (`crate::store::time_zone`) for this process's own, so that
/// "today" and the day of every moment are the ledger's, read by chrono's `Local` and
/// SQLite's `'localtime'` alike, whatever `TZ` the shell, cron job or `owed serve` was given:
/// a promise written just after midnight in Auckland is in the plan of a UTC cron job's send
/// run five seconds later. Done first, before anything reads the clock or starts a thread.
/// Nothing when there is no database yet, it has no zone, or it cannot be read (the command
/// then says why).
fn count_days_in_the_ledgers_time_zone(db: Option<&std::path::Path>) {
    use crate::store::time_zone;
    let Ok(path) = config::database_path(db) else {
        return;
    };
    let Some(zone) = time_zone::of_ledger(&path) else {
        return;
    };
    if zone != time_zone::of_process() {
        // SAFETY: the process is single-threaded here (`run` is called from `main` before
        // anything starts a thread: `owed serve`, the workstation's workers and the second
        // connections all start in `dispatch`), so no thread reads the environment meanwhile.
        unsafe {
            std::env::set_var("TZ", &zone);
        }
    }
}

/// A file size limit (`ulimit -f`, a quota's hard edge) reached mid-write kills the process
/// with `SIGXFSZ` by default: no sentence, and a demo's or an export's temporary files left
/// behind. Ignored, the write fails (`EFBIG`) as a write to a full disk does, and the command
/// says so, removes what it had begun and saves nothing (every write is one transaction).
fn fail_writes_past_the_file_size_limit() {
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to "ignore" installs no handler; it is done
    // before any thread of owed's starts.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    use std::io::IsTerminal as _;
    log::init(cli.command.is_none() && std::io::stderr().is_terminal())?;
    let ctx = Context::new(&cli)?;
    // The commands messages suggest name the database and config this run was given; the
    // demo's, its own database (`demo::run`).
    if !matches!(cli.command, Some(Command::Demo(_))) {
        crate::error::set_invocation(crate::error::Invocation {
            db: cli.db.clone(),
            config: cli.config.clone(),
        });
    }
    match cli.command {
        Some(Command::Demo(args)) => {
            let named = (cli.db.is_some(), cli.config.as_deref());
            demo::run(&ctx, &args, named, cli.as_collector.is_some())
        }
        Some(Command::DemoLockbox(args)) => demo::lockbox(&ctx, &args),
        Some(Command::Import(args)) => import::run(&ctx, &args),
        Some(Command::Report(args)) => report::run(&ctx, &args),
        Some(Command::Export(args)) => export::run(&ctx, &args),
        Some(Command::Statement(args)) => statement::run(&ctx, &args),
        Some(Command::Engage(args)) => engage::run(&ctx, &args),
        Some(Command::Inbox(args)) => inbox::run(&ctx, &args),
        Some(Command::Lockbox(args)) => lockbox::run(&ctx, &args),
        Some(Command::Backup(args)) => backup::run(&ctx, &args),
        Some(Command::Restore(args)) => restore::run(&ctx, &args),
        Some(Command::Note(args)) => action_commands::note(&ctx, &args),
        Some(Command::Call(args)) => action_commands::call(&ctx, &args),
        Some(Command::Find(args)) => find::run(&ctx, &args),
        Some(Command::Promise(args)) => action_commands::promise(&ctx, &args),
        Some(Command::VoidPromise(args)) => action_commands::void_promise(&ctx, &args),
        Some(Command::Dispute(args)) => action_commands::dispute(&ctx, &args),
        Some(Command::Resolve(args)) => action_commands::resolve(&ctx, &args),
        Some(Command::Reopen(args)) => action_commands::reopen(&ctx, &args),
        Some(Command::Followup(args)) => action_commands::followup(&ctx, &args),
        Some(Command::Done(args)) => action_commands::done(&ctx, &args),
        Some(Command::Assign(args)) => action_commands::assign(&ctx, &args),
        Some(Command::Activity(args)) => activity::run(&ctx, &args),
        Some(Command::Attach(args)) => attach::attach(&ctx, &args),
        Some(Command::Attachment(args)) => attach::attachment(&ctx, &args),
        #[cfg(feature = "bench")]
        Some(Command::BenchActions(args)) => bench::run(&ctx, &args),
        #[cfg(feature = "bench")]
        Some(Command::BenchFind(args)) => bench_find::run(&ctx, &args),
        #[cfg(feature = "bench")]
        Some(Command::BenchTui(args)) => bench_tui::run(&ctx, &args),
        Some(Command::Backtest(args)) => backtest::run(&ctx, &args),
        Some(Command::User(args)) => user::run(&ctx, &args),
        Some(Command::Config(args)) => settings::run(&ctx, &args),
        Some(Command::Serve(_)) if cli.as_collector.is_some() => Err(crate::Error::input(
            "--as does not apply to `owed serve`: each session acts as the user whose key it \
             logged in with (see `owed user`)",
        )),
        Some(Command::Serve(args)) => serve::run(&ctx, &args),
        None => workstation::run(&ctx),
    }
}

/// One line on stderr when opening the database at `path` brought it up to date (`upgraded`,
/// from and to): an older `owed` (a teammate's, a cron job's) refuses it from then on, and
/// nothing else would say why.
pub(crate) fn said_upgrade(path: &std::path::Path, upgraded: Option<(usize, usize)>) {
    if let Some((from, to)) = upgraded {
        eprintln!(
            "owed: {} brought up to date (schema {from} to {to}): an older owed can no longer \
             open it",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::cut_long_values;

    #[test]
    fn clap_quotes_a_long_value_cut_to_80_characters() {
        let long = "Q".repeat(3000);
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cut = format!("`{}…` (3000 characters)", "Q".repeat(80));
        // The argument whole, the value of `--name=VALUE`, of `-oVALUE`, one of a list.
        for (given, quoted_by_clap) in [
            (long.clone(), long.clone()),
            (format!("--as-of={long}"), long.clone()),
            (format!("-o{long}"), long.clone()),
            (format!("K1,{long}"), long.clone()),
            (format!("--{long}"), format!("--{long}")),
        ] {
            let text = format!("error: invalid value '{quoted_by_clap}' for '--as-of <DATE>'\n");
            let shown = cut_long_values(&text, &args(&["owed", "report", &given]));
            assert!(shown.contains("…` (300"), "{shown}");
            assert!(shown.len() < 200, "{shown}");
        }
        let text = format!("error: invalid value '{long}' for '--as-of <DATE>': nope\n");
        assert_eq!(
            cut_long_values(&text, &args(&["owed", "--as-of", &long])),
            format!("error: invalid value {cut} for '--as-of <DATE>': nope\n")
        );
        // Unquoted, in a tip: cut all the same.
        let flag = format!("--{long}");
        let text = format!("tip: to pass '{flag}' as a value, use '-- {flag}'\n");
        let shown = cut_long_values(&text, &args(&["owed", &flag]));
        assert_eq!(
            shown,
            format!(
                "tip: to pass `--{q}…` (3002 characters) as a value, use '-- --{q}…'\n",
                q = "Q".repeat(78)
            )
        );
        // Short values are left alone.
        let text = "error: invalid value 'soon' for '--as-of <DATE>'\n";
        assert_eq!(
            cut_long_values(text, &args(&["owed", "--as-of", "soon"])),
            text
        );
    }
}
