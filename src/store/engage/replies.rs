//! Customers' replies to reminders: filed once by Message-ID, matched to the reminder they
//! answer and to the customer by address, read and marked read.

use super::Engagement;
use crate::Result;
use crate::domain::Date;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::engage::{address_key, split_addresses};
use crate::domain::users::{Actor, Work};
use crate::store::Store;
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// A reply to file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReply<'a> {
    pub cid: i64,
    pub at: &'a str,
    pub received_date: Date,
    pub message_id: &'a str,
    /// The Message-ID of the reminder it answers, else its In-Reply-To header.
    pub in_reply_to: Option<&'a str>,
    pub from_addr: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// Whether the sender is among the customer's addresses or email domains.
    pub verified: bool,
    /// Who files it (`owed inbox import`'s actor).
    pub filed_by: &'a str,
}

/// A reply as filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRow {
    pub id: i64,
    pub customer_id: String,
    pub received_date: Date,
    pub from_addr: String,
    pub subject: String,
    pub body: String,
    pub read: bool,
    /// Whether the sender is among the customer's addresses or email domains.
    pub verified: bool,
}

impl<S: std::ops::Deref<Target = Store>> Engagement<S> {
    /// The latest reply date per customer, by `as_of` (verified replies only: one from an
    /// unknown sender is not the customer's word).
    pub fn last_reply_dates(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        self.date_map(
            "SELECT cid, max(received_date) FROM replies
              WHERE verified = 1 AND received_date <= ?1 GROUP BY cid",
            as_of,
        )
    }

    /// The latest reply date per document, for verified replies to a reminder that named it.
    pub fn last_reply_dates_by_document(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        self.date_map(
            "SELECT rd.did, max(p.received_date) FROM replies p
               JOIN reminders r ON r.message_id = p.in_reply_to
               JOIN reminder_documents rd ON rd.reminder_id = r.id
              WHERE p.verified = 1 AND p.received_date <= ?1 GROUP BY rd.did",
            as_of,
        )
    }

