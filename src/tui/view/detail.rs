//! The selected customer's detail: who they are, their aging, documents (open first, with days
//! overdue and flags), payments and failed attempts, and the activity timeline.

use super::{prediction, section_title, text};
use crate::domain::Decimal;
use crate::domain::customer::{ActivityKind, CustomerDetail};
use crate::domain::money::grouped;
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::workstation::DetailData;
use crate::workstation::forecast::CustomerForecast;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Lines above the content: the title.
pub const CHROME: u16 = 1;

/// Draws the detail; `beside` when it sits right of the queue (a separator on its left).
pub fn render(app: &App, area: Rect, buf: &mut Buffer, beside: bool) {
    if area.height == 0 {
        return;
    }
    let (x, width) = if beside {
        let border = app.theme.get(Role::Border);
        for y in area.y + 1..area.bottom() {
            text::put(buf, area.x, y, "│", border);
        }
        (area.x + 2, area.width.saturating_sub(3))
    } else {
        (area.x + 1, area.width.saturating_sub(2))
    };
    let title = match &app.detail {
        Some(d) => format!("Customer {}", d.detail.header.id),
        None => "Customer".to_string(),
    };
    section_title(app, area, buf, &title);
    let body_height = area.height.saturating_sub(CHROME);
    let lines = lines(app, width);
    let max_scroll = (lines.len() as u16).saturating_sub(body_height);
    let scroll = app.detail_scroll.min(max_scroll);
    for (i, line) in lines
        .iter()
        .skip(usize::from(scroll))
        .take(usize::from(body_height))
        .enumerate()
    {
        text::put_line(buf, x, area.y + CHROME + i as u16, line, width);
    }
}

/// Number of lines the detail has at this width (for scrolling).
pub fn line_count(app: &App, width: u16) -> u16 {
    lines(app, width).len().try_into().unwrap_or(u16::MAX)
}

/// The detail's lines at this width.
pub fn lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let muted = app.theme.get(Role::Muted);
    let Some(data) = &app.detail else {
        let text = if app.selected().is_some() || app.detail_cid.is_some() {
            "Loading…"
        } else {
            "No customer selected."
        };
        return vec![Line::styled(text, muted)];
    };
    let mut out = Vec::new();
    header(app, &data.detail, usize::from(width), &mut out);
    let forecast = data.forecast.as_ref();
    let muted = app.theme.get(Role::Muted);
    flowed(
        prediction::risk_pieces(app, forecast),
        usize::from(width),
        muted,
        &mut out,
    );
    aging(app, data, usize::from(width), &mut out);
    documents(app, &data.detail, forecast, usize::from(width), &mut out);
    payments(app, &data.detail, usize::from(width), &mut out);
    activity(app, &data.detail, usize::from(width), &mut out);
    out
}

fn heading(app: &App, text: String, out: &mut Vec<Line<'static>>) {
    if !out.is_empty() {
        out.push(Line::default());
    }
    out.push(Line::styled(text, app.theme.get(Role::Heading)));
}

/// Pieces joined by ` · `, flowed over lines of `width`.
fn flowed(pieces: Vec<Vec<Span<'static>>>, width: usize, sep: Style, out: &mut Vec<Line<'static>>) {
    let mut line: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for piece in pieces {
        let w: usize = piece.iter().map(|s| text::width(&s.content)).sum();
        if used > 0 && used + 3 + w > width {
            out.push(Line::from(std::mem::take(&mut line)));
            used = 0;
        }
        if used > 0 {
            line.push(Span::styled(" · ", sep));
            used += 3;
        }
        line.extend(piece);
        used += w;
    }
    if !line.is_empty() {
        out.push(Line::from(line));
    }
}

fn header(app: &App, d: &CustomerDetail, width: usize, out: &mut Vec<Line<'static>>) {
    let h = &d.header;
    let muted = app.theme.get(Role::Muted);
    let label = app.theme.get(Role::MetricLabel);
    let field = |name: &str, value: Option<String>| -> Vec<Span<'static>> {
        vec![
            Span::styled(format!("{name} "), label),
            match value {
                Some(v) => Span::raw(v),
                None => Span::styled("—", muted),
            },
        ]
    };
    out.push(Line::from(vec![Span::styled(
        text::truncate(&h.name, width),
        app.theme.get(Role::MetricValue),
    )]));
    let cur = h
        .currency
        .clone()
        .unwrap_or_else(|| app.session.base_currency.clone());
    flowed(
        vec![
            field("Email", h.email.clone()),
            field("Phone", h.phone.clone()),
        ],
        width,
        muted,
        out,
    );
    flowed(
        vec![
            field("Finance", h.finance_owner.clone()),
            field("Sales", h.sales_owner.clone()),
            field("Terms", h.payment_terms_days.map(|d| format!("net {d}"))),
            field(
                "Limit",
                h.credit_limit
                    .map(|l| format!("{} {cur}", grouped(l, &cur))),
            ),
            field("Currency", Some(cur.clone())),
        ],
        width,
        muted,
        out,
    );
    let mut extra = Vec::new();
    if let Some(on) = h.auto_collection {
        extra.push(field(
            "Auto-collection",
            Some(if on { "on" } else { "off" }.into()),
        ));
    }
    if let Some(s) = &h.payment_source_status {
        extra.push(field("Payment source", Some(s.clone())));
    }
    if let Some(s) = &h.subscription_status {
        extra.push(field("Subscription", Some(s.replace('_', " "))));
    }
    if !extra.is_empty() {
        flowed(extra, width, muted, out);
    }
}

