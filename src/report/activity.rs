//! `owed activity CUSTOMER`: a customer's timeline as JSON and as text.
//!
//! JSON: `{"as_of": "…", "customer": {…}, "activity": [{"kind": "note" | "call" | "promise"
//! | "issue" | "followup" | "assign" | "reminder" | "reply" | "attachment" | "hold", "id": …,
//! "at": "…", "collector": "…", …}]}` (a call adds `outcome`, `contact`, `text` and
//! `followup_id`; a hold `date`, `until`, `release` and `text`; a
//! reminder `status` and `error`, why it failed, else null, and `released_by` and
//! `released_at` when a person released it; a reply's `collector` is who filed it, with
//! `read_at` and `read_by` once read), newest first. Amounts are strings in the customer's
//! currency (named beside them). A promise, an issue, a reminder and an attachment give the
//! `documents` they name by id (what `--document` takes) and their `document_numbers` beside,
//! in the same order (`null` for one without), by due date then number
//! ([`crate::domain::document::number_order`]); the text names them as people know them, by
//! number (the id when there is none), at most [`DOCUMENTS_NAMED`] of them and how many more
//! (a reminder of a customer with 30,000 invoices named each on one line).

use crate::domain::Date;
use crate::domain::action_checks::DOCUMENTS_NAMED;
use crate::domain::document::{NamedDocument, labels};
use crate::domain::money::{grouped, grouped_count, plain};
use crate::domain::text::one_line;
use crate::store::activity::{Entry, Timeline};
use serde_json::{Value, json};

/// The timeline as JSON.
pub fn to_json(t: &Timeline, as_of: Date) -> Value {
    let c = &t.customer;
    json!({
        "as_of": as_of.to_string(),
        "customer": {
            "id": c.id,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "currency": c.currency,
            "finance_owner": c.finance_owner,
            "sales_owner": c.sales_owner,
        },
        "activity": t.entries.iter().map(entry_json).collect::<Vec<_>>(),
    })
}

/// The documents' ids, as the JSON's `documents` gives them (what `--document` takes).
fn ids(docs: &[NamedDocument]) -> Vec<&str> {
    docs.iter().map(|d| d.id.as_str()).collect()
}

/// Their numbers, in the same order (`null` for one without), as `document_numbers`.
fn numbers(docs: &[NamedDocument]) -> Vec<Option<&str>> {
    docs.iter().map(NamedDocument::number).collect()
}

