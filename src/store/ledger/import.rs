//! Writing an import: upserts by the billing system's ids inside one transaction.
//!
//! The import module parses and validates rows; this module owns the SQL. Nothing is visible
//! to other connections until [`ImportWriter::commit`]; dropping the writer rolls back.
//! Temporary triggers note, inside that transaction, the old and new values of what its
//! updates change; [`ImportWriter::record`] keeps them with the run in the log of imports.

use crate::Result;
use crate::domain::action_checks::OwnerRole;
use crate::domain::document::DocumentKind;
use crate::domain::format;
use crate::domain::money;
use crate::domain::users::{Actor, Role, Unworkable, Work, may, unworkable_owner};
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::types::{Type, Value};
use rusqlite::{OptionalExtension, params};
use std::collections::HashMap;

mod older;
pub use older::NewestMark;

/// What an upsert did to one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Inserted,
    Updated,
    Unchanged,
}

/// A row of `customers.csv`, ready to store.
#[derive(Debug, Clone, Default)]
pub struct CustomerRecord {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub currency: Option<String>,
    pub finance_owner: Option<String>,
    pub sales_owner: Option<String>,
    pub payment_terms_days: Option<i64>,
    pub credit_limit: Option<i64>,
    pub auto_collection: Option<bool>,
    pub primary_payment_method: Option<String>,
    pub backup_payment_method: Option<String>,
    pub payment_source_status: Option<String>,
    pub subscription_status: Option<String>,
    pub card_last4: Option<String>,
    /// `cf_*` columns as a JSON object.
    pub custom: String,
}

/// A row of `documents.csv`, with its customer resolved and its rate looked up.
#[derive(Debug, Clone, Default)]
pub struct DocumentRecord {
    pub id: String,
    pub cid: i64,
    pub kind: &'static str,
    pub number: Option<String>,
    pub doc_date: i32,
    pub due_date: Option<i32>,
    pub posting_date: Option<i32>,
    pub amount: i64,
    pub currency: String,
    pub rate: String,
    pub billing_balance: Option<i64>,
    pub location: Option<String>,
    pub business_unit: Option<String>,
    pub custom: String,
    /// In another currency than its customer's (the base currency for a customer without
    /// one): the customer's `other_currency` mark is set, so that the queue converts the
    /// receipts counted towards its promises.
    pub other_currency: bool,
}

/// A row of `payments.csv`, with its customer resolved and its rate looked up.
#[derive(Debug, Clone, Default)]
pub struct PaymentRecord {
    pub id: String,
    pub cid: i64,
    pub date: i32,
    pub amount: i64,
    pub currency: String,
    pub rate: String,
    pub status: &'static str,
    pub method: Option<&'static str>,
    pub gateway: Option<String>,
    pub failure_reason: Option<String>,
    pub reference: Option<String>,
    pub dunning_status: Option<&'static str>,
    /// Day number.
    pub next_retry_date: Option<i32>,
    /// The line of its `status` cell when the file has the column and the row leaves it
    /// empty: `status` is then the default `success`, which a payment stored as not
    /// successful may not take without a word (see `import::write_row`).
    pub blank_status_at: Option<u64>,
}

/// A row of `contacts.csv`, with its customer resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactRecord {
    pub cid: i64,
    pub name: Option<String>,
    /// Lowercase: the key with the customer.
    pub email: String,
    pub phone: Option<String>,
    pub role: &'static str,
    pub primary: bool,
}

/// A customer as documents and payments refer to it.
#[derive(Debug, Clone)]
pub struct CustomerRef {
    pub cid: i64,
    pub currency: Option<String>,
}

/// A document as an application refers to it.
#[derive(Debug, Clone)]
pub struct DocumentRef {
    pub cid: i64,
    pub kind: DocumentKind,
    pub currency: String,
    pub doc_date: i32,
}

/// A payment as an application refers to it.
#[derive(Debug, Clone)]
pub struct PaymentRef {
    pub cid: i64,
    pub status: String,
    pub currency: String,
    pub date: i32,
}

/// A row of `applications.csv` with what its ids resolve to.
#[derive(Debug, Clone)]
pub struct StagedApplication {
    pub line: u64,
    pub source_id: String,
    pub document_id: String,
    pub date: i32,
    pub target: Option<DocumentRef>,
    /// The source when it is a payment.
    pub payment: Option<PaymentRef>,
    /// The source when it is a document (it must be a credit note).
    pub credit: Option<DocumentRef>,
    /// The source id is both a payment's and a credit note's: which one is meant cannot be
    /// told.
    pub ambiguous: bool,
    /// In store units (ten-thousandths).
    pub amount: i64,
}

const STAGED_COLUMNS: &str = "s.line, s.source_id, s.document_id, s.date,
    t.cid, t.kind, t.currency, t.doc_date,
    p.pid, p.cid, p.status, p.currency, p.date,
    c.cid, c.kind, c.currency, c.doc_date,
    p.pid IS NOT NULL AND EXISTS (SELECT 1 FROM documents x
                                   WHERE x.id = s.source_id AND x.kind = 'credit_note'),
    s.amount";

const STAGED_JOINS: &str = "temp.staged_applications s
    LEFT JOIN documents t ON t.id = s.document_id
    LEFT JOIN payments p ON p.id = s.source_id
    LEFT JOIN documents c ON c.id = s.source_id AND p.pid IS NULL";

/// The deductions (`i`) opened by the payments this import changed (`p`), for
/// [`ImportWriter::withdraw_deductions`] and [`ImportWriter::reopen_deductions`].
const CHANGED_DEDUCTIONS: &str = "temp.changed_payments c
    JOIN payments p ON p.pid = c.pid
    JOIN deduction_payments dp ON dp.pid = p.pid
    JOIN issues i ON i.id = dp.issue_id";

/// The day of deduction `i`'s latest state: its opening, or its latest resolve or reopen if
/// later.
const DEDUCTION_DAY: &str = "max(i.opened_date, ifnull((SELECT max(e.event_date)
                                                  FROM issue_events e WHERE e.issue_id = i.id),
                                               i.opened_date))";

fn staged_from_row(r: &rusqlite::Row) -> rusqlite::Result<StagedApplication> {
    let document = |at: usize| -> rusqlite::Result<Option<DocumentRef>> {
        Ok(match r.get::<_, Option<i64>>(at)? {
            None => None,
            Some(cid) => Some(DocumentRef {
                cid,
                kind: r.get(at + 1)?,
                currency: r.get(at + 2)?,
                doc_date: r.get(at + 3)?,
            }),
        })
    };
    let payment = match r.get::<_, Option<i64>>(8)? {
        None => None,
        Some(_) => Some(PaymentRef {
            cid: r.get(9)?,
            status: r.get(10)?,
            currency: r.get(11)?,
            date: r.get(12)?,
        }),
    };
    Ok(StagedApplication {
        line: r.get::<_, i64>(0)?.unsigned_abs(),
        source_id: r.get(1)?,
        document_id: r.get(2)?,
        date: r.get(3)?,
        target: document(4)?,
        payment,
        credit: document(13)?,
        ambiguous: r.get(17)?,
        amount: r.get(18)?,
    })
}

/// SQL: how many store units (ten-thousandths) one minor unit of the currency in `column` is,
/// from [`money::minor_units`]: an amount that is no whole number of them has more decimals
/// than its currency (100.5 yen).
fn minor_unit_sql(column: &str) -> String {
    // Grouped by minor units: 2 is the ELSE, so only the others are listed.
    let mut cases = String::new();
    for places in [0, 3, 4] {
        let codes: Vec<String> = money::CURRENCIES
            .iter()
            .filter(|(_, p)| *p == places)
            .map(|(c, _)| format!("'{c}'"))
            .collect();
        cases.push_str(&format!(
            " WHEN {column} IN ({}) THEN {}",
            codes.join(", "),
            10_i64.pow(money::STORE_SCALE - places)
        ));
    }
    format!(
        "CASE{cases} ELSE {} END",
        10_i64.pow(money::STORE_SCALE - 2)
    )
}

/// One side of an application as an import left it: the document settled, or its source.
#[derive(Debug, Clone, PartialEq)]
pub struct AppliedSide {
    pub id: String,
    /// A document's number, when it has one (a message names it by it).
    pub number: Option<String>,
    /// A document's kind; `None` for a payment.
    pub kind: Option<DocumentKind>,
    pub customer_id: String,
    pub currency: String,
    /// The payment's date, or the document's.
    pub date: i32,
}

/// An application a change of this import left unsuitable (see
/// [`ImportWriter::first_broken_application`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BrokenApplication {
    pub date: i32,
    pub source: AppliedSide,
    pub target: AppliedSide,
    /// The import changed the source (else the document settled).
    pub source_changed: bool,
}

/// A finance owner an import gave customers whom nobody registered may work (see
/// [`ImportWriter::unworkable_owners`]): the name as stored, how many customers it owns now,
/// and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnworkableOwner {
    pub owner: String,
    pub customers: u64,
    pub why: Unworkable,
}

/// A deduction an import withdrew because the payment that opened it is no longer successful
/// (see [`ImportWriter::withdraw_deductions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawnDeduction {
    /// The issue's id.
    pub issue: i64,
    /// The payment's id (`LBX-1001`) and its status now (`voided`).
    pub payment: String,
    pub status: String,
}

impl WithdrawnDeduction {
    /// The resolution's text, in the customer's activity.
    pub fn text(&self) -> String {
        format!(
            "Withdrawn by an import: the billing system's export gives payment {} the status \
             {}, so its cheque paid nothing and no short payment stands.",
            self.payment, self.status
        )
    }
}

/// An application of a lockbox payment that an import gave back because the payment is
/// successful again (see [`ImportWriter::restore_withdrawn_applications`]): in full, or as far
/// as its document still had that much open and the payment that much to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoredApplication {
    /// The payment's id (`LBX-1001`) and the document's (`I1`).
    pub payment: String,
    pub document: String,
    /// The application's date, as it was.
    pub date: i32,
    /// The currency of its amounts.
    pub currency: String,
    /// What the earlier import took away, and what of it came back (ten-thousandths).
    pub withdrawn: i64,
    pub restored: i64,
    /// Why not all of it, when not.
    pub short: Option<Shortfall>,
}

/// Why an application came back only in part, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortfall {
    /// Its document had less open: another payment or credit note settled it meanwhile.
    Document,
    /// Its payment had less left to apply (this import applies it otherwise, or lowered its
    /// amount).
    Payment,
    /// Its document no longer fits it, and nothing came back: a credit note now, or another
    /// customer's or currency than the payment, or either is now dated after the application
    /// (what the import refuses of an application in `applications.csv`).
    Unfit(Unfit),
}

/// How a document no longer fits a payment's application ([`Shortfall::Unfit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unfit {
    CreditNote,
    Customer,
    Currency,
    Date,
}

/// A deduction withdrawn by an import whose payment a later import found successful again
/// (see [`ImportWriter::reopen_deductions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnedDeduction {
    /// The issue's id.
    pub issue: i64,
    /// The payment's id (`LBX-1003`).
    pub payment: String,
    pub outcome: DeductionReturn,
}

/// What became of a withdrawn deduction when its payment is successful again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeductionReturn {
    /// Reopened: its cheque's applications are all back and its documents still have a
    /// balance open, so the short payment stands as it did.
    Reopened,
    /// Left withdrawn: not all of its cheque's applications came back (other payments
    /// settled their documents meanwhile, so the cheque's money is not short).
    NotAllRestored,
    /// Left withdrawn: the documents it is on have nothing open (the gap was paid).
    Settled,
}

impl ReturnedDeduction {
    /// The reopening's text, in the customer's activity.
    pub fn text(&self) -> String {
        format!(
            "Reopened by an import: the billing system's export gives payment {} the status \
             success again and its applications are restored, so the short payment stands again.",
            self.payment
        )
    }
}

/// A deduction resolved because its documents were settled, reopened by an import that took
/// away what settled them (see [`ImportWriter::reopen_unsettled_deductions`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsettledDeduction {
    /// The issue's id.
    pub issue: i64,
}

impl UnsettledDeduction {
    /// The reopening's text, in the customer's activity.
    pub const TEXT: &'static str = "Reopened by an import: its documents have a balance open \
        again (what settled them was taken away or changed), so the short payment stands again.";
}

/// A document or payment at which the ledger's amounts add up past what owed can count
/// ([`first_past_countable`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastCountable {
    /// `document` or `payment`.
    pub table: &'static str,
    pub id: String,
    /// Its amount, in units of its own currency.
    pub amount: i64,
    pub currency: String,
}

