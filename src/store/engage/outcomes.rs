//! What followed the reminders sent, for the engagement report: replies, promises and
//! payments after each, money collected after them, and the day-by-day counts.

use super::Engagement;
use crate::Result;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::{Date, Decimal, money};
use crate::store::Store;
use rusqlite::params;
use std::collections::HashMap;

/// A sent reminder with what followed it, for the engagement report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderOutcome {
    pub id: i64,
    pub cycle: String,
    pub reminder: String,
    pub sent_date: Date,
    /// `email` or `sms`.
    pub channel: String,
    /// A verified reply from the customer within 7 days (by the as-of date).
    pub replied: bool,
    /// A promise recorded for the customer within 7 days.
    pub promised: bool,
    /// Every document of the reminder settled within 14 days (a reminder that named none was
    /// not paid).
    pub paid: bool,
}

impl<S: std::ops::Deref<Target = Store>> Engagement<S> {
    /// Every reminder sent by `as_of`, with its outcomes as of `as_of`.
    pub fn reminder_outcomes(&self, as_of: Date) -> Result<Vec<ReminderOutcome>> {
        crate::store::rows(self.conn(), "SELECT r.id, r.cycle, r.reminder, r.sent_date,
                    EXISTS (SELECT 1 FROM replies p WHERE p.cid = r.cid AND p.verified = 1
                             AND p.received_date BETWEEN r.sent_date AND min(r.sent_date + 7, ?1)),
                    EXISTS (SELECT 1 FROM promises p WHERE p.cid = r.cid
                             AND p.recorded_date BETWEEN r.sent_date AND min(r.sent_date + 7, ?1)),
                    EXISTS (SELECT 1 FROM reminder_documents rd WHERE rd.reminder_id = r.id)
                    AND NOT EXISTS (SELECT 1 FROM reminder_documents rd JOIN documents d ON d.did = rd.did
                                 WHERE rd.reminder_id = r.id
                                   AND d.amount > (SELECT ifnull(sum(a.amount), 0) FROM applications a
                                                    WHERE a.did = d.did
                                                      AND a.date <= min(r.sent_date + 14, ?1))),
                    r.channel
               FROM reminders r INDEXED BY reminders_sent
              WHERE r.status = 'sent' AND r.sent_date <= ?1
              ORDER BY r.id", [day_number(as_of)], |r| {
            Ok(ReminderOutcome {
                id: r.get(0)?,
                cycle: r.get(1)?,
                reminder: r.get(2)?,
                sent_date: from_day_number(r.get(3)?),
                replied: r.get(4)?,
                promised: r.get(5)?,
                paid: r.get(6)?,
                channel: r.get(7)?,
            })
        })
    }

    /// Per sent reminder, what was applied to its documents after its sent date through
    /// `as_of`, as (reminder id, amount in the base currency).
    pub fn collected_after_reminders(
        &self,
        as_of: Date,
        base_currency: &str,
    ) -> Result<HashMap<i64, Decimal>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT rd.reminder_id, d.rate, sum(a.amount)
               FROM reminders r
               JOIN reminder_documents rd ON rd.reminder_id = r.id
               JOIN documents d ON d.did = rd.did
               JOIN applications a ON a.did = d.did
              WHERE r.status = 'sent' AND r.sent_date <= ?1
                AND a.date > r.sent_date AND a.date <= ?1
              GROUP BY rd.reminder_id, d.did",
        )?;
        let mut rows = stmt.query([day_number(as_of)])?;
        let mut out: HashMap<i64, Decimal> = HashMap::new();
        while let Some(r) = rows.next()? {
            let amount = money::round_to_currency(
                money::from_units(r.get(2)?) * r.get::<_, crate::store::StoredRate>(1)?.0,
                base_currency,
            );
            *out.entry(r.get(0)?).or_default() += amount;
        }
        Ok(out)
    }

    /// Emails sent, text messages sent and (verified) replies received per day in `[from,
    /// to]`, as (day, emails, texts, replies).
    pub fn engagement_by_day(&self, from: Date, to: Date) -> Result<Vec<(Date, i64, i64, i64)>> {
        crate::store::rows(
            self.conn(),
            "SELECT day, sum(emails), sum(texts), sum(replies) FROM (
                 SELECT sent_date AS day, channel = 'email' AS emails, channel = 'sms' AS texts,
                        0 AS replies
                   FROM reminders INDEXED BY reminders_sent
                  WHERE status = 'sent' AND sent_date BETWEEN ?1 AND ?2
                 UNION ALL
                 SELECT received_date, 0, 0, 1 FROM replies
                  WHERE verified = 1 AND received_date BETWEEN ?1 AND ?2)
             GROUP BY day ORDER BY day",
            params![day_number(from), day_number(to)],
            |r| Ok((from_day_number(r.get(0)?), r.get(1)?, r.get(2)?, r.get(3)?)),
        )
    }
}
