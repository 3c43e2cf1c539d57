//! Draws the engagement report pane: per cycle and reminder, the reminders sent, replied to
//! within 7 days, followed by a promise within 7 days, paid within 14 days, and the amount
//! collected on their documents since; per cycle, the last 13 weeks of reminders sent as a
//! sparkline with their replied, promised and paid; then those 13 weeks as a bar chart of
//! reminders sent (emails and texts) and how many were replied to, promised and paid.

use crate::domain::Decimal;
use crate::domain::money::fitted;
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
    let rows = Rect::new(area.x + 1, area.y, area.width.saturating_sub(2), table_room);
    text::put_lines(buf, rows, &table, scroll);
    // What does not fit is said on the last line, not cut without a word.
    let below = table.len().saturating_sub(scroll + usize::from(table_room));
    if below > 0 && table_room > 1 {
        // The note takes the last row: its line is below too.
        let below = below + 1;
        let note = format!("… {below} more lines below: j scrolls");
        let line = Line::styled(
            text::fit(&note, usize::from(rows.width)),
            app.theme.get(Role::Muted),
        );
        text::put_line(buf, rows.x, rows.bottom() - 1, &line, rows.width);
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
        Span::styled(text::fit_right(&format!(" {}", r.sent), 7), style),
        count(r.replied, r.sent),
        count(r.promised, r.sent),
        count(r.paid, r.sent),
        Span::styled(
            text::fit_right(&amount(r.collected, currency), AMOUNT_W),
            if r.collected.is_zero() { muted } else { style },
        ),
    ])
}

/// An amount in its column with a space before it: to the cent while it fits, else compact
/// (`176.2M`; the 100,000-customer demo's collections ran into the column before).
fn amount(v: Decimal, currency: &str) -> String {
    fitted(v, currency, AMOUNT_W - 1)
}

/// A count column's header, in ASCII `<=` for `≤` ([`text::signs`]), closer to its word when
/// it would otherwise touch the column before.
fn count_head(app: &App, label: &str) -> String {
    let head = text::signs(label, app.ascii);
    match text::width(&head) < COUNT_W {
        true => head,
        false => head.replace(" <=", "<="),
    }
}

