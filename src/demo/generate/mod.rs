//! Deterministic demo portfolio: the five import CSVs of SPEC.md "Import format".
//!
//! The generator walks the customers one at a time. For each it draws a profile (name, terms,
//! payment method, owners) and a behaviour *archetype* with a latent lateness (mean days late,
//! spread, and for some a drift over time), lays out two years of invoices, and then lets the
//! customer live that history: payments arrive `due date + lateness + size effect + noise`
//! days after the due date — or not at all yet if that falls after `today` — with instalments,
//! card declines, disputes settled by credit notes, weekly payment runs, and the odd unapplied
//! or voided payment. Only one customer's ledger is in memory at a time; rows are streamed to
//! `csv::Writer`s over `BufWriter`s.
//!
//! Determinism: every customer draws from its own xoshiro256** stream seeded from
//! `(seed, customer index)`, and the floating-point maths uses only `+ - * /` (IEEE-exact) and
//! a local [`exp`](rng::exp), never the platform's libm, so a seed gives byte-identical files
//! on every platform. Money is kept in minor units (`i64` cents) and written with two decimals.
//!
//! This file holds the public entry points and options; the steps live beside it in the order
//! a customer goes through them: `customers` (profile) and `names`, `documents` and
//! `settlement` filling the `ledger`, `activities` (the collector's side) with `reminders`, and
//! `csv_out`;
//! `rng`, `dates_money`, `currencies` and `tunables` serve them all.

use std::fs;
use std::io;
use std::path::Path;

use chrono::NaiveDate;

use crate::domain::backfill::PastActivity;

mod activities;
mod csv_out;
mod currencies;
mod customers;
mod dates_money;
mod documents;
mod ledger;
mod names;
mod reminders;
mod replies;
mod rng;
mod settlement;
#[cfg(test)]
mod tests;
mod tunables;

use activities::draw_activities;
use csv_out::Sinks;
use currencies::Market;
use customers::{ARCHETYPES, Archetype, draw_customer};
use dates_money::shift;
use documents::draw_ledger;
use ledger::{IdCounters, Ledger};
use rng::Rng;
use tunables::{
    DISPUTE_CREDIT_CHANCE, HICCUP_CHANCE, HISTORY_DAYS, RATE_LEAD_DAYS, SIZE_EFFECT_DAYS,
    STREAM_ACTIVITY, STREAM_CUSTOMER,
};

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of customers (2,000 is the `owed demo` default).
    pub customers: usize,
    /// Seed of the pseudo-random streams: the same options always give the same bytes.
    pub seed: u64,
    /// The last day of the history: nothing is dated after it (due dates may be).
    pub today: NaiveDate,
    /// The base currency (`"USD"`): most customers bill in it and it gets no rate rows.
    pub base_currency: String,
}

/// How the demo's customers pay: the generator's behaviour tunables. The defaults make the
/// `owed demo` portfolio; other settings make a portfolio that behaves differently (to check
/// that the forecast learns what a ledger does rather than what the demo does).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoBehaviour {
    /// Weights of the archetypes: prompt, steady, chronic late, partial, disputer, card
    /// failing, stopped.
    pub archetypes: [u32; 7],
    /// Every archetype's mean days late and spread are multiplied by these.
    pub lateness_scale: f64,
    pub spread_scale: f64,
    /// Share of the customers whose lateness drifts over time.
    pub drift_share: f64,
    /// Extra days late per unit of log-size above the customer's usual invoice.
    pub size_effect_days: f64,
    /// Chance that any invoice is paid with an unrelated hiccup of 10–60 extra days.
    pub hiccup_chance: f64,
    /// Share of a disputer's invoices it disputes (others dispute 1 %).
    pub disputer_share: f64,
    /// Days a dispute adds (uniform between the two).
    pub dispute_days: (f64, f64),
    /// Chance that a disputed document is settled by a credit note rather than paid late.
    pub dispute_credit_chance: f64,
    /// Share of the larger customers paying by transfer or cheque who batch payments into a
    /// weekly run.
    pub payment_run_share: f64,
}

impl Default for DemoBehaviour {
    fn default() -> Self {
        DemoBehaviour {
            archetypes: [35, 20, 15, 10, 8, 8, 4],
            lateness_scale: 1.0,
            spread_scale: 1.0,
            drift_share: 0.25,
            size_effect_days: SIZE_EFFECT_DAYS,
            hiccup_chance: HICCUP_CHANCE,
            disputer_share: 0.3,
            dispute_days: (40.0, 150.0),
            dispute_credit_chance: DISPUTE_CREDIT_CHANCE,
            payment_run_share: 0.6,
        }
    }
}

