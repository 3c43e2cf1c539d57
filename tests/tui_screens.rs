//! Snapshots of the whole workstation screen on the fixture, at three terminal sizes.

mod keys;
mod snapshot;
mod workstation;

use keys::{driver, fixture};
use workstation::Driver;

/// Alice's workstation in a terminal of `size`, pressing the keys of each step and comparing
/// the screen then with the step's snapshot (the folder of its database comes with it).
fn snapshots_after(size: (u16, u16), steps: &[(&str, &str)]) -> (tempfile::TempDir, Driver) {
    let (dir, mut d) = driver("alice", size);
    snapshot::assert_steps(steps, |keys| {
        d.press(keys);
        d.screen()
    });
    (dir, d)
}

#[test]
fn main_screen_at_three_sizes() {
    let (_dir, db) = fixture();
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let d = Driver::new(&db, "alice", (w, h));
        snapshot::assert(&format!("main_{w}x{h}"), &d.screen());
    }
}

#[test]
fn detail_screen_on_a_narrow_terminal() {
    // Kite Supplies: a partly paid invoice, a credit note, a note.
    let (_dir, mut d) = snapshots_after((80, 24), &[("/ kite <Enter> <Enter>", "detail_80x24")]);
    d.press("<Esc>");
    assert!(d.screen().contains("Queue · mine (alice) · filter: kite"));
}

#[test]
fn help_filter_command_line_and_small_terminal() {
    let (_dir, mut d) = snapshots_after(
        (80, 24),
        &[
            ("?", "help_80x24"),
            ("<Esc> / acme <Space> overdue>", "filter_typing_80x24"),
            ("<Esc> : sort", "command_line_80x24"),
        ],
    );
    d.press("<Esc>");
    d.resize(50, 12);
    snapshot::assert("too_small_50x12", &d.screen());
}

/// The `?` help of alice's 80×24 workstation from its section headed `heading` to its end.
fn help_from(heading: &str) -> String {
    let (_dir, mut d) = driver("alice", (80, 24));
    d.press("?");
    let lines: Vec<String> = owed::tui::view::help::lines(&d.app, 80)
        .iter()
        .map(|l| l.to_string())
        .collect();
    let start = lines
        .iter()
        .position(|l| l == heading)
        .unwrap_or_else(|| panic!("a {heading} section"));
    lines[start..].join("\n")
}

/// `?` lists every kind of filter term the README's `/` row names (from the table beside the
/// filter's parser), not only the six it listed before.
#[test]
fn help_lists_every_kind_of_filter_term() {
    let section = help_from("Filter (/)");
    for term in [
        "acme",
        "INV-600",
        "note:approval",
        "text:\"payment run\"",
        "owner:alice",
        "currency:EUR",
        "bucket:31-60",
        "overdue>5000",
        "days>=60",
        "call>14",
        "promise:broken",
    ] {
        assert!(
            section.contains(&format!("  {term} ")),
            "{term}:\n{section}"
        );
    }
}

/// `?` explains the queue's flags, each letter a row can show: `B` is a promise broken or
/// only partly kept (the queue flagged a partly kept promise `B` while `export promises` said
/// `partially kept`, and no legend said why).
#[test]
fn help_explains_the_queue_flags() {
    let section = help_from("Queue flags");
    for (flag, says) in [
        ("!", "high risk"),
        ("P", "promise due"),
        ("p", "promise open"),
        ("B", "promise broken or only partly kept"),
        ("F", "follow-up due"),
        ("D", "open issue"),
        ("R", "unread replies"),
        ("?", "unverified sender"),
    ] {
        let line = section
            .lines()
            .find(|l| l.starts_with(&format!("  {flag} ")))
            .unwrap_or_else(|| panic!("{flag}:\n{section}"));
        assert!(line.contains(says), "{flag}: {line}");
    }
}

/// On a terminal that draws in ASCII (`LANG=C`) help names the arrows (`↓` would be drawn
/// `v`, the key that views attachments) and the sorted column carries a sign that is no
/// letter (`▼` would be drawn `v` too).
#[test]
fn an_ascii_terminal_names_the_arrow_keys_and_signs_the_sort() {
    let (_dir, mut d) = driver("alice", (80, 40));
    d.app.ascii = true;
    d.press("?");
    let lines: Vec<String> = owed::tui::view::help::lines(&d.app, 80)
        .iter()
        .map(|l| l.to_string())
        .collect();
    let help = lines.join("\n");
    for row in ["  j, Down ", "  k, Up ", "  ], Right ", "  [, Left "] {
        assert!(help.contains(row), "{row}:\n{help}");
    }
    assert!(!help.contains(['↓', '↑', '→', '←']), "{help}");
    d.press("<Esc>");
    let screen = d.screen();
    assert!(screen.contains("Overdue- "), "{screen}");
    assert!(!screen.contains('▼'), "{screen}");
    d.press("O");
    assert!(d.screen().contains("Overdue+ "), "{}", d.screen());
}

