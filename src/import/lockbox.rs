//! `owed lockbox import DIR`: a bank's lockbox file, cash application and deductions.
//!
//! `DIR/lockbox.csv` lists the cheques the bank received for us (SPEC "Attachments, lockbox
//! and deductions"). Each item becomes a successful cheque payment `LBX-<item_id>` of its
//! payer (a customer id, else a customer name), applied:
//!
//! 1. to the invoices it names (document ids or numbers, `;` separated), oldest first, each
//!    up to its open balance; when the cheque is smaller than what they still owe, the gap
//!    opens a *deduction*: an issue with reason `short_payment`, in the customer's currency,
//!    open from the item's date, on the named documents it left open;
//! 2. else, to the payer's open invoices whose balance it matches exactly: the oldest single
//!    invoice of that balance, else the run of the oldest invoices that sums to it.
//!
//! Money no invoice takes stays unapplied on the payment and is listed. The item's image (a
//! file name in `DIR`) is attached to the payment, so the document it paid shows it too; an
//! image that is a symbolic link is refused (links are not followed: one could name any file
//! the user may read, which would be stored as a cheque image).
//!
//! Like `owed import`, the whole file is one transaction: a bad row stops it with a message
//! naming the file, line and column, and nothing is written. An item whose payment is
//! already in the database is left as it is (importing the same file again changes nothing);
//! one that comes back with another date, amount, currency or payer is refused.

use super::csv_error;
use super::quotes::QuoteCheck;
use super::row::{Header, Lines};
use crate::domain::action_checks::{Stamp, in_minor_units};
use crate::domain::attachment::{A_LINK, max_bytes, not_a_file, over_limit};
use crate::domain::date::{day_number, from_day_number};
use crate::domain::money::{self, plain};
use crate::domain::{Decimal, format};
use crate::error::quoted;
use crate::files::open_no_follow;
use crate::store::Store;
use crate::store::ledger::import::{ImportKind, ImportRun};
use crate::store::ledger::lockbox::{ChequePayment, LockboxWriter, OpenItem, Payer, Payers};
use crate::{Error, Result};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The file `owed lockbox import DIR` reads in `DIR`.
pub const FILE: &str = "lockbox.csv";

/// The prefix of the payments a lockbox file writes.
pub const PAYMENT_PREFIX: &str = "LBX-";

/// Options of one lockbox import.
#[derive(Debug, Clone)]
pub struct LockboxOptions {
    pub base_currency: String,
    /// The largest image kept, in megabytes (`max_attachment_mb`).
    pub max_attachment_mb: u64,
}

/// A deduction opened by a short payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deduction {
    /// The issue's id.
    pub issue: i64,
    pub payment: String,
    pub customer_id: String,
    /// The gap, in `currency` (the customer's).
    pub amount: Decimal,
    pub currency: String,
    /// The documents it is on (ids).
    pub documents: Vec<String>,
}

/// Money of an item that no invoice took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmatched {
    pub item_id: String,
    pub payment: String,
    pub customer_id: String,
    /// The cheque's amount and what of it stays unapplied, in `currency`.
    pub amount: Decimal,
    pub unapplied: Decimal,
    pub currency: String,
    /// Why, for people.
    pub reason: String,
}

/// How a lockbox import went.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockboxSummary {
    pub items: u64,
    /// Payments written by this run.
    pub payments: u64,
    /// Items whose payment was already in the database.
    pub unchanged: u64,
    /// Applications written.
    pub applications: u64,
    /// Images attached to their payment.
    pub images: u64,
    pub deductions: Vec<Deduction>,
    /// Every item with money left unapplied (those imported before too).
    pub unmatched: Vec<Unmatched>,
    /// Items that named references that are no open invoice of the payer in the cheque's
    /// currency (a typo, another customer's), whatever took their money (other invoices
    /// they name, an amount match, nothing): for someone to follow up.
    pub not_found: Vec<NotFound>,
}

