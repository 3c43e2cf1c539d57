//! Today's plan: which reminder of which cycle goes to which customer, for which documents.
//!
//! One pass: the facts every rule needs are read in bulk ([`Facts::gather`]), then the
//! customers with open invoices and debit notes are read in key order beside those documents,
//! one customer at a time, and each is run through every cycle in memory. For a customer:
//!
//! 1. a customer held back by a manager gets nothing from any cycle; one with an open
//!    promise whose date has not passed gets nothing from the cycles that pause on promises
//!    (`pause_on_promise`, the default). A plan of an earlier date than today is sent now:
//!    the holds and promises in force today count as well as those of its date;
//! 2. disputed documents (named by an open issue) are left out before anything else;
//! 3. for each cycle, the customer rule and the payment rule must hold, and at least one
//!    document must pass the document rule: those are the cycle's matching documents;
//! 4. a reminder's own rules narrow them (its customer and payment rules must hold too, its
//!    document rule picks among the cycle's documents); it is due when the earliest due date
//!    of its documents is `after_due_days` past (`before_due_days`: that many days ahead; a
//!    reminder without days: as soon as its rules hold). Of the due reminders the furthest
//!    with a document still to remind is the cycle's candidate, for its documents that have
//!    not had it nor a later reminder of the cycle (at most once per cycle, reminder and
//!    document; the earlier reminders count as passed);
//! 5. a candidate without a valid address (email, or phone for a text message) is skipped;
//! 6. of the cycles' candidates, one is sent: the highest `priority` (ties: the cycle name
//!    first in order); the others are skipped (`priority`). With `[engage]
//!    min_days_between = N`, a customer sent any reminder (of a cycle or by hand, email or
//!    text) fewer than N days ago gets none: every candidate is skipped (`min_days_between`)
//!    and, never claimed, is planned again once the N days have passed. Without it, one a
//!    day: a second run that day sends none of what the first skipped. For such a customer
//!    the rules read `last_email_date` as it stood before the reminders that stop it, so
//!    that a cycle whose rule waits after an email (`last_email_date < 7 days ago`) is
//!    skipped for the spacing, saying why, rather than gone: the skipped list explains
//!    every reminder that would go but for it (one sent by hand hid the cycle's it
//!    replaced). A reminder pending
//!    (in flight, or its delivery unknown after a crash) counts as sent the day it was
//!    claimed; one sent by a run of a later date than the plan's, by the day it was
//!    delivered, counted back from today (a plan of an earlier date is sent now). The claim
//!    checks this again in its transaction (two runs at once).

use super::cycle::{Channel, Cycle, Cycles, Reminder};
use super::facts::{Custom, Facts, Needs, parse_custom};
use super::outbox::recipients;
use super::template::{CustomerBalances, OpenPromise};
use crate::Result;
use crate::domain::aging::days_overdue;
use crate::domain::document::{document_order, number_order};
use crate::domain::engage::{claim_day, pending_too_soon, too_soon};
use crate::domain::rules::Level;
use crate::domain::{Date, Decimal};
use crate::store::Store;
use crate::store::engage::{Contact, Customer, EngageDocument};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// One reminder to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEntry {
    pub cycle: String,
    pub reminder: String,
    /// The reminder's position in its cycle.
    pub reminder_index: usize,
    pub cid: i64,
    pub customer_id: String,
    pub customer_name: String,
    /// The customer's finance owner (`None` when it has none): whose customer is chased, and
    /// who signs the reminder (the templates' `collector`; the sender signs when `None`).
    pub owner: Option<String>,
    /// Where it goes: email addresses separated by `, ` (the contacts of the reminder's
    /// roles, else the primary billing contact, else the customer's email as stored), or
    /// for a text message one phone number.
    pub to: String,
    /// Copies (the contacts of the reminder's `cc` roles).
    pub cc: Vec<String>,
    pub channel: Channel,
    /// Whether the customer's statement of account goes with it as a PDF.
    pub attach_statement: bool,
    /// Oldest due date first.
    pub documents: Vec<EngageDocument>,
    /// Days overdue of the oldest matching document.
    pub days_overdue: i64,
    /// The customer's open promises to pay (templates' `promise`).
    pub promise: Option<OpenPromise>,
    /// The customer's whole account in the base currency (templates' `customer.outstanding`,
    /// `unutilised_credit`, `unapplied_cash`, `net_balance`).
    pub balances: Option<CustomerBalances>,
}

