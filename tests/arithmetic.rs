//! Receivables arithmetic on hand-worked cases, through the real import and the real
//! queries: every figure as of a date.

use owed::domain::aging::{AgingBounds, Figures};
use owed::domain::date::parse_iso;
mod fixture;

use fixture::Portfolio as Files;
use owed::domain::{Date, Decimal};
use owed::report::Portfolio;
use owed::store::Store;
use proptest::prelude::*;
use std::str::FromStr;

struct Book {
    _dir: tempfile::TempDir,
    store: Store,
}

/// Imports `files` into a new database.
fn book(files: Files) -> Book {
    let dir = tempfile::tempdir().unwrap();
    let store = files.import(dir.path());
    Book { _dir: dir, store }
}

/// The customers `C` (Acme) and `D` (Delta) with `documents`, rows of the documents file
/// whose last column is the billing system's balance.
fn acme_and_delta(documents: &str) -> Files {
    let header = "id,customer_id,type,doc_date,due_date,amount,billing_balance\n";
    Files::new()
        .file("customers.csv", "id,name\nC,Acme\nD,Delta\n")
        .file("documents.csv", format!("{header}{documents}"))
}

/// The one customer `C` with an invoice `I1` of `amount`, dated 1 January 2026 and due on
/// the 31st.
fn invoice(amount: &str) -> Files {
    let i1 = format!("I1,C,invoice,2026-01-01,2026-01-31,{amount}");
    Files::arithmetic().with_document(&i1)
}

fn d(s: &str) -> Date {
    parse_iso(s).unwrap()
}

