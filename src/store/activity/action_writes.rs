//! Recording collector actions: one write transaction per action, append-only.
//!
//! Every record carries the collector and an RFC 3339 UTC timestamp (a [`Stamp`], made at the
//! edge). Nothing here updates or deletes a row of the activity log: a correction is a new
//! row (a void, a resolve, a reopen, a done). The one mutable field is the customer's owner,
//! changed together with an `owner_changes` row in the same transaction.
//!
//! Checks that depend on the state of a record (resolving an open issue, voiding a promise
//! once) run inside the transaction with the pure checks of [`crate::domain::action_checks`], so
//! two collectors acting on the same record at once cannot both succeed. So does the check of
//! the stamp's role against the customer's finance owner ([`crate::domain::users::may`]): a
//! collector writes only on their own customers, an auditor nothing, whatever called.

use crate::domain::action_checks::{
    DocumentOwner, IssueState, Outcome, OwnerRole, Stamp, can_complete, can_reopen, can_resolve,
    can_void, in_order,
};
use crate::domain::backfill::{PastActivity, PastActivityKind, PastReminder};
use crate::domain::calls::CallOutcome;
use crate::domain::date::day_number;
use crate::domain::document::document_order;
use crate::domain::users::{Actor, Target, Work, may};
use crate::domain::{Date, Decimal, money};
use crate::store::Activity;
use crate::store::Ledger;
use crate::store::Store;
use crate::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};

/// A promise to pay, checked and ready to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPromise {
    pub cid: i64,
    /// In the customer's currency.
    pub amount: Decimal,
    /// The date the customer promised to pay by.
    pub date: Date,
    /// The documents it covers; empty: the customer as a whole.
    pub dids: Vec<i64>,
    pub text: Option<String>,
}

/// An issue / dispute, checked and ready to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIssue {
    pub cid: i64,
    pub reason: String,
    /// In the customer's currency; may be zero.
    pub amount: Decimal,
    pub dids: Vec<i64>,
    pub text: Option<String>,
}

/// A call, checked and ready to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    pub cid: i64,
    pub outcome: CallOutcome,
    /// Who was called (or tried).
    pub contact: Option<String>,
    /// What was said.
    pub text: Option<String>,
    /// A follow-up to schedule with it: its date and text.
    pub followup: Option<(Date, String)>,
}

/// What recording a call wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRecorded {
    /// The call's id.
    pub id: i64,
    /// The follow-up scheduled with it.
    pub followup_id: Option<i64>,
}

/// The record an action on an existing record touched, and its customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touched {
    /// The record's id (issue, promise or follow-up).
    pub id: i64,
    /// Its customer.
    pub cid: i64,
}

/// An owner change as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerChange {
    /// The `owner_changes` row.
    pub id: i64,
    pub old_owner: Option<String>,
    /// The owner made: as given, or a registered user's name as registered.
    pub owner: String,
}

fn units(amount: Decimal) -> Result<i64> {
    money::to_units(amount).map_err(|e| Error::input(format!("the amount {amount} {e}")))
}

