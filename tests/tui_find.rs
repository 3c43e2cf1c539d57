//! Issue 13 in the workstation, driven by keys through the update function on the fixture
//! database: the call form (outcome, contact, the follow-up it proposes), calls, notes and
//! follow-ups for the marked customers with one confirmation naming the count, `*` marking every row of
//! the view, `/` landing on a document by its number and `note:` marking its words, saved
//! views as tabs (`:save`, `:view`, `]`), a `[[view]]` written in the config opening with its
//! tab, scope, filter and sort, the queue sorted by the last call.

mod keys;
mod workstation;

use keys::{assert_hint, assert_valid, check, command, driver, fixture, status, value};
use owed::domain::queue::{SortKey, Tab};
use owed::store::Store;
use owed::tui::action_forms::{Check, FormState};
use owed::tui::app::Mode;
use owed::tui::field::FieldId;
use owed::tui::theme::Role;
use owed::tui::update::{self, Effect};
use owed::workstation::Request;
use std::path::Path;
use workstation::Driver;

/// A call as `owed activity` reads it: (outcome, contact, text, follow-up).
type CallRow = (String, Option<String>, Option<String>, Option<i64>);

/// The store on `db`, and the key of customer `id`.
fn store_and_key(db: &Path, id: &str) -> (Store, i64) {
    let store = Store::open_existing(db).unwrap();
    let cid = store.ledger().customer_key(id).unwrap().unwrap();
    (store, cid)
}

/// A customer's calls.
fn calls(db: &Path, id: &str) -> Vec<CallRow> {
    let (store, cid) = store_and_key(db, id);
    store
        .activity()
        .calls(cid)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.outcome.as_str().to_string(),
                c.contact,
                c.text,
                c.followup_id,
            )
        })
        .collect()
}

fn followups(db: &Path, id: &str) -> Vec<(String, String)> {
    let (store, cid) = store_and_key(db, id);
    store
        .activity()
        .followups(cid)
        .unwrap()
        .into_iter()
        .map(|f| (f.date.to_string(), f.text))
        .collect()
}

/// Whether the first cell of the screen showing `text` has the colours of `role`.
fn styled(d: &Driver, text: &str, role: Role) -> bool {
    let style = style_of(d, text);
    let want = d.app.theme.get(role);
    (style.fg, style.bg) == (want.fg, want.bg)
}

/// The style of the first cell of the screen showing `text`.
fn style_of(d: &Driver, text: &str) -> ratatui::style::Style {
    let buffer = d.buffer();
    let area = buffer.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return buffer[(x, y)].style();
        }
    }
    panic!("{text:?} is not on the screen:\n{}", d.screen());
}

