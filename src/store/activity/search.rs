//! Finding things: customers by name or id, documents by number or id, and what was written
//! about customers, through the FTS5 index `activity_text`.
//!
//! The index (migration 7) holds one entry per text written about a customer: notes, calls'
//! notes, replies (subject and body), issues' texts and the texts of their resolutions and
//! reopenings, promises' comments and their voids', follow-ups. An entry's rowid is the
//! customer's key times 2^32, plus its record's id times 8, plus its [`EntryKind`]: the
//! customers a search finds come from the rowids alone, without reading a stored row (which
//! keeps the text and the record's timestamp). That bounds keys to 2^31 customers and 2^29
//! records of a kind. Triggers on each of those tables add the entry in the
//! transaction that writes the record, whoever writes it (the command line, the workstation,
//! `inbox import`, the demo): the activity log is append-only, so an entry never changes or
//! goes. Searches go through [`crate::domain::search`]: every word must start a word of the
//! entry (`unicode61` words, diacritics removed), and nothing typed is FTS5 syntax.
//!
//! Document numbers are found through the index `documents_number` (`COLLATE NOCASE`), and
//! those with other characters than ASCII (`RE-Ü002`) through `documents_number_other` (the
//! few such numbers read whole), compared as users are told apart (`COLLATE owed_person`:
//! case and width in every script, typed decomposed too; the accents count); ids through the
//! unique index on `documents.id` (as typed, upper- and lower-cased).
//!
//! A search is as of a date, as every figure is: a document dated later, and an entry whose
//! record the customer's timeline puts on a later day, did not exist yet and is not found
//! (customers are, whatever the date). Each entry found is dated from its record, read by
//! id (`existed_sql`). The queue's filter searches as of its table's date
//! (`QUEUE_AS_OF`), so that `note:` and `call>14` read one date.

use crate::Result;
use crate::domain::Date;
use crate::domain::date::day_number;
use crate::domain::document::DocumentKind;
use crate::domain::queue::{Predicate, QueueFilter, SearchScope};
use crate::domain::search;
use crate::store::Activity;
use crate::store::queue::QUEUE_AS_OF;
use crate::store::{DOCUMENT_ORDER, PERSON_ORDER, Store};
use rusqlite::params;
use std::collections::HashSet;

/// What kind of record an entry of the full-text index is (its rowid modulo 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Note,
    Call,
    Reply,
    Issue,
    /// A resolution or reopening of an issue (its text).
    IssueEvent,
    Promise,
    /// The voiding of a promise (its text).
    PromiseVoid,
    Followup,
}

impl EntryKind {
    /// Every kind, by code.
    pub const ALL: [EntryKind; 8] = [
        EntryKind::Note,
        EntryKind::Call,
        EntryKind::Reply,
        EntryKind::Issue,
        EntryKind::IssueEvent,
        EntryKind::Promise,
        EntryKind::PromiseVoid,
        EntryKind::Followup,
    ];

    /// The kind's code in the rowid (what migration 7's triggers add to `id * 8`).
    pub fn code(self) -> i64 {
        EntryKind::ALL
            .iter()
            .position(|&k| k == self)
            .map_or(0, |i| i as i64)
    }

    /// The kind of an entry's rowid.
    pub fn of_rowid(rowid: i64) -> EntryKind {
        EntryKind::ALL[(rowid & 7) as usize]
    }

    /// The record's id in an entry's rowid.
    pub fn record_of_rowid(rowid: i64) -> i64 {
        (rowid >> 3) & RECORD_MASK
    }

    /// The record's kind as `owed activity --json` names it: an issue's resolution is found
    /// as its issue, a promise's void as its promise.
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Note => "note",
            EntryKind::Call => "call",
            EntryKind::Reply => "reply",
            EntryKind::Issue | EntryKind::IssueEvent => "issue",
            EntryKind::Promise | EntryKind::PromiseVoid => "promise",
            EntryKind::Followup => "followup",
        }
    }

    /// The codes a search scope looks through, as an SQL list.
    fn codes(scope: SearchScope) -> &'static str {
        match scope {
            SearchScope::Notes => "0, 1",
            SearchScope::All => "0, 1, 2, 3, 4, 5, 6, 7",
        }
    }
}

/// The bits of a record's id in an entry's rowid (after the kind's 3).
const RECORD_MASK: i64 = (1 << 29) - 1;

/// SQL of the customer's key in the rowid of entry `t`.
const CID_OF: &str = "(t.rowid >> 32)";

