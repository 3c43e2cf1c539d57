//! The workstation's state after key sequences, on the fixture database (no terminal).

mod common;
mod keys;
mod workstation;

use common::status_text;
use keys::{command, driver, fixture};
use owed::domain::Decimal;
use owed::domain::queue::{Predicate, QueueQuery, Scope, SortKey, Tab};
use owed::tui::app::{Focus, Mode, Screen};
use owed::tui::theme::Role;
use owed::tui::update::Effect;
use owed::workstation::{PortfolioWorker, Request, Response};
use ratatui::style::Modifier;
use workstation::Driver;

/// The request for the first `limit` rows of `query` as of `as_of`, numbered `seq`.
fn first_page(seq: u64, as_of: owed::domain::Date, query: &QueueQuery, limit: u64) -> Request {
    Request::Page {
        seq,
        as_of,
        query: query.clone(),
        offset: 0,
        limit,
    }
}

/// The queue's sort: its key, and whether it runs from the largest.
fn sort_of(d: &Driver) -> (SortKey, bool) {
    (d.app.query.sort, d.app.query.descending)
}

/// The name of the queue's first row.
fn first_name(d: &Driver) -> Option<String> {
    d.names().into_iter().next()
}

#[test]
fn opens_on_my_overdue_customers_largest_first() {
    let (_dir, d) = driver("alice", (120, 40));
    assert_eq!(d.app.query.tab, Tab::Overdue);
    assert_eq!(d.app.query.scope, Scope::Mine);
    assert_eq!(
        d.names(),
        [
            "Acme Corp",
            "東京商事株式会社 Tokyo Trading",
            "Acme Widgets",
            "🍕 Pizza Palace",
            "Kite Supplies"
        ]
    );
    // Overdue, All, Promises due or broken, Follow-ups due, Disputes, Replies, High risk
    // (Tokyo Trading, its 5,000.00 undisputed and 105 days overdue: in default; not Moss &
    // Sons, rated high for how they pay, who owe nothing).
    assert_eq!(d.app.page.counts, [5, 8, 1, 1, 1, 0, 1]);
    assert!(!d.app.page.mine_fallback);
    let summary = d.app.summary.as_ref().unwrap();
    assert_eq!(summary.metrics.outstanding.to_string(), "26340.00");
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    // The selected customer's detail came with it (the terminal is wide).
    let detail = d.app.detail.as_ref().unwrap();
    assert_eq!(detail.detail.header.id, "K6");
}

#[test]
fn moving_marks_and_going_to_the_ends() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("j");
    assert_eq!(d.app.cursor, 1);
    d.press("G");
    assert_eq!(d.selected().as_deref(), Some("Kite Supplies"));
    d.press("g g");
    assert_eq!(d.app.cursor, 0);
    d.press("g j");
    assert_eq!(d.app.cursor, 1, "g then j moves down");
    d.press("k <Down> <Up>");
    assert_eq!(d.app.cursor, 0);
    d.press("<Space> <Space>");
    assert_eq!(d.app.marks.len(), 2, "space marks and moves down");
    assert_eq!(d.app.cursor, 2);
    d.press("k <Space>");
    assert_eq!(d.app.marks.len(), 1, "space again unmarks");
    assert_eq!(d.app.targets().len(), 1);
    d.press("<Esc>");
    assert!(d.app.marks.is_empty(), "Esc clears the marks");
    d.press("<C-d>");
    assert_eq!(d.app.cursor, 4, "half a page down stops at the last row");
}

#[test]
fn sorting_again_reverses() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("O");
    assert_eq!(sort_of(&d), (SortKey::Overdue, false));
    assert_eq!(first_name(&d).as_deref(), Some("Kite Supplies"));
    d.press("D");
    assert_eq!(sort_of(&d), (SortKey::Days, true));
    assert_eq!(first_name(&d).as_deref(), Some("🍕 Pizza Palace"));
    d.press("D");
    assert_eq!(first_name(&d).as_deref(), Some("Acme Widgets"));
    d.press("N");
    assert_eq!(first_name(&d).as_deref(), Some("Acme Corp"));
    d.press("L");
    // Never contacted first (ascending last contact), then the longest ago.
    let firsts: Vec<_> = d.app.page.rows.iter().map(|r| r.last_contact).collect();
    assert_eq!(firsts[0], None);
    assert!(firsts.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn mine_and_everyone_and_the_tabs() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("m");
    assert_eq!(d.app.query.scope, Scope::Everyone);
    // Overdue, All, Promises, Follow-ups, Disputes, Replies (Lumen's unread reply).
    assert_eq!(d.app.page.counts[..6], [7, 10, 1, 1, 1, 1]);
    d.press("2");
    assert_eq!(d.app.total(), 10);
    // A broken promise, a follow-up due yesterday, a dispute, an unread reply.
    for (tab, name) in [
        ("3", "Acme Corp"),
        ("4", "Acme Widgets"),
        ("5", "🍕 Pizza Palace"),
        ("6", "Lumen GmbH"),
        ("7", "東京商事株式会社 Tokyo Trading"),
    ] {
        d.press(tab);
        assert_eq!(d.names(), [name], "tab {tab}");
    }
    // From the last tab, `]` wraps round to the first.
    d.press("] ]");
    assert_eq!(d.app.query.tab, Tab::All);
    d.press("[ [ [ <Left>");
    assert_eq!(d.app.query.tab, Tab::Disputes);
    d.press("m");
    assert_eq!(d.app.query.scope, Scope::Mine);
    assert_eq!(d.app.page.counts, [5, 8, 1, 1, 1, 0, 1]);
}

#[test]
fn a_collector_who_owns_nobody_sees_everyone_and_is_told() {
    let (_dir, d) = driver("zoe", (120, 40));
    assert!(d.app.page.mine_fallback);
    assert_eq!(d.app.page.counts[1], 10);
    assert!(d.screen().contains("everyone — zoe owns no customers"));
}

#[test]
fn filtering_as_you_type_and_escape_restores() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ acme");
    assert_eq!(d.app.mode, Mode::Filter);
    assert_eq!(
        d.names(),
        ["Acme Corp", "Acme Widgets"],
        "the queue follows the typing"
    );
    d.press("<Space> overdue>5k <Enter>");
    assert_eq!(d.app.mode, Mode::Normal);
    assert_eq!(d.names(), ["Acme Corp"]);
    assert_eq!(d.app.query.filter.predicates.len(), 2);
    d.press("/ <C-u> owner:bob <Esc>");
    assert_eq!(
        d.app.query.filter.text, "acme overdue>5k",
        "Esc restores the filter"
    );
    d.press("<Esc>");
    assert!(
        d.app.query.filter.is_empty(),
        "Esc on the queue clears the filter"
    );
    assert_eq!(d.app.total(), 5);
    // Everyone's customers by currency, by age bucket, by owner.
    d.press("m");
    for (filter, names) in [
        ("currency:eur", &["Lumen GmbH"][..]),
        (
            "bucket:90+",
            &["東京商事株式会社 Tokyo Trading", "🍕 Pizza Palace"],
        ),
        ("owner:carol", &["Carol's Customer"]),
    ] {
        d.press(&format!("/ {filter} <Enter>"));
        assert_eq!(d.names(), names, "{filter}");
        d.press("<Esc>");
    }
}

#[test]
fn a_filter_that_matches_no_one_leaves_no_customer_in_the_detail() {
    let (_dir, mut d) = driver("alice", (120, 40));
    assert_eq!(d.app.detail.as_ref().unwrap().detail.header.id, "K6");
    d.press("/ nobody-is-called-this <Enter>");
    assert_eq!(d.app.total(), 0);
    // Acme Corp is not in the view: its detail is not shown beside it, as if selected.
    assert!(d.app.detail.is_none(), "the detail still shows a customer");
    let screen = d.screen();
    assert!(!screen.contains("Customer K6"), "{screen}");
    assert!(screen.contains("No customer selected."), "{screen}");
    // The queue says why, wrapped rather than cut, and how to look wider.
    assert!(
        screen.contains("No customers in Overdue match `nobody-is-called-this`. Esc clears")
            && screen.contains("the filter. Only alice's customers show: m shows everyone's."),
        "{screen}"
    );
    // A note, or the attachments, have no one to go to.
    for key in ["n", "v"] {
        d.press(key);
        assert_eq!(status_text(&d.app), "No customer selected.", "{key}");
    }
    // Everyone's customers: the note no longer offers them.
    d.press("m");
    let screen = d.screen();
    assert!(screen.contains("Queue · everyone · filter"), "{screen}");
    assert!(!screen.contains("shows everyone's"), "{screen}");
    d.press("m");
    // Clearing the filter brings the first customer back, with its detail.
    d.press("<Esc>");
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    assert_eq!(d.app.detail.as_ref().unwrap().detail.header.id, "K6");
}

