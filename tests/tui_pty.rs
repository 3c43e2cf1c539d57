//! End to end: the real `owed` binary in a real pseudo-terminal, read back with a terminal
//! emulator (vt100), typed at like a person would.

mod smtp_server;
mod workstation;

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::num::NonZeroU16;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long to wait for something to appear (generous: CI machines can be slow).
const PATIENCE: Duration = Duration::from_secs(60);

struct Screen {
    parser: vt100::Parser,
    raw: Vec<u8>,
}

struct Session {
    master: Box<dyn MasterPty + Send>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn portable_pty::Child + Send + Sync>,
    screen: Arc<Mutex<Screen>>,
    _dir: tempfile::TempDir,
}

impl Session {
    fn start(size: (u16, u16), env: &[(&str, &str)]) -> Session {
        Session::start_on(size, env, workstation::build)
    }

    /// Starts `owed` on the database `build` makes in the session's folder.
    fn start_on(
        size: (u16, u16),
        env: &[(&str, &str)],
        build: impl FnOnce(&std::path::Path) -> std::path::PathBuf,
    ) -> Session {
        let dir = tempfile::tempdir().unwrap();
        let db = build(dir.path());
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: size.1,
                cols: size.0,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_owed"));
        cmd.args([
            "--db",
            db.to_str().unwrap(),
            "--as",
            "alice",
            "--as-of",
            workstation::AS_OF,
        ]);
        cmd.cwd(dir.path());
        cmd.env("TERM", "xterm-256color");
        // Keep the tester's own config, keymap and themes out of it.
        cmd.env("XDG_CONFIG_HOME", dir.path().join("config"));
        cmd.env("HOME", dir.path());
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("OWED_CONFIG");
        cmd.env_remove("OWED_THEME");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(Screen {
            parser: vt100::Parser::new(nz(size.1), nz(size.0), 0),
            raw: Vec::new(),
        }));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap();
                s.parser.process(&buf[..n]);
                s.raw.extend_from_slice(&buf[..n]);
            }
        });
        Session {
            master: pair.master,
            writer,
            child,
            screen,
            _dir: dir,
        }
    }

    /// Resizes the terminal (and the emulator reading it), as a window manager would.
    fn resize(&mut self, cols: u16, rows: u16) {
        self.screen
            .lock()
            .unwrap()
            .parser
            .set_size(nz(rows), nz(cols));
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
    }

    fn contents(&self) -> String {
        self.screen.lock().unwrap().parser.screen().contents()
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

    fn type_keys(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Waits for the process to end and returns its exit code.
    fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(start.elapsed() < PATIENCE, "owed did not exit");
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

#[test]
fn a_collector_moves_filters_and_quits() {
    let mut s = Session::start((100, 30), &[]);
    s.wait_for(&[
        "as of 2026-04-30",
        "Acme Corp",
        "Queue · mine (alice) · 1 of 5",
    ]);
    assert!(s.screen.lock().unwrap().parser.screen().alternate_screen());
    s.type_keys("j");
    s.wait_for(&["2 of 5", "Customer K4"]);
    s.type_keys("/kite");
    s.wait_for(&["/kite", "filter: kite"]);
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
    s.type_keys("\r");
    s.wait_for(&["Customer K1", "Payments · last paid 2026-04-05"]);
    s.type_keys("\x1b");
    s.wait_for(&["Queue · mine (alice) · filter: kite"]);
    s.type_keys("q");
    assert_eq!(s.wait_exit(), 0);
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

#[test]
fn no_color_draws_without_colours() {
    let mut s = Session::start((100, 30), &[("NO_COLOR", "1")]);
    s.wait_for(&["Acme Corp", "Overdue 5"]);
    s.type_keys("?");
    s.wait_for(&["Keys · Esc closes"]);
    // Esc alone: an Esc followed at once by `:` would read as Alt-: (as terminals send it).
    s.type_keys("\x1b");
    s.wait_for(&["? Help"]);
    // A person's pause after Esc: a key arriving in the same read would pair with it as Alt.
    std::thread::sleep(Duration::from_millis(300));
    s.type_keys("q");
    assert_eq!(s.wait_exit(), 0);
    let raw = s.raw();
    // Foreground and background colours: 30–37, 90–97, 40–47, 100–107, 38;… and 48;….
    let text = String::from_utf8_lossy(&raw);
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
                "colour code {n} under NO_COLOR"
            );
        }
    }
    assert!(
        contains(&raw, b"\x1b[7m"),
        "reverse video marks the selection"
    );
}