impl PlanEntry {
    /// The documents as the customer knows them: their numbers, else their ids.
    pub fn document_names(&self) -> Vec<String> {
        self.documents
            .iter()
            .map(|d| crate::domain::document::label(&d.id, d.number.as_deref()).to_string())
            .collect()
    }

    /// The billing system's ids of the documents.
    pub fn document_ids(&self) -> Vec<&str> {
        self.documents.iter().map(|d| d.id.as_str()).collect()
    }

    /// The sum of the documents' balances in the base currency.
    pub fn base_balance(&self, base_currency: &str) -> Decimal {
        self.documents
            .iter()
            .map(|d| crate::domain::money::round_to_currency(d.balance * d.rate, base_currency))
            .sum()
    }
}

/// Why a due reminder is not sent today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// No valid email address (or phone number, for a text message).
    NoAddress,
    /// A higher-priority reminder goes to the customer today.
    Priority,
    /// The customer was sent a reminder fewer than `[engage] min_days_between` days ago.
    MinDaysBetween,
    /// Its documents were paid after the plan's date: a plan of an earlier day than the
    /// money's (`--as-of`) does not chase them.
    PaidSince,
    /// Its documents are held out of dunning by a dispute resolved `valid` or
    /// `written_off` until billing settles them: what it would have chased of them.
    HeldAfterDispute,
}

impl SkipReason {
    /// The reason as `engage plan --json` gives it.
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::NoAddress => "no_address",
            SkipReason::Priority => "priority",
            SkipReason::MinDaysBetween => "min_days_between",
            SkipReason::PaidSince => "paid_since",
            SkipReason::HeldAfterDispute => "held_after_dispute",
        }
    }
}

/// A reminder that is due but is not sent today.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub cycle: String,
    pub reminder: String,
    pub customer_id: String,
    pub code: SkipReason,
    /// One sentence for people.
    pub reason: String,
    /// The entry it would have been.
    pub entry: Box<PlanEntry>,
}

/// The plan as of a date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub as_of: Date,
    /// Sorted by cycle, reminder and customer id.
    pub entries: Vec<PlanEntry>,
    /// Due reminders not sent today (no valid address, another cycle's priority,
    /// `min_days_between`), sorted like the entries.
    pub skipped: Vec<Skipped>,
    /// Customers with open documents left out of the cycles that pause on promises, because
    /// of an open promise, until its date.
    pub paused: HashMap<i64, Date>,
    /// Customers with open documents held back by a manager, until the date.
    pub held: HashMap<i64, Date>,
}

/// The JSON form of an entry (SPEC's shape; a skipped one adds `"skipped": true` and its
/// `"reason"` code).
#[derive(Debug, Serialize)]
struct EntryJson<'a> {
    cycle: &'a str,
    reminder: &'a str,
    customer_id: &'a str,
    document_ids: Vec<&'a str>,
    to: &'a str,
    /// The customer's finance owner, `null` when none (added to SPEC's shape).
    owner: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cc: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

impl<'a> EntryJson<'a> {
    fn of(e: &'a PlanEntry) -> Self {
        EntryJson {
            cycle: &e.cycle,
            reminder: &e.reminder,
            customer_id: &e.customer_id,
            document_ids: e.document_ids(),
            to: &e.to,
            owner: e.owner.as_deref(),
            channel: (e.channel != Channel::Email).then_some(e.channel.as_str()),
            cc: e.cc.iter().map(String::as_str).collect(),
            skipped: None,
            reason: None,
            detail: None,
        }
    }
}

impl Plan {
    /// The plan of the customers `cids` alone (one finance owner's): their reminders, the
    /// reminders of theirs skipped, and their pauses and holds.
    pub fn only(mut self, cids: &std::collections::HashSet<i64>) -> Plan {
        self.entries.retain(|e| cids.contains(&e.cid));
        self.skipped.retain(|s| cids.contains(&s.entry.cid));
        self.paused.retain(|cid, _| cids.contains(cid));
        self.held.retain(|cid, _| cids.contains(cid));
        self
    }

    /// `[{"cycle", "reminder", "customer_id", "document_ids", "to", "owner"}]` (`owner`: the
    /// customer's finance owner, `null` when none), with `"cc"` and
    /// `"channel": "sms"` where they apply, and the skipped reminders among them with
    /// `"skipped": true`, `"reason"` (`no_address`, `priority`, `min_days_between`,
    /// `paid_since`, `held_after_dispute`) and `"detail"`, their `"to"` where they would have gone; sorted by
    /// cycle, reminder and customer.
    pub fn to_json(&self) -> String {
        let mut list: Vec<EntryJson<'_>> = self.entries.iter().map(EntryJson::of).collect();
        list.extend(self.skipped.iter().map(|s| EntryJson {
            skipped: Some(true),
            reason: Some(s.code.code()),
            detail: Some(&s.reason),
            ..EntryJson::of(&s.entry)
        }));
        list.sort_by(|a, b| {
            (a.cycle, a.reminder)
                .cmp(&(b.cycle, b.reminder))
                .then_with(|| number_order(a.customer_id, b.customer_id))
                .then_with(|| a.skipped.cmp(&b.skipped))
        });
        serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
    }