/// A customer found by name or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundCustomer {
    pub cid: i64,
    pub id: String,
    pub name: String,
}

/// A document found by number or id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDocument {
    pub id: String,
    pub number: Option<String>,
    /// `invoice`, `debit_note` or `credit_note`.
    pub kind: DocumentKind,
    pub cid: i64,
    pub customer_id: String,
    pub customer_name: String,
}

/// An entry of the activity that holds every word searched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundEntry {
    pub kind: EntryKind,
    /// The id of the record as `owed activity` shows it (an issue's, for its resolution; a
    /// promise's, for its void).
    pub id: i64,
    pub cid: i64,
    pub customer_id: String,
    /// When it was written (RFC 3339 UTC).
    pub at: String,
    pub text: String,
}

/// One section of what was found: the first `limit` and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section<T> {
    pub items: Vec<T>,
    pub total: u64,
}

impl<T> Default for Section<T> {
    fn default() -> Self {
        Section {
            items: Vec::new(),
            total: 0,
        }
    }
}

/// Everything a search found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Found {
    /// By name.
    pub customers: Section<FoundCustomer>,
    /// Whole numbers or ids first, then those that start with the text.
    pub documents: Section<FoundDocument>,
    /// Newest first.
    pub activity: Section<FoundEntry>,
}

/// The FTS5 query of `text` (see [`search::fts_query`]), or one that matches nothing when it
/// has no word.
pub(crate) fn fts_or_nothing(text: &str) -> String {
    search::fts_query(text).unwrap_or_else(|| "\"\"".to_string())
}

/// The as-of date of a search as SQL reads it: the day's number (as `day_number`) and the
/// first moment of the next day here ([`crate::store::local_day_start`]), each an SQL
/// expression (a bound parameter, or what the queue table keeps of its date).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AsOfSql<'a> {
    pub day: &'a str,
    pub next_day: &'a str,
}

/// The values of an [`AsOfSql`] for `as_of`: its day number and the next day's first moment.
pub(crate) fn as_of_values(as_of: Date) -> (i32, String) {
    (
        day_number(as_of),
        crate::store::local_day_start(as_of + chrono::Days::new(1)),
    )
}

/// SQL: entry `t` of the index existed by the as-of date, on the day the customer's timeline
/// puts its record (`Ledger::activity_timeline`): a reply on the day it was received, an issue
/// on the day it was opened, a resolution or reopening on its own day, a promise on the day it
/// was recorded (a back-dated session's date); a note, a call, a void or a follow-up on the day
/// it was written, its timestamp before the next day's first moment (as the queue reads the
/// last note and call, with no date arithmetic per entry). Each read from its record by id:
/// a primary key's lookup, about a third of the cost of reading the index's own copy of the
/// timestamp (FTS5 hands out a column through its content table, an entry at a time).
fn existed_sql(as_of: AsOfSql) -> String {
    let AsOfSql { day, next_day } = as_of;
    let arms: String = EntryKind::ALL
        .iter()
        .map(|&kind| {
            // A timestamp, or a day number.
            let (table, column, timestamp) = match kind {
                EntryKind::Note => ("notes", "at", true),
                EntryKind::Call => ("calls", "at", true),
                EntryKind::Reply => ("replies", "received_date", false),
                EntryKind::Issue => ("issues", "opened_date", false),
                EntryKind::IssueEvent => ("issue_events", "event_date", false),
                EntryKind::Promise => ("promises", "recorded_date", false),
                EntryKind::PromiseVoid => ("promise_voids", "at", true),
                EntryKind::Followup => ("followups", "at", true),
            };
            // Before the next day's first moment, or on or before the day.
            let (cmp, by) = if timestamp {
                ("<", next_day)
            } else {
                ("<=", day)
            };
            format!(
                " WHEN {} THEN (SELECT r.{column} FROM main.{table} r
                                  WHERE r.id = ((t.rowid >> 3) & {RECORD_MASK})) {cmp} {by}",
                kind.code()
            )
        })
        .collect();
    format!("CASE t.rowid & 7{arms} END")
}

/// SQL selecting the keys of the customers with activity matching the FTS5 query bound as
/// `param`, in `scope`, that existed by the as-of date.
pub(crate) fn activity_customers_sql(scope: SearchScope, param: &str, as_of: AsOfSql) -> String {
    let kinds = match scope {
        SearchScope::All => String::new(),
        SearchScope::Notes => format!(" AND (t.rowid & 7) IN ({})", EntryKind::codes(scope)),
    };
    format!(
        "SELECT t.rowid >> 32 FROM main.activity_text t
          WHERE activity_text MATCH {param}{kinds} AND {}",
        existed_sql(as_of)
    )
}

