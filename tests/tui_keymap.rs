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

/// Each context in the states it is tried in, a line each: the section, the terminal and
/// the keys that reach it from alice's queue. `wide` is 80×24 (the chart shows), `small` the
/// smallest terminal that fits (the detail, help and the reminder's preview scroll). They
/// are a list at its first row and at another, with marks and without (`Esc` clears marks
/// when there are some), the reminder's picker, its preview of two customers and a preview
/// that scrolls.
const STATES: &str = "
    queue     wide   j j
    queue     wide   <Space>
    chart     wide   <Tab> j
    detail    small  <Enter> j j
    timeline  small  m / lumen <Enter> <Enter> <Tab>
    timeline  small  m / lumen <Enter> <Enter> <Tab> j
    engage    wide   E
    engage    wide   E j
    team      wide   M j
    send      small  r j
    send      wide   <Space> <Space> r <Enter>
    send      wide   G r <Enter> j
    confirm   wide   r <Enter> s
    help      small  ? j j
    input     wide   / acme
    input     wide   : so
    form      wide   p
";

/// [`STATES`] read: (section, terminal size, keys).
fn states() -> Vec<(KeyContext, (u16, u16), String)> {
    STATES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next().unwrap();
            let context = KeyContext::ALL
                .into_iter()
                .find(|c| c.name() == name)
                .unwrap_or_else(|| panic!("no section {name}"));
            let size = if words.next() == Some("small") {
                SMALL
            } else {
                WIDE
            };
            (context, size, words.collect::<Vec<_>>().join(" "))
        })
        .collect()
}

const WIDE: (u16, u16) = (80, 24);
const SMALL: (u16, u16) = (MIN_WIDTH, MIN_HEIGHT);

#[test]
fn every_action_does_something_exactly_in_the_sections_that_take_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let cycles = workstation::cycles(dir.path());
    let mut acted: BTreeSet<(KeyContext, String)> = BTreeSet::new();
    for (context, size, keys) in states() {
        let keys = keys.as_str();
        let config = workstation::engage_config(&cycles, 2525);
        let source =
            workstation::engage_source(&db, "alice", config, Recorder::default().factory());
        let mut d = Driver::with_engage(&db, "alice", size, source);
        d.press(keys);
        assert_eq!(d.app.key_context(), context, "after `{keys}`");
        let before = format!("{:?}", d.app);
        for action in Action::all() {
            let mut app = d.app.clone();
            let effects = update::update(&mut app, action);
            if !effects.is_empty() || format!("{app:?}") != before {
                acted.insert((context, format!("{action:?}")));
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

/// docs/workstation.md's list of the keys of the queue and the detail ("Queue and detail: `r`
/// reminder, …; queue: `*` mark the view, …") names keys the default keymap binds there: it
/// had `6` (the Replies tab) in the detail, where the tabs' keys do nothing and `?` does not
/// list them.
#[test]
fn the_guides_keys_of_the_queue_and_the_detail_are_bound_there() {
    let guide = include_str!("../docs/workstation.md").replace('\n', " ");
    let from = guide
        .find("Queue and detail: ")
        .expect("the guide lists the queue's and the detail's keys");
    let list = &guide[from + "Queue and detail: ".len()..];
    let list = &list[..list.find(". ").unwrap()];
    let (both, queue) = list.split_once("; queue: ").expect("`; queue: ` in {list}");
    let keymap = owed::tui::keymap::Keymap::builtin();
    let bound =
        |context: KeyContext, key: &str| keymap.bindings(context).any(|b| b.keys_text() == key);
    // The first key quoted in each item of the list.
    let keys = |items: &str| -> Vec<String> {
        items
            .split(", ")
            .map(|item| item.split('`').nth(1).unwrap_or_default().to_string())
            .collect()
    };
    let mut wrong = Vec::new();
    for (items, contexts) in [
        (both, &[KeyContext::Queue, KeyContext::Detail][..]),
        (queue, &[KeyContext::Queue]),
    ] {
        for key in keys(items) {
            for &context in contexts {
                if !bound(context, &key) {
                    wrong.push(format!("`{key}` in [{}]", context.name()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "not bound: {} (in: {list})",
        wrong.join(", ")
    );
}