    /// The entries for one customer.
    pub fn for_customer(&self, customer_id: &str) -> impl Iterator<Item = &PlanEntry> {
        self.entries
            .iter()
            .filter(move |e| e.customer_id == customer_id)
    }
}

/// Settings a plan depends on.
#[derive(Debug, Clone, Copy)]
pub struct PlanSettings<'a> {
    pub as_of: Date,
    pub base_currency: &'a str,
    pub promise_grace_days: u32,
    /// `[engage] min_days_between`: at most one reminder per customer per this many days
    /// (0: one a day), a reminder pending counting as sent the day it was claimed.
    pub min_days_between: u32,
    /// Today's date on this machine, read by the caller: a reminder sent by a run of a later
    /// date than the plan's counts by the day it was delivered, counted back from today (a
    /// plan of an earlier date is sent now).
    pub today: Date,
}

/// Computes the plan of `cycles` as of `settings.as_of`.
pub fn compute(store: &Store, cycles: &Cycles, settings: PlanSettings<'_>) -> Result<Plan> {
    let as_of = settings.as_of;
    let needs = Needs::of(cycles);
    let mut facts = Facts::gather(
        store,
        as_of,
        &needs,
        settings.base_currency,
        settings.promise_grace_days,
    )?;
    facts.last_reminder = store.engagement().last_reminder_dates(as_of)?;
    facts.sent_after = store.engagement().sent_after(as_of)?;
    let today = settings.today;
    facts.pending_reminder = store.engagement().pending_reminders()?;
    facts.gather_before_spacing(store, &needs, settings.min_days_between)?;
    facts.add_in_force_today(store, today, settings.promise_grace_days)?;
    let customer_custom = Facts::needs_custom(&needs, Level::Customer);
    let document_custom = Facts::needs_custom(&needs, Level::Document);

    // A plan is sent now: a document disputed at its date, or disputed now (since an
    // earlier date), is not chased, as one paid since is not.
    let disputed = store.activity().disputed_then_or_now(None, as_of)?;
    // Of those, the ones a dispute resolved valid or written off holds: why, for the skipped.
    let holds = store.activity().dispute_holds_then_or_now(None, as_of)?;
    let claims = Claims::read(store, cycles)?;

    let mut plan = Plan {
        as_of,
        ..Plan::default()
    };
    let no_contacts = Vec::new();
    // One customer at a time, with its open documents: neither all the customers nor all
    // their documents are held at once.
    let each = |customer: Customer, documents: Vec<EngageDocument>| -> Result<()> {
        let (mut docs, mut held_docs): (Vec<(EngageDocument, Custom)>, Vec<_>) = documents
            .into_iter()
            .filter(|d| !disputed.contains(&d.did) || holds.contains_key(&d.did))
            .map(|d| {
                let custom = parse_custom(d.custom.as_deref());
                (d, custom)
            })
            .partition(|(d, _)| !disputed.contains(&d.did));
        if docs.is_empty() && held_docs.is_empty() {
            return Ok(());
        }
        // A customer whose only open documents are held after a dispute is not counted
        // held back or paused: nothing of theirs would be chased anyway.
        if let Some(until) = facts.held.get(&customer.cid) {
            if !docs.is_empty() {
                plan.held.insert(customer.cid, *until);
            }
            return Ok(());
        }
        let promised_until = facts.paused.get(&customer.cid).copied();
        if let Some(until) = promised_until {
            if !docs.is_empty() {
                plan.paused.insert(customer.cid, until);
            }
            if cycles.cycles.iter().all(|c| c.pause_on_promise) {
                return Ok(());
            }
        }
        let by_due = |(a, _): &(EngageDocument, Custom), (b, _): &(EngageDocument, Custom)| {
            a.due_date.cmp(&b.due_date).then_with(|| {
                document_order((&a.id, a.number.as_deref()), (&b.id, b.number.as_deref()))
            })
        };
        docs.sort_by(by_due);
        let custom = parse_custom(customer.custom.as_deref());
        let contacts = facts.contacts.get(&customer.cid).unwrap_or(&no_contacts);
        // Whether a reminder sent (or pending) stops every reminder today: the rules then
        // read the emails as they stood before it (see `Facts::customer_value_spaced`).
        let spacing = spaced(&facts, &customer, settings.min_days_between, today);
        let mut candidates: Vec<(i64, PlanEntry)> = Vec::new();
        // Only held documents open: nothing is chased, as with none (a customer-level
        // reminder too).
        let chased = if docs.is_empty() {
            &[][..]
        } else {
            &cycles.cycles[..]
        };
        for (position, cycle) in chased.iter().enumerate() {
            if promised_until.is_some() && cycle.pause_on_promise {
                continue;
            }
            let claimed = |did| claims.furthest(position, did);
            let spaced = spacing.is_some();
            let Some((mut entry, reminder)) =
                plan_one(cycle, &customer, &custom, &docs, &facts, spaced, &claimed)
            else {
                continue;
            };
            // Addressed first: a skipped entry says where it would have gone too.
            let addressed = address(reminder, &customer, contacts);
            match &addressed {
                Ok((to, cc)) => (entry.to, entry.cc) = (to.clone(), cc.clone()),
                Err(_) => {
                    entry.to = match reminder.channel {
                        Channel::Email => customer.email.clone(),
                        Channel::Sms => customer.phone.clone(),
                    }
                    .unwrap_or_default();
                }
            }
            if let Some(reason) = paid_since(&mut entry, as_of) {
                plan.skipped
                    .push(skip(entry, SkipReason::PaidSince, reason));
                continue;
            }
            match addressed {
                Ok(_) => candidates.push((cycle.priority, entry)),
                Err(reason) => plan
                    .skipped
                    .push(skip(entry, SkipReason::NoAddress, reason)),
            }
        }
        let spaced = spacing.is_some();
        choose(&mut plan, candidates, spacing);
        if held_docs.is_empty() {
            return Ok(());
        }
        // What each cycle would have chased of the held documents, skipped with why.
        let held_dids: HashSet<i64> = held_docs.iter().map(|(d, _)| d.did).collect();
        held_docs.extend(docs);
        held_docs.sort_by(by_due);
        for (position, cycle) in cycles.cycles.iter().enumerate() {
            if promised_until.is_some() && cycle.pause_on_promise {
                continue;
            }
            let claimed = |did| claims.furthest(position, did);
            let Some((mut entry, reminder)) = plan_one(
                cycle, &customer, &custom, &held_docs, &facts, spaced, &claimed,
            ) else {
                continue;
            };
            entry.documents.retain(|d| held_dids.contains(&d.did));
            if entry.documents.is_empty() {
                continue;
            }
            entry.to = match address(reminder, &customer, contacts) {
                Ok((to, cc)) => {
                    entry.cc = cc;
                    to
                }
                Err(_) => match reminder.channel {
                    Channel::Email => customer.email.clone(),
                    Channel::Sms => customer.phone.clone(),
                }
                .unwrap_or_default(),
            };
            let reason = held_reason(&entry, &holds);
            plan.skipped
                .push(skip(entry, SkipReason::HeldAfterDispute, reason));
        }
        Ok(())
    };
    store.engagement().for_each_customer_open_debits(
        as_of,
        customer_custom,
        document_custom,
        each,
    )?;
    // The customers' accounts for their templates: from the figures the rules read, else
    // computed once now (no rule read them), only when there is something to send.
    if !plan.entries.is_empty() {
        facts.ensure_figures(store)?;
        for entry in &mut plan.entries {
            entry.balances = facts.balances(entry.cid);
        }
    }
    // Within a reminder, by customer id, the numbers in it by value (K2 before K10).
    plan.entries.sort_by(|a, b| {
        (&a.cycle, &a.reminder)
            .cmp(&(&b.cycle, &b.reminder))
            .then_with(|| number_order(&a.customer_id, &b.customer_id))
    });
    plan.skipped.sort_by(|a, b| {
        (&a.cycle, &a.reminder)
            .cmp(&(&b.cycle, &b.reminder))
            .then_with(|| number_order(&a.customer_id, &b.customer_id))
    });
    Ok(plan)
}

