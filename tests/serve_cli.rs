//! `owed serve` on the command line: its options and config are checked before anything
//! starts (the server itself is tested through SSH in `serve_ssh.rs`).

mod common;

use common::{owed_in, stderr};

#[test]
fn a_bad_listen_address_is_bad_input_and_nothing_is_created() {
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
