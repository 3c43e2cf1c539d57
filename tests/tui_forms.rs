//! The collector-action forms driven by keys through the update function, on the fixture
//! database (the worker's answers are computed synchronously by the test driver).

mod common;
mod keys;
mod snapshot;
mod workstation;

use keys::{assert_hint, assert_valid, check, driver, fixture, status, value};
use owed::domain::Decimal;
use owed::domain::users::{Actor, Role};
use owed::store::Store;
use owed::tui::action_forms::{self, Check, FormState};
use owed::tui::app::Mode;
use owed::tui::field::FieldId;
use owed::tui::keymap::KeyContext;
use owed::tui::update::Effect;
use owed::workstation::save::{ActionValues, SaveJob};
use owed::workstation::{PortfolioWorker, Request, Response};
use std::path::Path;
use workstation::Driver;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn cid(db: &Path, id: &str) -> i64 {
    Store::open_existing(db)
        .unwrap()
        .ledger()
        .customer_key(id)
        .unwrap()
        .unwrap()
}

fn promises(db: &Path, id: &str) -> Vec<owed::store::activity::promises::PromiseView> {
    let store = Store::open_existing(db).unwrap();
    store
        .activity()
        .customer_promises(cid(db, id), workstation::as_of(), 3, "USD")
        .unwrap()
}

fn notes(db: &Path, id: &str) -> Vec<String> {
    let store = Store::open_existing(db).unwrap();
    store
        .activity()
        .notes(cid(db, id))
        .unwrap()
        .into_iter()
        .map(|n| n.text)
        .collect()
}

/// Asserts that the open form is for `target` (two marked customers), and that Enter asks to
/// confirm the save for both before anything is saved.
#[track_caller]
fn enter_asks_to_confirm(d: &mut Driver, target: &str) {
    assert_eq!(d.app.form.as_ref().unwrap().target, target);
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0, "a confirmation first");
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Confirm);
    assert!(
        d.screen().contains("Save this for 2 customers?"),
        "{}",
        d.screen()
    );
}

fn saves(effects: &[Effect]) -> usize {
    effects
        .iter()
        .filter(|e| matches!(e, Effect::Request(Request::Save { .. })))
        .count()
}

/// The figures and counts after `R` (everything recomputed from the database) equal those
/// the save refreshed by difference.
fn assert_same_as_reloaded(d: &mut Driver) {
    let summary = d.app.summary.clone().unwrap();
    let counts = d.app.page.counts;
    let rows = d.app.page.rows.clone();
    let computed = d.source.rebuilds.count;
    d.press("R");
    assert_eq!(
        d.source.rebuilds.count,
        computed + 1,
        "after a save, R computes the figures again"
    );
    let reloaded = d.app.summary.clone().unwrap();
    assert_eq!(summary.metrics, reloaded.metrics, "metrics bar");
    assert_eq!(summary.issues, reloaded.issues, "issues by reason");
    assert_eq!(counts, d.app.page.counts, "tab counts");
    assert_eq!(rows, d.app.page.rows, "queue rows");
}

/// A form open while another program changes its customer (an import) says what the
/// detail beside it says: the detail is answered again, and the form asks for its data
/// again; what was typed stays. (After an import paid the customer's invoice, the promise
/// form kept "Overdue 103.61 USD" while the detail showed 0.00, then refused its own
/// default.)
#[test]
fn an_open_form_follows_its_customer_changed_elsewhere() {
    let (dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("p");
    assert_eq!(value(&d, FieldId::Amount), "12000.00");
    d.press("<Down> 2026-05-15");
    // Another program imports an overdue invoice of 500.00 more.
    let csv = dir.path().join("more");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(
        csv.join("documents.csv"),
        "id,customer_id,type,number,doc_date,due_date,amount,currency\n\
         F9,K6,invoice,INV-609,2026-03-01,2026-03-31,500.00,USD\n",
    )
    .unwrap();
    let mut other = Store::open_existing(&db).unwrap();
    let at = chrono::Utc::now();
    let options = owed::import::ImportOptions::by("carol", at, "USD");
    owed::import::import_paths(&mut other, &[csv], &options).unwrap();
    for answer in d.source.poll_changes() {
        let fx = owed::tui::update::response(&mut d.app, answer);
        d.run(fx);
    }
    assert_eq!(d.app.mode, Mode::Form);
    assert_eq!(value(&d, FieldId::Amount), "12500.00");
    assert_eq!(value(&d, FieldId::Documents), "INV-600, INV-609");
    assert_valid(&d, FieldId::Amount, "12,500.00 USD, the overdue amount");
    assert_eq!(
        value(&d, FieldId::Date),
        "2026-05-15",
        "what was typed stays"
    );
}

/// Another program pays `document` of `customer` in full (`amount`) on 29 April: a payment
/// applied to it, imported.
fn paid_elsewhere(dir: &Path, db: &Path, customer: &str, document: &str, amount: &str) {
    let csv = dir.join("paid");
    std::fs::create_dir_all(&csv).unwrap();
    std::fs::write(
        csv.join("payments.csv"),
        format!(
            "id,customer_id,date,amount,currency,status,method\n\
             P9,{customer},2026-04-29,{amount},USD,success,bank_transfer\n"
        ),
    )
    .unwrap();
    std::fs::write(
        csv.join("applications.csv"),
        format!("source_id,document_id,amount,date\nP9,{document},{amount},2026-04-29\n"),
    )
    .unwrap();
    let mut other = Store::open_existing(db).unwrap();
    let options = owed::import::ImportOptions::by("carol", chrono::Utc::now(), "USD");
    owed::import::import_paths(&mut other, &[csv], &options).unwrap();
}

/// A promise form opened from the queue follows its own customer after another program's
/// commit, also when that customer leaves the tab and the cursor moves to another: its
/// heading and checks say what is open now. (It kept "Overdue 5,000.00 USD in 1 document"
/// while the save was refused for nothing being open.)
#[test]
fn a_form_follows_its_customer_when_an_import_takes_it_out_of_the_tab() {
    let (dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("j");
    assert_eq!(
        d.selected().as_deref(),
        Some("東京商事株式会社 Tokyo Trading")
    );
    d.press("p <Down> 2026-05-08");
    assert!(
        d.screen()
            .contains("Overdue 5,000.00 USD in 1 document; 2 open documents"),
        "{}",
        d.screen()
    );
    paid_elsewhere(dir.path(), &db, "K4", "D1", "5000.00");
    picked_up(&mut d);
    assert_ne!(
        d.selected().as_deref(),
        Some("東京商事株式会社 Tokyo Trading"),
        "it left the Overdue tab"
    );
    let form = d.app.form.as_ref().expect("the form stays");
    assert_eq!(form.target, "東京商事株式会社 Tokyo Trading (K4)");
    let defaults = form.data.as_ref().unwrap().defaults.as_ref().unwrap();
    assert!(defaults.overdue.is_zero(), "{defaults:?}");
    assert!(
        d.screen().contains("Nothing overdue; 1 open document"),
        "{}",
        d.screen()
    );
    assert_eq!(
        value(&d, FieldId::Date),
        "2026-05-08",
        "what was typed stays"
    );
}

/// A document the promise form names that is paid while it is open stays named, and the
/// field says it is paid now; Enter refuses rather than saving a promise on any payment of
/// the customer (the defaults that followed dropped the document, and the promise saved was
/// the customer's as a whole, kept at once by the payment that paid it).
#[test]
fn a_document_paid_while_the_promise_form_is_open_stays_named_and_refuses_the_save() {
    let (dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("j p <Down> 2026-05-08");
    assert_eq!(value(&d, FieldId::Amount), "5000.00");
    assert_eq!(value(&d, FieldId::Documents), "INV-400");
    paid_elsewhere(dir.path(), &db, "K4", "D1", "5000.00");
    picked_up(&mut d);
    assert_eq!(value(&d, FieldId::Documents), "INV-400", "still named");
    assert_eq!(value(&d, FieldId::Amount), "5000.00");
    let paid = "`INV-400` was paid while this form was open: name open documents, or none";
    assert_eq!(check(&d, FieldId::Documents), Check::Err(paid.into()));
    // Another program's commit meanwhile: it is still said.
    let stamp = workstation::stamp_by("bob");
    let mut other = Store::open_existing(&db).unwrap();
    owed::actions::note(&mut other, &stamp, "K6", "Called").unwrap();
    picked_up(&mut d);
    assert_eq!(check(&d, FieldId::Documents), Check::Err(paid.into()));
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0, "refused before the worker is asked");
    let form = d.app.form.as_ref().unwrap();
    assert_eq!(
        form.message.as_ref().map(|m| m.text.clone()),
        Some(format!("Not saved: {paid}"))
    );
    assert_eq!(
        form.fields[form.focus].id,
        FieldId::Documents,
        "the cursor goes to the documents"
    );
    // Emptied by the collector, it is a promise on any payment: her choice.
    d.press("<Backspace> <Backspace> <Backspace> <Backspace> <Backspace> <Backspace> <Backspace>");
    assert_hint(
        &d,
        FieldId::Documents,
        "none: any payment of the customer counts",
    );
    assert!(promises(&db, "K4").is_empty());
}

#[test]
fn a_promise_with_the_defaults_is_saved_and_shown_at_once() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    let p2p_before = d.app.summary.as_ref().unwrap().metrics.open_p2p_amount;
    let mine_before = d.app.scoped().unwrap().figures.headline.open_p2p_amount;
    assert_eq!(d.app.page.counts[2], 1, "Acme's broken promise");
    d.press("p");
    assert_eq!(d.app.mode, Mode::Form);
    // The overdue amount and documents are proposed.
    assert_eq!(value(&d, FieldId::Amount), "12000.00");
    assert_eq!(value(&d, FieldId::Documents), "INV-600");
    assert_valid(&d, FieldId::Amount, "12,000.00 USD, the overdue amount");
    d.press("<Down> 2026-05-15");
    assert_valid(&d, FieldId::Date, "Fri 2026-05-15, in 15 days");
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 1, "Enter sends the save to the worker");
    assert_eq!(d.app.mode, Mode::Normal);
    assert!(d.app.form.is_none());
    assert_eq!(
        status(&d),
        "saved (back-dated to 2026-04-30): Promise 3 recorded: K6 (Acme Corp) to pay 12,000.00 USD by 2026-05-15 for INV-600. · next: 東京商事株式会社 Tokyo Trading (K4)"
    );
    // The record is there.
    let p = &promises(&db, "K6")[0];
    assert_eq!(
        (p.amount, p.date.to_string()),
        (dec("12000"), "2026-05-15".into())
    );
    assert_eq!(
        p.documents
            .iter()
            .map(|d| d.id.as_str())
            .collect::<Vec<_>>(),
        ["F1"]
    );
    // The metrics bar and the tabs show it: a newer promise replaces the broken one.
    let summary = d.app.summary.as_ref().unwrap();
    assert_eq!(summary.metrics.open_p2p_amount, p2p_before + dec("12000"));
    // And the bar of alice's customers, moved by the same difference in the service.
    assert_eq!(
        d.app.scoped().unwrap().figures.headline.open_p2p_amount,
        mine_before + dec("12000")
    );
    assert_eq!(d.app.page.counts[2], 0);
    // The cursor moved on to the next customer; back on Acme, the timeline starts with it.
    assert_eq!(
        d.selected().as_deref(),
        Some("東京商事株式会社 Tokyo Trading")
    );
    d.press("k");
    let detail = &d.app.detail.as_ref().unwrap().detail;
    assert_eq!(detail.header.id, "K6");
    assert_eq!(detail.activity[0].kind.label(), "promise");
    assert_eq!(
        d.app.page.rows[0].promise,
        owed::store::queue::PromiseFlag::Open
    );
    assert_same_as_reloaded(&mut d);
}

