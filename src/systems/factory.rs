//! Building the systems a suite names from their `[systems.<name>]` tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::{SystemConfig, SystemKind};
use crate::error::Result;
use crate::systems::System;

/// Checks the system named in `config` when the suite loads, without running it or reading the
/// files it may read: every key, type and value of its table, its prompt and replay files, and
/// that a `kind = "rust"` system is registered. Errors name the suite file and the line of the
/// key (or of the table).
pub fn check(
    config: &SystemConfig,
    registered: &BTreeMap<String, Arc<dyn System>>,
    root: &Path,
    source_file: &str,
) -> Result<()> {
    match config.kind {
        SystemKind::Command => super::command::CommandSystem::check_config(config.keys(), root),
        _ => build(config, registered, root, &[], source_file).map(|_| ()),
    }
}

/// Builds the system named in `config`. `kind = "rust"` systems come from `registered` (added in
/// the user's test source `source_file`, usually `tests/benchmarks.rs`, with `Harness::system`).
/// `not_inputs` are the project paths a command system's default input files leave out (see
/// [`crate::config::Suite::not_inputs`]).
pub fn build(
    config: &SystemConfig,
    registered: &BTreeMap<String, Arc<dyn System>>,
    root: &Path,
    not_inputs: &[PathBuf],
    source_file: &str,
) -> Result<Arc<dyn System>> {
    let keys = config.keys();
    match config.kind {
        SystemKind::Rust => {
            keys.allow_only(&["kind", "samples"])?;
            registered.get(&config.name).cloned().ok_or_else(|| {
                keys.table_error(&format!(
                    "has kind = \"rust\" but no Rust system is registered under that name; add \
                     `.system(\"{}\", MySystem)` to the Harness in {source_file}",
                    config.name
                ))
            })
        }
        SystemKind::Builtin => {
            keys.allow_only(&["kind", "builtin", "params", "samples"])?;
            let names = super::builtin::names().join(", ");
            let builtin = keys.required(
                "builtin",
                keys.string("builtin")?,
                &format!("name one of: {names}"),
            )?;
            let params = keys
                .json("params")?
                .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
            if !super::builtin::names().contains(&builtin.as_str()) {
                return Err(keys.error(
                    "builtin",
                    &format!("is `{builtin}`; valid built-ins: {names}"),
                ));
            }
            super::builtin::build(&builtin, &params).map_err(|e| keys.nest("params", e))
        }
        SystemKind::Command => Ok(Arc::new(super::command::CommandSystem::from_keys(
            keys, root, not_inputs,
        )?)),
        SystemKind::Openai => Ok(Arc::new(super::openai::OpenAiSystem::from_keys(
            keys, root,
        )?)),
        SystemKind::Replay => Ok(Arc::new(super::replay::ReplaySystem::from_keys(
            keys, root,
        )?)),
    }
}