impl LockboxSummary {
    /// What the run did, in one line (`lockbox.csv 4 items: 4 cheque payments written, …`),
    /// as the log of imports keeps it.
    pub fn per_file(&self) -> String {
        format!(
            "{FILE} {} items: {} cheque payments written, {} unchanged; {} applications; \
             {} images attached; {} deductions opened; {} items with money unapplied",
            self.items,
            self.payments,
            self.unchanged,
            self.applications,
            self.images,
            self.deductions.len(),
            self.unmatched.len()
        )
    }
}

/// References an item named that no open invoice of its payer answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotFound {
    pub item_id: String,
    pub payment: String,
    pub customer_id: String,
    pub currency: String,
    /// As the bank wrote them.
    pub references: Vec<String>,
}

/// One row of the file, checked.
#[derive(Debug, Clone)]
struct Item {
    line: u64,
    item_id: String,
    date: i32,
    /// Ten-thousandths of `currency`.
    amount: i64,
    currency: String,
    payer: String,
    check_number: Option<String>,
    invoices: Vec<String>,
    image: Option<String>,
}

/// An error about `column` of line `line`, like `owed import`'s.
fn at(line: u64, column: &str, message: impl std::fmt::Display) -> Error {
    Error::input(format!("{FILE} line {line}, column {column}: {message}"))
}

/// Imports `dir/lockbox.csv` in one transaction as `stamp`'s actor.
pub fn import_lockbox(
    store: &mut Store,
    dir: &Path,
    stamp: &Stamp,
    options: &LockboxOptions,
) -> Result<LockboxSummary> {
    let file = lockbox_file(dir)?;
    store.ensure_writable()?;
    store.check_base_currency(&options.base_currency)?;
    let items = read_items(&file)?;
    // The images are most of what is written: once into the file, not through the log,
    // when no one else has the database open.
    let rollback_journal = store.rollback_journal_if_alone()?;
    let result = write_items(store, dir, stamp, options, &items);
    let restored = if rollback_journal {
        store.wal_again()
    } else {
        Ok(())
    };
    let summary = result?;
    restored?;
    Ok(summary)
}

/// Writes the checked items in one transaction.
fn write_items(
    store: &mut Store,
    dir: &Path,
    stamp: &Stamp,
    options: &LockboxOptions,
    items: &[Item],
) -> Result<LockboxSummary> {
    let writer = store.ledger_mut().lockbox_writer(stamp)?;
    let payers = writer.payers()?;
    let mut run = Run {
        dir,
        stamp,
        options,
        payers: &payers,
        summary: LockboxSummary::default(),
    };
    for item in items {
        run.item(&writer, item)?;
    }
    let summary = run.summary;
    // In the log of imports with the run, as `owed import` is.
    let at = chrono::DateTime::parse_from_rfc3339(&stamp.at)
        .map_err(|e| Error::runtime(format!("the time {} does not read: {e}", stamp.at)))?;
    let file = dir.join(FILE);
    writer.record(&ImportRun {
        at: at.with_timezone(&chrono::Utc),
        actor: stamp.collector.clone(),
        files: vec![file.canonicalize().unwrap_or(file).display().to_string()],
        source: None,
        summary: summary.per_file(),
        kind: ImportKind::Lockbox,
    })?;
    writer.commit()?;
    Ok(summary)
}

/// `dir/lockbox.csv`, or the sentence saying why there is none.
fn lockbox_file(dir: &Path) -> Result<PathBuf> {
    let shown = quoted(&dir.display().to_string());
    if !dir.is_dir() {
        return Err(Error::input(format!(
            "{shown} is not a folder: give the lockbox folder that holds {FILE} and its images"
        )));
    }
    let file = dir.join(FILE);
    if !file.is_file() {
        return Err(Error::input(format!("{shown} holds no {FILE}")));
    }
    Ok(file)
}

