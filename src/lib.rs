//! brokerlab: one workload through several messaging topologies, side by side, to see why Kafka
//! exists. See DESIGN.md for the layers; everything here but `cli` (and the app) is the engine.

#[cfg(feature = "app")]
pub mod app;
pub mod broker;
pub mod builtin;
pub mod cli;
pub mod engine;
pub mod import;
pub mod lesson;
pub mod metrics;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod topology;

pub use scenario::{Scenario, ScenarioError};
pub use sim::Simulation;
