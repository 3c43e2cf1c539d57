//! Users and roles through the real binary (issue 17, points 2 and 3): `owed user add | list
//! | role | remove | log`, bad keys and names refused with exit 2, and roles enforced where
//! the writes happen: a collector writes only on the customers they own, an auditor nothing,
//! a manager everything; a refusal writes nothing.

mod common;
mod fixture;

use common::{succeeded, text_pairs, texts_of};
use fixture::{Fixture, stderr, stdout};
use owed::domain::users::{PublicKey, Role};
use owed::store::Store;

const DANA: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF+jMxy1UPKN0+nNElB1xHLM8zFpOthxWeZrE809X5E7 dana@desk";
const ALICE: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMo/kSXwAAUcvvpsIZ+5IYX/PDHZGGcxW4/4StaQ+pbR alice@laptop";
const ALICE_2: &str = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBMmy/bkpLWWv/M351jsw3Om4xr1ZrABwV4y3fQOYzaMTg6NtNye1U8Mqy5UT3QM415Ri7jQ88id+BZe4x3ChIdY= alice@phone";
const BOB: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIqP1FgyjY0o0XkmKj9wfUgCNEYvAd8r71VC9UnzHhwP bob@work";
const BOB_2: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHhYm8m3yJ0cS3uWQ1kQ3a2l3f1r3vJ5C0cBv0v3a1sE bob@spare";
const CAROL: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINR1CvWzPARBN02n/bPEa/JOsqkRoq63ThbjFGl5LhXO carol@audit";
/// The keys' fingerprints as `ssh-keygen -lf` prints them.
const DANA_SHA256: &str = "SHA256:YgoKStLUXjCgw7160KkeWcKDlhGxv4sWIMy/0C9ovnk";
const ALICE_SHA256: &str = "SHA256:e4IQBNsgC7aYdMnRFRXrkzrWS6T+HrQR0F4m+uUA44U";
const ALICE_2_SHA256: &str = "SHA256:0eFLdeDFzS3J53yvuGyXqrWHsLkShJKk7Jq6GuiLEmQ";

/// Dana (a manager) runs `owed user` with `args`: asserts that it succeeded and said `says`
/// first.
#[track_caller]
fn dana_changes(fx: &Fixture, args: &[&str], says: &str) {
    let out = succeeded(&fx.owed(&[&["--as", "dana", "user"], args].concat()));
    assert!(out.starts_with(says), "{out}");
}

fn refused(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2), "stdout: {}", stdout(out));
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    err
}

/// The fixture (V1 and V3 owned by alice, V2 by bob) with dana (manager), alice and bob
/// (collectors) and carol (auditor), added by root (a local name, not registered).
fn team() -> Fixture {
    let fx = Fixture::new();
    for (name, key, role) in [
        ("dana", DANA, "manager"),
        ("alice", ALICE, "collector"),
        ("bob", BOB, "collector"),
        ("carol", CAROL, "auditor"),
    ] {
        succeeded(&fx.owed(&[
            "--as", "root", "user", "add", name, "--key", key, "--role", role,
        ]));
    }
    fx
}

/// `owed --as WHO --as-of 2026-04-01 ARGS` on `fx`'s database.
fn as_user(fx: &Fixture, who: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--as", who, "--as-of", "2026-04-01"];
    all.extend_from_slice(args);
    fx.owed(&all)
}

fn list_json(fx: &Fixture) -> serde_json::Value {
    serde_json::from_str(&succeeded(&fx.owed(&["user", "list", "--json"]))).unwrap()
}

#[test]
fn users_are_added_listed_changed_removed_and_logged() {
    // A folder with no database yet.
    let fx = Fixture {
        dir: tempfile::tempdir().unwrap(),
    };
    // Without a database, only `user add` may create one.
    let out = fx.owed(&["user", "list"]);
    assert!(
        refused(&out).contains("there is no database at"),
        "{}",
        stderr(&out)
    );
    assert!(!fx.db().exists());
    // The first user must be a manager: refused before the file is made.
    let out = fx.owed(&[
        "user",
        "add",
        "alice",
        "--key",
        ALICE,
        "--role",
        "collector",
    ]);
    assert!(refused(&out).contains("the first user must be a manager"));
    assert!(!fx.db().exists());
    let out = succeeded(&fx.owed(&[
        "--as", "root", "user", "add", "dana", "--key", DANA, "--role", "manager",
    ]));
    assert_eq!(out, "User dana added: manager, 1 key.\n");
    succeeded(&fx.owed(&[
        "--as",
        "dana",
        "user",
        "add",
        "alice",
        "--key",
        ALICE,
        "--key",
        ALICE_2,
        "--role",
        "collector",
    ]));

    let list = list_json(&fx);
    let names = texts_of(&list, "name");
    assert_eq!(names, ["alice", "dana"]);
    let alice = &list[0];
    assert_eq!(alice["role"], "collector");
    assert_eq!(alice["keys"].as_array().unwrap().len(), 2);
    assert_eq!(alice["keys"][0]["algorithm"], "ssh-ed25519");
    assert_eq!(
        alice["keys"][0]["blob"],
        "AAAAC3NzaC1lZDI1NTE5AAAAIMo/kSXwAAUcvvpsIZ+5IYX/PDHZGGcxW4/4StaQ+pbR"
    );
    assert_eq!(alice["keys"][0]["comment"], "alice@laptop");
    assert_eq!(alice["keys"][1]["algorithm"], "ecdsa-sha2-nistp256");
    assert!(alice["created"].as_str().unwrap().ends_with('Z'));
    let human = succeeded(&fx.owed(&["user", "list"]));
    assert!(human.contains("alice  collector"), "{human}");

    // What `owed serve` asks at authentication: the key, whatever its comment.
    let key = PublicKey::parse(&ALICE.replace("alice@laptop", "renamed")).unwrap();
    let who = |fx: &Fixture| {
        Store::open_existing(&fx.db())
            .unwrap()
            .users()
            .user_for_key(&key.algorithm, &key.blob)
            .unwrap()
    };
    assert_eq!(who(&fx), Some(("alice".to_string(), Role::Collector)));

    // A collector may not change users; a manager may.
    let out = fx.owed(&["--as", "alice", "user", "role", "alice", "manager"]);
    assert_eq!(
        refused(&out),
        "owed: alice (collector) may not change users: only a manager may\n"
    );
    dana_changes(
        &fx,
        &["role", "alice", "auditor"],
        "alice's role is now auditor (was collector)",
    );
    assert_eq!(who(&fx), Some(("alice".to_string(), Role::Auditor)));
    // The last manager keeps the role.
    let out = fx.owed(&["--as", "dana", "user", "role", "dana", "collector"]);
    assert!(refused(&out).contains("dana is the last manager"));
    succeeded(&fx.owed(&["--as", "dana", "user", "remove", "alice"]));
    assert_eq!(who(&fx), None);
    let out = fx.owed(&["--as", "dana", "user", "remove", "alice"]);
    assert_eq!(refused(&out), "owed: no user is named `alice`\n");

    // The system's log: every change, who made it, in order.
    let log: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["user", "log", "--json"]))).unwrap();
    let rows: Vec<(String, String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("actor"), s("kind"), s("user"), s("detail"))
        })
        .collect();
    let row = |a: &str, k: &str, u: &str, d: &str| {
        (a.to_string(), k.to_string(), u.to_string(), d.to_string())
    };
    assert_eq!(
        rows,
        [
            row(
                "root",
                "user_add",
                "dana",
                &format!("manager, 1 key: ssh-ed25519 {DANA_SHA256} dana@desk")
            ),
            row(
                "dana",
                "user_add",
                "alice",
                &format!(
                    "collector, 2 keys: ssh-ed25519 {ALICE_SHA256} alice@laptop, \
                     ecdsa-sha2-nistp256 {ALICE_2_SHA256} alice@phone"
                )
            ),
            row("dana", "user_role", "alice", "collector -> auditor"),
            row(
                "dana",
                "user_remove",
                "alice",
                &format!(
                    "was auditor, 2 keys: ssh-ed25519 {ALICE_SHA256} alice@laptop, \
                     ecdsa-sha2-nistp256 {ALICE_2_SHA256} alice@phone"
                )
            ),
        ]
    );
    assert!(log[0]["at"].as_str().unwrap().ends_with('Z'));
}

