//! End to end: the real `owed` binary in a real pseudo-terminal, read back with a terminal
//! emulator (vt100), typed at like a person would.

mod common;
mod keys;
mod smtp_server;
mod workstation;

use common::first_entry;
use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::Write;
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for something to appear (generous: CI machines can be slow).
const PATIENCE: Duration = Duration::from_secs(60);

struct Screen {
    parser: vt100::Parser,
    raw: Vec<u8>,
    /// What the terminal answers to the workstation's graphics query (none: it does not).
    answer: Option<Vec<u8>>,
    /// How many graphics queries were seen, and where the search for the next one starts.
    queries: usize,
    scanned: usize,
    /// Between a frame's synchronized-update markers: the emulator shows half of it.
    in_frame: bool,
    /// Where the search for the next marker starts.
    marked: usize,
}

/// The markers the workstation wraps each frame in (a terminal shows the frame at the second).
const FRAME_BEGIN: &[u8] = b"\x1b[?2026h";
const FRAME_END: &[u8] = b"\x1b[?2026l";

impl Screen {
    /// Notes whether the bytes read so far end inside a frame.
    fn mark_frames(&mut self) {
        let from = self.marked.saturating_sub(FRAME_END.len() - 1);
        let window = &self.raw[from..];
        let last = |marker: &[u8]| window.windows(marker.len()).rposition(|w| w == marker);
        match (last(FRAME_BEGIN), last(FRAME_END)) {
            (Some(begin), Some(end)) => self.in_frame = begin > end,
            (Some(_), None) => self.in_frame = true,
            (None, Some(_)) => self.in_frame = false,
            (None, None) => {}
        }
        self.marked = self.raw.len();
    }
}

