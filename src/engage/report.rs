//! `owed report engagement`: what the reminders achieved, per cycle and reminder, and a
//! weekly series of emails sent and replies received.
//!
//! For each reminder sent by the as-of date:
//! - **replied**: the customer replied within 7 days of the send date;
//! - **promised**: a promise to pay was recorded for the customer within 7 days;
//! - **paid**: every document of the reminder was settled within 14 days;
//! - **collected**: what was applied to its documents after the send date, through the
//!   as-of date, in the base currency (a document chased by two reminders counts under both).
//!
//! Everything is as of the date: replies, promises and payments after it do not count yet.
//! The weekly series covers the 13 weeks (Monday to Sunday) up to the as-of date's week:
//! emails and text messages sent and replies received, and per cycle the reminders sent
//! that week with how many of them were replied to, promised and paid (each counted in the
//! week it was sent, as of the as-of date).
//!
//! The figures come from two queries over the reminders sent (each of their outcomes an
//! indexed look-up: replies and promises by customer and date, a reminder's documents by
//! `reminder_id`, applications by document and date), so the report grows with the number of
//! reminders, not with its square.

use crate::Result;
use crate::domain::{Date, Decimal, money};
use crate::report::table::{Align, TextTable};
use crate::store::Store;
use chrono::{Datelike, Days};
use std::collections::BTreeMap;

/// Weeks in the series.
pub const WEEKS: u64 = 13;

/// The figures of one reminder of one cycle (or of all, for the total).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReminderStats {
    pub cycle: String,
    pub reminder: String,
    pub sent: u64,
    /// Of `sent`, text messages.
    pub texts: u64,
    pub replied: u64,
    pub promised: u64,
    pub paid: u64,
    pub collected: Decimal,
}

impl ReminderStats {
    fn absorb(&mut self, other: &ReminderStats) {
        self.sent += other.sent;
        self.texts += other.texts;
        self.replied += other.replied;
        self.promised += other.promised;
        self.paid += other.paid;
        self.collected += other.collected;
    }
}

/// One week of the series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekStats {
    /// The Monday that starts the week.
    pub week_start: Date,
    pub emails_sent: i64,
    pub texts_sent: i64,
    pub replies: i64,
}

/// One cycle's reminders sent in one week, and what followed them (as of the report's date).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CycleWeek {
    pub cycle: String,
    /// The Monday that starts the week.
    pub week_start: Date,
    pub sent: u64,
    pub replied: u64,
    pub promised: u64,
    pub paid: u64,
}

/// The engagement report as of a date.
#[derive(Debug, Clone, PartialEq)]
pub struct EngagementReport {
    pub as_of: Date,
    pub currency: String,
    /// Sorted by cycle and reminder.
    pub reminders: Vec<ReminderStats>,
    pub total: ReminderStats,
    pub weeks: Vec<WeekStats>,
    /// Per cycle (sorted by name) and week (oldest first), only weeks with a reminder sent.
    pub cycle_weeks: Vec<CycleWeek>,
}

impl EngagementReport {
    /// Computes the report from the outbox, replies, promises and applications.
    pub fn compute(store: &Store, as_of: Date, base_currency: &str) -> Result<EngagementReport> {
        let collected = store
            .engagement()
            .collected_after_reminders(as_of, base_currency)?;
        let mut by_reminder: BTreeMap<(String, String), ReminderStats> = BTreeMap::new();
        let weeks = weeks(store, as_of)?;
        let first_week = weeks.first().map_or(as_of, |w| w.week_start);
        let mut by_cycle_week: BTreeMap<(String, Date), CycleWeek> = BTreeMap::new();
        // A cycle or reminder is one whatever the case or accents' encoding its name was
        // written with (as what was sent is looked up): one row, named as first met.
        let key = crate::domain::text::name_key;
        for o in store.engagement().reminder_outcomes(as_of)? {
            if o.sent_date >= first_week {
                let start = week_start(o.sent_date);
                let w = by_cycle_week
                    .entry((key(&o.cycle), start))
                    .or_insert_with(|| CycleWeek {
                        cycle: o.cycle.clone(),
                        week_start: start,
                        sent: 0,
                        replied: 0,
                        promised: 0,
                        paid: 0,
                    });
                w.sent += 1;
                w.replied += u64::from(o.replied);
                w.promised += u64::from(o.promised);
                w.paid += u64::from(o.paid);
            }
            let stats = by_reminder
                .entry((key(&o.cycle), key(&o.reminder)))
                .or_insert_with(|| ReminderStats {
                    cycle: o.cycle.clone(),
                    reminder: o.reminder.clone(),
                    ..ReminderStats::default()
                });
            stats.sent += 1;
            stats.texts += u64::from(o.channel == "sms");
            stats.replied += u64::from(o.replied);
            stats.promised += u64::from(o.promised);
            stats.paid += u64::from(o.paid);
            stats.collected += collected.get(&o.id).copied().unwrap_or_default();
        }
        let reminders: Vec<ReminderStats> = by_reminder.into_values().collect();
        let mut total = ReminderStats {
            cycle: "TOTAL".into(),
            ..ReminderStats::default()
        };
        for r in &reminders {
            total.absorb(r);
        }
        Ok(EngagementReport {
            as_of,
            currency: base_currency.to_string(),
            reminders,
            total,
            weeks,
            cycle_weeks: by_cycle_week.into_values().collect(),
        })
    }