/// The documents (`d`) whose number has other characters than ASCII: the condition of the
/// partial index `documents_number_other` (migration 31), written as it is so that SQLite
/// may read that index, and told to (`INDEXED BY`: compared by `owed_person`, which no index
/// has, SQLite read every document instead, 1.3 s at a million documents).
const OTHER_NUMBER: &str = "d.number GLOB '*[^ -~]*'";

/// SQL selecting the keys of the customers with a document dated by the day `day` whose
/// number (without regard to case in any script) or id (as bound, upper- or lower-cased) is
/// the text bound as `param` (a lookup per index: with `OR` SQLite would read every
/// document).
pub(crate) fn document_customers_sql(param: &str, day: &str) -> String {
    format!(
        "SELECT d.cid FROM main.documents d
          WHERE d.number = {param} COLLATE NOCASE AND d.doc_date <= {day}
         UNION SELECT d.cid FROM main.documents d
          WHERE d.id IN ({param}, upper({param}), lower({param})) AND d.doc_date <= {day}
         UNION SELECT d.cid FROM main.documents d INDEXED BY documents_number_other
          WHERE {OTHER_NUMBER} AND d.number = {param} COLLATE {PERSON_ORDER}
            AND d.doc_date <= {day}"
    )
}

/// For each predicate of a filter that needs more than the queue table: the customers it
/// lets through (the documents of a bare word, the activity of `note:` and `text:`), so that
/// the queue's mirror in memory counts as SQL does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterMatches {
    /// By the predicate's position in the filter; `None` for the others.
    pub sets: Vec<Option<HashSet<i64>>>,
}

impl FilterMatches {
    /// The customers predicate `i` lets through beyond the queue table's own columns.
    pub fn get(&self, i: usize) -> Option<&HashSet<i64>> {
        self.sets.get(i).and_then(Option::as_ref)
    }
}

impl<S: std::ops::Deref<Target = Store>> Activity<S> {
    /// What `terms` find (words and quoted phrases, as the filter splits them: see
    /// [`crate::domain::queue::split_terms`]): customers whose name or id contains every
    /// term, documents whose number or id is the one term (or starts with it: several terms
    /// cannot all be one number), and activity holding every word of them; at most `limit`
    /// of each (every one with `0`). Documents and activity as of `as_of`: those dated later,
    /// and what was written later, did not exist yet (customers are found whatever the date).
    pub fn find(&self, terms: &[String], as_of: Date, limit: usize) -> Result<Found> {
        let documents = match terms {
            [term] => self.find_documents(term, as_of, limit)?,
            _ => Section::default(),
        };
        Ok(Found {
            customers: self.find_customers(terms, limit)?,
            documents,
            activity: self.find_activity(SearchScope::All, &terms.join(" "), as_of, limit)?,
        })
    }

