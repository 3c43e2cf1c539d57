//! `owed find TEXT [--json]`: TEXT's words and quoted phrases, as the queue's filter takes
//! them; customers whose name or id contains every one, documents whose number or id is the
//! one (or starts with it), and activity entries holding every word (notes, calls, replies,
//! issues and their resolutions, promises' and follow-ups' texts; see
//! `store::activity::search`), as of the date.
//!
//! JSON (SPEC "Commands added in the second wave"): `{"customers": [{"id", "name"}],
//! "documents": [{"id", "number", "customer_id"}], "activity": [{"id", "kind",
//! "customer_id", "text", "at"}], "totals": {"customers", "documents", "activity"}}`, at
//! most `--limit` of each (default 50; 0: all); `totals` counts every match, so a list
//! cut at the limit says so.

use super::Context;
use crate::domain::text::{excerpt, one_line};
use crate::store::activity::search::{Found, Section};
use crate::{Error, Result};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct FindArgs {
    /// What to look for: a name, an id, a document number, words written in the activity;
    /// "a phrase" in quotes is one term (every term must match, as in the filter).
    #[arg(required = true)]
    pub text: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// At most this many of each kind (0: all).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// Characters of an activity entry's text shown on its line (around the words found).
const TEXT_WIDTH: usize = 100;

pub fn run(ctx: &Context, args: &FindArgs) -> Result<()> {
    let text = args.text.join(" ");
    crate::domain::search::check_length(&text).map_err(Error::input)?;
    // Words and quoted phrases, as the filter takes them.
    let terms = crate::domain::queue::split_terms(&text)
        .map_err(|e| Error::input(format!("{e} in {}", crate::error::quoted(&text))))?;
    if terms.is_empty() {
        return Err(Error::input(
            "nothing to find: give a name, an id, a document number or words",
        ));
    }
    let store = ctx.open_store()?;
    let found = store.activity().find(&terms, ctx.as_of, args.limit)?;
    if args.json {
        jsonln!("{}", to_json(&found))?;
    } else {
        out!("{}", to_text(&found, text.trim(), args.limit))?;
    }
    Ok(())
}

/// What was found, as JSON (the SPEC's shape, with each entry's `at` too).
pub fn to_json(found: &Found) -> serde_json::Value {
    json!({
        "customers": found.customers.items.iter().map(|c| json!({
            "id": c.id, "name": c.name,
        })).collect::<Vec<_>>(),
        "documents": found.documents.items.iter().map(|d| json!({
            "id": d.id, "number": d.number, "customer_id": d.customer_id,
        })).collect::<Vec<_>>(),
        "activity": found.activity.items.iter().map(|e| json!({
            "id": e.id, "kind": e.kind.name(), "customer_id": e.customer_id,
            "text": e.text, "at": e.at,
        })).collect::<Vec<_>>(),
        // How many of each match in all: a list cut at `--limit` says so.
        "totals": {
            "customers": found.customers.total,
            "documents": found.documents.total,
            "activity": found.activity.total,
        },
    })
}

/// What was found, for people: a heading per kind with its count, one line per item.
pub fn to_text(found: &Found, text: &str, limit: usize) -> String {
    let mut out = String::new();
    // An entry's text around what was sought (a quoted phrase's words too).
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '"')
        .filter(|w| !w.is_empty())
        .collect();
    section(&mut out, "Customers", &found.customers, limit, |c| {
        format!("{}  {}", one_line(&c.id), one_line(&c.name))
    });
    section(&mut out, "Documents", &found.documents, limit, |d| {
        format!(
            "{}  {}  {}  {} ({})",
            one_line(d.number.as_deref().unwrap_or("—")),
            one_line(&d.id),
            d.kind.words(),
            one_line(&d.customer_id),
            one_line(&d.customer_name)
        )
    });
    section(&mut out, "Activity", &found.activity, limit, |e| {
        let when = crate::report::local_time(&e.at);
        let when = when.get(..16).unwrap_or(&when);
        let line = excerpt(&e.text, &words, TEXT_WIDTH);
        format!(
            "{when}  {}  {} {}: {line}",
            one_line(&e.customer_id),
            e.kind.name(),
            e.id
        )
    });
    if out.is_empty() {
        out = format!("Nothing found for {}.\n", crate::error::quoted(text));
    }
    out
}

/// Writes one kind's heading with its count (`Customers (3 of 40)` when the limit cut it), a
/// line per item, and how many more there are (with a `limit`; 0 shows them all). Nothing when
/// nothing of the kind was found.
fn section<T>(
    out: &mut String,
    title: &str,
    found: &Section<T>,
    limit: usize,
    line: impl Fn(&T) -> String,
) {
    let (shown, total) = (found.items.len(), found.total);
    if total == 0 {
        return;
    }
    if shown as u64 == total {
        out.push_str(&format!("{title} ({total})\n"));
    } else {
        out.push_str(&format!("{title} ({shown} of {total})\n"));
    }
    for item in &found.items {
        out.push_str(&format!("  {}\n", line(item)));
    }
    if (shown as u64) < total && limit > 0 {
        out.push_str(&format!(
            "  … and {} more (--limit 0 shows them all)\n",
            total - shown as u64
        ));
    }
}
