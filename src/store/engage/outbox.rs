//! The outbox: reminders claimed, sent, released or of unknown fate, the documents they
//! claim, and the holds that keep a customer out of the cycles. The writes follow the
//! at-most-once protocol described in `crate::engage`.

use super::{Engagement, date_of, is_constraint};
use crate::Result;
use crate::domain::Date;
use crate::domain::action_checks::Stamp;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::document::number_order;
use crate::domain::engage::{
    HoldRow, OutboxRow, Released, claim_day, pending_too_soon, sent_too_soon,
};
use crate::domain::text::name_key;
use crate::domain::users::{Work, may};
use crate::store::Store;
use rusqlite::{Connection, OptionalExtension, params};
use std::collections::HashMap;

/// At most one reminder to customer `cid` per `days` days (0: one a day) by `as_of`: a
/// cycle's reminder is not claimed when another was sent (or claimed, still pending) since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spacing {
    pub cid: i64,
    pub as_of: Date,
    pub days: u32,
    /// The day the run sends on: a reminder sent by a run of a later date than `as_of`
    /// counts by the day it was delivered, from this one.
    pub today: Date,
}

/// A reminder claimed and not known sent nor failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReminder {
    /// The day its run was for (none when recorded before it was kept).
    pub run_date: Option<Date>,
    /// When it was claimed (RFC 3339).
    pub at: String,
}

/// What a run claims in the outbox: a reminder row (its documents are given beside it).
#[derive(Debug, Clone, Default)]
pub struct NewReminder {
    pub cid: i64,
    pub at: String,
    /// Who sent it (ran the send): the actor, for the audit trail.
    pub collector: String,
    /// Who signed it (the templates' `collector`): the customer's finance owner, else the
    /// sender.
    pub signed_by: String,
    pub cycle: String,
    pub reminder: String,
    pub to_addr: String,
    /// Who it is copied to (`a@x.example, b@x.example`); `None`: nobody.
    pub cc_addr: Option<String>,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    /// The Message-ID of an email; a text message gets a unique one too (`<sms.…@…>`), which
    /// no reply can match.
    pub message_id: String,
    /// `email` or `sms`.
    pub channel: &'static str,
    /// The run's date (its as-of date), the day the reminder is shown on until it is sent.
    pub run_date: Date,
}

/// The condition on a hold `h` that it is in force at day `?1`: its customer's latest placed
/// by then, running until `?1` or later; of customer `?2` alone when `cid` is given (through
/// its index: `?2 IS NULL OR …` would scan every hold).
fn in_force(cid: Option<i64>) -> String {
    let which = if cid.is_some() {
        "h.cid = ?2"
    } else {
        "?2 IS NULL"
    };
    format!(
        "{which} AND h.id = (SELECT max(x.id) FROM engagement_holds x
                                 WHERE x.cid = h.cid AND ifnull(x.from_date, ?1) <= ?1)
                    AND h.until_date >= ?1"
    )
}

impl<S: std::ops::Deref<Target = Store>> Engagement<S> {
    /// The latest day a reminder (email or text message, of a cycle or by hand) was sent to
    /// each customer, by `as_of`.
    pub fn last_reminder_dates(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        self.date_map(
            "SELECT cid, max(sent_date) FROM reminders INDEXED BY reminders_sent
              WHERE status = 'sent' AND sent_date <= ?1 GROUP BY cid",
            as_of,
        )
    }