/// The system's log names each key by its SHA-256 fingerprint beside its comment: another
/// person's key given dana's comment was logged "1 key: ssh-ed25519 dana@desk", the same words
/// as dana's own, while `owed serve`'s log names keys by fingerprint.
#[test]
fn the_log_names_keys_by_their_fingerprint_not_only_their_comment() {
    let fx = team();
    let mallory = BOB_2.replace("bob@spare", "dana@desk");
    succeeded(&fx.owed(&[
        "--as", "dana", "user", "add", "zed", "--key", &mallory, "--role", "manager",
    ]));
    let log: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["user", "log", "--json"]))).unwrap();
    let detail_of = |user: &str| {
        log.as_array()
            .unwrap()
            .iter()
            .find(|e| e["user"] == user && e["kind"] == "user_add")
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        detail_of("zed"),
        "manager, 1 key: ssh-ed25519 SHA256:N8IesmY7dfWXu9123E2V46p7VjgIGl3khsSNwFcENZQ dana@desk"
    );
    assert_eq!(
        detail_of("dana"),
        format!("manager, 1 key: ssh-ed25519 {DANA_SHA256} dana@desk")
    );
    // The table shows the same words.
    let table = succeeded(&fx.owed(&["user", "log"]));
    assert!(
        table.contains("SHA256:N8IesmY7dfWXu9123E2V46p7VjgIGl3khsSNwFcENZQ dana@desk"),
        "{table}"
    );
}

#[test]
fn bad_keys_and_names_exit_2_naming_them_and_write_nothing() {
    let fx = team();
    let before = fx.fingerprint();
    let long_garbage = format!("ssh-ed25519 {}", "QUFB".repeat(40));
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "user",
                "add",
                "eve",
                "--key",
                "ssh-ed25519 AAAA",
                "--role",
                "collector",
            ],
            "the key `ssh-ed25519 AAAA` is not an OpenSSH public key",
        ),
        (
            &[
                "user",
                "add",
                "eve",
                "--key",
                "hello",
                "--role",
                "collector",
            ],
            "the key `hello` is not an OpenSSH public key",
        ),
        (
            &[
                "user",
                "add",
                "eve",
                "--key",
                "ssh-dss AAAAB3NzaC1kc3M=",
                "--role",
                "collector",
            ],
            "the key type is not one of",
        ),
        (
            &[
                "user",
                "add",
                "eve",
                "--key",
                &long_garbage,
                "--role",
                "collector",
            ],
            "is not an OpenSSH public key",
        ),
        (
            &[
                "user",
                "add",
                "e ve",
                "--key",
                ALICE_2,
                "--role",
                "collector",
            ],
            "the user's name `e ve` holds white space",
        ),
        (
            &["user", "add", "", "--key", ALICE_2, "--role", "collector"],
            "the user's name is empty",
        ),
        (
            &[
                "user",
                "add",
                "ev\u{1b}[2Je",
                "--key",
                ALICE_2,
                "--role",
                "collector",
            ],
            "holds a control character",
        ),
        (
            &["user", "add", "eve", "--key", ALICE_2, "--role", "admin"],
            "unknown role `admin`",
        ),
        (
            &[
                "user",
                "add",
                "alice",
                "--key",
                ALICE_2,
                "--role",
                "collector",
            ],
            "user alice already exists (collector)",
        ),
        (
            &["user", "add", "eve", "--key", BOB, "--role", "collector"],
            "is already bob's",
        ),
        (&["user", "role", "bob", "boss"], "unknown role `boss`"),
        (&["user", "remove", "nobody"], "no user is named `nobody`"),
    ];
    for (args, expected) in cases {
        let mut all = vec!["--as", "dana"];
        all.extend_from_slice(args);
        let out = fx.owed(&all);
        let err = refused(&out);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains('\u{1b}'), "{err}");
        // Cut to about 80 characters of the value.
        assert!(err.chars().count() < 220, "{err}");
    }
    assert_eq!(fx.fingerprint(), before);
}

