//! The team screen: one row per collector with `owed report team`'s figures (numbers on the
//! right, the share kept as a percentage), the totals row, and the customers nobody owns.
//! Only the rows that fit are drawn; columns that do not fit leave from the right, the least
//! needed first. Names come from the database: they are drawn through [`text::fit`] (control
//! characters visible, cut to their column).

use super::{section_title, text};
use crate::domain::Decimal;
use crate::domain::money::{fitted, grouped};
use crate::domain::team::{CollectorFigures, WINDOW_DAYS};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::workstation::TeamView;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// Lines above the collectors' rows: the title and the column header.
pub const CHROME: u16 = 2;
/// Lines below them: a rule, the totals row and the unassigned customers.
const BELOW: u16 = 3;

/// The narrowest the collector's column gets before columns are left out.
const NAME_MIN: usize = 12;

/// A column of figures: its header, width, and how it shows a row.
struct Column {
    header: &'static str,
    width: usize,
    /// Lower is kept longer when the screen is narrow.
    rank: u8,
    value: fn(&CollectorFigures, &str) -> String,
}

impl Column {
    const fn new(
        header: &'static str,
        width: usize,
        rank: u8,
        value: fn(&CollectorFigures, &str) -> String,
    ) -> Column {
        Column {
            header,
            width,
            rank,
            value,
        }
    }
}

/// Columns of the money columns.
const MONEY_W: usize = 13;

fn percent(share: Option<Decimal>) -> String {
    share.map_or("–".to_string(), |s| format!("{s:.1}%"))
}

/// Every column after the collector's, in the order shown: header, width, rank, value. At
/// 120 columns the reminders, the resolves and the money paid after a touch have left; at 80,
/// also today's touches, calls, notes, disputes and broken promises without a follow-up.
const COLUMNS: &[Column] = &[
    Column::new("Customers", 9, 0, |c, _| c.customers_assigned.to_string()),
    Column::new("Overdue #", 9, 1, |c, _| c.customers_overdue.to_string()),
    Column::new("Overdue", MONEY_W, 0, |c, cur| {
        fitted(c.overdue, cur, MONEY_W)
    }),
    Column::new("Today", 5, 3, |c, _| c.touched_today.to_string()),
    Column::new("Week", 5, 2, |c, _| c.touched_this_week.to_string()),
    Column::new("Calls", 5, 3, |c, _| c.calls.to_string()),
    Column::new("Notes", 5, 3, |c, _| c.notes.to_string()),
    Column::new("Disputes", 8, 3, |c, _| c.disputes_opened.to_string()),
    Column::new("Resolved", 8, 4, |c, _| c.disputes_resolved.to_string()),
    Column::new("Rem hand", 8, 5, |c, _| c.reminders_by_hand.to_string()),
    Column::new("Rem runs", 8, 5, |c, _| c.reminders_by_runs.to_string()),
    Column::new("Promises", 8, 1, |c, _| c.promises_taken.to_string()),
    Column::new("Kept", 6, 1, |c, _| percent(c.kept_share)),
    Column::new("Paid ≤14d", MONEY_W, 4, |c, cur| {
        fitted(c.paid_after_touch, cur, MONEY_W)
    }),
    Column::new("Broken, no f/u", 14, 2, |c, _| {
        c.broken_without_followup.to_string()
    }),
    Column::new("Replies", 7, 1, |c, _| c.replies_waiting.to_string()),
];