    /// Customers sent a reminder by a run of a later date than `as_of`, with when the latest
    /// of those was delivered (RFC 3339): a run of an earlier date is sent now, and spaces
    /// its reminders from when they were sent.
    pub fn sent_after(&self, as_of: Date) -> Result<HashMap<i64, String>> {
        crate::store::rows(
            self.conn(),
            "SELECT cid, max(ifnull(sent_at, at)) FROM reminders INDEXED BY reminders_sent
              WHERE status = 'sent' AND sent_date > ?1 GROUP BY cid",
            [day_number(as_of)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// How many reminders are claimed and not known sent nor failed: in flight, or their
    /// delivery unknown (a lost connection, or a run that died before it recorded one).
    pub fn pending_count(&self) -> Result<usize> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM reminders WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Customers with reminders claimed and not known sent nor failed (in flight, or their
    /// delivery unknown after a lost connection or a crash): each one's run date (none when
    /// recorded before it was kept) and when it was claimed, the latest claimed first.
    pub fn pending_reminders(&self) -> Result<HashMap<i64, Vec<PendingReminder>>> {
        let rows: Vec<(i64, PendingReminder)> = crate::store::rows(
            self.conn(),
            "SELECT cid, run_date, at FROM reminders WHERE status = 'pending'
              ORDER BY at DESC, id DESC",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    PendingReminder {
                        run_date: date_of(r.get(1)?),
                        at: r.get(2)?,
                    },
                ))
            },
        )?;
        let mut by_customer: HashMap<i64, Vec<PendingReminder>> = HashMap::new();
        for (cid, pending) in rows {
            by_customer.entry(cid).or_default().push(pending);
        }
        Ok(by_customer)
    }