#[test]
fn keys_are_taken_from_their_files_and_a_bad_file_is_named_with_its_line() {
    let fx = team();
    let dir = fx.dir.path();
    // A .pub file, and an authorized_keys file of two keys with a comment and a blank line.
    std::fs::write(dir.join("eve.pub"), format!("{ALICE_2}\n")).unwrap();
    let eve_2 =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOq3tF1WTIoOmHk2V8f/9pNZ4a9XG1TW6bdpj6Zs7c9Z eve@home";
    std::fs::write(
        dir.join("frank_keys"),
        format!(
            "# frank's machines\n{eve_2}\n\n{}\n",
            DANA.replace("dana@desk", "x")
        ),
    )
    .unwrap();
    let before = fx.fingerprint();
    let key_file = |f: &str| dir.join(f).to_str().unwrap().to_string();
    let add = |name: &str, key: &str, role: &str| {
        fx.owed(&[
            "--as", "dana", "user", "add", name, "--key", key, "--role", role,
        ])
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "private",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            "is a private key, which must stay with its owner: give its .pub file",
        ),
        (
            "bad.pub",
            &format!("{eve_2}\n# next\nssh-ed25519 AAAA cut\n"),
            "bad.pub, line 3: the key `ssh-ed25519 AAAA cut` is not an OpenSSH public key",
        ),
        ("empty.pub", "# nothing here\n\n", "holds no public key"),
    ];
    for (file, text, expected) in cases {
        std::fs::write(dir.join(file), text).unwrap();
        let path = key_file(file);
        let out = add("eve", &path, "collector");
        let err = refused(&out);
        assert!(err.contains(expected), "{file}: {err}");
    }
    // A path that is not there is taken as a key line, as before.
    let err = refused(&add("eve", "eve.pubx", "collector"));
    assert!(
        err.contains("the key `eve.pubx` is not an OpenSSH public key"),
        "{err}"
    );
    assert_eq!(fx.fingerprint(), before, "nothing written");

    succeeded(&add("eve", &key_file("eve.pub"), "collector"));
    let out = add("frank", &key_file("frank_keys"), "auditor");
    // DANA's blob under another comment is still dana's key.
    let err = refused(&out);
    assert!(err.contains("is already dana's"), "{err}");
    std::fs::write(
        dir.join("frank_keys"),
        format!("# frank's machines\n{eve_2}\n\n{BOB_2}\n"),
    )
    .unwrap();
    succeeded(&add("frank", &key_file("frank_keys"), "auditor"));
    let users = list_json(&fx);
    let keys_of = |name: &str| -> Vec<String> {
        users
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"))["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["comment"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(keys_of("eve"), ["alice@phone"]);
    assert_eq!(keys_of("frank"), ["eve@home", "bob@spare"]);
    // The same key twice is one key, and the confirmation says so (it said "2 keys").
    let gina =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGRlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn+AgYKD gina";
    std::fs::write(dir.join("gina.pub"), format!("{gina}\n")).unwrap();
    let out = succeeded(&fx.owed(&[
        "--as",
        "dana",
        "user",
        "add",
        "gina",
        "--key",
        gina,
        "--key",
        &key_file("gina.pub"),
        "--role",
        "auditor",
    ]));
    assert!(out.contains("User gina added: auditor, 1 key."), "{out}");
}

#[test]
fn a_collector_writes_only_on_their_own_customers_and_an_auditor_nothing() {
    let fx = team();
    let run = |who: &str, args: &[&str]| as_user(&fx, who, args);
    // Records bob and dana may make, for the refusals below to aim at.
    succeeded(&run(
        "bob",
        &["promise", "V2", "--amount", "100", "--date", "+7d"],
    ));
    succeeded(&run(
        "bob",
        &["dispute", "V2", "--reason", "pricing", "--amount", "50"],
    ));
    succeeded(&run(
        "bob",
        &["followup", "V2", "--date", "+3d", "call", "back"],
    ));
    let before = fx.fingerprint();

    let not_alices = "owed: alice (collector) may not write on V2: its finance owner is bob\n";
    for args in [
        &["note", "V2", "hello"][..],
        &["promise", "V2", "--amount", "10", "--date", "+7d"],
        &["dispute", "V2", "--reason", "pricing"],
        &["followup", "V2", "--date", "+1d", "ring"],
        &["void-promise", "1"],
        &["resolve", "1"],
        &["done", "1"],
    ] {
        assert_eq!(refused(&run("alice", args)), not_alices, "{args:?}");
    }
    for args in [
        &["note", "V1", "hello"][..],
        &["promise", "V2", "--amount", "10", "--date", "+7d"],
        &["void-promise", "1"],
    ] {
        let err = refused(&run("carol", args));
        assert!(
            err.starts_with("owed: carol (auditor) may not write on V"),
            "{args:?}: {err}"
        );
        assert!(err.ends_with(": an auditor reads only\n"), "{err}");
    }
    // A collector assigns nothing, not even their own customers; holds and releases are a
    // manager's too.
    assert_eq!(
        refused(&run("alice", &["assign", "V1", "bob"])),
        "owed: alice (collector) may not assign owners on V1: only a manager may\n"
    );
    assert_eq!(
        refused(&run("alice", &["engage", "hold", "V1", "--until", "+7d"])),
        "owed: alice (collector) may not hold customers back from engagement on V1: only a manager may\n"
    );
    assert!(
        refused(&run("bob", &["engage", "release", "1"])).contains("may not release reminders")
    );
    let cycles = fx.dir.path().join("cycles");
    std::fs::create_dir_all(&cycles).unwrap();
    let cycles = cycles.to_str().unwrap();
    assert_eq!(
        refused(&run("alice", &["engage", "run", "--cycles", cycles])),
        "owed: alice (collector) may not run engagement cycles: only a manager may\n"
    );
    // Replies from a mail folder reach every collector's customers: not an auditor's to file
    // (it filed them, and nothing said who), nor a collector's. The message stays in new/.
    let maildir = fx.dir.path().join("mail");
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let message = maildir.join("new/1.eml");
    std::fs::write(
        &message,
        "From: ap@kite.example\r\nSubject: Re: invoice\r\nMessage-ID: <r1@kite.example>\r\n\r\nPaid.\r\n",
    )
    .unwrap();
    let maildir = maildir.to_str().unwrap();
    assert_eq!(
        refused(&run("carol", &["inbox", "import", maildir])),
        "owed: carol (auditor) may not file replies from a mail folder: an auditor reads only\n"
    );
    assert!(refused(&run("alice", &["inbox", "import", maildir])).contains("only a manager may"));
    assert!(message.exists());
    assert_eq!(fx.fingerprint(), before, "nothing written by a refusal");

    // Alice works her own customers; a manager assigns; the file's owner (a local name
    // not registered) is a manager.
    succeeded(&run("alice", &["note", "V1", "Called Anna."]));
    succeeded(&run("alice", &["followup", "V3", "--date", "+2d", "call"]));
    let out = succeeded(&run("dana", &["assign", "V2", "alice"]));
    assert!(out.contains("is now alice (was bob)"), "{out}");
    succeeded(&run("alice", &["note", "V2", "Mine now."]));
    assert!(refused(&run("bob", &["note", "V2", "x"])).contains("its finance owner is alice"));
    succeeded(&run("root", &["note", "V2", "From the file's owner."]));
    // Its reason in several words, as a note's (it had to be quoted).
    let held = succeeded(&run(
        "dana",
        &[
            "engage", "hold", "V1", "--until", "+7d", "waiting", "for", "the", "PO",
        ],
    ));
    assert!(
        held.contains("V1 held back from engagement until"),
        "{held}"
    );
    let why: String = common::value(
        &fx.db(),
        "SELECT text FROM engagement_holds ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(why, "waiting for the PO");
    // `release` releases it, and says so rather than "held back".
    let released = succeeded(&run(
        "dana",
        &["engage", "hold", "V1", "--until", "release"],
    ));
    assert!(
        released.contains("V1 released: back in the cycles"),
        "{released}"
    );

    let activity: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["activity", "V2", "--json"]))).unwrap();
    let mut notes = text_pairs(
        &activity["activity"],
        |e| e["kind"] == "note",
        "collector",
        "text",
    );
    notes.sort();
    assert_eq!(
        notes,
        [("alice", "Mine now."), ("root", "From the file's owner.")]
    );
}