/// The title names the ledger's time zone beside the date, which is a day in it (`owed
/// config time-zone`, which only that command showed), where the title has room; the date
/// alone where it has not.
#[test]
fn the_title_names_the_ledgers_time_zone_beside_the_date() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.app.time_zone = Some("Europe/Berlin".into());
    let title = |d: &Driver| d.screen().lines().next().unwrap_or_default().to_string();
    assert!(
        title(&d).ends_with(" as of 2026-04-30 · Europe/Berlin \""),
        "{}",
        title(&d)
    );
    d.app.size = (60, 24);
    assert!(
        title(&d).ends_with(" as of 2026-04-30 · Europe/Berlin \""),
        "{}",
        title(&d)
    );
    // A longer name does not fit beside the collector there.
    d.app.time_zone = Some("America/Argentina/ComodRivadavia".into());
    let narrow = title(&d);
    assert!(narrow.ends_with(" as of 2026-04-30 \""), "{narrow}");
    assert!(narrow.contains(" owed · alice · USD "), "{narrow}");
}

/// On a terminal that draws in ASCII (`LANG=C`, over SSH or in this shell) a name is spelt in
/// ASCII before it is laid out: `ß` as `ss`, `Œ` as `OE`, `Æ` as `AE`, full-width letters and
/// digits and ligatures as the ASCII they stand for, an accent left off, and only what has no
/// ASCII spelling as `?` (one a column). Each cell was drawn alone, so they all became `?`
/// (`Stra?e ?uvre ?r?`), and a wider spelling could not fit; the columns after the name stay
/// where the header puts them.
#[test]
fn an_ascii_terminal_spells_names_in_ascii_before_laying_them_out() {
    let (_dir, db) = fixture();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE customers SET name = ?1 WHERE id = 'K6'",
            ["Straße Œuvre Ærø ＦＵＬＬ ﬁn №１ 東"],
        )
        .unwrap();
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.app.ascii = true;
    let screen = d.screen();
    // Whole in the detail's title, cut in the queue's column (`~`: a cut in ASCII).
    assert!(
        screen.contains("Customer K6 ---"),
        "the detail of K6 beside the queue:\n{screen}"
    );
    assert!(
        screen.contains("| Strasse OEuvre AEro FULL fin No1 ??  "),
        "{screen}"
    );
    let lines: Vec<&str> = screen.lines().map(|l| l.trim_matches('"')).collect();
    let row = lines
        .iter()
        .find(|l| l.starts_with("  Strasse OEuvre AEro~ "))
        .unwrap_or_else(|| panic!("the name in ASCII in the queue:\n{screen}"));
    // Its overdue amount ends where the column's header does.
    let header = lines
        .iter()
        .find(|l| l.contains("Customer ") && l.contains("Overdue"))
        .unwrap_or_else(|| panic!("the queue's header:\n{screen}"));
    let end = |line: &str, text: &str| line.find(text).map(|at| at + text.len());
    assert_eq!(
        end(row, "12,000.00"),
        end(header, "Overdue-"),
        "{header}\n{row}"
    );
    // Drawn in Unicode, the name is as it is.
    d.app.ascii = false;
    assert!(d.screen().contains("Straße Œuvre Ærø"), "{}", d.screen());
}

/// The aging with the focus on a bar, then the three charts of the seed's dashboard: net
/// overdue by bucket beside the unutilised credit; outstanding and collectable this month
/// with the unutilised credit; issues with each reason's share of their amount, and the
/// follow-ups due.
#[test]
fn chart_focus_and_the_other_charts() {
    snapshots_after(
        (120, 40),
        &[
            ("<Tab> j j", "chart_focus_120x40"),
            ("c", "chart_overdue_120x40"),
            ("c", "chart_collectable_120x40"),
            ("c", "chart_issues_120x40"),
        ],
    );
}