fn aging(app: &App, data: &DetailData, width: usize, out: &mut Vec<Line<'static>>) {
    let cur = app.session.base_currency.clone();
    heading(app, format!("Aging in {cur} as of {}", app.as_of), out);
    let Some(f) = &data.figures else {
        out.push(Line::styled("Nothing open.", app.theme.get(Role::Muted)));
        return;
    };
    let muted = app.theme.get(Role::Muted);
    let label = app.theme.get(Role::MetricLabel);
    let buckets: Vec<Vec<Span<'static>>> = app
        .session
        .bounds
        .labels()
        .into_iter()
        .zip(&f.aging)
        .enumerate()
        .map(|(i, (l, v))| {
            let style = if v.is_zero() {
                muted
            } else {
                app.theme.bucket(i)
            };
            vec![
                Span::styled(format!("{l} "), label),
                Span::styled(grouped(*v, &cur), style),
            ]
        })
        .collect();
    flowed(buckets, width, muted, out);
    let amount = |name: &str, v: Decimal, role: Role| {
        let style = if v.is_zero() {
            muted
        } else {
            app.theme.get(role)
        };
        vec![
            Span::styled(format!("{name} "), label),
            Span::styled(grouped(v, &cur), style),
        ]
    };
    flowed(
        vec![
            amount("Outstanding", f.outstanding, Role::MetricValue),
            amount("Overdue", f.overdue, Role::Overdue),
            amount("Net overdue", f.net_overdue, Role::Overdue),
            amount("Credit", f.unutilised_credit, Role::MetricValue),
            amount("Cash", f.unapplied_cash, Role::MetricValue),
        ],
        width,
        muted,
        out,
    );
}

fn documents(
    app: &App,
    d: &CustomerDetail,
    forecast: Option<&CustomerForecast>,
    width: usize,
    out: &mut Vec<Line<'static>>,
) {
    let open = d.documents.iter().filter(|x| !x.balance.is_zero()).count();
    heading(
        app,
        format!("Documents · {open} open of {}", d.documents.len()),
        out,
    );
    if d.documents.is_empty() {
        out.push(Line::styled("No documents.", app.theme.get(Role::Muted)));
        return;
    }
    let muted = app.theme.get(Role::Muted);
    let with_amount = width >= 76;
    let with_currency = width >= 60;
    // number, kind, date, days, balance, [/amount], [currency], flags
    let fixed = 1
        + 3
        + 1
        + 10
        + 1
        + 5
        + 1
        + 12
        + if with_amount { 13 } else { 0 }
        + if with_currency { 4 } else { 0 }
        + 4;
    let number_w = width.saturating_sub(fixed).clamp(6, 16);
    for doc in &d.documents {
        let closed = doc.balance.is_zero();
        let base = if closed { muted } else { Style::default() };
        let kind = match doc.kind.as_str() {
            "invoice" => "inv",
            "debit_note" => "dn",
            "credit_note" => "cn",
            other => other,
        };
        let days = doc
            .due_date
            .filter(|_| !closed && doc.kind != "credit_note")
            .map(|due| (app.as_of - due).num_days())
            .filter(|&n| n > 0);
        let days_style = days.map_or(muted, |n| app.theme.bucket(app.session.bounds.bucket(n)));
        let date = match (doc.kind.as_str(), doc.due_date) {
            ("credit_note", _) | (_, None) => doc.doc_date,
            (_, Some(due)) => due,
        };
        let mut spans = vec![
            Span::styled(
                text::fit(doc.number.as_deref().unwrap_or(&doc.id), number_w),
                base,
            ),
            Span::raw(" "),
            Span::styled(text::fit(kind, 3), muted),
            Span::raw(" "),
            Span::styled(date.to_string(), base),
            Span::raw(" "),
            Span::styled(
                text::fit_right(&days.map_or("—".into(), |n| format!("{n}d")), 5),
                days_style,
            ),
            Span::raw(" "),
            Span::styled(
                text::fit_right(&grouped(doc.balance, &doc.currency), 12),
                if closed {
                    muted
                } else if days.is_some() {
                    app.theme.get(Role::Overdue)
                } else {
                    base
                },
            ),
        ];
        if with_amount {
            spans.push(Span::styled(
                text::fit_right(&format!("/{}", grouped(doc.amount, &doc.currency)), 13),
                muted,
            ));
        }
        if with_currency {
            spans.push(Span::styled(
                format!(" {}", text::fit(&doc.currency, 3)),
                muted,
            ));
        }
        spans.push(Span::raw(" "));
        let flags = [
            (doc.disputed, "D", Role::FlagDisputed),
            (doc.promised, "P", Role::FlagPromised),
            (doc.mismatch, "M", Role::FlagMismatch),
        ];
        for (on, flag, role) in flags {
            if on {
                spans.push(Span::styled(flag, app.theme.get(role)));
            }
        }
        out.push(Line::from(spans));
        if !closed && doc.kind != "credit_note" {
            out.extend(prediction::expected_line(app, doc, forecast, width));
        }
    }
    let flagged = d
        .documents
        .iter()
        .any(|x| x.disputed || x.promised || x.mismatch);
    if flagged {
        out.push(Line::styled(
            "D disputed · P promised · M billing balance differs",
            muted,
        ));
    }
}

