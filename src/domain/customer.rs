//! A customer as the store reads it and the workstation shows it: the card the actions and
//! forms name, and the detail (who they are, documents, payments, the activity timeline) as of
//! a date. Plain data, no connection: the store fills it in, the workstation's service passes
//! it to every session, the screens draw it.

use super::{Date, Decimal};

/// A customer as the activity view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerCard {
    pub cid: i64,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The customer's currency (the base currency when the billing system gave none): the
    /// currency of its promises and issues.
    pub currency: String,
    pub finance_owner: Option<String>,
    pub sales_owner: Option<String>,
}

/// Who the customer is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerHeader {
    pub cid: i64,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub currency: Option<String>,
    pub finance_owner: Option<String>,
    pub sales_owner: Option<String>,
    pub payment_terms_days: Option<i64>,
    /// In the customer's currency.
    pub credit_limit: Option<Decimal>,
    pub auto_collection: Option<bool>,
    pub payment_source_status: Option<String>,
    pub subscription_status: Option<String>,
}

/// A document of the customer as of the date.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailDocument {
    pub id: String,
    pub number: Option<String>,
    /// `invoice`, `debit_note` or `credit_note`.
    pub kind: String,
    pub doc_date: Date,
    pub due_date: Option<Date>,
    pub amount: Decimal,
    /// Open balance (credit left, for a credit note) at the as-of date.
    pub balance: Decimal,
    pub currency: String,
    /// In an issue open at the as-of date.
    pub disputed: bool,
    /// In a promise to pay not voided whose date (plus grace) has not passed.
    pub promised: bool,
    /// The billing system's balance differs from ours.
    pub mismatch: bool,
}

/// A payment or payment attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailPayment {
    pub id: String,
    pub date: Date,
    pub amount: Decimal,
    pub currency: String,
    pub status: String,
    pub method: Option<String>,
    pub failure_reason: Option<String>,
}

/// What kind of activity an entry of the timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityKind {
    Note,
    Promise,
    PromiseVoided,
    Issue,
    IssueResolved,
    IssueReopened,
    FollowUp,
    FollowUpDone,
    Reminder,
    Reply,
    /// A reply whose sender is not among the customer's addresses or email domains.
    UnverifiedReply,
    OwnerChange,
}

impl ActivityKind {
    /// A short label for the timeline.
    pub fn label(self) -> &'static str {
        match self {
            ActivityKind::Note => "note",
            ActivityKind::Promise => "promise",
            ActivityKind::PromiseVoided => "void",
            ActivityKind::Issue => "issue",
            ActivityKind::IssueResolved => "resolved",
            ActivityKind::IssueReopened => "reopened",
            ActivityKind::FollowUp => "follow-up",
            ActivityKind::FollowUpDone => "done",
            ActivityKind::Reminder => "reminder",
            ActivityKind::Reply => "reply",
            ActivityKind::UnverifiedReply => "reply (?)",
            ActivityKind::OwnerChange => "owner",
        }
    }
}

/// One entry of the activity timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityEntry {
    /// The day it counts for (recorded, opened, sent, received).
    pub date: Date,
    /// The timestamp it was written at (orders entries of the same day).
    pub at: String,
    pub kind: ActivityKind,
    /// The collector, or the sender of a reply.
    pub who: String,
    pub text: String,
}

/// Everything the detail shows about one customer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerDetail {
    pub header: CustomerHeader,
    /// Open documents first (oldest due first), then settled ones (newest first).
    pub documents: Vec<DetailDocument>,
    /// Newest first.
    pub payments: Vec<DetailPayment>,
    /// Date of the last successful payment on or before the as-of date.
    pub last_paid: Option<Date>,
    /// Newest first.
    pub activity: Vec<ActivityEntry>,
}