fn entry_json(e: &Entry) -> Value {
    let mut v = match e {
        Entry::Note(n) => json!({"collector": n.collector, "text": n.text}),
        Entry::Call(c) => json!({
            "collector": c.collector,
            "outcome": c.outcome.as_str(),
            "contact": c.contact,
            "text": c.text,
            "followup_id": c.followup_id,
        }),
        Entry::Promise(p) => json!({
            "collector": p.collector,
            "amount": plain(p.amount, &p.currency),
            "currency": p.currency,
            "date": p.date.to_string(),
            "recorded_date": p.recorded.to_string(),
            "documents": ids(&p.documents),
            "document_numbers": numbers(&p.documents),
            "text": p.text,
            "state": p.progress.state.as_str(),
            "paid": plain(p.progress.paid, &p.currency),
            "remaining": plain(p.progress.remaining, &p.currency),
            "voided": p.void.as_ref().map(|v| json!({
                "at": v.at, "collector": v.collector, "text": v.text,
            })),
        }),
        Entry::Issue(i) => {
            let resolution = i.resolution();
            json!({
                "collector": i.collector,
                "reason": i.reason,
                "amount": plain(i.amount, &i.currency),
                "currency": i.currency,
                "opened_date": i.opened.to_string(),
                "documents": ids(&i.documents),
                "document_numbers": numbers(&i.documents),
                "text": i.text,
                "state": i.state.as_str(),
                "resolution": resolution.map(|r| r.text.clone()),
                "resolved_at": resolution.map(|r| r.at.clone()),
                "resolved_by": resolution.map(|r| r.collector.clone()),
                "outcome": resolution.and_then(|r| r.outcome.clone()),
                "events": i.events.iter().map(|ev| json!({
                    "kind": ev.kind, "at": ev.at, "collector": ev.collector,
                    "date": ev.date.to_string(), "text": ev.text, "outcome": ev.outcome,
                })).collect::<Vec<_>>(),
            })
        }
        Entry::Followup(f) => json!({
            "collector": f.collector,
            "date": f.date.to_string(),
            "text": f.text,
            "done": f.done.is_some(),
            "done_at": f.done.as_ref().map(|d| d.0.clone()),
            "done_by": f.done.as_ref().map(|d| d.1.clone()),
        }),
        Entry::Assign(a) => json!({
            "collector": a.collector,
            "role": a.role.as_str(),
            "old_owner": a.old_owner,
            "new_owner": a.new_owner,
            "by_import": a.by_import,
        }),
        Entry::Reminder(r) => json!({
            "collector": r.collector,
            "signed_by": r.signed_by,
            "cycle": r.cycle,
            "reminder": r.reminder,
            "to": r.to,
            "cc": r.cc,
            "subject": r.subject,
            "body": r.body,
            "status": r.status,
            "error": r.error,
            "released_by": r.released.as_ref().map(|x| x.by.clone()),
            "released_at": r.released.as_ref().map(|x| x.at.clone()),
            "sent_at": r.sent_at,
            "documents": ids(&r.documents),
            "document_numbers": numbers(&r.documents),
        }),
        Entry::Attachment(a) => json!({
            "collector": a.collector,
            "name": a.name,
            "sha256": a.sha256,
            "bytes": a.bytes,
            "text": a.text,
            "documents": ids(&a.documents),
            "document_numbers": numbers(&a.documents),
            "payment": a.payment,
        }),
        Entry::Hold(h) => json!({
            "collector": h.collector,
            "date": h.placed.map(|d| d.to_string()),
            "until": h.until.to_string(),
            "release": h.release,
            "text": h.text,
        }),
        Entry::Reply(r) => json!({
            "collector": r.filed_by,
            "received_date": r.received.to_string(),
            "from": r.from,
            "subject": r.subject,
            "body": r.body,
            "read": r.read,
            "read_at": r.read_at,
            "read_by": r.read_by,
            "verified": r.verified,
        }),
    };
    if let Value::Object(map) = &mut v {
        map.insert("kind".into(), e.kind().into());
        map.insert("id".into(), e.id().into());
        map.insert("at".into(), e.at().into());
    }
    v
}

/// The timeline for people: one block per entry, newest first. Names and headings stay on
/// their line ([`one_line`]); texts keep their lines, indented.
pub fn to_text(t: &Timeline, as_of: Date) -> String {
    let c = &t.customer;
    let mut out = format!(
        "{} — {}  (finance owner: {}; as of {as_of})\n",
        one_line(&c.id),
        one_line(&c.name),
        one_line(c.finance_owner.as_deref().unwrap_or("none"))
    );
    if t.entries.is_empty() {
        out.push_str("\nNo activity yet.\n");
        return out;
    }
    for e in &t.entries {
        let when = super::local_time(e.at());
        let (who, what, detail) = line(e, &c.id);
        let (who, what) = (one_line(&who), one_line(&what));
        out.push_str(&format!("\n{when}  {who:<10}  {what}\n"));
        for d in detail.lines().filter(|l| !l.trim().is_empty()) {
            out.push_str(&format!("    {d}\n"));
        }
    }
    out
}

/// The documents an entry names, for its text: every one up to [`DOCUMENTS_NAMED`], else the
/// first of them and how many more, with the command that lists them all
/// (`MR-1, MR-2, MR-3, MR-4, MR-5 … and 29,995 more (owed activity K1 --json lists them all)`).
fn named(docs: &[NamedDocument], customer: &str) -> String {
    if docs.len() <= DOCUMENTS_NAMED {
        return labels(docs);
    }
    format!(
        "{} … and {} more ({} lists them all)",
        labels(&docs[..DOCUMENTS_NAMED]),
        grouped_count((docs.len() - DOCUMENTS_NAMED) as u64),
        crate::error::command(&format!(
            "activity {} --json",
            crate::error::shell_word(customer)
        ))
    )
}

