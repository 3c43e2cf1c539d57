//! The forecast replayed the way a real sample is judged: a ledger of about a hundred
//! customers on 30-day terms, a fifth of the invoices disputed and paid 14 days later than the
//! same customer's others, cut at 14 dates; at each, only what was known then is imported
//! into a fresh database and `owed report forecast --json` is asked for every open
//! document's date, which is scored against the day it was really paid, beside the
//! per-customer median of days to pay.
//!
//! The ledger comes from a simple process written here (not the demo generator, whose
//! settings the model must not be shaped on): each customer invoices at random intervals
//! (about every two or four weeks) and pays a number of days late of its own (most before
//! or around the due date, a fifth 5 to 30 days late; some drift over the years), give or
//! take a spread of its own, now and then much later; a fifth of the invoices are disputed
//! — some customers never dispute, some often — and those are paid 14 days (± 3) later than
//! the customer's others. A second, plainer process (monthly invoices, everyone disputing
//! alike, wider spreads) can be replayed by hand with `OWED_REPLAY_PLAIN=1` (see
//! `replay_experiment`). A third, shaped more like a bank's ledger than a textbook's —
//! payments on working days only, statement payers who settle everything due once a month,
//! days late with a heavy tail — is judged too, on a seed of its own.
//!
//! Two ways of recording disputes are replayed: the collectors' whole dispute history
//! (opened on the invoice date, resolved on settlement), and only the disputes open at each
//! cutoff (a ledger without dispute history, where a settled invoice never says it was
//! disputed).

mod fixture;

use fixture::Portfolio;
use owed::domain::backfill::{PastActivity, PastActivityKind, PastResolution};
use owed::domain::date::parse_iso;
use owed::domain::{Date, Decimal};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

fn d(s: &str) -> Date {
    parse_iso(s).unwrap()
}

fn plus(date: Date, n: i64) -> Date {
    date.checked_add_signed(chrono::Duration::days(n)).unwrap()
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// What the process draws.
#[derive(Debug, Clone)]
struct Settings {
    seed: u64,
    customers: usize,
    /// Share of invoices disputed, and the days a dispute adds.
    dispute_share: f64,
    dispute_days: f64,
    /// Chance of a much later payment (5 to 40 days more), and the range of customers' spreads.
    hiccup: f64,
    spread: (f64, f64),
    /// Four in five customers' mean days late range from `early` to 5 (days; negative:
    /// before the due date), the others from 5 to 30; with `early` 0, a spread of prompt,
    /// steady, late and very late payers instead.
    early: f64,
    /// Invoices at random intervals (exponential, mean 14 or 30 days) rather than regularly.
    irregular: bool,
    /// The dispute delay varies this much either way (uniform).
    dispute_spread: f64,
    /// Disputes come from some customers more than others: the share of each customer's
    /// invoices disputed is the average share times 0, 0.3 or 2.7 (in about equal numbers of
    /// customers) rather than the same for all.
    concentrated: bool,
    /// Payments land on working days only (a weekend's move to the Monday), as bank
    /// transfers do.
    weekdays_only: bool,
    /// The share of customers who pay by statement: once a month, on a day of their own,
    /// everything whose time has come since their last payment run, in one remittance.
    statement_payers: f64,
    /// Days late vary with a heavy tail (Student's t with 3 degrees of freedom, same scale)
    /// rather than normally.
    heavy_tail: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            seed: 7,
            customers: 100,
            dispute_share: 0.2,
            dispute_days: 14.0,
            hiccup: 0.02,
            spread: (1.5, 5.0),
            early: -20.0,
            irregular: true,
            dispute_spread: 3.0,
            concentrated: true,
            weekdays_only: false,
            statement_payers: 0.0,
            heavy_tail: false,
        }
    }
}

#[derive(Debug, Clone)]
struct Invoice {
    id: String,
    customer: usize,
    doc_date: Date,
    due: Date,
    cents: i64,
    paid: Date,
    disputed: bool,
    /// The process's own mean days late of this invoice and its spread (for the oracle).
    mean_late: f64,
    spread: f64,
}