#[test]
fn a_call_proposes_its_follow_up_and_saves_both() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    d.press("C");
    assert_eq!(d.app.mode, Mode::Form);
    // Reached proposes no follow-up.
    d.press("<Tab>");
    assert_eq!(value(&d, FieldId::Outcome), "reached");
    assert_eq!(value(&d, FieldId::Date), "");
    assert_hint(&d, FieldId::Date, "empty: no follow-up");
    // The outcome retyped and completed: no answer proposes a call in two days, never on a
    // weekend (on a Thursday, the Monday after it), counted from the day the call is logged
    // (a follow-up is dated when written), not the date shown.
    d.press("<Backspace> <Backspace> <Backspace> <Backspace> <Backspace> <Backspace> <Backspace>");
    d.press("no <Tab>");
    let today = owed::cli::today();
    let proposed = owed::domain::calls::CallOutcome::NoAnswer
        .followup_date(today)
        .unwrap();
    let days = (proposed - today).num_days();
    let described = {
        use chrono::Datelike;
        format!("{} {proposed}, in {days} days", proposed.weekday())
    };
    assert_eq!(value(&d, FieldId::Outcome), "no_answer");
    assert_eq!(value(&d, FieldId::Date), format!("+{days}d"));
    assert_valid(&d, FieldId::Date, &described);
    assert_valid(
        &d,
        FieldId::Outcome,
        &format!("no answer; proposes a follow-up for {described}"),
    );
    // The contact: the customer's phone, then email.
    d.press("<Down> <Tab>");
    assert_eq!(value(&d, FieldId::Contact), "+1 555 0199");
    d.press("<Tab>");
    assert_eq!(value(&d, FieldId::Contact), "ap@acme.example");
    d.press("<Down> <Down> Rang <Space> twice <Enter>");
    assert_eq!(
        d.app.mode,
        Mode::Normal,
        "{:?}",
        d.app.form.as_ref().map(|f| &f.message)
    );
    // In the queue the cursor moves on, and the footer says to whom.
    let said = status(&d);
    assert!(
        said.starts_with(&format!(
            "saved (dated today, not as of 2026-04-30): Call 1 logged for K6 (Acme Corp) \
             with ap@acme.example: no answer; follow-up 2 scheduled on {proposed}. · next: "
        )),
        "{said}"
    );
    assert_eq!(
        calls(&db, "K6"),
        [(
            "no_answer".to_string(),
            Some("ap@acme.example".to_string()),
            Some("Rang twice".to_string()),
            Some(2)
        )]
    );
    assert_eq!(
        followups(&db, "K6"),
        [(
            proposed.to_string(),
            "Call ap@acme.example again (no answer)".to_string()
        )]
    );
    // Written today (the clock's), it shows from today: as of today, back on Acme, the
    // timeline shows the call, and the row's last contact and last call are today.
    d.press(&format!(
        ": asof <Space> {today} <Enter> 2 / acme <Space> corp <Enter>"
    ));
    let screen = d.screen();
    assert!(
        screen.contains("no answer, ap@acme.example — Rang twice"),
        "{screen}"
    );
    let row = d.app.selected().unwrap().clone();
    assert_eq!(row.last_call, Some(today));
    assert_eq!(row.last_contact, Some(today));
}

/// Today on this machine: actions are stamped with the clock, and count from their day.
fn today() -> owed::domain::Date {
    chrono::Local::now().date_naive()
}

/// The form's follow-up date is optional: left empty, the call is saved without one (on the
/// command line a blank `--followup` is refused instead, see `tests/find.rs`).
#[test]
fn a_call_whose_follow_up_is_left_empty_schedules_none() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("C <Tab>");
    assert_eq!(value(&d, FieldId::Outcome), "reached");
    assert_eq!(value(&d, FieldId::Date), "");
    d.press("<Enter>");
    assert_eq!(
        d.app.mode,
        Mode::Normal,
        "{:?}",
        d.app.form.as_ref().map(|f| &f.message)
    );
    assert!(status(&d).contains("Call 1 logged for K6 (Acme Corp): reached."));
    assert_eq!(
        calls(&db, "K6"),
        [("reached".to_string(), None, None, None)]
    );
    assert!(followups(&db, "K6").is_empty());
}

#[test]
fn a_bad_outcome_is_refused_in_the_form() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("C busy <Enter>");
    assert_eq!(d.app.mode, Mode::Form);
    let form = d.app.form.as_ref().unwrap();
    assert!(
        form.message
            .as_ref()
            .unwrap()
            .text
            .contains("`busy` is not a call outcome"),
        "{:?}",
        form.message
    );
    assert!(calls(&db, "K6").is_empty());
    // Esc asks before throwing away what was typed; `x` throws it away.
    d.press("<Esc>");
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Closing);
    d.press("x");
    assert_eq!(d.app.mode, Mode::Normal);
    assert!(calls(&db, "K6").is_empty(), "Esc writes nothing");
}

#[test]
fn voicemail_for_the_marked_customers_after_one_question_naming_the_count() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("<Space> <Space>");
    d.press("C voicemail");
    assert_eq!(
        d.app.form.as_ref().unwrap().target,
        "2 marked customers: Acme Corp (K6) and 1 more"
    );
    d.press("<Enter>");
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Confirm);
    assert!(d.screen().contains("Save this for 2 customers?"));
    d.press("y");
    assert!(
        status(&d).starts_with("saved for 2 customers (dated today, not as of 2026-04-30): Call "),
        "{}",
        status(&d)
    );
    for id in ["K6", "K4"] {
        let c = calls(&db, id);
        assert_eq!(c.len(), 1, "{id}");
        assert_eq!(c[0].0, "voicemail");
        // Proposed from the day it is written (two days on, the Monday after a weekend).
        let today = owed::cli::today();
        let proposed = owed::domain::calls::CallOutcome::Voicemail
            .followup_date(today)
            .unwrap();
        assert_eq!(followups(&db, id)[0].0, proposed.to_string(), "{id}: kept");
    }
    assert!(d.app.marks.is_empty());
}

