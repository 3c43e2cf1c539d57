//! Attachments: files kept inside the database, content-addressed.
//!
//! The bytes of a file live once in `blobs`, keyed by their SHA-256; an attachment is an
//! entry of a customer's activity log (who attached it, when, under which name) that points
//! at its blob, optionally linked to documents and to the payment it came with (a lockbox
//! cheque image). Attaching the same bytes again adds an entry and no bytes. Like the rest of
//! the activity log, attachments are append-only.
//!
//! A document shows the attachments linked to it and those of the payments applied to it
//! (the cheque that paid it).

use crate::Result;
use crate::domain::action_checks::Stamp;
use crate::domain::attachment::sha256_hex;
use crate::domain::document::NamedDocument;
use crate::domain::users::Work;
use crate::store::Activity;
use crate::store::Store;
use crate::store::activity::action_writes::may_on;
use rusqlite::{Connection, OptionalExtension, params};

/// A file read and checked, ready to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    /// The name it is kept under (from outside: shown through `domain::text`).
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Files to attach to a customer in one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachments<'a> {
    pub cid: i64,
    pub files: &'a [NewFile],
    /// Documents of the customer they are about.
    pub dids: &'a [i64],
    pub text: Option<&'a str>,
}

/// An attachment as recorded, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentView {
    pub id: i64,
    pub cid: i64,
    pub at: String,
    pub collector: String,
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
    pub text: Option<String>,
    /// The documents it is linked to.
    pub documents: Vec<NamedDocument>,
    /// The payment it came with (its id), if any.
    pub payment: Option<String>,
}

/// Keeps `bytes` once: the key of the blob holding them (new or already there).
pub(crate) fn put_blob(conn: &Connection, bytes: &[u8]) -> Result<i64> {
    let sha = sha256_hex(bytes);
    let found: Option<i64> = conn
        .prepare_cached("SELECT bid FROM blobs WHERE sha256 = ?1")?
        .query_row([&sha], |r| r.get(0))
        .optional()?;
    if let Some(bid) = found {
        return Ok(bid);
    }
    conn.prepare_cached("INSERT INTO blobs (sha256, bytes, data) VALUES (?1, ?2, ?3)")?
        .execute(params![sha, bytes.len() as i64, bytes])?;
    Ok(conn.last_insert_rowid())
}

/// One attachment row to record: blob `bid` under `name` on customer `cid`.
pub(crate) struct AttachmentRow<'a> {
    pub cid: i64,
    pub name: &'a str,
    pub bid: i64,
    /// The payment it came with.
    pub pid: Option<i64>,
    pub text: Option<&'a str>,
    pub dids: &'a [i64],
}

/// Records one attachment (no checks: the caller's transaction has made them).
pub(crate) fn insert_attachment(
    conn: &Connection,
    stamp: &Stamp,
    row: &AttachmentRow,
) -> Result<i64> {
    crate::store::insert_naming_documents(
        conn,
        "INSERT INTO attachments (cid, at, collector, name, bid, pid, text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            row.cid,
            stamp.at,
            stamp.collector,
            row.name,
            row.bid,
            row.pid,
            row.text
        ],
        "INSERT OR IGNORE INTO attachment_documents (attachment_id, did) VALUES (?1, ?2)",
        row.dids,
    )
}

const VIEW_COLUMNS: &str = concat!(
    "a.id, a.cid, a.at, a.collector, a.name, b.sha256, b.bytes, a.text,
    (SELECT json_group_array(json_array(x.did, x.id, x.number)) FROM
       (SELECT d.did, d.id, d.number FROM attachment_documents l JOIN documents d ON d.did = l.did
         WHERE l.attachment_id = a.id ORDER BY ifnull(d.due_date, d.doc_date), ",
    crate::store::document_order!(),
    ") x),
    (SELECT p.id FROM payments p WHERE p.pid = a.pid)"
);

fn view_row(r: &rusqlite::Row) -> rusqlite::Result<AttachmentView> {
    let docs: Option<String> = r.get(8)?;
    Ok(AttachmentView {
        id: r.get(0)?,
        cid: r.get(1)?,
        at: r.get(2)?,
        collector: r.get(3)?,
        name: r.get(4)?,
        sha256: r.get(5)?,
        bytes: r.get::<_, i64>(6)?.unsigned_abs(),
        text: r.get(7)?,
        documents: super::named_documents(docs.as_deref()),
        payment: r.get(9)?,
    })
}

impl Activity<&mut Store> {
    /// Attaches files to a customer in one transaction: each file's bytes stored once (by
    /// SHA-256), one activity entry per file. Refused, with nothing written, when the stamp's
    /// role may not write on the customer. Returns the attachments' ids, in order.
    pub fn add_attachments(&mut self, stamp: &Stamp, new: &NewAttachments) -> Result<Vec<i64>> {
        let tx = self.store.write_tx()?;
        may_on(&tx, &stamp.actor(), Work::Attachment, new.cid)?;
        let mut ids = Vec::with_capacity(new.files.len());
        for file in new.files {
            let bid = put_blob(&tx, &file.bytes)?;
            ids.push(insert_attachment(
                &tx,
                stamp,
                &AttachmentRow {
                    cid: new.cid,
                    name: &file.name,
                    bid,
                    pid: None,
                    text: new.text,
                    dids: new.dids,
                },
            )?);
        }
        tx.commit()?;
        Ok(ids)
    }
}

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// One attachment by id, without its bytes.
    pub fn attachment(&self, id: i64) -> Result<Option<AttachmentView>> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS} FROM attachments a JOIN blobs b ON b.bid = a.bid WHERE a.id = ?1"
        );
        Ok(self
            .conn()
            .prepare_cached(&sql)?
            .query_row([id], view_row)
            .optional()?)
    }

    /// The exact bytes of an attachment, if it exists.
    pub fn attachment_bytes(&self, id: i64) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT b.data FROM attachments a JOIN blobs b ON b.bid = a.bid WHERE a.id = ?1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// A customer's attachments, newest first.
    pub fn customer_attachments(&self, cid: i64) -> Result<Vec<AttachmentView>> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS} FROM attachments a JOIN blobs b ON b.bid = a.bid
              WHERE a.cid = ?1 ORDER BY a.at DESC, a.id DESC"
        );
        crate::store::rows(self.conn(), &sql, [cid], view_row)
    }

    /// The attachments a document shows: those linked to it and those of the payments applied
    /// to it (the cheque image that paid it), newest first.
    pub fn document_attachments(&self, did: i64) -> Result<Vec<AttachmentView>> {
        let sql = format!(
            "SELECT {VIEW_COLUMNS} FROM attachments a JOIN blobs b ON b.bid = a.bid
              WHERE a.id IN (SELECT l.attachment_id FROM attachment_documents l WHERE l.did = ?1)
                 OR a.pid IN (SELECT ap.source_pid FROM applications ap
                               WHERE ap.did = ?1 AND ap.source_pid IS NOT NULL)
              ORDER BY a.at DESC, a.id DESC"
        );
        crate::store::rows(self.conn(), &sql, [did], view_row)
    }

    /// The number of attachments and of distinct bytes kept (blobs, and their total size).
    pub fn attachment_totals(&self) -> Result<(u64, u64, u64)> {
        let (a, b, bytes): (i64, i64, i64) = self.conn().query_row(
            "SELECT (SELECT count(*) FROM attachments), count(*), ifnull(sum(bytes), 0) FROM blobs",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        Ok((a.unsigned_abs(), b.unsigned_abs(), bytes.unsigned_abs()))
    }
}
