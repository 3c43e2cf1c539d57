//! Draws the engagement screen: its title, the pane tabs with counts, and the plan, skipped,
//! held and outbox panes (the report pane is [`super::report_view`]).

use super::screen::{EngageScreen, Pane};
use super::{PlanData, report_view};
use crate::domain::money::fitted;
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::{empty_note, section_title, tab, text};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Lines above the rows: title, pane tabs, column header.
pub const CHROME: u16 = 3;

/// The screen's body: between the title bar and the footer.
pub fn body_area(app: &App) -> Rect {
    Rect::new(0, 1, app.size.0, app.size.1.saturating_sub(2))
}

/// Rows of a pane shown at once.
pub fn body_rows(app: &App) -> usize {
    usize::from(body_area(app).height.saturating_sub(CHROME))
}

/// Draws the engagement screen in `area`.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if area.height == 0 {
        return;
    }
    let s = &app.engage.screen;
    section_title(app, area, buf, &title(app));
    if area.height < 2 {
        return;
    }
    tabs(app, s, Rect::new(area.x, area.y + 1, area.width, 1), buf);
    let rest = Rect::new(
        area.x,
        area.y + 2,
        area.width,
        area.height.saturating_sub(2),
    );
    if s.pane == Pane::Report {
        report_view::render(app, rest, buf);
        return;
    }
    let Some(plan) = &s.plan else {
        let (note, role) = match (&s.plan_error, s.plan_loading) {
            (Some(e), _) => (e.clone(), Role::Error),
            (None, true) => ("Computing today's plan…".to_string(), Role::Muted),
            (None, false) => ("No plan yet: R computes it.".to_string(), Role::Muted),
        };
        let below = Rect::new(
            rest.x,
            rest.y + 1,
            rest.width,
            rest.height.saturating_sub(1),
        );
        note_lines(app, below, buf, &note, role);
        return;
    };
    match s.pane {
        Pane::Plan => plan_pane(app, s, plan, rest, buf),
        Pane::Skipped => skipped_pane(app, s, plan, rest, buf),
        Pane::Held => held_pane(app, s, plan, rest, buf),
        Pane::Outbox => outbox_pane(app, s, plan, rest, buf),
        Pane::Report => {}
    }
}

/// A note wrapped in `area`, indented by two, in `role`'s style.
fn note_lines(app: &App, area: Rect, buf: &mut Buffer, note: &str, role: Role) {
    let lines = text::wrap_lines(note, usize::from(area.width.saturating_sub(4)));
    for (y, l) in (area.y..area.bottom()).zip(&lines) {
        text::put(buf, area.x + 2, y, l, app.theme.get(role));
    }
}

/// Below an empty pane's header: why no cycle could be read, when none could, else `note`.
fn nothing_planned(app: &App, plan: &PlanData, body: Rect, buf: &mut Buffer, note: &str) {
    match &plan.cycles_error {
        Some(e) => note_lines(app, body, buf, e, Role::Error),
        None => empty_note(app, body, buf, note),
    }
}

fn title(app: &App) -> String {
    let s = &app.engage.screen;
    let mut t = format!("Engagement · as of {}", app.as_of);
    // The data changed since the plan shown was asked for: it is computed again shortly
    // (first, so that a narrow title keeps it).
    if s.stale && s.plan.is_some() && !s.plan_loading {
        t.push_str(" · out of date, updating…");
    }
    // Whose rows the plan, skipped and held panes show (the outbox and the report are
    // everyone's).
    if let Some(p) = s
        .plan
        .as_ref()
        .filter(|_| matches!(s.pane, Pane::Plan | Pane::Skipped | Pane::Held))
    {
        match &p.owner {
            Some(owner) => t.push_str(&format!(" · {owner}'s customers")),
            None => t.push_str(" · everyone's"),
        }
    }
    // First: why nothing would go out today.
    if let Some(stale) = s.plan.as_ref().and_then(|p| p.stale_ledger.as_ref()) {
        t.push_str(&format!(" · {stale}"));
    }
    if let Some(p) = s.plan.as_ref().filter(|p| p.cycles_error.is_none()) {
        t.push_str(&format!(
            " · {} cycle{}",
            p.cycles,
            if p.cycles == 1 { "" } else { "s" }
        ));
        if p.paused > 0 {
            t.push_str(&format!(" · {} paused by a promise", p.paused));
        }
    }
    if !s.marks.is_empty() {
        t.push_str(&format!(" · {} marked", s.marks.len()));
    }
    if s.plan_loading || s.report_loading {
        t.push_str(" · computing…");
    }
    t
}