/// A mailer that must never be reached: a refused send claims and sends nothing.
struct NoMail;

impl owed::engage::outbox::Mailer for NoMail {
    fn connect(&mut self) -> Result<(), owed::engage::outbox::SendError> {
        panic!("a refused send connected");
    }
    fn send(&mut self, _: &lettre::Message) -> Result<(), owed::engage::outbox::SendError> {
        panic!("a refused send sent");
    }
}

/// The same refusals through the library, as the workstation's forms and worker call it: the
/// actions, a manual reminder and an engagement run.
/// Asserts that a note on V2 written with `stamp` is refused (exit 2) saying `says`.
#[track_caller]
fn a_note_on_v2_is_refused(
    store: &mut Store,
    stamp: &owed::domain::action_checks::Stamp,
    says: &str,
) {
    let e = owed::actions::note(store, stamp, "V2", "refused").unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert_eq!(e.to_string(), says);
}

#[test]
fn the_library_refuses_the_same_way() {
    use owed::actions;
    use owed::domain::action_checks::Stamp;
    use owed::domain::users::Actor;
    use owed::engage::{cycle, manual, outbox};

    let fx = team();
    let mut store = fx.store();
    let now = chrono::Utc::now();
    let as_of = owed::domain::date::parse_iso("2026-04-01").unwrap();
    let alice = Actor::new("alice", Role::Collector);
    let stamp = Stamp::for_actor(&alice, now, as_of).unwrap();
    let before = fx.fingerprint();
    a_note_on_v2_is_refused(
        &mut store,
        &stamp,
        "alice (collector) may not write on V2: its finance owner is bob",
    );

    let dir = fx.dir.path().join("cycles");
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("templates/friendly.md"),
        "About {{ customer.name }}\n\nHello.\n",
    )
    .unwrap();
    let mut cycles = cycle::load_dir(&dir).unwrap();
    let template = manual::templates(&mut cycles).unwrap().remove(0);
    let settings = outbox::SendSettings {
        from: "Collections <ar@example.com>".parse().unwrap(),
        collector: alice.name.clone(),
        role: alice.role,
        base_currency: "USD".into(),
        as_of,
        retry: outbox::RetryPolicy::default(),
        statement: Default::default(),
        min_days_between: 0,
        clock: owed::domain::date::Clock::Reading(chrono::Local::now),
    };
    let theirs = manual::entry_for(&store, "V2", &template, as_of, "USD").unwrap();
    let e = manual::send(
        &mut store,
        &cycles,
        &template,
        &theirs,
        &mut NoMail,
        &settings,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "alice (collector) may not write on V2: its finance owner is bob"
    );
    let e = outbox::run(&mut store, &cycles, &[theirs], &mut NoMail, &settings).unwrap_err();
    assert_eq!(
        e.to_string(),
        "alice (collector) may not run engagement cycles: only a manager may"
    );
    let carol = outbox::SendSettings {
        collector: "carol".into(),
        role: Role::Auditor,
        ..settings.clone()
    };
    let own = manual::entry_for(&store, "V1", &template, as_of, "USD").unwrap();
    let e = manual::send(&mut store, &cycles, &template, &own, &mut NoMail, &carol).unwrap_err();
    assert!(e.to_string().contains("an auditor reads only"), "{e}");
    assert_eq!(fx.fingerprint(), before);

    // A session keeps the role its user had when it started; the writes go by the role the
    // user has now. Alice, made an auditor while her session runs, writes nothing more.
    actions::note(&mut store, &stamp, "V1", "before").unwrap();
    succeeded(&fx.owed(&["--as", "dana", "user", "role", "alice", "auditor"]));
    let e = actions::note(&mut store, &stamp, "V1", "after").unwrap_err();
    assert!(e.to_string().contains("an auditor reads only"), "{e}");
    // A name nobody registered (one's own shell) keeps the role it came with.
    let root = Stamp::for_actor(&Actor::new("root", Role::Manager), now, as_of).unwrap();
    actions::note(&mut store, &root, "V2", "from the shell").unwrap();

    // A user whose key proved who they are (a session of owed serve), removed while the
    // session runs, writes nothing more: their session kept their role until the server cut
    // it, seconds later, and a form saved meanwhile.
    let bob = Actor::verified("bob", Role::Collector);
    let bobs = Stamp::for_actor(&bob, now, as_of).unwrap();
    actions::note(&mut store, &bobs, "V2", "before").unwrap();
    succeeded(&fx.owed(&["--as", "dana", "user", "remove", "bob"]));
    let before = fx.fingerprint();
    a_note_on_v2_is_refused(
        &mut store,
        &bobs,
        "`bob` is no longer a user of this database: nothing was saved",
    );
    assert_eq!(fx.fingerprint(), before);
    // Nor does a removed manager keep a manager's rights.
    let dana = Stamp::for_actor(&Actor::verified("dana", Role::Manager), now, as_of).unwrap();
    succeeded(&fx.owed(&[
        "--as", "root", "user", "add", "erin", "--key", BOB, "--role", "manager",
    ]));
    succeeded(&fx.owed(&["--as", "erin", "user", "remove", "dana"]));
    let before = fx.fingerprint();
    let e = actions::note(&mut store, &dana, "V2", "after").unwrap_err();
    assert!(e.to_string().contains("no longer a user"), "{e}");
    assert_eq!(fx.fingerprint(), before);
}

