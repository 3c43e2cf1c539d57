//! The demo portfolio.