    /// The cycle and reminder of the latest reminder a cycle sent to customer `cid` by
    /// `as_of` (one recorded under the cycle name `by_hand`, a collector's, does not count).
    pub fn last_cycle_reminder(
        &self,
        cid: i64,
        as_of: Date,
        by_hand: &str,
    ) -> Result<Option<(String, String)>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT cycle, reminder FROM reminders INDEXED BY reminders_sent_customer
                  WHERE cid = ?1 AND status = 'sent' AND sent_date <= ?2 AND cycle <> ?3
                  ORDER BY sent_date DESC, id DESC LIMIT 1",
            )?
            .query_row(rusqlite::params![cid, day_number(as_of), by_hand], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// Customers held back from engagement at `as_of`: those whose latest hold placed by then
    /// runs until `as_of` or later.
    pub fn held_customers(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        self.held(as_of, None)
    }

    /// Until when customer `cid` is held back from engagement at `as_of`, if it is (see
    /// [`Engagement::held_customers`]).
    pub fn held_until(&self, cid: i64, as_of: Date) -> Result<Option<Date>> {
        Ok(self.held(as_of, Some(cid))?.remove(&cid))
    }

    /// The customers held back from a plan of `as_of` sent on `today`: those held at
    /// `as_of`, and, when `as_of` is earlier (the plan is sent now), those held today, each
    /// until the date of the hold in force today when there is one, else of the one then.
    pub fn held_then_or_now(&self, as_of: Date, today: Date) -> Result<HashMap<i64, Date>> {
        let mut held = self.held(as_of, None)?;
        if today > as_of {
            held.extend(self.held(today, None)?);
        }
        Ok(held)
    }

    /// The holds that keep customers out of a plan of `as_of` sent on `today` (see
    /// [`Engagement::held_then_or_now`]): the one in force today, else the one in force at
    /// `as_of`, by customer id.
    pub fn holds_then_or_now(&self, as_of: Date, today: Date) -> Result<Vec<HoldRow>> {
        let mut rows = self.holds_at(as_of)?;
        if today > as_of {
            let now = self.holds_at(today)?;
            let cids: std::collections::HashSet<i64> = now.iter().map(|h| h.cid).collect();
            rows.retain(|h| !cids.contains(&h.cid));
            rows.extend(now);
            rows.sort_by(|a, b| number_order(&a.customer_id, &b.customer_id));
        }
        Ok(rows)
    }

    /// The hold that keeps customer `cid` out of a plan of `as_of` sent on `today`, if any
    /// (see [`Engagement::holds_then_or_now`]).
    pub fn hold_then_or_now(&self, cid: i64, as_of: Date, today: Date) -> Result<Option<HoldRow>> {
        if today > as_of
            && let Some(now) = self.holds_at_for(today, Some(cid))?.pop()
        {
            return Ok(Some(now));
        }
        Ok(self.holds_at_for(as_of, Some(cid))?.pop())
    }

    fn held(&self, as_of: Date, cid: Option<i64>) -> Result<HashMap<i64, Date>> {
        crate::store::rows(
            self.conn(),
            &format!(
                "SELECT h.cid, h.until_date FROM engagement_holds h
                  WHERE {}",
                in_force(cid)
            ),
            params![day_number(as_of), cid],
            |r| Ok((r.get(0)?, from_day_number(r.get(1)?))),
        )
    }

    /// The holds in force at `as_of` (each customer's latest, running until `as_of` or later),
    /// by customer id.
    pub fn holds_at(&self, as_of: Date) -> Result<Vec<HoldRow>> {
        self.holds_at_for(as_of, None)
    }

    /// [`Engagement::holds_at`], of customer `cid` alone when given.
    fn holds_at_for(&self, as_of: Date, cid: Option<i64>) -> Result<Vec<HoldRow>> {
        crate::store::rows(
            self.conn(),
            &format!(
                "SELECT h.cid, c.id, c.name, h.until_date, h.collector, h.text, h.at
                   FROM engagement_holds h JOIN customers c ON c.cid = h.cid
                  WHERE {}
                  ORDER BY c.id COLLATE owed_number",
                in_force(cid)
            ),
            params![day_number(as_of), cid],
            |r| {
                Ok(HoldRow {
                    cid: r.get(0)?,
                    customer_id: r.get(1)?,
                    name: r.get(2)?,
                    until: from_day_number(r.get(3)?),
                    collector: r.get(4)?,
                    text: r.get(5)?,
                    at: r.get(6)?,
                })
            },
        )
    }

    /// The latest sent date of an emailed reminder per customer, by `as_of`.
    pub fn last_email_dates(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        self.date_map(
            "SELECT cid, max(sent_date) FROM reminders
              WHERE status = 'sent' AND channel = 'email' AND sent_date <= ?1 GROUP BY cid",
            as_of,
        )
    }

    /// The latest sent date of an emailed reminder per document it named, by `as_of`.
    pub fn last_email_dates_by_document(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        self.date_map(
            "SELECT rd.did, max(r.sent_date) FROM reminder_documents rd
               JOIN reminders r ON r.id = rd.reminder_id
              WHERE r.status = 'sent' AND r.channel = 'email' AND r.sent_date <= ?1
              GROUP BY rd.did",
            as_of,
        )
    }

    /// The documents claimed by reminders of `cycles`, as (cycle, reminder, did): the cycle as
    /// asked, the reminder as recorded, a cycle's records found by the key of its name
    /// ([`name_key`]: `Dunning` sent what `DUNNING` finds).
    pub fn claimed_documents(&self, cycles: &[&str]) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT reminder, did FROM reminder_documents WHERE cycle_key = ?1")?;
        let mut out = Vec::new();
        for cycle in cycles {
            let rows = stmt.query_map([name_key(cycle)], |r| {
                Ok((cycle.to_string(), r.get(0)?, r.get(1)?))
            })?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// As of `as_of`: the reminders not sent (pending or failed), newest first, and the latest
    /// `limit` sent, of the runs of `as_of` or before (each on its run's date; one recorded
    /// before that was kept, on the day it was claimed): what the outbox held then.
    pub fn outbox(&self, as_of: Date, limit: usize) -> Result<Vec<OutboxRow>> {
        let day = format!(
            "ifnull(r.sent_date, ifnull(r.run_date, {}))",
            crate::store::queue::day_of("r.at")
        );
        crate::store::rows(
            self.conn(),
            &format!(
                "SELECT * FROM (
                SELECT r.id, c.id, r.at, r.cycle, r.reminder, r.to_addr, r.subject, r.status,
                       r.error, r.message_id, r.sent_date, r.cc_addr, x.collector, x.at,
                       r.run_date
                  FROM reminders r JOIN customers c ON c.cid = r.cid
                  LEFT JOIN reminder_releases x ON x.reminder_id = r.id
                 WHERE r.status <> 'sent' AND {day} <= ?2
                UNION ALL
                SELECT * FROM (
                    SELECT r.id, c.id, r.at, r.cycle, r.reminder, r.to_addr, r.subject, r.status,
                           r.error, r.message_id, r.sent_date, r.cc_addr, NULL, NULL, r.run_date
                      FROM reminders r JOIN customers c ON c.cid = r.cid
                     WHERE r.status = 'sent' AND r.sent_date <= ?2
                     ORDER BY r.id DESC LIMIT ?1))
             ORDER BY 1 DESC"
            ),
            params![limit as i64, day_number(as_of)],
            |r| {
                Ok(OutboxRow {
                    id: r.get(0)?,
                    customer_id: r.get(1)?,
                    at: r.get(2)?,
                    cycle: r.get(3)?,
                    reminder: r.get(4)?,
                    to_addr: r.get(5)?,
                    subject: r.get(6)?,
                    status: r.get(7)?,
                    error: r.get(8)?,
                    message_id: r.get(9)?,
                    sent_date: date_of(r.get(10)?),
                    cc_addr: r.get(11)?,
                    run_date: date_of(r.get(14)?),
                    released: released(r.get(12)?, r.get(13)?),
                })
            },
        )
    }
}

