//! Engagement: the bulk facts the cycles' rules are evaluated on, and the outbox.
//!
//! Every read here is one query over all customers (or all open documents), returning plain
//! structs, so that planning is one pass over the data whatever the number of cycles and
//! rules. The outbox writes follow the at-most-once protocol described in `crate::engage`.

use super::Store;
use crate::Result;
use crate::domain::action_checks::Stamp;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::document::DocumentKind;
use crate::domain::users::{Work, may};
use crate::domain::{Date, Decimal, money};
use rusqlite::{OptionalExtension, params};
use std::collections::{HashMap, HashSet};

pub use crate::domain::engage::{HoldRow, OutboxRow};

/// A customer's columns that rules and templates read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngageCustomer {
    pub cid: i64,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The customer's own currency, if the billing data gives one.
    pub currency: Option<String>,
    pub card_last4: Option<String>,
    /// As imported, or as a collector reassigned it (`owed assign` writes the column, and
    /// re-imports keep a reassigned owner).
    pub finance_owner: Option<String>,
    pub sales_owner: Option<String>,
    pub payment_terms_days: Option<i64>,
    pub auto_collection: Option<bool>,
    pub primary_payment_method: Option<String>,
    pub backup_payment_method: Option<String>,
    pub payment_source_status: Option<String>,
    pub subscription_status: Option<String>,
    /// `cf_*` fields as JSON, read only when asked for.
    pub custom: Option<String>,
}

/// An invoice or debit note open at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct EngageDocument {
    pub did: i64,
    pub cid: i64,
    pub id: String,
    pub kind: DocumentKind,
    pub number: Option<String>,
    pub doc_date: Date,
    pub due_date: Option<Date>,
    pub posting_date: Option<Date>,
    /// In the document's currency.
    pub amount: Decimal,
    /// Open balance at the as-of date, in the document's currency.
    pub balance: Decimal,
    pub currency: String,
    /// Base-currency units per unit, at the document date.
    pub rate: Decimal,
    pub location: Option<String>,
    pub business_unit: Option<String>,
    /// `cf_*` fields as JSON, read only when asked for.
    pub custom: Option<String>,
}

/// The latest payment attempt of a customer at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct LastAttempt {
    pub date: Date,
    pub status: String,
    /// In the base currency (at the payment's rate).
    pub amount: Decimal,
    pub method: Option<String>,
    pub failure_reason: Option<String>,
    pub gateway: Option<String>,
    /// Attempts since the latest successful payment (all attempts when none succeeded).
    pub attempts_since_success: i64,
    /// The billing system's retry state of this attempt (`dunning_status`).
    pub dunning_status: Option<String>,
    /// When the billing system will try again.
    pub next_retry_date: Option<Date>,
    /// Every attempt by the as-of date (voided ones left out).
    pub attempts: i64,
    /// Of them, the successful ones.
    pub successes: i64,
}

impl LastAttempt {
    /// Attempts per successful payment (all attempts when none succeeded), to two places.
    pub fn average_attempts(&self) -> Decimal {
        (Decimal::from(self.attempts) / Decimal::from(self.successes.max(1))).round_dp(2)
    }
}

pub use crate::domain::customer::Contact;

/// What a run claims in the outbox: a reminder row (its documents are given beside it).
#[derive(Debug, Clone, Default)]
pub struct NewReminder {
    pub cid: i64,
    pub at: String,
    pub collector: String,
    pub cycle: String,
    pub reminder: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub html: Option<String>,
    /// The Message-ID of an email; a text message gets a unique one too (`<sms.…@…>`), which
    /// no reply can match.
    pub message_id: String,
    /// `email` or `sms`.
    pub channel: &'static str,
}

