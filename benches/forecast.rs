//! The forecast benchmark: forecasting a 100k-customer demo (about 1M documents), and the
//! backtest's accuracy on the 2,000-customer demo.
//!
//! `cargo bench --bench forecast` prints one line per figure. `OWED_BENCH_CUSTOMERS` changes
//! the large demo's size; `OWED_BENCH_DIR` keeps the generated databases in a folder (they
//! are reused when present). Timing lives here, never in tests.

use owed::domain::date::parse_iso;
use owed::domain::forecast::{Forecaster, Model, ModelConfig, SelfCheck};
use owed::report::backtest::{Backtest, BacktestOptions};
use owed::report::forecast::Forecast;
use owed::store::Store;
use owed::store::ledger::history::HistoryQuery;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const OWED: &str = env!("CARGO_BIN_EXE_owed");
/// The demo's "today": every figure is as of it, so runs are comparable.
const TODAY: &str = "2026-03-31";

fn owed(config: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let status = Command::new(OWED)
        .args(args)
        .env("OWED_CONFIG", config)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run owed");
    assert!(status.success(), "owed {args:?} failed");
    start.elapsed()
}

fn line(name: &str, time: Duration) {
    println!("{name:<48} {:>8.2} s", time.as_secs_f64());
}

/// Creates (or reuses) the demo database of `customers` customers in `dir`.
fn demo(config: &Path, dir: &Path, customers: usize) -> String {
    let db = dir.join(format!("demo-{customers}.db"));
    let db_s = db.to_string_lossy().into_owned();
    let n = customers.to_string();
    let t = owed(
        config,
        &[
            "--db",
            &db_s,
            "--as-of",
            TODAY,
            "demo",
            "--no-tui",
            "--customers",
            &n,
        ],
    );
    line(&format!("demo {customers} customers (create or reuse)"), t);
    db_s
}

fn main() {
    let customers: usize = std::env::var("OWED_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let temp = tempfile::tempdir().expect("tempdir");
    let dir = std::env::var_os("OWED_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("bench dir");
    // Defaults only: an empty config file.
    let config = temp.path().join("config.toml");
    std::fs::write(&config, "").expect("config");
    let today = parse_iso(TODAY).expect("date");
    println!("owed forecast benchmark, as of {TODAY}");

    let large = demo(&config, &dir, customers);
    line(
        "report forecast --json (whole command)",
        owed(
            &config,
            &[
                "--db", &large, "--as-of", TODAY, "report", "forecast", "--json",
            ],
        ),
    );
    let store = Store::open_existing(Path::new(&large)).expect("open");
    let t = Instant::now();
    let histories = store
        .ledger()
        .histories(&HistoryQuery {
            cutoff: today,
            base_currency: "USD".into(),
            promise_grace_days: 3,
            customer: None,
            with_ids: true,
        })
        .expect("histories");
    line("  read histories (one pass)", t.elapsed());
    let t = Instant::now();
    let model = Model::fit(&histories.customers, today, ModelConfig::default());
    line("  fit the portfolio prior", t.elapsed());
    let t = Instant::now();
    let check = SelfCheck::run(&histories.customers, &model);
    line(
        &format!("  self-check ({} cutoffs replayed)", check.cutoffs.len()),
        t.elapsed(),
    );
    let forecaster = Forecaster {
        model,
        check: Some(check),
    };
    let t = Instant::now();
    let mut predicted = 0;
    for h in &histories.customers {
        let profile = forecaster.profile(h);
        predicted += forecaster.publish(h, &profile).len();
        std::hint::black_box(forecaster.risk(h, &profile));
    }
    line(
        &format!(
            "  predict {predicted} documents, risk of {} customers",
            histories.customers.len()
        ),
        t.elapsed(),
    );
    let t = Instant::now();
    let f = Forecast::compute(&store, today, "USD", 3).expect("forecast");
    line("Forecast::compute (library)", t.elapsed());
    let t = Instant::now();
    let text = f.to_json().to_string();
    line(&format!("  JSON ({} bytes)", text.len()), t.elapsed());
    drop(store);

    let small = demo(&config, &dir, 2000);
    let store = Store::open_existing(Path::new(&small)).expect("open");
    let t = Instant::now();
    let b = Backtest::run(
        &store,
        &BacktestOptions {
            from: parse_iso("2025-07-01").expect("date"),
            to: parse_iso("2026-01-01").expect("date"),
            every_days: 14,
            horizon: today,
            base_currency: "USD".into(),
            promise_grace_days: 3,
            model: ModelConfig::default(),
        },
    )
    .expect("backtest");
    line("backtest 2,000 customers, 14 cutoffs", t.elapsed());
    let mae = |v: Option<f64>| v.map_or("-".into(), |x| format!("{x:.2}"));
    println!(
        "  MAE days: model {} (bias {}) / per-customer median {} / due date {}; ratio {} ({} scored, {} still open)",
        mae(b.total.model_mae()),
        mae(b.total.model_bias()),
        mae(b.total.median_mae()),
        mae(b.total.due_mae()),
        mae(b.total.ratio()),
        b.total.count,
        b.still_open
    );
}
