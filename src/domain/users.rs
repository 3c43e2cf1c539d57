//! Who acts and what their role lets them do.
//!
//! Every write names an [`Actor`]: the user whose SSH key was accepted by `owed serve`, or,
//! in one's own shell, the collector named by `--as`, the config or the OS user (the
//! registered user that name stands for, in whatever case it is typed ([`registered_as`]),
//! with their role; else a manager's: whoever can write the file can do anything). The checks of what a role may do live beside the writes (see
//! `crate::actions` and the store's writes), so a refusal is the same whether the request
//! came from a key, a form, the command line or a test. [`may`] is the one decision.
//!
//! Users log in with an OpenSSH public key ([`PublicKey`]); a key is known by its algorithm
//! and its base64 blob, never by its comment.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use std::fmt;

/// A user's role (SPEC "Serving the workstation over SSH").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Works the customers whose finance owner they are; reads the rest.
    Collector,
    /// Does everything: assign, holds, releases, engagement runs, user changes.
    Manager,
    /// Reads everything, writes nothing.
    Auditor,
}

impl Role {
    /// Every role, in the order they are listed.
    pub const ALL: [Role; 3] = [Role::Collector, Role::Manager, Role::Auditor];

    /// The role's name as written on the command line and stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Collector => "collector",
            Role::Manager => "manager",
            Role::Auditor => "auditor",
        }
    }

    /// Reads a role's name.
    pub fn parse(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text.trim())
            .ok_or_else(|| {
                format!(
                    "unknown role `{}`: use collector, manager or auditor",
                    quoted(text.trim())
                )
            })
    }
}

/// What the system's log records: a change to the users of `owed serve`, the database
/// restored from a backup, or a demo database made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SystemChange {
    UserAdd,
    UserRemove,
    UserRole,
    /// The whole database replaced by a backup (`owed restore`).
    Restore,
    /// The whole database copied to a backup (`owed backup`).
    Backup,
    /// A demo database made again with other settings (`owed demo`): what had been added to
    /// it since it was made is gone.
    DemoRebuild,
    /// The ledger's time zone changed (`owed config time-zone`): the zone every process
    /// counts its days in.
    TimeZone,
}

impl SystemChange {
    /// `user_add`, `user_remove`, `user_role`, `restore`, `backup`, `demo_rebuild`,
    /// `time_zone`: as the log and JSON spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemChange::UserAdd => "user_add",
            SystemChange::UserRemove => "user_remove",
            SystemChange::UserRole => "user_role",
            SystemChange::Restore => "restore",
            SystemChange::Backup => "backup",
            SystemChange::DemoRebuild => "demo_rebuild",
            SystemChange::TimeZone => "time_zone",
        }
    }

    /// The change spelled `text`.
    pub fn parse(text: &str) -> Option<SystemChange> {
        [
            SystemChange::UserAdd,
            SystemChange::UserRemove,
            SystemChange::UserRole,
            SystemChange::Restore,
            SystemChange::Backup,
            SystemChange::DemoRebuild,
            SystemChange::TimeZone,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who is acting, with the role that bounds what they may write.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    /// Who they are was proven (`owed serve`, by their key): were they removed since, they
    /// may write nothing, where a name not registered acting in its own shell is the file's
    /// owner.
    pub verified: bool,
}

impl Actor {
    /// An actor with a role, as one's own shell names them.
    pub fn new(name: impl Into<String>, role: Role) -> Actor {
        Actor {
            name: name.into(),
            role,
            verified: false,
        }
    }

    /// A registered user whose key proved who they are.
    pub fn verified(name: impl Into<String>, role: Role) -> Actor {
        Actor {
            verified: true,
            ..Actor::new(name, role)
        }
    }
}

/// What an actor sets out to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Work {
    /// A note on a customer.
    Note,
    /// A promise to pay, or voiding one.
    Promise,
    /// An issue / dispute: opening, resolving, reopening.
    Dispute,
    /// A follow-up: scheduling one, marking it done.
    Followup,
    /// A call logged on a customer.
    Call,
    /// A reminder sent by hand to one customer.
    ManualReminder,
    /// A file attached to a customer.
    Attachment,
    /// Marking a customer's replies read (opening it from the Replies tab): they leave the
    /// tab for everyone, so it is its collector's (or a manager's) to do, not an onlooker's.
    ReadReplies,
    /// Resolving a dispute or deduction as written off.
    WriteOff,
    /// Reopening an issue written off: undoing a manager's decision is a manager's too (a
    /// collector could otherwise reopen it and resolve it their own way).
    UndoWriteOff,
    /// Applying a bank's lockbox file (cheque payments on many customers, their deductions).
    Lockbox,
    /// Changing a customer's finance or sales owner.
    Assign,
    /// Holding a customer back from engagement, or releasing a hold.
    Hold,
    /// Putting a pending reminder back in the plan (`owed engage release`).
    ReleaseReminder,
    /// Sending the engagement cycles' reminders.
    EngagementRun,
    /// Adding, removing or changing users.
    ChangeUsers,
    /// Replacing the whole database with a backup.
    Restore,
    /// Filing customers' replies from a mail folder (`owed inbox import`): replies to every
    /// collector's customers, as the lockbox's payments are.
    FileReplies,
    /// Importing the billing system's exports (`owed import`): amounts, payments and finance
    /// owners of every collector's customers.
    Import,
    /// Making a demo database again (`owed demo` with other settings): everything added to
    /// it since it was made is gone.
    RebuildDemo,
    /// Changing the ledger's time zone (`owed config time-zone`): the day of every moment.
    ChangeTimeZone,
}

