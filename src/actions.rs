//! Collector actions, one function per action, shared by the command line and the
//! workstation's forms.
//!
//! Each function takes the fields as the collector typed them, checks them with the pure
//! checks of [`crate::domain::actions`] against what the store holds (the customer, the
//! documents), and records the action in one transaction. Bad input is an
//! [`Error::Input`] with one sentence, and nothing is written. On success it returns a
//! [`Recorded`] whose `message` is the line to show.
//!
//! The [`Stamp`] (collector, timestamp, as-of day) is made by the caller, which reads the
//! clock.

use crate::config::Config;
use crate::domain::actions::{self as check, OwnerRole, Stamp};
use crate::domain::money::{grouped, round_to_currency};
use crate::domain::text::one_line;
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::store::actions::{NewIssue, NewPromise};
use crate::store::actions::{OpenDebit, Touched};
use crate::store::activity::CustomerCard;
use crate::{Error, Result};
use std::collections::HashMap;

/// What kind of record an action wrote or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Note,
    Promise,
    Issue,
    Followup,
    Assign,
}

/// The outcome of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub kind: RecordKind,
    /// The id of the record written or changed (a note, a promise, an issue, a follow-up, an
    /// owner change).
    pub id: i64,
    /// The customer concerned: what a view must re-read.
    pub cid: i64,
    /// One line saying what was recorded.
    pub message: String,
}

fn input<T>(r: std::result::Result<T, String>) -> Result<T> {
    r.map_err(Error::Input)
}

/// Looks a customer up by the billing system's id.
pub fn customer(store: &Store, id: &str, base: &str) -> Result<CustomerCard> {
    let id = id.trim();
    if id.is_empty() {
        return Err(Error::input("the customer is missing"));
    }
    store.customer_card_by_id(id, base)?.ok_or_else(|| {
        Error::input(format!(
            "customer {} does not exist",
            crate::error::quoted(id)
        ))
    })
}

/// A customer for an action that shows no amount: its currency is not needed (left empty
/// when the billing system gave none).
fn named(store: &Store, id: &str) -> Result<CustomerCard> {
    customer(store, id, "")
}

fn label(c: &CustomerCard) -> String {
    format!("{} ({})", one_line(&c.id), one_line(&c.name))
}

fn documents(store: &Store, c: &CustomerCard, named: &[String]) -> Result<Vec<i64>> {
    let found = store.document_owners(named)?;
    input(check::documents(&c.id, named, &found))
}

fn document_list(named: &[String]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for id in named.iter().map(|s| s.trim()) {
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen.join(", ")
}

/// Logs a note on a customer.
pub fn note(store: &mut Store, stamp: &Stamp, customer_id: &str, text: &str) -> Result<Recorded> {
    let c = named(store, customer_id)?;
    let text = input(check::required_text("note", text))?;
    let id = store.add_note(stamp, c.cid, &text)?;
    Ok(Recorded {
        kind: RecordKind::Note,
        id,
        cid: c.cid,
        message: format!("Note {id} recorded for {}.", label(&c)),
    })
}

/// A promise to pay as typed.
#[derive(Debug, Clone, Default)]
pub struct PromiseForm<'a> {
    pub customer: &'a str,
    /// In the customer's currency.
    pub amount: &'a str,
    /// `YYYY-MM-DD`, `+7d`, a weekday name, … relative to the stamp's day.
    pub date: &'a str,
    /// Document ids; none: the promise covers the customer as a whole.
    pub documents: &'a [String],
    pub text: Option<&'a str>,
}

/// Records a promise to pay.
pub fn promise(
    store: &mut Store,
    stamp: &Stamp,
    config: &Config,
    form: &PromiseForm,
) -> Result<Recorded> {
    let c = customer(store, form.customer, &config.base_currency)?;
    let amount = input(check::amount(form.amount))?;
    let date = input(check::future_date("promise date", form.date, stamp.today))?;
    let dids = documents(store, &c, form.documents)?;
    let id = store.add_promise(
        stamp,
        &NewPromise {
            cid: c.cid,
            amount,
            date,
            dids,
            text: check::optional_text(form.text),
        },
    )?;
    let covers = if form.documents.is_empty() {
        String::new()
    } else {
        format!(" for {}", document_list(form.documents))
    };
    Ok(Recorded {
        kind: RecordKind::Promise,
        id,
        cid: c.cid,
        message: format!(
            "Promise {id} recorded: {} to pay {} {} by {date}{covers}.",
            label(&c),
            grouped(amount, &c.currency),
            c.currency
        ),
    })
}

