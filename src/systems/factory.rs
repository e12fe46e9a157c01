//! Building the systems a suite names from their `[systems.<name>]` tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::SystemConfig;
use crate::error::{Error, Result};
use crate::systems::System;

/// Checks the system named in `config` when the suite loads, without running it or reading the
/// files it may read: every key, type and value of its table, its prompt and replay files, and
/// that a `kind = "rust"` system is registered. Errors start with `<suite file>:<line>:` of the
/// system's table.
pub fn check(
    config: &SystemConfig,
    registered: &BTreeMap<String, Arc<dyn System>>,
    root: &Path,
    suite_file: &str,
) -> Result<()> {
    let checked = match config.kind.as_str() {
        "command" => super::command::CommandSystem::check_config(&config.name, &config.table, root),
        "rust" if !registered.contains_key(&config.name) => Err(Error::Config(format!(
            "system `{}` has kind = \"rust\" but nothing is registered under that name; add \
             `.system(\"{}\", MySystem)` to the Harness in tests/benchmarks.rs",
            config.name, config.name
        ))),
        _ => build(config, registered, root, &[]).map(|_| ()),
    };
    checked.map_err(|e| match e {
        Error::Config(message) => Error::Config(format!("{suite_file}:{}: {message}", config.line)),
        other => Error::Config(format!("{suite_file}:{}: {other}", config.line)),
    })
}

/// Builds the system named in `config`. `kind = "rust"` systems come from `registered` (added in
/// the user's `tests/benchmarks.rs` with `Harness::system`). `not_inputs` are the project paths
/// a command system's default input files leave out (see [`crate::config::Suite::not_inputs`]).
pub fn build(
    config: &SystemConfig,
    registered: &BTreeMap<String, Arc<dyn System>>,
    root: &Path,
    not_inputs: &[PathBuf],
) -> Result<Arc<dyn System>> {
    let name = &config.name;
    match config.kind.as_str() {
        "rust" => registered.get(name).cloned().ok_or_else(|| {
            Error::Config(format!(
                "system `{name}` has kind = \"rust\" but no Rust system is registered under that \
                 name; add `.system(\"{name}\", MySystem)` to the Harness in tests/benchmarks.rs"
            ))
        }),
        "builtin" => {
            let allowed = ["kind", "builtin", "params"];
            reject_unknown_keys(config, &allowed)?;
            let builtin = match config.table.get("builtin") {
                Some(toml::Value::String(b)) => b.as_str(),
                _ => {
                    return Err(Error::Config(format!(
                        "`systems.{name}.builtin` is missing; name one of: {}",
                        super::builtin::names().join(", ")
                    )));
                }
            };
            let params = match config.table.get("params") {
                Some(p) => serde_json::to_value(p)
                    .map_err(|e| Error::Config(format!("`systems.{name}.params`: {e}")))?,
                None => serde_json::Value::Object(Default::default()),
            };
            super::builtin::build(builtin, &params)
                .map_err(|e| Error::Config(format!("system `{name}`: {e}")))
        }
        "command" => Ok(Arc::new(super::command::CommandSystem::from_config(
            name,
            &config.table,
            root,
            not_inputs,
        )?)),
        "openai" => Ok(Arc::new(super::openai::OpenAiSystem::from_config(
            name,
            &config.table,
            root,
        )?)),
        "replay" => Ok(Arc::new(super::replay::ReplaySystem::from_config(
            name,
            &config.table,
            root,
        )?)),
        other => Err(Error::Config(format!(
            "system `{name}`: unknown kind `{other}`; use one of {}",
            crate::config::SYSTEM_KINDS.join(", ")
        ))),
    }
}

fn reject_unknown_keys(config: &SystemConfig, allowed: &[&str]) -> Result<()> {
    for key in config.table.keys() {
        if !allowed.contains(&key.as_str()) {
            return Err(Error::Config(format!(
                "`systems.{}.{key}` (line {}) is not a key of kind `{}`; allowed: {}",
                config.name,
                config.line,
                config.kind,
                allowed.join(", ")
            )));
        }
    }
    Ok(())
}
