//! `owed serve` on the command line: its options and config are checked before anything
//! starts; the binary serves the database's users (the SSH layer on its own is tested in
//! `serve_ssh.rs`).

mod common;
mod ssh_client;

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

/// `owed serve` as a process: it prints where it listens, lets in the database's users by
/// their keys, and stops cleanly on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_databases_users_until_sigterm() {
    use ssh_client::{Client, PATIENCE, new_key};
    use std::io::BufRead;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("owed.db");
    let db = db.to_str().unwrap();
    let (alice, stranger) = (new_key(), new_key());
    let line = alice.public_key().to_openssh().unwrap();
    let o = owed_in(
        dir.path(),
        &[
            "--db", db, "user", "add", "alice", "--role", "manager", "--key", &line,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let mut server = Reaped(
        common::command_in(
            dir.path(),
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
    let host_key = dir.path().join("host_key.ed25519");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&host_key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let mut refused = Client::connect(addr).await;
    assert!(!refused.login("alice", &stranger).await);
    let mut client = Client::connect(addr).await;
    assert!(client.login("alice", &alice).await);
    let fingerprint = client
        .host_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string();
    assert!(listening.contains(&fingerprint), "{listening}");
    let term = client.terminal((100, 30), "xterm-256color", &[]).await;
    term.wait_for("You are alice (manager)").await;

    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    term.wait_closed().await;
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
