//! The metrics bar: the headline figures of the customers the queue shows (its scope, mine
//! or everyone's, and its filter, which the bar names first), flowed over one or more rows.

use super::text;
use crate::domain::Decimal;
use crate::domain::money::{compact, grouped};
use crate::tui::app::App;
use crate::tui::theme::Role;
use chrono::Datelike;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

const SEPARATOR: &str = "  ";

/// One figure of the bar.
struct Item {
    label: String,
    value: String,
    alert: bool,
}

impl Item {
    fn width(&self) -> usize {
        text::width(&self.label) + 1 + text::width(&self.value)
    }
}

fn items(app: &App, width: u16) -> Vec<Item> {
    let (Some(summary), Some((scope, _))) = (&app.summary, app.shown_scope()) else {
        return vec![Item {
            label: "Figures".into(),
            value: "loading…".into(),
            alert: false,
        }];
    };
    let m = &scope.figures;
    let h = &m.headline;
    let cur = &app.session.base_currency;
    let amount = |v: Decimal| {
        if width >= 170 {
            grouped(v, cur)
        } else {
            compact(v)
        }
    };
    let month = chrono::Month::try_from(summary.as_of.month() as u8)
        .map(|m| m.name()[..3].to_string())
        .unwrap_or_default();
    let item = |label: &str, value: String, alert: bool| Item {
        label: label.to_string(),
        value,
        alert,
    };
    // Whose figures these are: the queue's scope and filter.
    let who = match (scope.scope, scope.mine_fallback) {
        (crate::domain::queue::Scope::Mine, false) => format!("{}'s", app.session.collector),
        _ => "Everyone's".to_string(),
    };
    let s = if m.customers == 1 { "" } else { "s" };
    let customers = crate::domain::money::grouped_count(m.customers);
    let whose = if scope.filter.is_empty() {
        format!("{customers} customer{s}")
    } else {
        format!(
            "{customers} customer{s} matching {}",
            text::truncate(&scope.filter.text, 24)
        )
    };
    // The portfolio's DSO is the summary's; a part's, its own (computed when keys pause).
    let (dso, pending) = if scope.everyone {
        (m_dso(summary), summary.dso_pending)
    } else {
        (h.dso, scope.dso_pending)
    };
    let mut items = vec![
        item(&who, whose, false),
        item("Outstanding", amount(h.outstanding), false),
        item("Overdue", amount(h.overdue), h.overdue > Decimal::ZERO),
        item("Net overdue", amount(h.net_overdue), false),
        item(
            &format!("Collectable {month}"),
            amount(h.collectable_this_month),
            false,
        ),
        item("Unutilised credit", amount(h.unutilised_credit), false),
        item("Open issues", amount(h.open_issue_amount), false),
        item("Open promises", amount(h.open_p2p_amount), false),
        item(
            "DSO",
            match dso {
                Some(d) => format!("{} d", crate::domain::money::fixed(d, 1)),
                None if pending => "…".into(),
                None => "—".into(),
            },
            false,
        ),
    ];
    // Open deductions (short payments) beside the open issues they are part of, when there
    // are any.
    if !h.open_deduction_amount.is_zero() {
        let at = items
            .iter()
            .position(|i| i.label == "Open issues")
            .map_or(0, |i| i + 1);
        items.insert(
            at,
            item("Open deductions", amount(h.open_deduction_amount), false),
        );
    }
    items
}

fn m_dso(summary: &crate::workstation::Summary) -> Option<Decimal> {
    summary.metrics.dso
}

/// The items on each row for this width.
fn flow(items: Vec<Item>, width: u16) -> Vec<Vec<Item>> {
    let width = usize::from(width).saturating_sub(1);
    let mut rows: Vec<Vec<Item>> = Vec::new();
    let mut used = 0;
    for item in items {
        let w = item.width();
        match rows.last_mut() {
            Some(row) if used + SEPARATOR.len() + w <= width => {
                used += SEPARATOR.len() + w;
                row.push(item);
            }
            _ => {
                used = w;
                rows.push(vec![item]);
            }
        }
    }
    rows
}

/// Rows the bar needs at this width.
pub fn height(app: &App, width: u16) -> u16 {
    flow(items(app, width), width).len().max(1) as u16
}

/// Rows the bar takes at this width with figures of the usual size (`alice's 9,999
/// customers`, amounts like `99.9k`), whether they have come or not: what the screen decides
/// by whether the chart fits, so that it does not show while the figures load and fold when
/// they come (nor fold and show again as a filter is typed).
pub fn usual_height(app: &App, width: u16) -> u16 {
    let who = match app.query.scope {
        crate::domain::queue::Scope::Mine => format!("{}'s", app.session.collector),
        crate::domain::queue::Scope::Everyone => "Everyone's".to_string(),
    };
    let amount = if width >= 170 {
        "9,999,999.99"
    } else {
        "99.9k"
    };
    let month = chrono::Month::try_from(app.as_of.month() as u8)
        .map(|m| m.name()[..3].to_string())
        .unwrap_or_default();
    let collectable = format!("Collectable {month}");
    let mut items = vec![Item {
        label: who,
        value: "9,999 customers".into(),
        alert: false,
    }];
    for label in [
        "Outstanding",
        "Overdue",
        "Net overdue",
        &collectable,
        "Unutilised credit",
        "Open issues",
        "Open promises",
    ] {
        items.push(Item {
            label: label.to_string(),
            value: amount.to_string(),
            alert: false,
        });
    }
    items.push(Item {
        label: "DSO".into(),
        value: "99.9 d".into(),
        alert: false,
    });
    flow(items, width).len().max(1) as u16
}

/// Draws the bar.
pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let label = app.theme.get(Role::MetricLabel);
    let value = app.theme.get(Role::MetricValue);
    let alert = app.theme.get(Role::MetricAlert);
    for (row, items) in flow(items(app, area.width), area.width)
        .into_iter()
        .enumerate()
        .take(usize::from(area.height))
    {
        let y = area.y + row as u16;
        let mut x = area.x + 1;
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                x = text::put(buf, x, y, SEPARATOR, value);
            }
            x = text::put(buf, x, y, &item.label, label);
            x = text::put(buf, x, y, " ", label);
            x = text::put(
                buf,
                x,
                y,
                &item.value,
                if item.alert { alert } else { value },
            );
        }
    }
    super::dim_while_stale(app, area, buf);
}
