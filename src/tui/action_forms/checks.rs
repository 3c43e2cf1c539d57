//! Each field checked as it is typed, with the command line's checks: what its text means,
//! or how to fill it in, or why the save would be refused.

use super::fields::{documents, paths, role};
use super::{ActionForm, Check};
use crate::domain::action_checks::{self as check, Outcome, OwnerRole};
use crate::domain::calls::CallOutcome;
use crate::domain::{Date, Decimal, date, money};
use crate::tui::field::{Field, FieldId};
use crate::workstation::files::one_path;
use crate::workstation::save::FormKind;
use crate::workstation::{FileAccess, Unreadable};
use chrono::Datelike;

impl ActionForm {
    /// Whether every field is valid, as of `as_of` with the real `today` (see [`Self::check`]).
    pub fn first_error(&self, as_of: Date, today: Date) -> Option<(usize, String)> {
        self.fields.iter().enumerate().find_map(|(i, f)| {
            if let Some(e) = &f.refused {
                return Some((i, e.clone()));
            }
            match self.check(f, (as_of, today), true) {
                Check::Err(e) => Some((i, e)),
                _ => None,
            }
        })
    }

    /// What a field's text means as of `as_of`, on the real `today` (the session's day,
    /// whatever date is on screen): a follow-up is dated when it is written, so its date
    /// (`+1d`, `today`, a weekday) counts from `today` and is not before it, where a promise's
    /// counts from the as-of day it is back-dated to. `strict`: an empty required field or a
    /// half-typed choice is an error (else a hint).
    pub fn check(&self, field: &Field, (as_of, today): (Date, Date), strict: bool) -> Check {
        let v = field.value().trim();
        let missing = |error: String, hint: String| {
            if strict {
                Check::Err(error)
            } else {
                Check::Hint(hint)
            }
        };
        let cur = self.currency();
        let money = |a: Decimal| {
            format!("{} {cur}", money::grouped(a, cur))
                .trim()
                .to_string()
        };
        match field.id {
            FieldId::Text => {
                let required = matches!(self.kind, FormKind::Note | FormKind::FollowUp);
                if v.is_empty() {
                    let what = if self.kind == FormKind::Note {
                        "note"
                    } else {
                        "follow-up text"
                    };
                    return if required {
                        missing(format!("the {what} is empty"), "required".into())
                    } else {
                        Check::Hint("optional".into())
                    };
                }
                match field.value().lines().count() {
                    n if n > 1 => Check::Ok(format!("{n} lines")),
                    _ => Check::Ok(String::new()),
                }
            }
            FieldId::Amount => {
                if v.is_empty() {
                    return match (self.kind, self.nothing_proposed()) {
                        (FormKind::Dispute, _) => Check::Hint(self.dispute_default()),
                        (FormKind::Promise, Some(why)) => missing(
                            format!(
                                "the amount is missing: {why}, so none is proposed; type what \
                                 is promised"
                            ),
                            format!("required: {why}"),
                        ),
                        _ => missing("the amount is missing".into(), "required".into()),
                    };
                }
                match check::amount(v).and_then(|a| check::in_minor_units(a, cur).map(|()| a)) {
                    Ok(a) => {
                        let defaults = self.data.as_ref().and_then(|d| d.defaults.as_ref());
                        let named = documents(&self.value(FieldId::Documents));
                        // What the save checks: no more than is open where it is promised (a
                        // document not found is the documents field's error, not this one's).
                        if self.kind == FormKind::Promise
                            && let Some(open) = defaults.and_then(|d| d.open_on(&named))
                            && let Err(e) =
                                check::promise_within_open(a, open, !named.is_empty(), cur)
                        {
                            return Check::Err(e);
                        }
                        // And, with the customer's open promises, no more than is open in all.
                        if self.kind == FormKind::Promise
                            && let Some(d) = defaults
                            && let Some(open) = d.open_on(&[])
                            && let Err(e) = check::promises_within_open(
                                a,
                                d.promised.total,
                                &d.promised.ids,
                                open,
                                cur,
                            )
                        {
                            return Check::Err(e);
                        }
                        if self.kind == FormKind::Dispute
                            && let Some(total) = defaults.and_then(|d| d.amount_of(&named))
                            && let Err(e) = check::dispute_within_documents(a, total, cur)
                        {
                            return Check::Err(e);
                        }
                        let note = match defaults {
                            Some(d)
                                if d.left_to_promise() == Some(a)
                                    && a < d.proposed_amount()
                                    && self.kind == FormKind::Promise =>
                            {
                                ", what the open promises leave"
                            }
                            Some(d) if d.proposed_amount() == a && d.overdue_disputed() > 0 => {
                                ", the overdue amount not in dispute"
                            }
                            Some(d) if d.overdue == a => ", the overdue amount",
                            _ => "",
                        };
                        Check::Ok(format!("{}{note}", money(a)))
                    }
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Date => {
                let what = if self.kind == FormKind::Promise {
                    "promise date"
                } else {
                    "follow-up date"
                };
                if v.is_empty() && self.kind == FormKind::Call {
                    return Check::Hint("empty: no follow-up".into());
                }
                if v.is_empty() {
                    return missing(
                        format!("the {what} is missing"),
                        "YYYY-MM-DD, +7d, +2w or a weekday (friday)".into(),
                    );
                }
                let from = if self.kind == FormKind::Promise {
                    as_of
                } else {
                    today
                };
                match check::future_date(what, v, from) {
                    Ok(d) => Check::Ok(describe_date(d, from)),
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Documents => self.check_documents(&money),
            FieldId::Reason => {
                if field.is_choice() {
                    return Check::Ok(String::new());
                }
                let all = format!("Tab: {}", field.choices.join(", "));
                if v.is_empty() {
                    let e = check::reason("", &field.choices).err().unwrap_or_default();
                    return missing(e, all);
                }
                let matches = field.matches();
                if !strict && !matches.is_empty() {
                    return Check::Hint(format!("Tab: {}", matches.join(", ")));
                }
                match check::reason(v, &field.choices) {
                    Ok(_) => Check::Ok(String::new()),
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Issue => self.check_issue(field, &money),
            FieldId::Owner => self.check_owner(field),
            FieldId::Files => check_files(&self.files, v, strict),
            FieldId::Role => match role(v) {
                Some(_) => Check::Ok("Tab: finance or sales".into()),
                None => Check::Err("the role is finance or sales".into()),
            },
            FieldId::Outcome if self.kind == FormKind::Resolve => check_resolution(field, strict),
            FieldId::Outcome => {
                let all = format!("Tab: {}", field.choices.join(", "));
                if v.is_empty() {
                    let e = CallOutcome::parse("").err().unwrap_or_default();
                    return missing(e, all);
                }
                let matches = field.matches();
                if !strict && !field.is_choice() && !matches.is_empty() {
                    return Check::Hint(format!("Tab: {}", matches.join(", ")));
                }
                match CallOutcome::parse(v) {
                    Ok(o) => Check::Ok(match o.followup_date(today) {
                        Some(d) => format!(
                            "{}; proposes a follow-up for {}",
                            o.label(),
                            describe_date(d, today)
                        ),
                        None => o.label().to_string(),
                    }),
                    Err(e) => Check::Err(e),
                }
            }
            FieldId::Contact => {
                // One customer's person, number or address is not the others': a call logged
                // on several customers names none (each would carry it, and its follow-up).
                if self.cids.len() > 1 {
                    return if v.is_empty() {
                        Check::Hint("empty: one call on each marked customer".into())
                    } else {
                        Check::Err(format!(
                            "a contact is one customer's: leave it empty for {} customers, or \
                             log the call on that customer alone",
                            self.cids.len()
                        ))
                    };
                }
                if v.is_empty() {
                    return Check::Hint(if field.choices.is_empty() {
                        "optional: whom you called".into()
                    } else {
                        format!("optional; Tab: {}", field.choices.join(", "))
                    });
                }
                match crate::domain::text::refuse_name("the contact's name", v) {
                    Ok(()) => Check::Ok(String::new()),
                    Err(e) => Check::Err(e),
                }
            }
        }
    }

    /// Why a promise proposes no amount for its customer: its open promises leave nothing to
    /// promise, every overdue document is in dispute, or none is overdue (none when it
    /// proposes one, or its data has not come).
    fn nothing_proposed(&self) -> Option<&'static str> {
        let defaults = self.data.as_ref().and_then(|d| d.defaults.as_ref())?;
        if defaults.proposed_promise() > Decimal::ZERO {
            return None;
        }
        Some(if defaults.left_to_promise() == Some(Decimal::ZERO) {
            "the open promises leave nothing to promise"
        } else if defaults.overdue_disputed() > 0 {
            "every overdue document is in dispute"
        } else {
            "nothing is overdue"
        })
    }

    /// The dispute's amount when none is typed: the documents' open balances, else the
    /// overdue amount.
    fn dispute_default(&self) -> String {
        let Some(defaults) = self.data.as_ref().and_then(|d| d.defaults.as_ref()) else {
            return "empty: the documents' open balance, else the overdue amount".into();
        };
        let cur = self.currency();
        let docs = documents(&self.value(FieldId::Documents));
        if docs.is_empty() {
            return format!(
                "empty: {} {cur}, the overdue amount",
                money::grouped(defaults.overdue, cur)
            );
        }
        // The names that are open documents (the others are the documents field's error).
        let known: Vec<&str> = docs
            .iter()
            .map(String::as_str)
            .filter(|d| defaults.find(d).is_some() || defaults.is_overdue_word(d))
            .collect();
        let sum: Decimal = defaults
            .resolve(&known)
            .unwrap_or_default()
            .iter()
            .map(|d| d.balance)
            .sum();
        format!(
            "empty: {} {cur}, the documents' open balance",
            money::grouped(sum, cur)
        )
    }

    fn check_documents(&self, money: &dyn Fn(Decimal) -> String) -> Check {
        let docs = documents(&self.value(FieldId::Documents));
        if docs.is_empty() {
            return Check::Hint(match self.kind {
                FormKind::Promise => "none: any payment of the customer counts".into(),
                _ => "none: the customer as a whole".into(),
            });
        }
        let Some(data) = self.data.as_ref() else {
            return Check::Ok(String::new());
        };
        let Some(defaults) = data.defaults.as_ref() else {
            return Check::Ok(String::new());
        };
        let named = match defaults.resolve(&docs) {
            Ok(named) => named,
            Err(d) if self.paid_since.iter().any(|p| p == d) => {
                return Check::Err(format!(
                    "`{d}` was paid while this form was open: name open documents, or none"
                ));
            }
            Err(d) => {
                return Check::Err(format!(
                    "`{d}` is not an open invoice or debit note of {}",
                    data.customer.name
                ));
            }
        };
        let word = docs.iter().any(|d| defaults.is_overdue_word(d));
        if named.is_empty() {
            // Only the word, which names nothing: saved, it would be the customer as a whole.
            return Check::Err(format!(
                "no document of {} is overdue and out of dispute: name documents, or none",
                data.customer.name
            ));
        }
        let sum: Decimal = named.iter().map(|d| d.balance).sum();
        let n = named.len();
        let count = crate::domain::money::grouped_count(n as u64);
        let s = if n == 1 { "" } else { "s" };
        if self.kind != FormKind::Dispute {
            let overdue = if word { "overdue: " } else { "" };
            return Check::Ok(format!("{overdue}{count} document{s}, {} open", money(sum)));
        }
        // What the dispute takes out of dunning, and what stays in it.
        let ids: std::collections::HashSet<&str> = named.iter().map(|d| d.id.as_str()).collect();
        let labels: Vec<&str> = named.iter().map(|d| d.label()).collect();
        // (An overdue document disputed already is out of dunning.)
        let staying = defaults
            .proposed_documents()
            .filter(|d| !ids.contains(d.id.as_str()))
            .count();
        let stay = match staying {
            0 => "no overdue one stays".to_string(),
            1 => "1 overdue stays".to_string(),
            k => format!(
                "{} overdue stay",
                crate::domain::money::grouped_count(k as u64)
            ),
        };
        // What stays and what leaves first, the documents named last: a hint cut at the
        // form's width loses a document number, not the point.
        Check::Ok(format!(
            "{stay}; {count} leave{} dunning ({}): {}",
            if n == 1 { "s" } else { "" },
            money(sum),
            check::documents_line(&labels)
        ))
    }

    fn check_issue(&self, field: &Field, money: &dyn Fn(Decimal) -> String) -> Check {
        let v = field.value().trim();
        if v.is_empty() {
            return Check::Err("choose an issue (Tab)".into());
        }
        let number = match check::record_id("issue", v) {
            Ok(n) => n,
            Err(e) => return Check::Err(e),
        };
        let Some(data) = self.data.as_ref() else {
            return Check::Ok(String::new());
        };
        match data.open_issues.iter().find(|i| i.id == number) {
            Some(i) => Check::Ok(format!(
                "{} · {} · opened {}",
                i.reason,
                money(i.amount),
                i.opened
            )),
            None => {
                let open: Vec<String> = data.open_issues.iter().map(|i| i.id.to_string()).collect();
                let open = if open.is_empty() {
                    "none".into()
                } else {
                    open.join(", ")
                };
                // Resolved: by whom and how, rather than only that it is not open.
                match data.resolved_issues.iter().find(|r| r.id == number) {
                    Some(r) => Check::Err(format!("{} (open: {open})", r.sentence(""))),
                    None => Check::Err(format!(
                        "{} has no open issue {number} (open: {open})",
                        data.customer.name
                    )),
                }
            }
        }
    }

    fn check_owner(&self, field: &Field) -> Check {
        let v = field.value().trim();
        if v.is_empty() {
            let hint = if field.choices.is_empty() {
                "a collector's name".to_string()
            } else {
                format!("Tab: {}", field.choices.join(", "))
            };
            return if self.strict {
                Check::Err("the new owner's name is empty".into())
            } else {
                Check::Hint(hint)
            };
        }
        if let Err(e) = check::owner(v) {
            return Check::Err(e);
        }
        let role = role(&self.value(FieldId::Role)).unwrap_or(OwnerRole::Finance);
        // Whom a finance owner may be, as the store checks it when saved: when users are
        // registered, a collector or a manager (named as registered).
        let users = self.data.as_ref().map_or(&[][..], |d| d.users.as_slice());
        if role == OwnerRole::Finance && !users.is_empty() && !self.strict && !field.is_choice() {
            // Half typed: the registered names it starts like.
            let matches = field.matches();
            if !matches.is_empty() {
                return Check::Hint(format!("Tab: {}", matches.join(", ")));
            }
        }
        let v = match role {
            OwnerRole::Finance => match crate::domain::users::finance_owner(v, users) {
                Ok(name) => name,
                Err(e) => return Check::Err(e),
            },
            OwnerRole::Sales => v.to_string(),
        };
        let v = v.as_str();
        if let (Some(data), [_]) = (self.data.as_ref(), self.cids.as_slice()) {
            let current = match role {
                OwnerRole::Finance => &data.customer.finance_owner,
                OwnerRole::Sales => &data.customer.sales_owner,
            };
            if current
                .as_deref()
                .is_some_and(|c| crate::domain::text::same_person(c, v))
            {
                return Check::Err(format!("{v} is already the {}", role.label()));
            }
        }
        if field.is_choice() || (role == OwnerRole::Finance && !users.is_empty()) {
            // A registered collector or manager, whether they own customers yet or not.
            return Check::Ok(String::new());
        }
        // A name that starts like known ones is probably one of them, half typed.
        let matches = field.matches();
        if !matches.is_empty() {
            return Check::Hint(format!("Tab: {}", matches.join(", ")));
        }
        Check::Ok("a new owner: no customer has this name yet".into())
    }
}

/// The resolve form's outcome: empty (resolved without one) or one of [`Outcome::ALL`];
/// whether the user may write it off is the write layer's to say.
fn check_resolution(field: &Field, strict: bool) -> Check {
    let v = field.value().trim();
    if v.is_empty() {
        return Check::Hint("optional; Tab: valid, invalid, written_off (a manager's)".into());
    }
    let matches = field.matches();
    if !strict && !field.is_choice() && !matches.is_empty() {
        return Check::Hint(format!("Tab: {}", matches.join(", ")));
    }
    match Outcome::parse(v) {
        Ok(o) => Check::Ok(o.meaning().to_string()),
        Err(e) => Check::Err(e),
    }
}

/// The attach form's files: each a readable file where the session may read (the save
/// checks that again, with their size, and reads them).
fn check_files(files: &FileAccess, v: &str, strict: bool) -> Check {
    let list = paths(v);
    if list.is_empty() {
        return if strict {
            Check::Err("no file to attach was given".into())
        } else {
            Check::Hint("a path; Tab completes it; several: separate with ;".into())
        };
    }
    // A name with a `;` typed as it is, which the field reads as several paths: said so,
    // rather than that a part of it cannot be read.
    let one_name = || {
        let whole = one_path(v);
        let file = list.len() > 1
            && files
                .readable(&whole)
                .is_ok_and(|path| std::fs::metadata(path).is_ok_and(|m| m.is_file()));
        file.then(|| {
            Check::Err(format!(
                "{whole} is one file: a ; in a name is written \\; (as Tab writes it), \
                 else it separates files"
            ))
        })
    };
    let mut total = 0;
    for p in &list {
        let path = match files.readable(p) {
            Ok(path) => path,
            Err(Unreadable::Refused(e)) => return Check::Err(e),
            Err(e) => {
                return one_name().unwrap_or(if strict {
                    Check::Err(e.to_string())
                } else {
                    Check::Hint("Tab completes the path".into())
                });
            }
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => total += m.len(),
            Ok(_) if p.ends_with('/') && !strict => {
                return Check::Hint("Tab: the files in it".into());
            }
            Ok(m) => {
                let what = crate::domain::attachment::not_a_file(m.file_type()).unwrap_or("");
                return Check::Err(format!("{p} is {what}"));
            }
            Err(e) => {
                return one_name().unwrap_or(if strict {
                    Check::Err(format!("cannot read {p}: {e}"))
                } else {
                    Check::Hint("Tab completes the path".into())
                });
            }
        }
    }
    let n = list.len();
    Check::Ok(format!(
        "{n} file{}, {}",
        if n == 1 { "" } else { "s" },
        crate::domain::attachment::size_label(total)
    ))
}

/// `Fri 2026-05-08, in 8 days`.
fn describe_date(d: Date, today: Date) -> String {
    let days = date::days_between(today, d);
    let when = match days {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        n => format!("in {n} days"),
    };
    format!("{} {d}, {when}", d.weekday())
}

#[cfg(test)]
mod tests {
    use super::{Check, FileAccess, check_files};

    /// A name with a `;` typed as it is says how to write it; written so, it is one file.
    #[test]
    fn a_name_with_a_semicolon_is_attached_written_as_tab_writes_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("invoice;2.pdf"), "%PDF").unwrap();
        let files = FileAccess::Own {
            cwd: dir.path().to_path_buf(),
            home: None,
        };
        for strict in [false, true] {
            match check_files(&files, "invoice;2.pdf", strict) {
                Check::Err(e) => assert_eq!(
                    e,
                    r"invoice;2.pdf is one file: a ; in a name is written \; (as Tab writes it), else it separates files"
                ),
                other => panic!("{other:?}"),
            }
            assert_eq!(
                check_files(&files, r"invoice\;2.pdf", strict),
                Check::Ok("1 file, 4 B".into())
            );
        }
        // Two files that are not there: not one name either.
        assert!(matches!(
            check_files(&files, "a.pdf;b.pdf", true),
            Check::Err(e) if e.starts_with("cannot read a.pdf")
        ));
    }

    #[test]
    fn a_folder_typed_with_its_slash_is_a_hint_to_go_on_over_ssh_too() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("files");
        std::fs::create_dir_all(root.join("scans")).unwrap();
        std::fs::write(root.join("scans/a.txt"), "cheque").unwrap();
        let users = crate::workstation::UserFolders::of(["alice"]);
        let files = FileAccess::over_ssh(Some(&root), "alice", &users);
        files.make_own_folder().unwrap();
        let hint = Check::Hint("Tab: the files in it".into());
        assert_eq!(check_files(&files, "../scans/", false), hint);
        assert!(matches!(
            check_files(&files, "../scans/", true),
            Check::Err(_)
        ));
        assert!(matches!(
            check_files(&files, "../scans/a.txt", false),
            Check::Ok(_)
        ));
        match check_files(&files, "/etc/hostname", false) {
            Check::Err(e) => assert!(e.contains("outside"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
