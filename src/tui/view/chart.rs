//! The receivables chart of the queue's scope and filter: aging by bucket, net overdue by
//! bucket beside the unutilised credit, outstanding and collectable this month with the
//! unutilised credit, or open issues by reason with each one's share of their amount and
//! the follow-ups due, as horizontal bars. With the focus on it, Enter shows exactly the customers behind the
//! selected bar.

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

/// A row of the issues chart: an open issue reason, or the follow-ups due.
#[derive(Debug, Clone, PartialEq)]
pub enum IssueRow {
    /// (reason, open issues, their amount in the base currency).
    Reason(String, u64, Decimal),
    /// The reasons that do not fit, together: (how many reasons, their open issues, their
    /// amount), so that the rows add up to the title's figures.
    More(usize, u64, Decimal),
    FollowUps(u64),
}

/// The rows of the issues chart for the queue's scope and filter: the reasons (as many as
/// fit, largest amount first), then the follow-ups due.
pub fn issue_rows(app: &App) -> Vec<IssueRow> {
    let Some(f) = app.shown_scope().map(|(s, _)| &s.figures) else {
        return Vec::new();
    };
    let room = usize::from(height(app).saturating_sub(2)).max(1);
    let shown = if f.issues.len() > room {
        room - 1
    } else {
        f.issues.len()
    };
    let mut rows: Vec<IssueRow> = f.issues[..shown]
        .iter()
        .map(|r| IssueRow::Reason(r.reason.clone(), r.count, r.amount))
        .collect();
    let rest = &f.issues[shown..];
    if !rest.is_empty() {
        rows.push(IssueRow::More(
            rest.len(),
            rest.iter().map(|r| r.count).sum(),
            rest.iter().map(|r| r.amount).sum(),
        ));
    }
    rows.push(IssueRow::FollowUps(f.followups_due));
    rows
}

/// The chart's title, in a title line of `room` columns, and bars for the queue's scope and
/// filter. The title's amounts are whole while they fit, else short (`996k`): a figure left
/// out for want of room (the unapplied cash of a large portfolio) was shown nowhere.
pub fn bars(app: &App, room: usize) -> (String, Vec<Bar>) {
    let Some((scope, _)) = app.shown_scope() else {
        return ("Chart · loading…".into(), Vec::new());
    };
    let f = &scope.figures;
    let cur = &app.session.base_currency;
    // A title of two amounts: whole, else both short.
    let amounts = |values: [Decimal; 2], title: &dyn Fn(&str, &str) -> String| {
        let [a, b] = values.map(|v| grouped(v, cur));
        let whole = title(&a, &b);
        if text::width(&whole) <= room {
            return whole;
        }
        let [a, b] = values.map(crate::domain::money::compact);
        title(&a, &b)
    };
    let share = |v: Decimal, total: Decimal| {
        if total.is_zero() {
            String::new()
        } else {
            format!("{}%", (v * Decimal::from(100) / total).round())
        }
    };
    let credit = |label: &str| Bar {
        label: label.to_string(),
        value: f.headline.unutilised_credit,
        note: String::new(),
        style: app.theme.get(Role::BucketCurrent),
    };
    match app.chart {
        ChartKind::Aging => {
            let total: Decimal = f.aging.iter().sum();
            let title = amounts(
                [f.headline.unutilised_credit, f.headline.unapplied_cash],
                &|credit, cash| {
                    format!("Aging · unutilised credit {credit} · unapplied cash {cash}")
                },
            );
            let bars = app
                .session
                .bounds
                .labelled(&f.aging)
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
        ChartKind::Overdue => {
            let title = amounts(
                [f.headline.net_overdue, f.headline.unutilised_credit],
                &|net, credit| format!("Net overdue by age {net} · unutilised credit {credit}"),
            );
            let mut bars: Vec<Bar> = app
                .session
                .bounds
                .labelled(&f.net_aging)
                .enumerate()
                .skip(1)
                .map(|(i, (label, v))| Bar {
                    label,
                    value: *v,
                    note: share(*v, f.headline.net_overdue),
                    style: app.theme.bucket(i),
                })
                .collect();
            bars.push(credit("credit"));
            (title, bars)
        }
        ChartKind::Collectable => {
            let month = scope.as_of.format("%B").to_string();
            let bar = |label: &str, v: Decimal, role: Role| Bar {
                label: label.to_string(),
                value: v,
                note: share(v, f.headline.outstanding),
                style: app.theme.get(role),
            };
            (
                format!("Outstanding and collectable in {month}, with unutilised credit"),
                vec![
                    bar("Outstanding", f.headline.outstanding, Role::MetricValue),
                    bar(
                        "Collectable",
                        f.headline.collectable_this_month,
                        Role::BucketCurrent,
                    ),
                    Bar {
                        note: share(f.headline.unutilised_credit, f.headline.outstanding),
                        ..credit("Credit")
                    },
                ],
            )
        }
        ChartKind::Issues => {
            let rows = issue_rows(app);
            let issues: u64 = f.issues.iter().map(|r| r.count).sum();
            let title = format!(
                "Issues and follow-ups · {issues} issue{} {} · {} follow-up{} due",
                if issues == 1 { "" } else { "s" },
                grouped(f.headline.open_issue_amount, cur),
                f.followups_due,
                if f.followups_due == 1 { "" } else { "s" },
            );
            // The bars and their shares are of the money: the reasons' amounts against the
            // open issues' (a share of the count beside an amount read as a share of it:
            // pricing's 17,195.08 of 26,673.14 showed 16% beside quality's 4,994.51, five
            // issues each). The follow-ups have no amount: their row has no bar, only the
            // count due.
            let issue_amount: Decimal = f.issues.iter().map(|r| r.amount).sum();
            let reason = |label: String, n: u64, amount: Decimal| Bar {
                label,
                value: amount,
                note: format!(
                    "{} · {n} issue{} · {}",
                    grouped(amount, cur),
                    if n == 1 { "" } else { "s" },
                    share(amount, issue_amount)
                ),
                style: app.theme.get(Role::FlagDisputed),
            };
            let bars = rows
                .into_iter()
                .map(|row| match row {
                    IssueRow::Reason(label, n, amount) => {
                        reason(label.replace('_', " "), n, amount)
                    }
                    IssueRow::More(reasons, n, amount) => {
                        reason(format!("{reasons} more"), n, amount)
                    }
                    IssueRow::FollowUps(n) => Bar {
                        label: "follow-ups".into(),
                        value: Decimal::ZERO,
                        note: format!("{n} due"),
                        style: app.theme.get(Role::FlagFollowUp),
                    },
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
        super::cash::render(app, area, buf);
    } else {
        render_bars(app, area, buf);
    }
    super::dim_while_stale(app, area, buf);
}

/// Draws a chart of bars (all but the cash forecast's).
fn render_bars(app: &App, area: Rect, buf: &mut Buffer) {
    // As `section_title` fits it: two columns of rule and a space either side.
    let (title, bars) = bars(app, usize::from(area.width).saturating_sub(6));
    section_title(app, area, buf, &title);
    if bars.is_empty() {
        return;
    }
    let cur = &app.session.base_currency;
    let wide = area.width >= 90;
    // The issues chart's amounts are in its notes, with the counts beside them.
    let counts = app.chart == ChartKind::Issues;
    let values: Vec<String> = bars
        .iter()
        .map(|b| {
            if counts {
                String::new()
            } else if wide {
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