/// `owed activity CUSTOMER --json` on the session's database.
fn activity(s: &Session, customer: &str) -> serde_json::Value {
    let db = s._dir.path().join("owed.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .arg("--db")
        .arg(&db)
        .args(["activity", customer, "--json"])
        .env("XDG_CONFIG_HOME", s._dir.path().join("config"))
        .env_remove("OWED_CONFIG")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_promise_recorded_through_the_form_is_in_the_activity_log() {
    let mut s = Session::start((100, 30), &[]);
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.type_keys("p");
    s.wait_for(&[
        "Promise to pay · Acme Corp (K6)",
        "12,000.00 USD, the overdue amount",
    ]);
    // Not the whole overdue amount: Ctrl-U clears the field.
    s.type_keys("\x154500");
    s.wait_for(&["4,500.00 USD"]);
    s.type_keys("\x1b[B2026-05-15");
    s.wait_for(&["Fri 2026-05-15, in 15 days"]);
    s.type_keys("\r");
    s.wait_for(&[
        "saved: Promise 3 recorded: K6 (Acme Corp) to pay 4,500.00 USD by 2026-05-15 for F1.",
        "2 of 5",
    ]);
    s.type_keys("q");
    assert_eq!(s.wait_exit(), 0);
    let json = activity(&s, "K6");
    let promise = json["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "promise" && e["id"] == 3)
        .expect("the promise is in the log");
    assert_eq!(promise["amount"], "4500.00");
    assert_eq!(promise["date"], "2026-05-15");
    assert_eq!(promise["recorded_date"], workstation::AS_OF);
    assert_eq!(promise["collector"], "alice");
    assert_eq!(promise["documents"], serde_json::json!(["F1"]));
}

#[test]
fn a_long_note_is_written_in_the_editor() {
    // An "editor" that writes two lines into the file it is given.
    let bin = tempfile::tempdir().unwrap();
    let editor = bin.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf 'Called Anna in AP.\\nShe will pay on Friday.\\n# a comment\\n' > \"$1\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut s = Session::start(
        (100, 30),
        &[("EDITOR", editor.to_str().unwrap()), ("VISUAL", "")],
    );
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.type_keys("n");
    s.wait_for(&["Note · Acme Corp (K6)"]);
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
    s.type_keys("\x0c");
    s.wait_for(&["2 lines", "as of 2026-04-30"]);
    s.type_keys("\r");
    s.wait_for(&["saved: Note "]);
    s.type_keys("q");
    assert_eq!(s.wait_exit(), 0);
    let json = activity(&s, "K6");
    let note = json["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "note")
        .expect("the note is in the log");
    assert_eq!(note["text"], "Called Anna in AP.\nShe will pay on Friday.");
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
    s.type_keys("G");
    s.wait_for(&["5 of 5", "Customer K1"]);
    s.type_keys("r");
    s.wait_for(&["Send a reminder to Kite Supplies", "courtesy"]);
    s.type_keys("\r");
    s.wait_for(&[
        "Preview · friendly · Kite Supplies",
        "To       Kite Supplies",
    ]);
    s.type_keys("s");
    s.wait_for(&["Send “friendly” to Kite Supplies?"]);
    assert!(server.received().is_empty(), "nothing before y");
    s.type_keys("y");
    s.wait_for(&["Done · 1 sent, 0 not sent", "Message-ID <owed."]);
    assert_eq!(server.received().len(), 1);
    // Closed (Esc alone: Esc then a key at once would read as Alt and the key): the
    // timeline beside the queue shows the reminder.
    s.type_keys("\x1b");
    let start = Instant::now();
    while s.contents().contains("Done · 1 sent") {
        assert!(start.elapsed() < PATIENCE, "the popup did not close");
        std::thread::sleep(Duration::from_millis(20));
    }
    s.wait_for(&["manual / friendly 2026-04-30"]);
    s.type_keys("E");
    s.wait_for(&[
        "Engagement · as of 2026-04-30",
        "Standard dunning",
        "Acme Corp",
    ]);
    s.type_keys("q");
    assert_eq!(s.wait_exit(), 0);
}

/// A portfolio whose names carry escape sequences, C1 controls, separators, bidirectional
/// overrides, ZWJ sequences, emoji presentation selectors, skin tones and combining marks;
/// every customer owes an amount of the same width.
fn hostile_portfolio(dir: &std::path::Path) -> std::path::PathBuf {
    let csv = dir.join("csv");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(
        csv.join("customers.csv"),
        "id,name,email,currency,finance_owner\n\
         H1,\x1b]52;c;SGVsbG8=\x07\x1b]0;TITLE\x07\x1b[2J Evil Co,a@h1.example,USD,alice\n\
         H2,Nel\u{85}Line\u{2028}Sep \u{202e}oc.live\u{202c} Ltd,a@h2.example,USD,alice\n\
         H3,👩\u{200d}💻 Dev ❤\u{fe0f} 👍🏻 GmbH,a@h3.example,USD,alice\n\
         H4,Ze\u{301}\u{301}\u{301}lda\u{200b}\u{ad} 東京商事,a@h4.example,USD,alice\n\
         H5,Plain Co,a@h5.example,USD,alice\n",
    )
    .unwrap();
    std::fs::write(
        csv.join("documents.csv"),
        "id,customer_id,type,doc_date,due_date,amount,currency\n\
         I1,H1,invoice,2026-01-01,2026-01-31,5555.00,USD\n\
         I2,H2,invoice,2026-01-02,2026-02-01,4444.00,USD\n\
         I3,H3,invoice,2026-01-03,2026-02-02,3333.00,USD\n\
         I4,H4,invoice,2026-01-04,2026-02-03,2222.00,USD\n\
         I5,H5,invoice,2026-01-05,2026-02-04,1111.00,USD\n",
    )
    .unwrap();
    let db = dir.join("owed.db");
    let mut store = owed::store::Store::open_or_create(&db).unwrap();
    owed::import::import_paths(
        &mut store,
        &[csv],
        &owed::import::ImportOptions {
            base_currency: "USD".into(),
            progress: false,
        },
    )
    .unwrap();
    db
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
    s.type_keys("q");
    assert_eq!(s.wait_exit(), 0);
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

/// crossterm's leave-alternate-screen and show-cursor, as the workstation writes them when it
/// restores the terminal.
const RESTORED: &[u8] = b"\x1b[?1049l\x1b[?25h";

/// After `signal` the workstation ends with 128 + its number, and leaves the terminal as it
/// found it: normal screen, cursor shown, canonical mode with echo.
#[cfg(unix)]
fn restores_the_terminal_on(signal: i32) {
    let mut s = Session::start((100, 30), &[]);
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
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
    let mut s = Session::start((100, 30), &[]);
    s.wait_for(&["Acme Corp", "Queue · mine (alice) · 1 of 5"]);
    s.type_keys("j");
    s.wait_for(&["2 of 5"]);
    let before = s.raw().len();
    s.type_keys("\x1a");
    wait_for_state(&s, |c| c == 'T');
    // Stopped with the terminal given back.
    assert!(contains(&s.raw()[before..], RESTORED));
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
    s.type_keys("j");
    s.wait_for(&["3 of 5"]);
    s.signal(libc::SIGTSTP);
    wait_for_state(&s, |c| c == 'T');
    assert_eq!(s.cooked(), (true, true));
    forget_screen(&s);
    s.signal(libc::SIGCONT);
    s.wait_for(&["as of 2026-04-30", "3 of 5"]);
    s.type_keys("q");
    assert_eq!(s.wait_exit(), 0);
    assert_eq!(s.cooked(), (true, true));
}
