//! The collectors' activity log as read back: a customer's timeline, and the queue's tabs.
//!
//! The timeline gathers every record of a customer — notes, calls, promises (with their
//! derived state), issues (with their resolves and reopens), follow-ups, owner changes,
//! reminders, replies, attachments, holds and their releases — newest first. The queue's tabs (promises due or broken,
//! follow-ups due, open disputes) are computed over every customer in a few indexed queries.
//!
//! This module also declares [`Activity`], the activity's type over the store; its other
//! methods live beside their SQL in `action_writes` (the collector actions),
//! `activity_log`, `attachments`, `issues`, `promises`, `search` and `team`.

use self::attachments::AttachmentView;
use self::issues::IssueView;
use self::promises::PromiseView;
use super::queue::PromiseFlag;
use super::{DOCUMENT_ORDER, Store};
use crate::domain::action_checks::OwnerRole;
use crate::domain::calls::CallOutcome;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::document::NamedDocument;
use crate::domain::promise::PromiseState;
use crate::domain::{Date, Decimal};
use crate::{Error, Result};
use rusqlite::{OptionalExtension, params};

pub use crate::domain::customer::CustomerCard;

pub mod action_writes;
pub mod activity_log;
pub mod attachments;
pub mod issues;
pub mod promises;
pub mod search;
pub mod team;

super::aggregate!(
    /// The collectors' activity of a store — notes, calls, promises, issues, follow-ups, owner
    /// changes, attachments, the activity log and its search index, and the team's figures
    /// read from them — read over `&Store` ([`Store::activity`]) and written over `&mut Store`
    /// ([`Store::activity_mut`]: the collector actions, one transaction each).
    Activity,
    activity,
    activity_mut,
    "collectors' activity"
);

/// The documents a record names, from SQLite's `json_group_array(json_array(did, id,
/// number))` (JSON, so that an id holding any character reads back whole).
pub(crate) fn named_documents(json: Option<&str>) -> Vec<NamedDocument> {
    let rows: Vec<(i64, String, Option<String>)> = json
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default();
    rows.into_iter()
        .map(|(did, id, number)| NamedDocument { did, id, number })
        .collect()
}

/// A note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteView {
    pub id: i64,
    pub at: String,
    pub collector: String,
    pub text: String,
}

/// A call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    pub id: i64,
    pub at: String,
    pub collector: String,
    pub outcome: CallOutcome,
    /// Who was called (or tried).
    pub contact: Option<String>,
    pub text: Option<String>,
    /// The follow-up scheduled with it.
    pub followup_id: Option<i64>,
}

/// A follow-up, done or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowupView {
    pub id: i64,
    pub cid: i64,
    pub at: String,
    pub collector: String,
    pub date: Date,
    pub text: String,
    /// When and by whom it was marked done.
    pub done: Option<(String, String)>,
}

/// A change of owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerChangeView {
    pub id: i64,
    pub at: String,
    pub collector: String,
    pub role: OwnerRole,
    pub old_owner: Option<String>,
    pub new_owner: String,
    /// Made by an import (a newer export of the billing system), not by `owed assign`: `at`
    /// and `collector` are the import's, `id` its change's in the log of imports.
    pub by_import: bool,
}

/// A reminder, as recorded by the engagement run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderView {
    pub id: i64,
    pub at: String,
    /// Who sent it (ran the send).
    pub collector: String,
    /// Who signed it: the customer's finance owner, else the sender (none when recorded
    /// before it was kept).
    pub signed_by: Option<String>,
    pub cycle: String,
    pub reminder: String,
    pub to: String,
    /// Who it was copied to; `None`: nobody.
    pub cc: Option<String>,
    pub subject: String,
    pub body: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Why it failed (the server's refusal, a template error), or why a pending one may not
    /// have been delivered; none once sent.
    pub error: Option<String>,
    pub sent_at: Option<String>,
    /// The day it was sent for (a back-dated run's as-of date; not its clock's).
    pub sent_date: Option<crate::domain::Date>,
    /// The day its run was for, sent or not (none when recorded before it was kept).
    pub run_date: Option<crate::domain::Date>,
    /// The documents it was about, claimed still or freed for a later run (failed or
    /// released).
    pub documents: Vec<NamedDocument>,
    /// Who released it by hand, and when (its `error` is still the run's).
    pub released: Option<crate::domain::engage::Released>,
}