#[test]
fn a_follow_up_for_the_marked_customers_after_one_question_naming_the_count() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    let before: Vec<usize> = ["K4", "K6", "K1"]
        .iter()
        .map(|id| followups(&db, id).len())
        .collect();
    d.press("<Space> <Space>");
    assert_eq!(d.app.marks.len(), 2);
    d.press("f fri");
    assert_eq!(
        d.app.form.as_ref().unwrap().target,
        "2 marked customers: Acme Corp (K6) and 1 more"
    );
    let fx = d.press("<Enter> Ask <Space> for <Space> the <Space> remittance <Enter>");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Request(Request::Save { .. }))),
        "a question first: {fx:?}"
    );
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Confirm);
    assert!(
        d.screen().contains("Save this for 2 customers?"),
        "{}",
        d.screen()
    );
    d.press("y");
    assert!(
        status(&d)
            .starts_with("saved for 2 customers (dated today, not as of 2026-04-30): Follow-up "),
        "{}",
        status(&d)
    );
    // Friday from the day it is written, not from the date shown.
    let friday = owed::domain::action_checks::future_date("follow-up date", "fri", today())
        .unwrap()
        .to_string();
    for (i, id) in ["K4", "K6"].iter().enumerate() {
        let f = followups(&db, id);
        assert_eq!(f.len(), before[i] + 1, "{id}");
        assert!(
            f.contains(&(friday.clone(), "Ask for the remittance".into())),
            "{id}: {f:?}"
        );
    }
    assert_eq!(
        followups(&db, "K1").len(),
        before[2],
        "not marked: untouched"
    );
    assert!(d.app.marks.is_empty());
}

#[test]
fn star_marks_every_row_of_the_view_and_a_note_goes_to_them_all() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let total = d.app.page.counts[Tab::Overdue.index()];
    assert!(total > 2);
    let fx = d.press("*");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Request(Request::Keys { .. }))),
        "{fx:?}"
    );
    assert_eq!(d.app.marks.len() as u64, total);
    assert!(status(&d).starts_with(&format!("{total} customers of this view marked")));
    d.press("n Statement <Space> sent");
    let target = &d.app.form.as_ref().unwrap().target;
    assert!(
        target.starts_with(&format!("{total} marked customers: ")),
        "{target}"
    );
    d.press("<Enter>");
    assert!(
        d.screen()
            .contains(&format!("Save this for {total} customers?"))
    );
    d.press("y");
    assert!(status(&d).starts_with(&format!("saved for {total} customers")));
    // Under a filter, only its rows.
    d.press("/ kite <Enter> *");
    assert_eq!(d.app.marks.len(), 1);
}

#[test]
fn a_document_number_lands_on_its_customer_and_is_marked_in_the_detail() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ inv-401 <Enter>");
    assert_eq!(d.names(), ["東京商事株式会社 Tokyo Trading"]);
    assert_eq!(d.app.detail.as_ref().unwrap().detail.header.id, "K4");
    assert!(styled(&d, "INV-401", Role::Match), "the document is marked");
    assert!(!styled(&d, "INV-400", Role::Match));
    // By its id too.
    d.press("<Esc> / f1 <Enter>");
    assert_eq!(d.names(), ["Acme Corp"]);
}