/// A backup is a read of the ledger an auditor may rightly take: carol (auditor) makes one,
/// and it is in the system's log under her name (its only write); a restore stays a
/// manager's.
#[test]
fn an_auditor_takes_a_backup_but_does_not_restore_one() {
    let fx = team();
    let backup = fx.dir.path().join("audit.db");
    let b = backup.to_str().unwrap();
    let before = fx.fingerprint();
    succeeded(&fx.owed(&["--as", "carol", "backup", b]));
    assert!(backup.is_file());
    // Its only write: its line in the system's log.
    let ledger = |fingerprint: String| fingerprint.split("system_log").next().unwrap().to_string();
    assert_eq!(
        ledger(fx.fingerprint()),
        ledger(before),
        "the ledger is as it was"
    );
    let log: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["user", "log", "--json"]))).unwrap();
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "backup", "{last}");
    assert_eq!(last["actor"], "carol", "{last}");
    let err = refused(&fx.owed(&["--as", "carol", "restore", b, "--yes"]));
    assert!(
        err.contains("may not restore the database from a backup"),
        "{err}"
    );
}

#[test]
fn only_a_manager_restores_a_backup_and_the_log_says_who_did() {
    let fx = team();
    let dir = fx.dir.path();
    let backup = dir.join("backup.db");
    let b = backup.to_str().unwrap();
    succeeded(&fx.owed(&["backup", b]));
    let before = fx.fingerprint();
    let files = common::names_in(dir);
    for who in ["alice", "carol"] {
        for yes in [false, true] {
            let mut args = vec!["--as", who, "restore", b];
            if yes {
                args.push("--yes");
            }
            let err = refused(&fx.owed(&args));
            assert!(
                err.contains("may not restore the database from a backup"),
                "{err}"
            );
        }
    }
    assert_eq!(fx.fingerprint(), before, "nothing restored");
    assert_eq!(common::names_in(dir), files, "nothing kept");
    // Since the backup: bob made a manager, erin added, and an import; the restore undoes
    // them, and its entry in the log says so (the entries and the import run are gone from
    // the restored log, kept only in the copy).
    succeeded(&fx.owed(&["--as", "dana", "user", "role", "bob", "manager"]));
    succeeded(&fx.owed(&[
        "--as",
        "dana",
        "user",
        "add",
        "erin",
        "--key",
        BOB_2,
        "--role",
        "collector",
    ]));
    let csv = dir.join("csv");
    succeeded(&fx.owed(&["--as", "dana", "import", csv.to_str().unwrap()]));
    let kept = dir.join("kept.db");
    succeeded(&fx.owed(&[
        "--as",
        "dana",
        "restore",
        b,
        "--yes",
        "--keep",
        kept.to_str().unwrap(),
    ]));
    let log: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["user", "log", "--json"]))).unwrap();
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["kind"], "restore", "{last}");
    assert_eq!(last["actor"], "dana", "{last}");
    let detail = last["detail"].as_str().unwrap();
    assert!(detail.contains(&format!("from {b}")), "{detail}");
    assert!(
        detail.contains(&format!("kept in {}", kept.display())),
        "{detail}"
    );
    assert!(
        detail.ends_with(
            "; it changes the users of owed serve: bob is collector again, not manager, erin \
             (collector) is gone; 1 import recorded since the backup; 2 entries of this log \
             recorded since the backup (in the kept copy only)"
        ),
        "{detail}"
    );
    // The users' changes before the backup are there, as the backup held them.
    assert_eq!(
        texts_of(&log, "kind"),
        ["user_add", "user_add", "user_add", "user_add", "restore"]
    );
}