impl Work {
    /// Whether a collector may do it on the customers they own (else only a manager may).
    pub fn is_collectors(self) -> bool {
        self.managers_only().is_none()
    }

    /// What only a manager may do, for sentences (`assign owners`); `None` for the writes a
    /// collector may make on their own customers. One list, so a new kind of work is placed
    /// on one side or the other where it is added.
    fn managers_only(self) -> Option<&'static str> {
        match self {
            Work::Note
            | Work::Promise
            | Work::Dispute
            | Work::Followup
            | Work::Call
            | Work::ManualReminder
            | Work::Attachment
            | Work::ReadReplies => None,
            Work::Assign => Some("assign owners"),
            Work::WriteOff => Some("write amounts off"),
            Work::UndoWriteOff => Some("reopen an issue written off"),
            Work::Lockbox => Some("import lockbox files"),
            Work::Hold => Some("hold customers back from engagement"),
            Work::ReleaseReminder => Some("release reminders"),
            Work::EngagementRun => Some("run engagement cycles"),
            Work::ChangeUsers => Some("change users"),
            Work::Restore => Some("restore the database from a backup"),
            Work::FileReplies => Some("file replies from a mail folder"),
            Work::Import => Some("import billing exports"),
            Work::RebuildDemo => Some("rebuild the demo database"),
            Work::ChangeTimeZone => Some("change the ledger's time zone"),
        }
    }

    /// For sentences: what is refused (`write`, `assign owners`).
    fn describe(self) -> &'static str {
        self.managers_only().unwrap_or("write")
    }
}

/// The customer a write is about: its billing id and its finance owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    pub customer_id: &'a str,
    pub finance_owner: Option<&'a str>,
}

/// Whether `actor` may do `work` (on `customer`, when it is about one).
///
/// - a manager may do everything;
/// - an auditor writes nothing;
/// - a collector does a collector's work ([`Work::is_collectors`]) on the customers whose
///   finance owner they are (the names compared as users are told apart,
///   [`super::text::same_person`]: `Zoë` owns the user zoë's customers), and nothing else.
///
/// # Errors
///
/// One sentence naming the user, the role and the customer: "alice (collector) may not write
/// on C000158: its finance owner is bob".
pub fn may(actor: &Actor, work: Work, customer: Option<Target<'_>>) -> Result<(), String> {
    let who = format!("{} ({})", quoted(&actor.name), actor.role);
    let on = customer.map_or(String::new(), |c| format!(" on {}", quoted(c.customer_id)));
    match actor.role {
        Role::Manager => Ok(()),
        Role::Auditor => Err(format!(
            "{who} may not {}{on}: an auditor reads only",
            work.describe()
        )),
        Role::Collector if !work.is_collectors() => Err(format!(
            "{who} may not {}{on}: only a manager may",
            work.describe()
        )),
        Role::Collector => match customer {
            // A collector's work is always on a customer; none named is nobody's.
            None => Err(format!(
                "{who} may not {}: no customer is named",
                work.describe()
            )),
            Some(c) => match c.finance_owner.map(str::trim) {
                Some(owner) if super::text::same_person(owner, actor.name.trim()) => Ok(()),
                Some(owner) if !owner.is_empty() => Err(format!(
                    "{who} may not write{on}: its finance owner is {}",
                    quoted(owner)
                )),
                _ => Err(format!("{who} may not write{on}: it has no finance owner")),
            },
        },
    }
}

/// Whether `actor` may see the team's figures (the workstation's team screen): managers,
/// and auditors, who read everything; a collector sees their own work in the queue.
///
/// # Errors
///
/// One sentence naming the user and role: "alice (collector) may not see the team's
/// figures: the team screen is for managers".
pub fn may_see_team(actor: &Actor) -> Result<(), String> {
    match actor.role {
        Role::Manager | Role::Auditor => Ok(()),
        Role::Collector => Err(format!(
            "{} ({}) may not see the team's figures: the team screen is for managers",
            quoted(&actor.name),
            actor.role
        )),
    }
}