/// Types the filter `typed` and Enter; asserts that it was refused (the field stays open, the
/// status line an error) and returns what the status line says.
#[track_caller]
fn refused_filter(d: &mut Driver, typed: &str) -> String {
    d.press(&format!("/ {typed} <Enter>"));
    assert_eq!(d.app.mode, Mode::Filter, "{typed}");
    let status = d.app.status.clone().unwrap();
    assert!(status.error, "{status:?}");
    status.text
}

#[test]
fn a_bad_filter_says_why_and_keeps_the_field_open() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let said = refused_filter(&mut d, "colour:red");
    assert!(said.contains("unknown filter"), "{said}");
    assert!(d.screen().contains("unknown filter"));
    d.press("<Esc>");
    assert_eq!(d.app.mode, Mode::Normal);
    assert!(d.app.query.filter.is_empty());

    // At 80 columns the sentence does not fit beside what was typed: it stands whole above
    // the field (it had not been shown at all: Enter seemed to do nothing).
    d.resize(80, 24);
    let said = refused_filter(&mut d, "risk>50");
    assert!(said.starts_with("unknown field `risk`"), "{said}");
    assert!(said.len() > 80, "{said}");
    let screen = d.screen();
    let lines: Vec<&str> = screen.lines().map(|l| l.trim_matches('"').trim()).collect();
    let n = lines.len();
    assert_eq!(lines[n - 1], "/risk>50", "{screen}");
    assert_eq!(lines[n - 3..n - 1].join(" "), said, "{screen}");
}

/// A mistyped `issue:` reason is refused naming the reasons, as `export queue --filter`
/// refuses it (it said "No customers in All match `issue:pricng`"); a known one in any case
/// is taken.
#[test]
fn an_unknown_issue_reason_is_refused_naming_the_known_ones() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let said = refused_filter(&mut d, "issue:pricng");
    assert!(
        said.starts_with("`pricng` is not an issue reason (try pricing, quantity, quality,"),
        "{said}"
    );
    d.press("<Esc> / issue:PRICING <Enter>");
    assert_eq!(d.app.mode, Mode::Normal);
    assert_eq!(
        d.app.query.filter.predicates,
        [Predicate::Issue("pricing".into())]
    );
}

#[test]
fn enter_on_a_chart_bar_shows_that_buckets_customers() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("<Tab>");
    assert_eq!(d.app.focus, Focus::Chart);
    d.press("j j <Enter>");
    assert_eq!(d.app.focus, Focus::Queue);
    assert_eq!(d.app.query.filter.text, "bucket:31-60");
    assert_eq!(
        d.app.query.filter.predicates,
        [Predicate::Bucket(owed::domain::queue::BucketSel::Index(2))]
    );
    assert_eq!(d.names(), ["Acme Corp"]);
    d.press("<Tab> k k <Enter>");
    assert_eq!(
        d.app.query.filter.text, "bucket:current",
        "replaces the bucket term"
    );
    assert_eq!(d.app.query.tab, Tab::All);
    assert_eq!(d.names(), ["東京商事株式会社 Tokyo Trading", "Orbit Ltd"]);
    // The charts count the customers the queue shows: everyone's issues again, then the
    // issues chart (after aging, net overdue and collectable); its first bar is a reason.
    d.press(": nofilter <Enter> c c c <Tab> k k <Enter>");
    assert_eq!(
        d.app.query.tab,
        Tab::Disputes,
        "the issues chart opens the disputes"
    );
}

/// Where `text` is on screen: its line, and whether its first cell is drawn muted.
fn drawn(d: &Driver, text: &str) -> Option<(String, bool)> {
    let buf = d.buffer();
    let area = buf.area;
    let muted = d.app.theme.get(Role::Muted).fg;
    (0..area.height).find_map(|y| {
        let cells: Vec<&str> = (0..area.width)
            .map(|x| buf.cell((x, y)).unwrap().symbol())
            .collect();
        let x = (0..cells.len()).find(|&x| cells[x..].concat().starts_with(text))?;
        let cell = buf.cell((x as u16, y)).unwrap();
        Some((cells.concat(), Some(cell.fg) == muted))
    })
}

/// A filter typed, changed or cleared: until the figures of the new filter come, the metrics
/// bar and the chart keep those they had, dimmed, instead of blanking to `Figures loading…` and
/// `Chart · loading…` for the moment each keystroke took (a flicker at every key).
#[test]
fn the_bar_and_chart_keep_their_figures_dimmed_until_a_new_filters_come() {
    let (_dir, mut d) = driver("alice", (160, 45));
    let shown = |d: &Driver| {
        let screen = d.screen();
        assert!(!screen.contains("Figures loading…"), "{screen}");
        assert!(!screen.contains("Chart · loading…"), "{screen}");
        let (bar, bar_dim) = drawn(d, "Outstanding").expect("the bar");
        let (_, chart_dim) = drawn(d, "Aging ·").expect("the chart");
        assert_eq!(bar_dim, chart_dim, "{screen}");
        (bar, bar_dim)
    };
    let (bar, dim) = shown(&d);
    assert!(!dim && !bar.contains("matching"), "{bar}");
    for (keys, before, after) in [
        // Typed: each key is a new filter.
        ("/ a", "", "matching a"),
        ("c", "matching a", "matching ac"),
        // Cleared.
        ("<Enter> <Esc>", "matching ac", ""),
    ] {
        let fx = d.press_unanswered(keys);
        let (bar, dim) = shown(&d);
        assert!(dim, "{keys}: the figures before, dimmed: {bar}");
        assert!(before.is_empty() || bar.contains(before), "{keys}: {bar}");
        d.run(fx);
        let (bar, dim) = shown(&d);
        assert!(!dim, "{keys}: the new filter's: {bar}");
        assert_eq!(bar.contains("matching"), !after.is_empty(), "{keys}: {bar}");
        assert!(bar.contains(after), "{keys}: {bar}");
    }
    // Another date's figures are never shown for the new one while it loads.
    let fx = d.press_unanswered(": asof <Space> 2026-01-31 <Enter>");
    assert!(d.screen().contains("Figures loading…"), "{}", d.screen());
    d.run(fx);
    assert!(!shown(&d).1);
}

/// Below 22 rows a chart asked for is refused, and the refusal is no choice: resized to
/// 80×24 the chart still folds by itself, leaving the queue its 16 rows.
#[test]
fn a_chart_refused_on_a_short_terminal_is_not_chosen() {
    use owed::tui::app::ChartFold;
    let (_dir, mut d) = driver("alice", (80, 21));
    for keys in ["c", "<Tab>", ": chart <Space> issues <Enter>"] {
        d.press(keys);
        assert_eq!(
            status_text(&d.app),
            "The chart needs a taller terminal: at least 22 rows.",
            "{keys}"
        );
        assert_eq!(d.app.chart_fold, ChartFold::Auto, "{keys}");
        assert_eq!(d.app.chart, owed::tui::app::ChartKind::ALL[0], "{keys}");
        assert_eq!(d.app.focus, Focus::Queue, "{keys}");
    }
    d.resize(80, 24);
    assert!(!owed::tui::view::chart_shown(&d.app), "{}", d.screen());
    assert!(!d.screen().contains("Aging ·"), "{}", d.screen());
}

/// Where `text` first is on screen, after the line `from`: its first cell.
fn cell_of(d: &Driver, text: &str, from: u16) -> Option<(u16, u16)> {
    let buf = d.buffer();
    let area = buf.area;
    (from..area.height).find_map(|y| {
        let cells: Vec<&str> = (0..area.width)
            .map(|x| buf.cell((x, y)).unwrap().symbol())
            .collect();
        let x = (0..cells.len()).find(|&x| cells[x..].concat().starts_with(text))?;
        Some((x as u16, y))
    })
}