/// A second promise is held, with the first, to what the customer has open, under its
/// amount as it is typed, as the save (and `owed promise`) refuses it.
#[test]
fn a_promise_beyond_what_the_open_promises_leave_is_refused_under_its_amount() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    let before = promises(&db, "K6").len();
    d.press("p <C-u> 10000 <Down> 2026-05-15");
    assert_eq!(saves(&d.press("<Enter>")), 1);
    d.press("k p");
    assert_eq!(d.app.mode, Mode::Form);
    let defaults = d
        .app
        .form
        .as_ref()
        .unwrap()
        .data
        .as_ref()
        .unwrap()
        .defaults
        .clone();
    let defaults = defaults.unwrap();
    assert_eq!(defaults.promised.total, dec("10000"));
    let open = defaults.open_on(&[]).unwrap();
    let left = open - dec("10000");
    assert!(left > Decimal::ZERO, "{open}");
    // On no documents: what is left of all that is open may be promised, no more.
    d.press("<Down> 2026-05-20 <Down> <C-u> <Up> <Up>");
    d.press(&format!("<C-u> {left}"));
    assert!(
        matches!(check(&d, FieldId::Amount), Check::Ok(_)),
        "{:?}",
        check(&d, FieldId::Amount)
    );
    d.press(&format!("<C-u> {}", left + dec("0.01")));
    match check(&d, FieldId::Amount) {
        Check::Err(e) => assert!(
            e.starts_with("the customer's open promises (3) already come to 10,000.00 USD of the ")
                && e.ends_with("void one that no longer stands with `owed void-promise N` first"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0, "nothing is sent");
    assert_eq!(promises(&db, "K6").len(), before + 1);
}

/// The promise form proposes what can still be promised: the overdue amount, or less when
/// the customer's open promises leave less of what it has open (a new promise beyond that is
/// refused on save); when they leave nothing, it proposes nothing and says so on opening,
/// with how to void a promise (it proposed the overdue amount, which the save refused).
#[test]
fn a_promise_proposes_no_more_than_the_open_promises_leave() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    d.press("p");
    let defaults = |d: &Driver| {
        let form = d.app.form.as_ref().unwrap();
        form.data.as_ref().unwrap().defaults.clone().unwrap()
    };
    let first = defaults(&d);
    let open = first.open_on(&[]).unwrap();
    let overdue = first.proposed_amount();
    assert_eq!(value(&d, FieldId::Amount), format!("{overdue:.2}"));
    // A promise of all but half the overdue amount leaves half of it to promise.
    let half = (overdue / dec("2")).round_dp(2);
    d.press(&format!(
        "<C-u> {} <Down> 2026-05-15 <Down> <C-u>",
        open - half
    ));
    assert_eq!(saves(&d.press("<Enter>")), 1);
    d.press("k p");
    assert_eq!(value(&d, FieldId::Amount), format!("{half:.2}"));
    assert_valid(
        &d,
        FieldId::Amount,
        &format!(
            "{} USD, what the open promises leave",
            owed::domain::money::grouped(half, "USD")
        ),
    );
    assert_eq!(d.app.form.as_ref().unwrap().message, None);
    d.press("<Down> 2026-05-20 <Enter>");
    assert!(status(&d).starts_with("saved"), "{}", status(&d));
    // Nothing left: nothing proposed, and the form says why on opening, and what to do.
    d.press("k p");
    assert_eq!(value(&d, FieldId::Amount), "");
    let said = d.app.form.as_ref().unwrap().message.clone().unwrap();
    assert!(said.error);
    assert_eq!(
        said.text,
        format!(
            "Acme Corp's open promises (3, 4) already come to {open} USD of the {open} USD it \
             has open, so nothing more can be promised: in the detail, Tab then v on one that \
             no longer stands voids it.",
            open = owed::domain::money::grouped(open, "USD")
        )
    );
    assert_hint(
        &d,
        FieldId::Amount,
        "required: the open promises leave nothing to promise",
    );
}

/// A note is dated the moment it is written, and the fixture's date is months before that:
/// the detail's timeline as of that date leaves the note out, and the status line says why
/// (a promise, which counts from the date shown, is in it at once: the test above).
#[test]
fn a_note_written_after_the_date_shown_says_why_its_timeline_leaves_it_out() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("<Enter>");
    let activity = |d: &Driver| d.app.detail.as_ref().unwrap().detail.activity.clone();
    let before = activity(&d);
    d.press("n Rang <Space> twice <Enter>");
    assert_eq!(
        status(&d),
        "saved (dated today, not as of 2026-04-30): Note 3 recorded for K6 (Acme Corp)."
    );
    assert_eq!(notes(&db, "K6")[0], "Rang twice");
    assert_eq!(activity(&d), before);
    assert!(!d.screen().contains("Rang twice"));
    // As of today, it is the newest entry.
    keys::command(
        &mut d,
        &format!("asof {}", chrono::Local::now().date_naive()),
    );
    let newest = &activity(&d)[0];
    assert_eq!(
        (newest.kind.label(), newest.text.as_str()),
        ("note", "Rang twice")
    );
}

#[test]
fn invalid_input_shows_the_error_and_saves_nothing() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    let before = promises(&db, "K6").len();
    d.press("p <C-u> -5");
    match check(&d, FieldId::Amount) {
        Check::Err(e) => assert!(e.contains("more than zero"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(d.screen().contains("the amount must be more than zero"));
    d.press("<C-u> 12,5x");
    assert!(matches!(check(&d, FieldId::Amount), Check::Err(_)));
    // A fraction of a cent: the hint says the save's refusal, not a rounded 100.56.
    d.press("<C-u> 100.555");
    match check(&d, FieldId::Amount) {
        Check::Err(e) => assert_eq!(e, "the amount 100.555 has more decimals than USD has (2)"),
        other => panic!("{other:?}"),
    }
    // A digit too many: more than is open on the documents it names (Acme Corp's overdue
    // invoice, the form's default), as the save would refuse it.
    d.press("<C-u> 120000");
    match check(&d, FieldId::Amount) {
        Check::Err(e) => assert!(
            e.starts_with("the promise of 120,000.00 USD is more than the ")
                && e.ends_with(" USD open on its documents"),
            "{e}"
        ),
        other => panic!("{other:?}"),
    }
    d.press("<C-u> 100 <Down> someday");
    match check(&d, FieldId::Date) {
        Check::Err(e) => assert!(e.contains("is not a date"), "{e}"),
        other => panic!("{other:?}"),
    }
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0, "nothing is sent");
    let form = d.app.form.as_ref().unwrap();
    assert_eq!(form.state, FormState::Editing);
    assert!(
        form.message
            .as_ref()
            .unwrap()
            .text
            .starts_with("Not saved: the promise date")
    );
    d.press("<C-u> 2026-01-02");
    match check(&d, FieldId::Date) {
        Check::Err(e) => assert!(e.contains("before today"), "{e}"),
        other => panic!("{other:?}"),
    }
    // A document of another customer.
    d.press("<Down> <C-u> D1");
    match check(&d, FieldId::Documents) {
        Check::Err(e) => assert!(e.contains("`D1` is not an open invoice"), "{e}"),
        other => panic!("{other:?}"),
    }
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0);
    // The first wrong field has the cursor.
    assert_eq!(d.app.form.as_ref().unwrap().focus, 1);
    d.press("<Esc>");
    assert_eq!(promises(&db, "K6").len(), before, "nothing was written");
    assert!(!d.requests.iter().any(|r| matches!(r, Request::Save { .. })));
}

/// Why a save was refused reads whole on an 80-column terminal: the message wraps inside the
/// form (it was cut at the popup's width, "(use YYY…").
#[test]
fn a_refusal_reads_whole_in_a_narrow_terminal() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (80, 24));
    d.press("p <Down> <C-u> someday");
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0);
    let message = d.app.form.as_ref().unwrap().message.clone().unwrap().text;
    assert!(
        message.starts_with("Not saved: the promise date"),
        "{message}"
    );
    assert!(message.len() > 76, "longer than a line: {message}");
    // The popup's rows, borders and padding off, joined: the message is among them whole.
    let screen = d.screen();
    let inside: Vec<String> = screen
        .lines()
        .filter_map(|l| {
            let l = l.trim_matches('"');
            let (_, rest) = l.split_once('│')?;
            let (inner, _) = rest.rsplit_once('│')?;
            Some(inner.trim().to_string())
        })
        .collect();
    let joined = inside.join(" ");
    assert!(joined.contains(&message), "{message}\n{screen}");
}

