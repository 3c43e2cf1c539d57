//! Engagement in the workstation's service: what a session asks of the engagement worker
//! ([`EngageRequest`]) and what it answers ([`EngageResponse`]), in plain view types.
//!
//! - [`worker`]: the engagement worker, a thread per session that takes plans, renders
//!   previews, holds customers and sends over SMTP, so that nothing slow runs on the input
//!   path; it holds nothing between requests. Every request carries a number; the session
//!   drops answers to an abandoned request, except the outcomes of a send.
//! - [`plans`]: today's plan, computed once for the sessions that ask while nothing is
//!   committed, on a thread and a connection of its own, and kept once.

pub mod plans;
pub mod worker;

use crate::domain::engage::{HoldRow, OutboxRow};
use crate::domain::{Date, Decimal};
use crate::engage::plan::{Plan, PlanEntry};
use crate::engage::report::EngagementReport;
use std::path::PathBuf;

/// A plan entry's identity: its cycle, reminder and customer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlanKey {
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
}

impl PlanKey {
    /// The key of a plan's entry.
    pub fn of(e: &PlanEntry) -> PlanKey {
        PlanKey {
            cycle: e.cycle.clone(),
            reminder: e.reminder.clone(),
            customer_id: e.customer_id.clone(),
        }
    }
}

/// A template a collector can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateInfo {
    /// The plain-text template's file (it identifies the template to the worker).
    pub path: PathBuf,
    /// The file name without extension (`friendly`).
    pub name: String,
    /// The cycles' reminders that use it (`Standard dunning / Friendly`).
    pub used_by: Vec<String>,
    /// An HTML alternative sits beside it.
    pub has_html: bool,
    /// Why the picker may start on it for the customers it is picked for.
    pub hint: Option<TemplateHint>,
}

/// What makes a template the likely pick for a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateHint {
    /// Today's plan has its reminder for the customer (the picker starts on it).
    Planned,
    /// Nothing is planned: its reminder is the last a cycle sent the customer.
    SentLast,
}

/// An email, or a text message, as it would be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewMail {
    /// The From line (for a text message, `[sms] from`).
    pub from: String,
    /// The customer's addresses as stored (for a text message, the number it goes to).
    pub to: String,
    /// The subject (for a text message, its first line, as the outbox keeps it).
    pub subject: String,
    /// The plain-text body (for a text message, the text sent: `NAME.sms.txt`).
    pub text: String,
    pub has_html: bool,
    /// A text message (`channel = "sms"`), not an email.
    pub text_message: bool,
    pub cycle: String,
    pub reminder: String,
    /// The documents it chases (numbers, else ids), oldest due first.
    pub documents: Vec<String>,
    /// Why it is too large to send well, when its rendering is larger than
    /// [`crate::engage::template::LARGE_REMINDER_BYTES`] (the reminder, the customer and the
    /// size): the preview and the confirmation say it.
    pub too_large: Option<String>,
    /// What the statement it attaches prints as empty boxes
    /// ([`crate::engage::outbox::statement_unprinted`]): the preview and the confirmation say
    /// it.
    pub statement_unprinted: Option<String>,
}

/// One customer's email for the preview, or why it cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewItem {
    pub cid: i64,
    pub customer_id: String,
    pub name: String,
    /// The plan entry it renders, for a planned reminder.
    pub key: Option<PlanKey>,
    pub mail: Result<PreviewMail, String>,
}

/// What became of one reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    /// Delivered: the server accepted it.
    Sent { message_id: String, to: String },
    /// Its documents were already claimed (sent earlier today, or by another run): nothing
    /// was sent.
    AlreadySent,
    /// Certainly not delivered.
    Failed(String),
    /// No longer due when its turn came (paid, disputed, held or promised since the send
    /// began), or no longer in the plan when the send began: not sent, nothing claimed; why.
    Withdrawn(String),
    /// Maybe delivered: left pending in the outbox, never resent automatically.
    Unknown(String),
}

