//! The customers' replies to the reminders the dunning cycle sent them: a share of reminders
//! is answered from the customer's address within a few days, in words that fit what then
//! became of the documents (paid soon after, or not), and the collector read the replies of
//! all but the last few days (those wait in the Replies tab).

use chrono::NaiveDate;

use super::activities::Lives;
use super::customers::Customer;
use super::dates_money::shift;
use super::rng::Rng;
use crate::domain::backfill::{PastActivity, PastActivityKind, PastReply};

/// The share of reminders the customer answers.
const REPLY_CHANCE: f64 = 0.15;
/// Days from the reminder to the reply, at most.
const REPLY_WITHIN_DAYS: i64 = 4;
/// Replies received this many days before today or earlier have been read.
const READ_AFTER_DAYS: i64 = 5;
/// A reminder's documents all settled within this many days count as paid after it.
const PAID_WITHIN_DAYS: i64 = 14;

/// What a customer answers when the reminder's documents were paid soon after (`{doc}` the
/// first document's number, `{date}` the day the last one was settled).
const PAYING: [&str; 3] = [
    "Thank you for the reminder. {doc} is scheduled in our payment run of {date}.",
    "Apologies for the delay: {doc} has been approved and will be paid on {date}.",
    "Our AP team confirms {doc} is released for payment on {date}; the remittance will follow.",
];
/// What a customer answers when they did not pay soon after.
const NOT_PAYING: [&str; 4] = [
    "Could you send us a copy of {doc}? We cannot find it in our system.",
    "{doc} is waiting for approval by the budget owner. We will come back to you next week.",
    "Cash is tight this month. We will pay {doc} as soon as we can and will keep you posted.",
    "We need the purchase order number on {doc} before we can process it. Please resend.",
];

/// The customer's replies to its reminders among `activities` (its own, in date order), drawn
/// from `rng` after everything else of the customer so that nothing drawn before changes.
pub(super) fn draw_replies(
    customer: &Customer,
    lives: &Lives,
    today: NaiveDate,
    activities: &[PastActivity],
    rng: &mut Rng,
) -> Vec<PastActivity> {
    let mut out = Vec::new();
    for activity in activities {
        let PastActivityKind::Reminder(reminder) = &activity.kind else {
            continue;
        };
        if !rng.chance(REPLY_CHANCE) {
            continue;
        }
        let received = shift(activity.at, rng.int(0, REPLY_WITHIN_DAYS));
        let wording = rng.unit();
        if received > today {
            continue;
        }
        let docs: Vec<usize> = reminder
            .document_ids
            .iter()
            .filter_map(|id| lives.index_of(id))
            .collect();
        let Some(&first) = docs.first() else {
            continue;
        };
        let doc = &lives.ledger.docs[first].number;
        let settled = docs
            .iter()
            .map(|&i| lives.settled(i))
            .collect::<Option<Vec<NaiveDate>>>()
            .and_then(|days| days.into_iter().max())
            .filter(|&day| day > received && day <= shift(activity.at, PAID_WITHIN_DAYS));
        let pick = |texts: &[&'static str]| {
            texts[((wording * texts.len() as f64) as usize).min(texts.len() - 1)]
        };
        let body = match settled {
            Some(day) => pick(&PAYING).replace("{date}", &day.to_string()),
            None => pick(&NOT_PAYING).to_string(),
        }
        .replace("{doc}", doc);
        let read =
            (received <= shift(today, -READ_AFTER_DAYS)).then(|| shift(received, 1).min(today));
        out.push(PastActivity {
            customer_id: customer.id.clone(),
            collector: customer.finance_owner.to_string(),
            at: received,
            kind: PastActivityKind::Reply(PastReply {
                from: customer.email.clone(),
                subject: format!("Re: {}", reminder.subject),
                body: format!(
                    "Hello,\n\n{body}\n\nBest regards,\nAccounts payable, {}\n",
                    customer.name
                ),
                in_reply_to: activity.at,
                read,
            }),
        });
    }
    out
}