/// Reads and checks every row; the first bad one stops the import.
fn read_items(path: &Path) -> Result<Vec<Item>> {
    let file =
        std::fs::File::open(path).map_err(|e| Error::input(format!("{}: {e}", path.display())))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(std::io::BufReader::new(QuoteCheck::new(file)));
    let names = reader
        .headers()
        .map_err(|e| csv_error(FILE, None, None, &e))?
        .clone();
    let header = Header::new(FILE, &names, &format::LOCKBOX)?;
    let mut lines = Lines::new(path);
    let mut record = csv::StringRecord::new();
    let mut items = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| csv_error(FILE, Some(&header), Some(&mut lines), &e))?
    {
        let line = record.position().map_or(0, |p| lines.of(p));
        let row = header.row(&record, line);
        row.check_lengths()?;
        let item_id = row.req("item_id")?.to_string();
        if let Some(first) = seen.insert(item_id.clone(), line) {
            return Err(row.error(
                "item_id",
                format!(
                    "the item {} is also on line {first} (each item once per file)",
                    quoted(&item_id)
                ),
            ));
        }
        let date = day_number(row.date("date")?);
        let amount = row.positive_amount("amount")?;
        let currency = row
            .opt_currency("currency")?
            .ok_or_else(|| row.error("currency", "required value is missing"))?;
        // A cheque is in its currency's minor units: 10.005 USD would be kept and shown as
        // 10.01.
        in_minor_units(amount, &currency).map_err(|e| row.error("amount", e))?;
        let amount = money::to_units(amount).map_err(|e| row.error("amount", e))?;
        let payer = row.req("payer")?.to_string();
        let invoices = row
            .opt("invoices")
            .map(|list| {
                let mut refs: Vec<String> = Vec::new();
                for r in list.split(';').map(str::trim).filter(|r| !r.is_empty()) {
                    if !refs.iter().any(|x| x == r) {
                        refs.push(r.to_string());
                    }
                }
                refs
            })
            .unwrap_or_default();
        let image = match row.opt("image") {
            None => None,
            Some(name) => Some(
                image_name(name)
                    .map_err(|e| row.error("image", e))?
                    .to_string(),
            ),
        };
        items.push(Item {
            line,
            item_id,
            date,
            amount,
            currency,
            payer,
            check_number: row.opt_string("check_number"),
            invoices,
            image,
        });
    }
    Ok(items)
}

/// An image's name: a plain file name in the lockbox folder (no folder, no way out of it).
fn image_name(name: &str) -> std::result::Result<&str, String> {
    let bad = name.contains(['/', '\\', '\0']) || name == "." || name == "..";
    if bad {
        return Err(format!(
            "{} is not a file name in the lockbox folder",
            quoted(name)
        ));
    }
    Ok(name)
}

/// One run over the file's items.
struct Run<'a> {
    dir: &'a Path,
    stamp: &'a Stamp,
    options: &'a LockboxOptions,
    payers: &'a Payers,
    summary: LockboxSummary,
}