/// A name is compared in its composed form (NFC): a collector registered as `Zoë` (ë one
/// character) and her customer's owner exported as `Zoe` + a combining diaeresis (as macOS
/// writes it) are one person. She was refused her own customer ("may not write on K6: its
/// finance owner is Zoë"), and the decomposed spelling with `--as` was no registered user, so
/// it acted as the file's owner.
#[test]
fn a_name_written_composed_or_decomposed_is_one_person() {
    let fx = team();
    let composed = "Zo\u{eb}";
    let decomposed = "Zoe\u{308}";
    succeeded(&fx.owed(&[
        "--as",
        "dana",
        "user",
        "add",
        composed,
        "--key",
        ALICE_2,
        "--role",
        "collector",
    ]));
    let csv = fx.dir.path().join("zoe");
    std::fs::create_dir(&csv).unwrap();
    std::fs::write(
        csv.join("customers.csv"),
        format!("id,name,finance_owner\nK6,Foxtrot Six,{decomposed}\n"),
    )
    .unwrap();
    succeeded(&fx.owed(&["import", csv.to_str().unwrap()]));
    // Her customers are found by her name (an owner no customer had was refused).
    let queue = succeeded(&fx.owed(&["export", "queue", "--owner", composed, "-o", "-"]));
    assert!(queue.lines().any(|l| l.starts_with("K6,")), "{queue}");
    for name in [composed, decomposed] {
        let saved = succeeded(&fx.owed(&["--as", name, "note", "K6", "mine"]));
        assert!(saved.contains("recorded for K6"), "{saved}");
        // A registered collector, whichever way the name is written: not the file's owner.
        let err = refused(&fx.owed(&["--as", name, "assign", "V1", name]));
        assert!(err.contains("(collector) may not"), "{err}");
    }
    // A database whose names were stored decomposed has them composed when it is opened.
    fixture::undo_schemas_20_to_23(&fx.db());
    let conn = rusqlite::Connection::open(fx.db()).unwrap();
    conn.execute_batch(&format!(
        "UPDATE customers SET finance_owner = '{decomposed}' WHERE id = 'K6';
         UPDATE users SET name = '{decomposed}' WHERE name = '{composed}';
         ALTER TABLE reminders DROP COLUMN cc_addr;
         PRAGMA user_version = 17;"
    ))
    .unwrap();
    drop(conn);
    let saved = succeeded(&fx.owed(&["--as", composed, "note", "K6", "again"]));
    assert!(saved.contains("recorded for K6"), "{saved}");
    let users = list_json(&fx);
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["name"] == composed),
        "{users}"
    );
}

/// One's own name typed in another case (or width) is that user, with their role, and what
/// they write is recorded under the name as registered. `--as CAROL` (carol an auditor) wrote
/// notes and changed users as the file's owner, and `--as ALICE` wrote on bob's customer;
/// the user log and the team's figures then showed `CAROL` and `ALICE` as people of their own.
#[test]
fn ones_own_name_in_another_case_is_that_user() {
    let fx = team();
    let run = |who: &str, args: &[&str]| as_user(&fx, who, args);
    let before = fx.fingerprint();
    for carol in ["CAROL", "Carol", "ｃａｒｏｌ"] {
        assert_eq!(
            refused(&run(carol, &["note", "V1", "x"])),
            "owed: carol (auditor) may not write on V1: an auditor reads only\n",
            "{carol}"
        );
        assert_eq!(
            refused(&run(carol, &["user", "role", "bob", "manager"])),
            "owed: carol (auditor) may not change users: an auditor reads only\n",
            "{carol}"
        );
    }
    assert_eq!(
        refused(&run("ALICE", &["note", "V2", "x"])),
        "owed: alice (collector) may not write on V2: its finance owner is bob\n"
    );
    assert_eq!(
        refused(&run("Alice", &["assign", "V1", "Alice"])),
        "owed: alice (collector) may not assign owners on V1: only a manager may\n"
    );
    assert_eq!(fx.fingerprint(), before, "nothing written by a refusal");

    // Her own customers she works under either spelling, recorded as alice; a manager's
    // change of users is logged under the manager's name as registered.
    succeeded(&run("ALICE", &["note", "V1", "Typed in capitals."]));
    succeeded(&run("DANA", &["user", "role", "bob", "manager"]));
    let log: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["user", "log", "--json"]))).unwrap();
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["actor"], &last["kind"]),
        (&"dana".into(), &"user_role".into())
    );
    let activity: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["activity", "V1", "--json"]))).unwrap();
    let notes = text_pairs(
        &activity["activity"],
        |e| e["kind"] == "note",
        "collector",
        "text",
    );
    assert_eq!(notes, [("alice", "Typed in capitals.")]);
    let team: serde_json::Value =
        serde_json::from_str(&succeeded(&run("dana", &["report", "team", "--json"]))).unwrap();
    let shown = team.to_string();
    assert!(
        !shown.contains("ALICE") && !shown.contains("DANA"),
        "{shown}"
    );
}

/// A user whose name differs from an existing user's only in case is refused: `ALICE` added
/// beside alice was a second person, and `assign V1 Alice` went to one or the other. A
/// database of an older owed that holds two such users takes the name typed exactly as the
/// one registered so, and refuses a spelling that could be either.
#[test]
fn a_name_differing_only_in_case_is_no_second_user() {
    let fx = team();
    let before = fx.fingerprint();
    for name in ["ALICE", "Ａlice"] {
        let err = refused(&fx.owed(&[
            "--as", "dana", "user", "add", name, "--key", BOB_2, "--role", "manager",
        ]));
        assert_eq!(
            err,
            format!(
                "owed: `{name}` is the user alice (collector) in another case, and names are \
                 compared without regard to case: give the new user another name\n"
            )
        );
    }
    assert_eq!(fx.fingerprint(), before, "nothing written");

    // Two users of one name in two cases, as an older owed let them be added.
    rusqlite::Connection::open(fx.db())
        .unwrap()
        .execute(
            "INSERT INTO users (name, role, created) VALUES ('ALICE', 'manager', '2026-04-01T09:00:00Z')",
            [],
        )
        .unwrap();
    let run = |who: &str, args: &[&str]| as_user(&fx, who, args);
    // The name typed exactly is that user.
    let out = succeeded(&run("ALICE", &["assign", "V2", "ALICE"]));
    assert!(out.contains("is now ALICE (was bob)"), "{out}");
    let out = succeeded(&run("ALICE", &["assign", "V2", "alice"]));
    assert!(out.contains("is now alice (was ALICE)"), "{out}");
    assert!(
        refused(&run("alice", &["assign", "V2", "bob"]))
            .contains("alice (collector) may not assign owners")
    );
    // Another spelling could be either: refused, saying which.
    let before = fx.fingerprint();
    let either = "owed: `Alice` is the name of 2 users without regard to case (ALICE, alice): \
                  type it as one of them is registered\n";
    assert_eq!(refused(&run("Alice", &["note", "V1", "x"])), either);
    assert_eq!(refused(&run("dana", &["assign", "V1", "Alice"])), either);
    assert_eq!(fx.fingerprint(), before, "nothing written");
}