#[test]
fn escape_leaves_no_trace() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    let before = notes(&db, "K6");
    d.press("n Called <Space> twice");
    assert_eq!(value(&d, FieldId::Text), "Called twice");
    let fx = d.press("<Esc>");
    assert!(fx.is_empty());
    // What was typed is not thrown away without asking.
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Closing);
    assert!(
        d.screen()
            .contains("Close? y: keep a draft · x: throw it away")
    );
    let fx = d.press("x");
    assert!(fx.is_empty());
    assert_eq!(d.app.mode, Mode::Normal);
    assert!(d.app.form.is_none());
    assert_eq!(status(&d), "Thrown away; nothing was saved.");
    assert!(d.app.drafts.is_empty());
    assert_eq!(d.app.cursor, 0);
    assert_eq!(notes(&db, "K6"), before);
    assert!(!d.requests.iter().any(|r| matches!(r, Request::Save { .. })));
    // An empty note cannot be saved either.
    d.press("n <Enter>");
    assert!(matches!(check(&d, FieldId::Text), Check::Err(_)));
    d.press("<Esc>");
    assert_eq!(notes(&db, "K6"), before);
}

#[test]
fn a_note_for_the_marked_customers_asks_first() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("<Space> <Space>");
    assert_eq!(d.app.marks.len(), 2);
    d.press("n Sent <Space> statements");
    // Named from the first marked row on screen (Acme, above Tokyo Trading in the queue),
    // whatever order their keys have.
    assert_eq!(d.app.page.rows[0].id, "K6");
    enter_asks_to_confirm(&mut d, "2 marked customers: Acme Corp (K6) and 1 more");
    d.press("n");
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Editing);
    let fx = d.press("<Enter> y");
    assert_eq!(saves(&fx), 1);
    assert_eq!(notes(&db, "K6")[0], "Sent statements");
    assert_eq!(notes(&db, "K4")[0], "Sent statements");
    assert!(d.app.marks.is_empty(), "the marks are done with");
    assert!(
        status(&d).starts_with("saved for 2 customers (dated today, not as of 2026-04-30): Note "),
        "{}",
        status(&d)
    );
    // A promise is for one customer at a time.
    d.press("<Space> p");
    assert_eq!(d.app.mode, Mode::Normal);
    assert!(status(&d).contains("one customer at a time"));
}

/// A paste (bracketed) is text, never keys: outside a field it runs nothing and says so; in a
/// note its line breaks stay line breaks and save nothing; while a save asks to confirm it
/// answers nothing; in the filter it filters, on one line. Control characters are dropped.
#[test]
fn a_paste_is_text_never_keys() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    let before = notes(&db, "K6");
    // On the queue, `n` would open a note and `q` quit.
    assert!(d.paste("nq").is_empty());
    assert_eq!((d.app.mode, d.app.form.is_none()), (Mode::Normal, true));
    assert_eq!(
        status(&d),
        "Pasted text is not taken for keys: paste into a form (n for a note), the filter (/) \
         or the command line (:)."
    );
    // In a note, an email's lines: the line breaks are no Enter.
    d.press("n Re: <Space>");
    d.paste("Called AP\r\nThey pay Friday\x1b[31m\ty");
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Editing);
    assert_eq!(
        value(&d, FieldId::Text),
        "Re: Called AP\nThey pay Friday[31m y"
    );
    assert_eq!(notes(&db, "K6"), before);
    d.press("<Enter>");
    assert_eq!(notes(&db, "K6")[0], "Re: Called AP\nThey pay Friday[31m y");
    // Asked to confirm a save for two customers, a pasted `y` is no answer.
    d.press("<Space> <Space> n Sent <Enter>");
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Confirm);
    assert!(d.paste("y").is_empty());
    assert_eq!(d.app.form.as_ref().unwrap().state, FormState::Confirm);
    assert_eq!(notes(&db, "K6")[0], "Re: Called AP\nThey pay Friday[31m y");
    d.press("n <Esc> x");
    // In the filter, on one line: the queue follows it.
    d.press("/");
    d.paste("acme\ncorp");
    assert_eq!(d.app.input.value(), "acme corp");
    assert_eq!(d.app.query.filter.text, "acme corp");
    // Behind the note asking for a bigger terminal, nothing is typed unseen.
    d.press("<Esc> n");
    d.resize(30, 8);
    d.paste("unseen");
    d.resize(120, 40);
    assert_eq!(value(&d, FieldId::Text), "");
}

/// The detail screen acts on the customer it shows: a note written there is that
/// customer's alone, its form does not call it "marked", and the marks made in the queue for
/// a bulk action stay.
#[test]
fn a_save_in_the_detail_leaves_the_queues_marks() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("<Space> <Space>");
    assert_eq!(d.app.marks.len(), 2);
    let marks = d.app.marks.clone();
    let shown = d.app.page.rows[2].id.clone();
    d.press("<Enter> n Rang <Space> them");
    assert!(!d.app.form.as_ref().unwrap().target.contains("marked"));
    let fx = d.press("<Enter>");
    assert_eq!(
        saves(&fx),
        1,
        "saved at once, no question for several customers"
    );
    assert_eq!(notes(&db, &shown)[0], "Rang them");
    for id in ["K6", "K4"] {
        assert!(notes(&db, id).iter().all(|n| n != "Rang them"), "{id}");
    }
    assert_eq!(d.app.marks, marks, "the marks stay");
    // A promise from the detail is for its customer, marks or not.
    d.press("p");
    assert_eq!(
        d.app.form.as_ref().map(|f| f.kind),
        Some(owed::workstation::save::FormKind::Promise)
    );
}

/// A call logged on several marked customers names no contact: the first customer's phone
/// number would be written on every other customer's call and follow-up.
#[test]
fn a_call_for_the_marked_customers_names_no_contact() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("<Space> <Space> C vo <Tab> <Down>");
    let form = d.app.form.as_ref().unwrap();
    assert_eq!(form.cids.len(), 2);
    let contact = form
        .fields
        .iter()
        .find(|f| f.id == FieldId::Contact)
        .unwrap();
    assert!(contact.choices.is_empty(), "{:?}", contact.choices);
    assert_hint(
        &d,
        FieldId::Contact,
        "empty: one call on each marked customer",
    );
    d.press("+1 <Space> 555");
    match check(&d, FieldId::Contact) {
        Check::Err(e) => assert!(e.starts_with("a contact is one customer's"), "{e}"),
        other => panic!("{other:?}"),
    }
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0, "nothing is sent");
    // Emptied, the call is saved for both, with no contact.
    let fx = d.press("<C-u> <Enter> y");
    assert_eq!(saves(&fx), 1, "{}", d.screen());
    for id in ["K6", "K4"] {
        let calls = Store::open_existing(&db)
            .unwrap()
            .activity()
            .calls(cid(&db, id))
            .unwrap();
        assert_eq!(calls.len(), 1, "{id}");
        assert_eq!(calls[0].contact, None, "{id}");
    }
}

#[test]
fn a_dispute_completes_its_reason_and_defaults_its_amount() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let issues_before = d.app.summary.as_ref().unwrap().metrics.open_issue_amount;
    d.press("j i qu");
    assert_hint(&d, FieldId::Reason, "Tab: quantity, quality");
    d.press("<Tab>");
    assert_eq!(value(&d, FieldId::Reason), "quantity");
    d.press("<Tab>");
    assert_eq!(value(&d, FieldId::Reason), "quality");
    d.press("<Down>");
    assert_hint(
        &d,
        FieldId::Amount,
        "empty: 5,000.00 USD, the documents' open balance",
    );
    d.press("<Enter>");
    assert_eq!(
        status(&d),
        "saved (back-dated to 2026-04-30): Issue 2 opened for K4 (東京商事株式会社 Tokyo Trading): quality, 5,000.00 USD on INV-400. · next: Acme Widgets (K7)"
    );
    let summary = d.app.summary.as_ref().unwrap();
    assert_eq!(
        summary.metrics.open_issue_amount,
        issues_before + dec("5000")
    );
    assert!(
        summary
            .issues
            .iter()
            .any(|i| i.reason == "quality" && i.count == 1)
    );
    assert_eq!(d.app.page.counts[4], 2, "two customers with disputes");
    assert_same_as_reloaded(&mut d);
}

