//! `owed bench-find` (hidden): how fast a search answers at scale, and what keeping the
//! full-text index current costs a save.
//!
//! Works on a copy of `--db` (the original is never written):
//! 1. tops the notes up to `--notes` (default 200,000) in one transaction, on customers spread
//!    over the portfolio, with the demo's phrases and now and then a rarer word (the calls'
//!    notes count among them: a `note:` filter searches both);
//! 2. the latency of searches (p50, p95, max over `--samples` runs each): `owed find`'s three
//!    sections, the activity alone, the customers a `note:` term keeps and the queue's counts
//!    in memory with them (what a keystroke of `/` costs), the same counts and the first page
//!    in SQL, and an invoice by its number;
//! 3. the cost of keeping the index current on a save: notes saved through
//!    [`crate::actions::note`] (each its own transaction, as a collector's save) with the
//!    index's trigger, without it (dropped on the copy), and with it again.
//!
//! Run it on a release build: `cargo bench --bench find`.

use super::Context;
use super::bench::{scratch_copy, with_suffix};
use crate::domain::action_checks::Stamp;
use crate::domain::backfill::{PastActivity, PastActivityKind};
use crate::domain::queue::{QueueFilter, QueueQuery, Scope, SearchScope, Tab};
use crate::report::Portfolio;
use crate::store::Store;
use crate::{Error, Result};
use std::path::Path;
use std::time::{Duration, Instant};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Notes (calls' notes among them) in the copy before searching (topped up to this many).
    #[arg(long, default_value_t = 200_000)]
    pub notes: u64,
    /// Runs of each search.
    #[arg(long, default_value_t = 50)]
    pub samples: usize,
    /// Notes saved one by one for the cost of the index, per round.
    #[arg(long, default_value_t = 200)]
    pub saves: usize,
}

/// What the added notes say: the demo's kind of phrases, so that a common word is as common.
const PHRASES: [&str; 12] = [
    "Called AP, invoice in approval",
    "Left voicemail with the AP clerk, will try again Thursday",
    "Spoke to the controller: payment run is on Fridays",
    "Customer asked for a copy of the invoice, resent",
    "AP says the PO number is missing on the invoice",
    "Customer is changing banks, payments delayed about two weeks",
    "No answer, sent a follow-up email",
    "CFO on leave until next week",
    "Customer confirmed remittance sent by wire",
    "Escalated to the account manager",
    "Customer asks for a payment plan",
    "Invoice approved, scheduled for the next payment run",
];

pub fn run(ctx: &Context, args: &BenchArgs) -> Result<()> {
    let copy = scratch_copy(&ctx.db_path, "bench-find")?;
    let result = bench(ctx, args, &copy);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&copy, suffix));
    }
    result
}