/// `user role` and `user remove` take a user's name in any case or width, as `--as`, `assign`
/// and `user add` do, and say it as registered: `user role ALICE manager` with alice
/// registered said "no user is named `ALICE`" and changed nobody. In a database of an older
/// owed holding alice and ALICE, the name typed exactly is that user and another spelling
/// could be either: refused, naming them, and nothing changes.
#[test]
fn a_user_is_changed_and_removed_by_their_name_in_any_case() {
    let fx = team();
    dana_changes(
        &fx,
        &["role", "ALICE", "manager"],
        "alice's role is now manager (was collector)",
    );
    dana_changes(&fx, &["remove", "Ｂob"], "User bob (collector) removed");
    let users = list_json(&fx);
    let roles: Vec<(&str, &str)> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["name"].as_str().unwrap(), u["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        roles,
        [
            ("alice", "manager"),
            ("carol", "auditor"),
            ("dana", "manager")
        ]
    );
    let log: serde_json::Value =
        serde_json::from_str(&succeeded(&fx.owed(&["user", "log", "--json"]))).unwrap();
    let changes: Vec<(&str, &str)> = log.as_array().unwrap()[4..]
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["user"].as_str().unwrap()))
        .collect();
    assert_eq!(changes, [("user_role", "alice"), ("user_remove", "bob")]);

    // Two users of one name in two cases, as an older owed let them be added.
    rusqlite::Connection::open(fx.db())
        .unwrap()
        .execute(
            "INSERT INTO users (name, role, created) VALUES ('ALICE', 'collector', '2026-04-01T09:00:00Z')",
            [],
        )
        .unwrap();
    let before = fx.fingerprint();
    let either = "owed: `Alice` is the name of 2 users without regard to case (ALICE, alice): \
                  type it as one of them is registered\n";
    let role = ["--as", "dana", "user", "role", "Alice", "auditor"];
    assert_eq!(refused(&fx.owed(&role)), either);
    assert_eq!(
        refused(&fx.owed(&["--as", "dana", "user", "remove", "Alice"])),
        either
    );
    assert_eq!(fx.fingerprint(), before, "nothing written");
    dana_changes(
        &fx,
        &["role", "ALICE", "auditor"],
        "ALICE's role is now auditor (was collector)",
    );
    dana_changes(&fx, &["remove", "alice"], "User alice (manager) removed");
    assert_eq!(
        refused(&fx.owed(&["--as", "dana", "user", "remove", "nobody"])),
        "owed: no user is named `nobody`\n"
    );
}

/// `owed import` changes every collector's customers (amounts, finance owners) and voids
/// lockbox payments: when the actor is a registered user it is a manager's, as the lockbox
/// and the mail folder are, refused before anything is read. An auditor imported, and a
/// collector could take another's customers by an import, which assigning reserves to
/// managers. A name not registered (cron as the OS user) imports as the file's owner.
#[test]
fn only_a_manager_imports_when_the_actor_is_a_registered_user() {
    let fx = team();
    let csv = fx.dir.path().join("csv");
    // The export now gives V2 to alice: what a refused import must not do.
    let customers = csv.join("customers.csv");
    let text = std::fs::read_to_string(&customers).unwrap();
    std::fs::write(&customers, text.replace("EUR,bob", "EUR,alice")).unwrap();
    let csv = csv.to_str().unwrap();
    let owner_of_v2 = || -> String {
        common::value(
            &fx.db(),
            "SELECT finance_owner FROM customers WHERE id = 'V2'",
        )
    };
    let imports = || succeeded(&fx.owed(&["report", "imports", "--json"]));
    let (before, logged) = (fx.fingerprint(), imports());
    // A folder that is not there: the role is refused before anything is read.
    let nowhere = fx.dir.path().join("nowhere");
    let nowhere = nowhere.to_str().unwrap();
    for (who, why) in [
        (
            "carol",
            "carol (auditor) may not import billing exports: an auditor reads only",
        ),
        (
            "CAROL",
            "carol (auditor) may not import billing exports: an auditor reads only",
        ),
        (
            "alice",
            "alice (collector) may not import billing exports: only a manager may",
        ),
    ] {
        for args in [
            &["import", csv][..],
            &["import", "--dry-run", csv],
            &["import", nowhere],
        ] {
            let mut all = vec!["--as", who];
            all.extend_from_slice(args);
            assert_eq!(
                refused(&fx.owed(&all)),
                format!("owed: {why}\n"),
                "{who} {args:?}"
            );
        }
        assert_eq!(
            refused(&fx.owed(&["--as", who, "lockbox", "import", nowhere])),
            format!(
                "owed: {}\n",
                why.replace("billing exports", "lockbox files")
            ),
            "{who}"
        );
    }
    assert_eq!(owner_of_v2(), "bob");
    assert_eq!(
        (fx.fingerprint(), imports()),
        (before, logged),
        "nothing written"
    );

    // A manager imports; so does a name not registered, as the file's owner.
    succeeded(&fx.owed(&["--as", "Dana", "import", csv]));
    assert_eq!(owner_of_v2(), "alice");
    succeeded(&fx.owed(&["--as", "root", "import", csv]));
    let runs: serde_json::Value = serde_json::from_str(&imports()).unwrap();
    // Newest first.
    assert!(
        texts_of(&runs, "actor").starts_with(&["root".into(), "dana".into()]),
        "{runs}"
    );
}

