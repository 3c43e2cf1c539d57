//! Reminders a collector sends by hand from the workstation (`r` on a customer): pick a
//! template, preview, confirm, send.
//!
//! A manual reminder is recorded like a cycle's, under the cycle name `manual` and the
//! reminder name `TEMPLATE DATE` (`friendly 2026-04-30`): its documents are claimed for that
//! name, so pressing send twice the same day sends once, while the same template can be sent
//! again another day. Its documents are the customer's open invoices and debit notes that are
//! not disputed and are overdue (all open ones when none is overdue). It goes to the
//! customer's primary billing contact (`contacts.csv`), else to the customer's email.

use super::cycle::{Channel, Cycles, MANUAL_CYCLE, Reminder};
use super::outbox::{self, EntryOutcome, Mailer, SendSettings};
use super::plan::PlanEntry;
use super::template::{RenderedEmail, TemplateRef};
use crate::domain::Date;
use crate::domain::aging::days_overdue;
use crate::domain::document::document_order;
use crate::store::Store;
use crate::{Error, Result};
use std::collections::HashSet;
use std::path::Path;

/// The templates a collector can pick: those of the cycles' reminders, then any other
/// `*.md` in the cycles folder's `templates/`, each once, in that order.
pub fn templates(cycles: &mut Cycles) -> Result<Vec<TemplateRef>> {
    let mut out: Vec<TemplateRef> = Vec::new();
    let mut seen = HashSet::new();
    for c in &cycles.cycles {
        for r in &c.reminders {
            if seen.insert(r.template.path.clone()) {
                out.push(r.template.clone());
            }
        }
    }
    let dir = cycles.dir.join("templates");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut extra: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "md"))
            .collect();
        extra.sort();
        for path in extra {
            let known = seen
                .iter()
                .any(|p: &std::path::PathBuf| same_file(p, &path));
            if !known && seen.insert(path.clone()) {
                out.push(cycles.templates.load(&path)?);
            }
        }
    }
    Ok(out)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The manual reminder of `template` for customer `customer_id` as of `as_of`, its account
/// in `base_currency`.
///
/// # Errors
///
/// [`Error::Input`] for an unknown customer, one without a valid email address, or one with
/// no open document that is neither disputed nor held after a dispute (as the plan).
pub fn entry_for(
    store: &Store,
    customer_id: &str,
    template: &TemplateRef,
    as_of: Date,
    base_currency: &str,
) -> Result<PlanEntry> {
    let customer = store
        .engagement()
        .customer(customer_id)?
        .ok_or_else(|| Error::no_customer(customer_id))?;
    // No roles of its own: to the primary billing contact, else the customer's email.
    let contacts = store.engagement().customer_contacts(customer.cid)?;
    let by_hand = Reminder {
        name: String::new(),
        after_due: None,
        template: template.clone(),
        customer: None,
        document: None,
        payment: None,
        channel: Channel::Email,
        to: Vec::new(),
        cc: Vec::new(),
        attach_statement: false,
    };
    let (email, _) = super::plan::address(&by_hand, &customer, &contacts)
        .map_err(|e| Error::input(format!("{customer_id}: {e}")))?;
    // As the plan: nor a document disputed now, nor one a dispute resolved valid or written
    // off holds until billing settles it.
    let disputed = store
        .activity()
        .disputed_then_or_now(Some(customer.cid), as_of)?;
    let mut docs = Vec::new();
    store
        .engagement()
        .for_each_open_debit(as_of, false, Some(customer.cid), |d| {
            if !disputed.contains(&d.did) {
                docs.push(d);
            }
        })?;
    docs.sort_by(|a, b| {
        a.due_date.cmp(&b.due_date).then_with(|| {
            document_order((&a.id, a.number.as_deref()), (&b.id, b.number.as_deref()))
        })
    });
    let overdue: Vec<_> = docs
        .iter()
        .filter(|d| d.due_date.is_some_and(|due| due < as_of))
        .cloned()
        .collect();
    let documents = if overdue.is_empty() { docs } else { overdue };
    if documents.is_empty() {
        return Err(Error::input(format!(
            "{customer_id} has no open document to remind about that is not disputed or held after a dispute"
        )));
    }
    let oldest = documents
        .iter()
        .filter_map(|d| d.due_date)
        .min()
        .map_or(0, |due| days_overdue(as_of, due));
    let balances = crate::report::Portfolio::compute(
        store,
        as_of,
        Some(customer.cid),
        &crate::domain::aging::AgingBounds::default(),
        base_currency,
    )?
    .customers
    .get(&customer.cid)
    .map(super::template::CustomerBalances::of);
    Ok(PlanEntry {
        cycle: MANUAL_CYCLE.to_string(),
        reminder: format!("{} {as_of}", template.stem()),
        reminder_index: 0,
        cid: customer.cid,
        owner: super::plan::owner_of(&customer),
        customer_id: customer.id,
        customer_name: customer.name,
        to: email,
        cc: Vec::new(),
        channel: Channel::Email,
        attach_statement: false,
        documents,
        days_overdue: oldest,
        promise: None,
        balances,
    })
}

/// Renders the email for the preview.
pub fn preview(
    cycles: &Cycles,
    template: &TemplateRef,
    entry: &PlanEntry,
    settings: &SendSettings,
) -> Result<RenderedEmail> {
    outbox::render_entry(&cycles.templates, template, entry, settings)
}

/// Sends (once) and records a manual reminder.
pub fn send(
    store: &mut Store,
    cycles: &Cycles,
    template: &TemplateRef,
    entry: &PlanEntry,
    mailer: &mut dyn Mailer,
    settings: &SendSettings,
) -> Result<EntryOutcome> {
    outbox::deliver_entry(
        store,
        &cycles.templates,
        template,
        &[entry.reminder.as_str()],
        entry,
        mailer,
        settings,
    )
}
