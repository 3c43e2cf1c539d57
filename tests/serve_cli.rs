//! `owed serve` on the command line: its options and config are checked before anything
//! starts; the binary serves the workstation to the database's users through the real SSH
//! protocol (the SSH layer on its own is tested in `serve_ssh.rs`).

mod common;
mod ssh_client;
mod workstation;

use common::{owed_in, stderr};

#[test]
fn bad_input_starts_nothing_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let o = owed_in(
        dir.path(),
        &[
            "--db",
            db.to_str().unwrap(),
            "serve",
            "--listen",
            "localhost",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("ADDR:PORT"), "{}", stderr(&o));
    assert!(!dir.path().join("host_key.ed25519").exists());

    // No database there: nothing to serve, and nothing created.
    let o = owed_in(dir.path(), &["--db", db.to_str().unwrap(), "serve"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(!db.exists());
    assert!(!dir.path().join("host_key.ed25519").exists());

    std::fs::write(
        dir.path().join("config.toml"),
        "[serve]\nlisten = \"2222\"\n",
    )
    .unwrap();
    let o = owed_in(dir.path(), &["--db", db.to_str().unwrap(), "serve"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("serve.listen"), "{}", stderr(&o));
    assert!(!dir.path().join("host_key.ed25519").exists());
}

/// `owed serve` as a process, end to end: it prints where it listens, lets in the
/// database's users by their keys, serves each the real workstation on one shared service
/// (a note by alice appears in bob's frame, recorded as alice's), refuses a collector's write
/// on a customer not theirs, and stops cleanly on SIGTERM.
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
        let line = key.public_key().to_openssh().unwrap();
        let o = owed_in(
            dir.path(),
            &[
                "--db", db, "--as", "root", "user", "add", name, "--role", role, "--key", &line,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
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
    let listening = rx
        .recv_timeout(PATIENCE)
        .expect("the server says where it listens");
    let addr: std::net::SocketAddr = listening
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {listening:?}"));
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

    let mut a = Client::connect(addr).await;
    assert!(a.login("alice", &alice).await);
    let fingerprint = a
        .host_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string();
    assert!(listening.contains(&fingerprint), "{listening}");
    let mut b = Client::connect(addr).await;
    assert!(b.login("bob", &bob).await);
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

    ta.send(b"n").await;
    ta.send(b"Promised the remittance advice").await;
    ta.send(b"\r").await;
    ta.wait_for("saved: Note").await;
    tb.wait_for("Promised the remittance advice").await;

    // The team screen over SSH: the service refuses alice's (a collector's) and answers
    // dana's (a manager's) with every collector's row.
    ta.send(b"M").await;
    ta.wait_for("the team screen is for managers").await;
    let mut d = Client::connect(addr).await;
    assert!(d.login("dana", &dana).await);
    let td = d.terminal((120, 50), "xterm-256color", &[]).await;
    td.wait_for("Queue").await;
    td.send(b":team\r").await;
    td.wait_for("Broken, no f/u").await;
    for row in [" alice ", " bob ", " carol ", " total "] {
        td.wait_for(row).await;
    }

    // Bob, a collector, may not write on alice's customer, whatever his screen offers.
    tb.send(b"n").await;
    tb.send(b"Not mine").await;
    tb.send(b"\r").await;
    tb.wait_for("may not write on K7").await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    ta.wait_closed().await;
    tb.wait_closed().await;
    td.wait_closed().await;
    let deadline = std::time::Instant::now() + PATIENCE;
    let code = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status.code();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server did not stop"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    assert_eq!(code, Some(0));
    let said: Vec<String> = rx.try_iter().collect();
    assert!(
        said.iter().any(|l| l.contains("alice's session ended")),
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
