//! Exchange rates for amounts that are not documents: promises and issues.
//!
//! A promise or an issue is in its customer's currency; in the base currency it is converted
//! at the rate of the day it was recorded (SPEC: "base-currency figures use the exchange rate
//! of the document date"): the latest rate dated on or before that day, else the earliest
//! one after it, else 1 (a currency the exchange rates do not know).

use crate::Result;
use crate::domain::Decimal;
use crate::store::Ledger;
use crate::store::Store;
use rusqlite::OptionalExtension;
use std::collections::HashMap;

/// Rates looked up once per (currency, day) during one computation.
pub struct RateCache<'a> {
    store: &'a Store,
    base: String,
    seen: HashMap<(String, i32), Decimal>,
}

impl<'a> RateCache<'a> {
    /// A cache converting to `base`.
    pub fn new(store: &'a Store, base: &str) -> Self {
        RateCache {
            store,
            base: base.to_string(),
            seen: HashMap::new(),
        }
    }

    /// The base currency.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Base-currency units per unit of `currency` on store day `day`.
    pub fn rate(&mut self, currency: &str, day: i32) -> Result<Decimal> {
        if currency == self.base {
            return Ok(Decimal::ONE);
        }
        if let Some(r) = self.seen.get(&(currency.to_string(), day)) {
            return Ok(*r);
        }
        let r = self.store.ledger().rate_on(currency, day)?;
        self.seen.insert((currency.to_string(), day), r);
        Ok(r)
    }
}

impl<S: std::ops::Deref<Target = Store>> Ledger<S> {
    /// The rate of `currency` on store day `day`: the latest on or before it, else the
    /// earliest after it, else 1.
    pub fn rate_on(&self, currency: &str, day: i32) -> Result<Decimal> {
        let conn = self.conn();
        let before: Option<String> = conn
            .prepare_cached(
                "SELECT rate FROM exchange_rates WHERE currency = ?1 AND date <= ?2
                  ORDER BY date DESC LIMIT 1",
            )?
            .query_row(rusqlite::params![currency, day], |r| r.get(0))
            .optional()?;
        let rate = match before {
            Some(r) => Some(r),
            None => conn
                .prepare_cached(
                    "SELECT rate FROM exchange_rates WHERE currency = ?1 AND date > ?2
                      ORDER BY date LIMIT 1",
                )?
                .query_row(rusqlite::params![currency, day], |r| r.get(0))
                .optional()?,
        };
        rate.map_or(Ok(Decimal::ONE), |r| crate::store::stored_rate(&r))
    }
}
