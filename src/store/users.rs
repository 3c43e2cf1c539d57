//! The users of `owed serve`: their roles, their SSH public keys, and the system's activity
//! log of changes to them.
//!
//! [`Users`] is the one type over these tables (`store.users()`). Nothing here is cached:
//! `owed serve` calls [`Users::user_for_key`] at each authentication, so a change takes effect
//! for the next session at once. Each change is one transaction that also appends a row to
//! `system_log`, and checks inside it who may make it (`domain::users::may`, with the rule
//! that the first user of a database must be a manager).

use super::Store;
use crate::domain::action_checks::Stamp;
use crate::domain::users::{
    Actor, PublicKey, Role, SystemChange, Work, first_user, may, quoted, registered_as,
};
use crate::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};

/// A user with their keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: Role,
    /// RFC 3339 UTC, when added.
    pub created: String,
    /// Oldest first.
    pub keys: Vec<PublicKey>,
}

/// One row of the system's activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLogEntry {
    pub id: i64,
    /// RFC 3339 UTC.
    pub at: String,
    /// Who made the change.
    pub actor: String,
    pub kind: SystemChange,
    /// The user changed.
    pub subject: String,
    /// What changed, in words.
    pub detail: String,
}

/// A change of the system log read from its `kind` column.
impl rusqlite::types::FromSql for SystemChange {
    fn column_result(value: rusqlite::types::ValueRef<'_>) -> rusqlite::types::FromSqlResult<Self> {
        super::kind_column(value, SystemChange::parse, "change in the system log")
    }
}

super::aggregate!(
    /// The users tables of a store: reads over `&Store` ([`Store::users`]), changes over
    /// `&mut Store` ([`Store::users_mut`]).
    Users,
    users,
    users_mut,
    "users of `owed serve`"
);

impl<S: std::ops::Deref<Target = Store>> Users<S> {
    /// The user a key belongs to, with their role: what `owed serve` asks at authentication.
    /// `algorithm` and `blob` as in [`PublicKey`] (the comment plays no part).
    pub fn user_for_key(&self, algorithm: &str, blob: &str) -> Result<Option<(String, Role)>> {
        let found: Option<(String, String)> = self
            .conn()
            .prepare_cached(
                "SELECT u.name, u.role FROM user_keys k JOIN users u ON u.uid = k.uid
                  WHERE k.algorithm = ?1 AND k.blob = ?2",
            )?
            .query_row([algorithm, blob], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        found
            .map(|(name, role)| Ok((name, stored_role(&role)?)))
            .transpose()
    }

    /// The registered user `name` stands for, in whatever case or width it is typed
    /// ([`registered_as`]): their name as registered and their role.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] for a spelling that could be either of two users (an older database
    /// with `alice` and `ALICE`).
    pub fn registered(&self, name: &str) -> Result<Option<(String, Role)>> {
        registered(self.conn(), name)
    }

    /// Who acts in one's own shell under `name` (`--as`, the config or the OS user): the
    /// registered user it stands for, in whatever case it is typed, with their name as
    /// registered and their role; else (no users at all, or a name not registered) the
    /// local owner of the file, a manager. The shell is no sandbox: whoever can write the
    /// file can do anything; `owed serve` is where identity is verified.
    pub fn local_actor(&self, name: &str) -> Result<Actor> {
        Ok(match self.registered(name)? {
            Some((name, role)) => Actor::new(name, role),
            None => Actor::new(crate::domain::text::nfc(name.trim()), Role::Manager),
        })
    }

    /// Every user's name and role, by name (without their keys).
    pub fn roster(&self) -> Result<Vec<(String, Role)>> {
        users(self.conn())
    }

    /// What a customer owner `name` (in whatever case) still has: the customers whose
    /// finance owner they are, the open follow-ups on those, and their promises not voided
    /// whose date is `today` or later. What `user remove` and `user role` warn of.
    pub fn still_owned(&self, name: &str, today: crate::domain::Date) -> Result<(u64, u64, u64)> {
        let conn = self.conn();
        let count = |sql: &str| -> Result<u64> {
            Ok(conn.query_row(
                sql,
                params![name.trim(), crate::domain::date::day_number(today)],
                |r| r.get::<_, i64>(0),
            )? as u64)
        };
        let owned =
            "SELECT cid FROM customers WHERE finance_owner = ?1 COLLATE owed_person AND ?2 = ?2";
        Ok((
            count(&format!("SELECT count(*) FROM ({owned})"))?,
            count(&format!(
                "SELECT count(*) FROM followups f WHERE f.cid IN ({owned})
                   AND NOT EXISTS (SELECT 1 FROM followup_done d WHERE d.followup_id = f.id)"
            ))?,
            count(&format!(
                "SELECT count(*) FROM promises p WHERE p.cid IN ({owned})
                   AND p.promised_date >= ?2
                   AND NOT EXISTS (SELECT 1 FROM promise_voids v WHERE v.promise_id = p.id)"
            ))?,
        ))
    }

    /// Every user with their keys, by name.
    pub fn list(&self) -> Result<Vec<User>> {
        let mut users: Vec<(i64, User)> = {
            let mut stmt = self
                .conn()
                .prepare_cached("SELECT uid, name, role, created FROM users ORDER BY name")?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (uid, name, role, created) = row?;
                out.push((
                    uid,
                    User {
                        name,
                        role: stored_role(&role)?,
                        created,
                        keys: Vec::new(),
                    },
                ));
            }
            out
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT uid, algorithm, blob, comment FROM user_keys ORDER BY uid, id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let uid: i64 = r.get(0)?;
            if let Some((_, u)) = users.iter_mut().find(|(id, _)| *id == uid) {
                u.keys.push(PublicKey {
                    algorithm: r.get(1)?,
                    blob: r.get(2)?,
                    comment: r.get(3)?,
                });
            }
        }
        Ok(users.into_iter().map(|(_, u)| u).collect())
    }

