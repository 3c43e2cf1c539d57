//! What the team figures need from the database (`domain::team`), aggregated in SQL.
//!
//! A touch is any entry a collector recorded on a customer (see `domain::team`); its day is
//! the action's own date where the table has one, else the day of its timestamp. What a run
//! wrote in their name is none: a deduction a lockbox file opened (`deduction_payments`),
//! and a deduction's resolve or reopen an import or lockbox run wrote
//! (`deduction_withdrawals`, `deduction_run_events`). A reminder sent is the touch of who
//! signed it (`reminder_signers`: the customer's finance owner, else the sender), not of who
//! ran the send (a cron run's OS user); one recorded before schema 30 has no signer row and
//! was signed by its sender. `TOUCHES` is the one definition, shared by the touches listed
//! and the money paid after them.

use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::team::{Logged, PAID_WITHIN_DAYS, TakenPromise, Touch};
use crate::domain::{Date, Decimal, money};
use crate::store::Activity;
use crate::store::Store;
use crate::store::activity::promises::PromiseFilter;
use crate::store::queue::day_of;
use rusqlite::params;
use std::collections::HashMap;

/// Every touch as (collector, cid, day), with repeats; `?1` and `?2` bound the days.
fn touches_sql() -> String {
    let at = |column: &str| day_of(column);
    format!(
        "SELECT collector, cid, {n} AS day FROM notes
          WHERE {n} BETWEEN ?1 AND ?2
         UNION ALL
         SELECT collector, cid, {n} FROM calls WHERE {n} BETWEEN ?1 AND ?2
         UNION ALL
         SELECT collector, cid, recorded_date FROM promises WHERE recorded_date BETWEEN ?1 AND ?2
         UNION ALL
         SELECT v.collector, p.cid, {v} FROM promise_voids v JOIN promises p ON p.id = v.promise_id
          WHERE {v} BETWEEN ?1 AND ?2
         UNION ALL
         SELECT collector, cid, opened_date FROM issues WHERE opened_date BETWEEN ?1 AND ?2
            AND id NOT IN (SELECT issue_id FROM deduction_payments)
         UNION ALL
         SELECT e.collector, i.cid, e.event_date FROM issue_events e JOIN issues i ON i.id = e.issue_id
          WHERE e.event_date BETWEEN ?1 AND ?2
            AND e.id NOT IN (SELECT event_id FROM deduction_withdrawals
                             UNION ALL SELECT event_id FROM deduction_run_events)
         UNION ALL
         SELECT collector, cid, {f} FROM followups WHERE {f} BETWEEN ?1 AND ?2
         UNION ALL
         SELECT d.collector, f.cid, {d} FROM followup_done d JOIN followups f ON f.id = d.followup_id
          WHERE {d} BETWEEN ?1 AND ?2
         UNION ALL
         SELECT {signer}, r.cid, r.sent_date FROM reminders r
           LEFT JOIN reminder_signers s ON s.reminder_id = r.id
          WHERE r.status = 'sent' AND r.sent_date BETWEEN ?1 AND ?2",
        n = at("at"),
        v = at("v.at"),
        f = at("at"),
        d = at("d.at"),
        signer = SIGNER,
    )
}

