//! Integration tests, one binary (link time): scenarios, engine invariants, broker behaviours,
//! the command line.

mod claims;
mod cli;
mod common;
mod conservation;
mod diagnostics;
mod engine;
mod layers;
mod lessons;
mod limits;
mod malformed;
mod models;
mod queueing;
mod schema;
