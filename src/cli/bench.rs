//! `owed bench-actions` (hidden): how fast collector actions are saved and read back, and
//! whether two collectors writing at once lose anything.
//!
//! Works on a copy of `--db` (the original is never written):
//! 1. two `owed note --repeat N` processes write N notes each at the same time; every note is
//!    counted afterwards;
//! 2. for a sample of customers with something overdue: the time to save a note, a promise
//!    and a dispute through [`crate::actions`], and to re-read what the screen shows after one
//!    (the customer's timeline and queue flags, the metrics bar's open promise and issue
//!    amounts, the queue's tabs).
//!
//! Run it on a release build: `cargo run --release -- --db demo.db bench-actions`.

use super::Context;
use crate::actions::{self, DisputeForm, PromiseForm};
use crate::domain::action_checks::Stamp;
use crate::store::Store;
use crate::store::ledger::ItemKind;
use crate::{Error, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Notes each of the two concurrent processes writes.
    #[arg(long, default_value_t = 1000)]
    pub notes: u32,
    /// Customers sampled for the per-action latency.
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
}

pub fn run(ctx: &Context, args: &BenchArgs) -> Result<()> {
    let copy = scratch_copy(&ctx.db_path, "bench")?;
    let result = bench(ctx, args, &copy);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&copy, suffix));
    }
    result
}