/// A hold of the customer back from engagement (`owed engage hold`), or its release: a hold
/// until a day before the one it was placed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldView {
    pub id: i64,
    pub at: String,
    pub collector: String,
    /// The day it was placed on (the action's as-of day; none for holds placed before it was
    /// kept, which count from when they were written).
    pub placed: Option<Date>,
    /// The last day held back.
    pub until: Date,
    pub text: Option<String>,
    /// Whether it releases the customer rather than holding it back.
    pub release: bool,
}

/// A customer's reply, filed from the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyView {
    pub id: i64,
    pub at: String,
    pub received: Date,
    pub from: String,
    pub subject: String,
    pub body: String,
    pub read: bool,
    /// Whether the sender is among the customer's addresses or email domains (an unverified
    /// reply matched only by the Message-ID of a reminder, which anyone could have learnt).
    pub verified: bool,
    /// Who filed it (`owed inbox import`); none for a reply filed before this was kept.
    pub filed_by: Option<String>,
    /// When it was marked read (RFC 3339 UTC), and by whom (none for one read before who was
    /// kept).
    pub read_at: Option<String>,
    pub read_by: Option<String>,
}

/// One entry of a customer's timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Note(NoteView),
    Call(CallView),
    Promise(PromiseView),
    Issue(IssueView),
    Followup(FollowupView),
    Assign(OwnerChangeView),
    Reminder(ReminderView),
    Reply(ReplyView),
    Attachment(AttachmentView),
    Hold(HoldView),
}

impl Entry {
    /// The entry's kind as JSON names it: `note`, `call`, `promise`, `issue`, `followup`,
    /// `assign`, `reminder`, `reply`, `attachment`, `hold`.
    pub fn kind(&self) -> &'static str {
        match self {
            Entry::Note(_) => "note",
            Entry::Call(_) => "call",
            Entry::Promise(_) => "promise",
            Entry::Issue(_) => "issue",
            Entry::Followup(_) => "followup",
            Entry::Assign(_) => "assign",
            Entry::Reminder(_) => "reminder",
            Entry::Reply(_) => "reply",
            Entry::Attachment(_) => "attachment",
            Entry::Hold(_) => "hold",
        }
    }

    /// When it was recorded (RFC 3339 UTC).
    pub fn at(&self) -> &str {
        match self {
            Entry::Note(x) => &x.at,
            Entry::Call(x) => &x.at,
            Entry::Promise(x) => &x.at,
            Entry::Issue(x) => &x.at,
            Entry::Followup(x) => &x.at,
            Entry::Assign(x) => &x.at,
            Entry::Reminder(x) => &x.at,
            Entry::Reply(x) => &x.at,
            Entry::Attachment(x) => &x.at,
            Entry::Hold(x) => &x.at,
        }
    }

    /// The record's id within its kind.
    pub fn id(&self) -> i64 {
        match self {
            Entry::Note(x) => x.id,
            Entry::Call(x) => x.id,
            Entry::Promise(x) => x.id,
            Entry::Issue(x) => x.id,
            Entry::Followup(x) => x.id,
            Entry::Assign(x) => x.id,
            Entry::Reminder(x) => x.id,
            Entry::Reply(x) => x.id,
            Entry::Attachment(x) => x.id,
            Entry::Hold(x) => x.id,
        }
    }
}

/// A customer's whole activity as of a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub customer: CustomerCard,
    /// Newest first (by timestamp, then by kind and id, newest id first).
    pub entries: Vec<Entry>,
}

