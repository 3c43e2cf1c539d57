//! The whole activity log as of a date, one record a row, with its customer: notes,
//! promises and their voids, issues and their resolves and reopens (with their outcomes),
//! follow-ups and their completions, calls, attachments, reminders (sent, failed or pending,
//! with their recipients and errors), replies received, owner changes, and holds back from
//! engagement and their releases (the activity export).
//!
//! Streamed from one `UNION ALL` ordered by day, timestamp and the order written: nothing is
//! collected, so the log of 100k customers costs its sort, not its size in memory.

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::{Date, Decimal, money};
use crate::store::Activity;
use crate::store::activity::IMPORT_OWNER_CHANGES;
use crate::store::queue::day_of;
use crate::store::{DOCUMENT_ORDER, Store};
use rusqlite::params;

/// Which records of the log: of one customer, of the days from `from` through `to` (each
/// record by its own date, as the export's `date` column gives it), recorded by one person
/// (`by`, without regard to case, as owners are compared); each `None`: every one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogScope {
    pub cid: Option<i64>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub by: Option<String>,
}

impl LogScope {
    /// Every record of the customer `cid`.
    pub fn customer(cid: i64) -> LogScope {
        LogScope {
            cid: Some(cid),
            ..LogScope::default()
        }
    }
}

/// One record of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// The day it counts for (recorded, opened, sent, received).
    pub date: Date,
    /// When it was written (UTC timestamp).
    pub at: String,
    /// `note`, `promise`, `promise voided`, `issue`, `issue resolved`, `issue reopened`,
    /// `follow-up`, `follow-up done`, `reminder`, `reply`, `reply (unverified sender)`,
    /// `owner change`, `call`, `attachment`, `hold`, `hold released`.
    pub kind: &'static str,
    pub customer_id: String,
    pub customer_name: String,
    /// The collector, or the sender of a reply.
    pub who: String,
    /// What it says: the note, the promise's or issue's text, the reminder's subject…
    pub text: String,
    /// The promise's or issue's amount, in the customer's currency.
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    /// The promised date, the follow-up's due date, or the last day of a hold.
    pub due: Option<Date>,
    /// The issue's reason, the reminder's cycle and step, the owner role changed, the call's
    /// outcome and whom it reached, the attachment's file name.
    pub detail: Option<String>,
    /// The id of the promise, issue, follow-up, reminder, reply or note (what `owed resolve`,
    /// `owed done`, `owed void-promise` take).
    pub record: i64,
    /// The row's own id, unique in the log and the same in every export: what it is
    /// (`note`, `promise-void`, `issue-event` for a resolve or a reopen, `owner-change` for a
    /// collector's or manager's, `import-change` for an import's, …), a hyphen and its id in
    /// its table (a resolve's or reopen's own, its issue's being `record`; a void's, a
    /// completion's; else `record`). The ids of one table rise in the order written
    /// (resolves and reopens share theirs), so rows of the same second can be told apart and
    /// put back in order.
    pub event_id: String,
    /// A reminder's status: `sent`, `pending` or `failed`.
    pub status: Option<String>,
    /// Why a reminder failed, or why a pending one may not have been delivered.
    pub error: Option<String>,
    /// A resolve's outcome as `owed resolve --outcome` names it: `valid`, `invalid` or
    /// `written_off`.
    pub outcome: Option<String>,
    /// A reminder's recipient, and who it was copied to.
    pub to: Option<String>,
    pub cc: Option<String>,
    /// The documents a promise, an issue, a reminder or an attachment names (ids).
    pub documents: Vec<String>,
}

/// The kinds in the order of the `kind` codes the query returns.
const KINDS: [&str; 17] = [
    "note",
    "promise",
    "promise voided",
    "issue",
    "issue resolved",
    "issue reopened",
    "follow-up",
    "follow-up done",
    "reminder",
    "reply",
    "reply (unverified sender)",
    "owner change",
    "call",
    "attachment",
    "hold",
    "hold released",
    "record",
];

/// The ids of the documents `table` links to the record `id` (its key column `key`), in one
/// text separated by U+001F (an id may hold a space).
fn documents_of(table: &str, key: &str, id: &str) -> String {
    format!(
        "(SELECT group_concat(id, char(31)) FROM
            (SELECT d.id FROM {table} x JOIN documents d ON d.did = x.did
              WHERE x.{key} = {id} ORDER BY ifnull(d.due_date, d.doc_date), {DOCUMENT_ORDER}))"
    )
}