/// The workstation's question about graphics: kitty's query, then the device attributes'.
const GRAPHICS_QUERY: &[u8] = b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\\x1b[c";

struct Session {
    master: Box<dyn MasterPty + Send>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    screen: Arc<Mutex<Screen>>,
    /// The session's folder: the database, and the config dir (`config/owed`).
    dir: std::path::PathBuf,
    /// The folder removed when the session goes (none: the test keeps it).
    _temp: Option<tempfile::TempDir>,
}

impl Session {
    fn start(size: (u16, u16), env: &[(&str, &str)]) -> Session {
        Session::start_on(size, env, workstation::build)
    }

    /// Starts `owed` and waits until the screen shows all of `texts`.
    fn showing(size: (u16, u16), texts: &[&str]) -> Session {
        let s = Session::start(size, &[]);
        s.wait_for(texts);
        s
    }

    /// Starts `owed` with an `$EDITOR` that writes `printf_format` (printf's format: `\\n` a
    /// line break) into the file it is given; the editor's folder comes with the session.
    fn with_editor(size: (u16, u16), printf_format: &str) -> (tempfile::TempDir, Session) {
        let bin = tempfile::tempdir().unwrap();
        let editor = bin.path().join("editor.sh");
        std::fs::write(
            &editor,
            format!("#!/bin/sh\nprintf '{printf_format}' > \"$1\"\n"),
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let env = [("EDITOR", editor.to_str().unwrap()), ("VISUAL", "")];
        let session = Session::start(size, &env);
        (bin, session)
    }

    /// Starts `owed` on the database `build` makes in the session's folder.
    fn start_on(
        size: (u16, u16),
        env: &[(&str, &str)],
        build: impl FnOnce(&std::path::Path) -> std::path::PathBuf,
    ) -> Session {
        Session::start_as_of(size, env, build, workstation::AS_OF)
    }

    /// Starts `owed` as of `as_of` on the database `build` makes in the session's folder.
    fn start_as_of(
        size: (u16, u16),
        env: &[(&str, &str)],
        build: impl FnOnce(&std::path::Path) -> std::path::PathBuf,
        as_of: &str,
    ) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let db = build(dir.path());
        let mut s = Session::start_in(dir.path(), &db, size, env, as_of);
        s._temp = Some(dir);
        s
    }

    /// Starts `owed` on `db` as of `as_of` (empty: today), in `dir` (its config dir
    /// `dir/config`).
    fn start_in(
        dir: &std::path::Path,
        db: &std::path::Path,
        size: (u16, u16),
        env: &[(&str, &str)],
        as_of: &str,
    ) -> Session {
        Session::start_with_room(dir, db, size, env, as_of, None)
    }

    /// Same, with every file the process writes limited to `room_kib` KiB when given, as on
    /// a disk with that much room left (`ulimit -f`, `SIGXFSZ` ignored: a write past it
    /// fails as on a full disk, instead of killing the process).
    fn start_with_room(
        dir: &std::path::Path,
        db: &std::path::Path,
        size: (u16, u16),
        env: &[(&str, &str)],
        as_of: &str,
        room_kib: Option<u32>,
    ) -> Session {
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: size.1,
                cols: size.0,
                ..PtySize::default()
            })
            .unwrap();
        let mut cmd = match room_kib {
            None => CommandBuilder::new(env!("CARGO_BIN_EXE_owed")),
            Some(kib) => {
                let mut cmd = CommandBuilder::new("bash");
                cmd.arg("-c");
                cmd.arg(format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\""));
                cmd.arg(env!("CARGO_BIN_EXE_owed"));
                cmd
            }
        };
        cmd.args(["--db", db.to_str().unwrap(), "--as", "alice"]);
        // No date: today's figures.
        if !as_of.is_empty() {
            cmd.args(["--as-of", as_of]);
        }
        cmd.cwd(dir);
        cmd.env("TERM", "xterm-256color");
        // Keep the tester's own config, keymap and themes out of it.
        cmd.env("XDG_CONFIG_HOME", dir.join("config"));
        cmd.env("HOME", dir);
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("OWED_CONFIG");
        cmd.env_remove("OWED_THEME");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = Arc::new(Mutex::new(pair.master.take_writer().unwrap()));
        let screen = Arc::new(Mutex::new(Screen {
            parser: vt100::Parser::new(nz(size.1), nz(size.0), 0),
            raw: Vec::new(),
            answer: None,
            queries: 0,
            scanned: 0,
            in_frame: false,
            marked: 0,
        }));
        let sink = Arc::clone(&screen);
        let answerer = Arc::clone(&writer);
        std::thread::spawn(move || {
            common::read_chunks(&mut reader, |bytes| {
                let mut s = sink.lock().unwrap();
                s.parser.process(bytes);
                s.raw.extend_from_slice(bytes);
                s.mark_frames();
                // A graphics query is answered as the terminal played would answer it.
                while let Some(at) = find(&s.raw[s.scanned..], GRAPHICS_QUERY) {
                    s.scanned += at + GRAPHICS_QUERY.len();
                    s.queries += 1;
                    if let Some(answer) = &s.answer {
                        let mut w = answerer.lock().unwrap();
                        w.write_all(answer).unwrap();
                        w.flush().unwrap();
                    }
                }
            });
        });
        Session {
            master: pair.master,
            writer,
            child,
            screen,
            dir: dir.to_path_buf(),
            _temp: None,
        }
    }

    /// Resizes the terminal (and the emulator reading it), as a window manager would. The
    /// emulator's screen is blanked first, so that what a test waits for afterwards comes from
    /// the frame drawn at the new size, never from what the old one left at its left edge.
    fn resize(&mut self, cols: u16, rows: u16) {
        {
            let mut screen = self.screen.lock().unwrap();
            screen.parser.set_size(nz(rows), nz(cols));
            screen.parser.process(b"\x1b[H\x1b[2J");
        }
        self.master
            .resize(PtySize {
                rows,
                cols,
                ..PtySize::default()
            })
            .unwrap();
    }

    /// What the screen shows between frames: a test never reads a frame half drawn (its
    /// title new, its rows still the last frame's). After 2 s inside one (a process stopped
    /// mid-frame), what it shows then.
    fn contents(&self) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen.lock().unwrap();
            if !screen.in_frame || start.elapsed() > Duration::from_secs(2) {
                return screen.parser.screen().contents();
            }
            drop(screen);
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until the screen shows all of `texts`.
    fn wait_for(&self, texts: &[&str]) {
        let start = Instant::now();
        loop {
            let contents = self.contents();
            if texts.iter().all(|t| contents.contains(t)) {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited for {texts:?}; the screen shows:\n{contents}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the screen no longer shows `text`.
    fn wait_without(&self, text: &str) {
        let start = Instant::now();
        loop {
            let contents = self.contents();
            if !contents.contains(text) {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited for {text:?} to go; the screen shows:\n{contents}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys`, then waits until the screen shows all of `texts`.
    fn press(&mut self, keys: &str, texts: &[&str]) {
        self.type_keys(keys);
        self.wait_for(texts);
    }

    /// From the queue: `keys` (a tab, a filter) until the screen shows `queue`; Enter opens
    /// the first customer's detail, showing `detail`; Tab moves to its timeline, whose footer
    /// offers `hint`.
    fn open_timeline(&mut self, keys: &str, queue: &[&str], detail: &[&str], hint: &str) {
        self.press(keys, queue);
        self.press("\r", detail);
        self.press("\t", &[hint]);
    }

    /// A person's pause (a key arriving in the same read as an Esc would pair with it as
    /// Alt), Esc alone, then waits until the screen shows all of `texts`.
    fn escape_then(&mut self, texts: &[&str]) {
        std::thread::sleep(Duration::from_millis(300));
        self.press("\x1b", texts);
    }

    /// Quits with `q` and asserts that the workstation exited with 0.
    fn quit(&mut self) {
        self.type_keys("q");
        assert_eq!(self.wait_exit(), 0);
    }

    fn type_keys(&mut self, bytes: &str) {
        let mut w = self.writer.lock().unwrap();
        w.write_all(bytes.as_bytes()).unwrap();
        w.flush().unwrap();
    }

    /// From now on the terminal answers the workstation's graphics query with `answer`.
    fn answer_graphics_query(&self, answer: &[u8]) {
        self.screen.lock().unwrap().answer = Some(answer.to_vec());
    }

    /// How many times the workstation asked which graphics the terminal shows.
    fn graphics_queries(&self) -> usize {
        self.screen.lock().unwrap().queries
    }

    /// Waits for the process to end and returns its exit code.
    fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(
                start.elapsed() < PATIENCE,
                "owed did not exit:\n{}",
                self.contents()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn raw(&self) -> Vec<u8> {
        self.screen.lock().unwrap().raw.clone()
    }

    /// Sends `signal` to the workstation's process.
    #[cfg(unix)]
    fn signal(&self, signal: i32) {
        let pid = self.child.process_id().expect("a pid") as libc::pid_t;
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0, "kill {signal}");
    }

    /// The pty's line discipline: (canonical, echo) — what `stty -a` shows as `icanon echo`.
    #[cfg(unix)]
    fn cooked(&self) -> (bool, bool) {
        let fd = self.master.as_raw_fd().expect("the pty's fd");
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::tcgetattr(fd, &mut t) }, 0, "tcgetattr");
        (t.c_lflag & libc::ICANON != 0, t.c_lflag & libc::ECHO != 0)
    }

    /// Waits until the reader has seen `needle` in the output.
    fn wait_for_bytes(&self, needle: &[u8]) {
        let start = Instant::now();
        while !contains(&self.raw(), needle) {
            assert!(start.elapsed() < PATIENCE, "waited for {needle:?}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn nz(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn a_collector_moves_filters_and_quits() {
    let mut s = Session::showing(
        (100, 30),
        &[
            "as of 2026-04-30",
            "Acme Corp",
            "Queue · mine (alice) · 1 of 5",
        ],
    );
    assert!(s.screen.lock().unwrap().parser.screen().alternate_screen());
    s.press("j", &["2 of 5", "Customer K4"]);
    s.press("/kite", &["/kite", "filter: kite"]);
    s.type_keys("\r");
    // The filter field has closed: the footer shows the keys again.
    s.wait_for(&["Kite Supplies", "1 of 1", "Customer K1", "? Help"]);
    // The detail beside the queue shows Kite's documents and, once the forecast has been
    // computed on its thread, when the open one is expected to be paid.
    s.wait_for(&["Documents · 2 open of 2", "↳ expected 2026-"]);
    s.wait_for(&["Risk 0", "Risk low"]);
    // A narrower terminal: the detail goes, the queue stays.
    s.resize(80, 24);
    s.wait_for(&["Seen", "Kite Supplies"]);
    assert!(!s.contents().contains("Customer K1"));
    s.press("\r", &["Customer K1", "Payments · last paid 2026-04-05"]);
    s.press("\x1b", &["Queue · mine (alice) · filter: kite"]);
    s.quit();
    // The reader thread may still be draining the last bytes the process wrote.
    let start = Instant::now();
    while !contains(&s.raw(), b"\x1b[?1049l") && start.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(20));
    }
    let raw = s.raw();
    assert!(
        contains(&raw, b"\x1b[?1049h"),
        "entered the alternate screen"
    );
    assert!(contains(&raw, b"\x1b[?1049l"), "left the alternate screen");
    assert!(!contains(&raw, b"\x1b[?1000h"), "no mouse capture");
    assert!(!s.screen.lock().unwrap().parser.screen().alternate_screen());
}

/// The workstation says it brought an older database up to date, as every command does: the
/// line stays above the prompt when it ends (it upgraded the file without a word, locking a
/// teammate's older owed out).
#[test]
fn the_workstation_says_it_brought_the_database_up_to_date() {
    let mut s = Session::start_on((100, 30), &[], |dir| {
        let db = workstation::build(dir);
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP TRIGGER reminder_documents_keyed;
             PRAGMA user_version = 22;",
        )
        .unwrap();
        db
    });
    s.wait_for(&["Acme Corp"]);
    s.quit();
    let start = Instant::now();
    while !contains(&s.raw(), b"\x1b[?1049l") && start.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(20));
    }
    let said = format!(
        "brought up to date (schema 22 to {}): an older owed can no longer open it",
        owed::store::schema_version()
    );
    let raw = s.raw();
    let at = find(&raw, said.as_bytes()).expect("the line");
    assert!(
        at < find(&raw, b"\x1b[?1049h").unwrap(),
        "before the screen"
    );
}

#[test]
fn a_saved_view_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut s = Session::start_in(dir.path(), &db, (160, 30), &[], workstation::AS_OF);
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    // The shipped views are tabs after the built-in ones, as many as fit.
    s.wait_for(&["│  largest value ", "+3 views"]);
    s.press("/acme\r", &["filter: acme", "1 of 2"]);
    s.press("N:save acme by name\r", &["View `acme by name` saved in"]);
    s.quit();
    let config = dir.path().join("config/owed/config.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("name = \"acme by name\"") && text.contains("filter = \"acme\""),
        "{text}"
    );
    // Started again: the view is there, and opens.
    let mut s = Session::start_in(dir.path(), &db, (160, 30), &[], workstation::AS_OF);
    s.wait_for(&["+4 views"]);
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.press(
        ":view acme by name\r",
        &["View: acme by name", "filter: acme", "Customer▲"],
    );
    s.quit();
}

#[test]
fn no_color_draws_without_colours() {
    let mut s = Session::start((100, 30), &[("NO_COLOR", "1")]);
    s.wait_for(&["Acme Corp", "Overdue 5"]);
    s.press("?", &["Keys · Esc closes"]);
    // Esc alone: an Esc followed at once by `:` would read as Alt-: (as terminals send it).
    s.press("\x1b", &["? Help"]);
    // A person's pause after Esc: a key arriving in the same read would pair with it as Alt.
    std::thread::sleep(Duration::from_millis(300));
    s.quit();
    let raw = s.raw();
    assert_no_colour_codes(&raw, "under NO_COLOR");
    assert!(
        contains(&raw, b"\x1b[7m"),
        "reverse video marks the selection"
    );
}

/// A terminal without colour (`vt220`, `xterm-mono`) gets no colour codes and the `mono`
/// theme's marks, as over `owed serve`: the local workstation sent it the default theme's 16
/// colours, then the default theme with its colours taken away (no underlined headings).
#[test]
fn a_terminal_without_colour_gets_the_mono_theme() {
    for term in ["vt220", "xterm-mono"] {
        let mut s = Session::start((100, 30), &[("TERM", term), ("LANG", "C.UTF-8")]);
        s.wait_for(&["Acme Corp", "Overdue 5"]);
        s.quit();
        let raw = s.raw();
        assert_no_colour_codes(&raw, term);
        assert!(contains(&raw, b"\x1b[4m"), "mono underlines on {term}");
    }
}

/// No foreground or background colour in `raw`: 30–37, 90–97, 40–47, 100–107, 38;… and 48;….
#[track_caller]
fn assert_no_colour_codes(raw: &[u8], why: &str) {
    let text = String::from_utf8_lossy(raw);
    for sgr in text.split("\x1b[").skip(1) {
        let Some(end) = sgr.find(|c: char| c.is_ascii_alphabetic()) else {
            continue;
        };
        if &sgr[end..=end] != "m" {
            continue;
        }
        for code in sgr[..end].split(';') {
            let n: u32 = code.parse().unwrap_or(0);
            assert!(
                !matches!(n, 30..=37 | 40..=47 | 90..=97 | 100..=107 | 38 | 48),
                "colour code {n} {why}"
            );
        }
    }
}

/// Runs `owed --db DB ARGS` with the config of `dir` (`dir/config`), as a session's would be.
fn run_owed(dir: &std::path::Path, db: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env_remove("OWED_CONFIG")
        .env_remove("OWED_DB")
        .output()
        .unwrap()
}

/// Asserts that a run of `owed` succeeded, with its stderr when it did not.
fn succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Promise `id` in the activity log of `customer` on the session's database.
fn promise_in_log(s: &Session, customer: &str, id: i64) -> serde_json::Value {
    let json = activity(s, customer);
    let promises = json["activity"].as_array().unwrap().iter();
    let mut promises = promises.filter(|e| e["kind"] == "promise");
    let promise = promises.find(|e| e["id"] == id);
    promise
        .unwrap_or_else(|| panic!("no promise {id}: {json}"))
        .clone()
}

/// `owed activity CUSTOMER --json` on the session's database.
fn activity(s: &Session, customer: &str) -> serde_json::Value {
    let out = run_owed(
        &s.dir,
        &s.dir.join("owed.db"),
        &["activity", customer, "--json"],
    );
    succeeded(&out);
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_promise_recorded_through_the_form_is_in_the_activity_log() {
    let mut s = Session::showing((100, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.press(
        "p",
        &[
            "Promise to pay · Acme Corp (K6)",
            "12,000.00 USD, the overdue amount",
        ],
    );
    // Not the whole overdue amount: Ctrl-U clears the field.
    s.press("\x154500", &["4,500.00 USD"]);
    s.press("\x1b[B2026-05-15", &["Fri 2026-05-15, in 15 days"]);
    s.press(
        "\r",
        &[
            // (The line may wrap after the customer.)
            "saved (back-dated to 2026-04-30): Promise 3 recorded: K6 (Acme Corp)",
            "2 of 5",
        ],
    );
    s.quit();
    let promise = promise_in_log(&s, "K6", 3);
    assert_eq!(promise["amount"], "4500.00");
    assert_eq!(promise["date"], "2026-05-15");
    assert_eq!(promise["recorded_date"], workstation::AS_OF);
    assert_eq!(promise["collector"], "alice");
    assert_eq!(promise["documents"], serde_json::json!(["F1"]));
}

/// `:asof` a day after today makes the screen a view of that day, read-only: the title says
/// so, and a key that writes (`I` on a customer with a dispute, `n`) is refused naming both
/// dates; nothing is written (it said "Issue 1 resolved." and froze the issue until then).
#[test]
fn after_today_the_workstation_is_read_only() {
    let mut s = Session::showing((120, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    let today = chrono::Local::now().date_naive();
    let later = today.succ_opt().unwrap();
    s.press(
        &format!(":asof {later}\r"),
        &[&format!("as of {later}, after today: read-only")],
    );
    let refused = format!("this write is dated {later}, after today ({today})");
    s.press("/pizza\r", &["Pizza Palace", "Customer K5"]);
    // Pressed at once: the rows of `/pizz` may still be on screen, the page of `/pizza` on
    // its way; `I` waits for it (it said "No customer selected." now and then).
    s.press("I", &[&refused]);
    // Esc, then a person's pause: `n` in the same read would be Alt-n, and `q` after it lost.
    s.escape_then(&["Pizza Palace"]);
    s.press("n", &[&refused]);
    // The same sentence was on screen already: a person's pause lets the refusal of `n` be
    // drawn, or `q` counts among the keys typed after it, which are dropped.
    std::thread::sleep(Duration::from_millis(500));
    s.quit();
    let json = activity(&s, "K5");
    let issue = first_entry(&json, "issue");
    assert_eq!(issue["state"], "open", "{issue}");
}

/// Left open past midnight without `--as-of`, the workstation moves to the new day by itself
/// (no key pressed): the title says it, and a follow-up typed `today` is for that day (it used
/// to keep the day it was started on, and saved `today` as the day before). The time zone is
/// one whose midnight comes 10 s after the start: the ledger's (`owed config time-zone`), which
/// the workstation counts in whatever its own `TZ`.
#[test]
fn left_open_past_midnight_the_workstation_moves_to_the_new_day() {
    let (tz, today) = common::midnight_in(Duration::from_secs(10));
    let tomorrow = today.succ_opt().unwrap();
    let build = |dir: &std::path::Path| {
        let db = workstation::build(dir);
        let args = ["config", "time-zone", tz.as_str()];
        common::succeeded(
            &common::command_db(dir, db.to_str().unwrap(), &args)
                .output()
                .unwrap(),
        );
        db
    };
    let mut s = Session::start_as_of((140, 30), &[("TZ", "UTC")], build, "");
    s.wait_for(&[&format!("today {today}")]);
    s.wait_for(&[&format!("today {tomorrow}")]);
    s.press("/kite\r", &["Customer K1"]);
    s.press("f", &["Follow-up · Kite Supplies (K1)"]);
    s.press(
        "today\rCall AP\r",
        &[&format!(
            "saved: Follow-up 2 scheduled for K1 (Kite Supplies) on {tomorrow}."
        )],
    );
    s.quit();
}

#[test]
fn a_long_note_is_written_in_the_editor() {
    // An "editor" that writes two lines into the file it is given.
    let (_bin, mut s) = Session::with_editor(
        (100, 30),
        "Called Anna in AP.\\nShe will pay on Friday.\\n# a comment\\n",
    );
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.press("n", &["Note · Acme Corp (K6)"]);
    s.type_keys("\x05");
    // Back on the alternate screen, drawn whole again (without asking the terminal where
    // its cursor is: this one never answers).
    s.wait_for(&[
        "Called Anna in AP.↵She will pay on Friday.",
        "2 lines",
        "as of 2026-04-30",
        "Documents · 1 open of 1",
    ]);
    // No wide character is left half under the form's border.
    assert!(s.contents().contains("東京商事 │"), "{}", s.contents());
    assert!(s.screen.lock().unwrap().parser.screen().alternate_screen());
    // Ctrl-L repaints the same way.
    s.press("\x0c", &["2 lines", "as of 2026-04-30"]);
    s.press("\r", &["saved (dated today, not as of 2026-04-30): Note "]);
    s.quit();
    let json = activity(&s, "K6");
    let note = first_entry(&json, "note");
    assert_eq!(note["text"], "Called Anna in AP.\nShe will pay on Friday.");
}

/// The real terminal's bracketed paste: the workstation asks for it, and a paste is text,
/// never keys. Pasted on the queue, `n` opens no note and `q` does not quit; pasted into a
/// note, an email's line breaks (CR LF, as a terminal sends them) stay line breaks and save
/// nothing. Leaving, the terminal is given its plain paste back.
#[test]
fn a_paste_is_text_never_keys() {
    let mut s = Session::showing((100, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.wait_for_bytes(b"\x1b[?2004h");
    s.press(
        "\x1b[200~nq\x1b[201~",
        &["Pasted text is not taken for keys"],
    );
    s.press("n", &["Note · Acme Corp (K6)"]);
    s.press(
        "\x1b[200~Called Anna in AP.\r\nShe will pay on Friday.\r\nq\x1b[201~",
        &["Called Anna in AP.↵She will pay on Friday.↵q", "3 lines"],
    );
    s.press("\r", &["saved (dated today, not as of 2026-04-30): Note "]);
    s.quit();
    let raw = s.raw();
    let on = find(&raw, b"\x1b[?2004h").unwrap();
    assert!(raw[on..].windows(8).any(|w| w == b"\x1b[?2004l"));
    let note = first_entry(&activity(&s, "K6"), "note");
    assert_eq!(
        note["text"],
        "Called Anna in AP.\nShe will pay on Friday.\nq"
    );
}

#[test]
fn a_reminder_goes_out_from_the_workstation_and_the_engagement_screen_opens() {
    let server = smtp_server::SmtpServer::start();
    let config_dir = tempfile::tempdir().unwrap();
    workstation::cycles(config_dir.path());
    let config = config_dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "collector = \"alice\"\n[smtp]\nhost = \"127.0.0.1\"\nport = {}\n\
             security = \"none\"\nfrom = \"Collections <ar@example.com>\"\n",
            server.port
        ),
    )
    .unwrap();
    let mut s = Session::start((120, 40), &[("OWED_CONFIG", config.to_str().unwrap())]);
    s.wait_for(&["Acme Corp", "1 of 5"]);
    s.press("G", &["5 of 5", "Customer K1"]);
    // The picker starts on the reminder today's plan has for Kite (30 days overdue: Firm).
    s.press(
        "r",
        &[
            "Send a reminder to Kite Supplies",
            "courtesy",
            "Standard dunning / Firm · in today's plan",
        ],
    );
    s.press(
        "\r",
        &["Preview · firm · Kite Supplies", "To       Kite Supplies"],
    );
    s.press("s", &["Send “firm” to Kite Supplies?"]);
    assert!(server.received().is_empty(), "nothing before y");
    s.press("y", &["Done · 1 sent, 0 not sent", "Message-ID <owed."]);
    assert_eq!(server.received().len(), 1);
    // Closed (Esc alone: Esc then a key at once would read as Alt and the key): the
    // timeline beside the queue shows the reminder.
    s.type_keys("\x1b");
    let start = Instant::now();
    while s.contents().contains("Done · 1 sent") {
        assert!(start.elapsed() < PATIENCE, "the popup did not close");
        std::thread::sleep(Duration::from_millis(20));
    }
    s.wait_for(&["manual / firm 2026-04-30"]);
    s.press(
        "E",
        // Kite's reminder went out by hand; Acme paid after the plan's date.
        &[
            "Engagement · as of 2026-04-30",
            "Standard dunning",
            "Tokyo Tra",
            "Skipped 2",
        ],
    );
    // q goes back to the queue, and there quits.
    s.press("q", &["Queue · mine (alice)"]);
    s.quit();
}

/// Imports `customers` and `documents` (CSV text, USD the base currency) into
/// `dir/owed.db`, through the library's import, and returns the database.
fn imported(dir: &std::path::Path, customers: &str, documents: &str) -> std::path::PathBuf {
    let csv = dir.join("csv");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(csv.join("customers.csv"), customers).unwrap();
    std::fs::write(csv.join("documents.csv"), documents).unwrap();
    let db = dir.join("owed.db");
    let mut store = owed::store::Store::open_or_create(&db).unwrap();
    let options = owed::import::ImportOptions::by("test", chrono::Utc::now(), "USD");
    owed::import::import_paths(&mut store, &[csv], &options).unwrap();
    db
}

/// A portfolio whose names carry escape sequences, C1 controls, separators, bidirectional
/// overrides, ZWJ sequences, emoji presentation selectors, skin tones and combining marks;
/// every customer owes an amount of the same width.
fn hostile_portfolio(dir: &std::path::Path) -> std::path::PathBuf {
    imported(
        dir,
        "id,name,email,currency,finance_owner\n\
         H1,\x1b]52;c;SGVsbG8=\x07\x1b]0;TITLE\x07\x1b[2J Evil Co,a@h1.example,USD,alice\n\
         H2,Nel\u{85}Line\u{2028}Sep \u{202e}oc.live\u{202c} Ltd,a@h2.example,USD,alice\n\
         H3,👩\u{200d}💻 Dev ❤\u{fe0f} 👍🏻 GmbH,a@h3.example,USD,alice\n\
         H4,Ze\u{301}\u{301}\u{301}lda\u{200b}\u{ad} 東京商事,a@h4.example,USD,alice\n\
         H5,Plain Co,a@h5.example,USD,alice\n",
        "id,customer_id,type,doc_date,due_date,amount,currency\n\
         I1,H1,invoice,2026-01-01,2026-01-31,5555.00,USD\n\
         I2,H2,invoice,2026-01-02,2026-02-01,4444.00,USD\n\
         I3,H3,invoice,2026-01-03,2026-02-02,3333.00,USD\n\
         I4,H4,invoice,2026-01-04,2026-02-03,2222.00,USD\n\
         I5,H5,invoice,2026-01-05,2026-02-04,1111.00,USD\n",
    )
}

/// The column at which `needle` starts on screen row `row`, counted in cells.
fn column_of(screen: &vt100::Screen, row: u16, needle: &str) -> Option<u16> {
    let cols = screen.size().1.get();
    let cells: Vec<String> = (0..cols)
        .map(|c| {
            screen
                .cell(row, c)
                .map_or(String::new(), |x| x.contents().to_string())
        })
        .collect();
    (0..cols).find(|&start| {
        let mut text = String::new();
        for c in &cells[usize::from(start)..] {
            text.push_str(c);
            if text.len() >= needle.len() {
                break;
            }
        }
        text.starts_with(needle)
    })
}

#[test]
fn hostile_names_are_shown_and_keep_the_queue_columns() {
    let mut s = Session::start_on((120, 30), &[], hostile_portfolio);
    s.wait_for(&["Queue · mine (alice) · 1 of 5", "Plain Co"]);
    // Shown, not obeyed.
    s.wait_for(&[
        "␛]52;c;SGVsbG8=␇␛]0…",
        "Nel<U+0085>Line<U+2…",
        "👩💻 Dev ❤ 👍 GmbH",
    ]);
    {
        let screen = s.screen.lock().unwrap();
        let screen = screen.parser.screen();
        // Every row's amounts start in the same columns. The queue's rows come after its
        // column headings (the detail beside it may show the same amounts higher up).
        let header = (0..30)
            .find(|&r| column_of(screen, r, "Overdue▼").is_some())
            .unwrap_or_else(|| panic!("no queue headings:\n{}", screen.contents()));
        let mut overdue = Vec::new();
        let mut days = Vec::new();
        for (amount, age) in [
            ("5,555.00", "89"),
            ("4,444.00", "88"),
            ("3,333.00", "87"),
            ("2,222.00", "86"),
            ("1,111.00", "85"),
        ] {
            let row = (header + 1..30)
                .find(|&r| column_of(screen, r, amount).is_some())
                .unwrap_or_else(|| panic!("{amount} is not on screen:\n{}", screen.contents()));
            overdue.push(column_of(screen, row, amount).unwrap());
            let after = overdue.last().unwrap() + 8;
            let rest = screen.contents_between(row, after, row, after + 8);
            assert!(rest.contains(age), "{amount}: {rest:?}");
            days.push(rest.find(age).unwrap());
        }
        assert!(
            overdue.windows(2).all(|w| w[0] == w[1]),
            "overdue columns {overdue:?}:\n{}",
            screen.contents()
        );
        assert!(days.windows(2).all(|w| w[0] == w[1]), "days {days:?}");
    }
    s.quit();
    let raw = s.raw();
    for bad in [
        &b"\x1b]52"[..],
        b"\x1b]0;TITLE",
        "\u{85}".as_bytes(),
        "\u{2028}".as_bytes(),
        "\u{202e}".as_bytes(),
        "\u{200d}".as_bytes(),
        "\u{fe0f}".as_bytes(),
    ] {
        assert!(!contains(&raw, bad), "{bad:?} reached the terminal raw");
    }
}

/// What a terminal shows after the queue is sorted again, moving a name it draws as several
/// characters a grapheme (a flag's two regional indicators; every wide character in ASCII,
/// `??`) off its row, is what a whole redraw (`Ctrl-L`) shows: nothing of the name is left in
/// the columns the next name leaves blank.
#[test]
fn a_sort_moving_wide_names_leaves_nothing_of_them_behind() {
    fn portfolio(dir: &std::path::Path) -> std::path::PathBuf {
        imported(
            dir,
            "id,name,email,currency,finance_owner\n\
             F1,Zeta 東京商事 🇸🇪🇯🇵,a@f1.example,USD,alice\n\
             F2,Alpha,a@f2.example,USD,alice\n\
             F3,Beta,a@f3.example,USD,alice\n",
            "id,customer_id,type,doc_date,due_date,amount,currency\n\
             I1,F1,invoice,2026-01-01,2026-01-31,5555.00,USD\n\
             I2,F2,invoice,2026-01-02,2026-02-01,4444.00,USD\n\
             I3,F3,invoice,2026-01-03,2026-02-02,3333.00,USD\n",
        )
    }
    for env in [&[][..], &[("LANG", "C"), ("LC_ALL", "C")][..]] {
        let mut s = Session::start_on((120, 30), env, portfolio);
        s.wait_for(&["Customer F1", "Beta"]);
        // Cells written blank and cells never written look alike. The screen once it has
        // settled (the figures, DSO among them, arrive when they are computed: a slow
        // machine drew them between the two captures).
        let shown = |s: &Session| {
            let capture = || {
                s.contents()
                    .lines()
                    .map(str::trim_end)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let start = std::time::Instant::now();
            let mut last = capture();
            loop {
                std::thread::sleep(Duration::from_millis(300));
                let now = capture();
                let computing = ["DSO …", "loading", "computing"]
                    .iter()
                    .any(|t| now.contains(t));
                if (now == last && !computing) || start.elapsed() > PATIENCE {
                    return now;
                }
                last = now;
            }
        };
        s.type_keys("N");
        let sorted = shown(&s);
        s.type_keys("\x0c");
        assert_eq!(sorted, shown(&s), "{env:?}");
        s.quit();
    }
}

/// crossterm's leave-alternate-screen and show-cursor, as the workstation writes them when it
/// restores the terminal.
const RESTORED: &[u8] = b"\x1b[?1049l\x1b[?25h";

/// After `signal` the workstation ends with 128 + its number, and leaves the terminal as it
/// found it: normal screen, cursor shown, canonical mode with echo.
#[cfg(unix)]
fn restores_the_terminal_on(signal: i32) {
    let mut s = Session::showing((100, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    assert_eq!(s.cooked(), (false, false), "raw while it runs");
    s.signal(signal);
    assert_eq!(s.wait_exit(), 128 + signal as u32);
    s.wait_for_bytes(RESTORED);
    assert_eq!(s.cooked(), (true, true), "canonical mode and echo are back");
    let raw = s.raw();
    let at = raw
        .windows(RESTORED.len())
        .rposition(|w| w == RESTORED)
        .unwrap();
    // Nothing but the sentence saying why follows the restore.
    let after = String::from_utf8_lossy(&raw[at + RESTORED.len()..]).into_owned();
    assert!(!after.contains('\x1b'), "{after:?}");
    assert!(!s.screen.lock().unwrap().parser.screen().alternate_screen());
    assert!(!s.screen.lock().unwrap().parser.screen().hide_cursor());
}

#[cfg(unix)]
#[test]
fn sigterm_restores_the_terminal() {
    restores_the_terminal_on(libc::SIGTERM);
}

/// A note saved while another program holds the write lock, then SIGTERM: the terminal is
/// put back at once, and the process ends once the note is written, when the lock is free.
/// (It ended at once, and the note the form had said "is saved when it is done" was never
/// written; a bulk note was cut off part-way.)
#[cfg(unix)]
#[test]
fn a_save_in_progress_is_finished_before_a_signal_ends_the_workstation() {
    let mut s = Session::showing((120, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    let db = s.dir.join("owed.db");
    let import = rusqlite::Connection::open(&db).unwrap();
    import.execute_batch("BEGIN IMMEDIATE").unwrap();
    s.press("n", &["Note · Acme Corp (K6)"]);
    s.type_keys("Held up by an import\r");
    s.wait_for(&["waiting for the database"]);
    s.signal(libc::SIGTERM);
    s.wait_for_bytes(b"finishing 1 save(s) in progress");
    assert!(
        s.child.try_wait().unwrap().is_none(),
        "ended before its save"
    );
    import.execute_batch("COMMIT").unwrap();
    assert_eq!(s.wait_exit(), 128 + libc::SIGTERM as u32);
    let sql = "SELECT count(*) FROM notes WHERE text = 'Held up by an import'";
    assert_eq!(common::value::<i64>(&db, sql), 1);
}

#[cfg(unix)]
#[test]
fn sighup_restores_the_terminal() {
    restores_the_terminal_on(libc::SIGHUP);
}

#[cfg(unix)]
#[test]
fn sigint_restores_the_terminal() {
    restores_the_terminal_on(libc::SIGINT);
}

/// The state letter of a process in /proc (`T` when stopped).
#[cfg(target_os = "linux")]
fn process_state(s: &Session) -> char {
    let pid = s.child.process_id().unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 1..];
    after.trim_start().chars().next().unwrap()
}

#[cfg(target_os = "linux")]
fn wait_for_state(s: &Session, want: impl Fn(char) -> bool) {
    let start = Instant::now();
    while !want(process_state(s)) {
        assert!(start.elapsed() < PATIENCE, "state {}", process_state(s));
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wipes what the emulator shows on the alternate screen, as a terminal that lost it would:
/// only a whole new frame brings the workstation back.
fn forget_screen(s: &Session) {
    s.screen
        .lock()
        .unwrap()
        .parser
        .process(b"\x1b[?1049h\x1b[2J\x1b[?1049l");
}

#[cfg(target_os = "linux")]
#[test]
fn ctrl_z_suspends_and_sigcont_redraws_the_whole_frame() {
    let mut s = Session::showing((100, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.press("j", &["2 of 5"]);
    let before = s.raw().len();
    s.type_keys("\x1a");
    wait_for_state(&s, |c| c == 'T');
    // Stopped with the terminal given back (the bytes written before it stopped may still be
    // on their way to the emulator).
    let start = Instant::now();
    while !contains(&s.raw()[before..], RESTORED) {
        assert!(
            start.elapsed() < PATIENCE,
            "the terminal was not given back"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.cooked(), (true, true));
    assert!(!s.screen.lock().unwrap().parser.screen().alternate_screen());
    forget_screen(&s);
    // `fg`: the shell continues it.
    s.signal(libc::SIGCONT);
    wait_for_state(&s, |c| c != 'T');
    s.wait_for(&[
        "as of 2026-04-30",
        "Acme Corp",
        "Queue · mine (alice) · 2 of 5",
    ]);
    assert!(s.screen.lock().unwrap().parser.screen().alternate_screen());
    assert_eq!(s.cooked(), (false, false), "raw again");
    // Keys work again, and a SIGTSTP from outside suspends the same way.
    s.press("j", &["3 of 5"]);
    s.signal(libc::SIGTSTP);
    wait_for_state(&s, |c| c == 'T');
    assert_eq!(s.cooked(), (true, true));
    forget_screen(&s);
    s.signal(libc::SIGCONT);
    s.wait_for(&["as of 2026-04-30", "3 of 5"]);
    s.quit();
    assert_eq!(s.cooked(), (true, true));
}

/// Suspended with Ctrl-Z in a shell, then `kill -TERM %1` (bash sends SIGCONT behind it, the
/// job still in the background) or `kill -HUP %1`: the workstation ends, as it would running,
/// without waiting for `fg`. (Continued in the background, it set its terminal's modes again
/// and was stopped by SIGTTOU for it: it stayed stopped until `fg`.)
#[cfg(target_os = "linux")]
#[test]
fn a_suspended_workstation_ends_on_sigterm_or_sighup_in_the_background() {
    for signal in ["TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let db = workstation::build(dir.path());
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: 30,
                cols: 100,
                ..PtySize::default()
            })
            .unwrap();
        let mut cmd = CommandBuilder::new("bash");
        cmd.args(["--norc", "--noprofile", "-i"]);
        cmd.cwd(dir.path());
        cmd.env("TERM", "xterm-256color");
        cmd.env("PS1", "$ ");
        cmd.env("XDG_CONFIG_HOME", dir.path().join("config"));
        cmd.env("HOME", dir.path());
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("OWED_CONFIG");
        cmd.env_remove("OWED_THEME");
        let mut shell = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let mut writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(nz(30), nz(100), 0)));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            common::read_chunks(&mut reader, |bytes| sink.lock().unwrap().process(bytes));
        });
        let wait_for = |text: &str| {
            let start = Instant::now();
            loop {
                let contents = screen.lock().unwrap().screen().contents();
                if contents.contains(text) {
                    return contents;
                }
                assert!(
                    start.elapsed() < PATIENCE,
                    "waited for {text:?}; the screen shows:\n{contents}"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        let mut type_keys = |keys: &str| {
            writer.write_all(keys.as_bytes()).unwrap();
            writer.flush().unwrap();
        };
        let owed = env!("CARGO_BIN_EXE_owed");
        type_keys(&format!(
            "'{owed}' --db '{}' --as alice --as-of 2026-04-30\r",
            db.display()
        ));
        wait_for("Queue · mine (alice) · 1 of 5");
        type_keys("n");
        wait_for("Note · Acme Corp (K6)");
        type_keys("typed before the stop");
        wait_for("typed before the stop");
        type_keys("\x1a");
        wait_for("Stopped");
        type_keys("echo \"job $(jobs -p %1)\"\r");
        // The line the shell prints (its echo of the command comes first).
        let start = Instant::now();
        let pid: u32 = loop {
            let shown = screen.lock().unwrap().screen().contents();
            if let Some(pid) = shown
                .lines()
                .find_map(|l| l.strip_prefix("job ")?.trim().parse().ok())
            {
                break pid;
            }
            assert!(start.elapsed() < PATIENCE, "no pid in:\n{shown}");
            std::thread::sleep(Duration::from_millis(20));
        };
        type_keys(&format!("kill -{signal} %1\r"));
        let start = Instant::now();
        loop {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let after = stat[stat.rfind(')')? + 1..].trim_start().to_string();
                    after.chars().next()
                });
            match state {
                None | Some('Z') => break,
                Some(state) => assert!(
                    start.elapsed() < PATIENCE,
                    "SIG{signal}: still {state} (T: stopped) after {:?}",
                    start.elapsed()
                ),
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // The shell's prompt on the normal screen.
        type_keys("echo $((6 * 7))\r");
        wait_for("42");
        assert!(!screen.lock().unwrap().screen().alternate_screen());
        type_keys("exit\r");
        let _ = shell.wait();
    }
}

/// The screen's rows, for looking at one part of it.
fn rows(s: &Session) -> Vec<String> {
    s.contents().lines().map(str::to_string).collect()
}

#[test]
fn a_save_in_the_detail_stays_on_its_customer_and_the_queue_names_the_next() {
    let mut s = Session::showing((120, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    // The full-screen detail of Acme Corp (a narrow screen has no detail beside the queue).
    s.resize(90, 30);
    // At 90 columns the queue's last-contact column is called by its full name.
    s.wait_for(&["Contact"]);
    s.press("\r", &["Customer K6", "Payments"]);
    s.press("n", &["Note · Acme Corp (K6)"]);
    s.type_keys("Asked for the remittance advice\r");
    // Still Acme's detail (the note counts from today, after the session's date: it is not
    // in this timeline), and the next form is for Acme again.
    s.wait_for(&[
        "saved (dated today, not as of 2026-04-30): Note 3 recorded for K6 (Acme Corp).",
        "Customer K6",
    ]);
    s.press("p", &["Promise to pay · Acme Corp (K6)"]);
    s.type_keys("\x1b");
    std::thread::sleep(Duration::from_millis(300));
    // Back in the queue (wide enough for the whole status line), a save moves on and the
    // footer says to whom.
    s.press("\x1b", &["Queue · mine (alice) · 1 of 5"]);
    s.resize(130, 30);
    std::thread::sleep(Duration::from_millis(300));
    s.press("n", &["Note · Acme Corp (K6)"]);
    s.press("Second call\r", &[
        "saved (dated today, not as of 2026-04-30): Note 4 recorded for K6 (Acme Corp). · next: 東京商事株式会社 Tokyo Trading (K4)",
        "2 of 5",
    ]);
    s.quit();
}

/// Runs `owed ARGS` on the session's database (as alice, as of the fixture's date).
fn owed_cli(s: &Session, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--as", "alice", "--as-of", workstation::AS_OF];
    all.extend_from_slice(args);
    run_owed(&s.dir, &s.dir.join("owed.db"), &all)
}

#[test]
fn documents_go_by_their_number_in_the_detail_the_forms_and_the_commands() {
    let mut s = Session::showing((120, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    // The detail names the dates: the due date and the days overdue under their headings,
    // the document date on the line below.
    s.wait_for(&[
        "Number  Due        Overdue      Open",
        "INV-600 2026-03-10     51d 12,000.00",
        "↳ dated 2026-02-08",
    ]);
    // The promise form proposes the number, and takes a number typed.
    s.press(
        "p",
        &["Promise to pay · Acme Corp (K6)", "Documents INV-600"],
    );
    s.press(
        "\x1b[B2026-05-15\x1b[B\x15INV-600",
        &["1 document, 12,000.00 USD open"],
    );
    // Another customer's number is refused, naming whose it is not.
    s.press(
        "\x15INV-700",
        &["`INV-700` is not an open invoice or debit note of Acme Corp"],
    );
    s.press(
        "\x15INV-600\r",
        &["saved (back-dated to 2026-04-30): Promise 3 recorded: K6 (Acme Corp) to pay"],
    );
    s.quit();
    let promise = promise_in_log(&s, "K6", 3);
    assert_eq!(promise["documents"], serde_json::json!(["F1"]));
    // The command line takes the number or the id, and says the number.
    for document in ["INV-700", "G1"] {
        let out = owed_cli(
            &s,
            &[
                "promise",
                "K7",
                "--amount",
                "100",
                "--date",
                "2026-05-20",
                "--document",
                document,
            ],
        );
        succeeded(&out);
        assert!(
            String::from_utf8_lossy(&out.stdout)
                .contains("to pay 100.00 USD by 2026-05-20 for INV-700."),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    let out = owed_cli(
        &s,
        &[
            "dispute",
            "K7",
            "--reason",
            "pricing",
            "--document",
            "INV-600",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("document `INV-600` belongs to customer `K6`, not `K7`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_timeline_closes_the_loop_follow_up_done_and_promise_voided() {
    // Today: a follow-up done and a void count from the day they are written.
    let mut s = Session::start_as_of((90, 40), &[], workstation::build, "");
    s.wait_for(&["Kite Supplies", "Queue · mine (alice) · 1 of"]);
    // At 90 columns, beside the saved views, the tabs go by their short names.
    s.wait_for(&["P2P 2 F-up 1"]);
    // Acme Widgets' follow-up: its detail, the timeline, `d`, Enter.
    s.open_timeline(
        "4",
        &["Acme Widgets", "1 of 1"],
        &[
            "Customer K7",
            "#1 for 2026-04-29 — Call back about the PO number",
        ],
        "d Follow-up done",
    );
    s.press(
        "d",
        &["Follow-up done · Acme Widgets (K7)", "follow-up 1 ·"],
    );
    s.press("\r", &["saved: Follow-up 1 done.", "Customer K7"]);
    // The timeline shows it done: `d` again says so.
    s.wait_for(&["done      alice    #1 Call back about the PO number"]);
    s.press("d", &["Follow-up 1 is done already."]);
    // Back in the queue the Follow-ups tab is empty at once.
    s.type_keys("\x1b");
    s.escape_then(&["F-up 0", "No customers in Follow-ups."]);
    // Acme Corp's promise: voided from its timeline, with a reason.
    s.open_timeline(
        "3/Acme Corp\r",
        &["filter: Acme Corp · 1 of 1", "P2P 1"],
        &["Customer K6", "#1 5,000.00 USD by 2026-04-25"],
        "v Void the promise",
    );
    s.type_keys("G");
    s.press("v", &["Void a promise · Acme Corp (K6)", "promise 1 ·"]);
    s.press(
        "Recorded on the wrong customer\r",
        &["saved: Promise 1 voided.", "Customer K6"],
    );
    s.type_keys("\x1b");
    s.escape_then(&["P2P 0", "No customers in Promises match `Acme Corp`."]);
    s.escape_then(&["P2P 1 F-up 0"]);
    s.quit();
    let promise = promise_in_log(&s, "K6", 1);
    assert_eq!(promise["state"], "voided", "{promise}");
}

#[test]
fn the_timeline_resolves_an_issue_with_an_outcome_and_reopens_it() {
    let mut s = Session::showing(
        (120, 40),
        &["Acme Corp", "Queue · mine (alice) · 1 of 5", "Disp 1"],
    );
    // Pizza Palace's dispute: the Disputes tab, its detail, the timeline, `I`.
    s.open_timeline(
        "5",
        &["Pizza Palace", "1 of 1"],
        &[
            "Customer K5",
            "#1 pricing 800.00 USD — Charged the old menu price",
        ],
        "I Resolve the issue",
    );
    s.type_keys("I");
    // The form is on the entry's issue; the cursor starts in the outcome, Tab cycles it.
    s.wait_for(&[
        "Resolve a dispute · 🍕 Pizza Palace (K5)",
        "issue 1 · 2026-04-02",
        "› Outcome",
        "optional; Tab: valid, invalid, written_off (a manager's)",
    ]);
    s.press(
        "\t\t",
        &[
            "› Outcome    invalid",
            "the customer was wrong: they are chased for the gap",
        ],
    );
    s.press(
        "\x1b[BThe old price was in the contract\r",
        &[
            "saved (back-dated to 2026-04-30): Issue 1 resolved (invalid).",
            "Customer K5",
        ],
    );
    // The timeline names the outcome; the log has it.
    s.wait_for(&["#1 pricing, invalid — The old price was in the contract"]);
    let issue = |s: &Session| {
        activity(s, "K5")["activity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "issue" && e["id"] == 1)
            .expect("the issue is in the log")
            .clone()
    };
    let json = issue(&s);
    assert_eq!(json["state"], "resolved", "{json}");
    assert_eq!(json["outcome"], "invalid", "{json}");
    assert_eq!(
        json["resolution"], "The old price was in the contract",
        "{json}"
    );
    // `I` again says it is resolved; back in the queue the Disputes tab is empty.
    s.press("I", &["Issue 1 is resolved already (o reopens it)."]);
    s.type_keys("\x1b");
    s.escape_then(&["Disp 0", "No customers in Disputes."]);
    // Reopened from the timeline: its newest entry is the resolution.
    std::thread::sleep(Duration::from_millis(300));
    s.press("2/pizza\r", &["filter: pizza · 1 of 1"]);
    s.press("\r", &["Customer K5", "#1 pricing, invalid"]);
    s.press(
        "\to",
        &["Reopen a dispute · 🍕 Pizza Palace (K5)", "issue 1 ·"],
    );
    s.press(
        "They found the newer price list\r",
        &[
            "saved (back-dated to 2026-04-30): Issue 1 reopened.",
            "Customer K5",
        ],
    );
    s.press("o", &["Issue 1 is open (I resolves it)."]);
    s.type_keys("\x1b");
    s.escape_then(&["filter: pizza · 1 of 1", "Disp 1"]);
    s.quit();
    let json = issue(&s);
    assert_eq!(json["state"], "open", "{json}");
    let events: Vec<(String, serde_json::Value)> = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["outcome"].clone(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("resolve".to_string(), serde_json::json!("invalid")),
            ("reopen".to_string(), serde_json::Value::Null),
        ],
        "{json}"
    );
}

#[test]
fn escape_on_a_typed_form_asks_and_keeps_a_draft_per_customer() {
    // An "editor" that writes a line into the file it is given.
    let (_bin, mut s) =
        Session::with_editor((100, 30), "Spoke to Anna in AP about the credit note.\\n");
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.press("n", &["Note · Acme Corp (K6)"]);
    s.press("Left a voicemail", &["Left a voicemail"]);
    // Esc asks; Esc again (or n) goes back to the form with the text.
    s.press(
        "\x1b",
        &["Close? y: keep a draft · x: throw it away · n: back to the form"],
    );
    s.escape_then(&["› Note      Left a voicemail"]);
    assert!(!s.contents().contains("Close?"));
    // The text written in $EDITOR is asked about the same way; y keeps it as a draft.
    s.press("\x05", &["Spoke to Anna in AP about the credit note."]);
    s.escape_then(&["Close? y: keep a draft"]);
    s.press(
        "y",
        &["Draft kept: the same form on Acme Corp (K6) brings it back."],
    );
    // Another customer's note starts empty; Acme's brings the draft back.
    s.press("jn", &["Note · 東京商事株式会社 Tokyo Trading (K4)"]);
    assert!(!s.contents().contains("Spoke to Anna"));
    s.escape_then(&["? Help"]);
    s.press(
        "kn",
        &[
            "Note · Acme Corp (K6)",
            "Spoke to Anna in AP about the credit note.",
            "Your draft, as you left it",
        ],
    );
    // x throws it away: the next note on Acme starts empty.
    s.escape_then(&["Close? y: keep a draft"]);
    s.press("x", &["Thrown away; nothing was saved."]);
    s.press("n", &["Note · Acme Corp (K6)", "writes it in $EDITOR"]);
    assert!(!s.contents().contains("Spoke to Anna"));
    s.escape_then(&["? Help"]);
    s.quit();
    assert!(
        activity(&s, "K6")["activity"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["kind"] != "note")
    );
}

/// A customer with four overdue invoices (75,523.88 USD in all) and one not due yet.
fn several_overdue(dir: &std::path::Path) -> std::path::PathBuf {
    imported(
        dir,
        "id,name,email,currency,finance_owner\nC158,Nguyen Farms,ap@nguyen.example,USD,alice\n",
        "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
         D1,C158,invoice,NF-0001,2026-01-05,2026-02-04,500.00,USD\n\
         D2,C158,invoice,NF-0002,2026-01-20,2026-02-19,700.00,USD\n\
         D3,C158,invoice,NF-0003,2026-02-10,2026-03-12,900.00,USD\n\
         D4,C158,invoice,NF-0004,2026-03-01,2026-03-31,73423.88,USD\n\
         D5,C158,invoice,NF-0005,2026-04-20,2026-05-20,2000.00,USD\n",
    )
}

#[test]
fn a_partial_dispute_takes_out_of_dunning_only_what_it_covers() {
    let mut s = Session::start_on((120, 30), &[], several_overdue);
    s.wait_for(&["Nguyen Farms", "Queue · mine (alice) · 1 of 1"]);
    s.press(
        "i",
        &[
            "Dispute · Nguyen Farms (C158)",
            "Overdue 75,523.88 USD in 4 documents",
        ],
    );
    // No amount yet: every overdue document, and it says so.
    s.wait_for(&["NF-0001, NF-0002, NF-0003, NF-0004"]);
    s.press(
        "pri\t\x1b[B1200",
        &[
            "1,200.00 USD",
            "Documents NF-0001, NF-0002",
            "2 overdue stay; 2 leave dunning (1,200.00 USD): NF-0001, NF-",
        ],
    );
    s.press(
        "\r",
        &["saved (back-dated to 2026-04-30): Issue 1 opened for C158 (Nguyen Farms): pricing,"],
    );
    s.quit();
    let json = activity(&s, "C158");
    let issue = first_entry(&json, "issue");
    assert_eq!(issue["documents"], serde_json::json!(["D1", "D2"]));
}

#[test]
fn the_default_theme_writes_16_colour_codes_and_q_goes_back_below_the_queue() {
    let mut s = Session::showing((100, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    // q in the chart, in the detail and on the engagement screen goes back; in the queue it
    // quits.
    s.press("\t", &["Enter View these customers"]);
    s.press("q", &["/ Filter"]);
    s.resize(90, 30);
    // At 90 columns the queue's last-contact column is called by its full name.
    s.wait_for(&["Contact"]);
    s.press("\r", &["Customer K6"]);
    s.press("q", &["Queue · mine (alice) · 1 of 5"]);
    s.press("E", &["Engagement · as of 2026-04-30"]);
    s.press("q", &["Queue · mine (alice) · 1 of 5"]);
    // Help lists every command with every value the command line takes.
    s.resize(120, 40);
    s.press(
        "?G",
        &[
            ":sort KEY [asc|desc] overdue, days, outstanding, contact, name, risk",
            ":tab NAME",
            "promises, followups, disputes, replies, risk",
            ":chart [NAME]",
            "cash",
            ":asof DATE",
            "-7d",
        ],
    );
    s.press("q", &["/ Filter"]);
    s.quit();
    let raw = String::from_utf8_lossy(&s.raw()).into_owned();
    assert!(
        !raw.contains("38;5;"),
        "a 256-colour code in the default theme"
    );
    assert!(
        !raw.contains("48;5;"),
        "a 256-colour code in the default theme"
    );
    // The theme's cyan and dark grey, as the 16-colour codes.
    assert!(raw.contains("\x1b[36;49m") || raw.contains(";46m"), "cyan");
    assert!(raw.contains("\x1b[90;49m"), "dark grey");
}

/// A key typed while the window is being resized is answered at once, not held back until
/// the next key. (crossterm's default event source could drop the terminal's readiness when
/// the resize signal came in the same wake-up, and the key then waited: a collector pressed
/// `?` while dragging the window and nothing happened.)
#[test]
fn a_key_typed_during_a_resize_is_answered_at_once() {
    let mut s = Session::showing((100, 30), &["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    for i in 0..16u16 {
        let (cols, rows) = if i % 2 == 0 { (120, 40) } else { (100, 30) };
        s.resize(cols, rows);
        s.press("?", &["Keys · Esc closes"]);
        s.type_keys("q");
        s.wait_without("Keys · Esc closes");
    }
    s.quit();
}

#[test]
fn without_a_utf8_locale_the_frames_are_ascii() {
    let mut s = Session::start(
        (100, 30),
        &[("LANG", "C"), ("LC_ALL", ""), ("LC_CTYPE", "")],
    );
    s.wait_for(&["Acme Corp", "Queue | mine (alice) | 1 of 5"]);
    s.press("\r", &["Documents | 1 open of 1"]);
    // q goes back from the detail, then quits.
    s.press("q", &["Queue | mine (alice) | 1 of 5"]);
    s.quit();
    let raw = s.raw();
    assert!(
        raw.iter().all(|b| b.is_ascii()),
        "{}",
        String::from_utf8_lossy(&raw)
    );
}

#[test]
fn a_dumb_terminal_is_refused_in_one_sentence() {
    let mut s = Session::start((100, 30), &[("TERM", "dumb")]);
    s.wait_for(&["the workstation cannot draw on TERM=dumb"]);
    assert_eq!(s.wait_exit(), 2);
    assert!(!contains(&s.raw(), b"\x1b[?1049h"), "no alternate screen");
}

/// The 2,000-customer demo (as of 25 November 2026) in `dir`.
fn demo(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("owed.db");
    let args = [
        "--as-of",
        "2026-11-25",
        "demo",
        "--no-tui",
        "--customers",
        "2000",
    ];
    succeeded(&run_owed(dir, &db, &args));
    db
}

/// The queue's tab bar on screen, if any.
fn tab_bar(s: &Session) -> Option<String> {
    rows(s)
        .into_iter()
        .find(|r| r.contains("Overdue ") && r.contains("All ") && r.contains("Risk"))
}

#[test]
fn back_from_another_date_the_risk_tab_waits_for_its_forecast() {
    let mut s = Session::start_as_of((120, 36), &[], demo, "");
    s.wait_for(&["Queue · mine (alice) · 1 of"]);
    // The forecast of today: the tab counts high-risk customers.
    let start = Instant::now();
    let count = loop {
        if let Some(bar) = tab_bar(&s)
            && let Some(n) = bar.split("Risk ").nth(1)
            && let Ok(n) = n.split_whitespace().next().unwrap_or("").parse::<u64>()
        {
            break n;
        }
        assert!(start.elapsed() < PATIENCE, "{}", s.contents());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(count > 0, "the demo has high-risk customers");
    // `-7d` counts from the real today (the session opened on it), not from a fixed date.
    let week_ago = chrono::Local::now().date_naive() - chrono::Days::new(7);
    s.press(":asof -7d\r", &[&format!("as of {week_ago}")]);
    s.type_keys(":asof today\r");
    // Today's portfolio ended when the session left it: it is computed again, the forecast
    // last. Until it is, the tab says so, whatever the detail shows.
    let start = Instant::now();
    loop {
        let screen = s.contents();
        let bar = tab_bar(&s).unwrap_or_default();
        assert!(
            !bar.contains("Risk 0 "),
            "the risk tab counted without a forecast:\n{screen}"
        );
        if screen.contains(" as of 20") && bar.contains(&format!("Risk {count}")) {
            break;
        }
        assert!(start.elapsed() < PATIENCE, "{screen}");
        std::thread::sleep(Duration::from_millis(5));
    }
    s.quit();
}

/// The fixture, with a 1,000.00 EUR pricing dispute on Lumen GmbH (bob's) beside Pizza
/// Palace's 800.00 USD one.
fn with_a_euro_dispute(dir: &std::path::Path) -> std::path::PathBuf {
    let db = workstation::build(dir);
    let args = ["--as", "bob", "--as-of", workstation::AS_OF];
    let dispute = ["dispute", "K2", "--reason", "pricing", "--amount", "1000"];
    succeeded(&run_owed(dir, &db, &[&args[..], &dispute[..]].concat()));
    db
}

#[test]
fn the_dashboard_is_of_the_queues_scope_and_its_bars_list_what_they_counted() {
    let mut s = Session::start_on((120, 40), &[], with_a_euro_dispute);
    // Mine: alice's customers, named in the bar.
    s.wait_for(&[
        "alice's 8 customers  Outstanding 24.6k  Overdue 20.9k  Net overdue 20.8k",
        "Queue · mine (alice) · 1 of 5",
    ]);
    // The issues chart: alice's one issue and follow-up.
    s.press(
        ":chart issues\r",
        &["Issues and follow-ups · 1 issue 800.00 · 1 follow-up due"],
    );
    // Everyone's: the euro dispute converted at its day's rate (1,000.00 EUR at 1.12).
    s.press(
        "m",
        &[
            "Everyone's 10 customers  Outstanding 26.3k",
            "Issues and follow-ups · 2 issues 1,920.00 · 1 follow-up due",
            "1,920.00 · 2 issues · 100%",
        ],
    );
    // Enter on the reason: exactly the two customers it counted.
    s.press(
        "\t\r",
        &[
            "Queue · everyone · filter: issue:pricing · 1 of 2",
            "Customers with an open pricing issue.",
            "Lumen GmbH",
            "Pizza Palace",
        ],
    );
    // The bar follows the filter.
    s.wait_for(&["Everyone's 2 customers matching issue:pricing"]);
    // The net overdue chart: Enter on 31-60 lists the one customer with net overdue there
    // (Kite Supplies' 60.00 in 1-30 is covered by its credit: not in 1-30's either).
    s.escape_then(&["Everyone's 10 customers"]);
    s.press(":chart overdue\r", &["Net overdue by age"]);
    s.press(
        "\tj\r",
        &[
            "Queue · everyone · filter: net:31-60 · 1 of 1",
            "Customers with net overdue in 31-60.",
            "Acme Corp",
        ],
    );
    s.escape_then(&["Everyone's 10 customers"]);
    s.press("\tk\r", &["Queue · everyone · filter: net:1-30 · 1 of 3"]);
    assert!(!s.contents().contains("Kite Supplies"), "{}", s.contents());
    s.press(
        ":chart collectable\r",
        &["Outstanding and collectable in April, with unutilised credit"],
    );
    s.quit();
}

/// The workstation's portfolio, with a picture and a text file in the session's folder (the
/// workstation's working directory) to attach.
fn with_files_to_attach(dir: &std::path::Path) -> std::path::PathBuf {
    let db = workstation::build(dir);
    let img = image::RgbImage::from_fn(120, 60, |x, y| {
        if (x / 20 + y / 20) % 2 == 0 {
            image::Rgb([200, 30, 30])
        } else {
            image::Rgb([30, 30, 200])
        }
    });
    img.save(dir.join("cheque-scan.png")).unwrap();
    std::fs::write(
        dir.join("remittance.txt"),
        "REMITTANCE ADVICE\nINV-600 12,000.00\n",
    )
    .unwrap();
    db
}

#[test]
fn a_file_attached_in_the_workstation_opens_as_a_picture_in_half_blocks() {
    let mut s = Session::start_on((100, 30), &[], with_files_to_attach);
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    // The attach form: a path typed with Tab completion, a second file after `;`.
    s.press("A", &["Attach files · Acme Corp (K6)"]);
    s.press("cheque\t", &["cheque-scan.png"]);
    s.type_keys("; rem\t");
    s.wait_for(&["2 files"]);
    s.press(
        "\r",
        &["saved (dated today, not as of 2026-04-30): Attachments 1 cheque-scan.png"],
    );
    // Back on Acme Corp, its detail lists them; v opens the newest (the text), j the next.
    s.press("k\r", &["Customer K6", "Attachments · 2 · v opens them"]);
    s.press(
        "v",
        &["remittance.txt · text", "REMITTANCE ADVICE", "1 of 2"],
    );
    s.press(
        "j",
        &["Attachment 1: cheque-scan.png · PNG image", "2 of 2"],
    );
    let start = Instant::now();
    while !s.contents().contains('▀') {
        assert!(
            start.elapsed() < PATIENCE,
            "no half blocks:\n{}",
            s.contents()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Drawn in colour within the default theme's 16 colours (on this 256-colour terminal
    // too): the red and blue squares as ANSI red (1) and blue (4) cells.
    {
        let screen = s.screen.lock().unwrap();
        let (rows, cols) = screen.parser.screen().size();
        let (rows, cols) = (rows.get(), cols.get());
        let cells: Vec<_> = (0..rows)
            .flat_map(|r| (0..cols).map(move |c| (r, c)))
            .filter_map(|(r, c)| screen.parser.screen().cell(r, c))
            .filter(|cell| cell.contents() == "▀")
            .map(|cell| (cell.fgcolor(), cell.bgcolor()))
            .collect();
        let ansi = [vt100::Color::Idx(1), vt100::Color::Idx(4)];
        let coloured = cells
            .iter()
            .filter(|(fg, bg)| ansi.contains(fg) && ansi.contains(bg))
            .count();
        assert!(coloured > 100, "{coloured} red and blue half blocks");
        assert!(
            cells
                .iter()
                .all(|(fg, bg)| matches!((fg, bg), (vt100::Color::Idx(f), vt100::Color::Idx(b)) if *f < 16 && *b < 16)),
            "{cells:?}"
        );
    }
    assert!(
        !contains(&s.raw(), b"38;5;"),
        "a 256-colour code was written"
    );
    assert!(
        !contains(&s.raw(), b"48;5;"),
        "a 256-colour code was written"
    );
    // The terminal was asked once which graphics it shows, answered nothing, and got half
    // blocks: no kitty or sixel picture was written.
    assert_eq!(s.graphics_queries(), 1);
    assert!(!contains(&s.raw(), b"\x1b_Ga=T") && !contains(&s.raw(), b"\x1bP"));
    s.press("\x1b", &["Customer K6"]);
    // q goes back from the detail, and quits from the queue.
    s.press("q", &["Queue · mine (alice)"]);
    s.quit();
}

/// `owed user add` on the session's database, as the file's owner.
fn add_user(db: &std::path::Path, name: &str, key: &str, role: &str) {
    let config = db.with_file_name("empty-config.toml");
    std::fs::write(&config, "").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .args(["--db", db.to_str().unwrap(), "--as", "root", "user", "add"])
        .args([name, "--key", key, "--role", role])
        .env_remove("OWED_DB")
        .env("OWED_CONFIG", &config)
        .output()
        .unwrap();
    succeeded(&out);
}

/// The team screen through the real binary: the file's owner (a manager) opens it with
/// `:team`, moves to a collector and goes back; a registered collector's `M` is refused with
/// the service's sentence on the footer.
#[test]
fn a_manager_opens_the_team_screen_and_a_collector_is_told_it_is_for_managers() {
    let mut s = Session::showing((120, 30), &["Queue · mine (alice)", "Acme Corp"]);
    s.press(
        ":team\r",
        &[
            "Team as of 2026-04-30 (USD)",
            "Collector",
            "Broken, no f/u",
            " alice ",
            " carol ",
            " total ",
        ],
    );
    s.press(
        "j\r",
        &["Queue · everyone · filter: owner:bob", "Lumen GmbH"],
    );
    s.quit();

    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    add_user(
        &db,
        "dana",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF+jMxy1UPKN0+nNElB1xHLM8zFpOthxWeZrE809X5E7 dana",
        "manager",
    );
    add_user(
        &db,
        "alice",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMo/kSXwAAUcvvpsIZ+5IYX/PDHZGGcxW4/4StaQ+pbR alice",
        "collector",
    );
    let mut c = Session::start_in(dir.path(), &db, (120, 30), &[], workstation::AS_OF);
    c.wait_for(&["Queue · mine (alice)", "Acme Corp"]);
    c.press(
        "M",
        &["alice (collector) may not see the team's figures: the team screen is for managers"],
    );
    assert!(!c.contents().contains("Team as of"));
    c.quit();
}

/// The "Today" figure (customers touched on the date) of `collector`'s row of the team
/// screen `contents` (the row's fifth word: name, customers, overdue customers, overdue
/// amount, today).
fn touched_today(contents: &str, collector: &str) -> Option<String> {
    let row = contents
        .lines()
        .find(|l| l.starts_with(&format!(" {collector} ")))?;
    row.split_whitespace().nth(4).map(str::to_string)
}

/// The team screen refreshes itself: a promise recorded by another process (`owed promise`,
/// which the service's watch of the database sees) shows in the manager's figures without a
/// key: alice touched a second customer on the date.
#[test]
fn the_team_screen_shows_another_processs_promise_without_a_key() {
    let mut s = Session::showing((120, 30), &["Queue · mine (alice)", "Acme Corp"]);
    s.press(
        ":team\r",
        &["Team as of 2026-04-30 (USD)", "Today", " alice ", " total "],
    );
    let contents = s.contents();
    let header = common::line_where(&contents, |l| l.starts_with(" Collector "));
    assert_eq!(
        header.split_whitespace().nth(5),
        Some("Today"),
        "the fifth figure is Today: {header}"
    );
    // Orbit's promise was recorded on the date: one customer touched.
    assert_eq!(
        touched_today(&contents, "alice").as_deref(),
        Some("1"),
        "{contents}"
    );
    succeeded(&owed_cli(
        &s,
        &["promise", "K6", "--amount", "100", "--date", "2026-05-20"],
    ));
    let start = Instant::now();
    loop {
        let contents = s.contents();
        if touched_today(&contents, "alice").as_deref() == Some("2") {
            assert!(contents.contains("Team as of 2026-04-30"), "{contents}");
            break;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "waited for alice's promise to count; the screen shows:\n{contents}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // q goes back to the queue, a second quits.
    s.press("q", &["Queue · mine (alice)"]);
    s.quit();
}

/// The session's database with the 120 × 60 checkerboard of [`with_files_to_attach`]
/// (20-pixel squares, red (200, 30, 30) at the top left, blue (30, 30, 200) beside) attached
/// to Acme Corp (K6, alice's) as `cheque-scan.png`, and `config` as the config file. The
/// file ends with [`HOSTILE`] after the picture (a decoder stops before it).
fn with_a_picture_attached(dir: &std::path::Path, config: &str) -> std::path::PathBuf {
    let db = with_files_to_attach(dir);
    let config_dir = dir.join("config/owed");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("config.toml"), config).unwrap();
    let scan = std::fs::read(dir.join("cheque-scan.png")).unwrap();
    let file = ("cheque-scan.png", [scan, HOSTILE.to_vec()].concat());
    keys::attach_to_acme(&db, &[file], "a cheque");
    db
}

/// Bytes of the attached file after its picture: a terminal title change, were they sent.
const HOSTILE: &[u8] = b"\x1b]2;HOSTILE TITLE\x07";

/// The pixels of the 960 × 480 picture checked against the checkerboard: two corners, the
/// middle of squares of both colours, and one near the middle.
const PROBES: [(u32, u32); 6] = [
    (0, 0),
    (80, 80),
    (240, 80),
    (80, 240),
    (959, 479),
    (500, 170),
];

/// The checkerboard's colour at (x, y) of its picture scaled `scale` times.
fn checkerboard(x: u32, y: u32, scale: u32) -> [u8; 3] {
    if (x / (20 * scale) + y / (20 * scale)).is_multiple_of(2) {
        [200, 30, 30]
    } else {
        [30, 30, 200]
    }
}

/// Opens Acme Corp's detail and its picture in the viewer; the terminal was not asked
/// anything before (the first frame never waits for it).
fn open_the_picture(s: &mut Session) {
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.press("\r", &["Customer K6", "Attachments · 1 · v opens them"]);
    assert_eq!(s.graphics_queries(), 0, "asked before a picture was opened");
    s.press(
        "v",
        &["Attachment 1: cheque-scan.png · PNG image", "1 of 1"],
    );
}

/// Waits until `raw` from `from` on holds what `done` finds, and returns it.
fn wait_for_raw<T>(s: &Session, from: usize, done: impl Fn(&[u8]) -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        let raw = s.raw();
        if let Some(t) = done(&raw[from.min(raw.len())..]) {
            return t;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "waited for a picture; the screen shows:\n{}",
            s.contents()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The kitty graphics escapes in `raw` (`ESC _ G keys ; payload ESC \`): keys and payload,
/// each with where it starts.
fn kitty_escapes(raw: &[u8]) -> Vec<(usize, String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(start) = find(&raw[at..], b"\x1b_G") {
        let body_start = at + start + 3;
        let Some(end) = find(&raw[body_start..], b"\x1b\\") else {
            break;
        };
        let body = &raw[body_start..body_start + end];
        let semi = body.iter().position(|&b| b == b';').unwrap_or(body.len());
        let keys = String::from_utf8_lossy(&body[..semi]).into_owned();
        let payload = body.get(semi + 1..).unwrap_or_default().to_vec();
        out.push((at + start, keys, payload));
        at = body_start + end + 2;
    }
    out
}

/// The first whole kitty transmission (`a=T` up to the chunk with `m=0`) in `raw`: where it
/// starts, its first keys and the bytes its base64 payload decodes to.
fn kitty_transmission(raw: &[u8]) -> Option<(usize, String, Vec<u8>)> {
    use base64::Engine;
    let escapes = kitty_escapes(raw);
    let first = escapes.iter().position(|(_, k, _)| k.contains("a=T"))?;
    let mut data = Vec::new();
    for (_, keys, payload) in &escapes[first..] {
        data.extend_from_slice(payload);
        if keys.split(',').any(|k| k == "m=0") {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(&data)
                .expect("base64");
            let (at, keys, _) = &escapes[first];
            return Some((*at, keys.clone(), bytes));
        }
    }
    None
}

#[test]
fn a_kitty_terminal_shows_an_attached_picture_in_kitty_graphics() {
    let mut s = Session::start_on((100, 30), &[], |dir| with_a_picture_attached(dir, ""));
    s.answer_graphics_query(b"\x1b_Gi=31;OK\x1b\\\x1b[?62;22c");
    open_the_picture(&mut s);
    let (at, keys, png) = wait_for_raw(&s, 0, kitty_transmission);
    assert_eq!(s.graphics_queries(), 1);
    // Our own PNG of the picture, scaled to the viewer's 96 × 25 cells of 10 × 20 pixels
    // (this terminal does not give its pixels), shown over 96 × 24 cells from the top-left
    // of the viewer's body (column 3, line 3), with the cursor left where it is.
    for key in ["a=T", "f=100", "t=d", "c=96", "r=24", "C=1", "q=2"] {
        assert!(keys.split(',').any(|k| k == key), "{key} in {keys}");
    }
    let raw = s.raw();
    assert!(
        raw[..at].ends_with(b"\x1b[3;3H"),
        "not placed at the body's top-left"
    );
    // Our own encoding of the decoded pixels, never the file's bytes.
    assert!(!contains(&png, HOSTILE) && !contains(&raw, b"HOSTILE"));
    let img = image::load_from_memory_with_format(&png, image::ImageFormat::Png)
        .unwrap()
        .to_rgb8();
    assert_eq!(img.dimensions(), (960, 480));
    for (x, y) in PROBES {
        assert_eq!(img.get_pixel(x, y).0, checkerboard(x, y, 8), "({x}, {y})");
    }
    // The cells under the picture are left blank: no half blocks.
    assert!(!s.contents().contains('▀'), "{}", s.contents());
    let placed = |raw: &[u8]| {
        kitty_escapes(raw)
            .iter()
            .filter(|(_, k, _)| k.contains("a=T"))
            .count()
    };
    // A frame that changes nothing (j on the only attachment) does not place it again; a
    // redraw (Ctrl-L wipes the screen) does, after deleting the one shown.
    s.type_keys("j");
    std::thread::sleep(Duration::from_millis(300));
    let from = s.raw().len();
    s.type_keys("\x0c");
    let (again, ..) = wait_for_raw(&s, from, kitty_transmission);
    let raw = s.raw();
    assert_eq!(placed(&raw), 2);
    assert!(contains(&raw[from..from + again], b"\x1b_Ga=d,d=I,i="));
    // A resize makes it again for the new room, 86 × 23 cells: 860 × 430 pixels over
    // 86 × 22 cells.
    let from = raw.len();
    s.resize(90, 28);
    let (_, keys, png) = wait_for_raw(&s, from, kitty_transmission);
    assert!(keys.contains("c=86,r=22"), "{keys}");
    let img = image::load_from_memory(&png).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (860, 430));
    assert_eq!(img.get_pixel(70, 70).0, checkerboard(0, 0, 1));
    assert_eq!(img.get_pixel(210, 70).0, checkerboard(20, 0, 1));
    assert!(contains(&s.raw()[from..], b"\x1b_Ga=d,d=I,i="));
    // Closing the viewer deletes the picture.
    let raw = s.raw();
    let from = raw.len();
    s.press("q", &["Customer K6"]);
    wait_for_raw(&s, from, |r| find(r, b"\x1b_Ga=d,d=I,i=").map(|_| ()));
    // Opened again: placed again, without asking the terminal again.
    let from = s.raw().len();
    s.type_keys("v");
    wait_for_raw(&s, from, kitty_transmission);
    assert_eq!(s.graphics_queries(), 1);
    s.press("\x1b", &["Customer K6"]);
    s.press("q", &["Queue · mine (alice)"]);
    s.quit();
}

/// A sixel picture as the test reads it back: its size, palette (percent) and pixels (the
/// colour of each, row by row).
struct Sixel {
    width: usize,
    height: usize,
    palette: std::collections::BTreeMap<u32, [u32; 3]>,
    pixels: Vec<Option<u32>>,
}

/// The first whole sixel DCS in `raw` (`ESC P … q … ESC \`), decoded.
fn sixel_picture(raw: &[u8]) -> Option<Sixel> {
    let start = find(raw, b"\x1bP")?;
    let q = start + raw[start..].iter().position(|&b| b == b'q')?;
    let end = q + find(&raw[q..], b"\x1b\\")?;
    let body = &raw[q + 1..end];
    let mut pic = Sixel {
        width: 0,
        height: 0,
        palette: Default::default(),
        pixels: Vec::new(),
    };
    let mut i = 0;
    let number = |i: &mut usize| {
        let from = *i;
        while *i < body.len() && body[*i].is_ascii_digit() {
            *i += 1;
        }
        std::str::from_utf8(&body[from..*i])
            .unwrap()
            .parse::<u32>()
            .unwrap()
    };
    let (mut x, mut y, mut colour) = (0usize, 0usize, 0u32);
    while i < body.len() {
        let b = body[i];
        i += 1;
        match b {
            b'"' => {
                let mut n = [0u32; 4];
                for (k, v) in n.iter_mut().enumerate() {
                    if k > 0 {
                        assert_eq!(body[i], b';');
                        i += 1;
                    }
                    *v = number(&mut i);
                }
                assert_eq!(&n[..2], &[1, 1], "square pixels");
                pic.width = n[2] as usize;
                pic.height = n[3] as usize;
                pic.pixels = vec![None; pic.width * pic.height];
            }
            b'#' => {
                colour = number(&mut i);
                if body.get(i) == Some(&b';') {
                    i += 1;
                    assert_eq!(number(&mut i), 2, "RGB colours");
                    let mut rgb = [0u32; 3];
                    for v in &mut rgb {
                        assert_eq!(body[i], b';');
                        i += 1;
                        *v = number(&mut i);
                    }
                    pic.palette.insert(colour, rgb);
                }
            }
            b'$' => x = 0,
            b'-' => {
                x = 0;
                y += 6;
            }
            b'!' | 63..=126 => {
                let (count, sixel) = if b == b'!' {
                    let n = number(&mut i) as usize;
                    i += 1;
                    (n, body[i - 1])
                } else {
                    (1, b)
                };
                let bits = sixel - 63;
                for _ in 0..count {
                    for dy in 0..6 {
                        if bits & (1 << dy) != 0 && x < pic.width && y + dy < pic.height {
                            pic.pixels[(y + dy) * pic.width + x] = Some(colour);
                        }
                    }
                    x += 1;
                }
            }
            other => panic!("unexpected {:?} in the sixels", other as char),
        }
    }
    Some(pic)
}

#[test]
fn a_sixel_terminal_shows_an_attached_picture_in_sixels() {
    let mut s = Session::start_on((100, 30), &[], |dir| with_a_picture_attached(dir, ""));
    // A VT340-like answer: no kitty, attribute 4 (sixel graphics).
    s.answer_graphics_query(b"\x1b[?62;4;22c");
    open_the_picture(&mut s);
    let pic = wait_for_raw(&s, 0, sixel_picture);
    assert_eq!(s.graphics_queries(), 1);
    // 96 × 25 cells of 10 × 20 pixels, in whole bands of six: 960 × 480, every pixel drawn.
    assert_eq!((pic.width, pic.height), (960, 480));
    assert!(pic.pixels.iter().all(Option::is_some));
    // The two colours of the picture, each the palette's nearest (within 10 % a component).
    assert_eq!(pic.palette.len(), 2, "{:?}", pic.palette);
    let percent = |rgb: [u8; 3]| rgb.map(|v| u32::from(v) * 100 / 255);
    for (x, y) in PROBES {
        let colour = pic.pixels[y as usize * pic.width + x as usize].unwrap();
        let got = pic.palette[&colour];
        let want = percent(checkerboard(x, y, 8));
        assert!(
            got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 10),
            "({x}, {y}): {got:?} for {want:?}"
        );
    }
    let raw = s.raw();
    let dcs = find(&raw, b"\x1bP").unwrap();
    assert!(
        raw[..dcs].ends_with(b"\x1b[3;3H"),
        "not placed at the body's top-left"
    );
    assert!(!contains(&raw, b"HOSTILE"));
    assert!(!s.contents().contains('▀'), "{}", s.contents());
    // Closing the viewer draws the whole screen again, over the sixels.
    let from = raw.len();
    s.press("q", &["Customer K6"]);
    wait_for_raw(&s, from, |r| find(r, b"\x1b[2J").map(|_| ()));
    s.press("q", &["Queue · mine (alice)"]);
    s.quit();
}

#[test]
fn half_blocks_when_chosen_or_under_tmux_whatever_the_terminal_answers() {
    let kitty = b"\x1b_Gi=31;OK\x1b\\\x1b[?62;4;22c";
    let config = "graphics = \"halfblocks\"\n";
    // OWED_GRAPHICS over the config's choice.
    let env_over_config = &[("OWED_GRAPHICS", "halfblocks")][..];
    for (config, env) in [
        (config, &[][..]),
        ("graphics = \"kitty\"\n", env_over_config),
        ("", &[("TMUX", "/tmp/tmux-1/default,1,0")][..]),
    ] {
        let mut s = Session::start_on((100, 30), env, |dir| with_a_picture_attached(dir, config));
        s.answer_graphics_query(kitty);
        open_the_picture(&mut s);
        s.wait_for(&["▀"]);
        // Not asked: half blocks were chosen, or the terminal is tmux's.
        assert_eq!(s.graphics_queries(), 0, "{config:?} {env:?}");
        let raw = s.raw();
        assert!(!contains(&raw, b"\x1b_G") && !contains(&raw, b"\x1bP"));
        s.press("\x1b", &["Customer K6"]);
        s.type_keys("qq");
        assert_eq!(s.wait_exit(), 0);
    }
}

#[test]
fn graphics_that_are_no_choice_are_refused_in_one_sentence() {
    let mut s = Session::start((100, 30), &[("OWED_GRAPHICS", "sideways")]);
    assert_eq!(s.wait_exit(), 2);
    s.wait_for(&["OWED_GRAPHICS must be auto, kitty, sixel or halfblocks, not `sideways`"]);
}

/// A note saved on a full disk: the footer says so in one sentence naming the database, the
/// form stays open with the text typed, and nothing is written; the workstation goes on.
#[test]
fn a_save_on_a_full_disk_says_so_and_keeps_the_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut s = Session::start_with_room(
        dir.path(),
        &db,
        (120, 30),
        &[],
        workstation::AS_OF,
        Some(32),
    );
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.press("n", &["Note · Acme Corp (K6)"]);
    s.type_keys("Asked for the remittance advice\r");
    s.wait_for(&["Not saved: the disk is full or failing"]);
    // Still the workstation: the form closes keeping the draft, on the same customer.
    s.escape_then(&["Close? y: keep a draft"]);
    s.press(
        "y",
        &["Draft kept: the same form on Acme Corp (K6) brings it back."],
    );
    s.quit();
    let json = activity(&s, "K6");
    let notes: Vec<&serde_json::Value> = json["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["text"] == "Asked for the remittance advice")
        .collect();
    assert!(notes.is_empty(), "{notes:?}");
}
