//! The collector queue: title, tabs with counts, column header and the rows shown.

use super::{section_title, text};
use crate::domain::Decimal;
use crate::domain::forecast::RiskLevel;
use crate::domain::money::fitted;
use crate::domain::queue::{Predicate, Scope, SortKey, Tab};
use crate::domain::queue::{PromiseFlag, QueueRow};
use crate::tui::app::{App, Focus};
use crate::tui::key_action::Action;
use crate::tui::keymap::KeyContext;
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Lines above the rows: title, tabs, column header.
pub const CHROME: u16 = 3;

const AMOUNT_W: usize = 13;
const DAYS_W: usize = 5;
const FLAGS_W: usize = 5;
const OWNER_W: usize = 10;

/// Which columns fit in a width.
struct Columns {
    name: usize,
    owner: bool,
    outstanding: bool,
    /// Contact as a date (10 columns) or as days ago (6).
    contact: usize,
}

/// The columns of a queue `width` wide: in my own queue the owner (always me) from 100
/// columns where the name keeps 20; in everyone's (`everyone`) whose customer each is matters
/// more than its outstanding (the detail beside says it): the owner wherever the name keeps 20
/// columns, the outstanding too where both fit.
fn columns(width: u16, everyone: bool) -> Columns {
    let width = usize::from(width);
    let contact = if width >= 90 { 10 } else { 6 };
    let base = 2 + 1 + AMOUNT_W + 1 + DAYS_W + 1 + contact + 1 + FLAGS_W;
    let fixed = |outstanding: bool, owner: bool| {
        base + if outstanding { AMOUNT_W + 1 } else { 0 } + if owner { OWNER_W + 1 } else { 0 }
    };
    let fits = |outstanding, owner| fixed(outstanding, owner) + 20 <= width;
    let mut outstanding = width >= 64;
    let owner = if everyone {
        fits(false, true)
    } else {
        width >= 100 && fits(outstanding, true)
    };
    if owner && !fits(outstanding, true) {
        outstanding = false;
    }
    Columns {
        name: width.saturating_sub(fixed(outstanding, owner)).max(8),
        owner,
        outstanding,
        contact,
    }
}

/// The queue's title: scope, filter, marks and position.
pub fn title(app: &App) -> String {
    fitted_title(app, usize::MAX)
}

/// The queue's title in `cols` columns: the scope, the marks and the position whole, the
/// filter cut with `…` to the room they leave (left out when not even a few letters fit).
pub fn fitted_title(app: &App, cols: usize) -> String {
    let scope = match (app.query.scope, app.page.mine_fallback) {
        (Scope::Mine, false) => format!("Queue · mine ({})", app.session.collector),
        (Scope::Mine, true) => format!(
            "Queue · everyone — {} owns no customers",
            app.session.collector
        ),
        (Scope::Everyone, _) => "Queue · everyone".to_string(),
    };
    let mut tail = String::new();
    if !app.marks.is_empty() {
        tail.push_str(&format!(" · {} marked", app.marks.len()));
    }
    if let Some(position) = position(app) {
        tail.push_str(&format!(" · {position}"));
    }
    let filter = &app.query.filter.text;
    if filter.is_empty() {
        return format!("{scope}{tail}");
    }
    let label = " · filter: ";
    let room = cols.saturating_sub(text::width(&scope) + text::width(label) + text::width(&tail));
    if room < 4 {
        return format!("{scope}{tail}");
    }
    format!("{scope}{label}{}{tail}", text::truncate(filter, room))
}

/// The selected row's place in the queue: `3 of 120`, once a page has come.
fn position(app: &App) -> Option<String> {
    (app.loaded.is_some() && app.total() > 0)
        .then(|| format!("{} of {}", app.cursor + 1, app.total()))
}

