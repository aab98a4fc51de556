//! Integration tests, one binary (link time): scenarios, engine invariants, broker behaviours,
//! the command line.

mod claims;
mod cli;
mod common;
mod conservation;
mod engine;
mod layers;
mod layout;
mod lessons;
mod malformed;
mod models;
mod queueing;
