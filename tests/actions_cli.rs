//! The collector actions on the command line: bad input exits with code 2, says what is
//! wrong in one sentence, and writes nothing; good input prints one line; `activity --json`.

mod common;
mod fixture;
mod snapshot;

use common::refused;
use fixture::{Fixture, stderr, stdout};
use owed::actions::{self, DisputeForm, PromiseForm};
use owed::config::Config;
use owed::domain::action_checks::{OwnerRole, Stamp};

const AS_OF: [&str; 4] = ["--as-of", "2026-04-01", "--as", "alice"];

fn run(fx: &Fixture, args: &[&str]) -> std::process::Output {
    let all: Vec<&str> = AS_OF.iter().chain(args).copied().collect();
    fx.owed(&all)
}

/// `owed ARGS` as alice as of `day` (not the table's day).
fn on_day(fx: &Fixture, day: &str, args: &[&str]) -> std::process::Output {
    let all: Vec<&str> = ["--as-of", day, "--as", "alice"]
        .iter()
        .chain(args)
        .copied()
        .collect();
    fx.owed(&all)
}

/// Splits a case of a table into its arguments (split at spaces) and what is expected.
fn case(line: &str) -> (Vec<&str>, &str) {
    let (args, expected) = line.split_once(" => ").expect("ARGS => EXPECTED");
    (args.split(' ').collect(), expected)
}

/// Bad input, a case a line: the arguments (split at spaces) `=>` the whole message on stderr
/// (after `owed: `).
const BAD_INPUT: &[&str] = &[
    "note V9 hello => customer `V9` does not exist",
    "note V1 => the note is empty",
    "promise V9 --amount 10 --date +7d => customer `V9` does not exist",
    "promise V1 --amount -5 --date +7d => the amount must be more than zero, got `-5`",
    "promise V1 --amount 0 --date +7d => the amount must be more than zero, got `0`",
    "promise V1 --amount ten --date +7d => the amount `ten` is not a number",
    "promise V1 --amount 10 --date 2026-02-30 => the promise date `2026-02-30` is not a date: February has 28 days",
    "promise V1 --amount 10 --date 2028-02-30 => the promise date `2028-02-30` is not a date: February has 29 days",
    "followup V1 --date 2027-02-29 call => the follow-up date `2027-02-29` is not a date: 2027 has no 29 February",
    "followup V1 --date 2026-13-01 call => the follow-up date `2026-13-01` is not a date (use YYYY-MM-DD, +7d, +2w or a weekday name)",
    "promise V1 --amount 10 --date 2026-03-31 => the promise date 2026-03-31 is before today (2026-04-01)",
    "promise V1 --amount 10 --date +7d --document X9 => document `X9` does not exist",
    "promise V1 --amount 10 --date +7d --document I1,I3 => document `I3` belongs to customer `V2`, not `V1`",
    "promise V1 --amount 1400.01 --date +7d => the promise of 1,400.01 USD is more than the 1,400.00 USD the customer has open",
    "promise V1 --amount 950 --date +7d --document I1 => the promise of 950.00 USD is more than the 900.00 USD open on its documents",
    "dispute V1 --reason weather => `weather` is not a dispute reason (one of pricing, quantity, quality, missing_po, duplicate, service, other)",
    "dispute V1 --reason pricing --amount -1 => the amount must be more than zero, got `-1`",
    "dispute V1 --reason pricing --amount 10.005 => the amount 10.005 has more decimals than USD has (2)",
    "promise V1 --amount 0.0001 --date +7d => the amount 0.0001 has more decimals than USD has (2)",
    "dispute V1 --reason pricing --amount 1500.01 --document I1,I2 => the dispute of 1,500.01 USD is more than its documents' 1,500.00 USD in all",
    "dispute V1 --reason pricing --document I3 => document `I3` belongs to customer `V2`, not `V1`",
    "dispute V1 --reason pricing --document N1 => document `N1` is a credit note; name invoices or debit notes",
    "dispute V9 --reason pricing => customer `V9` does not exist",
    "resolve 99 => issue 99 does not exist",
    "resolve one => `one` is not a valid issue number",
    "resolve 1 => issue 1 is already resolved",
    "reopen 2 => issue 2 is already open",
    "followup V1 --date someday call => the follow-up date `someday` is not a date (use YYYY-MM-DD, +7d, +2w or a weekday name)",
    "followup V1 --date +1d => the follow-up text is empty",
    "followup V9 --date +1d call => customer `V9` does not exist",
    "done 42 => follow-up 42 does not exist",
    "void-promise 42 => promise 42 does not exist",
    "assign V9 bob => customer `V9` does not exist",
    "assign V1 alice => alice is already the finance owner of customer `V1`",
    "activity V9 => customer `V9` does not exist",
    "engage hold V1 --until someday => the hold's last day `someday` is not a date (use YYYY-MM-DD, +7d, +2w or a weekday name)",
];

/// Each action and the one line it prints, a case a line: the arguments (split at spaces) `=>`
/// the line. The cases run in order on one database.
const ONE_LINE: &[&str] = &[
    "note V1 Called Anna, pays Friday => Note 1 recorded for V1 (Vale Supplies). Dated today: the detail's timeline as of 2026-04-01 leaves it out.",
    "promise V1 --amount 1250.5 --date fri --document I1 --document I2 => Promise 1 recorded: V1 (Vale Supplies) to pay 1,250.50 USD by 2026-04-03 for I1, I2. Back-dated to 2026-04-01.",
    "void-promise 1 typo => Promise 1 voided. Dated today: the detail's timeline as of 2026-04-01 leaves it out.",
    "dispute V2 --reason Pricing --document I3 --document I4 wrong price => Issue 1 opened for V2 (Weald GmbH): pricing, 1,000.00 EUR on I3, I4. Back-dated to 2026-04-01.",
    "dispute V1 --reason quantity --amount 75 => Issue 2 opened for V1 (Vale Supplies): quantity, 75.00 USD. Back-dated to 2026-04-01.",
    "resolve 1 credit note => Issue 1 resolved. Back-dated to 2026-04-01.",
    "reopen 1 => Issue 1 reopened. Back-dated to 2026-04-01.",
    "followup V3 --date +2w call again => Follow-up 1 scheduled for V3 (Yarn & Sons) on {today +2w}. Dated today: the detail's timeline as of 2026-04-01 leaves it out.",
    "done 1 => Follow-up 1 done. Dated today: the detail's timeline as of 2026-04-01 leaves it out.",
    "assign V3 dan --sales => Owner change 1: Sales owner of V3 (Yarn & Sons) is now dan (was unassigned). Dated today: the detail's timeline as of 2026-04-01 leaves it out.",
];