    /// Customers whose name or id contains every one of `terms` (accents and case aside, in
    /// every script; as the filter's bare terms, `where_clause`), by name.
    pub fn find_customers(&self, terms: &[String], limit: usize) -> Result<Section<FoundCustomer>> {
        if terms.iter().all(|t| t.trim().is_empty()) {
            return Ok(Section::default());
        }
        // ?1 is the limit, then each term's pattern.
        let mut values = vec![rusqlite::types::Value::Integer(sql_limit(limit))];
        let mut each = Vec::with_capacity(terms.len());
        for term in terms {
            values.push(rusqlite::types::Value::Text(contains_pattern(term)));
            let p = format!("?{}", values.len());
            each.push(format!(
                "({} OR {})",
                contains_sql("name", &p, term),
                contains_sql("id", &p, term)
            ));
        }
        // One pass: the count over every match beside the first ones.
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT cid, id, name, count(*) OVER () FROM customers
              WHERE {}
              ORDER BY name COLLATE owed_name, id LIMIT ?1",
            each.join(" AND ")
        ))?;
        let mut total = 0;
        let items = stmt
            .query_map(rusqlite::params_from_iter(values), |r| {
                total = r.get::<_, i64>(3)?.unsigned_abs();
                Ok(FoundCustomer {
                    cid: r.get(0)?,
                    id: r.get(1)?,
                    name: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Section { items, total })
    }

    /// Documents dated by `as_of` whose number (without regard to case in any script) or id
    /// is `text`, then those whose number or id starts with it.
    pub fn find_documents(
        &self,
        text: &str,
        as_of: Date,
        limit: usize,
    ) -> Result<Section<FoundDocument>> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Section::default());
        }
        // U+10FFFF sorts after every character: [text, text + U+10FFFF) is "starts with".
        let high = format!("{text}\u{10FFFF}");
        let upper = text.to_uppercase();
        let upper_high = format!("{upper}\u{10FFFF}");
        let matching = "SELECT did, 0 AS rank FROM documents WHERE number = ?1 COLLATE NOCASE
                        UNION
                        SELECT did, 0 FROM documents WHERE id IN (?1, upper(?1), lower(?1))
                        UNION
                        SELECT did, 1 FROM documents
                         WHERE number >= ?1 COLLATE NOCASE AND number < ?2 COLLATE NOCASE
                        UNION
                        SELECT did, 1 FROM documents WHERE id >= ?1 AND id < ?2
                        UNION
                        SELECT did, 1 FROM documents WHERE id >= ?3 AND id < ?4
                        UNION
                        SELECT did, 0 FROM documents d INDEXED BY documents_number_other
                         WHERE d.number GLOB '*[^ -~]*' AND d.number = ?1 COLLATE owed_person
                        UNION
                        SELECT did, 1 FROM documents d INDEXED BY documents_number_other
                         WHERE d.number GLOB '*[^ -~]*'
                           AND d.number >= ?1 COLLATE owed_person
                           AND d.number < ?2 COLLATE owed_person";
        let day = day_number(as_of);
        let total: i64 = self.conn().query_row(
            &format!(
                "SELECT count(DISTINCT m.did) FROM ({matching}) m
                   JOIN documents d ON d.did = m.did WHERE d.doc_date <= ?5"
            ),
            params![text, high, upper, upper_high, day],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn().prepare_cached(&format!(
            "WITH m AS ({matching}), best AS (SELECT did, min(rank) AS rank FROM m GROUP BY did)
             SELECT d.id, d.number, d.kind, c.cid, c.id, c.name
               FROM best JOIN documents d ON d.did = best.did JOIN customers c ON c.cid = d.cid
              WHERE d.doc_date <= ?5
              ORDER BY best.rank, {DOCUMENT_ORDER} LIMIT ?6"
        ))?;
        let items = stmt
            .query_map(
                params![text, high, upper, upper_high, day, sql_limit(limit)],
                |r| {
                    Ok(FoundDocument {
                        id: r.get(0)?,
                        number: r.get(1)?,
                        kind: r.get(2)?,
                        cid: r.get(3)?,
                        customer_id: r.get(4)?,
                        customer_name: r.get(5)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Section {
            items,
            total: total.unsigned_abs(),
        })
    }

    /// Activity in `scope` holding every word of `text` that existed by `as_of`, newest
    /// first.
    pub fn find_activity(
        &self,
        scope: SearchScope,
        text: &str,
        as_of: Date,
        limit: usize,
    ) -> Result<Section<FoundEntry>> {
        let Some(query) = search::fts_query(text) else {
            return Ok(Section::default());
        };
        let kinds = EntryKind::codes(scope);
        let (day, next_day) = as_of_values(as_of);
        let existed = existed_sql(AsOfSql {
            day: "?2",
            next_day: "?3",
        });
        let total: i64 = self.conn().query_row(
            &format!(
                "SELECT count(*) FROM activity_text t
                  WHERE activity_text MATCH ?1 AND (t.rowid & 7) IN ({kinds}) AND {existed}"
            ),
            params![query, day, next_day],
            |r| r.get(0),
        )?;
        // An issue's resolution is found as its issue, a promise's void as its promise.
        let record = format!("((t.rowid >> 3) & {RECORD_MASK})");
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT t.rowid, {CID_OF}, c.id, t.at, t.text,
                    CASE t.rowid & 7
                      WHEN 4 THEN (SELECT issue_id FROM issue_events WHERE id = {record})
                      WHEN 6 THEN (SELECT promise_id FROM promise_voids WHERE id = {record})
                      ELSE {record} END
               FROM activity_text t JOIN customers c ON c.cid = {CID_OF}
              WHERE activity_text MATCH ?1 AND (t.rowid & 7) IN ({kinds}) AND {existed}
              ORDER BY t.at DESC, t.rowid DESC LIMIT ?4"
        ))?;
        let items = stmt
            .query_map(params![query, day, next_day, sql_limit(limit)], |r| {
                Ok(FoundEntry {
                    kind: EntryKind::of_rowid(r.get(0)?),
                    cid: r.get(1)?,
                    customer_id: r.get(2)?,
                    at: r.get(3)?,
                    text: r.get(4)?,
                    id: r.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(Section {
            items,
            total: total.unsigned_abs(),
        })
    }

    /// The keys of the customers with activity in `scope` holding every word of `text` that
    /// existed by the queue table's date.
    fn activity_customers(&self, scope: SearchScope, text: &str) -> Result<HashSet<i64>> {
        let sql = activity_customers_sql(scope, "?1", QUEUE_AS_OF);
        crate::store::rows(self.conn(), &sql, [fts_or_nothing(text)], |r| r.get(0))
    }

    /// The keys of the customers with a document dated by the queue table's date whose number
    /// or id is `text` (see `document_customers_sql`).
    fn document_customers(&self, text: &str) -> Result<HashSet<i64>> {
        let sql = document_customers_sql("?1", QUEUE_AS_OF.day);
        crate::store::rows(self.conn(), &sql, [text.trim()], |r| r.get(0))
    }

    /// The documents of customer `cid` whose number or id is `text` (see
    /// `document_customers_sql`): the document a search for it should land on.
    pub fn customer_documents_named(&self, cid: i64, text: &str) -> Result<Vec<String>> {
        crate::store::rows(
            self.conn(),
            "SELECT d.id FROM documents d INDEXED BY documents_customer
              WHERE d.cid = ?2
                AND (d.number = ?1 COLLATE owed_person OR d.id IN (?1, upper(?1), lower(?1)))
              ORDER BY d.did",
            params![text.trim(), cid],
            |r| r.get(0),
        )
    }

    /// What the predicates of `filter` that look beyond the queue table let through (see
    /// [`FilterMatches`]), as of the queue table's date, as its SQL reads them
    /// (`Queue::rebuild` first).
    pub fn filter_matches(&self, filter: &QueueFilter) -> Result<FilterMatches> {
        let mut sets = Vec::with_capacity(filter.predicates.len());
        for p in &filter.predicates {
            sets.push(match p {
                Predicate::Text(text) => Some(self.document_customers(text)?),
                Predicate::Search(scope, text) => Some(self.activity_customers(*scope, text)?),
                _ => None,
            });
        }
        Ok(FilterMatches { sets })
    }

    /// The number of entries in the full-text index (for tests and benchmarks).
    pub fn activity_text_entries(&self) -> Result<u64> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM activity_text", [], |r| r.get(0))?;
        Ok(n.unsigned_abs())
    }
}

impl Activity<&mut Store> {
    /// For a benchmark on a copy: drops the trigger that indexes notes (notes written after it
    /// cannot be found) and returns its SQL, for [`Activity::bench_restore_note_index`].
    pub fn bench_drop_note_index(&mut self) -> Result<String> {
        let sql: String = self.conn().query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'activity_text_note'",
            [],
            |r| r.get(0),
        )?;
        self.conn()
            .execute_batch("DROP TRIGGER activity_text_note")?;
        Ok(sql)
    }

    /// Puts back the trigger [`Activity::bench_drop_note_index`] dropped.
    pub fn bench_restore_note_index(&mut self, sql: &str) -> Result<()> {
        self.conn().execute_batch(sql)?;
        Ok(())
    }
}

/// SQL: `column` contains the pattern `param` (`%…%` of `text` folded, escaped with `\`)
/// with accents and case set aside in any script ([`crate::domain::text::fold`]: "elan"
/// finds "Élan"). `LIKE` folds ASCII letters, so a column all printable ASCII is answered by
/// `LIKE` alone, with no call per row; only a column with other characters is compared
/// folded (`owed_fold`), and a text that folds to other characters than ASCII can only be
/// found there.
pub(crate) fn contains_sql(column: &str, param: &str, text: &str) -> String {
    let other =
        format!("{column} GLOB '*[^ -~]*' AND owed_fold({column}) LIKE {param} ESCAPE '\\'");
    if crate::domain::text::fold(text).is_ascii() {
        format!("({column} LIKE {param} ESCAPE '\\' OR ({other}))")
    } else {
        format!("({other})")
    }
}

/// The `LIKE … ESCAPE '\'` pattern of what contains `text` (see [`contains_sql`]): folded,
/// with `\`, `%` and `_` escaped.
pub(crate) fn contains_pattern(text: &str) -> String {
    let escaped = crate::domain::text::fold(text)
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// A limit for SQL: `0` is none.
fn sql_limit(limit: usize) -> i64 {
    if limit == 0 {
        -1
    } else {
        i64::try_from(limit).unwrap_or(i64::MAX)
    }
}
