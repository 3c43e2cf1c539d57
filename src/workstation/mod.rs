//! The workstation's back end: one service, started once, that every screen talks to — the
//! local terminal and every SSH session of `owed serve` alike. It owns the database
//! connections, the queue's TEMP table and its copy in memory, the figures, the DSO, the
//! forecast and the engagement workers, and answers requests off the screens' input path.
//!
//! - [`service`]: [`Workstation`] and its [`Session`]s: portfolios shared by date, requests
//!   routed to the portfolio of the session's date, answers delivered to the session, drafts
//!   kept per user.
//! - [`requests`]: what a session asks ([`Request`]) and is answered ([`Response`]), in the
//!   service's own view types.
//! - [`portfolio`]: the worker of one portfolio as of a date ([`PortfolioWorker`]) and the
//!   sessions looking at it: its own connection, the queue table, the figures and the DSO;
//!   per session only the last page and detail asked for.
//! - [`save`]: collector actions from the forms, recorded through [`crate::actions`] for the
//!   session's actor.
//! - [`recompute`]: the figures computed again for another program's commit, on a thread,
//!   and written into a queue table beside the sessions' one a part at a time.
//! - [`forecast`]: the forecast's thread and what it answers.
//! - [`beside`]: answers made on threads beside a portfolio's worker: the team's figures and
//!   exports' files.
//! - [`scope`]: the figures of the part of the portfolio a session's queue shows (its scope
//!   and filter), for its metrics bar and charts.
//! - [`attachment`]: an attachment's preview for the viewer.
//! - [`files`]: where a session's files are ([`FileAccess`]): anywhere in one's own shell,
//!   only in the server's files folder over SSH.
//! - [`engage`]: the engagement worker of a session (plans, previews, holds, sending), and
//!   today's plan shared by the sessions.
//!
//! The rows and the customer's detail a screen draws are the plain types of
//! [`crate::domain::queue`], [`crate::domain::customer`] and [`crate::domain::engage`]: the
//! store reads them, the service passes them on, the screens draw them. They moved below both
//! rather than being copied into look-alike view types, because a copy of every row of every
//! page would cost time on the input path and say nothing new; they carry no connection and no
//! SQL. Everything else a screen sees (the summary, the detail with its figures and forecast,
//! form data, save outcomes, engagement plans and previews) is the service's own.

pub mod attachment;
pub mod beside;
pub mod engage;
pub mod files;
pub mod forecast;
pub mod portfolio;
pub mod recompute;
pub mod requests;
pub mod save;
pub mod scope;
pub mod service;

pub use engage::{EngageRequest, EngageResponse};
pub use files::{FileAccess, Unreadable, UserFolders};
pub use portfolio::{LOCAL, PortfolioWorker, Rebuilds, SessionId, Settings};
pub use requests::{
    DetailData, ExportJob, ExportWhat, ImportStamp, Request, Response, ScopeSummary, Summary,
    TeamView,
};
pub use service::{Answer, Draft, ServiceSettings, Session, Workstation};

/// Frees what the worker replaced on a thread of its own: a whole portfolio's figures, a
/// forecast's predictions or the queue table's copy in memory are hundreds of thousands of
/// allocations at 100,000 customers, tens of milliseconds to free (measured: a forecast,
/// 77–124 ms) that every session would wait for. Should no thread start, it is freed here,
/// with the closure that holds it.
pub(crate) fn free_beside<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("owed-free".into())
        .spawn(move || drop(value));
}