/// The first document or payment (documents first, each in the order stored: an import's
/// or a lockbox's new rows last) at which the ledger's amounts, each the larger of itself and
/// its conversion to `base` (rounded to its minor units), add up past what owed can count
/// ([`money::COUNTABLE_UNITS`]): every figure owed shows is a sum of some of these, in one
/// currency or the base, and then fits. `None` when they fit, told by a floating-point total
/// first (exact past 99 % of the limit only).
pub(crate) fn first_past_countable(
    conn: &rusqlite::Connection,
    base: &str,
) -> Result<Option<PastCountable>> {
    let rough: f64 = conn.query_row(
        "SELECT (SELECT total(amount * max(1.0, CAST(rate AS REAL))) FROM documents)
              + (SELECT total(amount * max(1.0, CAST(rate AS REAL))) FROM payments)",
        [],
        |r| r.get(0),
    )?;
    if rough < money::COUNTABLE_UNITS as f64 * 0.99 {
        return Ok(None);
    }
    let mut stmt = conn.prepare(
        "SELECT 'document', id, amount, currency, rate FROM documents
         UNION ALL
         SELECT 'payment', id, amount, currency, rate FROM payments",
    )?;
    let mut rows = stmt.query([])?;
    let mut total: i128 = 0;
    while let Some(r) = rows.next()? {
        let units: i64 = r.get(2)?;
        let rate = r.get::<_, crate::store::StoredRate>(4)?.0;
        let converted = money::from_units(units)
            .checked_mul(rate)
            .map(|v| money::round_to_currency(v, base))
            .and_then(|v| v.checked_mul(rust_decimal::Decimal::from(10_000)))
            .and_then(|v| i128::try_from(v.trunc()).ok())
            .unwrap_or(i128::MAX / 2);
        total += converted.max(i128::from(units));
        if total > i128::from(money::COUNTABLE_UNITS) {
            return Ok(Some(PastCountable {
                table: if r.get::<_, String>(0)? == "document" {
                    "document"
                } else {
                    "payment"
                },
                id: r.get(1)?,
                amount: units,
                currency: r.get(3)?,
            }));
        }
    }
    Ok(None)
}

/// Something settled or used beyond its amount after the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverApplied {
    /// `document` (a target), `credit_note` or `payment` (a source).
    pub role: &'static str,
    pub id: String,
    /// A document's number, when it has one (a message names it by it); none for a payment.
    pub number: Option<String>,
    pub amount: i64,
    pub applied: i64,
    /// The currency of its amounts (for the message: `350.00 USD`).
    pub currency: String,
    /// For a document: the lockbox payments applied to it, oldest first. A billing export
    /// that books a cheque the lockbox already applied settles the invoice twice, and the
    /// message says which stored part is the bank's.
    pub lockbox: Vec<LockboxPart>,
}

/// A lockbox payment's part of what is applied to a document ([`OverApplied::lockbox`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockboxPart {
    /// `LBX-<item_id>`, with its customer's id, date and amount, as a payments.csv row voiding
    /// it would give them.
    pub payment: String,
    pub customer_id: String,
    pub date: i32,
    pub amount: i64,
    /// What of it is applied to the document.
    pub applied: i64,
}

/// The customers table's columns: those of `customers.csv` (the table mirrors the file), then
/// `custom` for the `cf_*` fields. [`ImportWriter::upsert_customer`] binds in this order.
fn customer_columns() -> Vec<&'static str> {
    let mut columns = format::CUSTOMERS.all();
    columns.push("custom");
    columns
}

const DOCUMENT_COLUMNS: &[&str] = &[
    "id",
    "cid",
    "kind",
    "number",
    "doc_date",
    "due_date",
    "posting_date",
    "amount",
    "currency",
    "rate",
    "billing_balance",
    "location",
    "business_unit",
    "custom",
];

const PAYMENT_COLUMNS: &[&str] = &[
    "id",
    "cid",
    "date",
    "amount",
    "currency",
    "rate",
    "status",
    "method",
    "gateway",
    "failure_reason",
    "reference",
    "dunning_status",
    "next_retry_date",
];

/// Whether a file of `file`'s columns gives a table column, for [`upsert_sql`]: the file's
/// optional columns (and `custom`, its `cf_*` fields) when it has them; every other column
/// (required, or worked out from the row: `cid`, `kind`, `currency`, `rate`) always.
fn given_by<'a>(
    file: &'a format::Columns,
    has: &'a dyn Fn(&str) -> bool,
) -> impl Fn(&str) -> bool + 'a {
    move |column: &str| {
        let optional = column == "custom" || file.optional.contains(&column);
        !optional || column == "currency" || has(column)
    }
}

/// Which optional columns a `contacts.csv` has (see [`ImportWriter::contacts_file_has`]).
#[derive(Debug, Clone, Copy)]
/// (A file without `role` needs no mark: the import gives each row its stored contact's role,
/// [`ImportWriter::contact_roles`], so that its primary marks are checked against it.)
struct ContactColumns {
    name: bool,
    phone: bool,
    primary: bool,
}

impl ContactColumns {
    const ALL: ContactColumns = ContactColumns {
        name: true,
        phone: true,
        primary: true,
    };

    /// The contact `c` of the file, with what the file has no column for taken from `stored`.
    fn merged(self, c: &ContactRecord, stored: &ContactRecord) -> ContactRecord {
        ContactRecord {
            cid: c.cid,
            email: c.email.clone(),
            name: if self.name { &c.name } else { &stored.name }.clone(),
            phone: if self.phone { &c.phone } else { &stored.phone }.clone(),
            role: c.role,
            primary: if self.primary {
                c.primary
            } else {
                stored.primary
            },
        }
    }
}

/// A column that collectors change in `owed`: while `kept_if` (an SQL condition on the stored
/// row) holds, an import keeps the stored value and does not count the column as changed.
struct LocalColumn {
    column: &'static str,
    kept_if: String,
}

/// The customers' owners once a collector has reassigned them (an `owner_changes` row for
/// the role): `owed assign` wins over the billing system's column from then on.
fn owner_columns() -> Vec<LocalColumn> {
    [OwnerRole::Finance, OwnerRole::Sales]
        .into_iter()
        .map(|role| LocalColumn {
            column: role.as_str(),
            kept_if: format!(
                "EXISTS (SELECT 1 FROM owner_changes o
                          WHERE o.cid = customers.cid AND o.role = '{}')",
                role.as_str()
            ),
        })
        .collect()
}

/// `INSERT … ON CONFLICT(id) DO UPDATE … WHERE something changed`, so that re-importing the
/// same export writes nothing. A `local` column keeps its stored value while its condition
/// holds.
fn upsert_sql(
    table: &str,
    columns: &[&str],
    local: &[LocalColumn],
    updated: &dyn Fn(&str) -> bool,
    custom: &[String],
) -> String {
    let names = columns.join(", ");
    let marks = (1..=columns.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let data: Vec<&str> = columns[1..]
        .iter()
        .copied()
        .filter(|c| updated(c))
        .collect();
    let kept = |c: &str| local.iter().find(|l| l.column == c).map(|l| &l.kept_if);
    // The `cf_*` fields, one column of JSON: the file's replace theirs (an empty one clears
    // it), the others stored stay (a file with a new custom field does not wipe the rest).
    let merged = (!custom.is_empty()).then(|| {
        let names = custom
            .iter()
            .map(|n| format!("'{}'", n.replace('\'', "''")))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "(SELECT json_group_object(key, value ORDER BY key) FROM (
                SELECT key, value FROM json_each(ifnull({table}.custom, '{{}}'))
                 WHERE key NOT IN ({names})
                UNION ALL SELECT key, value FROM json_each(excluded.custom)))"
        )
    });
    let new_value = |c: &str| match (c, &merged) {
        ("custom", Some(merged)) => merged.clone(),
        _ => format!("excluded.{c}"),
    };
    let sets = data
        .iter()
        .map(|c| match kept(c) {
            Some(cond) => {
                format!("{c} = CASE WHEN {cond} THEN {table}.{c} ELSE excluded.{c} END")
            }
            None => format!("{c} = {}", new_value(c)),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let changed = data
        .iter()
        .map(|c| match (kept(c), *c, &merged) {
            (Some(cond), ..) => format!("({table}.{c} IS NOT excluded.{c} AND NOT {cond})"),
            // Merged only when the file's differ from the stored ones (a tenth slower at a
            // million documents when merged for every row of an unchanged export).
            (None, "custom", Some(merged)) => {
                format!(
                    "({table}.custom IS NOT excluded.custom AND {table}.custom IS NOT {merged})"
                )
            }
            (None, ..) => format!("{table}.{c} IS NOT {}", new_value(c)),
        })
        .collect::<Vec<_>>()
        .join(" OR ");
    format!(
        "INSERT INTO {table} ({names}) VALUES ({marks}) \
         ON CONFLICT(id) DO UPDATE SET {sets} WHERE {changed}"
    )
}

/// `INSERT INTO table (...) VALUES (...)`: the fast path of a bulk load into an empty table.
fn insert_sql(table: &str, columns: &[&str]) -> String {
    let marks = (1..=columns.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} ({}) VALUES ({marks})",
        columns.join(", ")
    )
}

/// The statements that write one table's rows.
struct Writes {
    table: &'static str,
    upsert: String,
    insert: String,
    /// The table's largest rowid as this import left it (read once): a new row takes the
    /// next one.
    max_rowid: std::cell::Cell<Option<i64>>,
}

impl Writes {
    fn new(table: &'static str, columns: &[&str], local: &[LocalColumn]) -> Self {
        Writes {
            table,
            upsert: upsert_sql(table, columns, local, &|_| true, &[]),
            insert: insert_sql(table, columns),
            max_rowid: std::cell::Cell::new(None),
        }
    }
}

/// A value the import noted (`temp.import_seen`), as the log of imports keeps it: an amount
/// in its currency's minor units; anything else as the trigger read it.
fn logged_value(value: Value, currency: Option<String>) -> Option<String> {
    match (value, currency) {
        (Value::Integer(units), Some(currency)) => {
            Some(money::plain(money::from_units(units), &currency))
        }
        (Value::Null, _) => None,
        (Value::Integer(n), None) => Some(n.to_string()),
        (Value::Real(x), _) => Some(x.to_string()),
        (Value::Text(text), _) => Some(text),
        (Value::Blob(bytes), _) => Some(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// One import that committed, as the log of imports keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportRun {
    /// When it committed (kept as RFC 3339 UTC text).
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    /// The files read: their whole paths, or their names when `source` says where they came
    /// from.
    pub files: Vec<String>,
    /// Where the files came from when their paths would mislead (`generated by owed demo`).
    pub source: Option<String>,
    /// What each file did (`customers.csv 50 inserted, 0 updated, 0 unchanged; …`).
    pub summary: String,
    /// Which command it was.
    pub kind: ImportKind,
    /// What it changed in the rows it updated, in the order it changed them (read by
    /// [`Ledger::imports`]; empty where the run is recorded, which keeps its own).
    pub changes: Vec<ImportChange>,
}

/// One field of a stored row that an import changed, as the log of imports keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportChange {
    /// The file of the row (`documents.csv`): the one whose row changed it, or, for a row an
    /// exchange rate converted again, the row's own.
    pub file: String,
    /// The row's id; an application's `SOURCE → DOCUMENT on DATE`; an exchange rate's
    /// `CURRENCY on DATE`.
    pub id: String,
    /// The column, as the file names it; `base_amount` for a document's or payment's amount
    /// in the base currency, which a new or corrected rate changed.
    pub field: String,
    /// Before and after: amounts in their currency's minor units (`"1000.00"`), dates
    /// `YYYY-MM-DD`, `None` for an empty value.
    pub old: Option<String>,
    pub new: Option<String>,
}

impl ImportChange {
    /// From a row of `file, record_id, field, old, new` (the log's columns, in that order).
    pub(crate) fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ImportChange> {
        Ok(ImportChange {
            file: r.get(0)?,
            id: r.get(1)?,
            field: r.get(2)?,
            old: r.get(3)?,
            new: r.get(4)?,
        })
    }

    /// Whether the field is an amount (shown with thousands separators to people).
    pub fn is_amount(&self) -> bool {
        matches!(
            self.field.as_str(),
            "amount" | "credit_limit" | "base_amount"
        )
    }

    /// For people, on one line: `B1 amount 1,000.00 → 1,100.00` (an empty value `none`; the
    /// id and values from the files with their control characters shown, each cut to 80
    /// characters).
    pub fn text(&self) -> String {
        use crate::domain::text::{first_chars, one_line};
        let cut = |v: &str| one_line(first_chars(v, 80)).into_owned();
        let value = |v: &Option<String>| match v {
            Some(v) if self.is_amount() => money::grouped_plain(v),
            Some(v) => cut(v),
            None => "none".into(),
        };
        format!(
            "{} {} {} → {}",
            cut(&self.id),
            self.field,
            value(&self.old),
            value(&self.new)
        )
    }
}

/// How a logged field's stored value is shown.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// As stored.
    Text,
    /// Integer ten-thousandths, shown in the currency's minor units.
    Money,
    /// A day number, shown `YYYY-MM-DD`.
    Day,
}

