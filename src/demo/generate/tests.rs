//! The generator's tests: a standard portfolio generated once and read back from its files,
//! checked against the import format, the ledger's invariants and the behaviour it should show.

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
    let currencies: HashSet<&str> = p.customers.iter().map(|r| r["currency"].as_str()).collect();
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
        let (customer, currency, source_date) = if let Some(payment) = payments.get(source.as_str())
        {
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