/// Draws the queue.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    // section_title's room for a title.
    let title = fitted_title(app, usize::from(area.width).saturating_sub(6));
    section_title(app, area, buf, &title);
    // The rows of the query before, while its page comes: their count is dimmed.
    let stale = app.loaded.is_some() && !app.page_is_current();
    if stale && let Some(position) = position(app) {
        let shown = text::fit_parts(&title, usize::from(area.width).saturating_sub(6));
        if shown.ends_with(&position) {
            let end = area.x + 2 + text::width(&shown) as u16;
            let w = text::width(&position) as u16;
            buf.set_style(
                Rect::new(end.saturating_sub(w), area.y, w, 1),
                app.theme.get(Role::Muted),
            );
        }
    }
    if area.height < 2 {
        return;
    }
    render_tabs(app, Rect::new(area.x, area.y + 1, area.width, 1), buf);
    if area.height < 3 {
        return;
    }
    let everyone = app.query.scope == Scope::Everyone || app.page.mine_fallback;
    let cols = columns(area.width, everyone);
    render_header(
        app,
        &cols,
        Rect::new(area.x, area.y + 2, area.width, 1),
        buf,
    );
    let body = Rect::new(area.x, area.y + 3, area.width, area.height - 3);
    if app.loaded.is_none() {
        text::put(
            buf,
            body.x + 2,
            body.y,
            "Loading…",
            app.theme.get(Role::Muted),
        );
        return;
    }
    if app.total() == 0 {
        super::empty_note(app, body, buf, &empty_queue_note(app));
        return;
    }
    let stale = !app.page_is_current();
    // A long status message takes rows from the queue until the next key: the rows move up
    // rather than hide the selected one (those shown are still in the page read).
    let scroll = app
        .scroll
        .max((app.cursor + 1).saturating_sub(u64::from(body.height)));
    for i in 0..u64::from(body.height) {
        let abs = scroll + i;
        if abs >= app.total() {
            break;
        }
        let y = body.y + i as u16;
        let line = Rect::new(body.x, y, body.width, 1);
        match app.row(abs) {
            Some(row) => render_row(app, &cols, row, line, buf, stale),
            None => {
                text::put(buf, line.x + 2, y, "…", app.theme.get(Role::Muted));
            }
        }
        if abs == app.cursor && app.focus == Focus::Queue {
            buf.set_style(line, app.theme.get(Role::Selected));
        }
    }
}

/// A tab count, shortened when `compact` from 10,000 on as the metrics bar shortens amounts:
/// rounded (16,812 is `16.8k`, not `16k`), and 999,960 is `1M`, not `1000k`.
fn count_text(n: u64, compact: bool) -> String {
    if compact && n >= 10_000 {
        crate::domain::money::compact(Decimal::from(n))
    } else {
        n.to_string()
    }
}

/// The tab labels: full titles when they fit, else short ones, else short counts too, else
/// without the padding. Every count is `…` until a page has been counted (a 0 would say the
/// tab holds no one), and the High risk count until the page was counted with the forecast
/// of its date (the page says so: a forecast the screen kept from before, of a portfolio
/// since ended, does not count).
fn tab_labels(app: &App, width: u16) -> Vec<String> {
    let counted = app.loaded.is_some();
    let pending = !app.page.risk_counted;
    let mut labels = Vec::new();
    for (short, compact, pad) in [
        (false, false, " "),
        (true, false, " "),
        (true, true, " "),
        (true, true, ""),
    ] {
        labels = Tab::ALL
            .iter()
            .map(|t| {
                let title = if short { t.short() } else { t.title() };
                let n = if !counted || (*t == Tab::HighRisk && pending) {
                    "…".to_string()
                } else {
                    count_text(app.page.counts[t.index()], compact)
                };
                format!("{pad}{title} {n}{pad}")
            })
            .collect();
        let total: usize = 1 + labels.iter().map(|l| text::width(l) + 1).sum::<usize>();
        if total <= usize::from(width) {
            break;
        }
    }
    labels
}