/// A table whose updates the log of imports keeps ([`ImportWriter::record`]): the file that
/// writes it; SQL over a row `R` (the trigger's OLD or NEW) of the row's id, its customer and
/// the currency of its amounts; and the fields logged, those the figures and the owners
/// depend on: (name in the file, column, SQL of the value over `R`, how it is shown).
struct Logged {
    table: &'static str,
    file: &'static str,
    record: &'static str,
    cid: &'static str,
    currency: &'static str,
    fields: &'static [(&'static str, &'static str, &'static str, Shown)],
}

/// The customer's id of a row's `cid`.
const CUSTOMER_ID: &str = "(SELECT id FROM main.customers WHERE cid = R.cid)";

const LOGGED: [Logged; 4] = [
    Logged {
        table: "customers",
        file: "customers.csv",
        record: "R.id",
        cid: "R.cid",
        currency: "ifnull(R.currency, (SELECT value FROM main.meta WHERE key = 'base_currency'))",
        fields: &[
            (
                "finance_owner",
                "finance_owner",
                "R.finance_owner",
                Shown::Text,
            ),
            ("sales_owner", "sales_owner", "R.sales_owner", Shown::Text),
            ("currency", "currency", "R.currency", Shown::Text),
            (
                "credit_limit",
                "credit_limit",
                "R.credit_limit",
                Shown::Money,
            ),
        ],
    },
    Logged {
        table: "documents",
        file: "documents.csv",
        record: "R.id",
        cid: "R.cid",
        currency: "R.currency",
        fields: &[
            ("customer_id", "cid", CUSTOMER_ID, Shown::Text),
            ("type", "kind", "R.kind", Shown::Text),
            ("doc_date", "doc_date", "R.doc_date", Shown::Day),
            ("due_date", "due_date", "R.due_date", Shown::Day),
            ("posting_date", "posting_date", "R.posting_date", Shown::Day),
            ("amount", "amount", "R.amount", Shown::Money),
            ("currency", "currency", "R.currency", Shown::Text),
        ],
    },
    Logged {
        table: "payments",
        file: "payments.csv",
        record: "R.id",
        cid: "R.cid",
        currency: "R.currency",
        fields: &[
            ("customer_id", "cid", CUSTOMER_ID, Shown::Text),
            ("date", "date", "R.date", Shown::Day),
            ("amount", "amount", "R.amount", Shown::Money),
            ("currency", "currency", "R.currency", Shown::Text),
            ("status", "status", "R.status", Shown::Text),
        ],
    },
    Logged {
        table: "applications",
        file: "applications.csv",
        record: "ifnull((SELECT id FROM main.payments WHERE pid = R.source_pid),
                        (SELECT id FROM main.documents WHERE did = R.source_did))
                 || ' → ' || (SELECT id FROM main.documents WHERE did = R.did)
                 || ' on ' || date(R.date + 1721424.5)",
        cid: "(SELECT cid FROM main.documents WHERE did = R.did)",
        currency: "(SELECT currency FROM main.documents WHERE did = R.did)",
        // Its date is part of its id: another date is another application.
        fields: &[("amount", "amount", "R.amount", Shown::Money)],
    },
];

/// The temporary triggers that note, inside an import's transaction, every logged field its
/// updates change, into `temp.import_seen`. Only an update that sets a logged column fires
/// them (`UPDATE OF`): the refresh of what is applied and a new rate's conversion do not, and
/// a re-import of an unchanged export updates nothing, so they cost nothing there.
fn logging_triggers() -> String {
    let mut sql = String::new();
    for t in &LOGGED {
        let columns: Vec<&str> = t.fields.iter().map(|f| f.1).collect();
        sql.push_str(&format!(
            "CREATE TEMP TRIGGER IF NOT EXISTS import_seen_{table} AFTER UPDATE OF {columns}
               ON main.{table} BEGIN\n",
            table = t.table,
            columns = columns.join(", ")
        ));
        let on = |sql: &str, row: &str| sql.replace("R.", &format!("{row}."));
        for (name, column, value, shown) in t.fields {
            let (old, new) = match shown {
                Shown::Day => (
                    format!("date({} + 1721424.5)", on(value, "OLD")),
                    format!("date({} + 1721424.5)", on(value, "NEW")),
                ),
                _ => (on(value, "OLD"), on(value, "NEW")),
            };
            let (old_currency, new_currency) = match shown {
                Shown::Money => (on(t.currency, "OLD"), on(t.currency, "NEW")),
                _ => ("NULL".to_string(), "NULL".to_string()),
            };
            sql.push_str(&format!(
                "INSERT INTO import_seen
                     (file, record_id, cid, field, old, new, old_currency, new_currency)
                 SELECT '{file}', {record}, {cid}, '{name}', {old}, {new}, {old_currency},
                        {new_currency}
                  WHERE OLD.{column} IS NOT NEW.{column};\n",
                file = t.file,
                record = on(t.record, "NEW"),
                cid = on(t.cid, "NEW"),
            ));
        }
        sql.push_str("END;\n");
    }
    sql
}

/// The temporary trigger that notes, inside an import's transaction, each stored document an
/// update gives another customer, with its customer, number and date before
/// ([`ImportWriter::moved_documents`]).
const MOVED_DOCUMENTS_TRIGGER: &str = "
    CREATE TEMP TRIGGER IF NOT EXISTS import_moved_documents AFTER UPDATE OF cid
        ON main.documents WHEN OLD.cid IS NOT NEW.cid BEGIN
      INSERT OR IGNORE INTO moved_documents (did, old_cid, old_kind, old_number, old_doc_date)
      VALUES (OLD.did, OLD.cid, OLD.kind, OLD.number, OLD.doc_date);
    END;";

/// A stored document this import gave another customer, as it was and as it is now, with the
/// collectors' records that name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedDocument {
    pub id: String,
    /// Its type before the import.
    pub kind: DocumentKind,
    pub old_customer: String,
    pub new_customer: String,
    pub old_number: Option<String>,
    pub new_number: Option<String>,
    pub old_date: i32,
    pub new_date: i32,
    /// The promises (not voided) and issues that name it: ("promise" or "issue", its
    /// number, its customer's id).
    pub records: Vec<(&'static str, i64, String)>,
}

impl MovedDocument {
    /// Whether the row looks like another document under a reused id, not the same one
    /// moved: its number or its date differ too.
    pub fn looks_reused(&self) -> bool {
        self.old_number != self.new_number || self.old_date != self.new_date
    }
}

/// The commands the log of imports keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// `owed import` (and the demo's): the billing system's exports. Only these say how
    /// fresh the ledger is.
    Billing,
    /// `owed lockbox import`: a bank's cheques.
    Lockbox,
    /// `owed inbox import`: customers' replies filed from a mail folder (a run that filed at
    /// least one).
    Inbox,
}

impl ImportKind {
    /// As the `kind` column keeps it.
    fn as_str(self) -> &'static str {
        match self {
            ImportKind::Billing => "billing",
            ImportKind::Lockbox => "lockbox",
            ImportKind::Inbox => "inbox",
        }
    }
}

/// Records `run` in the log of imports, inside the transaction `tx` of the run itself (it
/// commits with it, or not at all).
pub(crate) fn record_run(tx: &rusqlite::Connection, run: &ImportRun) -> Result<()> {
    tx.execute(
        "INSERT INTO imports (at, actor, files, summary, source, kind)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            run.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            run.actor,
            run.files.join("\n"),
            run.summary,
            run.source,
            run.kind.as_str()
        ],
    )?;
    Ok(())
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// The imports that committed (billing, lockbox and inbox), newest first, at most
    /// `limit`.
    pub fn imports(&self, limit: u32) -> Result<Vec<ImportRun>> {
        let mut runs = self.runs("", limit)?;
        let mut stmt = self.conn().prepare(
            "SELECT file, record_id, field, old, new FROM import_changes
              WHERE import_id = ?1 ORDER BY id",
        )?;
        for (id, run) in &mut runs {
            run.changes = stmt
                .query_map([*id], ImportChange::from_row)?
                .collect::<rusqlite::Result<_>>()?;
        }
        Ok(runs.into_iter().map(|(_, run)| run).collect())
    }

    /// How many imports committed (billing and lockbox) since the log began.
    pub fn import_count(&self) -> Result<u64> {
        let n: i64 = self
            .conn()
            .query_row("SELECT count(*) FROM imports", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The newest billing import that committed, if any has since the log of imports began:
    /// how fresh the ledger is (a lockbox run refreshes no invoice).
    pub fn last_import(&self) -> Result<Option<ImportRun>> {
        Ok(self
            .runs("WHERE kind = 'billing'", 1)?
            .into_iter()
            .next()
            .map(|(_, run)| run))
    }

    /// The runs of the log that `filter` (a `WHERE` clause, or nothing) keeps, newest first,
    /// with their ids, without their changes.
    fn runs(&self, filter: &str, limit: u32) -> Result<Vec<(i64, ImportRun)>> {
        crate::store::rows(
            self.conn(),
            &format!(
                "SELECT at, actor, files, summary, source, kind, id FROM imports {filter}
                 ORDER BY id DESC LIMIT ?1"
            ),
            [limit],
            |r| {
                let files: String = r.get(2)?;
                let at: String = r.get(0)?;
                let at = chrono::DateTime::parse_from_rfc3339(&at).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(0, Type::Text, Box::new(e))
                })?;
                let kind: String = r.get(5)?;
                let run = ImportRun {
                    at: at.with_timezone(&chrono::Utc),
                    actor: r.get(1)?,
                    files: files.lines().map(str::to_string).collect(),
                    summary: r.get(3)?,
                    source: r.get(4)?,
                    kind: match kind.as_str() {
                        "lockbox" => ImportKind::Lockbox,
                        "inbox" => ImportKind::Inbox,
                        _ => ImportKind::Billing,
                    },
                    changes: Vec::new(),
                };
                Ok((r.get(6)?, run))
            },
        )
    }
}

/// An exchange rate an import added or changed: its currency, its first day and the day
/// of the next rate of that currency (`i32::MAX` when none), its rate, and the one stored
/// before the import (none for a new rate).
struct ChangedRate {
    currency: String,
    from: i32,
    rate: String,
    until: i32,
    old: Option<String>,
}

/// An import in progress: one write transaction.
pub struct ImportWriter<'a> {
    tx: crate::store::WriteTx<'a>,
    /// The database file (for messages).
    path: std::path::PathBuf,
    /// Tables that were empty when their file started: rows are plainly inserted, and only a
    /// duplicate id within the file falls back to the upsert.
    bulk: Vec<&'static str>,
    /// Secondary indexes dropped for a bulk load into an empty table, to rebuild at the end:
    /// (table, CREATE INDEX statement).
    dropped: Vec<(String, String)>,
    customers: Writes,
    documents: Writes,
    payments: Writes,
    /// The optional columns of the `contacts.csv` being read.
    contact_columns: ContactColumns,
    /// A staged application has amount 0: it releases a stored one.
    zero_staged: std::cell::Cell<bool>,
}

/// What the staged applications did to the stored ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StagedOutcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Stored applications released by a row of amount 0.
    pub removed: u64,
}

/// An application as stored, named by the ids the files give its source and document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApplication {
    pub source_id: String,
    pub document_id: String,
    pub date: i32,
    /// In store units (ten-thousandths).
    pub amount: i64,
}

impl<'a> Ledger<&'a mut Store> {
    /// Starts an import by `by` (the name the log of imports records): takes the write lock
    /// for the whole run. An import changes every collector's customers (amounts, payments,
    /// finance owners), so when `by` is a registered user it is a manager's work
    /// ([`Work::Import`]); a name not registered imports as the file's owner.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Input`] when `by` may not import: nothing is written.
    pub fn import_writer(self, by: &str) -> Result<ImportWriter<'a>> {
        // No memory map for an import: it walks the whole file, and every page it touched
        // would count in its resident memory (bounded by the page cache instead). Index
        // builds sort on a second thread too.
        self.conn()
            .execute_batch("PRAGMA mmap_size = 0; PRAGMA threads = 2;")?;
        let path = self.store.path().to_path_buf();
        let tx = self.store.write_tx()?;
        let actor = crate::store::users::as_now(&tx, &Actor::new(by, Role::Manager))?;
        may(&actor, Work::Import, None).map_err(crate::Error::Input)?;
        tx.set_prepared_statement_cache_capacity(32);
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS staged_applications (
                 line INTEGER NOT NULL, source_id TEXT NOT NULL, document_id TEXT NOT NULL,
                 amount INTEGER NOT NULL, date INTEGER NOT NULL);
             DELETE FROM temp.staged_applications;
             CREATE TEMP TABLE IF NOT EXISTS changed_documents (did INTEGER PRIMARY KEY);
             DELETE FROM temp.changed_documents;
             CREATE TEMP TABLE IF NOT EXISTS changed_payments (pid INTEGER PRIMARY KEY);
             DELETE FROM temp.changed_payments;
             CREATE TEMP TABLE IF NOT EXISTS changed_rates
                 (currency TEXT NOT NULL, date INTEGER NOT NULL, old TEXT,
                  PRIMARY KEY (currency, date));
             DELETE FROM temp.changed_rates;
             CREATE TEMP TABLE IF NOT EXISTS import_seen (
                 file TEXT NOT NULL, record_id TEXT NOT NULL, cid INTEGER,
                 field TEXT NOT NULL, old, new, old_currency TEXT, new_currency TEXT);
             DELETE FROM temp.import_seen;
             CREATE TEMP TABLE IF NOT EXISTS moved_documents (
                 did INTEGER PRIMARY KEY, old_cid INTEGER NOT NULL, old_kind TEXT NOT NULL,
                 old_number TEXT, old_doc_date INTEGER NOT NULL);
             DELETE FROM temp.moved_documents;",
        )?;
        // Created in the transaction: a run that fails or is a dry run leaves none behind.
        tx.execute_batch(&logging_triggers())?;
        tx.execute_batch(MOVED_DOCUMENTS_TRIGGER)?;
        Ok(ImportWriter {
            tx,
            path,
            dropped: Vec::new(),
            bulk: Vec::new(),
            customers: Writes::new("customers", &customer_columns(), &owner_columns()),
            documents: Writes::new("documents", DOCUMENT_COLUMNS, &[]),
            payments: Writes::new("payments", PAYMENT_COLUMNS, &[]),
            contact_columns: ContactColumns::ALL,
            zero_staged: std::cell::Cell::new(false),
        })
    }
}