/// A fixture with issue 1 (V2, resolved) and issue 2 (V3, open).
fn with_issues() -> Fixture {
    let fx = Fixture::new();
    for args in [
        &["dispute", "V2", "--reason", "pricing", "--document", "I3"][..],
        &["resolve", "1", "credit", "note", "agreed"],
        &["dispute", "V3", "--reason", "quality"],
    ] {
        let out = run(&fx, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    fx
}

#[test]
fn bad_input_exits_2_with_one_sentence_and_writes_nothing() {
    let fx = with_issues();
    // Arguments that are blank (not expressible in the table's words).
    let blank: [(Vec<&str>, &str); 2] = [
        (vec!["note", "V1", "  "], "the note is empty"),
        (vec!["assign", "V1", " "], "the new owner's name is empty"),
    ];
    let before = fx.fingerprint();
    for (args, message) in BAD_INPUT.iter().map(|line| case(line)).chain(blank) {
        let out = run(&fx, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), format!("owed: {message}\n"), "{args:?}");
        assert_eq!(stdout(&out), "", "{args:?}");
        assert_eq!(fx.fingerprint(), before, "{args:?} wrote something");
    }
}

/// A hold stops every reminder to the customer until its last day, as an open promise does:
/// it is held to the promise's and the follow-up's dates (at most two years ahead), or a slip
/// of the year would stop dunning the customer for good. Like a follow-up's, its day counts
/// from the day it is written, whatever `--as-of` back-dates it to (`+7d` at `--as-of
/// 2026-04-01` was 8 April, a hold over months before it was written), and a day before
/// today is refused as a follow-up's is; `release` ends it.
#[test]
fn a_hold_is_dated_like_a_follow_up() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let today = owed::cli::today();
    for what in ["follow-up date", "hold's last day"] {
        let args: &[&str] = if what == "hold's last day" {
            &["engage", "hold", "V1", "--until", "2099-01-01", "wait"]
        } else {
            &["followup", "V1", "--date", "2099-01-01", "call"]
        };
        refused(
            &run(&fx, args),
            2,
            &format!(
                "the {what} 2099-01-01 is more than 2 years after today ({today}): check the \
                 year"
            ),
        );
    }
    let yesterday = (today - chrono::Days::new(1)).to_string();
    refused(
        &run(&fx, &["engage", "hold", "V1", "--until", &yesterday]),
        2,
        &format!(
            "the hold's last day {yesterday} is before today ({today}): give a day from today \
             on, or `release` to end the hold"
        ),
    );
    assert_eq!(fx.fingerprint(), before);
    let out = run(&fx, &["engage", "hold", "V1", "--until", "+7d", "PO"]);
    let week = today + chrono::Days::new(7);
    assert_eq!(
        stdout(&out),
        format!("V1 held back from engagement until {week}, back-dated to 2026-04-01\n"),
        "{}",
        stderr(&out)
    );
    let out = common::succeeded(&run(&fx, &["engage", "hold", "V1", "--until", "release"]));
    assert!(
        out.contains(&format!(
            "V1 released: back in the cycles (it was held back until {week})"
        )),
        "{out}"
    );
    // Again, on a customer no longer held: there is nothing to release, it says so and
    // writes nothing (a release written would read as one in its activity).
    let before = fx.fingerprint();
    let out = common::succeeded(&run(&fx, &["engage", "hold", "V1", "--until", "release"]));
    assert_eq!(out.trim(), "V1 was not held; nothing changed");
    assert_eq!(fx.fingerprint(), before);
}

