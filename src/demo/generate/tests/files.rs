//! The files themselves: the same options give the same bytes, the counts match the rows,
//! ids are unique, every file speaks the import format (quoting and Unicode included), and
//! exchange rates cover every day.

use super::*;

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
