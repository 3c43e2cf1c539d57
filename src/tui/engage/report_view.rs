//! Draws the engagement report pane: per cycle and reminder, the reminders sent, replied to
//! within 7 days, followed by a promise within 7 days, paid within 14 days, and the amount
//! collected on their documents since; then the last 13 weeks of emails sent and replies
//! received as a bar chart.

use crate::domain::Decimal;
use crate::domain::money::grouped;
use crate::engage::report::{EngagementReport, ReminderStats};
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::tui::view::text;
use chrono::Datelike;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Widget};

const COUNT_W: usize = 13;
const AMOUNT_W: usize = 14;

/// Draws the report in `area` (below the pane tabs).
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let s = &app.engage.screen;
    let Some(report) = &s.report else {
        let (note, role) = match (&s.report_error, s.report_loading) {
            (Some(e), _) => (e.clone(), Role::Error),
            (None, true) => ("Computing the engagement report…".to_string(), Role::Muted),
            (None, false) => ("No report yet: R computes it.".to_string(), Role::Muted),
        };
        if area.height > 1 {
            text::put_n(
                buf,
                area.x + 2,
                area.y + 1,
                note,
                usize::from(area.width.saturating_sub(4)),
                app.theme.get(role),
            );
        }
        return;
    };
    let table = table_lines(app, report, usize::from(area.width.saturating_sub(2)));
    // The table scrolls (j/k) when it does not fit beside the chart.
    let chart_h: u16 = if area.height >= 24 { 12 } else { 0 };
    let table_room = area.height.saturating_sub(chart_h);
    let scroll = s.cursor[super::screen::Pane::Report.index()]
        .min(table.len().saturating_sub(usize::from(table_room)));
    for (i, line) in table
        .iter()
        .skip(scroll)
        .take(usize::from(table_room))
        .enumerate()
    {
        text::put_line(
            buf,
            area.x + 1,
            area.y + i as u16,
            line,
            area.width.saturating_sub(2),
        );
    }
    if chart_h > 0 {
        let chart = Rect::new(
            area.x + 1,
            area.bottom() - chart_h,
            area.width.saturating_sub(2),
            chart_h,
        );
        weeks(app, report, chart, buf);
    }
}

fn rate(n: u64, of: u64) -> String {
    if of == 0 {
        return n.to_string();
    }
    format!("{n} ({}%)", (n * 100 + of / 2) / of)
}

fn row(
    app: &App,
    r: &ReminderStats,
    name: String,
    name_w: usize,
    currency: &str,
    style: Style,
) -> Line<'static> {
    let muted = app.theme.get(Role::Muted);
    let count = |n: u64, of: u64| {
        Span::styled(
            text::fit_right(&rate(n, of), COUNT_W),
            if n == 0 { muted } else { style },
        )
    };
    Line::from(vec![
        Span::styled(text::fit(&name, name_w), style),
        Span::styled(text::fit_right(&r.sent.to_string(), 6), style),
        count(r.replied, r.sent),
        count(r.promised, r.sent),
        count(r.paid, r.sent),
        Span::styled(
            text::fit_right(&amount(r.collected, currency), AMOUNT_W),
            if r.collected.is_zero() { muted } else { style },
        ),
    ])
}

fn amount(v: Decimal, currency: &str) -> String {
    grouped(v, currency)
}

/// The table: a header, one line per cycle and reminder, the total, a note on the rules.
fn table_lines(app: &App, report: &EngagementReport, width: usize) -> Vec<Line<'static>> {
    let header = app.theme.get(Role::Header);
    let heading = app.theme.get(Role::Heading);
    let muted = app.theme.get(Role::Muted);
    let name_w = width
        .saturating_sub(6 + 3 * COUNT_W + AMOUNT_W)
        .clamp(12, 48);
    let mut out = vec![Line::styled(
        format!(
            "{}{:>6}{:>COUNT_W$}{:>COUNT_W$}{:>COUNT_W$}{:>AMOUNT_W$}",
            text::fit("Cycle / reminder", name_w),
            "Sent",
            "Replied ≤7d",
            "Promised ≤7d",
            "Paid ≤14d",
            format!("Collected {}", report.currency),
        ),
        header,
    )];
    if report.reminders.is_empty() {
        out.push(Line::styled(
            format!("No reminder sent by {}.", report.as_of),
            muted,
        ));
    }
    for r in &report.reminders {
        out.push(row(
            app,
            r,
            format!("{} / {}", r.cycle, r.reminder),
            name_w,
            &report.currency,
            Style::default(),
        ));
    }
    if report.reminders.len() > 1 || report.reminders.is_empty() {
        out.push(row(
            app,
            &report.total,
            "Total".to_string(),
            name_w,
            &report.currency,
            heading,
        ));
    }
    out.push(Line::default());
    let note = "Replied, promised: within 7 days of the send date; paid: every document \
                settled within 14 days; collected: applied to the reminder's documents since \
                it was sent.";
    for piece in text::wrap(note, width) {
        out.push(Line::styled(piece, muted));
    }
    out
}

/// The weekly series as grouped bars: emails sent and replies, Monday to Sunday.
fn weeks(app: &App, report: &EngagementReport, area: Rect, buf: &mut Buffer) {
    if area.height < 4 || report.weeks.is_empty() {
        return;
    }
    let sent_style = app.theme.get(Role::Heading);
    let reply_style = app.theme.get(Role::FlagPromised);
    let sent: i64 = report.weeks.iter().map(|w| w.emails_sent).sum();
    let replies: i64 = report.weeks.iter().map(|w| w.replies).sum();
    let title = Line::from(vec![
        Span::styled(
            format!("{} weeks to {} · ", report.weeks.len(), report.as_of),
            app.theme.get(Role::MetricLabel),
        ),
        Span::styled(format!("■ {sent} emails sent"), sent_style),
        Span::raw("  "),
        Span::styled(format!("■ {replies} replies"), reply_style),
    ]);
    text::put_line(buf, area.x, area.y, &title, area.width);
    let groups = report.weeks.len() as u16;
    let wide = area.width >= groups * 7 + 2;
    let bar_width = if wide { 3 } else { 2 };
    let data: Vec<BarGroup<'static>> = report
        .weeks
        .iter()
        .map(|w| {
            let label = if wide {
                format!("{:02}-{:02}", w.week_start.month(), w.week_start.day())
            } else {
                format!("{:02}", w.week_start.day())
            };
            BarGroup::with_label(
                label,
                vec![
                    Bar::new(w.emails_sent.max(0).unsigned_abs())
                        .style(sent_style)
                        .value_style(sent_style.reversed()),
                    Bar::new(w.replies.max(0).unsigned_abs())
                        .style(reply_style)
                        .value_style(reply_style.reversed()),
                ],
            )
        })
        .collect();
    let chart_area = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    let mut chart = BarChart::grouped(data)
        .bar_width(bar_width)
        .bar_gap(0)
        .group_gap(1)
        .label_style(app.theme.get(Role::Muted));
    let top = report
        .weeks
        .iter()
        .map(|w| w.emails_sent.max(w.replies))
        .max()
        .unwrap_or(0);
    if top <= 0 {
        chart = chart.max(1);
    }
    chart.render(chart_area, buf);
}
