//! `owed` — a terminal workstation for accounts-receivable collectors.
//!
//! The library holds everything; `main.rs` only parses arguments and calls [`cli::run`].
//!
//! - [`domain`]: money, dates, aging, metrics, promises, rules, forecasts — pure functions over
//!   plain data; the as-of date is always passed in.
//! - [`store`]: the SQLite database — the only module with SQL.
//! - [`actions`]: the collector actions (note, call, promise, dispute, resolve, follow-up,
//!   assign, attach), each checked and recorded in one transaction; the command line and the
//!   workstation's forms both call them.
//! - [`import`]: the billing system's CSV exports (and a bank's lockbox file) into the store.
//! - [`demo`]: a deterministic demo portfolio, imported through [`import`].
//! - [`report`]: the portfolio's figures as of a date (aging, metrics, forecast, backtest,
//!   activity, team) as JSON and tables.
//! - [`export`]: any view as xlsx or CSV, and the statement's PDF.
//! - [`engage`]: engagement cycles, reminders over SMTP, replies, the engagement report.
//! - [`workstation`]: the workstation's back end, one service for every session: the store,
//!   the queue table, the figures, the DSO, the forecast and engagement workers, answering
//!   requests in its own view types.
//! - [`tui`]: the workstation's screens (state, keys, drawing) and the session loop, for the
//!   local terminal or any other (an SSH channel); it imports neither `store` nor `cli`.
//! - [`serve`]: `owed serve`, the workstation over SSH for the whole team.
//! - [`terminal`]: what a terminal can show (colour depth, Unicode), the local one's or an SSH
//!   client's, by one rule.
//! - [`cli`]: the command line.
//! - [`config`]: `config.toml` and where files live; [`editor`]: a long text in `$EDITOR`;
//!   [`error`]: the error type and its exit codes; [`files`]: files from outside, opened
//!   without following links.
//!
//! `.ci/layers` checks the arrows: `domain` and `store` import nothing above them, `tui`
//! neither `store` nor `cli`.

pub mod actions;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod editor;
pub mod engage;
pub mod error;
pub mod export;
pub mod files;
pub mod import;
pub mod report;
pub mod serve;
pub mod store;
pub mod terminal;
pub mod tui;
pub mod workstation;

pub use error::{Error, Result};
