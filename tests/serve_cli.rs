//! `owed serve` on the command line: its options and config are checked before anything
//! starts; the binary serves the workstation to the database's users through the real SSH
//! protocol (the SSH layer on its own is tested in `serve_ssh.rs`).

mod common;
mod ssh_client;
mod workstation;

use common::{owed_db, refused, stderr, succeeded};

/// Adds the user `name` with `role`, who logs in with `key`, to the database at `db`.
fn add_user(
    dir: &std::path::Path,
    db: &str,
    name: &str,
    role: &str,
    key: &russh::keys::PrivateKey,
) {
    let line = key.public_key().to_openssh().unwrap();
    let args = [
        "--as", "root", "user", "add", name, "--role", role, "--key", &line,
    ];
    succeeded(&owed_db(dir, db, &args));
}

/// The workstation fixture's database in `dir`, with dana its manager and `name` of `role`:
/// the database's path and `name`'s key.
fn served(dir: &std::path::Path, name: &str, role: &str) -> (String, russh::keys::PrivateKey) {
    let db = workstation::build(dir);
    let db = db.to_str().unwrap().to_string();
    let key = ssh_client::new_key();
    add_user(dir, &db, "dana", "manager", &ssh_client::new_key());
    add_user(dir, &db, name, role, &key);
    (db, key)
}

#[test]
fn bad_input_starts_nothing_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let o = owed_db(dir.path(), &db, &["serve", "--listen", "localhost"]);
    refused(&o, 2, "ADDR:PORT");
    assert!(!dir.path().join("host_key.ed25519").exists());

    // Each session is its user: there is nobody to act as.
    let o = owed_db(dir.path(), &db, &["serve", "--as", "bob"]);
    refused(&o, 2, "--as does not apply to `owed serve`");
    assert!(!dir.path().join("host_key.ed25519").exists());

    assert!(!db.exists());

    std::fs::write(
        dir.path().join("config.toml"),
        "[serve]\nlisten = \"2222\"\n",
    )
    .unwrap();
    let o = owed_db(dir.path(), &db, &["serve"]);
    refused(&o, 2, "serve.listen");
    assert!(!dir.path().join("host_key.ed25519").exists());
}

/// On a new server's first start `owed serve` makes its database (private) and host key, and
/// lets in the first user added while it runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_first_start_the_server_makes_its_database_and_takes_users_added_later() {
    use ssh_client::{Client, new_key};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("srv").join("owed.db");
    let db_arg = db.to_str().unwrap();
    let (_server, addr, log) = serve_logged(dir.path(), db_arg);
    assert!(db.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&db).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    assert!(dir.path().join("srv").join("host_key.ed25519").exists());
    let dana = new_key();
    add_user(dir.path(), db_arg, "dana", "manager", &dana);
    let client = Client::logged_in(addr, "dana", &dana).await;
    let term = client.terminal((120, 36), "xterm-256color", &[]).await;
    term.wait_for("dana").await;
    drop(log);
}

