//! Snapshots of the whole workstation screen on the fixture, at three terminal sizes.

mod snapshot;
mod workstation;

use workstation::Driver;

#[test]
fn main_screen_at_three_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let d = Driver::new(&db, "alice", (w, h));
        snapshot::assert(&format!("main_{w}x{h}"), &d.screen());
    }
}

#[test]
fn detail_screen_on_a_narrow_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::new(&db, "alice", (80, 24));
    // Kite Supplies: a partly paid invoice, a credit note, a note.
    d.press("/ kite <Enter> <Enter>");
    snapshot::assert("detail_80x24", &d.screen());
    d.press("<Esc>");
    assert!(d.screen().contains("Queue · mine (alice) · filter: kite"));
}

#[test]
fn help_filter_command_line_and_small_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::new(&db, "alice", (80, 24));
    d.press("?");
    snapshot::assert("help_80x24", &d.screen());
    d.press("<Esc> / acme <Space> overdue>");
    snapshot::assert("filter_typing_80x24", &d.screen());
    d.press("<Esc> :");
    d.press("sort");
    snapshot::assert("command_line_80x24", &d.screen());
    d.press("<Esc>");
    d.resize(50, 12);
    snapshot::assert("too_small_50x12", &d.screen());
}

/// The aging with the focus on a bar, then the three charts of the seed's dashboard: net
/// overdue by bucket beside the unutilised credit; outstanding and collectable this month
/// with the unutilised credit; issues and follow-ups with each one's share.
#[test]
fn chart_focus_and_the_other_charts() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("<Tab> j j");
    snapshot::assert("chart_focus_120x40", &d.screen());
    d.press("c");
    snapshot::assert("chart_overdue_120x40", &d.screen());
    d.press("c");
    snapshot::assert("chart_collectable_120x40", &d.screen());
    d.press("c");
    snapshot::assert("chart_issues_120x40", &d.screen());
}

#[test]
fn everyone_in_the_all_tab_with_marks() {
    let dir = tempfile::tempdir().unwrap();
    let db = workstation::build(dir.path());
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("m 2 N <Space> j <Space>");
    snapshot::assert("everyone_all_by_name_120x40", &d.screen());
}