/// A promise or a new dispute proposes the overdue documents not in dispute: a customer
/// does not promise to pay what it disputes, and a document is disputed once.
#[test]
fn a_promise_and_a_dispute_propose_the_overdue_documents_not_in_dispute() {
    let (_dir, mut d) = driver("alice", (120, 40));
    // On 2026-05-20 both of Tokyo Trading's invoices are overdue: INV-400 (5,000.00) and
    // INV-401 (1,200.00).
    keys::command(&mut d, "asof 2026-05-20");
    d.press("/ tokyo <Enter> p");
    assert_eq!(value(&d, FieldId::Amount), "6200.00");
    assert_eq!(value(&d, FieldId::Documents), "INV-400, INV-401");
    d.press("<Esc> i quality <Down>");
    assert_eq!(value(&d, FieldId::Documents), "INV-400, INV-401");
    // A partial dispute of 5,000.00 covers the oldest: INV-400.
    d.press("5000");
    assert_eq!(value(&d, FieldId::Documents), "INV-400");
    d.press("<Enter>");
    assert!(
        status(&d).starts_with("saved (back-dated to 2026-05-20): Issue 2 opened"),
        "{}",
        status(&d)
    );

    // The promise now proposes INV-401 alone, and says why the amount is not all overdue.
    d.press("p");
    assert!(
        d.screen()
            .contains("Overdue 6,200.00 USD in 2 documents (1 in dispute); 2 open documents"),
        "{}",
        d.screen()
    );
    assert_eq!(value(&d, FieldId::Amount), "1200.00");
    assert_eq!(value(&d, FieldId::Documents), "INV-401");
    assert_valid(
        &d,
        FieldId::Amount,
        "1,200.00 USD, the overdue amount not in dispute",
    );
    // A second dispute proposes INV-401 too, and a partial one covers it, not INV-400.
    d.press("<Esc> i quality <Down>");
    assert_eq!(value(&d, FieldId::Documents), "INV-401");
    d.press("100");
    assert_eq!(value(&d, FieldId::Documents), "INV-401");
    assert_valid(
        &d,
        FieldId::Documents,
        "no overdue one stays; 1 leaves dunning (1,200.00 USD): INV-401",
    );
    // Every overdue document in dispute: the promise proposes nothing, and says why, before
    // and when it is saved without an amount (it said only "required" and "the amount is
    // missing").
    d.press("<Enter>");
    assert!(status(&d).starts_with("saved"), "{}", status(&d));
    d.press("p");
    assert_eq!(value(&d, FieldId::Amount), "");
    assert_hint(
        &d,
        FieldId::Amount,
        "required: every overdue document is in dispute",
    );
    d.press("<Down> +7d <Enter>");
    let said = d.app.form.as_ref().and_then(|f| f.message.clone()).unwrap();
    assert_eq!(
        said.text,
        "Not saved: the amount is missing: every overdue document is in dispute, so none \
         is proposed; type what is promised"
    );
}

#[test]
fn resolving_a_dispute_empties_the_disputes_tab() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ kite <Enter> I");
    assert_eq!(d.app.mode, Mode::Normal, "Kite has nothing to resolve");
    assert_eq!(status(&d), "Kite Supplies has no open dispute to resolve.");
    d.press("<Esc> / pizza <Enter> I");
    assert_eq!(value(&d, FieldId::Issue), "1");
    assert_valid(
        &d,
        FieldId::Issue,
        "pricing · 800.00 USD · opened 2026-04-02",
    );
    // No outcome chosen: resolved without one.
    d.press("<Down> <Down> Credit <Space> note <Space> agreed <Enter>");
    assert_eq!(
        status(&d),
        "saved (back-dated to 2026-04-30): Issue 1 resolved."
    );
    let summary = d.app.summary.as_ref().unwrap();
    assert!(summary.metrics.open_issue_amount.is_zero());
    assert!(summary.issues.is_empty());
    assert_eq!(d.app.page.counts[4], 0);
    assert_same_as_reloaded(&mut d);
}

#[test]
fn a_refusal_by_the_worker_shows_under_its_field() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("/ pizza <Enter> I");
    // Meanwhile another collector resolves it.
    let mut other = Store::open_existing(&db).unwrap();
    let stamp = workstation::stamp_by("bob");
    owed::actions::resolve(&mut other, &stamp, "1", None).unwrap();
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 1);
    let form = d.app.form.as_ref().expect("the form stays open");
    assert_eq!(form.state, FormState::Editing);
    assert_eq!(
        form.field(FieldId::Issue).unwrap().refused.as_deref(),
        Some("issue 1 is already resolved")
    );
    assert!(
        d.screen()
            .contains("Not saved: issue 1 is already resolved")
    );
    d.press("<Esc>");
    let events: i64 = common::value(&db, "SELECT count(*) FROM issue_events");
    assert_eq!(events, 1, "only bob's");
}

/// What another program committed reaches the workstation (as the worker's look at
/// `PRAGMA data_version` brings it).
fn picked_up(d: &mut Driver) {
    for answer in d.source.poll_changes() {
        let fx = owed::tui::update::response(&mut d.app, answer);
        d.run(fx);
    }
}

/// A resolve form open on an issue another collector resolves meanwhile stays open with
/// what was typed, saying who resolved it and how under the issue; Enter refuses with that,
/// and Esc closes it (keeping the text as a draft). (It closed at once, the resolution typed
/// thrown away, saying only that the customer had no open dispute.)
#[test]
fn a_resolve_form_whose_issue_is_resolved_elsewhere_stays_with_what_was_typed() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("/ pizza <Enter> <Enter> <Tab> I");
    assert_eq!(d.app.mode, Mode::Form);
    assert_eq!(value(&d, FieldId::Issue), "1");
    d.press("<Tab> <Down> credit <Space> agreed <Space> by <Space> alice");
    assert_eq!(value(&d, FieldId::Outcome), "valid");
    // Meanwhile bob resolves it from the command line.
    let mut other = Store::open_existing(&db).unwrap();
    let stamp = workstation::stamp_by("bob");
    owed::actions::resolve_with(
        &mut other,
        &stamp,
        "1",
        Some("invalid"),
        Some("price right"),
    )
    .unwrap();
    picked_up(&mut d);
    assert_eq!(d.app.mode, Mode::Form, "the form stays: {}", status(&d));
    assert_eq!(value(&d, FieldId::Text), "credit agreed by alice");
    assert_eq!(value(&d, FieldId::Outcome), "valid");
    assert_eq!(value(&d, FieldId::Issue), "1");
    let why = "bob resolved issue 1 a moment ago: invalid";
    let form = d.app.form.as_ref().unwrap();
    assert_eq!(
        form.field(FieldId::Issue).unwrap().refused.as_deref(),
        Some(why)
    );
    assert!(d.screen().contains(why), "{}", d.screen());
    // Typing on keeps the reason under the issue.
    d.press("<Space> today");
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0, "refused before the worker is asked");
    assert!(
        d.screen().contains(&format!("Not saved: {why}")),
        "{}",
        d.screen()
    );
    // Esc asks, then keeps the text as a draft.
    d.press("<Esc> y");
    assert_eq!(d.app.mode, Mode::Normal);
    assert!(status(&d).starts_with("Draft kept"), "{}", status(&d));
    assert_eq!(d.app.drafts.len(), 1);
    let events: i64 = common::value(&db, "SELECT count(*) FROM issue_events");
    assert_eq!(events, 1, "only bob's");
}

/// A marked customer that another program assigns to someone else leaves the collector's
/// queue, and its mark with it (the status line says so): the next form on the marks is not
/// for a customer she no longer sees, which no key refused. (The title kept "1 marked" with
/// no marked row in sight, and `n` opened a note on the customer reassigned.)
#[test]
fn a_marked_customer_assigned_away_is_unmarked_and_said() {
    let (_dir, db) = fixture();
    let mut d = Driver::with_role(&db, "alice", Role::Collector, (120, 40), "default");
    d.press("j <Space> <Space>");
    assert_eq!(d.app.marks.len(), 2);
    let stamp = workstation::stamp_by("dana");
    let mut other = Store::open_existing(&db).unwrap();
    owed::actions::assign(
        &mut other,
        &stamp,
        "K4",
        owed::domain::action_checks::OwnerRole::Finance,
        "bob",
    )
    .unwrap();
    picked_up(&mut d);
    assert_eq!(
        d.app.marks.iter().copied().collect::<Vec<_>>(),
        [cid(&db, "K7")]
    );
    assert_eq!(
        status(&d),
        "Mark dropped: 1 marked customer is no longer among alice's customers."
    );
    d.press("n");
    assert_eq!(
        d.app.form.as_ref().unwrap().target,
        "1 marked customer: Acme Widgets (K7)"
    );

    // Assigned away while a note for both is being typed: the save is refused for it, and
    // its mark goes after the refusal is said.
    d.press("<Esc> <Esc> g g <Space> <Space>");
    let marked: Vec<i64> = ["K6", "K7"].iter().map(|id| cid(&db, id)).collect();
    assert_eq!(d.app.marks.iter().copied().collect::<Vec<_>>(), marked);
    d.press("n Called");
    owed::actions::assign(
        &mut other,
        &stamp,
        "K7",
        owed::domain::action_checks::OwnerRole::Finance,
        "bob",
    )
    .unwrap();
    d.press("<Enter> y");
    picked_up(&mut d);
    assert!(
        status(&d).starts_with("saved for 1 of 2 customers, then refused: "),
        "{}",
        status(&d)
    );
    assert!(
        status(&d)
            .ends_with(" · Mark dropped: 1 marked customer is no longer among alice's customers."),
        "{}",
        status(&d)
    );
    assert!(d.app.marks.is_empty());
}

/// A dispute of more than its documents amount to is refused under the amount as it is
/// typed, as the promise form does (it was refused only by the worker, on Enter), and
/// nothing is written.
#[test]
fn a_dispute_of_more_than_its_documents_is_refused_under_its_amount() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let issues_before = d.app.summary.as_ref().unwrap().metrics.open_issue_amount;
    // Tokyo Trading's dispute form names INV-400 and INV-401 (6,200.00 USD in all).
    d.press("j i qu <Tab> <Down> 50000");
    assert_eq!(
        d.app
            .form
            .as_ref()
            .unwrap()
            .field(FieldId::Documents)
            .map(|f| f.value()),
        Some("INV-400, INV-401")
    );
    match check(&d, FieldId::Amount) {
        Check::Err(e) => assert_eq!(
            e,
            "the dispute of 50,000.00 USD is more than its documents' 6,200.00 USD in all"
        ),
        other => panic!("{other:?}"),
    }
    let fx = d.press("<Enter>");
    assert_eq!(saves(&fx), 0, "nothing is sent");
    let form = d.app.form.as_ref().expect("the form stays open");
    assert_eq!(form.state, FormState::Editing);
    assert_eq!(form.focus, 1, "the cursor is on the amount");
    // Its documents' whole amount is taken.
    d.press("<C-u> 6200");
    assert!(matches!(check(&d, FieldId::Amount), Check::Ok(_)));
    d.press("<Esc> y");
    let summary = d.app.summary.as_ref().unwrap();
    assert_eq!(summary.metrics.open_issue_amount, issues_before);
}

