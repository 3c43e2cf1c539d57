//! `owed user add | list | remove | role | log`: the users of `owed serve`, their roles and
//! SSH public keys (SPEC "Serving the workstation over SSH").
//!
//! Only a manager changes users; the first user of a database may be added by anyone and must
//! be a manager. Who acts is this shell's actor (`--as`, the config or the OS user, with the
//! role of the registered user of that name). Every change is in the system's activity log
//! (`owed user log`). `user add` may create the database; the others need one.

use super::Context;
use crate::domain::users::{PublicKey, Role, first_user, user_name};
use crate::report::table::{Align, TextTable};
use crate::workstation::files::user_folder_in;
use crate::{Error, Result};

#[derive(Debug, clap::Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user with their SSH public key(s) and role.
    Add(AddArgs),
    /// The users with their roles and keys.
    List(JsonArg),
    /// Remove a user and their keys (a session of theirs on `owed serve` is disconnected
    /// within seconds).
    Remove(NameArg),
    /// Give a user another role.
    Role(RoleArgs),
    /// The system's activity log: who added, removed or changed which user (each key by its SHA-256 fingerprint), and who backed the database up or restored it from a backup, when.
    Log(JsonArg),
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    /// The user's name: what they type in `ssh NAME@HOST`, and the name on their records.
    pub name: String,
    /// A public key line as in their `.pub` file: "ssh-ed25519 AAAA… comment", or the path
    /// of that file (or of an authorized_keys file: one key a line); repeat for several.
    #[arg(long = "key", value_name = "LINE|FILE", required = true)]
    pub keys: Vec<String>,
    /// collector, manager or auditor.
    #[arg(long)]
    pub role: String,
    /// Give the user the folder of the files folder (`[serve] files`) already named for
    /// them, with what is in it: a removed user's exports and attachments, or a folder
    /// someone made (refused without it).
    #[arg(long)]
    pub take_folder: bool,
}

