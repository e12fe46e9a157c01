//! Built-in reference systems: deterministic, offline floors that every suite can run without a
//! model.
//!
//! | name                 | params (default)  | what it does                                        |
//! |----------------------|-------------------|-----------------------------------------------------|
//! | `lead_n`             | `sentences` (3)   | first N sentences of the cleaned transcript         |
//! | `textrank`           | `sentences` (3)   | TextRank extractive summary of the cleaned transcript|
//! | `transcript_cleaner` | none              | drops timestamps, speaker labels and sponsor blocks |
//!
//! Each system's fingerprint is `{"kind": "builtin", "name", "params", "evalgate_version"}`, so a
//! baseline made with other parameters or another evalgate version is recognised.

pub mod cleaner;
pub mod lead_n;
pub mod textrank;

use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::error::{ConfigError, Error, Result};
use crate::systems::System;

/// The names [`build`] accepts.
pub fn names() -> &'static [&'static str] {
    &["lead_n", "textrank", "transcript_cleaner"]
}

/// Builds the built-in system `builtin` with `params` (a JSON object, or null for defaults).
/// An unknown name, an unknown parameter or a bad parameter value is an [`Error::Config`] that
/// names it and lists the valid choices; a parameter error's key is the parameter's name, so a
/// caller can place it under its `params` table ([`crate::config::keys::Keys::nest`]).
pub fn build(builtin: &str, params: &Value) -> Result<Arc<dyn System>> {
    match builtin {
        "lead_n" => lead_n::LeadN::from_params(params),
        "textrank" => textrank::TextRank::from_params(params),
        "transcript_cleaner" => cleaner::TranscriptCleaner::from_params(params),
        other => Err(Error::Config(ConfigError::new(format!(
            "unknown built-in system `{other}`; valid built-ins: {}",
            names().join(", ")
        )))),
    }
}

/// The fingerprint shared by all built-ins.
pub(crate) fn fingerprint(name: &str, params: Value) -> Value {
    json!({
        "kind": "builtin",
        "name": name,
        "params": params,
        "evalgate_version": env!("CARGO_PKG_VERSION"),
    })
}

/// A built-in's parameter table, checked against the names it accepts.
#[derive(Debug)]
pub(crate) struct BuiltinParams<'a> {
    system: &'a str,
    map: Map<String, Value>,
}

impl<'a> BuiltinParams<'a> {
    /// Accepts `null` or an object whose keys are all in `allowed`.
    pub(crate) fn parse(system: &'a str, params: &Value, allowed: &[&str]) -> Result<Self> {
        let valid = || {
            if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed.join(", ")
            }
        };
        let map = match params {
            Value::Null => Map::new(),
            Value::Object(m) => m.clone(),
            other => {
                return Err(Error::Config(ConfigError::new(format!(
                    "must be a table, found `{other}`; valid parameters of built-in `{system}`: {}",
                    valid()
                ))));
            }
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Error::Config(
                ConfigError::new(format!(
                    "is not a parameter of built-in `{system}`; valid parameters: {}",
                    valid()
                ))
                .for_key(unknown.as_str()),
            ));
        }
        Ok(BuiltinParams { system, map })
    }

    /// A positive integer parameter, or `default` when absent.
    pub(crate) fn positive_int(&self, key: &str, default: usize) -> Result<usize> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .filter(|n| *n >= 1)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| {
                    Error::Config(
                        ConfigError::new(format!(
                            "must be a positive integer, found {v} (built-in `{}`)",
                            self.system
                        ))
                        .for_key(key),
                    )
                }),
        }
    }
}