/// In mono (`NO_COLOR`) the figures of the filter before look stale too: the bar, the chart,
/// the queue title's position and the tab counts are drawn dim until the new filter's come.
#[test]
fn stale_figures_and_counts_are_dimmed_in_mono() {
    let (_dir, db) = fixture();
    let mut d = Driver::with_theme(&db, "alice", (160, 45), "mono");
    let dim = |d: &Driver, text: &str, offset: u16| {
        let (x, y) = cell_of(d, text, 0).unwrap_or_else(|| panic!("{text}: {}", d.screen()));
        d.buffer()
            .cell((x + offset, y))
            .unwrap()
            .modifier
            .contains(Modifier::DIM)
    };
    let places = [
        ("Outstanding", 0),
        ("Aging ·", 0),
        ("1 of 5", 0),
        (" Overdue 5 ", 9),
        (" Follow-ups 1 ", 12),
    ];
    for (text, offset) in places {
        assert!(!dim(&d, text, offset), "{text}: current");
    }
    let fx = d.press_unanswered("/ a");
    for (text, offset) in places {
        assert!(dim(&d, text, offset), "{text}: the filter before's");
    }
    assert!(!dim(&d, " Overdue 5 ", 1), "the tab's title is not");
    d.run(fx);
    assert!(!dim(&d, "Outstanding", 0), "{}", d.screen());
    assert!(!dim(&d, &format!("1 of {}", d.app.total()), 0));
}

/// At 80 columns the queue's title keeps the marks and the position, and cuts a long filter
/// with `…` rather than leave them all out.
#[test]
fn the_queue_title_cuts_a_long_filter_and_keeps_the_marks_at_80_columns() {
    let (_dir, mut d) = driver("alice", (80, 24));
    d.press("/ overdue>1 <Space> days>=1 <Space> currency:USD <Space> owner:alice <Enter>");
    let total = d.app.total();
    assert!(total >= 3, "{}", d.screen());
    d.press("<Space> <Space>");
    let screen = d.screen();
    let title = common::line_where(&screen, |l| l.contains("Queue · mine (alice)"));
    let wanted = [
        "filter: overdue>1 ".to_string(),
        "… · 2 marked".to_string(),
        format!(" · 3 of {total} "),
    ];
    for part in wanted {
        assert!(title.contains(&part), "{part}: {title}");
    }
    assert!(title.contains(" ──"), "the rule after it: {title}");
}

/// The bar groups its count of customers like every other figure.
#[test]
fn the_bar_groups_the_count_of_customers() {
    let (_dir, mut d) = driver("alice", (160, 45));
    d.app.scope.as_mut().unwrap().figures.customers = 16812;
    let screen = d.screen();
    assert!(screen.contains("alice's 16,812 customers"), "{screen}");
}

#[test]
fn the_selected_bar_and_row_are_drawn_reversed_in_mono() {
    let (_dir, db) = fixture();
    let mut d = Driver::with_theme(&db, "alice", (120, 40), "mono");
    let buf = d.buffer();
    let reversed = |buf: &ratatui::buffer::Buffer, y: u16| {
        buf.cell((5, y))
            .unwrap()
            .modifier
            .contains(Modifier::REVERSED)
    };
    let row_y = (0..40u16)
        .find(|&y| {
            let line: String = (0..60u16)
                .map(|x| buf.cell((x, y)).unwrap().symbol())
                .collect();
            line.contains("Acme Corp")
        })
        .unwrap();
    assert!(reversed(&buf, row_y), "the cursor row");
    assert!(!reversed(&buf, row_y + 1));
    assert_eq!(
        d.app.theme.get(Role::Selected).add_modifier,
        Modifier::REVERSED
    );
    d.press("<Tab>");
    let buf = d.buffer();
    assert!(!reversed(&buf, row_y), "the queue lets go of the cursor");
    let bar_y = (0..40u16)
        .find(|&y| {
            buf.cell((1, y)).unwrap().symbol() == "c" && buf.cell((2, y)).unwrap().symbol() == "u"
        })
        .unwrap();
    assert!(reversed(&buf, bar_y), "the first bar is selected");
}

#[test]
fn commands() {
    let (_dir, mut d) = driver("alice", (120, 40));
    command(&mut d, "sort name");
    assert_eq!(sort_of(&d), (SortKey::Name, false));
    command(&mut d, "sort overdue asc");
    assert_eq!(sort_of(&d), (SortKey::Overdue, false));
    command(&mut d, "tab disputes");
    assert_eq!(d.app.query.tab, Tab::Disputes);
    command(&mut d, "all");
    assert_eq!(d.app.query.scope, Scope::Everyone);
    command(&mut d, "mine");
    assert_eq!(d.app.query.scope, Scope::Mine);
    command(&mut d, "filter kite");
    assert_eq!(d.app.query.filter.text, "kite");
    command(&mut d, "bogus");
    assert!(status_text(&d.app).contains("unknown command"));
    command(&mut d, "sort size");
    assert!(d.app.status.as_ref().unwrap().error);
    let fx = command(&mut d, "q");
    assert!(fx.contains(&Effect::Quit));
    assert!(d.app.quit);
}

/// Command-line slips: extra words are refused naming them (`:q now` quit), names are read
/// without regard to case as their values are, `:asof` alone asks for a date, and a bad
/// value is quoted.
#[test]
fn command_line_slips_are_refused_naming_the_word() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let fx = command(&mut d, "q now");
    assert!(!fx.contains(&Effect::Quit) && !d.app.quit);
    assert_eq!(status_text(&d.app), "`:q` takes no words: remove `now`");
    command(&mut d, "sort overdue asc extra");
    assert_eq!(
        status_text(&d.app),
        "`:sort` takes KEY [asc|desc]: remove `extra`"
    );
    assert_eq!(sort_of(&d), (SortKey::Overdue, true));
    command(&mut d, "mine x");
    assert_eq!(status_text(&d.app), "`:mine` takes no words: remove `x`");
    command(&mut d, "Sort name");
    assert_eq!(sort_of(&d), (SortKey::Name, false));
    command(&mut d, "TAB disputes");
    assert_eq!(d.app.query.tab, Tab::Disputes);
    command(&mut d, "asof");
    assert_eq!(
        status_text(&d.app),
        "`:asof` needs a date (YYYY-MM-DD, today, -7d)"
    );
    command(&mut d, "sort ovrdue");
    assert!(
        status_text(&d.app).starts_with("`ovrdue` is not a sort key (overdue, days, "),
        "{}",
        status_text(&d.app)
    );
    command(&mut d, "tab foo");
    assert!(
        status_text(&d.app).starts_with("`foo` is not a tab (overdue, all, "),
        "{}",
        status_text(&d.app)
    );
    command(&mut d, "Q");
    assert!(d.app.quit);
}

#[test]
fn as_of_an_earlier_date_recomputes_every_figure() {
    let (_dir, mut d) = driver("alice", (120, 40));
    command(&mut d, "asof 2026-03-31");
    assert_eq!(d.app.as_of.to_string(), "2026-03-31");
    assert_eq!(
        d.app.summary.as_ref().unwrap().as_of.to_string(),
        "2026-03-31"
    );
    // Kite's invoice was due that day (current), and the 40 paid on 5 April had not come yet.
    d.press("m 2 / kite <Enter>");
    let kite = d.app.page.rows[0].clone();
    assert_eq!(kite.outstanding.to_string(), "100.0000");
    assert_eq!(kite.overdue.to_string(), "0.0000");
    // Documents dated after the as-of date are not there yet (Orbit's invoice of 30 April).
    d.press("<Esc> / orbit <Enter>");
    assert_eq!(d.names(), ["Orbit Ltd"], "{:?}", d.app.status);
    assert_eq!(d.app.page.rows[0].outstanding.to_string(), "0.0000");
    assert!(d.screen().contains("as of 2026-03-31"));
    // The note of 20 April is not in the past yet.
    d.press("<Esc> / kite <Enter> <Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    assert!(d.app.detail.as_ref().unwrap().detail.activity.is_empty());
    command(&mut d, "asof 2026-02-30");
    assert!(status_text(&d.app).contains("not a date"));
}

/// `:asof -7d` in a session set to another date counted from this machine's day, not from the
/// session's: as of 31 January it went to a week before today, while the forms' `-7d` counts
/// from the session's date. Every relative form now counts from the session's date; `today`
/// goes back to this machine's day (here the driver's), and follows it again.
#[test]
fn as_of_relative_dates_count_from_the_sessions_date() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let today = d.app.session.today;
    command(&mut d, "asof 2026-01-31");
    command(&mut d, "asof -7d");
    assert_eq!(d.app.as_of.to_string(), "2026-01-24", "{:?}", d.app.status);
    assert_eq!(
        d.app.summary.as_ref().unwrap().as_of.to_string(),
        "2026-01-24"
    );
    command(&mut d, "asof +2w");
    assert_eq!(d.app.as_of.to_string(), "2026-02-07");
    command(&mut d, "asof yesterday");
    assert_eq!(d.app.as_of.to_string(), "2026-02-06");
    command(&mut d, "asof tomorrow");
    assert_eq!(d.app.as_of.to_string(), "2026-02-07");
    // The next Monday after the session's Saturday, 7 February.
    command(&mut d, "asof mon");
    assert_eq!(d.app.as_of.to_string(), "2026-02-09");
    command(&mut d, "asof today");
    assert_eq!(d.app.as_of, today);
    assert!(!d.app.as_of_given);
    // From there, `-7d` is a week before today.
    command(&mut d, "asof -7d");
    assert_eq!((today - d.app.as_of).num_days(), 7);
}

