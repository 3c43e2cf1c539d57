//! Shared helpers for the integration tests: the contract portfolio's CSV files (kept in
//! `tests/fixture/portfolios/contract/`), and running the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;

/// The five import files of the contract portfolio, read from its one home,
/// `tests/fixture/portfolios/contract/` (the fixture builder's `Portfolio::contract()`).
pub const CUSTOMERS: &str = include_str!("../fixture/portfolios/contract/customers.csv");
pub const DOCUMENTS: &str = include_str!("../fixture/portfolios/contract/documents.csv");
pub const PAYMENTS: &str = include_str!("../fixture/portfolios/contract/payments.csv");
pub const APPLICATIONS: &str = include_str!("../fixture/portfolios/contract/applications.csv");
pub const RATES: &str = include_str!("../fixture/portfolios/contract/exchange_rates.csv");

/// Writes the portfolio's files into `dir`, with `edit` applied to (file name, contents).
pub fn write_fixture(dir: &Path, edit: impl Fn(&str, &str) -> String) -> Vec<PathBuf> {
    let files = [
        ("customers.csv", CUSTOMERS),
        ("documents.csv", DOCUMENTS),
        ("payments.csv", PAYMENTS),
        ("applications.csv", APPLICATIONS),
        ("exchange_rates.csv", RATES),
    ];
    std::fs::create_dir_all(dir).unwrap();
    files
        .iter()
        .map(|(name, text)| {
            let path = dir.join(name);
            std::fs::write(&path, edit(name, text)).unwrap();
            path
        })
        .collect()
}

/// Runs the real `owed` binary with `args`.
pub fn owed(args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .args(args)
        .env_remove("OWED_DB")
        .env_remove("OWED_LOG")
        .env("OWED_CONFIG", "/nonexistent-owed-config-for-tests.toml")
        .env("NO_COLOR", "1")
        .output()
        .expect("run owed")
}

/// The `owed` command with a config file in `dir` that has only defaults (to run, or to
/// spawn with pipes of its own).
pub fn command_in(dir: &Path, args: &[&str]) -> std::process::Command {
    let config = dir.join("config.toml");
    if !config.exists() {
        std::fs::write(&config, "").unwrap();
    }
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_owed"));
    command
        .args(args)
        .env_remove("OWED_DB")
        .env_remove("OWED_LOG")
        .env("OWED_CONFIG", &config)
        .env("NO_COLOR", "1");
    command
}

/// Runs `owed` with a config file that has only defaults.
pub fn owed_in(dir: &Path, args: &[&str]) -> Output {
    command_in(dir, args).output().expect("run owed")
}

/// Writes the demo portfolio of `customers` customers (seed `seed`, as of 25 November 2026)
/// as import CSVs into `out`.
pub fn demo_csv(dir: &Path, out: &Path, customers: u32, seed: u32) {
    let (n, seed) = (customers.to_string(), seed.to_string());
    let o = owed_in(
        dir,
        &[
            "--as-of",
            "2026-11-25",
            "demo",
            "--csv",
            out.to_str().unwrap(),
            "--customers",
            &n,
            "--seed",
            &seed,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts that `o` succeeded (exit 0), showing its stderr when it did not; returns stdout.
#[track_caller]
pub fn succeeded(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    stdout(o)
}

/// Asserts that `o` ended with exit code `code` and that its stderr says `message`, showing
/// both streams when it did not; returns stderr.
#[track_caller]
pub fn refused(o: &Output, code: i32, message: &str) -> String {
    let err = stderr(o);
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {err}",
        stdout(o)
    );
    assert!(
        err.contains(message),
        "expected {message:?} in stderr: {err}"
    );
    err
}

/// Asserts that `owed` said `words` on its standard error.
#[track_caller]
pub fn said(o: &Output, words: &str) {
    let err = stderr(o);
    assert!(err.contains(words), "`{words}` in: {err}");
}

/// Asserts that `text` contains each of `parts`, showing it whole when it does not.
#[track_caller]
pub fn assert_contains_all(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "expected {part:?} in:\n{text}");
    }
}

/// The first line of `text` that `keep` keeps, showing `text` whole when none does.
#[track_caller]
pub fn line_where(text: &str, keep: impl Fn(&str) -> bool) -> &str {
    text.lines()
        .find(|l| keep(l))
        .unwrap_or_else(|| panic!("no such line in:\n{text}"))
}

