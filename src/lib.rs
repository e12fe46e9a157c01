//! evalgate turns ML output quality into `cargo test` results: it runs systems under test over
//! frozen datasets, scores their outputs, compares them with baselines, and reports every
//! dataset × system × metric × check as one libtest trial.

pub mod baseline;
pub mod cache;
pub mod checks;
pub mod config;
pub mod dataset;
pub mod error;
pub mod fsutil;
pub mod generate;
pub mod harness;
pub mod history;
pub mod junit;
pub mod metrics;
pub mod numbers;
pub mod outside;
pub mod pair;
pub mod pricing;
pub(crate) mod process;
pub mod report;
pub mod results;
pub mod score;
pub mod systems;
pub mod text;

pub use error::{Error, Result};
pub use harness::Harness;
