//! The server benchmark: `owed serve` (the real binary) on a generated portfolio of 100k
//! customers, measured through real SSH connections (the tests' in-process russh client, the
//! frames parsed by vt100), as the issue's figures ask:
//!
//! - the server's memory with no session and with [`SESSIONS`] (VmRSS and smaps'
//!   Private_Dirty), and so per additional session;
//! - each new session's first frame with queue rows, from the end of its authentication;
//! - the server's CPU over 5 s with every session open and no key pressed;
//! - every session pressing `j` every 100 ms: key → the frame that shows the move, p50/p99;
//! - a note saved in one session → the frame of another session that shows it;
//! - what one session's or program's work costs the others: a session's key while a
//!   manager exports, presses `R`, while a script commits beside the server, and while a
//!   session saves meanwhile.
//!
//! `cargo bench --bench serve` generates the demo in a temporary directory
//! (`OWED_BENCH_CUSTOMERS`, default 100,000). `OWED_BENCH_DB=PATH` serves an existing demo
//! database instead (generated once with `owed demo --no-tui --customers 100000 --db PATH`);
//! the users, their keys (in `PATH.bench-keys/`, made at the first run) and one note a run
//! are added to it. `OWED_BENCH_SIZE=COLSxROWS` sets the terminals' size (default 160x48),
//! `OWED_BENCH_BIN` another `owed` binary to serve.
//! Timing lives here, never in tests.

#[path = "../tests/ssh_client/mod.rs"]
mod ssh_client;

use russh::keys::PrivateKey;
use ssh_client::{Client, PATIENCE, Term};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OWED: &str = env!("CARGO_BIN_EXE_owed");
/// How many users log in at once.
const SESSIONS: usize = 20;
/// The demo's collectors (each owns customers); the other users own none, so their queue
/// shows everyone's.
const COLLECTORS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
/// How many `j` each session presses, one every [`KEY_PERIOD`].
const PRESSES: usize = 100;
const KEY_PERIOD: Duration = Duration::from_millis(100);

/// The users' names: the demo's collectors, then `user07`….
fn user_names() -> Vec<String> {
    (0..SESSIONS)
        .map(|i| match COLLECTORS.get(i) {
            Some(name) => name.to_string(),
            None => format!("user{:02}", i + 1),
        })
        .collect()
}

/// The binary with an empty config (`OWED_BENCH_BIN` for another build of it).
fn owed(config: &Path, db: &Path) -> Command {
    let mut c = Command::new(std::env::var_os("OWED_BENCH_BIN").unwrap_or_else(|| OWED.into()));
    c.env("OWED_CONFIG", config).arg("--db").arg(db);
    c
}

