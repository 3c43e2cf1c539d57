//! SPEC "Output that reaches a terminal": a portfolio whose names, owners, notes, document
//! numbers and replies carry escape sequences (a clipboard write, a title change, a screen
//! clear), C1 controls, line separators and bidirectional overrides, run through every
//! human output of the real binary. Not one of those characters may come out raw: each is
//! shown (`␛`, `<U+0085>` …). JSON keeps the values as they are, escaped as JSON escapes.

mod common;

use common::{command_in, owed_db, stderr, stdout, succeeded, write_dunning_cycle, write_files};
use owed::domain::text::is_unsafe;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The customer name of issue 11: OSC 52 (clipboard), OSC 0 (title), CSI 2J (clear).
const EVIL: &str = "\x1b]52;c;SGVsbG8=\x07\x1b]0;TITLE\x07\x1b[2J Evil Co";
/// How the binary shows it.
const EVIL_SHOWN: &str = "␛]52;c;SGVsbG8=␇␛]0;TITLE␇␛[2J Evil Co";
/// NEL, line and paragraph separators, a right-to-left override and its pop, a C1 CSI.
const SNEAKY: &str = "Nel\u{85}Line\u{2028}Para\u{2029} \u{202e}oc.live\u{202c} \u{9b}31mLtd";
const OWNER: &str = "\x1b[8mmallory\x07";
const NOTE: &str = "called\x1b[1A\x1b[2K\rpaid in full \u{2066}ok\u{2069}\x1b]0;pwned\x07";

const AS_OF: &str = "2026-04-30";

fn customers() -> String {
    format!(
        "id,name,email,currency,finance_owner,sales_owner,payment_terms_days,cf_region\n\
         K1,{EVIL},ap@evil.example,USD,{OWNER},{OWNER},30,\x1b[2Jwest\n\
         K2,{SNEAKY},ap@sneaky.example,USD,alice,,30,east\n\
         K3,\"Two\nLines\r\x07Co\",ap@two.example,USD,alice,,30,\n\
         K4,Plain Co,ap@plain.example,USD,alice,,30,\n"
    )
}

