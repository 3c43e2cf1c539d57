//! Writing a lockbox file: cheque payments, what they settle, their deductions and images,
//! in one transaction.
//!
//! `crate::import::lockbox` reads and checks the bank's file and decides what each item
//! pays; this module owns the SQL. A payment is written with its applications at once, and
//! the totals the ledger keeps on documents and payments (`applied`, `last_applied`) are
//! brought up to date with them, so that the next item of the same file sees the balances it
//! left. Nothing is visible to other connections until [`LockboxWriter::commit`]; dropping
//! the writer rolls everything back.

use crate::domain::action_checks::Stamp;
use crate::domain::users::Work;
use crate::store::Ledger;
use crate::store::Store;
use crate::store::activity::action_writes::may_on;
use crate::store::activity::attachments::{AttachmentRow, insert_attachment, put_blob};
use crate::{Error, Result};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

/// A customer as a lockbox item's payer names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payer {
    pub cid: i64,
    pub id: String,
    pub name: String,
    /// The customer's currency, if the billing system gave one.
    pub currency: Option<String>,
}

/// The customers by id and by name (several may share a name).
#[derive(Debug, Default)]
pub struct Payers {
    pub by_id: HashMap<String, Payer>,
    pub by_name: HashMap<String, Vec<Payer>>,
}

/// A payment already in the database under a lockbox item's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPayment {
    pub cid: i64,
    pub date: i32,
    pub amount: i64,
    pub currency: String,
    /// What of it is still unapplied.
    pub unapplied: i64,
}

/// An open invoice or debit note a cheque may pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenItem {
    pub did: i64,
    pub id: String,
    pub number: Option<String>,
    pub doc_date: i32,
    pub due_date: Option<i32>,
    pub currency: String,
    /// Open balance now (after every application so far, this file's included).
    pub balance: i64,
}

/// A cheque payment to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChequePayment<'a> {
    /// `LBX-<item_id>`.
    pub id: &'a str,
    pub cid: i64,
    pub date: i32,
    pub amount: i64,
    pub currency: &'a str,
    pub rate: &'a str,
    /// The cheque's number.
    pub reference: Option<&'a str>,
}

/// A lockbox import in progress: one write transaction.
pub struct LockboxWriter<'a> {
    tx: crate::store::WriteTx<'a>,
}

impl<'a> Ledger<&'a mut Store> {
    /// Starts writing a lockbox file as `stamp`'s actor: applying a bank's file touches the
    /// customers of every collector, so it is a manager's work ([`Work::Lockbox`]).
    pub fn lockbox_writer(self, stamp: &Stamp) -> Result<LockboxWriter<'a>> {
        let tx = self.store.write_tx()?;
        let actor = crate::store::users::as_now(&tx, &stamp.actor())?;
        crate::domain::users::may(&actor, Work::Lockbox, None).map_err(Error::Input)?;
        Ok(LockboxWriter { tx })
    }
}

const OPEN_ITEM_COLUMNS: &str = "did, id, number, doc_date, due_date, currency, balance";

fn open_item(r: &rusqlite::Row) -> rusqlite::Result<OpenItem> {
    Ok(OpenItem {
        did: r.get(0)?,
        id: r.get(1)?,
        number: r.get(2)?,
        doc_date: r.get(3)?,
        due_date: r.get(4)?,
        currency: r.get(5)?,
        balance: r.get(6)?,
    })
}

