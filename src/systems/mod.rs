//! Systems under test: the trait every system implements (built-in, command, HTTP, replay, or a
//! user's in-process Rust type) and the data they exchange with the harness.

use serde::{Deserialize, Serialize};

use crate::error::Result;

pub mod builtin;

/// What a system gets for one dataset item.
#[derive(Debug, Clone, Copy)]
pub struct SystemRequest<'a> {
    /// Dataset item id.
    pub item_id: &'a str,
    /// The item's input text (e.g. a transcript).
    pub input: &'a str,
    /// The item's metadata from the dataset.
    pub metadata: &'a serde_json::Value,
}

/// Token usage reported by a provider.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Completion tokens.
    pub output_tokens: u64,
}

/// One system output with what it cost to make.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    /// The output text (the prediction that metrics score).
    pub output: String,
    /// Wall-clock time of generation in milliseconds, when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Provider-reported token usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Cost in US dollars, when the system reports it directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
}

impl Generation {
    /// A plain text output with nothing else measured.
    pub fn text(output: impl Into<String>) -> Self {
        Generation {
            output: output.into(),
            ..Default::default()
        }
    }
}

/// A system under test.
pub trait System: Send + Sync {
    /// Everything that determines this system's output (kind, parameters, model, prompts, the
    /// content hash of a script, evalgate's version for built-ins), never secrets. It is hashed
    /// into the baseline fingerprint so a baseline made with another configuration is recognised.
    fn fingerprint(&self) -> serde_json::Value;

    /// Produces the output for one item.
    fn generate(&self, request: &SystemRequest<'_>) -> Result<Generation>;
}

pub mod factory;