fn bench(ctx: &Context, args: &BenchArgs, db: &Path) -> Result<()> {
    let mut store = Store::open_existing(db)?;
    let labels = store.ledger().customer_labels()?;
    if labels.is_empty() {
        return Err(Error::input(
            "the database has no customers; create a demo first",
        ));
    }
    let mut ids: Vec<(i64, String)> = labels.iter().map(|(cid, l)| (*cid, l.id.clone())).collect();
    ids.sort();

    // 1. Notes up to the count asked for.
    let had = store.activity().written_count(None)?;
    let t = Instant::now();
    if had < args.notes {
        let mut notes = Vec::new();
        for i in 0..(args.notes - had) {
            let (_, id) = &ids[(i as usize * 7919) % ids.len()];
            let mut text = PHRASES[i as usize % PHRASES.len()].to_string();
            if i % 10_000 == 0 {
                text.push_str(" — kumquat crates");
            }
            notes.push(PastActivity {
                customer_id: id.clone(),
                collector: "bench".into(),
                at: ctx.as_of,
                kind: PastActivityKind::Note { text },
            });
        }
        notes.sort_by(|a, b| a.customer_id.cmp(&b.customer_id));
        store.activity_mut().backfill_activity(&notes)?;
    }
    outln!(
        "database: {} ({} customers, {} notes and calls' notes, {} entries in the full-text index; {} notes added in {:.1} s)",
        ctx.db_path.display(),
        ids.len(),
        store.activity().written_count(None)?,
        store.activity().activity_text_entries()?,
        args.notes.saturating_sub(had),
        t.elapsed().as_secs_f64()
    )?;

    // 2. Searches.
    let bounds = ctx.config.aging().map_err(Error::Input)?;
    let t = Instant::now();
    let portfolio =
        Portfolio::compute(&store, ctx.as_of, None, &bounds, &ctx.config.base_currency)?;
    store.temp_in_memory()?;
    store.queue().rebuild(
        ctx.as_of,
        &bounds,
        &portfolio.customers,
        ctx.config.promise_grace_days,
        &ctx.config.base_currency,
        &[],
    )?;
    let mirror = store.queue().mirror()?;
    outln!("queue table built in {:.1} s", t.elapsed().as_secs_f64())?;
    let number = store
        .activity()
        .find_documents("A", ctx.as_of, 1)?
        .items
        .first()
        .and_then(|d| d.number.clone())
        .unwrap_or_else(|| "A2026-0000001".into());
    let mut rows: Vec<(String, Vec<Duration>, u64)> = Vec::new();
    let mut time = |name: String, f: &mut dyn FnMut() -> Result<u64>| -> Result<()> {
        let mut t = Vec::with_capacity(args.samples);
        let mut found = 0;
        for _ in 0..args.samples.max(1) {
            let start = Instant::now();
            found = f()?;
            t.push(start.elapsed());
        }
        rows.push((name, t, found));
        Ok(())
    };
    for word in [
        "approval",
        "kumquat",
        "payment run",
        "appro",
        "nothinglikeit",
    ] {
        let terms = crate::domain::queue::split_terms(word).map_err(Error::Input)?;
        time(format!("owed find {word:?}"), &mut || {
            let f = store.activity().find(&terms, ctx.as_of, 50)?;
            Ok(f.customers.total + f.documents.total + f.activity.total)
        })?;
    }
    time("activity \"approval\" (50 newest)".into(), &mut || {
        Ok(store
            .activity()
            .find_activity(SearchScope::All, "approval", ctx.as_of, 50)?
            .total)
    })?;
    time(format!("owed find {number} (invoice)"), &mut || {
        Ok(store
            .activity()
            .find(std::slice::from_ref(&number), ctx.as_of, 50)?
            .documents
            .total)
    })?;
    let mut query = QueueQuery::new("nobody");
    (query.scope, query.tab) = (Scope::Everyone, Tab::All);
    // `note:a` and `note:ap`: the first keystrokes of a search typed into `/`.
    for filter in [
        "note:a",
        "note:ap",
        "note:approval",
        "text:kumquat",
        "note:\"payment run\" overdue>0",
        &number,
    ] {
        query.filter = QueueFilter::parse(filter, &bounds).map_err(Error::Input)?;
        let q = query.clone();
        time(format!("/{filter}: counts in memory"), &mut || {
            let matches = store.activity().filter_matches(&q.filter)?;
            Ok(mirror.counts(&q, &matches).counts[Tab::All.index()])
        })?;
        let q = query.clone();
        time(format!("/{filter}: counts + page in SQL"), &mut || {
            let page = store.queue().page(&q, 0, 40)?;
            Ok(page.total)
        })?;
    }
    outln!(
        "\nsearch latency over {} runs (ms)                   p50      p95      max   found",
        args.samples
    )?;
    for (name, t, found) in rows {
        let (p50, p95, max) = quantiles(t);
        outln!("  {name:<50} {p50:>8.2} {p95:>8.2} {max:>8.2} {found:>7}")?;
    }

    // 3. Saves with and without the index.
    drop(mirror);
    let sample: Vec<String> = ids
        .iter()
        .step_by((ids.len() / args.saves.max(1)).max(1))
        .map(|(_, id)| id.clone())
        .collect();
    let save_round = |store: &mut Store| -> Result<Vec<Duration>> {
        let mut t = Vec::with_capacity(sample.len());
        for (i, id) in sample.iter().enumerate().take(args.saves) {
            let stamp = Stamp::new("bench", chrono::Utc::now(), ctx.as_of).map_err(Error::Input)?;
            let text = PHRASES[i % PHRASES.len()];
            let start = Instant::now();
            crate::actions::note(store, &stamp, id, text)?;
            t.push(start.elapsed());
        }
        Ok(t)
    };
    let with = save_round(&mut store)?;
    let trigger = store.activity_mut().bench_drop_note_index()?;
    let without = save_round(&mut store)?;
    store.activity_mut().bench_restore_note_index(&trigger)?;
    let again = save_round(&mut store)?;
    outln!(
        "\na note saved (its own transaction), {} saves each (ms)   p50      p95      max",
        with.len()
    )?;
    let mut medians = Vec::new();
    for (name, t) in [
        ("with the index", with),
        ("without the index", without),
        ("with the index again", again),
    ] {
        let (p50, p95, max) = quantiles(t);
        medians.push(p50);
        outln!("  {name:<50} {p50:>8.2} {p95:>8.2} {max:>8.2}")?;
    }
    outln!(
        "  index upkeep per save (p50 with − p50 without): {:.3} ms",
        (medians[0] + medians[2]) / 2.0 - medians[1]
    )?;
    Ok(())
}

/// p50, p95 and max in milliseconds.
fn quantiles(mut t: Vec<Duration>) -> (f64, f64, f64) {
    t.sort();
    let at = |q: f64| t[((t.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.95), at(1.0))
}
