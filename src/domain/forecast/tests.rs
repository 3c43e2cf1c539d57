//! The model, the self-check, the risk and the promise cover on hand-made histories with
//! known answers.
//!
//! Histories are monthly-ish (a document every 33 days, so that settlements fall on every
//! weekday and all over the month: no habit unless a test makes one).

use super::*;
use crate::domain::date::parse_iso;
use chrono::{Datelike, Days, Weekday};
use proptest::prelude::*;

const AS_OF: &str = "2026-03-31";

fn d(s: &str) -> Date {
    parse_iso(s).unwrap()
}

fn as_of() -> Date {
    d(AS_OF)
}

fn plus(date: Date, n: i64) -> Date {
    date.checked_add_signed(chrono::Duration::days(n)).unwrap()
}

/// A document due `due_before` days before the as-of date, paid `late` days after its due
/// date, for 100.
fn paid(key: i64, due_before: i64, late: i64) -> SettledDoc {
    let due = plus(as_of(), -due_before);
    SettledDoc {
        key,
        doc_date: plus(due, -30),
        due_date: due,
        amount: Decimal::ONE_HUNDRED,
        settled: plus(due, late),
        disputed: false,
        dispute_opened: None,
    }
}

/// An open document of 100 due `due_in` days after the as-of date (negative: overdue).
fn open(key: i64, due_in: i64) -> OpenDoc {
    let due = plus(as_of(), due_in);
    OpenDoc {
        key,
        doc_date: plus(due, -30),
        due_date: due,
        amount: Decimal::ONE_HUNDRED,
        balance: Decimal::ONE_HUNDRED,
        disputed: false,
        dispute_opened: None,
        promised: None,
    }
}

/// A customer with a history of `count` documents (one every 33 days, the latest due 60
/// days before the as-of date) paid `late(i)` days late.
fn customer(
    cid: i64,
    count: i64,
    late: impl Fn(i64) -> i64,
    open_docs: Vec<OpenDoc>,
) -> CustomerHistory {
    CustomerHistory {
        cid,
        settled: (0..count)
            .map(|i| paid(cid * 1000 + i, 60 + 33 * i, late(i)))
            .collect(),
        open: open_docs,
        ..Default::default()
    }
}

/// A varied portfolio for the prior: prompt, slow and in-between payers.
fn portfolio() -> Vec<CustomerHistory> {
    let mut out = Vec::new();
    for c in 0..30 {
        let typical = [0, 5, 10, 20, 40][c as usize % 5];
        out.push(customer(
            100 + c,
            10,
            move |i| typical + (i % 3) - 1,
            vec![],
        ));
    }
    out
}

fn fit(histories: &[CustomerHistory]) -> Model {
    Model::fit(histories, as_of(), ModelConfig::default())
}

/// Fits on the portfolio plus `h`, and predicts `h`.
fn predict(h: CustomerHistory) -> Vec<Prediction> {
    let mut all = portfolio();
    all.push(h.clone());
    fit(&all).predict(&h)
}

fn days_after_due(p: &Prediction, doc: &OpenDoc) -> i64 {
    (p.date - doc.due_date).num_days()
}

#[test]
fn a_prompt_payer_is_predicted_near_the_due_date() {
    let doc = open(1, 20);
    let h = customer(1, 12, |i| i % 2, vec![doc.clone()]);
    let p = &predict(h)[0];
    let late = days_after_due(p, &doc);
    assert!((-1..=2).contains(&late), "predicted {late} days late");
    assert!(p.reason.starts_with("usually pays"), "{}", p.reason);
}

#[test]
fn a_chronic_late_payer_is_predicted_later() {
    let doc = open(1, 20);
    let slow = customer(1, 12, |i| 30 + (i % 5) - 2, vec![doc.clone()]);
    let prompt = customer(2, 12, |i| i % 2, vec![open(2, 20)]);
    let slow_late = days_after_due(&predict(slow)[0], &doc);
    let prompt_late = days_after_due(&predict(prompt)[0], &doc);
    assert!((27..=33).contains(&slow_late), "predicted {slow_late}");
    assert!(slow_late > prompt_late + 20);
    let reason = &predict(customer(1, 12, |_| 30, vec![doc]))[0].reason;
    assert_eq!(reason, "usually pays 30 days late");
}