/// Refuses what `actor` may not do (`work`) on customer `cid` (see [`may`]), reading the
/// customer's finance owner on `conn` (inside the writing transaction).
pub(crate) fn may_on(conn: &Connection, actor: &Actor, work: Work, cid: i64) -> Result<()> {
    let actor = &crate::store::users::as_now(conn, actor)?;
    let (id, owner): (String, Option<String>) = conn
        .prepare_cached("SELECT id, finance_owner FROM customers WHERE cid = ?1")?
        .query_row([cid], |r| Ok((r.get(0)?, r.get(1)?)))?;
    may(
        actor,
        work,
        Some(Target {
            customer_id: &id,
            finance_owner: owner.as_deref(),
        }),
    )
    .map_err(Error::Input)
}

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// Whether `actor` may do `work` on customer `cid` (or, without one, at all): the same
    /// decision the writes make, for callers that want to refuse before they start (a send,
    /// a form).
    ///
    /// # Errors
    ///
    /// [`Error::Input`] with the refusal.
    pub fn may(&self, actor: &Actor, work: Work, cid: Option<i64>) -> Result<()> {
        match cid {
            Some(cid) => may_on(self.conn(), actor, work, cid),
            None => may(
                &crate::store::users::as_now(self.conn(), actor)?,
                work,
                None,
            )
            .map_err(Error::Input),
        }
    }

    /// The documents a collector named for customer `cid`, each by its id or its number
    /// (the customer's own documents first: an id or a number of theirs wins over another
    /// customer's document of that id or number).
    pub fn document_owners(
        &self,
        cid: i64,
        names: &[String],
    ) -> Result<Vec<Option<DocumentOwner>>> {
        let read = |r: &rusqlite::Row| {
            let id: String = r.get(3)?;
            let number: Option<String> = r.get(4)?;
            Ok(DocumentOwner {
                did: r.get(0)?,
                customer_id: r.get(1)?,
                kind: r.get(2)?,
                label: number.filter(|n| !n.is_empty()).unwrap_or(id),
                doc_date: crate::domain::date::from_day_number(r.get(5)?),
            })
        };
        let columns = "d.did, c.id, d.kind, d.id, d.number, d.doc_date
                       FROM documents d JOIN customers c ON c.cid = d.cid";
        let mut own = self.conn().prepare_cached(&format!(
            "SELECT {columns} WHERE d.cid = ?2 AND (d.id = ?1 OR d.number = ?1)
              ORDER BY d.id = ?1 DESC, d.did LIMIT 1"
        ))?;
        let mut by_id = self
            .conn()
            .prepare_cached(&format!("SELECT {columns} WHERE d.id = ?1"))?;
        // Only when the name is neither the customer's nor any document's id: a pass over the
        // documents, to say whose number it is.
        let mut by_number = self.conn().prepare_cached(&format!(
            "SELECT {columns} WHERE d.number = ?1 ORDER BY d.did LIMIT 1"
        ))?;
        names
            .iter()
            .map(|name| {
                let name = name.trim();
                if let Some(found) = own.query_row(params![name, cid], read).optional()? {
                    return Ok(Some(found));
                }
                if let Some(found) = by_id.query_row([name], read).optional()? {
                    return Ok(Some(found));
                }
                Ok(by_number.query_row([name], read).optional()?)
            })
            .collect()
    }

    /// The customer a note, promise, issue or follow-up is of, if it exists.
    pub fn record_customer(
        &self,
        record: crate::domain::customer::EntryRecord,
    ) -> Result<Option<i64>> {
        use crate::domain::customer::EntryRecord;
        let table = match record {
            EntryRecord::Note(_) => "notes",
            EntryRecord::Promise { .. } => "promises",
            EntryRecord::Issue { .. } => "issues",
            EntryRecord::FollowUp { .. } => "followups",
        };
        Ok(self
            .conn()
            .prepare_cached(&format!("SELECT cid FROM {table} WHERE id = ?1"))?
            .query_row([record.id()], |r| r.get(0))
            .optional()?)
    }

    /// An issue's customer and current state (its latest resolve / reopen), if it exists.
    pub fn issue_state(&self, issue_id: i64) -> Result<Option<(i64, IssueState)>> {
        issue_state(self.conn(), issue_id)
    }
}