fn m(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

impl Book {
    fn portfolio(&self, as_of: &str) -> Portfolio {
        Portfolio::compute(&self.store, d(as_of), None, &AgingBounds::default(), "USD").unwrap()
    }

    fn customer(&self, id: &str, as_of: &str) -> Figures {
        let cid = self.store.ledger().customer_key(id).unwrap().unwrap();
        let p = Portfolio::compute(
            &self.store,
            d(as_of),
            Some(cid),
            &AgingBounds::default(),
            "USD",
        )
        .unwrap();
        p.customers
            .get(&cid)
            .cloned()
            .unwrap_or_else(|| Figures::new(&AgingBounds::default()))
    }
}

#[test]
fn partial_payments_and_a_payment_after_the_as_of_date() {
    let b = book(
        invoice("1000.00")
            .with_payment("P1,C,2026-02-10,300.00")
            .with_payment("P2,C,2026-03-10,200.00")
            .with_application("P1,I1,300.00,2026-02-10")
            .with_application("P2,I1,200.00,2026-03-10"),
    );
    // Before any payment: all open, 9 days overdue.
    let f = b.customer("C", "2026-02-09");
    assert_eq!(f.outstanding, m("1000"));
    assert_eq!(f.aging[1], m("1000"));
    // After the first payment, before the second: the second has not happened yet.
    let f = b.customer("C", "2026-03-01");
    assert_eq!(f.outstanding, m("700"));
    assert_eq!(f.overdue, m("700"));
    assert_eq!(f.aging[1], m("700"), "29 days overdue is 1-30");
    // After both: 2026-01-31 to 2026-03-31 is 59 days, in 31-60.
    let f = b.customer("C", "2026-03-31");
    assert_eq!(f.outstanding, m("500"));
    assert_eq!(f.aging[2], m("500"));
}

#[test]
fn a_document_dated_after_the_as_of_date_does_not_exist_yet() {
    let b = book(invoice("100.00").with_document("I2,C,invoice,2026-02-15,2026-03-15,50.00"));
    assert_eq!(b.customer("C", "2026-02-14").outstanding, m("100"));
    assert_eq!(b.customer("C", "2026-02-15").outstanding, m("150"));
}

#[test]
fn every_bucket_boundary() {
    // One invoice per boundary, all due so that as of 2026-06-30 they are N days overdue.
    let as_of = d("2026-06-30");
    let days = [0i64, 1, 30, 31, 60, 61, 90, 91, 120, 121];
    let mut files = Files::arithmetic();
    for n in days {
        let due = as_of - chrono::Duration::days(n);
        files = files.with_document(&format!("I{n},C,invoice,2025-01-01,{due},{n}.01"));
    }
    let b = book(files);
    let f = b.customer("C", "2026-06-30");
    let want = |items: &[i64]| {
        items
            .iter()
            .map(|n| Decimal::from_str(&format!("{n}.01")).unwrap())
            .sum::<Decimal>()
    };
    assert_eq!(f.aging[0], want(&[0]), "current");
    assert_eq!(f.aging[1], want(&[1, 30]), "1-30");
    assert_eq!(f.aging[2], want(&[31, 60]), "31-60");
    assert_eq!(f.aging[3], want(&[61, 90]), "61-90");
    assert_eq!(f.aging[4], want(&[91, 120]), "91-120");
    assert_eq!(f.aging[5], want(&[121]), "120+");
    assert_eq!(f.overdue, f.outstanding - want(&[0]));
}

#[test]
fn a_residue_of_one_cent_stays_open() {
    let b = book(
        invoice("100.00")
            .with_payment("P1,C,2026-02-01,99.99")
            .with_application("P1,I1,99.99,2026-02-01"),
    );
    let f = b.customer("C", "2026-02-05");
    assert_eq!(f.outstanding, m("0.01"));
    assert_eq!(f.open_debits, 1);
}

#[test]
fn credit_notes_applied_and_unapplied() {
    let b = book(
        invoice("500.00")
            .with_document("N1,C,credit_note,2026-02-01,,200.00")
            .with_document("N2,C,credit_note,2026-02-02,,80.00")
            .with_application("N1,I1,150.00,2026-02-03"),
    );
    let before = b.customer("C", "2026-02-02");
    assert_eq!(before.outstanding, m("500"));
    assert_eq!(before.unutilised_credit, m("280"));
    let after = b.customer("C", "2026-02-10");
    assert_eq!(after.outstanding, m("350"));
    assert_eq!(after.unutilised_credit, m("130"), "50 left on N1, 80 on N2");
    assert_eq!(after.net_overdue(), m("220"));
}

#[test]
fn failed_and_voided_payments_are_not_money() {
    let b = book(invoice("100.00").file(
        "payments.csv",
        "id,customer_id,date,amount,status\nP1,C,2026-02-01,100.00,failure\nP2,C,2026-02-02,100.00,voided\nP3,C,2026-02-03,30.00,success\nP4,C,2026-02-04,30.00,timeout\n",
    ));
    let f = b.customer("C", "2026-02-10");
    assert_eq!(
        f.unapplied_cash,
        m("30"),
        "only the successful payment counts"
    );
    assert_eq!(f.outstanding, m("100"));
    assert_eq!(f.net_overdue(), m("70"));
}

#[test]
fn a_foreign_document_converts_at_its_own_date() {
    let b = book(
        Files::arithmetic()
            .file("customers.csv", "id,name,currency\nE,Euro Kunde,EUR\n")
            .file(
                "exchange_rates.csv",
                "date,currency,rate\n2026-01-01,EUR,1.10\n2026-02-01,EUR,1.20\n",
            )
            .with_document("I1,E,invoice,2026-01-15,2026-02-14,1000.00")
            .with_document("I2,E,invoice,2026-02-01,2026-03-03,333.33"),
    );
    let f = b.customer("E", "2026-03-31");
    // 1000 × 1.10 + 333.33 × 1.20 = 1100 + 399.996 → 400.00
    assert_eq!(f.outstanding, m("1500.00"));
}

#[test]
fn net_overdue_is_floored_per_customer() {
    let b = book(
        Files::arithmetic()
            .file("customers.csv", "id,name\nA,Alpha\nB,Beta\n")
            .with_document("IA,A,invoice,2026-01-01,2026-01-31,100.00")
            .with_document("NA,A,credit_note,2026-02-01,,300.00")
            .with_document("IB,B,invoice,2026-01-01,2026-01-31,100.00"),
    );
    let p = b.portfolio("2026-03-01");
    assert_eq!(p.total.overdue, m("200"));
    // A: max(0, 100 − 300) = 0; B: 100. Not 200 − 300 = −100 → 0.
    assert_eq!(p.net_overdue, m("100"));
}

fn random_book(docs: &[(i64, i64)], payments: &[(usize, i64)]) -> Book {
    let mut files = Files::arithmetic();
    for (i, (cents, due_offset)) in docs.iter().enumerate() {
        let due = d_from(*due_offset);
        let (units, cents) = (cents / 100, cents % 100);
        files = files.with_document(&format!(
            "I{i},C,invoice,2025-01-01,{due},{units}.{cents:02}"
        ));
    }
    let mut left: Vec<i64> = docs.iter().map(|(c, _)| *c).collect();
    for (j, (doc, cents)) in payments.iter().enumerate() {
        let i = doc % docs.len();
        let applied = (*cents).min(left[i]);
        let day = 1 + j % 9;
        files = files.with_payment(&format!(
            "P{j},C,2026-01-0{day},{}.{:02}",
            cents / 100,
            cents % 100
        ));
        if applied > 0 {
            left[i] -= applied;
            let (units, cents) = (applied / 100, applied % 100);
            files = files.with_application(&format!("P{j},I{i},{units}.{cents:02},2026-01-0{day}"));
        }
    }
    book(files)
}

fn d_from(offset: i64) -> Date {
    d("2026-01-15") + chrono::Duration::days(offset)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]
    #[test]
    fn buckets_sum_and_payments_never_raise_outstanding(
        docs in proptest::collection::vec((1i64..100_000, -200i64..200), 1..8),
        payments in proptest::collection::vec((0usize..8, 1i64..50_000), 0..6),
    ) {
        let with = random_book(&docs, &payments);
        let fewer = random_book(&docs, &payments[..payments.len().saturating_sub(1)]);
        for as_of in ["2026-01-05", "2026-02-01", "2026-09-01"] {
            let f = with.customer("C", as_of);
            let sum: Decimal = f.aging.iter().sum();
            prop_assert_eq!(sum, f.outstanding);
            prop_assert!(f.net_overdue() <= f.overdue);
            prop_assert!(f.outstanding <= fewer.customer("C", as_of).outstanding);
        }
    }
}