#[test]
fn never_before_the_day_after_the_as_of_date() {
    // A prompt payer's document long overdue, and a promise whose date has passed.
    let mut old = open(1, -90);
    old.promised = Some(plus(as_of(), -2));
    let h = customer(1, 12, |_| 0, vec![old, open(2, -1), open(3, 0)]);
    for p in predict(h) {
        assert!(p.date > as_of(), "{} for {}", p.date, p.key);
    }
}

#[test]
fn a_disputed_document_is_predicted_later() {
    // Disputes in the portfolio's history take about 25 days longer.
    let mut all = portfolio();
    for c in 0..40 {
        let mut h = customer(200 + c, 6, |i| 5 + i % 2, vec![]);
        let mut disputed = paid(200_000 + c, 400, 30);
        disputed.disputed = true;
        h.settled.push(disputed);
        all.push(h);
    }
    let plain = open(1, 10);
    let mut disputed = open(2, 10);
    disputed.disputed = true;
    let h = customer(1, 10, |_| 5, vec![plain.clone(), disputed.clone()]);
    all.push(h.clone());
    let model = fit(&all);
    assert!((20.0..=30.0).contains(&model.prior.adjustments.dispute_days));
    let p = model.predict(&h);
    let gap = (p[1].date - p[0].date).num_days();
    assert!((20..=30).contains(&gap), "disputed only {gap} days later");
    assert_eq!(p[1].reason, "usually pays 5 days late; disputed");
    assert!(!p[0].reason.contains("disputed"));
}

#[test]
fn the_prior_speaks_for_a_customer_without_history() {
    let doc = open(1, 15);
    let newcomer = CustomerHistory {
        cid: 1,
        open: vec![doc.clone()],
        ..Default::default()
    };
    let all: Vec<CustomerHistory> = portfolio().into_iter().chain([newcomer.clone()]).collect();
    let model = fit(&all);
    let typical = model.prior.portfolio.median_late;
    assert!(
        (5.0..=20.0).contains(&typical),
        "portfolio median {typical}"
    );
    let p = &model.predict(&newcomer)[0];
    let late = days_after_due(p, &doc) as f64;
    assert!((late - typical).abs() <= 3.0, "{late} vs {typical}");
    assert!(
        p.reason
            .starts_with("no payment history; customers typically pay"),
        "{}",
        p.reason
    );
}

#[test]
fn little_history_is_shrunk_toward_the_portfolio() {
    // Among customers who are alike and erratic, one payment 60 days late says little; twelve
    // say a lot.
    let mut alike = Vec::new();
    for c in 0..30 {
        let noise = move |i: i64| ((c * 13 + i * 7) % 33) - 16;
        alike.push(customer(100 + c, 12, move |i| (c % 3) + noise(i), vec![]));
    }
    let one = customer(1, 1, |_| 60, vec![open(1, 10)]);
    let many = customer(2, 12, |_| 60, vec![open(2, 10)]);
    let mut all = alike.clone();
    all.push(one.clone());
    all.push(many.clone());
    let model = fit(&all);
    assert!(model.prior.prior_weight >= 5.0, "{}", model.prior.prior_weight);
    let one_late = days_after_due(&model.predict(&one)[0], &open(1, 10));
    let many_late = days_after_due(&model.predict(&many)[0], &open(2, 10));
    assert!(one_late < 40, "{one_late}");
    assert!((58..=62).contains(&many_late), "{many_late}");
    // Among customers who differ a lot and are each regular, one payment says who a
    // customer is (empirical Bayes: the ledger sets how strong the pull is).
    let mut distinct = portfolio();
    distinct.push(one.clone());
    let model = fit(&distinct);
    assert!(model.prior.prior_weight <= 1.0, "{}", model.prior.prior_weight);
    let one_late = days_after_due(&model.predict(&one)[0], &open(1, 10));
    assert!(one_late >= 50, "{one_late}");
}

