//! Collector activity logged before `owed` kept it: notes, calls, promises, disputes,
//! reminders and the customers' replies, with their own past dates, written in one go (the
//! demo's history, a ledger moved in from another tool). Plain data; the store writes it
//! (`Activity::backfill_activity`), every customer and document checked, all or nothing.

use super::calls::CallOutcome;
use super::{Date, Decimal};

/// What a collector logged.
#[derive(Debug, Clone, PartialEq)]
pub enum PastActivityKind {
    /// A free-text note.
    Note { text: String },
    /// A call and how it went, with what was said, and the follow-up it scheduled.
    Call {
        outcome: CallOutcome,
        text: String,
        followup: Option<PastFollowUp>,
    },
    /// An email reminder of an engagement cycle, sent on the activity's day about documents
    /// (each gets that reminder of that cycle once).
    Reminder(PastReminder),
    /// The customer's email answering a reminder, received on the activity's day.
    Reply(PastReply),
    /// A promise to pay `amount` by `date` (which may lie in the next few weeks).
    Promise {
        amount: Decimal,
        date: Date,
        document_ids: Vec<String>,
    },
    /// A dispute on documents, opened on the activity's day; `resolved` tells when and how it
    /// was closed, if it was.
    Dispute {
        reason: String,
        amount: Decimal,
        document_ids: Vec<String>,
        resolved: Option<PastResolution>,
    },
}

/// A reminder sent before `owed` kept them (the demo's history of its example cycles).
#[derive(Debug, Clone, PartialEq)]
pub struct PastReminder {
    pub cycle: String,
    pub reminder: String,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub document_ids: Vec<String>,
}

impl PastActivityKind {
    /// Whether a collector logged it (a note, a call, a promise, a dispute), rather than the
    /// cycle sending it or the customer writing.
    pub fn is_collectors(&self) -> bool {
        !matches!(
            self,
            PastActivityKind::Reminder(_) | PastActivityKind::Reply(_)
        )
    }
}

/// A customer's reply to a reminder, from its own address.
#[derive(Debug, Clone, PartialEq)]
pub struct PastReply {
    pub from: String,
    pub subject: String,
    pub body: String,
    /// The day of the reminder it answers (that day's reminder to the customer).
    pub in_reply_to: Date,
    /// When a collector read it (`None`: still unread, in the Replies tab).
    pub read: Option<Date>,
}

/// A follow-up a past call scheduled, and when it was marked done (`None`: still open).
#[derive(Debug, Clone, PartialEq)]
pub struct PastFollowUp {
    pub due: Date,
    pub text: String,
    pub done: Option<Date>,
}

/// How and when a past dispute was resolved (after the day it was opened).
#[derive(Debug, Clone, PartialEq)]
pub struct PastResolution {
    pub date: Date,
    pub text: String,
}

/// One collector activity on a customer, logged on its day.
#[derive(Debug, Clone, PartialEq)]
pub struct PastActivity {
    pub customer_id: String,
    /// The customer's finance owner.
    pub collector: String,
    pub at: Date,
    pub kind: PastActivityKind,
}
