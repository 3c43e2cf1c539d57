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
        own_balance: Decimal::ONE_HUNDRED,
        currency: String::new(),
        disputed: false,
        dispute_opened: None,
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
fn a_document_far_past_anything_paid_is_not_paid_tomorrow() {
    // Every customer of the portfolio pays within a day of its typical, so the residual
    // curve's last trusted stretch is paid at once; no document is anywhere near 40 or 100
    // days past its customer's typical. Those documents follow the prior's month (half of
    // what is left paid within it), not "the day after the as-of date", and their dates do
    // not move with the as-of date.
    let never = customer(1, 0, |_| 0, vec![open(1, -100), open(2, -30), open(3, 20)]);
    let on_due = customer(2, 12, |_| 0, vec![open(4, -40)]);
    let mut all = portfolio();
    all.push(never.clone());
    all.push(on_due.clone());
    let model = fit(&all);
    for p in [&model.predict(&never)[0], &model.predict(&on_due)[0]] {
        let ahead = (p.date - as_of()).num_days();
        assert!(
            (15..=60).contains(&ahead),
            "{} {}: {}",
            p.date,
            ahead,
            p.reason
        );
    }
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
    let h = CustomerHistory {
        promises: vec![named_promise(plus(as_of(), -2), &[1])],
        ..customer(1, 12, |_| 0, vec![open(1, -90), open(2, -1), open(3, 0)])
    };
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

/// A customer whose only invoice was paid in part (400 part-payments on it, none settling
/// it) had "no payment history": it has paid, but no document in full, and only documents
/// paid in full make a habit. The reason says what the model counts.
#[test]
fn a_customer_paying_only_in_part_is_not_said_to_have_no_payment_history() {
    let doc = OpenDoc {
        balance: Decimal::from(20),
        own_balance: Decimal::from(20),
        ..open(1, -30)
    };
    let part_payer = CustomerHistory {
        cid: 1,
        open: vec![doc, open(2, 15)],
        ..Default::default()
    };
    let all: Vec<CustomerHistory> = portfolio()
        .into_iter()
        .chain([part_payer.clone()])
        .collect();
    let model = fit(&all);
    for p in model.predict(&part_payer) {
        assert!(
            p.reason.starts_with(
                "no document paid in full yet (1 partly paid); customers typically pay"
            ),
            "{}",
            p.reason
        );
    }
}

/// A document due years ahead (a retention, an instalment plan) is predicted after its due
/// date as any other: past three years it fell back to about a month after the as-of date,
/// and the cash forecast counted 2030's money in the coming weeks.
#[test]
fn a_document_due_years_ahead_is_predicted_after_its_due_date() {
    for due_in in [30, 3 * 365, 3 * 365 + 1, 4 * 365, 10 * 365] {
        let doc = open(1, due_in);
        let h = customer(1, 12, |i| 10 + i % 2, vec![doc.clone()]);
        let p = &predict(h)[0];
        let late = days_after_due(p, &doc);
        assert!(
            (8..=13).contains(&late),
            "due in {due_in}: {late} days late"
        );
    }
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
    assert!(
        model.prior.prior_weight >= 5.0,
        "{}",
        model.prior.prior_weight
    );
    let one_late = days_after_due(&model.predict(&one)[0], &open(1, 10));
    let many_late = days_after_due(&model.predict(&many)[0], &open(2, 10));
    assert!(one_late < 40, "{one_late}");
    assert!((58..=62).contains(&many_late), "{many_late}");
    // Among customers who differ a lot and are each regular, one payment says who a
    // customer is (empirical Bayes: the ledger sets how strong the pull is).
    let mut distinct = portfolio();
    distinct.push(one.clone());
    let model = fit(&distinct);
    assert!(
        model.prior.prior_weight <= 1.0,
        "{}",
        model.prior.prior_weight
    );
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
    let mut h = CustomerHistory {
        promises: vec![named_promise(promised_for, &[1])],
        ..customer(1, 12, |_| 30, vec![open(1, -20)])
    };
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
        promises: vec![CustomerPromise::in_base(date, Decimal::from(150), vec![])],
        ..Default::default()
    };
    assert_eq!(model::promise_dates(&h), vec![None, Some(date), None]);
    // Paid off whole by two promises, the second document settles on the later one.
    let later = plus(date, 7);
    let two = CustomerHistory {
        promises: vec![
            h.promises[0].clone(),
            CustomerPromise::in_base(later, Decimal::from(50), vec![]),
        ],
        ..h.clone()
    };
    assert_eq!(
        model::promise_dates(&two),
        vec![None, Some(date), Some(later)]
    );
}

#[test]
fn a_customer_wide_promise_moves_only_the_documents_it_pays_off_whole() {
    let date = plus(as_of(), 7);
    let promise = |amount: i64| CustomerPromise::in_base(date, Decimal::from(amount), vec![]);
    // 99 of a document of 100: the document is not settled on the promise's date.
    let h = CustomerHistory {
        open: vec![open(1, -30), open(2, -10)],
        promises: vec![promise(99)],
        ..Default::default()
    };
    assert_eq!(model::promise_dates(&h), vec![None, None]);
    // A disputed document is not what a promise naming no document pays: the next one is.
    let mut disputed = open(1, -30);
    disputed.disputed = true;
    let h = CustomerHistory {
        open: vec![disputed, open(2, -10)],
        promises: vec![promise(100)],
        ..Default::default()
    };
    assert_eq!(model::promise_dates(&h), vec![None, Some(date)]);
}