/// The columns that fit in `width` (with the collector's at least [`NAME_MIN`]), and the
/// collector's column's width.
fn layout(width: u16) -> (Vec<&'static Column>, usize) {
    let width = usize::from(width);
    // A space at each edge, one before each column.
    let needed = |cols: &[&Column]| 2 + cols.iter().map(|c| c.width + 1).sum::<usize>();
    let mut shown: Vec<&Column> = COLUMNS.iter().collect();
    // One column at a time, the least needed first (of those, the rightmost), so that what
    // fits stays (at 80 columns, the week's touches).
    while needed(&shown) + NAME_MIN > width {
        let Some(least) = shown
            .iter()
            .enumerate()
            .filter(|(_, c)| c.rank > 0)
            .max_by_key(|(i, c)| (c.rank, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        shown.remove(least);
    }
    let name = width
        .saturating_sub(needed(&shown))
        .max(NAME_MIN.min(width));
    (shown, name)
}

/// Rows of collectors the screen shows at once.
pub fn body_rows(app: &App) -> usize {
    let body = super::areas(app).queue;
    usize::from(body.height.saturating_sub(CHROME + BELOW))
}

/// The screen's title: the date, currency and what the activity counts over.
pub fn title(report: &TeamView) -> String {
    format!(
        "Team as of {} ({}) · week from {} · activity over the {WINDOW_DAYS} days from {}",
        report.period.as_of, report.currency, report.period.week_start, report.period.window_start
    )
}

/// One row's text: the collector's name, then each column's figure on the right.
fn row_text(c: &CollectorFigures, cur: &str, cols: &[&Column], name: usize) -> String {
    let mut line = String::from(" ");
    line.push_str(&text::fit(&c.collector, name));
    for col in cols {
        line.push(' ');
        line.push_str(&text::fit_right(&(col.value)(c, cur), col.width));
    }
    line
}

/// Draws the team screen in `area` (between the title bar and the footer).
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let Some(report) = app.team.report.as_ref() else {
        section_title(app, area, buf, "Team");
        if area.height > 1 {
            text::put(
                buf,
                area.x + 2,
                area.y + 1,
                "Counting…",
                app.theme.get(Role::Muted),
            );
        }
        return;
    };
    section_title(app, area, buf, &title(report));
    if area.height < CHROME + BELOW {
        return;
    }
    let (cols, name) = layout(area.width);
    let max = usize::from(area.width);
    let mut header = String::from(" ");
    header.push_str(&text::fit("Collector", name));
    for col in &cols {
        header.push(' ');
        header.push_str(&text::fit_right(
            &text::signs(col.header, app.ascii),
            col.width,
        ));
    }
    let header_style = app.theme.get(Role::Header);
    buf.set_style(Rect::new(area.x, area.y + 1, area.width, 1), header_style);
    text::put_n(buf, area.x, area.y + 1, &header, max, header_style);
    let rows = usize::from(area.height - CHROME - BELOW);
    let cur = report.currency.as_str();
    let normal = ratatui::style::Style::default();
    if report.collectors.is_empty() {
        text::put_n(
            buf,
            area.x + 2,
            area.y + CHROME,
            "No collectors: nobody owns a customer or recorded anything in the window.",
            max.saturating_sub(2),
            app.theme.get(Role::Muted),
        );
    }
    for (i, c) in report
        .collectors
        .iter()
        .enumerate()
        .skip(app.team.scroll)
        .take(rows)
    {
        let y = area.y + CHROME + (i - app.team.scroll) as u16;
        text::put_n(buf, area.x, y, row_text(c, cur, &cols, name), max, normal);
        if i == app.team.cursor {
            buf.set_style(
                Rect::new(area.x, y, area.width, 1),
                app.theme.get(Role::Selected),
            );
        }
    }
    let shown = report
        .collectors
        .len()
        .saturating_sub(app.team.scroll)
        .min(rows);
    let y = area.y + CHROME + shown as u16;
    let rule: String = "─".repeat(max);
    text::put(buf, area.x, y, &rule, app.theme.get(Role::Border));
    text::put_n(
        buf,
        area.x,
        y + 1,
        row_text(&report.totals, cur, &cols, name),
        max,
        app.theme.get(Role::Heading),
    );
    let u = &report.unassigned;
    let unassigned = if u.customers == 0 {
        " Every customer has a finance owner.".to_string()
    } else {
        let broken = match u.broken_without_followup {
            0 => String::new(),
            1 => ", 1 broken promise without a follow-up".to_string(),
            n => format!(", {n} broken promises without a follow-up"),
        };
        format!(
            " Unassigned: {} customer{}, {} overdue, {} {cur}{broken}",
            u.customers,
            if u.customers == 1 { "" } else { "s" },
            u.customers_overdue,
            grouped(u.overdue, cur)
        )
    };
    text::put_n(
        buf,
        area.x,
        y + 2,
        unassigned,
        max,
        app.theme.get(Role::Muted),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_leave_from_the_least_needed_and_the_name_keeps_its_room() {
        let (all, name) = layout(200);
        assert_eq!(all.len(), COLUMNS.len());
        assert!(name >= NAME_MIN, "{name}");
        // At 120 the reminders, the resolves and the money paid after a touch have left.
        let (at120, name) = layout(120);
        let left: Vec<&str> = COLUMNS
            .iter()
            .filter(|c| !at120.iter().any(|s| s.header == c.header))
            .map(|c| c.header)
            .collect();
        assert_eq!(left, ["Resolved", "Rem hand", "Rem runs", "Paid ≤14d"]);
        assert!(name >= NAME_MIN, "{name}");
        let (narrow, name) = layout(60);
        let headers: Vec<&str> = narrow.iter().map(|c| c.header).collect();
        assert!(headers.contains(&"Customers") && headers.contains(&"Overdue"));
        assert!(!headers.contains(&"Today"));
        assert!(2 + narrow.iter().map(|c| c.width + 1).sum::<usize>() + name <= 60);
        // At 80 columns, what fits once the least needed have left stays: the week's
        // touches (dropping every column of a rank at once had left them out too).
        let (at80, name) = layout(80);
        let headers: Vec<&str> = at80.iter().map(|c| c.header).collect();
        assert_eq!(
            headers,
            [
                "Customers",
                "Overdue #",
                "Overdue",
                "Week",
                "Promises",
                "Kept",
                "Replies"
            ]
        );
        assert_eq!(
            2 + at80.iter().map(|c| c.width + 1).sum::<usize>() + name,
            80
        );
    }

    #[test]
    fn a_total_too_wide_for_its_column_is_compact_rather_than_cut() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // What the money columns show.
        let fitted_w = |v, currency| fitted(v, currency, MONEY_W);
        assert_eq!(fitted_w(d("25680080.91"), "USD"), "25,680,080.91");
        assert_eq!(fitted_w(d("149784405.01"), "USD"), "149.8M");
        // Each fits its column.
        for v in ["0", "999999999.99", "149784405.01", "12345678901.5"] {
            assert!(text::width(&fitted_w(d(v), "USD")) <= MONEY_W, "{v}");
        }
    }
}
