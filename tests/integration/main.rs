//! Integration tests, one binary (link time): scenarios, engine invariants, broker behaviours,
//! the command line.

mod claims;
mod cli;
mod common;
mod conservation;
mod diagnostics;
mod engine;
mod fuzz_regressions;
mod layers;
mod layout;
mod lessons;
mod limits;
mod malformed;
mod models;
mod modern;
mod queueing;
mod schema;