/// The first invoice date and the end of the data.
const START: &str = "2024-01-01";
const END: &str = "2026-03-31";

/// Every customer's invoices, in date order, each with the day it was paid (which may fall
/// after the end of the data: then it is not paid within it).
fn simulate(s: &Settings) -> Vec<Invoice> {
    let mut rng = Rng(s.seed);
    let start = d(START);
    let end = d(END);
    let mut out = Vec::new();
    for c in 0..s.customers {
        // How late this customer pays, how much it varies, whether it drifts.
        let kind = rng.unit();
        let mean = if s.early < 0.0 {
            if kind < 0.8 {
                rng.uniform(s.early, 5.0)
            } else {
                rng.uniform(5.0, 30.0)
            }
        } else if kind < 0.35 {
            rng.uniform(-4.0, 2.0)
        } else if kind < 0.7 {
            rng.uniform(2.0, 15.0)
        } else if kind < 0.9 {
            rng.uniform(15.0, 35.0)
        } else {
            rng.uniform(35.0, 60.0)
        };
        let spread = rng.uniform(s.spread.0, s.spread.1);
        let drift_per_year = if rng.chance(0.15) {
            rng.uniform(-8.0, 12.0)
        } else {
            0.0
        };
        let every: u32 = if rng.chance(0.3) { 14 } else { 30 };
        let joined = if rng.chance(0.8) {
            plus(start, (rng.unit() * 30.0) as i64)
        } else {
            plus(start, 90 + (rng.unit() * 500.0) as i64)
        };
        let typical = rng.uniform(200.0, 20_000.0);
        // A statement payer's day of the month for its payment run (drawn only when there
        // are statement payers, so that the other ledgers stay as they were).
        let statement_day = (s.statement_payers > 0.0 && rng.chance(s.statement_payers))
            .then(|| 1 + (rng.unit() * 28.0) as u32);
        let dispute_share = if s.concentrated {
            s.dispute_share * [0.0, 0.3, 2.7][(rng.unit() * 3.0) as usize]
        } else {
            s.dispute_share
        };
        let mut date = joined;
        let mut n = 0;
        while date <= end {
            let due = plus(date, 30);
            let years = (date - start).num_days() as f64 / 365.0;
            let mut mean_late = mean + drift_per_year * years;
            let noise = if s.heavy_tail {
                // t(3) = Z / sqrt(chi²(3) / 3), scaled to the same interquartile range.
                let chi2: f64 = (0..3).map(|_| rng.normal().powi(2)).sum();
                rng.normal() / (chi2 / 3.0).sqrt() * 0.88
            } else {
                rng.normal()
            };
            let mut late = mean_late + spread * noise;
            if rng.chance(s.hiccup) {
                late += rng.uniform(5.0, 40.0);
            }
            let disputed = rng.chance(dispute_share);
            if disputed {
                late += s.dispute_days + s.dispute_spread * rng.uniform(-1.0, 1.0);
                mean_late += s.dispute_days;
            }
            let mut paid = plus(due, late.round() as i64).max(plus(date, 1));
            if let Some(day) = statement_day {
                paid = next_day_of_month(paid, day);
            }
            if s.weekdays_only {
                paid = working_day(paid);
            }
            let cents = ((typical * (0.3 * rng.normal()).exp()) * 100.0).round() as i64;
            out.push(Invoice {
                id: format!("I{c:03}-{n:03}"),
                customer: c,
                doc_date: date,
                due,
                cents: cents.max(100),
                paid,
                disputed,
                mean_late,
                spread,
            });
            n += 1;
            let gap = if s.irregular {
                (-(1.0 - rng.unit()).ln() * f64::from(every)).round() as i64 + 1
            } else {
                i64::from(every) + (rng.unit() * 3.0) as i64 - 1
            };
            date = plus(date, gap);
        }
    }
    out.sort_by(|a, b| a.doc_date.cmp(&b.doc_date).then_with(|| a.id.cmp(&b.id)));
    out
}

/// The first date on or after `date` that is the `day`th of its month (1 to 28).
fn next_day_of_month(date: Date, day: u32) -> Date {
    use chrono::Datelike;
    let this = date.with_day(day).unwrap();
    if this >= date {
        this
    } else {
        this.checked_add_months(chrono::Months::new(1)).unwrap()
    }
}

