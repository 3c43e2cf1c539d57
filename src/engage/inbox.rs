//! `owed inbox import MAILDIR`: customers' replies filed in their activity.
//!
//! Every message in `MAILDIR/new/` is read and matched to a customer: first by its
//! In-Reply-To and References headers against the Message-IDs of the reminders sent, else by
//! its sender's address against the customers' email addresses, their contacts' included
//! (when exactly one customer has it). A matched message is filed in `replies` (date, sender, subject, text; unread),
//! and then moved to `cur/` with the Maildir info suffix `:2,S` (seen), as a mail reader
//! does. Importing is idempotent: a message whose Message-ID is already filed is not filed
//! twice (and is moved too). A message that matches no customer stays in `new/` and is
//! reported.
//!
//! Everything in the Maildir is hostile. Links are never followed: `new/` and `cur/` must be
//! folders, not links (else the import is refused), and an entry of `new/` that is not a
//! regular file — a symbolic link, a folder, a pipe — or is larger than
//! [`MAX_MESSAGE_BYTES`] is skipped, reported and left where it is (on Unix it is opened with
//! `O_NOFOLLOW | O_NONBLOCK`, so a file swapped for a link or a pipe meanwhile is not read
//! either). A Message-ID is no proof of who wrote: a reply matched by thread whose sender is
//! outside the customer's addresses and their email domains (see [`sender_is_known`]) is
//! filed **unverified** — shown, marked, and left out of the last reply date (rules), the
//! last contact (queue) and the engagement report. A reply matched by its sender's address
//! is verified by that match.

use super::mail::{self, ParsedMail};
use crate::domain::Date;
use crate::domain::attachment::A_LINK;
use crate::domain::date::Clock;
use crate::domain::engage::address_key;
use crate::files::open_no_follow;
use crate::store::Store;
use crate::store::engage::NewReply;
use crate::{Error, Result};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Messages larger than this are skipped (32 MiB; a reply with attachments is far less).
pub const MAX_MESSAGE_BYTES: u64 = 32 * 1024 * 1024;

/// What an import did with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// Filed for the customer; `by_thread` when matched by its threading headers;
    /// `verified` when its sender is among the customer's addresses or domains.
    Reply {
        customer_id: String,
        by_thread: bool,
        verified: bool,
        from: Option<String>,
    },
    /// Already filed by an earlier import.
    Duplicate { customer_id: String },
    /// No customer matched: left in `new/`.
    Unmatched { from: Option<String> },
    /// Not read (not a regular file, or too large): left in `new/`.
    Skipped { why: String },
}

/// One message of the import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub file: String,
    pub subject: String,
    pub outcome: Filed,
}

/// The day a reply was received: its `Date` header, else `as_of`; never after the day it is
/// filed (the later of `as_of` and `today`). A sender's clock, or a forger, can date a message
/// in 2100: taken as it is, the reply would stay out of the activity, the Replies tab and the
/// unread count until then.
fn received_date(header: Option<Date>, as_of: Date, today: Date) -> Date {
    header.unwrap_or(as_of).min(as_of.max(today))
}

