//! The workstation's tests' name for the one fixture: `tests/fixture`, the same module.
#![allow(unused_imports)]

#[path = "../fixture/mod.rs"]
mod fixture;

pub use fixture::*;
