//! The forecast on screen: the service computes it ([`crate::workstation::forecast`]) and
//! answers a [`ForecastView`]; the screen keeps the one of its date.

use super::app::App;
use super::update::Effect;
use crate::workstation::forecast::ForecastView;

/// The forecast arrived: keep it when it is of the date on screen.
pub fn received(app: &mut App, view: ForecastView) -> Vec<Effect> {
    if view.as_of == app.as_of {
        app.forecast = Some(view);
    }
    Vec::new()
}

/// The forecast of the date on screen, once it has arrived.
pub fn current(app: &App) -> Option<&ForecastView> {
    app.forecast.as_ref().filter(|f| f.as_of == app.as_of)
}

/// The cash forecast the chart draws: of the queue's scope and filter (of the portfolio when
/// that is everyone's), once computed; of the figures shown while those of a new filter come
/// ([`App::shown_scope`]).
pub fn cash(app: &App) -> Option<&crate::domain::forecast::cash::CashForecast> {
    match app.shown_scope() {
        Some((s, _)) if !s.everyone => s.cash.as_ref(),
        _ => current(app).map(|f| &f.cash),
    }
}