/// `:asof` takes the dates `--as-of` takes (1900-01-01 to 9000-12-31) and refuses any other in
/// the command line's words, the session keeping its date: `9999-12-31` showed documents
/// expected in `+10000-01-30`, `+2000000w` a title `as of +40357-08-19` (and `:hold +7d` wrote
/// a hold until `+40357-08-26`).
#[test]
fn as_of_refuses_a_date_owed_does_not_compute_with() {
    let (_dir, mut d) = driver("alice", (120, 40));
    for typed in [
        "9999-12-31",
        "9001-01-01",
        "0001-01-01",
        "1899-12-31",
        "+2000000w",
        "-740000d",
    ] {
        let asked = d.requests.len();
        command(&mut d, &format!("asof {typed}"));
        let said = status_text(&d.app).to_string();
        assert!(
            said.ends_with(" is outside the dates owed computes with (1900-01-01 to 9000-12-31)"),
            "{typed}: {said}"
        );
        if typed.len() == 10 {
            assert_eq!(
                said,
                owed::cli::parse_date(typed).unwrap_err(),
                "as --as-of says"
            );
        }
        assert_eq!(d.app.as_of, workstation::as_of(), "{typed}");
        assert_eq!(d.requests.len(), asked, "{typed}: nothing asked");
        assert!(d.screen().contains("as of 2026-04-30"));
    }
    // The ends are dates owed computes with.
    for end in ["1900-01-01", "9000-12-31"] {
        command(&mut d, &format!("asof {end}"));
        assert_eq!(d.app.as_of.to_string(), end, "{:?}", d.app.status);
        assert!(d.screen().contains(&format!("as of {end}")));
    }
}

