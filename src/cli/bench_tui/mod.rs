//! `owed bench-tui` (hidden): measures the workstation on a database; `--generate N` first
//! fills an empty database with a plain synthetic portfolio of N customers.

use super::Context;
use crate::import::{ImportOptions, import_paths};
mod measure;
mod timing_log;

use crate::{Error, Result};
use measure::BenchOptions;
use std::fmt::Write as _;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Key presses per kind of key.
    #[arg(long, default_value_t = 200)]
    pub iterations: usize,
    /// Terminal width to draw at.
    #[arg(long, default_value_t = 200)]
    pub width: u16,
    /// Terminal height to draw at.
    #[arg(long, default_value_t = 50)]
    pub height: u16,
    /// Seconds to watch the idle process.
    #[arg(long, default_value_t = 5)]
    pub idle_seconds: u64,
    /// Also time this many saves of each collector action through its form (this writes
    /// notes, promises and disputes: use a copy of the database).
    #[arg(long, default_value_t = 0)]
    pub saves: usize,
    /// Fill an empty database with this many synthetic customers first.
    #[arg(long, value_name = "N")]
    pub generate: Option<usize>,
}

pub fn run(ctx: &Context, args: &BenchArgs) -> Result<()> {
    if let Some(n) = args.generate {
        generate(ctx, n)?;
    }
    let report = measure::run(
        ctx,
        &BenchOptions {
            width: args.width,
            height: args.height,
            iterations: args.iterations,
            idle: Duration::from_secs(args.idle_seconds),
            saves: args.saves,
        },
    )?;
    out!("{report}")?;
    Ok(())
}

/// A deterministic pseudo-random sequence (no dependency, same portfolio every time).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

/// Writes a synthetic portfolio as import CSVs and imports it, unless the database has
/// customers already.
fn generate(ctx: &Context, customers: usize) -> Result<()> {
    let mut store = ctx.open_store()?;
    if store.ledger().counts()?.customers > 0 {
        errln!("owed: the database has customers already; not generating");
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("owed-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut rng = Lcg(42);
    let owners = [
        "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
    ];
    let words = [
        "Acme", "Kite", "Lumen", "Moss", "Nova", "Orbit", "Pine", "Quartz", "River", "Summit",
        "Tidal", "Umbra", "Vertex", "Willow", "Xenon", "Yarrow", "Zephyr", "東京", "Café",
    ];
    let kinds = [
        "Supplies",
        "GmbH",
        "& Sons",
        "Ltd",
        "Labs",
        "Trading",
        "株式会社",
        "SARL",
    ];
    let as_of = ctx.as_of;
    let (mut cust, mut docs, mut pays, mut apps) = (
        String::from("id,name,email,currency,finance_owner,payment_terms_days\n"),
        String::from("id,customer_id,type,number,doc_date,due_date,amount,currency\n"),
        String::from("id,customer_id,date,amount,currency,status,method\n"),
        String::from("source_id,document_id,amount,date\n"),
    );
    let mut d = 0u64;
    let mut p = 0u64;
    for c in 0..customers {
        let name = format!(
            "{} {} {}",
            words[rng.next(words.len() as u64) as usize],
            words[rng.next(words.len() as u64) as usize],
            kinds[rng.next(kinds.len() as u64) as usize]
        );
        let owner = owners[rng.next(owners.len() as u64) as usize];
        let _ = writeln!(cust, "C{c},\"{name}\",ap{c}@example.com,USD,{owner},30");
        for _ in 0..(5 + rng.next(10)) {
            d += 1;
            let age = rng.next(400) as i64;
            let date = as_of - chrono::Duration::days(age);
            let due = date + chrono::Duration::days(30);
            let cents = 5_000 + rng.next(2_000_000);
            let amount = format!("{}.{:02}", cents / 100, cents % 100);
            let _ = writeln!(docs, "D{d},C{c},invoice,INV-{d},{date},{due},{amount},USD");
            // Most old invoices are paid in full, some in part.
            let roll = rng.next(100);
            if age > 45 && roll < 85 || age <= 45 && roll < 30 {
                p += 1;
                let paid_on = (date + chrono::Duration::days(10 + rng.next(50) as i64)).min(as_of);
                let part = if roll.is_multiple_of(7) {
                    cents / 2
                } else {
                    cents
                };
                let paid = format!("{}.{:02}", part / 100, part % 100);
                let _ = writeln!(pays, "P{p},C{c},{paid_on},{paid},USD,success,bank_transfer");
                let _ = writeln!(apps, "P{p},D{d},{paid},{paid_on}");
            } else if roll > 97 {
                p += 1;
                let _ = writeln!(pays, "P{p},C{c},{date},{amount},USD,failure,card");
            }
        }
    }
    for (file, text) in [
        ("customers.csv", cust),
        ("documents.csv", docs),
        ("payments.csv", pays),
        ("applications.csv", apps),
    ] {
        std::fs::write(dir.join(file), text)?;
    }
    let summary = import_paths(
        &mut store,
        std::slice::from_ref(&dir),
        &ImportOptions {
            progress: true,
            ..ImportOptions::by("bench", chrono::Utc::now(), &ctx.config.base_currency)
        },
    );
    let _ = std::fs::remove_dir_all(&dir);
    let summary = summary.map_err(|e| Error::runtime(format!("generating: {e}")))?;
    errln!("owed: {summary}");
    Ok(())
}