/// The table: a header, one line per cycle and reminder, the total, a note on the rules.
fn table_lines(app: &App, report: &EngagementReport, width: usize) -> Vec<Line<'static>> {
    let header = app.theme.get(Role::Header);
    let heading = app.theme.get(Role::Heading);
    let muted = app.theme.get(Role::Muted);
    let name_w = width
        .saturating_sub(7 + 3 * COUNT_W + AMOUNT_W)
        .clamp(12, 48);
    let mut out = vec![Line::styled(
        format!(
            "{}{:>7}{:>COUNT_W$}{:>COUNT_W$}{:>COUNT_W$}{:>AMOUNT_W$}",
            text::fit("Cycle / reminder", name_w),
            "Sent",
            count_head(app, "Replied ≤7d"),
            count_head(app, "Promised ≤7d"),
            count_head(app, "Paid ≤14d"),
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
            text::pair(&r.cycle, &r.reminder, name_w),
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
    // The cycles that sent the most first: on a short screen the main one is not the one
    // below the fold.
    let mut cycles: Vec<(&str, u64)> = Vec::new();
    for w in &report.cycle_weeks {
        match cycles.iter_mut().find(|(c, _)| *c == w.cycle) {
            Some((_, sent)) => *sent += w.sent,
            None => cycles.push((w.cycle.as_str(), w.sent)),
        }
    }
    cycles.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let cycles: Vec<&str> = cycles.into_iter().map(|(c, _)| c).collect();
    if !cycles.is_empty() {
        out.push(Line::default());
        out.push(Line::styled(
            format!(
                "{}{:>15} {:>6}{:>9}{:>9}{:>6}",
                text::fit("Cycle, last 13 weeks", name_w),
                "sent per week",
                "Sent",
                "Replied",
                "Promised",
                "Paid"
            ),
            header,
        ));
    }
    for cycle in cycles {
        let of = || report.cycle_weeks.iter().filter(move |w| w.cycle == cycle);
        let sum = |f: fn(&crate::engage::report::CycleWeek) -> u64| of().map(f).sum::<u64>();
        let counts: Vec<u64> = report
            .weeks
            .iter()
            .map(|wk| {
                of().find(|w| w.week_start == wk.week_start)
                    .map_or(0, |w| w.sent)
            })
            .collect();
        out.push(Line::from(vec![
            Span::styled(text::fit(cycle, name_w), Style::default()),
            Span::styled(format!("{:>15}", sparkline(&counts)), heading),
            Span::raw(format!(
                " {:>6}{:>9}{:>9}{:>6}",
                sum(|w| w.sent),
                sum(|w| w.replied),
                sum(|w| w.promised),
                sum(|w| w.paid)
            )),
        ]));
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

/// Weekly counts as a line of block characters, the highest week a full block.
fn sparkline(counts: &[u64]) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let top = counts.iter().copied().max().unwrap_or(0).max(1);
    counts
        .iter()
        .map(|&n| {
            if n == 0 {
                ' '
            } else {
                BLOCKS[usize::try_from((n * 7).div_ceil(top)).unwrap_or(7).min(7)]
            }
        })
        .collect()
}

/// The weekly series as grouped bars, Monday to Sunday: reminders sent (emails and texts),
/// and of them replied to, promised and paid (all cycles).
fn weeks(app: &App, report: &EngagementReport, area: Rect, buf: &mut Buffer) {
    if area.height < 4 || report.weeks.is_empty() {
        return;
    }
    let sent_style = app.theme.get(Role::Heading);
    let reply_style = app.theme.get(Role::FlagPromised);
    let promise_style = app.theme.get(Role::MetricLabel);
    let paid_style = app.theme.get(Role::Muted);
    // Per week: sent, replied, promised, paid.
    let series: Vec<[u64; 4]> = report
        .weeks
        .iter()
        .map(|wk| {
            let mut v = [0u64; 4];
            for w in report
                .cycle_weeks
                .iter()
                .filter(|w| w.week_start == wk.week_start)
            {
                v[0] += w.sent;
                v[1] += w.replied;
                v[2] += w.promised;
                v[3] += w.paid;
            }
            v
        })
        .collect();
    let total = |i: usize| series.iter().map(|v| v[i]).sum::<u64>();
    let title = Line::from(vec![
        Span::styled(
            format!("{} weeks to {} · ", report.weeks.len(), report.as_of),
            app.theme.get(Role::MetricLabel),
        ),
        Span::styled(format!("■ {} sent", total(0)), sent_style),
        Span::raw("  "),
        Span::styled(format!("■ {} replied", total(1)), reply_style),
        Span::raw("  "),
        Span::styled(format!("■ {} promised", total(2)), promise_style),
        Span::raw("  "),
        Span::styled(format!("■ {} paid", total(3)), paid_style),
    ]);
    text::put_line(buf, area.x, area.y, &title, area.width);
    let groups = report.weeks.len() as u16;
    let wide = area.width >= groups * 9 + 2;
    let bar_width = if wide { 2 } else { 1 };
    let data: Vec<BarGroup<'static>> = report
        .weeks
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let label = if wide {
                format!("{:02}-{:02}", w.week_start.month(), w.week_start.day())
            } else {
                format!("{:02}", w.week_start.day())
            };
            BarGroup::with_label(
                label,
                [sent_style, reply_style, promise_style, paid_style]
                    .iter()
                    .zip(series[i])
                    .map(|(style, n)| Bar::new(n).style(*style).value_style(style.reversed()))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let chart_area = Rect::new(area.x, area.y + 1, area.width, area.height - 1);
    let mut chart = BarChart::grouped(data)
        .bar_width(bar_width)
        .bar_gap(0)
        .group_gap(1)
        .label_style(app.theme.get(Role::Muted));
    let top = series.iter().map(|v| v[0]).max().unwrap_or(0);
    if top == 0 {
        chart = chart.max(1);
    }
    chart.render(chart_area, buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collections_too_wide_for_their_column_are_compact_and_keep_a_space_before() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(amount(d("40.00"), "USD"), "40.00");
        assert_eq!(amount(d("3829104.87"), "USD"), "3,829,104.87");
        assert_eq!(amount(d("176166751.05"), "USD"), "176.2M");
        for v in ["0", "9999999999.99", "176166751.05"] {
            assert!(text::width(&amount(d(v), "USD")) < AMOUNT_W, "{v}");
        }
    }
}
