//! A customer as the store reads it and the workstation shows it: the card the actions and
//! forms name, and the detail (who they are, documents, payments, the activity timeline) as of
//! a date. Plain data, no connection: the store fills it in, the workstation's service passes
//! it to every session, the screens draw it.

use super::document::DocumentKind;
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

/// A customer as the billing system exported it (its row of `customers.csv`), with its owners
/// as a collector may have reassigned them: who the detail shows, what the engagement's rules
/// and templates read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Customer {
    pub cid: i64,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The customer's own currency, if the billing data gives one.
    pub currency: Option<String>,
    /// As imported, or as a collector reassigned it (`owed assign` writes the column, and
    /// re-imports keep a reassigned owner).
    pub finance_owner: Option<String>,
    pub sales_owner: Option<String>,
    pub payment_terms_days: Option<i64>,
    /// In the customer's currency.
    pub credit_limit: Option<Decimal>,
    pub auto_collection: Option<bool>,
    pub primary_payment_method: Option<String>,
    pub backup_payment_method: Option<String>,
    pub payment_source_status: Option<String>,
    pub subscription_status: Option<String>,
    pub card_last4: Option<String>,
    /// `cf_*` fields as JSON, read only when asked for.
    pub custom: Option<String>,
}

/// A document of the customer as of the date.
#[derive(Debug, Clone, PartialEq)]
pub struct DetailDocument {
    pub id: String,
    pub number: Option<String>,
    /// `invoice`, `debit_note` or `credit_note`.
    pub kind: DocumentKind,
    pub doc_date: Date,
    pub due_date: Option<Date>,
    pub amount: Decimal,
    /// Open balance (credit left, for a credit note) at the as-of date.
    pub balance: Decimal,
    pub currency: String,
    /// In an issue open at the as-of date.
    pub disputed: bool,
    /// Held out of dunning by a dispute resolved `valid` or `written_off` (none open on it).
    pub held: Option<DisputeHold>,
    /// In a promise to pay not voided whose date (plus grace) has not passed.
    pub promised: bool,
    /// The billing system's balance differs from ours.
    pub mismatch: bool,
}

/// Why a document no open dispute is on is held out of dunning: a dispute on it was resolved
/// `valid` (billing owes a credit) or `written_off`, and it stays out until billing settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeHold {
    /// The issue's id.
    pub issue: i64,
    /// `valid` or `written_off`.
    pub outcome: String,
    /// The resolve's date.
    pub resolved: Date,
}

impl DisputeHold {
    /// The reason in words: "held: dispute 12 resolved written off on 2026-04-02, until
    /// billing settles it".
    pub fn reason(&self) -> String {
        let outcome = self.outcome.replace('_', " ");
        let outcome = crate::domain::text::one_line(&outcome);
        format!(
            "held: dispute {} resolved {outcome} on {}, until billing settles it",
            self.issue, self.resolved
        )
    }
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
    Call,
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
    /// A file kept with the customer (`owed attach`, a lockbox cheque image).
    Attachment,
    /// Held back from engagement until a date (`owed engage hold`).
    Hold,
    /// A hold released (a hold until a date before the day it was placed).
    HoldReleased,
}

impl ActivityKind {
    /// A short label for the timeline.
    pub fn label(self) -> &'static str {
        match self {
            ActivityKind::Note => "note",
            ActivityKind::Call => "call",
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
            ActivityKind::Attachment => "attachment",
            ActivityKind::Hold => "hold",
            ActivityKind::HoldReleased => "released",
        }
    }
}

/// The record a timeline entry is about, with what can still be done to it as of the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryRecord {
    Note(i64),
    /// A promise to pay; `voided`: by the as-of date (else it can be voided).
    Promise {
        id: i64,
        voided: bool,
    },
    /// An issue / dispute; `open` at the as-of date (else it can be reopened).
    Issue {
        id: i64,
        open: bool,
    },
    /// A follow-up; `done` by the as-of date (else it can be marked done); `due`: its date
    /// reached by then (an open one due is what puts the customer in the Follow-ups tab).
    FollowUp {
        id: i64,
        done: bool,
        due: bool,
    },
}