fn render_tabs(app: &App, area: Rect, buf: &mut Buffer) {
    let mut x = area.x + 1;
    // Saved views come after the built-in tabs: room is kept for them (a third of the line
    // at most), the built-in titles shortening first.
    let views: Vec<String> = app.views.iter().map(|v| format!(" {} ", v.name)).collect();
    let views_w: usize = if views.is_empty() {
        0
    } else {
        2 + views.iter().map(|l| text::width(l) + 1).sum::<usize>()
    };
    let reserve = views_w.min(usize::from(area.width) / 3) as u16;
    let labels = tab_labels(app, area.width.saturating_sub(reserve));
    // The counts of the query before, while its page comes, are dimmed.
    let stale = app.loaded.is_some() && !app.page_is_current();
    for (tab, label) in Tab::ALL.into_iter().zip(labels) {
        let Some(next) = super::tab(app, area, buf, x, &label, tab == app.query.tab) else {
            break;
        };
        if stale {
            let shown = label.trim_end();
            let count = shown.rsplit(' ').next().unwrap_or_default();
            let end = x + text::width(shown) as u16;
            let w = text::width(count) as u16;
            buf.set_style(
                Rect::new(end.saturating_sub(w), area.y, w, 1),
                app.theme.get(Role::Muted),
            );
        }
        x = next;
    }
    // Not even "│ +N" fits: the views are left out (`:view` lists them), not cut to "+".
    let least = 2 + text::width(&format!("+{}", views.len())) as u16;
    if views.is_empty() || x + least > area.right() {
        return;
    }
    x = text::put(buf, x, area.y, "│ ", app.theme.get(Role::Border));
    // As many views as fit, from the current one when it would not fit otherwise; `+N`
    // says how many are left out (`:view` lists them all).
    let current = app.current_view().and(app.view);
    let room = usize::from(area.right().saturating_sub(x));
    let fits = |from: usize| {
        let mut used = 0;
        let mut n = 0;
        for label in &views[from..] {
            let w = text::width(label) + 1;
            // Keep room for `+N` unless this is the last.
            let tail = if from + n + 1 < views.len() { 4 } else { 0 };
            if used + w + tail > room {
                break;
            }
            used += w;
            n += 1;
        }
        n
    };
    let mut start = 0;
    if let Some(c) = current
        && c >= fits(0)
    {
        start = c;
    }
    let mut shown = fits(start);
    for (i, label) in views.iter().enumerate().skip(start).take(shown) {
        let style = if current == Some(i) {
            app.theme.get(Role::TabActive)
        } else {
            app.theme.get(Role::Tab)
        };
        x = text::put(buf, x, area.y, label, style);
        x = text::put(buf, x, area.y, " ", Style::default());
    }
    // Not even the current view fits: it is shown cut.
    if shown == 0
        && let Some(c) = current
    {
        let label = text::truncate(&views[c], room.saturating_sub(4));
        x = text::put(buf, x, area.y, &label, app.theme.get(Role::TabActive));
        x = text::put(buf, x, area.y, " ", Style::default());
        shown = 1;
    }
    let hidden = views.len() - shown;
    if hidden > 0 {
        let left = usize::from(area.right().saturating_sub(x));
        let more = format!("+{hidden} views");
        let more = if text::width(&more) <= left {
            more
        } else {
            format!("+{hidden}")
        };
        text::put_n(buf, x, area.y, more, left, app.theme.get(Role::Muted));
    }
}

/// Whether the contact column shows the last call instead (sorted or filtered by it).
fn shows_calls(app: &App) -> bool {
    app.query.sort == SortKey::LastCall
        || app
            .query
            .filter
            .predicates
            .iter()
            .any(|p| matches!(p, Predicate::CallDays(..)))
}

fn render_header(app: &App, cols: &Columns, area: Rect, buf: &mut Buffer) {
    // In ASCII a sign that is no letter (`▼` would fall back to `v`): `-` runs from the
    // largest down, `+` from the smallest up.
    let arrow = |key: SortKey| match (app.query.sort == key, app.query.descending, app.ascii) {
        (false, ..) => "",
        (true, true, false) => "▼",
        (true, false, false) => "▲",
        (true, true, true) => "-",
        (true, false, true) => "+",
    };
    let mut h = String::from("  ");
    h.push_str(&text::fit(
        &format!("Customer{}", arrow(SortKey::Name)),
        cols.name,
    ));
    h.push(' ');
    if cols.owner {
        h.push_str(&text::fit("Owner", OWNER_W));
        h.push(' ');
    }
    h.push_str(&text::fit_right(
        &format!("Overdue{}", arrow(SortKey::Overdue)),
        AMOUNT_W,
    ));
    h.push(' ');
    h.push_str(&text::fit_right(
        &format!("Days{}", arrow(SortKey::Days)),
        DAYS_W,
    ));
    h.push(' ');
    if cols.outstanding {
        h.push_str(&text::fit_right(
            &format!("Outstanding{}", arrow(SortKey::Outstanding)),
            AMOUNT_W,
        ));
        h.push(' ');
    }
    let (contact, key) = match (shows_calls(app), cols.contact >= 10) {
        (true, true) => ("Last call", SortKey::LastCall),
        (true, false) => ("Call", SortKey::LastCall),
        (false, true) => ("Contact", SortKey::LastContact),
        (false, false) => ("Seen", SortKey::LastContact),
    };
    h.push_str(&text::fit(
        &format!("{contact}{}", arrow(key)),
        cols.contact,
    ));
    h.push(' ');
    h.push_str(&text::fit(
        &format!("Flag{}", arrow(SortKey::Risk)),
        FLAGS_W,
    ));
    let style = app.theme.get(Role::Header);
    buf.set_style(area, style);
    text::put_n(buf, area.x, area.y, h, usize::from(area.width), style);
}

