//! The workstation's back end: one service that owns the database connections, the queue's
//! TEMP table and its copy in memory, the figures, the DSO and the forecast, and answers the
//! screens' requests off their input path.
//!
//! - [`requests`]: what a screen asks ([`Request`]) and is answered ([`Response`]), in the
//!   service's own view types.
//! - [`portfolio`]: the worker of one portfolio as of a date ([`PortfolioWorker`]): its own
//!   connection, the queue table, the figures and the DSO.
//! - [`save`]: collector actions from the forms, recorded through [`crate::actions`].
//! - [`forecast`]: the forecast's thread and what it answers.
//! - [`engage`]: the engagement worker (plans, previews, holds, sending).
//!
//! The rows and the customer's detail a screen draws are the plain types of
//! [`crate::domain::queue`], [`crate::domain::customer`] and [`crate::domain::engage`]: the
//! store reads them, the service passes them on, the screens draw them. They moved below both
//! rather than being copied into look-alike view types, because a copy of every row of every
//! page would cost time on the input path and say nothing new; they carry no connection.

pub mod engage;
pub mod forecast;
pub mod portfolio;
pub mod requests;
pub mod save;
pub mod service;

pub use engage::{EngageRequest, EngageResponse};
pub use portfolio::{LOCAL, PortfolioWorker, RebuildTimings, SessionId, Settings};
pub use requests::{BarMetrics, DetailData, Request, Response, Summary};
pub use service::{Answer, Draft, ServiceSettings, Session, Workstation};
