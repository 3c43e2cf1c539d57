//! Deterministic demo portfolio: the five import CSVs of SPEC.md "Import format".
//!
//! The generator walks the customers one at a time. For each it draws a profile (name, terms,
//! payment method, owners) and a behaviour *archetype* with a latent lateness (mean days late,
//! spread, and for some a drift over time), lays out two years of invoices, and then lets the
//! customer live that history: payments arrive `due date + lateness + size effect + noise`
//! days after the due date — or not at all yet if that falls after `today` — with instalments,
//! card declines, disputes settled by credit notes, weekly payment runs, and the odd unapplied
//! or voided payment. Only one customer's ledger is in memory at a time; rows are streamed to
//! `csv::Writer`s over `BufWriter`s.
//!
//! Determinism: every customer draws from its own xoshiro256** stream seeded from
//! `(seed, customer index)`, and the floating-point maths uses only `+ - * /` (IEEE-exact) and
//! a local [`exp`], never the platform's libm, so a seed gives byte-identical files on every
//! platform. Money is kept in minor units (`i64` cents) and written with two decimals.

use std::fs::{self, File};
use std::io::{self, BufWriter};
use std::path::Path;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use rust_decimal::Decimal;

use crate::domain::backfill::PastActivity;
use crate::domain::format;

mod activities;

use activities::draw_activities;

// ---------------------------------------------------------------------------------------------
// Public interface
// ---------------------------------------------------------------------------------------------

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of customers (2,000 is the `owed demo` default).
    pub customers: usize,
    /// Seed of the pseudo-random streams: the same options always give the same bytes.
    pub seed: u64,
    /// The last day of the history: nothing is dated after it (due dates may be).
    pub today: NaiveDate,
    /// The base currency (`"USD"`): most customers bill in it and it gets no rate rows.
    pub base_currency: String,
}

/// How the demo's customers pay: the generator's behaviour tunables. The defaults make the
/// `owed demo` portfolio; other settings make a portfolio that behaves differently (to check
/// that the forecast learns what a ledger does rather than what the demo does).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoBehaviour {
    /// Weights of the archetypes: prompt, steady, chronic late, partial, disputer, card
    /// failing, stopped.
    pub archetypes: [u32; 7],
    /// Every archetype's mean days late and spread are multiplied by these.
    pub lateness_scale: f64,
    pub spread_scale: f64,
    /// Share of the customers whose lateness drifts over time.
    pub drift_share: f64,
    /// Extra days late per unit of log-size above the customer's usual invoice.
    pub size_effect_days: f64,
    /// Chance that any invoice is paid with an unrelated hiccup of 10–60 extra days.
    pub hiccup_chance: f64,
    /// Share of a disputer's invoices it disputes (others dispute 1 %).
    pub disputer_share: f64,
    /// Days a dispute adds (uniform between the two).
    pub dispute_days: (f64, f64),
    /// Chance that a disputed document is settled by a credit note rather than paid late.
    pub dispute_credit_chance: f64,
    /// Share of the larger customers paying by transfer or cheque who batch payments into a
    /// weekly run.
    pub payment_run_share: f64,
}

impl Default for DemoBehaviour {
    fn default() -> Self {
        DemoBehaviour {
            archetypes: [35, 20, 15, 10, 8, 8, 4],
            lateness_scale: 1.0,
            spread_scale: 1.0,
            drift_share: 0.25,
            size_effect_days: SIZE_EFFECT_DAYS,
            hiccup_chance: HICCUP_CHANCE,
            disputer_share: 0.3,
            dispute_days: (40.0, 150.0),
            dispute_credit_chance: DISPUTE_CREDIT_CHANCE,
            payment_run_share: 0.6,
        }
    }
}

impl DemoBehaviour {
    /// Parses `key=value` pairs separated by commas over the defaults: `archetypes=a/b/c/d/e/f/g`,
    /// `lateness=`, `spread=`, `drift=`, `size_effect=`, `hiccup=`, `disputer_share=`,
    /// `dispute_days=LOW..HIGH`, `dispute_credit=`, `payment_run=`.
    pub fn parse(text: &str) -> Result<DemoBehaviour, String> {
        let mut b = DemoBehaviour::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not key=value"))?;
            let number = |v: &str| -> Result<f64, String> {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| format!("`{v}` is not a number of at least 0 (for {key})"))
            };
            let share = |v: &str| -> Result<f64, String> {
                number(v).and_then(|x| {
                    if x <= 1.0 {
                        Ok(x)
                    } else {
                        Err(format!("{key} is a share between 0 and 1, not {v}"))
                    }
                })
            };
            match key.trim() {
                "archetypes" => {
                    let weights: Vec<u32> = value
                        .split('/')
                        .map(|w| w.trim().parse::<u32>())
                        .collect::<Result<_, _>>()
                        .map_err(|_| {
                            format!("`{value}` is not seven whole weights a/b/c/d/e/f/g")
                        })?;
                    b.archetypes = weights
                        .try_into()
                        .ok()
                        .filter(|w: &[u32; 7]| w.iter().any(|&x| x > 0))
                        .ok_or_else(|| format!("`{value}` is not seven weights, not all 0"))?;
                }
                "lateness" => b.lateness_scale = number(value)?,
                "spread" => b.spread_scale = number(value)?,
                "drift" => b.drift_share = share(value)?,
                "size_effect" => b.size_effect_days = number(value)?,
                "hiccup" => b.hiccup_chance = share(value)?,
                "disputer_share" => b.disputer_share = share(value)?,
                "dispute_credit" => b.dispute_credit_chance = share(value)?,
                "payment_run" => b.payment_run_share = share(value)?,
                "dispute_days" => {
                    let (low, high) = value
                        .split_once("..")
                        .ok_or_else(|| format!("dispute_days is LOW..HIGH, not `{value}`"))?;
                    let (low, high) = (number(low)?, number(high)?);
                    if low > high {
                        return Err(format!("dispute_days {low}..{high} runs backwards"));
                    }
                    b.dispute_days = (low, high);
                }
                other => return Err(format!("`{other}` is not a demo behaviour setting")),
            }
        }
        Ok(b)
    }

    /// The settings that differ from the defaults, as `parse` reads them ("" for none).
    pub fn describe(&self) -> String {
        let d = DemoBehaviour::default();
        let mut out = Vec::new();
        if self.archetypes != d.archetypes {
            let w: Vec<String> = self.archetypes.iter().map(u32::to_string).collect();
            out.push(format!("archetypes={}", w.join("/")));
        }
        let mut num = |key: &str, a: f64, b: f64| {
            if a != b {
                out.push(format!("{key}={a}"));
            }
        };
        num("lateness", self.lateness_scale, d.lateness_scale);
        num("spread", self.spread_scale, d.spread_scale);
        num("drift", self.drift_share, d.drift_share);
        num("size_effect", self.size_effect_days, d.size_effect_days);
        num("hiccup", self.hiccup_chance, d.hiccup_chance);
        num("disputer_share", self.disputer_share, d.disputer_share);
        num(
            "dispute_credit",
            self.dispute_credit_chance,
            d.dispute_credit_chance,
        );
        num("payment_run", self.payment_run_share, d.payment_run_share);
        if self.dispute_days != d.dispute_days {
            out.push(format!(
                "dispute_days={}..{}",
                self.dispute_days.0, self.dispute_days.1
            ));
        }
        out.join(",")
    }

    fn archetypes(&self) -> [(Archetype, u32); 7] {
        let mut out = ARCHETYPES;
        for (slot, &w) in out.iter_mut().zip(&self.archetypes) {
            slot.1 = w;
        }
        out
    }
}

/// Rows written to each CSV file (header rows not counted).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DemoCounts {
    pub customers: usize,
    pub documents: usize,
    pub payments: usize,
    pub applications: usize,
    pub exchange_rates: usize,
}

/// Writes customers.csv, documents.csv, payments.csv, applications.csv, exchange_rates.csv into `dir`
/// (SPEC import format, header row first), streaming customer by customer (never holds all documents in memory),
/// and returns the counts plus the collector activity (notes, promises, disputes) of the whole history, customer
/// by customer in the customers' order, each customer's in date order (see the `activities` module).
///
/// `dir` is created if missing; existing files of those names are overwritten.
pub fn write_csvs(opts: &DemoOptions, dir: &Path) -> io::Result<(DemoCounts, Vec<PastActivity>)> {
    write_csvs_behaving(opts, &DemoBehaviour::default(), dir)
}

/// [`write_csvs`] with customers who pay as `behaviour` says.
pub fn write_csvs_behaving(
    opts: &DemoOptions,
    behaviour: &DemoBehaviour,
    dir: &Path,
) -> io::Result<(DemoCounts, Vec<PastActivity>)> {
    fs::create_dir_all(dir)?;
    let mut sinks = Sinks::create(dir)?;
    let market = Market::new(&opts.base_currency);
    let history_start = shift(opts.today, -HISTORY_DAYS);
    let mut counts = DemoCounts {
        exchange_rates: sinks.write_exchange_rates(
            &market,
            shift(history_start, -RATE_LEAD_DAYS),
            opts.today,
            opts.seed,
        )?,
        ..DemoCounts::default()
    };

    let mut ids = IdCounters::default();
    let mut residue_owed = true;
    let mut ledger = Ledger::default();
    let mut activities = Vec::new();
    for index in 0..opts.customers {
        let mut rng = Rng::new(opts.seed, STREAM_CUSTOMER, index as u64);
        let customer = draw_customer(
            index,
            &market,
            behaviour,
            history_start,
            opts.today,
            &mut rng,
        );
        draw_ledger(
            &customer,
            opts.today,
            &mut rng,
            &mut ledger,
            &mut ids,
            &mut residue_owed,
        );
        sinks.write_customer(&customer, &ledger, &mut counts)?;

        let mut rng = Rng::new(opts.seed, STREAM_ACTIVITY, index as u64);
        draw_activities(&customer, &ledger, opts.today, &mut rng, &mut activities);
    }
    sinks.finish()?;
    Ok((counts, activities))
}

// ---------------------------------------------------------------------------------------------
// Tunables
// ---------------------------------------------------------------------------------------------

/// Days of invoice history before `today` (a little over two years).
const HISTORY_DAYS: i64 = 760;
/// Exchange rates start this many days before the earliest possible document date.
const RATE_LEAD_DAYS: i64 = 7;
/// Collectors (finance owners) and account managers (sales owners).
const COLLECTORS: [&str; 6] = ["alice", "bob", "carol", "dave", "erin", "frank"];
/// Smallest and largest debit document, in cents.
const MIN_AMOUNT: i64 = 5_000;
const MAX_AMOUNT: i64 = 5_000_000;
/// Extra days late per unit of log-size above the customer's usual invoice.
const SIZE_EFFECT_DAYS: f64 = 6.0;
/// Share of debit documents that are debit notes (fees, extra charges).
const DEBIT_NOTE_SHARE: f64 = 0.03;
/// Chance that any invoice is paid with an unrelated hiccup of 10–60 extra days.
const HICCUP_CHANCE: f64 = 0.04;
/// Chance of a goodwill / correction credit note on an undisputed document.
const ROUTINE_CREDIT_CHANCE: f64 = 0.04;
/// Chance that a disputed document is settled by a credit note rather than paid late.
const DISPUTE_CREDIT_CHANCE: f64 = 0.45;
/// Chance that a payment attempt is voided and re-entered.
const VOID_CHANCE: f64 = 0.004;
/// Cumulative thresholds of the receipt quirks (see [`Quirk`]).
const RESIDUE_BELOW: f64 = 0.002;
const OVERPAY_BELOW: f64 = 0.006;
const DUPLICATE_BELOW: f64 = 0.008;
const NO_REMITTANCE_BELOW: f64 = 0.012;
/// Payments without remittance are only left unapplied if this recent.
const NO_REMITTANCE_MAX_AGE_DAYS: i64 = 75;
/// Share of documents whose billing balance deliberately disagrees.
const BILLING_MISMATCH_CHANCE: f64 = 0.005;
/// Chance a customer with / without overdue items today has recent notes (and maybe an open promise).
const ENGAGED_IF_OVERDUE: f64 = 0.42;
const ENGAGED_OTHERWISE: f64 = 0.06;

/// Stream tags, so each purpose draws an independent sequence.
const STREAM_CUSTOMER: u64 = 1;
const STREAM_ACTIVITY: u64 = 2;
const STREAM_RATES: u64 = 3;

// ---------------------------------------------------------------------------------------------
// Pseudo-random numbers (no `rand`: the sequence is part of the output contract)
// ---------------------------------------------------------------------------------------------