/// `date`, or the Monday after it when it falls on a weekend.
fn working_day(date: Date) -> Date {
    use chrono::{Datelike, Weekday};
    match date.weekday() {
        Weekday::Sat => plus(date, 2),
        Weekday::Sun => plus(date, 1),
        _ => date,
    }
}

/// How disputes reach the database.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Disputes {
    /// Every dispute, opened on the invoice date and resolved on settlement.
    History,
    /// Only the disputes open at the cutoff.
    OpenOnly,
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Imports what was known at `cutoff` into a fresh database in `dir`.
fn import_at(dir: &Path, s: &Settings, invoices: &[Invoice], cutoff: Date, disputes: Disputes) {
    let mut customers = String::from("id,name,currency,payment_terms_days\n");
    for c in 0..s.customers {
        customers.push_str(&format!("K{c:03},Customer {c},USD,30\n"));
    }
    let mut documents = String::from("id,customer_id,type,doc_date,due_date,amount,currency\n");
    let mut payments = String::from("id,customer_id,date,amount,currency\n");
    let mut applications = String::from("source_id,document_id,amount,date\n");
    let mut activities = Vec::new();
    for inv in invoices.iter().filter(|i| i.doc_date <= cutoff) {
        let customer = format!("K{:03}", inv.customer);
        documents.push_str(&format!(
            "{},{customer},invoice,{},{},{},USD\n",
            inv.id,
            inv.doc_date,
            inv.due,
            money(inv.cents)
        ));
        let paid = inv.paid <= cutoff;
        if paid {
            payments.push_str(&format!(
                "P{},{customer},{},{},USD\n",
                inv.id,
                inv.paid,
                money(inv.cents)
            ));
            applications.push_str(&format!(
                "P{},{},{},{}\n",
                inv.id,
                inv.id,
                money(inv.cents),
                inv.paid
            ));
        }
        let recorded = match disputes {
            Disputes::History => inv.disputed,
            Disputes::OpenOnly => inv.disputed && !paid,
        };
        if recorded {
            activities.push(PastActivity {
                customer_id: customer,
                collector: "alice".into(),
                at: inv.doc_date,
                kind: PastActivityKind::Dispute {
                    reason: "pricing".into(),
                    amount: Decimal::new(inv.cents, 2),
                    document_ids: vec![inv.id.clone()],
                    resolved: paid.then(|| PastResolution {
                        date: inv.paid,
                        text: "settled".into(),
                    }),
                },
            });
        }
    }
    let mut store = Portfolio::new()
        .file("customers.csv", customers)
        .file("documents.csv", documents)
        .file("payments.csv", payments)
        .file("applications.csv", applications)
        .import(dir);
    activities.sort_by(|a, b| a.customer_id.cmp(&b.customer_id).then(a.at.cmp(&b.at)));
    store.activity_mut().backfill_activity(&activities).unwrap();
}

/// Absolute errors in days of one kind of document.
#[derive(Debug, Default, Clone)]
struct Errors {
    count: u64,
    model: f64,
    median: f64,
    signed: f64,
    oracle: f64,
    /// The model's signed errors (predicted − paid), for their median.
    errors: Vec<i64>,
}

impl Errors {
    fn add(&mut self, model: i64, median: i64, oracle: i64) {
        self.count += 1;
        self.oracle += oracle.abs() as f64;
        self.model += model.abs() as f64;
        self.median += median.abs() as f64;
        self.signed += model as f64;
        self.errors.push(model);
    }

    /// The median of the model's signed errors: its bias, as `owed backtest` reports it.
    fn bias(&self) -> i64 {
        let mut errors = self.errors.clone();
        errors.sort_unstable();
        errors.get(errors.len() / 2).copied().unwrap_or(0)
    }

    fn ratio(&self) -> f64 {
        self.model / self.median
    }
}

/// The replay's scores: all documents, undisputed and disputed ones.
#[derive(Debug, Default)]
struct Replay {
    all: Errors,
    undisputed: Errors,
    disputed: Errors,
}