/// When users are registered, a finance owner is someone who may work the customer: a
/// registered collector or manager, named as registered. An auditor, a name nobody has (a
/// typo: the near name is suggested) and a name against the user-name rules are refused in
/// one sentence (exit 2), writing nothing. A sales owner (a salesperson) need not be a user.
#[test]
fn a_finance_owner_must_be_a_registered_collector_or_manager() {
    let fx = team();
    let run = |who: &str, args: &[&str]| as_user(&fx, who, args);
    let before = fx.fingerprint();
    assert_eq!(
        refused(&run("dana", &["assign", "V1", "carol"])),
        "owed: carol is an auditor, who works no customer: a finance owner must be a \
         registered collector or manager (alice, bob, dana)\n"
    );
    assert_eq!(
        refused(&run("dana", &["assign", "V1", "alcie"])),
        "owed: `alcie` is not a registered user (did you mean alice?): a finance owner must be \
         a registered collector or manager (alice, bob, dana)\n"
    );
    assert!(
        refused(&run("dana", &["assign", "V1", "two words"])).contains("holds white space"),
        "a name is one word"
    );
    let long = "x".repeat(300);
    assert!(
        refused(&run("dana", &["assign", "V1", &long])).contains("at most 64"),
        "at most 64 bytes"
    );
    assert_eq!(fx.fingerprint(), before, "nothing written");
    // A manager owns customers too, and a collector with none yet may get one.
    let out = succeeded(&run("dana", &["assign", "V1", "DANA"]));
    assert!(out.contains("is now dana"), "{out}");
    let out = succeeded(&run("dana", &["assign", "V1", "--sales", "Sam"]));
    assert!(out.contains("Sales owner of"), "{out}");
}

/// In a single user's shell (no users registered) any name is an owner, but it follows the
/// user-name rules.
#[test]
fn without_users_an_owner_is_any_one_word_name() {
    let fx = Fixture::new();
    let out = succeeded(&fx.owed(&["assign", "V1", "carlo"]));
    assert!(out.contains("is now carlo"), "{out}");
    let before = fx.fingerprint();
    assert!(refused(&fx.owed(&["assign", "V1", "two words"])).contains("holds white space"));
    assert_eq!(fx.fingerprint(), before, "nothing written");
}

/// Removing a user, or making them an auditor, while they own customers is not refused, but
/// says how many they still own (with their open follow-ups) and that a manager should move
/// them.
#[test]
fn removing_a_user_who_owns_customers_warns_what_they_still_own() {
    let fx = team();
    let run = |who: &str, args: &[&str]| as_user(&fx, who, args);
    succeeded(&run("alice", &["followup", "V3", "--date", "+2d", "call"]));
    let out = run("dana", &["user", "remove", "alice"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.trim(),
        "warning: alice still owns 2 customers (with 1 open follow-up and 0 promises not yet \
         due): a manager should move them to another collector (owed assign CUSTOMER NAME)",
    );
    let out = run("dana", &["user", "role", "bob", "auditor"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).starts_with("warning: bob still owns 1 customer ("),
        "{}",
        stderr(&out)
    );
    // A manager may own customers: no warning.
    let out = run("dana", &["user", "role", "bob", "manager"]);
    assert_eq!(stderr(&out), "", "{}", stdout(&out));
}

/// A user added under a name whose folder of the files folder is there already (a removed
/// user's, which "stays theirs", or one someone made) read the former user's exports and
/// attachments as their own over SSH: `user add` refuses, naming the folder and what to do,
/// unless `--take-folder` gives it to them; with the folder moved away, the name is free.
#[test]
fn a_name_whose_files_folder_is_there_is_refused_unless_it_is_taken_over() {
    let fx = team();
    std::fs::write(
        fx.dir.path().join("config.toml"),
        "[serve]\nfiles = \"shared\"\n",
    )
    .unwrap();
    let shared = fx.dir.path().join("shared");
    std::fs::create_dir_all(shared.join("alice")).unwrap();
    std::fs::write(shared.join("alice/team-2026-04-30.xlsx"), "dana's figures").unwrap();
    std::fs::create_dir_all(shared.join("erin")).unwrap();
    dana_changes(&fx, &["remove", "alice"], "User alice (collector) removed");
    let before = list_json(&fx);
    for (name, key) in [("alice", ALICE), ("erin", BOB_2)] {
        let out = fx.owed(&[
            "--as",
            "dana",
            "user",
            "add",
            name,
            "--key",
            key,
            "--role",
            "collector",
        ]);
        let err = refused(&out);
        let folder = shared.join(name);
        assert!(
            err.contains(&format!(
                "{} is already in the files folder",
                folder.display()
            )),
            "{err}"
        );
        assert!(err.contains("move it away"), "{err}");
        assert!(err.contains("--take-folder"), "{err}");
    }
    // Nothing was written.
    assert_eq!(list_json(&fx), before);
    // A user already there is told that, not about the folder.
    let out = fx.owed(&[
        "--as",
        "dana",
        "user",
        "add",
        "bob",
        "--key",
        BOB_2,
        "--role",
        "collector",
    ]);
    assert!(refused(&out).contains("already exists"), "{}", stderr(&out));
    // Moved away, the name is free; taken over on purpose, the folder is theirs.
    std::fs::rename(shared.join("alice"), fx.dir.path().join("alice-was")).unwrap();
    dana_changes(
        &fx,
        &["add", "alice", "--key", ALICE, "--role", "collector"],
        "User alice added",
    );
    dana_changes(
        &fx,
        &[
            "add",
            "erin",
            "--key",
            BOB_2,
            "--role",
            "collector",
            "--take-folder",
        ],
        "User erin added",
    );
    assert!(shared.join("erin").is_dir());
}