/// The queue's tabs as of a date: customer keys, sorted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueTabs {
    /// Customers whose latest promise's date has come (on or before the as-of date) and which
    /// is still open (within grace, not yet kept).
    pub promises_due: Vec<i64>,
    /// Customers whose latest promise is broken or partially kept.
    pub promises_broken: Vec<i64>,
    /// Customers with a follow-up not done whose date is on or before the as-of date.
    pub followups_due: Vec<i64>,
    /// Customers with an issue open at the as-of date.
    pub disputes: Vec<i64>,
}

/// One customer's flags for the queue (to refresh one row after an action).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerFlags {
    /// The state of the latest promise recorded by the as-of date, when its date has come.
    pub promise_due: Option<PromiseState>,
    /// The earliest date among the customer's open promises.
    pub next_promise_date: Option<Date>,
    /// Σ remaining of open promises, in the customer's currency.
    pub open_promise_amount: Decimal,
    /// The same in the base currency: what the customer adds to the metrics bar's
    /// `open_p2p_amount` (a view can update the total by the difference after an action).
    pub open_promise_base: Decimal,
    /// Σ amounts of open issues, in the customer's currency.
    pub open_issue_amount: Decimal,
    /// The same in the base currency (its share of `open_issue_amount`).
    pub open_issue_base: Decimal,
    pub open_issues: u64,
    pub followups_due: u64,
}

/// The owner changes that imports made, as rows of `owner_changes` (`id` the change's in the
/// log of imports, `at` and `collector` the import's). Kept apart: `owner_changes` holds the
/// collectors' reassignments alone, which later imports keep (`store::ledger::import`).
pub(crate) const IMPORT_OWNER_CHANGES: &str = "SELECT c.id, c.cid, i.at, i.actor AS collector,
        c.field AS role, c.old AS old_owner, ifnull(c.new, '—') AS new_owner
   FROM import_changes c JOIN imports i ON i.id = c.import_id
  WHERE c.field IN ('finance_owner', 'sales_owner')";

/// The tables of the customers' activity log, every record of which a backup and a restore
/// count (beside [`IMPORT_OWNER_CHANGES`], the owner changes imports made): the entries of a
/// customer's timeline — notes, calls, promises, issues, follow-ups, owner changes, reminders
/// (sent, failed or pending), replies, attachments, holds and their releases — and what was
/// done to them: voids, resolutions and reopenings, completions, reminders released by hand.
pub(crate) const ACTIVITY_TABLES: [&str; 14] = [
    "notes",
    "calls",
    "promises",
    "promise_voids",
    "issues",
    "issue_events",
    "followups",
    "followup_done",
    "owner_changes",
    "reminders",
    "reminder_releases",
    "replies",
    "attachments",
    "engagement_holds",
];