/// The ledger's time zone, which its days are counted in, was shown only by `owed config
/// time-zone`: the text reports that print an as-of date name it beside it, and the JSON
/// keeps SPEC's shape.
#[test]
fn text_reports_name_the_ledgers_time_zone_beside_the_date() {
    let fx = Fixture::new();
    common::execute(
        &fx.db(),
        "UPDATE meta SET value = 'Europe/Berlin' WHERE key = 'time_zone'",
    );
    for (args, heading) in [
        (
            &["report", "aging"][..],
            "Aging as of 2026-04-01 (Europe/Berlin) in USD",
        ),
        (
            &["report", "metrics"],
            "Metrics as of 2026-04-01 (Europe/Berlin) in USD",
        ),
        (
            &["report", "forecast"],
            "Cash forecast as of 2026-04-01 (Europe/Berlin) in USD",
        ),
        (
            &["report", "engagement"],
            "Engagement as of 2026-04-01 (Europe/Berlin)",
        ),
        (&["activity", "V1"], "as of 2026-04-01 (Europe/Berlin))"),
    ] {
        let out = run(&fx, args);
        assert!(
            stdout(&out)
                .lines()
                .next()
                .unwrap_or_default()
                .contains(heading),
            "{args:?}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
    let json = stdout(&run(&fx, &["report", "aging", "--json"]));
    assert!(!json.contains("Europe/Berlin"), "{json}");
}

/// This machine's date, as the binary reads it, and the day after.
fn today_and_tomorrow() -> (owed::domain::Date, owed::domain::Date) {
    let today = chrono::Local::now().date_naive();
    (today, today.succ_opt().unwrap())
}

/// The rows of `table` in the fixture's database.
fn rows(fx: &Fixture, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(fx.db()).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .unwrap()
}

/// A write dated after today (`--as-of` a later day) was recorded and then in no view until
/// that day, and an issue resolved so could be neither resolved nor reopened meanwhile, by
/// anyone: every collector action, a hold, an attachment, a reminder run, a lockbox file and
/// an inbox is refused, exit 2, one sentence naming both dates, nothing written. Viewing and
/// reports at that date stay allowed, and the issue stays the collector's to resolve today.
#[test]
fn a_write_dated_after_today_is_refused_and_writes_nothing() {
    let fx = with_issues();
    let (today, tomorrow) = today_and_tomorrow();
    let later = tomorrow.to_string();
    let message = format!(
        "owed: this write is dated {later}, after today ({today}): writes are dated today or \
         earlier; drop --as-of or give a date up to today\n"
    );
    let file = fx.dir.path().join("remittance.txt");
    std::fs::write(&file, "paid").unwrap();
    let file = file.to_str().unwrap();
    let folder = fx.dir.path().to_str().unwrap();
    let before = fx.fingerprint();
    let kept = |fx: &Fixture| ["attachments", "payments", "replies"].map(|table| rows(fx, table));
    let kept_before = kept(&fx);
    let writes: &[&[&str]] = &[
        &["note", "V1", "future", "note"],
        &["call", "V1", "--outcome", "reached", "pays", "soon"],
        &["promise", "V1", "--amount", "100", "--date", "+7d"],
        &["void-promise", "1"],
        &["dispute", "V1", "--reason", "pricing", "--amount", "10"],
        &["resolve", "2", "--outcome", "valid", "future", "resolve"],
        &["reopen", "1"],
        &["followup", "V1", "--date", "+7d", "call"],
        &["done", "1"],
        &["assign", "V1", "bob"],
        &["attach", "V1", file],
        &["engage", "hold", "V1", "--until", "+7d"],
        &["engage", "run"],
        &["lockbox", "import", folder],
        &["inbox", "import", folder],
    ];
    for args in writes {
        let out = on_day(&fx, &later, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), message, "{args:?}");
        assert_eq!(stdout(&out), "", "{args:?}");
    }
    let out = fx.owed_stdin(
        &["--as-of", &later, "--as", "alice", "note", "V1", "-"],
        Some("from stdin"),
    );
    assert_eq!(stderr(&out), message);
    assert_eq!(fx.fingerprint(), before, "something was written");
    assert_eq!(kept(&fx), kept_before, "something was written");

    // Views and reports of that day stay allowed.
    for args in [
        &["activity", "V3"][..],
        &["report", "aging"],
        &["export", "activity", "--format", "csv", "-o", "-"],
        &["find", "quality"],
        &["report", "metrics"],
    ] {
        let out = on_day(&fx, &later, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    // The issue is still open, and today's collector resolves it.
    let out = fx.owed(&["--as", "alice", "resolve", "2", "credit", "due"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Issue 2 resolved.\n");
}

/// A write at an earlier `--as-of` than today is back-dated: a promise, an issue opened,
/// resolved or reopened and a hold count from that day, and their lines say so in one
/// wording, as a note's says it is dated today (`owed activity` marks them back-dated).
#[test]
fn a_back_dated_write_says_so() {
    let fx = with_issues();
    // A hold's last day counts from the day it is written, as a follow-up's.
    let held = format!(
        "V1 held back from engagement until {}, back-dated to 2026-04-01",
        owed::cli::today()
    );
    for (args, line) in [
        (
            &["promise", "V1", "--amount", "100", "--date", "+7d"][..],
            "Promise 1 recorded: V1 (Vale Supplies) to pay 100.00 USD by 2026-04-08. \
             Back-dated to 2026-04-01.",
        ),
        (
            &["dispute", "V1", "--reason", "pricing", "--amount", "10"],
            "Issue 3 opened for V1 (Vale Supplies): pricing, 10.00 USD. Back-dated to \
             2026-04-01.",
        ),
        (
            &["resolve", "3"],
            "Issue 3 resolved. Back-dated to 2026-04-01.",
        ),
        (
            &["reopen", "3"],
            "Issue 3 reopened. Back-dated to 2026-04-01.",
        ),
        (&["engage", "hold", "V1", "--until", "today"], held.as_str()),
        (
            &["note", "V1", "hello"],
            "Note 1 recorded for V1 (Vale Supplies). Dated today: the detail's timeline as \
             of 2026-04-01 leaves it out.",
        ),
    ] {
        let out = run(&fx, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), format!("{line}\n"), "{args:?}");
    }
    let activity = stdout(&run(&fx, &["activity", "V1"]));
    assert!(activity.contains("back-dated"), "{activity}");
    // Today, nothing is back-dated.
    let out = fx.owed(&["--as", "alice", "resolve", "3"]);
    assert_eq!(stdout(&out), "Issue 3 resolved.\n", "{}", stderr(&out));
}

/// `owed activity --as-of D` shows what had happened by D: an issue's events of later days
/// are not there yet (nor the resolution they carry), an issue opened after D is not, nor a
/// note written today (dated when it is written, as the note's own message says).
#[test]
fn the_activity_as_of_a_date_leaves_out_what_came_after() {
    let fx = with_issues();
    let on = |day: &str, args: &[&str]| on_day(&fx, day, args);
    for (day, args) in [
        ("2026-04-05", &["reopen", "1"][..]),
        ("2026-04-10", &["resolve", "1", "really", "fine"]),
    ] {
        let out = on(day, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let issue = |day: &str| {
        let v: serde_json::Value =
            serde_json::from_str(&stdout(&on(day, &["activity", "V2", "--json"]))).unwrap();
        v["activity"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "issue")
            .cloned()
    };
    let early = issue("2026-04-03").expect("opened on 1 April");
    assert_eq!(early["state"], "resolved");
    assert_eq!(early["resolution"], "credit note agreed");
    assert_eq!(early["events"].as_array().unwrap().len(), 1);
    let later = issue("2026-04-07").unwrap();
    assert_eq!(later["state"], "open");
    assert_eq!(later["events"].as_array().unwrap().len(), 2);
    assert_eq!(issue("2026-04-12").unwrap()["resolution"], "really fine");
    assert_eq!(issue("2026-03-31"), None, "not opened yet");

    let out = run(&fx, &["note", "V1", "written", "today"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let notes = |out: std::process::Output| stdout(&out).matches("written today").count();
    assert_eq!(notes(run(&fx, &["activity", "V1"])), 0, "as of 1 April");
    assert_eq!(notes(fx.owed(&["activity", "V1"])), 1, "as of today");
}

/// As of another day than the table's: a document is not there before its date (I2 is of 5
/// March), and a document paid in full (I5, on 20 April) has nothing to default a dispute's
/// amount to — one naming it says how much is in dispute.
#[test]
fn a_dispute_names_documents_that_exist_and_something_in_dispute() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let on = |day: &str, args: &[&str]| on_day(&fx, day, args);
    refused(
        &on(
            "2026-03-01",
            &["dispute", "V1", "--reason", "pricing", "--document", "I2"],
        ),
        2,
        "document `I2` is dated 2026-03-05, after today (2026-03-01): it does not exist yet",
    );
    refused(
        &on(
            "2026-04-25",
            &["dispute", "V3", "--reason", "pricing", "--document", "I5"],
        ),
        2,
        "nothing is open on I5: give the amount in dispute with --amount",
    );
    assert_eq!(fx.fingerprint(), before);
    let out = on(
        "2026-04-25",
        &[
            "dispute",
            "V3",
            "--reason",
            "pricing",
            "--document",
            "I5",
            "--amount",
            "40",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A resolve or reopen dated before what already happened to the issue would be read as
/// happening first: the collector told "reopened" while the issue stayed resolved on every
/// later day, or an issue resolved before it was opened and so never open. Refused, and
/// nothing written; dated on the same day or later, it goes.
#[test]
fn a_resolve_or_reopen_dated_before_the_issues_last_event_is_refused() {
    let fx = with_issues();
    let before = fx.fingerprint();
    let earlier = |args: &[&str]| on_day(&fx, "2026-03-30", args);
    refused(
        &earlier(&["reopen", "1"]),
        2,
        "issue 1 was last opened, resolved or reopened on 2026-04-01: a reopen must be dated \
         on or after it, not 2026-03-30",
    );
    refused(
        &earlier(&["resolve", "2"]),
        2,
        "issue 2 was last opened, resolved or reopened on 2026-04-01: a resolve must be dated \
         on or after it, not 2026-03-30",
    );
    assert_eq!(fx.fingerprint(), before);
    let out = run(&fx, &["reopen", "1"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_long_value_is_quoted_cut_to_80_characters() {
    let fx = Fixture::new();
    let long = "K".repeat(100_000);
    for args in [
        &["note", long.as_str(), "hello"][..],
        &["promise", "V1", "--amount", long.as_str(), "--date", "+7d"],
        &["followup", "V1", "--date", long.as_str(), "call"],
    ] {
        let out = run(&fx, args);
        let msg = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{msg}");
        assert!(
            msg.contains(&format!("`{}…` (100000 characters)", &long[..80])),
            "{msg}"
        );
        assert!(msg.len() < 300, "{} bytes", msg.len());
    }
}

/// A value the command line's parser refuses (a bad date, an unknown subcommand or option, a
/// format it does not have) is quoted cut to 80 characters as well, with clap's exit code.
#[test]
fn a_long_value_the_parser_refuses_is_quoted_cut_to_80_characters() {
    let fx = Fixture::new();
    let long = "Q".repeat(3000);
    let flag = format!("--{long}");
    let as_of = format!("--as-of={long}");
    for args in [
        &["report", "aging", "--as-of", long.as_str()][..],
        &["report", "aging", as_of.as_str()],
        &["report", long.as_str()],
        &[flag.as_str(), "report", "aging"],
        &["export", "aging", "--format", long.as_str(), "-o", "x.csv"],
    ] {
        let out = run(&fx, args);
        let msg = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{msg}");
        assert!(msg.contains("…` (300"), "{args:?}: {msg}");
        assert!(!msg.contains(&"Q".repeat(81)), "{args:?}: {msg}");
        assert!(msg.len() < 800, "{args:?}: {} bytes: {msg}", msg.len());
    }
}

#[test]
fn an_empty_collector_name_is_refused() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let out = fx.owed(&["--as", " ", "note", "V1", "hello"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "owed: the collector's name is empty; give one with --as NAME\n"
    );
    assert_eq!(fx.fingerprint(), before);
}

/// A collector's name from the config holding a tab was quoted with the tab as a space, and
/// the message sent one to `--as` without saying the name came from the config file.
#[test]
fn a_bad_collector_name_in_the_config_names_the_file_and_shows_the_tab() {
    let fx = Fixture::new();
    let config = fx.dir.path().join("config.toml");
    std::fs::write(&config, "collector = \"al\\tice\"\n").unwrap();
    let before = fx.fingerprint();
    let out = fx.owed(&["--as-of", "2026-04-01", "note", "V1", "hello"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "owed: the collector's name `al␉ice` holds a control character (shown as ␉), which \
             a name may not hold: it is `collector` in the config file {}; change it there, or \
             give another with --as NAME\n",
            config.display()
        )
    );
    // `--as` overrides it.
    let out = fx.owed(&[
        "--as-of",
        "2026-04-01",
        "--as",
        "alice",
        "note",
        "V1",
        "hello",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_ne!(fx.fingerprint(), before);
}

/// A name holding an escape was refused with a sentence cut off ("…; a name cannot") that
/// showed the escape two ways on one line (`'al␛ice'` from clap, `` `al<U+001B>ice` `` from
/// the check): one complete sentence now, the escape shown as the README says, `␛`.
#[test]
fn a_name_with_an_escape_is_refused_in_one_complete_sentence() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let out = fx.owed(&[
        "--as-of",
        "2026-04-01",
        "--as",
        "al\x1bice",
        "note",
        "V1",
        "hi",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out).lines().next().unwrap(),
        "error: invalid value 'al␛ice' for '--as <NAME>': `al␛ice` holds a control character \
         (shown as ␛), which a name may not hold; give another with --as NAME"
    );
    let out = run(&fx, &["assign", "V1", "bo\x1bb"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "owed: the new owner's name `bo␛b` holds a control character (shown as ␛), which a \
         name may not hold; give it without that character\n"
    );
    let config = fx.dir.path().join("config.toml");
    std::fs::write(&config, "collector = \"al\\u001bice\"\n").unwrap();
    let out = fx.owed(&["--as-of", "2026-04-01", "note", "V1", "hi"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        format!(
            "owed: the collector's name `al␛ice` holds a control character (shown as ␛), which \
             a name may not hold: it is `collector` in the config file {}; change it there, or \
             give another with --as NAME\n",
            config.display()
        )
    );
    assert_eq!(fx.fingerprint(), before);
}

/// A record dated by the moment it is written (a note, a call, a follow-up set or done, a void,
/// an owner change) says so when the date it was taken as of is earlier (`AS_OF` is): the
/// workstation's detail as of that date leaves it out. A promise or an issue counts from that date and does
/// not.
#[test]
fn each_action_prints_one_line_naming_the_record() {
    let fx = Fixture::new();
    // A follow-up is dated from the day it is written, whatever the as-of date.
    let in_2w = owed::cli::today() + chrono::Duration::days(14);
    for (args, line) in ONE_LINE.iter().map(|line| case(line)) {
        let out = run(&fx, &args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let line = line.replace("{today +2w}", &in_2w.to_string());
        assert_eq!(stdout(&out), format!("{line}\n"), "{args:?}");
    }
}

#[test]
fn a_note_taken_as_of_today_says_nothing_more() {
    let fx = Fixture::new();
    let out = fx.owed(&["--as", "alice", "note", "V1", "Called", "Anna"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "Note 1 recorded for V1 (Vale Supplies).\n");
}

#[test]
fn a_note_can_come_from_stdin_or_the_editor() {
    let fx = Fixture::new();
    let out = fx.owed_stdin(
        &["--as", "alice", "note", "V1", "-"],
        Some("Long call.\nShe will pay in two parts.\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let prepared = fx.dir.path().join("prepared.txt");
    std::fs::write(&prepared, "Written in the editor.\n# a comment line\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .args(["--db"])
        .arg(fx.db())
        .args(["--config"])
        .arg(fx.dir.path().join("config.toml"))
        .args(["--as", "alice", "note", "V1", "--edit"])
        .env("VISUAL", format!("cp {}", prepared.display()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    let store = fx.store();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let texts: Vec<String> = store
        .activity()
        .notes(v1)
        .unwrap()
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert_eq!(
        texts,
        [
            "Written in the editor.",
            "Long call.\nShe will pay in two parts."
        ]
    );
}

#[test]
fn a_failing_editor_records_nothing() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .arg("--db")
        .arg(fx.db())
        .args(["--as", "alice", "note", "V1", "--edit"])
        .env("VISUAL", "false")
        .output()
        .unwrap();
    refused(&out, 1, "the editor `false` failed");
    assert_eq!(fx.fingerprint(), before);
}

/// Every kind of record for V1 with fixed timestamps, then `owed activity V1 --json`.
#[test]
fn activity_json_lists_every_kind_newest_first() {
    let fx = Fixture::new();
    let mut store = fx.store();
    let config = Config::default();
    let at = |t: &str, today: &str| Stamp {
        collector: "alice".into(),
        role: owed::domain::users::Role::Manager,
        verified: false,
        at: format!("2026-04-{t}Z"),
        today: owed::domain::date::parse_iso(&format!("2026-04-{today}")).unwrap(),
    };
    actions::note(&mut store, &at("01T09:00:00", "01"), "V1", "Called Anna.").unwrap();
    let (i1, i2) = (["I1".to_string()], ["I2".to_string()]);
    for (time, amount, documents) in [
        ("01T09:05:00", "300", &i1[..]),
        ("01T09:06:00", "500", &i2),
        ("01T09:07:00", "50", &[]),
    ] {
        let form = promise_form(amount, documents);
        actions::promise(&mut store, &at(time, "01"), &config, &form).unwrap();
    }
    actions::void_promise(&mut store, &at("02T10:00:00", "02"), "3", Some("duplicate")).unwrap();
    let dispute = DisputeForm {
        customer: "V1",
        reason: "pricing",
        amount: Some("120"),
        documents: &i2,
        text: Some("discount not applied"),
    };
    actions::dispute(&mut store, &at("03T11:00:00", "03"), &config, &dispute).unwrap();
    actions::resolve(
        &mut store,
        &at("05T12:00:00", "05"),
        "1",
        Some("credit note CN-9"),
    )
    .unwrap();
    actions::followup(
        &mut store,
        &at("06T08:00:00", "06"),
        "V1",
        "2026-04-09",
        "check",
    )
    .unwrap();
    actions::done(&mut store, &at("09T08:30:00", "09"), "1").unwrap();
    actions::assign(
        &mut store,
        &at("10T15:00:00", "10"),
        "V1",
        OwnerRole::Finance,
        "bob",
    )
    .unwrap();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    store
        .engagement_mut()
        .hold_customer(
            &at("11T09:00:00", "11"),
            v1,
            owed::domain::date::parse_iso("2026-04-20").unwrap(),
            Some("waiting for the PO"),
        )
        .unwrap();
    drop(store);
    // A reminder and a reply, as the engagement run and the inbox record them.
    let conn = rusqlite::Connection::open(fx.db()).unwrap();
    conn.execute_batch(
        "INSERT INTO reminders (cid, at, collector, cycle, reminder, to_addr, subject, body,
                                status, sent_at, sent_date)
         SELECT cid, '2026-04-04T06:00:00Z', 'engage', 'Standard', 'Friendly', 'ap@vale.example',
                'Invoice I1 is overdue', 'Dear customer, …', 'sent', '2026-04-04T06:00:01Z', 739710
           FROM customers WHERE id = 'V1';
         INSERT INTO reminder_documents (cycle, reminder, did, reminder_id, cycle_key,
                                         reminder_key)
         SELECT 'Standard', 'Friendly', did, 1, 'standard', 'friendly'
           FROM documents WHERE id = 'I1';
         INSERT INTO replies (cid, at, received_date, message_id, from_addr, subject, body)
         SELECT cid, '2026-04-04T07:00:00Z', 739710, '<r1@vale>', 'ap@vale.example',
                'Re: Invoice I1 is overdue', 'Paying Friday.'
           FROM customers WHERE id = 'V1';",
    )
    .unwrap();
    drop(conn);

    let out = fx.owed(&["--as-of", "2026-04-14", "activity", "V1", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let kinds = common::texts_of(&json["activity"], "kind");
    assert_eq!(
        kinds,
        [
            "hold", "assign", "followup", "reply", "reminder", "issue", "promise", "promise",
            "promise", "note"
        ]
    );
    snapshot::assert(
        "activity_json",
        &serde_json::to_string_pretty(&json).unwrap(),
    );
}

/// Promises are held to what is open together: 500 promises of up to 509 USD each on a
/// customer with 15,000 USD open made "Open promises" 127,590 USD. One more than the rest
/// leave is refused, saying what is promised already and what may still be, until one that no
/// longer stands is voided.
#[test]
fn open_promises_together_are_held_to_what_is_open() {
    let fx = Fixture::new();
    for amount in ["1000", "300"] {
        let out = run(&fx, &["promise", "V1", "--amount", amount, "--date", "+7d"]);
        assert!(out.status.success(), "{amount}: {}", stderr(&out));
    }
    let before = fx.fingerprint();
    let out = run(&fx, &["promise", "V1", "--amount", "200", "--date", "+7d"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "owed: the customer's open promises (1, 2) already come to 1,300.00 USD of the \
         1,400.00 USD it has open, so at most 100.00 USD more can be promised, not 200.00 USD: \
         void one that no longer stands with `owed void-promise N` first\n"
    );
    assert_eq!(fx.fingerprint(), before);
    // What is left may be promised, on documents too; then nothing more.
    let out = run(
        &fx,
        &[
            "promise",
            "V1",
            "--amount",
            "100",
            "--date",
            "+7d",
            "--document",
            "I1",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&fx, &["promise", "V1", "--amount", "0.01", "--date", "+7d"]);
    assert_eq!(
        stderr(&out),
        "owed: the customer's open promises (1, 2, 3) already come to 1,400.00 USD of the \
         1,400.00 USD it has open, so nothing more can be promised: void one that no longer \
         stands with `owed void-promise N` first\n"
    );
    // Voided, a promise leaves room for another.
    let out = run(&fx, &["void-promise", "2", "paid another way"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&fx, &["promise", "V1", "--amount", "300", "--date", "+7d"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn promise_form<'a>(amount: &'a str, documents: &'a [String]) -> PromiseForm<'a> {
    PromiseForm {
        customer: "V1",
        amount,
        date: "2026-04-10",
        documents,
        text: Some("by transfer"),
    }
}

/// The fixture with a promise of 400 EUR from V2 and a dispute of its I3 (800 EUR), both
/// recorded on 1 April.
fn promised_and_disputed() -> Fixture {
    let fx = Fixture::new();
    for args in [
        &["promise", "V2", "--amount", "400", "--date", "+14d"][..],
        &["dispute", "V2", "--reason", "pricing", "--document", "I3"],
    ] {
        let out = run(&fx, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    fx
}

#[test]
fn report_metrics_counts_open_promises_and_issues_from_their_derived_states() {
    let fx = promised_and_disputed();
    let metrics = |day: &str| -> serde_json::Value {
        let out = fx.owed(&["--as-of", day, "report", "metrics", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    // 13 April: 300 of the 400 EUR promised arrived on 12 April; 100 EUR at 1.10 remain.
    // The dispute is for I3's 800 EUR balance on 1 April, at 1.10.
    let m = metrics("2026-04-13");
    assert_eq!(m["open_p2p_amount"], "110.00");
    assert_eq!(m["open_issue_amount"], "880.00");
    // 14 April: the last 100 EUR arrived, the promise is kept.
    assert_eq!(metrics("2026-04-14")["open_p2p_amount"], "0.00");
    // Before the promise was recorded nothing was open.
    assert_eq!(metrics("2026-03-31")["open_p2p_amount"], "0.00");
}

#[test]
fn a_promise_and_an_issue_keep_their_currency_when_the_customers_changes() {
    let fx = promised_and_disputed();
    // A newer export bills V2 in dollars: the 400 EUR promised and the 800 EUR in dispute
    // stay euros (converted at 1.10 as before), not relabelled dollars.
    let export = common::folder_of(
        fx.dir.path(),
        "changed",
        &[("customers.csv", "id,name,currency\nV2,Weald GmbH,USD\n")],
    );
    let out = fx.owed(&["import", export.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = fx.owed(&["--as-of", "2026-04-13", "report", "metrics", "--json"]);
    let m: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(m["open_p2p_amount"], "110.00");
    assert_eq!(m["open_issue_amount"], "880.00");
    let out = fx.owed(&["--as-of", "2026-04-13", "activity", "V2", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let activity: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(activity["customer"]["currency"], "USD");
    assert_recorded_in_euros(&activity);

    // A database of schema 16 (before promises and issues held their currency) fills it in
    // from each customer when it is opened.
    fixture::undo_schemas_20_to_23(&fx.db());
    let conn = rusqlite::Connection::open(fx.db()).unwrap();
    conn.execute_batch(
        "DROP TRIGGER promises_currency;
         DROP TRIGGER issues_currency;
         ALTER TABLE promises DROP COLUMN currency;
         ALTER TABLE issues DROP COLUMN currency;
         UPDATE customers SET currency = 'EUR' WHERE id = 'V2';
         ALTER TABLE reminders DROP COLUMN cc_addr;
         PRAGMA user_version = 16;",
    )
    .unwrap();
    drop(conn);
    let out = fx.owed(&["--as-of", "2026-04-13", "activity", "V2", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_recorded_in_euros(&serde_json::from_str(&stdout(&out)).unwrap());
    // It says so once, on stderr: an older owed refuses the file from now on.
    let said = format!(
        "owed: {} brought up to date (schema 16 to {}): an older owed can no longer open it\n",
        fx.db().display(),
        owed::store::schema_version()
    );
    assert_eq!(stderr(&out), said);
    let again = fx.owed(&["--as-of", "2026-04-13", "activity", "V2", "--json"]);
    assert_eq!(stderr(&again), "");
}

fn assert_recorded_in_euros(activity: &serde_json::Value) {
    for kind in ["promise", "issue"] {
        let entries = activity["activity"].as_array().unwrap();
        let entry = entries.iter().find(|e| e["kind"] == kind).unwrap();
        assert_eq!(entry["currency"], "EUR", "{entry}");
    }
}

#[test]
fn an_option_given_twice_with_two_values_is_refused() {
    let fx = Fixture::new();
    let before = fx.fingerprint();
    let out = fx.owed(&["--as", "alice", "note", "V1", "hello", "--as", "bob"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "owed: --as is given twice, as `alice` and as `bob`: give it once\n"
    );
    let out = fx.owed(&[
        "report",
        "aging",
        "--as-of=2026-04-21",
        "--as-of",
        "2026-04-30",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let other = fx.dir.path().join("other.db");
    let out = fx.owed(&["note", "V1", "hello", "--db", other.to_str().unwrap()]);
    assert!(
        stderr(&out).contains("--db is given twice"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fx.fingerprint(), before);
    // The same value twice, or a look-alike after `--`, is no conflict.
    let out = fx.owed(&[
        "--as", "alice", "note", "V1", "--as", "alice", "--", "--as", "x",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A variable set to nothing is named.
    let out = fixture::owed_command(fx.dir.path(), &fx.db(), None, &["report", "aging"])
        .env("OWED_THEME", "")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "owed: OWED_THEME is set but empty: unset it, or set it to a value\n"
    );
    // … unless the option it stands for is given (fixture::owed_command gives --db).
    let out = fixture::owed_command(fx.dir.path(), &fx.db(), None, &["report", "aging"])
        .env("OWED_DB", "")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Without `--as`, a `collector` in the config or `USER`/`LOGNAME` in the environment (an
/// `env -i` run, a bare service), an action is recorded as the account the process runs as.
#[cfg(unix)]
#[test]
fn without_a_name_anywhere_the_account_acts() {
    let fx = Fixture::new();
    let account = std::process::Command::new("id")
        .arg("-un")
        .output()
        .unwrap();
    let account = String::from_utf8(account.stdout)
        .unwrap()
        .trim()
        .to_string();
    let config = fx.dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_owed"))
        .env_clear()
        .env("OWED_CONFIG", &config)
        .arg("--db")
        .arg(fx.db())
        .args(["note", "V1", "bare"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let store = fx.store();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let notes = store.activity().notes(v1).unwrap();
    assert_eq!(notes.last().unwrap().collector, account);
}

/// A promise is contact when it was made, voided later or not: voiding it (today) took the
/// queue's last contact away ("Seen never" for a customer who did promise).
#[test]
fn a_voided_promise_stays_the_customers_last_contact() {
    let fx = Fixture::new();
    // As of today: the void, written now, counts.
    let last_contact = || -> Vec<String> {
        let out = fx.owed(&[
            "--as", "alice", "export", "queue", "--tab", "all", "--format", "csv", "-o", "-",
        ]);
        common::csv_column(&stdout(&out), "customer_id", "V1", "last_contact")
    };
    let before = last_contact();
    let said = stdout(&on_day(
        &fx,
        "2026-04-28",
        &["promise", "V1", "--amount", "10", "--date", "2026-05-20"],
    ));
    assert_ne!(before, ["2026-04-28"], "no contact that day before");
    assert_eq!(last_contact(), ["2026-04-28"]);
    let id = said
        .split_whitespace()
        .nth(1)
        .unwrap_or_else(|| panic!("{said}"));
    let void = fx.owed(&["--as", "alice", "void-promise", id, "Sent in error"]);
    assert!(void.status.success(), "{}", stderr(&void));
    assert_eq!(last_contact(), ["2026-04-28"]);
}

/// `owed activity` for people says which zone its times are in (they are local, beside the
/// logs' UTC times, and a follow-up done six seconds after it was made read as done the
/// next day in New York), and says so where an entry counts from an earlier day than it was
/// written on: a promise or an issue written with `--as-of` read as written that day.
#[test]
fn the_activity_text_names_its_time_zone_and_back_dated_entries() {
    let fx = Fixture::new();
    let in_new_york = |args: &[&str]| {
        let out = fixture::owed_command(fx.dir.path(), &fx.db(), None, args)
            .env("TZ", "America/New_York")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    // The ledger's days are New York's (this process's TZ alone does not make them so).
    in_new_york(&["config", "time-zone", "America/New_York"]);
    in_new_york(&[
        "--as-of",
        "2026-04-01",
        "--as",
        "alice",
        "promise",
        "V1",
        "--amount",
        "10",
        "--date",
        "+7d",
    ]);
    in_new_york(&["--as", "alice", "followup", "V1", "--date", "+1d", "ring"]);
    let followup: serde_json::Value =
        serde_json::from_str(&in_new_york(&["activity", "V1", "--json"])).unwrap();
    let id = followup["activity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "followup")
        .unwrap()["id"]
        .to_string();
    in_new_york(&["--as", "alice", "done", &id]);
    let text = in_new_york(&["activity", "V1"]);
    // The day in New York as the system's own `date` tells it (around the promise's writing:
    // the test fails only if New York's midnight falls between the two).
    let date = std::process::Command::new("date")
        .env("TZ", "America/New_York")
        .arg("+%F")
        .output()
        .unwrap();
    let today = String::from_utf8(date.stdout).unwrap();
    let today = today.trim();
    // New York is 4 or 5 hours behind UTC; every time says which.
    let zoned = |line: &str| line.contains(" -04:00") || line.contains(" -05:00");
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("20")).collect();
    assert!(!headings.is_empty(), "{text}");
    assert!(headings.iter().all(|l| zoned(l)), "{text}");
    let done = text
        .lines()
        .find(|l| l.contains("done by alice at"))
        .unwrap();
    assert!(zoned(done), "{done}");
    assert!(
        text.contains(&format!(
            "counts from 2026-04-01 (written on {today}, back-dated)"
        )),
        "{text}"
    );
    // Written today, it says nothing of the kind.
    assert_eq!(text.matches("counts from").count(), 1, "{text}");
}

/// Holds and their releases are in the customer's activity wherever it is shown: the
/// `engagement_holds` table kept each, with who and when, and `owed activity` (text and JSON),
/// the workstation's timeline and the activity export showed none. The plan says who holds
/// customers back: a manager (it said "a collector", who may not).
#[test]
fn holds_and_their_releases_are_in_the_activity() {
    let fx = Fixture::new();
    let dana = |args: &[&str]| {
        let all: Vec<&str> = ["--as-of", "2026-04-01", "--as", "dana"]
            .iter()
            .chain(args)
            .copied()
            .collect();
        let o = fx.owed(&all);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    // Its last days count from today, as a follow-up's (the holds are back-dated to 1 April).
    let today = owed::cli::today();
    let (d1, d2) = (
        (today + chrono::Days::new(19)).to_string(),
        (today + chrono::Days::new(24)).to_string(),
    );
    dana(&[
        "engage",
        "hold",
        "V1",
        "--until",
        &d1,
        "customer asked for time",
    ]);
    dana(&["engage", "hold", "V1", "--until", "release"]);
    dana(&["engage", "hold", "V1", "--until", &d2, "again"]);

    let json: serde_json::Value =
        serde_json::from_str(&dana(&["activity", "V1", "--json"])).unwrap();
    let holds: Vec<(i64, &str, &str, bool, &str)> = json["activity"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "hold")
        .map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["collector"].as_str().unwrap(),
                e["until"].as_str().unwrap(),
                e["release"].as_bool().unwrap(),
                e["text"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        holds,
        [
            (3, "dana", d2.as_str(), false, "again"),
            // A release holds until the day before the one it counts from.
            (2, "dana", "2026-03-31", true, ""),
            (1, "dana", d1.as_str(), false, "customer asked for time"),
        ]
    );
    let text = dana(&["activity", "V1"]);
    for line in [
        format!("dana        hold 1: held back from engagement until {d1}"),
        "    customer asked for time".to_string(),
        "dana        hold 2: hold released".to_string(),
        format!("dana        hold 3: held back from engagement until {d2}"),
    ] {
        assert!(text.contains(&line), "{line}: {text}");
    }
    // Not before the day they were placed on.
    let before = fx.owed(&["--as-of", "2026-03-31", "activity", "V1", "--json"]);
    assert!(!stdout(&before).contains("\"hold\""), "{}", stdout(&before));

    // The workstation's timeline, newest first.
    let store = fx.store();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let day = owed::domain::date::parse_iso("2026-04-01").unwrap();
    let detail = store.ledger().customer_detail(v1, day, 3).unwrap().unwrap();
    use owed::domain::customer::ActivityKind;
    let shown: Vec<(ActivityKind, &str, String)> = detail
        .activity
        .iter()
        .filter(|e| matches!(e.kind, ActivityKind::Hold | ActivityKind::HoldReleased))
        .map(|e| (e.kind, e.who.as_str(), e.text.clone()))
        .collect();
    assert_eq!(
        shown,
        [
            (ActivityKind::Hold, "dana", format!("until {d2} — again")),
            (
                ActivityKind::HoldReleased,
                "dana",
                "hold released".to_string()
            ),
            (
                ActivityKind::Hold,
                "dana",
                format!("until {d1} — customer asked for time")
            ),
        ]
    );

    // The export, oldest first, the last day held in the due column.
    let csv = dana(&["export", "activity", "-o", "-"]);
    let rows: Vec<(String, String, String, String)> = {
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let h = reader.headers().unwrap().clone();
        let col = |name: &str| h.iter().position(|x| x == name).unwrap();
        let (kind, who, due, text) = (col("kind"), col("who"), col("due_date"), col("text"));
        reader
            .records()
            .map(Result::unwrap)
            .filter(|r| r[kind].starts_with("hold"))
            .map(|r| {
                (
                    r[kind].to_string(),
                    r[who].to_string(),
                    r[due].to_string(),
                    r[text].to_string(),
                )
            })
            .collect()
    };
    let row = |k: &str, due: &str, text: &str| {
        (
            k.to_string(),
            "dana".to_string(),
            due.to_string(),
            text.to_string(),
        )
    };
    assert_eq!(
        rows,
        [
            row("hold", &d1, "customer asked for time"),
            // A release has no last day: the past date given only said to release.
            row("hold released", "", ""),
            row("hold", &d2, "again"),
        ]
    );

    // The plan names the role that holds.
    let cycles = common::write_dunning_cycle(fx.dir.path(), "Reminder\n\n{{ table }}\n");
    let plan = dana(&["engage", "plan", "--cycles", cycles.to_str().unwrap()]);
    assert!(plan.contains("1 held back by a manager"), "{plan}");
}

/// A hold written by an owed from before holds had a day (schema 16, `from_date` empty) counts
/// from always, as the plan reads it: placed back-dated then (until 20 April, written today),
/// it read "hold released" in the activity, the timeline and the export while the plan held
/// the customer back.
#[test]
fn a_hold_written_before_holds_had_a_day_is_a_hold_not_a_release() {
    let fx = Fixture::new();
    let o = fx.owed(&[
        "--as-of",
        "2026-04-01",
        "--as",
        "dana",
        "engage",
        "hold",
        "V1",
        "--until",
        "today",
        "in approval",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // As the older owed wrote it: no day, and written (in May) after the day it holds until.
    let until =
        owed::domain::date::day_number(owed::domain::date::parse_iso("2026-04-20").unwrap());
    common::execute(
        &fx.db(),
        &format!(
            "UPDATE engagement_holds SET from_date = NULL, at = '2026-05-04T10:00:00Z', \
             until_date = {until}"
        ),
    );
    let o = fx.owed(&["--as-of", "2026-05-10", "activity", "V1"]);
    let text = stdout(&o);
    assert!(
        text.contains("hold 1: held back from engagement until 2026-04-20"),
        "{text}"
    );
    assert!(!text.contains("released"), "{text}");
    let o = fx.owed(&["--as-of", "2026-05-10", "activity", "V1", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let hold = common::first_entry(&json, "hold");
    assert_eq!(hold["release"], false, "{hold}");
    let csv = stdout(&fx.owed(&["export", "activity", "-o", "-"]));
    assert!(!csv.contains("hold released"), "{csv}");
    assert!(csv.contains(",hold,V1,"), "{csv}");
    let store = fx.store();
    let v1 = store.ledger().customer_key("V1").unwrap().unwrap();
    let today = owed::domain::date::parse_iso("2026-12-31").unwrap();
    let detail = store
        .ledger()
        .customer_detail(v1, today, 3)
        .unwrap()
        .unwrap();
    use owed::domain::customer::ActivityKind;
    let kinds: Vec<ActivityKind> = detail
        .activity
        .iter()
        .filter(|e| matches!(e.kind, ActivityKind::Hold | ActivityKind::HoldReleased))
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, [ActivityKind::Hold]);
}

/// The actions' portfolio and V4, a retailer with twelve invoices `D1`…`D12` numbered
/// `MR-1`…`MR-12`, all due on 2026-03-31 but `D12`, due a day earlier: listed as a collector
/// expects, `MR-12` (due first), then `MR-1`, `MR-2` … `MR-11` (the characters' order put
/// `D10`, `D11` before `D2`).
fn a_retailer() -> Fixture {
    let mut portfolio =
        fixture::Portfolio::actions().with_customer("V4,Mega Retail,ap@mega.example,USD,alice");
    // Imported in the reverse order, so that the order they came in is not the one expected.
    for n in (1..=12).rev() {
        let due = if n == 12 { "2026-03-30" } else { "2026-03-31" };
        portfolio =
            portfolio.with_document(&format!("D{n},V4,invoice,2026-03-01,{due},{n}0.00,USD"));
    }
    Fixture::of(portfolio.edit(|name, text| {
        if name == "documents.csv" {
            // The numbers, in a column of their own at the end.
            text.lines()
                .map(|l| match l.split(',').next() {
                    Some("id") => format!("{l},number"),
                    Some(id) if id.starts_with('D') => format!("{l},MR-{}", &id[1..]),
                    _ => format!("{l},"),
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        } else {
            text.to_string()
        }
    }))
}

/// The numbers a collector expects, in their order.
const RETAILER_ORDER: [&str; 12] = [
    "MR-12", "MR-1", "MR-2", "MR-3", "MR-4", "MR-5", "MR-6", "MR-7", "MR-8", "MR-9", "MR-10",
    "MR-11",
];

#[test]
fn an_entry_naming_many_documents_names_five_in_the_text_and_every_one_in_the_json() {
    let fx = a_retailer();
    let mut args = vec!["dispute", "V4", "--reason", "pricing"];
    let named: Vec<String> = (1..=12).rev().map(|n| format!("D{n}")).collect();
    for d in &named {
        args.extend(["--document", d.as_str()]);
    }
    common::succeeded(&run(&fx, &args));
    common::succeeded(&run(
        &fx,
        &[
            "promise",
            "V4",
            "--amount",
            "10",
            "--date",
            "+7d",
            "--document",
            "D3",
        ],
    ));

    let text = common::succeeded(&run(&fx, &["activity", "V4"]));
    let line = common::line_where(&text, |l| l.contains("issue 1:"));
    assert!(
        line.contains(" on MR-12, MR-1, MR-2, MR-3, MR-4 … and 7 more (owed --db ")
            && line.ends_with(" activity V4 --json lists them all) — open"),
        "{line}"
    );
    assert!(!line.contains("MR-5"), "{line}");
    // Five or fewer: each one, and nothing more.
    let promise = common::line_where(&text, |l| l.contains("promise 1:"));
    assert!(promise.contains(" for MR-3 — open"), "{promise}");
    assert!(!promise.contains("more"), "{promise}");

    let json = common::json_of(&run(&fx, &["activity", "V4", "--json"]));
    let issue = common::first_entry(&json, "issue");
    let numbers: Vec<&str> = issue["document_numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(numbers, RETAILER_ORDER);
    assert_eq!(issue["documents"][1], "D1");
    assert_eq!(issue["documents"][11], "D11");
}

#[test]
fn documents_are_listed_by_due_date_then_number_everywhere() {
    let fx = a_retailer();
    let day = owed::domain::date::parse_iso("2026-04-01").unwrap();
    let expected: Vec<String> = RETAILER_ORDER.iter().map(|n| n.to_string()).collect();
    let numbers_of = |csv: &str, column: &str| common::csv_column(csv, "customer_id", "V4", column);

    // `export documents`.
    let csv = common::succeeded(&run(
        &fx,
        &["export", "documents", "--customer", "V4", "-o", "-"],
    ));
    assert_eq!(numbers_of(&csv, "number"), expected, "export documents");

    // `export statement` (the lines of `owed statement`'s PDF).
    let csv = common::succeeded(&run(
        &fx,
        &["export", "statement", "--customer", "V4", "-o", "-"],
    ));
    let lines: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').find(|f| f.starts_with("MR-")))
        .collect();
    assert_eq!(lines, RETAILER_ORDER, "export statement: {csv}");

    // `owed find`: the documents whose number starts with it.
    let found = common::json_of(&run(&fx, &["find", "MR-", "--json"]));
    let found = common::texts_of(&found["documents"], "number");
    assert_eq!(
        found,
        [
            "MR-1", "MR-2", "MR-3", "MR-4", "MR-5", "MR-6", "MR-7", "MR-8", "MR-9", "MR-10",
            "MR-11", "MR-12"
        ],
        "find"
    );

    // The detail.
    let store = fx.store();
    let v4 = store.ledger().customer_key("V4").unwrap().unwrap();
    let detail = store.ledger().customer_detail(v4, day, 3).unwrap().unwrap();
    let shown: Vec<String> = detail
        .documents
        .iter()
        .map(|d| d.number.clone().unwrap())
        .collect();
    assert_eq!(shown, expected, "the detail");

    // The forms' documents (and so the promise's proposal).
    let defaults = actions::form_defaults(&store, "V4", day, &Config::default()).unwrap();
    let offered: Vec<&str> = defaults.documents.iter().map(|d| d.label()).collect();
    assert_eq!(offered, RETAILER_ORDER, "the forms");
}

/// A zone whose day is not UTC's now (14 hours east of UTC from 10:00 UTC, 11 hours west
/// before it), with its date now.
fn a_zone_a_day_from_utc() -> (&'static str, String) {
    use chrono::Timelike;
    let now = chrono::Utc::now();
    let (zone, hours) = if now.hour() >= 10 {
        ("Pacific/Kiritimati", 14)
    } else {
        ("Pacific/Pago_Pago", -11)
    };
    let today = (now + chrono::Duration::hours(hours)).date_naive();
    (zone, today.to_string())
}

/// `owed ARGS` run with `TZ=tz`, which must succeed; its stdout.
#[track_caller]
fn in_zone(fx: &Fixture, tz: &str, args: &[&str]) -> String {
    let out = fixture::owed_command(fx.dir.path(), &fx.db(), None, args)
        .env("TZ", tz)
        .output()
        .unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    stdout(&out)
}

/// The ledger's time zone is the database's, not the process's: a promise written just after
/// midnight where the team works (a day ahead of UTC, or behind it) and a cron job's UTC
/// `engage plan` a moment later agree on the day. The plan used to chase the customer who had
/// just promised (its promise dated tomorrow for every UTC process), `owed activity` in UTC
/// did not show it, and the activity's export put the promise and a note written at the same
/// minute on two different days.
#[test]
fn every_process_counts_days_in_the_ledgers_time_zone_whatever_its_tz() {
    let fx = Fixture::new();
    let (zone, zone_today) = a_zone_a_day_from_utc();
    // Created in the tests' zone; the manager (the file's owner) gives it the team's.
    let said = in_zone(&fx, "UTC", &["config", "time-zone", zone]);
    assert!(
        said.contains(&format!("The ledger's time zone is now {zone}")),
        "{said}"
    );
    for tz in ["UTC", zone, "Asia/Tokyo"] {
        let shown = in_zone(&fx, tz, &["config", "time-zone"]);
        assert!(
            shown.contains(&format!("The ledger's time zone is {zone}")),
            "{shown}"
        );
    }
    let cycles = common::write_dunning_cycle(fx.dir.path(), "Reminder\n\n{{ table }}\n");
    let cycles = cycles.to_str().unwrap();
    let planned = |tz: &str| {
        let plan = in_zone(&fx, tz, &["engage", "plan", "--cycles", cycles, "--json"]);
        plan.contains("\"V1\"")
    };
    assert!(planned("UTC"), "V1 is chased before it promises");
    // Written where it is already (or still) the team's day.
    in_zone(
        &fx,
        zone,
        &[
            "--as", "alice", "promise", "V1", "--amount", "10", "--date", "+7d",
        ],
    );
    in_zone(&fx, "UTC", &["--as", "alice", "note", "V1", "called back"]);
    assert!(
        !planned("UTC"),
        "a promise pauses the customer in a UTC run"
    );
    assert!(!planned("America/New_York"));
    // UTC's activity shows the promise, and neither zone calls it back-dated.
    let json: serde_json::Value =
        serde_json::from_str(&in_zone(&fx, "UTC", &["activity", "V1", "--json"])).unwrap();
    let promise = common::first_entry(&json, "promise");
    assert_eq!(promise["amount"], "10.00", "{promise}");
    for tz in ["UTC", zone] {
        let text = in_zone(&fx, tz, &["activity", "V1"]);
        assert!(!text.contains("back-dated"), "{tz}: {text}");
    }
    // The export dates the promise and the note on the same day, the team's.
    let csv = in_zone(&fx, "UTC", &["export", "activity", "-o", "-"]);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let mut dates: Vec<(String, String)> = reader
        .records()
        .map(Result::unwrap)
        .filter(|r| &r[3] == "V1" && (&r[2] == "promise" || &r[2] == "note"))
        .map(|r| (r[2].to_string(), r[0].to_string()))
        .collect();
    // By kind: written a second apart or in the same second, they are listed either way.
    dates.sort();
    assert_eq!(
        dates,
        [
            ("note".to_string(), zone_today.clone()),
            ("promise".to_string(), zone_today.clone())
        ],
        "{csv}"
    );
}

const DANA_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF+jMxy1UPKN0+nNElB1xHLM8zFpOthxWeZrE809X5E7 dana@desk";
const ALICE_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMo/kSXwAAUcvvpsIZ+5IYX/PDHZGGcxW4/4StaQ+pbR alice@laptop";

/// Only a manager changes the ledger's time zone, to one this machine knows; it is in the
/// system's log. A name that is no zone (or climbs out of the zone files) changes nothing.
#[test]
fn the_ledgers_time_zone_is_a_managers_to_change_and_is_logged() {
    let fx = Fixture::new();
    let before = in_zone(&fx, "UTC", &["config", "time-zone"]);
    for (zone, said) in [
        (
            "Mars/Olympus",
            "`Mars/Olympus` is not a time zone this machine knows: give an IANA name as under \
             /usr/share/zoneinfo (Europe/Berlin, America/New_York, Asia/Kabul) or UTC",
        ),
        (
            "../../../etc/passwd",
            "`../../../etc/passwd` is not a time zone this machine knows",
        ),
    ] {
        let o = fx.owed(&["config", "time-zone", zone]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(said), "{}", stderr(&o));
    }
    in_zone(
        &fx,
        "UTC",
        &[
            "user", "add", "dana", "--role", "manager", "--key", DANA_KEY,
        ],
    );
    in_zone(
        &fx,
        "UTC",
        &[
            "user",
            "add",
            "alice",
            "--role",
            "collector",
            "--key",
            ALICE_KEY,
        ],
    );
    let o = fx.owed(&["--as", "alice", "config", "time-zone", "Asia/Kabul"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("may not change the ledger's time zone: only a manager may"),
        "{}",
        stderr(&o)
    );
    assert_eq!(in_zone(&fx, "UTC", &["config", "time-zone"]), before);
    in_zone(
        &fx,
        "UTC",
        &["--as", "dana", "config", "time-zone", "Asia/Kabul"],
    );
    let log = in_zone(&fx, "UTC", &["user", "log", "--json"]);
    assert!(log.contains("\"time_zone\""), "{log}");
    assert!(log.contains("-> Asia/Kabul"), "{log}");
    let again = in_zone(
        &fx,
        "UTC",
        &["--as", "dana", "config", "time-zone", "Asia/Kabul"],
    );
    assert!(again.contains("already Asia/Kabul"), "{again}");
}

/// A follow-up is dated when it is written: at a back-dated `--as-of`, `+1d` is tomorrow's
/// (it was the day after the as-of date, in the past) and a day before today is refused as
/// it is without `--as-of`; a promise's date still counts from the as-of day.
#[test]
fn a_follow_up_written_back_dated_is_scheduled_from_today() {
    let fx = Fixture::new();
    let today = owed::cli::today();
    let tomorrow = today.succ_opt().unwrap();
    let o = on_day(
        &fx,
        "2026-04-01",
        &["followup", "V1", "--date", "+1d", "ring"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("scheduled for V1 ")
            && stdout(&o).contains(&format!(" on {tomorrow}.")),
        "{}",
        stdout(&o)
    );
    let before = format!("the follow-up date 2026-04-05 is before today ({today})");
    for args in [
        &["followup", "V1", "--date", "2026-04-05", "x"][..],
        &[
            "call",
            "V1",
            "--outcome",
            "reached",
            "--followup",
            "2026-04-05",
        ],
    ] {
        refused(&on_day(&fx, "2026-04-01", args), 2, &before);
    }
    let o = on_day(
        &fx,
        "2026-04-01",
        &["promise", "V1", "--amount", "10", "--date", "2026-04-05"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}