#[test]
fn a_follow_up_due_today_joins_the_follow_ups_tab() {
    let (_dir, mut d) = driver("alice", (120, 40));
    // Actions are stamped with the clock: they count from today, so look from today.
    let today = owed::cli::today();
    d.press("/ kite <Enter> f fri");
    // A follow-up is dated when written: `fri` is the Friday from today, not from the date
    // on screen.
    assert_valid(&d, FieldId::Date, &described(today, "fri"));
    d.press("<Esc> x");
    let fx = owed::tui::update::set_as_of(&mut d.app, today);
    d.run(fx);
    let before = d.app.page.counts[3];
    d.press("f today <Enter>");
    assert!(
        matches!(check(&d, FieldId::Text), Check::Err(_)),
        "text required"
    );
    assert_eq!(
        d.app.form.as_ref().unwrap().focus,
        1,
        "the text has the cursor"
    );
    d.press("Call <Space> AP <Enter>");
    assert_eq!(
        status(&d),
        format!("saved: Follow-up 2 scheduled for K1 (Kite Supplies) on {today}.")
    );
    assert_eq!(d.app.page.rows[0].followups_due, 1);
    assert_eq!(d.app.page.counts[3], before + 1);
    assert_same_as_reloaded(&mut d);
    // A note is a contact: the row's last contact is today.
    d.press("n Left <Space> a <Space> message <Enter>");
    assert_eq!(d.app.page.rows[0].last_contact, Some(today));
    assert_same_as_reloaded(&mut d);
}

#[test]
fn assigning_another_owner_takes_the_customer_out_of_my_queue() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("G");
    assert_eq!(d.selected().as_deref(), Some("Kite Supplies"));
    d.press("a alice <Enter>");
    match check(&d, FieldId::Owner) {
        Check::Err(e) => assert_eq!(e, "alice is already the finance owner"),
        other => panic!("{other:?}"),
    }
    d.press("<C-u> bo");
    assert_hint(&d, FieldId::Owner, "Tab: bob");
    d.press("<Tab> <Enter>");
    assert_eq!(
        status(&d),
        "saved (dated today, not as of 2026-04-30): Owner change 1: Finance owner of K1 \
         (Kite Supplies) is now bob (was alice). · next: 🍕 Pizza Palace (K5)"
    );
    assert_eq!(d.app.page.counts[..2], [4, 7]);
    assert!(!d.names().contains(&"Kite Supplies".to_string()));
    assert_same_as_reloaded(&mut d);
    d.press("m / kite <Enter>");
    assert_eq!(
        d.app.page.rows[0].finance_owner.as_deref(),
        Some("bob"),
        "everyone's queue shows the new owner"
    );
}

#[test]
fn a_long_note_from_the_editor() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("n Called");
    let fx = d.press("<C-e>");
    let [Effect::Edit { text, instructions }] = fx.as_slice() else {
        panic!("{fx:?}");
    };
    assert_eq!(text, "Called");
    assert!(instructions.contains("Acme Corp (K6)"));
    let note = "Called Anna in AP.\n\nShe will pay Friday.";
    action_forms::edited(&mut d.app, Ok(note.into()));
    assert_eq!(value(&d, FieldId::Text), note);
    assert_valid(&d, FieldId::Text, "3 lines");
    assert!(
        d.screen()
            .contains("Called Anna in AP.↵↵She will pay Friday.")
    );
    // A failing editor says so on the form and keeps the text.
    action_forms::edited(&mut d.app, Err("the editor `nope` failed".into()));
    assert_eq!(value(&d, FieldId::Text), note);
    assert!(d.screen().contains("the editor `nope` failed"));
    d.press("<Enter>");
    assert_eq!(notes(&db, "K6")[0], note);
}

#[test]
fn without_advance_after_action_the_cursor_stays() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.app.action_settings.advance_after_action = false;
    d.press("n Left <Space> a <Space> voicemail <Enter>");
    assert!(status(&d).starts_with("saved (dated today, not as of 2026-04-30): Note "));
    assert_eq!(d.app.cursor, 0);
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
}

/// A save in parts says how far it is, and a save waiting for another program's write lock
/// says why; an answer for another save changes nothing.
#[test]
fn a_long_save_says_how_far_it_is_and_why_it_waits() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("n Statement <Space> sent");
    d.app.form.as_mut().unwrap().state = FormState::Saving { seq: 41 };
    action_forms::saving(&mut d.app, 41, 150, 600, false);
    assert!(d.screen().contains("Saving… 150 of 600 customers"));
    action_forms::saving(&mut d.app, 41, 150, 600, true);
    assert!(d.screen().contains("waiting for the database"));
    action_forms::saving(&mut d.app, 40, 10, 20, false);
    assert!(d.screen().contains("waiting for the database"));
    assert!(!d.screen().contains("10 of 20"));
}

/// A key typed (or text pasted) while the form is being saved is not typed into it: it waits
/// for the save, and the form says so, and goes on saying so with how far it is (before, the
/// key vanished without a word; then it was dropped with a word).
#[test]
fn a_key_typed_while_saving_waits_and_says_so() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("n Statement <Space> sent");
    d.app.form.as_mut().unwrap().state = FormState::Saving { seq: 41 };
    action_forms::saving(&mut d.app, 41, 150, 600, false);
    d.press("x");
    assert_eq!(value(&d, FieldId::Text), "Statement sent");
    assert!(
        d.screen()
            .contains("Saving… 150 of 600 customers · still saving; what you type waits for it"),
        "{}",
        d.screen()
    );
    d.press("y");
    assert!(d.paste("more text").is_empty());
    assert_eq!(value(&d, FieldId::Text), "Statement sent");
    assert_eq!(d.app.typeahead.len(), 3, "x, y and the paste wait");
    action_forms::saving(&mut d.app, 41, 200, 600, false);
    let screen = d.screen();
    assert!(
        screen.contains("Saving… 200 of 600 customers · still saving; what you type waits for it"),
        "{screen}"
    );
    assert_eq!(screen.matches("still saving").count(), 1, "{screen}");
}

#[test]
fn saves_are_never_coalesced() {
    let (_dir, db) = fixture();
    let mut source = PortfolioWorker::open(&db, workstation::settings())
        .unwrap()
        .acting_as(Actor::new("alice", Role::Collector));
    let job = |text: &str| Request::Save {
        seq: 1,
        job: SaveJob {
            as_of: workstation::as_of(),
            cids: vec![cid(&db, "K3")],
            values: ActionValues::Note { text: text.into() },
        },
    };
    let answers = source.handle_batch(vec![job("one"), job("two"), job("three")]);
    let saved = answers
        .iter()
        .filter(|a| matches!(a, Response::Saved { outcome, .. } if outcome.error.is_none()))
        .count();
    assert_eq!(saved, 3);
    assert_eq!(notes(&db, "K3"), ["three", "two", "one"]);
}

#[test]
fn each_form_at_two_sizes() {
    let (_dir, db) = fixture();
    let forms = [
        (
            "note",
            "n Called <Space> AP, <Space> left <Space> a <Space> voicemail",
        ),
        ("promise", "p <Down> fri"),
        ("dispute", "j i qu"),
        ("resolve", "/ pizza <Enter> I"),
        ("followup", "/ kite <Enter> f +7d"),
        ("assign", "G a bo"),
        // The longest labels: "What was said" reads whole.
        ("call", "C vo <Down>"),
        (
            "promise_refused",
            "p <C-u> -5 <Down> <Down> <C-u> D1 <Enter>",
        ),
    ];
    for (w, h) in [(80, 24), (120, 40)] {
        for (name, keys) in forms {
            let mut d = Driver::new(&db, "alice", (w, h));
            // As on the day shown: a follow-up's date is described from the real today.
            d.app.session.today = d.app.as_of;
            d.press(keys);
            assert_eq!(d.app.mode, Mode::Form, "{name}");
            snapshot::assert(&format!("form_{name}_{w}x{h}"), &d.screen());
        }
    }
}

#[test]
fn under_a_filter_the_tab_counts_follow_a_save() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ overdue>100 <Enter>");
    assert_eq!(d.app.page.counts[..2], [4, 4], "Kite's 60.00 is left out");
    assert_eq!(d.app.page.counts[4], 1);
    d.press("i <Tab> <Enter>");
    assert!(
        status(&d).starts_with("saved (back-dated to 2026-04-30): Issue 2 opened for K6"),
        "{}",
        status(&d)
    );
    assert_eq!(d.app.page.counts[4], 2, "Acme joins the disputes");
    assert_same_as_reloaded(&mut d);
    // Resolving it takes it out again; an assignment (owner:) is counted again.
    d.press("k I <Enter>");
    assert_eq!(d.app.page.counts[4], 1);
    assert_same_as_reloaded(&mut d);
    d.press("a carol <Enter>");
    assert_eq!(d.app.page.counts[..2], [3, 3]);
    assert_same_as_reloaded(&mut d);
}

#[test]
fn assigning_marked_customers_skips_those_the_owner_has_already() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("m / kite <Enter> <Space> <Esc> / lumen <Enter> <Space>");
    assert_eq!(d.app.marks.len(), 2);
    d.press("a bob");
    // Kite is marked but filtered off the screen: the one shown is named.
    enter_asks_to_confirm(&mut d, "2 marked customers: Lumen GmbH (K2) and 1 more");
    let fx = d.press("y");
    assert_eq!(saves(&fx), 1, "one save for both");
    assert_eq!(
        status(&d),
        "saved (dated today, not as of 2026-04-30): Owner change 1: Finance owner of K1 \
         (Kite Supplies) is now bob (was alice). (1 had it already)"
    );
    assert!(d.app.marks.is_empty());
    assert_same_as_reloaded(&mut d);
}

/// The actions the footer offers on the timeline's selected entry.
fn timeline_offers(d: &Driver) -> Vec<String> {
    let acts = [
        "Follow-up done",
        "Void the promise",
        "Resolve the issue",
        "Reopen the issue",
    ];
    owed::tui::view::footer::hints(&d.app, KeyContext::Timeline)
        .into_iter()
        .map(|(_, desc)| desc)
        .filter(|desc| acts.contains(&desc.as_str()))
        .collect()
}

