//! The receivables chart: aging by bucket, outstanding vs collectable this month, or open
//! issues by reason, as horizontal bars. With the focus on it, Enter shows the customers
//! behind the selected bar.

use super::{section_title, text};
use crate::domain::Decimal;
use crate::domain::money::{compact, grouped};
use crate::tui::app::{App, ChartKind, Focus};
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

/// Partial blocks, one to seven eighths of a cell.
const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];

/// One bar.
pub struct Bar {
    pub label: String,
    pub value: Decimal,
    pub note: String,
    pub style: Style,
}

/// Rows the chart takes: a title and one row per aging bucket (the other charts fit in that).
pub fn height(app: &App) -> u16 {
    app.session.bounds.len() as u16 + 1
}

/// The chart's title and bars for the current data.
pub fn bars(app: &App) -> (String, Vec<Bar>) {
    let Some(summary) = &app.summary else {
        return ("Chart · loading…".into(), Vec::new());
    };
    let cur = &app.session.base_currency;
    let share = |v: Decimal, total: Decimal| {
        if total.is_zero() {
            String::new()
        } else {
            format!("{}%", (v * Decimal::from(100) / total).round())
        }
    };
    match app.chart {
        ChartKind::Aging => {
            let total: Decimal = summary.aging.iter().sum();
            let m = &summary.metrics;
            let title = format!(
                "Aging · unutilised credit {} · unapplied cash {}",
                grouped(m.unutilised_credit, cur),
                grouped(m.unapplied_cash, cur)
            );
            let bars = app
                .session
                .bounds
                .labels()
                .into_iter()
                .zip(&summary.aging)
                .enumerate()
                .map(|(i, (label, v))| Bar {
                    label,
                    value: *v,
                    note: share(*v, total),
                    style: app.theme.bucket(i),
                })
                .collect();
            (title, bars)
        }
        ChartKind::Collectable => {
            let m = &summary.metrics;
            let month = summary.as_of.format("%B").to_string();
            let bar = |label: &str, v: Decimal, role: Role| Bar {
                label: label.to_string(),
                value: v,
                note: share(v, m.outstanding),
                style: app.theme.get(role),
            };
            (
                format!("Outstanding vs collectable in {month}"),
                vec![
                    bar("Outstanding", m.outstanding, Role::MetricValue),
                    bar("Overdue", m.overdue, Role::Overdue),
                    bar("Collectable", m.collectable_this_month, Role::BucketCurrent),
                ],
            )
        }
        ChartKind::Issues => {
            let room = usize::from(height(app) - 1);
            let more = summary.issues.len().saturating_sub(room);
            let mut title = "Open issues by reason".to_string();
            if summary.issues.is_empty() {
                title.push_str(" · none");
            } else if more > 0 {
                title.push_str(&format!(" · {more} more"));
            }
            let bars = summary
                .issues
                .iter()
                .take(room)
                .map(|r| Bar {
                    label: r.reason.replace('_', " "),
                    value: r.amount,
                    note: format!("{} issue{}", r.count, if r.count == 1 { "" } else { "s" }),
                    style: app.theme.get(Role::FlagDisputed),
                })
                .collect();
            (title, bars)
        }
        ChartKind::Cash => (super::cash::title(app), Vec::new()),
    }
}

/// Draws the chart.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    if app.chart == ChartKind::Cash {
        return super::cash::render(app, area, buf);
    }
    let (title, bars) = bars(app);
    section_title(app, area, buf, &title);
    if bars.is_empty() {
        return;
    }
    let cur = &app.session.base_currency;
    let wide = area.width >= 90;
    let values: Vec<String> = bars
        .iter()
        .map(|b| {
            if wide {
                grouped(b.value, cur)
            } else {
                compact(b.value)
            }
        })
        .collect();
    let label_w = bars
        .iter()
        .map(|b| text::width(&b.label))
        .max()
        .unwrap_or(0)
        .max(7);
    let value_w = values.iter().map(|v| text::width(v)).max().unwrap_or(0);
    let note_w = bars.iter().map(|b| text::width(&b.note)).max().unwrap_or(0);
    let fixed = 1 + label_w + 1 + 1 + value_w + 1 + note_w + 1;
    let bar_w = usize::from(area.width).saturating_sub(fixed);
    let max = bars.iter().map(|b| b.value).max().unwrap_or_default();
    let focused = app.focus == Focus::Chart;
    for (i, (bar, value)) in bars.iter().zip(&values).enumerate() {
        let y = area.y + 1 + i as u16;
        if y >= area.bottom() {
            break;
        }
        let selected = focused && i == app.chart_sel;
        let label_style = if selected {
            app.theme.get(Role::ChartSelected)
        } else {
            app.theme.get(Role::MetricLabel)
        };
        let mut x = area.x + 1;
        x = text::put(buf, x, y, &text::fit(&bar.label, label_w), label_style);
        x = text::put(buf, x, y, " ", Style::default());
        let eighths = if max.is_zero() || bar.value <= Decimal::ZERO {
            0
        } else {
            let n = bar.value * Decimal::from(bar_w as u64 * 8) / max;
            u64::try_from(n.round()).unwrap_or(0).max(1)
        };
        let full = (eighths / 8) as usize;
        let blocks = format!("{}{}", "█".repeat(full), EIGHTHS[(eighths % 8) as usize]);
        text::put(buf, x, y, &blocks, bar.style);
        x += bar_w as u16;
        x = text::put(buf, x, y, " ", Style::default());
        x = text::put(
            buf,
            x,
            y,
            &text::fit_right(value, value_w),
            app.theme.get(Role::MetricValue),
        );
        x = text::put(buf, x, y, " ", Style::default());
        text::put(
            buf,
            x,
            y,
            &text::fit_right(&bar.note, note_w),
            app.theme.get(Role::Muted),
        );
        if selected {
            buf.set_style(
                Rect::new(area.x, y, area.width, 1),
                app.theme.get(Role::ChartSelected),
            );
        }
    }
}