    /// `{"as_of", "currency", "reminders": [{"cycle", "reminder", "sent", "texts_sent",
    /// "replied", "promised_within_7_days", "paid_within_14_days", "collected"}], "total":
    /// {..}, "weeks": [{"week_start", "emails_sent", "texts_sent", "replies"}], "cycle_weeks":
    /// [{"cycle", "week_start", "sent", "replied", "promised", "paid"}]}`; amounts are strings.
    pub fn to_json(&self) -> serde_json::Value {
        let stats = |r: &ReminderStats, with_names: bool| {
            let mut v = serde_json::json!({
                "sent": r.sent,
                "texts_sent": r.texts,
                "replied": r.replied,
                "promised_within_7_days": r.promised,
                "paid_within_14_days": r.paid,
                "collected": money::plain(r.collected, &self.currency),
            });
            if with_names {
                v["cycle"] = r.cycle.clone().into();
                v["reminder"] = r.reminder.clone().into();
            }
            v
        };
        serde_json::json!({
            "as_of": self.as_of.to_string(),
            "currency": self.currency,
            "reminders": self.reminders.iter().map(|r| stats(r, true)).collect::<Vec<_>>(),
            "total": stats(&self.total, false),
            "weeks": self.weeks.iter().map(|w| serde_json::json!({
                "week_start": w.week_start.to_string(),
                "emails_sent": w.emails_sent,
                "texts_sent": w.texts_sent,
                "replies": w.replies,
            })).collect::<Vec<_>>(),
            "cycle_weeks": self.cycle_weeks.iter().map(|w| serde_json::json!({
                "cycle": w.cycle,
                "week_start": w.week_start.to_string(),
                "sent": w.sent,
                "replied": w.replied,
                "promised": w.promised,
                "paid": w.paid,
            })).collect::<Vec<_>>(),
        })
    }

    /// Two tables for people.
    pub fn to_text(&self) -> String {
        let mut t = TextTable::new(&[
            ("cycle", Align::Left),
            ("reminder", Align::Left),
            ("sent", Align::Right),
            ("sms", Align::Right),
            ("replied", Align::Right),
            ("promised 7d", Align::Right),
            ("paid 14d", Align::Right),
            ("collected", Align::Right),
        ]);
        for r in self.reminders.iter().chain(std::iter::once(&self.total)) {
            t.row(vec![
                r.cycle.clone(),
                r.reminder.clone(),
                r.sent.to_string(),
                r.texts.to_string(),
                percent(r.replied, r.sent),
                percent(r.promised, r.sent),
                percent(r.paid, r.sent),
                money::grouped(r.collected, &self.currency),
            ]);
        }
        let mut w = TextTable::new(&[
            ("week", Align::Left),
            ("emails sent", Align::Right),
            ("texts sent", Align::Right),
            ("replies", Align::Right),
        ]);
        for week in &self.weeks {
            w.row(vec![
                week.week_start.to_string(),
                week.emails_sent.to_string(),
                week.texts_sent.to_string(),
                week.replies.to_string(),
            ]);
        }
        let mut c = TextTable::new(&[
            ("cycle", Align::Left),
            ("week", Align::Left),
            ("sent", Align::Right),
            ("replied", Align::Right),
            ("promised", Align::Right),
            ("paid", Align::Right),
        ]);
        for cw in &self.cycle_weeks {
            c.row(vec![
                cw.cycle.clone(),
                cw.week_start.to_string(),
                cw.sent.to_string(),
                cw.replied.to_string(),
                cw.promised.to_string(),
                cw.paid.to_string(),
            ]);
        }
        format!(
            "Engagement as of {} ({})\n{}\n{}\nPer cycle and week sent\n{}",
            self.as_of,
            self.currency,
            t.render(),
            w.render(),
            c.render()
        )
    }
}

/// `n` and its share of `of`: `3 (60%)`.
fn percent(n: u64, of: u64) -> String {
    if of == 0 {
        return n.to_string();
    }
    format!("{n} ({}%)", (n * 100 + of / 2) / of)
}

/// The Monday starting `d`'s week.
pub fn week_start(d: Date) -> Date {
    d.checked_sub_days(Days::new(u64::from(d.weekday().num_days_from_monday())))
        .unwrap_or(d)
}

fn weeks(store: &Store, as_of: Date) -> Result<Vec<WeekStats>> {
    let last = week_start(as_of);
    let first = last
        .checked_sub_days(Days::new(7 * (WEEKS - 1)))
        .unwrap_or(last);
    let mut weeks: Vec<WeekStats> = (0..WEEKS)
        .filter_map(|i| first.checked_add_days(Days::new(7 * i)))
        .map(|week_start| WeekStats {
            week_start,
            emails_sent: 0,
            texts_sent: 0,
            replies: 0,
        })
        .collect();
    for (day, emails, texts, replies) in store.engagement().engagement_by_day(first, as_of)? {
        let start = week_start(day);
        if let Some(w) = weeks.iter_mut().find(|w| w.week_start == start) {
            w.emails_sent += emails;
            w.texts_sent += texts;
            w.replies += replies;
        }
    }
    Ok(weeks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        let thu = Date::from_ymd_opt(2026, 4, 30).unwrap();
        assert_eq!(week_start(thu), Date::from_ymd_opt(2026, 4, 27).unwrap());
        let mon = Date::from_ymd_opt(2026, 4, 27).unwrap();
        assert_eq!(week_start(mon), mon);
    }

    #[test]
    fn percentages_round_half_up() {
        assert_eq!(percent(1, 3), "1 (33%)");
        assert_eq!(percent(2, 3), "2 (67%)");
        assert_eq!(percent(0, 0), "0");
    }
}