impl<'a> Run<'a> {
    /// The customer an item's payer names: its id, else its name (one customer only).
    fn payer(&self, item: &Item) -> Result<&'a Payer> {
        let payers: &'a Payers = self.payers;
        if let Some(p) = payers.by_id.get(item.payer.as_str()) {
            return Ok(p);
        }
        match payers
            .by_name
            .get(&item.payer.trim().to_lowercase())
            .map(Vec::as_slice)
        {
            Some([one]) => Ok(one),
            Some(many) if many.len() > 1 => Err(at(
                item.line,
                "payer",
                format!(
                    "{} is the name of {} customers ({}): give the customer's id",
                    quoted(&item.payer),
                    many.len(),
                    many.iter()
                        .take(5)
                        .map(|p| quoted(&p.id))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            _ => Err(at(
                item.line,
                "payer",
                format!(
                    "no customer has the id or name {} (in the database)",
                    quoted(&item.payer)
                ),
            )),
        }
    }

    fn item(&mut self, w: &LockboxWriter, item: &Item) -> Result<()> {
        self.summary.items += 1;
        let payer = self.payer(item)?;
        let payment_id = format!("{PAYMENT_PREFIX}{}", item.item_id);
        let base = &self.options.base_currency;
        let rate = if item.currency == *base {
            "1".to_string()
        } else {
            w.rate_on_or_before(&item.currency, item.date)?
                .ok_or_else(|| {
                    at(
                        item.line,
                        "currency",
                        format!(
                            "no exchange rate for {} on or before {} (import it with \
                             exchange_rates.csv first)",
                            item.currency,
                            from_day_number(item.date)
                        ),
                    )
                })?
        };
        if !crate::domain::money::converts_within_store(money_of(item.amount), &rate) {
            return Err(at(
                item.line,
                "amount",
                format!(
                    "the amount {} {} is too large once converted to {base} at {rate} {base} \
                     per {}",
                    money_of(item.amount),
                    item.currency,
                    item.currency
                ),
            ));
        }
        if let Some(known) = w.payment(&payment_id)? {
            let same = known.cid == payer.cid
                && known.date == item.date
                && known.amount == item.amount
                && known.currency == item.currency;
            if !same {
                return Err(at(
                    item.line,
                    "item_id",
                    format!(
                        "item {} was imported before as payment {} with another payer, date, \
                         amount or currency; a bank item does not change",
                        quoted(&item.item_id),
                        quoted(&payment_id)
                    ),
                ));
            }
            self.summary.unchanged += 1;
            if known.unapplied > 0 {
                self.unmatched(
                    item,
                    payer,
                    &payment_id,
                    known.unapplied,
                    "imported before; still unapplied".into(),
                );
            }
            return Ok(());
        }
        // The image first: an unreadable one stops the import before this item writes.
        let image = match &item.image {
            Some(name) => Some((name, self.read_image(item, name)?)),
            None => None,
        };
        let pid = w.insert_payment(&ChequePayment {
            id: &payment_id,
            cid: payer.cid,
            date: item.date,
            amount: item.amount,
            currency: &item.currency,
            rate: &rate,
            reference: item.check_number.as_deref(),
        })?;
        self.summary.payments += 1;
        let Targets {
            docs: targets,
            named,
            missing,
            paid: paid_before,
        } = self.targets(w, item, payer)?;
        let mut left = item.amount;
        let mut owed: i64 = 0;
        let mut short: Vec<(i64, String)> = Vec::new();
        for t in &targets {
            owed += t.balance;
            let paid = left.min(t.balance);
            if paid > 0 {
                w.apply(pid, t.did, paid, item.date.max(t.doc_date))?;
                self.summary.applications += 1;
                left -= paid;
            }
            if t.balance > paid {
                short.push((t.did, t.id.clone()));
            }
        }
        if named && owed > item.amount {
            let gap = owed - item.amount;
            self.deduction(w, item, payer, &payment_id, gap, &short)?;
        }
        // A reference that named nothing payable is listed whatever took the money (the
        // invoices it names, an amount match, nothing): someone has to follow it up, and an
        // amount match would otherwise hide it without a word.
        let shown_missing = missing
            .iter()
            .map(|r| quoted(r))
            .collect::<Vec<_>>()
            .join(", ");
        // So is one that named only invoices already paid: the cheque may pay them twice.
        if !missing.is_empty() || !paid_before.is_empty() {
            self.summary.not_found.push(NotFound {
                item_id: item.item_id.clone(),
                payment: payment_id.clone(),
                customer_id: payer.id.clone(),
                currency: item.currency.clone(),
                references: item
                    .invoices
                    .iter()
                    .filter(|r| missing.contains(r) || paid_before.contains(r))
                    .cloned()
                    .collect(),
            });
        }
        let also_missing = if named && !missing.is_empty() {
            format!(
                "; {shown_missing} named no open invoice of the payer in {}",
                item.currency
            )
        } else {
            String::new()
        };
        if left > 0 {
            let reason = if named && owed == 0 {
                format!("the invoices it names are already paid{also_missing}")
            } else if named {
                format!(
                    "{} more than the invoices it names still owe{also_missing}",
                    plain(money::from_units(left), &item.currency)
                )
            } else if !missing.is_empty() {
                format!(
                    "{shown_missing} named no open invoice of the payer in {}, and no open \
                     invoice or run of the oldest matches its amount",
                    item.currency
                )
            } else {
                format!(
                    "no invoice named, and no open invoice of the payer in {} or run of the \
                     oldest matches its amount",
                    item.currency
                )
            };
            self.unmatched(item, payer, &payment_id, left, reason);
        }
        if let Some((name, bytes)) = image {
            w.attach_to_payment(self.stamp, payer.cid, pid, name, &bytes)?;
            self.summary.images += 1;
        }
        Ok(())
    }

    /// What an item pays: the named invoices it finds, else those matching its amount; and
    /// the references it could not use.
    fn targets(&self, w: &LockboxWriter, item: &Item, payer: &Payer) -> Result<Targets> {
        let mut found: Vec<OpenItem> = Vec::new();
        let (mut missing, mut paid) = (Vec::new(), Vec::new());
        for reference in &item.invoices {
            let docs: Vec<OpenItem> = w
                .named_documents(payer.cid, reference, item.date)?
                .into_iter()
                .filter(|d| d.currency == item.currency)
                .collect();
            if docs.is_empty() {
                missing.push(reference.clone());
            } else if docs.iter().all(|d| d.balance == 0) {
                paid.push(reference.clone());
            }
            for d in docs {
                if !found.iter().any(|f| f.did == d.did) {
                    found.push(d);
                }
            }
        }
        if !found.is_empty() {
            found.sort_by_key(|d| (d.doc_date, d.due_date, d.did));
            return Ok(Targets {
                docs: found,
                named: true,
                missing,
                paid,
            });
        }
        let open = w.open_items(payer.cid, &item.currency, item.date)?;
        Ok(Targets {
            docs: matching(&open, item.amount),
            named: false,
            missing,
            paid,
        })
    }

    fn deduction(
        &mut self,
        w: &LockboxWriter,
        item: &Item,
        payer: &Payer,
        payment_id: &str,
        gap: i64,
        short: &[(i64, String)],
    ) -> Result<()> {
        let base = &self.options.base_currency;
        let own = payer.currency.clone().unwrap_or_else(|| base.clone());
        let amount = if own == item.currency {
            money::from_units(gap)
        } else {
            let rate = |cur: &str| -> Result<Decimal> {
                if cur == base {
                    return Ok(Decimal::ONE);
                }
                w.rate_on_or_before(cur, item.date)?
                    .map_or(Ok(Decimal::ONE), |r| crate::store::stored_rate(&r))
            };
            let (from, to) = (rate(&item.currency)?, rate(&own)?);
            money::round_to_currency(money::from_units(gap) * from / to, &own)
        };
        let units = money::to_units(amount).map_err(|e| at(item.line, "amount", e))?;
        let documents: Vec<String> = short.iter().map(|(_, id)| id.clone()).collect();
        let text = format!(
            "Short payment: cheque {} (lockbox item {}, payment {payment_id}) paid {} {} of {} \
             {} owed on {}.",
            item.check_number.as_deref().unwrap_or("without number"),
            item.item_id,
            plain(money::from_units(item.amount), &item.currency),
            item.currency,
            plain(money::from_units(item.amount + gap), &item.currency),
            item.currency,
            item.invoices.join(", ")
        );
        let dids: Vec<i64> = short.iter().map(|(did, _)| *did).collect();
        let issue = w.open_deduction(self.stamp, payer.cid, units, item.date, &dids, &text)?;
        self.summary.deductions.push(Deduction {
            issue,
            payment: payment_id.to_string(),
            customer_id: payer.id.clone(),
            amount,
            currency: own,
            documents,
        });
        Ok(())
    }

    fn unmatched(
        &mut self,
        item: &Item,
        payer: &Payer,
        payment_id: &str,
        left: i64,
        reason: String,
    ) {
        self.summary.unmatched.push(Unmatched {
            item_id: item.item_id.clone(),
            payment: payment_id.to_string(),
            customer_id: payer.id.clone(),
            amount: money::from_units(item.amount),
            unapplied: money::from_units(left),
            currency: item.currency.clone(),
            reason,
        });
    }

    /// An item's image from the lockbox folder, within `max_attachment_mb`.
    fn read_image(&self, item: &Item, name: &str) -> Result<Vec<u8>> {
        use std::io::Read;
        let path = self.dir.join(name);
        let max_mb = self.options.max_attachment_mb;
        let limit = max_bytes(max_mb);
        let cannot = |e: std::io::Error| {
            at(
                item.line,
                "image",
                format!("cannot read {}: {e}", quoted(name)),
            )
        };
        let refuse = |what: &str| at(item.line, "image", format!("{} is {what}", quoted(name)));
        // Looked at before it is opened, as itself: a link is not followed (it could name
        // any file this user may read), and opening a pipe would wait for a writer.
        if let Some(what) = not_a_file(
            std::fs::symlink_metadata(&path)
                .map_err(cannot)?
                .file_type(),
        ) {
            return Err(refuse(what));
        }
        // Swapped for a link or a pipe since: not read either.
        let file = open_no_follow(&path)
            .map_err(cannot)?
            .ok_or_else(|| refuse(A_LINK))?;
        let meta = file.metadata().map_err(cannot)?;
        if let Some(what) = not_a_file(meta.file_type()) {
            return Err(refuse(what));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
        if bytes.len() as u64 > limit {
            return Err(at(
                item.line,
                "image",
                format!(
                    "{} {}",
                    quoted(name),
                    over_limit(meta.len().max(bytes.len() as u64), max_mb)
                ),
            ));
        }
        Ok(bytes)
    }
}

/// The open items (oldest first) an amount pays exactly: the oldest single item of that
/// balance, else the run of the oldest items that sums to it; else none.
fn matching(open: &[OpenItem], amount: i64) -> Vec<OpenItem> {
    if let Some(one) = open.iter().find(|d| d.balance == amount) {
        return vec![one.clone()];
    }
    let mut sum = 0;
    for (i, d) in open.iter().enumerate() {
        sum += d.balance;
        if sum == amount {
            return open[..=i].to_vec();
        }
        if sum > amount {
            break;
        }
    }
    Vec::new()
}

/// What an item pays ([`Run::targets`]).
struct Targets {
    docs: Vec<OpenItem>,
    /// The docs are invoices the item names (else those matching its amount).
    named: bool,
    /// References that named nothing of the payer's in the cheque's currency.
    missing: Vec<String>,
    /// References that named only invoices already paid (a second payment, to follow up).
    paid: Vec<String>,
}

/// An item's amount, from store units.
fn money_of(units: i64) -> crate::domain::Decimal {
    crate::domain::money::from_units(units).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(did: i64, balance: i64) -> OpenItem {
        OpenItem {
            did,
            id: format!("I{did}"),
            number: None,
            doc_date: 0,
            due_date: None,
            currency: "USD".into(),
            balance,
        }
    }

    #[test]
    fn an_amount_matches_one_item_or_a_run_of_the_oldest() {
        let open = [item(1, 100), item(2, 50), item(3, 50), item(4, 70)];
        let dids = |v: Vec<OpenItem>| v.iter().map(|d| d.did).collect::<Vec<_>>();
        // The oldest single item of that balance wins over a run.
        assert_eq!(dids(matching(&open, 50)), [2]);
        assert_eq!(dids(matching(&open, 150)), [1, 2]);
        assert_eq!(dids(matching(&open, 200)), [1, 2, 3]);
        // 170 is items 1 and 4, not a run of the oldest: nothing.
        assert!(matching(&open, 170).is_empty());
        assert!(matching(&[], 10).is_empty());
    }

    #[test]
    fn image_names_stay_in_the_folder() {
        assert!(image_name("cheque-1.png").is_ok());
        for bad in ["../x.png", "a/b.png", "..", ".", "a\\b", "x\0"] {
            assert!(image_name(bad).is_err(), "{bad}");
        }
    }
}