/// Leaves out of `entry` the documents paid since the plan's date (money applied after it,
/// which a plan of an earlier day than today finds on file), and asks of those paid in part
/// since only what is left; why the entry goes nowhere when all of them were paid.
fn paid_since(entry: &mut PlanEntry, as_of: Date) -> Option<String> {
    let (paid, mut open): (Vec<_>, Vec<_>) = std::mem::take(&mut entry.documents)
        .into_iter()
        .partition(|d| d.paid_since);
    for d in &mut open {
        d.balance -= d.paid_after;
    }
    if open.is_empty() && !paid.is_empty() {
        entry.documents = paid;
        return Some(format!(
            "{} paid after {as_of}: the ledger shows it settled since",
            entry.document_names().join(", ")
        ));
    }
    entry.documents = open;
    None
}

/// `entry` as it stands now, read again just before it is claimed. The plan is what the
/// ledger said when the run began, and a run of many reminders takes minutes: a payment, a
/// dispute, a hold or a promise recorded meanwhile (an import, a collector in the
/// workstation) stops the reminder as it would have kept it out of the plan. A plan of an
/// earlier date than `today` (this machine's date, read by the caller) is sent now: a hold
/// or a promise in force today stops it too, as one at the plan's date does. The documents
/// still due are kept, at their balances now; `Err` says why none is left
/// (`pause_on_promise`: the cycle's, as the plan reads it).
///
/// # Errors
///
/// When the database cannot be read.
pub fn recheck(
    store: &Store,
    entry: &PlanEntry,
    pause_on_promise: bool,
    as_of: Date,
    today: Date,
    base_currency: &str,
) -> Result<std::result::Result<PlanEntry, String>> {
    let cid = entry.cid;
    // The plan's date, then today when it is later: what is in force at either stops it.
    let days: &[Date] = if today > as_of {
        &[as_of, today]
    } else {
        &[as_of]
    };
    for &day in days {
        if let Some(until) = store.engagement().held_until(cid, day)? {
            return Ok(Err(format!(
                "held back from engagement until {until} since the run began"
            )));
        }
    }
    for &day in days.iter().filter(|_| pause_on_promise) {
        if !store.activity().may_have_open_promise(cid, day)? {
            continue;
        }
        // As the plan pauses: a promise open that day whose date has not passed (the grace
        // days matter only after it).
        let promised = store
            .activity()
            .customer_promises(cid, day, 0, base_currency)?
            .into_iter()
            .filter(|p| {
                p.recorded <= day
                    && p.date >= day
                    && p.progress.state == crate::domain::promise::PromiseState::Open
            })
            .map(|p| p.date)
            .max();
        if let Some(date) = promised {
            return Ok(Err(format!(
                "promised to pay by {date} since the run began"
            )));
        }
    }
    let disputed = store.activity().disputed_then_or_now(Some(cid), as_of)?;
    let mut open: HashMap<i64, EngageDocument> = HashMap::new();
    store
        .engagement()
        .for_each_open_debit(as_of, false, Some(cid), |d| {
            open.insert(d.did, d);
        })?;
    let mut now = entry.clone();
    now.documents = entry
        .documents
        .iter()
        .filter_map(|planned| {
            let d = open.remove(&planned.did)?;
            if d.paid_since || disputed.contains(&d.did) {
                return None;
            }
            // As [`paid_since`] leaves a document the plan keeps: what is open now.
            Some(EngageDocument {
                balance: d.balance - d.paid_after,
                custom: planned.custom.clone(),
                ..d
            })
        })
        .collect();
    if now.documents.is_empty() {
        return Ok(Err(format!(
            "{} paid or disputed since the run began",
            entry.document_names().join(", ")
        )));
    }
    now.days_overdue = now
        .documents
        .iter()
        .filter_map(|d| d.due_date)
        .map(|due| days_overdue(as_of, due))
        .max()
        .unwrap_or(0);
    Ok(Ok(now))
}

