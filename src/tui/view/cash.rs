//! The cash-forecast chart: expected receipts by week for the next 13 weeks, as columns over
//! a time axis (day of the week's Monday, the month where it changes). The scale's top is the
//! largest week; the title gives the total, what is expected later, and with the focus on
//! the chart the selected week's amount.

use super::{section_title, text};
use crate::domain::Decimal;
use crate::domain::forecast::cash::CashForecast;
use crate::domain::money::{compact, grouped};
use crate::tui::app::{App, Focus};
use crate::tui::forecast;
use crate::tui::theme::Role;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// A column's top cell filled by one to seven eighths.
const LOWER: [&str; 8] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇"];

/// The chart's title for the current data.
pub fn title(app: &App) -> String {
    let Some(cash) = forecast::cash(app) else {
        return "Cash forecast · computing…".into();
    };
    let cur = &app.session.base_currency;
    let weeks = cash.weeks.len();
    let total = format!(
        "{} in {weeks} weeks · later {}",
        grouped(cash.within(), cur),
        grouped(cash.beyond, cur)
    );
    match cash.weeks.get(app.chart_sel) {
        Some(w) if app.focus == Focus::Chart => format!(
            "Cash forecast · week of {}: {} · {total}",
            w.start,
            grouped(w.amount, cur)
        ),
        _ => format!("Cash forecast · {total}"),
    }
}

/// What Enter on a week says (the queue cannot list customers by predicted date).
pub fn describe_week(app: &App, i: usize) -> Option<String> {
    let cash = forecast::cash(app)?;
    let w = cash.weeks.get(i)?;
    let cur = &app.session.base_currency;
    let upto: Decimal = cash.weeks.iter().take(i + 1).map(|w| w.amount).sum();
    Some(format!(
        "Week of {}: {} expected; {} by its end.",
        w.start,
        grouped(w.amount, cur),
        grouped(upto, cur)
    ))
}

/// Draws the chart.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    section_title(app, area, buf, &title(app));
    let Some(cash) = forecast::cash(app) else {
        return;
    };
    draw_columns(
        app,
        cash,
        Rect::new(
            area.x,
            area.y + 1,
            area.width,
            area.height.saturating_sub(1),
        ),
        buf,
    );
}

fn draw_columns(app: &App, cash: &CashForecast, area: Rect, buf: &mut Buffer) {
    if area.height == 0 || cash.weeks.is_empty() {
        return;
    }
    // Rows: the columns, then the days, then the months when there is room.
    let label_rows: u16 = match area.height {
        1 => 0,
        2 | 3 => 1,
        _ => 2,
    };
    let bar_rows = area.height - label_rows;
    let max = cash
        .weeks
        .iter()
        .map(|w| w.amount)
        .max()
        .unwrap_or_default();
    let top_label = compact(max);
    let axis_w = text::width(&top_label).max(1) as u16;
    let muted = app.theme.get(Role::Muted);
    let label = app.theme.get(Role::MetricLabel);
    // The axis: the largest week at the top, 0 at the bottom.
    let x_axis = area.x + 1;
    for r in 0..bar_rows {
        let y = area.y + r;
        let (value, tick) = if r == 0 {
            (top_label.as_str(), "┤")
        } else if r + 1 == bar_rows {
            ("0", "┤")
        } else {
            ("", "│")
        };
        text::put(
            buf,
            x_axis,
            y,
            &text::fit_right(value, usize::from(axis_w)),
            label,
        );
        text::put(buf, x_axis + axis_w + 1, y, tick, muted);
    }
    let x0 = x_axis + axis_w + 3;
    let room = area.right().saturating_sub(x0 + 1);
    let weeks = cash.weeks.len() as u16;
    let col_w = (room / weeks).clamp(2, 8);
    let bar_w = usize::from(col_w - 1);
    let eighths_total = u64::from(bar_rows) * 8;
    let focused = app.focus == Focus::Chart;
    let mut last_month_end = 0u16;
    let mut previous_month = None;
    for (i, w) in cash.weeks.iter().enumerate() {
        let x = x0 + col_w * i as u16;
        if x + col_w > area.right() {
            break;
        }
        let selected = focused && i == app.chart_sel;
        let style = if selected {
            app.theme.get(Role::ChartSelected)
        } else {
            app.theme.get(Role::BucketCurrent)
        };
        let eighths = if max.is_zero() || w.amount <= Decimal::ZERO {
            0
        } else {
            let n = w.amount * Decimal::from(eighths_total) / max;
            u64::try_from(n.round()).unwrap_or(0).max(1)
        };
        for r in 0..bar_rows {
            // Row r from the top holds eighths above (bar_rows - 1 - r) full rows.
            let below = u64::from(bar_rows - 1 - r) * 8;
            let fill = eighths.saturating_sub(below).min(8) as usize;
            let cell = if fill == 8 { "█" } else { LOWER[fill] };
            text::put(buf, x, area.y + r, &cell.repeat(bar_w), style);
        }
        if label_rows >= 1 {
            let day_style = if selected {
                app.theme.get(Role::ChartSelected)
            } else {
                muted
            };
            let day = chrono::Datelike::day(&w.start).to_string();
            text::put(
                buf,
                x,
                area.y + bar_rows,
                &text::fit_right(&day, bar_w.max(2)),
                day_style,
            );
        }
        let month = chrono::Datelike::month(&w.start);
        if label_rows >= 2 && previous_month != Some(month) && x >= last_month_end {
            let name = w.start.format("%b").to_string();
            last_month_end = text::put(buf, x, area.y + bar_rows + 1, &name, label) + 1;
        }
        previous_month = Some(month);
    }
}