/// The JSON a successful run of `owed` printed on stdout.
#[track_caller]
pub fn json_of(o: &Output) -> serde_json::Value {
    let out = succeeded(o);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The first entry of `kind` in the `activity` list of `owed activity --json`'s output.
#[track_caller]
pub fn first_entry(activity: &serde_json::Value, kind: &str) -> serde_json::Value {
    first_where(activity, "activity", "kind", kind)
}

/// The row of customer `id` in `owed report aging --json`'s output.
#[track_caller]
pub fn aging_row(aging: &serde_json::Value, id: &str) -> serde_json::Value {
    first_where(aging, "customers", "id", id)
}

/// The first item of the list `list` of `json` whose `key` is `value`.
#[track_caller]
pub fn first_where(
    json: &serde_json::Value,
    list: &str,
    key: &str,
    value: &str,
) -> serde_json::Value {
    json[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} list: {json}"))
        .iter()
        .find(|e| e[key] == value)
        .unwrap_or_else(|| panic!("no {list} entry with {key} {value}: {json}"))
        .clone()
}

/// The rows `sql` selects from the database at `db`, each read by `row`.
pub fn rows<T>(
    db: &Path,
    sql: &str,
    row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
) -> Vec<T> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    stmt.query_map([], row)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// The one value `sql` selects from the database at `db`.
pub fn value<T: rusqlite::types::FromSql>(db: &Path, sql: &str) -> T {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The text of the workstation's status line (empty when it shows none).
pub fn status_text(app: &owed::tui::app::App) -> &str {
    app.status.as_ref().map_or("", |s| s.text.as_str())
}

/// A new folder `name` in `parent` holding `files` (name, text): an export to import.
pub fn folder_of(parent: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    write_files(&dir, files);
    dir
}

/// Writes each `(name, text)` of `files` under `dir`; a `name` may hold folders, which are
/// made.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    }
}

/// The command `owed --db DB --config CONFIG`, its arguments to follow (no `OWED_DB` from the
/// tests' environment).
pub fn owed_with(db: &Path, config: &Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_owed"));
    command
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(config)
        .env_remove("OWED_DB");
    command
}

/// Runs `owed --db DB ARGS` with a config file in `dir` that has only defaults (unless `dir`
/// has one already).
pub fn owed_db(dir: &Path, db: impl AsRef<Path>, args: &[&str]) -> Output {
    command_db(dir, db, args).output().expect("run owed")
}

/// The command `owed --db DB ARGS` with a config file in `dir` (as `command_in`).
pub fn command_db(dir: &Path, db: impl AsRef<Path>, args: &[&str]) -> std::process::Command {
    let mut all = vec!["--db", db.as_ref().to_str().unwrap()];
    all.extend(args);
    command_in(dir, &all)
}

/// Writes the engagement cycle "Dunning" (customers with anything overdue; one reminder,
/// "Friendly", three days after due, from `template`) into `dir/cycles`, and returns that
/// folder.
pub fn write_dunning_cycle(dir: &Path, template: &str) -> PathBuf {
    let cycles = dir.join("cycles");
    write_files(
        &cycles,
        &[
            (
                "dunning.toml",
                "name = \"Dunning\"\ncustomer = \"overdue > 0\"\n\n[[reminder]]\n\
                 name = \"Friendly\"\nafter_due_days = 3\ntemplate = \"templates/friendly.md\"\n",
            ),
            ("templates/friendly.md", template),
        ],
    );
    cycles
}

/// Runs `sql` (one statement or more) on the database at `db`.
pub fn execute(db: &Path, sql: &str) {
    rusqlite::Connection::open(db)
        .unwrap()
        .execute_batch(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The text under `key` of each entry of the JSON list `list`.
#[track_caller]
pub fn texts_of(list: &serde_json::Value, key: &str) -> Vec<String> {
    let entries = list
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"));
    entries
        .iter()
        .map(|e| {
            e[key]
                .as_str()
                .unwrap_or_else(|| panic!("no {key}: {e}"))
                .to_string()
        })
        .collect()
}

/// The texts under `a` and `b` of each entry of the JSON list `list` that `keep` keeps.
#[track_caller]
pub fn text_pairs<'a>(
    list: &'a serde_json::Value,
    keep: impl Fn(&serde_json::Value) -> bool,
    a: &str,
    b: &str,
) -> Vec<(&'a str, &'a str)> {
    let text = |e: &'a serde_json::Value, key: &str| -> &'a str {
        e[key].as_str().unwrap_or_else(|| panic!("no {key}: {e}"))
    };
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .filter(|e| keep(e))
        .map(|e| (text(e, a), text(e, b)))
        .collect()
}

/// Reads `reader` until it ends (or fails), handing each chunk read to `chunk`: the loop of a
/// thread that follows a pty's output.
pub fn read_chunks(mut reader: impl std::io::Read, mut chunk: impl FnMut(&[u8])) {
    let mut buf = [0u8; 8192];
    while let Ok(n) = reader.read(&mut buf) {
        if n == 0 {
            break;
        }
        chunk(&buf[..n]);
    }
}

/// `command` run with every file it writes limited to `kib` KiB: a disk with that much room
/// left. The shell's `ulimit -f` (`RLIMIT_FSIZE`), with `SIGXFSZ` ignored so that a write
/// past the limit fails (`EFBIG`) as a write to a full disk fails (`ENOSPC`), instead of
/// killing the process.
pub fn on_a_disk_with_room(command: std::process::Command, kib: u32) -> Output {
    under_shell_limits(command, &format!("trap '' XFSZ; ulimit -f {kib}"))
}

/// `command` run with every file it writes limited to `kib` KiB by the shell's `ulimit -f`
/// alone, as a quota or a user's limits set it: `SIGXFSZ` left to its default, which kills
/// the process unless it ignores the signal itself.
pub fn under_a_file_size_limit(command: std::process::Command, kib: u32) -> Output {
    under_shell_limits(command, &format!("ulimit -f {kib}"))
}

/// `command` run by bash after `limits` (shell commands), with its arguments, folder and
/// environment.
fn under_shell_limits(command: std::process::Command, limits: &str) -> Output {
    let mut limited = std::process::Command::new("bash");
    limited
        .arg("-c")
        .arg(format!("{limits}; exec \"$0\" \"$@\""))
        .arg(command.get_program())
        .args(command.get_args());
    if let Some(dir) = command.get_current_dir() {
        limited.current_dir(dir);
    }
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => limited.env(name, value),
            None => limited.env_remove(name),
        };
    }
    limited.stdin(std::process::Stdio::null()).output().unwrap()
}