/// One step of SplitMix64, used to expand seeds into xoshiro state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256** generator with the handful of distributions the generator needs.
struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// An independent stream for `(seed, stream, index)`.
    fn new(seed: u64, stream: u64, index: u64) -> Self {
        let mut mix = seed;
        let a = splitmix64(&mut mix);
        let mut mix = a ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let b = splitmix64(&mut mix);
        let mut state = b ^ index.wrapping_mul(0xA24B_AED4_963E_E407);
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        Self { s }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in `[0, 1)` with 53 bits.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform in `0..n` (multiply-shift; the bias is far below anything visible here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform integer in `lo..=hi`.
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        lo + self.below((hi - lo) as u64 + 1) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// Picks a value with probability proportional to its weight.
    fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        let total: u32 = table.iter().map(|&(_, w)| w).sum();
        let mut r = self.below(u64::from(total)) as u32;
        for &(value, weight) in table {
            if r < weight {
                return value;
            }
            r -= weight;
        }
        table[table.len() - 1].0
    }

    /// Approximately standard normal (Irwin–Hall sum of 12 uniforms, bounded at ±6).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// `e^x` from `+ - * /` only (range reduction and a Taylor series), so that amounts do not
/// depend on the platform's libm. Accurate to about 1e-15 relative for `|x| < 700`.
fn exp(x: f64) -> f64 {
    let x = x.clamp(-700.0, 700.0);
    let k = (x * std::f64::consts::LOG2_E).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..=14 {
        term *= r / f64::from(i);
        sum += term;
    }
    let two_to_k = f64::from_bits(((k as i64 + 1023) as u64) << 52);
    sum * two_to_k
}

// ---------------------------------------------------------------------------------------------
// Dates and text helpers
// ---------------------------------------------------------------------------------------------

/// `date` moved by `days` (negative: earlier).
fn shift(date: NaiveDate, days: i64) -> NaiveDate {
    date + TimeDelta::days(days)
}

/// The first `weekday` on or after `date`.
fn next_weekday(date: NaiveDate, weekday: Weekday) -> NaiveDate {
    let ahead = (weekday.num_days_from_monday() + 7 - date.weekday().num_days_from_monday()) % 7;
    shift(date, i64::from(ahead))
}

fn cents_to_decimal(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// `fraction` of `cents`, at least one cent and at most all of it.
fn portion(cents: i64, fraction: f64) -> i64 {
    to_cents(cents as f64 * fraction).clamp(1, cents)
}

/// Rounds a float amount of cents to whole cents.
fn to_cents(value: f64) -> i64 {
    value.round() as i64
}

/// A `YYYY-MM-DD` date rendered without allocating.
struct DateText([u8; 10]);

impl DateText {
    fn new(date: NaiveDate) -> Self {
        let mut buf = *b"0000-00-00";
        let year = date.year().clamp(0, 9999) as u32;
        for (slot, value) in [(3, year), (2, year / 10), (1, year / 100), (0, year / 1000)] {
            buf[slot] = b'0' + (value % 10) as u8;
        }
        buf[5] = b'0' + (date.month() / 10) as u8;
        buf[6] = b'0' + (date.month() % 10) as u8;
        buf[8] = b'0' + (date.day() / 10) as u8;
        buf[9] = b'0' + (date.day() % 10) as u8;
        Self(buf)
    }
}

impl AsRef<[u8]> for DateText {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// An amount of cents rendered as `1234.50` without allocating.
struct MoneyText {
    buf: [u8; 24],
    start: usize,
}

impl MoneyText {
    fn new(cents: i64) -> Self {
        let mut buf = [0u8; 24];
        let mut pos = buf.len();
        let mut rest = cents.unsigned_abs();
        let mut push = |byte: u8, pos: &mut usize| {
            *pos -= 1;
            buf[*pos] = byte;
        };
        for _ in 0..2 {
            push(b'0' + (rest % 10) as u8, &mut pos);
            rest /= 10;
        }
        push(b'.', &mut pos);
        loop {
            push(b'0' + (rest % 10) as u8, &mut pos);
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        if cents < 0 {
            push(b'-', &mut pos);
        }
        Self { buf, start: pos }
    }
}

impl AsRef<[u8]> for MoneyText {
    fn as_ref(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// An exchange rate given in millionths, with 4 to 6 decimals (trailing zeros trimmed).
fn rate_text(micros: i64) -> String {
    let text = format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000);
    let keep = text.trim_end_matches('0').len().max(text.len() - 2);
    text[..keep].to_string()
}

// ---------------------------------------------------------------------------------------------
// Currencies and exchange rates
// ---------------------------------------------------------------------------------------------

/// The currencies customers bill in: the base and two foreign ones.
struct Market {
    base: String,
    foreign: [&'static str; 2],
}

impl Market {
    fn new(base: &str) -> Self {
        let foreign = match base {
            "EUR" => ["USD", "GBP"],
            "GBP" => ["USD", "EUR"],
            _ => ["EUR", "GBP"],
        };
        Self {
            base: base.to_string(),
            foreign,
        }
    }

    /// The market's spelling of `code`, if customers bill in it.
    fn find(&self, code: &str) -> Option<&str> {
        if self.base == code {
            return Some(&self.base);
        }
        self.foreign.into_iter().find(|&foreign| foreign == code)
    }

    /// Mostly the base currency; about 12 % and 8 % in the foreign ones.
    fn draw_currency(&self, rng: &mut Rng) -> &str {
        match rng.weighted(&[(0, 80), (1, 12), (2, 8)]) {
            1 => self.foreign[0],
            2 => self.foreign[1],
            _ => &self.base,
        }
    }
}

/// A mean-reverting random walk of a currency's value in US cents per unit ×100 (1e-4 USD).
struct RateWalk {
    value: i64,
    center: i64,
    low: i64,
    high: i64,
}

impl RateWalk {
    /// A walk starting at `center` and kept within ±0.05 USD of it.
    fn around(center: i64) -> Self {
        Self {
            value: center,
            center,
            low: center - 500,
            high: center + 500,
        }
    }

    /// One day's move: a small random step with a pull back towards the center.
    fn step(&mut self, rng: &mut Rng) {
        let pull = (self.center - self.value) / 40;
        self.value = (self.value + pull + rng.int(-45, 45)).clamp(self.low, self.high);
    }
}

/// Units of base currency per unit of foreign currency, in millionths (rounded), from the
/// US-dollar values (1e-4) of both.
fn cross_rate_micros(foreign_usd: i64, base_usd: i64) -> i64 {
    (foreign_usd * 2_000_000 + base_usd) / (2 * base_usd)
}

/// US dollars (in 1e-4) per unit of `code`; unknown currencies are taken at parity.
fn usd_value(code: &str, eur: &RateWalk, gbp: &RateWalk) -> i64 {
    match code {
        "EUR" => eur.value,
        "GBP" => gbp.value,
        _ => 10_000,
    }
}

// ---------------------------------------------------------------------------------------------
// Customer profile
// ---------------------------------------------------------------------------------------------

/// How a customer pays, the driver of everything the forecaster has to learn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Archetype {
    /// Pays around the due date.
    Prompt,
    /// A few days to two weeks late.
    Steady,
    /// 20–60 days late, routinely.
    ChronicLate,
    /// Pays most invoices in two or three instalments.
    Partial,
    /// Disputes a third of its invoices: paid very late or credited.
    Disputer,
    /// Card on file keeps failing; declines before each eventual success.
    CardFailing,
    /// Paid for a while, then stopped; recent invoices wide open.
    Stopped,
}

/// Share of each archetype, in percent.
const ARCHETYPES: [(Archetype, u32); 7] = [
    (Archetype::Prompt, 35),
    (Archetype::Steady, 20),
    (Archetype::ChronicLate, 15),
    (Archetype::Partial, 10),
    (Archetype::Disputer, 8),
    (Archetype::CardFailing, 8),
    (Archetype::Stopped, 4),
];

/// The latent lateness of a customer, in days after the due date.
#[derive(Clone, Copy, Debug)]
struct Lateness {
    mean: f64,
    spread: f64,
    /// Change of the mean per year of the relationship (negative: improving).
    drift_per_year: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment {
    Smb,
    Mid,
    Enterprise,
}

impl Segment {
    fn as_str(self) -> &'static str {
        match self {
            Segment::Smb => "smb",
            Segment::Mid => "mid",
            Segment::Enterprise => "enterprise",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Region {
    NorthAmerica,
    Latam,
    Emea,
    Apac,
}

impl Region {
    fn as_str(self) -> &'static str {
        match self {
            Region::NorthAmerica => "na",
            Region::Latam => "latam",
            Region::Emea => "emea",
            Region::Apac => "apac",
        }
    }

    fn locations(self) -> &'static [&'static str] {
        match self {
            Region::NorthAmerica => &["New York", "Chicago", "Austin", "Toronto"],
            Region::Latam => &["São Paulo", "Mexico City", "Bogotá"],
            Region::Emea => &["London", "Berlin", "Paris", "Amsterdam", "Dublin"],
            Region::Apac => &["Singapore", "Sydney", "Tokyo"],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Card,
    BankTransfer,
    DirectDebit,
    Cheque,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Card => "card",
            Method::BankTransfer => "bank_transfer",
            Method::DirectDebit => "direct_debit",
            Method::Cheque => "cheque",
        }
    }

    /// Charged by us through a gateway, rather than sent by the customer.
    fn is_automatic(self) -> bool {
        matches!(self, Method::Card | Method::DirectDebit)
    }
}

/// When the customer was billed and when (if ever) it stopped paying.
struct Timeline {
    start: NaiveDate,
    billing_end: NaiveDate,
    stop_paying: Option<NaiveDate>,
}

/// Everything fixed about one customer before its ledger is drawn.
struct Customer<'m> {
    id: String,
    name: String,
    email: String,
    phone: String,
    currency: &'m str,
    finance_owner: &'static str,
    sales_owner: &'static str,
    terms_days: i64,
    credit_limit: i64,
    auto_collection: bool,
    primary_method: Method,
    backup_method: Option<Method>,
    source_status: &'static str,
    subscription_status: &'static str,
    segment: Segment,
    region: Region,
    location: &'static str,
    business_unit: &'static str,
    archetype: Archetype,
    lateness: Lateness,
    timeline: Timeline,
    /// The customer's usual invoice, in cents.
    typical_amount: f64,
    document_count: usize,
    /// Weekday of the customer's AP payment run, if it batches payments.
    payment_run: Option<Weekday>,
    gateway: &'static str,
    /// The decline the customer's card usually gets.
    usual_failure: &'static str,
    behaviour: &'m DemoBehaviour,
}

fn draw_customer<'m>(
    index: usize,
    market: &'m Market,
    behaviour: &'m DemoBehaviour,
    history_start: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Customer<'m> {
    let archetype = rng.weighted(&behaviour.archetypes());
    let segment = rng.weighted(&[
        (Segment::Smb, 60),
        (Segment::Mid, 30),
        (Segment::Enterprise, 10),
    ]);
    let (name, currency, region) = draw_identity(index, market, rng);
    let email = draw_email(&name, index, rng);
    let phone = draw_phone(region, currency, rng);
    let (primary_method, backup_method) = draw_payment_methods(segment, archetype, rng);
    let auto_collection = if primary_method.is_automatic() {
        rng.chance(0.9)
    } else {
        rng.chance(0.05)
    };
    let timeline = draw_timeline(archetype, history_start, today, rng);
    let subscription_status = draw_subscription_status(archetype, &timeline, today, rng);
    let lateness = draw_lateness(archetype, auto_collection, behaviour, rng);
    let source_status = draw_source_status(archetype, primary_method, rng);
    Customer {
        id: format!("C{:06}", index + 1),
        name,
        email,
        phone,
        currency,
        finance_owner: rng.pick(&COLLECTORS),
        sales_owner: rng.pick(&COLLECTORS),
        terms_days: draw_terms(segment, rng),
        credit_limit: draw_credit_limit(segment, rng),
        auto_collection,
        primary_method,
        backup_method,
        source_status,
        subscription_status,
        segment,
        region,
        location: rng.pick(region.locations()),
        business_unit: rng.pick(&BUSINESS_UNITS),
        archetype,
        lateness,
        timeline,
        typical_amount: draw_typical_amount(segment, rng),
        document_count: draw_document_count(archetype, rng),
        payment_run: draw_payment_run(segment, primary_method, behaviour, rng),
        gateway: rng.pick(&["stripe", "adyen", "braintree"]),
        usual_failure: usual_failure(source_status, rng),
        behaviour,
    }
}

/// The latent lateness of each archetype; a quarter of the steady ones drift over time.
fn draw_lateness(
    archetype: Archetype,
    auto_collection: bool,
    behaviour: &DemoBehaviour,
    rng: &mut Rng,
) -> Lateness {
    let (mean, spread) = match archetype {
        Archetype::Prompt if auto_collection => (0.0, 0.4),
        Archetype::Prompt => (rng.uniform(-3.0, 2.0), rng.uniform(1.0, 3.0)),
        Archetype::Steady => (rng.uniform(3.0, 15.0), rng.uniform(3.0, 8.0)),
        Archetype::ChronicLate => (rng.uniform(20.0, 60.0), rng.uniform(6.0, 15.0)),
        Archetype::Partial => (rng.uniform(0.0, 20.0), rng.uniform(4.0, 10.0)),
        Archetype::Disputer => (rng.uniform(5.0, 25.0), rng.uniform(5.0, 12.0)),
        Archetype::CardFailing => (rng.uniform(-2.0, 6.0), rng.uniform(2.0, 6.0)),
        Archetype::Stopped => (rng.uniform(5.0, 30.0), rng.uniform(4.0, 10.0)),
    };
    let drifts = !matches!(archetype, Archetype::Stopped | Archetype::CardFailing);
    let drift_per_year = if drifts && rng.chance(behaviour.drift_share) {
        rng.uniform(-10.0, 20.0)
    } else {
        0.0
    };
    Lateness {
        mean: mean * behaviour.lateness_scale,
        spread: spread * behaviour.spread_scale,
        drift_per_year,
    }
}

/// Established customers span the whole history; a third joined later. Stopped payers
/// stopped paying 100–240 days ago but are still billed for a while.
fn draw_timeline(
    archetype: Archetype,
    history_start: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Timeline {
    let established = archetype == Archetype::Stopped || rng.chance(0.65);
    let start = if established {
        shift(history_start, rng.int(0, 45))
    } else {
        shift(today, -rng.int(30, HISTORY_DAYS - 60))
    };
    let (billing_end, stop_paying) = if archetype == Archetype::Stopped {
        let stop = shift(today, -rng.int(100, 240)).max(shift(start, 30));
        (shift(today, -rng.int(0, 45)), Some(stop))
    } else {
        (shift(today, -rng.int(0, 20)), None)
    };
    Timeline {
        start,
        billing_end: billing_end.max(start),
        stop_paying,
    }
}

fn draw_region(currency: &str, rng: &mut Rng) -> Region {
    match currency {
        "EUR" | "GBP" => Region::Emea,
        _ => rng.weighted(&[
            (Region::NorthAmerica, 75),
            (Region::Apac, 15),
            (Region::Latam, 10),
        ]),
    }
}

fn draw_payment_methods(
    segment: Segment,
    archetype: Archetype,
    rng: &mut Rng,
) -> (Method, Option<Method>) {
    use Method::{BankTransfer, Card, Cheque, DirectDebit};
    let primary = match (archetype, segment) {
        (Archetype::CardFailing, _) => Card,
        (_, Segment::Smb) => rng.weighted(&[
            (Card, 50),
            (DirectDebit, 25),
            (BankTransfer, 20),
            (Cheque, 5),
        ]),
        (_, Segment::Mid) => rng.weighted(&[
            (BankTransfer, 40),
            (Card, 25),
            (DirectDebit, 25),
            (Cheque, 10),
        ]),
        (_, Segment::Enterprise) => rng.weighted(&[
            (BankTransfer, 70),
            (Cheque, 15),
            (DirectDebit, 10),
            (Card, 5),
        ]),
    };
    let backup = if rng.chance(0.55) {
        Some(rng.pick(&[Card, BankTransfer, DirectDebit, Cheque]))
            .filter(|&method| method != primary)
    } else {
        None
    };
    (primary, backup)
}

fn draw_source_status(archetype: Archetype, primary: Method, rng: &mut Rng) -> &'static str {
    match archetype {
        Archetype::CardFailing => {
            rng.weighted(&[("expired", 40), ("invalid", 30), ("expiring", 30)])
        }
        _ if primary.is_automatic() => {
            rng.weighted(&[("valid", 90), ("expiring", 7), ("invalid", 3)])
        }
        _ => "valid",
    }
}

/// The decline reason matching the state of the customer's card.
fn usual_failure(source_status: &str, rng: &mut Rng) -> &'static str {
    match source_status {
        "expired" => "card_expired",
        "invalid" => rng.pick(&["do_not_honor", "card_declined"]),
        _ => "insufficient_funds",
    }
}

fn draw_subscription_status(
    archetype: Archetype,
    timeline: &Timeline,
    today: NaiveDate,
    rng: &mut Rng,
) -> &'static str {
    if archetype == Archetype::Stopped {
        rng.weighted(&[("cancelled", 50), ("paused", 25), ("non_renewing", 25)])
    } else if (today - timeline.start).num_days() < 60 {
        rng.weighted(&[("in_trial", 50), ("active", 50)])
    } else {
        rng.weighted(&[
            ("active", 88),
            ("non_renewing", 5),
            ("paused", 3),
            ("future", 2),
            ("cancelled", 2),
        ])
    }
}

fn draw_terms(segment: Segment, rng: &mut Rng) -> i64 {
    match segment {
        Segment::Smb => rng.weighted(&[(15, 20), (30, 65), (45, 10), (60, 5)]),
        Segment::Mid => rng.weighted(&[(15, 5), (30, 55), (45, 20), (60, 20)]),
        Segment::Enterprise => rng.weighted(&[(30, 30), (45, 30), (60, 40)]),
    }
}

/// A round credit limit in cents.
fn draw_credit_limit(segment: Segment, rng: &mut Rng) -> i64 {
    let (step, low, high) = match segment {
        Segment::Smb => (1_000, 5, 25),
        Segment::Mid => (5_000, 5, 20),
        Segment::Enterprise => (50_000, 2, 20),
    };
    rng.int(low, high) * step * 100
}

/// The customer's usual invoice in cents: log-normal around the segment's median.
fn draw_typical_amount(segment: Segment, rng: &mut Rng) -> f64 {
    let median = match segment {
        Segment::Smb => 30_000.0,
        Segment::Mid => 250_000.0,
        Segment::Enterprise => 900_000.0,
    };
    (median * exp(0.6 * rng.normal())).clamp(8_000.0, 3_000_000.0)
}

/// About ten documents on average, log-normal between 1 and 40.
fn draw_document_count(archetype: Archetype, rng: &mut Rng) -> usize {
    let count = (7.4 * exp(0.8 * rng.normal())).round().clamp(1.0, 40.0) as usize;
    if archetype == Archetype::Stopped {
        count.max(4)
    } else {
        count
    }
}

/// Larger customers paying by transfer or cheque batch payments into a weekly run.
fn draw_payment_run(
    segment: Segment,
    primary: Method,
    behaviour: &DemoBehaviour,
    rng: &mut Rng,
) -> Option<Weekday> {
    let batches = segment != Segment::Smb
        && !primary.is_automatic()
        && rng.chance(behaviour.payment_run_share);
    batches.then(|| {
        rng.pick(&[
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Fri,
        ])
    })
}

// ---------------------------------------------------------------------------------------------
// Names, emails, phones
// ---------------------------------------------------------------------------------------------

#[rustfmt::skip]
const ADJECTIVES: [&str; 40] = [
    "Blue", "Northern", "Silver", "Bright", "Summit", "Harbor", "Granite", "Maple", "Cedar",
    "Golden", "Pacific", "Atlantic", "Evergreen", "Redwood", "Crescent", "Pioneer", "Liberty",
    "Sterling", "Prairie", "Coastal", "Iron", "Swift", "Clearwater", "Union", "Lakeside",
    "Highland", "Riverside", "Oakmont", "Pinecrest", "Sunrise", "Falcon", "Beacon", "Keystone",
    "Horizon", "Copper", "Orchard", "Meridian", "Vertex", "Canyon", "Willow",
];

#[rustfmt::skip]
const NOUNS: [&str; 40] = [
    "Logistics", "Analytics", "Foods", "Dynamics", "Systems", "Labs", "Media", "Health", "Robotics",
    "Freight", "Software", "Textiles", "Energy", "Partners", "Outfitters", "Supply", "Foundry",
    "Networks", "Studios", "Pharma", "Brewing", "Hospitality", "Consulting", "Manufacturing",
    "Motors", "Farms", "Imaging", "Security", "Ventures", "Works", "Data", "Learning", "Optics",
    "Packaging", "Builders", "Marine", "Aerospace", "Kitchens", "Apparel", "Devices",
];

#[rustfmt::skip]
const SURNAMES: [&str; 24] = [
    "Smith", "Johnson", "Patel", "Nguyen", "Garcia", "Kowalski", "O'Brien", "Schmidt", "Rossi",
    "Tanaka", "Okafor", "Haddad", "Lindqvist", "Moreau", "Dubois", "Fischer", "Silva", "Kim",
    "Novak", "Andersen", "Murphy", "Chen", "Whitaker", "Brennan",
];

/// A family of international company names: one of each part, joined by `separator` (none
/// in CJK names), billed in `currency` where the market has it, located in `region` if given.
struct NameFamily {
    first: &'static [&'static str],
    second: &'static [&'static str],
    suffix: &'static [&'static str],
    separator: &'static str,
    currency: Option<&'static str>,
    region: Option<Region>,
}

