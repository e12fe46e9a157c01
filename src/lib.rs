//! evalgate turns ML output quality into `cargo test` results: it runs systems under test over
//! frozen datasets, scores their outputs, compares them with baselines, and reports every
//! dataset × system × metric × check as one libtest trial.

pub mod error;
pub mod fsutil;
pub mod history;
pub mod metrics;
pub mod report;
pub mod results;
pub mod score;
pub mod systems;

pub use error::{Error, Result};