impl SendResult {
    /// Whether the message went out.
    pub fn is_sent(&self) -> bool {
        matches!(self, SendResult::Sent { .. })
    }
}

/// What became of one customer's reminder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub cid: Option<i64>,
    pub customer_id: String,
    pub name: String,
    pub result: SendResult,
}

/// A line of today's plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRow {
    pub key: PlanKey,
    pub cid: i64,
    pub name: String,
    /// The customer's finance owner (`None`: it has none).
    pub owner: Option<String>,
    /// The customer's addresses as stored.
    pub to: String,
    /// The documents (numbers, else ids), oldest due first.
    pub documents: Vec<String>,
    /// Their balance in the base currency.
    pub balance: Decimal,
    /// Days overdue of the oldest.
    pub days_overdue: i64,
}

/// A due reminder that cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    pub cid: Option<i64>,
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
    pub name: String,
    /// The customer's finance owner (`None`: it has none).
    pub owner: Option<String>,
    pub reason: String,
}

/// Today's plan with what stands beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanData {
    pub as_of: Date,
    /// Cycles read.
    pub cycles: usize,
    /// Why no cycle could be read (no folder, a bad rule): the plan is then empty, and the
    /// holds and the outbox are still shown.
    pub cycles_error: Option<String>,
    /// Sorted by cycle, reminder and customer id.
    pub entries: Vec<PlanRow>,
    pub skipped: Vec<SkippedRow>,
    /// Holds in force.
    pub held: Vec<HoldRow>,
    /// Customers paused by an open promise.
    pub paused: usize,
    /// Reminders not sent (pending, failed), newest first, then the latest sent.
    pub outbox: Vec<OutboxRow>,
    /// The finance owner whose customers the plan, skipped and held rows are (`None`:
    /// everyone's).
    pub owner: Option<String>,
    /// Why nothing would be sent on this date: the ledger is stale (see
    /// [`crate::engage::ledger_age`]).
    pub stale_ledger: Option<String>,
}

/// A plan's lines as the engagement screen shows them: the reminders it sends (balances in
/// `base`), and the due ones it skips.
pub fn plan_rows(plan: &Plan, base: &str) -> (Vec<PlanRow>, Vec<SkippedRow>) {
    plan_rows_of(plan, base, |_| true)
}

/// The lines of [`plan_rows`] of the customers `theirs` takes (by key).
pub fn plan_rows_of(
    plan: &Plan,
    base: &str,
    theirs: impl Fn(i64) -> bool,
) -> (Vec<PlanRow>, Vec<SkippedRow>) {
    let entries = plan
        .entries
        .iter()
        .filter(|e| theirs(e.cid))
        .map(|e| PlanRow {
            key: PlanKey::of(e),
            cid: e.cid,
            name: e.customer_name.clone(),
            owner: e.owner.clone(),
            to: e.to.clone(),
            documents: e.document_names(),
            balance: e.base_balance(base),
            days_overdue: e.days_overdue,
        })
        .collect();
    let skipped = plan
        .skipped
        .iter()
        .filter(|s| theirs(s.entry.cid))
        .map(|s| SkippedRow {
            cid: Some(s.entry.cid),
            cycle: s.cycle.clone(),
            reminder: s.reminder.clone(),
            customer_id: s.customer_id.clone(),
            name: s.entry.customer_name.clone(),
            owner: s.entry.owner.clone(),
            reason: s.reason.clone(),
        })
        .collect();
    (entries, skipped)
}