/// `owed serve` as a process, end to end: it prints where it listens, lets in the
/// database's users by their keys, serves each the real workstation on one shared service
/// (a note by alice appears in bob's frame, recorded as alice's, and in the figures of
/// dana's team screen), refuses a collector's write on a customer not theirs, and stops
/// cleanly on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_workstation_to_the_databases_users() {
    use ssh_client::{Client, PATIENCE, new_key};
    use std::io::BufRead;

    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let db = db.to_str().unwrap();
    let (dana, alice, bob, stranger) = (new_key(), new_key(), new_key(), new_key());
    for (name, role, key) in [
        ("dana", "manager", &dana),
        ("alice", "collector", &alice),
        ("bob", "collector", &bob),
    ] {
        add_user(dir.path(), db, name, role, key);
    }

    let mut server = Reaped(
        common::command_in(
            dir.path(),
            // As of today, the day a note is written (one written today is not in a view
            // as of an earlier date).
            &["--db", db, "serve", "--listen", "127.0.0.1:0"],
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap(),
    );
    let server = &mut server.0;
    let (tx, rx) = std::sync::mpsc::channel();
    let err = server.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    // Before it listens, the server says what it serves files from: here, nothing.
    let mut before = Vec::new();
    let listening = loop {
        let line = rx
            .recv_timeout(PATIENCE)
            .expect("the server says where it listens");
        if line.contains("listening on") {
            break line;
        }
        before.push(line);
    };
    assert!(
        before.iter().any(
            |l| l.contains("no files folder: attaching files and :export are refused over SSH")
        ),
        "{before:?}"
    );
    // Each line of the log says when (UTC, to the second): `2026-12-05T21:40:03Z owed serve: …`.
    let (time, said) = listening.split_once(' ').unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(time, "%Y-%m-%dT%H:%M:%SZ").is_ok()
            && said.starts_with("owed serve: listening on"),
        "{listening}"
    );
    let addr = listen_address(&listening);
    // The host key was created beside the database, private, and is the one shown.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let host_key = dir.path().join("host_key.ed25519");
        let mode = std::fs::metadata(&host_key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let mut refused = Client::connect(addr).await;
    assert!(!refused.login("alice", &stranger).await);
    assert!(!refused.login("alice", &bob).await);

    let a = Client::logged_in(addr, "alice", &alice).await;
    let fingerprint = a
        .host_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string();
    assert!(listening.contains(&fingerprint), "{listening}");
    let b = Client::logged_in(addr, "bob", &bob).await;
    let ta = a.terminal((120, 50), "xterm-256color", &[]).await;
    let tb = b.terminal((120, 50), "xterm-256color", &[]).await;

    // Each their own queue: Acme Widgets is alice's, Lumen bob's.
    ta.wait_for("Acme Widgets").await;
    assert!(ta.screen().contains("alice"), "{}", ta.screen());
    tb.wait_for("Lumen GmbH").await;
    // Both on Acme Widgets: bob looks at everyone's queue.
    ta.send(b"/widgets\r").await;
    ta.wait_for("Customer K7").await;
    tb.send(b"m").await;
    tb.wait_for("Acme Widgets").await;
    tb.send(b"/widgets\r").await;
    tb.wait_for("Customer K7").await;

    save_note(&ta, "Promised the remittance advice").await;
    tb.wait_for("Promised the remittance advice").await;

    // The team screen over SSH: the service refuses alice's (a collector's) and answers
    // dana's (a manager's) with every collector's row.
    ta.send(b"M").await;
    ta.wait_for("the team screen is for managers").await;
    let d = Client::logged_in(addr, "dana", &dana).await;
    let td = d.terminal((120, 50), "xterm-256color", &[]).await;
    td.wait_for("Queue").await;
    td.send(b":team\r").await;
    td.wait_for("Broken, no f/u").await;
    for row in [" alice ", " bob ", " carol ", " total "] {
        td.wait_for(row).await;
    }
    // Dana's team screen refreshes itself: alice's note on another customer of hers shows
    // in the customers she touched today, without a key pressed on dana's side.
    let before = touched_today(&td.screen(), "alice").expect("alice's row");
    ta.send(b"\x1b").await;
    ta.wait_for("Filter cleared.").await;
    ta.send(b"/kite\r").await;
    ta.wait_for("Customer K1").await;
    // The client's terminal was asked for bracketed paste: a paste on the queue is no keys
    // (`q` would have quit), and one into the note is its text.
    ta.wait("bracketed paste asked for", |s| {
        s.raw.windows(8).any(|w| w == b"\x1b[?2004h")
    })
    .await;
    ta.send(b"\x1b[200~q\x1b[201~").await;
    ta.wait_for("Pasted text is not taken for keys").await;
    ta.send(b"n\x1b[200~Left a message with AP\r\x1b[201~\r")
        .await;
    ta.wait_for("saved: Note").await;
    let after = (before + 1).to_string();
    td.wait(&format!("alice's touched today at {after}"), |s| {
        touched_today(&s.parser.screen().contents(), "alice") == Some(before + 1)
    })
    .await;

    // Bob, a collector, may not write on alice's customer: his key is refused before he
    // types (the store's transaction would refuse the save too, see `users_roles.rs`).
    tb.send(b"n").await;
    tb.wait_for("bob (collector) may not write on K7: its finance owner is alice")
        .await;
    // Alice leaves a note half-typed: the log says it was kept for her next session.
    ta.send(b"n").await;
    ta.wait_for("Note · ").await;
    ta.send(b"Half typed").await;
    ta.wait_for("Half typed").await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    ta.wait_closed().await;
    tb.wait_closed().await;
    td.wait_closed().await;
    let code = stopped(server).await;
    assert_eq!(code, Some(0));
    let said = all_said(&rx);
    assert!(
        said.iter()
            .any(|l| l.contains("owed serve: alice (collector) from ")
                && l.contains(
                    "'s session ended: the server is stopping; a draft kept for their next session"
                )),
        "{said:?}"
    );

    // The note is alice's, the refused one was never written.
    let conn = rusqlite::Connection::open(db).unwrap();
    let by: String = conn
        .query_row(
            "SELECT collector FROM notes WHERE text = 'Promised the remittance advice'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by, "alice");
    let mine: i64 = conn
        .query_row(
            "SELECT count(*) FROM notes WHERE text = 'Not mine'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mine, 0);
}

/// Saves a note on the selected customer from terminal `t` (`n`, the text, `Enter`) and waits
/// for the footer to say so.
async fn save_note(t: &ssh_client::Term, text: &str) {
    t.send(b"n").await;
    t.send(text.as_bytes()).await;
    t.send(b"\r").await;
    t.wait_for("saved: Note").await;
}

/// The "Today" figure (customers touched on the date) of `collector`'s row of a team screen
/// (the row's fifth word: name, customers, overdue customers, overdue amount, today).
fn touched_today(screen: &str, collector: &str) -> Option<u64> {
    let row = screen
        .lines()
        .find(|l| l.starts_with(&format!(" {collector} ")))?;
    row.split_whitespace().nth(4)?.parse().ok()
}

/// `owed serve` on the demo's database plans with the example cycles `owed demo` wrote
/// beside it when the config's cycles folder holds none, and says so; with cycles of the
/// config's own, those.
#[test]
fn serving_the_demo_plans_with_its_example_cycles_unless_the_config_has_some() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let beside = dir.path().join("owed-cycles");
    // As `owed demo` leaves them: `owed.db` → `owed-cycles/`.
    std::fs::rename(common::write_dunning_cycle(dir.path(), "Hello"), &beside).unwrap();
    // The first lines the server says, up to where it listens.
    let said = |dir: &std::path::Path| {
        let mut server = Reaped(
            common::command_db(dir, &db, &["serve", "--listen", "127.0.0.1:0"])
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let err = server.0.stderr.take().unwrap();
        let mut said = Vec::new();
        for line in std::io::BufReader::new(err).lines() {
            let line = line.unwrap();
            let last = line.contains("listening on");
            said.push(line);
            if last {
                break;
            }
        }
        said.join("\n")
    };
    let first = said(dir.path());
    assert!(
        first.contains(&format!(
            "engagement cycles: the demo's examples beside the database, in {}",
            beside.display()
        )),
        "{first}"
    );
    // The config's own cycles folder holds a cycle: it is used, and nothing is said.
    common::write_dunning_cycle(dir.path(), "Hi");
    let second = said(dir.path());
    assert!(!second.contains("engagement cycles"), "{second}");
    assert!(second.contains("listening on"), "{second}");
}

/// Starts `owed serve` on `db` in `dir`: the child and the address it listens on.
fn serve(dir: &std::path::Path, db: &str) -> (Reaped, std::net::SocketAddr) {
    let (server, addr, log) = serve_logged(dir, db);
    // Keep reading, so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in log {});
    (server, addr)
}

/// The address in the server's `listening on ADDR, …` line.
fn listen_address(line: &str) -> std::net::SocketAddr {
    line.split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
}

/// Over SSH, `v` on a customer shows its TIFF cheque as half blocks drawn by the server, in
/// the 16 colours of a client whose TERM is not 256-colour: the session receives frames of
/// `▀` cells, never the file (its bytes, nor a kitty or sixel picture made of it, whatever
/// the server's `graphics`); the file is gone from the server's disk, the database holds it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_ssh_an_attachment_is_shown_in_half_blocks_and_never_sent() {
    use ssh_client::{Client, new_key};

    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let db = db.to_str().unwrap();
    let img = image::RgbImage::from_fn(64, 32, |_, y| {
        if y < 16 {
            image::Rgb([220, 0, 0])
        } else {
            image::Rgb([0, 0, 230])
        }
    });
    let scan = dir.path().join("cheque-1001.tif");
    img.save(&scan).unwrap();
    let tiff = std::fs::read(&scan).unwrap();
    assert!(tiff.starts_with(b"II*\0") || tiff.starts_with(b"MM\0*"));
    let o = owed_db(
        dir.path(),
        db,
        &[
            "--as",
            "alice",
            "attach",
            "K7",
            scan.to_str().unwrap(),
            "--text",
            "lockbox cheque",
        ],
    );
    succeeded(&o);
    std::fs::remove_file(&scan).unwrap();
    let (dana, alice) = (new_key(), new_key());
    for (name, role, key) in [("dana", "manager", &dana), ("alice", "collector", &alice)] {
        add_user(dir.path(), db, name, role, key);
    }

    // Even when the server's own terminal is set to kitty graphics: a session gets cells.
    std::fs::write(dir.path().join("config.toml"), "graphics = \"kitty\"\n").unwrap();
    let (_server, addr) = serve(dir.path(), db);
    let a = Client::logged_in(addr, "alice", &alice).await;
    let t = a.terminal((100, 40), "xterm", &[]).await;
    t.wait_for("Acme Widgets").await;
    t.send(b"/widgets\r").await;
    t.wait_for("Customer K7").await;
    t.send(b"v").await;
    t.wait_for("cheque-1001.tif · TIFF image").await;
    // Red over blue: the upper cells ANSI red on red, the lower blue on blue.
    let cells = |s: &ssh_client::Seen, fg: vt100::Color, bg: vt100::Color| {
        let screen = s.parser.screen();
        let (rows, cols) = screen.size();
        (0..rows.get())
            .flat_map(|r| (0..cols.get()).map(move |c| (r, c)))
            .filter_map(|(r, c)| screen.cell(r, c))
            .filter(|c| c.contents() == "▀" && c.fgcolor() == fg && c.bgcolor() == bg)
            .count()
    };
    let (red, blue) = (vt100::Color::Idx(1), vt100::Color::Idx(4));
    t.wait("red and blue half blocks", |s| {
        cells(s, red, red) > 200 && cells(s, blue, blue) > 200
    })
    .await;
    {
        let seen = t.seen.lock().unwrap();
        let raw = &seen.raw;
        let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
        // The file's bytes are not in the stream, nor a picture protocol's escape.
        assert!(!has(&tiff[..16]), "the TIFF's first bytes were sent");
        assert!(!has(b"\x1b_G"), "a kitty graphics escape was sent");
        assert!(!has(b"\x1bP"), "a sixel (DCS) escape was sent");
        // Within the client's 16 colours.
        assert!(!has(b"38;5;") && !has(b"48;5;") && !has(b"38;2;"));
    }
    t.send(b"\x1b").await;
    t.wait("the viewer closed", |s| {
        !s.parser.screen().contents().contains("TIFF image")
    })
    .await;
}

/// A child process killed if the test ends before it does.
struct Reaped(std::process::Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `[serve] files` must name a folder: a server that would refuse every file, or write them
/// somewhere unexpected, does not start; one that has it says so.
#[test]
fn the_files_folder_is_checked_when_the_server_starts() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    std::fs::write(
        dir.path().join("config.toml"),
        "[serve]\nfiles = \"shared\"\n",
    )
    .unwrap();
    let o = owed_db(dir.path(), &db, &["serve", "--listen", "127.0.0.1:0"]);
    refused(&o, 2, "[serve] files = ");
    assert!(
        stderr(&o).contains("shared is not a folder"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("host_key.ed25519").exists());

    // Made, relative to the config: the server names it before it listens.
    std::fs::create_dir(dir.path().join("shared")).unwrap();
    let mut server = Reaped(
        common::command_db(dir.path(), &db, &["serve", "--listen", "127.0.0.1:0"])
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let err = server.0.stderr.take().unwrap();
    let said: Vec<String> = std::io::BufReader::new(err)
        .lines()
        .map_while(Result::ok)
        .take_while(|l| !l.contains("listening on"))
        .collect();
    let folder = dir.path().join("shared").canonicalize().unwrap();
    assert!(
        said.iter().any(|l| l.contains(&format!(
            "files folder {}: each user attaches from and exports to their own folder",
            folder.display()
        ))),
        "{said:?}"
    );
}

/// A user's folder of the files folder that is there before their session and is not the
/// server's user's alone (0755 here: made by hand, or a removed user's opened up) took their
/// exports, for whoever could open it to read. The session says so as it starts, the log
/// names it, and an export into it is refused; closed (`chmod 700`), it is theirs.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_users_folder_open_to_others_is_refused_when_their_session_starts() {
    use ssh_client::Client;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (db, alice) = served(dir.path(), "alice", "collector");
    std::fs::write(
        dir.path().join("config.toml"),
        "[serve]\nfiles = \"shared\"\n",
    )
    .unwrap();
    let own = dir.path().join("shared/alice");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_server, addr, log) = serve_logged(dir.path(), &db);
    let a = Client::logged_in(addr, "alice", &alice).await;
    let t = a.terminal((240, 40), "xterm", &[]).await;
    t.wait_for("which others may open (mode 755, not 700)")
        .await;
    let said = log_until(&log, |said| {
        said.iter()
            .any(|l| l.contains("alice's files are refused over SSH: your folder"))
    });
    assert!(
        said.iter()
            .any(|l| l.contains("others may open (mode 755, not 700)")),
        "{said:#?}"
    );
    t.send(b":export q.xlsx\r").await;
    t.wait_for("q.xlsx is in your folder").await;
    assert!(!own.join("q.xlsx").exists());
    drop((t, a));
    // Closed, it is hers.
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o700)).unwrap();
    let a = Client::logged_in(addr, "alice", &alice).await;
    let t = a.terminal((240, 40), "xterm", &[]).await;
    t.wait_for("Acme Widgets").await;
    t.send(b":export q.xlsx\r").await;
    t.wait_for("wrote").await;
    assert!(own.join("q.xlsx").is_file());
}