#[derive(Debug, clap::Args)]
pub struct JsonArg {
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct NameArg {
    /// The user's name.
    pub name: String,
}

#[derive(Debug, clap::Args)]
pub struct RoleArgs {
    /// The user's name.
    pub name: String,
    /// collector, manager or auditor.
    pub role: String,
}

pub fn run(ctx: &Context, args: &UserArgs) -> Result<()> {
    match &args.command {
        UserCommand::Add(a) => add(ctx, a),
        UserCommand::List(a) => list(ctx, a),
        UserCommand::Remove(a) => remove(ctx, a),
        UserCommand::Role(a) => role(ctx, a),
        UserCommand::Log(a) => log(ctx, a),
    }
}

fn name(text: &str) -> Result<String> {
    user_name(text).map_err(Error::Input)
}

fn role_named(text: &str) -> Result<Role> {
    Role::parse(text).map_err(Error::Input)
}

fn plural(n: usize, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

fn add(ctx: &Context, args: &AddArgs) -> Result<()> {
    let name = name(&args.name)?;
    let role = role_named(&args.role)?;
    let mut keys = Vec::new();
    for k in &args.keys {
        keys.extend(keys_of(k)?);
    }
    // The same key given twice (two files, or a file and its line) is one key.
    let mut seen = std::collections::HashSet::new();
    keys.retain(|k: &PublicKey| seen.insert((k.algorithm.clone(), k.blob.clone())));
    if !ctx.db_path.exists() {
        // Refused before the file is made: a new database has no users yet.
        first_user(&name, role, crate::error::command).map_err(Error::Input)?;
    }
    if !args.take_folder {
        folder_free(ctx, &name)?;
    }
    // One of the commands that create a database (SPEC "The database file").
    let mut store = ctx.create_store()?;
    let stamp = ctx.undated_stamp(&store)?;
    store.users_mut().add(&stamp, &name, role, &keys)?;
    outln!("User {name} added: {role}, {}.", plural(keys.len(), "key"))
}

/// Refuses a new user `name` whose folder of the files folder (`[serve] files`) is there
/// already: a removed user's (their exports and attachments stay in it) or one someone made,
/// which the new user would read and write as theirs over SSH. (A user of that name already
/// is refused by the store, which says so.)
fn folder_free(ctx: &Context, name: &str) -> Result<()> {
    let Some(files) = ctx.config.serve.files.as_deref() else {
        return Ok(());
    };
    let folder = user_folder_in(&ctx.config.beside(files), name);
    if std::fs::symlink_metadata(&folder).is_err() {
        return Ok(());
    }
    if ctx.db_path.exists() && ctx.open_store()?.users().registered(name)?.is_some() {
        return Ok(());
    }
    Err(Error::Input(format!(
        "{} is already in the files folder ([serve] files), with what a former {name} (or \
         whoever made it) left there, and the new {name} would read it as theirs over SSH: \
         move it away and add {name} again, or add them with --take-folder to give it to them",
        folder.display()
    )))
}

/// The largest key file read: an authorized_keys file of a few hundred keys.
const MAX_KEY_FILE: u64 = 256 * 1024;

/// The keys a `--key` gives: a public key line, else the path of a file of them (a `.pub`
/// file, or an authorized_keys file without options: one key a line, blank lines and `#`
/// comments passed over). A line that is not a key is named by file and line; a private key
/// is refused.
fn keys_of(arg: &str) -> Result<Vec<PublicKey>> {
    let not_a_key = match PublicKey::parse(arg) {
        Ok(key) => return Ok(vec![key]),
        Err(e) => e,
    };
    let path = std::path::Path::new(arg);
    if !path.is_file() {
        return Err(Error::Input(not_a_key));
    }
    let shown = path.display();
    let size = std::fs::metadata(path)?.len();
    if size > MAX_KEY_FILE {
        return Err(Error::Input(format!(
            "`{shown}` is {size} bytes: too large for a file of public keys"
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Input(format!("cannot read the key file `{shown}`: {e}")))?;
    let Ok(text) = String::from_utf8(bytes) else {
        return Err(Error::Input(format!(
            "`{shown}` is not a text file of public keys"
        )));
    };
    if text.contains("PRIVATE KEY-----") {
        return Err(Error::Input(format!(
            "`{shown}` is a private key, which must stay with its owner: give its .pub file"
        )));
    }
    let mut keys = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        keys.push(
            PublicKey::parse(line)
                .map_err(|e| Error::Input(format!("{shown}, line {}: {e}", i + 1)))?,
        );
    }
    if keys.is_empty() {
        return Err(Error::Input(format!("`{shown}` holds no public key")));
    }
    Ok(keys)
}

fn list(ctx: &Context, args: &JsonArg) -> Result<()> {
    let store = ctx.open_store()?;
    let users = store.users().list()?;
    if args.json {
        let list: Vec<serde_json::Value> = users
            .iter()
            .map(|u| {
                serde_json::json!({
                    "name": u.name,
                    "role": u.role.as_str(),
                    "created": u.created,
                    "keys": u.keys.iter().map(|k| serde_json::json!({
                        "algorithm": k.algorithm,
                        "blob": k.blob,
                        "comment": k.comment,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect();
        return jsonln!("{}", serde_json::Value::Array(list));
    }
    if users.is_empty() {
        return outln!(
            "No users yet: `{}` adds the first.",
            crate::error::command("user add NAME --role manager --key \"ssh-ed25519 AAAA…\"")
        );
    }
    let mut t = TextTable::new(&[
        ("name", Align::Left),
        ("role", Align::Left),
        ("created", Align::Left),
        ("keys", Align::Left),
    ]);
    for u in &users {
        let keys: Vec<String> = u
            .keys
            .iter()
            .map(|k| match &k.comment {
                Some(c) => format!("{} {c}", k.algorithm),
                None => k.algorithm.clone(),
            })
            .collect();
        t.row(vec![
            u.name.clone(),
            u.role.to_string(),
            u.created.clone(),
            keys.join(", "),
        ]);
    }
    out!("{}", t.render())
}

fn remove(ctx: &Context, args: &NameArg) -> Result<()> {
    let name = name(&args.name)?;
    let mut store = ctx.open_store()?;
    let stamp = ctx.undated_stamp(&store)?;
    let (name, role) = store.users_mut().remove(&stamp, &name)?;
    outln!(
        "User {name} ({role}) removed with their keys; a session of theirs on `owed serve` is \
         disconnected within seconds."
    )?;
    warn_still_owned(ctx, &store, &name)
}

/// Says on stderr what `name` still owns when they may no longer work it (removed, or made
/// an auditor): the customers, their open follow-ups and promises not yet due, and that a
/// manager should move them. Not refused: the customers stay theirs until someone does.
fn warn_still_owned(ctx: &Context, store: &crate::store::Store, name: &str) -> Result<()> {
    let (customers, followups, promises) = store.users().still_owned(name, ctx.as_of)?;
    if customers == 0 {
        return Ok(());
    }
    errln!(
        "warning: {name} still owns {} (with {} and {} not yet due): a manager should move \
         them to another collector (owed assign CUSTOMER NAME)",
        plural(customers as usize, "customer"),
        plural(followups as usize, "open follow-up"),
        plural(promises as usize, "promise"),
    );
    Ok(())
}

fn role(ctx: &Context, args: &RoleArgs) -> Result<()> {
    let name = name(&args.name)?;
    let role = role_named(&args.role)?;
    let mut store = ctx.open_store()?;
    let stamp = ctx.undated_stamp(&store)?;
    let (name, old) = store.users_mut().set_role(&stamp, &name, role)?;
    outln!(
        "{name}'s role is now {role} (was {old}); their writes go by it at once, and a session \
         of theirs on `owed serve` is disconnected within seconds (they connect again)."
    )?;
    if role == Role::Auditor {
        warn_still_owned(ctx, &store, &name)?;
    }
    Ok(())
}

fn log(ctx: &Context, args: &JsonArg) -> Result<()> {
    let store = ctx.open_store()?;
    let entries = store.users().log()?;
    if args.json {
        let list: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "id": e.id, "at": e.at, "actor": e.actor, "kind": e.kind,
                    "user": e.subject, "detail": e.detail,
                })
            })
            .collect();
        return jsonln!("{}", serde_json::Value::Array(list));
    }
    let mut t = TextTable::new(&[
        ("at", Align::Left),
        ("by", Align::Left),
        ("change", Align::Left),
        ("user", Align::Left),
        ("detail", Align::Left),
    ]);
    for e in &entries {
        t.row(vec![
            e.at.clone(),
            e.actor.clone(),
            e.kind.as_str().to_string(),
            e.subject.clone(),
            e.detail.clone(),
        ]);
    }
    out!("{}", t.render())
}