#[test]
fn a_document_already_late_is_predicted_after_today_by_its_customers_rhythm() {
    // Pays 20 to 40 days late; a document 30 days overdue is paid in the upper half.
    let h = customer(1, 21, |i| 20 + (i * 8) % 21, vec![open(1, -30)]);
    let p = &predict(h)[0];
    let late = (p.date - plus(as_of(), -30)).num_days();
    assert!((32..=38).contains(&late), "{late}");
    assert!(p.reason.contains("already 30 days overdue"), "{}", p.reason);
}

#[test]
fn open_documents_unpaid_for_long_push_the_prediction_later() {
    // Used to pay 5 days late; the last six invoices are 40 days overdue and unpaid.
    let current = open(1, 10);
    let quiet = customer(1, 6, |_| 5, vec![current.clone()]);
    let mut stalled = quiet.clone();
    stalled.open.extend((2..8).map(|k| open(k, -40)));
    let quiet_late = days_after_due(&predict(quiet)[0], &current);
    let stalled_late = days_after_due(&predict(stalled)[0], &current);
    assert!(
        stalled_late >= quiet_late + 5,
        "{stalled_late} vs {quiet_late}"
    );
}

#[test]
fn a_promise_overrides_unless_the_customer_breaks_them() {
    let promised_for = plus(as_of(), 5);
    let mut doc = open(1, -20);
    doc.promised = Some(promised_for);
    let mut h = customer(1, 12, |_| 30, vec![doc]);
    let p = &predict(h.clone())[0];
    assert_eq!(p.date, promised_for);
    assert!(p.reason.ends_with(&format!("promised for {promised_for}")));
    h.broken_promises = 3;
    h.kept_promises = 1;
    let p = &predict(h)[0];
    assert!(p.date > promised_for, "{}", p.date);
    assert!(
        p.reason.contains("but 3 of 4 promises broken"),
        "{}",
        p.reason
    );
}

#[test]
fn a_customer_wide_promise_covers_the_oldest_documents_first() {
    let date = plus(as_of(), 7);
    let h = CustomerHistory {
        open: vec![open(1, 10), open(2, -30), open(3, -10)],
        promises: vec![CustomerPromise {
            date,
            amount: Decimal::from(150),
        }],
        ..Default::default()
    };
    assert_eq!(model::promise_dates(&h), vec![None, Some(date), Some(date)]);
}

#[test]
fn a_payment_run_customer_is_predicted_on_its_weekday() {
    // Always pays on the first Friday on or after 8 days late.
    let mut h = customer(1, 12, |_| 0, vec![open(1, 12), open(2, 25)]);
    for s in &mut h.settled {
        let mut day = plus(s.due_date, 8);
        while day.weekday() != Weekday::Fri {
            day = day.succ_opt().unwrap();
        }
        s.settled = day;
    }
    for p in predict(h) {
        assert_eq!(p.date.weekday(), Weekday::Fri, "{}", p.date);
        assert!(p.reason.contains("pays on Fridays"), "{}", p.reason);
    }
}

#[test]
fn large_amounts_are_adjusted_by_what_the_portfolio_shows() {
    // Across the portfolio, documents three times the usual amount are paid 15 days later.
    let mut all = Vec::new();
    for c in 0..40 {
        let mut h = customer(300 + c, 8, |_| 5, vec![]);
        for (i, s) in h.settled.iter_mut().enumerate().take(3) {
            s.amount = Decimal::from(300);
            s.settled = plus(s.due_date, 20 + i as i64 % 2);
        }
        all.push(h);
    }
    let usual = open(1, 10);
    let mut large = open(2, 10);
    large.amount = Decimal::from(300);
    large.balance = large.amount;
    let h = customer(1, 8, |_| 5, vec![usual, large]);
    all.push(h.clone());
    let model = fit(&all);
    let p = model.predict(&h);
    let gap = (p[1].date - p[0].date).num_days();
    assert!((13..=17).contains(&gap), "{gap}");
    assert!(p[1].reason.ends_with("large amount"), "{}", p[1].reason);
}

