//! The generator's tests: a standard portfolio generated once and read back from its files
//! (here), checked against the import format, the ledger's invariants, the activity and the
//! behaviour it should show (beside).

mod behaviour;
mod files;
mod ledger;
mod past_activity;

use super::csv_out::{DOCUMENT_HEADER, customer_header};
use super::customers::Method;
use super::ledger::{DocKind, PaymentStatus};
use super::tunables::{COLLECTORS, MAX_AMOUNT, MIN_AMOUNT};
use super::*;
use crate::domain::backfill::PastActivityKind;
use crate::domain::format;
use chrono::Datelike;
use rust_decimal::Decimal;
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