/// The server's resident memory in KiB (Linux).
fn resident_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// A client that types faster than the workstation works (a key held down by a weight, a
/// paste into the wrong window, or on purpose; an auditor can) is held back where its input
/// is counted, or cut: the server's memory stays where it was, and its session ends with
/// its connection instead of working through a backlog for minutes.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_keys_keeps_the_server_in_bounds_and_ends_with_the_connection() {
    use ssh_client::Client;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let (db, carol) = served(dir.path(), "carol", "auditor");
    let (server, addr, log) = serve_logged(dir.path(), &db);
    let pid = server.0.id();
    let client = Client::logged_in(addr, "carol", &carol).await;
    let term = client.terminal((120, 36), "xterm-256color", &[]).await;
    term.wait_for("Queue").await;
    let before = resident_kib(pid);
    let mut peak = before;
    let burst: Vec<u8> = b"jk".repeat(4096);
    let start = Instant::now();
    // About 330,000 keys a second: more than the workstation takes, less than the server
    // cuts at once (a megabyte unread).
    while start.elapsed() < Duration::from_secs(3) {
        let sent =
            tokio::time::timeout(Duration::from_secs(1), term.write.data_bytes(burst.clone()))
                .await;
        peak = peak.max(resident_kib(pid));
        if !matches!(sent, Ok(Ok(()))) || term.seen.lock().unwrap().closed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    client.disconnect().await;
    drop(term);
    drop(client);
    let gone = Instant::now();
    let mut said = Vec::new();
    let ended = loop {
        match log.recv_timeout(Duration::from_millis(100)) {
            Ok(line)
                if line.contains("owed serve: carol (") && line.contains("'s session ended") =>
            {
                break true;
            }
            Ok(line) => said.push(line),
            _ if gone.elapsed() > Duration::from_secs(10) => break false,
            _ => {}
        }
    };
    peak = peak.max(resident_kib(pid));
    assert!(
        ended,
        "the session was still running 10 s after its connection went"
    );
    assert!(
        peak < before + 100 * 1024,
        "the server grew from {before} KiB to {peak} KiB"
    );
    // Every line of the log is the server's own, with its time: nothing from a library
    // about a client that is gone.
    assert!(said.iter().all(|l| l.contains(" owed serve: ")), "{said:?}");
}

