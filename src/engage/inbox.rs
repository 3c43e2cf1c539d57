//! `owed inbox import MAILDIR`: customers' replies filed in their activity.
//!
//! Every message in `MAILDIR/new/` is read and matched to a customer: first by its
//! In-Reply-To and References headers against the Message-IDs of the reminders sent, else by
//! its sender's address against the customers' email addresses (when exactly one customer
//! has it). A matched message is filed in `replies` (date, sender, subject, text; unread),
//! which also sets the customer's last reply date, and then moved to `cur/` with the Maildir
//! info suffix `:2,S` (seen), as a mail reader does. Importing is idempotent: a message
//! whose Message-ID is already filed is not filed twice (and is moved too). A message that
//! matches no customer stays in `new/` and is reported.

use super::mail::{self, ParsedMail};
use super::outbox::now;
use crate::domain::Date;
use crate::store::Store;
use crate::store::engage::NewReply;
use crate::{Error, Result};
use std::path::{Path, PathBuf};

/// What an import did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// Filed for the customer; `by_thread` when matched by its threading headers.
    Reply {
        customer_id: String,
        by_thread: bool,
    },
    /// Already filed by an earlier import.
    Duplicate { customer_id: String },
    /// No customer matched: left in `new/`.
    Unmatched { from: Option<String> },
}

/// One message of the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub file: String,
    pub subject: String,
    pub outcome: Filed,
}

/// Imports the new messages of the Maildir `dir`; `as_of` dates messages without a
/// readable `Date` header.
///
/// # Errors
///
/// [`Error::Input`] when `dir` is not a Maildir (no `new/` folder); I/O and database errors.
pub fn import_maildir(store: &mut Store, dir: &Path, as_of: Date) -> Result<Vec<InboxItem>> {
    let new = dir.join("new");
    let cur = dir.join("cur");
    if !new.is_dir() {
        return Err(Error::input(format!(
            "{} is not a Maildir: it has no new/ folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(&cur)
        .map_err(|e| Error::runtime(format!("cannot create {}: {e}", cur.display())))?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
        .map_err(|e| Error::runtime(format!("cannot read {}: {e}", new.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            // Maildir readers skip dot files.
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    let addresses = store.customers_by_address()?;
    let labels = store.customer_labels()?;
    let mut out = Vec::with_capacity(files.len());
    for path in files {
        let raw = std::fs::read(&path)
            .map_err(|e| Error::runtime(format!("cannot read {}: {e}", path.display())))?;
        let parsed = mail::parse(&raw);
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let matched = match_customer(store, &parsed, &addresses)?;
        let Some((cid, reminder_message_id)) = matched else {
            out.push(InboxItem {
                file,
                subject: parsed.subject,
                outcome: Filed::Unmatched { from: parsed.from },
            });
            continue;
        };
        let message_id = parsed
            .message_id
            .clone()
            .unwrap_or_else(|| synthetic_message_id(&raw));
        let in_reply_to = reminder_message_id
            .as_deref()
            .or(parsed.in_reply_to.first().map(String::as_str));
        let inserted = store.insert_reply(&NewReply {
            cid,
            at: &now(),
            received_date: parsed.date.unwrap_or(as_of),
            message_id: &message_id,
            in_reply_to,
            from_addr: parsed.from.as_deref().unwrap_or(""),
            subject: &parsed.subject,
            body: &parsed.body,
        })?;
        move_to_cur(&path, &cur, &file)?;
        let customer_id = labels.get(&cid).map(|l| l.id.clone()).unwrap_or_default();
        out.push(InboxItem {
            file,
            subject: parsed.subject,
            outcome: if inserted {
                Filed::Reply {
                    customer_id,
                    by_thread: reminder_message_id.is_some(),
                }
            } else {
                Filed::Duplicate { customer_id }
            },
        });
    }
    Ok(out)
}

/// The customer a message is from, and the reminder Message-ID it answers if matched by
/// thread.
fn match_customer(
    store: &Store,
    parsed: &ParsedMail,
    addresses: &std::collections::HashMap<String, Vec<i64>>,
) -> Result<Option<(i64, Option<String>)>> {
    for id in parsed.thread_ids() {
        if let Some((_, cid)) = store.reminder_by_message_id(id)? {
            return Ok(Some((cid, Some(id.to_string()))));
        }
    }
    Ok(parsed
        .from
        .as_ref()
        .and_then(|from| addresses.get(from))
        .filter(|cids| cids.len() == 1)
        .map(|cids| (cids[0], None)))
}

/// Moves `path` into `cur/` with the info suffix `:2,S` (keeping existing flags).
fn move_to_cur(path: &Path, cur: &Path, file: &str) -> Result<()> {
    let name = match file.split_once(":2,") {
        Some((base, flags)) if flags.contains('S') => format!("{base}:2,{flags}"),
        Some((base, flags)) => {
            let mut flags: Vec<char> = flags.chars().chain(['S']).collect();
            flags.sort_unstable();
            format!("{base}:2,{}", flags.into_iter().collect::<String>())
        }
        None => format!("{file}:2,S"),
    };
    let target = cur.join(name);
    std::fs::rename(path, &target).map_err(|e| {
        Error::runtime(format!(
            "cannot move {} to {}: {e}",
            path.display(),
            target.display()
        ))
    })
}

/// A stable Message-ID for a message without one (FNV-1a of its bytes), so that importing
/// it twice files it once.
fn synthetic_message_id(raw: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in raw {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("<no-id.{hash:016x}@owed.invalid>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cur_names_get_the_seen_flag() {
        let dir = tempfile::tempdir().unwrap();
        let cur = dir.path();
        for (file, want) in [
            ("1.a.host", "1.a.host:2,S"),
            ("2.b.host:2,F", "2.b.host:2,FS"),
            ("3.c.host:2,S", "3.c.host:2,S"),
        ] {
            let p = dir.path().join(format!("src-{file}"));
            std::fs::write(&p, "x").unwrap();
            move_to_cur(&p, cur, file).unwrap();
            assert!(cur.join(want).exists(), "{want}");
        }
    }

    #[test]
    fn synthetic_ids_are_stable() {
        assert_eq!(synthetic_message_id(b"abc"), synthetic_message_id(b"abc"));
        assert_ne!(synthetic_message_id(b"abc"), synthetic_message_id(b"abd"));
    }
}