impl LockboxWriter<'_> {
    /// Every customer, by id and by name.
    pub fn payers(&self) -> Result<Payers> {
        let mut stmt = self
            .tx
            .prepare("SELECT cid, id, name, currency FROM customers")?;
        let mut rows = stmt.query([])?;
        let mut payers = Payers::default();
        while let Some(r) = rows.next()? {
            let payer = Payer {
                cid: r.get(0)?,
                id: r.get(1)?,
                name: r.get(2)?,
                currency: r.get(3)?,
            };
            payers
                .by_name
                .entry(crate::domain::text::person_key(payer.name.trim()))
                .or_default()
                .push(payer.clone());
            payers.by_id.insert(payer.id.clone(), payer);
        }
        Ok(payers)
    }

    /// The exchange rate of `currency` to the base currency on or before `day`, as stored.
    pub fn rate_on_or_before(&self, currency: &str, day: i32) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT rate FROM exchange_rates WHERE currency = ?1 AND date <= ?2
                  ORDER BY date DESC LIMIT 1",
            )?
            .query_row(params![currency, day], |r| r.get(0))
            .optional()?)
    }

    /// The payment stored under `id`, if any.
    pub fn payment(&self, id: &str) -> Result<Option<KnownPayment>> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT cid, date, amount, currency, unapplied FROM payments WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(KnownPayment {
                    cid: r.get(0)?,
                    date: r.get(1)?,
                    amount: r.get(2)?,
                    currency: r.get(3)?,
                    unapplied: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// The customer's invoices and debit notes named by `reference`, whatever their date and
    /// balance: by id, else by number, as written; else, as `owed find` finds them, by id or
    /// number without regard to case or width in any script (`inv-3` for `INV-3`, `RE-Ü002`
    /// for `re-ü002`: collation `owed_person`, the accents counting). The flag says the last: then
    /// more than one document is no answer (which one the bank meant cannot be told).
    pub fn named_documents(&self, cid: i64, reference: &str) -> Result<(Vec<OpenItem>, bool)> {
        // Each way of naming them in turn (?1 the reference, ?2 the customer); the first that
        // finds any answers. Numbers are not indexed by customer: its own documents are few.
        let found = |condition: &str, order: &str| -> Result<Vec<OpenItem>> {
            let mut stmt = self.tx.prepare_cached(&format!(
                "SELECT {OPEN_ITEM_COLUMNS} FROM documents {condition}
                    AND kind <> 'credit_note' {order}"
            ))?;
            Ok(stmt
                .query_map(params![reference, cid], open_item)?
                .collect::<rusqlite::Result<_>>()?)
        };
        let by_id = found("WHERE id = ?1 AND cid = ?2", "")?;
        if !by_id.is_empty() {
            return Ok((by_id, false));
        }
        let in_order = "ORDER BY doc_date, did";
        let by_number = found(
            "INDEXED BY documents_customer WHERE cid = ?2 AND number = ?1",
            in_order,
        )?;
        if !by_number.is_empty() {
            return Ok((by_number, false));
        }
        let any_case = found(
            "INDEXED BY documents_customer WHERE cid = ?2
                AND (number = ?1 COLLATE owed_person OR id = ?1 COLLATE owed_person)",
            in_order,
        )?;
        Ok((any_case, true))
    }

    /// The customer's invoices and debit notes in `currency` dated by `day` with a balance
    /// open now, oldest first (by document date, then due date).
    pub fn open_items(&self, cid: i64, currency: &str, day: i32) -> Result<Vec<OpenItem>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {OPEN_ITEM_COLUMNS} FROM documents INDEXED BY documents_customer
              WHERE cid = ?1 AND doc_date <= ?3 AND currency = ?2 AND kind <> 'credit_note'
                AND balance > 0
              ORDER BY doc_date, due_date, did"
        ))?;
        Ok(stmt
            .query_map(params![cid, currency, day], open_item)?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Writes a successful cheque payment. Returns its key.
    pub fn insert_payment(&self, p: &ChequePayment) -> Result<i64> {
        self.tx
            .prepare_cached(
                "INSERT INTO payments (id, cid, date, amount, currency, rate, status, method,
                                       gateway, reference)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'success', 'cheque', 'lockbox', ?7)",
            )?
            .execute(params![
                p.id,
                p.cid,
                p.date,
                p.amount,
                p.currency,
                p.rate,
                p.reference
            ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Applies `amount` of payment `pid` to document `did` on `day`, keeping the applied
    /// totals of both up to date.
    pub fn apply(&self, pid: i64, did: i64, amount: i64, day: i32) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO applications (source_pid, did, amount, date) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (did, date, ifnull(source_pid, 0), ifnull(source_did, 0))
                 DO UPDATE SET amount = amount + excluded.amount",
            )?
            .execute(params![pid, did, amount, day])?;
        self.tx
            .prepare_cached(
                "UPDATE documents SET applied = applied + ?2,
                        last_applied = max(ifnull(last_applied, ?3), ?3) WHERE did = ?1",
            )?
            .execute(params![did, amount, day])?;
        self.tx
            .prepare_cached(
                "UPDATE payments SET applied = applied + ?2,
                        last_applied = max(ifnull(last_applied, ?3), ?3) WHERE pid = ?1",
            )?
            .execute(params![pid, amount, day])?;
        Ok(())
    }

    /// Opens a deduction: an issue with reason `short_payment` for `amount` (in the
    /// customer's currency, ten-thousandths), open from `day`, on `dids`, linked to the
    /// payment `pid` whose cheque was short (an import that later finds the cheque voided
    /// or failed withdraws it). Returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn open_deduction(
        &self,
        stamp: &Stamp,
        cid: i64,
        pid: i64,
        amount: i64,
        day: i32,
        dids: &[i64],
        text: &str,
    ) -> Result<i64> {
        let issue = crate::store::insert_naming_documents(
            &self.tx,
            "INSERT INTO issues (cid, at, collector, reason, amount, opened_date, text)
             VALUES (?1, ?2, ?3, 'short_payment', ?4, ?5, ?6)",
            params![cid, stamp.at, stamp.collector, amount, day, text],
            "INSERT OR IGNORE INTO issue_documents (issue_id, did) VALUES (?1, ?2)",
            dids,
        )?;
        self.tx
            .prepare_cached("INSERT INTO deduction_payments (issue_id, pid) VALUES (?1, ?2)")?
            .execute(params![issue, pid])?;
        Ok(issue)
    }

    /// Attaches a cheque image to payment `pid` of customer `cid` (the bytes stored once).
    /// Returns the attachment's id.
    pub fn attach_to_payment(
        &self,
        stamp: &Stamp,
        cid: i64,
        pid: i64,
        name: &str,
        bytes: &[u8],
    ) -> Result<i64> {
        // Inside the transaction, as every attachment: the same check as `owed attach`.
        may_on(&self.tx, &stamp.actor(), Work::Attachment, cid)?;
        let bid = put_blob(&self.tx, bytes)?;
        insert_attachment(
            &self.tx,
            stamp,
            &AttachmentRow {
                cid,
                name,
                bid,
                pid: Some(pid),
                text: None,
                dids: &[],
            },
        )
    }

    /// Resolves the open deductions whose documents this file's cheques (or earlier
    /// payments) settled in full, by `stamp`'s collector as of the day they were settled (see
    /// [`super::deductions`]). Returns them, oldest first.
    pub fn settle_deductions(
        &self,
        stamp: &Stamp,
    ) -> Result<Vec<super::deductions::SettledDeduction>> {
        super::deductions::settle_deductions(
            &self.tx,
            &stamp.collector,
            &stamp.at,
            super::deductions::SettlingRun::Lockbox,
        )
    }

    /// The payment (or document) at which the ledger with this run's cheques adds up past
    /// what owed can count, as `owed import` refuses it
    /// ([`super::import::first_past_countable`]).
    pub fn first_past_countable(&self, base: &str) -> Result<Option<super::import::PastCountable>> {
        super::import::first_past_countable(&self.tx, base)
    }

    /// Records this run in the log of imports (committed with it, or not at all).
    pub fn record(&self, run: &super::import::ImportRun) -> Result<()> {
        super::import::record_run(&self.tx, run)
    }

    /// Makes the lockbox file visible to everyone.
    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }
}

/// An open invoice the demo's lockbox file may pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenInvoice {
    pub customer_id: String,
    pub customer_name: String,
    pub id: String,
    pub number: Option<String>,
    /// Ten-thousandths of `currency`.
    pub balance: i64,
    pub currency: String,
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// The open invoices (dated by `day`) of every `stride`-th customer, by customer, oldest
    /// first: what a generated lockbox file pays.
    pub fn open_invoices_sample(&self, day: i32, stride: i64) -> Result<Vec<OpenInvoice>> {
        let mut stmt = self.conn().prepare(
            "SELECT c.id, c.name, d.id, d.number, d.balance, d.currency
               FROM customers c JOIN documents d INDEXED BY documents_customer ON d.cid = c.cid
              WHERE c.cid % ?2 = 0 AND d.doc_date <= ?1 AND d.kind = 'invoice' AND d.balance > 0
              ORDER BY c.cid, d.doc_date, d.due_date, d.did",
        )?;
        let rows = stmt.query_map(params![day, stride.max(1)], |r| {
            Ok(OpenInvoice {
                customer_id: r.get(0)?,
                customer_name: r.get(1)?,
                id: r.get(2)?,
                number: r.get(3)?,
                balance: r.get(4)?,
                currency: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