/// Why the documents of `entry` are held out of dunning: each with its dispute's resolve.
fn held_reason(
    entry: &PlanEntry,
    holds: &HashMap<i64, crate::domain::customer::DisputeHold>,
) -> String {
    entry
        .documents
        .iter()
        .filter_map(|d| {
            let label = crate::domain::document::label(&d.id, d.number.as_deref());
            holds.get(&d.did).map(|h| format!("{label} {}", h.reason()))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn skip(entry: PlanEntry, code: SkipReason, reason: String) -> Skipped {
    Skipped {
        cycle: entry.cycle.clone(),
        reminder: entry.reminder.clone(),
        customer_id: entry.customer_id.clone(),
        code,
        reason,
        entry: Box::new(entry),
    }
}

/// Of one customer's `candidates` (priority, entry), in cycle order, puts the one to send
/// in the plan and the others among the skipped; all of them when `spacing` says why none
/// goes today ([`spaced`]).
fn choose(plan: &mut Plan, mut candidates: Vec<(i64, PlanEntry)>, spacing: Option<String>) {
    if candidates.is_empty() {
        return;
    }
    if let Some(reason) = spacing {
        for (_, entry) in candidates {
            plan.skipped
                .push(skip(entry, SkipReason::MinDaysBetween, reason.clone()));
        }
        return;
    }
    // The highest priority; among equals the first cycle (cycles are sorted by name).
    let best = candidates
        .iter()
        .enumerate()
        .max_by_key(|(i, (priority, _))| (*priority, std::cmp::Reverse(*i)))
        .map_or(0, |(i, _)| i);
    let (priority, winner) = candidates.swap_remove(best);
    for (other_priority, entry) in candidates {
        let reason = format!(
            "{} / {} goes today instead (priority {priority} over {other_priority})",
            winner.cycle, winner.reminder
        );
        plan.skipped.push(skip(entry, SkipReason::Priority, reason));
    }
    plan.entries.push(winner);
}

/// Why `customer` gets no reminder today, if it does not: one was sent fewer than
/// `min_days_between` days ago (with 0, today: at most one a day, whichever run sends it),
/// or claimed by a run of then and still pending (in flight, or its delivery not known). A plan of an
/// earlier date than `today` is sent now: a reminder a run of a later date sent counts by
/// the day it was delivered, counted back from `today`.
fn spaced(
    facts: &Facts,
    customer: &Customer,
    min_days_between: u32,
    today: Date,
) -> Option<String> {
    let soon = |day: &Date| too_soon(*day, facts.as_of, min_days_between);
    // Counted on its run's date, as a sent one is.
    if let Some(pending) = facts.pending_reminder.get(&customer.cid).and_then(|all| {
        all.iter().find(|p| {
            pending_too_soon(
                p.run_date,
                claim_day(&p.at),
                facts.as_of,
                today,
                min_days_between,
            )
        })
    }) {
        return Some(format!(
            "a reminder to {} is pending since {}, its delivery not known (`{}`)",
            customer.id,
            pending.at,
            crate::error::command("engage outbox")
        ));
    }
    if let Some(day) = facts
        .sent_after
        .get(&customer.cid)
        .map(|at| claim_day(at))
        .filter(|day| day.is_none_or(|d| too_soon(d, today, min_days_between)))
    {
        let day = day.map_or_else(|| "a later day".to_string(), |d| d.to_string());
        return Some(if min_days_between == 0 {
            format!(
                "a reminder was sent to {} on {day}, and a run of an earlier date sends now: \
                 at most one a day",
                customer.id
            )
        } else {
            format!(
                "a reminder was sent to {} on {day}, fewer than min_days_between = \
                 {min_days_between} days before today, and a run of an earlier date sends now",
                customer.id
            )
        });
    }
    let last = facts.last_reminder.get(&customer.cid).filter(|d| soon(d))?;
    Some(if min_days_between == 0 {
        format!(
            "a reminder was sent to {} on {last}: at most one a day",
            customer.id
        )
    } else {
        format!(
            "a reminder was sent to {} on {last}, fewer than min_days_between = \
             {min_days_between} days ago",
            customer.id
        )
    })
}

/// Where `reminder` goes for `customer`: (to, cc).
///
/// Email: the contacts of the reminder's `to` roles, else the primary billing contact, else
/// the customer's email; cc: the contacts of its `cc` roles (addresses that are not valid,
/// and addresses already in To or already copied, without regard to case, are left out of
/// the copies). A text message: the phone of the first contact of its roles,
/// else of the primary billing contact, else the customer's phone.
///
/// # Errors
///
/// A sentence when there is no valid address or phone number.
pub fn address(
    reminder: &Reminder,
    customer: &Customer,
    contacts: &[Contact],
) -> std::result::Result<(String, Vec<String>), String> {
    let of_roles = |roles: &[String]| -> Vec<&Contact> {
        contacts
            .iter()
            .filter(|c| roles.contains(&c.role))
            .collect()
    };
    let primary_billing: Vec<&Contact> = contacts
        .iter()
        .filter(|c| c.primary && c.role == "billing")
        .collect();
    let mut chosen = of_roles(&reminder.to);
    if chosen.is_empty() {
        chosen = primary_billing;
    }
    match reminder.channel {
        Channel::Email => {
            let to = if chosen.is_empty() {
                customer.email.clone().unwrap_or_default()
            } else {
                chosen
                    .iter()
                    .map(|c| c.email.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            // Each address once: a copy to an address already in To (or already copied) is
            // left out, the address compared without regard to case.
            let mut seen: Vec<String> = recipients(&to)?
                .iter()
                .map(|a| a.to_string().to_lowercase())
                .collect();
            let mut cc: Vec<String> = Vec::new();
            for c in of_roles(&reminder.cc) {
                for address in recipients(&c.email).unwrap_or_default() {
                    let key = address.to_string().to_lowercase();
                    if !seen.contains(&key) {
                        seen.push(key);
                        cc.push(address.to_string());
                    }
                }
            }
            Ok((to, cc))
        }
        Channel::Sms => {
            let phone = chosen
                .iter()
                .find_map(|c| c.phone.clone().filter(|p| !p.trim().is_empty()))
                .or_else(|| customer.phone.clone())
                .unwrap_or_default();
            Ok((phone_number(&phone)?, Vec::new()))
        }
    }
}

/// A phone number as a text message provider takes it (E.164): `+`, the country code (never
/// starting with 0) and 7 to 15 digits in all, spaces, dashes, dots and parentheses dropped
/// (`+44 20 7946 0958` → `+442079460958`). A number without `+` is refused, not guessed: the
/// provider would read `(555) 010-0100` or `0044 20 7946 0958` as some other country's.
///
/// # Errors
///
/// A sentence when it is not one.
pub fn phone_number(text: &str) -> std::result::Result<String, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("no phone number".into());
    }
    // As quoted in the sentence: what draws nothing shown (`+1 555<U+200B>0100`, where the
    // terminal would show `+1 5550100` and hide why), and a long value cut.
    let quoted = crate::domain::text::cut_after(
        &crate::domain::text::hidden_shown(trimmed),
        QUOTED_PHONE_CHARS,
    )
    .into_owned();
    let mut out = String::new();
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(format!(
                    "invalid phone number `{quoted}`: only digits, spaces, dashes, dots, \
                     parentheses and a leading + are allowed"
                ));
            }
        }
    }
    let Some(digits) = out.strip_prefix('+') else {
        return Err(format!(
            "invalid phone number `{quoted}`: it must start with + and the country code \
             (+44 20 7946 0958, not 020 7946 0958)"
        ));
    };
    if digits.starts_with('0') {
        return Err(format!(
            "invalid phone number `{quoted}`: a country code never starts with 0 (+44, \
             not +0044)"
        ));
    }
    if !(7..=15).contains(&digits.len()) {
        return Err(format!(
            "invalid phone number `{quoted}`: it has {} digits (7 to 15 expected)",
            digits.len()
        ));
    }
    Ok(out)
}