impl NameFamily {
    fn draw(&self, rng: &mut Rng) -> String {
        let parts = [
            rng.pick(self.first),
            rng.pick(self.second),
            rng.pick(self.suffix),
        ];
        let parts: Vec<&str> = parts.into_iter().filter(|part| !part.is_empty()).collect();
        parts.join(self.separator)
    }
}

/// Names with accents, CJK, Hangul and emoji (and an apostrophe or two).
const NAME_FAMILIES: [NameFamily; 7] = [
    NameFamily {
        first: &["Müller", "Schäfer", "Köhler", "Weiß", "Groß", "Jäger"],
        second: &[
            "Feinkost",
            "Maschinenbau",
            "Präzisionstechnik",
            "Logistik",
            "Bäckerei",
        ],
        suffix: &["GmbH", "AG", "GmbH & Co. KG"],
        separator: " ",
        currency: Some("EUR"),
        region: Some(Region::Emea),
    },
    NameFamily {
        first: &[
            "Café Lumière",
            "Château",
            "Élan",
            "Crème de la Crème",
            "Forêt d'Or",
        ],
        second: &["Conseil", "Pâtisserie", "Énergie", "Systèmes", "Hôtellerie"],
        suffix: &["SARL", "SAS", "S.A."],
        separator: " ",
        currency: Some("EUR"),
        region: Some(Region::Emea),
    },
    NameFamily {
        first: &[
            "Søndergaard",
            "Åkesson",
            "Dvořák",
            "Łukasiewicz",
            "Núñez",
            "Gonçalves",
        ],
        second: &[
            "Logistics",
            "Bygg",
            "Hudba",
            "Handel",
            "Exportaciones",
            "Comércio",
        ],
        suffix: &["ApS", "AB", "s.r.o.", "Sp. z o.o.", "S.L.", "Ltda"],
        separator: " ",
        currency: Some("EUR"),
        region: Some(Region::Emea),
    },
    NameFamily {
        first: &["東京", "大阪", "名古屋", "横浜", "京都"],
        second: &["テック", "フーズ", "物流", "精機", "商事"],
        suffix: &["株式会社"],
        separator: "",
        currency: None,
        region: Some(Region::Apac),
    },
    NameFamily {
        first: &["北京", "上海", "深圳", "杭州", "广州"],
        second: &["星辰", "华信", "远航", "天成"],
        suffix: &["科技有限公司", "贸易有限公司", "物流有限公司"],
        separator: "",
        currency: None,
        region: Some(Region::Apac),
    },
    NameFamily {
        first: &["서울", "부산", "한빛", "새롬"],
        second: &["솔루션즈", "테크", "물산"],
        suffix: &["주식회사", ""],
        separator: " ",
        currency: None,
        region: Some(Region::Apac),
    },
    NameFamily {
        first: &[
            "Rocket 🚀",
            "Bean There ☕",
            "Green 🌱",
            "Star ⭐",
            "Blue Wave 🌊",
        ],
        second: &["Labs", "Coffee Co.", "Studio", "Supply", "Games"],
        suffix: &[""],
        separator: " ",
        currency: None,
        region: None,
    },
];
/// One customer in this many gets an international name, the families taken in turn.
const SPECIAL_NAME_EVERY: usize = 37;

const BUSINESS_UNITS: [&str; 4] = [
    "Subscriptions",
    "Professional Services",
    "Hardware",
    "Support",
];

/// The shapes generated company names take; some need CSV quoting (commas, quotes).
#[derive(Clone, Copy)]
enum NamePattern {
    AdjectiveNounSuffix,
    AdjectiveNounCommaSuffix,
    SurnameNoun,
    SurnameAndSurname,
    SurnamesAndPartners,
    QuotedBrand,
}

/// The customer's name, currency and region: mostly an English-style name, and for one
/// customer in [`SPECIAL_NAME_EVERY`] an international one with its own currency and region.
fn draw_identity<'m>(index: usize, market: &'m Market, rng: &mut Rng) -> (String, &'m str, Region) {
    if index % SPECIAL_NAME_EVERY == 5 {
        let family = &NAME_FAMILIES[(index / SPECIAL_NAME_EVERY) % NAME_FAMILIES.len()];
        let currency = match family.currency.and_then(|code| market.find(code)) {
            Some(currency) => currency,
            None => market.draw_currency(rng),
        };
        let region = match family.region {
            Some(region) => region,
            None => draw_region(currency, rng),
        };
        return (family.draw(rng), currency, region);
    }
    let currency = market.draw_currency(rng);
    let region = draw_region(currency, rng);
    (draw_company_name(currency, rng), currency, region)
}