#[test]
fn the_timeline_footer_offers_only_what_applies_to_the_selected_entry() {
    // A customer's newest timeline entry, selected: its kind and what the footer offers.
    let first_entry = |name: &str| {
        let (dir, mut d) = driver("alice", (120, 40));
        d.press(&format!("2 / {name} <Enter> <Enter> <Tab>"));
        assert_eq!(d.app.key_context(), KeyContext::Timeline, "{name}");
        let entry = &d.app.detail.as_ref().unwrap().detail.activity[0];
        let kind = entry.kind.label().to_string();
        (dir, d, kind)
    };
    let (_dir, d, kind) = first_entry("kite");
    assert_eq!((kind.as_str(), timeline_offers(&d)), ("note", vec![]));
    let (_dir, d, kind) = first_entry("widgets");
    assert_eq!(
        (kind.as_str(), timeline_offers(&d)),
        ("follow-up", vec!["Follow-up done".to_string()])
    );
    let (_dir, d, kind) = first_entry("corp");
    assert_eq!(
        (kind.as_str(), timeline_offers(&d)),
        ("promise", vec!["Void the promise".to_string()])
    );
    let (_dir, mut d, kind) = first_entry("pizza");
    assert_eq!(
        (kind.as_str(), timeline_offers(&d)),
        ("issue", vec!["Resolve the issue".to_string()])
    );
    // A key for another kind of entry says what this one is, in English.
    d.press("v");
    assert_eq!(status(&d), "v voids a promise; this entry is an issue.");
    // Resolved from its entry, the issue offers reopening instead.
    d.press("I <Down> Credit <Space> note <Space> agreed <Enter>");
    assert_eq!(
        status(&d),
        "saved (back-dated to 2026-04-30): Issue 1 resolved."
    );
    assert_eq!(
        d.app.key_context(),
        KeyContext::Timeline,
        "the entry stays selected"
    );
    assert_eq!(timeline_offers(&d), ["Reopen the issue"]);
}

/// Opened from the Follow-ups tab, the detail lands on the open follow-up (below a newer
/// note), `Tab` selects that entry rather than the newest, and `d` marks it done; from the
/// Disputes tab, on the open issue.
#[test]
fn a_customer_opened_from_a_tab_lands_on_the_entry_it_is_there_for() {
    let (_dir, db) = fixture();
    {
        let mut store = Store::open_existing(&db).unwrap();
        let now =
            chrono::DateTime::parse_from_rfc3339(&workstation::local_time("2026-04-28", "12:00"))
                .unwrap()
                .with_timezone(&chrono::Utc);
        let day = owed::domain::date::parse_iso("2026-04-28").unwrap();
        let stamp = owed::domain::action_checks::Stamp::new("alice", now, day).unwrap();
        owed::actions::note(&mut store, &stamp, "K7", "Left a message with reception").unwrap();
    }
    let mut d = Driver::new(&db, "alice", (80, 24));
    d.press("4");
    assert_eq!(d.names(), ["Acme Widgets"]);
    d.press("<Enter>");
    let activity = &d.app.detail.as_ref().unwrap().detail.activity;
    let kinds: Vec<&str> = activity.iter().map(|e| e.kind.label()).collect();
    assert_eq!(kinds[..2], ["note", "follow-up"], "{kinds:?}");
    assert!(d.app.detail_scroll > 0);
    assert!(
        d.screen().contains("Call back about the PO"),
        "{}",
        d.screen()
    );
    d.press("<Tab>");
    assert_eq!(d.app.timeline, Some(1), "the follow-up, not the newer note");
    assert_eq!(timeline_offers(&d), ["Follow-up done"]);
    d.press("d");
    assert_eq!(d.app.mode, Mode::Form);
    let record = d.app.form.as_ref().unwrap().record.clone().unwrap();
    assert!(
        record.1.contains("Call back about the PO number"),
        "{record:?}"
    );
    d.press("<Enter>");
    assert!(status(&d).contains("Follow-up 1 done."), "{}", status(&d));
    // Read again after the save, the detail's entries may have moved: Tab selects the
    // newest again.
    d.press("<Esc>");
    assert_eq!(d.app.timeline, None);
    d.press("<Tab>");
    assert_eq!(d.app.timeline, Some(0));

    // From the Disputes tab: Pizza's open issue.
    d.press("<Esc> <Esc> <Esc> m 5");
    assert_eq!(d.names(), ["🍕 Pizza Palace"]);
    d.press("<Enter> <Tab>");
    let at = d.app.timeline.unwrap();
    let entry = &d.app.detail.as_ref().unwrap().detail.activity[at];
    assert_eq!(entry.kind.label(), "issue");
    assert_eq!(timeline_offers(&d), ["Resolve the issue"]);
}

/// The workstation in one's own shell follows its user's role when the users change (a
/// session over SSH is cut instead, within two seconds): alice, acting as the file's owner
/// (a manager) while no users exist, is a collector once a manager registers her as one;
/// the footer stops offering to assign and the key is refused before anything is typed. (It
/// went on offering `a Assign` and opened the form; only the save was refused.)
#[test]
fn the_local_workstation_follows_its_users_role() {
    let (_dir, db) = fixture();
    let actor = Store::open_existing(&db)
        .unwrap()
        .users()
        .local_actor("alice")
        .unwrap();
    assert_eq!(actor.role, Role::Manager, "no users: the file's owner");
    let mut d = Driver::with_role(&db, "alice", actor.role, (240, 40), "default");
    assert!(footer(&d).contains("a Assign"), "{}", footer(&d));
    workstation::register(&db, "alice", &[("dana", Role::Manager)]);
    workstation::register(&db, "dana", &[("alice", Role::Collector)]);
    picked_up(&mut d);
    assert_eq!(d.app.actor.as_ref().map(|a| a.role), Some(Role::Collector));
    assert_eq!(
        status(&d),
        "Your role is now collector (the users changed): what the keys offer follows it."
    );
    assert!(!footer(&d).contains("Assign"), "{}", footer(&d));
    d.press("a");
    assert_eq!(d.app.mode, Mode::Normal, "refused at the key");
    assert!(
        status(&d).starts_with("alice (collector) may not"),
        "{}",
        status(&d)
    );
    // Made a manager again: assign is hers again.
    Store::open_existing(&db)
        .unwrap()
        .users_mut()
        .set_role(&workstation::manager_stamp("dana"), "alice", Role::Manager)
        .unwrap();
    picked_up(&mut d);
    assert_eq!(d.app.actor.as_ref().map(|a| a.role), Some(Role::Manager));
    d.press("a");
    assert_eq!(d.app.mode, Mode::Form);
}

/// Presses `keys` and asserts that they were refused before anything was typed: no form
/// opens, no reminder starts, nothing is saved, and the status line says `sentence`.
#[track_caller]
fn refused(d: &mut Driver, keys: &str, sentence: &str) {
    let effects = d.press(keys);
    assert!(d.app.form.is_none(), "{keys}: no form opens");
    assert!(d.app.engage.flow.is_none(), "{keys}: no reminder starts");
    assert_eq!(d.app.mode, Mode::Normal, "{keys}");
    assert_eq!(saves(&effects), 0, "{keys}");
    assert_eq!(status(d), sentence, "{keys}");
}

#[test]
fn a_key_the_users_role_may_not_use_on_a_customer_is_refused_before_anything_is_typed() {
    let (_dir, db) = fixture();
    // Bob, a collector, on alice's Kite Supplies (K1) and on his own Lumen GmbH (K2).
    let mut d = Driver::with_role(&db, "bob", Role::Collector, (120, 40), "default");
    d.press("m / kite <Enter>");
    assert_eq!(d.selected().as_deref(), Some("Kite Supplies"));
    let not_his = "bob (collector) may not write on K1: its finance owner is alice";
    // The footer does not offer them.
    let writes = ["Note", "Promise", "Dispute", "Send a reminder…"];
    assert!(
        !d.offered().iter().any(|o| writes.contains(&o.as_str())),
        "{:?}",
        d.offered()
    );
    for key in ["n", "C", "p", "i", "f", "A", "r"] {
        refused(&mut d, key, not_his);
    }
    // On the detail too, and the timeline's keys on its records.
    d.press("<Enter>");
    refused(&mut d, "n", not_his);
    d.press("<Esc> <Esc>");
    // Holding back from engagement is a manager's, whoever the customer is.
    refused(
        &mut d,
        ": hold <Space> +7d <Enter>",
        "bob (collector) may not hold customers back from engagement on K6: only a manager may",
    );
    // His own customer: offered, and the form opens.
    d.press("<Esc> / lumen <Enter>");
    assert!(
        d.offered().contains(&"Note".to_string()),
        "{:?}",
        d.offered()
    );
    d.press("n");
    assert!(d.app.form.is_some(), "{}", d.screen());
    d.press("<Esc>");

    // An auditor reads only: refused on any customer.
    let mut d = Driver::with_role(&db, "carol", Role::Auditor, (120, 40), "default");
    d.press("m / lumen <Enter>");
    refused(
        &mut d,
        "n",
        "carol (auditor) may not write on K2: an auditor reads only",
    );
    assert!(
        !d.offered().iter().any(|o| writes.contains(&o.as_str())),
        "{:?}",
        d.offered()
    );
    // A manager is refused nothing.
    let mut d = Driver::with_role(&db, "dana", Role::Manager, (120, 40), "default");
    d.press("m / lumen <Enter> n");
    assert!(d.app.form.is_some());
}

