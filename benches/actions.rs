//! The collector actions benchmark: on a demo of 100k customers (`OWED_BENCH_CUSTOMERS` to
//! change; `OWED_BENCH_DB` to reuse an existing demo database), two processes writing 1,000
//! notes each at once, and the latency of saving a note, a promise and a dispute and of
//! re-reading what the screen shows — through `owed bench-actions` on the real binary.
//!
//! `cargo bench --features bench --bench actions`. Timing lives here, never in tests.

use std::path::Path;
use std::process::Command;

const OWED: &str = env!("CARGO_BIN_EXE_owed");

/// Runs the binary with the default config (an empty file).
fn owed(config: &Path, args: &[&str]) {
    let status = Command::new(OWED)
        .args(args)
        .env("OWED_CONFIG", config)
        .status()
        .expect("start owed");
    assert!(status.success(), "owed {args:?} failed");
}

fn main() {
    let customers = std::env::var("OWED_BENCH_CUSTOMERS").unwrap_or_else(|_| "100000".into());
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("write config");
    let db = match std::env::var("OWED_BENCH_DB") {
        Ok(path) => path,
        Err(_) => {
            let db = dir.path().join("demo.db").to_string_lossy().into_owned();
            eprintln!("generating a demo of {customers} customers…");
            owed(
                &config,
                &["--db", &db, "demo", "--no-tui", "--customers", &customers],
            );
            db
        }
    };
    owed(
        &config,
        &[
            "--db",
            &db,
            "bench-actions",
            "--notes",
            "1000",
            "--samples",
            "100",
        ],
    );
}