/// An English-style company name in one of the [`NamePattern`] shapes.
fn draw_company_name(currency: &str, rng: &mut Rng) -> String {
    let suffix = legal_suffix(currency, rng);
    let adjective = rng.pick(&ADJECTIVES);
    let noun = rng.pick(&NOUNS);
    let surname = rng.pick(&SURNAMES);
    let other_surname = rng.pick(&SURNAMES);
    let pattern = rng.weighted(&[
        (NamePattern::AdjectiveNounSuffix, 45),
        (NamePattern::AdjectiveNounCommaSuffix, 15),
        (NamePattern::SurnameNoun, 16),
        (NamePattern::SurnameAndSurname, 12),
        (NamePattern::SurnamesAndPartners, 7),
        (NamePattern::QuotedBrand, 5),
    ]);
    match pattern {
        NamePattern::AdjectiveNounSuffix => format!("{adjective} {noun} {suffix}"),
        NamePattern::AdjectiveNounCommaSuffix => {
            let suffix = rng.pick(&["Inc.", "LLC", "Ltd."]);
            format!("{adjective} {noun}, {suffix}")
        }
        NamePattern::SurnameNoun => format!("{surname} {noun}"),
        NamePattern::SurnameAndSurname => format!("{surname} & {other_surname} {suffix}"),
        NamePattern::SurnamesAndPartners => format!("{surname}, {other_surname} and Partners"),
        NamePattern::QuotedBrand => format!("The \"{adjective} {noun}\" Company"),
    }
}

fn legal_suffix(currency: &str, rng: &mut Rng) -> &'static str {
    match currency {
        "EUR" => rng.pick(&["GmbH", "S.A.", "B.V.", "SARL", "AG", "S.r.l."]),
        "GBP" => rng.pick(&["Ltd", "Ltd", "plc", "LLP"]),
        _ => rng.pick(&["Inc.", "Inc.", "LLC", "Corp.", "Co.", "Group"]),
    }
}

/// An accounts-payable address on a reserved `.example` domain; a few customers have none.
fn draw_email(name: &str, index: usize, rng: &mut Rng) -> String {
    if rng.chance(0.04) {
        return String::new();
    }
    let slug: String = name
        .split_whitespace()
        .take(2)
        .flat_map(|word| word.chars())
        .filter_map(fold_to_ascii)
        .collect();
    let domain = if slug.len() < 3 {
        format!("client{}", index + 1)
    } else {
        slug
    };
    let mailbox = rng.pick(&[
        "ap", "accounts", "billing", "finance", "invoices", "payables",
    ]);
    format!("{mailbox}@{domain}.example")
}

/// The lowercase ASCII letter or digit a character is written as in a domain name, if any
/// (`Ü` → `u`, `ł` → `l`); other characters (punctuation, CJK, emoji) are dropped.
fn fold_to_ascii(c: char) -> Option<char> {
    if c.is_ascii_alphanumeric() {
        return Some(c.to_ascii_lowercase());
    }
    let folded = match c.to_lowercase().next()? {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' | 'č' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'ě' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ł' => 'l',
        'ñ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ř' => 'r',
        'ś' | 'š' => 's',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => return None,
    };
    Some(folded)
}

/// A phone number in the fictional ranges of the customer's region; a few have none.
fn draw_phone(region: Region, currency: &str, rng: &mut Rng) -> String {
    if rng.chance(0.05) {
        return String::new();
    }
    let line = rng.int(0, 9_999);
    match region {
        Region::NorthAmerica => format!("+1 {} 555 01{:02}", rng.int(201, 989), line % 100),
        Region::Latam => format!("+52 55 5555 {line:04}"),
        Region::Emea if currency == "GBP" => format!("+44 20 7946 {:04}", line % 1000),
        Region::Emea => format!("+49 30 5555 {line:04}"),
        Region::Apac => format!("+65 6555 {line:04}"),
    }
}

// ---------------------------------------------------------------------------------------------
// The ledger of one customer
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DocKind {
    Invoice,
    DebitNote,
    CreditNote,
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Invoice => "invoice",
            DocKind::DebitNote => "debit_note",
            DocKind::CreditNote => "credit_note",
        }
    }
}

/// A document of the customer. For debit documents `applied` is what has been applied to it;
/// for credit notes, what has been applied from it.
struct Doc {
    kind: DocKind,
    id: String,
    number: String,
    doc_date: NaiveDate,
    due_date: Option<NaiveDate>,
    posting_date: NaiveDate,
    amount: i64,
    applied: i64,
    /// What the billing system reports as open (debit documents), set by [`Ledger::finalize`].
    billing_balance: Option<i64>,
    /// log(amount / usual amount): larger invoices are paid later.
    size_log: f64,
    disputed: bool,
    business_unit: &'static str,
    project: Option<i64>,
}

impl Doc {
    fn is_debit(&self) -> bool {
        self.kind != DocKind::CreditNote
    }

    fn balance(&self) -> i64 {
        self.amount - self.applied
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PaymentStatus {
    Success,
    Failure,
    Voided,
}

impl PaymentStatus {
    fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Success => "success",
            PaymentStatus::Failure => "failure",
            PaymentStatus::Voided => "voided",
        }
    }
}

/// A payment attempt and, for successes, what it settles (document index, cents).
struct Payment {
    id: String,
    date: NaiveDate,
    amount: i64,
    status: PaymentStatus,
    method: Method,
    failure_reason: &'static str,
    reference: String,
    allocations: Vec<(usize, i64)>,
    /// A plain receipt that may be merged with others of the same payment run.
    batchable: bool,
}

/// Who settles a document: a payment or a credit note (by index in the ledger).
#[derive(Clone, Copy, Debug)]
enum Source {
    Payment(usize),
    Credit(usize),
}

struct Application {
    source: Source,
    doc: usize,
    amount: i64,
    date: NaiveDate,
}

/// One customer's documents, payments and applications; reused from customer to customer.
#[derive(Default)]
struct Ledger {
    docs: Vec<Doc>,
    payments: Vec<Payment>,
    /// Credit-note applications while settling; all applications after [`Ledger::finalize`].
    applications: Vec<Application>,
    /// Document indices in output (date) order.
    order: Vec<usize>,
}

/// Global document and payment sequence numbers.
#[derive(Default)]
struct IdCounters {
    invoices: u64,
    debit_notes: u64,
    credit_notes: u64,
    payments: u64,
}

impl IdCounters {
    /// The next `(id, number)` for a document of `kind` dated in `year`.
    fn next_document(&mut self, kind: DocKind, year: i32) -> (String, String) {
        let (counter, prefix, series) = match kind {
            DocKind::Invoice => (&mut self.invoices, "INV", "A"),
            DocKind::DebitNote => (&mut self.debit_notes, "DN", "D"),
            DocKind::CreditNote => (&mut self.credit_notes, "CN", "K"),
        };
        *counter += 1;
        (
            format!("{prefix}-{:07}", *counter),
            format!("{series}{year}-{:07}", *counter),
        )
    }

    fn next_payment(&mut self) -> String {
        self.payments += 1;
        format!("PAY-{:07}", self.payments)
    }
}

impl Ledger {
    fn clear(&mut self) {
        self.docs.clear();
        self.payments.clear();
        self.applications.clear();
        self.order.clear();
    }

    /// Puts documents and payments in date order, merges payment-run receipts, assigns ids,
    /// lists every application, and sets the billing system's balances.
    fn finalize(&mut self, ids: &mut IdCounters, rng: &mut Rng) {
        self.order.extend(0..self.docs.len());
        let docs = &self.docs;
        self.order.sort_by_key(|&i| (docs[i].doc_date, i));
        for &i in &self.order {
            let doc = &mut self.docs[i];
            (doc.id, doc.number) = ids.next_document(doc.kind, doc.doc_date.year());
        }

        self.payments.sort_by_key(|payment| payment.date);
        merge_payment_runs(&mut self.payments);
        for (index, payment) in self.payments.iter_mut().enumerate() {
            payment.id = ids.next_payment();
            self.applications
                .extend(
                    payment
                        .allocations
                        .iter()
                        .map(|&(doc, amount)| Application {
                            source: Source::Payment(index),
                            doc,
                            amount,
                            date: payment.date,
                        }),
                );
        }
        self.applications
            .sort_by_key(|application| application.date);

        for doc in self.docs.iter_mut().filter(|doc| doc.is_debit()) {
            doc.billing_balance = Some(billing_balance(doc.balance(), rng));
        }
    }

    fn source_id(&self, source: Source) -> &str {
        match source {
            Source::Payment(i) => &self.payments[i].id,
            Source::Credit(i) => &self.docs[i].id,
        }
    }
}

/// Merges consecutive same-day receipts of a payment run into one payment.
fn merge_payment_runs(payments: &mut Vec<Payment>) {
    payments.dedup_by(|later, earlier| {
        let merge = earlier.batchable && later.batchable && earlier.date == later.date;
        if merge {
            earlier.amount += later.amount;
            earlier.allocations.append(&mut later.allocations);
        }
        merge
    });
}

/// The open balance, or now and then a slightly different figure (a billing mismatch).
fn billing_balance(balance: i64, rng: &mut Rng) -> i64 {
    if !rng.chance(BILLING_MISMATCH_CHANCE) {
        return balance;
    }
    let delta = rng.int(1, 2_500);
    if balance > delta && rng.chance(0.5) {
        balance - delta
    } else {
        balance + delta
    }
}

// ---------------------------------------------------------------------------------------------
// Documents
// ---------------------------------------------------------------------------------------------

/// Replaces `ledger` with the customer's documents and the payment history it lived through,
/// ready to write. `residue_owed` forces a 0.01 residue on the first receipt of the run.
fn draw_ledger(
    customer: &Customer,
    today: NaiveDate,
    rng: &mut Rng,
    ledger: &mut Ledger,
    ids: &mut IdCounters,
    residue_owed: &mut bool,
) {
    ledger.clear();
    draw_debit_documents(customer, today, rng, &mut ledger.docs);
    Settler {
        customer,
        today,
        rng: &mut *rng,
        ledger: &mut *ledger,
        residue_owed,
    }
    .settle_all();
    ledger.finalize(ids, rng);
}

/// Spreads the customer's invoices and debit notes over its billing period, in date order.
fn draw_debit_documents(customer: &Customer, today: NaiveDate, rng: &mut Rng, docs: &mut Vec<Doc>) {
    let timeline = &customer.timeline;
    let span = (timeline.billing_end - timeline.start).num_days() as f64;
    let count = customer.document_count;
    let step = span / count as f64;
    for k in 0..count {
        let offset = (k as f64 + 0.5 + rng.uniform(-0.35, 0.35)) * step;
        let doc_date = shift(timeline.start, offset.round() as i64)
            .clamp(timeline.start, timeline.billing_end);
        let kind = if rng.chance(DEBIT_NOTE_SHARE) {
            DocKind::DebitNote
        } else {
            DocKind::Invoice
        };
        docs.push(draw_debit_document(customer, kind, doc_date, today, rng));
    }
}

fn draw_debit_document(
    customer: &Customer,
    kind: DocKind,
    doc_date: NaiveDate,
    today: NaiveDate,
    rng: &mut Rng,
) -> Doc {
    let (amount, size_log) = draw_debit_amount(customer, kind, rng);
    let disputed_share = match customer.archetype {
        Archetype::Disputer => customer.behaviour.disputer_share,
        _ => 0.01,
    };
    Doc {
        kind,
        id: String::new(),
        number: String::new(),
        doc_date,
        due_date: Some(shift(doc_date, customer.terms_days)),
        posting_date: draw_posting_date(doc_date, today, rng),
        amount,
        applied: 0,
        billing_balance: None,
        size_log,
        disputed: rng.chance(disputed_share),
        business_unit: if rng.chance(0.85) {
            customer.business_unit
        } else {
            rng.pick(&BUSINESS_UNITS)
        },
        project: (customer.segment != Segment::Smb && rng.chance(0.4)).then(|| rng.int(1000, 9999)),
    }
}

/// Recurring invoices vary a little around the usual amount, one-off ones a lot;
/// debit notes are small charges. Returns cents and log(amount / usual amount).
fn draw_debit_amount(customer: &Customer, kind: DocKind, rng: &mut Rng) -> (i64, f64) {
    let size_log = match kind {
        DocKind::DebitNote => rng.uniform(-2.5, -1.0),
        _ if rng.chance(0.75) => 0.25 * rng.normal(),
        _ => 0.3 + 0.9 * rng.normal(),
    };
    let mut cents = to_cents(customer.typical_amount * exp(size_log));
    if cents > MAX_AMOUNT {
        cents = to_cents(MAX_AMOUNT as f64 * rng.uniform(0.55, 1.0));
    }
    (cents.max(MIN_AMOUNT), size_log)
}

/// Most documents post the day they are dated; some a few days later (never after today).
fn draw_posting_date(doc_date: NaiveDate, today: NaiveDate, rng: &mut Rng) -> NaiveDate {
    let delay = if rng.chance(0.8) { 0 } else { rng.int(1, 3) };
    shift(doc_date, delay).min(today).max(doc_date)
}

// ---------------------------------------------------------------------------------------------
// Settlement: how the customer pays
// ---------------------------------------------------------------------------------------------

/// The unusual things that happen to a receipt.
enum Quirk {
    None,
    /// Pays one cent short: a 0.01 residue stays open.
    Residue,
    /// Pays a bit more than owed: unapplied cash.
    Overpay,
    /// Pays the same invoice twice: the second payment stays unapplied.
    Duplicate,
    /// Money arrives without remittance advice and is not yet applied.
    NoRemittance,
}