impl DemoBehaviour {
    /// Parses `key=value` pairs separated by commas over the defaults: `archetypes=a/b/c/d/e/f/g`,
    /// `lateness=`, `spread=`, `drift=`, `size_effect=`, `hiccup=`, `disputer_share=`,
    /// `dispute_days=LOW..HIGH`, `dispute_credit=`, `payment_run=`.
    pub fn parse(text: &str) -> Result<DemoBehaviour, String> {
        let mut b = DemoBehaviour::default();
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not key=value"))?;
            let number = |v: &str| -> Result<f64, String> {
                v.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| format!("`{v}` is not a number of at least 0 (for {key})"))
            };
            let share = |v: &str| -> Result<f64, String> {
                number(v).and_then(|x| {
                    if x <= 1.0 {
                        Ok(x)
                    } else {
                        Err(format!("{key} is a share between 0 and 1, not {v}"))
                    }
                })
            };
            match key.trim() {
                "archetypes" => {
                    let weights: Vec<u32> = value
                        .split('/')
                        .map(|w| w.trim().parse::<u32>())
                        .collect::<Result<_, _>>()
                        .map_err(|_| {
                            format!("`{value}` is not seven whole weights a/b/c/d/e/f/g")
                        })?;
                    b.archetypes = weights
                        .try_into()
                        .ok()
                        .filter(|w: &[u32; 7]| w.iter().any(|&x| x > 0))
                        .ok_or_else(|| format!("`{value}` is not seven weights, not all 0"))?;
                }
                "lateness" => b.lateness_scale = number(value)?,
                "spread" => b.spread_scale = number(value)?,
                "drift" => b.drift_share = share(value)?,
                "size_effect" => b.size_effect_days = number(value)?,
                "hiccup" => b.hiccup_chance = share(value)?,
                "disputer_share" => b.disputer_share = share(value)?,
                "dispute_credit" => b.dispute_credit_chance = share(value)?,
                "payment_run" => b.payment_run_share = share(value)?,
                "dispute_days" => {
                    let (low, high) = value
                        .split_once("..")
                        .ok_or_else(|| format!("dispute_days is LOW..HIGH, not `{value}`"))?;
                    let (low, high) = (number(low)?, number(high)?);
                    if low > high {
                        return Err(format!("dispute_days {low}..{high} runs backwards"));
                    }
                    b.dispute_days = (low, high);
                }
                other => return Err(format!("`{other}` is not a demo behaviour setting")),
            }
        }
        Ok(b)
    }

    /// The settings that differ from the defaults, as `parse` reads them ("" for none).
    pub fn describe(&self) -> String {
        let d = DemoBehaviour::default();
        let mut out = Vec::new();
        if self.archetypes != d.archetypes {
            let w: Vec<String> = self.archetypes.iter().map(u32::to_string).collect();
            out.push(format!("archetypes={}", w.join("/")));
        }
        let mut num = |key: &str, a: f64, b: f64| {
            if a != b {
                out.push(format!("{key}={a}"));
            }
        };
        num("lateness", self.lateness_scale, d.lateness_scale);
        num("spread", self.spread_scale, d.spread_scale);
        num("drift", self.drift_share, d.drift_share);
        num("size_effect", self.size_effect_days, d.size_effect_days);
        num("hiccup", self.hiccup_chance, d.hiccup_chance);
        num("disputer_share", self.disputer_share, d.disputer_share);
        num(
            "dispute_credit",
            self.dispute_credit_chance,
            d.dispute_credit_chance,
        );
        num("payment_run", self.payment_run_share, d.payment_run_share);
        if self.dispute_days != d.dispute_days {
            out.push(format!(
                "dispute_days={}..{}",
                self.dispute_days.0, self.dispute_days.1
            ));
        }
        out.join(",")
    }

    fn archetypes(&self) -> [(Archetype, u32); 7] {
        let mut out = ARCHETYPES;
        for (slot, &w) in out.iter_mut().zip(&self.archetypes) {
            slot.1 = w;
        }
        out
    }
}

/// Rows written to each CSV file (header rows not counted).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DemoCounts {
    pub customers: usize,
    pub documents: usize,
    pub payments: usize,
    pub applications: usize,
    pub exchange_rates: usize,
}

/// Writes customers.csv, documents.csv, payments.csv, applications.csv, exchange_rates.csv into `dir`
/// (SPEC import format, header row first), streaming customer by customer (never holds all documents in memory),
/// and returns the counts plus the collector activity (notes, promises, disputes) of the whole history, customer
/// by customer in the customers' order, each customer's in date order (see the `activities` module).
///
/// `dir` is created if missing; existing files of those names are overwritten.
pub fn write_csvs(opts: &DemoOptions, dir: &Path) -> io::Result<(DemoCounts, Vec<PastActivity>)> {
    write_csvs_behaving(opts, &DemoBehaviour::default(), dir)
}

/// [`write_csvs`] with customers who pay as `behaviour` says.
pub fn write_csvs_behaving(
    opts: &DemoOptions,
    behaviour: &DemoBehaviour,
    dir: &Path,
) -> io::Result<(DemoCounts, Vec<PastActivity>)> {
    fs::create_dir_all(dir)?;
    let mut sinks = Sinks::create(dir)?;
    let market = Market::new(&opts.base_currency);
    let history_start = shift(opts.today, -HISTORY_DAYS);
    let mut counts = DemoCounts {
        exchange_rates: sinks.write_exchange_rates(
            &market,
            shift(history_start, -RATE_LEAD_DAYS),
            opts.today,
            opts.seed,
        )?,
        ..DemoCounts::default()
    };

    let mut ids = IdCounters::default();
    let mut residue_owed = true;
    let mut ledger = Ledger::default();
    let mut activities = Vec::new();
    for index in 0..opts.customers {
        let mut rng = Rng::new(opts.seed, STREAM_CUSTOMER, index as u64);
        let customer = draw_customer(
            index,
            &market,
            behaviour,
            history_start,
            opts.today,
            &mut rng,
        );
        draw_ledger(
            &customer,
            opts.today,
            &mut rng,
            &mut ledger,
            &mut ids,
            &mut residue_owed,
        );
        sinks.write_customer(&customer, &ledger, &mut counts)?;

        let mut rng = Rng::new(opts.seed, STREAM_ACTIVITY, index as u64);
        draw_activities(&customer, &ledger, opts.today, &mut rng, &mut activities);
    }
    sinks.finish()?;
    Ok((counts, activities))
}