/// Starts `owed serve` on `db` in `dir`: the child, the address it listens on, and the lines
/// of its log as they come.
fn serve_logged(
    dir: &std::path::Path,
    db: &str,
) -> (
    Reaped,
    std::net::SocketAddr,
    std::sync::mpsc::Receiver<String>,
) {
    serve_logged_with(dir, db, &[])
}

/// The same on a database not yet made, in a new folder (kept alive by the first value).
fn serve_logged_afresh() -> (
    tempfile::TempDir,
    Reaped,
    std::net::SocketAddr,
    std::sync::mpsc::Receiver<String>,
) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let (server, addr, log) = serve_logged(dir.path(), db.to_str().unwrap());
    (dir, server, addr, log)
}

/// The same, with `env` in the server's environment.
fn serve_logged_with(
    dir: &std::path::Path,
    db: &str,
    env: &[(&str, &str)],
) -> (
    Reaped,
    std::net::SocketAddr,
    std::sync::mpsc::Receiver<String>,
) {
    use std::io::BufRead;
    let mut server = Reaped(
        common::command_db(dir, db, &["serve", "--listen", "127.0.0.1:0"])
            .envs(env.iter().copied())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let err = server.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let listening = loop {
        let line = rx.recv_timeout(ssh_client::PATIENCE).unwrap();
        if line.contains("listening on") {
            break line;
        }
    };
    (server, listen_address(&listening), rx)
}

/// A connection that breaks on the protocol (bytes that are no SSH packet; a client's locale
/// that is no UTF-8, which the SSH library refuses itself) is said in the log, as every other
/// end is: it was dropped without a line.
#[test]
fn a_connection_broken_on_the_protocol_is_in_the_log() {
    use std::io::{Read, Write};
    let (_dir, _server, addr, log) = serve_logged_afresh();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    let mut greeting = [0u8; 64];
    let _ = client.read(&mut greeting).unwrap();
    client
        .write_all(b"SSH-2.0-test\r\n\x00\x00\x00\x0c\x0a\x14")
        .unwrap();
    client.write_all(&[0xff; 20]).unwrap();
    let said = log_line_of(&log, &client);
    assert!(said.contains("ended on an error: "), "{said}");
}

/// The server's log line that names the connection of `client` (its address and port).
fn log_line_of(log: &std::sync::mpsc::Receiver<String>, client: &std::net::TcpStream) -> String {
    let me = client.local_addr().unwrap();
    loop {
        let line = log
            .recv_timeout(ssh_client::PATIENCE)
            .unwrap_or_else(|_| panic!("no line of the log names {me}"));
        if line.contains(&format!("the connection from {me} ")) {
            return line;
        }
    }
}

/// What is no SSH client (an HTTP request, an SSH-1 client, escapes, a client that closes at
/// once) ends before the SSH protocol starts: each is one line of the log with its address
/// and port and what it sent, escaped and cut (such connections left no line).
#[test]
fn a_connection_that_is_no_ssh_client_is_one_line_of_the_log() {
    use std::io::{Read, Write};
    let (_dir, _server, addr, log) = serve_logged_afresh();
    let escapes = format!("{}\r\n", "\x1b[31mX\x1b]0;pwned\x07".repeat(20));
    for (sent, said) in [
        (
            "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
            "it sent `GET / HTTP/1.1",
        ),
        ("SSH-1.5-old\r\n", "it sent `SSH-1.5-old"),
        (escapes.as_str(), "which is no SSH-2.0 version"),
        ("", "it closed without sending anything"),
    ] {
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client.write_all(sent.as_bytes()).unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let mut rest = Vec::new();
        let _ = client.read_to_end(&mut rest);
        let line = log_line_of(&log, &client);
        assert!(
            line.contains("ended before the SSH protocol started: ") && line.contains(said),
            "{sent:?}: {line}"
        );
        assert!(!line.contains('\x1b') && !line.contains('\x07'), "{line}");
        assert!(line.chars().count() < 300, "{line}");
    }
}

/// A key-exchange offer that matches nothing is said with what the client offered, escaped
/// and cut: 16 KB of the client's text went into one line of the log.
#[test]
fn a_key_exchange_offer_that_matches_nothing_is_cut_in_the_log() {
    use std::io::{Read, Write};
    let (_dir, _server, addr, log) = serve_logged_afresh();
    let mut client = std::net::TcpStream::connect(addr).unwrap();
    client.write_all(b"SSH-2.0-test\r\n").unwrap();
    let names: Vec<String> = (0..1000).map(|i| format!("Z\x1b[31mX{i}")).collect();
    let hostile = names.join(",");
    // SSH_MSG_KEXINIT: a cookie, ten name-lists (the first the hostile one, the others
    // what the server takes), no guess, and a reserved word.
    let mut payload = vec![20u8];
    payload.extend_from_slice(&[7; 16]);
    let lists = [
        hostile.as_str(),
        "ssh-ed25519",
        "aes128-ctr",
        "aes128-ctr",
        "hmac-sha2-256",
        "hmac-sha2-256",
        "none",
        "none",
        "",
        "",
    ];
    for list in lists {
        payload.extend_from_slice(&(list.len() as u32).to_be_bytes());
        payload.extend_from_slice(list.as_bytes());
    }
    payload.extend_from_slice(&[0, 0, 0, 0, 0]);
    let padding = 8 - (payload.len() + 5) % 8 + 8;
    let mut packet = ((payload.len() + padding + 1) as u32)
        .to_be_bytes()
        .to_vec();
    packet.push(padding as u8);
    packet.extend_from_slice(&payload);
    packet.extend(std::iter::repeat_n(0u8, padding));
    client.write_all(&packet).unwrap();
    let mut rest = Vec::new();
    let _ = client.read_to_end(&mut rest);
    let line = log_line_of(&log, &client);
    assert!(
        line.contains(
            "ended on an error: no key-exchange algorithm in common: the client offered `Z"
        ),
        "{line}"
    );
    assert!(!line.contains('\x1b'), "{line}");
    assert!(
        line.chars().count() < 400,
        "{} characters: {line}",
        line.chars().count()
    );
}

/// A session open past midnight on a server without `--as-of` moves to the new day by itself:
/// its title, and a follow-up typed `today` is for that day (each session used to keep the day
/// it opened on). The ledger's time zone is one whose midnight comes 10 s after the server
/// starts; the server, started in UTC, counts in it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_open_past_midnight_moves_to_the_new_day() {
    use ssh_client::Client;
    let dir = tempfile::tempdir().unwrap();
    let (db, alice) = served(dir.path(), "alice", "collector");
    let (tz, today) = common::midnight_in(std::time::Duration::from_secs(10));
    let tomorrow = today.succ_opt().unwrap();
    succeeded(&owed_db(
        dir.path(),
        &db,
        &["--as", "dana", "config", "time-zone", &tz],
    ));
    let (_server, addr, log) = serve_logged_with(dir.path(), &db, &[("TZ", "UTC")]);
    std::thread::spawn(move || for _ in log {});
    let a = Client::logged_in(addr, "alice", &alice).await;
    let t = a.terminal((140, 40), "xterm-256color", &[]).await;
    t.wait_for(&format!("today {today}")).await;
    t.wait_for(&format!("today {tomorrow}")).await;
    t.send(b"/kite\r").await;
    t.wait_for("Customer K1").await;
    t.send(b"f").await;
    t.wait_for("Follow-up · Kite Supplies (K1)").await;
    t.send(b"today\rCall AP\r").await;
    t.wait_for(&format!(
        "saved: Follow-up 2 scheduled for K1 (Kite Supplies) on {tomorrow}."
    ))
    .await;
}