/// A record dated after today is in no view until that day, and an issue resolved so could be
/// neither resolved nor reopened meanwhile: after `:asof` to a later date the screen is a view
/// of that day, read-only. The title and the status say so; the footer offers no key that
/// writes, and each is refused before a form opens, in one sentence naming both dates (as a
/// role is); nothing is saved. The service refuses such a save too, whatever asks. Back at
/// today, the keys act again.
#[test]
fn after_today_the_screen_is_read_only_and_its_writes_are_refused_naming_both_dates() {
    let (_dir, db) = fixture();
    let today = chrono::Local::now().date_naive();
    let later = today.succ_opt().unwrap();
    let mut d = Driver::new(&db, "alice", (120, 40));
    keys::command(&mut d, &format!("asof {later}"));
    assert_eq!(
        status(&d),
        format!(
            "As of {later}, after today ({today}): a view of that day, read-only (writes are \
             dated today or earlier); `:asof today` goes back to today."
        )
    );
    let screen = d.screen();
    assert!(
        screen.contains(&format!("as of {later}, after today: read-only")),
        "{screen}"
    );
    let sentence = format!(
        "this write is dated {later}, after today ({today}): writes are dated today or earlier; \
         `:asof today` goes back to today, or `:asof` a date up to today"
    );
    let writes = ["Note", "Promise", "Dispute", "Send a reminder…"];
    // Pizza Palace (K5) has an open dispute: `I` would resolve it.
    d.press("/ pizza <Enter>");
    assert_eq!(d.selected().as_deref(), Some("🍕 Pizza Palace"));
    assert!(
        !d.offered().iter().any(|o| writes.contains(&o.as_str())),
        "{:?}",
        d.offered()
    );
    let notes_before = notes(&db, "K5");
    for key in ["n", "C", "p", "i", "I", "f", "a", "A", "r"] {
        refused(&mut d, key, &sentence);
    }
    refused(&mut d, ": hold <Space> +7d <Enter>", &sentence);
    // On the detail, and on the timeline's dispute.
    d.press("<Enter>");
    refused(&mut d, "n", &sentence);
    refused(&mut d, "<Tab> I", &sentence);
    assert_eq!(notes(&db, "K5"), notes_before);

    // The service refuses a save of that date, whatever sends it: nothing is written.
    let mut source = PortfolioWorker::open(&db, workstation::settings())
        .unwrap()
        .acting_as(Actor::new("alice", Role::Manager));
    let answers = source.handle_batch(vec![Request::Save {
        seq: 1,
        job: SaveJob {
            as_of: later,
            cids: vec![cid(&db, "K5")],
            values: ActionValues::Note {
                text: "from the future".into(),
            },
        },
    }]);
    let refusal = answers.iter().find_map(|a| match a {
        Response::Saved { outcome, .. } => outcome.error.clone(),
        _ => None,
    });
    assert_eq!(refusal.as_deref(), Some(sentence.as_str()));
    assert_eq!(notes(&db, "K5"), notes_before);

    // Back at today, the keys act again.
    d.press("<Esc> <Esc>");
    keys::command(&mut d, "asof today");
    assert!(!d.screen().contains("read-only"));
    d.press("2 n");
    assert!(d.app.form.is_some(), "{}", status(&d));
}

/// At an earlier date than today, a promise or a dispute counts from that date: its save says
/// it is back-dated, in the words the command line uses (a note, dated today, says that).
#[test]
fn a_back_dated_save_says_so() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ tokyo <Enter> i quality <Down> 5000 <Enter>");
    assert!(
        status(&d).starts_with("saved (back-dated to 2026-04-30): Issue 2 opened for K4"),
        "{}",
        status(&d)
    );
}

/// Behind the note that asks for a bigger terminal nothing acts: keys typed there neither
/// reach a form half-typed nor save it; back at a size that fits, the form is as it was. On
/// the queue, the `q` the note offers quits.
#[test]
fn a_terminal_too_small_hides_nothing_that_keys_could_change() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("<Enter>");
    d.press("n abc");
    let before = notes(&db, "K6");
    d.resize(40, 10);
    let screen = d.screen();
    assert!(screen.contains("Terminal too small"), "{screen}");
    assert!(
        screen.contains("Enlarge it to go on with the form."),
        "{screen}"
    );
    assert!(d.press("q <Enter> x <Esc> y").is_empty());
    assert_eq!(notes(&db, "K6"), before, "nothing was saved unseen");
    d.resize(120, 40);
    assert_eq!(d.app.mode, Mode::Form);
    assert!(d.screen().contains("abc") && !d.screen().contains("abcq"));
    d.press("<Esc> x <Esc>");
    assert_eq!(d.app.mode, Mode::Normal);
    d.resize(40, 10);
    assert!(d.screen().contains("press q to quit"));
    assert_eq!(d.press("j"), vec![]);
    assert_eq!(d.press("q"), vec![Effect::Quit]);
}

/// The filter and the command line wait behind the note as a form does: `q` there is a
/// letter being typed, not a way out that loses the line. On a very small terminal the note
/// says it in fewer words rather than being cut.
#[test]
fn a_terminal_too_small_keeps_the_filter_and_command_line_being_typed() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    for (keys, what, typed) in [
        ("/ acm", "the filter", "acm"),
        (": sor", "the command line", "sor"),
    ] {
        d.press(keys);
        d.resize(50, 10);
        let screen = d.screen();
        assert!(
            screen.contains(&format!("Enlarge it to go on with {what}.")),
            "{screen}"
        );
        assert!(d.press("q").is_empty(), "{what}: q does not quit");
        assert!(!d.app.quit);
        d.resize(120, 40);
        assert_eq!(d.app.input.value(), typed, "{what} as it was");
        d.press("<Esc>");
    }
    // 20×5: every sentence whole, none cut at the bottom.
    d.resize(20, 5);
    let screen = d.screen();
    for line in [
        "Terminal too small",
        "20×5; needs 60×16.",
        "Enlarge, or q quits.",
    ] {
        assert!(screen.contains(line), "{screen}");
    }
    d.resize(120, 40);
    d.press("/");
    d.resize(20, 5);
    assert!(d.screen().contains("Enlarge to go on."), "{}", d.screen());
}

/// The footer's line as drawn.
fn footer(d: &Driver) -> String {
    d.screen().lines().last().unwrap_or_default().to_string()
}

/// While a form asks its question — close it, or save it for every marked customer — the
/// footer offers that question's answers, not the form's keys (`Enter` there keeps a draft,
/// or saves for all; it does not save the form as the form's footer says).
#[test]
fn the_footer_offers_the_answers_to_the_forms_question() {
    let (_dir, mut d) = driver("alice", (160, 40));
    d.press("n hello");
    assert!(footer(&d).contains("Enter Save"), "{}", footer(&d));
    d.press("<Esc>");
    let f = footer(&d);
    assert!(
        f.contains("Enter/y Keep a draft") && f.contains("x Throw it away"),
        "{f}"
    );
    assert!(!f.contains("Enter Save"), "{f}");
    d.press("x");
    d.press("<Space> <Space> n hi <Enter>");
    let f = footer(&d);
    assert!(
        f.contains("Enter/y Save") && f.contains("Esc/n Back to the form"),
        "{f}"
    );
}

/// The footer offers `I` (resolve) only on a customer with an open issue, and `v` (view
/// attachments) only when the customer shown has some: elsewhere the keys only say there is
/// nothing to act on.
#[test]
fn the_footer_offers_resolve_and_attachments_only_where_they_act() {
    let (_dir, mut d) = driver("alice", (220, 40));
    d.press("2");
    let (mut with, mut without) = (None, None);
    for _ in 0..d.app.total() {
        let issues = d.app.selected().map(|r| r.open_issues).unwrap_or_default();
        let f = footer(&d);
        if issues > 0 {
            with.get_or_insert(f);
        } else {
            without.get_or_insert(f);
        }
        d.press("j");
    }
    let (with, without) = (with.unwrap(), without.unwrap());
    assert!(with.contains("I Resolve"), "{with}");
    assert!(!without.contains("I Resolve"), "{without}");
    assert!(!without.contains("View attachments"), "{without}");
}

/// Back from a save in the detail, the queue shows its first rows again: the refreshed
/// page, which came while the detail hid the queue, scrolled it to the customer's row as if
/// the queue were one row high ("5 of 5" with only the fifth row shown).
#[test]
fn back_from_a_save_in_the_detail_the_queue_is_whole() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    let rows: Vec<String> = d.app.page.rows.iter().map(|r| r.name.clone()).collect();
    assert_eq!(rows.len(), 5);
    d.press("j j j j <Enter> n Rang <Enter> <Esc>");
    assert_eq!(d.app.scroll, 0);
    let screen = d.screen();
    for name in &rows[..4] {
        let start: String = name.chars().take(3).collect();
        assert!(screen.contains(&start), "{name} is missing:\n{screen}");
    }
}

/// A saved message longer than the footer's line takes rows from the queue until the next key,
/// and the customer selected after the save stays in sight. It was drawn over the queue's
/// last rows instead, hiding the row just saved and the one selected after it, in their
/// colours.
#[test]
fn a_long_saved_message_leaves_the_selected_row_in_sight() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (60, 16));
    // The last but one of the All tab, on the queue's last row but one.
    d.press("2 G k n called <Enter>");
    let screen = d.screen();
    let lines: Vec<&str> = screen.lines().map(|l| l.trim_matches('"')).collect();
    let n = lines.len();
    assert_eq!(
        lines[n - 2..],
        [
            " saved (dated today, not as of 2026-04-30): Note 3 recorded ",
            " for K8 (Zephyr Labs). · next: Moss & Sons (K3)             "
        ],
        "{screen}"
    );
    // Both customers are rows of the queue above it, the selected one last.
    let rows: Vec<&str> = lines[..n - 2].iter().map(|l| l.trim()).collect();
    assert!(rows[rows.len() - 2].starts_with("Zephyr Labs"), "{screen}");
    assert!(rows[rows.len() - 1].starts_with("Moss & Sons"), "{screen}");
    assert_eq!(d.selected().as_deref(), Some("Moss & Sons"));
}