fn tabs(app: &App, s: &EngageScreen, area: Rect, buf: &mut Buffer) {
    let mut x = area.x + 1;
    for pane in Pane::ALL {
        let label = match (pane, &s.plan) {
            (Pane::Report, _) | (_, None) => format!(" {} ", pane.title()),
            (Pane::Outbox, Some(p)) => {
                let open = p.outbox.iter().filter(|r| r.status != "sent").count();
                format!(" {} {open} ", pane.title())
            }
            (_, Some(_)) => format!(" {} {} ", pane.title(), s.rows(pane)),
        };
        let Some(next) = tab(app, area, buf, x, &label, pane == s.pane) else {
            break;
        };
        x = next;
    }
}

/// A column: its width and whether it is right-aligned.
struct Col(usize, bool);

/// Writes a header line and returns where the rows start.
fn header(app: &App, area: Rect, buf: &mut Buffer, cols: &[Col], names: &[&str]) -> Rect {
    let style = app.theme.get(Role::Header);
    let line = Rect::new(area.x, area.y, area.width, 1);
    buf.set_style(line, style);
    let cells: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    put_row(
        buf,
        line,
        cols,
        &cells,
        &vec![style; cells.len()],
        "  ",
        style,
    );
    Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    )
}

/// Writes the cells of one row after a two-column lead (mark or blank).
fn put_row(
    buf: &mut Buffer,
    line: Rect,
    cols: &[Col],
    cells: &[String],
    styles: &[Style],
    lead: &str,
    lead_style: Style,
) {
    let mut x = text::put(buf, line.x, line.y, lead, lead_style);
    for ((col, cell), style) in cols.iter().zip(cells).zip(styles) {
        if x >= line.right() {
            break;
        }
        let shown = if col.1 {
            text::fit_right(cell, col.0)
        } else {
            text::fit(cell, col.0)
        };
        let room = usize::from(line.right() - x);
        x = text::put_n(buf, x, line.y, text::truncate(&shown, room), room, *style);
        x = text::put(buf, x, line.y, " ", Style::default()).min(line.right());
    }
}

/// Draws the rows of a pane from its scroll position, highlighting the cursor.
fn rows<F>(app: &App, s: &EngageScreen, area: Rect, buf: &mut Buffer, total: usize, mut draw: F)
where
    F: FnMut(usize, Rect, &mut Buffer),
{
    let i = s.pane.index();
    for r in 0..usize::from(area.height) {
        let at = s.scroll[i] + r;
        if at >= total {
            break;
        }
        let line = Rect::new(area.x, area.y + r as u16, area.width, 1);
        draw(at, line, buf);
        if at == s.cursor[i] {
            buf.set_style(line, app.theme.get(Role::Selected));
        }
    }
}

