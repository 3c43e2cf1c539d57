//! The keymap's sections and the dispatch agree: every action is run in every context, in
//! states where it has something to act on, and it does something exactly where
//! [`Action::contexts`] says it acts (the table the keymap refuses entries by).

mod workstation;

use owed::tui::key_action::Action;
use owed::tui::keymap::KeyContext;
use owed::tui::update;
use owed::tui::view::{MIN_HEIGHT, MIN_WIDTH};
use std::collections::BTreeSet;
use workstation::{Driver, Recorder};

/// Each context in the states it is tried in, reached by keys from alice's queue at 80×24
/// (the chart shows) or on the smallest terminal that fits (the detail, help and the
/// reminder's preview scroll):
/// a list at its first row and at another, with marks and without (`Esc` clears marks when
/// there are some), the reminder's picker, its preview of two customers and a preview that scrolls.
const STATES: &[(KeyContext, &str, (u16, u16))] = &[
    (KeyContext::Queue, "j j", WIDE),
    (KeyContext::Queue, "<Space>", WIDE),
    (KeyContext::Chart, "<Tab> j", WIDE),
    (KeyContext::Detail, "<Enter> j j", SMALL),
    (
        KeyContext::Timeline,
        "m / lumen <Enter> <Enter> <Tab>",
        SMALL,
    ),
    (
        KeyContext::Timeline,
        "m / lumen <Enter> <Enter> <Tab> j",
        SMALL,
    ),
    (KeyContext::Engage, "E", WIDE),
    (KeyContext::Engage, "E j", WIDE),
    (KeyContext::Team, "M j", WIDE),
    (KeyContext::Send, "r j", SMALL),
    (KeyContext::Send, "<Space> <Space> r <Enter>", WIDE),
    (KeyContext::Send, "G r <Enter> j", WIDE),
    (KeyContext::Confirm, "r <Enter> s", WIDE),
    (KeyContext::Help, "? j j", SMALL),
    (KeyContext::Input, "/ acme", WIDE),
    (KeyContext::Input, ": so", WIDE),
    (KeyContext::Form, "p", WIDE),
];

const WIDE: (u16, u16) = (80, 24);
const SMALL: (u16, u16) = (MIN_WIDTH, MIN_HEIGHT);

#[test]
fn every_action_does_something_exactly_in_the_sections_that_take_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let cycles = workstation::cycles(dir.path());
    let mut acted: BTreeSet<(KeyContext, String)> = BTreeSet::new();
    for (context, keys, size) in STATES {
        let config = workstation::engage_config(&cycles, 2525);
        let source =
            workstation::engage_source(&db, "alice", config, Recorder::default().factory());
        let mut d = Driver::with_engage(&db, "alice", *size, source);
        d.press(keys);
        assert_eq!(d.app.key_context(), *context, "after `{keys}`");
        let before = format!("{:?}", d.app);
        for action in Action::all() {
            let mut app = d.app.clone();
            let effects = update::update(&mut app, action);
            if !effects.is_empty() || format!("{app:?}") != before {
                acted.insert((*context, format!("{action:?}")));
            }
        }
    }
    let mut wrong = Vec::new();
    for context in KeyContext::ALL {
        for action in Action::all() {
            let did = acted.contains(&(context, format!("{action:?}")));
            let listed = action.contexts().contains(&context);
            if did != listed {
                wrong.push(format!(
                    "{action:?} in [{}]: {}",
                    context.name(),
                    if did {
                        "acts, not listed"
                    } else {
                        "listed, did nothing"
                    }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