fn log_sql(one_customer: bool) -> String {
    let day = |c: &str| day_of(c);
    let (note, void, followup, done, owner, call, attachment, claimed, held) = (
        day("n.at"),
        day("v.at"),
        day("f.at"),
        day("x.at"),
        day("o.at"),
        day("k.at"),
        day("a.at"),
        day("r.at"),
        day("h.at"),
    );
    let promise_docs = documents_of("promise_documents", "promise_id", "p.id");
    let issue_docs = documents_of("issue_documents", "issue_id", "i.id");
    // A reminder's documents, claimed still or freed for a later run.
    let reminder_docs = format!(
        "(SELECT group_concat(id, char(31)) FROM
            (SELECT d.id FROM documents d
              WHERE d.did IN (SELECT did FROM reminder_documents WHERE reminder_id = r.id
                              UNION
                              SELECT did FROM reminder_documents_released
                               WHERE reminder_id = r.id)
              ORDER BY ifnull(d.due_date, d.doc_date), {DOCUMENT_ORDER}))"
    );
    let attachment_docs = documents_of("attachment_documents", "attachment_id", "a.id");
    // Columns: day, at, kind code, cid, who, text, amount, due day, detail, record id, the
    // amount's currency (a promise's or an issue's own), the row's own id in its table, its
    // place among the rows of the same second (a record before what was done to it: an
    // issue before its resolves and reopens, which share one sequence), a reminder's status
    // and error, a resolve's outcome, a reminder's recipients, the documents named, and the
    // row's id in the log: its table's name before its own id (the collectors' owner changes
    // and the imports' are numbered apart, as notes and calls are).
    let union = format!(
        "SELECT {note} AS d, n.at, 0, n.cid, n.collector, n.text, NULL, NULL, NULL, n.id,
                NULL AS cur, n.id AS event_id, 0 AS seq, NULL AS status, NULL AS error,
                NULL AS outcome, NULL AS to_addr, NULL AS cc_addr, NULL AS documents,
                'note-' || n.id AS event_key
           FROM notes n
         UNION ALL
         SELECT p.recorded_date, p.at, 1, p.cid, p.collector, ifnull(p.text, ''), p.amount,
                p.promised_date, NULL, p.id, p.currency, p.id, 1, NULL, NULL, NULL, NULL, NULL,
                {promise_docs}, 'promise-' || p.id
           FROM promises p
         UNION ALL
         SELECT {void}, v.at, 2, p.cid, v.collector, ifnull(v.text, ''), p.amount,
                p.promised_date, NULL, p.id, p.currency, v.id, 2, NULL, NULL, NULL, NULL, NULL,
                NULL, 'promise-void-' || v.id
           FROM promise_voids v JOIN promises p ON p.id = v.promise_id
         UNION ALL
         SELECT i.opened_date, i.at, 3, i.cid, i.collector, ifnull(i.text, ''), i.amount, NULL,
                i.reason, i.id, i.currency, i.id, 3, NULL, NULL, NULL, NULL, NULL, {issue_docs},
                'issue-' || i.id
           FROM issues i
         UNION ALL
         SELECT e.event_date, e.at, CASE e.kind WHEN 'resolve' THEN 4 ELSE 5 END, i.cid,
                e.collector, ifnull(e.text, ''), NULL, NULL, i.reason, i.id, NULL, e.id, 4,
                NULL, NULL, e.outcome, NULL, NULL, NULL,
                'issue-event-' || e.id
           FROM issue_events e JOIN issues i ON i.id = e.issue_id
         UNION ALL
         SELECT {followup}, f.at, 6, f.cid, f.collector, f.text, NULL, f.due_date, NULL, f.id,
                NULL, f.id, 6, NULL, NULL, NULL, NULL, NULL, NULL, 'follow-up-' || f.id
           FROM followups f
         UNION ALL
         SELECT {done}, x.at, 7, f.cid, x.collector, f.text, NULL, f.due_date, NULL, f.id,
                NULL, x.id, 7, NULL, NULL, NULL, NULL, NULL, NULL, 'follow-up-done-' || x.id
           FROM followup_done x JOIN followups f ON f.id = x.followup_id
         UNION ALL
         SELECT ifnull(r.sent_date, ifnull(r.run_date, {claimed})), r.at, 8, r.cid,
                r.collector, r.subject, NULL, NULL,
                r.cycle || ' / ' || r.reminder
                    || CASE WHEN r.status = 'sent' THEN '' ELSE ' (' || r.status || ')' END,
                r.id, NULL, r.id, 8, r.status,
                -- A release by hand after the run's error, as the outbox shows it
                -- (`domain::engage::with_release`).
                CASE WHEN x.at IS NULL THEN r.error
                     ELSE ifnull(r.error || '; ', '') || 'released by ' || x.collector
                          || ' at ' || x.at END,
                NULL, r.to_addr, r.cc_addr, {reminder_docs}, 'reminder-' || r.id
           FROM reminders r LEFT JOIN reminder_releases x ON x.reminder_id = r.id
         UNION ALL
         SELECT y.received_date, y.at, CASE WHEN y.verified = 1 THEN 9 ELSE 10 END, y.cid,
                y.from_addr, y.subject || ' — ' || y.body, NULL, NULL,
                NULL, y.id, NULL, y.id, 9, NULL, NULL, NULL, NULL, NULL, NULL, 'reply-' || y.id
           FROM replies y
         UNION ALL
         SELECT {owner}, o.at, 11, o.cid, o.collector,
                ifnull(o.old_owner, '—') || ' → ' || o.new_owner, NULL, NULL,
                replace(o.role, '_', ' '), o.id, NULL, o.id, 11, NULL, NULL, NULL, NULL, NULL,
                NULL, 'owner-change-' || o.id
           FROM owner_changes o
         UNION ALL
         SELECT {owner}, o.at, 11, o.cid, o.collector,
                ifnull(o.old_owner, '—') || ' → ' || o.new_owner, NULL, NULL,
                replace(o.role, '_', ' ') || ' (by import)', o.id, NULL, o.id, 11, NULL, NULL,
                NULL, NULL, NULL, NULL, 'import-change-' || o.id
           FROM ({IMPORT_OWNER_CHANGES}) o
         UNION ALL
         SELECT {call}, k.at, 12, k.cid, k.collector, ifnull(k.text, ''), NULL, NULL,
                replace(k.outcome, '_', ' ') || ifnull(' · ' || k.contact, ''), k.id, NULL,
                k.id, 12, NULL, NULL, NULL, NULL, NULL, NULL, 'call-' || k.id
           FROM calls k
         UNION ALL
         SELECT {attachment}, a.at, 13, a.cid, a.collector, ifnull(a.text, ''), NULL, NULL,
                a.name, a.id, NULL, a.id, 13, NULL, NULL, NULL, NULL, NULL, {attachment_docs},
                'attachment-' || a.id
           FROM attachments a
         UNION ALL
         SELECT ifnull(h.from_date, {held}), h.at,
                CASE WHEN h.until_date < h.from_date THEN 15 ELSE 14 END, h.cid,
                h.collector, ifnull(h.text, ''), NULL,
                CASE WHEN h.until_date < h.from_date THEN NULL ELSE h.until_date END,
                NULL, h.id, NULL, h.id, 14,
                NULL, NULL, NULL, NULL, NULL, NULL, 'hold-' || h.id
           FROM engagement_holds h"
    );
    let customer = if one_customer {
        "AND log.cid = ?2"
    } else {
        "AND ?2 IS NULL"
    };
    // By day and second, then in the order written: the row's place among the kinds, then
    // its own id (a resolve, a reopen and a resolve again of one second stay in that order);
    // an import's owner change and a collector's of one second and one id by their ids in
    // the log, the same in every export.
    format!(
        "SELECT log.*, c.id, c.name, ifnull(log.cur, c.currency) FROM ({union}) AS log
           JOIN customers c ON c.cid = log.cid
          WHERE log.d <= ?1 {customer} AND (?3 IS NULL OR log.d >= ?3)
            AND (?4 IS NULL OR lower(owed_nfc(trim(log.collector))) = ?4)
          ORDER BY log.d, log.at, log.seq, log.event_id, log.event_key"
    )
}

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// Calls `each` for every record of the activity log on or before `as_of` in `scope`,
    /// oldest first.
    pub fn for_each_log_entry(
        &self,
        as_of: Date,
        scope: &LogScope,
        mut each: impl FnMut(LogEntry) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(&log_sql(scope.cid.is_some()))?;
        let last = scope.to.map_or(as_of, |to| to.min(as_of));
        let mut rows = stmt.query(params![
            day_number(last),
            scope.cid,
            scope.from.map(day_number),
            scope.by.as_deref().map(crate::domain::team::owner_key),
        ])?;
        while let Some(r) = rows.next()? {
            let code: usize = r.get::<_, i64>(2)?.try_into().unwrap_or(KINDS.len() - 1);
            let kind = KINDS[code.min(KINDS.len() - 1)];
            // Whole, lines and all: the log is the record (a reply with its whole body).
            let text = r.get::<_, String>(5)?;
            let amount = r.get::<_, Option<i64>>(6)?.map(money::from_units);
            let documents: Option<String> = r.get(18)?;
            each(LogEntry {
                date: from_day_number(r.get(0)?),
                at: r.get(1)?,
                kind,
                who: r.get(4)?,
                text,
                currency: amount.and(r.get(22)?),
                amount,
                due: r.get::<_, Option<i32>>(7)?.map(from_day_number),
                detail: r.get(8)?,
                record: r.get(9)?,
                event_id: r.get(19)?,
                status: r.get(13)?,
                error: r.get(14)?,
                outcome: r.get(15)?,
                to: r.get(16)?,
                cc: r.get(17)?,
                documents: documents
                    .map(|d| d.split('\u{1f}').map(str::to_string).collect())
                    .unwrap_or_default(),
                customer_id: r.get(20)?,
                customer_name: r.get(21)?,
            })?;
        }
        Ok(())
    }
}