fn plan_pane(app: &App, s: &EngageScreen, plan: &PlanData, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    // Below 100 columns the customer's name is worth more than the cycle's (the reminder's
    // own name says which it is) and the address: both give way.
    let wide = width >= 100;
    // Whose customer each reminder goes to, unless the plan is one owner's already; below 100
    // columns only while the customer's name keeps 24 columns (twelve wide letters).
    let without = 2 + if wide { 17 } else { 0 } + 13 + 19 + 13 + 6;
    let owners = plan.owner.is_none() && (wide || width >= without + 11 + 24);
    let fixed = without + if owners { 11 } else { 0 };
    let flex = width.saturating_sub(fixed);
    let (customer_w, to_w) = if wide {
        let c = (flex * 55 / 100).max(12);
        (c, flex.saturating_sub(c + 1))
    } else {
        (flex.max(12), 0)
    };
    let mut cols = vec![
        Col(12, false),
        Col(customer_w, false),
        Col(18, false),
        Col(12, true),
        Col(5, true),
    ];
    let mut names = vec!["Reminder", "Customer", "Documents", "Balance", "Days"];
    if owners {
        cols.insert(2, Col(10, false));
        names.insert(2, "Owner");
    }
    if wide {
        cols.insert(0, Col(16, false));
        names.insert(0, "Cycle");
        cols.push(Col(to_w, false));
        names.push("To");
    }
    let body = header(app, area, buf, &cols, &names);
    if plan.entries.is_empty() {
        nothing_planned(
            app,
            plan,
            body,
            buf,
            "Nothing to send today: no customer is due a reminder.",
        );
        return;
    }
    let base = &app.session.base_currency;
    let muted = app.theme.get(Role::Muted);
    let plain = Style::default();
    rows(app, s, body, buf, plan.entries.len(), |at, line, buf| {
        let r = &plan.entries[at];
        let docs = match r.documents.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [first, rest @ ..] => format!("{first} +{}", rest.len()),
        };
        let mut cells = vec![
            r.key.reminder.clone(),
            r.name.clone(),
            docs,
            fitted(r.balance, base, 12),
            crate::domain::aging::days_text(r.days_overdue),
        ];
        let days_style = if r.days_overdue > 0 {
            app.theme.bucket(app.session.bounds.bucket(r.days_overdue))
        } else {
            muted
        };
        let mut styles = vec![
            plain,
            plain,
            plain,
            app.theme.get(Role::Overdue),
            days_style,
        ];
        if owners {
            // (None: a customer nobody owns.)
            cells.insert(2, r.owner.clone().unwrap_or_else(|| "—".to_string()));
            styles.insert(2, muted);
        }
        if wide {
            cells.insert(0, r.key.cycle.clone());
            styles.insert(0, muted);
            cells.push(r.to.clone());
            styles.push(muted);
        }
        let marked = s.marks.contains(&r.key);
        put_row(
            buf,
            line,
            &cols,
            &cells,
            &styles,
            if marked { "• " } else { "  " },
            app.theme.get(Role::Marked),
        );
    });
}

fn skipped_pane(app: &App, s: &EngageScreen, plan: &PlanData, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    // As on the plan: below 100 columns the cycle's column gives its room to the reason.
    let wide = width >= 100;
    // The reminder's name whole when it is short ("Due in 3 days" was "Due in 3 da…").
    let reminder_w = plan
        .skipped
        .iter()
        .map(|r| text::width(&r.reminder))
        .max()
        .unwrap_or(0)
        .clamp(12, 24);
    let customer_w = if wide {
        plan.skipped
            .iter()
            .map(|r| text::width(&r.name) + text::width(&r.customer_id) + 3)
            .max()
            .unwrap_or(0)
            .clamp(28, 44)
    } else {
        28
    }
    .min(width.saturating_sub(2 + 30 + 10))
    .max(10);
    let reason_w =
        width.saturating_sub(2 + if wide { 17 } else { 0 } + reminder_w + 1 + customer_w + 1);
    let mut cols = vec![
        Col(reminder_w, false),
        Col(customer_w, false),
        Col(reason_w, false),
    ];
    let mut names = vec!["Reminder", "Customer", "Why it cannot be sent"];
    if wide {
        cols.insert(0, Col(16, false));
        names.insert(0, "Cycle");
    }
    let body = header(app, area, buf, &cols, &names);
    if plan.skipped.is_empty() {
        nothing_planned(
            app,
            plan,
            body,
            buf,
            "No customer due a reminder is without a valid email address.",
        );
        return;
    }
    // The selected row's reason whole on the pane's last lines (three at most) when its
    // column cuts it.
    let cursor = plan.skipped.get(s.cursor[s.pane.index()]);
    let why: Vec<String> = cursor
        .filter(|r| text::width(&r.reason) > reason_w && body.height >= 6)
        .map(|r| text::wrap_lines(&format!("Why: {}", r.reason), width.saturating_sub(4)))
        .unwrap_or_default()
        .into_iter()
        .take(3)
        .collect();
    let below = if why.is_empty() {
        0
    } else {
        why.len() as u16 + 1
    };
    let rows_area = Rect::new(body.x, body.y, body.width, body.height - below);
    let muted = app.theme.get(Role::Muted);
    rows(
        app,
        s,
        rows_area,
        buf,
        plan.skipped.len(),
        |at, line, buf| {
            let r = &plan.skipped[at];
            let who = text::named(&r.name, &r.customer_id, customer_w);
            let mut cells = vec![r.reminder.clone(), who, r.reason.clone()];
            let mut styles = vec![
                Style::default(),
                Style::default(),
                app.theme.get(Role::Error),
            ];
            if wide {
                cells.insert(0, r.cycle.clone());
                styles.insert(0, muted);
            }
            put_row(buf, line, &cols, &cells, &styles, "  ", Style::default());
        },
    );
    for (y, line) in (rows_area.bottom() + 1..).zip(&why) {
        text::put(buf, body.x + 2, y, line, muted);
    }
}