impl std::fmt::Display for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, e) in [
            ("all", &self.all),
            ("undisputed", &self.undisputed),
            ("disputed", &self.disputed),
        ] {
            let n = e.count.max(1) as f64;
            writeln!(
                f,
                "{name:<11} {:>6} scored  model {:>6.2}  median {:>6.2}  ratio {:.3}  mean signed {:+.2}  bias {:+}  oracle ratio {:.3}",
                e.count,
                e.model / n,
                e.median / n,
                e.ratio(),
                e.signed / n,
                e.bias(),
                e.oracle / e.median
            )?;
        }
        Ok(())
    }
}

/// Replays `cutoffs` cutoffs 14 days apart, the last ~3 months before the end of the data.
fn replay(s: &Settings, disputes: Disputes, cutoffs: usize) -> Replay {
    let invoices = simulate(s);
    let end = d(END);
    let last = plus(end, -90);
    let mut out = Replay::default();
    for k in 0..cutoffs {
        let cutoff = plus(last, -14 * (cutoffs - 1 - k) as i64);
        let dir = tempfile::tempdir().unwrap();
        import_at(dir.path(), s, &invoices, cutoff, disputes);
        let db = dir.path().join("owed.db");
        let as_of = cutoff.to_string();
        let args = ["report", "forecast", "--json"];
        let run = fixture::owed_ok(dir.path(), &db, Some(&as_of), &args);
        let json: Value = serde_json::from_str(&run).unwrap();
        if std::env::var("OWED_REPLAY_VERBOSE").is_ok() {
            println!("{cutoff} {disputes:?} effects {}", json["effects"]);
            for s in json["self_check"]["segments"].as_array().unwrap() {
                println!("   {s}");
            }
        }
        let predicted: HashMap<&str, Date> = json["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|doc| {
                (
                    doc["id"].as_str().unwrap(),
                    parse_iso(doc["predicted_payment_date"].as_str().unwrap()).unwrap(),
                )
            })
            .collect();
        // The per-customer median of days to pay, over what was paid by the cutoff.
        let mut days_to_pay: HashMap<usize, Vec<i64>> = HashMap::new();
        let mut everyone = Vec::new();
        for inv in invoices.iter().filter(|i| i.paid <= cutoff) {
            let days = (inv.paid - inv.doc_date).num_days();
            days_to_pay.entry(inv.customer).or_default().push(days);
            everyone.push(days);
        }
        let median = |v: &mut Vec<i64>| {
            v.sort_unstable();
            let n = v.len();
            if n % 2 == 1 {
                v[n / 2] as f64
            } else {
                (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
            }
        };
        let fallback = median(&mut everyone);
        let medians: HashMap<usize, f64> = days_to_pay
            .iter_mut()
            .map(|(c, v)| (*c, median(v)))
            .collect();
        for inv in invoices
            .iter()
            .filter(|i| i.doc_date <= cutoff && i.paid > cutoff && i.paid <= end)
        {
            let model = predicted[inv.id.as_str()];
            let days = medians.get(&inv.customer).copied().unwrap_or(fallback);
            let baseline = plus(inv.doc_date, days.round() as i64).max(plus(cutoff, 1));
            let model_err = (model - inv.paid).num_days();
            let median_err = (baseline - inv.paid).num_days();
            let oracle_err = (oracle(inv, cutoff) - inv.paid).num_days();
            out.all.add(model_err, median_err, oracle_err);
            if inv.disputed {
                out.disputed.add(model_err, median_err, oracle_err);
            } else {
                out.undisputed.add(model_err, median_err, oracle_err);
            }
        }
    }
    out
}

/// What knowing the process would predict: the median of the invoice's normal days late
/// given it is later than its days overdue at the cutoff (hiccups left aside).
fn oracle(inv: &Invoice, cutoff: Date) -> Date {
    let overdue = (cutoff - inv.due).num_days() as f64;
    let z0 = (overdue - inv.mean_late) / inv.spread;
    let beyond = 1.0 - phi(z0);
    let z = phi_inverse(1.0 - beyond / 2.0);
    let late = inv.mean_late + inv.spread * z;
    plus(inv.due, late.round() as i64).max(plus(cutoff, 1))
}