/// Lives one customer's history: credit notes, declines, instalments and receipts.
struct Settler<'a, 'm> {
    customer: &'a Customer<'m>,
    today: NaiveDate,
    rng: &'a mut Rng,
    ledger: &'a mut Ledger,
    /// True until the run has produced its first 0.01 residue (forces at least one).
    residue_owed: &'a mut bool,
}

impl Settler<'_, '_> {
    fn settle_all(&mut self) {
        let debit_count = self.ledger.docs.len();
        for doc in 0..debit_count {
            self.settle(doc);
        }
    }

    /// Credits, then pays (possibly in instalments) whatever of `doc` is due by today.
    fn settle(&mut self, doc: usize) {
        let credit = self.issue_credit(doc);
        let credited = credit.map_or(0, |(applied, _)| applied);
        let remaining = self.ledger.docs[doc].amount - credited;
        if remaining == 0 {
            return;
        }
        let mut target = self.target_date(doc);
        if let Some((_, credit_date)) = credit {
            target = target.max(shift(credit_date, self.rng.int(2, 20)));
        }
        let stopped = self.customer.timeline.stop_paying;
        if stopped.is_some_and(|stop| target >= stop) {
            return;
        }
        for (amount, date) in self.instalments(remaining, target) {
            let date = self.on_payment_run(date);
            if date > self.today {
                break;
            }
            self.receive(doc, amount, date);
        }
    }

    /// The day the customer means to pay `doc`: due date + lateness (with drift) + size
    /// effect + noise, and much later if disputed.
    fn target_date(&mut self, doc: usize) -> NaiveDate {
        let customer = self.customer;
        let doc = &self.ledger.docs[doc];
        let lateness = &customer.lateness;
        let years = (doc.doc_date - customer.timeline.start).num_days() as f64 / 365.0;
        let mut days = lateness.mean
            + lateness.drift_per_year * years
            + customer.behaviour.size_effect_days * doc.size_log
            + lateness.spread * self.rng.normal();
        if self.rng.chance(customer.behaviour.hiccup_chance) {
            days += self.rng.uniform(10.0, 60.0);
        }
        if doc.disputed {
            let (low, high) = customer.behaviour.dispute_days;
            days += self.rng.uniform(low, high);
        }
        let due = doc.due_date.unwrap_or(doc.doc_date);
        shift(due, days.round() as i64).max(doc.doc_date)
    }

    /// Customers with a weekly payment run pay on its next occurrence.
    fn on_payment_run(&self, date: NaiveDate) -> NaiveDate {
        match self.customer.payment_run {
            Some(weekday) => next_weekday(date, weekday),
            None => date,
        }
    }

    /// Maybe credits part or all of `doc` with a credit note dated on or before today.
    /// Returns the amount applied to `doc` and the credit note's date.
    fn issue_credit(&mut self, doc: usize) -> Option<(i64, NaiveDate)> {
        let Doc {
            amount,
            doc_date,
            disputed,
            ..
        } = self.ledger.docs[doc];
        let rng = &mut *self.rng;
        // Disputes end in a credit for part or all of the document, applied at once; routine
        // credits are smaller, and some sit unused for a while (unutilised credit).
        let (credit, delay, applied) = if disputed {
            if !rng.chance(self.customer.behaviour.dispute_credit_chance) {
                return None;
            }
            let fraction = if rng.chance(0.3) {
                1.0
            } else {
                rng.uniform(0.1, 0.9)
            };
            let credit = portion(amount, fraction);
            (credit, rng.int(15, 75), credit)
        } else {
            if !rng.chance(ROUTINE_CREDIT_CHANCE) {
                return None;
            }
            let credit = portion(amount, rng.uniform(0.05, 0.5));
            let applied = match rng.unit() {
                r if r < 0.80 => credit,
                r if r < 0.92 => 0,
                _ => portion(credit, rng.uniform(0.3, 0.8)),
            };
            (credit, rng.int(3, 45), applied)
        };
        let date = shift(doc_date, delay);
        if date > self.today {
            return None;
        }
        let applied_on = shift(date, self.rng.int(0, 3)).min(self.today);
        self.push_credit_note(doc, credit, applied, date, applied_on);
        Some((applied, date))
    }

    /// Adds a credit note of `amount` dated `date`, `applied` of it to `doc` on `applied_on`.
    fn push_credit_note(
        &mut self,
        doc: usize,
        amount: i64,
        applied: i64,
        date: NaiveDate,
        applied_on: NaiveDate,
    ) {
        let posting_date = draw_posting_date(date, self.today, self.rng);
        let ledger = &mut *self.ledger;
        let target = &mut ledger.docs[doc];
        target.applied += applied;
        let business_unit = target.business_unit;
        let project = target.project;
        let credit_note = ledger.docs.len();
        ledger.docs.push(Doc {
            kind: DocKind::CreditNote,
            id: String::new(),
            number: String::new(),
            doc_date: date,
            due_date: None,
            posting_date,
            amount,
            applied,
            billing_balance: None,
            size_log: 0.0,
            disputed: false,
            business_unit,
            project,
        });
        if applied > 0 {
            ledger.applications.push(Application {
                source: Source::Credit(credit_note),
                doc,
                amount: applied,
                date: applied_on,
            });
        }
    }

    /// Splits `amount` into one to three instalments from `first` on: partial payers
    /// usually split, anyone else rarely; all but the last are whole currency units.
    fn instalments(&mut self, amount: i64, first: NaiveDate) -> Vec<(i64, NaiveDate)> {
        let splits = match self.customer.archetype {
            Archetype::Partial if self.rng.chance(0.7) => self.rng.int(2, 3),
            _ if self.rng.chance(0.02) => 2,
            _ => 1,
        };
        let mut parts = Vec::with_capacity(splits as usize);
        let mut left = amount;
        let mut date = first;
        for _ in 1..splits {
            let wanted = to_cents(left as f64 * self.rng.uniform(0.3, 0.6) / 100.0) * 100;
            if wanted < 100 || wanted >= left {
                break;
            }
            parts.push((wanted, date));
            left -= wanted;
            date = shift(date, self.rng.int(10, 35));
        }
        parts.push((left, date));
        parts
    }

    /// Money for `amount` of `doc` arriving on `date`, after any declines and voids.
    fn receive(&mut self, doc: usize, amount: i64, date: NaiveDate) {
        let Some((date, method)) = self.after_declines(amount, date) else {
            return;
        };
        let Some(date) = self.after_void(amount, date, method) else {
            return;
        };
        match self.draw_quirk(amount, date) {
            Quirk::None => self.push_receipt(date, method, amount, Some((doc, amount))),
            Quirk::Residue => {
                *self.residue_owed = false;
                self.push_receipt(date, method, amount - 1, Some((doc, amount - 1)));
            }
            Quirk::Overpay => {
                let extra = to_cents(amount as f64 * self.rng.uniform(0.005, 0.05)).max(1);
                self.push_receipt(date, method, amount + extra, Some((doc, amount)));
            }
            Quirk::Duplicate => {
                self.push_receipt(date, method, amount, Some((doc, amount)));
                let again = shift(date, self.rng.int(0, 10)).min(self.today);
                self.push_receipt(again, method, amount, None);
            }
            Quirk::NoRemittance => self.push_receipt(date, method, amount, None),
        }
    }

    fn draw_quirk(&mut self, amount: i64, date: NaiveDate) -> Quirk {
        if *self.residue_owed && amount > 1 {
            return Quirk::Residue;
        }
        let roll = self.rng.unit();
        let recent = (self.today - date).num_days() <= NO_REMITTANCE_MAX_AGE_DAYS;
        if roll < RESIDUE_BELOW && amount > 1 {
            Quirk::Residue
        } else if roll < OVERPAY_BELOW {
            Quirk::Overpay
        } else if roll < DUPLICATE_BELOW {
            Quirk::Duplicate
        } else if roll < NO_REMITTANCE_BELOW && recent {
            Quirk::NoRemittance
        } else {
            Quirk::None
        }
    }

    /// Card-failing customers (and now and then anyone charged automatically) get one to
    /// three declines, retried every few days, before the charge goes through — possibly
    /// after today, in which case nothing is received. Returns the date and method of success.
    fn after_declines(&mut self, amount: i64, date: NaiveDate) -> Option<(NaiveDate, Method)> {
        let customer = self.customer;
        let primary = customer.primary_method;
        let declines = match customer.archetype {
            Archetype::CardFailing => self.rng.chance(0.6),
            _ => primary.is_automatic() && self.rng.chance(0.02),
        };
        if !declines {
            return Some((date, primary));
        }
        let mut date = date;
        for _ in 0..self.rng.int(1, 3) {
            if date > self.today {
                return None;
            }
            let reason = self.decline_reason();
            self.push_attempt(date, primary, amount, PaymentStatus::Failure, reason);
            date = shift(date, self.rng.int(2, 5));
        }
        let mut method = primary;
        if customer.archetype == Archetype::CardFailing {
            // Waiting for the customer to update the card, or paying another way.
            date = shift(date, self.rng.int(0, 14));
            if let Some(backup) = customer.backup_method.filter(|_| self.rng.chance(0.3)) {
                method = backup;
            }
        }
        (date <= self.today).then_some((date, method))
    }

    fn decline_reason(&mut self) -> &'static str {
        if self.customer.primary_method == Method::DirectDebit {
            return self.rng.pick(&["insufficient_funds", "mandate_cancelled"]);
        }
        if self.rng.chance(0.6) {
            self.customer.usual_failure
        } else {
            self.rng.pick(&[
                "insufficient_funds",
                "card_expired",
                "do_not_honor",
                "card_declined",
                "processing_error",
            ])
        }
    }

    /// Rarely, a payment is voided and entered again a few days later (None: after today).
    fn after_void(&mut self, amount: i64, date: NaiveDate, method: Method) -> Option<NaiveDate> {
        if !self.rng.chance(VOID_CHANCE) {
            return Some(date);
        }
        self.push_attempt(date, method, amount, PaymentStatus::Voided, "");
        let date = shift(date, self.rng.int(1, 5));
        (date <= self.today).then_some(date)
    }

    /// Records a failed or voided attempt (settles nothing).
    fn push_attempt(
        &mut self,
        date: NaiveDate,
        method: Method,
        amount: i64,
        status: PaymentStatus,
        reason: &'static str,
    ) {
        let reference = self.reference(method, date);
        self.ledger.payments.push(Payment {
            id: String::new(),
            date,
            amount,
            status,
            method,
            failure_reason: reason,
            reference,
            allocations: Vec::new(),
            batchable: false,
        });
    }

    /// Records money received, applied to `allocation` if given.
    fn push_receipt(
        &mut self,
        date: NaiveDate,
        method: Method,
        amount: i64,
        allocation: Option<(usize, i64)>,
    ) {
        let reference = match allocation {
            Some(_) => self.reference(method, date),
            None if method.is_automatic() => self.reference(method, date),
            None => String::new(),
        };
        if let Some((doc, applied)) = allocation {
            self.ledger.docs[doc].applied += applied;
        }
        // Only plain receipts (nothing over or unapplied) join a payment run.
        let batchable = self.customer.payment_run.is_some()
            && allocation.is_some_and(|(_, applied)| applied == amount);
        self.ledger.payments.push(Payment {
            id: String::new(),
            date,
            amount,
            status: PaymentStatus::Success,
            method,
            failure_reason: "",
            reference,
            allocations: allocation.into_iter().collect(),
            batchable,
        });
    }

    /// A gateway charge id, bank transfer reference or cheque number.
    fn reference(&mut self, method: Method, date: NaiveDate) -> String {
        let token = self.rng.next_u64();
        match method {
            Method::Card => format!("ch_{token:016x}"),
            Method::DirectDebit => format!("PM{:012X}", token >> 16),
            Method::BankTransfer => format!(
                "TRF-{}{:02}{:02}-{:05}",
                date.year(),
                date.month(),
                date.day(),
                token % 100_000
            ),
            Method::Cheque => format!("CHQ {:06}", token % 1_000_000),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV output
// ---------------------------------------------------------------------------------------------

type CsvSink = csv::Writer<BufWriter<File>>;

/// The header of `customers.csv`: the import format's columns, then the demo's custom fields.
fn customer_header() -> Vec<&'static str> {
    [format::CUSTOMERS.all(), vec!["cf_segment", "cf_region"]].concat()
}

/// The header of `documents.csv`: the import format's columns in reading order (id, customer,
/// type and number, dates, amounts, places), then the demo's custom field.
const DOCUMENT_HEADER: [&str; 13] = [
    "id",
    "customer_id",
    "type",
    "number",
    "doc_date",
    "due_date",
    "posting_date",
    "amount",
    "currency",
    "billing_balance",
    "location",
    "business_unit",
    "cf_project",
];

/// The bytes of an optional field; empty when absent.
fn optional_bytes<T: AsRef<[u8]>>(value: &Option<T>) -> &[u8] {
    value.as_ref().map_or(&[], AsRef::as_ref)
}

/// The five output files, each with its header row written.
struct Sinks {
    customers: CsvSink,
    documents: CsvSink,
    payments: CsvSink,
    applications: CsvSink,
    exchange_rates: CsvSink,
}

/// Creates `dir/name` and writes the header row.
fn open_sink(dir: &Path, name: &str, header: &[&str]) -> io::Result<CsvSink> {
    let file = File::create(dir.join(name))?;
    let mut writer = csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, file));
    writer.write_record(header)?;
    Ok(writer)
}