/// A terminal too short for the chart and 12 rows of the queue folds the chart by itself:
/// at 80×24 it left the queue 9 rows (metrics 3, chart 7) and could not be folded. `c` shows
/// it there all the same, cycles it, and after the last chart folds it again; `:chart off`
/// folds it and `:chart NAME` shows that one; the choice is kept on a taller terminal.
#[test]
fn a_short_terminal_folds_the_chart_and_c_shows_and_folds_it() {
    use owed::tui::app::{ChartFold, ChartKind, Focus, Screen};
    use owed::tui::view::{areas, queue_rows};
    let (_dir, mut d) = driver("alice", (80, 24));
    assert_eq!(areas(&d.app).chart, None);
    assert_eq!(queue_rows(&d.app), 16);
    assert!(!d.screen().contains("─ Aging"), "{}", d.screen());
    // Shown by `c`, whatever it leaves the queue.
    d.press("c");
    assert_eq!(d.app.chart_fold, ChartFold::Shown);
    assert_eq!(d.app.chart, ChartKind::Aging);
    assert_eq!(queue_rows(&d.app), 9);
    snapshot::assert("chart_shown_80x24", &d.screen());
    // Cycled to the last chart, then folded; the queue has its rows back.
    d.press("c c c c");
    assert_eq!(d.app.chart, ChartKind::Cash);
    d.press("<Tab> c");
    assert_eq!(d.app.chart_fold, ChartFold::Folded);
    assert_eq!(d.app.focus, Focus::Queue);
    assert_eq!(areas(&d.app).chart, None);
    assert_eq!(queue_rows(&d.app), 16);
    assert!(d.screen().contains("Chart folded: c shows it again."));
    // By name, and off.
    d.press(": chart <Space> issues <Enter>");
    assert_eq!(
        (d.app.chart, d.app.chart_fold),
        (ChartKind::Issues, ChartFold::Shown)
    );
    assert!(areas(&d.app).chart.is_some());
    d.press(": chart <Space> OFF <Enter>");
    assert_eq!(d.app.chart_fold, ChartFold::Folded);
    assert_eq!(areas(&d.app).chart, None);
    // Kept when the terminal grows; `Tab` shows it to take the focus.
    d.resize(120, 40);
    assert_eq!(areas(&d.app).chart, None);
    d.press("<Tab>");
    assert_eq!(d.app.focus, Focus::Chart);
    assert!(areas(&d.app).chart.is_some());
    // Below 22 rows no chart shows: the focus goes back to the queue, and `c` says so.
    d.resize(80, 20);
    assert_eq!(d.app.focus, Focus::Queue);
    d.press("c");
    assert!(
        d.screen()
            .contains("The chart needs a taller terminal: at least 22 rows."),
        "{}",
        d.screen()
    );
    // `:chart` on another screen (a customer's detail) is the main screen's chart's.
    d.resize(120, 40);
    assert!(areas(&d.app).chart.is_some());
    d.press("<Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    d.press(": chart <Space> off <Enter>");
    assert!(!d.screen().contains("taller"), "{}", d.screen());
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
    assert_eq!(areas(&d.app).chart, None);
    // By itself: shown from the height that leaves the queue 12 rows below it.
    let (_dir, mut d) = driver("alice", (80, 26));
    assert_eq!(areas(&d.app).chart, None);
    d.resize(80, 27);
    assert!(areas(&d.app).chart.is_some());
    assert_eq!(queue_rows(&d.app), 12);
}

/// While the figures load the metrics bar takes one row (`Figures loading…`), not its three:
/// at 80×25 and 80×26 the chart showed, empty (`Chart · loading…`), and folded by itself
/// when they came, the queue jumping 7 rows. The fold goes by the terminal's size alone.
#[test]
fn the_chart_does_not_show_while_the_figures_load_to_fold_when_they_come() {
    use owed::tui::view::{areas, queue_rows};
    for (h, shown) in [(25, false), (26, false), (27, true)] {
        let (_dir, mut d) = driver("alice", (80, h));
        assert_eq!(areas(&d.app).chart.is_some(), shown, "80×{h}");
        let fx = d.press_unanswered(": asof <Space> 2026-04-29 <Enter>");
        let screen = d.screen();
        assert!(screen.contains("Figures loading…"), "{screen}");
        assert_eq!(
            areas(&d.app).chart.is_some(),
            shown,
            "80×{h} loading: {screen}"
        );
        let loading = queue_rows(&d.app);
        d.run(fx);
        assert_eq!(
            areas(&d.app).chart.is_some(),
            shown,
            "80×{h}: {}",
            d.screen()
        );
        // Only the bar's own two rows move.
        assert_eq!(loading - queue_rows(&d.app), 2, "80×{h}");
    }
}

#[test]
fn everyone_in_the_all_tab_with_marks() {
    snapshots_after(
        (120, 40),
        &[("m 2 N <Space> j <Space>", "everyone_all_by_name_120x40")],
    );
}

/// Everyone's queue names each customer's owner beside the detail (the Owner column came only
/// in a queue of 100 columns, on no terminal with the detail beside it: not at 120×36 nor at
/// 160×45), the outstanding giving way where both do not fit; my own queue, all mine, does not.
#[test]
fn everyone_s_queue_shows_the_owner_beside_the_detail() {
    let (_dir, db) = fixture();
    for (w, h, outstanding) in [(120, 36, false), (160, 45, true), (80, 24, true)] {
        let mut d = Driver::new(&db, "alice", (w, h));
        assert!(!d.screen().contains("Owner"), "{w}×{h}: {}", d.screen());
        d.press("m 2");
        let screen = d.screen();
        let header = screen
            .lines()
            .find(|l| l.contains(" Flag "))
            .unwrap_or_else(|| panic!("{w}×{h}: {screen}"));
        assert!(header.contains("Owner"), "{w}×{h}: {screen}");
        assert_eq!(
            header.contains("Outstanding"),
            outstanding,
            "{w}×{h}: {screen}"
        );
        let lumen = screen
            .lines()
            .find(|l| l.contains("Lumen GmbH"))
            .unwrap_or_else(|| panic!("{w}×{h}: {screen}"));
        assert!(lumen.contains(" bob "), "{w}×{h}: {lumen}");
    }
}

/// At every width the queue's tab bar names its saved views, says how many it leaves out
/// ("+4 views", "+4"), or leaves them out altogether: it never cuts that to a bare "+" (at 100
/// columns the demo's counts left one column for it).
#[test]
fn the_views_on_the_tab_bar_are_never_cut_to_a_sign() {
    let (_dir, db) = fixture();
    let mut d = Driver::new(&db, "alice", (80, 30));
    d.app.views = owed::config::Config::default().views();
    let mut left_out = 0;
    for w in 80..=160 {
        d.resize(w, 30);
        // A portfolio's counts, as wide as the demo's.
        d.app.page.counts = [99, 312, 30, 0, 26, 0, 47];
        let screen = d.screen();
        let bar = screen
            .lines()
            .find(|l| l.contains("Overdue ") && l.contains("All "))
            .unwrap_or_else(|| panic!("no tab bar at {w}:\n{screen}"));
        let chars: Vec<char> = bar.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            if *c == '+' {
                let next = chars.get(i + 1).copied().unwrap_or(' ');
                assert!(next.is_ascii_digit(), "at {w}: {bar}");
            }
        }
        left_out += usize::from(!bar.contains('+') && !bar.contains("largest"));
    }
    assert!(left_out > 0, "no width left the views out");
}