/// Typed at once, faster than the worker answers: a note, `j`, the next note. `Enter` waits for
/// the form's defaults, and the keys after it for its save (they were dropped, the form saying
/// "still saving"): both notes are saved, each where it is when the same keys are typed one at
/// a time, each answered before the next.
#[test]
fn notes_typed_at_once_land_where_typed_one_at_a_time() {
    let keys = "n first <Enter> j n second <Enter>";
    let placed = |db: &Path| -> Vec<(String, Vec<String>)> {
        ["K1", "K2", "K3", "K4", "K5", "K6", "K7", "K8"]
            .iter()
            .map(|k| (k.to_string(), notes(db, k)))
            .filter(|(_, n)| n.iter().any(|t| t == "first" || t == "second"))
            .collect()
    };
    let (_one, one_db) = fixture();
    Driver::new(&one_db, "alice", (120, 40)).press(keys);
    let expected = placed(&one_db);
    assert_eq!(expected.len(), 2, "{expected:?}");

    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    let fx = d.press_unanswered(keys);
    assert!(
        d.app.form.is_some(),
        "the first note's form, its defaults on their way"
    );
    assert_eq!(value(&d, FieldId::Text), "first");
    assert!(!d.app.typeahead.is_empty(), "Enter waits for the defaults");
    d.run(fx);
    assert!(d.app.typeahead.is_empty());
    assert!(d.app.form.is_none(), "{}", d.screen());
    assert_eq!(placed(&db), expected);
}

/// With users registered, the assign form's owner is someone who may work the customer: Tab
/// offers the registered collectors and managers (one with no customer yet among them, an
/// auditor not), a registered collector with no customer is no "new owner", and an auditor
/// or a name nobody has is refused as the store refuses it.
#[test]
fn the_assign_form_offers_and_takes_the_registered_collectors_and_managers() {
    let (_dir, db) = fixture();
    workstation::register(
        &db,
        "mia",
        &[
            ("mia", Role::Manager),
            ("alice", Role::Collector),
            ("bob", Role::Collector),
            ("carol", Role::Collector),
            ("audrey", Role::Auditor),
        ],
    );
    let mut d = Driver::with_role(&db, "mia", Role::Manager, (160, 40), "default");
    d.press("a");
    assert_hint(&d, FieldId::Owner, "Tab: alice, bob, carol, mia");
    d.press("carol");
    assert_valid(&d, FieldId::Owner, "");
    d.press("<C-u> audrey");
    match check(&d, FieldId::Owner) {
        Check::Err(e) => assert!(e.starts_with("audrey is an auditor"), "{e}"),
        other => panic!("{other:?}"),
    }
    d.press("<C-u> carlo");
    match check(&d, FieldId::Owner) {
        Check::Err(e) => assert!(e.contains("(did you mean carol?)"), "{e}"),
        other => panic!("{other:?}"),
    }
    d.press("<C-u> ca <Tab>");
    assert_eq!(value(&d, FieldId::Owner), "carol");
}

/// Acme Widgets (K7) with 1,200 more overdue invoices (HM-00000 to HM-01199, 10.00 each, due
/// 2026-02-01, before its own INV-700): 1,201 overdue documents, 15,000.00 USD.
fn thousands_of_documents() -> (tempfile::TempDir, Driver) {
    let dir = tempfile::tempdir().unwrap();
    let mut portfolio = workstation::Portfolio::workstation();
    for i in 0..1200 {
        portfolio = portfolio.with_document(&format!(
            "HM{i},K7,invoice,HM-{i:05},2026-01-01,2026-02-01,10.00,USD,"
        ));
    }
    drop(portfolio.import(dir.path()));
    let d = Driver::new(&dir.path().join("owed.db"), "alice", (120, 40));
    (dir, d)
}

/// A customer with thousands of overdue documents: the promise and dispute forms propose
/// them as `overdue` with their count and total (they typed every number into the field,
/// past its limit, and each key parsed them all again: 11 s a key on 28,510), and what is
/// saved is exactly those documents.
#[test]
fn thousands_of_overdue_documents_are_proposed_as_one_word_and_saved_exactly() {
    let (dir, mut d) = thousands_of_documents();
    let db = dir.path().join("owed.db");
    d.press("/ widgets <Enter> p");
    assert!(
        d.screen()
            .contains("Overdue 15,000.00 USD in 1,201 documents; 1,201 open documents"),
        "{}",
        d.screen()
    );
    assert_eq!(value(&d, FieldId::Amount), "15000.00");
    assert_eq!(value(&d, FieldId::Documents), "overdue");
    assert_valid(
        &d,
        FieldId::Documents,
        "overdue: 1,201 documents, 15,000.00 USD open",
    );
    assert_valid(&d, FieldId::Amount, "15,000.00 USD, the overdue amount");
    d.press("<Down> +7d <Enter>");
    assert_eq!(
        status(&d),
        "saved (back-dated to 2026-04-30): Promise 1 recorded: K7 (Acme Widgets) to pay \
         15,000.00 USD by 2026-05-07 for HM-00000, HM-00001, HM-00002, HM-00003, HM-00004 \
         and 1,196 more.",
    );
    let promise = promises(&db, "K7").into_iter().next().unwrap();
    let mut saved: Vec<String> = promise.documents.iter().map(|n| n.id.clone()).collect();
    saved.sort();
    let mut meant: Vec<String> = (0..1200).map(|i| format!("HM{i}")).collect();
    meant.push("G1".into());
    meant.sort();
    assert_eq!(saved, meant, "exactly the overdue documents");

    // A dispute proposes them too; an amount covering a few names those; the word and a
    // number typed after it.
    d.press("<Esc> / widgets <Enter> i quality <Down>");
    assert_eq!(value(&d, FieldId::Documents), "overdue");
    assert_valid(
        &d,
        FieldId::Documents,
        "no overdue one stays; 1,201 leave dunning (15,000.00 USD): HM-00000, HM-00001, \
         HM-00002, HM-00003, HM-00004 and 1,196 more",
    );
    d.press("25");
    assert_eq!(
        value(&d, FieldId::Documents),
        "HM-00000, HM-00001, HM-00002"
    );
    assert_valid(
        &d,
        FieldId::Documents,
        "1,198 overdue stay; 3 leave dunning (30.00 USD): HM-00000, HM-00001, HM-00002",
    );
    d.press("<Backspace> <Backspace> 100");
    assert_eq!(value(&d, FieldId::Documents), "overdue");
    d.press("<C-u> <Down> <C-u> overdue,HM-00001 <Enter>");
    assert!(status(&d).starts_with("saved"), "{}", status(&d));
    let store = Store::open_existing(&db).unwrap();
    let issue = store
        .activity()
        .customer_issues(cid(&db, "K7"), workstation::as_of(), "USD")
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(issue.amount, dec("15000"));
    assert_eq!(issue.documents.len(), 1201, "each once");
}

/// How the date field of a follow-up describes `typed` written on `today`
/// (`Fri 2026-05-01, tomorrow`).
fn described(today: owed::domain::Date, typed: &str) -> String {
    use chrono::Datelike;
    let d = owed::domain::action_checks::future_date("follow-up date", typed, today).unwrap();
    let when = match (d - today).num_days() {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        n => format!("in {n} days"),
    };
    format!("{} {d}, {when}", d.weekday())
}

/// A follow-up written while the workstation shows an earlier date (`:asof`, `--as-of`) is
/// scheduled from the real today: `today` and `+1d` are today's, a day before today is
/// refused as it is without `:asof` (it was described and saved for the past day: after
/// `:asof 2026-04-30`, `today` read "Thu 2026-04-30, today"). A promise's date still counts
/// from the day it is back-dated to.
#[test]
fn a_follow_up_written_at_an_earlier_date_is_scheduled_from_today() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let today = owed::cli::today();
    d.press("/ kite <Enter> f today");
    assert_valid(&d, FieldId::Date, &described(today, "today"));
    d.press("<C-u> +1d");
    assert_valid(&d, FieldId::Date, &described(today, "+1d"));
    d.press("<C-u> 2026-05-01");
    match check(&d, FieldId::Date) {
        Check::Err(e) => assert_eq!(
            e,
            format!("the follow-up date 2026-05-01 is before today ({today})")
        ),
        other => panic!("{other:?}"),
    }
    d.press("<C-u> today <Down> Call <Space> AP <Enter>");
    assert_eq!(
        status(&d),
        format!(
            "saved (dated today, not as of 2026-04-30): Follow-up 2 scheduled for K1 \
             (Kite Supplies) on {today}."
        )
    );
    d.press("p");
    d.press("<Down> <C-u> 2026-05-01");
    assert_valid(&d, FieldId::Date, "Fri 2026-05-01, tomorrow");
}

/// A field's error reads whole under it, wrapped (it was cut at the popup's width: "…not a
/// date (use YYYY-MM-DD…"), and an impossible day says why it is none.
#[test]
fn a_fields_error_reads_whole_and_an_impossible_day_says_why() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (140, 40));
    d.press("p <Down> <C-u> someday");
    match check(&d, FieldId::Date) {
        Check::Err(e) => assert_eq!(
            e,
            "the promise date `someday` is not a date (use YYYY-MM-DD, +7d, +2w or a weekday name)"
        ),
        other => panic!("{other:?}"),
    }
    let screen = d.screen();
    assert!(screen.contains("weekday name)"), "{screen}");
    assert!(!screen.contains("YYYY-MM-DD…"), "{screen}");
    d.press("<C-u> 2027-02-29");
    match check(&d, FieldId::Date) {
        Check::Err(e) => assert_eq!(
            e,
            "the promise date `2027-02-29` is not a date: 2027 has no 29 February"
        ),
        other => panic!("{other:?}"),
    }
    // Wrapped under the field, whole.
    let screen = d.screen();
    assert!(
        screen.contains("is not a date: 2027 has no 29")
            && screen.contains("│             February  "),
        "{screen}"
    );
    d.press("<C-u> 2026-04-31");
    assert!(d.screen().contains("April has 30 days"), "{}", d.screen());
}
