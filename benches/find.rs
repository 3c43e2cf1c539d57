//! The search benchmark (issue 13): on a demo of 100k customers (`OWED_BENCH_CUSTOMERS` to
//! change; `OWED_BENCH_DB` to reuse an existing demo database) with its notes topped up to
//! 200,000, the latency of `owed find`, of the queue's `note:`/`text:` filters and of an
//! invoice looked up by number, and the cost of keeping the full-text index current on a
//! save — through `owed bench-find` on the real binary.
//!
//! `cargo bench --features bench --bench find`. Timing lives here, never in tests.

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
            let t = std::time::Instant::now();
            owed(
                &config,
                &["--db", &db, "demo", "--no-tui", "--customers", &customers],
            );
            eprintln!("demo generated in {:.1} s", t.elapsed().as_secs_f64());
            db
        }
    };
    owed(
        &config,
        &[
            "--db",
            &db,
            "bench-find",
            "--notes",
            "200000",
            "--samples",
            "50",
        ],
    );
}
