//! How the customers pay: the behaviour settings, a payment history that predicts yet is
//! noisy, larger invoices paid later, and portfolios of any size.

use super::*;

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
