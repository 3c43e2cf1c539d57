//! The whole activity log as of a date, one record a row, with its customer: notes,
//! promises and their voids, issues and their resolves and reopens, follow-ups and their
//! completions, calls, attachments, reminders sent, replies received and owner changes (the
//! activity export).
//!
//! Streamed from one `UNION ALL` ordered by day and timestamp: nothing is collected, so the
//! log of 100k customers costs its sort, not its size in memory.

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::{Date, Decimal, money};
use crate::store::Activity;
use crate::store::Store;
use crate::store::activity::IMPORT_OWNER_CHANGES;
use crate::store::queue::day_of;
use rusqlite::params;

/// One record of the log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// The day it counts for (recorded, opened, sent, received).
    pub date: Date,
    /// When it was written (UTC timestamp).
    pub at: String,
    /// `note`, `promise`, `promise voided`, `issue`, `issue resolved`, `issue reopened`,
    /// `follow-up`, `follow-up done`, `reminder`, `reply`, `reply (unverified sender)`,
    /// `owner change`, `call`, `attachment`.
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
    /// The promised date, or the follow-up's due date.
    pub due: Option<Date>,
    /// The reason, the reminder's cycle and step, the owner role changed, the call's
    /// outcome and whom it reached, the attachment's file name.
    pub detail: Option<String>,
    /// The id of the promise, issue, follow-up, reminder, reply or note (what `owed resolve`,
    /// `owed done`, `owed void-promise` take).
    pub record: i64,
}

/// The kinds in the order of the `kind` codes the query returns.
const KINDS: [&str; 15] = [
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
    "record",
];

fn log_sql(one_customer: bool) -> String {
    let day = |c: &str| day_of(c);
    let (note, void, followup, done, owner, call, attachment) = (
        day("n.at"),
        day("v.at"),
        day("f.at"),
        day("x.at"),
        day("o.at"),
        day("k.at"),
        day("a.at"),
    );
    // Columns: day, at, kind code, cid, who, text, amount, due day, detail, record id, the
    // amount's currency (a promise's or an issue's own).
    let union = format!(
        "SELECT {note} AS d, n.at, 0, n.cid, n.collector, n.text, NULL, NULL, NULL, n.id, NULL AS cur FROM notes n
         UNION ALL
         SELECT p.recorded_date, p.at, 1, p.cid, p.collector, ifnull(p.text, ''), p.amount,
                p.promised_date, NULL, p.id, p.currency FROM promises p
         UNION ALL
         SELECT {void}, v.at, 2, p.cid, v.collector, ifnull(v.text, ''), p.amount,
                p.promised_date, NULL, p.id, p.currency
           FROM promise_voids v JOIN promises p ON p.id = v.promise_id
         UNION ALL
         SELECT i.opened_date, i.at, 3, i.cid, i.collector, ifnull(i.text, ''), i.amount, NULL,
                i.reason, i.id, i.currency FROM issues i
         UNION ALL
         SELECT e.event_date, e.at, CASE e.kind WHEN 'resolve' THEN 4 ELSE 5 END, i.cid,
                e.collector, ifnull(e.text, ''), NULL, NULL, i.reason, i.id, NULL
           FROM issue_events e JOIN issues i ON i.id = e.issue_id
         UNION ALL
         SELECT {followup}, f.at, 6, f.cid, f.collector, f.text, NULL, f.due_date, NULL, f.id, NULL
           FROM followups f
         UNION ALL
         SELECT {done}, x.at, 7, f.cid, x.collector, f.text, NULL, f.due_date, NULL, f.id, NULL
           FROM followup_done x JOIN followups f ON f.id = x.followup_id
         UNION ALL
         SELECT r.sent_date, r.at, 8, r.cid, r.collector, r.subject, NULL, NULL,
                r.cycle || ' / ' || r.reminder
                    || CASE WHEN r.status = 'sent' THEN '' ELSE ' (' || r.status || ')' END,
                r.id, NULL
           FROM reminders r WHERE r.sent_date IS NOT NULL
         UNION ALL
         SELECT y.received_date, y.at, CASE WHEN y.verified = 1 THEN 9 ELSE 10 END, y.cid,
                y.from_addr, y.subject || ' — ' || y.body, NULL, NULL,
                NULL, y.id, NULL
           FROM replies y
         UNION ALL
         SELECT {owner}, o.at, 11, o.cid, o.collector,
                ifnull(o.old_owner, '—') || ' → ' || o.new_owner, NULL, NULL,
                replace(o.role, '_', ' '), o.id, NULL
           FROM owner_changes o
         UNION ALL
         SELECT {owner}, o.at, 11, o.cid, o.collector,
                ifnull(o.old_owner, '—') || ' → ' || o.new_owner, NULL, NULL,
                replace(o.role, '_', ' ') || ' (by import)', o.id, NULL
           FROM ({IMPORT_OWNER_CHANGES}) o
         UNION ALL
         SELECT {call}, k.at, 12, k.cid, k.collector, ifnull(k.text, ''), NULL, NULL,
                replace(k.outcome, '_', ' ') || ifnull(' · ' || k.contact, ''), k.id, NULL
           FROM calls k
         UNION ALL
         SELECT {attachment}, a.at, 13, a.cid, a.collector, ifnull(a.text, ''), NULL, NULL,
                a.name, a.id, NULL
           FROM attachments a"
    );
    let customer = if one_customer {
        "AND log.cid = ?2"
    } else {
        "AND ?2 IS NULL"
    };
    format!(
        "SELECT log.*, c.id, c.name, ifnull(log.cur, c.currency) FROM ({union}) AS log
           JOIN customers c ON c.cid = log.cid
          WHERE log.d <= ?1 {customer}
          ORDER BY log.d, log.at, 3"
    )
}

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// Calls `each` for every record of the activity log on or before `as_of` (of one
    /// customer with `cid`), oldest first.
    pub fn for_each_log_entry(
        &self,
        as_of: Date,
        cid: Option<i64>,
        mut each: impl FnMut(LogEntry) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare_cached(&log_sql(cid.is_some()))?;
        let mut rows = stmt.query(params![day_number(as_of), cid])?;
        while let Some(r) = rows.next()? {
            let code: usize = r.get::<_, i64>(2)?.try_into().unwrap_or(KINDS.len() - 1);
            let kind = KINDS[code.min(KINDS.len() - 1)];
            // Whole, lines and all: the log is the record (a reply with its whole body).
            let text = r.get::<_, String>(5)?;
            let amount = r.get::<_, Option<i64>>(6)?.map(money::from_units);
            each(LogEntry {
                date: from_day_number(r.get(0)?),
                at: r.get(1)?,
                kind,
                who: r.get(4)?,
                text,
                currency: amount.and(r.get(13)?),
                amount,
                due: r.get::<_, Option<i32>>(7)?.map(from_day_number),
                detail: r.get(8)?,
                record: r.get(9)?,
                customer_id: r.get(11)?,
                customer_name: r.get(12)?,
            })?;
        }
        Ok(())
    }
}