/// Asserts that `run`, an entry of `owed report imports --json`, was `actor`'s import of the
/// one file `file` (by its whole path) and says `summary`.
#[track_caller]
pub fn assert_logged(run: &serde_json::Value, actor: &str, file: &Path, summary: &str) {
    let file = file.canonicalize().unwrap();
    assert_eq!(run["actor"], actor, "{run}");
    assert_eq!(
        run["files"],
        serde_json::json!([file.display().to_string()])
    );
    assert_eq!(run["summary"], summary, "{run}");
}

/// The names of what a folder holds, sorted.
pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A manager's public key for the tests that add users.
pub const DANA_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF+jMxy1UPKN0+nNElB1xHLM8zFpOthxWeZrE809X5E7 dana@desk";
/// A collector's public key for the tests that add users.
pub const ALICE_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMo/kSXwAAUcvvpsIZ+5IYX/PDHZGGcxW4/4StaQ+pbR alice@laptop";

/// `cmd` started in a new pseudo-terminal of `rows` × `cols`: the child, and the terminal's
/// side to read what it writes and type into it.
pub fn in_pty(
    cmd: portable_pty::CommandBuilder,
    rows: u16,
    cols: u16,
) -> (
    Box<dyn portable_pty::Child + Send + Sync>,
    Box<dyn portable_pty::MasterPty + Send>,
) {
    let pair = portable_pty::native_pty_system()
        .openpty(portable_pty::PtySize {
            rows,
            cols,
            ..portable_pty::PtySize::default()
        })
        .unwrap();
    let child = pair.slave.spawn_command(cmd).unwrap();
    drop(pair.slave);
    (child, pair.master)
}

/// The column `name` of a CSV's rows whose column `key` is `value`.
pub fn csv_column(text: &str, key: &str, value: &str, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |h: &str| {
        headers
            .iter()
            .position(|x| x == h)
            .unwrap_or_else(|| panic!("no column {h} in {headers:?}"))
    };
    let (k, n) = (col(key), col(name));
    reader
        .records()
        .map(Result::unwrap)
        .filter(|r| r[k] == *value)
        .map(|r| r[n].to_string())
        .collect()
}

/// Starts `command` (its output thrown away), checks every `poll` (for a minute at most)
/// whether `ready` holds, waits `settle` more and kills it (SIGKILL), asserting that it was
/// still running then: a writer killed part-way.
pub fn kill_when(
    mut command: std::process::Command,
    poll: std::time::Duration,
    settle: std::time::Duration,
    ready: impl Fn() -> bool,
) {
    use std::process::Stdio;
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !ready() && start.elapsed() < std::time::Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(poll);
    }
    std::thread::sleep(settle);
    assert!(
        child.try_wait().unwrap().is_none(),
        "it ended before it could be killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A time zone (a POSIX `TZ`, `XXX-H:MM:SS`: that far east of UTC) whose midnight comes `lead`
/// from now, and its date until then: a process given it lives through a change of day within
/// a test.
pub fn midnight_in(lead: std::time::Duration) -> (String, owed::domain::Date) {
    use chrono::Timelike;
    let now = chrono::Utc::now();
    let lead = i64::try_from(lead.as_secs()).unwrap();
    let offset = (86_400 - lead - i64::from(now.num_seconds_from_midnight())).rem_euclid(86_400);
    let tz = format!(
        "XXX-{}:{:02}:{:02}",
        offset / 3600,
        offset / 60 % 60,
        offset % 60
    );
    let today = (now + chrono::Duration::seconds(offset)).date_naive();
    (tz, today)
}

/// Every value of the column `name` of the CSV `text`, in order.
pub fn csv_column_all(text: &str, name: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let n = headers
        .iter()
        .position(|x| x == name)
        .unwrap_or_else(|| panic!("no column {name} in {headers:?}"));
    reader
        .records()
        .map(|r| r.unwrap()[n].to_string())
        .collect()
}