fn documents() -> String {
    "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
     D\x1b[2J1,K1,invoice,INV\x1b[2J-1,2026-01-01,2026-01-31,1000.00,USD\n\
     D2,K2,invoice,INV-\u{85}2,2026-02-01,2026-03-03,500.00,USD\n\
     D3,K3,invoice,INV-3,2026-03-01,2026-03-31,250.00,USD\n\
     D4,K4,invoice,INV-4,2025-12-01,2025-12-31,300.00,USD\n\
     D5,K4,invoice,INV-5,2025-10-01,2025-10-31,200.00,USD\n"
        .to_string()
}

fn payments() -> String {
    "id,customer_id,date,amount,currency,status,method,failure_reason,reference\n\
     P1,K1,2026-02-10,10.00,USD,failure,card,\x1b]0;declined\x07,ref\x1b[2J\n\
     P2,K4,2026-01-20,200.00,USD,success,bank_transfer,,\n"
        .to_string()
}

const APPLICATIONS: &str = "source_id,document_id,amount,date\nP2,D5,200.00,2026-01-20\n";

const TEMPLATE: &str =
    "Reminder for {{ customer.name }}\n\nHello {{ customer.name }},\n\n{{ table }}\n";

struct World {
    dir: tempfile::TempDir,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        write_files(
            &dir.path().join("data"),
            &[
                ("customers.csv", &customers()),
                ("documents.csv", &documents()),
                ("payments.csv", &payments()),
                ("applications.csv", APPLICATIONS),
            ],
        );
        write_dunning_cycle(dir.path(), TEMPLATE);
        std::fs::write(
            dir.path().join("config.toml"),
            "[smtp]\nhost = \"127.0.0.1\"\nport = 9\nsecurity = \"none\"\n\
             from = \"Collections <ar@example.com>\"\n",
        )
        .unwrap();
        World { dir }
    }

    /// The world with its portfolio imported.
    fn imported() -> World {
        let w = World::new();
        ok(
            "import",
            &w.owed(&["import", w.path("data").to_str().unwrap()]),
        );
        w
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Runs `owed --db … --as alice --as-of … ARGS`.
    fn owed(&self, args: &[&str]) -> Output {
        self.owed_as_of(Some(AS_OF), args)
    }

    /// `owed ARGS` as of today: the notes, calls and files written are dated today, and the
    /// activity of the portfolio's day leaves them out.
    fn today(&self, args: &[&str]) -> Output {
        self.owed_as_of(None, args)
    }

    fn owed_as_of(&self, as_of: Option<&str>, args: &[&str]) -> Output {
        let db = self.path("owed.db");
        let mut all = vec!["--db", db.to_str().unwrap()];
        all.extend(as_of.map(|d| ["--as-of", d]).into_iter().flatten());
        if !args.contains(&"--as") {
            all.extend(["--as", "alice"]);
        }
        all.extend(args);
        command_in(self.dir.path(), &all)
            .output()
            .expect("run owed")
    }
}

/// The characters of `bytes` that a terminal would obey, with what ran.
fn raw_controls(bytes: &[u8], allow_cr: bool) -> Vec<char> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .filter(|c| is_unsafe(*c) && !(allow_cr && *c == '\r'))
        .collect()
}

/// Asserts that neither stdout nor stderr of `o` holds a raw control character.
#[track_caller]
fn assert_shown(what: &str, o: &Output) {
    assert!(
        std::str::from_utf8(&o.stdout).is_ok() && std::str::from_utf8(&o.stderr).is_ok(),
        "{what}: not UTF-8"
    );
    // The import's progress line returns to the start of its line: that one is ours.
    let allow_cr = what.starts_with("import");
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let raw = raw_controls(bytes, allow_cr);
        assert!(
            raw.is_empty(),
            "{what}: {stream} holds raw {raw:?}:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

#[track_caller]
fn ok(what: &str, o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(o));
    assert_shown(what, o);
    stdout(o)
}

#[track_caller]
fn refused(what: &str, o: &Output) -> String {
    assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(o));
    assert_shown(what, o);
    stderr(o)
}

fn deliver(maildir: &Path, name: &str, text: &str) {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(maildir.join("new").join(name), text.replace('\n', "\r\n")).unwrap();
}

#[test]
fn no_human_output_writes_a_control_character_from_outside() {
    let w = World::new();
    let data = w.path("data");
    ok("import", &w.owed(&["import", data.to_str().unwrap()]));

    // Collector actions: the line each prints names the customer.
    let out = ok("note", &w.owed(&["note", "K1", NOTE]));
    assert!(out.contains(EVIL_SHOWN), "{out}");
    ok(
        "promise",
        &w.owed(&[
            "promise",
            "K2",
            "--amount",
            "100",
            "--date",
            "2026-05-15",
            NOTE,
        ]),
    );
    ok(
        "dispute",
        &w.owed(&["dispute", "K1", "--reason", "pricing", NOTE]),
    );
    ok(
        "followup",
        &w.owed(&["followup", "K3", "--date", "+7d", NOTE]),
    );
    // The old owner is quoted in the line.
    ok("assign", &w.owed(&["assign", "K1", "bob"]));
    ok(
        "hold",
        &w.owed(&["engage", "hold", "K2", "--until", "+1d", NOTE]),
    );

    // Reports and the timeline.
    let aging = ok("report aging", &w.owed(&["report", "aging"]));
    assert!(aging.contains(EVIL_SHOWN), "{aging}");
    assert!(aging.contains("Two↵Lines␍␇Co"), "{aging}");
    // Shown, then cut at the name column's 40 columns.
    assert!(
        aging.contains("Nel<U+0085>Line<U+2028>Para<U+2029> <U+…"),
        "{aging}"
    );
    ok("report metrics", &w.owed(&["report", "metrics"]));
    ok("report engagement", &w.owed(&["report", "engagement"]));
    ok("report team", &w.owed(&["report", "team"]));
    let forecast = ok("report forecast", &w.owed(&["report", "forecast"]));
    assert!(forecast.contains("D␛[2J1"), "{forecast}");
    for id in ["K1", "K2", "K3"] {
        let text = ok("activity", &w.today(&["activity", id]));
        assert!(!text.is_empty());
    }
    let activity = ok("activity", &w.today(&["activity", "K1"]));
    assert!(activity.contains("␛[8mmallory␇"), "{activity}");
    assert!(
        activity.contains("called␛[1A␛[2K␍paid in full"),
        "{activity}"
    );

    // Engagement: the plan, the subjects a dry run renders from the names, the outbox.
    ok("engage plan", &w.owed(&["engage", "plan"]));
    let dry = ok(
        "engage run --dry-run",
        &w.owed(&["engage", "run", "--dry-run"]),
    );
    assert!(dry.contains("Evil Co"), "{dry}");
    ok("engage outbox", &w.owed(&["engage", "outbox"]));
    ok(
        "backtest",
        &w.owed(&["backtest", "--from", "2026-02-01", "--to", "2026-04-01"]),
    );

    // Replies whose subjects and senders carry escapes, one filed and one unmatched.
    let maildir = w.path("Maildir");
    deliver(
        &maildir,
        "1.a.host",
        "From: ap@evil.example\nSubject: Re: \x1b]0;TITLE\x07paid\nMessage-ID: <r1@evil>\n\
         Date: Sat, 02 May 2026 09:00:00 +0000\n\nsee \x1b[2J attached\n",
    );
    deliver(
        &maildir,
        "2.b.host",
        "From: \"\x1b[2J\" <x@nowhere.example>\nSubject: =?utf-8?b?G10wO1RJVExFBw==?=\n\
         Message-ID: <r2@nowhere>\n\nBuy.\n",
    );
    let inbox = ok(
        "inbox import",
        &w.owed(&["inbox", "import", maildir.to_str().unwrap()]),
    );
    assert!(inbox.contains("]0;TITLE paid"), "{inbox}");
    ok("activity after replies", &w.owed(&["activity", "K1"]));

    // An export's "wrote FILE" names the file it was given.
    let file = w.path("aging\x1b[2J.csv");
    let o = w.owed(&[
        "export",
        "aging",
        "--format",
        "csv",
        "-o",
        file.to_str().unwrap(),
    ]);
    ok("export", &o);
    assert!(stderr(&o).contains("aging␛[2J.csv"), "{}", stderr(&o));

    // Errors that quote a value.
    let e = refused("unknown customer", &w.owed(&["activity", EVIL]));
    assert!(e.contains(EVIL_SHOWN), "{e}");
    refused(
        "bad date",
        &w.owed(&["--as-of", "\x1b[2J", "report", "aging"]),
    );
    refused(
        "bad amount",
        &w.owed(&["promise", "K1", "--amount", "\x1b[2J", "--date", "+7d"]),
    );
    let bad = w.path("bad");
    std::fs::create_dir_all(&bad).unwrap();
    std::fs::write(
        bad.join("documents.csv"),
        "id,customer_id,type,doc_date,due_date,amount,currency\n\
         X1,K1,invoice,2026-01-01,2026-01-31,\x1b]0;TITLE\x07,USD\n",
    )
    .unwrap();
    refused(
        "import of a bad amount",
        &w.owed(&["import", bad.to_str().unwrap()]),
    );

    // JSON escapes what a terminal would obey (C1 controls, separators and bidirectional
    // controls too, which JSON itself leaves raw): the stored value comes back as it is.
    let json: serde_json::Value = serde_json::from_str(&ok(
        "activity --json",
        &w.owed(&["activity", "K1", "--json"]),
    ))
    .unwrap();
    assert_eq!(json["customer"]["name"], EVIL);
    let aging = ok(
        "report aging --json",
        &w.owed(&["report", "aging", "--json"]),
    );
    assert!(
        aging.contains(r"Nel\u0085Line\u2028Para\u2029 \u202eoc.live"),
        "{aging}"
    );
    let aging: serde_json::Value = serde_json::from_str(&aging).unwrap();
    let names = aging["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap_or_default().to_string());
    assert!(names.into_iter().any(|n| n == SNEAKY));
    for args in [
        &["report", "forecast", "--json"][..],
        &["report", "metrics", "--json"],
        &["find", "Nel", "--json"],
        &["activity", "K2", "--json"],
        &["engage", "plan", "--json"],
    ] {
        ok(&args.join(" "), &w.owed(args));
    }
}

/// Runs `owed --db … --as alice --as-of … ARGS` with its output on a terminal (a pty):
/// every byte it wrote there, and its exit code.
fn on_a_terminal(w: &World, args: &[&str]) -> (String, u32) {
    use portable_pty::CommandBuilder;
    let db = w.path("owed.db");
    let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_owed"));
    cmd.args([
        "--db",
        db.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--as",
        "alice",
    ]);
    cmd.args(args);
    cmd.cwd(w.dir.path());
    cmd.env("OWED_CONFIG", w.path("config.toml"));
    let (mut child, master) = common::in_pty(cmd, 40, 200);
    let reader = master.try_clone_reader().unwrap();
    let bytes = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = std::sync::Arc::clone(&bytes);
    let follower = std::thread::spawn(move || {
        common::read_chunks(reader, |chunk| {
            sink.lock().unwrap().extend_from_slice(chunk)
        });
    });
    let status = child.wait().unwrap();
    drop(master);
    let _ = follower.join();
    let text = String::from_utf8_lossy(&bytes.lock().unwrap()).into_owned();
    (text, status.exit_code())
}

#[test]
fn files_sent_to_a_terminal_are_shown_or_refused() {
    let w = World::imported();
    // A CSV export to the terminal: a person reads it; through a pipe it is the value.
    let (csv, code) = on_a_terminal(&w, &["export", "aging", "--format", "csv", "-o", "-"]);
    assert_eq!(code, 0, "{csv}");
    // CSV's line ends are CR LF, and the terminal's LF is CR LF: only those may be raw.
    let raw = raw_controls(
        csv.replace("\r\r\n", "\n").replace("\r\n", "\n").as_bytes(),
        false,
    );
    assert!(raw.is_empty(), "raw {raw:?} in:\n{csv}");
    assert!(csv.contains(EVIL_SHOWN), "{csv}");
    let piped = w.owed(&["export", "aging", "--format", "csv", "-o", "-"]);
    assert!(stdout(&piped).contains(EVIL), "{}", stdout(&piped));

    // A PDF is refused there, and written to a pipe.
    let (said, code) = on_a_terminal(&w, &["statement", "K4", "-o", "-"]);
    assert_eq!(code, 2, "{said}");
    assert!(said.contains("a PDF is not for a terminal"), "{said}");
    assert!(
        w.owed(&["statement", "K4", "-o", "-"])
            .stdout
            .starts_with(b"%PDF")
    );

    // A customer's attachment: text shown, anything else refused.
    std::fs::write(w.path("remit.txt"), format!("Paid.{EVIL}\n")).unwrap();
    std::fs::write(w.path("scan.bin"), b"\xff\xfe\x1b[2J").unwrap();
    for file in ["remit.txt", "scan.bin"] {
        ok(
            "attach",
            &w.owed(&["attach", "K4", w.path(file).to_str().unwrap()]),
        );
    }
    let list: serde_json::Value =
        serde_json::from_slice(&w.today(&["activity", "K4", "--json"]).stdout).unwrap();
    let ids: Vec<String> = list["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "attachment")
        .map(|e| {
            e["id"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| e["id"].to_string())
        })
        .collect();
    assert_eq!(ids.len(), 2, "{list}");
    let mut shown = Vec::new();
    for id in &ids {
        shown.push(on_a_terminal(&w, &["attachment", "get", id, "-o", "-"]));
    }
    shown.sort_by_key(|(_, code)| *code);
    let (text, code) = &shown[0];
    assert_eq!(*code, 0, "{text}");
    assert!(text.contains(&format!("Paid.{EVIL_SHOWN}")), "{text}");
    let (said, code) = &shown[1];
    assert_eq!(*code, 2, "{said}");
    assert!(said.contains("is not text"), "{said}");
    for (out, _) in &shown {
        let raw = raw_controls(out.replace("\r\n", "\n").as_bytes(), false);
        assert!(raw.is_empty(), "raw {raw:?} in:\n{out}");
    }
}

#[test]
fn names_with_control_characters_are_refused_on_the_command_line() {
    let w = World::imported();
    let e = refused("--as", &w.owed(&["--as", EVIL, "note", "K4", "hello"]));
    // Quoted with every control character shown as everywhere else (the README's Control
    // Pictures), and saying which.
    assert!(
        e.contains(
            "`␛]52;c;SGVsbG8=␇␛]0;TITLE␇␛[2J Evil Co` holds control characters (shown as ␛ and \
             ␇), which a name may not hold; give another with --as NAME"
        ),
        "{e}"
    );
    assert!(!e.contains("<U+001B>"), "{e}");
    refused(
        "--as with a newline",
        &w.owed(&["--as", "ali\nce", "note", "K4", "hi"]),
    );
    let e = refused("assign", &w.owed(&["assign", "K4", "\u{202e}bob"]));
    assert!(e.contains("<U+202E>bob"), "{e}");
    // Nothing was written.
    let json: serde_json::Value =
        serde_json::from_slice(&w.today(&["activity", "K4", "--json"]).stdout).unwrap();
    assert_eq!(json["activity"], serde_json::json!([]));
    assert_eq!(json["customer"]["finance_owner"], "alice");
}

#[test]
fn the_demo_names_its_database_without_obeying_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo\x1b]0;TITLE\x07.db");
    let o = owed_db(dir.path(), &db, &["demo", "--customers", "20", "--no-tui"]);
    succeeded(&o);
    assert_shown("demo", &o);
    assert!(
        (stdout(&o) + &stderr(&o)).contains("demo␛]0;TITLE␇.db"),
        "{}",
        stderr(&o)
    );
}
