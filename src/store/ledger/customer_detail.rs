//! One customer as the workstation's detail shows it, as of a date: who they are, their
//! documents (open first), their payments and failed attempts, and the activity timeline.
//!
//! The detail is read each time a customer is selected, so what it reads is bounded; but
//! never by leaving out what the collector works. Every document open at the date is read (the
//! aging counts them all, and a filter for a document's number scrolls to it): a wholesale
//! customer may have a few thousand, as many as the billing system has open, while the
//! settled history of a customer of twenty years can run to a hundred thousand, of which the
//! newest are shown and the rest counted. Likewise the timeline: its newest entries, and
//! older than those only the open issues, open promises and follow-ups not done (what the
//! Disputes, Promises and Follow-ups tabs open the detail on); `owed activity` prints it whole.

use crate::Result;
use crate::domain::action_checks::Outcome;
use crate::domain::date::{day_number, from_day_number};
use crate::domain::promise::PromiseState;
use crate::domain::{Date, money};
use crate::store::Ledger;
use crate::store::activity::IMPORT_OWNER_CHANGES;
use crate::store::queue::{OPEN_ISSUE, day_of};
use crate::store::{DOCUMENT_ORDER, Store};
use rusqlite::params;

pub use crate::domain::customer::{
    ActivityEntry, ActivityKind, Customer, CustomerDetail, DetailDocument, DetailPayment,
    EntryRecord,
};

/// The newest settled documents the detail reads (besides every open one).
pub const SETTLED_DOCUMENTS: u32 = 200;

/// The newest payments and failed attempts the detail reads.
pub const DETAIL_PAYMENTS: u32 = 200;

/// The newest timeline entries the detail reads (besides the open issues, open promises and
/// follow-ups not done, whatever their age).
pub const TIMELINE_ENTRIES: usize = 500;