/// The append-only tables of the activity log, and the log of imports.
const RECORD_TABLES: [&str; 13] = [
    "notes",
    "calls",
    "promises",
    "promise_voids",
    "issues",
    "issue_events",
    "followups",
    "followup_done",
    "owner_changes",
    "attachments",
    "reminders",
    "replies",
    "imports",
];

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// How many records the activity log and the log of imports hold: the highest id of each
    /// of their tables, summed (append-only, so that is their count, read from each table's
    /// last row). Every record added raises it: `owed demo` compares it with the one at the
    /// demo's making to say what a rebuild replaces.
    pub fn records(&self) -> Result<u64> {
        let sum: Vec<String> = RECORD_TABLES
            .iter()
            .map(|t| format!("(SELECT coalesce(max(id), 0) FROM {t})"))
            .collect();
        let n: i64 = self
            .conn()
            .query_row(&format!("SELECT {}", sum.join(" + ")), [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// A customer's card by key.
    pub fn customer_card(&self, cid: i64, base: &str) -> Result<Option<CustomerCard>> {
        self.card_where("cid = ?1", &cid, base)
    }

    /// A customer's card by the billing system's id.
    pub fn customer_card_by_id(&self, id: &str, base: &str) -> Result<Option<CustomerCard>> {
        self.card_where("id = ?1", &id.trim(), base)
    }

    fn card_where(
        &self,
        cond: &str,
        arg: &dyn rusqlite::ToSql,
        base: &str,
    ) -> Result<Option<CustomerCard>> {
        let sql = format!(
            "SELECT cid, id, name, email, phone, currency, finance_owner, sales_owner
               FROM customers WHERE {cond}"
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([arg], |r| {
                Ok(CustomerCard {
                    cid: r.get(0)?,
                    id: r.get(1)?,
                    name: r.get(2)?,
                    email: r.get(3)?,
                    phone: r.get(4)?,
                    currency: r
                        .get::<_, Option<String>>(5)?
                        .unwrap_or_else(|| base.to_string()),
                    finance_owner: r.get(6)?,
                    sales_owner: r.get(7)?,
                })
            })
            .optional()?)
    }

    /// A customer's timeline as of `as_of` (what was recorded by then, its states derived as
    /// of then), newest first.
    pub fn timeline(&self, cid: i64, as_of: Date, grace_days: u32, base: &str) -> Result<Timeline> {
        let customer = self
            .customer_card(cid, base)?
            .ok_or_else(|| Error::input(format!("customer key {cid} does not exist")))?;
        let mut entries: Vec<Entry> = Vec::new();
        entries.extend(self.notes(cid)?.into_iter().map(Entry::Note));
        entries.extend(self.calls(cid)?.into_iter().map(Entry::Call));
        entries.extend(
            self.customer_promises(cid, as_of, grace_days, base)?
                .into_iter()
                .map(Entry::Promise),
        );
        entries.extend(
            self.customer_issues(cid, as_of, base)?
                .into_iter()
                .map(Entry::Issue),
        );
        entries.extend(self.followups(cid)?.into_iter().map(Entry::Followup));
        entries.extend(self.owner_changes(cid)?.into_iter().map(Entry::Assign));
        entries.extend(self.reminders(cid)?.into_iter().map(Entry::Reminder));
        entries.extend(self.replies(cid)?.into_iter().map(Entry::Reply));
        entries.extend(
            self.customer_attachments(cid)?
                .into_iter()
                .map(Entry::Attachment),
        );
        entries.extend(self.holds(cid)?.into_iter().map(Entry::Hold));
        // As of the date: what was written after it has not happened yet (a void, a resolve,
        // a note of a later day), as the workstation's detail and the activity export show it.
        let by = |at: &str| super::local_day(at).is_none_or(|day| day <= as_of);
        entries.retain_mut(|entry| match entry {
            Entry::Promise(p) => {
                p.void = p.void.take().filter(|v| by(&v.at));
                p.recorded <= as_of
            }
            Entry::Issue(i) => {
                i.events.retain(|e| e.date <= as_of);
                i.opened <= as_of
            }
            Entry::Reply(r) => r.received <= as_of,
            // From the day it was placed on, as the plan counts it.
            Entry::Hold(h) => match h.placed {
                Some(day) => day <= as_of,
                None => by(&h.at),
            },
            // By the day it was sent for: a back-dated run's reminder counts from its date,
            // sent or not (failed, or pending: its run's date).
            Entry::Reminder(r) => match r.sent_date.or(r.run_date) {
                Some(day) => day <= as_of,
                None => by(&r.at),
            },
            other => by(other.at()),
        });
        entries.sort_by(|a, b| {
            b.at()
                .cmp(a.at())
                .then_with(|| a.kind().cmp(b.kind()))
                .then_with(|| b.id().cmp(&a.id()))
        });
        Ok(Timeline { customer, entries })
    }

    /// A customer's notes, newest first.
    pub fn notes(&self, cid: i64) -> Result<Vec<NoteView>> {
        super::rows(
            self.conn(),
            "SELECT id, at, collector, text FROM notes WHERE cid = ?1 ORDER BY at DESC, id DESC",
            [cid],
            |r| {
                Ok(NoteView {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    collector: r.get(2)?,
                    text: r.get(3)?,
                })
            },
        )
    }

    /// A customer's calls, newest first.
    pub fn calls(&self, cid: i64) -> Result<Vec<CallView>> {
        super::rows(
            self.conn(),
            "SELECT id, at, collector, outcome, contact, text, followup_id FROM calls
              WHERE cid = ?1 ORDER BY at DESC, id DESC",
            [cid],
            |r| {
                let outcome: String = r.get(3)?;
                Ok(CallView {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    collector: r.get(2)?,
                    outcome: CallOutcome::parse(&outcome).unwrap_or(CallOutcome::Reached),
                    contact: r.get(4)?,
                    text: r.get(5)?,
                    followup_id: r.get(6)?,
                })
            },
        )
    }

    /// The number of notes of a customer (of all with `None`).
    pub fn note_count(&self, cid: Option<i64>) -> Result<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM notes WHERE ?1 IS NULL OR cid = ?1",
            [cid],
            |r| r.get(0),
        )?;
        Ok(n.unsigned_abs())
    }

    /// Notes and calls with something said (what a `note:` filter searches), of the customer
    /// `cid` or of all.
    pub fn written_count(&self, cid: Option<i64>) -> Result<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT (SELECT count(*) FROM notes WHERE ?1 IS NULL OR cid = ?1)
                  + (SELECT count(*) FROM calls
                      WHERE (?1 IS NULL OR cid = ?1) AND ifnull(text, '') <> '')",
            [cid],
            |r| r.get(0),
        )?;
        Ok(n.unsigned_abs())
    }

    /// A customer's follow-ups, latest date first.
    pub fn followups(&self, cid: i64) -> Result<Vec<FollowupView>> {
        super::rows(
            self.conn(),
            "SELECT f.id, f.cid, f.at, f.collector, f.due_date, f.text, d.at, d.collector
               FROM followups f LEFT JOIN followup_done d ON d.followup_id = f.id
              WHERE f.cid = ?1 ORDER BY f.due_date DESC, f.id DESC",
            [cid],
            followup_row,
        )
    }

    /// Follow-ups not done whose date is on or before `as_of`, of every customer, by date.
    pub fn followups_due(&self, as_of: Date) -> Result<Vec<FollowupView>> {
        super::rows(
            self.conn(),
            "SELECT f.id, f.cid, f.at, f.collector, f.due_date, f.text, NULL, NULL
               FROM followups f
              WHERE f.due_date <= ?1
                AND NOT EXISTS (SELECT 1 FROM followup_done d WHERE d.followup_id = f.id)
              ORDER BY f.due_date, f.id",
            [day_number(as_of)],
            followup_row,
        )
    }

    /// A customer's owner changes, by collectors and by imports, newest first.
    pub fn owner_changes(&self, cid: i64) -> Result<Vec<OwnerChangeView>> {
        super::rows(
            self.conn(),
            &format!(
                "SELECT id, at, collector, role, old_owner, new_owner, 0 FROM owner_changes
                  WHERE cid = ?1
                 UNION ALL
                 SELECT id, at, collector, role, old_owner, new_owner, 1
                   FROM ({IMPORT_OWNER_CHANGES}) WHERE cid = ?1
                 ORDER BY 2 DESC, 1 DESC"
            ),
            [cid],
            |r| {
                let role: String = r.get(3)?;
                Ok(OwnerChangeView {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    collector: r.get(2)?,
                    role: OwnerRole::parse(&role).unwrap_or(OwnerRole::Finance),
                    old_owner: r.get(4)?,
                    new_owner: r.get(5)?,
                    by_import: r.get(6)?,
                })
            },
        )
    }

    /// A customer's reminders with the documents each was about, newest first.
    pub fn reminders(&self, cid: i64) -> Result<Vec<ReminderView>> {
        super::rows(
            self.conn(),
            &format!(
                "SELECT r.id, r.at, r.collector, r.cycle, r.reminder, r.to_addr, r.subject, r.body,
                    r.status, r.sent_at, r.sent_date,
                    (SELECT json_group_array(json_array(did, id, number)) FROM
                       (SELECT d.did, d.id, d.number FROM documents d
                         WHERE d.did IN (SELECT did FROM reminder_documents WHERE reminder_id = r.id
                                         UNION
                                         SELECT did FROM reminder_documents_released
                                          WHERE reminder_id = r.id)
                         ORDER BY ifnull(d.due_date, d.doc_date), {DOCUMENT_ORDER})),
                    r.error, r.cc_addr, r.run_date, x.collector, x.at, s.name
               FROM reminders r LEFT JOIN reminder_releases x ON x.reminder_id = r.id
               LEFT JOIN reminder_signers s ON s.reminder_id = r.id
              WHERE r.cid = ?1 ORDER BY r.id DESC"
            ),
            [cid],
            |r| {
                let docs: Option<String> = r.get(11)?;
                Ok(ReminderView {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    collector: r.get(2)?,
                    signed_by: r.get(17)?,
                    cycle: r.get(3)?,
                    reminder: r.get(4)?,
                    to: r.get(5)?,
                    cc: r.get(13)?,
                    subject: r.get(6)?,
                    body: r.get(7)?,
                    status: r.get(8)?,
                    error: r.get(12)?,
                    sent_at: r.get(9)?,
                    sent_date: r
                        .get::<_, Option<i32>>(10)?
                        .map(crate::domain::date::from_day_number),
                    run_date: r
                        .get::<_, Option<i32>>(14)?
                        .map(crate::domain::date::from_day_number),
                    documents: named_documents(docs.as_deref()),
                    released: super::engage::outbox::released(r.get(15)?, r.get(16)?),
                })
            },
        )
    }

    /// A customer's holds and their releases, newest first.
    pub fn holds(&self, cid: i64) -> Result<Vec<HoldView>> {
        super::rows(
            self.conn(),
            "SELECT id, at, collector, from_date, until_date, text FROM engagement_holds
              WHERE cid = ?1 ORDER BY id DESC",
            [cid],
            |r| {
                let at: String = r.get(1)?;
                let placed = r.get::<_, Option<i32>>(3)?.map(from_day_number);
                let until = from_day_number(r.get(4)?);
                // A hold until a day before it was placed releases (the latest hold decides).
                // A hold written before holds had a day (schema 16) counts from always, as the
                // plan reads it: it is never a release.
                let release = placed.is_some_and(|d| until < d);
                Ok(HoldView {
                    id: r.get(0)?,
                    at,
                    collector: r.get(2)?,
                    placed,
                    until,
                    text: r.get(5)?,
                    release,
                })
            },
        )
    }

    /// A customer's replies, newest first.
    pub fn replies(&self, cid: i64) -> Result<Vec<ReplyView>> {
        super::rows(
            self.conn(),
            "SELECT y.id, y.at, y.received_date, y.from_addr, y.subject, y.body,
                    y.read_at IS NOT NULL, y.verified, f.collector, y.read_at, d.collector
               FROM replies y
               LEFT JOIN reply_filers f ON f.reply_id = y.id
               LEFT JOIN reply_readers d ON d.reply_id = y.id
              WHERE y.cid = ?1 ORDER BY y.received_date DESC, y.id DESC",
            [cid],
            |r| {
                Ok(ReplyView {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    received: from_day_number(r.get(2)?),
                    from: r.get(3)?,
                    subject: r.get(4)?,
                    body: r.get(5)?,
                    read: r.get(6)?,
                    verified: r.get(7)?,
                    filed_by: r.get(8)?,
                    read_at: r.get(9)?,
                    read_by: r.get(10)?,
                })
            },
        )
    }

    /// The queue's tabs as of `as_of`.
    pub fn queue_tabs(&self, as_of: Date, grace_days: u32) -> Result<QueueTabs> {
        // The activity the workstation's queue is built from: these lists are its tabs.
        let activity = self
            .store
            .queue()
            .customer_activity(as_of, grace_days, None)?;
        let mut tabs = QueueTabs {
            promises_due: Vec::new(),
            promises_broken: Vec::new(),
            followups_due: Vec::new(),
            disputes: Vec::new(),
        };
        for (&cid, a) in &activity {
            match a.promise {
                PromiseFlag::Due => tabs.promises_due.push(cid),
                PromiseFlag::Broken => tabs.promises_broken.push(cid),
                PromiseFlag::Open | PromiseFlag::None => {}
            }
            if a.followups_due > 0 {
                tabs.followups_due.push(cid);
            }
            if a.open_issues > 0 {
                tabs.disputes.push(cid);
            }
        }
        for list in [
            &mut tabs.promises_due,
            &mut tabs.promises_broken,
            &mut tabs.followups_due,
            &mut tabs.disputes,
        ] {
            list.sort_unstable();
        }
        Ok(tabs)
    }

    /// One customer's queue flags as of `as_of` (what an action on it may have changed).
    pub fn customer_flags(
        &self,
        cid: i64,
        as_of: Date,
        grace_days: u32,
        base: &str,
    ) -> Result<CustomerFlags> {
        let promises = self.customer_promises(cid, as_of, grace_days, base)?;
        let open: Vec<&PromiseView> = promises
            .iter()
            .filter(|p| p.progress.state == PromiseState::Open && p.recorded <= as_of)
            .collect();
        let latest = promises
            .iter()
            .find(|p| p.void.is_none() && p.recorded <= as_of);
        let issues: Vec<IssueView> = self
            .customer_issues(cid, as_of, base)?
            .into_iter()
            .filter(|i| {
                i.opened <= as_of && i.state == crate::domain::action_checks::IssueState::Open
            })
            .collect();
        let mut rates = crate::store::ledger::rates::RateCache::new(&self.store, base);
        let mut open_promise_base = Decimal::ZERO;
        for p in &open {
            open_promise_base += p.base_remaining(&mut rates)?;
        }
        let mut open_issue_base = Decimal::ZERO;
        for i in &issues {
            open_issue_base += i.base_amount(&mut rates)?;
        }
        let followups_due: i64 = self
            .conn()
            .prepare_cached(
                "SELECT count(*) FROM followups f WHERE f.cid = ?1 AND f.due_date <= ?2
                AND NOT EXISTS (SELECT 1 FROM followup_done d WHERE d.followup_id = f.id)",
            )?
            .query_row(params![cid, day_number(as_of)], |r| r.get(0))?;
        Ok(CustomerFlags {
            promise_due: latest.filter(|p| p.date <= as_of).map(|p| p.progress.state),
            next_promise_date: open.iter().map(|p| p.date).min(),
            open_promise_amount: open.iter().map(|p| p.progress.remaining).sum(),
            open_promise_base,
            open_issue_amount: issues.iter().map(|i| i.amount).sum(),
            open_issue_base,
            open_issues: issues.len() as u64,
            followups_due: followups_due.unsigned_abs(),
        })
    }
}

fn followup_row(r: &rusqlite::Row) -> rusqlite::Result<FollowupView> {
    let done_at: Option<String> = r.get(6)?;
    Ok(FollowupView {
        id: r.get(0)?,
        cid: r.get(1)?,
        at: r.get(2)?,
        collector: r.get(3)?,
        date: from_day_number(r.get(4)?),
        text: r.get(5)?,
        done: match done_at {
            Some(at) => Some((at, r.get(7)?)),
            None => None,
        },
    })
}