/// A manager removes a user, or changes their role, while their session runs: the session
/// is cut within seconds with the reason (its writes already go by the role the user has
/// now), and the user's next login is what the users now say.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_removed_or_given_another_role_is_cut_off() {
    use ssh_client::{Client, PATIENCE, new_key};

    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let db = db.to_str().unwrap();
    let (alice, bob) = (new_key(), new_key());
    add_user(dir.path(), db, "dana", "manager", &new_key());
    add_user(dir.path(), db, "alice", "collector", &alice);
    add_user(dir.path(), db, "bob", "collector", &bob);
    let (_server, addr, log) = serve_logged(dir.path(), db);
    let alices = Client::logged_in(addr, "alice", &alice).await;
    let alice_term = alices.terminal((120, 36), "xterm-256color", &[]).await;
    let bobs = Client::logged_in(addr, "bob", &bob).await;
    let bob_term = bobs.terminal((120, 36), "xterm-256color", &[]).await;
    alice_term.wait_for("Queue").await;
    bob_term.wait_for("Queue").await;

    succeeded(&owed_db(
        dir.path(),
        db,
        &["--as", "dana", "user", "role", "alice", "auditor"],
    ));
    succeeded(&owed_db(
        dir.path(),
        db,
        &["--as", "dana", "user", "remove", "bob"],
    ));
    alice_term.wait_closed().await;
    bob_term.wait_closed().await;
    // Each terminal is put back (the main screen, the cursor shown) and says why: cut at
    // once, it stayed in the app's screen with the cursor hidden.
    for (term, why) in [
        (&alice_term, "owed: your role is now auditor: connect again"),
        (
            &bob_term,
            "owed: your user or key was removed from this server",
        ),
    ] {
        let seen = term.seen.lock().unwrap();
        let screen = seen.parser.screen();
        assert!(!screen.alternate_screen(), "back on the main screen");
        assert!(!screen.hide_cursor(), "the cursor shown");
        assert!(screen.contents().contains(why), "{}", screen.contents());
    }
    let mut said = Vec::new();
    let deadline = std::time::Instant::now() + PATIENCE;
    while said.len() < 2 && std::time::Instant::now() < deadline {
        if let Ok(line) = log.recv_timeout(std::time::Duration::from_millis(100))
            && line.contains("session was cut")
        {
            // Without the time the line starts with.
            said.push(
                line.split_once(" owed serve: ")
                    .map(|(_, s)| s.to_string())
                    .unwrap_or(line),
            );
        }
    }
    said.sort();
    assert_eq!(
        said,
        [
            "alice's session was cut: your role is now auditor: connect again",
            "bob's session was cut: your user or key was removed from this server",
        ]
    );
    // Alice comes back as an auditor; bob's key opens nothing.
    let again = Client::logged_in(addr, "alice", &alice).await;
    let term = again.terminal((120, 36), "xterm-256color", &[]).await;
    term.wait_for("Queue").await;
    let mut refused = Client::connect(addr).await;
    assert!(!refused.login("bob", &bob).await);
    // The log says so, once for the connection.
    let deadline = std::time::Instant::now() + PATIENCE;
    let mut refusals = 0;
    while std::time::Instant::now() < deadline {
        match log.recv_timeout(std::time::Duration::from_millis(300)) {
            Ok(line) if line.contains("refused a key for") && line.contains("bob") => {
                refusals += 1;
            }
            Ok(_) => {}
            Err(_) if refusals > 0 => break,
            Err(_) => {}
        }
    }
    assert_eq!(refusals, 1);
}