impl Sinks {
    fn create(dir: &Path) -> io::Result<Self> {
        Ok(Self {
            customers: open_sink(dir, "customers.csv", &customer_header())?,
            documents: open_sink(dir, "documents.csv", &DOCUMENT_HEADER)?,
            payments: open_sink(dir, "payments.csv", &format::PAYMENTS.all())?,
            applications: open_sink(dir, "applications.csv", &format::APPLICATIONS.all())?,
            exchange_rates: open_sink(dir, "exchange_rates.csv", &format::EXCHANGE_RATES.all())?,
        })
    }

    /// Flushes every file.
    fn finish(mut self) -> io::Result<()> {
        for sink in [
            &mut self.customers,
            &mut self.documents,
            &mut self.payments,
            &mut self.applications,
            &mut self.exchange_rates,
        ] {
            sink.flush()?;
        }
        Ok(())
    }

    /// One row per day and foreign currency from `first` through `last`; returns the row count.
    fn write_exchange_rates(
        &mut self,
        market: &Market,
        first: NaiveDate,
        last: NaiveDate,
        seed: u64,
    ) -> io::Result<usize> {
        let mut rng = Rng::new(seed, STREAM_RATES, 0);
        let (mut eur, mut gbp) = (RateWalk::around(11_000), RateWalk::around(12_700));
        let mut rows = 0;
        for date in first.iter_days().take_while(|&date| date <= last) {
            eur.step(&mut rng);
            gbp.step(&mut rng);
            let base = usd_value(&market.base, &eur, &gbp);
            for currency in market.foreign {
                let value = usd_value(currency, &eur, &gbp);
                let rate = rate_text(cross_rate_micros(value, base));
                let date_text = DateText::new(date);
                self.exchange_rates.write_record([
                    date_text.as_ref(),
                    currency.as_bytes(),
                    rate.as_bytes(),
                ])?;
                rows += 1;
            }
        }
        Ok(rows)
    }

    /// Writes the customer's row and its documents, payments and applications.
    fn write_customer(
        &mut self,
        customer: &Customer,
        ledger: &Ledger,
        counts: &mut DemoCounts,
    ) -> io::Result<()> {
        self.write_customer_row(customer)?;
        counts.customers += 1;
        for &doc in &ledger.order {
            self.write_document(customer, &ledger.docs[doc])?;
        }
        counts.documents += ledger.docs.len();
        for payment in &ledger.payments {
            self.write_payment(customer, payment)?;
        }
        counts.payments += ledger.payments.len();
        for application in &ledger.applications {
            let source = ledger.source_id(application.source);
            let target = &ledger.docs[application.doc].id;
            self.applications.write_record([
                source.as_bytes(),
                target.as_bytes(),
                MoneyText::new(application.amount).as_ref(),
                DateText::new(application.date).as_ref(),
            ])?;
        }
        counts.applications += ledger.applications.len();
        Ok(())
    }

    fn write_customer_row(&mut self, customer: &Customer) -> io::Result<()> {
        let terms = customer.terms_days.to_string();
        let backup = customer.backup_method.map_or("", Method::as_str);
        // Card customers: four digits derived from the id (no draw, so the rest of the
        // portfolio stays as it was).
        let card_last4 = if customer.primary_method == Method::Card
            || customer.backup_method == Some(Method::Card)
        {
            let hash = customer
                .id
                .bytes()
                .fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
            format!("{:04}", hash % 10_000)
        } else {
            String::new()
        };
        self.customers.write_record([
            customer.id.as_bytes(),
            customer.name.as_bytes(),
            customer.email.as_bytes(),
            customer.phone.as_bytes(),
            customer.currency.as_bytes(),
            customer.finance_owner.as_bytes(),
            customer.sales_owner.as_bytes(),
            terms.as_bytes(),
            MoneyText::new(customer.credit_limit).as_ref(),
            if customer.auto_collection {
                b"on".as_slice()
            } else {
                b"off".as_slice()
            },
            customer.primary_method.as_str().as_bytes(),
            backup.as_bytes(),
            customer.source_status.as_bytes(),
            customer.subscription_status.as_bytes(),
            card_last4.as_bytes(),
            customer.segment.as_str().as_bytes(),
            customer.region.as_str().as_bytes(),
        ])?;
        Ok(())
    }

    fn write_document(&mut self, customer: &Customer, doc: &Doc) -> io::Result<()> {
        let due = doc.due_date.map(DateText::new);
        let billing = doc.billing_balance.map(MoneyText::new);
        let project = doc.project.map(|p| format!("PRJ-{p}")).unwrap_or_default();
        self.documents.write_record([
            doc.id.as_bytes(),
            customer.id.as_bytes(),
            doc.kind.as_str().as_bytes(),
            doc.number.as_bytes(),
            DateText::new(doc.doc_date).as_ref(),
            optional_bytes(&due),
            DateText::new(doc.posting_date).as_ref(),
            MoneyText::new(doc.amount).as_ref(),
            customer.currency.as_bytes(),
            optional_bytes(&billing),
            customer.location.as_bytes(),
            doc.business_unit.as_bytes(),
            project.as_bytes(),
        ])?;
        Ok(())
    }

