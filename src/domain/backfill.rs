//! Collector activity logged before `owed` kept it: notes, calls, promises and disputes with their
//! own past dates, written in one go (the demo's history, a ledger moved in from another
//! tool). Plain data; the store writes it (`Activity::backfill_activity`), every
//! customer and document checked, all or nothing.

use super::calls::CallOutcome;
use super::{Date, Decimal};

/// What a collector logged.
#[derive(Debug, Clone, PartialEq)]
pub enum PastActivityKind {
    /// A free-text note.
    Note { text: String },
    /// A call and how it went, with what was said.
    Call { outcome: CallOutcome, text: String },
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