fn held_pane(app: &App, s: &EngageScreen, plan: &PlanData, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    let customer_w = 32.min(width.saturating_sub(2 + 22 + 10)).max(10);
    let why_w = width.saturating_sub(2 + customer_w + 1 + 11 + 11);
    let cols = [
        Col(customer_w, false),
        Col(10, false),
        Col(10, false),
        Col(why_w, false),
    ];
    let body = header(app, area, buf, &cols, &["Customer", "Until", "By", "Why"]);
    if plan.held.is_empty() {
        empty_note(
            app,
            body,
            buf,
            "Nobody is held back. h on the plan holds a customer (default a week).",
        );
        return;
    }
    let muted = app.theme.get(Role::Muted);
    rows(app, s, body, buf, plan.held.len(), |at, line, buf| {
        let h = &plan.held[at];
        let cells = [
            text::named(&h.name, &h.customer_id, customer_w),
            h.until.to_string(),
            h.collector.clone(),
            h.text.clone().unwrap_or_default(),
        ];
        let styles = [Style::default(), Style::default(), muted, muted];
        put_row(buf, line, &cols, &cells, &styles, "  ", Style::default());
    });
}

fn outbox_pane(app: &App, s: &EngageScreen, plan: &PlanData, area: Rect, buf: &mut Buffer) {
    let width = usize::from(area.width);
    // As wide as the widest id listed: `owed engage release ID` takes it whole (five columns
    // cut the demo's six-digit ids to `1210…`).
    let id_w = plan
        .outbox
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(0)
        .max(1);
    let what_w = 28.min(width.saturating_sub(60)).max(12);
    let rest = width.saturating_sub(2 + id_w + 1 + 8 + 11 + 11 + what_w + 1);
    let cols = [
        Col(id_w, true),
        Col(7, false),
        Col(10, false),
        Col(10, false),
        Col(what_w, false),
        Col(rest, false),
    ];
    let body = header(
        app,
        area,
        buf,
        &cols,
        &[
            "#",
            "Status",
            "Date",
            "Customer",
            "Cycle / reminder",
            "Subject or error",
        ],
    );
    if plan.outbox.is_empty() {
        empty_note(app, body, buf, "The outbox is empty: nothing sent yet.");
        return;
    }
    let muted = app.theme.get(Role::Muted);
    rows(app, s, body, buf, plan.outbox.len(), |at, line, buf| {
        let r = &plan.outbox[at];
        // On its run's date, sent or not (a back-dated run's pending one too).
        let date = match r.date() {
            Some(d) => d.to_string(),
            None => r.at.chars().take(10).collect(),
        };
        let (last, last_style, status_style) = match (r.problem(), r.status.as_str()) {
            (_, "sent") => (r.subject.clone(), Style::default(), muted),
            (Some(e), _) => (e, app.theme.get(Role::Error), app.theme.get(Role::Error)),
            (None, _) => (
                r.subject.clone(),
                Style::default(),
                app.theme.get(Role::Error),
            ),
        };
        let cells = [
            r.id.to_string(),
            r.status.clone(),
            date,
            r.customer_id.clone(),
            text::pair(&r.cycle, &r.reminder, what_w),
            last,
        ];
        let styles = [
            muted,
            status_style,
            muted,
            Style::default(),
            muted,
            last_style,
        ];
        put_row(buf, line, &cols, &cells, &styles, "  ", Style::default());
    });
}