const OPEN_DEBITS_NOW: &str = "
    SELECT d.did, d.cid, d.id, d.kind, d.number, d.doc_date, d.due_date, d.posting_date, d.amount,
           d.balance + CASE WHEN d.last_applied > ?1
               THEN (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.did = d.did AND a.date > ?1)
               ELSE 0 END,
           d.currency, d.rate, d.location, d.business_unit, CASE WHEN ?2 THEN d.custom END
      FROM documents d INDEXED BY documents_open
     WHERE d.balance <> 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1";

const OPEN_DEBITS_CLOSED_SINCE: &str = "
    SELECT d.did, d.cid, d.id, d.kind, d.number, d.doc_date, d.due_date, d.posting_date, d.amount,
           (SELECT ifnull(sum(a.amount), 0) FROM applications a WHERE a.did = d.did AND a.date > ?1),
           d.currency, d.rate, d.location, d.business_unit, CASE WHEN ?2 THEN d.custom END
      FROM documents d
     WHERE d.last_applied > ?1 AND d.balance = 0 AND d.kind <> 'credit_note' AND d.doc_date <= ?1";

fn rate_of(text: &str) -> Decimal {
    text.parse().unwrap_or(Decimal::ONE)
}

fn date_of(n: Option<i32>) -> Option<Date> {
    n.map(from_day_number)
}

/// The customer columns rules and templates read (`?1`: with the custom fields).
macro_rules! engage_customers_select {
    () => {
        "SELECT c.cid, c.id, c.name, c.email,
                c.finance_owner, c.sales_owner,
                c.payment_terms_days, c.auto_collection, c.primary_payment_method,
                c.backup_payment_method, c.payment_source_status, c.subscription_status,
                CASE WHEN ?1 THEN c.custom END, c.phone, c.currency, c.card_last4
           FROM customers c"
    };
}

impl<S: std::ops::Deref<Target = Store>> Engagement<S> {
    /// Every customer, with the columns rules read; `custom` only when `with_custom`.
    pub fn customers(&self, with_custom: bool) -> Result<Vec<EngageCustomer>> {
        self.customers_where(with_custom, None)
    }

    /// Every customer, or the one with key `cid`.
    fn customers_where(&self, with_custom: bool, cid: Option<i64>) -> Result<Vec<EngageCustomer>> {
        super::rows(
            self.conn(),
            match cid {
                None => concat!(engage_customers_select!(), " WHERE ?2 IS NULL"),
                Some(_) => concat!(engage_customers_select!(), " WHERE c.cid = ?2"),
            },
            params![with_custom, cid],
            |r| {
                Ok(EngageCustomer {
                    cid: r.get(0)?,
                    id: r.get(1)?,
                    name: r.get(2)?,
                    email: r.get(3)?,
                    finance_owner: r.get(4)?,
                    sales_owner: r.get(5)?,
                    payment_terms_days: r.get(6)?,
                    auto_collection: r.get(7)?,
                    primary_payment_method: r.get(8)?,
                    backup_payment_method: r.get(9)?,
                    payment_source_status: r.get(10)?,
                    subscription_status: r.get(11)?,
                    custom: r.get(12)?,
                    phone: r.get(13)?,
                    currency: r.get(14)?,
                    card_last4: r.get(15)?,
                })
            },
        )
    }