/// Who signed a reminder `r` (its `reminder_signers` row `s`), else who sent it: whose
/// reminder it is in the team's figures.
const SIGNER: &str = "ifnull(s.name, r.collector)";

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// Every customer's key and finance owner.
    pub fn finance_owners(&self) -> Result<Vec<(i64, Option<String>)>> {
        crate::store::rows(
            self.conn(),
            "SELECT cid, finance_owner FROM customers",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Touches from `from` through `to`, one per (collector, customer, day).
    pub fn touches(&self, from: Date, to: Date) -> Result<Vec<Touch>> {
        let sql = format!(
            "SELECT DISTINCT collector, cid, day FROM ({}) ORDER BY day",
            touches_sql()
        );
        crate::store::rows(
            self.conn(),
            &sql,
            params![day_number(from), day_number(to)],
            |r| {
                Ok(Touch {
                    collector: r.get(0)?,
                    cid: r.get(1)?,
                    day: from_day_number(r.get(2)?),
                })
            },
        )
    }

    /// Calls logged per collector from `from` through `to` (by the day of their timestamp).
    pub fn calls_by_collector(&self, from: Date, to: Date) -> Result<HashMap<String, u64>> {
        let sql = format!(
            "SELECT collector, count(*) FROM calls WHERE {} BETWEEN ?1 AND ?2 GROUP BY collector",
            day_of("at")
        );
        crate::store::rows(
            self.conn(),
            &sql,
            params![day_number(from), day_number(to)],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs())),
        )
    }

    /// Per collector, from `from` through `to`: notes logged (by the day of their timestamp),
    /// issues opened (on their opened date) and resolves recorded (on their date), leaving out
    /// what a run wrote in a collector's name, as touches do; and the reminders sent (on
    /// their sent date) that they signed, by hand (the cycle `manual`: the workstation's `r`)
    /// or by an engagement run (every other cycle: `owed engage run`, the engagement
    /// screen's send), whoever sent them.
    pub fn logged_by_collector(&self, from: Date, to: Date) -> Result<HashMap<String, Logged>> {
        let sql = format!(
            "SELECT collector, sum(kind = 0), sum(kind = 1), sum(kind = 2), sum(kind = 3),
                    sum(kind = 4) FROM (
               SELECT collector, 0 AS kind FROM notes WHERE {n} BETWEEN ?1 AND ?2
               UNION ALL
               SELECT collector, 1 FROM issues WHERE opened_date BETWEEN ?1 AND ?2
                  AND id NOT IN (SELECT issue_id FROM deduction_payments)
               UNION ALL
               SELECT collector, 2 FROM issue_events
                WHERE kind = 'resolve' AND event_date BETWEEN ?1 AND ?2
                  AND id NOT IN (SELECT event_id FROM deduction_withdrawals
                                 UNION ALL SELECT event_id FROM deduction_run_events)
               UNION ALL
               SELECT {signer}, CASE WHEN r.cycle = 'manual' THEN 3 ELSE 4 END
                 FROM reminders r LEFT JOIN reminder_signers s ON s.reminder_id = r.id
                WHERE r.status = 'sent' AND r.sent_date BETWEEN ?1 AND ?2)
             GROUP BY collector",
            n = day_of("at"),
            signer = SIGNER,
        );
        let count = |r: &rusqlite::Row, i| r.get::<_, i64>(i).map(i64::unsigned_abs);
        crate::store::rows(
            self.conn(),
            &sql,
            params![day_number(from), day_number(to)],
            |r| {
                Ok((
                    r.get(0)?,
                    Logged {
                        notes: count(r, 1)?,
                        disputes_opened: count(r, 2)?,
                        disputes_resolved: count(r, 3)?,
                        reminders_by_hand: count(r, 4)?,
                        reminders_by_runs: count(r, 5)?,
                    },
                ))
            },
        )
    }

    /// Per collector: money from payments applied to the documents of a customer they touched
    /// from `from` through `to`, dated from the touch's day through 14 days after it (and not
    /// after `to`), each application once per collector, in the base currency (each document
    /// at its own rate). A customer touched by two collectors counts for both.
    pub fn paid_after_touches(
        &self,
        from: Date,
        to: Date,
        base_currency: &str,
    ) -> Result<HashMap<String, Decimal>> {
        let sql = format!(
            "WITH t AS (SELECT DISTINCT collector, cid, day FROM ({touches})),
                  paid AS (
                    SELECT DISTINCT t.collector, a.aid, a.amount, d.rate
                      FROM t CROSS JOIN documents d ON d.cid = t.cid
                      CROSS JOIN applications a ON a.did = d.did
                     WHERE a.source_pid IS NOT NULL
                       AND a.date BETWEEN t.day AND min(t.day + {PAID_WITHIN_DAYS}, ?2))
             SELECT collector, rate, sum(amount) FROM paid GROUP BY collector, rate",
            touches = touches_sql()
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let mut rows = stmt.query(params![day_number(from), day_number(to)])?;
        let mut out: HashMap<String, Decimal> = HashMap::new();
        while let Some(r) = rows.next()? {
            let rate = r.get::<_, crate::store::StoredRate>(1)?.0;
            let amount =
                money::round_to_currency(money::from_units(r.get(2)?) * rate, base_currency);
            *out.entry(r.get(0)?).or_default() += amount;
        }
        Ok(out)
    }

    /// Unread replies received by `as_of`, per customer.
    pub fn replies_waiting(&self, as_of: Date) -> Result<HashMap<i64, u64>> {
        crate::store::rows(
            self.conn(),
            "SELECT cid, count(*) FROM replies INDEXED BY replies_unread
              WHERE read_at IS NULL AND received_date <= ?1 GROUP BY cid",
            [day_number(as_of)],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.unsigned_abs())),
        )
    }

    /// The promises recorded from `from` through `as_of`, and those recorded earlier whose
    /// deadline (date plus `grace_days`) falls from `from` on, with their state at `as_of`.
    pub fn promises_for_team(
        &self,
        from: Date,
        as_of: Date,
        grace_days: u32,
        base: &str,
    ) -> Result<Vec<TakenPromise>> {
        let filter = PromiseFilter::RecordedOrDueSince {
            from: day_number(from),
            to: day_number(as_of),
            grace: grace_days,
        };
        let promises = self.promises_where(filter, as_of, grace_days, base, false)?;
        Ok(promises
            .into_iter()
            .map(|p| TakenPromise {
                collector: p.collector,
                cid: p.cid,
                recorded: p.recorded,
                deadline: p
                    .date
                    .checked_add_days(chrono::Days::new(u64::from(grace_days)))
                    .unwrap_or(Date::MAX),
                state: p.progress.state,
            })
            .collect())
    }
}
