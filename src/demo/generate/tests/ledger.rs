//! The ledger's invariants: believable documents, applications that never exceed what they
//! settle, failures, voids, unapplied cash and unutilised credit, billing balances, and open
//! items in every aging bucket.

use super::*;

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
