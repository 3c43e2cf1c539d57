//! `owed lockbox import DIR [--json]`: a bank's lockbox file as cheque payments applied to the
//! invoices they pay, deductions for short payments, images attached; what no invoice took is
//! listed (see `crate::import::lockbox`).

use super::Context;
use crate::Result;
use crate::domain::document::{NamedDocument, labels};
use crate::domain::money::{grouped, plain};
use crate::import::lockbox::{LockboxOptions, LockboxSummary, import_lockbox};
use serde_json::json;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct LockboxArgs {
    #[command(subcommand)]
    pub command: LockboxCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum LockboxCommand {
    /// Import DIR/lockbox.csv and its cheque images, atomically.
    Import {
        /// The lockbox folder: lockbox.csv and the images it names.
        dir: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(ctx: &Context, args: &LockboxArgs) -> Result<()> {
    match &args.command {
        LockboxCommand::Import { dir, json } => import(ctx, dir, *json),
    }
}

fn import(ctx: &Context, dir: &std::path::Path, json: bool) -> Result<()> {
    ctx.dated_by_today()?;
    let mut store = ctx.open_store()?;
    let stamp = ctx.stamp(&store)?;
    let options = LockboxOptions {
        base_currency: ctx.config.base_currency.clone(),
        max_attachment_mb: ctx.config.max_attachment_mb,
        logged_as: None,
    };
    let summary = import_lockbox(&mut store, dir, &stamp, &options)?;
    if json {
        jsonln!("{}", to_json(&summary))
    } else {
        out!("{}", to_text(&summary))
    }
}

/// The summary as JSON: counts, the deductions opened and every item with money unapplied.
pub fn to_json(s: &LockboxSummary) -> serde_json::Value {
    json!({
        "items": s.items,
        "payments": s.payments,
        "unchanged": s.unchanged,
        "applications": s.applications,
        "images": s.images,
        "deductions": s.deductions.iter().map(|d| json!({
            "issue": d.issue,
            "payment": d.payment,
            "customer_id": d.customer_id,
            "amount": plain(d.amount, &d.currency),
            "currency": d.currency,
            "documents": d.documents.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            "document_numbers": d.documents.iter().map(NamedDocument::number).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "unmatched": s.unmatched.iter().map(|u| json!({
            "item_id": u.item_id,
            "payment": u.payment,
            "customer_id": u.customer_id,
            "amount": plain(u.amount, &u.currency),
            "unapplied": plain(u.unapplied, &u.currency),
            "currency": u.currency,
            "reason": u.reason,
        })).collect::<Vec<_>>(),
        "deductions_resolved": s.settled.iter().map(|d| json!({
            "issue": d.issue,
            "customer_id": d.customer_id,
            "payment": d.payment,
            "outcome": d.outcome.map(|o| o.as_str()),
            "date": crate::domain::date::from_day_number(d.date).to_string(),
            "documents": d.documents.iter().map(|x| x.id.as_str()).collect::<Vec<_>>(),
            "document_numbers": d.documents.iter().map(NamedDocument::number).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "not_found": s.not_found.iter().map(|n| json!({
            "item_id": n.item_id,
            "payment": n.payment,
            "customer_id": n.customer_id,
            "currency": n.currency,
            "references": n.references,
        })).collect::<Vec<_>>(),
    })
}

/// The summary for people.
pub fn to_text(s: &LockboxSummary) -> String {
    let mut out = format!(
        "lockbox.csv: {} items: {} cheque payments written, {} unchanged; {} applications; \
         {} images attached; {} deductions opened;{} {} items with money unapplied.\n",
        s.items,
        s.payments,
        s.unchanged,
        s.applications,
        s.images,
        s.deductions.len(),
        s.settled_words(),
        s.unmatched.len()
    );
    if !s.deductions.is_empty() {
        out.push_str("\nDeductions (short payments):\n");
        for d in &s.deductions {
            out.push_str(&format!(
                "  issue {:<6} {:<12} {:<10} {:>12} {}  on {}\n",
                d.issue,
                d.payment,
                d.customer_id,
                grouped(d.amount, &d.currency),
                d.currency,
                labels(&d.documents)
            ));
        }
    }
    if !s.settled.is_empty() {
        out.push_str("\nDeductions resolved (their documents settled in full):\n");
        for d in &s.settled {
            out.push_str(&format!(
                "  issue {:<6} {:<12} {:<10} {:<12} on {}\n",
                d.issue,
                d.payment.as_deref().unwrap_or("—"),
                d.customer_id,
                d.outcome.map_or("no outcome", |o| o.as_str()),
                labels(&d.documents)
            ));
        }
    }
    if !s.unmatched.is_empty() {
        out.push_str("\nUnapplied:\n");
        for u in &s.unmatched {
            out.push_str(&format!(
                "  {:<12} {:<10} {:>12} {} of {}: {}\n",
                u.payment,
                u.customer_id,
                grouped(u.unapplied, &u.currency),
                u.currency,
                grouped(u.amount, &u.currency),
                u.reason
            ));
        }
    }
    if !s.not_found.is_empty() {
        out.push_str(
            "
Named, but no open invoice of the payer:
",
        );
        for n in &s.not_found {
            out.push_str(&format!(
                "  {:<12} {:<10} {} (in {})
",
                n.payment,
                n.customer_id,
                n.references
                    .iter()
                    .map(|r| crate::error::quoted(r))
                    .collect::<Vec<_>>()
                    .join(", "),
                n.currency
            ));
        }
    }
    out
}