/// Voids a promise (`promise` is its number).
pub fn void_promise(
    store: &mut Store,
    stamp: &Stamp,
    promise: &str,
    text: Option<&str>,
) -> Result<Recorded> {
    let text = check::optional_text(text);
    change(RecordKind::Promise, "promise", promise, "voided", |id| {
        store.void_promise(stamp, id, text.as_deref())
    })
}

/// An issue / dispute as typed.
#[derive(Debug, Clone, Default)]
pub struct DisputeForm<'a> {
    pub customer: &'a str,
    /// One of the config's `dispute_reasons`.
    pub reason: &'a str,
    /// In the customer's currency; `None`: the named documents' open balances, else the
    /// customer's overdue amount (see [`dispute_default_amount`]).
    pub amount: Option<&'a str>,
    pub documents: &'a [String],
    pub text: Option<&'a str>,
}

/// Opens an issue / dispute.
pub fn dispute(
    store: &mut Store,
    stamp: &Stamp,
    config: &Config,
    form: &DisputeForm,
) -> Result<Recorded> {
    let base = &config.base_currency;
    let c = customer(store, form.customer, base)?;
    let reason = input(check::reason(form.reason, &config.dispute_reasons))?;
    let amount = match form.amount {
        Some(text) => Some(input(check::amount(text))?),
        None => None,
    };
    let dids = documents(store, &c, form.documents)?;
    let amount = match amount {
        Some(a) => a,
        None => dispute_default_amount(store, &c, &dids, stamp.today, base)?,
    };
    let id = store.open_issue(
        stamp,
        &NewIssue {
            cid: c.cid,
            reason: reason.clone(),
            amount,
            dids,
            text: check::optional_text(form.text),
        },
    )?;
    let on = if form.documents.is_empty() {
        String::new()
    } else {
        format!(" on {}", document_list(form.documents))
    };
    Ok(Recorded {
        kind: RecordKind::Issue,
        id,
        cid: c.cid,
        message: format!(
            "Issue {id} opened for {}: {reason}, {} {}{on}.",
            label(&c),
            grouped(amount, &c.currency),
            c.currency
        ),
    })
}

/// Resolves an open issue (`issue` is its number) with an optional resolution text.
pub fn resolve(
    store: &mut Store,
    stamp: &Stamp,
    issue: &str,
    text: Option<&str>,
) -> Result<Recorded> {
    let text = check::optional_text(text);
    change(RecordKind::Issue, "issue", issue, "resolved", |id| {
        store.resolve_issue(stamp, id, text.as_deref())
    })
}

/// Reopens a resolved issue.
pub fn reopen(
    store: &mut Store,
    stamp: &Stamp,
    issue: &str,
    text: Option<&str>,
) -> Result<Recorded> {
    let text = check::optional_text(text);
    change(RecordKind::Issue, "issue", issue, "reopened", |id| {
        store.reopen_issue(stamp, id, text.as_deref())
    })
}

/// Schedules a follow-up.
pub fn followup(
    store: &mut Store,
    stamp: &Stamp,
    customer_id: &str,
    date: &str,
    text: &str,
) -> Result<Recorded> {
    let c = named(store, customer_id)?;
    let date = input(check::future_date("follow-up date", date, stamp.today))?;
    let text = input(check::required_text("follow-up text", text))?;
    let id = store.add_followup(stamp, c.cid, date, &text)?;
    Ok(Recorded {
        kind: RecordKind::Followup,
        id,
        cid: c.cid,
        message: format!("Follow-up {id} scheduled for {} on {date}.", label(&c)),
    })
}

/// Marks a follow-up done.
pub fn done(store: &mut Store, stamp: &Stamp, followup: &str) -> Result<Recorded> {
    change(RecordKind::Followup, "follow-up", followup, "done", |id| {
        store.complete_followup(stamp, id)
    })
}