fn payments(app: &App, d: &CustomerDetail, width: usize, out: &mut Vec<Line<'static>>) {
    let last = d.last_paid.map_or("never".to_string(), |p| p.to_string());
    heading(app, format!("Payments · last paid {last}"), out);
    let muted = app.theme.get(Role::Muted);
    if d.payments.is_empty() {
        out.push(Line::styled("No payments.", muted));
        return;
    }
    for p in &d.payments {
        let failed = p.status != "success";
        let status_style = if failed {
            app.theme.get(Role::Error)
        } else {
            muted
        };
        let mut status = if failed {
            p.status.clone()
        } else {
            String::new()
        };
        if let Some(reason) = &p.failure_reason {
            status.push_str(&format!(": {reason}"));
        }
        let method = p.method.as_deref().unwrap_or("").replace('_', " ");
        let fixed = 10 + 1 + 12 + 4 + 1 + 13 + 1;
        let rest = width.saturating_sub(fixed);
        out.push(Line::from(vec![
            Span::raw(p.date.to_string()),
            Span::raw(" "),
            Span::raw(text::fit_right(&grouped(p.amount, &p.currency), 12)),
            Span::styled(format!(" {}", text::fit(&p.currency, 3)), muted),
            Span::raw(" "),
            Span::styled(text::fit(&method, 13), muted),
            Span::raw(" "),
            Span::styled(
                text::truncate(status.trim_start_matches(": "), rest),
                status_style,
            ),
        ]));
    }
}

fn activity(app: &App, d: &CustomerDetail, width: usize, out: &mut Vec<Line<'static>>) {
    heading(app, "Activity".to_string(), out);
    let muted = app.theme.get(Role::Muted);
    if d.activity.is_empty() {
        out.push(Line::styled("No activity yet.", muted));
        return;
    }
    // Wide: the text beside date, kind and who; narrow: on the lines below, indented.
    let inline = width >= 70;
    let lead = if inline { 10 + 1 + 9 + 1 + 8 + 1 } else { 2 };
    let text_w = width.saturating_sub(lead).max(10);
    for e in &d.activity {
        let role = match e.kind {
            ActivityKind::Promise => Role::FlagPromised,
            ActivityKind::Issue | ActivityKind::IssueReopened => Role::FlagDisputed,
            ActivityKind::FollowUp => Role::FlagFollowUp,
            ActivityKind::Reminder | ActivityKind::Reply => Role::Heading,
            ActivityKind::UnverifiedReply => Role::MetricAlert,
            _ => Role::MetricLabel,
        };
        let mut first = vec![
            Span::raw(e.date.to_string()),
            Span::raw(" "),
            Span::styled(text::fit(e.kind.label(), 9), app.theme.get(role)),
            Span::raw(" "),
            Span::styled(text::fit(&e.who, 8), muted),
        ];
        let mut wrapped = text::wrap(&e.text, text_w).into_iter();
        if inline {
            first.push(Span::raw(" "));
            first.push(Span::raw(wrapped.next().unwrap_or_default()));
        }
        out.push(Line::from(first));
        for piece in wrapped {
            out.push(Line::from(vec![
                Span::raw(" ".repeat(lead)),
                Span::raw(piece),
            ]));
        }
    }
}