#[test]
fn the_streamed_aging_json_is_the_json_tree_written_out() {
    let b = book(
        Files::new()
            .file(
                "customers.csv",
                "id,name,currency\nA,Ärger & \"Söhne\",USD\nB,Beta,EUR\nC,Nothing open,USD\n",
            )
            .file(
                "documents.csv",
                "id,customer_id,type,doc_date,due_date,amount,currency\n\
                 I1,A,invoice,2026-01-01,2026-01-31,100.00,USD\n\
                 I2,B,invoice,2026-02-01,2026-03-03,250.50,EUR\n\
                 K1,A,credit_note,2026-02-10,,30.00,USD\n",
            )
            .file(
                "exchange_rates.csv",
                "date,currency,rate\n2026-01-01,EUR,1.1\n",
            ),
    );
    let p = b.portfolio("2026-04-30");
    let labels = b.store.ledger().customer_labels().unwrap();
    let mut streamed = Vec::new();
    owed::report::aging::write_json(&p, &labels, &mut streamed).unwrap();
    let tree = owed::report::aging::to_json(&p, &labels).to_string();
    assert_eq!(String::from_utf8(streamed).unwrap(), tree);
    assert!(tree.contains("\"customers\":[{"), "{tree}");
    assert!(
        !tree.contains("Nothing open"),
        "customers with nothing are left out"
    );
}

#[test]
fn a_customer_the_billing_system_still_shows_owing_is_listed_and_its_mismatch_totalled() {
    // D paid its invoice in full by owed's books; the billing system still says 40.00 is
    // open on it. C owes 100.00 and nothing differs.
    let files = acme_and_delta(
        "I1,C,invoice,2026-01-01,2026-01-31,100.00,\n\
         I2,D,invoice,2026-01-01,2026-01-31,50.00,40.00\n",
    )
    .file(
        "payments.csv",
        "id,customer_id,date,amount,currency,status\nP1,D,2026-01-10,50.00,USD,success\n",
    )
    .file(
        "applications.csv",
        "source_id,document_id,amount,date\nP1,I2,50.00,2026-01-10\n",
    );
    let b = book(files);
    let p = b.portfolio("2026-03-01");
    let labels = b.store.ledger().customer_labels().unwrap();
    let lines = owed::report::aging::lines(&p, &labels);
    let ids: Vec<&str> = lines.iter().map(|l| l.label.id.as_str()).collect();
    assert_eq!(ids, ["C", "D"]);
    let listed: Decimal = lines.iter().map(|l| l.figures.outstanding_mismatch).sum();
    assert_eq!(listed, m("40.00"));
    assert_eq!(p.total.outstanding_mismatch, listed);
    assert_eq!(lines[1].figures.outstanding, Decimal::ZERO);
}