fn line(e: &Entry, customer: &str) -> (String, String, String) {
    match e {
        Entry::Note(n) => (
            n.collector.clone(),
            format!("note {}", n.id),
            n.text.clone(),
        ),
        Entry::Call(c) => {
            let with = c
                .contact
                .as_deref()
                .map_or(String::new(), |n| format!(" with {n}"));
            let then = c
                .followup_id
                .map_or(String::new(), |f| format!(" (follow-up {f})"));
            (
                c.collector.clone(),
                format!("call {}{with}: {}{then}", c.id, c.outcome.label()),
                c.text.clone().unwrap_or_default(),
            )
        }
        Entry::Promise(p) => {
            let cur = &p.currency;
            let docs = if p.documents.is_empty() {
                String::new()
            } else {
                format!(" for {}", named(&p.documents, customer))
            };
            let what = format!(
                "promise {}: {} {cur} by {}{docs} — {} (paid {}, remaining {})",
                p.id,
                grouped(p.amount, cur),
                p.date,
                p.progress.state.as_str().replace('_', " "),
                grouped(p.progress.paid, cur),
                grouped(p.progress.remaining, cur),
            );
            let mut detail = p.text.clone().unwrap_or_default();
            detail.push_str(&back_dated(&p.at, p.recorded));
            if let Some(v) = &p.void {
                detail.push_str(&format!(
                    "\nvoided by {} at {}{}",
                    v.collector,
                    super::local_time(&v.at),
                    said(v.text.as_deref())
                ));
            }
            (p.collector.clone(), what, detail)
        }
        Entry::Issue(i) => {
            let docs = if i.documents.is_empty() {
                String::new()
            } else {
                format!(" on {}", named(&i.documents, customer))
            };
            let what = format!(
                "issue {}: {}, {} {}{docs} — {}",
                i.id,
                i.reason,
                grouped(i.amount, &i.currency),
                i.currency,
                i.state.as_str()
            );
            let mut detail = i.text.clone().unwrap_or_default();
            detail.push_str(&back_dated(&i.at, i.opened));
            for ev in &i.events {
                let verb = if ev.kind == crate::domain::action_checks::IssueEventKind::Resolve {
                    "resolved"
                } else {
                    "reopened"
                };
                let outcome = ev
                    .outcome
                    .as_deref()
                    .map(|o| format!(" ({})", o.replace('_', " ")))
                    .unwrap_or_default();
                detail.push_str(&format!(
                    "\n{verb} by {} on {}{outcome}{}",
                    ev.collector,
                    ev.date,
                    said(ev.text.as_deref())
                ));
            }
            (i.collector.clone(), what, detail)
        }
        Entry::Followup(f) => {
            let state = match &f.done {
                Some((at, by)) => format!("done by {by} at {}", super::local_time(at)),
                None => "to do".into(),
            };
            (
                f.collector.clone(),
                format!("follow-up {} on {} — {state}", f.id, f.date),
                f.text.clone(),
            )
        }
        Entry::Assign(a) => (
            a.collector.clone(),
            format!(
                "{} {} → {}{}",
                a.role.label(),
                a.old_owner.as_deref().unwrap_or("none"),
                a.new_owner,
                if a.by_import { " (by import)" } else { "" }
            ),
            String::new(),
        ),
        Entry::Reminder(r) => (
            r.collector.clone(),
            format!(
                "reminder {} ({} / {}) to {}{} — {}{}{}",
                r.id,
                r.cycle,
                r.reminder,
                r.to,
                r.cc.as_deref()
                    .map(|cc| format!(" (cc {cc})"))
                    .unwrap_or_default(),
                r.status,
                r.error
                    .as_deref()
                    .filter(|_| r.status != "sent")
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default(),
                r.released
                    .as_ref()
                    .map(|x| format!(" ({x})"))
                    .unwrap_or_default()
            ),
            format!(
                "{}
{}{}",
                r.subject,
                named(&r.documents, customer),
                signed(r.signed_by.as_deref(), &r.collector)
            ),
        ),
        Entry::Attachment(a) => {
            let mut on = Vec::new();
            if !a.documents.is_empty() {
                on.push(format!("on {}", named(&a.documents, customer)));
            }
            if let Some(p) = &a.payment {
                on.push(format!("with payment {p}"));
            }
            let on = if on.is_empty() {
                String::new()
            } else {
                format!(" {}", on.join(", "))
            };
            (
                a.collector.clone(),
                format!(
                    "attachment {}: {} ({}){on}",
                    a.id,
                    a.name,
                    crate::domain::attachment::size_label(a.bytes)
                ),
                a.text.clone().unwrap_or_default(),
            )
        }
        Entry::Hold(h) => (
            h.collector.clone(),
            if h.release {
                format!("hold {}: hold released", h.id)
            } else {
                format!("hold {}: held back from engagement until {}", h.id, h.until)
            },
            h.text.clone().unwrap_or_default(),
        ),
        Entry::Reply(r) => (
            "reply".into(),
            if r.verified {
                format!("reply {} from {} on {}", r.id, r.from, r.received)
            } else {
                format!(
                    "reply {} from {} on {} — UNVERIFIED SENDER: not among the customer's \
                     addresses or domains",
                    r.id, r.from, r.received
                )
            },
            format!("{}\n{}{}", r.subject, reply_text(&r.body), reply_record(r)),
        ),
    }
}