impl EntryRecord {
    /// What the record is, in a sentence: `follow-up`, `promise`, `issue`, `note`.
    pub fn noun(self) -> &'static str {
        match self {
            EntryRecord::Note(_) => "note",
            EntryRecord::Promise { .. } => "promise",
            EntryRecord::Issue { .. } => "issue",
            EntryRecord::FollowUp { .. } => "follow-up",
        }
    }

    /// The record's number (what `owed done 3` or `owed resolve 3` takes).
    pub fn id(self) -> i64 {
        match self {
            EntryRecord::Note(id)
            | EntryRecord::Promise { id, .. }
            | EntryRecord::Issue { id, .. }
            | EntryRecord::FollowUp { id, .. } => id,
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
    /// The note, promise, issue or follow-up it is about (none for reminders, replies and
    /// owner changes, which nothing in the timeline acts on).
    pub record: Option<EntryRecord>,
    /// Its place among the entries of the same second: an event's own id (a void's, a
    /// resolve's or reopen's, a completion's), 0 for the records themselves. What is done to
    /// a record comes after it, and events in the order written (a resolve, a reopen and a
    /// resolve again of one second stay in that order).
    pub seq: i64,
}

/// Everything the detail shows about one customer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerDetail {
    pub header: Customer,
    /// Every open document (oldest due first), then the newest settled ones (newest first).
    pub documents: Vec<DetailDocument>,
    /// How many documents the customer has by the as-of date, open and settled (more than
    /// `documents` when older settled ones are left out).
    pub documents_total: u64,
    /// The newest, newest first.
    pub payments: Vec<DetailPayment>,
    /// How many payments and failed attempts the customer has by the as-of date.
    pub payments_total: u64,
    /// Date of the last successful payment on or before the as-of date.
    pub last_paid: Option<Date>,
    /// Newest first: the newest entries, then older open issues, open promises and
    /// follow-ups not done.
    pub activity: Vec<ActivityEntry>,
    /// How many timeline entries the customer has by the as-of date (more than `activity`
    /// when older ones are left out).
    pub activity_total: u64,
    /// The customer's attachments, newest first (the detail opens them).
    pub attachments: Vec<AttachmentInfo>,
    /// The customer's contacts (`contacts.csv`), the primary billing contact first.
    pub contacts: Vec<Contact>,
}

/// A person of a customer (`contacts.csv`). Every text is from outside: shown through
/// `domain::text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: String,
    pub phone: Option<String>,
    /// `billing`, `escalation`, `ap`, `sales` or `other`.
    pub role: String,
    pub primary: bool,
}

impl Contact {
    /// Whom a call reached, as the call form offers it and the call log keeps it: the name
    /// and the number dialled (`Maria Lind, +46 8 123 45`), else the name and the address
    /// (`Maria Lind <maria@kite.example>`), the number or address alone without a name. On
    /// one line, every control character made visible (the contact's name refuses them).
    pub fn call_label(&self) -> String {
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty());
        let phone = self
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty());
        let email = self.email.trim();
        let label = match (name, phone) {
            (Some(n), Some(p)) => format!("{n}, {p}"),
            (Some(n), None) => format!("{n} <{email}>"),
            (None, Some(p)) => p.to_string(),
            (None, None) => email.to_string(),
        };
        super::text::one_line(&label).into_owned()
    }
}

/// An attachment of the customer, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub id: i64,
    /// From outside: shown through `domain::text`.
    pub name: String,
    pub bytes: u64,
    /// The payment it came with (a lockbox cheque), if any.
    pub payment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(name: Option<&str>, email: &str, phone: Option<&str>) -> Contact {
        Contact {
            name: name.map(str::to_string),
            email: email.into(),
            phone: phone.map(str::to_string),
            role: "billing".into(),
            primary: false,
        }
    }

    #[test]
    fn a_call_label_is_the_name_and_the_number_else_the_address() {
        let c = |n, e, p| contact(n, e, p).call_label();
        assert_eq!(
            c(Some("Maria Lind"), "m@kite.example", Some(" +46 8 123 ")),
            "Maria Lind, +46 8 123"
        );
        assert_eq!(
            c(Some("Maria Lind"), "m@kite.example", Some("  ")),
            "Maria Lind <m@kite.example>"
        );
        assert_eq!(c(Some(" "), "m@kite.example", Some("+1 5")), "+1 5");
        assert_eq!(c(None, "m@kite.example", None), "m@kite.example");
        // From outside: on one line, every control character shown, so the call's contact
        // name (which refuses them) takes it.
        let hostile = c(Some("Eve\n\u{1b}[2J\u{202e}"), "e@x.example", None);
        assert_eq!(hostile, "Eve↵␛[2J<U+202E> <e@x.example>");
        assert!(crate::domain::text::check_name(&hostile).is_ok());
    }
}