/// What an empty queue says: which tab and filter match no one, and the keys that widen it —
/// Esc for a filter, and the mine/everyone key while only the collector's own customers show
/// (the customer sought may be someone else's).
fn empty_queue_note(app: &App) -> String {
    let tab = app.query.tab.title();
    let mut note = if app.query.filter.is_empty() {
        format!("No customers in {tab}.")
    } else {
        // A pasted wall of text would fill the queue: its start says which filter it is.
        format!(
            "No customers in {tab} match `{}`. Esc clears the filter.",
            text::truncate(&app.query.filter.text, 80)
        )
    };
    // Another tab of the same scope and filter that holds some, with its key.
    if app.page_is_current()
        && let Some((other, n)) = Tab::ALL
            .iter()
            .zip(app.page.counts)
            .find(|(t, n)| **t != app.query.tab && *n > 0)
        && let Some(binding) = app.keymap.first(KeyContext::Queue, Action::showing(*other))
    {
        note.push_str(&format!(
            " {} has {n}: {} shows it.",
            other.title(),
            binding.keys_named(app.ascii)
        ));
    }
    if app.query.scope == Scope::Mine
        && !app.page.mine_fallback
        && let Some(binding) = app.keymap.first(KeyContext::Queue, Action::ToggleMine)
    {
        note.push_str(&format!(
            " Only {}'s customers show: {} shows everyone's.",
            app.session.collector,
            binding.keys_named(app.ascii)
        ));
    }
    note
}

fn render_row(
    app: &App,
    cols: &Columns,
    row: &QueueRow,
    area: Rect,
    buf: &mut Buffer,
    stale: bool,
) {
    let cur = &app.session.base_currency;
    let theme = &app.theme;
    let plain = if stale {
        theme.get(Role::Muted)
    } else {
        Style::default()
    };
    let muted = theme.get(Role::Muted);
    let y = area.y;
    let mut x = area.x;
    let marked = app.marks.contains(&row.cid);
    x = text::put(
        buf,
        x,
        y,
        if marked { "• " } else { "  " },
        theme.get(Role::Marked),
    );
    x = text::put(buf, x, y, &text::fit(&row.name, cols.name), plain);
    x = text::put(buf, x, y, " ", plain);
    if cols.owner {
        let owner = row.finance_owner.as_deref().unwrap_or("—");
        x = text::put(buf, x, y, &text::fit(owner, OWNER_W), muted);
        x = text::put(buf, x, y, " ", plain);
    }
    let overdue_style = if row.overdue > Decimal::ZERO && !stale {
        theme.get(Role::Overdue)
    } else {
        plain
    };
    x = text::put(
        buf,
        x,
        y,
        &text::fit_right(&fitted(row.overdue, cur, AMOUNT_W), AMOUNT_W),
        overdue_style,
    );
    x = text::put(buf, x, y, " ", plain);
    let (days, days_style) = if row.max_days > 0 {
        (
            row.max_days.to_string(),
            theme.bucket(app.session.bounds.bucket(row.max_days)),
        )
    } else {
        ("—".to_string(), muted)
    };
    x = text::put(buf, x, y, &text::fit_right(&days, DAYS_W), days_style);
    x = text::put(buf, x, y, " ", plain);
    if cols.outstanding {
        x = text::put(
            buf,
            x,
            y,
            &text::fit_right(&fitted(row.outstanding, cur, AMOUNT_W), AMOUNT_W),
            plain,
        );
        x = text::put(buf, x, y, " ", plain);
    }
    let last = if shows_calls(app) {
        row.last_call
    } else {
        row.last_contact
    };
    let contact = match last {
        Some(d) if cols.contact >= 10 => d.to_string(),
        Some(d) => format!("{}d", (app.as_of - d).num_days()),
        None => "never".to_string(),
    };
    let contact_style = if last.is_some() { plain } else { muted };
    x = text::put(buf, x, y, &text::fit(&contact, cols.contact), contact_style);
    x = text::put(buf, x, y, " ", plain);
    for (flag, role) in flags(row) {
        x = text::put(buf, x, y, flag, theme.get(role));
    }
}