/// A reply's line of who filed it and who read it, when: `filed by dana; read by alice at
/// 2026-04-30 11:15` (local time); empty for a reply neither filed nor read by a known
/// person (filed before this was kept, and unread).
fn reply_record(r: &crate::store::activity::ReplyView) -> String {
    let mut said = Vec::new();
    if let Some(by) = &r.filed_by {
        said.push(format!("filed by {by}"));
    }
    if let Some(at) = &r.read_at {
        let at = super::local_time(at);
        said.push(match &r.read_by {
            Some(by) => format!("read by {by} at {at}"),
            None => format!("read at {at}"),
        });
    }
    if said.is_empty() {
        String::new()
    } else {
        format!("\n{}", said.join("; "))
    }
}

/// A line saying that an entry written at `at` counts from an earlier `day` (written with
/// `--as-of`, or in a session set back with `:asof`): the heading shows when it was written;
/// empty when it counts from the day it was written.
fn back_dated(at: &str, day: Date) -> String {
    match crate::store::local_day(at) {
        Some(written) if written > day => {
            format!("\ncounts from {day} (written on {written}, back-dated)")
        }
        Some(written) if written < day => {
            format!("\ncounts from {day} (written on {written}, dated ahead)")
        }
        _ => String::new(),
    }
}

/// Lines of a reply's body worth reading in a timeline: what the customer wrote, without the
/// quoted reminder (`> ` lines), at most [`REPLY_LINES`] of them.
fn reply_text(body: &str) -> String {
    let mut lines: Vec<&str> = body
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('>'))
        .collect();
    if lines.len() > REPLY_LINES {
        lines.truncate(REPLY_LINES);
        lines.push("…");
    }
    lines.join("\n")
}

/// How many lines of a reply's body the timeline shows.
const REPLY_LINES: usize = 12;

/// What was said with a voiding, resolving or reopening, after a colon (nothing when nothing
/// was).
/// A reminder's signature when another than its sender signed it (the customer's finance
/// owner), on a line of its own: `signed by bob`.
fn signed(by: Option<&str>, sender: &str) -> String {
    match by {
        Some(by) if by != sender => format!("\nsigned by {}", one_line(by)),
        _ => String::new(),
    }
}

fn said(text: Option<&str>) -> String {
    text.map(|t| format!(": {t}")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_shows_what_the_customer_wrote_without_the_quoted_reminder() {
        let body = "Paying Friday.\n\nThanks,\nAna\n\n> Dear customer,\n> 2 invoices are due.\n";
        assert_eq!(reply_text(body), "Paying Friday.\nThanks,\nAna");
        let long: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let shown = reply_text(&long);
        assert_eq!(shown.lines().count(), REPLY_LINES + 1);
        assert!(shown.ends_with("line 12\n…"), "{shown}");
    }
}
