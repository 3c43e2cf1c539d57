//! Property: any valid portfolio imports, counts back exactly, and its outstanding equals
//! what was billed minus what was applied.

mod fixture;

use fixture::Portfolio as Files;
use owed::domain::aging::AgingBounds;
use owed::domain::{Decimal, date::parse_iso};
use owed::import::{ImportOptions, import_paths};
use owed::report::Portfolio;
use proptest::prelude::*;
use std::fmt::Write;

#[derive(Debug, Clone)]
struct Doc {
    customer: usize,
    cents: i64,
    /// Parts of the amount settled by payments, in cents.
    paid: Vec<i64>,
}

fn portfolio() -> impl Strategy<Value = (usize, Vec<Doc>)> {
    (1usize..6).prop_flat_map(|customers| {
        let doc = (
            0..customers,
            1i64..500_000,
            proptest::collection::vec(1i64..100_000, 0..3),
        )
            .prop_map(|(customer, cents, parts)| {
                // Keep the applications within the amount.
                let mut left = cents;
                let paid = parts
                    .into_iter()
                    .filter_map(|p| {
                        let p = p.min(left);
                        left -= p;
                        (p > 0).then_some(p)
                    })
                    .collect();
                Doc {
                    customer,
                    cents,
                    paid,
                }
            });
        (Just(customers), proptest::collection::vec(doc, 0..25))
    })
}

fn cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn random_portfolios_import_and_count_back((customers, docs) in portfolio()) {
        let dir = tempfile::tempdir().unwrap();
        let mut c = String::from("id,name\n");
        for i in 0..customers {
            writeln!(c, "C{i},Customer \"{i}\", Ltd").ok();
        }
        // Quote names with commas and quotes the CSV way.
        let c = c.lines().enumerate().map(|(i, l)| if i == 0 { l.to_string() } else {
            let (id, name) = l.split_once(',').unwrap();
            format!("{id},\"{}\"", name.replace('"', "\"\""))
        }).collect::<Vec<_>>().join("\n") + "\n";
        let mut d = String::from("id,customer_id,type,doc_date,due_date,amount\n");
        let mut p = String::from("id,customer_id,date,amount\n");
        let mut a = String::from("source_id,document_id,amount,date\n");
        let (mut payments, mut applications) = (0, 0);
        let mut expected = Decimal::ZERO;
        for (i, doc) in docs.iter().enumerate() {
            writeln!(d, "D{i},C{},invoice,2026-01-{:02},2026-02-{:02},{}", doc.customer, 1 + i % 28, 1 + i % 28, cents(doc.cents)).ok();
            expected += Decimal::new(doc.cents, 2);
            for (j, part) in doc.paid.iter().enumerate() {
                writeln!(p, "P{i}-{j},C{},2026-03-01,{}", doc.customer, cents(*part)).ok();
                writeln!(a, "P{i}-{j},D{i},{},2026-03-0{}", cents(*part), 1 + j).ok();
                expected -= Decimal::new(*part, 2);
                payments += 1;
                applications += 1;
            }
        }
        let files = Files::new().file("customers.csv", c).file("documents.csv", d).file("payments.csv", p).file("applications.csv", a);
        let mut store = files.import(dir.path());
        let counts = store.ledger().counts().unwrap();
        prop_assert_eq!(counts.customers, customers as u64);
        prop_assert_eq!(counts.documents, docs.len() as u64);
        prop_assert_eq!(counts.payments, payments);
        prop_assert_eq!(counts.applications, applications);
        let as_of = parse_iso("2026-06-30").unwrap();
        let p = Portfolio::compute(&store, as_of, None, &AgingBounds::default(), "USD").unwrap();
        prop_assert_eq!(p.total.outstanding, expected);
        // As of before any payment, everything billed is open.
        let before = Portfolio::compute(&store, parse_iso("2026-02-28").unwrap(), None, &AgingBounds::default(), "USD").unwrap();
        let billed: Decimal = docs.iter().map(|d| Decimal::new(d.cents, 2)).sum();
        prop_assert_eq!(before.total.outstanding, billed);
        // Importing again changes nothing.
        let options = ImportOptions::by("test", chrono::Utc::now(), "USD");
        let again = import_paths(&mut store, &[dir.path().join("csv")], &options).unwrap();
        prop_assert!(again.files.iter().all(|f| f.inserted == 0 && f.updated == 0));
    }
}