/// The lines of the server's log that come within `quiet` of each other, up to
/// [`ssh_client::PATIENCE`] in all, without their times; until `enough` holds for them.
fn log_until(
    log: &std::sync::mpsc::Receiver<String>,
    enough: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + ssh_client::PATIENCE;
    let mut said = Vec::new();
    while !enough(&said) && std::time::Instant::now() < deadline {
        if let Ok(line) = log.recv_timeout(std::time::Duration::from_millis(100)) {
            said.push(
                line.split_once(" owed serve: ")
                    .map(|(_, s)| s.to_string())
                    .unwrap_or(line),
            );
        }
    }
    // What more comes at once (a line that should not).
    while let Ok(line) = log.recv_timeout(std::time::Duration::from_millis(1500)) {
        said.push(line);
    }
    said
}

/// What a logged-in user is refused (a command, `sftp`, `ssh -T`) is logged as that user,
/// with the address, port and key; a session's start names its key; a password is a
/// refusal of its own; clients that close as clients do are no errors. The log's only line
/// for each of these was `the connection from 127.0.0.1 ended on an error: early eof`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_name_their_user_and_key_and_closes_are_no_errors() {
    use ssh_client::{Client, new_key};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let db = db.to_str().unwrap();
    let alice = new_key();
    add_user(dir.path(), db, "dana", "manager", &new_key());
    add_user(dir.path(), db, "alice", "collector", &alice);
    let (_server, addr, log) = serve_logged(dir.path(), db);
    let key = format!(
        "(ssh-ed25519 {})",
        alice.public_key().fingerprint(russh::keys::HashAlg::Sha256)
    );

    let client = Client::logged_in(addr, "alice", &alice).await;
    let command = client.channel((80, 24)).await;
    command.write.exec(true, "cat /etc/passwd").await.unwrap();
    command.wait_closed().await;
    let sftp = client.channel((80, 24)).await;
    sftp.write.request_subsystem(true, "sftp").await.unwrap();
    sftp.wait_closed().await;
    let no_pty = client.channel((80, 24)).await;
    no_pty.write.request_shell(true).await.unwrap();
    no_pty.wait_closed().await;
    client.disconnect().await;
    drop(client);

    let session = Client::logged_in(addr, "alice", &alice).await;
    let term = session.terminal((120, 36), "xterm-256color", &[]).await;
    term.wait_for("alice").await;
    drop((term, session));

    let mut password = Client::connect(addr).await;
    assert!(!password.login_password("alice", "secret").await);
    drop(password);
    let mut stranger = Client::connect(addr).await;
    assert!(!stranger.login("alice", &new_key()).await);
    drop(stranger);
    // One that leaves without trying to log in.
    drop(Client::connect(addr).await);

    let said = log_until(&log, |said| {
        said.iter()
            .any(|l| l.contains("owed serve: alice (") && l.contains("'s session ended"))
            && said.iter().any(|l| l.contains("closed before logging in"))
            && said.iter().any(|l| l.contains("refused a key"))
    });
    let has = |start: &str, end: &str| {
        said.iter()
            .any(|l| l.starts_with(start) && l.contains("127.0.0.1:") && l.ends_with(end))
    };
    for what in [
        "the command `cat /etc/passwd`",
        "the subsystem `sftp`",
        "a session without a terminal",
    ] {
        assert!(
            has(
                &format!("refused {what} to alice (collector) from 127.0.0.1:"),
                &format!("{key}: only the workstation on a terminal is served")
            ),
            "{what}: {said:#?}"
        );
    }
    assert!(
        has("alice (collector) started a session from 127.0.0.1:", &key),
        "{said:#?}"
    );
    assert!(
        has(
            "refused a password for `alice` from 127.0.0.1:",
            ": only keys are taken"
        ),
        "{said:#?}"
    );
    assert!(
        has("refused a key for `alice` from 127.0.0.1:", ")"),
        "{said:#?}"
    );
    // Each connection that logged in or was refused is said once; the one that tried
    // nothing closed before logging in; none of them is an error.
    assert_eq!(
        said.iter()
            .filter(|l| l.contains("closed before logging in"))
            .count(),
        1,
        "{said:#?}"
    );
    assert!(!said.iter().any(|l| l.contains("error")), "{said:#?}");
}