/// A document dated after the as-of date does not exist yet, and neither does what the
/// billing system says of it: a back-dated report neither counts its mismatch nor lists the
/// customer for it (with nothing else, the customer is left out, not listed at zeros). The
/// mismatch of a document that exists is still owed's balance after everything imported.
#[test]
fn the_mismatch_of_a_document_not_yet_dated_is_not_counted_back_dated() {
    let files = acme_and_delta(
        "I1,C,invoice,2026-01-01,2026-01-31,100.00,90.00\n\
         I2,D,invoice,2026-08-07,2026-09-06,56.18,0.00\n",
    );
    let b = book(files);
    let labels = b.store.ledger().customer_labels().unwrap();
    let p = b.portfolio("2026-03-31");
    let ids: Vec<&str> = owed::report::aging::lines(&p, &labels)
        .iter()
        .map(|l| l.label.id.as_str())
        .collect();
    assert_eq!(ids, ["C"], "D's only document is dated in August");
    assert_eq!(p.total.outstanding_mismatch, m("10.00"));
    // Before any document: nobody, and nothing differs.
    let p = b.portfolio("2025-12-31");
    assert!(owed::report::aging::lines(&p, &labels).is_empty());
    assert_eq!(p.total.outstanding_mismatch, Decimal::ZERO);
    // Once I2 is dated, its mismatch is counted and D listed.
    let p = b.portfolio("2026-08-07");
    assert_eq!(p.total.outstanding_mismatch, m("66.18"));
    assert_eq!(
        b.customer("D", "2026-08-07").outstanding_mismatch,
        m("56.18")
    );
    assert_eq!(
        b.customer("D", "2026-08-06"),
        Figures::new(&AgingBounds::default())
    );
}

/// DSO by the count-back on one cent: a EUR customer's two invoices of 1,000.04 at 1.125
/// are 1,125.05 each in the base currency (each converted and rounded on its own), and May's
/// sales are those two documents. Summed before converting, the sales were 2,250.09 against an
/// outstanding of 2,250.10, and the cent left over counted every earlier month without sales
/// whole: 365 days. By hand: 30 (June, no sales) + 31 (May, wholly outstanding) = 61; as of 31
/// May, 31. A database of the schema before (sales summed per rate) is brought up to date on
/// opening, its sales rebuilt.
#[test]
fn dso_counts_back_over_each_documents_own_rounded_figure() {
    let files = Files::new()
        .file("customers.csv", "id,name,currency\nH1,Hansa AG,EUR\n")
        .file(
            "exchange_rates.csv",
            "date,currency,rate\n2026-05-01,EUR,1.125\n",
        )
        .file(
            "documents.csv",
            "id,customer_id,type,doc_date,due_date,amount\n\
             HA,H1,invoice,2026-05-04,2026-06-03,1000.04\n\
             HB,H1,invoice,2026-05-04,2026-06-03,1000.04\n",
        );
    let b = book(files);
    let dso = |store: &Store, as_of: &str| {
        let p = Portfolio::compute(store, d(as_of), None, &AgingBounds::default(), "USD").unwrap();
        assert_eq!(p.total.outstanding, m("2250.10"));
        owed::report::metrics::Metrics::compute(store, &p, 3)
            .unwrap()
            .headline
            .dso
    };
    assert_eq!(dso(&b.store, "2026-06-30"), Some(m("61")));
    assert_eq!(dso(&b.store, "2026-05-31"), Some(m("31")));

    // The same database as schema 13 left it: its daily sales per (day, rate), unconverted.
    let path = b.store.path().to_path_buf();
    fixture::undo_schemas_20_to_23(&path);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "DROP TABLE sales_daily;
         CREATE TABLE sales_daily (doc_date INTEGER NOT NULL, rate TEXT NOT NULL,
             amount INTEGER NOT NULL, PRIMARY KEY (doc_date, rate)) WITHOUT ROWID;
         INSERT INTO sales_daily SELECT doc_date, rate, sum(amount) FROM documents
          GROUP BY doc_date, rate;
         DROP INDEX payments_date;
         ALTER TABLE engagement_holds DROP COLUMN from_date;
         DROP TRIGGER promises_currency;
         DROP TRIGGER issues_currency;
         ALTER TABLE promises DROP COLUMN currency;
         ALTER TABLE issues DROP COLUMN currency;
         ALTER TABLE reminders DROP COLUMN cc_addr;
         PRAGMA user_version = 13;",
    )
    .unwrap();
    drop(conn);
    let reopened = Store::open_existing(&path).unwrap();
    assert_eq!(dso(&reopened, "2026-06-30"), Some(m("61")));
}
