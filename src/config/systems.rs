//! The `[systems.<name>]` and `[external_metrics.<id>]` tables: their kind, their keys with the
//! line of each, read in the same pass as the rest of the suite. What each kind's keys mean is
//! read by the kind itself (`systems::command`, `systems::openai`, ...) through [`Keys`], so
//! every error names the file, the line and `systems.<name>.<key>`.

use std::collections::BTreeMap;

use toml::Spanned;

use super::keys::{Keys, Place};
use super::lines::LineIndex;
use crate::error::Result;

/// A table as written: its keys with their spans.
pub(super) type RawTable = Spanned<BTreeMap<Spanned<String>, toml::Value>>;

/// The kinds of system a suite may use (`kind = "..."`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SystemKind {
    /// A built-in reference system (`builtin = "lead_n"`, ...).
    Builtin,
    /// A Rust type registered with `Harness::system`.
    Rust,
    /// The user's program, per item or in batch.
    Command,
    /// An OpenAI-compatible chat-completions endpoint.
    Openai,
    /// Predictions recorded in a JSON-lines file.
    Replay,
}

impl SystemKind {
    /// Every kind, in the order messages list them.
    pub const ALL: [SystemKind; 5] = [
        SystemKind::Builtin,
        SystemKind::Rust,
        SystemKind::Command,
        SystemKind::Openai,
        SystemKind::Replay,
    ];

    /// The name written in `kind = "..."`.
    pub fn as_str(self) -> &'static str {
        match self {
            SystemKind::Builtin => "builtin",
            SystemKind::Rust => "rust",
            SystemKind::Command => "command",
            SystemKind::Openai => "openai",
            SystemKind::Replay => "replay",
        }
    }

    fn parse(name: &str) -> Option<SystemKind> {
        SystemKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    fn names() -> String {
        SystemKind::ALL.map(SystemKind::as_str).join(", ")
    }
}

/// A system entry of the suite.
#[derive(Debug, Clone)]
pub struct SystemConfig {
    /// System name.
    pub name: String,
    /// Its kind.
    pub kind: SystemKind,
    /// The full table as written (`kind` included).
    pub table: toml::Table,
    /// Where it is in the suite file.
    pub place: Place,
    /// Line of `[systems.<name>]`.
    pub line: u32,
    /// Outputs generated per item (`samples = N`, 1 to [`MAX_SAMPLES`], default 1).
    pub samples: u32,
}

/// The most samples per item a system may ask for (`samples`).
pub const MAX_SAMPLES: u32 = 1000;

impl SystemConfig {
    /// Typed access to the table's keys, errors located in the suite file.
    pub fn keys(&self) -> Keys<'_> {
        Keys::new("systems", &self.name, &self.table).at(&self.place)
    }
}

/// An `[external_metrics.<id>]` entry: a metric computed by the user's program.
#[derive(Debug, Clone)]
pub struct ExternalMetricConfig {
    /// The metric id.
    pub id: String,
    /// The table as written.
    pub table: toml::Table,
    /// Where it is in the suite file.
    pub place: Place,
}

impl ExternalMetricConfig {
    /// Typed access to the table's keys, errors located in the suite file.
    pub fn keys(&self) -> Keys<'_> {
        Keys::new("external_metrics", &self.id, &self.table).at(&self.place)
    }
}

/// A table with the place of its name and keys.
pub(super) fn placed(
    file: &str,
    lines: &LineIndex,
    name: &Spanned<String>,
    raw: &RawTable,
) -> (toml::Table, Place) {
    let table = raw
        .get_ref()
        .iter()
        .map(|(k, v)| (k.get_ref().clone(), v.clone()))
        .collect();
    let place = Place {
        file: file.to_string(),
        line: lines.line(name.span().start),
        key_lines: raw
            .get_ref()
            .keys()
            .map(|k| (k.get_ref().clone(), lines.line(k.span().start)))
            .collect(),
    };
    (table, place)
}

/// Reads one `[systems.<name>]` table's kind.
pub(super) fn system(
    file: &str,
    lines: &LineIndex,
    name: &Spanned<String>,
    raw: &RawTable,
) -> Result<SystemConfig> {
    let (table, place) = placed(file, lines, name, raw);
    let keys = Keys::new("systems", name.get_ref(), &table).at(&place);
    let kind_name = keys.required(
        "kind",
        keys.string("kind")?,
        &format!("use one of {}", SystemKind::names()),
    )?;
    let kind = SystemKind::parse(&kind_name).ok_or_else(|| {
        keys.error(
            "kind",
            &format!("is `{kind_name}`; use one of {}", SystemKind::names()),
        )
    })?;
    let samples = keys
        .integer_in("samples", 1..=i64::from(MAX_SAMPLES))?
        .map_or(1, |n| n as u32);
    if kind == SystemKind::Builtin && samples > 1 {
        return Err(keys.error(
            "samples",
            &format!(
                "is {samples}, but built-ins are deterministic; remove samples (every sample \
                 would be the same output)"
            ),
        ));
    }
    let line = place.line;
    Ok(SystemConfig {
        name: name.get_ref().clone(),
        kind,
        table,
        place,
        line,
        samples,
    })
}

/// Reads one `[external_metrics.<id>]` table (its keys are read by the metric).
pub(super) fn external_metric(
    file: &str,
    lines: &LineIndex,
    id: &Spanned<String>,
    raw: &RawTable,
) -> ExternalMetricConfig {
    let (table, place) = placed(file, lines, id, raw);
    ExternalMetricConfig {
        id: id.get_ref().clone(),
        table,
        place,
    }
}
