//! Collector actions, one function per action, shared by the command line and the
//! workstation's forms.
//!
//! Each function takes the fields as the collector typed them, checks them with the pure
//! checks of [`crate::domain::action_checks`] against what the store holds (the customer, the
//! documents), and records the action, the checks and the write in one write transaction
//! taken before the checks read ([`Store::in_one_write`]): two collectors acting at the same
//! moment are checked one after the other, the second against the first's write (two
//! promises each of all a customer has open were both recorded). Bad input is an
//! [`Error::Input`] with one sentence, and nothing is written. On success it returns a
//! [`Recorded`] whose `message` is the line to show.
//!
//! The [`Stamp`] (collector, timestamp, as-of day) is made by the caller, which reads the
//! clock, and refuses an as-of day after today ([`check::dated_by_today`]): a record dated in
//! the future would be in no view until then. One at an earlier day is back-dated, and its
//! [`Recorded::said`] says so.

use crate::config::Config;
use crate::domain::action_checks::{self as check, Outcome, OwnerRole, Stamp};
use crate::domain::calls::{CallOutcome, followup_text};
use crate::domain::money::{grouped, round_to_currency};
use crate::domain::text::one_line;
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::store::activity::CustomerCard;
use crate::store::activity::action_writes::{NewCall, NewIssue, NewPromise};
use crate::store::activity::action_writes::{OpenDebit, Touched};
use crate::store::activity::attachments::{NewAttachments, NewFile};
use crate::{Error, Result};
use std::collections::{HashMap, HashSet};

/// What kind of record an action wrote or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    Note,
    Promise,
    Issue,
    Followup,
    Assign,
    Call,
    Attachment,
}

/// The outcome of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    pub kind: RecordKind,
    /// The id of the record written or changed (a note, a promise, an issue, a follow-up, an
    /// owner change, the first attachment).
    pub id: i64,
    /// The customer concerned: what a view must re-read.
    pub cid: i64,
    /// One line saying what was recorded.
    pub message: String,
    /// The as-of date the action was taken at, when the record is dated by the moment it was
    /// written and that moment's day is later (see `Recorded::dated_by`): views as of that
    /// date leave the record out.
    pub after_as_of: Option<Date>,
    /// The as-of date the action was taken at, when the record counts from it and it is
    /// before the day it was written (see `Recorded::counted_from`): the record is
    /// back-dated to it.
    pub back_dated: Option<Date>,
}

impl Recorded {
    /// A record counted from the as-of date (a promise, an issue and its events).
    fn new(kind: RecordKind, id: i64, cid: i64, message: String) -> Recorded {
        Recorded {
            kind,
            id,
            cid,
            message,
            after_as_of: None,
            back_dated: None,
        }
    }

    /// A record counted from the date the action is taken as of (`stamp.today`) — a promise,
    /// an issue opened, resolved or reopened. When that date is before the day it is written
    /// (in this machine's time zone), the record says so: it is back-dated.
    fn counted_from(mut self, stamp: &Stamp) -> Recorded {
        if crate::store::local_day(&stamp.at).is_some_and(|day| day > stamp.today) {
            self.back_dated = Some(stamp.today);
        }
        self
    }

    /// A record dated by the moment it is written — a note, a call, a follow-up set or done, a
    /// void, an owner change, an attachment — unlike a promise or an issue, which count from the
    /// date the action is taken as of (`stamp.today`). When that moment's day (in this
    /// machine's time zone) is after the as-of date, the record says so: views as of that date
    /// leave it out, and a collector looking at an earlier date would otherwise look for it in
    /// vain.
    fn dated_by(mut self, stamp: &Stamp) -> Recorded {
        if crate::store::local_day(&stamp.at).is_some_and(|day| day > stamp.today) {
            self.after_as_of = Some(stamp.today);
        }
        self
    }

