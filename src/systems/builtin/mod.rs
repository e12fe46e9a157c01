//! Built-in reference systems (placeholder until the built-ins land).

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::systems::System;

/// Builds a built-in system by name.
pub fn build(builtin: &str, _params: &serde_json::Value) -> Result<Arc<dyn System>> {
    Err(Error::Config(format!("unknown builtin system `{builtin}`")))
}

/// Names of the built-in systems.
pub fn names() -> &'static [&'static str] {
    &[]
}