fn risk_of(h: CustomerHistory) -> Risk {
    let mut all = portfolio();
    all.push(h.clone());
    fit(&all).risk(&h)
}

#[test]
fn risk_is_low_for_a_prompt_payer_with_nothing_overdue() {
    let r = risk_of(customer(1, 12, |_| 0, vec![open(1, 20)]));
    assert_eq!(r.level, RiskLevel::Low);
    assert_eq!(r.score, 0);
    assert!(r.reasons.is_empty());
}

#[test]
fn risk_is_high_for_a_late_payer_breaking_promises() {
    let mut h = customer(1, 12, |_| 50, vec![open(1, -100), open(2, -70), open(3, 5)]);
    h.broken_promises = 2;
    h.failed_attempts = vec![plus(as_of(), -10), plus(as_of(), -5)];
    let r = risk_of(h);
    assert_eq!(r.level, RiskLevel::High);
    assert_eq!(r.reasons[0], "pays 50 days late");
    assert!(r.reasons.contains(&"2 broken promises".to_string()));
    assert!(
        r.reasons
            .contains(&"oldest item 100 days overdue".to_string())
    );
    assert!(
        r.reasons
            .contains(&"2 failed payments in 90 days".to_string())
    );
    assert!(
        r.reasons
            .contains(&"67% of the balance overdue".to_string())
    );
}

#[test]
fn risk_is_medium_for_a_slow_but_regular_payer() {
    let r = risk_of(customer(1, 12, |_| 32, vec![open(1, 10)]));
    assert_eq!(r.level, RiskLevel::Medium);
    assert_eq!(
        r.reasons,
        vec![
            "pays 32 days late".to_string(),
            "100% likely to pay late".to_string()
        ]
    );
}

#[test]
fn risk_sees_a_worsening_trend() {
    // Paid on time for a year, 25 days late for the last four months.
    let h = customer(1, 12, |i| if i < 4 { 25 } else { 0 }, vec![open(1, 10)]);
    let r = risk_of(h);
    assert!(
        r.reasons
            .iter()
            .any(|x| x.starts_with("paying 25 days later")),
        "{:?}",
        r.reasons
    );
    assert!(r.level >= RiskLevel::Medium);
}

#[test]
fn risk_levels_name_themselves() {
    for level in [RiskLevel::Low, RiskLevel::Medium, RiskLevel::High] {
        assert_eq!(RiskLevel::parse(level.as_str()), Some(level));
    }
    assert_eq!(RiskLevel::parse("HIGH"), Some(RiskLevel::High));
    assert_eq!(RiskLevel::parse("severe"), None);
}

proptest! {
    #[test]
    fn predictions_are_never_before_tomorrow(
        lates in proptest::collection::vec(-20i64..120, 0..15),
        dues in proptest::collection::vec(-200i64..90, 1..6),
        disputed in any::<bool>(),
        promise in proptest::option::of(-30i64..30),
    ) {
        let mut h = customer(1, 0, |_| 0, vec![]);
        h.settled = lates.iter().enumerate().map(|(i, &l)| paid(i as i64, 40 + 20 * i as i64, l)).collect();
        h.open = dues.iter().enumerate().map(|(i, &due)| {
            let mut o = open(100 + i as i64, due);
            o.disputed = disputed && i == 0;
            o.promised = promise.map(|p| plus(as_of(), p));
            o
        }).collect();
        let mut all = portfolio();
        all.push(h.clone());
        let model = fit(&all);
        let tomorrow = as_of() + Days::new(1);
        let predictions = model.predict(&h);
        prop_assert_eq!(predictions.len(), h.open.len());
        for p in predictions {
            prop_assert!(p.date >= tomorrow);
            prop_assert!(!p.reason.is_empty() && !p.reason.contains('\n'));
        }
    }
}