/// An action on an existing record: checks its number as typed (`number`, of a `noun`),
/// lets `write` record the change, and says "`Noun` N `done`."
fn change(
    kind: RecordKind,
    noun: &str,
    number: &str,
    done: &str,
    write: impl FnOnce(i64) -> Result<Touched>,
) -> Result<Recorded> {
    let id = input(check::record_id(noun, number))?;
    let touched = write(id)?;
    Ok(Recorded {
        kind,
        id,
        cid: touched.cid,
        message: format!("{} {id} {done}.", capitalised(noun)),
    })
}

/// Makes `owner` the customer's finance (or sales) owner.
pub fn assign(
    store: &mut Store,
    stamp: &Stamp,
    customer_id: &str,
    role: OwnerRole,
    owner: &str,
) -> Result<Recorded> {
    let c = named(store, customer_id)?;
    let owner = input(check::owner(owner))?;
    let change = store.assign_owner(stamp, c.cid, role, &owner)?;
    let was = change
        .old_owner
        .map_or_else(|| "was unassigned".to_string(), |o| format!("was {o}"));
    Ok(Recorded {
        kind: RecordKind::Assign,
        id: change.id,
        cid: c.cid,
        message: format!(
            "Owner change {}: {} of {} is now {owner} ({was}).",
            change.id,
            capitalised(role.label()),
            label(&c)
        ),
    })
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// What a form pre-fills for a customer as of a date, in the customer's currency.
#[derive(Debug, Clone, PartialEq)]
pub struct FormDefaults {
    pub currency: String,
    /// The customer's overdue amount: the default amount of a promise.
    pub overdue: Decimal,
    /// Ids of the overdue documents, oldest due date first: the default documents when none
    /// are marked.
    pub overdue_documents: Vec<String>,
    /// Open balance of every open invoice / debit note, by id.
    pub open_balances: HashMap<String, Decimal>,
}

/// The defaults of the promise and dispute forms for a customer as of `as_of`.
pub fn form_defaults(
    store: &Store,
    customer_id: &str,
    as_of: Date,
    base: &str,
) -> Result<FormDefaults> {
    let c = customer(store, customer_id, base)?;
    let debits = open_debits(store, &c, as_of, base)?;
    let overdue: Vec<&(OpenDebit, Decimal)> = debits
        .iter()
        .filter(|(d, _)| is_overdue(d, as_of))
        .collect();
    Ok(FormDefaults {
        currency: c.currency.clone(),
        overdue: overdue.iter().map(|(_, b)| *b).sum(),
        overdue_documents: overdue.iter().map(|(d, _)| d.id.clone()).collect(),
        open_balances: debits.iter().map(|(d, b)| (d.id.clone(), *b)).collect(),
    })
}

/// The amount of a dispute when none is typed: the named documents' open balances at
/// `as_of`, else (no documents named) the customer's overdue amount; in the customer's
/// currency.
pub fn dispute_default_amount(
    store: &Store,
    c: &CustomerCard,
    dids: &[i64],
    as_of: Date,
    base: &str,
) -> Result<Decimal> {
    let debits = open_debits(store, c, as_of, base)?;
    Ok(debits
        .iter()
        .filter(|(d, _)| {
            if dids.is_empty() {
                is_overdue(d, as_of)
            } else {
                dids.contains(&d.did)
            }
        })
        .map(|(_, b)| *b)
        .sum())
}

fn is_overdue(d: &OpenDebit, as_of: Date) -> bool {
    d.due_date.is_some_and(|due| due < as_of)
}

/// The customer's open invoices and debit notes at `as_of`, oldest due first, each with its
/// balance in the customer's currency (converted through the base currency when the document
/// is in another one).
fn open_debits(
    store: &Store,
    c: &CustomerCard,
    as_of: Date,
    base: &str,
) -> Result<Vec<(OpenDebit, Decimal)>> {
    let mut rates = crate::store::rates::RateCache::new(store, base);
    let own_rate = rates.rate(&c.currency, crate::domain::date::day_number(as_of))?;
    Ok(store
        .customer_open_debits(c.cid, as_of)?
        .into_iter()
        .map(|d| {
            let balance = if d.currency == c.currency || own_rate.is_zero() {
                d.balance
            } else {
                round_to_currency(d.balance * d.rate / own_rate, &c.currency)
            };
            (d, balance)
        })
        .collect())
}