impl Activity<&mut Store> {
    /// Logs a note. Returns its id.
    pub fn add_note(&mut self, stamp: &Stamp, cid: i64, text: &str) -> Result<i64> {
        let tx = self.store.write_tx()?;
        may_on(&tx, &stamp.actor(), Work::Note, cid)?;
        tx.prepare_cached("INSERT INTO notes (cid, at, collector, text) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![cid, stamp.at, stamp.collector, text])?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Records a promise to pay, counted from `stamp.today`. Returns its id.
    pub fn add_promise(&mut self, stamp: &Stamp, p: &NewPromise) -> Result<i64> {
        let amount = units(p.amount)?;
        let tx = self.store.write_tx()?;
        may_on(&tx, &stamp.actor(), Work::Promise, p.cid)?;
        let id = crate::store::insert_naming_documents(
            &tx,
            "INSERT INTO promises (cid, at, collector, amount, promised_date, recorded_date, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                p.cid,
                stamp.at,
                stamp.collector,
                amount,
                day_number(p.date),
                day_number(stamp.today),
                p.text
            ],
            "INSERT OR IGNORE INTO promise_documents (promise_id, did) VALUES (?1, ?2)",
            &p.dids,
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Voids a promise (it stays in the log, marked voided).
    pub fn void_promise(
        &mut self,
        stamp: &Stamp,
        promise_id: i64,
        text: Option<&str>,
    ) -> Result<Touched> {
        let tx = self.store.write_tx()?;
        let found: Option<(i64, bool)> = tx
            .query_row(
                "SELECT cid, EXISTS (SELECT 1 FROM promise_voids v WHERE v.promise_id = p.id)
                   FROM promises p WHERE p.id = ?1",
                [promise_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((cid, _)) = found {
            may_on(&tx, &stamp.actor(), Work::Promise, cid)?;
        }
        can_void(promise_id, found.map(|f| f.1)).map_err(Error::Input)?;
        tx.execute(
            "INSERT INTO promise_voids (promise_id, at, collector, text) VALUES (?1, ?2, ?3, ?4)",
            params![promise_id, stamp.at, stamp.collector, text],
        )?;
        tx.commit()?;
        Ok(Touched {
            id: promise_id,
            cid: found.map_or(0, |f| f.0),
        })
    }

    /// Opens an issue / dispute, open from `stamp.today`. Returns its id.
    pub fn open_issue(&mut self, stamp: &Stamp, i: &NewIssue) -> Result<i64> {
        let amount = units(i.amount)?;
        let tx = self.store.write_tx()?;
        may_on(&tx, &stamp.actor(), Work::Dispute, i.cid)?;
        let id = crate::store::insert_naming_documents(
            &tx,
            "INSERT INTO issues (cid, at, collector, reason, amount, opened_date, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                i.cid,
                stamp.at,
                stamp.collector,
                i.reason,
                amount,
                day_number(stamp.today),
                i.text
            ],
            "INSERT OR IGNORE INTO issue_documents (issue_id, did) VALUES (?1, ?2)",
            &i.dids,
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Resolves an open issue with a resolution text, from `stamp.today`.
    pub fn resolve_issue(
        &mut self,
        stamp: &Stamp,
        issue_id: i64,
        text: Option<&str>,
    ) -> Result<Touched> {
        self.issue_event(stamp, issue_id, "resolve", text, None)
    }

    /// Resolves an open issue with an outcome and a resolution text, from `stamp.today`.
    /// Writing it off is a manager's decision ([`Work::WriteOff`]), checked with the rest in
    /// the transaction.
    pub fn resolve_issue_with_outcome(
        &mut self,
        stamp: &Stamp,
        issue_id: i64,
        text: Option<&str>,
        outcome: Option<Outcome>,
    ) -> Result<Touched> {
        self.issue_event(stamp, issue_id, "resolve", text, outcome)
    }

    /// Reopens a resolved issue, from `stamp.today`.
    pub fn reopen_issue(
        &mut self,
        stamp: &Stamp,
        issue_id: i64,
        text: Option<&str>,
    ) -> Result<Touched> {
        self.issue_event(stamp, issue_id, "reopen", text, None)
    }

    fn issue_event(
        &mut self,
        stamp: &Stamp,
        issue_id: i64,
        kind: &str,
        text: Option<&str>,
        outcome: Option<Outcome>,
    ) -> Result<Touched> {
        let tx = self.store.write_tx()?;
        let found = issue_history(&tx, issue_id)?;
        if let Some(h) = &found {
            may_on(&tx, &stamp.actor(), Work::Dispute, h.cid)?;
            if outcome == Some(Outcome::WrittenOff) {
                may_on(&tx, &stamp.actor(), Work::WriteOff, h.cid)?;
            }
            if kind == "reopen" && h.written_off {
                may_on(&tx, &stamp.actor(), Work::UndoWriteOff, h.cid)?;
            }
        }
        let state = found.as_ref().map(|h| h.state);
        match kind {
            "resolve" => can_resolve(issue_id, state),
            _ => can_reopen(issue_id, state),
        }
        .and_then(|()| match &found {
            Some(h) => in_order(issue_id, kind, h.since, stamp.today),
            None => Ok(()),
        })
        .map_err(Error::Input)?;
        tx.execute(
            "INSERT INTO issue_events (issue_id, at, collector, kind, event_date, text, outcome)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                issue_id,
                stamp.at,
                stamp.collector,
                kind,
                day_number(stamp.today),
                text,
                outcome.map(Outcome::as_str)
            ],
        )?;
        tx.commit()?;
        Ok(Touched {
            id: issue_id,
            cid: found.map_or(0, |h| h.cid),
        })
    }

    /// Logs a call and, when it carries one, the follow-up it schedules, in one transaction.
    pub fn add_call(&mut self, stamp: &Stamp, call: &NewCall) -> Result<CallRecorded> {
        let tx = self.store.write_tx()?;
        may_on(&tx, &stamp.actor(), Work::Call, call.cid)?;
        let followup_id = match &call.followup {
            Some((due, text)) => {
                may_on(&tx, &stamp.actor(), Work::Followup, call.cid)?;
                tx.prepare_cached(
                    "INSERT INTO followups (cid, at, collector, due_date, text)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    call.cid,
                    stamp.at,
                    stamp.collector,
                    day_number(*due),
                    text
                ])?;
                Some(tx.last_insert_rowid())
            }
            None => None,
        };
        tx.prepare_cached(
            "INSERT INTO calls (cid, at, collector, outcome, contact, text, followup_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            call.cid,
            stamp.at,
            stamp.collector,
            call.outcome.as_str(),
            call.contact,
            call.text,
            followup_id
        ])?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(CallRecorded { id, followup_id })
    }

    /// Schedules a follow-up. Returns its id.
    pub fn add_followup(&mut self, stamp: &Stamp, cid: i64, due: Date, text: &str) -> Result<i64> {
        let tx = self.store.write_tx()?;
        may_on(&tx, &stamp.actor(), Work::Followup, cid)?;
        tx.prepare_cached(
            "INSERT INTO followups (cid, at, collector, due_date, text) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![cid, stamp.at, stamp.collector, day_number(due), text])?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// Marks a follow-up done.
    pub fn complete_followup(&mut self, stamp: &Stamp, followup_id: i64) -> Result<Touched> {
        let tx = self.store.write_tx()?;
        let found: Option<(i64, bool)> = tx
            .query_row(
                "SELECT cid, EXISTS (SELECT 1 FROM followup_done d WHERE d.followup_id = f.id)
                   FROM followups f WHERE f.id = ?1",
                [followup_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((cid, _)) = found {
            may_on(&tx, &stamp.actor(), Work::Followup, cid)?;
        }
        can_complete(followup_id, found.map(|f| f.1)).map_err(Error::Input)?;
        tx.execute(
            "INSERT INTO followup_done (followup_id, at, collector) VALUES (?1, ?2, ?3)",
            params![followup_id, stamp.at, stamp.collector],
        )?;
        tx.commit()?;
        Ok(Touched {
            id: followup_id,
            cid: found.map_or(0, |f| f.0),
        })
    }

    /// Makes `new_owner` the customer's finance (or sales) owner and logs the change, in one
    /// transaction. A finance owner is checked against the users as they are in it
    /// ([`crate::domain::users::finance_owner`]: when users are registered, a collector or a
    /// manager, named as registered). Assigning the current owner again is refused.
    pub fn assign_owner(
        &mut self,
        stamp: &Stamp,
        cid: i64,
        role: OwnerRole,
        new_owner: &str,
    ) -> Result<OwnerChange> {
        let tx = self.store.write_tx()?;
        may_on(&tx, &stamp.actor(), Work::Assign, cid)?;
        let new_owner = match role {
            OwnerRole::Finance => {
                let users = crate::store::users::users(&tx)?;
                crate::domain::users::finance_owner(new_owner, &users).map_err(Error::Input)?
            }
            OwnerRole::Sales => new_owner.to_string(),
        };
        let new_owner = new_owner.as_str();
        let column = role.as_str();
        let (customer_id, old_owner): (String, Option<String>) = tx.query_row(
            &format!("SELECT id, {column} FROM customers WHERE cid = ?1"),
            [cid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if old_owner.as_deref() == Some(new_owner) {
            return Err(Error::input(format!(
                "{new_owner} is already the {} of customer {}",
                role.label(),
                crate::error::quoted(&customer_id)
            )));
        }
        tx.execute(
            &format!("UPDATE customers SET {column} = ?1 WHERE cid = ?2"),
            params![new_owner, cid],
        )?;
        tx.execute(
            "INSERT INTO owner_changes (cid, at, collector, role, old_owner, new_owner)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![cid, stamp.at, stamp.collector, column, old_owner, new_owner],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(OwnerChange {
            id,
            old_owner,
            owner: new_owner.to_string(),
        })
    }
}

fn issue_state(conn: &Connection, issue_id: i64) -> Result<Option<(i64, IssueState)>> {
    Ok(issue_history(conn, issue_id)?.map(|h| (h.cid, h.state)))
}

/// An issue as its latest event left it: whose, open or resolved, and since when (the day it
/// was opened, or of its latest resolve or reopen).
struct IssueHistory {
    cid: i64,
    state: IssueState,
    since: Date,
    /// Its last event resolved it as written off.
    written_off: bool,
}

fn issue_history(conn: &Connection, issue_id: i64) -> Result<Option<IssueHistory>> {
    Ok(conn
        .prepare_cached(
            "SELECT i.cid, i.opened_date, e.kind, e.event_date, e.outcome FROM issues i
               LEFT JOIN issue_events e ON e.id = (
                    SELECT x.id FROM issue_events x WHERE x.issue_id = i.id
                     ORDER BY x.event_date DESC, x.id DESC LIMIT 1)
              WHERE i.id = ?1",
        )?
        .query_row([issue_id], |r| {
            let opened: i32 = r.get(1)?;
            let resolved = r.get::<_, Option<String>>(2)?.as_deref() == Some("resolve");
            let on: Option<i32> = r.get(3)?;
            let outcome: Option<String> = r.get(4)?;
            Ok(IssueHistory {
                cid: r.get(0)?,
                state: if resolved {
                    IssueState::Resolved
                } else {
                    IssueState::Open
                },
                since: crate::domain::date::from_day_number(on.unwrap_or(opened).max(opened)),
                written_off: resolved && outcome.as_deref() == Some(Outcome::WrittenOff.as_str()),
            })
        })
        .optional()?)
}

/// What [`Activity::backfill_activity`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BackfillCounts {
    pub notes: u64,
    pub calls: u64,
    /// Follow-ups the calls scheduled, and of those the ones marked done.
    pub followups: u64,
    pub followups_done: u64,
    pub reminders: u64,
    pub replies: u64,
    pub promises: u64,
    pub issues: u64,
    pub resolved: u64,
}

impl Activity<&mut Store> {
    /// Writes activity logged before `owed` (the demo generator's history) in one
    /// transaction: notes, calls (with the follow-up each scheduled, marked done on its done
    /// day when it has one), reminders (sent on their day, their documents claimed for them),
    /// the customers' replies (received on their day, read or not), promises (recorded on
    /// their day) and disputes (opened on their day; a resolved one gets a resolve event dated
    /// on its resolution day). Timestamps are the activity's day at a
    /// working hour derived from its position, so the same list always gives the same rows. A
    /// customer or document the store does not know, a resolution dated before its dispute
    /// was opened, or a follow-up due or done before its call, is a runtime error and nothing
    /// is written.
    pub fn backfill_activity(&mut self, activities: &[PastActivity]) -> Result<BackfillCounts> {
        self.backfill_activity_until(activities, None)
    }

    /// [`Activity::backfill_activity`], no timestamp later than `not_after` (the moment a
    /// demo of today is made): the day of `not_after` and the days after it are stamped
    /// within the hours of that day before it, in the same order ([`Stamps`]). The days of
    /// what is written, and so every figure, stay as they are.
    pub fn backfill_activity_until(
        &mut self,
        activities: &[PastActivity],
        not_after: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<BackfillCounts> {
        use PastActivityKind as Kind;
        let stamps = Stamps::new(activities, not_after);
        let tx = self.store.write_tx()?;
        let mut counts = BackfillCounts::default();
        {
            let mut customer = tx.prepare_cached("SELECT cid FROM customers WHERE id = ?1")?;
            let mut document =
                tx.prepare_cached("SELECT did FROM documents WHERE id = ?1 AND cid = ?2")?;
            let mut note = tx.prepare_cached(
                "INSERT INTO notes (cid, at, collector, text) VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut call = tx.prepare_cached(
                "INSERT INTO calls (cid, at, collector, outcome, text, followup_id)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut followup = tx.prepare_cached(
                "INSERT INTO followups (cid, at, collector, due_date, text)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut followup_done = tx.prepare_cached(
                "INSERT INTO followup_done (followup_id, at, collector) VALUES (?1, ?2, ?3)",
            )?;
            let mut reminder = tx.prepare_cached(
                "INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body,
                                        status, message_id, sent_at, sent_date)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'sent', ?9, ?2, ?10)",
            )?;
            let mut reply = tx.prepare_cached(
                "INSERT INTO replies (cid, at, received_date, message_id, in_reply_to, from_addr,
                                      subject, body, read_at, verified)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1)",
            )?;
            let mut reminder_doc = tx.prepare_cached(
                "INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                                 reminder_key)
                 VALUES (?1, ?2, ?3, ?4, owed_name_key(?1), owed_name_key(?2))",
            )?;
            let mut promise = tx.prepare_cached(
                "INSERT INTO promises (cid, at, collector, amount, promised_date, recorded_date)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut promise_doc = tx.prepare_cached(
                "INSERT OR IGNORE INTO promise_documents (promise_id, did) VALUES (?1, ?2)",
            )?;
            let mut issue = tx.prepare_cached(
                "INSERT INTO issues (cid, at, collector, reason, amount, opened_date)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let mut issue_doc = tx.prepare_cached(
                "INSERT OR IGNORE INTO issue_documents (issue_id, did) VALUES (?1, ?2)",
            )?;
            let mut resolve = tx.prepare_cached(
                "INSERT INTO issue_events (issue_id, at, collector, kind, event_date, text)
                 VALUES (?1, ?2, ?3, 'resolve', ?4, ?5)",
            )?;
            // The generator lists activities customer by customer: look each customer up once.
            let mut last: Option<(&str, i64)> = None;
            // Reminders: (timestamp, customer, activity, reminder, documents), written last.
            type Sent<'a> = (String, i64, &'a PastActivity, &'a PastReminder, Vec<i64>);
            let mut sent: Vec<Sent> = Vec::new();
            for (i, a) in activities.iter().enumerate() {
                let cid = match last {
                    Some((id, cid)) if id == a.customer_id => cid,
                    _ => {
                        let cid: i64 = customer
                            .query_row([&a.customer_id], |r| r.get(0))
                            .optional()?
                            .ok_or_else(|| {
                                Error::runtime(format!(
                                    "past activity names unknown customer `{}`",
                                    a.customer_id
                                ))
                            })?;
                        last = Some((&a.customer_id, cid));
                        cid
                    }
                };
                let at = stamps.at(a.at, 9 + i % 8, (i * 7) % 60);
                let mut dids = |ids: &[String]| -> Result<Vec<i64>> {
                    ids.iter()
                        .map(|id| {
                            document
                                .query_row(params![id, cid], |r| r.get(0))
                                .optional()?
                                .ok_or_else(|| {
                                    Error::runtime(format!(
                                        "past activity names unknown document `{id}` of `{}`",
                                        a.customer_id
                                    ))
                                })
                        })
                        .collect()
                };
                match &a.kind {
                    Kind::Note { text } => {
                        note.execute(params![cid, at, a.collector, text])?;
                        counts.notes += 1;
                    }
                    Kind::Call {
                        outcome,
                        text,
                        followup: scheduled,
                    } => {
                        let followup_id = match scheduled {
                            Some(f) => {
                                if f.due < a.at || f.done.is_some_and(|done| done < a.at) {
                                    return Err(Error::runtime(format!(
                                        "a past follow-up of `{}` on {} is due or done before it",
                                        a.customer_id, a.at
                                    )));
                                }
                                followup.execute(params![
                                    cid,
                                    at,
                                    a.collector,
                                    day_number(f.due),
                                    f.text
                                ])?;
                                let id = tx.last_insert_rowid();
                                counts.followups += 1;
                                if let Some(done) = f.done {
                                    let done_at = stamps.at(done, 17, (i * 7) % 60);
                                    followup_done.execute(params![id, done_at, a.collector])?;
                                    counts.followups_done += 1;
                                }
                                Some(id)
                            }
                            None => None,
                        };
                        call.execute(params![
                            cid,
                            at,
                            a.collector,
                            outcome.as_str(),
                            text,
                            followup_id
                        ])?;
                        counts.calls += 1;
                    }
                    Kind::Reminder(r) => {
                        let linked = dids(&r.document_ids)?;
                        sent.push((at, cid, a, r, linked));
                    }
                    Kind::Reply(r) => {
                        if r.in_reply_to > a.at || r.read.is_some_and(|read| read < a.at) {
                            return Err(Error::runtime(format!(
                                "a past reply of `{}` on {} answers a later reminder or was \
                                 read before it came",
                                a.customer_id, a.at
                            )));
                        }
                        reply.execute(params![
                            cid,
                            at,
                            day_number(a.at),
                            reply_message_id(cid, a.at),
                            reminder_message_id(cid, r.in_reply_to),
                            r.from,
                            r.subject,
                            r.body,
                            r.read.map(|read| stamps.at(read, LATEST_HOUR, 0)),
                        ])?;
                        counts.replies += 1;
                    }
                    Kind::Promise {
                        amount,
                        date,
                        document_ids,
                    } => {
                        let linked = dids(document_ids)?;
                        promise.execute(params![
                            cid,
                            at,
                            a.collector,
                            units(*amount)?,
                            day_number(*date),
                            day_number(a.at)
                        ])?;
                        let id = tx.last_insert_rowid();
                        for did in linked {
                            promise_doc.execute(params![id, did])?;
                        }
                        counts.promises += 1;
                    }
                    Kind::Dispute {
                        reason,
                        amount,
                        document_ids,
                        resolved,
                    } => {
                        let linked = dids(document_ids)?;
                        issue.execute(params![
                            cid,
                            at,
                            a.collector,
                            reason,
                            units(*amount)?,
                            day_number(a.at)
                        ])?;
                        let id = tx.last_insert_rowid();
                        for did in linked {
                            issue_doc.execute(params![id, did])?;
                        }
                        counts.issues += 1;
                        if let Some(resolution) = resolved {
                            if resolution.date < a.at {
                                return Err(Error::runtime(format!(
                                    "a demo dispute of `{}` opened on {} is resolved on {}",
                                    a.customer_id, a.at, resolution.date
                                )));
                            }
                            let at = stamps.at(resolution.date, 16, (i * 7) % 60);
                            resolve.execute(params![
                                id,
                                at,
                                a.collector,
                                day_number(resolution.date),
                                resolution.text
                            ])?;
                            counts.resolved += 1;
                        }
                    }
                }
            }
            // In the order they were sent, so that their ids run with time as a real
            // outbox's do (it lists the latest sent by id).
            sent.sort_by(|x, y| x.0.cmp(&y.0));
            for (at, cid, a, r, linked) in sent {
                let message_id = reminder_message_id(cid, a.at);
                reminder.execute(params![
                    cid,
                    at,
                    a.collector,
                    r.cycle,
                    r.reminder,
                    r.to,
                    r.subject,
                    r.body,
                    message_id,
                    day_number(a.at)
                ])?;
                let id = tx.last_insert_rowid();
                for did in linked {
                    reminder_doc.execute(params![r.cycle, r.reminder, did, id])?;
                }
                counts.reminders += 1;
            }
        }
        tx.commit()?;
        Ok(counts)
    }
}

/// The latest hour of a day the backfill stamps (a reply read at 18:00; everything else
/// before it).
const LATEST_HOUR: usize = 18;

/// The timestamps of the backfill: the day at an hour, in UTC (`2026-04-30T09:07:00Z`), none
/// later than the moment given. When some would be, every stamp from the start (UTC) of
/// that moment's day up to the latest the list can have (its last day at [`LATEST_HOUR`]) is
/// brought linearly into the hours of that day before the moment: their order stays, a call
/// before its follow-up done, a reminder before the reply to it; stamps of earlier days stay
/// as they are.
struct Stamps {
    /// (the start of the squeezed span, its length, the room it is squeezed into), in
    /// seconds.
    squeeze: Option<(i64, i64, i64)>,
}

impl Stamps {
    fn new(
        activities: &[PastActivity],
        not_after: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Stamps {
        let squeeze = not_after.and_then(|cap| {
            let days = activities.iter().flat_map(|a| {
                let later = match &a.kind {
                    PastActivityKind::Call { followup, .. } => {
                        followup.as_ref().and_then(|f| f.done)
                    }
                    PastActivityKind::Reply(r) => r.read,
                    PastActivityKind::Dispute { resolved, .. } => resolved.as_ref().map(|r| r.date),
                    _ => None,
                };
                [Some(a.at), later]
            });
            let latest = Stamps::seconds(days.flatten().max()?, LATEST_HOUR, 0);
            let cap = cap.timestamp();
            let start = cap - cap.rem_euclid(86_400);
            (latest > cap).then_some((start, latest - start, cap - start))
        });
        Stamps { squeeze }
    }

    /// Seconds since the epoch of `day` at `hour`:`minute` UTC.
    fn seconds(day: Date, hour: usize, minute: usize) -> i64 {
        day.and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp())
            + (hour * 3600 + minute * 60) as i64
    }

    fn at(&self, day: Date, hour: usize, minute: usize) -> String {
        let mut t = Stamps::seconds(day, hour, minute);
        if let Some((start, span, room)) = self.squeeze
            && t > start
        {
            t = start + (t - start) * room / span;
        }
        chrono::DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    }
}

/// The Message-ID of a reminder written by the backfill: one a customer a day, so its day and
/// customer make it unique (a reply names it in `In-Reply-To`).
fn reminder_message_id(cid: i64, day: Date) -> String {
    format!("<owed.backfill.{cid}.{day}@owed.invalid>")
}

/// The Message-ID of a reply written by the backfill: one a customer a day.
fn reply_message_id(cid: i64, day: Date) -> String {
    format!("<owed.backfill.reply.{cid}.{day}@owed.invalid>")
}

/// One open invoice or debit note of a customer, for the forms' defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDebit {
    pub did: i64,
    pub id: String,
    pub number: Option<String>,
    pub due_date: Option<Date>,
    /// Open balance at the as-of date, in `currency`.
    pub balance: Decimal,
    /// Its whole amount, in `currency`.
    pub amount: Decimal,
    pub currency: String,
    /// Base-currency units per unit, at the document's date.
    pub rate: Decimal,
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Each document's whole amount (in its own currency), its currency and its rate, in the
    /// order of `dids`.
    pub fn document_amounts(&self, dids: &[i64]) -> Result<Vec<(Decimal, String, Decimal)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT amount, currency, rate FROM documents WHERE did = ?1")?;
        dids.iter()
            .map(|did| {
                let (units, currency, rate): (i64, String, crate::store::StoredRate) =
                    stmt.query_row([did], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
                Ok((money::from_units(units), currency, rate.0))
            })
            .collect()
    }

    /// A customer's invoices and debit notes open at `as_of` (dated by then, with a balance
    /// left after the applications dated by then), oldest due date first. Reads only this
    /// customer's documents.
    pub fn customer_open_debits(&self, cid: i64, as_of: Date) -> Result<Vec<OpenDebit>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT d.did, d.id, d.due_date,
                    d.amount - ifnull((SELECT sum(a.amount) FROM applications a
                                        WHERE a.did = d.did AND a.date <= ?2), 0),
                    d.currency, d.rate, d.number, d.amount
               FROM documents d INDEXED BY documents_customer
              WHERE d.cid = ?1 AND d.doc_date <= ?2 AND d.kind <> 'credit_note'",
        )?;
        let rows = stmt.query_map(params![cid, day_number(as_of)], |r| {
            let rate: crate::store::StoredRate = r.get(5)?;
            Ok(OpenDebit {
                did: r.get(0)?,
                id: r.get(1)?,
                number: r.get(6)?,
                due_date: r
                    .get::<_, Option<i32>>(2)?
                    .map(crate::domain::date::from_day_number),
                balance: money::from_units(r.get(3)?),
                amount: money::from_units(r.get(7)?),
                currency: r.get(4)?,
                rate: rate.0,
            })
        })?;
        let mut out: Vec<OpenDebit> = rows
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .filter(|d| !d.balance.is_zero())
            .collect();
        out.sort_by(|a, b| {
            a.due_date.cmp(&b.due_date).then_with(|| {
                document_order((&a.id, a.number.as_deref()), (&b.id, b.number.as_deref()))
            })
        });
        Ok(out)
    }
}