#[test]
fn a_note_search_keeps_its_customer_and_marks_the_words() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ note:credit <Enter>");
    assert_eq!(d.names(), ["Kite Supplies"]);
    assert_eq!(d.app.page.counts[Tab::Overdue.index()], 1);
    assert!(styled(&d, "credit note and", Role::Match));
    assert!(!styled(&d, "note and", Role::Match));
    // text: looks through issues too; note: does not.
    d.press("<Esc> / note:menu <Enter>");
    assert!(d.names().is_empty());
    d.press("<Esc> / text:menu <Enter>");
    assert_eq!(d.names(), ["🍕 Pizza Palace"]);
    // A note saved now is found at once, from its day: today (the session is as of 30 April,
    // whose timeline leaves it out too).
    d.press("<Esc> / <Esc>");
    assert!(d.app.query.filter.is_empty());
    d.press("n Asked <Space> for <Space> the <Space> remittance <Enter>");
    d.press("/ note:remittance <Enter>");
    assert!(d.names().is_empty());
    command(&mut d, &format!("asof {}", today()));
    command(&mut d, "tab all");
    assert_eq!(d.names(), ["Acme Corp"]);
}

#[test]
fn a_search_sees_what_existed_by_the_sessions_date() {
    let (_dir, mut d) = driver("alice", (120, 40));
    // Kite's note of 2 May, after the session's date, is neither in its timeline nor found.
    d.press("/ note:after <Enter>");
    assert!(d.names().is_empty());
    command(&mut d, "asof 2026-05-02");
    assert_eq!(d.names(), ["Kite Supplies"]);
    let detail = &d.app.detail.as_ref().unwrap().detail;
    assert!(detail.activity.iter().any(|e| e.text.contains("after")));
    // INV-401 is dated 15 April: as of the day before, it is not there to be found.
    d.press("<Esc>");
    command(&mut d, "asof 2026-04-14");
    d.press("/ inv-401 <Enter>");
    assert!(d.names().is_empty());
    command(&mut d, "asof 2026-04-15");
    assert_eq!(d.names(), ["東京商事株式会社 Tokyo Trading"]);
}

#[test]
fn saved_views_are_tabs_opened_by_name_or_by_bracket() {
    let (dir, db) = fixture();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "collector = \"alice\"\n").unwrap();
    let mut d = Driver::new(&db, "alice", (160, 40));
    d.app.views = owed::config::Config::default().views();
    d.app.views_file = Some(config.clone());
    d.press("2");
    assert!(d.screen().contains("│  largest value "), "{}", d.screen());
    assert!(
        d.screen().contains(" +"),
        "the views that do not fit are counted"
    );
    // ] after the last built-in tab opens the first view.
    d.press("7 ]");
    assert_eq!(d.app.current_view().unwrap().name, "largest value");
    assert_eq!(
        (d.app.query.tab, d.app.query.sort, d.app.query.descending),
        (Tab::All, SortKey::Outstanding, true)
    );
    assert!(styled(&d, " largest value ", Role::TabActive));
    // Another sort: no longer that view.
    d.press("N");
    assert!(d.app.current_view().is_none());
    // :save writes the queue as it is to the config; the view is a tab from then on.
    d.press("/ acme <Enter>");
    let fx = command(&mut d, "save my acme");
    let Some(Effect::SaveView(view)) = fx.iter().find(|e| matches!(e, Effect::SaveView(_))) else {
        panic!("{fx:?}");
    };
    let result = owed::config::save_view(&config, view)
        .map(|()| config.display().to_string())
        .map_err(|e| e.to_string());
    update::view_saved(&mut d.app, view.clone(), result);
    assert!(
        status(&d).starts_with("View `my acme` saved in"),
        "{}",
        status(&d)
    );
    let read = owed::config::Config::from_file(&config).unwrap();
    let names: Vec<String> = read.views().into_iter().map(|v| v.name).collect();
    assert_eq!(
        names,
        [
            "largest value",
            "most days past due",
            "high risk",
            "broken promises",
            "my acme"
        ]
    );
    assert_eq!(read.collector.as_deref(), Some("alice"), "the rest kept");
    // Elsewhere, then back by name.
    d.press("<Esc> 1");
    assert!(d.app.query.filter.is_empty());
    command(&mut d, "view my acme");
    assert_eq!(d.app.query.filter.text, "acme");
    assert_eq!(d.app.query.sort, SortKey::Name);
    assert_eq!(d.names(), ["Acme Corp", "Acme Widgets"]);
    // The same name again: refused before anything is written.
    let fx = command(&mut d, "save MY ACME");
    assert!(!fx.iter().any(|e| matches!(e, Effect::SaveView(_))));
    assert!(status(&d).contains("exists already"), "{}", status(&d));
    command(&mut d, "view nope");
    assert!(status(&d).contains("no view named `nope`"));
}