/// An open promise naming documents (by key) for 100 each: enough to pay off every one.
fn named_promise(date: Date, keys: &[i64]) -> CustomerPromise {
    CustomerPromise::in_base(date, Decimal::from(100 * keys.len() as i64), keys.to_vec())
}

#[test]
fn a_promise_naming_documents_moves_only_those_it_pays_off_whole() {
    let date = plus(as_of(), 7);
    let promise = |amount: i64, keys: &[i64]| {
        CustomerPromise::in_base(date, Decimal::from(amount), keys.to_vec())
    };
    let docs = vec![open(1, -30), open(2, -10), open(3, 5)];
    let with = |promises: Vec<CustomerPromise>| CustomerHistory {
        open: docs.clone(),
        promises,
        ..Default::default()
    };
    // 1 of a document of 100: it is not settled on the promise's date.
    assert_eq!(
        model::promise_dates(&with(vec![promise(1, &[2])])),
        vec![None, None, None]
    );
    // 100 naming two documents of 100: the older one only.
    assert_eq!(
        model::promise_dates(&with(vec![promise(100, &[3, 2])])),
        vec![None, Some(date), None]
    );
    // 200: both it names, not the third.
    assert_eq!(
        model::promise_dates(&with(vec![promise(200, &[3, 2])])),
        vec![None, Some(date), Some(date)]
    );
    // A named document the promise pays off is moved even when disputed.
    let mut disputed = with(vec![promise(100, &[1])]);
    disputed.open[0].disputed = true;
    assert_eq!(
        model::promise_dates(&disputed),
        vec![Some(date), None, None]
    );
}

/// A customer's documents dated `dates`, due 30 days later and settled on `settle(due)`.
fn dated(cid: i64, dates: &[Date], settle: impl Fn(Date) -> Date) -> Vec<SettledDoc> {
    dates
        .iter()
        .enumerate()
        .map(|(i, &date)| {
            let due = plus(date, 30);
            SettledDoc {
                settled: settle(due),
                doc_date: date,
                due_date: due,
                ..paid(cid * 1000 + i as i64, 0, 0)
            }
        })
        .collect()
}

#[test]
fn a_lag_after_due_dates_on_one_day_of_the_month_is_not_a_month_habit() {
    // Invoices dated the 1st, each paid exactly 10 days after its due date: settled from the
    // 10th to the 13th, only because its invoices are dated on one day. An invoice dated the
    // 10th (due 2026-04-09) is expected 10 days after its due date, not moved back to the 14th.
    let dates: Vec<Date> = (0..12)
        .map(|m| d("2025-03-01") + chrono::Months::new(m))
        .collect();
    let doc = open(1, 9);
    let h = CustomerHistory {
        cid: 1,
        settled: dated(1, &dates, |due| plus(due, 10)),
        open: vec![doc.clone()],
        ..Default::default()
    };
    let p = &predict(h)[0];
    assert_eq!(days_after_due(p, &doc), 10, "{} {}", p.date, p.reason);
    assert!(!p.reason.contains("pays around"), "{}", p.reason);
}

#[test]
fn a_payment_run_in_the_month_stays_one_whatever_the_invoice_dates() {
    // Invoices dated all over the month, each paid on the 25th on or after its due date: a
    // habit of its own, which its due dates do not explain.
    let dates: Vec<Date> = (0..12)
        .map(|m| {
            plus(
                d("2025-02-01") + chrono::Months::new(m),
                (m as i64 * 7) % 27,
            )
        })
        .collect();
    let on_the_25th = |due: Date| {
        let mut day = due;
        while day.day() != 25 {
            day = day.succ_opt().unwrap();
        }
        day
    };
    let doc = open(1, 3);
    let h = CustomerHistory {
        cid: 1,
        settled: dated(1, &dates, on_the_25th),
        open: vec![doc],
        ..Default::default()
    };
    let p = &predict(h)[0];
    assert!((23..=27).contains(&p.date.day()), "{} {}", p.date, p.reason);
    // Named by the day it pays on, whatever the months' lengths (it read "the 27th": the
    // stretch's middle counted back from the end of a 31-day month).
    assert!(p.reason.contains("pays around the 25th"), "{}", p.reason);
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
    for p in predict(h.clone()) {
        assert_eq!(p.date.weekday(), Weekday::Fri, "{}", p.date);
        assert!(p.reason.contains("pays on Fridays"), "{}", p.reason);
    }
    // A bias correction from the self-check does not move a payment run off its weekday.
    for shift in [1, 2, -1] {
        for p in published_with_shift(&h, shift) {
            assert_eq!(p.date.weekday(), Weekday::Fri, "shift {shift}: {}", p.date);
        }
    }
}

/// `h` published among the test portfolio by the model, with the self-check's correction
/// of every segment set to `shift` days.
fn published_with_shift(h: &CustomerHistory, shift: i64) -> Vec<publish::Published> {
    let mut all = portfolio();
    all.push(h.clone());
    let f = forecaster(&all);
    let mut check = f.check.clone().unwrap();
    check.segments = check.segments.map(|d| check::Decision {
        method: Method::Model,
        shift,
        ..d
    });
    let f = Forecaster {
        check: Some(check),
        ..f
    };
    f.publish(h, &f.profile(h))
}

