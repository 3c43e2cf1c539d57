//! The collector's activity against the ledger it was drawn from: nothing known before it
//! happened, promises kept or broken by the receipts, disputes spread over the history.

use super::super::activities::FOLLOW_UP_LEFT_DAYS;
use super::*;
use crate::domain::calls::CallOutcome;

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
    // Collectors' activity: not the reminders the cycle sent.
    let share = |since: NaiveDate| {
        let engaged: HashSet<&str> = (p.activities.iter())
            .filter(|a| a.at >= since && a.kind.is_collectors())
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

    let (mut notes, mut calls, mut promises, mut disputes, mut resolved) = (0, 0, 0, 0, 0);
    // Follow-ups scheduled, and those open and due by today (the Follow-ups tab's).
    let mut followups = (0, 0);
    // Replies read, and unread (the Replies tab's).
    let mut replies = (0, 0);
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
    // (reminder, document) of every reminder: a document gets each reminder once.
    let mut reminded: HashSet<(&str, &str)> = HashSet::new();
    let mut steps: HashSet<&str> = HashSet::new();
    for (i, activity) in p.activities.iter().enumerate() {
        let customer = customers[activity.customer_id.as_str()];
        assert!(activity.at <= today());
        // Customer by customer, each in date order.
        match p.activities.get(i.wrapping_sub(1)) {
            Some(previous) if previous.customer_id == activity.customer_id => {
                assert!(previous.at <= activity.at)
            }
            _ => assert!(seen.insert(&activity.customer_id), "{customer:?} split"),
        }
        // A reply: from the customer's address, within 4 days of that day's reminder, which it
        // answers ("Re: " its subject), naming its first document; read a day later unless
        // received in the last 5 days.
        if let PastActivityKind::Reply(r) = &activity.kind {
            let answered = p.activities[..i]
                .iter()
                .rev()
                .take_while(|a| a.customer_id == activity.customer_id)
                .find_map(|a| match &a.kind {
                    PastActivityKind::Reminder(m) if a.at == r.in_reply_to => Some(m),
                    _ => None,
                })
                .expect("a reply answers a reminder sent before it");
            assert!((0..=4).contains(&(activity.at - r.in_reply_to).num_days()));
            assert_eq!(r.from, customer["email"]);
            assert_eq!(r.subject, format!("Re: {}", answered.subject));
            let first = documents[answered.document_ids[0].as_str()]["number"].as_str();
            assert!(r.body.contains(first), "{r:?}");
            // A date promised in it is the day the last of its documents was settled.
            let said = r.body.split_whitespace().find_map(|w| {
                NaiveDate::parse_from_str(w.trim_end_matches(['.', ';', ',']), "%Y-%m-%d").ok()
            });
            if let Some(day) = said {
                let last = (answered.document_ids.iter())
                    .map(|id| settled_on(id).expect("settled"))
                    .max();
                assert_eq!(last, Some(day), "{r:?}");
                assert!(
                    day > activity.at && day <= shift(r.in_reply_to, 14),
                    "{r:?}"
                );
            }
            match r.read {
                Some(read) => {
                    assert!(activity.at <= shift(today(), -5) && read > activity.at);
                    replies.0 += 1;
                }
                None => {
                    assert!(activity.at > shift(today(), -5));
                    replies.1 += 1;
                }
            }
            continue;
        }
        // The cycle's reminders: sent by the customer's collector on a Monday before today, to
        // the customer's address, about documents at least 4 days overdue and open that day.
        if let PastActivityKind::Reminder(r) = &activity.kind {
            assert_eq!(activity.collector, customer["finance_owner"]);
            assert!(activity.at < today() && activity.at >= shift(today(), -13 * 7));
            assert_eq!(activity.at.weekday(), chrono::Weekday::Mon);
            assert_eq!(r.to, customer["email"]);
            assert_eq!(r.cycle, "Standard dunning");
            check_documents(&r.document_ids, &activity.customer_id, activity.at);
            for id in &r.document_ids {
                let due = date(&documents[id.as_str()]["due_date"]);
                assert!((activity.at - due).num_days() > 3, "{activity:?}");
                assert!(
                    reminded.insert((&r.reminder, id)),
                    "{id} twice: {activity:?}"
                );
                assert!(r.body.contains(documents[id.as_str()]["number"].as_str()));
            }
            steps.insert(&r.reminder);
            continue;
        }
        assert_eq!(activity.collector, customer["finance_owner"]);
        match &activity.kind {
            PastActivityKind::Note { text } => {
                notes += 1;
                assert!(!text.is_empty());
            }
            PastActivityKind::Call {
                outcome,
                text,
                followup,
            } => {
                calls += 1;
                assert!(!text.is_empty());
                // The follow-up the call form proposes for its outcome, done on the customer's
                // next collector activity, open when none came.
                let proposed = outcome.proposed_followup(activity.at, None);
                assert_eq!(
                    followup.as_ref().map(|f| (f.due, f.text.clone())),
                    proposed,
                    "{activity:?}"
                );
                if let Some(f) = followup {
                    let next = p.activities[i + 1..]
                        .iter()
                        .take_while(|a| a.customer_id == activity.customer_id)
                        .filter(|a| a.kind.is_collectors())
                        .map(|a| a.at)
                        .find(|&at| at > activity.at);
                    let left = (today() - f.due).num_days() > FOLLOW_UP_LEFT_DAYS;
                    assert_eq!(f.done, next.or(left.then_some(f.due)), "{activity:?}");
                    // Open ones are recent.
                    if f.done.is_none() {
                        assert!(f.due >= shift(today(), -FOLLOW_UP_LEFT_DAYS));
                    }
                    followups.0 += 1;
                    followups.1 += u32::from(f.done.is_none() && f.due <= today());
                }
                // What was said goes with how the call went.
                let said = text.to_lowercase();
                match outcome {
                    CallOutcome::Voicemail => assert!(said.contains("voicemail"), "{text}"),
                    CallOutcome::NoAnswer => assert!(said.contains("no answer"), "{text}"),
                    _ => assert!(!said.contains("voicemail"), "{text}"),
                }
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
            PastActivityKind::Reminder(_) | PastActivityKind::Reply(_) => {
                unreachable!("checked above")
            }
        }
    }
    assert_eq!(
        steps,
        HashSet::from(["Friendly", "Firm", "Final notice"]),
        "every reminder of the cycle was sent"
    );
    assert!(notes > 0 && calls > notes, "{notes} notes, {calls} calls");
    assert!(notes + calls > promises);
    assert!(
        followups.0 > 0 && followups.1 > 0,
        "{followups:?} follow-ups scheduled, open and due"
    );
    assert!(
        replies.0 > replies.1 && replies.1 > 0,
        "{replies:?} replies read and unread"
    );
    assert!(promises > disputes && disputes > resolved && resolved > 0);
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
            PastActivityKind::Note { .. }
            | PastActivityKind::Call { .. }
            | PastActivityKind::Reminder(_)
            | PastActivityKind::Reply(_) => {}
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
    // Promises are taken every day, not most of the month's on today.
    let recorded = |days: i64| {
        (p.activities.iter())
            .filter(|a| matches!(a.kind, PastActivityKind::Promise { .. }))
            .filter(|a| a.at > shift(today(), -days))
            .count()
    };
    let (on_today, month) = (recorded(1), recorded(30));
    assert!(
        on_today * 8 < month,
        "{on_today} of the last 30 days' {month} promises recorded today"
    );
    // Disputes are on documents of every year of the history, not only today's.
    assert!(dispute_years.len() >= 3, "{dispute_years:?}");
}
