//! tokencast: Monte Carlo forecasts of what AI coding agents cost.
//!
//! Data flows one way: scenario file → validated model → trials → usage → cost → statistics →
//! reports. Each module is one layer and knows only the layers below it.
#![warn(missing_docs)]

pub mod dist;
pub mod engine;
pub mod pricing;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod workflow;