/// The most characters of a refused phone number its sentence quotes (`…` included): a
/// number is far shorter, and a 3,000-digit one made a 3 KB line of the plan.
const QUOTED_PHONE_CHARS: usize = 40;

/// The reminder `cycle` would send `customer` today (with the reminder), if any; its `to`
/// is left for [`address`]. When the spacing stops the customer today (`spaced`), the rules
/// read its emails as they stood before the reminders that stop it.
fn plan_one<'c>(
    cycle: &'c Cycle,
    customer: &Customer,
    custom: &Custom,
    docs: &[(EngageDocument, Custom)],
    facts: &Facts,
    spaced: bool,
    claimed: &dyn Fn(i64) -> Option<usize>,
) -> Option<(PlanEntry, &'c Reminder)> {
    let today = facts.as_of;
    let customer_holds = |rule: Option<&super::cycle::Rule>| {
        rule.is_none_or(|rule| {
            let fields = |name: &str| facts.customer_value_spaced(customer, custom, name, spaced);
            rule.expr.eval(&fields, today)
        })
    };
    let payment_holds = |rule: Option<&super::cycle::Rule>| {
        rule.is_none_or(|rule| {
            let fields = |name: &str| facts.payment_value(customer, name);
            rule.expr.eval(&fields, today)
        })
    };
    let document_holds = |rule: Option<&super::cycle::Rule>, d: &EngageDocument, c: &Custom| {
        rule.is_none_or(|rule| {
            let fields = |name: &str| facts.document_value_spaced(d, c, name, spaced);
            rule.expr.eval(&fields, today)
        })
    };
    if !customer_holds(cycle.customer.as_ref()) || !payment_holds(cycle.payment.as_ref()) {
        return None;
    }
    let matching: Vec<&(EngageDocument, Custom)> = docs
        .iter()
        .filter(|(d, c)| document_holds(cycle.document.as_ref(), d, c))
        .collect();
    if matching.is_empty() {
        return None;
    }
    for (index, reminder) in cycle.reminders.iter().enumerate().rev() {
        if !customer_holds(reminder.customer.as_ref()) || !payment_holds(reminder.payment.as_ref())
        {
            continue;
        }
        let own: Vec<&EngageDocument> = matching
            .iter()
            .filter(|(d, c)| document_holds(reminder.document.as_ref(), d, c))
            .map(|(d, _)| d)
            .collect();
        let oldest = own
            .iter()
            .filter_map(|d| d.due_date)
            .min()
            .map(|due| days_overdue(today, due));
        let due = match reminder.after_due {
            None => !own.is_empty(),
            Some(_) => oldest.is_some_and(|days| reminder.is_due(days)),
        };
        if !due {
            continue;
        }
        let documents: Vec<EngageDocument> = own
            .into_iter()
            .filter(|d| claimed(d.did).is_none_or(|had| had < index))
            .cloned()
            .collect();
        if documents.is_empty() {
            continue;
        }
        let entry = PlanEntry {
            cycle: cycle.name.clone(),
            reminder: reminder.name.clone(),
            reminder_index: index,
            cid: customer.cid,
            customer_id: customer.id.clone(),
            customer_name: customer.name.clone(),
            owner: owner_of(customer),
            to: String::new(),
            cc: Vec::new(),
            channel: reminder.channel,
            attach_statement: reminder.attach_statement,
            documents,
            days_overdue: oldest.unwrap_or(0),
            promise: facts.open_promise(customer.cid),
            balances: None,
        };
        return Some((entry, reminder));
    }
    None
}