/// What [`Engagement::hold_customer`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldDone {
    /// Held back until the day asked.
    Held,
    /// A past day released the hold that ran until `was`.
    Released { was: Date },
    /// A past day on a customer not held: nothing to release, nothing written.
    NotHeld,
}

impl Engagement<&mut Store> {
    /// Holds `cid` back from every cycle until `until` (inclusive); a hold until a day before
    /// the stamp's releases the one in force then (the latest hold decides). On a customer
    /// not held that day there is nothing to release, and a release written would read as
    /// one in its activity: nothing is written. A manager's (the stamp's role is checked
    /// either way, in the transaction when it writes). The hold in force is read in the
    /// write's transaction ([`Store::in_one_write`]).
    pub fn hold_customer(
        &mut self,
        stamp: &Stamp,
        cid: i64,
        until: Date,
        text: Option<&str>,
    ) -> Result<HoldDone> {
        self.store.in_one_write(|store| {
            store
                .engagement_mut()
                .hold_customer_now(stamp, cid, until, text)
        })
    }

    /// [`Self::hold_customer`] inside its transaction.
    fn hold_customer_now(
        &mut self,
        stamp: &Stamp,
        cid: i64,
        until: Date,
        text: Option<&str>,
    ) -> Result<HoldDone> {
        let was = self.held_until(cid, stamp.today)?;
        let releases = until < stamp.today;
        if releases && was.is_none() {
            let conn = self.store.conn();
            crate::store::activity::action_writes::may_on(conn, &stamp.actor(), Work::Hold, cid)?;
            return Ok(HoldDone::NotHeld);
        }
        let tx = self.store.write_tx()?;
        crate::store::activity::action_writes::may_on(&tx, &stamp.actor(), Work::Hold, cid)?;
        tx.execute(
            "INSERT INTO engagement_holds (cid, at, collector, until_date, text, from_date)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                cid,
                stamp.at,
                stamp.collector,
                day_number(until),
                text,
                day_number(stamp.today)
            ],
        )?;
        tx.commit()?;
        Ok(match was {
            Some(was) if releases => HoldDone::Released { was },
            _ => HoldDone::Held,
        })
    }

    /// Claims `documents` for reminder `new.reminder` of `new.cycle` and records the pending
    /// reminder, in one transaction: the documents already claimed for any of `taken_by`
    /// (this reminder and the cycle's later ones; names compared by their [`name_key`], as
    /// the cycle files compare them) are left out first; then the rest are
    /// inserted, and the primary key (cycle, reminder, did) refuses any document a concurrent
    /// run claimed meanwhile. `render` builds the message and the row for the documents that
    /// remain (called inside the transaction, with none claimed by anyone else).
    ///
    /// With `spacing` (a cycle's reminder), nothing is claimed either when the customer was
    /// sent a reminder too soon before (or has one pending, claimed then), which another run
    /// may have done since the plan was made.
    ///
    /// Returns the reminder's id and the documents claimed, or `None` when nothing was left
    /// to claim (or a conflict made this run lose the race).
    pub fn claim_reminder<R>(
        &mut self,
        cycle: &str,
        taken_by: &[&str],
        documents: &[i64],
        spacing: Option<Spacing>,
        render: impl FnOnce(&[i64]) -> Result<(R, NewReminder)>,
    ) -> Result<Option<(i64, Vec<i64>, R)>> {
        let tx = self.store.write_tx()?;
        if let Some(spacing) = spacing {
            // Sent, or pending since (claimed, delivery not known), on a day too soon; sent
            // by a run of a later date, delivered too soon before today.
            let mut days = tx.prepare_cached(
                "SELECT status, sent_date, ifnull(sent_at, at), at, run_date FROM reminders
                  WHERE cid = ?1 AND status IN ('pending', 'sent')",
            )?;
            let mut rows = days.query(params![spacing.cid])?;
            while let Some(row) = rows.next()? {
                let status: String = row.get(0)?;
                let soon = match (status.as_str(), row.get::<_, Option<i32>>(1)?) {
                    // On its run's date, as a sent one.
                    ("pending", _) => pending_too_soon(
                        date_of(row.get(4)?),
                        claim_day(&row.get::<_, String>(3)?),
                        spacing.as_of,
                        spacing.today,
                        spacing.days,
                    ),
                    (_, Some(run)) => sent_too_soon(
                        from_day_number(run),
                        claim_day(&row.get::<_, String>(2)?),
                        spacing.as_of,
                        spacing.today,
                        spacing.days,
                    ),
                    _ => false,
                };
                if soon {
                    return Ok(None);
                }
            }
        }
        let free: Vec<i64> = {
            let mut taken = tx.prepare_cached(
                "SELECT 1 FROM reminder_documents
                  WHERE cycle_key = ?1 AND reminder_key = ?2 AND did = ?3",
            )?;
            let cycle = name_key(cycle);
            let taken_by: Vec<String> = taken_by.iter().map(|r| name_key(r)).collect();
            let mut free = Vec::with_capacity(documents.len());
            for &did in documents {
                let mut claimed = false;
                for reminder in &taken_by {
                    if taken
                        .query_row(params![cycle, reminder, did], |_| Ok(()))
                        .optional()?
                        .is_some()
                    {
                        claimed = true;
                        break;
                    }
                }
                if !claimed {
                    free.push(did);
                }
            }
            free
        };
        if free.is_empty() {
            return Ok(None);
        }
        let (rendered, new) = render(&free)?;
        let id = insert_reminder(&tx, &new, "pending", None)?;
        {
            let mut claim = tx.prepare_cached(
                "INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                                 reminder_key)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            let keys = (name_key(&new.cycle), name_key(&new.reminder));
            for &did in &free {
                match claim.execute(params![new.cycle, new.reminder, did, id, keys.0, keys.1]) {
                    Ok(_) => {}
                    Err(e) if is_constraint(&e) => return Ok(None),
                    Err(e) => return Err(e.into()),
                }
            }
        }
        tx.commit()?;
        Ok(Some((id, free, rendered)))
    }

    /// Marks a claimed reminder sent.
    pub fn mark_reminder_sent(&mut self, id: i64, sent_at: &str, sent_date: Date) -> Result<()> {
        let tx = self.store.write_tx()?;
        tx.execute(
            "UPDATE reminders SET status = 'sent', error = NULL, sent_at = ?2, sent_date = ?3
              WHERE id = ?1",
            params![id, sent_at, day_number(sent_date)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Marks a claimed reminder failed (known not delivered) and releases its documents, so
    /// that a later run plans them again.
    pub fn release_reminder(&mut self, id: i64, error: &str) -> Result<()> {
        let tx = self.store.write_tx()?;
        tx.execute(
            "UPDATE reminders SET status = 'failed', error = ?2 WHERE id = ?1",
            params![id, error],
        )?;
        free_claims(&tx, id)?;
        tx.commit()?;
        Ok(())
    }

    /// Records a reminder that could not be made for its customer (its template failed on
    /// their values) as failed, with why, claiming no document: the outbox and the customer's
    /// timeline show it, and a later run plans it again (once the template is mended).
    pub fn record_unmade_reminder(&mut self, new: &NewReminder, error: &str) -> Result<i64> {
        let tx = self.store.write_tx()?;
        let id = insert_reminder(&tx, new, "failed", Some(error))?;
        tx.commit()?;
        Ok(id)
    }

    /// Records why a pending reminder's delivery is unknown; it stays pending and keeps its
    /// documents claimed.
    pub fn note_reminder_unknown(&mut self, id: i64, error: &str) -> Result<()> {
        let tx = self.store.write_tx()?;
        tx.execute(
            "UPDATE reminders SET error = ?2 WHERE id = ?1 AND status = 'pending'",
            params![id, error],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Releases a pending reminder a person has found was not delivered, noting who and
    /// when beside the run's error (which stays). A manager's (the stamp's role is checked in the transaction). One claimed less
    /// than `window` before `now` whose run has recorded nothing is not released: a run may be
    /// sending it (see [`crate::domain::engage::may_be_in_flight`]).
    pub fn release_pending_reminder(
        &mut self,
        stamp: &Stamp,
        id: i64,
        now: chrono::DateTime<chrono::Utc>,
        window: chrono::Duration,
    ) -> Result<Release> {
        let tx = self.store.write_tx()?;
        let actor = crate::store::users::as_now(&tx, &stamp.actor())?;
        may(&actor, Work::ReleaseReminder, None).map_err(crate::Error::Input)?;
        let pending: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT at, error FROM reminders WHERE id = ?1 AND status = 'pending'",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((at, error)) = pending else {
            return Ok(Release::NotPending);
        };
        if crate::domain::engage::may_be_in_flight(&at, error.as_deref(), now, window) {
            return Ok(Release::MaybeInFlight { claimed_at: at });
        }
        // Who released it and when, beside the run's error (why its delivery is unknown).
        let n = tx.execute(
            "UPDATE reminders SET status = 'failed' WHERE id = ?1 AND status = 'pending'",
            [id],
        )?;
        if n == 1 {
            tx.execute(
                "INSERT INTO reminder_releases (reminder_id, at, collector) VALUES (?1, ?2, ?3)",
                params![id, stamp.at, stamp.collector],
            )?;
            free_claims(&tx, id)?;
        }
        tx.commit()?;
        Ok(if n == 1 {
            Release::Released
        } else {
            Release::NotPending
        })
    }
}

/// Who released a reminder by hand and when, from a `reminder_releases` row (none: nobody).
pub(crate) fn released(by: Option<String>, at: Option<String>) -> Option<Released> {
    Some(Released { by: by?, at: at? })
}

/// Frees the claims of reminder `id` for a later run to plan its documents again, keeping
/// which documents it was about (`reminder_documents_released`).
fn free_claims(conn: &Connection, id: i64) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO reminder_documents_released (reminder_id, did)
         SELECT reminder_id, did FROM reminder_documents WHERE reminder_id = ?1",
        [id],
    )?;
    conn.execute(
        "DELETE FROM reminder_documents WHERE reminder_id = ?1",
        [id],
    )?;
    Ok(())
}

/// What [`Engagement::release_pending_reminder`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    Released,
    /// No pending reminder has that id.
    NotPending,
    /// Claimed so recently, with nothing recorded since, that a run may be sending it now.
    MaybeInFlight {
        claimed_at: String,
    },
}

/// Inserts the reminder `new` with `status` (and why, for one not sent); returns its id. An
/// empty Message-ID (a reminder never made) is stored as none: the column is unique.
fn insert_reminder(
    conn: &Connection,
    new: &NewReminder,
    status: &str,
    error: Option<&str>,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body,
                                html, status, error, message_id, channel, cc_addr, run_date)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        params![
            new.cid,
            new.at,
            new.collector,
            new.cycle,
            new.reminder,
            new.to_addr,
            new.subject,
            new.body,
            new.html,
            status,
            error,
            Some(new.message_id.as_str()).filter(|m| !m.is_empty()),
            new.channel,
            new.cc_addr,
            day_number(new.run_date)
        ],
    )?;
    let id = conn.last_insert_rowid();
    if !new.signed_by.is_empty() {
        conn.execute(
            "INSERT INTO reminder_signers (reminder_id, name) VALUES (?1, ?2)",
            params![id, new.signed_by],
        )?;
    }
    Ok(id)
}