#[test]
fn a_little_history_reason_gives_the_days_late_of_the_date_published() {
    // Two payments: the reason speaks of this document ("expect N days late"), so when the
    // self-check moves the date, the N moves with it.
    let docs = vec![open(1, 20), open(2, -4)];
    let h = customer(1, 2, |_| 9, docs.clone());
    for shift in [0, 3, -2] {
        for (p, doc) in published_with_shift(&h, shift).iter().zip(&docs) {
            let late = (p.date - doc.due_date).num_days();
            let said = format!("little history (2 paid); expect {late} days late");
            assert!(p.reason.starts_with(&said), "shift {shift}: {}", p.reason);
        }
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
    // In default (an item more than 90 days past due) comes first, then its lateness.
    assert_eq!(r.reasons[0], "oldest item 100 days overdue");
    assert_eq!(r.reasons[1], "pays 50 days late");
    assert!(r.reasons.contains(&"2 broken promises".to_string()));
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
            "99% likely to pay late".to_string()
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

/// The risk of `h` among peers who all pay on the due date.
fn risk_among_prompt_peers(h: CustomerHistory) -> Risk {
    let mut all: Vec<CustomerHistory> = (0..30)
        .map(|c| customer(100 + c, 10, |_| 0, vec![]))
        .collect();
    all.push(h.clone());
    fit(&all).risk(&h)
}

/// A customer that never paid, its only invoice 100 days past due, among prompt payers: in
/// default, so high risk, though nothing in its history says "late" (it was medium: 100 %
/// overdue 15, oldest item 15, likely late 8 = 38 points).
#[test]
fn risk_is_high_for_a_customer_in_default_whatever_its_history() {
    let never_paid = customer(1, 0, |_| 0, vec![open(1, -100)]);
    let r = risk_among_prompt_peers(never_paid);
    assert_eq!(r.level, RiskLevel::High, "{r:?}");
    assert_eq!(r.reasons[0], "oldest item 100 days overdue");
    // The same for a customer that always paid on time until this invoice.
    let was_prompt = customer(1, 12, |_| 0, vec![open(1, -100), open(2, 10)]);
    let r = risk_among_prompt_peers(was_prompt);
    assert_eq!(r.level, RiskLevel::High, "{r:?}");
}

/// Default is "more than 90 days past due": on the 90th day the item scores 15, on the 91st
/// the customer is in default.
#[test]
fn default_starts_after_ninety_days_past_due() {
    let at = |due: i64| risk_among_prompt_peers(customer(1, 12, |_| 0, vec![open(1, due)]));
    let day_90 = at(-90);
    let day_91 = at(-91);
    assert!(day_90.level < RiskLevel::High, "{day_90:?}");
    assert_eq!(day_91.level, RiskLevel::High, "{day_91:?}");
    assert_eq!(day_91.score - day_90.score, risk::HIGH_FROM - 15);
}

/// What is not default: a disputed invoice (days past due do not count while the customer
/// disputes it), the remainder of a short payment (under a tenth of the invoice still open),
/// and an old item under 1 % of what the customer owes.
#[test]
fn default_leaves_out_disputes_remainders_and_immaterial_items() {
    let prompt = |docs: Vec<OpenDoc>| risk_among_prompt_peers(customer(1, 12, |_| 0, docs));
    let mut disputed = open(1, -120);
    disputed.disputed = true;
    disputed.dispute_opened = Some(plus(as_of(), -110));
    let r = prompt(vec![disputed.clone()]);
    assert!(r.level < RiskLevel::High, "{r:?}");
    assert!(
        r.reasons
            .contains(&"oldest item 120 days overdue".to_string())
    );
    // The same invoice undisputed is default.
    disputed.disputed = false;
    disputed.dispute_opened = None;
    assert_eq!(prompt(vec![disputed]).level, RiskLevel::High);

    let mut remainder = open(1, -120);
    remainder.balance = Decimal::new(9, 0); // 9 of 100 open
    remainder.own_balance = remainder.balance;
    let r = prompt(vec![remainder.clone()]);
    assert!(r.level < RiskLevel::High, "{r:?}");
    remainder.balance = Decimal::TEN; // a tenth: unpaid, not a deduction
    remainder.own_balance = remainder.balance;
    assert_eq!(prompt(vec![remainder]).level, RiskLevel::High);

    // 100 of 10,100 open is 0.99 %: immaterial; of 10,000, 1 %: default.
    let big = |amount: i64| {
        let mut doc = open(2, 20);
        doc.amount = Decimal::from(amount);
        doc.balance = doc.amount;
        doc.own_balance = doc.amount;
        doc
    };
    let r = prompt(vec![open(1, -120), big(10_000)]);
    assert!(r.level < RiskLevel::High, "{r:?}");
    assert_eq!(
        prompt(vec![open(1, -120), big(9_900)]).level,
        RiskLevel::High
    );
}

/// Default is what is past due in all, not one document: a customer that never paid any of
/// 120 invoices of 100, each 0.8 % of what it owes, all more than 90 days overdue, scored
/// medium (30). Less the credit and cash it has in hand: an invoice 100 days overdue that
/// its unapplied payment covers is money to apply, not a default.
#[test]
fn default_counts_what_is_past_due_in_all_less_credit_in_hand() {
    let many = customer(1, 0, |_| 0, (1..=120).map(|k| open(k, -100 - k)).collect());
    let r = risk_among_prompt_peers(many);
    assert_eq!(r.level, RiskLevel::High, "{r:?}");
    let mut covered = customer(1, 12, |_| 0, vec![open(1, -100)]);
    covered.credit = Decimal::ONE_HUNDRED;
    let r = risk_among_prompt_peers(covered.clone());
    assert!(r.level < RiskLevel::High, "{r:?}");
    // Half covered: the other half is still a default.
    covered.credit = Decimal::from(50);
    assert_eq!(risk_among_prompt_peers(covered).level, RiskLevel::High);
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
            o
        }).collect();
        h.promises = promise.map(|p| named_promise(plus(as_of(), p), &[100])).into_iter().collect();
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

// ---------------------------------------------------------------------------------------------
// Effects learned from hand-made ledgers with a known answer
// ---------------------------------------------------------------------------------------------

/// A small deterministic noise in −`amp` … `amp` for document `i` of customer `c`.
fn jitter(c: i64, i: i64, amp: i64) -> i64 {
    ((c * 31 + i * 17) % (2 * amp + 1)) - amp
}

/// Forty customers who each pay `typical(c)` days late give or take two days, 14 documents
/// each; `disputed(c, i)` marks a document disputed (then paid `dispute_days` later, with its
/// issue opened on the document date).
fn ledger(
    typical: impl Fn(i64) -> i64,
    disputed: impl Fn(i64, i64) -> bool,
    dispute_days: i64,
) -> Vec<CustomerHistory> {
    (0..40)
        .map(|c| {
            let mut h = customer(500 + c, 14, |i| typical(c) + jitter(c, i, 2), vec![]);
            for (i, s) in h.settled.iter_mut().enumerate() {
                if disputed(c, i as i64) {
                    s.settled = plus(s.settled, dispute_days);
                    s.disputed = true;
                    s.dispute_opened = Some(s.doc_date);
                }
            }
            h
        })
        .collect()
}

fn forecaster(histories: &[CustomerHistory]) -> Forecaster {
    Forecaster::fit(histories, as_of(), ModelConfig::default())
}

#[test]
fn a_customer_who_always_pays_ten_days_late() {
    // Everyone pays 10 days late, to the day.
    let mut all = ledger(|_| 10, |_, _| false, 0);
    for h in &mut all {
        for s in &mut h.settled {
            s.settled = plus(s.due_date, 10);
        }
    }
    let h = customer(1, 12, |_| 10, vec![open(1, 20), open(2, 0), open(3, -4)]);
    all.push(h.clone());
    let f = forecaster(&all);
    let profile = f.profile(&h);
    assert_eq!(profile.typical_late, 10.0);
    for (p, doc) in f.publish(&h, &profile).iter().zip(&h.open) {
        assert_eq!(days_between(doc.due_date, p.date), 10, "{p:?}");
        if doc.due_date > as_of() {
            assert!(p.p_late > 0.9, "{p:?}");
        } else {
            assert_eq!(p.p_late, 1.0);
        }
    }
    // The check found no bias to correct.
    let check = f.check.as_ref().unwrap();
    assert!(check.overall.scored >= MIN_CHECKED, "{check:?}");
    for segment in Segment::ALL {
        assert_eq!(check.decision(segment).shift, 0, "{segment:?}");
    }
}

fn days_between(a: Date, b: Date) -> i64 {
    (b - a).num_days()
}

const MIN_CHECKED: usize = check::MIN_SCORED;

#[test]
fn disputes_that_always_add_fourteen_days() {
    // Customers pay 0 to 30 days late; every fifth document is disputed and paid exactly
    // 14 days later than the customer's others.
    let all = ledger(|c| (c % 7) * 5, |c, i| (c + i) % 5 == 0, 14);
    let model = fit(&all);
    let measured = model.prior.adjustments.dispute_days;
    assert!((12.5..=15.0).contains(&measured), "{measured}");
    assert!(model.prior.adjustments.latent.is_none());
    // A customer paying 5 days late: a disputed document due in 10 days is expected 19 days
    // after its due date, 14 after its plain twin.
    let plain = open(1, 10);
    let mut disputed = open(2, 10);
    disputed.disputed = true;
    disputed.dispute_opened = Some(disputed.doc_date);
    let mut h = customer(
        1,
        12,
        |i| 5 + jitter(1, i, 1),
        vec![plain.clone(), disputed.clone()],
    );
    h.settled[3].disputed = true;
    h.settled[3].settled = plus(h.settled[3].settled, 14);
    let mut with = all.clone();
    with.push(h.clone());
    let model = fit(&with);
    let p = model.predict(&h);
    assert_eq!(days_after_due(&p[0], &plain), 5, "{:?}", p[0]);
    let delay = days_after_due(&p[1], &disputed) - 5;
    assert!((13..=15).contains(&delay), "{delay}: {:?}", p[1]);
    assert!(p[1].reason.ends_with("disputed"), "{}", p[1].reason);
}

#[test]
fn a_dispute_delays_the_date_the_document_would_otherwise_have_been_paid() {
    // The customer pays on the due date; its disputed document is 5 days overdue. Without the
    // dispute it would have been paid 5 days ago: it is expected 14 days after that (9 days
    // from now), not 14 days after today, nor 14 days after a date already late.
    let all = ledger(|c| (c % 7) * 5, |c, i| (c + i) % 5 == 0, 14);
    let mut doc = open(1, -5);
    doc.disputed = true;
    doc.dispute_opened = Some(doc.doc_date);
    let h = customer(1, 12, |i| jitter(1, i, 1), vec![doc.clone()]);
    let mut with = all.clone();
    with.push(h.clone());
    let p = &fit(&with).predict(&h)[0];
    let late = days_after_due(p, &doc);
    assert!((13..=15).contains(&late), "{late}: {p:?}");
}

#[test]
fn a_customer_who_moved_from_early_to_late() {
    // Paid 5 days early for a year; its last five documents (the last four months) 20 days
    // late. The forecast follows the move.
    let moved = |i: i64| if i < 5 { 20 } else { -5 };
    let doc = open(1, 15);
    let h = CustomerHistory {
        cid: 1,
        settled: (0..17)
            .map(|i| paid(1000 + i, 20 + 24 * i, moved(i) + jitter(1, i, 1)))
            .collect(),
        open: vec![doc.clone()],
        ..Default::default()
    };
    let mut all = ledger(|c| (c % 7) * 5, |_, _| false, 0);
    all.push(h.clone());
    let model = fit(&all);
    let profile = model.profile(&h);
    assert!(profile.trend >= 20.0, "{}", profile.trend);
    let p = &model.predict(&h)[0];
    let late = days_after_due(p, &doc);
    assert!((17..=22).contains(&late), "{late}: {p:?}");
    assert!(p.reason.contains("days later lately"), "{}", p.reason);
    // A customer whose recent documents only wobble is not moved.
    let steady = customer(2, 17, |i| jitter(2, i, 2), vec![open(2, 15)]);
    let mut all = ledger(|c| (c % 7) * 5, |_, _| false, 0);
    all.push(steady.clone());
    assert_eq!(fit(&all).profile(&steady).shift, 0.0);
}

#[test]
fn the_self_check_falls_back_to_the_median_when_the_model_is_handicapped() {
    // Customers who differ a lot. A model made to ignore each customer's own history (its
    // peers weigh a million documents) is worse than the per-customer median: the check
    // publishes the median instead. The same ledger with the model as it is keeps the model.
    let all = ledger(|c| (c % 8) * 7 - 5, |c, i| (c + i) % 5 == 0, 14);
    let mut histories = all.clone();
    for h in &mut histories {
        let mut disputed = open(h.cid * 10 + 2, 20);
        disputed.disputed = true;
        disputed.dispute_opened = Some(disputed.doc_date);
        h.open = vec![open(h.cid * 10, 12), open(h.cid * 10 + 1, -3), disputed];
    }
    let handicapped = Forecaster::fit(
        &histories,
        as_of(),
        ModelConfig {
            prior_weight: Some(1e6),
            ..ModelConfig::default()
        },
    );
    let check = handicapped.check.as_ref().unwrap();
    assert_eq!(check.overall.method, Method::Median, "{check:?}");
    for segment in [Segment::NotDue, Segment::Overdue] {
        let d = check.decision(segment);
        assert_eq!(d.method, Method::Median, "{segment:?}: {d:?}");
        assert!(d.model_mae.unwrap() > d.median_mae.unwrap(), "{d:?}");
    }
    let h = &histories[3];
    let late = check::days_late(h);
    for (p, doc) in handicapped
        .publish(h, &handicapped.profile(h))
        .iter()
        .zip(&h.open)
        .take(2)
    {
        assert_eq!(p.method, Method::Median);
        let median = check::median_method_date(
            doc,
            &late,
            handicapped.model.prior.median_days_late,
            as_of(),
        )
        .unwrap();
        let shift = check.decision(p.segment).shift;
        assert_eq!(p.date, plus(median, shift).max(plus(as_of(), 1)));
        assert!(p.reason.starts_with("usually paid"), "{}", p.reason);
        assert!(p.backtest_mae.is_some());
    }
    // The model as it is knows what disputes do; the median does not.
    let fair = forecaster(&histories);
    let check = fair.check.as_ref().unwrap();
    assert_eq!(check.overall.method, Method::Model, "{check:?}");
    assert_eq!(check.decision(Segment::Disputed).method, Method::Model);
    let p = &fair.publish(h, &fair.profile(h))[2];
    assert_eq!((p.method, p.segment), (Method::Model, Segment::Disputed));
}

#[test]
fn a_segment_too_small_to_judge_keeps_the_model() {
    // Customers who differ a lot and pay early or on time: the replay has plenty of
    // documents not yet due and hardly any overdue, none disputed. A model made to ignore
    // each customer's own history loses to the median over all — but the overdue and
    // disputed segments, too small to judge, keep the model: they inherited the median, and a
    // document 181 days overdue was "paid tomorrow", a disputed one dated as if it were not.
    let mut histories = ledger(|c| -(c % 8) * 3, |_, _| false, 0);
    let mut disputed = open(32, 5);
    disputed.disputed = true;
    disputed.dispute_opened = Some(disputed.doc_date);
    histories[3].open = vec![open(30, 12), open(31, -181), disputed];
    let f = Forecaster::fit(
        &histories,
        as_of(),
        ModelConfig {
            prior_weight: Some(1e6),
            ..ModelConfig::default()
        },
    );
    let check = f.check.as_ref().unwrap();
    assert_eq!(check.overall.method, Method::Median, "{check:?}");
    for segment in [Segment::Overdue, Segment::Disputed] {
        let d = check.decision(segment);
        assert!(d.scored < MIN_CHECKED, "{segment:?}: {d:?}");
        assert_eq!((d.method, d.mae), (Method::Model, None), "{segment:?}");
    }
    let h = &histories[3];
    let published = f.publish(h, &f.profile(h));
    assert_eq!(published[1].method, Method::Model);
    assert!(published[1].date > plus(as_of(), 1), "{:?}", published[1]);
    assert_eq!(published[2].method, Method::Model);
    assert!(
        published[2].reason.ends_with("disputed"),
        "{:?}",
        published[2]
    );
}

#[test]
fn the_median_method_reads_the_remaining_time_of_a_document_still_open() {
    // A customer paid 0, 0, 5, 10, 20 and 30 days late: its median is 7.5 days late.
    let late: Vec<f64> = [0.0, 0.0, 5.0, 10.0, 20.0, 30.0].to_vec();
    let date = |due: i64| check::median_method_date(&open(1, due), &late, 3.0, as_of());
    // Due in 10 days: its median, 8 days after the due date.
    assert_eq!(date(10), Some(plus(as_of(), 18)));
    // Already 8 days overdue: of the payments later than that (10, 20, 30), the middle one
    // — 20 days after the due date, not tomorrow.
    assert_eq!(date(-8), Some(plus(as_of(), 12)));
    // Later than it ever paid: the model's survival view decides.
    assert_eq!(date(-30), None);
    assert_eq!(date(-181), None);
    // No payments: the portfolio's median days late, while the document is not past it.
    let new = |due: i64| check::median_method_date(&open(1, due), &[], 3.0, as_of());
    assert_eq!(new(10), Some(plus(as_of(), 13)));
    assert_eq!(new(-2), Some(plus(as_of(), 1)));
    assert_eq!(new(-3), None);
}

#[test]
fn a_ledger_without_dispute_history_still_learns_the_dispute_delay() {
    // A fifth of every customer's documents were disputed and paid 14 days later, but the
    // ledger only records the disputes open today: its settled documents never say so.
    let mut all = ledger(|c| (c % 7) * 5 - 10, |c, i| (c + i) % 5 == 0, 14);
    for (c, h) in all.iter_mut().enumerate() {
        for s in &mut h.settled {
            s.disputed = false;
            s.dispute_opened = None;
        }
        // Recent documents, a fifth of them disputed (open, so recorded).
        h.open = (0..2)
            .map(|k| {
                let mut o = open(h.cid * 10 + k, 25 - 10 * k);
                o.disputed = (c as i64 + k) % 5 == 0;
                o.dispute_opened = o.disputed.then_some(o.doc_date);
                o
            })
            .collect();
    }
    let model = fit(&all);
    let latent = model
        .prior
        .adjustments
        .latent
        .expect("no dispute history found");
    assert!((12.0..=16.0).contains(&latent.delay), "{latent:?}");
    // Its plain payments are found under the disputed ones: a customer paying 5 days late
    // (a fifth of its settled documents 19) is expected 5 days late, and 19 when disputed.
    let h = &all[3];
    let typical = model.profile(h).typical_late;
    assert!((4.0..=6.0).contains(&typical), "{typical}");
    // With its dispute history recorded, nothing is estimated.
    let recorded = ledger(|c| (c % 7) * 5 - 10, |c, i| (c + i) % 5 == 0, 14);
    assert!(fit(&recorded).prior.adjustments.latent.is_none());
}

#[test]
fn a_document_late_beyond_anything_on_record_follows_the_prior_month() {
    // Nobody was ever more than a few days late; one document is 200 days overdue. It is
    // expected after the as-of date, not on a fixed date: neither ledger has a document that
    // late, so on both what is left of it is paid at the prior's rate (half within a month),
    // whatever the rate of their latest documents. Every fourth document is paid later than
    // the customer's usual: 10 to 20 days on one ledger, 40 to 120 on the other.
    let surprises = |low: i64, high: i64| {
        let mut all = ledger(|c| (c % 7) * 2, |_, _| false, 0);
        for h in &mut all {
            for (i, s) in h.settled.iter_mut().enumerate() {
                if (h.cid + i as i64) % 4 == 0 {
                    let extra = low + (h.cid * 7 + i as i64 * 13) % (high - low + 1);
                    s.settled = plus(s.settled, extra);
                }
            }
        }
        all
    };
    let quick = surprises(10, 20);
    let slow = surprises(40, 120);
    let doc = open(1, -200);
    let h = customer(1, 12, |i| jitter(1, i, 2), vec![doc.clone()]);
    let remaining = |ledger: &[CustomerHistory]| {
        let mut all = ledger.to_vec();
        all.push(h.clone());
        let model = fit(&all);
        let p = &model.predict(&h)[0];
        assert!(p.date > as_of());
        (p.date - as_of()).num_days()
    };
    for ahead in [remaining(&quick), remaining(&slow)] {
        assert!((15..=60).contains(&ahead), "{ahead}");
    }
}

#[test]
fn a_customer_who_pays_at_the_turn_of_the_month() {
    // Pays its documents on the 1st of the month after they fall due (or the 30th/31st).
    let mut h = customer(1, 12, |_| 0, vec![open(1, 12)]);
    for s in &mut h.settled {
        let next = s.due_date.with_day(1).unwrap() + chrono::Months::new(1);
        s.settled = if s.key % 3 == 0 {
            next - Days::new(1)
        } else {
            next
        };
    }
    let mut all = ledger(|c| (c % 7) * 5, |_, _| false, 0);
    all.push(h.clone());
    let model = fit(&all);
    let profile = model.profile(&h);
    assert!(profile.month.is_some(), "{profile:?}");
    let p = &model.predict(&h)[0];
    let day = p.date.day();
    assert!(day <= 3 || day >= 28, "{}", p.date);
    assert!(p.reason.contains("turn of the month"), "{}", p.reason);
}

#[test]
fn a_statement_payer_is_predicted_on_its_day_of_the_month_wherever_a_document_falls_due() {
    // Pays everything due by its payment run, on the 10th of each month: days late from 0 to
    // a month. Whatever day an open document falls due, the prediction is on a day the
    // customer pays, however far the date its days late give lies from one.
    let run_on_or_after = |date: Date| {
        let tenth = date.with_day(10).unwrap();
        if tenth >= date {
            tenth
        } else {
            tenth + chrono::Months::new(1)
        }
    };
    let opens: Vec<OpenDoc> = (1..=31).map(|k| open(k, k)).collect();
    let mut h = customer(1, 15, |_| 0, opens);
    for s in &mut h.settled {
        s.settled = run_on_or_after(s.due_date);
    }
    let mut all = ledger(|c| (c % 7) * 5, |_, _| false, 0);
    all.push(h.clone());
    let model = fit(&all);
    assert!(model.profile(&h).month.is_some());
    // (The habit is a five-day stretch holding the 10th: within the 6th to the 14th.)
    for p in model.predict(&h) {
        assert!((6..=14).contains(&p.date.day()), "{p:?}");
    }
}

#[test]
fn amount_effects_shrink_toward_none_when_few_documents_show_them() {
    // Three large documents paid 15 days late say less than a hundred and twenty.
    let with_large = |customers: i64| {
        let mut all = ledger(|_| 5, |_, _| false, 0);
        for h in all.iter_mut().take(customers as usize) {
            for s in h.settled.iter_mut().take(3) {
                s.amount = Decimal::from(300);
                s.settled = plus(s.due_date, 20);
            }
        }
        fit(&all).prior.adjustments.size_days[4]
    };
    let few = with_large(1);
    let many = with_large(40);
    assert!((14.0..=15.5).contains(&many), "{many}");
    assert!(few > 0.0 && few < many - 1.0, "{few} vs {many}");
}

#[test]
fn the_lateness_probability_is_calibrated_on_the_ledgers_history() {
    // Probabilities twice as confident as outcomes warrant are pulled back.
    let points: Vec<(f64, bool, f64)> = (0..400)
        .map(|i| {
            let p = (i % 20) as f64 / 20.0 + 0.025;
            // The truth: halfway between p and one half.
            let truth = 0.5 + (p - 0.5) / 2.0;
            let late = ((i / 20) as f64 + 0.5) / 20.0 < truth;
            (p, late, 1.0)
        })
        .collect();
    let c = check::Calibration::fit(&points);
    assert!(c.b < 0.8, "{c:?}");
    assert!((c.apply(0.9) - 0.7).abs() < 0.08, "{}", c.apply(0.9));
    assert_eq!(c.apply(1.0), 1.0);
    // A handful of documents changes nothing.
    assert_eq!(
        check::Calibration::fit(&points[..5]),
        check::Calibration::default()
    );
}

#[test]
fn the_replay_of_an_earlier_date_knows_only_what_was_known_then() {
    let cutoff = plus(as_of(), -100);
    let mut disputed_later = paid(1, 90, 40); // due 90 days ago, paid 50 days ago
    disputed_later.disputed = true;
    disputed_later.dispute_opened = Some(plus(as_of(), -95)); // after the cutoff
    let mut disputed_before = paid(2, 110, 30); // due before the cutoff, paid after
    disputed_before.disputed = true;
    disputed_before.dispute_opened = Some(plus(as_of(), -120));
    let early = paid(3, 150, 0); // paid before the cutoff
    let mut still_open = open(4, -105);
    still_open.disputed = true;
    still_open.dispute_opened = Some(plus(as_of(), -10));
    let h = CustomerHistory {
        cid: 7,
        settled: vec![disputed_later, disputed_before, early.clone()],
        open: vec![still_open],
        kept_promises: 3,
        ..Default::default()
    };
    let (then, actual) = check::replay_at(&h, cutoff);
    assert_eq!(then.settled, vec![early]);
    let keys: Vec<i64> = then.open.iter().map(|o| o.key).collect();
    assert_eq!(keys, [1, 2, 4]);
    // Disputes opened after the cutoff are not known at it.
    let disputed: Vec<bool> = then.open.iter().map(|o| o.disputed).collect();
    assert_eq!(disputed, [false, true, false]);
    assert_eq!(
        actual,
        vec![Some(plus(as_of(), -50)), Some(plus(as_of(), -80)), None]
    );
    assert_eq!(then.kept_promises, 0);
}

#[test]
fn a_risky_customer_is_likely_to_pay_late() {
    // Nine in ten of its documents paid late: the risk names it.
    let h = customer(
        1,
        20,
        |i| if i % 10 == 0 { -3 } else { 12 },
        vec![open(1, 10)],
    );
    let mut all = portfolio();
    all.push(h.clone());
    let f = forecaster(&all);
    let profile = f.profile(&h);
    let risk = f.risk(&h, &profile);
    assert!(
        risk.reasons
            .iter()
            .any(|r| r.ends_with("likely to pay late")),
        "{risk:?}"
    );
    let prompt = customer(
        2,
        20,
        |i| if i % 3 == 0 { 1 } else { -2 },
        vec![open(2, 10)],
    );
    let risk = f.risk(&prompt, &f.profile(&prompt));
    assert!(
        !risk
            .reasons
            .iter()
            .any(|r| r.ends_with("likely to pay late")),
        "{risk:?}"
    );
}

#[test]
fn a_late_document_follows_how_the_ledgers_late_documents_are_paid() {
    // Customers differ a lot in where they pay (so their peers hardly pull their typical),
    // but they are alike in what a late document does next: every fourth document is held
    // up 20 to 40 days (30 in the middle). A customer whose one hold-up on record took 21
    // days has a document 8 days past its usual: it is one of those, and the ledger's
    // hold-ups say 30 days more likely than its own single one. The self-check finds that the
    // portfolio's residual curve deserves more weight than the peers' pull on a typical, and
    // the forecast follows it.
    let mut all = ledger(|c| (c % 8) * 7 - 5, |_, _| false, 0);
    for h in &mut all {
        for (i, s) in h.settled.iter_mut().enumerate() {
            if (h.cid + i as i64) % 4 == 0 {
                s.settled = plus(s.settled, 20 + (h.cid * 7 + i as i64 * 13) % 21);
            }
        }
    }
    let typical = 9;
    let mut h = customer(
        1,
        12,
        |i| typical + jitter(1, i, 1),
        vec![open(1, -(typical + 8))],
    );
    h.settled[5].settled = plus(h.settled[5].settled, 21);
    all.push(h.clone());
    let checked = forecaster(&all);
    let unchecked = Forecaster::fit(
        &all,
        as_of(),
        ModelConfig {
            self_check: false,
            ..ModelConfig::default()
        },
    );
    let check = checked.check.as_ref().unwrap();
    // The model's date with the weight each chose. (On this ledger the check publishes the
    // median for overdue documents — the customer's own payments later than the document
    // already is — which scores a little better over the replay's documents; this one's own
    // single hold-up is the one the ledger's others say is too short.)
    let late = |f: &Forecaster| days_between(h.open[0].due_date, f.model.predict(&h)[0].date);
    assert!(unchecked.profile(&h).prior_weight < 1.0);
    assert!(check.residual_weight.is_some_and(|w| w >= 2.0), "{check:?}");
    // Paid 30 days after its usual, give or take: 39 days late.
    let (new, old) = (late(&checked), late(&unchecked));
    assert!((new - 39).abs() <= 3, "{new}");
    assert!((old - 39).abs() >= 6, "{old}");
    // A weight the settings fix is kept.
    let fixed = Forecaster::fit(
        &all,
        as_of(),
        ModelConfig {
            residual_weight: Some(0.5),
            ..ModelConfig::default()
        },
    );
    assert_eq!(fixed.check.as_ref().unwrap().residual_weight, Some(0.5));
    assert_eq!(late(&fixed), old);
}

#[test]
fn risk_points_count_the_whole_days_the_reason_shows() {
    use super::risk::{late_points, trend_points};
    // 14.6 days is shown as "pays 15 days late": it scores as 15 days, not as under 15.
    assert_eq!(model::describe_late(14.6), "15 days late");
    assert_eq!(late_points(14.6), late_points(15.0));
    assert_eq!(late_points(14.4), late_points(14.0));
    assert_ne!(late_points(14.6), late_points(14.4));
    for (days, points) in [(6.4, 0), (6.5, 5), (29.5, 25), (44.5, 35)] {
        assert_eq!(late_points(days), points, "{days}");
    }
    assert_eq!(trend_points(6.6), trend_points(7.0));
    assert_eq!(trend_points(6.4), 0);
    assert_eq!(trend_points(14.5), 25);
}

/// A promise in the document's own currency is compared in it: converted at the rate of the
/// day it was made, a promise of the whole 1,000 EUR left an invoice of 1,000 EUR (1,100 in
/// the base currency at its own date's rate) where it was, and one of 800 EUR, at a rate of
/// 1.50 that day, moved all of it.
#[test]
fn a_promise_in_the_documents_currency_is_compared_in_it() {
    let date = plus(as_of(), 7);
    let mut doc = open(1, -10);
    doc.balance = Decimal::from(1100);
    doc.own_balance = Decimal::from(1000);
    doc.currency = "EUR".into();
    let promise = |own: i64, rate: Decimal, documents: Vec<i64>| CustomerPromise {
        own_amount: Decimal::from(own),
        currency: "EUR".into(),
        rate,
        ..CustomerPromise::in_base(date, Decimal::from(own) * rate, documents)
    };
    let with = |p: CustomerPromise| CustomerHistory {
        open: vec![doc.clone()],
        promises: vec![p],
        ..Default::default()
    };
    for documents in [vec![], vec![1]] {
        let whole = with(promise(1000, Decimal::ONE, documents.clone()));
        assert_eq!(
            model::promise_dates(&whole),
            vec![Some(date)],
            "{documents:?}"
        );
        let part = with(promise(800, Decimal::new(150, 2), documents.clone()));
        assert_eq!(model::promise_dates(&part), vec![None], "{documents:?}");
    }
    // A promise in another currency is set against the base balance at its own rate.
    let mut dollars = promise(1100, Decimal::ONE, vec![1]);
    dollars.currency = "USD".into();
    assert_eq!(model::promise_dates(&with(dollars)), vec![Some(date)]);
}