impl ImportWriter<'_> {
    /// Records this import in the log of imports (committed with it, or not at all), with
    /// every logged field its updates changed (see [`logging_triggers`]), and stops noting
    /// them: what this connection writes after the import is no import's.
    ///
    /// Returns the run's id in the log.
    pub fn record(&self, run: &ImportRun) -> Result<i64> {
        record_run(&self.tx, run)?;
        let import_id = self.tx.last_insert_rowid();
        let mut read = self.tx.prepare(
            "SELECT file, record_id, cid, field, old, new, old_currency, new_currency
               FROM temp.import_seen ORDER BY rowid",
        )?;
        let mut write = self.tx.prepare(
            "INSERT INTO import_changes (import_id, file, record_id, cid, field, old, new)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let shown = logged_value;
        let mut rows = read.query([])?;
        while let Some(r) = rows.next()? {
            write.execute(params![
                import_id,
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<i64>>(2)?,
                r.get::<_, String>(3)?,
                shown(r.get(4)?, r.get(6)?),
                shown(r.get(5)?, r.get(7)?),
            ])?;
        }
        drop(rows);
        self.stop_logging()?;
        Ok(import_id)
    }

    /// The registered users, each name with its role (none in a single user's shell).
    pub fn registered_users(&self) -> Result<Vec<(String, Role)>> {
        crate::store::users::users(&self.tx)
    }

    /// Of the finance owners `named` (those the import's `customers.csv` gave), each that
    /// owns customers now (after the import, which keeps an owner a collector reassigned) but
    /// is no registered collector's or manager's name as [`may`] compares it: how many
    /// customers it owns and why nobody works them ([`unworkable_owner`]); most customers
    /// first. None when no user is registered (a single user's shell works every customer).
    pub fn unworkable_owners(
        &self,
        named: &std::collections::HashSet<String>,
    ) -> Result<Vec<UnworkableOwner>> {
        if named.is_empty() {
            return Ok(Vec::new());
        }
        let users = crate::store::users::users(&self.tx)?;
        let mut found: Vec<UnworkableOwner> = named
            .iter()
            .filter_map(|owner| {
                unworkable_owner(owner, &users).map(|why| UnworkableOwner {
                    owner: owner.clone(),
                    customers: 0,
                    why,
                })
            })
            .collect();
        if found.is_empty() {
            return Ok(found);
        }
        // One pass over the customers, however many names are in question.
        let owned: HashMap<String, i64> = crate::store::rows(
            &self.tx,
            "SELECT finance_owner, count(*) FROM customers
              WHERE finance_owner IS NOT NULL GROUP BY finance_owner",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        for f in &mut found {
            f.customers = owned
                .get(&f.owner)
                .map_or(0, |&n| u64::try_from(n).unwrap_or(0));
        }
        found.retain(|f| f.customers > 0);
        found.sort_by(|a, b| {
            b.customers
                .cmp(&a.customers)
                .then_with(|| a.owner.cmp(&b.owner))
        });
        Ok(found)
    }

    /// Drops the triggers that note what the import changes, and what they noted.
    fn stop_logging(&self) -> Result<()> {
        let mut sql = String::from(
            "DELETE FROM temp.import_seen; DELETE FROM temp.moved_documents;
             DROP TRIGGER IF EXISTS temp.import_moved_documents;",
        );
        for t in &LOGGED {
            sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS temp.import_seen_{};",
                t.table
            ));
        }
        self.tx.execute_batch(&sql)?;
        Ok(())
    }

    /// Fixes the database's base currency at its first import (inside the import's
    /// transaction: an import that fails fixes nothing); refuses an import in another one.
    pub fn fix_base_currency(&self, base: &str) -> Result<()> {
        let fixed: Option<String> = self
            .tx
            .query_row(
                "SELECT value FROM meta WHERE key = ?1",
                [crate::store::BASE_CURRENCY],
                |r| r.get(0),
            )
            .optional()?;
        match fixed {
            Some(fixed) if fixed != base => {
                Err(crate::store::base_currency_error(&self.path, &fixed, base))
            }
            Some(_) => Ok(()),
            None => {
                self.tx.execute(
                    "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                    [crate::store::BASE_CURRENCY, base],
                )?;
                Ok(())
            }
        }
    }

    /// Runs an upsert and tells whether it inserted, updated or left the row alone.
    fn upsert(&self, writes: &Writes, values: &[&dyn rusqlite::ToSql]) -> Result<Upsert> {
        if self.bulk.contains(&writes.table) {
            match self.tx.prepare_cached(&writes.insert)?.execute(values) {
                Ok(_) => {
                    writes.max_rowid.set(Some(self.tx.last_insert_rowid()));
                    return Ok(Upsert::Inserted);
                }
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let max = match writes.max_rowid.get() {
            Some(max) => max,
            None => {
                let max = self.max_rowid(writes.table)?;
                writes.max_rowid.set(Some(max));
                max
            }
        };
        let before = self.tx.last_insert_rowid();
        let changed = self.tx.prepare_cached(&writes.upsert)?.execute(values)?;
        if changed == 0 {
            return Ok(Upsert::Unchanged);
        }
        // An insert moves the connection's last rowid to this table's next one; an update
        // leaves it. When the last rowid (of another table's insert) already was that
        // number, only the table can tell (an update was counted as an insert's, 7 + 1
        // for 8 new documents).
        let after = self.tx.last_insert_rowid();
        let inserted =
            after != before || (after == max + 1 && self.max_rowid(writes.table)? == after);
        writes
            .max_rowid
            .set(Some(if inserted { after.max(max) } else { max }));
        Ok(if inserted {
            Upsert::Inserted
        } else {
            Upsert::Updated
        })
    }

    /// The largest rowid of `table` (0 when empty).
    fn max_rowid(&self, table: &str) -> Result<i64> {
        Ok(self
            .tx
            .prepare_cached(&format!("SELECT ifnull(max(rowid), 0) FROM {table}"))?
            .query_row([], |r| r.get(0))?)
    }

    /// Inserts or updates an exchange rate.
    pub fn upsert_rate(&self, currency: &str, date: i32, rate: &str) -> Result<Upsert> {
        let old: Option<String> = self
            .tx
            .prepare_cached("SELECT rate FROM exchange_rates WHERE currency = ?1 AND date = ?2")?
            .query_row(params![currency, date], |r| r.get(0))
            .optional()?;
        if old.as_deref() == Some(rate) {
            return Ok(Upsert::Unchanged);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO exchange_rates (currency, date, rate) VALUES (?1, ?2, ?3) \
                 ON CONFLICT(currency, date) DO UPDATE SET rate = excluded.rate",
            )?
            .execute(params![currency, date, rate])?;
        // The rate stored before the import (a second file of the same run keeps the first's).
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO temp.changed_rates (currency, date, old)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![currency, date, old])?;
        Ok(if old.is_some() {
            Upsert::Updated
        } else {
            Upsert::Inserted
        })
    }

    /// Every exchange rate: (currency, day number, rate), ordered by currency and date.
    pub fn rates(&self) -> Result<Vec<(String, i32, String)>> {
        let mut stmt = self
            .tx
            .prepare("SELECT currency, date, rate FROM exchange_rates ORDER BY currency, date")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Inserts or updates a customer. An owner a collector has reassigned (`owed assign`) is
    /// kept: the import neither overwrites it nor counts it as a change.
    pub fn upsert_customer(&self, c: &CustomerRecord) -> Result<Upsert> {
        self.upsert(
            &self.customers,
            &[
                &c.id,
                &c.name,
                &c.email,
                &c.phone,
                &c.currency,
                &c.finance_owner,
                &c.sales_owner,
                &c.payment_terms_days,
                &c.credit_limit,
                &c.auto_collection,
                &c.primary_payment_method,
                &c.backup_payment_method,
                &c.payment_source_status,
                &c.subscription_status,
                &c.card_last4,
                &c.custom,
            ],
        )
    }

    /// Before a `customers.csv`: a column the file does not have keeps what is stored (a
    /// short export of ids and names must not wipe every customer's email, currency and
    /// owners); a new customer gets nothing there. `has` tells the file's columns (`custom`:
    /// any `cf_*`).
    pub fn customers_file_has(&mut self, has: &dyn Fn(&str) -> bool, custom: &[String]) {
        let columns = customer_columns();
        self.customers.upsert = upsert_sql("customers", &columns, &owner_columns(), has, custom);
    }

    /// Before a `documents.csv`: as [`ImportWriter::customers_file_has`], a column the file
    /// does not have keeps what is stored (a short export of ids, dates and amounts must not
    /// wipe the documents' numbers and billing balances). `currency` is always written: a row
    /// without one is given the stored document's (see [`ImportWriter::currencies_apart`]).
    pub fn documents_file_has(&mut self, has: &dyn Fn(&str) -> bool, custom: &[String]) {
        let given = given_by(&format::DOCUMENTS, has);
        self.documents.upsert = upsert_sql("documents", DOCUMENT_COLUMNS, &[], &given, custom);
    }

    /// Before a `payments.csv`: as [`ImportWriter::documents_file_has`]. A file without
    /// `status` gives a new payment `success` and leaves a stored one's as it was (a short
    /// export must not turn a declined card into money received).
    pub fn payments_file_has(&mut self, has: &dyn Fn(&str) -> bool) {
        let given = given_by(&format::PAYMENTS, has);
        self.payments.upsert = upsert_sql("payments", PAYMENT_COLUMNS, &[], &given, &[]);
    }

    /// Before a `contacts.csv`: which of its optional columns the file has; a contact stored
    /// keeps its name, phone, role and primary mark where the file has no such column.
    pub fn contacts_file_has(&mut self, has: &dyn Fn(&str) -> bool) {
        self.contact_columns = ContactColumns {
            name: has("name"),
            phone: has("phone"),
            primary: has("primary"),
        };
    }

    /// Every stored contact's role, by (customer, email): what a contacts file without a
    /// `role` column keeps.
    pub fn contact_roles(&self) -> Result<HashMap<(i64, String), &'static str>> {
        let mut stmt = self.tx.prepare("SELECT cid, email, role FROM contacts")?;
        let rows = stmt.query_map([], |r| {
            let role: String = r.get(2)?;
            let role = format::CONTACT_ROLES
                .iter()
                .find(|x| **x == role)
                .copied()
                .unwrap_or("other");
            Ok(((r.get(0)?, r.get(1)?), role))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The documents (`table` "documents") or payments ("payments") stored in another currency
    /// than their customer's (the base currency for a customer without one), by id: what a
    /// file without a `currency` column keeps for them (it would otherwise take the
    /// customer's, and relabel a USD invoice of a EUR customer as EUR).
    pub fn currencies_apart(&self, table: &str, base: &str) -> Result<HashMap<String, String>> {
        debug_assert!(matches!(table, "documents" | "payments"));
        let mut stmt = self.tx.prepare(&format!(
            "SELECT t.id, t.currency FROM {table} t JOIN customers c ON c.cid = t.cid
              WHERE t.currency <> ifnull(c.currency, ?1)"
        ))?;
        let rows = stmt.query_map([base], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every customer by id, for resolving the references of documents and payments.
    pub fn customer_refs(&self) -> Result<HashMap<String, CustomerRef>> {
        let mut stmt = self.tx.prepare("SELECT id, cid, currency FROM customers")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                CustomerRef {
                    cid: r.get(1)?,
                    currency: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Notes a document or payment this import updated (`table` with its key `key`), for
    /// [`ImportWriter::first_broken_application`].
    fn note_changed(&self, outcome: Upsert, table: &str, key: &str, id: &str) -> Result<Upsert> {
        if outcome == Upsert::Updated {
            self.tx
                .prepare_cached(&format!(
                    "INSERT OR IGNORE INTO temp.changed_{table} SELECT {key} FROM {table} WHERE id = ?1"
                ))?
                .execute([id])?;
        }
        Ok(outcome)
    }

    /// Inserts or updates a document (its applications are kept).
    pub fn upsert_document(&self, d: &DocumentRecord) -> Result<Upsert> {
        if d.other_currency {
            self.tx
                .prepare_cached(
                    "UPDATE customers SET other_currency = 1 WHERE cid = ?1 AND other_currency = 0",
                )?
                .execute([d.cid])?;
        }
        let outcome = self.upsert(
            &self.documents,
            &[
                &d.id,
                &d.cid,
                &d.kind,
                &d.number,
                &d.doc_date,
                &d.due_date,
                &d.posting_date,
                &d.amount,
                &d.currency,
                &d.rate,
                &d.billing_balance,
                &d.location,
                &d.business_unit,
                &d.custom,
            ],
        )?;
        self.note_changed(outcome, "documents", "did", &d.id)
    }

    /// Inserts or updates a payment attempt.
    pub fn upsert_payment(&self, p: &PaymentRecord) -> Result<Upsert> {
        let outcome = self.upsert(
            &self.payments,
            &[
                &p.id,
                &p.cid,
                &p.date,
                &p.amount,
                &p.currency,
                &p.rate,
                &p.status,
                &p.method,
                &p.gateway,
                &p.failure_reason,
                &p.reference,
                &p.dunning_status,
                &p.next_retry_date,
            ],
        )?;
        self.note_changed(outcome, "payments", "pid", &p.id)
    }

    /// The status of the payment stored (or written earlier in this import) under `id`.
    pub fn payment_status(&self, id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT status FROM payments WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    /// Whether a payment has the id `id` (stored, or written earlier in this import): a credit
    /// note may not take it, or applications from that id could not tell the two apart.
    pub fn is_payment_id(&self, id: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM payments WHERE id = ?1)")?
            .query_row([id], |r| r.get(0))?)
    }

    /// Whether a credit note has the id `id` (stored, or written earlier in this import): a
    /// payment may not take it (see [`ImportWriter::is_payment_id`]).
    pub fn is_credit_note_id(&self, id: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM documents WHERE id = ?1 AND kind = 'credit_note')",
            )?
            .query_row([id], |r| r.get(0))?)
    }

    /// Inserts or updates a contact, by (customer, email). A primary contact takes over from
    /// the customer's other primary contact of its role, which stays a contact, not primary.
    /// A stored contact keeps what the file has no column for.
    pub fn upsert_contact(&self, c: &ContactRecord) -> Result<Upsert> {
        let stored: Option<ContactRecord> = self
            .tx
            .prepare_cached(
                "SELECT name, phone, role, is_primary FROM contacts WHERE cid = ?1 AND email = ?2",
            )?
            .query_row(params![c.cid, c.email], |r| {
                Ok(ContactRecord {
                    cid: c.cid,
                    name: r.get(0)?,
                    email: c.email.clone(),
                    phone: r.get(1)?,
                    role: format::CONTACT_ROLES
                        .iter()
                        .find(|x| **x == r.get::<_, String>(2).unwrap_or_default())
                        .copied()
                        .unwrap_or("other"),
                    primary: r.get(3)?,
                })
            })
            .optional()?;
        let merged;
        let c = match &stored {
            Some(stored) => {
                merged = self.contact_columns.merged(c, stored);
                &merged
            }
            None => c,
        };
        if c.primary {
            self.tx
                .prepare_cached(
                    "UPDATE contacts SET is_primary = 0
                      WHERE cid = ?1 AND role = ?2 AND email <> ?3 AND is_primary = 1",
                )?
                .execute(params![c.cid, c.role, c.email])?;
        }
        if stored.as_ref() == Some(c) {
            return Ok(Upsert::Unchanged);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO contacts (cid, name, email, phone, role, is_primary)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(cid, email) DO UPDATE SET name = excluded.name,
                    phone = excluded.phone, role = excluded.role, is_primary = excluded.is_primary",
            )?
            .execute(params![c.cid, c.name, c.email, c.phone, c.role, c.primary])?;
        Ok(if stored.is_some() {
            Upsert::Updated
        } else {
            Upsert::Inserted
        })
    }

    /// Keeps an application row of the file for [`ImportWriter::apply_staged_applications`].
    pub fn stage_application(
        &self,
        line: u64,
        source_id: &str,
        document_id: &str,
        amount: i64,
        date: i32,
    ) -> Result<()> {
        if amount == 0 {
            self.zero_staged.set(true);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO temp.staged_applications (line, source_id, document_id, amount, date)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![line as i64, source_id, document_id, amount, date])?;
        Ok(())
    }

    /// The first staged application, in file order, whose references are missing or
    /// unsuitable: no target document, a credit note as target, no source, an invoice as
    /// source, an unsuccessful payment (but to release what it applied), another customer or currency, a date before its
    /// source or target exists, or an amount with more decimals than the currency has.
    pub fn first_bad_staged_application(&self) -> Result<Option<StagedApplication>> {
        Ok(self
            .tx
            .query_row(
                &format!(
                    "SELECT {STAGED_COLUMNS} FROM {STAGED_JOINS}
                  WHERE t.did IS NULL OR t.kind = 'credit_note'
                     OR (p.pid IS NULL AND (c.did IS NULL OR c.kind <> 'credit_note'))
                     OR (p.pid IS NOT NULL AND EXISTS (SELECT 1 FROM documents x
                          WHERE x.id = s.source_id AND x.kind = 'credit_note'))
                     OR (p.status <> 'success' AND s.amount > 0)
                     OR ifnull(p.cid, c.cid) <> t.cid
                     OR ifnull(p.currency, c.currency) <> t.currency
                     OR s.date < max(ifnull(p.date, c.doc_date), t.doc_date)
                     OR s.amount % ({minor}) <> 0
                  ORDER BY s.line LIMIT 1",
                    minor = minor_unit_sql("t.currency")
                ),
                [],
                staged_from_row,
            )
            .optional()?)
    }

    /// Upserts every staged application (all checked by
    /// [`ImportWriter::first_bad_staged_application`]); one of amount 0 releases the stored
    /// application of its source, document and date instead (the billing system no longer
    /// applies it there), noted for the log of imports as its amount going to none.
    pub fn apply_staged_applications(&self) -> Result<StagedOutcome> {
        let count = |sql: &str| -> Result<u64> {
            let n: i64 = self.tx.query_row(sql, [], |r| r.get(0))?;
            Ok(n.unsigned_abs())
        };
        let staged = count("SELECT count(*) FROM temp.staged_applications")?;
        let removed = if self.zero_staged.get() {
            self.release_staged_zeros()?
        } else {
            0
        };
        let before = count("SELECT count(*) FROM applications")?;
        let changed = self.tx.execute(
            &format!(
                "INSERT INTO applications (source_pid, source_did, did, amount, date)
             SELECT p.pid, CASE WHEN p.pid IS NULL THEN c.did END, t.did, s.amount, s.date
               FROM {STAGED_JOINS} WHERE s.amount > 0 ORDER BY s.line
             ON CONFLICT (did, date, ifnull(source_pid, 0), ifnull(source_did, 0))
             DO UPDATE SET amount = excluded.amount WHERE amount <> excluded.amount"
            ),
            [],
        )? as u64;
        let inserted = count("SELECT count(*) FROM applications")? - before;
        self.tx
            .execute("DELETE FROM temp.staged_applications", [])?;
        self.zero_staged.set(false);
        Ok(StagedOutcome {
            inserted,
            updated: changed - inserted,
            unchanged: staged - changed - removed,
            removed,
        })
    }

    /// The invoices and debit notes whose `billing_balance` is 0 (the billing system says
    /// they are settled, or voided them) while owed still has a balance open on them: how
    /// many, and the first `shown` by date, each by its number (its id when it has none).
    pub fn settled_in_billing_open_here(&self, shown: u32) -> Result<(u64, Vec<String>)> {
        const OPEN_HERE: &str = "FROM documents WHERE billing_balance = 0 AND kind <> 'credit_note' AND applied < amount";
        let count: i64 = self
            .tx
            .query_row(&format!("SELECT count(*) {OPEN_HERE}"), [], |r| r.get(0))?;
        let first = crate::store::rows(
            &self.tx,
            &format!(
                "SELECT ifnull(nullif(number, ''), id) {OPEN_HERE} ORDER BY doc_date, did LIMIT ?1"
            ),
            [shown],
            |r| r.get(0),
        )?;
        Ok((count.unsigned_abs(), first))
    }

    /// The stored documents this import gave another customer so far, in the order of their
    /// ids' rows (the file's), each with the promises and issues that name it.
    pub fn moved_documents(&self) -> Result<Vec<MovedDocument>> {
        let moved: Vec<(MovedDocument, i64)> = crate::store::rows(
            &self.tx,
            "SELECT d.id, m.old_kind, oc.id, nc.id, m.old_number, d.number, m.old_doc_date,
                    d.doc_date, d.did
               FROM temp.moved_documents m
               JOIN documents d ON d.did = m.did
               JOIN customers oc ON oc.cid = m.old_cid
               JOIN customers nc ON nc.cid = d.cid
              ORDER BY d.did",
            [],
            |r| {
                let kind: String = r.get(1)?;
                Ok((
                    MovedDocument {
                        id: r.get(0)?,
                        kind: DocumentKind::parse(&kind).unwrap_or(DocumentKind::Invoice),
                        old_customer: r.get(2)?,
                        new_customer: r.get(3)?,
                        old_number: r.get(4)?,
                        new_number: r.get(5)?,
                        old_date: r.get(6)?,
                        new_date: r.get(7)?,
                        records: Vec::new(),
                    },
                    r.get::<_, i64>(8)?,
                ))
            },
        )?;
        moved
            .into_iter()
            .map(|(m, did)| -> Result<MovedDocument> {
                let records = crate::store::rows(
                    &self.tx,
                    "SELECT 'promise', p.id, c.id FROM promise_documents pd
                   JOIN promises p ON p.id = pd.promise_id
                   JOIN customers c ON c.cid = p.cid
                  WHERE pd.did = ?1
                    AND NOT EXISTS (SELECT 1 FROM promise_voids v WHERE v.promise_id = p.id)
                 UNION ALL
                 SELECT 'issue', i.id, c.id FROM issue_documents x
                   JOIN issues i ON i.id = x.issue_id
                   JOIN customers c ON c.cid = i.cid
                  WHERE x.did = ?1
                 ORDER BY 1 DESC, 2",
                    [did],
                    |r| {
                        let what: String = r.get(0)?;
                        Ok((
                            if what == "promise" {
                                "promise"
                            } else {
                                "issue"
                            },
                            r.get(1)?,
                            r.get(2)?,
                        ))
                    },
                )?;
                Ok(MovedDocument { records, ..m })
            })
            .collect()
    }

    /// Deletes the stored applications that staged rows of amount 0 name (by source,
    /// document and date), noting each for the log of imports, and sets what their documents
    /// and sources have applied again ([`ImportWriter::refresh_totals`]). Returns how many
    /// were deleted.
    fn release_staged_zeros(&self) -> Result<u64> {
        self.tx.execute_batch(&format!(
            "CREATE TEMP TABLE released AS
             SELECT a.aid, a.did, a.source_pid, a.source_did, s.line
               FROM {STAGED_JOINS}
               JOIN applications a ON a.did = t.did AND a.date = s.date
                AND a.source_pid IS p.pid
                AND a.source_did IS (CASE WHEN p.pid IS NULL THEN c.did END)
              WHERE s.amount = 0;
             INSERT INTO temp.import_seen
                 (file, record_id, cid, field, old, new, old_currency, new_currency)
             SELECT 'applications.csv',
                    ifnull(p.id, c.id) || ' → ' || d.id || ' on ' || date(a.date + 1721424.5),
                    d.cid, 'amount', a.amount, NULL, d.currency, NULL
               FROM temp.released r
               JOIN applications a ON a.aid = r.aid
               JOIN documents d ON d.did = a.did
               LEFT JOIN payments p ON p.pid = a.source_pid
               LEFT JOIN documents c ON c.did = a.source_did
              ORDER BY r.line;
             DELETE FROM applications WHERE aid IN (SELECT aid FROM temp.released);"
        ))?;
        self.refresh_totals(Given::Named("released"))?;
        let count: i64 = self
            .tx
            .query_row("SELECT count(*) FROM temp.released", [], |r| r.get(0))?;
        self.tx.execute_batch("DROP TABLE temp.released")?;
        Ok(count.unsigned_abs())
    }

    /// The applications stored (this import's included) from the payment or credit note `id`
    /// (`role` `payment` or `credit_note`), or to the document `id` (`document`), by date:
    /// what a refusal of an over-applied one lists.
    pub fn applications_of(&self, role: &str, id: &str) -> Result<Vec<StoredApplication>> {
        let side = match role {
            "payment" => "a.source_pid = (SELECT pid FROM payments WHERE id = ?1)",
            "credit_note" => {
                "a.source_did = (SELECT did FROM documents WHERE id = ?1 AND kind = 'credit_note')"
            }
            _ => "a.did = (SELECT did FROM documents WHERE id = ?1)",
        };
        crate::store::rows(
            &self.tx,
            &format!(
                "SELECT ifnull(p.id, c.id), d.id, a.date, a.amount
                   FROM applications a
                   JOIN documents d ON d.did = a.did
                   LEFT JOIN payments p ON p.pid = a.source_pid
                   LEFT JOIN documents c ON c.did = a.source_did
                  WHERE {side}
                  ORDER BY a.date, a.aid"
            ),
            [id],
            |r| {
                Ok(StoredApplication {
                    source_id: r.get(0)?,
                    document_id: r.get(1)?,
                    date: r.get(2)?,
                    amount: r.get(3)?,
                })
            },
        )
    }

    /// After rates were added or changed: every stored document and payment of their
    /// currency dated from a new rate's date to the next rate's takes that rate (the latest
    /// on or before its date) — the same figures whether a rate came before its documents or
    /// after them. Returns how many rows took a new rate. Each window is read through the
    /// date indexes: a day's new rates touch that day's rows alone.
    ///
    /// The log of imports keeps what this changed (see [`ImportWriter::record`]): a stored
    /// rate's old and new value (`exchange_rates.csv`, `EUR on 2026-09-01`, `rate`), a new one
    /// when it converts stored rows again (from none), and each row converted again, its
    /// amount in the base currency `base` before and after (`documents.csv`, `I10`,
    /// `base_amount`): the figures of before can be told again.
    pub fn rerate(&self, base: &str) -> Result<u64> {
        let changed: Vec<ChangedRate> = crate::store::rows(
            &self.tx,
            "SELECT c.currency, c.date, r.rate,
                    (SELECT min(n.date) FROM exchange_rates n
                      WHERE n.currency = c.currency AND n.date > c.date),
                    c.old
               FROM temp.changed_rates c
               JOIN exchange_rates r ON r.currency = c.currency AND r.date = c.date
              ORDER BY c.currency, c.date",
            [],
            |r| {
                Ok(ChangedRate {
                    currency: r.get(0)?,
                    from: r.get(1)?,
                    rate: r.get(2)?,
                    until: r.get::<_, Option<i32>>(3)?.unwrap_or(i32::MAX),
                    old: r.get(4)?,
                })
            },
        )?;
        self.tx.execute("DELETE FROM temp.changed_rates", [])?;
        for change in &changed {
            self.log_rerates(base, change)?;
        }
        let mut rerated = 0;
        for (table, date, index) in [
            ("documents", "doc_date", "documents_date"),
            ("payments", "date", "payments_date"),
        ] {
            let mut stmt = self.tx.prepare(&format!(
                "UPDATE {table} INDEXED BY {index} SET rate = ?3
                  WHERE {date} >= ?2 AND {date} < ?4 AND currency = ?1 AND rate <> ?3"
            ))?;
            // The largest amount the rate now converts: one past what owed can add up once
            // converted is refused, as it is in a row of its own (a stored payment was
            // taken, and the workstation showed a wrapped, negative unapplied cash).
            let mut largest = self.tx.prepare(&format!(
                "SELECT max(amount) FROM {table} INDEXED BY {index}
                  WHERE {date} >= ?2 AND {date} < ?3 AND currency = ?1"
            ))?;
            for ChangedRate {
                currency,
                from,
                rate,
                until,
                ..
            } in &changed
            {
                rerated += stmt.execute(params![currency, from, rate, until])? as u64;
                let most: Option<i64> =
                    largest.query_row(params![currency, from, until], |r| r.get(0))?;
                let fits =
                    |units: i64| money::converts_within_store(money::from_units(units), rate);
                if let Some(units) = most.filter(|u| !fits(*u)) {
                    return Err(crate::Error::input(format!(
                        "exchange_rates.csv: the rate {rate} of {currency} from {} makes a \
                         stored {} of {} {currency} too large once converted: more than owed \
                         can add up",
                        crate::domain::date::from_day_number(*from),
                        if table == "payments" {
                            "payment"
                        } else {
                            "document"
                        },
                        money::plain(money::from_units(units), currency)
                    )));
                }
            }
        }
        Ok(rerated)
    }

    /// Notes in the log of imports what the rate `change` changes: the rate itself, when it
    /// replaced one or converts stored rows again, then each stored document and payment it
    /// converts again, with its amount in the base currency `base` before and after. Called
    /// before the rows take the rate (they are read at their old one).
    fn log_rerates(&self, base: &str, change: &ChangedRate) -> Result<()> {
        let ChangedRate {
            currency,
            from,
            rate,
            until,
            old,
        } = change;
        let (from, until) = (*from, *until);
        let windows = [
            ("documents", "documents.csv", "doc_date", "documents_date"),
            ("payments", "payments.csv", "date", "payments_date"),
        ];
        let mut noted = self.tx.prepare_cached(
            "INSERT INTO temp.import_seen (file, record_id, cid, field, old, new)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        // The rows the rate converts again: of its currency and days, at another rate.
        let window = |table: &str, date: &str, index: &str| {
            format!(
                "FROM {table} INDEXED BY {index}
                  WHERE {date} >= ?2 AND {date} < ?4 AND currency = ?1 AND rate <> ?3"
            )
        };
        let mut converts = old.is_some();
        for (table, _, date, index) in windows {
            if converts {
                break;
            }
            converts = self.tx.query_row(
                &format!("SELECT EXISTS (SELECT 1 {})", window(table, date, index)),
                params![currency, from, rate, until],
                |r| r.get(0),
            )?;
        }
        if !converts {
            return Ok(());
        }
        noted.execute(params![
            "exchange_rates.csv",
            format!(
                "{currency} on {}",
                crate::domain::date::from_day_number(from)
            ),
            Option::<i64>::None,
            "rate",
            old,
            rate,
        ])?;
        let new_rate = crate::store::stored_rate(rate)?;
        let in_base = |units: i64, rate: crate::domain::Decimal| {
            money::plain(
                money::round_to_currency(money::from_units(units) * rate, base),
                base,
            )
        };
        for (table, file, date, index) in windows {
            let mut stmt = self.tx.prepare(&format!(
                "SELECT id, cid, amount, rate {} ORDER BY {date}, id",
                window(table, date, index)
            ))?;
            let mut rows = stmt.query(params![currency, from, rate, until])?;
            while let Some(r) = rows.next()? {
                let units: i64 = r.get(2)?;
                // A stored rate owed cannot read (which this one replaces) converted nothing.
                let was = crate::store::stored_rate(&r.get::<_, String>(3)?).ok();
                noted.execute(params![
                    file,
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    "base_amount",
                    was.map(|was| in_base(units, was)),
                    in_base(units, new_rate),
                ])?;
            }
        }
        Ok(())
    }

    /// Takes away the applications of the payments this import turned from successful to
    /// anything else (failed, voided, …): the billing system no longer counts them as money
    /// received, and its newer export no longer applies them, so what they settled is open
    /// again. Each is noted for the log of imports (its amount, to none); a lockbox payment's
    /// are kept too, to give back should a later export find it successful again
    /// ([`ImportWriter::restore_withdrawn_applications`]). Returns how many were taken away.
    pub fn withdraw_unpaid_applications(&self) -> Result<u64> {
        // Temporary tables are part of the transaction: a failure leaves none behind.
        self.tx.execute_batch(
            "CREATE TEMP TABLE withdrawn AS
             SELECT a.aid, a.did, a.source_did, a.source_pid FROM temp.changed_payments c
               JOIN payments p ON p.pid = c.pid
               JOIN applications a ON a.source_pid = p.pid
              WHERE p.status <> 'success';
             -- In the log of imports, as an application whose amount went to none: what it
             -- settled, and when, can be told again.
             INSERT INTO temp.import_seen
                 (file, record_id, cid, field, old, new, old_currency, new_currency)
             SELECT 'applications.csv',
                    p.id || ' → ' || d.id || ' on ' || date(a.date + 1721424.5),
                    d.cid, 'amount', a.amount, NULL, d.currency, NULL
               FROM temp.withdrawn w
               JOIN applications a ON a.aid = w.aid
               JOIN payments p ON p.pid = a.source_pid
               JOIN documents d ON d.did = a.did
              ORDER BY a.source_pid, a.date, d.id;
             -- A lockbox payment's applications are owed's own (the billing export never
             -- carries them): kept, to give back if a later export finds it successful
             -- again (`restore_withdrawn_applications`). Only its latest withdrawal.
             DELETE FROM withdrawn_applications
              WHERE pid IN (SELECT source_pid FROM temp.withdrawn);
             INSERT INTO withdrawn_applications (pid, did, date, amount)
             SELECT a.source_pid, a.did, a.date, a.amount
               FROM temp.withdrawn w
               JOIN applications a ON a.aid = w.aid
               JOIN payments p ON p.pid = a.source_pid
              WHERE substr(p.id, 1, 4) = 'LBX-' AND a.amount > 0;
             DELETE FROM applications WHERE aid IN (SELECT aid FROM temp.withdrawn);",
        )?;
        self.refresh_totals(Given::Named("withdrawn"))?;
        let count: i64 = self
            .tx
            .query_row("SELECT count(*) FROM temp.withdrawn", [], |r| r.get(0))?;
        self.tx.execute_batch("DROP TABLE temp.withdrawn")?;
        Ok(count.unsigned_abs())
    }

    /// Withdraws the open deductions opened by the payments this import turned from successful
    /// to anything else: the short cheque paid nothing after all, so no gap stands, and an
    /// open deduction would keep its invoices out of dunning and count in the open
    /// deductions. Each is resolved, without an outcome, by `actor` at `at` as of the day it
    /// was opened (or its latest resolve or reopen, if later): its cheque's applications are
    /// taken away for every date, so as of any date the deduction no longer stands either.
    /// Each resolve is marked as an import's withdrawal, for
    /// [`ImportWriter::reopen_deductions`]. Returns them, oldest first.
    pub fn withdraw_deductions(
        &self,
        actor: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<WithdrawnDeduction>> {
        let withdrawn: Vec<(WithdrawnDeduction, i32)> = crate::store::rows(
            &self.tx,
            &format!(
                "SELECT i.id, p.id, p.status, {DEDUCTION_DAY}
                   FROM {CHANGED_DEDUCTIONS}
                  WHERE p.status <> 'success'
                    AND ifnull((SELECT e.kind FROM issue_events e WHERE e.issue_id = i.id
                                 ORDER BY e.event_date DESC, e.id DESC LIMIT 1), 'reopen') = 'reopen'
                  ORDER BY i.id"
            ),
            [],
            |r| {
                Ok((
                    WithdrawnDeduction {
                        issue: r.get(0)?,
                        payment: r.get(1)?,
                        status: r.get(2)?,
                    },
                    r.get::<_, i32>(3)?,
                ))
            },
        )?;
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut resolve = self.tx.prepare_cached(
            "INSERT INTO issue_events (issue_id, at, collector, kind, event_date, text)
             VALUES (?1, ?2, ?3, 'resolve', ?4, ?5)",
        )?;
        // Marked as the import's, so that a later import finding the payment successful
        // again knows the deduction is its to reopen (`reopen_deductions`).
        let mut mark = self
            .tx
            .prepare_cached("INSERT INTO deduction_withdrawals (event_id) VALUES (?1)")?;
        for (d, day) in &withdrawn {
            resolve.execute(params![d.issue, at, actor, day, d.text()])?;
            mark.execute([self.tx.last_insert_rowid()])?;
        }
        Ok(withdrawn.into_iter().map(|(d, _)| d).collect())
    }

    /// Gives back the applications an earlier import took away from the lockbox payments
    /// this import turned successful again (a cheque presented again, a void undone): the
    /// billing export never carries them, so nothing else would. Each comes back with its
    /// document and date, as far as the document still has that much open (another payment
    /// or credit note may have settled it meanwhile) and the payment that much left to apply,
    /// and not at all where the document no longer fits the payment (another customer,
    /// currency, …: the import would refuse such an application, and refusing the export for
    /// it would leave the user no way on); one this import's `applications.csv` already
    /// brought back is the export's. Each is
    /// noted for the log of imports (from none to its amount). Returns them, in the order the
    /// lockbox applied them.
    pub fn restore_withdrawn_applications(&self) -> Result<Vec<RestoredApplication>> {
        struct Taken {
            pid: i64,
            did: i64,
            cid: i64,
            date: i32,
            amount: i64,
            payment: String,
            document: String,
            currency: String,
            unfit: Option<Unfit>,
        }
        let taken: Vec<Taken> = crate::store::rows(
            &self.tx,
            "SELECT w.pid, w.did, d.cid, w.date, w.amount, p.id, d.id, d.currency,
                    d.kind = 'credit_note', p.cid <> d.cid, p.currency <> d.currency,
                    w.date < max(p.date, d.doc_date)
               FROM temp.changed_payments c
               JOIN payments p ON p.pid = c.pid
               JOIN withdrawn_applications w ON w.pid = p.pid
               JOIN documents d ON d.did = w.did
              WHERE p.status = 'success'
              ORDER BY p.date, p.pid, d.doc_date, d.due_date, d.did, w.date",
            [],
            |r| {
                Ok(Taken {
                    pid: r.get(0)?,
                    did: r.get(1)?,
                    cid: r.get(2)?,
                    date: r.get(3)?,
                    amount: r.get(4)?,
                    payment: r.get(5)?,
                    document: r.get(6)?,
                    currency: r.get(7)?,
                    unfit: [
                        Unfit::CreditNote,
                        Unfit::Customer,
                        Unfit::Currency,
                        Unfit::Date,
                    ]
                    .into_iter()
                    .zip(8..)
                    .find_map(|(unfit, at)| match r.get::<_, bool>(at) {
                        Ok(true) => Some(Ok(unfit)),
                        Ok(false) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .transpose()?,
                })
            },
        )?;
        if taken.is_empty() {
            return Ok(Vec::new());
        }
        // Read from the applications themselves: the totals kept on documents and payments
        // are brought up to date after (`refresh_applied`).
        let mut back_already = self.tx.prepare(
            "SELECT EXISTS (SELECT 1 FROM applications
                             WHERE source_pid = ?1 AND did = ?2 AND date = ?3)",
        )?;
        let mut open = self.tx.prepare(
            "SELECT d.amount - ifnull((SELECT sum(a.amount) FROM applications a
                                        WHERE a.did = d.did), 0)
               FROM documents d WHERE d.did = ?1",
        )?;
        let mut left = self.tx.prepare(
            "SELECT p.amount - ifnull((SELECT sum(a.amount) FROM applications a
                                        WHERE a.source_pid = p.pid), 0)
               FROM payments p WHERE p.pid = ?1",
        )?;
        let mut insert = self.tx.prepare(
            "INSERT INTO applications (source_pid, did, amount, date) VALUES (?1, ?2, ?3, ?4)",
        )?;
        // In the log of imports, as an application whose amount came from none.
        let mut note = self.tx.prepare(
            "INSERT INTO temp.import_seen
                 (file, record_id, cid, field, old, new, old_currency, new_currency)
             VALUES ('applications.csv', ?1 || ' → ' || ?2 || ' on ' || date(?3 + 1721424.5),
                     ?4, 'amount', NULL, ?5, NULL, ?6)",
        )?;
        let mut restored = Vec::new();
        for t in &taken {
            if back_already.query_row(params![t.pid, t.did, t.date], |r| r.get::<_, bool>(0))? {
                continue;
            }
            let open: i64 = open.query_row([t.did], |r| r.get(0))?;
            let left: i64 = left.query_row([t.pid], |r| r.get(0))?;
            let amount = match t.unfit {
                Some(_) => 0,
                None => t.amount.min(open.max(0)).min(left.max(0)),
            };
            if amount > 0 {
                insert.execute(params![t.pid, t.did, amount, t.date])?;
                note.execute(params![
                    t.payment, t.document, t.date, t.cid, amount, t.currency
                ])?;
            }
            let short = (amount < t.amount).then_some(match t.unfit {
                Some(unfit) => Shortfall::Unfit(unfit),
                None if open <= left => Shortfall::Document,
                None => Shortfall::Payment,
            });
            restored.push(RestoredApplication {
                payment: t.payment.clone(),
                document: t.document.clone(),
                date: t.date,
                currency: t.currency.clone(),
                withdrawn: t.amount,
                restored: amount,
                short,
            });
        }
        self.tx.execute(
            "DELETE FROM withdrawn_applications
              WHERE pid IN (SELECT c.pid FROM temp.changed_payments c
                              JOIN payments p ON p.pid = c.pid WHERE p.status = 'success')",
            [],
        )?;
        Ok(restored)
    }

    /// Reopens the deductions an earlier import withdrew whose payments this import turned
    /// successful again, when the short payment stands as it did: every application
    /// [`ImportWriter::restore_withdrawn_applications`] gave back came back in full
    /// (`restored`), and a document the deduction is on still has a balance open. Each is
    /// reopened by `actor` at `at` as of the day of its withdrawal (or its opening, if later),
    /// so that as of every day since the cheque it stands again, its text saying why. A
    /// deduction resolved or reopened since by someone else is theirs, and left as it is.
    /// Returns them, reopened or not, oldest first.
    pub fn reopen_deductions(
        &self,
        actor: &str,
        at: chrono::DateTime<chrono::Utc>,
        restored: &[RestoredApplication],
    ) -> Result<Vec<ReturnedDeduction>> {
        let found: Vec<(i64, String, bool, i32)> = crate::store::rows(
            &self.tx,
            &format!(
                "SELECT i.id, p.id,
                        EXISTS (SELECT 1 FROM issue_documents l JOIN documents d ON d.did = l.did
                                 WHERE l.issue_id = i.id
                                   AND d.amount > ifnull((SELECT sum(a.amount) FROM applications a
                                                           WHERE a.did = d.did), 0)),
                        {DEDUCTION_DAY}
                   FROM {CHANGED_DEDUCTIONS}
                  WHERE p.status = 'success'
                    AND (SELECT e.id FROM issue_events e WHERE e.issue_id = i.id
                          ORDER BY e.event_date DESC, e.id DESC LIMIT 1)
                        IN (SELECT event_id FROM deduction_withdrawals)
                  ORDER BY i.id"
            ),
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut returned = Vec::new();
        for (issue, payment, open_left, day) in found {
            let in_full = restored
                .iter()
                .filter(|r| r.payment == payment)
                .all(|r| r.short.is_none());
            let outcome = match (in_full, open_left) {
                (false, _) => DeductionReturn::NotAllRestored,
                (true, false) => DeductionReturn::Settled,
                (true, true) => DeductionReturn::Reopened,
            };
            let d = ReturnedDeduction {
                issue,
                payment,
                outcome,
            };
            if outcome == DeductionReturn::Reopened {
                self.reopen_by_run(d.issue, actor, &at, day, &d.text())?;
            }
            returned.push(d);
        }
        Ok(returned)
    }

    /// Reopens the deductions a run resolved because their documents were settled
    /// ([`super::deductions`]) when this import took away what settled them (a payment no
    /// longer successful): a document they are on has a balance open again, so the short
    /// payment stands again. Not one whose own cheque is no longer successful (its gap went
    /// with it). Each is reopened by `actor` at `at` as of the day of its resolve, so that as
    /// of every day since it stands as before, its text saying why. Returns their ids.
    pub fn reopen_unsettled_deductions(
        &self,
        actor: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<UnsettledDeduction>> {
        let found: Vec<(UnsettledDeduction, i32)> = crate::store::rows(
            &self.tx,
            "SELECT i.id, e.event_date FROM issues i
               JOIN issue_events e ON e.id = (SELECT x.id FROM issue_events x
                                               WHERE x.issue_id = i.id
                                               ORDER BY x.event_date DESC, x.id DESC LIMIT 1)
               JOIN deduction_run_events r ON r.event_id = e.id AND r.kind = 'settled'
               LEFT JOIN deduction_payments dp ON dp.issue_id = i.id
               LEFT JOIN payments p ON p.pid = dp.pid
              WHERE ifnull(p.status, 'success') = 'success'
                AND EXISTS (SELECT 1 FROM issue_documents l JOIN documents d ON d.did = l.did
                             WHERE l.issue_id = i.id
                               AND d.amount > ifnull((SELECT sum(a.amount) FROM applications a
                                                       WHERE a.did = d.did), 0))
              ORDER BY i.id",
            [],
            |r| Ok((UnsettledDeduction { issue: r.get(0)? }, r.get(1)?)),
        )?;
        let at = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        for (d, day) in &found {
            self.reopen_by_run(d.issue, actor, &at, *day, UnsettledDeduction::TEXT)?;
        }
        Ok(found.into_iter().map(|(d, _)| d).collect())
    }

    /// Reopens deduction `issue` in a run's name: by `actor` at `at`, as of `day`, saying
    /// `text`, and marked as the run's, not a collector's (`deduction_run_events`).
    fn reopen_by_run(&self, issue: i64, actor: &str, at: &str, day: i32, text: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO issue_events (issue_id, at, collector, kind, event_date, text)
                 VALUES (?1, ?2, ?3, 'reopen', ?4, ?5)",
            )?
            .execute(params![issue, at, actor, day, text])?;
        self.tx
            .prepare_cached(
                "INSERT INTO deduction_run_events (event_id, kind) VALUES (?1, 'reopened')",
            )?
            .execute([self.tx.last_insert_rowid()])?;
        Ok(())
    }

    /// Resolves the open deductions whose documents are settled in full now (see
    /// [`super::deductions`]), by `actor` at `at`. Returns them, oldest first.
    pub fn settle_deductions(
        &self,
        actor: &str,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<super::deductions::SettledDeduction>> {
        super::deductions::settle_deductions(
            &self.tx,
            actor,
            &at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            super::deductions::SettlingRun::Import,
        )
    }

    /// The first application (already stored, or staged by this import) that a change this
    /// import made to its source or its document leaves unsuitable: a credit note settled, a
    /// source that is no longer a credit note, another customer or currency on the two sides,
    /// or a date before either exists — what the import refuses of a new application.
    pub fn first_broken_application(&self) -> Result<Option<BrokenApplication>> {
        let any: bool = self.tx.query_row(
            "SELECT EXISTS (SELECT 1 FROM temp.changed_documents)
                 OR EXISTS (SELECT 1 FROM temp.changed_payments)",
            [],
            |r| r.get(0),
        )?;
        if !any {
            return Ok(None);
        }
        Ok(self
            .tx
            .query_row(
                "WITH touched AS (
                   SELECT aid FROM applications
                    WHERE source_pid IN (SELECT pid FROM temp.changed_payments)
                   UNION SELECT aid FROM applications
                    WHERE did IN (SELECT did FROM temp.changed_documents)
                   UNION SELECT aid FROM applications
                    WHERE source_did IN (SELECT did FROM temp.changed_documents))
                 SELECT a.date, t.id, t.kind, tc.id, t.currency, t.doc_date,
                        ifnull(p.id, c.id), c.kind, sc.id, ifnull(p.currency, c.currency),
                        ifnull(p.date, c.doc_date),
                        ifnull(a.source_pid IN (SELECT pid FROM temp.changed_payments), 0)
                          OR ifnull(a.source_did IN (SELECT did FROM temp.changed_documents), 0),
                        t.number, c.number
                   FROM touched x
                   JOIN applications a ON a.aid = x.aid
                   JOIN documents t ON t.did = a.did
                   JOIN customers tc ON tc.cid = t.cid
                   LEFT JOIN payments p ON p.pid = a.source_pid
                   LEFT JOIN documents c ON c.did = a.source_did
                   JOIN customers sc ON sc.cid = ifnull(p.cid, c.cid)
                  WHERE t.kind = 'credit_note'
                     OR (c.did IS NOT NULL AND c.kind <> 'credit_note')
                     OR ifnull(p.cid, c.cid) <> t.cid
                     OR ifnull(p.currency, c.currency) <> t.currency
                     OR a.date < max(ifnull(p.date, c.doc_date), t.doc_date)
                  ORDER BY a.aid LIMIT 1",
                [],
                |r| {
                    let side = |id: usize,
                                number: usize,
                                kind: Option<DocumentKind>,
                                customer: usize,
                                at: usize|
                     -> rusqlite::Result<AppliedSide> {
                        Ok(AppliedSide {
                            id: r.get(id)?,
                            number: r.get(number)?,
                            kind,
                            customer_id: r.get(customer)?,
                            currency: r.get(at)?,
                            date: r.get(at + 1)?,
                        })
                    };
                    let source_kind: Option<DocumentKind> = r.get(7)?;
                    Ok(BrokenApplication {
                        date: r.get(0)?,
                        target: side(1, 12, Some(r.get(2)?), 3, 4)?,
                        source: side(6, 13, source_kind, 8, 9)?,
                        source_changed: r.get(11)?,
                    })
                },
            )
            .optional()?)
    }

    /// Brings the query planner's statistics up to date for the tables that grew or shrank
    /// tenfold since they were last measured (SQLite's `PRAGMA optimize`, all tables, with
    /// its own cheap sampling), inside the import's transaction: after a first import of a
    /// handful of rows, statistics saying "one document" made the next import of a real
    /// export resolve its applications by the wrong plan (2,000 customers: 50 s, not 1 s).
    pub fn refresh_statistics(&mut self) -> Result<()> {
        self.tx.execute_batch("PRAGMA optimize = 0x10002;")?;
        Ok(())
    }

    /// Before loading `table`: when it is empty, drops its secondary indexes (not the unique
    /// ones the upserts rely on) so that a first bulk load does not maintain them row by row;
    /// `ImportWriter::rebuild_indexes` creates them again inside the same transaction.
    pub fn prepare_bulk_load(&mut self, table: &str) -> Result<()> {
        let empty: bool = self.tx.query_row(
            &format!("SELECT NOT EXISTS (SELECT 1 FROM {table})"),
            [],
            |r| r.get(0),
        )?;
        if !empty {
            return Ok(());
        }
        if let Some(t) = ["customers", "documents", "payments", "applications"]
            .into_iter()
            .find(|t| *t == table)
        {
            self.bulk.push(t);
        }
        let indexes: Vec<(String, String)> = self
            .tx
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1
                   AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'",
            )?
            .query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, sql) in indexes {
            self.tx.execute_batch(&format!("DROP INDEX {name}"))?;
            self.dropped.push((table.to_string(), sql));
        }
        Ok(())
    }

    /// Creates again the indexes dropped for a bulk load of `table`.
    fn rebuild_indexes(&mut self, table: &str) -> Result<()> {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.dropped)
            .into_iter()
            .partition(|(t, _)| t == table);
        self.dropped = later;
        for (_, sql) in now {
            self.tx.execute_batch(&sql)?;
        }
        Ok(())
    }

    /// Recomputes what has been applied to and from every document and payment, writing
    /// only the rows whose totals changed ([`ImportWriter::refresh_totals`]), then rebuilds
    /// any index dropped for the load.
    pub fn refresh_applied(&mut self) -> Result<()> {
        let t = std::time::Instant::now();
        self.rebuild_indexes("applications")?;
        phase("indexes of applications", t);
        self.refresh_totals(Given::Every)?;
        let t = std::time::Instant::now();
        self.rebuild_indexes("documents")?;
        phase("indexes of documents", t);
        let t = std::time::Instant::now();
        self.rebuild_indexes("payments")?;
        phase("indexes of payments", t);
        for (_, sql) in std::mem::take(&mut self.dropped) {
            self.tx.execute_batch(&sql)?;
        }
        Ok(())
    }

    /// Sets again what has been applied to the invoices and debit notes, from the credit
    /// notes and from the payments `given` names, from their applications: the sum and the
    /// latest date, 0 and none for those with no application left (all released or
    /// withdrawn). Writes only the rows whose totals changed.
    ///
    /// Every row is done in ranges of keys so that each statement's rollback journal stays
    /// small (a single UPDATE over a million rows would hold every changed page in memory).
    fn refresh_totals(&self, given: Given) -> Result<()> {
        const CHUNK: i64 = 50_000;
        // The table, its key, the applications' column naming its rows, and which of its
        // rows that column can name.
        let totals = [
            ("documents", "did", "did", "kind <> 'credit_note'"),
            ("documents", "did", "source_did", "kind = 'credit_note'"),
            ("payments", "pid", "source_pid", "1"),
        ];
        for (table, key, side, its) in totals {
            let t = std::time::Instant::now();
            let (applied, rows) = match given {
                Given::Every => (
                    format!("{side} >= ?1 AND {side} < ?2"),
                    format!("{key} >= ?1 AND {key} < ?2"),
                ),
                Given::Named(temp) => (
                    format!("{side} IN (SELECT {side} FROM temp.{temp})"),
                    format!("{key} IN (SELECT {side} FROM temp.{temp})"),
                ),
            };
            let sums = format!(
                "UPDATE {table} SET applied = s.total, last_applied = s.last
                   FROM (SELECT {side} AS k, sum(amount) AS total, max(date) AS last
                           FROM applications WHERE {applied} GROUP BY {side}) AS s
                  WHERE {table}.{key} = s.k
                    AND ({table}.applied <> s.total OR {table}.last_applied IS NOT s.last)"
            );
            // Those with none left: the sums above do not name them.
            let none = format!(
                "UPDATE {table} SET applied = 0, last_applied = NULL
                  WHERE {rows} AND {its} AND (applied <> 0 OR last_applied IS NOT NULL)
                    AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.{side} = {table}.{key})"
            );
            match given {
                Given::Every => {
                    let max: i64 = self.tx.query_row(
                        &format!("SELECT ifnull(max({key}), 0) FROM {table}"),
                        [],
                        |r| r.get(0),
                    )?;
                    let mut sums = self.tx.prepare(&sums)?;
                    let mut none = self.tx.prepare(&none)?;
                    let mut low = 0;
                    while low <= max {
                        sums.execute(params![low, low + CHUNK])?;
                        none.execute(params![low, low + CHUNK])?;
                        low += CHUNK;
                    }
                    phase(&format!("refresh {table} by {side}"), t);
                }
                Given::Named(_) => {
                    self.tx.execute(&sums, [])?;
                    self.tx.execute(&none, [])?;
                }
            }
        }
        Ok(())
    }

    /// [`first_past_countable`] in this import's transaction.
    pub fn first_past_countable(&self, base: &str) -> Result<Option<PastCountable>> {
        first_past_countable(&self.tx, base)
    }

    /// Rebuilds the daily sales from the documents (after a file that changed documents).
    pub fn rebuild_sales(&self, base_currency: &str) -> Result<()> {
        crate::store::ledger::rebuild_sales(&self.tx, base_currency)
    }

    /// The first document, credit note or payment applied beyond its amount, if any.
    pub fn first_over_applied(&self) -> Result<Option<OverApplied>> {
        let doc = self
            .tx
            .query_row(
                "SELECT kind, id, amount, applied, currency, did, number FROM documents
                  WHERE applied > amount LIMIT 1",
                [],
                |r| {
                    let kind: String = r.get(0)?;
                    Ok((
                        OverApplied {
                            role: if kind == "credit_note" {
                                "credit_note"
                            } else {
                                "document"
                            },
                            id: r.get(1)?,
                            number: r.get(6)?,
                            amount: r.get(2)?,
                            applied: r.get(3)?,
                            currency: r.get(4)?,
                            lockbox: Vec::new(),
                        },
                        r.get::<_, i64>(5)?,
                    ))
                },
            )
            .optional()?;
        if let Some((mut doc, did)) = doc {
            // The payments a lockbox file wrote (`LBX-…`, through the gateway `lockbox`).
            doc.lockbox = crate::store::rows(
                &self.tx,
                "SELECT p.id, c.id, p.date, p.amount, sum(a.amount)
                   FROM applications a
                   JOIN payments p ON p.pid = a.source_pid
                   JOIN customers c ON c.cid = p.cid
                  WHERE a.did = ?1 AND p.gateway = 'lockbox' AND p.id LIKE 'LBX-%'
                  GROUP BY p.pid ORDER BY p.date, p.pid",
                [did],
                |r| {
                    Ok(LockboxPart {
                        payment: r.get(0)?,
                        customer_id: r.get(1)?,
                        date: r.get(2)?,
                        amount: r.get(3)?,
                        applied: r.get(4)?,
                    })
                },
            )?;
            return Ok(Some(doc));
        }
        Ok(self
            .tx
            .query_row(
                "SELECT id, amount, applied, currency FROM payments WHERE applied > amount LIMIT 1",
                [],
                |r| {
                    Ok(OverApplied {
                        role: "payment",
                        id: r.get(0)?,
                        number: None,
                        amount: r.get(1)?,
                        applied: r.get(2)?,
                        currency: r.get(3)?,
                        lockbox: Vec::new(),
                    })
                },
            )
            .optional()?)
    }

    /// Makes the import visible to everyone, and refreshes the planner's statistics.
    pub fn commit(self) -> Result<()> {
        self.stop_logging()?;
        self.tx.commit()?;
        Ok(())
    }

    /// Keeps nothing of what was written (an import's dry run).
    pub fn roll_back(self) -> Result<()> {
        self.tx.rollback()?;
        Ok(())
    }
}

