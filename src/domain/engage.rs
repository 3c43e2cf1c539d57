//! Engagement as the workstation lists it: holds in force and the outbox's reminders. Plain
//! data read by the store, shown by the engagement screen.

use super::Date;

/// A hold in force: a customer held back from every cycle until a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRow {
    pub cid: i64,
    pub customer_id: String,
    pub name: String,
    /// Last day of the hold.
    pub until: Date,
    pub collector: String,
    pub text: Option<String>,
    pub at: String,
}

/// A reminder row of the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub customer_id: String,
    pub at: String,
    pub cycle: String,
    pub reminder: String,
    pub to_addr: String,
    pub subject: String,
    pub status: String,
    pub error: Option<String>,
    pub message_id: Option<String>,
    pub sent_date: Option<Date>,
}