#[test]
fn a_view_written_in_the_config_opens_with_its_tab_scope_filter_and_sort() {
    let (dir, db) = fixture();
    // Disputes beside K5's (alice's): on bob's K2, carol's K10, and alice's K1 (60.00
    // overdue) and K9 (nothing overdue).
    {
        let mut store = Store::open_existing(&db).unwrap();
        for (customer, who) in [
            ("K2", "bob"),
            ("K10", "carol"),
            ("K1", "alice"),
            ("K9", "alice"),
        ] {
            let stamp = owed::domain::action_checks::Stamp {
                collector: who.into(),
                role: owed::domain::users::Role::Manager,
                verified: false,
                at: "2026-04-29T09:00:00Z".into(),
                today: workstation::as_of(),
            };
            let form = owed::actions::DisputeForm {
                customer,
                reason: "pricing",
                amount: Some("10"),
                documents: &[],
                text: Some("Price list"),
            };
            owed::actions::dispute(&mut store, &stamp, &owed::config::Config::default(), &form)
                .unwrap();
        }
    }
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "collector = \"alice\"\n\n\
         [[view]]\n\
         name = \"team disputes\"\n\
         filter = \"overdue>100\"\n\
         sort = \"overdue asc\"\n\
         tab = \"disputes\"\n\
         scope = \"everyone\"\n",
    )
    .unwrap();
    let views = owed::config::Config::from_file(&config).unwrap().views();
    assert_eq!(
        views.len(),
        1,
        "the config's views replace the shipped ones"
    );
    let mut d = Driver::new(&db, "alice", (160, 40));
    d.app.views = views;
    // alice's own disputes before: K1, K5, K9, largest overdue first.
    d.press("5");
    assert_eq!(d.app.query.tab, Tab::Disputes);
    assert_eq!(d.names(), ["🍕 Pizza Palace", "Kite Supplies", "Orbit Ltd"]);
    d.press("1 : view <Space> team <Space> disputes <Enter>");
    assert_eq!(d.app.current_view().unwrap().name, "team disputes");
    assert!(d.screen().contains(" team disputes "), "{}", d.screen());
    assert_eq!(d.app.query.tab, Tab::Disputes);
    assert_eq!(d.app.query.scope, owed::domain::queue::Scope::Everyone);
    assert_eq!(d.app.query.filter.text, "overdue>100");
    assert_eq!(
        (d.app.query.sort, d.app.query.descending),
        (SortKey::Overdue, false)
    );
    // Disputed (not K4, K6 …), everyone's (bob's K2, carol's K10), over 100 overdue (not
    // K1, K9), the smallest first: 700.00, 800.00, 1,120.00.
    assert_eq!(
        d.names(),
        ["Carol's Customer", "🍕 Pizza Palace", "Lumen GmbH"]
    );
}

#[test]
fn the_queue_sorts_by_the_last_call_and_shows_it() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press(&format!(": asof <Space> {} <Enter> 2", today()));
    d.press("/ acme <Space> corp <Enter> C reached <Enter> <Esc>");
    d.press("T");
    assert_eq!(d.app.query.sort, SortKey::LastCall);
    let screen = d.screen();
    assert!(screen.contains("Call▲"), "{screen}");
    // Never called first; Acme, called today, last.
    let names = d.names();
    assert_eq!(
        names.last().map(String::as_str),
        Some("Acme Corp"),
        "{names:?}"
    );
    assert!(screen.contains(&today().to_string()), "{screen}");
    d.press("/ call<1 <Enter>");
    assert_eq!(d.names(), ["Acme Corp"]);
}

/// Imports `contacts.csv` with `rows` into the fixture database.
fn import_contacts(dir: &Path, db: &Path, rows: &str) {
    let csv = dir.join("contacts");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(
        csv.join("contacts.csv"),
        format!("customer_id,name,email,phone,role,primary\n{rows}"),
    )
    .unwrap();
    let mut store = Store::open_existing(db).unwrap();
    owed::import::import_paths(
        &mut store,
        &[csv],
        &owed::import::ImportOptions::by("test", chrono::Utc::now(), "USD"),
    )
    .unwrap();
}