/// Which documents and payments [`ImportWriter::refresh_totals`] sets the totals of.
#[derive(Debug, Clone, Copy)]
enum Given<'a> {
    /// All of them.
    Every,
    /// Those a temporary table names by its columns `did` (the documents applied to),
    /// `source_did` (the credit notes applied from) and `source_pid` (the payments).
    Named(&'a str),
}

/// Logs how long a phase of the import took, at debug level (`OWED_LOG=debug owed import …`
/// shows where the time of a large import goes; `owed import` itself says nothing of it).
pub fn phase(label: &str, since: std::time::Instant) {
    tracing::debug!(
        target: "owed::import",
        "phase {label}: {:.4} s",
        since.elapsed().as_secs_f64()
    );
}

/// True for a UNIQUE or PRIMARY KEY constraint failure.
fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
    )
}

/// Refreshes the query planner's statistics after a large change.
pub fn optimize(store: &Store) -> Result<()> {
    store.conn().execute_batch("PRAGMA optimize;")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_triggers(store: &Store) -> i64 {
        store
            .conn()
            .query_row(
                "SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    }

    /// What has been applied to and from a document or payment is set again from its
    /// applications, those with none left included: an invoice, a credit note and a payment
    /// whose applications are all gone owe and hold their whole amount again.
    #[test]
    fn totals_are_set_again_for_what_has_no_application_left() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
        store
            .conn()
            .execute_batch(
                "INSERT INTO customers (cid, id, name) VALUES (1, 'C1', 'Acme');
                 INSERT INTO documents (did, id, cid, kind, doc_date, amount, currency, rate)
                 VALUES (1, 'I1', 1, 'invoice', 2461000, 10000, 'USD', '1'),
                        (2, 'I2', 1, 'invoice', 2461000, 10000, 'USD', '1'),
                        (3, 'CN1', 1, 'credit_note', 2461000, 3000, 'USD', '1');
                 INSERT INTO payments (pid, id, cid, date, amount, currency, rate, status)
                 VALUES (1, 'P1', 1, 2461001, 4000, 'USD', '1', 'success');
                 INSERT INTO applications (source_pid, source_did, did, amount, date)
                 VALUES (1, NULL, 1, 4000, 2461001), (NULL, 3, 1, 3000, 2461002),
                        (NULL, 3, 2, 1, 2461002);",
            )
            .unwrap();
        let totals = |store: &Store| -> Vec<(String, i64, Option<i64>)> {
            crate::store::rows(
                store.conn(),
                "SELECT id, applied, last_applied FROM documents
                 UNION ALL SELECT id, applied, last_applied FROM payments ORDER BY 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
        };
        let mut writer = store.ledger_mut().import_writer("test").unwrap();
        writer.refresh_applied().unwrap();
        writer.commit().unwrap();
        let both = vec![
            ("CN1".to_string(), 3001, Some(2461002)),
            ("I1".to_string(), 7000, Some(2461002)),
            ("I2".to_string(), 1, Some(2461002)),
            ("P1".to_string(), 4000, Some(2461001)),
        ];
        assert_eq!(totals(&store), both);
        // The payment's and the credit note's applications go (to I1 and I2 both): nothing
        // is applied to either invoice, from the credit note or from the payment.
        store
            .conn()
            .execute_batch("DELETE FROM applications")
            .unwrap();
        let mut writer = store.ledger_mut().import_writer("test").unwrap();
        writer.refresh_applied().unwrap();
        writer.commit().unwrap();
        let none = vec![
            ("CN1".to_string(), 0, None),
            ("I1".to_string(), 0, None),
            ("I2".to_string(), 0, None),
            ("P1".to_string(), 0, None),
        ];
        assert_eq!(totals(&store), none);
    }

    /// The import notes what it changes only while it runs: what the same connection writes
    /// after it (an `owed assign` in the workstation that imported the demo) is no import's,
    /// whether the run committed or was a dry run.
    #[test]
    fn an_import_leaves_nothing_noting_later_writes() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
        let writer = store.ledger_mut().import_writer("test").unwrap();
        writer.roll_back().unwrap();
        assert_eq!(temp_triggers(&store), 0);
        let writer = store.ledger_mut().import_writer("test").unwrap();
        let noting: i64 = writer
            .tx
            .query_row(
                "SELECT count(*) FROM sqlite_temp_master WHERE type = 'trigger'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        // One a table whose changes are logged, and the one noting moved documents.
        assert_eq!(noting, LOGGED.len() as i64 + 1);
        writer
            .record(&ImportRun {
                at: "2026-05-04T09:00:00Z".parse().unwrap(),
                actor: "carol".into(),
                files: Vec::new(),
                source: None,
                summary: String::new(),
                kind: ImportKind::Billing,
                changes: Vec::new(),
            })
            .unwrap();
        writer.commit().unwrap();
        assert_eq!(temp_triggers(&store), 0);
    }
}