/// Days since a last contact that read negative (`-309d`): a row of another date, its days
/// counted from the date on screen.
fn negative_days(screen: &str) -> Vec<String> {
    screen
        .split(|c: char| c.is_whitespace() || c == '"')
        .filter(|w| {
            w.len() > 2
                && w.starts_with('-')
                && w.ends_with('d')
                && w[1..w.len() - 1].chars().all(|c| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

/// `:asof` another date: until that date's page is in, the queue says it is loading and shows
/// nothing of the date before under the new date's title — no rows (their days since the last
/// contact, counted from the new date, read `-62d`), no tab counts, no detail — and no key
/// finds a row of the date before to act on. (At 100,000 customers the rows and counts of the
/// date before stood under the new title for a second.)
#[test]
fn a_new_date_shows_nothing_of_the_date_before_while_it_loads() {
    let (_dir, mut d) = driver("alice", (80, 24));
    let tabs = |screen: &str| {
        screen
            .lines()
            .find(|l| l.contains("Overdue ") && l.contains("All "))
            .unwrap_or_default()
            .to_string()
    };
    assert!(tabs(&d.screen()).contains("Overdue 5"), "{}", d.screen());
    for (date, title) in [("2026-01-31", "as of 2026-01-31"), ("today", "today ")] {
        let fx = d.press_unanswered(&format!(": asof <Space> {date} <Enter>"));
        let screen = d.screen();
        assert!(screen.contains(title), "{screen}");
        assert!(screen.contains("Loading…"), "{screen}");
        assert!(!screen.contains("Acme"), "{screen}");
        assert_eq!(negative_days(&screen), Vec::<String>::new(), "{screen}");
        let bar = tabs(&screen);
        assert!(bar.contains("Overdue …") && bar.contains("All …"), "{bar}");
        assert!(d.app.selected().is_none());
        assert!(d.app.page.rows.is_empty());
        // Keys that act on a row find none (`n`: a note).
        d.press_unanswered("n");
        assert_ne!(d.app.mode, Mode::Form);
        d.run(fx);
        let screen = d.screen();
        assert!(!screen.contains("Loading…"), "{screen}");
        assert_eq!(negative_days(&screen), Vec::<String>::new(), "{screen}");
        assert!(d.selected().is_some(), "{screen}");
    }
    assert!(!d.app.as_of_given);

    // Beside the queue and on the detail screen, the detail of the date before goes too.
    let (_dir, mut d) = driver("alice", (120, 40));
    for keys in ["", "<Enter>"] {
        d.press(keys);
        let name = d.app.detail.as_ref().unwrap().detail.header.name.clone();
        let fx = d.press_unanswered(": asof <Space> 2026-01-31 <Enter>");
        let screen = d.screen();
        assert!(!screen.contains(&name), "{screen}");
        assert!(!screen.contains("Aging in USD"), "{screen}");
        d.run(fx);
        let screen = d.screen();
        assert!(screen.contains("Aging in USD as of 2026-01-31"), "{screen}");
        // The detail screen stays on its customer, as of the new date.
        let shown = &d.app.detail.as_ref().unwrap().detail.header.name;
        assert_eq!(*shown == name, keys == "<Enter>", "{screen}");
        d.press(": asof <Space> today <Enter>");
    }
}

/// A session that follows today (no `--as-of`) left open overnight: at midnight the loop
/// hands it the new date, and it moves there whole (title, figures, days overdue, the dates
/// a form open across midnight reads, saves, `:asof today`). A date chosen stays. (It used
/// to keep the day it started on: a follow-up typed `today` after midnight was saved for
/// the day before.)
#[test]
fn a_session_following_today_moves_to_the_new_day_at_midnight() {
    use keys::{assert_valid, status};
    use owed::tui::field::FieldId;
    use owed::tui::update::{set_as_of, today_is};
    // Saves are stamped with the clock: the new day is today, the session opened yesterday.
    let today = owed::cli::today();
    let yesterday = today.pred_opt().unwrap();
    let tomorrow = today.succ_opt().unwrap();
    let day = |d: owed::domain::Date| d.format("%a %Y-%m-%d").to_string();
    let (_dir, mut d) = driver("alice", (120, 40));
    d.app.session.today = yesterday;
    let fx = set_as_of(&mut d.app, yesterday);
    d.run(fx);
    assert!(!d.app.as_of_given);
    assert!(d.screen().contains(&format!("today {yesterday}")));
    d.press("m 2 / kite <Enter>");
    let days_before = d.app.page.rows[0].max_days;
    d.press("f tomorrow");
    assert_valid(&d, FieldId::Date, &format!("{}, tomorrow", day(today)));

    let asked = d.requests.len();
    let fx = today_is(&mut d.app, today);
    d.run(fx);
    assert_eq!(d.app.as_of, today);
    assert!(!d.app.as_of_given, "it still follows today");
    assert!(d.requests[asked..].contains(&Request::Summary { as_of: today }));
    assert_eq!(d.app.summary.as_ref().unwrap().as_of, today);
    assert!(
        d.screen().contains(&format!("today {today}")),
        "{}",
        d.screen()
    );
    assert_eq!(
        d.app.page.rows[0].max_days,
        days_before + 1,
        "a day more overdue"
    );
    // The form open across midnight reads its dates from the new day, and saves on it.
    assert_valid(&d, FieldId::Date, &format!("{}, tomorrow", day(tomorrow)));
    d.press("<C-u> today <Enter> Call <Space> AP <Enter>");
    let said = status(&d);
    assert!(
        said.starts_with("saved: Follow-up") && said.contains(&format!("on {today}.")),
        "{said}"
    );
    // The same date again is no news.
    assert!(today_is(&mut d.app, today).is_empty());

    // A date chosen stays at midnight; `:asof today` is the new day.
    command(&mut d, "asof 2026-03-31");
    assert!(d.app.as_of_given);
    assert!(today_is(&mut d.app, tomorrow).is_empty());
    assert_eq!(d.app.as_of.to_string(), "2026-03-31");
    assert!(d.screen().contains("as of 2026-03-31"));
    command(&mut d, "asof today");
    assert_eq!(d.app.as_of, tomorrow);
    assert!(!d.app.as_of_given);
}

#[test]
fn detail_screen_below_100_columns() {
    let (_dir, mut d) = driver("alice", (80, 16));
    assert!(
        d.app.detail.is_none(),
        "no detail is loaded while none is shown"
    );
    d.press("G <Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    let detail = &d.app.detail.as_ref().unwrap().detail;
    assert_eq!(detail.header.name, "Kite Supplies");
    // The open invoice first, then the credit note; the note of 2 May is after the as-of date.
    assert_eq!(detail.documents[0].id, "A1");
    assert_eq!(detail.documents[0].balance.to_string(), "60.0000");
    assert_eq!(detail.activity.len(), 1);
    assert_eq!(
        detail.last_paid.map(|d| d.to_string()).as_deref(),
        Some("2026-04-05")
    );
    d.press("j j G");
    assert!(d.app.detail_scroll > 0);
    d.press("g g");
    assert_eq!(d.app.detail_scroll, 0);
    d.press("<Esc>");
    assert_eq!(d.app.screen, Screen::Main);
    // Resizing to a wide terminal puts the detail beside the queue.
    d.resize(130, 40);
    assert!(d.screen().contains("Customer K1"));
}

#[test]
fn the_detail_flags_disputed_and_promised_documents() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ pizza <Enter>");
    let detail = &d.app.detail.as_ref().unwrap().detail;
    assert!(detail.documents[0].disputed);
    assert_eq!(detail.activity[0].kind.label(), "issue");
    d.press("<Esc> m 2 / orbit <Enter>");
    let detail = &d.app.detail.as_ref().unwrap().detail;
    assert!(!detail.documents[0].disputed);
    assert_eq!(
        d.app.page.rows[0].promise,
        owed::store::queue::PromiseFlag::Open
    );
    d.press("<Esc> / lumen <Enter>");
    let kinds: Vec<&str> = d
        .app
        .detail
        .as_ref()
        .unwrap()
        .detail
        .activity
        .iter()
        .map(|a| a.kind.label())
        .collect();
    assert_eq!(kinds, ["reply", "reminder"], "newest first");
}

/// The record of the timeline entry `Tab` selects.
fn tabbed_record(d: &mut Driver) -> Option<owed::domain::customer::EntryRecord> {
    d.press("<Tab>");
    let i = d.app.timeline?;
    d.app.detail.as_ref()?.detail.activity[i].record
}

#[test]
fn enter_from_the_follow_ups_tab_lands_on_the_follow_up_that_is_due() {
    use owed::domain::customer::EntryRecord;
    let (dir, db) = fixture();
    // Dale's follow-up for 29 April (due, what puts it in the tab), then one for the 14th of
    // May recorded after it (not due): the newer is not what the collector came for.
    let mut store = owed::store::Store::open_existing(&db).unwrap();
    let mut stamp = workstation::stamp_by("2026-04-29");
    // Written on the fixture's day: a follow-up is dated from the day it is written.
    stamp.at = "2026-04-29T12:00:00Z".into();
    owed::actions::followup(&mut store, &stamp, "K7", "2026-05-14", "Not due yet").unwrap();
    drop(store);
    let mut d = Driver::new(&db, "alice", (120, 40));
    d.press("4");
    assert_eq!(d.app.total(), 1);
    d.press("<Enter>");
    let record = tabbed_record(&mut d);
    assert!(
        matches!(record, Some(EntryRecord::FollowUp { id: 1, .. })),
        "{record:?}"
    );
    d.press("d");
    let form = d.app.form.as_ref().expect("the follow-up's form");
    assert_eq!(
        form.record.as_ref().map(|(r, _)| r.id()),
        Some(1),
        "{:?}",
        form.record
    );
    drop(dir);
}

#[test]
fn help_lists_every_bound_key_and_closes() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("?");
    assert_eq!(d.app.mode, Mode::Help);
    let text: String = help_lines(&d)
        .iter()
        .map(|l| l.to_string() + "\n")
        .collect();
    for b in d.app.keymap.bindings(owed::tui::keymap::KeyContext::Queue) {
        assert!(text.contains(&b.desc), "{} in help", b.desc);
        assert!(text.contains(&b.keys_text()), "{} in help", b.keys_text());
    }
    assert_eq!(first_heading(&d), "Queue");
    d.press("G");
    assert!(d.app.help_scroll > 0);
    d.press("<Esc>");
    assert_eq!(d.app.mode, Mode::Normal);
    assert_eq!(d.press("<C-l>"), vec![Effect::Clear]);
}

/// The help popup's lines at the driver's terminal size.
fn help_lines(d: &Driver) -> Vec<ratatui::text::Line<'static>> {
    let screen = ratatui::layout::Rect::new(0, 0, d.app.size.0, d.app.size.1);
    owed::tui::view::help::lines(&d.app, owed::tui::view::help::text_width(screen))
}

/// The first line of the help popup: the heading of the keys it lists first.
fn first_heading(d: &Driver) -> String {
    help_lines(d)[0].to_string()
}

/// In an 80-column terminal the help is cut nowhere: a description too long for its line
/// goes on under itself, and every command's is there whole.
#[test]
fn help_wraps_what_is_too_long_for_a_narrow_terminal() {
    let (_dir, mut d) = driver("alice", (80, 24));
    d.press("?");
    let screen = ratatui::layout::Rect::new(0, 0, 80, 24);
    let width = owed::tui::view::help::text_width(screen);
    assert_eq!(width, 72);
    let lines: Vec<String> = help_lines(&d).iter().map(|l| l.to_string()).collect();
    for line in &lines {
        assert!(
            owed::tui::view::text::width(line) <= width,
            "cut at {width}: {line:?}"
        );
    }
    // Joined again, each description reads whole: `:tab`'s lists every tab, `:export`'s says
    // what it exports from each screen.
    let joined = lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains(":tab NAME overdue, all, promises, followups, disputes, replies, risk"),
        "{joined}"
    );
    assert!(
        joined.contains(
            "on the engagement screen: the plan) to FILE: xlsx, or csv; into a folder as \
             VIEW-DATE.xlsx (over SSH: in your folder of the server's files folder)"
        ),
        "{joined}"
    );
    let tab = lines
        .iter()
        .position(|l| l.starts_with("  :tab NAME"))
        .unwrap();
    assert!(
        lines[tab + 1].starts_with(&" ".repeat(23)),
        "continued under the description: {:?}",
        &lines[tab..tab + 2]
    );
    // The last line can be scrolled to.
    d.press("G");
    assert_eq!(
        usize::from(d.app.help_scroll),
        lines.len() - usize::from(owed::tui::view::help::rows(screen))
    );
}

#[test]
fn help_opens_at_the_keys_of_the_screen_it_was_asked_on() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("<Enter>");
    assert_eq!(d.app.screen, Screen::Detail);
    d.press("?");
    assert_eq!(first_heading(&d), "Customer detail");
    let lines = help_lines(&d);
    let queue_headings = lines.iter().filter(|l| l.to_string() == "Queue").count();
    assert_eq!(
        queue_headings, 1,
        "every context once, the queue further down"
    );
    d.press("<Esc>");
    assert_eq!(d.app.mode, Mode::Normal);
    assert_eq!(d.app.screen, Screen::Detail);
    d.press("<Esc>");
    d.press("?");
    assert_eq!(first_heading(&d), "Queue");
}

#[test]
fn another_collectors_commit_is_picked_up() {
    let (_dir, db) = fixture();
    let mut source = PortfolioWorker::open(&db, workstation::settings()).unwrap();
    let as_of = workstation::as_of();
    let query = owed::domain::queue::QueueQuery::new("alice");
    let page = Request::Page {
        seq: 7,
        as_of,
        query: query.clone(),
        offset: 0,
        limit: 20,
    };
    // A page asked before any figures brings the figures with it.
    let answers = source.handle_batch(vec![page]);
    assert!(matches!(answers[0], Response::Summary(_)), "{answers:?}");
    assert!(matches!(answers[1], Response::Page { seq: 7, .. }));
    // Then the page's scope figures, then the DSO (the slow one) after both.
    assert!(matches!(answers[2], Response::Scope(_)), "{answers:?}");
    assert!(
        matches!(answers[3], Response::Dso { dso: Some(_), .. }),
        "the DSO comes after the page: {answers:?}"
    );
    assert!(source.poll_changes().is_empty(), "nothing changed");
    // Someone else resolves the pizza dispute.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "INSERT INTO issue_events (issue_id, at, collector, kind, event_date)
         VALUES (1, '2026-04-29T10:00:00Z', 'bob', 'resolve', ?1)",
        [owed::domain::date::day_number(
            owed::domain::date::parse_iso("2026-04-29").unwrap(),
        )],
    )
    .unwrap();
    let answers = source.poll_changes();
    let page = answers
        .iter()
        .find_map(|a| match a {
            Response::Page { seq, page } => Some((*seq, page.clone())),
            _ => None,
        })
        .expect("the last page is answered again");
    assert_eq!(page.0, 7);
    assert_eq!(page.1.counts[4], 0, "no dispute left");
    assert!(
        answers
            .iter()
            .any(|a| matches!(a, Response::Summary(s) if s.metrics.open_issue_amount.is_zero()))
    );
}