/// The aging chart's title keeps both its figures where the whole amounts do not fit, in
/// short: the unapplied cash was left out for want of room, and shown nowhere else.
#[test]
fn the_chart_title_shortens_its_amounts_rather_than_leave_one_out() {
    let (_dir, db) = fixture();
    let title = |w| {
        let d = Driver::new(&db, "alice", (w, 30));
        let screen = d.screen();
        let line = screen.lines().find(|l| l.contains("Aging")).unwrap();
        line.trim_matches(|c| c == '"' || c == '─' || c == ' ')
            .to_string()
    };
    assert_eq!(
        title(70),
        "Aging · unutilised credit 100.00 · unapplied cash 50.00"
    );
    assert_eq!(
        title(60),
        "Aging · unutilised credit 100 · unapplied cash 50"
    );
}

/// The help lines `?` shows to `who` with `role`.
fn help_of(who: &str, role: owed::domain::users::Role) -> (tempfile::TempDir, String) {
    let (dir, db) = fixture();
    let mut d = Driver::with_role(&db, who, role, (100, 40), "default");
    d.press("?");
    let lines: Vec<String> = owed::tui::view::help::lines(&d.app, 100)
        .iter()
        .map(|l| l.to_string())
        .collect();
    (dir, lines.join("\n"))
}

/// `?` lists only what the user's role may do, as the footer offers (an auditor was shown
/// every form and `:hold`, a collector `M` and `:team`, each refused when pressed).
#[test]
fn help_lists_only_what_the_role_may_do() {
    use owed::domain::users::Role;
    let (_a, auditor) = help_of("audrey", Role::Auditor);
    for refused in [
        "Send a reminder",
        " Note\n",
        " Promise\n",
        "  :hold",
        "  :remind",
    ] {
        assert!(!auditor.contains(refused), "{refused}:\n{auditor}");
    }
    for kept in [
        "Team (managers)",
        "Team screen (managers)",
        "  :team",
        "  :sort",
    ] {
        assert!(auditor.contains(kept), "{kept}:\n{auditor}");
    }
    let (_c, collector) = help_of("alice", Role::Collector);
    // Holding customers back is a manager's, and so is the team screen, keys and all.
    for refused in [
        "Team (managers)",
        "Team screen (managers)",
        "  :team",
        "  :hold",
    ] {
        assert!(!collector.contains(refused), "{refused}:\n{collector}");
    }
    for kept in ["Send a reminder", " Note\n", "  :remind"] {
        assert!(collector.contains(kept), "{kept}:\n{collector}");
    }
    let (_m, manager) = help_of("dana", Role::Manager);
    for kept in ["Team (managers)", "  :team", "Send a reminder", "  :hold"] {
        assert!(manager.contains(kept), "{kept}:\n{manager}");
    }
}