/// A customer's finance owner (trimmed), as a plan entry names it: whose customer is chased and
/// who signs its reminders; `None` when it has none (the sender signs then).
pub fn owner_of(customer: &Customer) -> Option<String> {
    customer
        .finance_owner
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_string)
}

/// For each cycle (by position) and document, the furthest reminder (by position) the
/// document has been claimed for.
#[derive(Debug, Default)]
struct Claims {
    furthest: HashMap<(usize, i64), usize>,
}

impl Claims {
    fn read(store: &Store, cycles: &Cycles) -> Result<Claims> {
        let names: Vec<&str> = cycles.cycles.iter().map(|c| c.name.as_str()).collect();
        let mut claims = Claims::default();
        for (cycle, reminder, did) in store.engagement().claimed_documents(&names)? {
            let Some(position) = names.iter().position(|n| *n == cycle) else {
                continue;
            };
            // A reminder since renamed or removed from the cycle no longer counts.
            let Some(index) = cycles.cycles[position].reminder_index(&reminder) else {
                continue;
            };
            let had = claims.furthest.entry((position, did)).or_insert(index);
            *had = (*had).max(index);
        }
        Ok(claims)
    }

    fn furthest(&self, cycle: usize, did: i64) -> Option<usize> {
        self.furthest.get(&(cycle, did)).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_number_is_plus_a_country_code_and_7_to_15_digits() {
        assert_eq!(phone_number("+44 20 7946 0958").unwrap(), "+442079460958");
        assert_eq!(phone_number("+1 (555) 010.0119").unwrap(), "+15550100119");
        assert_eq!(phone_number(" ").unwrap_err(), "no phone number");
        for (number, why) in [
            ("(555) 010-0100", "must start with +"),
            ("0044 20 7946 0958", "must start with +"),
            ("1234567", "must start with +"),
            ("+0 000 0000", "never starts with 0"),
            ("+1 555", "7 to 15"),
            ("++1 555 0100", "only digits"),
        ] {
            let e = phone_number(number).unwrap_err();
            assert!(e.contains(why), "{number}: {e}");
        }
        // What is wrong is shown in the quote, not hidden by it.
        for (number, quoted) in [
            ("+1 555\u{200b}0100", "`+1 555<U+200B>0100`"),
            ("+44\u{a0}20 7946 0958", "`+44<U+00A0>20 7946 0958`"),
            ("+1\t5550120", "`+1<U+0009>5550120`"),
            ("+1 555\n0100", "`+1 555<U+000A>0100`"),
            ("\u{202e}+1 555 0123", "`<U+202E>+1 555 0123`"),
            ("+1 555 0124\u{1b}[2J", "`+1 555 0124<U+001B>[2J`"),
        ] {
            let e = phone_number(number).unwrap_err();
            assert!(e.contains(quoted), "{e}");
        }
        // A long value is cut in the sentence.
        let e = phone_number(&format!("+1 {}", "5".repeat(3000))).unwrap_err();
        assert!(e.len() < 200 && e.contains("3001 digits"), "{e}");
    }
}