/// Characters of a reply's text the timeline shows after its subject.
const REPLY_EXCERPT: usize = 240;

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// Reads one customer's detail as of `as_of`; `None` when there is no such customer.
    pub fn customer_detail(
        &self,
        cid: i64,
        as_of: Date,
        grace_days: u32,
    ) -> Result<Option<CustomerDetail>> {
        let Some(header) = self.customer_header(cid)? else {
            return Ok(None);
        };
        let day = day_number(as_of);
        let last_paid: Option<i32> = self.conn().query_row(
            "SELECT max(date) FROM payments WHERE cid = ?1 AND status = 'success' AND date <= ?2",
            params![cid, day],
            |r| r.get(0),
        )?;
        let (documents, documents_total) = self.detail_documents(cid, as_of, grace_days)?;
        let (payments, payments_total) = self.detail_payments(cid, as_of)?;
        let (activity, activity_total) = self.activity_timeline(cid, as_of, grace_days)?;
        Ok(Some(CustomerDetail {
            header,
            documents,
            documents_total,
            payments,
            payments_total,
            last_paid: last_paid.map(from_day_number),
            activity,
            activity_total,
            attachments: self
                .store
                .activity()
                .customer_attachments(cid)?
                .into_iter()
                .map(|a| crate::domain::customer::AttachmentInfo {
                    id: a.id,
                    name: a.name,
                    bytes: a.bytes,
                    payment: a.payment,
                })
                .collect(),
            contacts: self.store.engagement().customer_contacts(cid)?,
        }))
    }

    /// Who a customer is; `None` when there is no such customer.
    pub fn customer_header(&self, cid: i64) -> Result<Option<Customer>> {
        Ok(self.customers_where(false, Some(cid))?.pop())
    }

    /// Every document open at `as_of` (oldest due first), then the newest
    /// [`SETTLED_DOCUMENTS`] settled ones; and how many documents the customer has by then.
    fn detail_documents(
        &self,
        cid: i64,
        as_of: Date,
        grace_days: u32,
    ) -> Result<(Vec<DetailDocument>, u64)> {
        let void_day = day_of("v.at");
        let columns = format!(
            "SELECT d.id, d.number, d.kind, d.doc_date, d.due_date, d.amount, d.currency,
                    d.amount - ifnull(CASE WHEN d.kind = 'credit_note'
                        THEN (SELECT sum(a.amount) FROM applications a
                               WHERE a.source_did = d.did AND a.date <= ?2)
                        ELSE (SELECT sum(a.amount) FROM applications a
                               WHERE a.did = d.did AND a.date <= ?2) END, 0) AS open,
                    d.billing_balance IS NOT NULL AND d.billing_balance <> d.balance,
                    EXISTS (SELECT 1 FROM issue_documents x JOIN issues i ON i.id = x.issue_id
                             WHERE x.did = d.did AND {OPEN_ISSUE}),
                    EXISTS (SELECT 1 FROM promise_documents x JOIN promises p ON p.id = x.promise_id
                             WHERE x.did = d.did AND p.recorded_date <= ?1 AND p.promised_date + ?3 >= ?1
                               AND NOT EXISTS (SELECT 1 FROM promise_voids v
                                                WHERE v.promise_id = p.id AND {void_day} <= ?1)),
                    d.did
               FROM documents d
              WHERE d.cid = ?4 AND d.doc_date <= ?2"
        );
        // Open at the date: open now, or closed by an application after it (as the ledger's
        // open items are found).
        let open = format!(
            "{columns} AND (d.balance <> 0 OR d.last_applied > ?2) AND open <> 0
              ORDER BY ifnull(d.due_date, d.doc_date), {DOCUMENT_ORDER}"
        );
        // Newest first, in the order of the index by customer and date: only as many are
        // looked at as it takes to find the newest settled ones.
        let settled = format!(
            "{columns} AND open = 0 ORDER BY d.doc_date DESC, d.did DESC LIMIT {SETTLED_DOCUMENTS}"
        );
        let day = day_number(as_of);
        let mut documents = Vec::new();
        let mut dids = Vec::new();
        for sql in [open, settled] {
            documents.extend(crate::store::rows::<_, Vec<_>>(
                self.conn(),
                &sql,
                params![day, day, grace_days, cid],
                |r| {
                    dids.push(r.get::<_, i64>(11)?);
                    Ok(DetailDocument {
                        id: r.get(0)?,
                        number: r.get(1)?,
                        kind: r.get(2)?,
                        doc_date: from_day_number(r.get(3)?),
                        due_date: r.get::<_, Option<i32>>(4)?.map(from_day_number),
                        amount: money::from_units(r.get(5)?),
                        currency: r.get(6)?,
                        balance: money::from_units(r.get(7)?),
                        mismatch: r.get(8)?,
                        disputed: r.get(9)?,
                        held: None,
                        promised: r.get(10)?,
                    })
                },
            )?);
        }
        // Held out of dunning by a dispute resolved valid or written off: why, in words.
        let mut holds = self.store.activity().dispute_holds(Some(cid), as_of)?;
        for (d, did) in documents.iter_mut().zip(&dids) {
            if !d.balance.is_zero() && !d.disputed {
                d.held = holds.remove(did);
            }
        }
        let total: i64 = self.conn().query_row(
            "SELECT count(*) FROM documents WHERE cid = ?1 AND doc_date <= ?2",
            params![cid, day],
            |r| r.get(0),
        )?;
        Ok((documents, total.unsigned_abs()))
    }

    /// The newest [`DETAIL_PAYMENTS`] payments and failed attempts, and how many there are.
    fn detail_payments(&self, cid: i64, as_of: Date) -> Result<(Vec<DetailPayment>, u64)> {
        let day = day_number(as_of);
        let total: i64 = self.conn().query_row(
            "SELECT count(*) FROM payments WHERE cid = ?1 AND date <= ?2",
            params![cid, day],
            |r| r.get(0),
        )?;
        let payments = crate::store::rows(
            self.conn(),
            &format!(
                "SELECT id, date, amount, currency, status, method, failure_reason FROM payments
              WHERE cid = ?1 AND date <= ?2 ORDER BY date DESC, pid DESC LIMIT {DETAIL_PAYMENTS}"
            ),
            params![cid, day],
            |r| {
                Ok(DetailPayment {
                    id: r.get(0)?,
                    date: from_day_number(r.get(1)?),
                    amount: money::from_units(r.get(2)?),
                    currency: r.get(3)?,
                    status: r.get(4)?,
                    method: r.get(5)?,
                    failure_reason: r.get(6)?,
                })
            },
        )?;
        Ok((payments, total.unsigned_abs()))
    }

    /// The customer's activity on or before `as_of`, newest first: notes, calls, promises (with
    /// their state at `as_of`), issues and their resolutions, follow-ups, reminders sent, replies and
    /// owner changes — the newest [`TIMELINE_ENTRIES`], and older than those only the open
    /// issues, open promises and follow-ups not done; with how many entries there are in all.
    pub fn activity_timeline(
        &self,
        cid: i64,
        as_of: Date,
        grace_days: u32,
    ) -> Result<(Vec<ActivityEntry>, u64)> {
        let day = day_number(as_of);
        // The currency of an amount recorded before amounts kept theirs, of a customer without
        // one.
        let base = self.store.base_currency()?.unwrap_or_default();
        // Each entry with whether it is kept whatever its age.
        let mut out: Vec<(ActivityEntry, bool)> = Vec::new();
        let mut total: u64 = 0;
        // Each query is a SELECT and its WHERE, without an order. It gives: the day, the
        // timestamp, who, what the text is made of, and last the record's id and what the
        // record reads its state from (when `record` says). Of each, the newest
        // TIMELINE_ENTRIES rows are read, in `order`: the timeline's, by day and timestamp
        // (by the timestamp alone where the day is the timestamp's, which its index reads
        // newest first), then the row's id newest first; then those of the rest that `keep`
        // finds (in SQL, the rows `kept_whatever_its_age` keeps).
        type Record = fn(i64, i64) -> EntryRecord;
        let mut read = |sql: &str,
                        order: &str,
                        kind: ActivityKind,
                        text: &dyn Fn(&rusqlite::Row) -> rusqlite::Result<String>,
                        record: Option<Record>,
                        keep: Option<&str>|
         -> Result<()> {
            let count: i64 = self
                .conn()
                .prepare_cached(&format!("SELECT count(*) FROM ({sql})"))?
                .query_row(params![cid, day], |r| r.get(0))?;
            total += count.unsigned_abs();
            let order = format!("ORDER BY {order}");
            let newest = format!("{sql} {order} LIMIT {TIMELINE_ENTRIES}");
            let kept = keep.map(|keep| format!("{sql} AND {keep} {order}"));
            let mut seen = std::collections::HashSet::new();
            for (sql, older) in std::iter::once((newest, false)).chain(kept.map(|k| (k, true))) {
                let mut stmt = self.conn().prepare_cached(&sql)?;
                let columns = stmt.column_count();
                // An event's own id, where the query names it (`seq`).
                let seq = stmt.column_index("seq").ok();
                let mut rows = stmt.query(params![cid, day])?;
                while let Some(r) = rows.next()? {
                    let record = match record {
                        Some(make) => Some(make(r.get(columns - 2)?, r.get(columns - 1)?)),
                        None => None,
                    };
                    // Only what the newest did not have (a kept record's id is its row's).
                    if !seen.insert(record.map(EntryRecord::id)) && older {
                        continue;
                    }
                    let entry = ActivityEntry {
                        date: from_day_number(r.get(0)?),
                        at: r.get(1)?,
                        kind,
                        who: r.get(2)?,
                        text: text(r)?,
                        record,
                        seq: seq.map_or(Ok(0), |i| r.get(i))?,
                    };
                    out.push((entry, kept_whatever_its_age(kind, record)));
                }
            }
            Ok(())
        };
        // An issue's state at the as-of date: its latest resolve or reopen by then.
        let issue_open = "ifnull((SELECT e2.kind <> 'resolve' FROM issue_events e2
                                   WHERE e2.issue_id = i.id AND e2.event_date <= ?2
                                   ORDER BY e2.event_date DESC, e2.id DESC LIMIT 1), 1)";
        let done_by = format!(
            "EXISTS (SELECT 1 FROM followup_done d2 WHERE d2.followup_id = f.id AND {} <= ?2)",
            day_of("d2.at")
        );
        let note_day = day_of("at");
        read(
            &format!(
                "SELECT {note_day} AS d, at, collector, text, id, 0 FROM notes
                  WHERE cid = ?1 AND d <= ?2"
            ),
            "at DESC, id DESC",
            ActivityKind::Note,
            &|r| r.get(3),
            Some(|id, _| EntryRecord::Note(id)),
            None,
        )?;
        // A call: its outcome and contact, then what was said.
        read(
            &format!(
                "SELECT {note_day} AS d, at, collector, outcome, contact, ifnull(text, '')
                   FROM calls WHERE cid = ?1 AND d <= ?2"
            ),
            "at DESC, id DESC",
            ActivityKind::Call,
            &|r| {
                let outcome = crate::domain::calls::CallOutcome::parse(&r.get::<_, String>(3)?)
                    .map_or("?", |o| o.label());
                let head = match r.get::<_, Option<String>>(4)? {
                    Some(contact) => format!("{outcome}, {contact}"),
                    None => outcome.to_string(),
                };
                Ok(join_text(head, &r.get::<_, String>(5)?))
            },
            None,
            None,
        )?;
        let issue = |id, open: i64| EntryRecord::Issue {
            id,
            open: open != 0,
        };
        read(
            &format!(
                "SELECT i.opened_date, i.at, i.collector, i.reason, i.amount, ifnull(i.text, ''),
                        ifnull(i.currency, (SELECT currency FROM customers WHERE cid = i.cid)),
                        i.id, {issue_open} AS open
                   FROM issues i WHERE i.cid = ?1 AND i.opened_date <= ?2"
            ),
            "1 DESC, 2 DESC, i.id DESC",
            ActivityKind::Issue,
            &|r| {
                let amount = money::from_units(r.get(4)?);
                let text: String = r.get(5)?;
                let currency: Option<String> = r.get(6)?;
                let currency = currency.as_deref().unwrap_or(&base);
                Ok(join_text(
                    format!(
                        "{} {}",
                        r.get::<_, String>(3)?,
                        in_currency(amount, currency)
                    ),
                    &text,
                ))
            },
            Some(issue),
            Some("open"),
        )?;
        for (kind, event) in [
            (ActivityKind::IssueResolved, "resolve"),
            (ActivityKind::IssueReopened, "reopen"),
        ] {
            read(
                &format!(
                    "SELECT e.event_date, e.at, e.collector, i.reason, ifnull(e.text, ''),
                            e.outcome, e.id AS seq, i.id, {issue_open}
                       FROM issue_events e JOIN issues i ON i.id = e.issue_id
                      WHERE i.cid = ?1 AND e.event_date <= ?2 AND e.kind = '{event}'"
                ),
                "1 DESC, 2 DESC, e.id DESC",
                kind,
                // A resolve's outcome after the reason: `short_payment, written off`.
                &|r| {
                    let reason: String = r.get(3)?;
                    let head = match r.get::<_, Option<String>>(5)? {
                        Some(o) => match Outcome::parse(&o) {
                            Ok(o) => format!("{reason}, {}", o.label()),
                            Err(_) => format!("{reason}, {o}"),
                        },
                        None => reason,
                    };
                    Ok(join_text(head, &r.get::<_, String>(4)?))
                },
                Some(issue),
                None,
            )?;
        }
        // A follow-up's state: 1 if done by the as-of date, plus 2 if due by then.
        let followup = |id, state: i64| EntryRecord::FollowUp {
            id,
            done: state & 1 != 0,
            due: state & 2 != 0,
        };
        let followup_day = day_of("at");
        read(
            &format!(
                "SELECT {followup_day} AS d, f.at, f.collector, f.due_date, f.text, f.id,
                        {done_by} + 2 * (f.due_date <= ?2)
                   FROM followups f WHERE f.cid = ?1 AND d <= ?2"
            ),
            "f.at DESC, f.id DESC",
            ActivityKind::FollowUp,
            &|r| {
                let due = from_day_number(r.get(3)?);
                Ok(join_text(format!("for {due}"), &r.get::<_, String>(4)?))
            },
            Some(followup),
            Some(&format!("NOT {done_by}")),
        )?;
        let done_day = day_of("d.at");
        read(
            &format!(
                "SELECT {done_day} AS dd, d.at, d.collector, f.text, d.id AS seq, f.id,
                        1 + 2 * (f.due_date <= ?2)
                   FROM followup_done d
                   JOIN followups f ON f.id = d.followup_id WHERE f.cid = ?1 AND dd <= ?2"
            ),
            "d.at DESC, d.id DESC",
            ActivityKind::FollowUpDone,
            &|r| r.get(3),
            Some(followup),
            None,
        )?;
        // Sent, failed or pending alike, on the day its run was for.
        let claim_day = day_of("at");
        read(
            &format!(
                "SELECT ifnull(sent_date, ifnull(run_date, {claim_day})) AS d, at, collector,
                        cycle, reminder, subject, status
                   FROM reminders WHERE cid = ?1 AND d <= ?2"
            ),
            "1 DESC, 2 DESC, id DESC",
            ActivityKind::Reminder,
            &|r| {
                let status: String = r.get(6)?;
                let mut text = format!(
                    "{} / {}: {}",
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?
                );
                if status != "sent" {
                    text.push_str(&format!(" ({status})"));
                }
                Ok(text)
            },
            None,
            None,
        )?;
        // The subject, then the start of what they wrote, on one line.
        let reply_text = |r: &rusqlite::Row| -> rusqlite::Result<String> {
            let body: String = r.get(4)?;
            let body: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut excerpt: String = body.chars().take(REPLY_EXCERPT).collect();
            if excerpt.len() < body.len() {
                excerpt.push('…');
            }
            Ok(join_text(r.get(3)?, &excerpt))
        };
        read(
            "SELECT received_date, at, from_addr, subject, body FROM replies
              WHERE cid = ?1 AND received_date <= ?2 AND verified = 1",
            "1 DESC, 2 DESC, id DESC",
            ActivityKind::Reply,
            &reply_text,
            None,
            None,
        )?;
        // A sender outside the customer's addresses and domains: said first, with the address.
        read(
            "SELECT received_date, at, from_addr, subject, body FROM replies
              WHERE cid = ?1 AND received_date <= ?2 AND verified = 0",
            "1 DESC, 2 DESC, id DESC",
            ActivityKind::UnverifiedReply,
            &|r| {
                Ok(format!(
                    "UNVERIFIED SENDER {}: {}",
                    r.get::<_, String>(2)?,
                    reply_text(r)?
                ))
            },
            None,
            None,
        )?;
        let owner_day = day_of("at");
        read(
            &format!(
                "SELECT * FROM (
                     SELECT {owner_day} AS d, at, collector, role, ifnull(old_owner, '—'),
                            new_owner
                       FROM owner_changes WHERE cid = ?1 AND d <= ?2
                     UNION ALL
                     SELECT {owner_day} AS d, at, collector, role || ' (by import)',
                            ifnull(old_owner, '—'), new_owner
                       FROM ({IMPORT_OWNER_CHANGES}) WHERE cid = ?1 AND d <= ?2)"
            ),
            "at DESC",
            ActivityKind::OwnerChange,
            &|r| {
                Ok(format!(
                    "{}: {} → {}",
                    r.get::<_, String>(3)?.replace('_', " "),
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?
                ))
            },
            None,
            None,
        )?;
        // Holds and their releases (a hold until a day before the one it was placed on), each
        // on that day; held back until when, and why.
        let hold_day = format!("ifnull(from_date, {})", day_of("at"));
        // A hold written before holds had a day (schema 16) counts from always, as the plan
        // reads it: it is never a release.
        for (kind, which) in [
            (
                ActivityKind::Hold,
                "from_date IS NULL OR until_date >= from_date",
            ),
            (ActivityKind::HoldReleased, "until_date < from_date"),
        ] {
            read(
                &format!(
                    "SELECT {hold_day} AS d, at, collector, until_date, ifnull(text, ''), id AS seq
                       FROM engagement_holds
                      WHERE cid = ?1 AND d <= ?2 AND ({which})"
                ),
                "1 DESC, 2 DESC, id DESC",
                kind,
                &|r| {
                    let head = match kind {
                        ActivityKind::Hold => {
                            format!("until {}", from_day_number(r.get(3)?))
                        }
                        _ => "hold released".to_string(),
                    };
                    Ok(join_text(head, &r.get::<_, String>(4)?))
                },
                None,
                None,
            )?;
        }
        let attachment_day = day_of("a.at");
        read(
            &format!(
                "SELECT {attachment_day} AS d, a.at, a.collector, a.id, a.name, b.bytes,
                        (SELECT p.id FROM payments p WHERE p.pid = a.pid), ifnull(a.text, '')
                   FROM attachments a JOIN blobs b ON b.bid = a.bid WHERE a.cid = ?1 AND d <= ?2"
            ),
            "a.at DESC, a.id DESC",
            ActivityKind::Attachment,
            &|r| {
                let payment: Option<String> = r.get(6)?;
                let head = format!(
                    "{} {} ({}){}",
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    crate::domain::attachment::size_label(r.get::<_, i64>(5)?.unsigned_abs()),
                    payment
                        .map(|p| format!(", with payment {p}"))
                        .unwrap_or_default()
                );
                Ok(join_text(head, &r.get::<_, String>(7)?))
            },
            None,
            None,
        )?;
        total += self.promise_entries(cid, as_of, grace_days, &mut out)?;
        // Stable: entries of the same second keep their query's order, newest first, what was
        // done to a record above it, in the order written.
        out.sort_by(|(a, _), (b, _)| (b.date, &b.at, b.seq).cmp(&(a.date, &a.at, a.seq)));
        let mut newest = 0;
        out.retain(|(_, kept)| {
            newest += 1;
            newest <= TIMELINE_ENTRIES || *kept
        });
        Ok((out.into_iter().map(|(entry, _)| entry).collect(), total))
    }

    /// Promises and their voids, with each promise's state at `as_of` (as the customer's
    /// promise list and the queue's flags have it: receipts converted into the promise's
    /// currency), added to `out`, an open promise and the newest not voided to be kept
    /// whatever their age; returns how many entries it added.
    fn promise_entries(
        &self,
        cid: i64,
        as_of: Date,
        grace_days: u32,
        out: &mut Vec<(ActivityEntry, bool)>,
    ) -> Result<u64> {
        let before = out.len();
        let base = self.store.base_currency()?.unwrap_or_default();
        // The promises' states as the promise list has them, without the documents they name
        // (the timeline does not show them).
        let filter = crate::store::activity::promises::PromiseFilter::Customer(cid);
        let promises = self
            .store
            .activity()
            .promises_where(filter, as_of, grace_days, &base, false)?;
        // The newest promise not voided (what the Promises tab opens the detail on, due or
        // broken) is kept too.
        let newest = promises
            .iter()
            .filter(|p| p.recorded <= as_of && p.progress.state != PromiseState::Voided)
            .max_by(|a, b| (a.recorded, &a.at, a.id).cmp(&(b.recorded, &b.at, b.id)))
            .map(|p| p.id);
        for p in promises.into_iter().filter(|p| p.recorded <= as_of) {
            let state = match p.progress.state {
                PromiseState::PartiallyKept => {
                    format!(
                        "partially kept, {} paid",
                        in_currency(p.progress.paid, &p.currency)
                    )
                }
                s => s.as_str().to_string(),
            };
            let voided = p.progress.state == PromiseState::Voided;
            let kept = p.progress.state == PromiseState::Open || newest == Some(p.id);
            let record = Some(EntryRecord::Promise { id: p.id, voided });
            let entry = ActivityEntry {
                record,
                seq: 0,
                date: p.recorded,
                at: p.at,
                kind: ActivityKind::Promise,
                who: p.collector,
                text: join_text(
                    format!(
                        "{} by {} ({state})",
                        in_currency(p.amount, &p.currency),
                        p.date
                    ),
                    p.text.as_deref().unwrap_or(""),
                ),
            };
            out.push((entry, kept));
            if let Some(void) = p.void.filter(|_| voided) {
                let entry = ActivityEntry {
                    record,
                    // A promise is voided once: after it, the one event on it.
                    seq: 1,
                    date: crate::store::local_day(&void.at).unwrap_or(as_of),
                    at: void.at,
                    kind: ActivityKind::PromiseVoided,
                    who: void.collector,
                    text: join_text(
                        format!("promise of {}", in_currency(p.amount, &p.currency)),
                        void.text.as_deref().unwrap_or(""),
                    ),
                };
                out.push((entry, false));
            }
        }
        Ok((out.len() - before) as u64)
    }
}

/// Whether the timeline keeps an entry however many newer ones there are: an issue open at
/// the date, a follow-up not done by then (promises: [`Ledger::promise_entries`]).
fn kept_whatever_its_age(kind: ActivityKind, record: Option<EntryRecord>) -> bool {
    matches!(
        (kind, record),
        (
            ActivityKind::Issue,
            Some(EntryRecord::Issue { open: true, .. })
        ) | (
            ActivityKind::FollowUp,
            Some(EntryRecord::FollowUp { done: false, .. })
        )
    )
}

/// `head — tail`, or `head` alone when `tail` is empty.
/// An amount of the timeline as `owed activity` says it: in its currency's minor units, and
/// naming it (`1,500,000 JPY`, `887.154 KWD`).
fn in_currency(amount: crate::domain::Decimal, currency: &str) -> String {
    if currency.is_empty() {
        return money::grouped(amount, currency);
    }
    format!("{} {currency}", money::grouped(amount, currency))
}

fn join_text(head: String, tail: &str) -> String {
    if tail.trim().is_empty() {
        head
    } else {
        format!("{head} — {}", tail.trim())
    }
}
