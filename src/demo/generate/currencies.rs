//! Currencies and exchange rates: the base and two foreign currencies customers bill in, and
//! the mean-reverting daily walk their rates follow.

use super::rng::Rng;

/// The currencies customers bill in: the base and two foreign ones.
pub(super) struct Market {
    pub(super) base: String,
    pub(super) foreign: [&'static str; 2],
}

impl Market {
    pub(super) fn new(base: &str) -> Self {
        let foreign = match base {
            "EUR" => ["USD", "GBP"],
            "GBP" => ["USD", "EUR"],
            _ => ["EUR", "GBP"],
        };
        Self {
            base: base.to_string(),
            foreign,
        }
    }

    /// The market's spelling of `code`, if customers bill in it.
    pub(super) fn find(&self, code: &str) -> Option<&str> {
        if self.base == code {
            return Some(&self.base);
        }
        self.foreign.into_iter().find(|&foreign| foreign == code)
    }

    /// Mostly the base currency; about 12 % and 8 % in the foreign ones.
    pub(super) fn draw_currency(&self, rng: &mut Rng) -> &str {
        match rng.weighted(&[(0, 80), (1, 12), (2, 8)]) {
            1 => self.foreign[0],
            2 => self.foreign[1],
            _ => &self.base,
        }
    }
}

/// A mean-reverting random walk of a currency's value in US cents per unit ×100 (1e-4 USD).
pub(super) struct RateWalk {
    value: i64,
    center: i64,
    low: i64,
    high: i64,
}

impl RateWalk {
    /// A walk starting at `center` and kept within ±0.05 USD of it.
    pub(super) fn around(center: i64) -> Self {
        Self {
            value: center,
            center,
            low: center - 500,
            high: center + 500,
        }
    }

    /// One day's move: a small random step with a pull back towards the center.
    pub(super) fn step(&mut self, rng: &mut Rng) {
        let pull = (self.center - self.value) / 40;
        self.value = (self.value + pull + rng.int(-45, 45)).clamp(self.low, self.high);
    }
}

/// Units of base currency per unit of foreign currency, in millionths (rounded), from the
/// US-dollar values (1e-4) of both.
pub(super) fn cross_rate_micros(foreign_usd: i64, base_usd: i64) -> i64 {
    (foreign_usd * 2_000_000 + base_usd) / (2 * base_usd)
}

/// US dollars (in 1e-4) per unit of `code`; unknown currencies are taken at parity.
pub(super) fn usd_value(code: &str, eur: &RateWalk, gbp: &RateWalk) -> i64 {
    match code {
        "EUR" => eur.value,
        "GBP" => gbp.value,
        _ => 10_000,
    }
}