    /// The reminder (id, customer) whose Message-ID is `message_id`.
    pub fn reminder_by_message_id(&self, message_id: &str) -> Result<Option<(i64, i64)>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT id, cid FROM reminders WHERE message_id = ?1")?
            .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Every customer address (lowercase) with the customers that have it, each once: the
    /// customer's `email` (which may hold several addresses separated by `,` or `;`, each
    /// bare or as `Name <addr>`) and its contacts' (`contacts.csv`). An address two
    /// customers have lists both.
    pub fn customers_by_address(&self) -> Result<HashMap<String, Vec<i64>>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT cid, email FROM customers WHERE email IS NOT NULL
             UNION ALL SELECT cid, email FROM contacts",
        )?;
        let mut rows = stmt.query([])?;
        let mut out: HashMap<String, Vec<i64>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(0)?;
            let email: String = r.get(1)?;
            for part in split_addresses(&email) {
                let part = address_key(part);
                if !part.is_empty() {
                    let cids = out.entry(part).or_default();
                    if !cids.contains(&cid) {
                        cids.push(cid);
                    }
                }
            }
        }
        Ok(out)
    }

    /// Customers with unread replies and how many, for the queue's Replies tab.
    pub fn unread_replies(&self) -> Result<Vec<(String, i64)>> {
        crate::store::rows(
            self.conn(),
            "SELECT c.id, count(*) FROM replies r INDEXED BY replies_unread
               JOIN customers c ON c.cid = r.cid
              WHERE r.read_at IS NULL GROUP BY r.cid ORDER BY c.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// A customer's replies, newest first.
    pub fn replies_of(&self, cid: i64) -> Result<Vec<ReplyRow>> {
        crate::store::rows(
            self.conn(),
            "SELECT r.id, c.id, r.received_date, r.from_addr, r.subject, r.body, r.read_at,
                    r.verified
               FROM replies r JOIN customers c ON c.cid = r.cid
              WHERE r.cid = ?1 ORDER BY r.received_date DESC, r.id DESC",
            [cid],
            |r| {
                Ok(ReplyRow {
                    id: r.get(0)?,
                    customer_id: r.get(1)?,
                    received_date: from_day_number(r.get(2)?),
                    from_addr: r.get(3)?,
                    subject: r.get(4)?,
                    body: r.get(5)?,
                    read: r.get::<_, Option<String>>(6)?.is_some(),
                    verified: r.get(7)?,
                })
            },
        )
    }
}

/// A run of `owed inbox import` as the log of imports keeps it: recorded in the transaction
/// of the first reply it files, its summary brought up to date in each later one's
/// ([`Engagement::file_reply`]), so that a run killed part-way is in the log with what it
/// filed; [`Engagement::finish_inbox_run`] gives it its summary at the end.
#[derive(Debug, Clone)]
pub struct InboxRunLog {
    pub run: crate::store::ledger::import::ImportRun,
    /// Its row in the log, once it filed a reply.
    id: Option<i64>,
    filed: u64,
}

impl InboxRunLog {
    /// `run` (its summary left to the run), not in the log yet.
    pub fn new(run: crate::store::ledger::import::ImportRun) -> InboxRunLog {
        InboxRunLog {
            run,
            id: None,
            filed: 0,
        }
    }
}

impl Engagement<&mut Store> {
    /// Files a reply; `false` when one with the same Message-ID is already filed.
    pub fn insert_reply(&mut self, reply: &NewReply<'_>) -> Result<bool> {
        self.insert_reply_in(reply, None)
    }

    /// Files a reply for the run `log` of `owed inbox import`, which the same transaction
    /// records in the log of imports (or brings up to date there) when the reply is new;
    /// `false` when one with the same Message-ID is already filed.
    pub fn file_reply(&mut self, reply: &NewReply<'_>, log: &mut InboxRunLog) -> Result<bool> {
        self.insert_reply_in(reply, Some(log))
    }

    fn insert_reply_in(
        &mut self,
        reply: &NewReply<'_>,
        log: Option<&mut InboxRunLog>,
    ) -> Result<bool> {
        let tx = self.store.write_tx()?;
        let n = tx.execute(
            "INSERT INTO replies (cid, at, received_date, message_id, in_reply_to, from_addr,
                                  subject, body, verified)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(message_id) DO NOTHING",
            params![
                reply.cid,
                reply.at,
                day_number(reply.received_date),
                reply.message_id,
                reply.in_reply_to,
                reply.from_addr,
                reply.subject,
                reply.body,
                reply.verified
            ],
        )?;
        if n == 1 {
            tx.execute(
                "INSERT INTO reply_filers (reply_id, collector) VALUES (?1, ?2)",
                params![tx.last_insert_rowid(), reply.filed_by],
            )?;
        }
        let logged = match log {
            Some(log) if n == 1 => {
                let filed = log.filed + 1;
                let summary = format!("{filed} filed so far (the run has not finished)");
                let id = match log.id {
                    Some(id) => {
                        tx.execute(
                            "UPDATE imports SET summary = ?1 WHERE id = ?2",
                            params![summary, id],
                        )?;
                        id
                    }
                    None => {
                        let run = crate::store::ledger::import::ImportRun {
                            summary,
                            ..log.run.clone()
                        };
                        crate::store::ledger::import::record_run(&tx, &run)?;
                        tx.last_insert_rowid()
                    }
                };
                Some((log, id, filed))
            }
            _ => None,
        };
        tx.commit()?;
        if let Some((log, id, filed)) = logged {
            log.id = Some(id);
            log.filed = filed;
        }
        Ok(n == 1)
    }

    /// Gives the run `log` of `owed inbox import` its `summary` in the log of imports (kind
    /// `inbox`), where the first reply it filed put it; a run that filed none is not there.
    pub fn finish_inbox_run(&mut self, log: &InboxRunLog, summary: &str) -> Result<()> {
        let Some(id) = log.id else {
            return Ok(());
        };
        let tx = self.store.write_tx()?;
        tx.execute(
            "UPDATE imports SET summary = ?1 WHERE id = ?2",
            params![summary, id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Marks a customer's replies read (opening them in the workstation), when `actor` may
    /// ([`Work::ReadReplies`]: its collector or a manager; an auditor or another collector
    /// looking at them leaves them unread for the collector) and reads them for the customer's
    /// collector ([`reads_for_owner`]): a manager looking at a customer another user owns
    /// only looks, and marks nothing (returns 0).
    ///
    /// # Errors
    ///
    /// [`Error::Input`](crate::Error::Input) with the refusal; nothing is marked.
    pub fn mark_replies_read(
        &mut self,
        actor: &Actor,
        cid: i64,
        as_of: Date,
        at: &str,
    ) -> Result<usize> {
        let tx = self.store.write_tx()?;
        crate::store::activity::action_writes::may_on(&tx, actor, Work::ReadReplies, cid)?;
        if !reads_for_owner(&tx, actor, cid)? {
            return Ok(0);
        }
        // Only the replies the detail shows as of its date: one received later was not seen.
        // Who read them beside when (`read_at`).
        tx.execute(
            "INSERT OR IGNORE INTO reply_readers (reply_id, collector)
             SELECT id, ?3 FROM replies
              WHERE cid = ?1 AND read_at IS NULL AND received_date <= ?2",
            params![cid, day_number(as_of), actor.name],
        )?;
        let n = tx.execute(
            "UPDATE replies SET read_at = ?2
              WHERE cid = ?1 AND read_at IS NULL AND received_date <= ?3",
            params![cid, at, day_number(as_of)],
        )?;
        tx.commit()?;
        Ok(n)
    }
}

/// Whether `actor` reading customer `cid`'s replies reads them for the one who collects them:
/// they are its finance owner, or no registered user is (no owner, or a name no user goes by:
/// the replies are then whoever reads them first's). A manager opening the replies of a
/// customer another user owns only looks, as an auditor does: they stay unread for that user
/// (in the Replies tab, and `owed report team`'s replies waiting).
fn reads_for_owner(conn: &rusqlite::Connection, actor: &Actor, cid: i64) -> Result<bool> {
    let actor = crate::store::users::as_now(conn, actor)?;
    let owner: Option<String> = conn
        .prepare_cached("SELECT finance_owner FROM customers WHERE cid = ?1")?
        .query_row([cid], |r| r.get(0))?;
    let Some(owner) = owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) else {
        return Ok(true);
    };
    if owner == actor.name.trim() {
        return Ok(true);
    }
    // The owner as registered (in whatever case the ledger spells it); a spelling two users
    // could be is some user's.
    Ok(match crate::store::users::registered(conn, owner) {
        Ok(Some((name, _))) => name == actor.name,
        Ok(None) => true,
        Err(crate::Error::Input(_)) => false,
        Err(e) => return Err(e),
    })
}