/// A plan's rows (from [`plan_rows`]; of `owner`'s customers when named) as `owed export
/// plan` writes them, counted as the reminders.
pub fn plan_export(
    entries: &[PlanRow],
    skipped: &[SkippedRow],
    as_of: Date,
    base: &str,
    owner: Option<&str>,
) -> crate::Result<crate::export::Prepared> {
    use crate::export::views::{PlanLine, SkippedLine};
    let lines: Vec<PlanLine> = entries
        .iter()
        .map(|e| PlanLine {
            cycle: e.key.cycle.clone(),
            reminder: e.key.reminder.clone(),
            customer_id: e.key.customer_id.clone(),
            customer: e.name.clone(),
            owner: e.owner.clone(),
            to: e.to.clone(),
            documents: e.documents.clone(),
            open: e.balance,
            days_overdue: e.days_overdue,
        })
        .collect();
    let skipped: Vec<SkippedLine> = skipped
        .iter()
        .map(|s| SkippedLine {
            cycle: s.cycle.clone(),
            reminder: s.reminder.clone(),
            customer_id: s.customer_id.clone(),
            customer: s.name.clone(),
            owner: s.owner.clone(),
            reason: s.reason.clone(),
        })
        .collect();
    crate::export::screen::plan(&lines, &skipped, as_of, base, owner)
}

/// A question for the engagement worker.
#[derive(Debug, Clone, PartialEq)]
pub enum EngageRequest {
    /// The templates a collector can pick (the cycles are read again), each saying whether
    /// the plan as of `as_of` has its reminder for one of `cids`.
    Templates {
        seq: u64,
        as_of: Date,
        cids: Vec<i64>,
    },
    /// Renders `template` for each customer, as a reminder sent by hand.
    Preview {
        seq: u64,
        as_of: Date,
        template: PathBuf,
        cids: Vec<i64>,
    },
    /// Renders planned reminders (from the last plan of that date).
    PreviewPlanned {
        seq: u64,
        as_of: Date,
        keys: Vec<PlanKey>,
    },
    /// Sends `template` to each customer by hand (after the collector confirmed).
    Send {
        seq: u64,
        as_of: Date,
        template: PathBuf,
        cids: Vec<i64>,
    },
    /// Sends planned reminders now (the plan is computed again first).
    SendPlanned {
        seq: u64,
        as_of: Date,
        keys: Vec<PlanKey>,
    },
    /// Today's plan, the holds and the outbox; with `owner`, only the plan's reminders,
    /// skipped ones and holds of that finance owner's customers (the outbox stays whole).
    Plan {
        seq: u64,
        as_of: Date,
        owner: Option<String>,
    },
    /// Holds customers back from every cycle until a date (inclusive).
    Hold {
        seq: u64,
        /// The session's date: the hold counts from it.
        as_of: Date,
        cids: Vec<i64>,
        until: Date,
        text: Option<String>,
    },
    /// The engagement report.
    Report { seq: u64, as_of: Date },
}

/// An answer from the engagement worker.
#[derive(Debug, Clone, PartialEq)]
pub enum EngageResponse {
    Templates {
        seq: u64,
        result: Result<Vec<TemplateInfo>, String>,
        /// The customers asked about that a manager holds back from the cycles, one sentence
        /// each (`Kite Supplies (K1) is held back from engagement until …`): a reminder by
        /// hand still goes, and the collector should know before writing one.
        held: Vec<String>,
    },
    Previews {
        seq: u64,
        result: Result<Vec<PreviewItem>, String>,
    },
    /// One reminder of a send went out, or did not.
    Sent { seq: u64, outcome: SendOutcome },
    /// A send finished; `error` says why it stopped early or could not start.
    SendDone { seq: u64, error: Option<String> },
    Plan {
        seq: u64,
        result: Result<Box<PlanData>, String>,
    },
    /// A hold placed: how many customers it was written for. A past last day releases
    /// the customers held, and writes nothing for those that were not (`not_held`).
    Held {
        seq: u64,
        until: Date,
        /// How many customers were held or released.
        result: Result<usize, String>,
        /// Which: the customers held or released.
        written: Vec<i64>,
        /// The customers a release found not held (nothing written for them).
        not_held: Vec<i64>,
    },
    Report {
        seq: u64,
        result: Result<Box<EngagementReport>, String>,
    },
}