    /// What the command line prints: the message, and when the record is dated after the
    /// as-of date, or back-dated to it, a sentence saying so.
    pub fn said(&self) -> String {
        match (self.after_as_of, self.back_dated) {
            (Some(as_of), _) => format!(
                "{} Dated today: the detail's timeline as of {as_of} leaves it out.",
                self.message
            ),
            (None, Some(as_of)) => format!(
                "{} {}.",
                self.message,
                capitalised(&check::back_dated(as_of))
            ),
            (None, None) => self.message.clone(),
        }
    }
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
    store
        .activity()
        .customer_card_by_id(id, base)?
        .ok_or_else(|| {
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

/// An amount in the customer's currency as messages show it: `1,250.50 USD`.
fn amount_label(amount: Decimal, c: &CustomerCard) -> String {
    format!("{} {}", grouped(amount, &c.currency), c.currency)
}

/// The documents an action names, after `preposition` (` for I1, I2`); empty for none.
fn documents_label(preposition: &str, named: &str) -> String {
    if named.is_empty() {
        String::new()
    } else {
        format!(" {preposition} {}", one_line(named))
    }
}

/// The documents named for a customer, each by its id or its number
/// ([`check::OVERDUE_DOCUMENTS`]: its overdue documents not in dispute on `today`): their keys,
/// in the order named without repeats, and how messages name them (their numbers, else their
/// ids; the first few and how many more).
fn documents(
    store: &Store,
    c: &CustomerCard,
    named: &[String],
    today: Date,
) -> Result<(Vec<i64>, String)> {
    let word = check::OVERDUE_DOCUMENTS;
    // The word's documents as read with their balances: not looked up one by one, each a pass
    // over the customer's documents (28,510 of them took minutes).
    let overdue = overdue_documents(store, c, named, today)?;
    let expands = |n: &String| overdue.is_some() && n.trim() == word;
    let names: Vec<String> = named.iter().filter(|n| !expands(n)).cloned().collect();
    let found = store.activity().document_owners(c.cid, &names)?;
    input(check::documents(&c.id, &names, &found, today))?;
    let (mut dids, mut labels) = (Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    let mut found = found.iter().flatten();
    for n in named {
        let docs: Vec<(i64, &str)> = if expands(n) {
            let all = overdue.as_deref().unwrap_or_default();
            all.iter().map(|(did, l)| (*did, l.as_str())).collect()
        } else {
            found
                .next()
                .map(|d| (d.did, d.label.as_str()))
                .into_iter()
                .collect()
        };
        for (did, label) in docs {
            if seen.insert(did) {
                dids.push(did);
                labels.push(label);
            }
        }
    }
    Ok((dids, check::documents_line(&labels)))
}

/// When `named` holds [`check::OVERDUE_DOCUMENTS`] (and no document of the customer is called
/// so): the customer's overdue documents not in dispute on `today`, oldest due date first, each
/// with its label; refused when there is none (saved so, the action would be on the customer as
/// a whole).
fn overdue_documents(
    store: &Store,
    c: &CustomerCard,
    named: &[String],
    today: Date,
) -> Result<Option<Vec<(i64, String)>>> {
    let word = check::OVERDUE_DOCUMENTS;
    if !named.iter().any(|n| n.trim() == word) {
        return Ok(None);
    }
    let own = store
        .activity()
        .document_owners(c.cid, &[word.to_string()])?;
    if own.iter().flatten().any(|d| d.customer_id == c.id) {
        return Ok(None);
    }
    let disputed = store.activity().disputed_documents(Some(c.cid), today)?;
    let overdue: Vec<(i64, String)> = store
        .ledger()
        .customer_open_debits(c.cid, today)?
        .into_iter()
        .filter(|d| is_overdue(d, today) && !disputed.contains(&d.did))
        .map(|d| {
            let label = crate::domain::document::label(&d.id, d.number.as_deref()).to_string();
            (d.did, label)
        })
        .collect();
    if overdue.is_empty() && named.iter().all(|n| n.trim() == word) {
        return Err(Error::input(format!(
            "no document of {} is overdue and out of dispute, so `{word}` names none: name \
             documents, or none",
            label(c)
        )));
    }
    Ok(Some(overdue))
}

/// Logs a note on a customer.
pub fn note(store: &mut Store, stamp: &Stamp, customer_id: &str, text: &str) -> Result<Recorded> {
    store.in_one_write(|store| {
        let c = named(store, customer_id)?;
        let text = input(check::required_text("note", text))?;
        let id = store.activity_mut().add_note(stamp, c.cid, &text)?;
        let message = format!("Note {id} recorded for {}.", label(&c));
        Ok(Recorded::new(RecordKind::Note, id, c.cid, message).dated_by(stamp))
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
    store.in_one_write(|store| {
        let c = customer(store, form.customer, &config.base_currency)?;
        let amount = input(check::amount(form.amount))?;
        input(check::in_minor_units(amount, &c.currency))?;
        let date = input(check::future_date("promise date", form.date, stamp.today))?;
        let (dids, named) = documents(store, &c, form.documents, stamp.today)?;
        // No more than is open on the documents it names, or on all the customer's.
        let on: HashSet<i64> = dids.iter().copied().collect();
        let open = open_where(store, &c, stamp.today, &config.base_currency, |d| {
            dids.is_empty() || on.contains(&d.did)
        })?;
        input(check::promise_within_open(
            amount,
            open,
            !dids.is_empty(),
            &c.currency,
        ))?;
        // With the customer's open promises, no more than it has open in all.
        let promised = open_promised(store, &c, stamp.today, config)?;
        let open_in_all = if dids.is_empty() {
            open
        } else {
            open_where(store, &c, stamp.today, &config.base_currency, |_| true)?
        };
        input(check::promises_within_open(
            amount,
            promised.total,
            &promised.ids,
            open_in_all,
            &c.currency,
        ))?;
        let id = store.activity_mut().add_promise(
            stamp,
            &NewPromise {
                cid: c.cid,
                amount,
                date,
                dids,
                text: check::optional_text(form.text),
            },
        )?;
        let message = format!(
            "Promise {id} recorded: {} to pay {} by {date}{}.",
            label(&c),
            amount_label(amount, &c),
            documents_label("for", &named)
        );
        Ok(Recorded::new(RecordKind::Promise, id, c.cid, message).counted_from(stamp))
    })
}

/// Voids a promise (`promise` is its number).
pub fn void_promise(
    store: &mut Store,
    stamp: &Stamp,
    promise: &str,
    text: Option<&str>,
) -> Result<Recorded> {
    store.in_one_write(|store| {
        let text = check::optional_text(text);
        let voided = change(RecordKind::Promise, "promise", promise, "voided", |id| {
            store
                .activity_mut()
                .void_promise(stamp, id, text.as_deref())
        })?;
        Ok(voided.dated_by(stamp))
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
    store.in_one_write(|store| {
        let base = &config.base_currency;
        let c = customer(store, form.customer, base)?;
        let reason = input(check::reason(form.reason, &config.dispute_reasons))?;
        let amount = match form.amount {
            Some(text) => {
                let amount = input(check::amount(text))?;
                input(check::in_minor_units(amount, &c.currency))?;
                Some(amount)
            }
            None => None,
        };
        let (dids, named) = documents(store, &c, form.documents, stamp.today)?;
        let amount = match amount {
            Some(a) if !dids.is_empty() => {
                // What the documents amount to in all, paid or not, in the customer's currency.
                let own = own_rate(store, &c, stamp.today, base)?;
                let total: Decimal = store
                    .ledger()
                    .document_amounts(&dids)?
                    .into_iter()
                    .map(|(amount, currency, rate)| {
                        in_own_currency(amount, (&currency, rate), &c, own)
                    })
                    .sum();
                input(check::dispute_within_documents(a, total, &c.currency))?;
                a
            }
            Some(a) => a,
            None => match dispute_default_amount(store, &c, &dids, stamp.today, base)? {
                zero if zero.is_zero() => {
                    // Who may not write here is told so first.
                    store.activity().may(
                        &stamp.actor(),
                        crate::domain::users::Work::Dispute,
                        Some(c.cid),
                    )?;
                    return Err(Error::input(if named.is_empty() {
                        "nothing is overdue to dispute: give the amount in dispute with --amount"
                            .to_string()
                    } else {
                        format!(
                            "nothing is open on {}: give the amount in dispute with --amount",
                            one_line(&named)
                        )
                    }));
                }
                amount => amount,
            },
        };
        let id = store.activity_mut().open_issue(
            stamp,
            &NewIssue {
                cid: c.cid,
                reason: reason.clone(),
                amount,
                dids,
                text: check::optional_text(form.text),
            },
        )?;
        let message = format!(
            "Issue {id} opened for {}: {reason}, {}{}.",
            label(&c),
            amount_label(amount, &c),
            documents_label("on", &named)
        );
        Ok(Recorded::new(RecordKind::Issue, id, c.cid, message).counted_from(stamp))
    })
}

/// Resolves an open issue (`issue` is its number) with an optional resolution text.
pub fn resolve(
    store: &mut Store,
    stamp: &Stamp,
    issue: &str,
    text: Option<&str>,
) -> Result<Recorded> {
    resolve_with(store, stamp, issue, None, text)
}

/// Resolves an open issue or deduction with an outcome as typed (`valid`, `invalid` or
/// `written_off`, the last a manager's) and an optional resolution text.
pub fn resolve_with(
    store: &mut Store,
    stamp: &Stamp,
    issue: &str,
    outcome: Option<&str>,
    text: Option<&str>,
) -> Result<Recorded> {
    store.in_one_write(|store| {
        let outcome = outcome
            .map(Outcome::parse)
            .transpose()
            .map_err(Error::Input)?;
        let text = check::optional_text(text);
        let done = match outcome {
            Some(o) => format!("resolved ({})", o.label()),
            None => "resolved".to_string(),
        };
        let resolved = change(RecordKind::Issue, "issue", issue, &done, |id| {
            store
                .activity_mut()
                .resolve_issue_with_outcome(stamp, id, text.as_deref(), outcome)
        })?;
        Ok(resolved.counted_from(stamp))
    })
}

/// Reopens a resolved issue.
pub fn reopen(
    store: &mut Store,
    stamp: &Stamp,
    issue: &str,
    text: Option<&str>,
) -> Result<Recorded> {
    store.in_one_write(|store| {
        let text = check::optional_text(text);
        let reopened = change(RecordKind::Issue, "issue", issue, "reopened", |id| {
            store
                .activity_mut()
                .reopen_issue(stamp, id, text.as_deref())
        })?;
        Ok(reopened.counted_from(stamp))
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
    store.in_one_write(|store| {
        let c = named(store, customer_id)?;
        let date = input(check::future_date(
            "follow-up date",
            date,
            written_on(stamp),
        ))?;
        let text = input(check::required_text("follow-up text", text))?;
        let id = store
            .activity_mut()
            .add_followup(stamp, c.cid, date, &text)?;
        let message = format!("Follow-up {id} scheduled for {} on {date}.", label(&c));
        Ok(Recorded::new(RecordKind::Followup, id, c.cid, message).dated_by(stamp))
    })
}

/// The day `stamp`'s write is made on, in the ledger's time zone (the day of its moment; never
/// before its as-of day): a follow-up is dated when it is written, so `+1d`, `today` or a
/// weekday count from it and a day before it is refused, however far back `--as-of` or
/// `:asof` dates the write (`--as-of 2026-11-20 followup K3 --date +1d` was scheduled for
/// 2026-11-21, in the past). A hold's last day counts from it too
/// ([`crate::domain::action_checks::hold_until`]).
pub fn written_on(stamp: &Stamp) -> Date {
    crate::store::local_day(&stamp.at).map_or(stamp.today, |day| day.max(stamp.today))
}

/// A call as typed.
#[derive(Debug, Clone, Default)]
pub struct CallForm<'a> {
    pub customer: &'a str,
    /// `reached`, `voicemail`, `no_answer`, `wrong_number` or `refused`.
    pub outcome: &'a str,
    /// Who was called (or tried).
    pub contact: Option<&'a str>,
    /// A follow-up to schedule with the call: its date (`YYYY-MM-DD`, `+2d`, a weekday…).
    /// Given, it is checked as a follow-up's, blank too (a script's unset `$NEXT` must not
    /// lose the follow-up it asked for): a form whose field may be left empty passes `None`.
    pub followup: Option<&'a str>,
    /// What was said.
    pub text: Option<&'a str>,
}

/// Logs a call and, with `followup`, schedules a follow-up in the same transaction (its text
/// says whom to call again and why).
pub fn call(store: &mut Store, stamp: &Stamp, form: &CallForm) -> Result<Recorded> {
    store.in_one_write(|store| {
        let c = named(store, form.customer)?;
        let outcome = input(CallOutcome::parse(form.outcome))?;
        let contact = check::optional_text(form.contact);
        if let Some(name) = &contact {
            crate::domain::text::refuse_name("the contact's name", name).map_err(Error::input)?;
        }
        let followup = match form.followup {
            Some(date) => {
                let date = input(check::future_date(
                    "follow-up date",
                    date,
                    written_on(stamp),
                ))?;
                Some((date, followup_text(outcome, contact.as_deref())))
            }
            None => None,
        };
        let recorded = store.activity_mut().add_call(
            stamp,
            &NewCall {
                cid: c.cid,
                outcome,
                contact: contact.clone(),
                text: check::optional_text(form.text),
                followup: followup.clone(),
            },
        )?;
        let with = contact.map_or(String::new(), |n| format!(" with {}", one_line(&n)));
        let then = match (recorded.followup_id, followup) {
            (Some(id), Some((date, _))) => format!("; follow-up {id} scheduled on {date}"),
            _ => String::new(),
        };
        let message = format!(
            "Call {} logged for {}{with}: {}{then}.",
            recorded.id,
            label(&c),
            outcome.label()
        );
        Ok(Recorded::new(RecordKind::Call, recorded.id, c.cid, message).dated_by(stamp))
    })
}

/// Marks a follow-up done.
pub fn done(store: &mut Store, stamp: &Stamp, followup: &str) -> Result<Recorded> {
    store.in_one_write(|store| {
        let done = change(RecordKind::Followup, "follow-up", followup, "done", |id| {
            store.activity_mut().complete_followup(stamp, id)
        })?;
        Ok(done.dated_by(stamp))
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
    let message = format!("{} {id} {done}.", capitalised(noun));
    Ok(Recorded::new(kind, id, touched.cid, message))
}

/// Makes `owner` the customer's finance (or sales) owner.
pub fn assign(
    store: &mut Store,
    stamp: &Stamp,
    customer_id: &str,
    role: OwnerRole,
    owner: &str,
) -> Result<Recorded> {
    store.in_one_write(|store| {
        let c = named(store, customer_id)?;
        let given = input(check::owner(owner))?;
        // A user's name in another case or width (`ALICE`, `ＡＬＩＣＥ` for the user alice) is that
        // user, as it is with `--as`: stored as given, the customer was in her "mine" but not hers
        // to write on, and the team's figures split her in two. The store decides, in the
        // assignment's transaction, whom a finance owner may be.
        let change = store
            .activity_mut()
            .assign_owner(stamp, c.cid, role, &given)?;
        let owner = change.owner.clone();
        let was = change
            .old_owner
            .map_or_else(|| "was unassigned".to_string(), |o| format!("was {o}"));
        let spelled = if owner == given {
            String::new()
        } else {
            format!(
                " (the user's name as registered; {} was given)",
                crate::error::quoted(&given)
            )
        };
        let message = format!(
            "Owner change {}: {} of {} is now {owner}{spelled} ({was}).",
            change.id,
            capitalised(role.label()),
            label(&c)
        );
        Ok(Recorded::new(RecordKind::Assign, change.id, c.cid, message).dated_by(stamp))
    })
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|f| f.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// An open invoice or debit note, as the forms name and propose it.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenDocument {
    /// The billing system's id.
    pub id: String,
    /// Its number, when it has one.
    pub number: Option<String>,
    pub due_date: Option<Date>,
    /// Open balance in the customer's currency.
    pub balance: Decimal,
    /// Its whole amount in the customer's currency (what a dispute of it may be for at most).
    pub amount: Decimal,
    /// Its due date has passed.
    pub overdue: bool,
    /// An open dispute is on it.
    pub disputed: bool,
}

impl OpenDocument {
    /// How the workstation names it: its number, else its id.
    pub fn label(&self) -> &str {
        self.number.as_deref().unwrap_or(&self.id)
    }

    /// Whether a collector's word names it (its id or its number).
    pub fn is(&self, name: &str) -> bool {
        let name = name.trim();
        self.id == name || self.number.as_deref() == Some(name)
    }
}

/// What a form pre-fills for a customer as of a date, in the customer's currency.
#[derive(Debug, Clone, PartialEq)]
pub struct FormDefaults {
    pub currency: String,
    /// The customer's overdue amount (a promise's default amount: see
    /// [`Self::proposed_promise`]).
    pub overdue: Decimal,
    /// Every open invoice and debit note, oldest due date first.
    pub documents: Vec<OpenDocument>,
    /// Where each id, then each number, is in `documents` (a form's checks look names up on
    /// every key, for customers with tens of thousands of documents).
    by_id: HashMap<String, usize>,
    by_number: HashMap<String, usize>,
    /// The customer's open promises: a new one may take only what they leave of what is
    /// open ([`check::promises_within_open`]).
    pub promised: Promised,
}

/// A customer's open promises (open at a date and not voided): what they still expect in
/// all, in the customer's currency, and their numbers, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Promised {
    pub total: Decimal,
    pub ids: Vec<i64>,
}

impl FormDefaults {
    /// The defaults of `documents` (oldest due date first), in `currency`.
    pub fn new(currency: &str, documents: Vec<OpenDocument>) -> FormDefaults {
        let mut by_id = HashMap::with_capacity(documents.len());
        let mut by_number = HashMap::with_capacity(documents.len());
        for (i, d) in documents.iter().enumerate() {
            by_id.entry(d.id.clone()).or_insert(i);
            if let Some(n) = &d.number {
                by_number.entry(n.clone()).or_insert(i);
            }
        }
        FormDefaults {
            currency: currency.to_string(),
            overdue: documents
                .iter()
                .filter(|d| d.overdue)
                .map(|d| d.balance)
                .sum(),
            documents,
            by_id,
            by_number,
            promised: Promised::default(),
        }
    }

    /// The overdue documents, oldest due date first.
    pub fn overdue_documents(&self) -> impl Iterator<Item = &OpenDocument> {
        self.documents.iter().filter(|d| d.overdue)
    }

    /// The overdue documents not in dispute, oldest due date first: what a promise or a new
    /// dispute proposes (a customer does not promise to pay what it disputes, and a document
    /// is disputed once), and what [`check::OVERDUE_DOCUMENTS`] names.
    pub fn proposed_documents(&self) -> impl Iterator<Item = &OpenDocument> {
        self.overdue_documents().filter(|d| !d.disputed)
    }

    /// What is open on [`Self::proposed_documents`]: a promise's default amount, unless the
    /// open promises leave less ([`Self::proposed_promise`]).
    pub fn proposed_amount(&self) -> Decimal {
        self.proposed_documents().map(|d| d.balance).sum()
    }

    /// What the customer's open promises leave of all it has open to promise
    /// ([`check::left_to_promise`]): `None` when it has none open.
    pub fn left_to_promise(&self) -> Option<Decimal> {
        let open = self.documents.iter().map(|d| d.balance).sum();
        check::left_to_promise(self.promised.total, &self.promised.ids, open)
    }

    /// A promise's default amount: what is open on [`Self::proposed_documents`], or less
    /// when the customer's open promises leave less to promise (the save refuses more).
    pub fn proposed_promise(&self) -> Decimal {
        let proposed = self.proposed_amount();
        self.left_to_promise()
            .map_or(proposed, |left| proposed.min(left))
    }

    /// Why nothing more can be promised to customer `name` (its open promises already come
    /// to all it has open; `void` says how to void one), if so.
    pub fn nothing_left_to_promise(&self, name: &str, void: &str) -> Option<String> {
        if self.left_to_promise()? > Decimal::ZERO {
            return None;
        }
        let open = self.documents.iter().map(|d| d.balance).sum();
        Some(check::nothing_left_to_promise(
            name,
            (self.promised.total, &self.promised.ids, open),
            &self.currency,
            void,
        ))
    }

    /// How many overdue documents are in dispute.
    pub fn overdue_disputed(&self) -> usize {
        self.overdue_documents().filter(|d| d.disputed).count()
    }

    /// The documents a dispute of `amount` covers (those not in dispute already: the overdue
    /// ones oldest first, then the others, until their balances reach it): what a partial
    /// dispute proposes.
    pub fn covering(&self, amount: Decimal) -> Vec<&OpenDocument> {
        let open: Vec<&OpenDocument> = self.documents.iter().filter(|d| !d.disputed).collect();
        let balances: Vec<(Decimal, bool)> = open.iter().map(|d| (d.balance, d.overdue)).collect();
        check::covering(&balances, amount)
            .into_iter()
            .map(|i| open[i])
            .collect()
    }

    /// How a documents field proposes `docs`: their numbers when they are a few, else
    /// [`check::OVERDUE_DOCUMENTS`] (all the proposed ones) followed by those of `docs` it
    /// does not name, when they are a few (a dispute's amount beyond the overdue ones).
    pub fn proposal(&self, docs: &[&OpenDocument]) -> String {
        if docs.len() <= check::DOCUMENTS_NAMED {
            let labels: Vec<&str> = docs.iter().map(|d| d.label()).collect();
            return labels.join(", ");
        }
        let others: Vec<&str> = docs
            .iter()
            .filter(|d| !d.overdue || d.disputed)
            .map(|d| d.label())
            .collect();
        let mut words = vec![check::OVERDUE_DOCUMENTS];
        if others.len() <= check::DOCUMENTS_NAMED {
            words.extend(others);
        }
        words.join(", ")
    }

    /// The open document a collector's word names (its id or its number).
    pub fn find(&self, name: &str) -> Option<&OpenDocument> {
        // An id wins over another document's number.
        let name = name.trim();
        self.by_id
            .get(name)
            .or_else(|| self.by_number.get(name))
            .map(|&i| &self.documents[i])
    }

    /// Whether `name` is [`check::OVERDUE_DOCUMENTS`] meaning the proposed documents (no
    /// document of the customer is called so).
    pub fn is_overdue_word(&self, name: &str) -> bool {
        let name = name.trim();
        name == check::OVERDUE_DOCUMENTS && self.find(name).is_none()
    }

    /// The open documents `names` names, in the order named without repeats
    /// ([`check::OVERDUE_DOCUMENTS`]: the proposed ones); `Err` with the first name that is
    /// not an open document of the customer.
    pub fn resolve<'a, S: AsRef<str>>(
        &self,
        names: &'a [S],
    ) -> std::result::Result<Vec<&OpenDocument>, &'a str> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for name in names {
            let name = name.as_ref();
            if self.is_overdue_word(name) {
                for d in self.proposed_documents() {
                    if seen.insert(d.id.as_str()) {
                        out.push(d);
                    }
                }
                continue;
            }
            let d = self.find(name).ok_or(name)?;
            if seen.insert(d.id.as_str()) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// What the documents `names` names amount to in all (each once, paid or not): what a
    /// dispute of them may be for at most, as [`dispute`] counts it; `None` when it names
    /// none, or a name is not an open document of the customer (the save then decides).
    pub fn amount_of(&self, names: &[String]) -> Option<Decimal> {
        if names.is_empty() {
            return None;
        }
        Some(self.resolve(names).ok()?.iter().map(|d| d.amount).sum())
    }

    /// What is open on the documents `names` names (each once), or on every open document
    /// when it names none — what a promise may be of, as [`promise`] counts it; `None` when a
    /// name is not an open document of the customer.
    pub fn open_on(&self, names: &[String]) -> Option<Decimal> {
        if names.is_empty() {
            return Some(self.documents.iter().map(|d| d.balance).sum());
        }
        Some(self.resolve(names).ok()?.iter().map(|d| d.balance).sum())
    }
}

/// The defaults of the promise and dispute forms for a customer as of `as_of`, its
/// promises open then (`config`: the base currency and the promises' grace days).
pub fn form_defaults(
    store: &Store,
    customer_id: &str,
    as_of: Date,
    config: &Config,
) -> Result<FormDefaults> {
    let base = &config.base_currency;
    let c = customer(store, customer_id, base)?;
    let promised = open_promised(store, &c, as_of, config)?;
    let debits = open_debits(store, &c, as_of, base)?;
    let own = own_rate(store, &c, as_of, base)?;
    let disputed = store.activity().disputed_documents(Some(c.cid), as_of)?;
    let documents: Vec<OpenDocument> = debits
        .iter()
        .map(|(d, b)| OpenDocument {
            id: d.id.clone(),
            number: d.number.clone().filter(|n| !n.is_empty()),
            due_date: d.due_date,
            balance: *b,
            amount: in_own_currency(d.amount, (&d.currency, d.rate), &c, own),
            overdue: is_overdue(d, as_of),
            disputed: disputed.contains(&d.did),
        })
        .collect();
    let mut defaults = FormDefaults::new(&c.currency, documents);
    defaults.promised = promised;
    Ok(defaults)
}

/// The customer's promises open at `as_of` and voided at no time (a void recorded since, in
/// a back-dated session, has withdrawn the promise all the same): what they still expect, in
/// the customer's currency (a promise recorded in another, before the customer's changed,
/// converted through the base currency at the day's rates).
fn open_promised(
    store: &Store,
    c: &CustomerCard,
    as_of: Date,
    config: &Config,
) -> Result<Promised> {
    let base = &config.base_currency;
    let mut promises =
        store
            .activity()
            .customer_promises(c.cid, as_of, config.promise_grace_days, base)?;
    promises.retain(|p| {
        p.void.is_none()
            && p.recorded <= as_of
            && p.progress.state == crate::domain::promise::PromiseState::Open
    });
    promises.sort_by_key(|p| p.id);
    let mut rates = crate::store::ledger::rates::RateCache::new(store, base);
    let own = own_rate(store, c, as_of, base)?;
    let mut total = Decimal::ZERO;
    for p in &promises {
        total += if p.currency == c.currency || own.is_zero() {
            p.progress.remaining
        } else {
            round_to_currency(p.base_remaining(&mut rates)? / own, &c.currency)
        };
    }
    Ok(Promised {
        total,
        ids: promises.iter().map(|p| p.id).collect(),
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
    let on: HashSet<i64> = dids.iter().copied().collect();
    open_where(store, c, as_of, base, |d| {
        if dids.is_empty() {
            is_overdue(d, as_of)
        } else {
            on.contains(&d.did)
        }
    })
}

/// What is open at `as_of` on the customer's invoices and debit notes that `keep` keeps, in
/// the customer's currency.
fn open_where(
    store: &Store,
    c: &CustomerCard,
    as_of: Date,
    base: &str,
    keep: impl Fn(&OpenDebit) -> bool,
) -> Result<Decimal> {
    Ok(open_debits(store, c, as_of, base)?
        .iter()
        .filter(|(d, _)| keep(d))
        .map(|(_, balance)| *balance)
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
    let own_rate = own_rate(store, c, as_of, base)?;
    Ok(store
        .ledger()
        .customer_open_debits(c.cid, as_of)?
        .into_iter()
        .map(|d| {
            let balance = in_own_currency(d.balance, (&d.currency, d.rate), c, own_rate);
            (d, balance)
        })
        .collect())
}

/// The rate of the customer's currency at `as_of` (against the base currency).
fn own_rate(store: &Store, c: &CustomerCard, as_of: Date, base: &str) -> Result<Decimal> {
    crate::store::ledger::rates::RateCache::new(store, base)
        .rate(&c.currency, crate::domain::date::day_number(as_of))
}

/// An `amount` of a document in `(currency, rate)` in the customer's own currency, whose rate
/// is `own_rate`: through the base currency when the two differ.
fn in_own_currency(
    amount: Decimal,
    (currency, rate): (&str, Decimal),
    c: &CustomerCard,
    own_rate: Decimal,
) -> Decimal {
    if currency == c.currency || own_rate.is_zero() {
        amount
    } else {
        round_to_currency(amount * rate / own_rate, &c.currency)
    }
}

/// Reads the files to attach, refusing (one sentence, nothing written) a file that cannot be
/// read, a folder, or one over `max_mb` megabytes. Each file is kept under its own name (the
/// last part of its path).
pub fn read_attachments(paths: &[std::path::PathBuf], max_mb: u64) -> Result<Vec<NewFile>> {
    use crate::domain::attachment::{file_name, max_bytes, not_a_file, too_large};
    use std::io::Read;
    if paths.is_empty() {
        return Err(Error::input("no file to attach was given"));
    }
    let limit = max_bytes(max_mb);
    let shown = |p: &std::path::Path| crate::error::quoted(&p.display().to_string());
    paths
        .iter()
        .map(|path| {
            let cannot = |e: std::io::Error| {
                Error::input(format!(
                    "cannot read {}: {e}, so nothing was attached",
                    shown(path)
                ))
            };
            // Looked at before it is opened: opening a pipe waits for a writer.
            if let Some(what) = not_a_file(std::fs::metadata(path).map_err(cannot)?.file_type()) {
                return Err(Error::input(format!(
                    "{} is {what}, so nothing was attached",
                    shown(path)
                )));
            }
            // Nor a database in use, which is not opened at all: closing it here would drop
            // the locks this process's own connection holds on it.
            if crate::store::database_in_use(path) {
                return Err(Error::input(format!(
                    "{} is a database in use, so nothing was attached (attach a backup of it)",
                    shown(path)
                )));
            }
            let file = std::fs::File::open(path).map_err(cannot)?;
            let meta = file.metadata().map_err(cannot)?;
            if meta.len() > limit {
                return Err(Error::input(too_large(&shown(path), meta.len(), max_mb)));
            }
            let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
            // A file that grows while it is read is still held to the limit.
            file.take(limit + 1)
                .read_to_end(&mut bytes)
                .map_err(cannot)?;
            if bytes.len() as u64 > limit {
                return Err(Error::input(too_large(
                    &shown(path),
                    bytes.len() as u64,
                    max_mb,
                )));
            }
            Ok(NewFile {
                name: file_name(path),
                bytes,
            })
        })
        .collect()
}

/// Files to attach, as typed.
#[derive(Debug, Clone, Default)]
pub struct AttachForm<'a> {
    pub customer: &'a str,
    /// Read by [`read_attachments`].
    pub files: &'a [NewFile],
    /// Document ids of the customer they are about.
    pub documents: &'a [String],
    pub text: Option<&'a str>,
}

/// Attaches files to a customer (and its documents), in one transaction.
pub fn attach(store: &mut Store, stamp: &Stamp, form: &AttachForm) -> Result<Recorded> {
    store.in_one_write(|store| {
        let c = named(store, form.customer)?;
        let (dids, named_documents) = documents(store, &c, form.documents, stamp.today)?;
        let text = check::optional_text(form.text);
        let ids = store.activity_mut().add_attachments(
            stamp,
            &NewAttachments {
                cid: c.cid,
                files: form.files,
                dids: &dids,
                text: text.as_deref(),
            },
        )?;
        let on = if named_documents.is_empty() {
            String::new()
        } else {
            format!(" on {}", one_line(&named_documents))
        };
        let listed: Vec<String> = ids
            .iter()
            .zip(form.files)
            .map(|(id, f)| {
                format!(
                    "{id} {} ({})",
                    one_line(&f.name),
                    crate::domain::attachment::size_label(f.bytes.len() as u64)
                )
            })
            .collect();
        let noun = if ids.len() == 1 {
            "Attachment"
        } else {
            "Attachments"
        };
        let message = format!("{noun} {} kept for {}{on}.", listed.join(", "), label(&c));
        let first = ids.first().copied().unwrap_or(0);
        Ok(Recorded::new(RecordKind::Attachment, first, c.cid, message).dated_by(stamp))
    })
}