    fn write_payment(&mut self, customer: &Customer, payment: &Payment) -> io::Result<()> {
        let gateway = match payment.method {
            Method::Card => customer.gateway,
            Method::DirectDebit => "gocardless",
            Method::BankTransfer | Method::Cheque => "",
        };
        // A failed card or debit attempt is in the billing system's retry cycle, with the next
        // retry three days later.
        let failed = matches!(payment.status.as_str(), "failure" | "timeout");
        let dunning: &[u8] = if failed { b"in_progress" } else { b"" };
        let retry = failed.then(|| DateText::new(shift(payment.date, 3)));
        self.payments.write_record([
            payment.id.as_bytes(),
            customer.id.as_bytes(),
            DateText::new(payment.date).as_ref(),
            MoneyText::new(payment.amount).as_ref(),
            customer.currency.as_bytes(),
            payment.status.as_str().as_bytes(),
            payment.method.as_str().as_bytes(),
            gateway.as_bytes(),
            payment.failure_reason.as_bytes(),
            payment.reference.as_bytes(),
            dunning,
            optional_bytes(&retry),
        ])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::backfill::PastActivityKind;
    use std::collections::{HashMap, HashSet};
    use std::path::PathBuf;
    use std::str::FromStr;
    use std::sync::OnceLock;

    const FILES: [&str; 5] = [
        "customers.csv",
        "documents.csv",
        "payments.csv",
        "applications.csv",
        "exchange_rates.csv",
    ];

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).expect("valid date")
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("YYYY-MM-DD date")
    }

    /// Parses an amount that must have exactly two decimals, into cents.
    fn cents(text: &str) -> i64 {
        let (_, fraction) = text.split_once('.').expect("amount with decimals");
        assert_eq!(fraction.len(), 2, "two decimals in {text}");
        let value = Decimal::from_str(text).expect("decimal amount") * Decimal::ONE_HUNDRED;
        i64::try_from(value).expect("amount fits in i64")
    }

    fn options(customers: usize, seed: u64, base_currency: &str) -> DemoOptions {
        DemoOptions {
            customers,
            seed,
            today: today(),
            base_currency: base_currency.to_string(),
        }
    }

    /// An empty scratch folder under the system temp dir, unique to this test run.
    fn scratch_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("owed-demo-{}-{name}", std::process::id()));
        if dir.exists() {
            fs::remove_dir_all(&dir).expect("clear scratch dir");
        }
        dir
    }

    /// Rows of a CSV file as field maps, after checking the header.
    fn read_rows(dir: &Path, name: &str, header: &[&str]) -> Vec<HashMap<String, String>> {
        let mut reader = csv::Reader::from_path(dir.join(name)).expect("open csv");
        let columns: Vec<String> = reader
            .headers()
            .expect("header row")
            .iter()
            .map(str::to_string)
            .collect();
        assert_eq!(columns, header, "{name} header");
        reader
            .records()
            .map(|record| {
                let record = record.expect("csv record");
                columns
                    .iter()
                    .cloned()
                    .zip(record.iter().map(str::to_string))
                    .collect()
            })
            .collect()
    }

    /// A generated portfolio read back from its files.
    struct Portfolio {
        counts: DemoCounts,
        activities: Vec<PastActivity>,
        customers: Vec<HashMap<String, String>>,
        documents: Vec<HashMap<String, String>>,
        payments: Vec<HashMap<String, String>>,
        applications: Vec<HashMap<String, String>>,
        rates: Vec<HashMap<String, String>>,
    }

    impl Portfolio {
        fn generate(name: &str, opts: &DemoOptions) -> Self {
            let dir = scratch_dir(name);
            let (counts, activities) = write_csvs(opts, &dir).expect("generate");
            let portfolio = Self {
                counts,
                activities,
                customers: read_rows(&dir, "customers.csv", &customer_header()),
                documents: read_rows(&dir, "documents.csv", &DOCUMENT_HEADER),
                payments: read_rows(&dir, "payments.csv", &format::PAYMENTS.all()),
                applications: read_rows(&dir, "applications.csv", &format::APPLICATIONS.all()),
                rates: read_rows(&dir, "exchange_rates.csv", &format::EXCHANGE_RATES.all()),
            };
            fs::remove_dir_all(&dir).expect("remove scratch dir");
            portfolio
        }

        fn by_id(rows: &[HashMap<String, String>]) -> HashMap<&str, &HashMap<String, String>> {
            rows.iter().map(|row| (row["id"].as_str(), row)).collect()
        }

        /// Cents applied to each document.
        fn applied_to(&self) -> HashMap<&str, i64> {
            let mut applied = HashMap::new();
            for row in &self.applications {
                *applied.entry(row["document_id"].as_str()).or_default() += cents(&row["amount"]);
            }
            applied
        }

        /// Cents applied from each source.
        fn applied_from(&self) -> HashMap<&str, i64> {
            let mut applied = HashMap::new();
            for row in &self.applications {
                *applied.entry(row["source_id"].as_str()).or_default() += cents(&row["amount"]);
            }
            applied
        }

        /// Open balance of every debit document, as of today.
        fn open_balances(&self) -> Vec<(&HashMap<String, String>, i64)> {
            let applied = self.applied_to();
            self.documents
                .iter()
                .filter(|doc| doc["type"] != "credit_note")
                .map(|doc| {
                    let paid = applied.get(doc["id"].as_str()).copied().unwrap_or(0);
                    (doc, cents(&doc["amount"]) - paid)
                })
                .collect()
        }
    }

    /// The default-size portfolio, generated once and shared by the tests.
    fn standard() -> &'static Portfolio {
        static PORTFOLIO: OnceLock<Portfolio> = OnceLock::new();
        PORTFOLIO.get_or_init(|| Portfolio::generate("standard", &options(2_000, 42, "USD")))
    }

    #[test]
    fn behaviour_settings_parse_and_describe_themselves() {
        assert_eq!(DemoBehaviour::parse("").unwrap(), DemoBehaviour::default());
        assert_eq!(DemoBehaviour::default().describe(), "");
        let text = "archetypes=20/30/25/5/10/5/5,lateness=0.7,spread=1.5,drift=0.5,\
                    size_effect=2,hiccup=0.08,disputer_share=0.5,dispute_days=10..45,\
                    dispute_credit=0.2,payment_run=0.3";
        let b = DemoBehaviour::parse(text).unwrap();
        assert_eq!(b.archetypes, [20, 30, 25, 5, 10, 5, 5]);
        assert_eq!(b.dispute_days, (10.0, 45.0));
        assert_eq!(DemoBehaviour::parse(&b.describe()).unwrap(), b);
        for bad in [
            "lateness",
            "lateness=-1",
            "hiccup=2",
            "archetypes=1/2",
            "archetypes=0/0/0/0/0/0/0",
            "dispute_days=50..10",
            "speed=3",
        ] {
            assert!(DemoBehaviour::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn other_behaviour_makes_another_portfolio() {
        let plain = scratch_dir("behaviour-default");
        let other = scratch_dir("behaviour-other");
        let opts = options(60, 5, "USD");
        write_csvs(&opts, &plain).unwrap();
        let behaviour = DemoBehaviour::parse("lateness=0.5,hiccup=0.2").unwrap();
        write_csvs_behaving(&opts, &behaviour, &other).unwrap();
        let read = |dir: &Path| fs::read_to_string(dir.join("payments.csv")).unwrap();
        assert_ne!(read(&plain), read(&other));
        // The customers are the same people; only how they pay differs.
        let customers = |dir: &Path| fs::read_to_string(dir.join("customers.csv")).unwrap();
        assert_eq!(customers(&plain), customers(&other));
        let _ = fs::remove_dir_all(&plain);
        let _ = fs::remove_dir_all(&other);
    }

    #[test]
    fn same_options_give_identical_files() {
        let opts = options(300, 7, "USD");
        let (first_dir, second_dir) = (scratch_dir("det-a"), scratch_dir("det-b"));
        let first = write_csvs(&opts, &first_dir).expect("first run");
        let second = write_csvs(&opts, &second_dir).expect("second run");
        assert_eq!(first, second);
        for name in FILES {
            let a = fs::read(first_dir.join(name)).expect("read first");
            let b = fs::read(second_dir.join(name)).expect("read second");
            assert!(a == b, "{name} differs between runs");
        }
        let other_dir = scratch_dir("det-c");
        write_csvs(&options(300, 8, "USD"), &other_dir).expect("other seed");
        let a = fs::read(first_dir.join("documents.csv")).expect("read first");
        let c = fs::read(other_dir.join("documents.csv")).expect("read other");
        assert_ne!(a, c, "another seed gives another portfolio");
        for dir in [first_dir, second_dir, other_dir] {
            fs::remove_dir_all(dir).expect("remove scratch dir");
        }
    }

    #[test]
    fn counts_match_the_rows_written() {
        let p = standard();
        let expected = DemoCounts {
            customers: p.customers.len(),
            documents: p.documents.len(),
            payments: p.payments.len(),
            applications: p.applications.len(),
            exchange_rates: p.rates.len(),
        };
        assert_eq!(p.counts, expected);
        assert_eq!(p.counts.customers, 2_000);
    }

    #[test]
    fn ids_are_unique_and_well_formed() {
        let p = standard();
        let unique = |rows: &[HashMap<String, String>]| {
            rows.iter()
                .map(|row| row["id"].as_str())
                .collect::<HashSet<_>>()
                .len()
        };
        assert_eq!(unique(&p.customers), p.customers.len());
        assert_eq!(unique(&p.documents), p.documents.len());
        assert_eq!(unique(&p.payments), p.payments.len());
        for customer in &p.customers {
            let id = &customer["id"];
            assert!(id.len() == 7 && id.starts_with('C'), "customer id {id}");
        }
        for doc in &p.documents {
            let prefix = match doc["type"].as_str() {
                "invoice" => "INV-",
                "debit_note" => "DN-",
                "credit_note" => "CN-",
                other => panic!("document type {other}"),
            };
            assert!(
                doc["id"].starts_with(prefix),
                "{} is a {}",
                doc["id"],
                doc["type"]
            );
        }
        assert!(
            p.payments
                .iter()
                .all(|payment| payment["id"].starts_with("PAY-"))
        );
    }

    #[test]
    fn files_speak_the_import_format() {
        let mut header: Vec<&str> = DOCUMENT_HEADER
            .into_iter()
            .filter(|c| !c.starts_with("cf_"))
            .collect();
        let mut columns = format::DOCUMENTS.all();
        header.sort_unstable();
        columns.sort_unstable();
        assert_eq!(header, columns);
        for kind in [DocKind::Invoice, DocKind::DebitNote, DocKind::CreditNote] {
            assert!(format::DOCUMENT_TYPES.contains(&kind.as_str()));
        }
        for method in [
            Method::Card,
            Method::BankTransfer,
            Method::DirectDebit,
            Method::Cheque,
        ] {
            assert!(format::PAYMENT_METHODS.contains(&method.as_str()));
        }
        for status in [
            PaymentStatus::Success,
            PaymentStatus::Failure,
            PaymentStatus::Voided,
        ] {
            assert!(format::PAYMENT_STATUSES.contains(&status.as_str()));
        }
    }

    #[test]
    fn customers_have_every_field_in_its_domain() {
        let p = standard();
        let one_of = |row: &HashMap<String, String>, field: &str, allowed: &[&str]| {
            assert!(
                allowed.contains(&row[field].as_str()),
                "{field} = {}",
                row[field]
            );
        };
        let methods = ["card", "bank_transfer", "direct_debit", "cheque"];
        for row in &p.customers {
            assert!(!row["name"].is_empty());
            one_of(row, "currency", &["USD", "EUR", "GBP"]);
            one_of(row, "finance_owner", &COLLECTORS);
            one_of(row, "sales_owner", &COLLECTORS);
            one_of(row, "payment_terms_days", &["15", "30", "45", "60"]);
            one_of(row, "auto_collection", &["on", "off"]);
            one_of(row, "primary_payment_method", &methods);
            one_of(
                row,
                "backup_payment_method",
                &[&methods[..], &[""]].concat(),
            );
            one_of(
                row,
                "payment_source_status",
                format::PAYMENT_SOURCE_STATUSES,
            );
            one_of(row, "subscription_status", format::SUBSCRIPTION_STATUSES);
            one_of(row, "cf_segment", &["smb", "mid", "enterprise"]);
            one_of(row, "cf_region", &["na", "latam", "emea", "apac"]);
            assert!(cents(&row["credit_limit"]) > 0);
            assert!(row["email"].is_empty() || row["email"].is_ascii());
        }
        let currencies: HashSet<&str> =
            p.customers.iter().map(|r| r["currency"].as_str()).collect();
        assert_eq!(currencies.len(), 3, "USD, EUR and GBP customers");
    }

    #[test]
    fn names_exercise_csv_quoting_and_unicode() {
        let p = standard();
        let any = |test: &dyn Fn(&str) -> bool| p.customers.iter().any(|row| test(&row["name"]));
        assert!(any(&|name| name.contains(',')), "a name with a comma");
        assert!(any(&|name| name.contains('"')), "a name with quotes");
        assert!(
            any(&|name| name.contains('ä') || name.contains('é')),
            "accents"
        );
        assert!(
            any(&|name| name.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c))),
            "CJK"
        );
        assert!(any(&|name| name.contains('🚀')
            || name.contains('☕')
            || name.contains('🌊')));
        let distinct: HashSet<&str> = p.customers.iter().map(|r| r["name"].as_str()).collect();
        assert!(
            distinct.len() > 1_500,
            "names are varied: {}",
            distinct.len()
        );
    }

    #[test]
    fn documents_are_believable() {
        let p = standard();
        let customers = Portfolio::by_id(&p.customers);
        let mut per_customer: HashMap<&str, usize> = HashMap::new();
        let mut credit_notes = 0;
        let mut debit_notes = 0;
        let mut earliest = today();
        for doc in &p.documents {
            let customer = customers[doc["customer_id"].as_str()];
            *per_customer.entry(customer["id"].as_str()).or_default() += 1;
            assert_eq!(doc["currency"], customer["currency"]);
            let doc_date = date(&doc["doc_date"]);
            let posting = date(&doc["posting_date"]);
            earliest = earliest.min(doc_date);
            assert!(
                doc_date <= today() && posting <= today(),
                "{} is in the future",
                doc["id"]
            );
            assert!(posting >= doc_date);
            assert!(!doc["number"].is_empty());
            let amount = cents(&doc["amount"]);
            assert!(amount > 0);
            if doc["type"] == "credit_note" {
                credit_notes += 1;
                assert!(doc["due_date"].is_empty() && doc["billing_balance"].is_empty());
            } else {
                debit_notes += usize::from(doc["type"] == "debit_note");
                assert!(
                    (MIN_AMOUNT..=MAX_AMOUNT).contains(&amount),
                    "amount {amount}"
                );
                let terms: i64 = customer["payment_terms_days"].parse().expect("terms");
                assert_eq!(date(&doc["due_date"]), shift(doc_date, terms));
                cents(&doc["billing_balance"]);
            }
        }
        let total = p.documents.len() as f64;
        assert!(
            (0.03..0.07).contains(&(credit_notes as f64 / total)),
            "credit notes {credit_notes}"
        );
        assert!(
            (0.01..0.05).contains(&(debit_notes as f64 / total)),
            "debit notes {debit_notes}"
        );
        assert!(
            (today() - earliest).num_days() >= 730,
            "two years of history"
        );
        let average = total / p.customers.len() as f64;
        assert!(
            (8.0..12.0).contains(&average),
            "{average} documents per customer"
        );
        assert_eq!(
            per_customer.len(),
            p.customers.len(),
            "every customer has documents"
        );
        assert_eq!(per_customer.values().min(), Some(&1));
        assert!(per_customer.values().max() >= Some(&40));
    }

    #[test]
    fn applications_respect_the_ledger_invariants() {
        let p = standard();
        let documents = Portfolio::by_id(&p.documents);
        let payments = Portfolio::by_id(&p.payments);
        for row in &p.applications {
            let amount = cents(&row["amount"]);
            assert!(amount > 0);
            let applied_on = date(&row["date"]);
            assert!(applied_on <= today());
            let target = documents[row["document_id"].as_str()];
            assert_ne!(
                target["type"], "credit_note",
                "only debit documents are settled"
            );
            assert!(applied_on >= date(&target["doc_date"]));
            let source = &row["source_id"];
            let (customer, currency, source_date) =
                if let Some(payment) = payments.get(source.as_str()) {
                    assert_eq!(
                        payment["status"], "success",
                        "{source} is not money received"
                    );
                    assert_eq!(
                        applied_on,
                        date(&payment["date"]),
                        "applied on the payment date"
                    );
                    (
                        &payment["customer_id"],
                        &payment["currency"],
                        date(&payment["date"]),
                    )
                } else {
                    let credit = documents[source.as_str()];
                    assert_eq!(credit["type"], "credit_note");
                    (
                        &credit["customer_id"],
                        &credit["currency"],
                        date(&credit["doc_date"]),
                    )
                };
            assert!(applied_on >= source_date);
            assert_eq!(customer, &target["customer_id"], "same customer");
            assert_eq!(currency, &target["currency"], "same currency");
        }
        for (doc, balance) in p.open_balances() {
            assert!(balance >= 0, "{} is over-applied", doc["id"]);
        }
        let applied_from = p.applied_from();
        for source in p.payments.iter().chain(&p.documents) {
            let used = applied_from
                .get(source["id"].as_str())
                .copied()
                .unwrap_or(0);
            assert!(
                used <= cents(&source["amount"]),
                "{} applies more than it has",
                source["id"]
            );
        }
    }

    #[test]
    fn payments_include_failures_voids_and_unapplied_cash() {
        let p = standard();
        let customers = Portfolio::by_id(&p.customers);
        let applied_from = p.applied_from();
        let mut statuses: HashMap<&str, usize> = HashMap::new();
        let mut unapplied = 0;
        for payment in &p.payments {
            let status = payment["status"].as_str();
            *statuses.entry(status).or_default() += 1;
            assert!(date(&payment["date"]) <= today());
            assert!(cents(&payment["amount"]) > 0);
            let customer = customers[payment["customer_id"].as_str()];
            assert_eq!(payment["currency"], customer["currency"]);
            match status {
                "failure" => assert!(!payment["failure_reason"].is_empty()),
                "success" | "voided" => assert!(payment["failure_reason"].is_empty()),
                other => panic!("status {other}"),
            }
            let used = applied_from
                .get(payment["id"].as_str())
                .copied()
                .unwrap_or(0);
            unapplied += usize::from(status == "success" && used < cents(&payment["amount"]));
        }
        let successes = statuses["success"] as f64;
        assert!(successes / p.payments.len() as f64 > 0.8, "{statuses:?}");
        assert!(
            statuses["failure"] > 0 && statuses["voided"] > 0,
            "{statuses:?}"
        );
        assert!(
            (0.002..0.03).contains(&(unapplied as f64 / successes)),
            "{unapplied} unapplied"
        );
    }

    #[test]
    fn credit_notes_leave_some_credit_unutilised() {
        let p = standard();
        let applied_from = p.applied_from();
        let credit_notes: Vec<_> = p
            .documents
            .iter()
            .filter(|d| d["type"] == "credit_note")
            .collect();
        let unutilised = credit_notes
            .iter()
            .filter(|cn| {
                applied_from.get(cn["id"].as_str()).copied().unwrap_or(0) < cents(&cn["amount"])
            })
            .count();
        assert!(
            unutilised > 0 && unutilised < credit_notes.len() / 2,
            "{unutilised} unutilised"
        );
    }

    #[test]
    fn billing_balances_mostly_match_and_residues_exist() {
        let p = standard();
        let balances = p.open_balances();
        let mismatches = balances
            .iter()
            .filter(|(doc, balance)| cents(&doc["billing_balance"]) != *balance)
            .count();
        let share = mismatches as f64 / balances.len() as f64;
        assert!(
            mismatches > 0 && share < 0.015,
            "{mismatches} billing mismatches"
        );
        assert!(
            balances.iter().any(|(_, balance)| *balance == 1),
            "a 0.01 residue"
        );
    }

    #[test]
    fn open_items_fill_every_aging_bucket() {
        let p = standard();
        let mut buckets = [0usize; 6];
        for (doc, balance) in p.open_balances() {
            if balance == 0 {
                continue;
            }
            let overdue = (today() - date(&doc["due_date"])).num_days();
            let bucket = match overdue {
                ..=0 => 0,
                1..=30 => 1,
                31..=60 => 2,
                61..=90 => 3,
                91..=120 => 4,
                _ => 5,
            };
            buckets[bucket] += 1;
        }
        assert!(
            buckets.iter().all(|&count| count >= 10),
            "aging spread {buckets:?}"
        );
        assert!(
            buckets[0] > buckets[5],
            "open items concentrate in recent months: {buckets:?}"
        );
    }

    #[test]
    fn exchange_rates_cover_every_day_for_foreign_currencies() {
        let p = standard();
        let earliest = p
            .documents
            .iter()
            .map(|d| date(&d["doc_date"]))
            .min()
            .expect("documents");
        for (currency, low, high) in [("EUR", 1.05, 1.15), ("GBP", 1.22, 1.32)] {
            let rows: Vec<_> = p
                .rates
                .iter()
                .filter(|r| r["currency"] == currency)
                .collect();
            let first = date(&rows[0]["date"]);
            assert!(first <= earliest);
            for (offset, row) in rows.iter().enumerate() {
                assert_eq!(
                    date(&row["date"]),
                    shift(first, offset as i64),
                    "one row a day"
                );
                let (_, decimals) = row["rate"].split_once('.').expect("decimal rate");
                assert!((4..=6).contains(&decimals.len()), "rate {}", row["rate"]);
                let rate: f64 = row["rate"].parse().expect("rate");
                assert!((low..=high).contains(&rate), "{currency} at {rate}");
            }
            assert_eq!(date(&rows[rows.len() - 1]["date"]), today());
        }
        assert!(
            p.rates.iter().all(|r| r["currency"] != "USD"),
            "no base currency rows"
        );
    }

    #[test]
    fn another_base_currency_gets_cross_rates() {
        let p = Portfolio::generate("eur-base", &options(50, 3, "EUR"));
        let currencies: HashSet<&str> = p.rates.iter().map(|r| r["currency"].as_str()).collect();
        assert_eq!(currencies, HashSet::from(["USD", "GBP"]));
        for row in p.rates.iter().filter(|r| r["currency"] == "USD") {
            let rate: f64 = row["rate"].parse().expect("rate");
            assert!((0.85..0.96).contains(&rate), "EUR per USD {rate}");
        }
    }

    /// Each document's applications as (date, cents), in date order.
    fn applications_by_document(p: &Portfolio) -> HashMap<&str, Vec<(NaiveDate, i64)>> {
        let mut out: HashMap<&str, Vec<(NaiveDate, i64)>> = HashMap::new();
        for row in &p.applications {
            out.entry(row["document_id"].as_str())
                .or_default()
                .push((date(&row["date"]), cents(&row["amount"])));
        }
        for applications in out.values_mut() {
            applications.sort_unstable();
        }
        out
    }

    #[test]
    fn activities_are_consistent_with_the_ledger() {
        let p = standard();
        let customers = Portfolio::by_id(&p.customers);
        let documents = Portfolio::by_id(&p.documents);
        let applications = applications_by_document(p);
        let none = Vec::new();
        // A document's open balance at the end of a day, and the day it was settled.
        let balance_at = |id: &str, day: NaiveDate| {
            let applied: i64 = (applications.get(id).unwrap_or(&none).iter())
                .filter(|(on, _)| *on <= day)
                .map(|(_, amount)| amount)
                .sum();
            cents(&documents[id]["amount"]) - applied
        };
        let settled_on = |id: &str| {
            let amount = cents(&documents[id]["amount"]);
            let mut applied = 0;
            applications
                .get(id)
                .unwrap_or(&none)
                .iter()
                .find_map(|&(on, cents)| {
                    applied += cents;
                    (applied == amount).then_some(on)
                })
        };
        let share = |since: NaiveDate| {
            let engaged: HashSet<&str> = (p.activities.iter())
                .filter(|a| a.at >= since)
                .map(|a| a.customer_id.as_str())
                .collect();
            engaged.len() as f64 / p.customers.len() as f64
        };
        let (ever, lately) = (share(NaiveDate::MIN), share(shift(today(), -90)));
        assert!(
            (0.5..=0.9).contains(&ever),
            "{ever} of customers have activity"
        );
        assert!(
            (0.25..=0.6).contains(&lately),
            "{lately} had activity lately"
        );

        let (mut notes, mut promises, mut disputes, mut resolved) = (0, 0, 0, 0);
        // Named documents are the customer's debit documents, open on the day.
        let check_documents = |ids: &[String], customer: &str, day: NaiveDate| {
            assert!(!ids.is_empty());
            for id in ids {
                let doc = documents[id.as_str()];
                assert_eq!(doc["customer_id"], customer);
                assert_ne!(doc["type"], "credit_note");
                assert!(date(&doc["doc_date"]) <= day, "{id} named before it exists");
                assert!(balance_at(id, day) > 0, "{id} named on {day} once paid");
            }
        };
        let mut seen: HashSet<&str> = HashSet::new();
        for (i, activity) in p.activities.iter().enumerate() {
            let customer = customers[activity.customer_id.as_str()];
            assert_eq!(activity.collector, customer["finance_owner"]);
            assert!(activity.at <= today());
            // Customer by customer, each in date order.
            match p.activities.get(i.wrapping_sub(1)) {
                Some(previous) if previous.customer_id == activity.customer_id => {
                    assert!(previous.at <= activity.at)
                }
                _ => assert!(seen.insert(&activity.customer_id), "{customer:?} split"),
            }
            match &activity.kind {
                PastActivityKind::Note { text } => {
                    notes += 1;
                    assert!(!text.is_empty());
                }
                PastActivityKind::Promise {
                    amount,
                    date,
                    document_ids,
                } => {
                    promises += 1;
                    assert!(*amount > Decimal::ZERO);
                    assert!(
                        activity.at < *date,
                        "a promise recorded on or after its date"
                    );
                    assert!(*date <= shift(today(), 21));
                    check_documents(document_ids, &activity.customer_id, activity.at);
                }
                PastActivityKind::Dispute {
                    reason,
                    amount,
                    document_ids,
                    resolved: resolution,
                } => {
                    disputes += 1;
                    assert!(
                        activities::DISPUTE_REASONS
                            .iter()
                            .any(|(known, _)| known == reason)
                    );
                    assert!(*amount > Decimal::ZERO);
                    check_documents(document_ids, &activity.customer_id, activity.at);
                    // Resolved exactly when the document was settled, a few days later at most.
                    let settled = settled_on(&document_ids[0]);
                    assert_eq!(resolution.is_some(), settled.is_some(), "{activity:?}");
                    if let (Some(resolution), Some(settled)) = (resolution, settled) {
                        resolved += 1;
                        assert!(resolution.date > activity.at, "{activity:?}");
                        assert!(resolution.date <= today() && !resolution.text.is_empty());
                        assert!((0..=3).contains(&(resolution.date - settled).num_days()));
                    }
                }
            }
        }
        assert!(notes > promises && promises > disputes && disputes > resolved && resolved > 0);
    }

    #[test]
    fn past_promises_are_kept_or_broken_and_disputes_span_the_history() {
        let p = standard();
        let applications = applications_by_document(p);
        let documents = Portfolio::by_id(&p.documents);
        let (mut kept, mut broken, mut open) = (0, 0, 0);
        let mut dispute_years = HashSet::new();
        for activity in &p.activities {
            match &activity.kind {
                PastActivityKind::Promise {
                    amount,
                    date,
                    document_ids,
                } => {
                    let deadline = shift(*date, 3);
                    let paid: i64 = document_ids
                        .iter()
                        .flat_map(|id| applications.get(id.as_str()).into_iter().flatten())
                        .filter(|(on, _)| (activity.at..=deadline).contains(on))
                        .map(|(_, cents)| cents)
                        .sum();
                    let owed = i64::try_from(*amount * Decimal::ONE_HUNDRED).expect("cents");
                    if paid >= owed {
                        kept += 1;
                    } else if deadline < today() {
                        broken += 1;
                    } else {
                        open += 1;
                    }
                }
                PastActivityKind::Dispute { document_ids, .. } => {
                    let doc = documents[document_ids[0].as_str()];
                    dispute_years.insert(date(&doc["doc_date"]).year());
                }
                PastActivityKind::Note { .. } => {}
            }
        }
        // Most promises are kept, a real share broken, and some are still running today.
        let total = f64::from(kept + broken + open);
        assert!(f64::from(kept) / total > 0.5, "{kept} kept of {total}");
        assert!(
            f64::from(broken) / total > 0.1,
            "{broken} broken of {total}"
        );
        assert!(open > 0);
        // Disputes are on documents of every year of the history, not only today's.
        assert!(dispute_years.len() >= 3, "{dispute_years:?}");
    }

    /// Days from due date to the application that closed each fully paid debit document,
    /// per customer in date order, with the document's amount.
    fn days_to_settle(p: &Portfolio) -> HashMap<&str, Vec<(i64, i64)>> {
        let documents = Portfolio::by_id(&p.documents);
        let mut closing: HashMap<&str, (NaiveDate, i64)> = HashMap::new();
        for row in &p.applications {
            let entry = closing
                .entry(row["document_id"].as_str())
                .or_insert((date(&row["date"]), 0));
            entry.0 = entry.0.max(date(&row["date"]));
            entry.1 += cents(&row["amount"]);
        }
        let mut per_customer: HashMap<&str, Vec<(NaiveDate, i64, i64)>> = HashMap::new();
        for (id, (closed, applied)) in closing {
            let doc = documents[id];
            if applied == cents(&doc["amount"]) {
                let late = (closed - date(&doc["due_date"])).num_days();
                per_customer
                    .entry(doc["customer_id"].as_str())
                    .or_default()
                    .push((date(&doc["doc_date"]), late, applied));
            }
        }
        per_customer
            .into_iter()
            .map(|(customer, mut docs)| {
                docs.sort_unstable();
                (
                    customer,
                    docs.into_iter()
                        .map(|(_, late, amount)| (late, amount))
                        .collect(),
                )
            })
            .collect()
    }

    fn median(values: &mut [i64]) -> i64 {
        values.sort_unstable();
        values[values.len() / 2]
    }

    #[test]
    fn payment_history_is_predictive_yet_noisy() {
        let p = standard();
        let (mut due_date_error, mut history_error, mut cases) = (0i64, 0i64, 0i64);
        for settled in days_to_settle(p).values().filter(|docs| docs.len() >= 6) {
            let (past, future) = settled.split_at(settled.len() / 2);
            let mut past_late: Vec<i64> = past.iter().map(|(late, _)| *late).collect();
            let predicted = median(&mut past_late);
            for (late, _) in future {
                due_date_error += late.abs();
                history_error += (late - predicted).abs();
                cases += 1;
            }
        }
        let due_date_mae = due_date_error as f64 / cases as f64;
        let history_mae = history_error as f64 / cases as f64;
        assert!(
            history_mae < 0.7 * due_date_mae,
            "{history_mae} vs {due_date_mae}"
        );
        assert!(
            history_mae > 2.0,
            "not trivially predictable: {history_mae}"
        );
    }

    #[test]
    fn larger_invoices_are_paid_later() {
        let p = standard();
        let (mut covariance, mut cases) = (0.0, 0.0);
        for settled in days_to_settle(p).values().filter(|docs| docs.len() >= 4) {
            let n = settled.len() as f64;
            let sizes: Vec<f64> = settled
                .iter()
                .map(|(_, amount)| (*amount as f64).ln())
                .collect();
            let mean_size = sizes.iter().sum::<f64>() / n;
            let mean_late = settled.iter().map(|(late, _)| *late as f64).sum::<f64>() / n;
            for ((late, _), size) in settled.iter().zip(&sizes) {
                covariance += (*late as f64 - mean_late) * (size - mean_size);
                cases += 1.0;
            }
        }
        assert!(
            covariance / cases > 0.5,
            "size effect {}",
            covariance / cases
        );
    }

    #[test]
    fn tiny_portfolios_work() {
        let empty = Portfolio::generate("empty", &options(0, 1, "USD"));
        assert_eq!(
            empty.counts.customers + empty.counts.documents + empty.counts.payments,
            0
        );
        assert!(empty.activities.is_empty() && empty.counts.exchange_rates > 0);
        let single = Portfolio::generate("single", &options(1, 1, "USD"));
        assert_eq!(single.customers.len(), 1);
        assert!(!single.documents.is_empty());
    }

    #[test]
    fn exp_matches_the_standard_library() {
        for x in [-3.0, -0.7, 0.0, 0.25, 1.0, 2.5, 6.0] {
            let relative = (exp(x) - x.exp()).abs() / x.exp();
            assert!(relative < 1e-14, "exp({x})");
        }
    }

    #[test]
    fn money_and_dates_render_like_the_import_format() {
        assert_eq!(MoneyText::new(123_450).as_ref(), b"1234.50");
        assert_eq!(MoneyText::new(1).as_ref(), b"0.01");
        assert_eq!(MoneyText::new(0).as_ref(), b"0.00");
        assert_eq!(MoneyText::new(-250).as_ref(), b"-2.50");
        assert_eq!(DateText::new(today()).as_ref(), b"2026-11-25");
        assert_eq!(rate_text(1_100_000), "1.1000");
        assert_eq!(rate_text(1_103_450), "1.10345");
        assert_eq!(rate_text(909_091), "0.909091");
    }
}
