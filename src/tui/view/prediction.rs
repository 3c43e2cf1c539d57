//! The forecast in the customer detail: the risk with its reasons under the header, and under
//! each open document the date it is expected to be paid, how (model, median or promise, and
//! that method's error on this ledger) and the one-line reason.

use super::text;
use crate::domain::forecast::RiskLevel;
use crate::tui::app::App;
use crate::tui::theme::Role;
use crate::workstation::forecast::{CustomerForecast, DocumentPrediction};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// The style of a risk level.
pub fn risk_style(app: &App, level: RiskLevel) -> Style {
    match level {
        RiskLevel::High => app.theme.get(Role::MetricAlert),
        RiskLevel::Medium => app.theme.get(Role::FlagMismatch),
        RiskLevel::Low => app.theme.get(Role::BucketCurrent),
    }
}

/// The risk as pieces for the header's flowed line: `Risk high 65` then each reason. `open`:
/// the customer has open invoices or debit notes, so a forecast without their risk was made
/// before they came (an import since) and the next one will rate them; without any (nothing
/// but credit, or everything paid) and without a history to rate, there is nothing to rate.
pub fn risk_pieces(
    app: &App,
    forecast: Option<&CustomerForecast>,
    open: bool,
) -> Vec<Vec<Span<'static>>> {
    let label = app.theme.get(Role::MetricLabel);
    let muted = app.theme.get(Role::Muted);
    let head = |value: Span<'static>| vec![Span::styled("Risk ", label), value];
    let Some(forecast) = forecast else {
        return vec![head(Span::styled("computing…", muted))];
    };
    let Some(risk) = &forecast.risk else {
        let none = if open {
            "computing…"
        } else {
            "— nothing open to rate"
        };
        return vec![head(Span::styled(none, muted))];
    };
    let mut pieces = vec![head(Span::styled(
        format!("{} ({})", risk.level, risk.score),
        risk_style(app, risk.level),
    ))];
    pieces.extend(
        risk.reasons
            .iter()
            .map(|r| vec![Span::styled(r.clone(), muted)]),
    );
    pieces
}

/// The line under an open document: `before` (what the table had no room for: its kind and
/// date), when it is expected to be paid, how, and why, cut to `width`:
/// `↳ expected 2026-04-14 · model, 4.4 d on this ledger · usually pays 12 days late`.
pub fn expected_line(
    app: &App,
    prediction: &DocumentPrediction,
    width: usize,
    before: &[String],
) -> Line<'static> {
    let mut lead = "  ↳ ".to_string();
    for piece in before {
        lead.push_str(piece);
        lead.push_str(" · ");
    }
    lead.push_str("expected ");
    let date = prediction.predicted.to_string();
    let how = match prediction.backtest_mae {
        Some(mae) => format!("{}, {mae:.1} d on this ledger", prediction.method.as_str()),
        None => prediction.method.as_str().to_string(),
    };
    let mut room = width.saturating_sub(text::width(&lead) + text::width(&date) + 3);
    let mut spans = vec![
        Span::styled(lead, app.theme.get(Role::Muted)),
        Span::styled(date, app.theme.get(Role::MetricValue)),
    ];
    if room > 1 {
        spans.push(Span::styled(" · ", app.theme.get(Role::Muted)));
        spans.push(Span::styled(
            text::truncate(&how, room),
            app.theme.get(Role::Muted),
        ));
        room = room.saturating_sub(text::width(&how) + 3);
    }
    if room > 1 && !prediction.reason.is_empty() {
        spans.push(Span::styled(" · ", app.theme.get(Role::Muted)));
        spans.push(Span::styled(
            text::truncate(&prediction.reason, room),
            app.theme.get(Role::Muted),
        ));
    }
    Line::from(spans)
}