#[test]
fn keys_are_ignored_while_typing_except_enter_and_escape() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("/ q G");
    assert_eq!(d.app.mode, Mode::Filter);
    assert_eq!(d.app.input.value(), "qG");
    assert!(!d.app.quit);
}

#[test]
fn narrowing_the_terminal_then_opening_the_detail() {
    let (_dir, mut d) = driver("alice", (100, 30));
    d.press("j / kite <Enter>");
    d.resize(80, 24);
    d.press("<Enter>");
    assert!(d.screen().contains("Customer K1"));
}

#[test]
fn a_frame_smaller_than_the_last_resize_event_draws_without_panicking() {
    // The terminal shrank and its resize event is still queued: the frame is what counts.
    let (_dir, db) = fixture();
    for screen in ["", "<Enter>", "?", "<Tab>"] {
        let mut d = Driver::new(&db, "alice", (200, 60));
        d.press(screen);
        for (w, h) in [(80, 24), (60, 16), (40, 10), (1, 1)] {
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
            terminal.draw(|f| owed::tui::view::draw(f, &d.app)).unwrap();
        }
    }
}

#[test]
fn an_empty_database_opens_and_every_key_works() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    owed::store::Store::open_or_create(&db).unwrap();
    let mut d = Driver::new(&db, "alice", (120, 40));
    assert_eq!(d.app.total(), 0);
    d.press("j k G g g <C-d> <Space> <Enter> O D N / x <Enter> <Esc> m 2 3 4 5 <Tab> j <Enter> c ? <Esc>");
    let screen = d.screen();
    assert!(screen.contains("No customers in"), "{screen}");
    assert!(screen.contains("Queue · everyone"), "{screen}");
    d.press("m");
    assert!(d.screen().contains("everyone — alice owns no customers"));
}

#[test]
fn a_short_page_is_not_asked_for_again() {
    // The data changed between the count and the page: fewer rows came back than counted.
    let (_dir, mut d) = driver("alice", (120, 40));
    let key = crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('O'),
        crossterm::event::KeyModifiers::SHIFT,
    );
    let fx = owed::tui::update::key(&mut d.app, key);
    let seq = fx
        .iter()
        .find_map(|e| match e {
            Effect::Request(Request::Page { seq, .. }) => Some(*seq),
            _ => None,
        })
        .expect("a sort asks for a page");
    let mut page = d.app.page.clone();
    page.offset = 0;
    page.rows.clear();
    page.total = 500;
    page.counts[0] = 500;
    let fx = owed::tui::update::response(&mut d.app, Response::Page { seq, page });
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Request(Request::Page { .. }))),
        "{fx:?}"
    );
    assert!(d.screen().contains("…"), "rows not there are drawn as …");
}

#[test]
fn the_first_page_from_the_figures_is_the_page_sql_gives() {
    let (_dir, db) = fixture();
    let as_of = workstation::as_of();
    let mut quick_ones = 0;
    for collector in ["alice", "carol", "zoe"] {
        for scope in [Scope::Mine, Scope::Everyone] {
            for tab in Tab::ALL {
                for sort in SortKey::ALL {
                    for descending in [true, false] {
                        let mut query = QueueQuery::new(collector);
                        (query.scope, query.tab, query.sort, query.descending) =
                            (scope, tab, sort, descending);
                        let page = |seq| first_page(seq, as_of, &query, 3);
                        let mut source =
                            PortfolioWorker::open(&db, workstation::settings()).unwrap();
                        let answers =
                            source.handle_batch_now(vec![Request::Summary { as_of }, page(1)]);
                        let first = answers.iter().find_map(|a| match a {
                            Response::Page { seq: 1, page } => Some(page.clone()),
                            _ => None,
                        });
                        let sql = source.handle(page(2)).into_iter().find_map(|a| match a {
                            Response::Page { seq: 2, page } => Some(page),
                            _ => None,
                        });
                        let what = format!("{collector} {scope:?} {tab:?} {sort:?} {descending}");
                        assert_eq!(first, sql, "{what}");
                        quick_ones += usize::from(source.rebuilds.first_page_from_figures);
                    }
                }
            }
        }
    }
    // Every unfiltered first page but by name, by risk and of the High risk tab.
    assert_eq!(quick_ones, 3 * 2 * 6 * 5 * 2, "answered from the figures");
}

/// The title bar's text, and the colours of the cell where `text` starts in it.
fn title_with(d: &Driver, text: &str) -> (String, Option<Colours>) {
    let buffer = d.buffer();
    let title: String = (0..buffer.area.width)
        .map(|x| buffer[(x, 0)].symbol().to_string())
        .collect();
    let style = title.find(text).map(|byte| {
        let x = title[..byte].chars().count() as u16;
        let cell = &buffer[(x, 0)];
        (cell.fg, cell.bg)
    });
    (title, style)
}

type Colours = (ratatui::style::Color, ratatui::style::Color);

/// A theme role's colours as a cell shows them.
fn colours(d: &Driver, role: Role) -> Colours {
    let style = d.app.theme.get(role);
    let reset = ratatui::style::Color::Reset;
    (style.fg.unwrap_or(reset), style.bg.unwrap_or(reset))
}

/// The fixture's exports imported again, by another process, at `time` on the fixture's date
/// in this machine's time zone (so that the title's day and time do not depend on the zone);
/// the workstation then picks the change up. The title's words for that time.
fn imported_again_at(dir: &tempfile::TempDir, d: &mut Driver, time: &str) -> String {
    use chrono::TimeZone;
    let local = chrono::NaiveDateTime::parse_from_str(
        &format!("{} {time}", workstation::AS_OF),
        "%Y-%m-%d %H:%M",
    )
    .unwrap();
    let at = chrono::Local
        .from_local_datetime(&local)
        .earliest()
        .unwrap()
        .with_timezone(&chrono::Utc);
    let mut other = owed::store::Store::open_existing(&dir.path().join("owed.db")).unwrap();
    let options = owed::import::ImportOptions::by("carol", at, "USD");
    owed::import::import_paths(&mut other, &[dir.path().join("csv")], &options).unwrap();
    for answer in d.source.poll_changes() {
        let fx = owed::tui::update::response(&mut d.app, answer);
        d.run(fx);
    }
    format!("ledger imported {time} ")
}

#[test]
fn the_title_says_how_fresh_the_ledger_is_beside_the_date_shown() {
    let (dir, mut d) = driver("alice", (120, 40));
    // The fixture's day is today here (the ledger was imported on it).
    let today = owed::domain::date::parse_iso(workstation::AS_OF).unwrap();
    let fx = owed::tui::update::today_is(&mut d.app, today);
    d.run(fx);
    command(&mut d, &format!("asof {today}"));
    assert!(!d.app.as_of_given, "today's date is not a date chosen");
    // Imported today: at what time.
    let words = imported_again_at(&dir, &mut d, "09:00");
    let (title, style) = title_with(&d, &words);
    assert!(style.is_some(), "{title}");
    assert_eq!(style, Some(colours(&d, Role::Title)), "fresh: plain");
    // Looking at a later date, the ledger is a day behind, then stale.
    command(&mut d, "asof 2026-05-01");
    let (title, style) = title_with(&d, "ledger imported 2026-04-30");
    assert_eq!(style, Some(colours(&d, Role::Title)), "{title}");
    command(&mut d, "asof 2026-05-05");
    let (title, style) = title_with(&d, "ledger imported 2026-04-30");
    assert_eq!(
        style,
        Some(colours(&d, Role::TitleAsOf)),
        "stale, in the title's attention style: {title}"
    );
    // Looking back before the import, the ledger holds all of it: nothing said.
    command(&mut d, "asof 2026-04-01");
    let (title, _) = title_with(&d, "ledger");
    assert!(!title.contains("ledger"), "{title}");
    // A stale ledger is said on a narrow terminal too; a fresh one only where there is room.
    command(&mut d, "asof 2026-05-05");
    d.resize(80, 24);
    assert!(title_with(&d, "ledger imported").1.is_some());
    command(&mut d, &format!("asof {today}"));
    assert!(title_with(&d, "ledger").1.is_none());
}