/// What each flag of a row says, in the order a row shows them, for the legend of `?`: one
/// `B` for a promise not kept by its date and grace, whether nothing or only part of it came
/// (as the Promises tab and `promise:broken` count it, and the forecast: a partly kept
/// promise is not one to rely on; `export promises` tells the two apart).
pub const FLAGS: &[(&str, Role, &str)] = &[
    ("!", Role::MetricAlert, "high risk (the forecast's)"),
    (
        "P",
        Role::FlagPromised,
        "promise due: its date has come, not yet kept (grace running)",
    ),
    (
        "p",
        Role::FlagPromised,
        "promise open: its date still ahead",
    ),
    (
        "B",
        Role::FlagBroken,
        "promise broken or only partly kept: its date and grace passed short of the amount",
    ),
    ("F", Role::FlagFollowUp, "follow-up due"),
    (
        "D",
        Role::FlagDisputed,
        "an open issue (a dispute or a deduction)",
    ),
    ("R", Role::FlagFollowUp, "unread replies"),
    (
        "?",
        Role::MetricAlert,
        "unread replies, one from an unverified sender",
    ),
];

/// The flags of a row ([`FLAGS`] says what each means): ! high risk, P promise due, p promise
/// open, B promise broken or only partly kept, F follow-up due, D open issue, R unread replies
/// (? when one is from an unverified sender).
fn flags(row: &QueueRow) -> Vec<(&'static str, Role)> {
    let mut out = Vec::new();
    if row.risk == Some(RiskLevel::High) {
        out.push(("!", Role::MetricAlert));
    }
    match row.promise {
        PromiseFlag::Due => out.push(("P", Role::FlagPromised)),
        PromiseFlag::Broken => out.push(("B", Role::FlagBroken)),
        PromiseFlag::Open => out.push(("p", Role::FlagPromised)),
        PromiseFlag::None => {}
    }
    if row.followups_due > 0 {
        out.push(("F", Role::FlagFollowUp));
    }
    if row.open_issues > 0 {
        out.push(("D", Role::FlagDisputed));
    }
    if row.unverified_replies > 0 {
        out.push(("?", Role::MetricAlert));
    } else if row.unread_replies > 0 {
        out.push(("R", Role::FlagFollowUp));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{count_text, tab_labels};
    use crate::domain::aging::AgingBounds;
    use crate::tui::app::{App, Session};
    use crate::tui::keymap::Keymap;
    use crate::tui::theme::Theme;

    /// A workstation as it opens, nothing answered yet.
    fn opening() -> App {
        let today = crate::domain::date::parse_iso("2026-04-30").unwrap();
        let session = Session {
            collector: "alice".into(),
            base_currency: "USD".into(),
            bounds: AgingBounds::default(),
            today,
        };
        let theme = Theme::builtin("default").unwrap();
        App::new(session, Keymap::builtin(), theme, today, false)
    }

    /// Before the first page is counted, no tab says it holds no one: each count is `…`, as
    /// the High risk one is until the forecast (they read `Overdue 0 All 0 …` for over a second
    /// at 100,000 customers).
    #[test]
    fn counts_not_known_yet_are_an_ellipsis_not_zero() {
        let app = opening();
        let labels = tab_labels(&app, 200);
        assert_eq!(labels.len(), crate::domain::queue::Tab::ALL.len());
        for label in &labels {
            assert!(label.trim_end().ends_with(" …"), "{labels:?}");
        }
    }

    /// Short counts are rounded as the metrics bar's amounts are, never cut down (16,812 read
    /// `16k`), and never a thousand of a unit (999,600 must not read `1000k`).
    #[test]
    fn short_counts_are_rounded() {
        for (n, short) in [
            (9_999, "9999"),
            (10_000, "10k"),
            (12_998, "13k"),
            (16_812, "16.8k"),
            (100_000, "100k"),
            (999_600, "999.6k"),
            (999_960, "1M"),
            (1_234_567, "1.2M"),
        ] {
            assert_eq!(count_text(n, true), short, "{n}");
        }
        assert_eq!(count_text(16_812, false), "16812");
        // On the tab bar of an 80-column terminal, at 100,000 customers.
        let mut app = opening();
        app.loaded = Some(crate::tui::app::PageTicket {
            seq: 1,
            generation: 0,
            offset: 0,
            limit: 0,
        });
        app.page.risk_counted = true;
        app.page.counts = [47_312, 100_000, 5_123, 1_234, 9_876, 1_014, 16_812];
        let labels = tab_labels(&app, 80).join(" ");
        assert_eq!(
            labels,
            "Overdue 47.3k All 100k P2P 5123 F-up 1234 Disp 9876 Repl 1014 Risk 16.8k"
        );
    }
}
