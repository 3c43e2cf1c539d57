//! `owed` — a terminal workstation for accounts-receivable collectors.
//!
//! The library holds everything; `main.rs` only parses arguments and calls [`cli::run`].
//!
//! - [`domain`]: money, dates, aging, metrics, promises, rules, forecasts — pure functions over
//!   plain data; the as-of date is always passed in.
//! - [`store`]: the SQLite database — the only module with SQL.
//! - [`import`]: the billing system's CSV exports into the store.
//! - [`demo`]: a deterministic demo portfolio, imported through [`import`].
//! - [`engage`]: engagement cycles, reminders over SMTP, replies, the engagement report.
//! - [`cli`]: the command line.

pub mod actions;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod editor;
pub mod engage;
pub mod error;
pub mod export;
pub mod import;
pub mod report;
pub mod store;
pub mod tui;
pub mod workstation;

pub use error::{Error, Result};