/// SIGHUP (the terminal `owed serve` ran in closed) stops the server as SIGTERM does: the
/// sessions end with the reason and their terminals put back, and the log says it stops. It
/// killed the server at once, the clients' terminals left in the app's screen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_stops_the_server_as_sigterm_does() {
    use ssh_client::Client;
    let dir = tempfile::tempdir().unwrap();
    let (db, key) = served(dir.path(), "alice", "collector");
    let (mut server, addr, log) = serve_logged(dir.path(), &db);
    let client = Client::logged_in(addr, "alice", &key).await;
    let term = client.terminal((120, 36), "xterm-256color", &[]).await;
    term.wait_for("Queue").await;
    let status = std::process::Command::new("kill")
        .args(["-HUP", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    term.wait_closed().await;
    {
        let seen = term.seen.lock().unwrap();
        let screen = seen.parser.screen();
        assert!(!screen.alternate_screen(), "back on the main screen");
        assert!(
            screen.contents().contains("owed: the server is stopping"),
            "{}",
            screen.contents()
        );
    }
    let code = stopped(&mut server.0).await;
    assert_eq!(code, Some(0));
    let said = all_said(&log);
    assert!(
        said.iter().any(|l| l.ends_with("owed serve: stopping")),
        "{said:?}"
    );
}

/// Every line the server wrote to its log, once it has stopped: read until its end (the reader
/// thread may still be handing on the last lines when the process is gone).
fn all_said(log: &std::sync::mpsc::Receiver<String>) -> Vec<String> {
    std::iter::from_fn(|| log.recv_timeout(std::time::Duration::from_secs(10)).ok()).collect()
}

/// The server's exit code once it has stopped by itself (at most [`ssh_client::PATIENCE`]).
async fn stopped(server: &mut std::process::Child) -> Option<i32> {
    let deadline = std::time::Instant::now() + ssh_client::PATIENCE;
    loop {
        if let Some(status) = server.try_wait().unwrap() {
            return status.code();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not stop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