#[test]
fn another_processs_import_moves_the_ledger_time_in_the_title() {
    let (dir, mut d) = driver("alice", (120, 40));
    // The fixture's day is today here (the ledger was imported on it).
    let fx = owed::tui::update::today_is(&mut d.app, workstation::as_of());
    d.run(fx);
    command(&mut d, &format!("asof {}", workstation::AS_OF));
    let first = imported_again_at(&dir, &mut d, "08:15");
    assert!(title_with(&d, &first).1.is_some());
    let later = imported_again_at(&dir, &mut d, "15:30");
    let (title, style) = title_with(&d, &later);
    assert!(style.is_some(), "{title}");
}

/// Tab on the `:` line completes a command, then its value; when several fit, the footer
/// lists them until the next key. In the filter Tab is not offered.
#[test]
fn tab_completes_commands_and_their_values() {
    let (_dir, mut d) = driver("alice", (80, 24));
    d.press(": so <Tab>");
    assert_eq!(d.app.input.value(), "sort ");
    d.press("da <Tab>");
    assert_eq!(d.app.input.value(), "sort days ");
    d.press("<Enter>");
    assert_eq!(d.app.mode, Mode::Normal);
    assert_eq!(d.app.query.sort, SortKey::Days);
    // Several fit: they show where the key hints were, and go with the next key.
    // Whether the footer (the screen's last row) shows `text`.
    let footer_shows = |d: &Driver, text: &str| {
        let footer = d.screen().lines().last().unwrap_or_default().to_string();
        (footer.contains(text), footer)
    };
    d.press(":");
    let (shown, footer) = footer_shows(&d, "Tab Complete a command");
    assert!(shown, "{footer}");
    d.press("re <Tab>");
    assert_eq!(d.app.input.value(), "re");
    let (shown, footer) = footer_shows(&d, "reload · report · remind · redraw");
    assert!(shown, "{footer}");
    d.press("l <Tab>");
    assert_eq!(d.app.input.value(), "reload");
    let (shown, footer) = footer_shows(&d, "report");
    assert!(!shown, "{footer}");
    d.press("<Esc> / ac");
    let (shown, footer) = footer_shows(&d, "Tab");
    assert!(!shown, "{footer}");
    let (shown, footer) = footer_shows(&d, "Enter Apply");
    assert!(shown, "{footer}");
}

#[test]
fn an_empty_tab_names_another_that_holds_the_filters_customers() {
    let (_dir, mut d) = driver("alice", (120, 40));
    // Zephyr Labs owes nothing overdue: the Overdue tab is empty, All holds it.
    d.press("/ zephyr <Enter>");
    assert_eq!(d.app.total(), 0);
    let screen = d.screen();
    assert!(
        screen.contains("No customers in Overdue match `zephyr`. Esc clears the filter. All")
            && screen.contains("has 1: 2 shows it."),
        "{screen}"
    );
    // The key it names shows it.
    d.press("2");
    assert_eq!(d.selected().as_deref(), Some("Zephyr Labs"));
    // No tab holds a name no one has: nothing is offered.
    d.press("<Esc> / nobody-is-called-this <Enter>");
    assert!(!d.screen().contains("shows it."), "{}", d.screen());
    // A pasted wall of text is echoed by its start, not over the whole queue.
    let wall = "x".repeat(400);
    command(&mut d, &format!("filter {wall}"));
    assert_eq!(d.app.query.filter.text, wall);
    let screen = d.screen();
    let echoed = screen.matches('x').count();
    assert!(
        screen.contains("No customers in All match") && echoed < 200,
        "{echoed} x shown:\n{screen}"
    );
    // The line takes at most 500 characters: a pasted page would requery at every letter.
    d.press("<Esc> /");
    d.press(&"y".repeat(600));
    assert_eq!(
        d.app.input.value(),
        "y".repeat(owed::tui::update::LINE_MAX_CHARS)
    );
    assert_eq!(
        d.app.status.as_ref().map(|s| s.text.as_str()),
        Some("at most 500 characters on this line")
    );
    assert!(d.screen().contains("at most 500 characters on this line"));
    // Deleting still works at the limit.
    d.press("<Backspace>");
    assert_eq!(d.app.input.value().len(), 499);
}

/// `/`, some typing, `Esc`: the queue is as it was before `/`, the same customer selected —
/// whatever the typing matched meanwhile (something, or nothing).
#[test]
fn a_filter_given_up_with_esc_leaves_the_selection_where_it_was() {
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("2 j j");
    let before = d.selected();
    assert!(before.is_some());
    for typed in ["acme", "nothing-matches-this"] {
        d.press(&format!("/ {typed} <Esc>"));
        assert_eq!(d.app.mode, Mode::Normal);
        assert_eq!(d.selected(), before, "after /{typed} Esc");
    }
}

/// Alice disputes `amount` of K1 for `reason` through `owed dispute`, as of the fixture's date.
fn dispute_on_k1(dir: &std::path::Path, db: &std::path::Path, reason: &str, amount: &str) {
    let args = [
        "--as",
        "alice",
        "--as-of",
        workstation::AS_OF,
        "dispute",
        "K1",
        "--reason",
        reason,
        "--amount",
        amount,
    ];
    common::succeeded(&common::owed_db(dir, db, &args));
}

/// Alice's workstation on `db` showing the issues chart.
fn issues_chart(db: &std::path::Path) -> Driver {
    let mut d = Driver::new(db, "alice", (120, 40));
    command(&mut d, "chart issues");
    d
}

/// The issues chart's bars and shares follow the money: the fixture's pricing issue of 800.00
/// and a quality issue of 200.00, one each, are 80% and 20% of the open issues' 1,000.00,
/// their bars four to one. Each showed `· 1 · 33%`, a share of the count (the follow-up
/// counted in) beside an amount, with bars of one length. The follow-ups due are counted
/// without a bar.
#[test]
fn the_issues_charts_bars_and_shares_are_of_the_money() {
    let (dir, db) = fixture();
    dispute_on_k1(dir.path(), &db, "quality", "200");
    let d = issues_chart(&db);
    let (title, bars) = owed::tui::view::chart::bars(&d.app, 200);
    assert_eq!(
        title,
        "Issues and follow-ups · 2 issues 1,000.00 · 1 follow-up due"
    );
    let shown: Vec<(&str, Decimal, &str)> = bars
        .iter()
        .map(|b| (b.label.as_str(), b.value, b.note.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("pricing", Decimal::from(800), "800.00 · 1 issue · 80%"),
            ("quality", Decimal::from(200), "200.00 · 1 issue · 20%"),
            ("follow-ups", Decimal::ZERO, "1 due"),
        ]
    );
    let screen = d.screen();
    assert!(screen.contains("800.00 · 1 issue · 80%"), "{screen}");
}

/// More issue reasons than the chart has rows: the smallest are one row, "2 more", so that
/// the rows add up to the title's issues (two reasons were left out without a word), and
/// Enter on it lists every customer with an open issue.
#[test]
fn the_issues_chart_gathers_the_reasons_that_do_not_fit() {
    let (dir, db) = fixture();
    // Every reason a default config knows: seven, the chart's rows five.
    let reasons = owed::config::Config::default().dispute_reasons;
    assert_eq!(reasons.len(), 7);
    for (i, reason) in reasons.iter().enumerate() {
        dispute_on_k1(dir.path(), &db, reason, &format!("{}", 70 - 10 * i));
    }
    let d = issues_chart(&db);
    let rows = owed::tui::view::chart::issue_rows(&d.app);
    use owed::tui::view::chart::IssueRow;
    let counted: u64 = rows
        .iter()
        .map(|r| match r {
            IssueRow::Reason(_, n, _) | IssueRow::More(_, n, _) => *n,
            IssueRow::FollowUps(_) => 0,
        })
        .sum();
    // The fixture's own 800.00 issue and the seven above.
    assert_eq!(counted, 8, "{rows:?}");
    assert!(
        matches!(rows[rows.len() - 2], IssueRow::More(3, 3, _)),
        "{rows:?}"
    );
    assert!(d.screen().contains("Issues and follow-ups · 8 issues"));
    assert!(d.screen().contains("3 more"), "{}", d.screen());
}