/// The standard normal distribution function (Abramowitz–Stegun 7.1.26).
fn phi(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// Its inverse, by bisection.
fn phi_inverse(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 10.0);
    for _ in 0..60 {
        let mid = (lo + hi) / 2.0;
        if phi(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

/// For trying the model: `OWED_REPLAY_SEED`, `OWED_REPLAY_CUSTOMERS` change the ledger,
/// `OWED_REPLAY_PLAIN=1` replays the plainer process; `OWED_REPLAY_WEEKDAYS=1`,
/// `OWED_REPLAY_STATEMENTS=SHARE` and `OWED_REPLAY_HEAVY=1` add working days, statement payers
/// and heavy tails; `OWED_REPLAY_VERBOSE=1` prints what the forecast measured and decided at
/// each cutoff.
#[test]
#[ignore]
fn replay_experiment() {
    /// An environment variable's value, parsed.
    fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }
    let mut s = Settings::default();
    if let Some(seed) = var("OWED_REPLAY_SEED") {
        s.seed = seed;
    }
    if let Some(n) = var("OWED_REPLAY_CUSTOMERS") {
        s.customers = n;
    }
    if std::env::var("OWED_REPLAY_PLAIN").is_ok() {
        s = Settings {
            hiccup: 0.05,
            spread: (1.5, 7.0),
            early: 0.0,
            irregular: false,
            dispute_spread: 1.0,
            concentrated: false,
            ..s
        };
    }
    if std::env::var("OWED_REPLAY_WEEKDAYS").is_ok() {
        s.weekdays_only = true;
    }
    if let Some(share) = var("OWED_REPLAY_STATEMENTS") {
        s.statement_payers = share;
    }
    if std::env::var("OWED_REPLAY_HEAVY").is_ok() {
        s.heavy_tail = true;
    }
    for disputes in [Disputes::History, Disputes::OpenOnly] {
        let r = replay(&s, disputes, 14);
        println!("{disputes:?} (seed {})\n{r}", s.seed);
    }
}

/// Judges the model on the replay, as the held-back sample is judged: its mean absolute error
/// against the per-customer median's over every document open at the 14 cutoffs.
fn judged(s: &Settings, disputes: Disputes, at_most: f64) {
    let r = replay(s, disputes, 14);
    println!("{disputes:?} (seed {})\n{r}", s.seed);
    assert!(r.all.count > 1000, "{r}");
    assert!(
        r.all.ratio() <= at_most,
        "{disputes:?}: ratio {:.3}\n{r}",
        r.all.ratio()
    );
    // Disputed documents are the ones the median gets wrong most: the model must not lose
    // its edge there, and must not lose to the median elsewhere.
    assert!(r.disputed.ratio() < 0.8, "{r}");
    assert!(r.undisputed.ratio() < 1.0, "{r}");
    // Honest: the median signed error within a day either way, overall and per kind.
    for e in [&r.all, &r.undisputed, &r.disputed] {
        assert!(e.bias().abs() <= 1, "{r}");
    }
}

#[test]
fn with_dispute_history_the_model_is_at_most_0_70_of_the_median() {
    judged(&Settings::default(), Disputes::History, 0.70);
}

#[test]
fn with_only_open_disputes_recorded_the_model_is_at_most_0_90_of_the_median() {
    judged(&Settings::default(), Disputes::OpenOnly, 0.90);
}

/// A ledger less like a textbook and more like a bank's: payments on working days only, two
/// customers in five paying by monthly statement (everything due since their last run, on a
/// day of the month of their own), and days late with a heavy tail. Another seed, so that
/// nothing here was tuned on it. The model measured 0.70 of the median on it without dispute
/// history (the default replay: 0.69).
#[test]
fn on_statement_payers_with_heavy_tails_and_no_dispute_history_the_model_still_wins() {
    let s = Settings {
        seed: 31,
        weekdays_only: true,
        statement_payers: 0.4,
        heavy_tail: true,
        ..Settings::default()
    };
    judged(&s, Disputes::OpenOnly, 0.85);
}