/// The registered user that `name` stands for, among the users' `names`: the one of exactly
/// that name (composed, NFC), else the one it names without regard to case or width
/// ([`super::text::person_key`]: `AUDREY` and `ａｕｄｒｅｙ` are audrey), as an owner typed
/// to `assign` is; `None` when it names no user.
///
/// # Errors
///
/// A database of an older `owed` may hold two users of one name in two cases (`alice` and
/// `ALICE`): a spelling that is neither exactly could be either, and is refused in one
/// sentence naming them.
pub fn registered_as<'a>(
    name: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<Option<&'a str>, String> {
    let name = super::text::nfc(name.trim());
    let key = super::text::person_key(&name);
    let mut alike: Vec<&str> = Vec::new();
    for registered in names {
        if *registered == *name {
            return Ok(Some(registered));
        }
        if super::text::person_key(registered) == key {
            alike.push(registered);
        }
    }
    match alike[..] {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        _ => {
            alike.sort_unstable();
            Err(format!(
                "`{}` is the name of {} users without regard to case ({}): type it as one of \
                 them is registered",
                quoted(&name),
                alike.len(),
                alike
                    .iter()
                    .map(|n| quoted(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

/// The first user of a database must be a manager, so that someone may change users;
/// `command` renders the command the refusal suggests (on the database at hand: see
/// `crate::error::command`).
pub fn first_user(name: &str, role: Role, command: impl Fn(&str) -> String) -> Result<(), String> {
    if role == Role::Manager {
        return Ok(());
    }
    Err(format!(
        "the first user must be a manager, so that someone may change users: {} (then add {})",
        command("user add NAME --role manager --key \"ssh-ed25519 AAAA…\""),
        quoted(name)
    ))
}

/// The longest user name, in bytes (UTF-8): the longest login name `owed serve` reads.
pub const MAX_USER_NAME: usize = 64;

/// A user's name as typed: not empty, at most [`MAX_USER_NAME`] bytes, no white space, no
/// control characters.
pub fn user_name(text: &str) -> Result<String, String> {
    name_rules("the user's name", text)
}

/// A name by the user-name rules ([`user_name`]); `what` names it in the messages.
fn name_rules(what: &str, text: &str) -> Result<String, String> {
    let text = &*super::text::nfc(text);
    if text.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if text.len() > MAX_USER_NAME {
        return Err(format!(
            "{what} `{}` is {} bytes long: at most {MAX_USER_NAME} (the longest login name \
             owed serve takes)",
            quoted(text),
            text.len()
        ));
    }
    super::text::refuse_name(what, text)?;
    if text.chars().any(char::is_whitespace) {
        return Err(format!(
            "{what} `{}` holds white space: use a single word",
            quoted(text)
        ));
    }
    Ok(text.to_string())
}

/// Whom a customer's finance owner may be made, given as `given`: a name by the user-name
/// rules (one word of at most [`MAX_USER_NAME`] bytes, the name a collector logs in with);
/// and, when users are registered (`users`: each name with its role), a registered collector
/// or manager, as registered (`ALICE` is alice). With no users at all (a single user's shell)
/// any such name. An auditor works no customer; a name nobody has is refused naming those
/// who may own, and the near one when the name looks mistyped.
pub fn finance_owner(given: &str, users: &[(String, Role)]) -> Result<String, String> {
    let name = name_rules("the new owner's name", given.trim())?;
    if users.is_empty() {
        return Ok(name);
    }
    let owners: Vec<&str> = users
        .iter()
        .filter(|(_, role)| *role != Role::Auditor)
        .map(|(n, _)| n.as_str())
        .collect();
    let listed = || {
        const NAMED: usize = 8;
        let mut named: Vec<String> = owners.iter().take(NAMED).map(|n| quoted(n)).collect();
        if owners.len() > NAMED {
            named.push(format!("{} more", owners.len() - NAMED));
        }
        if named.is_empty() {
            "none is registered yet".to_string()
        } else {
            named.join(", ")
        }
    };
    match registered_as(&name, users.iter().map(|(n, _)| n.as_str()))? {
        Some(registered) => {
            let role = users
                .iter()
                .find(|(n, _)| n == registered)
                .map_or(Role::Auditor, |(_, r)| *r);
            if role == Role::Auditor {
                return Err(format!(
                    "{} is an auditor, who works no customer: a finance owner must be a \
                     registered collector or manager ({})",
                    quoted(registered),
                    listed()
                ));
            }
            Ok(registered.to_string())
        }
        None => {
            let near = crate::domain::rules::closest(&name, owners.iter().copied())
                .map(|n| format!(" (did you mean {}?)", quoted(n)))
                .unwrap_or_default();
            Err(format!(
                "`{}` is not a registered user{near}: a finance owner must be a registered \
                 collector or manager ({})",
                quoted(&name),
                listed()
            ))
        }
    }
}

/// The registered user a finance owner from the billing system (`owner`, composed) stands
/// for when it is written otherwise (`Bob` for bob, `ＢＯＢ` too), among the registered
/// `users`: an import writes the owner as registered, as `assign` does, so that the stored
/// owner is the user's name and everything that compares owners finds it alike. `None` when
/// it is written as registered already, names no user, or could be either of two users of
/// one name in two cases (a database of an older `owed`: left as written).
pub fn owner_as_registered<'a>(owner: &str, users: &'a [(String, Role)]) -> Option<&'a str> {
    let owner = owner.trim();
    if users.is_empty() || owner.is_empty() || users.iter().any(|(n, _)| n == owner) {
        return None;
    }
    registered_as(owner, users.iter().map(|(n, _)| n.as_str()))
        .ok()
        .flatten()
}

/// Why the customers of a finance owner, as stored (an import takes the billing system's
/// owners as they are), belong to nobody who may work them ([`unworkable_owner`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unworkable {
    /// The name is a registered auditor's, who works no customer.
    Auditor,
    /// No user has the name; `near`: the collector or manager it looks mistyped from.
    Unknown { near: Option<String> },
}

/// Whether customers whose finance owner is `owner` (as stored) belong to nobody who may work
/// them, among the registered `users` (each name with its role): `None` when `owner` is a
/// registered collector's or manager's name without regard to case or width (as [`may`]
/// compares them), or when no user is registered at all (a single user's shell, where anyone
/// works any customer).
pub fn unworkable_owner(owner: &str, users: &[(String, Role)]) -> Option<Unworkable> {
    let owner = owner.trim();
    if users.is_empty() || owner.is_empty() {
        return None;
    }
    let workers = || {
        users
            .iter()
            .filter(|(_, role)| *role != Role::Auditor)
            .map(|(n, _)| n.as_str())
    };
    if workers().any(|n| super::text::same_person(n.trim(), owner)) {
        return None;
    }
    let registered = registered_as(owner, users.iter().map(|(n, _)| n.as_str()))
        .ok()
        .flatten();
    match registered.and_then(|r| users.iter().find(|(n, _)| n == r)) {
        // (A collector's or manager's name was found above: the user it names is an auditor.)
        Some(_) => Some(Unworkable::Auditor),
        // (A name longer than any user's is no misspelling of one, and is not measured.)
        None => Some(Unworkable::Unknown {
            near: (owner.len() <= MAX_USER_NAME)
                .then(|| crate::domain::rules::closest(owner, workers()))
                .flatten()
                .map(str::to_string),
        }),
    }
}

/// Key types accepted, with the number of SSH strings their blob holds (the algorithm's
/// name first).
const KEY_TYPES: [(&str, usize); 7] = [
    ("ssh-ed25519", 2),
    ("ssh-rsa", 3),
    ("ecdsa-sha2-nistp256", 3),
    ("ecdsa-sha2-nistp384", 3),
    ("ecdsa-sha2-nistp521", 3),
    ("sk-ssh-ed25519@openssh.com", 3),
    ("sk-ecdsa-sha2-nistp256@openssh.com", 4),
];

/// An OpenSSH public key: `ssh-ed25519 AAAA… comment`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, …
    pub algorithm: String,
    /// The key's wire encoding in standard base64 with padding, as OpenSSH writes it: with
    /// the algorithm, what identifies the key.
    pub blob: String,
    /// What follows the blob (often `user@host`); never compared.
    pub comment: Option<String>,
}

impl PublicKey {
    /// Reads one line of an `authorized_keys` / `.pub` file (without options).
    ///
    /// # Errors
    ///
    /// A sentence quoting the line (cut to about 80 characters) and saying what is wrong.
    pub fn parse(line: &str) -> Result<PublicKey, String> {
        let bad = |why: &str| {
            format!(
                "the key `{}` is not an OpenSSH public key: {why}",
                quoted(line.trim())
            )
        };
        if line
            .chars()
            .any(|c| c.is_control() && !c.is_ascii_whitespace())
        {
            return Err(bad("it holds a control character"));
        }
        let mut parts = line.split_ascii_whitespace();
        let (Some(algorithm), Some(blob)) = (parts.next(), parts.next()) else {
            return Err(bad(
                "give the whole line of the .pub file (ssh-ed25519 AAAA… comment)",
            ));
        };
        let comment = parts.collect::<Vec<_>>().join(" ");
        if !KEY_TYPES.iter().any(|(name, _)| *name == algorithm) {
            return Err(bad(
                "the key type is not one of ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521",
            ));
        }
        let bytes = STANDARD
            .decode(blob)
            .or_else(|_| STANDARD_NO_PAD.decode(blob))
            .map_err(|_| bad("its second field is not base64"))?;
        let key = PublicKey::from_blob(&bytes).map_err(|e| bad(&e))?;
        if key.algorithm != algorithm {
            return Err(bad(&format!(
                "the line says {algorithm} but the key inside is {}",
                key.algorithm
            )));
        }
        // A short RSA key is taken by no SSH server owed runs on (nor by OpenSSH under 1024
        // bits): added, it could never log in, and nothing said why.
        if let Some(bits) = rsa_bits(&bytes).filter(|&bits| bits < MIN_RSA_BITS) {
            return Err(format!(
                "the key `{}` is a {bits}-bit RSA key: owed serve takes RSA keys of \
                 {MIN_RSA_BITS} bits or more (`ssh-keygen -t ed25519` makes a key that is \
                 short and strong)",
                quoted(line.trim())
            ));
        }
        Ok(PublicKey {
            comment: (!comment.is_empty()).then_some(comment),
            ..key
        })
    }

    /// A key from its wire encoding (what an SSH client offers): the algorithm is read
    /// from the blob itself.
    ///
    /// # Errors
    ///
    /// A sentence saying why the bytes are not a public key of a known type.
    pub fn from_blob(bytes: &[u8]) -> Result<PublicKey, String> {
        let strings = ssh_strings(bytes).ok_or("its blob is cut short or malformed")?;
        let algorithm = strings
            .first()
            .and_then(|s| std::str::from_utf8(s).ok())
            .ok_or("its blob names no key type")?;
        let (_, count) = KEY_TYPES
            .iter()
            .find(|(name, _)| *name == algorithm)
            .ok_or_else(|| format!("key type `{}` is not accepted", quoted(algorithm)))?;
        if strings.len() != *count {
            return Err(format!("its blob is not a {algorithm} key"));
        }
        if algorithm == "ssh-ed25519" && strings[1].len() != 32 {
            return Err("its blob is not a 32-byte ed25519 key".into());
        }
        Ok(PublicKey {
            algorithm: algorithm.to_string(),
            blob: STANDARD.encode(bytes),
            comment: None,
        })
    }

    /// The key's SHA-256 fingerprint as `ssh-keygen -lf` prints it and `owed serve`'s log
    /// names a key (`SHA256:` and the digest of the wire encoding in base64 without padding):
    /// what tells one key from another, where a comment anyone may write does not.
    pub fn fingerprint(&self) -> String {
        let bytes = STANDARD
            .decode(&self.blob)
            .or_else(|_| STANDARD_NO_PAD.decode(&self.blob))
            .unwrap_or_else(|_| self.blob.as_bytes().to_vec());
        let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
        format!("SHA256:{}", STANDARD_NO_PAD.encode(digest.as_ref()))
    }

    /// The key as the system's log names it: its algorithm, fingerprint and comment
    /// (`ssh-ed25519 SHA256:… dana@desk`).
    pub fn described(&self) -> String {
        let mut said = format!("{} {}", self.algorithm, self.fingerprint());
        if let Some(comment) = &self.comment {
            said.push(' ');
            said.push_str(comment);
        }
        said
    }
}

/// The fewest bits of an RSA key's modulus that a user's key may have (the SSH library of
/// `owed serve` refuses shorter ones).
pub const MIN_RSA_BITS: usize = 2048;

/// The bits of an RSA key's modulus, from its wire encoding; `None` for another key.
fn rsa_bits(bytes: &[u8]) -> Option<usize> {
    let strings = ssh_strings(bytes)?;
    if strings.first()? != b"ssh-rsa" {
        return None;
    }
    // An mpint: big-endian, a leading zero byte when its top bit is set.
    let modulus = strings.get(2)?;
    let start = modulus.iter().position(|&b| b != 0)?;
    let top = modulus[start];
    Some((modulus.len() - start - 1) * 8 + (8 - top.leading_zeros() as usize))
}

/// Splits an SSH wire encoding into its length-prefixed strings; `None` unless the bytes are
/// exactly a sequence of them.
fn ssh_strings(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (len, rest) = bytes.split_first_chunk::<4>()?;
        let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
        if len > rest.len() {
            return None;
        }
        let (s, rest) = rest.split_at(len);
        out.push(s);
        bytes = rest;
    }
    (!out.is_empty()).then_some(out)
}

/// Text from outside quoted in a message: on one line, control characters shown
/// ([`super::text::one_line`]), cut to about 80 characters.
pub fn quoted(text: &str) -> String {
    super::text::one_line(&super::text::cut_after(text, 80)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_team_figures_are_for_managers_and_auditors() {
        assert_eq!(may_see_team(&Actor::new("dana", Role::Manager)), Ok(()));
        assert_eq!(may_see_team(&Actor::new("carol", Role::Auditor)), Ok(()));
        let e = may_see_team(&Actor::new("alice\u{1b}[2J", Role::Collector)).unwrap_err();
        assert!(
            e.contains("(collector) may not see the team's figures"),
            "{e}"
        );
        assert!(e.ends_with("the team screen is for managers"), "{e}");
        assert!(!e.contains('\u{1b}'), "{e}");
    }

    #[test]
    fn an_owner_nobody_registered_may_work_is_told_why() {
        let users = [
            ("alice".to_string(), Role::Collector),
            ("audrey".to_string(), Role::Auditor),
            ("dana".to_string(), Role::Manager),
        ];
        assert_eq!(unworkable_owner("alice", &users), None);
        assert_eq!(unworkable_owner(" dana ", &users), None);
        assert_eq!(unworkable_owner("bbo", &[]), None, "no users: anyone");
        assert_eq!(
            unworkable_owner("audrey", &users),
            Some(Unworkable::Auditor)
        );
        // As `may` compares them: ALICE is alice (whom an import writes as registered).
        assert_eq!(unworkable_owner("ALICE", &users), None);
        assert_eq!(unworkable_owner("ＡＬＩＣＥ", &users), None);
        assert_eq!(owner_as_registered("ALICE", &users), Some("alice"));
        assert_eq!(owner_as_registered("Audrey", &users), Some("audrey"));
        assert_eq!(owner_as_registered("alice", &users), None);
        assert_eq!(owner_as_registered("alcie", &users), None);
        assert_eq!(
            owner_as_registered("ALICE", &[]),
            None,
            "no users: as written"
        );
        assert_eq!(
            unworkable_owner("alcie", &users),
            Some(Unworkable::Unknown {
                near: Some("alice".into())
            })
        );
        // An auditor is no near one; a name longer than any user's is not measured.
        assert_eq!(
            unworkable_owner("audry", &users),
            Some(Unworkable::Unknown { near: None })
        );
        let long = "a".repeat(1 << 20);
        assert_eq!(
            unworkable_owner(&long, &users),
            Some(Unworkable::Unknown { near: None })
        );
    }

    #[test]
    fn roles_read_back_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert_eq!(Role::parse(" manager "), Ok(Role::Manager));
        assert!(Role::parse("admin").unwrap_err().contains("admin"));
    }

    fn owned_by(owner: Option<&str>) -> Option<Target<'_>> {
        Some(Target {
            customer_id: "C000158",
            finance_owner: owner,
        })
    }

    const COLLECTORS: [Work; 7] = [
        Work::Note,
        Work::Promise,
        Work::Dispute,
        Work::Followup,
        Work::Call,
        Work::ManualReminder,
        Work::Attachment,
    ];
    const MANAGERS: [Work; 8] = [
        Work::Assign,
        Work::Hold,
        Work::ReleaseReminder,
        Work::EngagementRun,
        Work::ChangeUsers,
        Work::Import,
        Work::RebuildDemo,
        Work::ChangeTimeZone,
    ];

    #[test]
    fn a_collector_writes_only_on_their_own_customers() {
        let alice = Actor::new("alice", Role::Collector);
        for work in COLLECTORS {
            assert_eq!(may(&alice, work, owned_by(Some("alice"))), Ok(()));
            assert_eq!(
                may(&alice, work, owned_by(Some("bob"))),
                Err("alice (collector) may not write on C000158: its finance owner is bob".into())
            );
            assert_eq!(
                may(&alice, work, owned_by(None)),
                Err("alice (collector) may not write on C000158: it has no finance owner".into())
            );
            assert!(may(&alice, work, owned_by(Some(" "))).is_err());
        }
        // Names are compared as users are told apart (case and width in every script, the
        // accents kept): a customer owned by `Zoë` is the user zoë's.
        assert_eq!(may(&alice, Work::Note, owned_by(Some("Alice"))), Ok(()));
        let zoe = Actor::new("zoë", Role::Collector);
        for owner in ["Zoë", "ZOË", "ＺＯË", "Zoe\u{308}"] {
            assert_eq!(
                may(&zoe, Work::Note, owned_by(Some(owner))),
                Ok(()),
                "{owner}"
            );
        }
        assert!(may(&zoe, Work::Note, owned_by(Some("zoe"))).is_err());
    }

    #[test]
    fn a_collector_does_no_managers_work_even_on_their_own_customers() {
        let alice = Actor::new("alice", Role::Collector);
        for work in MANAGERS {
            assert!(
                may(&alice, work, owned_by(Some("alice"))).is_err(),
                "{work:?}"
            );
            assert!(may(&alice, work, None).is_err(), "{work:?}");
        }
        assert_eq!(
            may(&alice, Work::Assign, owned_by(Some("alice"))),
            Err("alice (collector) may not assign owners on C000158: only a manager may".into())
        );
        assert_eq!(
            may(&alice, Work::EngagementRun, None),
            Err("alice (collector) may not run engagement cycles: only a manager may".into())
        );
    }

    #[test]
    fn a_manager_does_everything_and_an_auditor_nothing() {
        let boss = Actor::new("dana", Role::Manager);
        let carol = Actor::new("carol", Role::Auditor);
        for work in COLLECTORS.into_iter().chain(MANAGERS) {
            for target in [owned_by(Some("bob")), owned_by(None), None] {
                assert_eq!(may(&boss, work, target), Ok(()));
                assert!(may(&carol, work, target).is_err());
            }
            // Not even on a customer whose finance owner the auditor is.
            assert!(may(&carol, work, owned_by(Some("carol"))).is_err());
        }
        assert_eq!(
            may(&carol, Work::Note, owned_by(Some("carol"))),
            Err("carol (auditor) may not write on C000158: an auditor reads only".into())
        );
    }

    #[test]
    fn refusals_show_hostile_names_escaped() {
        let alice = Actor::new("alice", Role::Collector);
        let e = may(&alice, Work::Note, owned_by(Some("bob\u{1b}[2J"))).unwrap_err();
        assert!(!e.contains('\u{1b}'), "{e}");
        assert!(e.contains("bob␛[2J"), "{e}");
    }

    #[test]
    fn a_name_is_the_user_it_names_without_regard_to_case() {
        let users = ["alice", "Zo\u{eb}", "dana"];
        assert_eq!(registered_as("alice", users), Ok(Some("alice")));
        assert_eq!(registered_as(" ALICE ", users), Ok(Some("alice")));
        assert_eq!(registered_as("ＡＬＩＣＥ", users), Ok(Some("alice")));
        assert_eq!(registered_as("ZOE\u{308}", users), Ok(Some("Zo\u{eb}")));
        assert_eq!(registered_as("alicia", users), Ok(None));
        // Two users in two cases (an older database): the name typed exactly is that one;
        // another spelling could be either.
        let both = ["alice", "ALICE"];
        assert_eq!(registered_as("ALICE", both), Ok(Some("ALICE")));
        assert_eq!(registered_as("alice", both), Ok(Some("alice")));
        assert_eq!(
            registered_as("Alice", both),
            Err(
                "`Alice` is the name of 2 users without regard to case (ALICE, alice): type it \
                 as one of them is registered"
                    .into()
            )
        );
    }

    #[test]
    fn user_names_are_one_word_without_controls() {
        assert_eq!(user_name("alice"), Ok("alice".into()));
        assert_eq!(user_name("o'brien.j"), Ok("o'brien.j".into()));
        assert_eq!(user_name(""), Err("the user's name is empty".into()));
        assert_eq!(
            user_name("al ice"),
            Err("the user's name `al ice` holds white space: use a single word".into())
        );
        assert!(user_name(" alice").is_err());
        // Shown as every refused name shows it, a tab too (as a space it was white space).
        assert_eq!(
            user_name("al\u{7}ice"),
            Err(
                "the user's name `al␇ice` holds a control character (shown as ␇), which a name \
                 may not hold; give it without that character"
                    .into()
            )
        );
        assert!(
            user_name("al\tice")
                .unwrap_err()
                .contains("`al␉ice` holds a control")
        );
        // What `owed serve` takes as a login name, and no longer (a longer name was added,
        // and its key then refused at every login).
        let longest = "é".repeat(32);
        assert_eq!(user_name(&longest), Ok(longest.clone()));
        let e = user_name(&format!("{longest}x")).unwrap_err();
        assert!(e.contains("is 65 bytes long: at most 64"), "{e}");
    }

    const ED25519: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1J1N6892l1yJ/nG3oqptr+EuPaGfT+TkWkcDt0V5x6 alice@laptop";

    #[test]
    fn keys_are_read_from_openssh_lines() {
        let k = PublicKey::parse(ED25519).unwrap();
        assert_eq!(k.algorithm, "ssh-ed25519");
        assert_eq!(
            k.blob,
            "AAAAC3NzaC1lZDI1NTE5AAAAIG1J1N6892l1yJ/nG3oqptr+EuPaGfT+TkWkcDt0V5x6"
        );
        assert_eq!(k.comment.as_deref(), Some("alice@laptop"));
        // The comment does not make another key; the blob alone read back is the same key.
        let bare = PublicKey::parse(&ED25519.replace(" alice@laptop", "")).unwrap();
        assert_eq!(
            (bare.algorithm, bare.blob),
            (k.algorithm.clone(), k.blob.clone())
        );
        let wire = STANDARD.decode(&k.blob).unwrap();
        let from_wire = PublicKey::from_blob(&wire).unwrap();
        assert_eq!(from_wire.blob, k.blob);
    }

    /// A key is named by its fingerprint as `ssh-keygen -lf` prints it (the digest below is
    /// its output for this key), whatever its comment says.
    #[test]
    fn keys_are_named_by_their_sha256_fingerprint() {
        let k = PublicKey::parse(ED25519).unwrap();
        assert_eq!(
            k.fingerprint(),
            "SHA256:6sum1Qr19HQgZ/Fp5IydZBO1u9cXj+EKvVaeZMeAH2E"
        );
        assert_eq!(
            k.described(),
            "ssh-ed25519 SHA256:6sum1Qr19HQgZ/Fp5IydZBO1u9cXj+EKvVaeZMeAH2E alice@laptop"
        );
        let bare = PublicKey::parse(&ED25519.replace(" alice@laptop", "")).unwrap();
        assert_eq!(bare.fingerprint(), k.fingerprint());
        assert_eq!(
            bare.described(),
            "ssh-ed25519 SHA256:6sum1Qr19HQgZ/Fp5IydZBO1u9cXj+EKvVaeZMeAH2E"
        );
    }

    #[test]
    fn rsa_and_ecdsa_lines_are_accepted() {
        // Blobs built by hand: the algorithm's name, then its fields as SSH strings.
        let blob = |fields: &[&[u8]]| {
            let mut out = Vec::new();
            for f in fields {
                out.extend_from_slice(&(f.len() as u32).to_be_bytes());
                out.extend_from_slice(f);
            }
            STANDARD.encode(out)
        };
        let rsa = format!(
            "ssh-rsa {} bob",
            blob(&[b"ssh-rsa", &[1, 0, 1], &[0x55; 257]])
        );
        assert_eq!(PublicKey::parse(&rsa).unwrap().algorithm, "ssh-rsa");
        // 2048 bits exactly (a leading zero byte, as an mpint with its top bit set has one).
        let mut modulus = vec![0u8, 0x80];
        modulus.extend_from_slice(&[0x55; 255]);
        let rsa = format!("ssh-rsa {}", blob(&[b"ssh-rsa", &[1, 0, 1], &modulus]));
        assert!(PublicKey::parse(&rsa).is_ok());
        // Shorter: refused with a sentence (a 512-bit key was taken, and never logged in).
        for (modulus, bits) in [(vec![0x7f; 256], 2047), (vec![0xc3; 64], 512)] {
            let rsa = format!("ssh-rsa {}", blob(&[b"ssh-rsa", &[1, 0, 1], &modulus]));
            let e = PublicKey::parse(&rsa).unwrap_err();
            assert!(
                e.contains(&format!(
                    "is a {bits}-bit RSA key: owed serve takes RSA keys of 2048 bits or more"
                )),
                "{e}"
            );
        }
        let ec = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMmy/bkpLWWv/M351jsw3Om4xr1ZrABwV4y3fQOYzaMTg6NtNye1U8Mqy5UT3QM415Ri7jQ88id+BZe4x3ChIdY=";
        assert_eq!(PublicKey::parse(ec).unwrap().comment, None);
        // The line's type must be the blob's.
        let lying = format!("ssh-rsa {}", blob(&[b"ssh-ed25519", &[7; 32]]));
        assert!(
            PublicKey::parse(&lying)
                .unwrap_err()
                .contains("the key inside is ssh-ed25519")
        );
    }

    #[test]
    fn bad_key_lines_are_refused_quoting_the_line_cut_short() {
        for line in [
            "",
            "ssh-ed25519",
            "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
            "ssh-ed25519 not*base64",
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6",
            "ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQ==",
        ] {
            let e = PublicKey::parse(line).unwrap_err();
            assert!(e.contains("is not an OpenSSH public key"), "{line}: {e}");
        }
        let e = PublicKey::parse(&format!("{ED25519}\u{1b}]0;x")).unwrap_err();
        assert!(
            e.contains("control character") && !e.contains('\u{1b}'),
            "{e}"
        );
        let long = format!("ssh-ed25519 {}\u{1b}]0;x", "A".repeat(300));
        let e = PublicKey::parse(&long).unwrap_err();
        assert!(e.chars().count() < 200 && !e.contains('\u{1b}'), "{e}");
    }
}
