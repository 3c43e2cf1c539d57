//! Engagement: its own tables (the reminders and the documents they claim, the holds, the
//! replies) and the bulk facts of the ledger the cycles' rules are evaluated on, by concern:
//! [`facts`] (customers, contacts, open debits, payment attempts, monthly sales), [`outbox`]
//! (reminders and holds, at most once), [`replies`] and [`outcomes`] (what followed the
//! reminders, for the engagement report).

use super::Store;
use crate::Result;
use crate::domain::Date;
use crate::domain::date::{day_number, from_day_number};
use std::collections::HashMap;

pub mod facts;
pub mod outbox;
pub mod outcomes;
pub mod replies;

pub use crate::domain::engage::{HoldRow, OutboxRow};
pub use facts::{Contact, Customer, EngageDocument, LastAttempt};
pub use outbox::{HoldDone, NewReminder, PendingReminder, Release, Spacing};
pub use outcomes::ReminderOutcome;
pub use replies::{InboxRunLog, NewReply, ReplyRow};

super::aggregate!(
    /// The engagement of a store — its own tables (the reminders and the documents they claim,
    /// the holds, the replies) and the bulk facts of the ledger the cycles' rules are evaluated
    /// on (customers with their contacts, open debits, payment attempts, monthly sales) — read
    /// over `&Store` ([`Store::engagement`]) and changed over `&mut Store`
    /// ([`Store::engagement_mut`]), as the users are ([`super::users::Users`]).
    Engagement,
    engagement,
    engagement_mut,
    "engagement's tables"
);

impl<S: std::ops::Deref<Target = Store>> Engagement<S> {
    /// A map of customer key to a day, from a query of `(cid, day)` rows with `?1` the as-of
    /// day.
    fn date_map(&self, sql: &str, as_of: Date) -> Result<HashMap<i64, Date>> {
        super::rows(self.conn(), sql, [day_number(as_of)], |r| {
            Ok((r.get(0)?, from_day_number(r.get(1)?)))
        })
    }
}

fn date_of(n: Option<i32>) -> Option<Date> {
    n.map(from_day_number)
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation
    )
}