#[test]
fn the_detail_lists_the_contacts_and_the_call_form_cycles_them() {
    let (dir, db) = fixture();
    // The escalation contact comes first in the file, the primary billing one first in the
    // detail; a hostile name shows its escape sequence instead of obeying it.
    import_contacts(
        dir.path(),
        &db,
        "K6,Eve Escalation,eve@acme.example,+1 555 0190,escalation,no\n\
         K6,Bill Payer,BILL@acme.example,,billing,yes\n\
         K6,\u{1b}]0;pwned\u{7}Mallory,m@acme.example,,other,no\n",
    );
    let mut d = Driver::new(&db, "alice", (180, 40));
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    let lines: Vec<String> = owed::tui::view::detail::lines(&d.app, 120)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    let at = |text: &str| {
        lines
            .iter()
            .position(|l| l == text)
            .unwrap_or_else(|| panic!("no line `{text}` in {lines:#?}"))
    };
    let bill = at("Contact Bill Payer · billing, primary · bill@acme.example");
    let eve = at("Contact Eve Escalation · escalation · eve@acme.example · +1 555 0190");
    let mallory = at("Contact ␛]0;pwned␇Mallory · other · m@acme.example");
    assert_eq!((eve, mallory), (bill + 1, bill + 2), "{lines:#?}");
    // In the header: before the aging.
    assert!(bill < at("Aging in USD as of 2026-04-30"));
    let screen = d.screen();
    assert!(screen.contains("Contact Bill Payer"), "{screen}");
    assert!(!screen.contains('\u{1b}'), "{screen}");

    // The call form: Tab on the contact cycles the contacts, then the customer's own phone
    // and email, then starts over.
    d.press("C <Tab> <Down>");
    let mut seen = Vec::new();
    for _ in 0..6 {
        d.press("<Tab>");
        seen.push(value(&d, FieldId::Contact));
    }
    assert_eq!(
        seen,
        [
            "Bill Payer <bill@acme.example>",
            "Eve Escalation, +1 555 0190",
            "␛]0;pwned␇Mallory <m@acme.example>",
            "+1 555 0199",
            "ap@acme.example",
            "Bill Payer <bill@acme.example>",
        ]
    );
    d.press("<Tab>");
    assert_eq!(check(&d, FieldId::Contact), Check::Ok(String::new()));
    d.press("<Down> <Down> Agreed <Enter>");
    assert_eq!(
        d.app.mode,
        Mode::Normal,
        "{:?}",
        d.app.form.as_ref().map(|f| &f.message)
    );
    assert_eq!(
        calls(&db, "K6"),
        [(
            "reached".to_string(),
            Some("Eve Escalation, +1 555 0190".to_string()),
            Some("Agreed".to_string()),
            None
        )]
    );
}

#[test]
fn without_contacts_the_detail_shows_none() {
    let (_dir, d) = driver("alice", (180, 40));
    let lines = owed::tui::view::detail::lines(&d.app, 120);
    assert!(
        !lines
            .iter()
            .any(|l| l.spans.first().is_some_and(|s| s.content == "Contact ")),
        "{lines:#?}"
    );
}

/// A saved view's filter is the view's: leaving it for a built-in tab (by number or by `]`)
/// brings back the filter the queue had before, none or one typed with `/`.
#[test]
fn leaving_a_saved_view_takes_its_filter_away() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.app.views = owed::config::Config::default().views();
    command(&mut d, "view broken promises");
    assert_eq!(d.app.query.filter.text, "promise:broken");
    d.press("1");
    assert!(d.app.query.filter.is_empty(), "{}", d.app.query.filter.text);
    d.press("/ acme <Enter>");
    command(&mut d, "view broken promises");
    assert_eq!(d.app.query.filter.text, "promise:broken");
    // Round the tabs past the last view: back on the first built-in one.
    for _ in 0..d.app.views.len() {
        d.press("]");
    }
    assert!(d.app.current_view().is_none());
    assert_eq!(d.app.query.filter.text, "acme");
}