#[test]
fn keys_pressed_before_the_filters_page_comes_wait_for_its_row() {
    // Typed faster than the queue answers: the rows of the query before are still on screen
    // (Acme Corp first) when Enter and `n` are pressed, the page of `acme widgets` on its way.
    let (_dir, mut d) = driver("alice", (120, 40));
    assert_eq!(d.selected().as_deref(), Some("Acme Corp"));
    let fx = d.press_unanswered("/ acme <Space> widgets <Enter> n hello");
    assert!(d.app.awaiting_page());
    assert_ne!(status_text(&d.app), "No customer selected.");
    assert!(
        d.app.form.is_none(),
        "a form opened on the row of the query before"
    );
    // The page comes: the note opens on its row, and what was typed after `n` is its text.
    d.run(fx);
    assert!(d.app.typeahead.is_empty());
    assert_eq!(d.selected().as_deref(), Some("Acme Widgets"));
    let form = d.app.form.as_ref().expect("the note's form");
    assert!(form.target.starts_with("Acme Widgets ("), "{}", form.target);
    assert!(
        form.fields.iter().any(|f| f.value() == "hello"),
        "{:?}",
        form.fields.iter().map(|f| f.value()).collect::<Vec<_>>()
    );
}

#[test]
fn keys_that_waited_for_a_page_that_failed_are_dropped_under_its_error() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let _ = d.press_unanswered("/ acme <Space> widgets <Enter> n hello");
    assert!(d.app.awaiting_page());
    let fx = owed::tui::update::response(&mut d.app, Response::Error("disk I/O error".into()));
    d.run(fx);
    assert!(d.app.typeahead.is_empty());
    assert!(d.app.form.is_none());
    assert_eq!(status_text(&d.app), "database: disk I/O error");
    // The next key is not held behind them: `R` reads the queue again, and `n` opens.
    d.press("R n");
    let form = d.app.form.as_ref().expect("the note's form");
    assert!(form.target.starts_with("Acme Widgets ("), "{}", form.target);
}

#[test]
fn keys_typed_on_a_detail_still_loading_wait_for_it() {
    // `j` asks for the next customer's detail, `Enter` opens it before it came: `Tab` acted on
    // the timeline of the customer shown before. K1 has notes on its timeline.
    let (_dir, mut d) = driver("alice", (120, 40));
    d.press("m");
    let at = d.app.page.rows.iter().position(|r| r.id == "K1").unwrap();
    assert!(at > 0);
    assert_ne!(d.app.detail.as_ref().unwrap().detail.header.id, "K1");
    let fx = d.press_unanswered(&format!("{} <Enter> <Tab>", "j ".repeat(at)));
    assert_eq!(d.app.screen, Screen::Detail);
    assert!(d.app.awaiting_detail());
    assert!(
        d.app.timeline.is_none(),
        "Tab selected an entry of the detail before"
    );
    assert_eq!(d.app.typeahead.len(), 1);
    d.run(fx);
    assert!(d.app.typeahead.is_empty());
    let detail = &d.app.detail.as_ref().unwrap().detail;
    assert_eq!(detail.header.id, "K1");
    let entry = d.app.timeline.expect("Tab, once the detail came");
    assert!(entry < detail.activity.len());
}

#[test]
fn a_key_refused_among_those_that_waited_drops_the_keys_typed_after_it() {
    // alice, a collector, types a note for carol's customer at once: `n` is refused, and `D`
    // (sort by days) and `2` (the All tab), typed as the note's text, are not run as commands.
    let (_dir, db) = fixture();
    let mut d = Driver::with_role(
        &db,
        "alice",
        owed::domain::users::Role::Collector,
        (120, 40),
        "default",
    );
    d.press("m");
    let (sort, tab) = (sort_of(&d), d.app.query.tab);
    let fx = d.press_unanswered("/ carol's <Enter> n D2");
    assert_eq!(d.app.typeahead.len(), 3, "n, D and 2 wait for the page");
    d.run(fx);
    assert!(d.app.typeahead.is_empty());
    assert_eq!(d.selected().as_deref(), Some("Carol's Customer"));
    let status = status_text(&d.app);
    assert!(
        status.contains("may not write")
            && status.ends_with("(2 keys typed after it were not run)"),
        "{status}"
    );
    assert_eq!((sort_of(&d), d.app.query.tab), (sort, tab));
    assert!(d.app.form.is_none());
}

/// Customer `id` given to bob as its finance owner by another program (`owed assign`), and
/// the workstation told of it when `told`.
fn assigned_to_bob(dir: &tempfile::TempDir, d: &mut Driver, id: &str, told: bool) {
    let mut other = owed::store::Store::open_existing(&dir.path().join("owed.db")).unwrap();
    let stamp = workstation::stamp_by("dana");
    owed::actions::assign(
        &mut other,
        &stamp,
        id,
        owed::domain::action_checks::OwnerRole::Finance,
        "bob",
    )
    .unwrap();
    if told {
        for answer in d.source.poll_changes() {
            let fx = owed::tui::update::response(&mut d.app, answer);
            d.run(fx);
        }
    }
}

/// A customer before the selected one assigned away in another session: the selection and
/// the detail stay on the customer selected (they moved on to the next customer, the row's
/// index kept, and the next `n` acted on it); the selected one assigned away: the row that
/// took its place is selected, and the status line says so.
#[test]
fn the_selection_stays_on_its_customer_when_the_page_is_answered_again() {
    let (dir, mut d) = driver("alice", (120, 40));
    d.press("j j");
    assert_eq!(d.selected().as_deref(), Some("Acme Widgets"));
    assigned_to_bob(&dir, &mut d, "K6", true);
    assert_eq!(d.app.page.total, 4, "Acme Corp left alice's queue");
    assert_eq!(d.selected().as_deref(), Some("Acme Widgets"));
    assert_eq!(d.app.cursor, 1);
    assert!(d.screen().contains("2 of 4"), "{}", d.screen());
    assert_eq!(d.app.detail.as_ref().unwrap().detail.header.id, "K7");
    assert_eq!(status_text(&d.app), "", "nothing to say");
    d.press("n");
    assert_eq!(d.app.form.as_ref().unwrap().target, "Acme Widgets (K7)");
    d.press("<Esc>");
    // The customer selected leaves: the one that took its place is selected, and said.
    assigned_to_bob(&dir, &mut d, "K7", true);
    assert_eq!(d.selected().as_deref(), Some("🍕 Pizza Palace"));
    assert_eq!(
        status_text(&d.app),
        "Acme Widgets (K7) is no longer in this view."
    );
    assert_eq!(d.app.detail.as_ref().unwrap().detail.header.id, "K5");
}

/// A key typed for the selected customer while `R` reads the page again acts on that
/// customer wherever the page now has it, and is dropped, said, when it has left the view
/// (with the keys typed after it): never on the customer that took its place.
#[test]
fn a_key_typed_while_the_page_is_read_again_acts_on_the_customer_it_was_typed_for() {
    let (dir, mut d) = driver("alice", (120, 40));
    d.press("j j");
    assigned_to_bob(&dir, &mut d, "K6", false);
    let fx = d.press_unanswered("R n");
    assert!(d.app.form.is_none(), "n waits for the page");
    d.run(fx);
    assert_eq!(d.app.form.as_ref().unwrap().target, "Acme Widgets (K7)");
    d.press("<Esc>");
    assert_eq!(d.selected().as_deref(), Some("Acme Widgets"));
    assigned_to_bob(&dir, &mut d, "K7", false);
    let fx = d.press_unanswered("R n j");
    d.run(fx);
    assert!(
        d.app.form.is_none(),
        "{:?}",
        d.app.form.as_ref().map(|f| &f.target)
    );
    assert_eq!(
        status_text(&d.app),
        "Acme Widgets (K7) is no longer in this view: the key typed for it was not run \
         (1 key typed after it was not run)."
    );
    assert_eq!(d.selected().as_deref(), Some("🍕 Pizza Palace"));
    assert_eq!(d.app.cursor, 1);
}

/// A save that moves its customer up the queue's order (a note, sorted by the last contact,
/// newest first): the cursor moves on to the customer that was after it, not to the one after
/// its new place, nor to the one the row's index now holds.
#[test]
fn a_save_that_re_ranks_its_customer_moves_on_to_the_customer_after_it() {
    let (_dir, mut d) = driver("alice", (120, 40));
    let today = owed::cli::today();
    let fx = owed::tui::update::set_as_of(&mut d.app, today);
    d.run(fx);
    d.press("2");
    command(&mut d, "sort contact desc");
    let before = d.names();
    d.press("j j");
    let saved_on = d.selected().unwrap();
    let after = before[3].clone();
    d.press("n Left <Space> a <Space> message <Enter>");
    assert_eq!(d.names()[0], saved_on, "the note put it first");
    assert_eq!(d.selected(), Some(after.clone()));
    assert!(
        status_text(&d.app).contains(&format!(" · next: {after} (")),
        "{}",
        status_text(&d.app)
    );
}