fn bench(ctx: &Context, args: &BenchArgs, db: &Path) -> Result<()> {
    let store = Store::open_existing(db)?;
    let sample = overdue_sample(&store, ctx, args.samples)?;
    let Some(&(_, first)) = sample.first() else {
        return Err(Error::input(
            "the database has no overdue customer to act on; create a demo first",
        ));
    };
    let labels = store.ledger().customer_labels()?;
    let customer_id = |cid: i64| labels.get(&cid).map(|l| l.id.clone()).unwrap_or_default();
    outln!(
        "database: {} ({} customers)",
        ctx.db_path.display(),
        labels.len()
    )?;
    drop(store);

    concurrent_notes(db, &customer_id(first), args.notes)?;

    let mut store = Store::open_existing(db)?;
    let base = ctx.config.base_currency.clone();
    let grace = ctx.config.promise_grace_days;
    let mut timings: [(&str, Vec<Duration>); 7] = [
        ("save a note", Vec::new()),
        ("save a promise", Vec::new()),
        ("save a dispute", Vec::new()),
        ("redraw: timeline + flags", Vec::new()),
        ("full: open promise amount", Vec::new()),
        ("full: open issue amount", Vec::new()),
        ("full: queue tabs", Vec::new()),
    ];
    for &(_, cid) in &sample {
        let id = customer_id(cid);
        let stamp = Stamp::new("bench", chrono::Utc::now(), ctx.as_of).map_err(Error::Input)?;
        let defaults = actions::form_defaults(&store, &id, ctx.as_of, &ctx.config)?;
        // A promise of what is open on two of its overdue documents (no more can be promised),
        // or of what the customer's open promises leave, when less.
        let promised: Vec<_> = defaults.overdue_documents().take(2).collect();
        let left = defaults.open_on(&[]).unwrap_or_default() - defaults.promised.total;
        let amount = promised
            .iter()
            .map(|d| d.balance)
            .sum::<crate::domain::Decimal>()
            .min(left)
            .to_string();
        let docs: Vec<String> = promised.iter().map(|d| d.label().to_string()).collect();

        let t = Instant::now();
        actions::note(&mut store, &stamp, &id, "Called, left a voicemail")?;
        timings[0].1.push(t.elapsed());

        let t = Instant::now();
        let form = PromiseForm {
            customer: &id,
            amount: &amount,
            date: "+7d",
            documents: &docs,
            text: None,
        };
        actions::promise(&mut store, &stamp, &ctx.config, &form)?;
        timings[1].1.push(t.elapsed());

        let t = Instant::now();
        let form = DisputeForm {
            customer: &id,
            reason: ctx.config.dispute_reasons.first().map_or("other", |r| r),
            amount: None,
            documents: &docs[..1.min(docs.len())],
            text: Some("bench"),
        };
        actions::dispute(&mut store, &stamp, &ctx.config, &form)?;
        timings[2].1.push(t.elapsed());

        let t = Instant::now();
        store.activity().timeline(cid, ctx.as_of, grace, &base)?;
        store
            .activity()
            .customer_flags(cid, ctx.as_of, grace, &base)?;
        timings[3].1.push(t.elapsed());

        let t = Instant::now();
        store
            .activity()
            .open_promise_amount(ctx.as_of, grace, &base)?;
        timings[4].1.push(t.elapsed());
        let t = Instant::now();
        store.activity().open_issue_amount(ctx.as_of, &base)?;
        timings[5].1.push(t.elapsed());
        let t = Instant::now();
        store.activity().queue_tabs(ctx.as_of, grace)?;
        timings[6].1.push(t.elapsed());
    }
    outln!(
        "\nlatency over {} customers (ms)     p50      p95      max",
        sample.len()
    )?;
    for (name, mut t) in timings {
        t.sort();
        let at = |q: f64| ms(t[((t.len() - 1) as f64 * q).round() as usize]);
        outln!(
            "  {name:<30} {:>8.2} {:>8.2} {:>8.2}",
            at(0.5),
            at(0.95),
            at(1.0)
        )?;
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Customers with something overdue at the as-of date, spread over the portfolio:
/// (rank, cid), at most `n`.
fn overdue_sample(store: &Store, ctx: &Context, n: usize) -> Result<Vec<(usize, i64)>> {
    let mut overdue = BTreeSet::new();
    store.ledger().for_each_open_item(ctx.as_of, None, |item| {
        if item.kind == ItemKind::Debit && item.due_date.is_some_and(|d| d < ctx.as_of) {
            overdue.insert(item.cid);
        }
    })?;
    let all: Vec<i64> = overdue.into_iter().collect();
    let step = (all.len() / n.max(1)).max(1);
    Ok(all.into_iter().step_by(step).take(n).enumerate().collect())
}

/// Two processes writing `n` notes each on one customer at once.
fn concurrent_notes(db: &Path, customer: &str, n: u32) -> Result<()> {
    let before = Store::open_existing(db)?.activity().note_count(None)?;
    let exe = std::env::current_exe()?;
    let spawn = |collector: &str| {
        Command::new(&exe)
            .arg("--db")
            .arg(db)
            .args(["--as", collector, "note", customer, "bench note"])
            .args(["--repeat", &n.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
    };
    let t = Instant::now();
    let children = [spawn("alice")?, spawn("bob")?];
    let mut errors = String::new();
    for child in children {
        let out = child.wait_with_output()?;
        errors.push_str(&String::from_utf8_lossy(&out.stderr));
        if !out.status.success() {
            errors.push_str(&format!("(exit {})\n", out.status));
        }
    }
    let elapsed = t.elapsed();
    let written = Store::open_existing(db)?.activity().note_count(None)? - before;
    outln!(
        "\n2 processes x {n} notes: {written} of {} written in {:.2} s ({:.2} ms per note per process); stderr: {}",
        2 * n,
        elapsed.as_secs_f64(),
        ms(elapsed) / f64::from(n.max(1)),
        if errors.is_empty() {
            "empty"
        } else {
            errors.trim()
        }
    )?;
    if written != u64::from(2 * n) {
        return Err(Error::runtime("notes were lost"));
    }
    Ok(())
}

pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(suffix);
    PathBuf::from(p)
}

/// Copies the database (after folding its WAL in) beside itself, as `DB.TAG-PID`.
pub(super) fn scratch_copy(db: &Path, tag: &str) -> Result<PathBuf> {
    if !db.exists() {
        return Err(Error::input(format!("{}: no such database", db.display())));
    }
    {
        let store = Store::open_existing(db)?;
        store.checkpoint()?;
    }
    let copy = with_suffix(db, &format!(".{tag}-{}", std::process::id()));
    std::fs::copy(db, &copy)?;
    Ok(copy)
}