fn run(mut c: Command) {
    let o = c.stdout(Stdio::null()).output().expect("start owed");
    assert!(
        o.status.success(),
        "{c:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The users' keys, made and added at the first run on a database (frank, a manager, adds
/// the others), read back at the next — when the database still has its users (a fresh copy
/// of one has not: its keys are made again).
fn users(config: &Path, db: &Path) -> Vec<(String, PrivateKey)> {
    let dir = PathBuf::from(format!("{}.bench-keys", db.display()));
    let names = user_names();
    // Read only and without the library's store, which would bring the database to this
    // build's schema: `OWED_BENCH_BIN` may be an earlier binary, which must still open it.
    let registered =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| {
                c.query_row("SELECT count(*) FROM users WHERE name = 'frank'", [], |r| {
                    r.get::<_, i64>(0)
                })
            })
            .is_ok_and(|n| n > 0);
    if dir.exists() && !registered {
        std::fs::remove_dir_all(&dir).expect("remove the stale keys");
    }
    if dir.exists() {
        return names
            .into_iter()
            .map(|name| {
                let text = std::fs::read_to_string(dir.join(&name)).expect("a bench key");
                let key = PrivateKey::from_openssh(text).expect("a private key");
                (name, key)
            })
            .collect();
    }
    let made = dir.with_extension("bench-keys.part");
    std::fs::create_dir_all(&made).expect("key directory");
    let mut users = Vec::new();
    // frank first: the first user must be a manager.
    for name in
        std::iter::once("frank".to_string()).chain(names.into_iter().filter(|n| n != "frank"))
    {
        let key = ssh_client::new_key();
        let line = key.public_key().to_openssh().expect("public key line");
        let role = if name == "frank" {
            "manager"
        } else {
            "collector"
        };
        let mut c = owed(config, db);
        c.args([
            "--as", "frank", "user", "add", &name, "--role", role, "--key", &line,
        ]);
        run(c);
        let text = key
            .to_openssh(russh::keys::ssh_key::LineEnding::LF)
            .expect("openssh");
        std::fs::write(made.join(&name), text.as_bytes()).expect("write key");
        users.push((name, key));
    }
    std::fs::rename(&made, &dir).expect("keep the keys");
    let order = user_names();
    users.sort_by_key(|(n, _)| order.iter().position(|o| o == n));
    users
}

/// A child process killed if the benchmark ends before it does.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The process's user + system CPU so far.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    // After the command's name (in parentheses): state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// Resident and private dirty memory, in kB.
fn memory(pid: u32) -> (u64, u64) {
    let field = |file: &str, name: &str| {
        std::fs::read_to_string(format!("/proc/{pid}/{file}"))
            .expect("proc")
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (
        field("status", "VmRSS:"),
        field("smaps_rollup", "Private_Dirty:"),
    )
}

/// Waits until the server's CPU has not moved for a second (the portfolio it keeps ahead
/// of the sessions is computed, or the sessions' frames are all drawn).
fn settle(pid: u32) {
    let mut last = cpu(pid);
    let mut still = 0;
    while still < 4 {
        std::thread::sleep(Duration::from_millis(250));
        let now = cpu(pid);
        still = if now == last { still + 1 } else { 0 };
        last = now;
    }
}

/// Waits until the screen satisfies `check`, looking at each message as it arrives; the
/// moment it did.
async fn until(t: &Term, what: &str, check: impl Fn(&str) -> bool) -> Instant {
    let mut rx = t.received.clone();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        rx.borrow_and_update();
        if check(&t.screen()) {
            return Instant::now();
        }
        if tokio::time::timeout_at(deadline, rx.changed())
            .await
            .is_err()
        {
            panic!("waited {PATIENCE:?} for {what}; screen:\n{}", t.screen());
        }
    }
}

/// The id of the customer whose detail a screen shows (its section's title, drawn from the
/// detail the service answers): empty before one is shown.
fn detail_line(screen: &str) -> String {
    screen
        .split("─ Customer ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default()
        .to_string()
}

/// `j` in `t`, timed to the frame that shows the next customer's detail (which the service
/// answers, unlike the cursor's move).
async fn next_detail(t: &Term) -> Duration {
    let before = detail_line(&t.screen());
    let sent = Instant::now();
    t.send(b"j").await;
    let shown = until(t, "the next customer's detail", |s| {
        let now = detail_line(s);
        !now.is_empty() && now != before
    })
    .await;
    shown - sent
}

/// Presses `j` in `t` every 50 ms until `done` (at most `limit`): how long each wait for the
/// next customer's detail took.
async fn keys_until(t: &Term, limit: Duration, done: impl Fn() -> bool) -> Vec<Duration> {
    let start = Instant::now();
    let mut times = Vec::new();
    while start.elapsed() < limit && !done() {
        times.push(next_detail(t).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    times
}

/// What one session's or program's work costs the others: alice's next customer's detail,
/// timed while frank (a manager) exports everyone's queue, presses `R` (after a save, then
/// again with nothing changed), while a script of `owed note` commits beside the server, and
/// while it does and frank saves a note every 1.5 s.
async fn others_wait(alice: &Term, frank: &Term, config: &Path, db: &Path) {
    alice.send(b"\x1b").await;
    until(alice, "alice's queue", |s| {
        !s.contains("filter: owner:alice")
    })
    .await;
    frank.send(b":all\r").await;
    frank.send(b":tab all\r").await;
    until(frank, "everyone's queue", |s| {
        s.contains("Queue · everyone")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    summary("alice's `j` → detail, nothing else going on", {
        let mut t = Vec::new();
        for _ in 0..10 {
            t.push(next_detail(alice).await);
        }
        t
    });

    let name = format!("bench-{}.xlsx", std::process::id());
    frank.send(format!(":export {name}\r").as_bytes()).await;
    let asked = Instant::now();
    let times = keys_until(alice, PATIENCE, || frank.screen().contains("wrote ")).await;
    let written = until(frank, "the export written", |s| s.contains("wrote ")).await;
    summary("… while frank exports everyone's queue (xlsx)", times);
    println!(
        "{:<44} {:.2} s",
        "… the export written, after Enter",
        (written - asked).as_secs_f64()
    );

    for what in [
        "… while frank presses R (after a save)",
        "… and R again (nothing changed)",
    ] {
        tokio::time::sleep(Duration::from_secs(2)).await;
        frank.send(b"R").await;
        summary(
            what,
            keys_until(alice, Duration::from_secs(3), || false).await,
        );
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let script = script_of_notes(&stop, config, db);
    let times = keys_until(alice, Duration::from_secs(10), || false).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let notes = script.join().expect("the script");
    summary(
        &format!("… while a script commits {notes} notes beside"),
        times,
    );

    // The same while frank saves a note every 1.5 s: a save overtakes the figures being
    // computed beside for the script's commits.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(false, std::sync::atomic::Ordering::Relaxed);
    let script = script_of_notes(&stop, config, db);
    let saving = async {
        let mut saved = 0;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            frank.send(b"n").await;
            frank.send(format!("frank's note {saved}").as_bytes()).await;
            frank.send(b"\r").await;
            saved += 1;
        }
        saved
    };
    let (times, saved) = tokio::join!(keys_until(alice, Duration::from_secs(10), || false), saving);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let notes = script.join().expect("the script");
    summary(
        &format!("… and frank saving {saved} notes meanwhile ({notes})"),
        times,
    );
}

/// A script of `owed note`, one commit after another beside the server until `stop`: how
/// many it committed.
fn script_of_notes(
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
    config: &Path,
    db: &Path,
) -> std::thread::JoinHandle<usize> {
    let (stop, config, db) = (stop.clone(), config.to_path_buf(), db.to_path_buf());
    std::thread::spawn(move || {
        let mut n = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let mut c = owed(&config, &db);
            c.args(["--as", "frank", "note", "C000001", "a note from a script"]);
            let o = c.output().expect("owed note");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            n += 1;
        }
        n
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`th percentile (0–100) of sorted durations.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p / 100.0).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<44} p50 {:>7.1} ms   p99 {:>7.1} ms   max {:>7.1} ms   (n = {})",
        ms(percentile(&times, 50.0)),
        ms(percentile(&times, 99.0)),
        ms(*times.last().unwrap()),
        times.len()
    );
}

fn main() {
    let size: (u16, u16) = std::env::var("OWED_BENCH_SIZE")
        .ok()
        .and_then(|v| {
            let (c, r) = v.split_once('x')?;
            Some((c.parse().ok()?, r.parse().ok()?))
        })
        .unwrap_or((160, 48));
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    // A files folder, so that the sessions may export (each into its user's folder).
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).expect("files folder");
    std::fs::write(
        &config,
        format!("[serve]\nfiles = {:?}\n", files.display().to_string()),
    )
    .expect("write config");
    let db = match std::env::var_os("OWED_BENCH_DB") {
        Some(db) => PathBuf::from(db),
        None => {
            let n = std::env::var("OWED_BENCH_CUSTOMERS").unwrap_or_else(|_| "100000".into());
            let db = dir.path().join("demo.db");
            let mut c = owed(&config, &db);
            c.args(["demo", "--no-tui", "--customers", &n]);
            run(c);
            db
        }
    };
    println!(
        "owed serve benchmark: {} ({SESSIONS} sessions, terminals {}x{})",
        db.display(),
        size.0,
        size.1
    );
    let users = users(&config, &db);

    let started = Instant::now();
    let mut server = Reaped(
        owed(&config, &db)
            .args(["serve", "--listen", "127.0.0.1:0", "--host-key"])
            .arg(dir.path().join("host_key"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start owed serve"),
    );
    let pid = server.0.id();
    let mut lines = std::io::BufReader::new(server.0.stderr.take().unwrap()).lines();
    // What it says before it listens (the files folder) goes before the address.
    let listening = lines
        .by_ref()
        .map(|l| l.expect("stderr"))
        .find(|l| l.contains("listening on "))
        .expect("the server says where it listens");
    // The rest of what the server says, after the figures.
    let said = std::thread::spawn(move || lines.map_while(|l| l.ok()).collect::<Vec<_>>());
    let addr: std::net::SocketAddr = listening
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {listening:?}"));
    settle(pid);
    println!(
        "{:<44} {:>7.2} s (CPU {:.2} s)",
        "server up, today's portfolio computed",
        started.elapsed().as_secs_f64(),
        cpu(pid).as_secs_f64()
    );
    let (rss0, dirty0) = memory(pid);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        // One session after another, each timed from its authentication to its rows.
        let mut sessions = Vec::new();
        let mut first_frames = Vec::new();
        for (name, key) in &users {
            let mut client = Client::connect(addr).await;
            assert!(client.login(name, key).await, "{name} refused");
            let authenticated = Instant::now();
            let term = client.terminal(size, "xterm-256color", &[]).await;
            let rows = until(&term, "the queue's rows", |s| s.contains("· 1 of ")).await;
            first_frames.push(rows - authenticated);
            sessions.push((client, std::sync::Arc::new(term)));
        }
        summary("first frame with queue rows, after auth", first_frames);

        tokio::task::spawn_blocking(move || settle(pid))
            .await
            .unwrap();
        let (rss, dirty) = memory(pid);
        println!(
            "{:<44} VmRSS {} → {} MB, Private_Dirty {} → {} MB",
            format!("memory, 0 → {SESSIONS} sessions"),
            rss0 / 1024,
            rss / 1024,
            dirty0 / 1024,
            dirty / 1024
        );
        println!(
            "{:<44} VmRSS {:.2} MB, Private_Dirty {:.2} MB",
            "memory per additional session",
            rss.saturating_sub(rss0) as f64 / 1024.0 / SESSIONS as f64,
            dirty.saturating_sub(dirty0) as f64 / 1024.0 / SESSIONS as f64
        );

        let before = cpu(pid);
        tokio::time::sleep(Duration::from_secs(5)).await;
        println!(
            "{:<44} {:.0} ms",
            format!("server CPU, 5 s idle, {SESSIONS} sessions"),
            ms(cpu(pid) - before)
        );

        // Every session presses `j` every 100 ms (their starts spread over the period).
        let before = cpu(pid);
        let began = Instant::now();
        let mut tasks = Vec::new();
        let terms: Vec<std::sync::Arc<Term>> = sessions.iter().map(|(_, t)| t.clone()).collect();
        for (i, term) in terms.iter().enumerate() {
            let term = term.clone();
            tasks.push(tokio::spawn(async move {
                let offset = KEY_PERIOD * i as u32 / SESSIONS as u32;
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + offset, KEY_PERIOD);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                let mut times = Vec::with_capacity(PRESSES);
                for k in 0..PRESSES {
                    tick.tick().await;
                    let sent = Instant::now();
                    term.send(b"j").await;
                    let want = format!("· {} of ", k + 2);
                    let shown = until(&term, "the moved cursor", |s| s.contains(&want)).await;
                    times.push(shown - sent);
                }
                times
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.extend(t.await.unwrap());
        }
        let spent = began.elapsed();
        summary(
            &format!("{SESSIONS} sessions × `j` every 100 ms: key → frame"),
            times,
        );
        println!(
            "{:<44} {:.0}% of a core",
            "server CPU meanwhile",
            cpu(pid).saturating_sub(before).as_secs_f64() / spent.as_secs_f64() * 100.0
        );

        // A note by alice on her first overdue customer, watched in another user's session
        // (whose queue is everyone's) on the same customer, tall enough for its activity.
        let (alice, watcher) = (&terms[0], &terms[SESSIONS - 1]);
        for t in [alice, watcher] {
            t.send(b"/owner:alice\r").await;
        }
        watcher.resize(size.0, 200).await;
        for t in [alice, watcher] {
            until(t, "the filtered queue", |s| {
                s.contains("filter: owner:alice · 1 of")
            })
            .await;
        }
        until(watcher, "the customer's activity", |s| {
            s.contains("Activity")
        })
        .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let text = format!("bench note {}", std::process::id());
        alice.send(b"n").await;
        alice.send(text.as_bytes()).await;
        until(alice, "the typed note", |s| s.contains(&text)).await;
        let saved = Instant::now();
        alice.send(b"\r").await;
        let own = until(alice, "saved", |s| s.contains("saved: Note")).await;
        let other = until(watcher, "the note in another session", |s| {
            s.contains(&text)
        })
        .await;
        println!(
            "{:<44} {:.1} ms (in alice's own: {:.1} ms)",
            "a note saved → shown in another session",
            ms(other - saved),
            ms(own - saved)
        );

        others_wait(alice, &terms[5], &config, &db).await;

        for (client, _) in &sessions {
            client.disconnect().await;
        }
    });
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = server.0.wait();
    let said = said.join().unwrap_or_default();
    let notable: Vec<&String> = said
        .iter()
        .filter(|l| !l.contains("session ended") && !l.contains("stopping"))
        .collect();
    if !notable.is_empty() {
        println!("the server said: {notable:?}");
    }
}