    /// Every customer's contacts (`contacts.csv`), primary ones first.
    pub fn contacts_by_customer(&self) -> Result<HashMap<i64, Vec<Contact>>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT cid, name, email, phone, role, is_primary FROM contacts
              ORDER BY cid, is_primary DESC, id",
        )?;
        let mut rows = stmt.query([])?;
        let mut out: HashMap<i64, Vec<Contact>> = HashMap::new();
        while let Some(r) = rows.next()? {
            out.entry(r.get(0)?).or_default().push(Contact {
                name: r.get(1)?,
                email: r.get(2)?,
                phone: r.get(3)?,
                role: r.get(4)?,
                primary: r.get(5)?,
            });
        }
        Ok(out)
    }

    /// One customer's contacts (`contacts.csv`) as the detail and the call form list them:
    /// the primary billing contact first, then the other primary ones, then the rest in the
    /// order they were imported.
    pub fn customer_contacts(&self, cid: i64) -> Result<Vec<Contact>> {
        super::rows(
            self.conn(),
            "SELECT name, email, phone, role, is_primary FROM contacts WHERE cid = ?1
              ORDER BY is_primary AND role = 'billing' DESC, is_primary DESC, id",
            [cid],
            |r| {
                Ok(Contact {
                    name: r.get(0)?,
                    email: r.get(1)?,
                    phone: r.get(2)?,
                    role: r.get(3)?,
                    primary: r.get(4)?,
                })
            },
        )
    }

    /// One customer by the billing system's id.
    pub fn customer(&self, id: &str) -> Result<Option<EngageCustomer>> {
        let Some(cid) = self.store.ledger().customer_key(id)? else {
            return Ok(None);
        };
        Ok(self.customers_where(false, Some(cid))?.pop())
    }

    /// Calls `each` for every invoice and debit note open at `as_of` (of one customer with
    /// `cid`); `custom` is read only when `with_custom`.
    pub fn for_each_open_debit(
        &self,
        as_of: Date,
        with_custom: bool,
        cid: Option<i64>,
        mut each: impl FnMut(EngageDocument),
    ) -> Result<()> {
        let day = day_number(as_of);
        for sql in [OPEN_DEBITS_NOW, OPEN_DEBITS_CLOSED_SINCE] {
            let sql = match cid {
                Some(_) => format!("{sql} AND d.cid = ?3"),
                None => format!("{sql} AND ?3 IS NULL"),
            };
            let mut stmt = self.conn().prepare_cached(&sql)?;
            let mut rows = stmt.query(params![day, with_custom, cid])?;
            while let Some(r) = rows.next()? {
                let open: i64 = r.get(9)?;
                if open <= 0 {
                    continue;
                }
                each(EngageDocument {
                    did: r.get(0)?,
                    cid: r.get(1)?,
                    id: r.get(2)?,
                    kind: r.get(3)?,
                    number: r.get(4)?,
                    doc_date: from_day_number(r.get(5)?),
                    due_date: date_of(r.get(6)?),
                    posting_date: date_of(r.get(7)?),
                    amount: money::from_units(r.get(8)?),
                    balance: money::from_units(open),
                    currency: r.get(10)?,
                    rate: rate_of(&r.get::<_, String>(11)?),
                    location: r.get(12)?,
                    business_unit: r.get(13)?,
                    custom: r.get(14)?,
                });
            }
        }
        Ok(())
    }

    fn date_map(&self, sql: &str, as_of: Date) -> Result<HashMap<i64, Date>> {
        super::rows(self.conn(), sql, [day_number(as_of)], |r| {
            Ok((r.get(0)?, from_day_number(r.get(1)?)))
        })
    }

    /// Customers with a document whose billing-system balance differs from ours.
    pub fn customers_with_mismatch(&self) -> Result<HashSet<i64>> {
        super::rows(
            self.conn(),
            "SELECT DISTINCT cid FROM documents
              WHERE billing_balance IS NOT NULL AND billing_balance <> balance",
            [],
            |r| r.get(0),
        )
    }

    /// The latest payment attempt of every customer that has one by `as_of`.
    ///
    /// One sequential scan of the payments (no sort): per customer the latest attempt and
    /// the latest success are kept, with the keys of the unsuccessful attempts, counted
    /// against the latest success at the end.
    pub fn last_payment_attempts(
        &self,
        as_of: Date,
        base_currency: &str,
    ) -> Result<HashMap<i64, LastAttempt>> {
        #[derive(Default)]
        struct Seen {
            latest: Option<((i32, i64), LastAttempt)>,
            last_success: Option<(i32, i64)>,
            failures: Vec<(i32, i64)>,
            attempts: i64,
            successes: i64,
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT cid, date, pid, status, amount, rate, method, failure_reason, gateway,
                    dunning_status, next_retry_date
               FROM payments WHERE date <= ?1",
        )?;
        let mut rows = stmt.query([day_number(as_of)])?;
        let mut seen: HashMap<i64, Seen> = HashMap::new();
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(0)?;
            let key: (i32, i64) = (r.get(1)?, r.get(2)?);
            let status: String = r.get(3)?;
            let s = seen.entry(cid).or_default();
            if status != "voided" {
                s.attempts += 1;
                s.successes += i64::from(status == "success");
            }
            if status == "success" {
                s.last_success = s.last_success.max(Some(key));
            } else {
                s.failures.push(key);
            }
            if s.latest.as_ref().is_some_and(|(k, _)| *k > key) {
                continue;
            }
            let amount = money::round_to_currency(
                money::from_units(r.get(4)?) * rate_of(&r.get::<_, String>(5)?),
                base_currency,
            );
            s.latest = Some((
                key,
                LastAttempt {
                    date: from_day_number(key.0),
                    status,
                    amount,
                    method: r.get(6)?,
                    failure_reason: r.get(7)?,
                    gateway: r.get(8)?,
                    attempts_since_success: 0,
                    dunning_status: r.get(9)?,
                    next_retry_date: date_of(r.get(10)?),
                    attempts: 0,
                    successes: 0,
                },
            ));
        }
        Ok(seen
            .into_iter()
            .filter_map(|(cid, s)| {
                let (_, mut last) = s.latest?;
                last.attempts_since_success = s
                    .failures
                    .iter()
                    .filter(|k| s.last_success.is_none_or(|ok| **k > ok))
                    .count() as i64;
                last.attempts = s.attempts;
                last.successes = s.successes;
                Some((cid, last))
            })
            .collect())
    }

    /// Sales (invoices and debit notes) per customer and calendar month (the month's first
    /// day) with document dates in `[from, to]`, in the base currency.
    pub fn monthly_sales_by_customer(
        &self,
        from: Date,
        to: Date,
        base_currency: &str,
    ) -> Result<HashMap<i64, HashMap<Date, Decimal>>> {
        use chrono::Datelike;
        let mut stmt = self.conn().prepare_cached(
            "SELECT cid, doc_date, amount, rate FROM documents
              WHERE doc_date BETWEEN ?1 AND ?2 AND kind <> 'credit_note'",
        )?;
        let mut rows = stmt.query(params![day_number(from), day_number(to)])?;
        let mut out: HashMap<i64, HashMap<Date, Decimal>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let date = from_day_number(r.get(1)?);
            let month = date.with_day(1).unwrap_or(date);
            let amount = money::round_to_currency(
                money::from_units(r.get(2)?) * rate_of(&r.get::<_, String>(3)?),
                base_currency,
            );
            *out.entry(r.get(0)?).or_default().entry(month).or_default() += amount;
        }
        Ok(out)
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

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
    /// The latest day a reminder (email or text message, of a cycle or by hand) was sent to
    /// each customer, by `as_of`.
    pub fn last_reminder_dates(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        self.date_map(
            "SELECT cid, max(sent_date) FROM reminders INDEXED BY reminders_sent
              WHERE status = 'sent' AND sent_date <= ?1 GROUP BY cid",
            as_of,
        )
    }

    /// Customers held back from engagement at `as_of`: those whose latest hold runs until
    /// `as_of` or later.
    pub fn held_customers(&self, as_of: Date) -> Result<HashMap<i64, Date>> {
        super::rows(
            self.conn(),
            "SELECT h.cid, h.until_date FROM engagement_holds h
              WHERE h.id = (SELECT max(x.id) FROM engagement_holds x WHERE x.cid = h.cid)
                AND h.until_date >= ?1",
            [day_number(as_of)],
            |r| Ok((r.get(0)?, from_day_number(r.get(1)?))),
        )
    }

    /// The holds in force at `as_of` (each customer's latest, running until `as_of` or later),
    /// by customer id.
    pub fn holds_at(&self, as_of: Date) -> Result<Vec<HoldRow>> {
        super::rows(
            self.conn(),
            "SELECT h.cid, c.id, c.name, h.until_date, h.collector, h.text, h.at
               FROM engagement_holds h JOIN customers c ON c.cid = h.cid
              WHERE h.id = (SELECT max(x.id) FROM engagement_holds x WHERE x.cid = h.cid)
                AND h.until_date >= ?1
              ORDER BY c.id",
            [day_number(as_of)],
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

    /// The documents claimed by reminders of `cycles`, as (cycle, reminder, did).
    pub fn claimed_documents(&self, cycles: &[&str]) -> Result<Vec<(String, String, i64)>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT reminder, did FROM reminder_documents WHERE cycle = ?1")?;
        let mut out = Vec::new();
        for cycle in cycles {
            let rows =
                stmt.query_map([cycle], |r| Ok((cycle.to_string(), r.get(0)?, r.get(1)?)))?;
            for row in rows {
                out.push(row?);
            }
        }
        Ok(out)
    }

    /// Reminders not sent (pending or failed), newest first, and the latest `limit` sent.
    pub fn outbox(&self, limit: usize) -> Result<Vec<OutboxRow>> {
        super::rows(
            self.conn(),
            "SELECT * FROM (
                SELECT r.id, c.id, r.at, r.cycle, r.reminder, r.to_addr, r.subject, r.status,
                       r.error, r.message_id, r.sent_date
                  FROM reminders r JOIN customers c ON c.cid = r.cid
                 WHERE r.status <> 'sent'
                UNION ALL
                SELECT * FROM (
                    SELECT r.id, c.id, r.at, r.cycle, r.reminder, r.to_addr, r.subject, r.status,
                           r.error, r.message_id, r.sent_date
                      FROM reminders r JOIN customers c ON c.cid = r.cid
                     WHERE r.status = 'sent' ORDER BY r.id DESC LIMIT ?1))
             ORDER BY 1 DESC",
            [limit as i64],
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
                })
            },
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

    /// Every customer address (lowercase) with the customers that have it; a customer's
    /// `email` may hold several addresses separated by `,` or `;`.
    pub fn customers_by_address(&self) -> Result<HashMap<String, Vec<i64>>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT cid, email FROM customers WHERE email IS NOT NULL")?;
        let mut rows = stmt.query([])?;
        let mut out: HashMap<String, Vec<i64>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let cid: i64 = r.get(0)?;
            let email: String = r.get(1)?;
            for part in email.split([',', ';']) {
                let part = part.trim().to_lowercase();
                if !part.is_empty() {
                    out.entry(part).or_default().push(cid);
                }
            }
        }
        Ok(out)
    }

    /// Customers with unread replies and how many, for the queue's Replies tab.
    pub fn unread_replies(&self) -> Result<Vec<(String, i64)>> {
        super::rows(
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
        super::rows(
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

    /// Every reminder sent by `as_of`, with its outcomes as of `as_of`.
    pub fn reminder_outcomes(&self, as_of: Date) -> Result<Vec<ReminderOutcome>> {
        super::rows(self.conn(), "SELECT r.id, r.cycle, r.reminder, r.sent_date,
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
                money::from_units(r.get(2)?) * rate_of(&r.get::<_, String>(1)?),
                base_currency,
            );
            *out.entry(r.get(0)?).or_default() += amount;
        }
        Ok(out)
    }

    /// Emails sent, text messages sent and (verified) replies received per day in `[from,
    /// to]`, as (day, emails, texts, replies).
    pub fn engagement_by_day(&self, from: Date, to: Date) -> Result<Vec<(Date, i64, i64, i64)>> {
        super::rows(
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

impl Engagement<&mut Store> {
    /// Holds `cid` back from every cycle until `until` (inclusive); a hold until a past date
    /// releases an earlier one (the latest hold decides). A manager's (the stamp's role is
    /// checked in the transaction).
    pub fn hold_customer(
        &mut self,
        stamp: &Stamp,
        cid: i64,
        until: Date,
        text: Option<&str>,
    ) -> Result<()> {
        let tx = self.store.write_tx()?;
        super::action_writes::may_on(&tx, &stamp.actor(), Work::Hold, cid)?;
        tx.execute(
            "INSERT INTO engagement_holds (cid, at, collector, until_date, text)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![cid, stamp.at, stamp.collector, day_number(until), text],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Claims `documents` for reminder `new.reminder` of `new.cycle` and records the pending
    /// reminder, in one transaction: the documents already claimed for any of `taken_by`
    /// (this reminder and the cycle's later ones) are left out first; then the rest are
    /// inserted, and the primary key (cycle, reminder, did) refuses any document a concurrent
    /// run claimed meanwhile. `render` builds the message and the row for the documents that
    /// remain (called inside the transaction, with none claimed by anyone else).
    ///
    /// Returns the reminder's id and the documents claimed, or `None` when nothing was left
    /// to claim (or a conflict made this run lose the race).
    pub fn claim_reminder<R>(
        &mut self,
        cycle: &str,
        taken_by: &[&str],
        documents: &[i64],
        render: impl FnOnce(&[i64]) -> Result<(R, NewReminder)>,
    ) -> Result<Option<(i64, Vec<i64>, R)>> {
        let tx = self.store.write_tx()?;
        let free: Vec<i64> = {
            let mut taken = tx.prepare_cached(
                "SELECT 1 FROM reminder_documents WHERE cycle = ?1 AND reminder = ?2 AND did = ?3",
            )?;
            let mut free = Vec::with_capacity(documents.len());
            for &did in documents {
                let mut claimed = false;
                for reminder in taken_by {
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
        tx.execute(
            "INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body,
                                    html, status, message_id, channel)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?11)",
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
                new.message_id,
                new.channel
            ],
        )?;
        let id = tx.last_insert_rowid();
        {
            let mut claim = tx.prepare_cached(
                "INSERT INTO reminder_documents (cycle, reminder, did, reminder_id)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for &did in &free {
                match claim.execute(params![new.cycle, new.reminder, did, id]) {
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
        tx.execute(
            "DELETE FROM reminder_documents WHERE reminder_id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(())
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
    /// when. Returns whether there was such a pending reminder. A manager's (the stamp's role
    /// is checked in the transaction).
    pub fn release_pending_reminder(&mut self, stamp: &Stamp, id: i64) -> Result<bool> {
        let tx = self.store.write_tx()?;
        may(&stamp.actor(), Work::ReleaseReminder, None).map_err(crate::Error::Input)?;
        let why = format!("released by {} at {}", stamp.collector, stamp.at);
        let n = tx.execute(
            "UPDATE reminders SET status = 'failed', error = ?2 WHERE id = ?1 AND status = 'pending'",
            params![id, why],
        )?;
        if n == 1 {
            tx.execute(
                "DELETE FROM reminder_documents WHERE reminder_id = ?1",
                [id],
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Files a reply; `false` when one with the same Message-ID is already filed.
    pub fn insert_reply(&mut self, reply: &NewReply<'_>) -> Result<bool> {
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
        tx.commit()?;
        Ok(n == 1)
    }

    /// Marks a customer's replies read (opening them in the workstation).
    pub fn mark_replies_read(&mut self, cid: i64, at: &str) -> Result<usize> {
        let tx = self.store.write_tx()?;
        let n = tx.execute(
            "UPDATE replies SET read_at = ?2 WHERE cid = ?1 AND read_at IS NULL",
            params![cid, at],
        )?;
        tx.commit()?;
        Ok(n)
    }
}
