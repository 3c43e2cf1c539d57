//! The scale benchmark: a generated portfolio of 100k customers and about 1M documents
//! (`OWED_BENCH_CUSTOMERS` to change), timed through the real binary.
//!
//! `cargo bench --bench scale` prints one line per figure. Timing lives here, never in tests.

use owed::domain::aging::AgingBounds;
use owed::report::Portfolio;
use owed::store::Store;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const OWED: &str = env!("CARGO_BIN_EXE_owed");

/// Runs the binary (with an empty config), returning its wall time and peak resident memory
/// (sampled from /proc).
fn run(args: &[&str]) -> (Duration, u64) {
    let config = std::env::temp_dir().join("owed-bench-config.toml");
    std::fs::write(&config, "").expect("write config");
    let start = Instant::now();
    let mut child = Command::new(OWED)
        .args(args)
        .env("OWED_CONFIG", &config)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start owed");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    loop {
        let sampled = std::fs::read_to_string(&status_file).ok().and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        });
        peak_kb = peak_kb.max(sampled.unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "owed {args:?} failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    (start.elapsed(), peak_kb / 1024)
}

fn report(name: &str, (time, mb): (Duration, u64)) {
    println!("{name:<44} {:>9.2} s   peak {mb:>4} MB", time.as_secs_f64());
}

fn remove_db(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn main() {
    let customers: usize = std::env::var("OWED_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("csv");
    let db = dir.path().join("bench.db");
    let (csv_s, db_s) = (
        csv.to_string_lossy().into_owned(),
        db.to_string_lossy().into_owned(),
    );
    let n = customers.to_string();
    println!("owed scale benchmark: {customers} customers");

    report(
        "demo --csv (generate)",
        run(&["demo", "--csv", &csv_s, "--customers", &n]),
    );
    report(
        "import (first, empty database)",
        run(&["--db", &db_s, "import", &csv_s]),
    );
    report(
        "import again (nothing changed)",
        run(&["--db", &db_s, "import", &csv_s]),
    );
    // A first day: a sample tried first (two customers, one document), then the export.
    let sample = dir.path().join("sample");
    std::fs::create_dir_all(&sample).expect("sample folder");
    for (file, lines) in [("customers.csv", 3), ("documents.csv", 2)] {
        let text = std::fs::read_to_string(csv.join(file)).expect("read csv");
        let head: Vec<&str> = text.lines().take(lines).collect();
        std::fs::write(sample.join(file), head.join("\n") + "\n").expect("write sample");
    }
    let sampled = dir.path().join("sampled.db");
    let sampled_s = sampled.to_string_lossy().into_owned();
    run(&["--db", &sampled_s, "import", &sample.to_string_lossy()]);
    report(
        "import into a database holding a sample",
        run(&["--db", &sampled_s, "import", &csv_s]),
    );
    remove_db(&sampled);
    let metrics = run(&["--db", &db_s, "report", "metrics", "--json"]);
    report("report metrics", metrics);
    report(
        "report aging --json",
        run(&["--db", &db_s, "report", "aging", "--json"]),
    );

    let start = Instant::now();
    let (count, sum): (i64, i64) =
        owed::store::ledger::documents::bare_scan_for_benchmarks(&db).expect("scan");
    let bare = start.elapsed();
    println!(
        "{:<44} {:>9.2} s   ({count} documents, checksum {sum})",
        "bare SQLite full scan of documents",
        bare.as_secs_f64()
    );
    println!(
        "{:<44} {:>9.1} x",
        "report metrics / bare scan",
        metrics.0.as_secs_f64() / bare.as_secs_f64()
    );

    let store = Store::open_existing(&db).expect("open");
    let bounds = AgingBounds::default();
    let today = chrono::Local::now().date_naive();
    let mut times: Vec<Duration> = Vec::new();
    for i in 0..500i64 {
        let cid = 1 + (i * 7919) % customers as i64;
        let t = Instant::now();
        Portfolio::compute(&store, today, Some(cid), &bounds, "USD").expect("figures");
        times.push(t.elapsed());
    }
    times.sort();
    println!(
        "{:<44} {:>9.3} ms median, {:.3} ms p99",
        "one customer's figures",
        times[times.len() / 2].as_secs_f64() * 1e3,
        times[times.len() * 99 / 100].as_secs_f64() * 1e3
    );
    drop(store);

    remove_db(&db);
    report(
        "demo --no-tui (generate + import)",
        run(&["--db", &db_s, "demo", "--no-tui", "--customers", &n]),
    );
}