/// Imports the new messages of the Maildir `dir` as `by` (recorded with each reply filed);
/// `as_of` dates messages without a readable `Date` header. `clock` is this machine's, read
/// by the caller: each reply is stamped when it is filed, and none is dated after the later
/// of today and `as_of`, the day it is filed (see [`received_date`]). `on_item` is told of each message as soon as it is dealt with, so that
/// what was filed is reported even when a later error stops the import.
///
/// # Errors
///
/// [`Error::Input`] when `dir` does not exist or is not a Maildir (no `new/` folder) or its
/// `new/` or `cur/` is a symbolic link; I/O and database errors, and those of `on_item`. A
/// message that cannot be read is not an error: it is skipped, as a link is.
pub fn import_maildir(
    store: &mut Store,
    dir: &Path,
    by: &str,
    as_of: Date,
    clock: Clock,
    log: &mut crate::store::engage::InboxRunLog,
    on_item: &mut dyn FnMut(&InboxItem) -> Result<()>,
) -> Result<()> {
    let new = dir.join("new");
    let cur = dir.join("cur");
    for sub in [&new, &cur] {
        if std::fs::symlink_metadata(sub).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::input(format!(
                "{} is a symbolic link: owed does not follow links in a Maildir",
                sub.display()
            )));
        }
    }
    if std::fs::symlink_metadata(dir).is_err() {
        return Err(Error::input(format!("{} does not exist", dir.display())));
    }
    if !new.is_dir() {
        return Err(Error::input(format!(
            "{} is not a Maildir: it has no new/ folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(&cur)
        .map_err(|e| Error::runtime(format!("cannot create {}: {e}", cur.display())))?;
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = std::fs::read_dir(&new)
        .map_err(|e| Error::runtime(format!("cannot read {}: {e}", new.display())))?
        .filter_map(|e| {
            let e = e.ok()?;
            // The entry's own type: a link is not followed.
            Some((e.path(), e.file_type().ok()?))
        })
        .filter(|(p, _)| {
            // Maildir readers skip dot files.
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let addresses = store.engagement().customers_by_address()?;
    let mut by_customer: HashMap<i64, Vec<String>> = HashMap::new();
    for (address, cids) in &addresses {
        for &cid in cids {
            by_customer.entry(cid).or_default().push(address.clone());
        }
    }
    let labels = store.ledger().customer_labels()?;
    for (path, kind) in entries {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let raw = match read_message(&path, kind) {
            Ok(raw) => raw,
            Err(why) => {
                let item = InboxItem {
                    file,
                    subject: String::new(),
                    outcome: Filed::Skipped { why },
                };
                on_item(&item)?;
                continue;
            }
        };
        let parsed = mail::parse(&raw);
        let matched = match_customer(store, &parsed, &addresses)?;
        let Some((cid, reminder_message_id)) = matched else {
            let item = InboxItem {
                file,
                subject: parsed.subject,
                outcome: Filed::Unmatched { from: parsed.from },
            };
            on_item(&item)?;
            continue;
        };
        let verified = parsed.from.as_deref().is_some_and(|from| {
            sender_is_known(from, by_customer.get(&cid).map_or(&[][..], Vec::as_slice))
        });
        let message_id = parsed
            .message_id
            .clone()
            .unwrap_or_else(|| synthetic_message_id(&raw));
        let in_reply_to = reminder_message_id
            .as_deref()
            .or(parsed.in_reply_to.first().map(String::as_str));
        let inserted = store.engagement_mut().file_reply(
            &NewReply {
                cid,
                at: &clock.stamp(),
                received_date: received_date(parsed.date, as_of, clock.today()),
                message_id: &message_id,
                in_reply_to,
                from_addr: parsed.from.as_deref().unwrap_or(""),
                subject: &parsed.subject,
                body: &parsed.body,
                verified,
                filed_by: by,
            },
            log,
        )?;
        move_to_cur(&path, &cur, &file)?;
        let customer_id = labels.get(&cid).map(|l| l.id.clone()).unwrap_or_default();
        let item = InboxItem {
            file,
            subject: parsed.subject,
            outcome: if inserted {
                Filed::Reply {
                    customer_id,
                    by_thread: reminder_message_id.is_some(),
                    verified,
                    from: parsed.from,
                }
            } else {
                Filed::Duplicate { customer_id }
            },
        };
        on_item(&item)?;
    }
    Ok(())
}

/// The bytes of the message at `path` (an entry of `new/` of type `kind`), or why it is
/// skipped: not a regular file (a link is never followed), too large, empty, or unreadable (its
/// permissions, or removed since it was listed). One message that does not read must not stop
/// the import of the others, every night at the same file.
fn read_message(path: &Path, kind: std::fs::FileType) -> std::result::Result<Vec<u8>, String> {
    let too_large = || format!("larger than {} MiB", MAX_MESSAGE_BYTES / 1024 / 1024);
    let unreadable = |e: std::io::Error| format!("cannot read it: {e}");
    if kind.is_symlink() {
        return Err(A_LINK.into());
    }
    if !kind.is_file() {
        return Err("not a regular file".into());
    }
    // Swapped for a link since it was listed: the open fails rather than follow it; a pipe
    // does not block the open.
    let mut file = match open_no_follow(path) {
        Ok(Some(f)) => f,
        Ok(None) => return Err(A_LINK.into()),
        Err(e) => return Err(unreadable(e)),
    };
    let meta = file.metadata().map_err(unreadable)?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    if meta.len() > MAX_MESSAGE_BYTES {
        return Err(too_large());
    }
    let mut raw = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    (&mut file)
        .take(MAX_MESSAGE_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(unreadable)?;
    if raw.len() as u64 > MAX_MESSAGE_BYTES {
        return Err(too_large());
    }
    if raw.iter().all(u8::is_ascii_whitespace) {
        // Not a message: "no customer … from an unknown sender" said nothing of why.
        return Err(if raw.is_empty() {
            "the file is empty"
        } else {
            "the file holds only blank lines"
        }
        .into());
    }
    Ok(raw)
}

/// Whether `from` (an address, lowercase) is one of the customer's `addresses`, or in the
/// email domain of one of them or a subdomain of it. The domains of public mailbox providers
/// (gmail.com, outlook.com, …) are shared by strangers: there only the exact address counts.
pub fn sender_is_known(from: &str, addresses: &[String]) -> bool {
    let from = address_key(from);
    let Some(from_domain) = domain_of(&from) else {
        return false;
    };
    addresses.iter().any(|a| {
        let a = address_key(a);
        if a == from {
            return true;
        }
        match domain_of(&a) {
            Some(d) if !is_public_mailbox_domain(d) => {
                from_domain == d
                    || from_domain
                        .strip_suffix(d)
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            _ => false,
        }
    })
}

/// The domain of an address (after its last `@`), when it has a dot.
fn domain_of(address: &str) -> Option<&str> {
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.trim().trim_end_matches('.');
    (domain.contains('.') && !domain.starts_with('.')).then_some(domain)
}

/// Mailbox providers whose domain anyone can have an address in.
fn is_public_mailbox_domain(domain: &str) -> bool {
    const DOMAINS: &[&str] = &[
        "126.com",
        "163.com",
        "aol.com",
        "att.net",
        "btinternet.com",
        "comcast.net",
        "fastmail.com",
        "free.fr",
        "gmx.com",
        "gmx.de",
        "gmx.net",
        "hey.com",
        "laposte.net",
        "libero.it",
        "mac.com",
        "mail.com",
        "mail.ru",
        "me.com",
        "msn.com",
        "orange.fr",
        "pm.me",
        "proton.me",
        "qq.com",
        "t-online.de",
        "tutanota.com",
        "verizon.net",
        "web.de",
        "ymail.com",
        "zoho.com",
    ];
    // Brands with a domain per country (yahoo.co.uk, hotmail.fr, …).
    const BRANDS: &[&str] = &[
        "aol",
        "gmail",
        "googlemail",
        "hotmail",
        "icloud",
        "live",
        "outlook",
        "protonmail",
        "yahoo",
        "yandex",
    ];
    DOMAINS.contains(&domain)
        || domain
            .split('.')
            .next()
            .is_some_and(|brand| BRANDS.contains(&brand))
}

/// The customer a message is from, and the reminder Message-ID it answers if matched by
/// thread.
fn match_customer(
    store: &Store,
    parsed: &ParsedMail,
    addresses: &HashMap<String, Vec<i64>>,
) -> Result<Option<(i64, Option<String>)>> {
    for id in parsed.thread_ids() {
        if let Some((_, cid)) = store.engagement().reminder_by_message_id(id)? {
            return Ok(Some((cid, Some(id.to_string()))));
        }
    }
    Ok(parsed
        .from
        .as_ref()
        .and_then(|from| addresses.get(&address_key(from)))
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
    fn senders_are_known_by_address_or_the_customers_own_domain() {
        let kite = vec![
            "ap@kite.example".to_string(),
            "Bob <bob@gmail.com>".to_string(),
        ];
        for known in [
            "ap@kite.example",
            "cfo@kite.example",
            "x@billing.kite.example",
            "CFO@Kite.Example",
            "bob@gmail.com",
        ] {
            assert!(sender_is_known(known, &kite), "{known}");
        }
        for stranger in [
            "attacker@evil.example",
            "ap@kite.example.evil.example",
            "ap@notkite.example",
            "alice@gmail.com",
            "ap@kite",
            "",
        ] {
            assert!(!sender_is_known(stranger, &kite), "{stranger}");
        }
        // A customer at a public provider: only the exact address.
        let yahoo = vec!["ap@yahoo.co.uk".to_string()];
        assert!(sender_is_known("ap@yahoo.co.uk", &yahoo));
        assert!(!sender_is_known("someone@yahoo.co.uk", &yahoo));
        assert!(!sender_is_known("ap@kite.example", &[]));
        // Reminders go to a domain that is not ASCII in punycode: the reply may come from
        // either spelling.
        let buecher = ["AP <ap@Bücher.example>".to_string()];
        assert!(sender_is_known("ap@xn--bcher-kva.example", &buecher));
        assert!(sender_is_known("billing@bücher.example", &buecher));
        let puny = ["ap@xn--bcher-kva.example".to_string()];
        assert!(sender_is_known("ap@bücher.example", &puny));
    }

    #[test]
    fn a_reply_is_never_received_after_the_day_it_is_filed() {
        let day = |y, m, d| Date::from_ymd_opt(y, m, d).unwrap();
        let (as_of, today) = (day(2026, 4, 30), day(2026, 12, 6));
        // A date in the future of the filing is the filing day.
        assert_eq!(
            received_date(Some(day(2100, 1, 1)), as_of, today),
            day(2026, 12, 6)
        );
        assert_eq!(received_date(Some(day(2100, 1, 1)), today, today), today);
        // Back-dated to 30 April, a reply of 3 May received before today keeps its date.
        assert_eq!(
            received_date(Some(day(2026, 5, 3)), as_of, today),
            day(2026, 5, 3)
        );
        // Without a date: the as-of day, as before.
        assert_eq!(received_date(None, as_of, today), as_of);
        let later = day(2027, 1, 31);
        assert_eq!(received_date(None, later, today), later);
        assert_eq!(received_date(Some(day(2100, 1, 1)), later, today), later);
    }

    #[test]
    fn a_message_that_cannot_be_read_is_skipped_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let listed = dir.path().join("1.a.host");
        std::fs::write(&listed, "x").unwrap();
        let kind = std::fs::symlink_metadata(&listed).unwrap().file_type();
        // Removed (or made unreadable) between the listing and the open.
        std::fs::remove_file(&listed).unwrap();
        let why = read_message(&listed, kind).unwrap_err();
        assert!(why.starts_with("cannot read it: "), "{why}");
    }

    #[test]
    fn synthetic_ids_are_stable() {
        assert_eq!(synthetic_message_id(b"abc"), synthetic_message_id(b"abc"));
        assert_ne!(synthetic_message_id(b"abc"), synthetic_message_id(b"abd"));
    }
}