    /// Every name that is or was a user's (the users, and those the log says were added),
    /// by name.
    pub fn names_ever(&self) -> Result<Vec<String>> {
        super::rows(
            self.conn(),
            "SELECT name FROM users UNION SELECT subject FROM system_log WHERE kind = ?1 \
             ORDER BY 1",
            [SystemChange::UserAdd.as_str()],
            |r| r.get(0),
        )
    }

    /// The system's activity log, oldest first.
    pub fn log(&self) -> Result<Vec<SystemLogEntry>> {
        super::rows(
            self.conn(),
            "SELECT id, at, actor, kind, subject, detail FROM system_log ORDER BY id",
            [],
            |r| {
                Ok(SystemLogEntry {
                    id: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    kind: r.get(3)?,
                    subject: r.get(4)?,
                    detail: r.get(5)?,
                })
            },
        )
    }
}

impl Users<&mut Store> {
    /// Adds user `name` with `role` and `keys`, as `by`. The first user of a database must
    /// be a manager; after that only a manager may add one.
    ///
    /// # Errors
    ///
    /// [`Error::Input`] when `by` may not, the name is taken, a key is another user's, or the
    /// first user is not a manager; nothing is written then.
    pub fn add(&mut self, by: &Stamp, name: &str, role: Role, keys: &[PublicKey]) -> Result<()> {
        let tx = self.store.write_tx()?;
        let count: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        if count == 0 {
            first_user(name, role, crate::error::command).map_err(Error::Input)?;
        }
        may(&by.actor(), Work::ChangeUsers, None).map_err(Error::Input)?;
        if let Some(role) = role_of(&tx, name)? {
            return Err(Error::input(format!(
                "user {} already exists ({role}): remove it first to change its keys",
                quoted(name)
            )));
        }
        // Typed in any case, a name is the user it names (`--as`, `assign`): another user of
        // it in another case would be two people under one name.
        let key = crate::domain::text::person_key(name);
        if let Some((other, role)) = users(&tx)?
            .into_iter()
            .find(|(other, _)| crate::domain::text::person_key(other) == key)
        {
            return Err(Error::input(format!(
                "`{}` is the user {} ({role}) in another case, and names are compared without \
                 regard to case: give the new user another name",
                quoted(name),
                quoted(&other)
            )));
        }
        tx.execute(
            "INSERT INTO users (name, role, created) VALUES (?1, ?2, ?3)",
            params![name, role.as_str(), by.at],
        )?;
        let uid = tx.last_insert_rowid();
        let mut added: Vec<&PublicKey> = Vec::new();
        {
            let mut owner = tx.prepare_cached(
                "SELECT u.name FROM user_keys k JOIN users u ON u.uid = k.uid
                  WHERE k.algorithm = ?1 AND k.blob = ?2",
            )?;
            let mut insert = tx.prepare_cached(
                "INSERT INTO user_keys (uid, algorithm, blob, comment) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for key in keys {
                if added
                    .iter()
                    .any(|k| k.algorithm == key.algorithm && k.blob == key.blob)
                {
                    continue;
                }
                let taken: Option<String> = owner
                    .query_row([&key.algorithm, &key.blob], |r| r.get(0))
                    .optional()?;
                if let Some(other) = taken {
                    return Err(Error::input(format!(
                        "the key `{} {}` is already {}'s: a key identifies one user",
                        key.algorithm,
                        quoted(&key.blob),
                        quoted(&other)
                    )));
                }
                insert.execute(params![uid, key.algorithm, key.blob, key.comment])?;
                added.push(key);
            }
        }
        log(
            &tx,
            by,
            SystemChange::UserAdd,
            name,
            &format!("{role}, {}", keys_said(added.iter().copied())),
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Removes the user `name` stands for (in whatever case or width it is typed, as
    /// [`Self::registered`] finds them) and their keys, as `by`. Returns their name as
    /// registered and the role they had. The last manager may be removed only when no other
    /// user is left.
    pub fn remove(&mut self, by: &Stamp, name: &str) -> Result<(String, Role)> {
        let tx = self.store.write_tx()?;
        may(&by.actor(), Work::ChangeUsers, None).map_err(Error::Input)?;
        let (name, role) = existing(&tx, name)?;
        let name = name.as_str();
        let users: i64 = tx.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?;
        if role == Role::Manager && users > 1 && managers(&tx)? == 1 {
            return Err(Error::input(format!(
                "{} is the last manager: make another user a manager first",
                quoted(name)
            )));
        }
        // The keys that no longer let anyone in, named as they were when added.
        let keys: Vec<PublicKey> = super::rows(
            &tx,
            "SELECT k.algorithm, k.blob, k.comment FROM user_keys k
               JOIN users u ON u.uid = k.uid WHERE u.name = ?1 ORDER BY k.id",
            [name],
            |r| {
                Ok(PublicKey {
                    algorithm: r.get(0)?,
                    blob: r.get(1)?,
                    comment: r.get(2)?,
                })
            },
        )?;
        tx.execute("DELETE FROM users WHERE name = ?1", [name])?;
        log(
            &tx,
            by,
            SystemChange::UserRemove,
            name,
            &format!("was {role}, {}", keys_said(keys.iter())),
        )?;
        tx.commit()?;
        Ok((name.to_string(), role))
    }

    /// Gives the user `name` stands for (in whatever case or width it is typed, as
    /// [`Self::registered`] finds them) another role, as `by`. Returns their name as
    /// registered and the role they had. The last manager keeps theirs.
    pub fn set_role(&mut self, by: &Stamp, name: &str, role: Role) -> Result<(String, Role)> {
        let tx = self.store.write_tx()?;
        may(&by.actor(), Work::ChangeUsers, None).map_err(Error::Input)?;
        let (name, old) = existing(&tx, name)?;
        let name = name.as_str();
        if old == role {
            return Err(Error::input(format!(
                "{} is already a{} {role}",
                quoted(name),
                if role == Role::Auditor { "n" } else { "" }
            )));
        }
        if old == Role::Manager && managers(&tx)? == 1 {
            return Err(Error::input(format!(
                "{} is the last manager: make another user a manager first",
                quoted(name)
            )));
        }
        tx.execute(
            "UPDATE users SET role = ?2 WHERE name = ?1",
            params![name, role.as_str()],
        )?;
        log(
            &tx,
            by,
            SystemChange::UserRole,
            name,
            &format!("{old} -> {role}"),
        )?;
        tx.commit()?;
        Ok((name.to_string(), old))
    }

    /// Records in the system's log that this demo database was made again by `by` over the
    /// one `detail` describes (what went with it), who had the right (checked on that one).
    pub fn log_demo_rebuilt(&mut self, by: &Stamp, detail: &str) -> Result<()> {
        let tx = self.store.write_tx()?;
        log(&tx, by, SystemChange::DemoRebuild, "", detail)?;
        tx.commit()?;
        Ok(())
    }

    /// Copies the users, their keys and the system's log of the database `from` into this
    /// one, which has none yet (a demo made again: the team set up on it keeps its access and
    /// its log). Returns how many users came.
    pub fn carry_from(&mut self, from: &std::path::Path) -> Result<u64> {
        // Read only: a write transaction takes the write lock of every database attached
        // for writing, and the demo made again holds the old one's until it is replaced.
        let path = format!("{}?mode=ro", super::file_uri(from));
        self.store
            .conn()
            .execute("ATTACH DATABASE ?1 AS carried", [path])?;
        let copied = (|| -> Result<u64> {
            let tx = self.store.write_tx()?;
            let users = tx.execute("INSERT INTO main.users SELECT * FROM carried.users", [])?;
            tx.execute(
                "INSERT INTO main.user_keys SELECT * FROM carried.user_keys",
                [],
            )?;
            tx.execute(
                "INSERT INTO main.system_log SELECT * FROM carried.system_log",
                [],
            )?;
            tx.commit()?;
            Ok(users as u64)
        })();
        self.store.conn().execute("DETACH DATABASE carried", [])?;
        copied
    }
}

fn stored_role(text: &str) -> Result<Role> {
    Role::parse(text).map_err(|e| Error::runtime(format!("the users table holds {e}")))
}

/// `actor` with the role the database gives them now: a registered user's is read again (in
/// the write's own transaction, where a write calls it: a manager may have changed it since
/// their session started), a name in one's own shell being the user it stands for in
/// whatever case ([`registered_as`]; registered since the session started, it is theirs); a
/// name not registered (one's own shell) keeps the one it came with; a user whose key proved
/// who they are ([`Actor::verified`]), known by their name exactly, and who has been removed
/// since is refused.
pub(crate) fn as_now(conn: &Connection, actor: &Actor) -> Result<Actor> {
    let now = if actor.verified {
        role_of(conn, &actor.name)?.map(|role| (actor.name.clone(), role))
    } else {
        registered(conn, &actor.name)?
    };
    Ok(match now {
        Some((name, role)) => Actor {
            name,
            role,
            ..actor.clone()
        },
        None if actor.verified => {
            return Err(Error::input(format!(
                "`{}` is no longer a user of this database: nothing was saved",
                quoted(&actor.name)
            )));
        }
        None => actor.clone(),
    })
}

/// The registered user `name` stands for ([`Users::registered`]): the name exactly, read by
/// the index, else every user's compared ([`registered_as`]).
pub(crate) fn registered(conn: &Connection, name: &str) -> Result<Option<(String, Role)>> {
    let name = crate::domain::text::nfc(name.trim());
    if let Some(role) = role_of(conn, &name)? {
        return Ok(Some((name.into_owned(), role)));
    }
    let users = users(conn)?;
    let found = registered_as(&name, users.iter().map(|(n, _)| n.as_str()))
        .map_err(Error::Input)?
        .map(str::to_owned);
    Ok(found.and_then(|found| users.into_iter().find(|(n, _)| *n == found)))
}

/// Every user's name and role, by name.
pub(crate) fn users(conn: &Connection) -> Result<Vec<(String, Role)>> {
    let users: Vec<(String, String)> = super::rows(
        conn,
        "SELECT name, role FROM users ORDER BY name",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    users
        .into_iter()
        .map(|(name, role)| Ok((name, stored_role(&role)?)))
        .collect()
}

fn role_of(conn: &Connection, name: &str) -> Result<Option<Role>> {
    let role: Option<String> = conn
        .prepare_cached("SELECT role FROM users WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    role.map(|r| stored_role(&r)).transpose()
}

/// The user `name` stands for ([`registered`]): their name as registered and their role.
fn existing(conn: &Connection, name: &str) -> Result<(String, Role)> {
    registered(conn, name)?
        .ok_or_else(|| Error::input(format!("no user is named `{}`", quoted(name))))
}

fn managers(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM users WHERE role = 'manager'",
        [],
        |r| r.get(0),
    )?)
}

/// Keys as the system's log names them: `2 keys: ssh-ed25519 SHA256:… alice@laptop, …` (each
/// by its fingerprint, as `ssh-keygen -lf` prints it and `owed serve`'s log names it, and its
/// comment, which anyone may write), or `no key`.
fn keys_said<'k>(keys: impl Iterator<Item = &'k PublicKey>) -> String {
    let said: Vec<String> = keys.map(PublicKey::described).collect();
    match said.len() {
        0 => "no key".to_string(),
        1 => format!("1 key: {}", said[0]),
        n => format!("{n} keys: {}", said.join(", ")),
    }
}

/// Appends a row to the system's log.
pub(super) fn log(
    conn: &Connection,
    by: &Stamp,
    kind: SystemChange,
    subject: &str,
    detail: &str,
) -> Result<()> {
    conn.execute(
        "INSERT INTO system_log (at, actor, kind, subject, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![by.at, by.collector, kind.as_str(), subject, detail],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::users::PublicKey;

    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG1J1N6892l1yJ/nG3oqptr+EuPaGfT+TkWkcDt0V5x6 alice@laptop";

    fn stamp(name: &str, role: Role) -> Stamp {
        let now = chrono::DateTime::parse_from_rfc3339("2026-04-01T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        Stamp::for_actor(&Actor::new(name, role), now, now.date_naive()).unwrap()
    }

    #[test]
    fn keys_find_their_user_whatever_the_comment() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
        let key = PublicKey::parse(KEY).unwrap();
        let root = stamp("root", Role::Manager);
        store
            .users_mut()
            .add(&root, "alice", Role::Manager, std::slice::from_ref(&key))
            .unwrap();
        let other_comment = PublicKey::parse(&KEY.replace("alice@laptop", "x")).unwrap();
        assert_eq!(
            store
                .users()
                .user_for_key(&other_comment.algorithm, &other_comment.blob)
                .unwrap(),
            Some(("alice".to_string(), Role::Manager))
        );
        assert_eq!(
            store.users().user_for_key("ssh-rsa", &key.blob).unwrap(),
            None
        );
        assert_eq!(
            store.users().local_actor("nobody").unwrap(),
            Actor::new("nobody", Role::Manager)
        );
        // A key is one user's.
        let e = store
            .users_mut()
            .add(&root, "bob", Role::Collector, &[key])
            .unwrap_err();
        assert!(e.to_string().contains("is already alice's"), "{e}");
        assert_eq!(store.users().list().unwrap().len(), 1);
    }

    /// One's own name in another case is that user, with their role and their name as
    /// registered; a user whose key proved who they are is known by their name exactly.
    #[test]
    fn a_name_in_another_case_is_that_user_unless_verified() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
        let root = stamp("root", Role::Manager);
        store
            .users_mut()
            .add(&root, "dana", Role::Manager, &[])
            .unwrap();
        store
            .users_mut()
            .add(&root, "alice", Role::Collector, &[])
            .unwrap();
        assert_eq!(
            store.users().local_actor(" ALICE ").unwrap(),
            Actor::new("alice", Role::Collector)
        );
        let e = store
            .users_mut()
            .add(&root, "Dana", Role::Collector, &[])
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "`Dana` is the user dana (manager) in another case, and names are compared \
             without regard to case: give the new user another name"
        );
        assert_eq!(
            as_now(store.conn(), &Actor::new("Alice", Role::Manager)).unwrap(),
            Actor::new("alice", Role::Collector)
        );
        // alice removed, and ALICE (an older owed's second user) left: alice's session over
        // SSH is not ALICE's.
        let dana = stamp("dana", Role::Manager);
        store.users_mut().remove(&dana, "alice").unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO users (name, role, created) VALUES ('ALICE', 'manager', 'x')",
                [],
            )
            .unwrap();
        let e = as_now(store.conn(), &Actor::verified("alice", Role::Collector)).unwrap_err();
        assert!(e.to_string().contains("no longer a user"), "{e}");
    }

    #[test]
    fn a_removed_users_name_is_still_among_the_names_ever() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open_or_create(&dir.path().join("owed.db")).unwrap();
        let root = stamp("root", Role::Manager);
        for name in ["dana", "bob", "alice"] {
            let role = if name == "dana" {
                Role::Manager
            } else {
                Role::Collector
            };
            store.users_mut().add(&root, name, role, &[]).unwrap();
        }
        let dana = stamp("dana", Role::Manager);
        store.users_mut().remove(&dana, "bob").unwrap();
        assert_eq!(store.users().list().unwrap().len(), 2);
        assert_eq!(
            store.users().names_ever().unwrap(),
            ["alice", "bob", "dana"]
        );
    }
}
