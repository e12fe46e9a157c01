//! The suite file as written: serde structures with the spans of names and values, read in one
//! `toml::from_str`. Everything here is checked and resolved by [`super::Suite::parse`].

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use crate::checks::Severity;

/// The suite file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// `[suite]`, with its span (absent: all defaults).
    pub(super) suite: Option<Spanned<RawSuite>>,
    #[serde(default)]
    pub(super) tiers: BTreeMap<Spanned<String>, RawTier>,
    #[serde(default)]
    pub(super) datasets: BTreeMap<Spanned<String>, RawDataset>,
    #[serde(default)]
    pub(super) systems: BTreeMap<Spanned<String>, super::systems::RawTable>,
    #[serde(default)]
    pub(super) metric_params: BTreeMap<Spanned<String>, BTreeMap<Spanned<String>, toml::Value>>,
    #[serde(default)]
    pub(super) checks: BTreeMap<Spanned<String>, RawChecks>,
    #[serde(default)]
    pub(super) overrides: Vec<Spanned<RawOverride>>,
    #[serde(default)]
    pub(super) external_metrics: BTreeMap<Spanned<String>, super::systems::RawTable>,
}

impl RawConfig {
    /// `[suite]` as written, or all defaults.
    pub(super) fn suite(&self) -> &RawSuite {
        static DEFAULTS: RawSuite = RawSuite {
            name: None,
            datasets_dir: None,
            baselines_dir: None,
            cache_dir: None,
            pricing: None,
            stemmer: None,
            store_predictions: None,
            metrics: Vec::new(),
        };
        self.suite.as_ref().map_or(&DEFAULTS, |s| s.get_ref())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSuite {
    pub(super) name: Option<String>,
    pub(super) datasets_dir: Option<String>,
    pub(super) baselines_dir: Option<String>,
    pub(super) cache_dir: Option<String>,
    pub(super) pricing: Option<String>,
    pub(super) stemmer: Option<bool>,
    pub(super) store_predictions: Option<bool>,
    #[serde(default)]
    pub(super) metrics: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTier {
    pub(super) datasets: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) ignored: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDataset {
    pub(super) path: Option<Spanned<String>>,
    pub(super) systems: Vec<Spanned<String>>,
    pub(super) metrics: Option<Vec<Spanned<String>>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawChecks {
    pub(super) min: Option<Spanned<RawBound>>,
    pub(super) max: Option<Spanned<RawBound>>,
    pub(super) vs_baseline: Option<Spanned<RawVsBaseline>>,
    pub(super) item_min: Option<Spanned<RawItemBound>>,
    pub(super) item_max: Option<Spanned<RawItemBound>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOverride {
    pub(super) dataset: Option<Spanned<String>>,
    pub(super) system: Option<Spanned<String>>,
    pub(super) metric: Spanned<String>,
    pub(super) min: Option<Spanned<RawBound>>,
    pub(super) max: Option<Spanned<RawBound>>,
    pub(super) vs_baseline: Option<Spanned<RawVsBaseline>>,
    pub(super) item_min: Option<Spanned<RawItemBound>>,
    pub(super) item_max: Option<Spanned<RawItemBound>>,
}

/// `min = 0.2`, `min = { value = 0.2, severity = "warn" }`, or `min = false` (off).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub(super) enum RawBound {
    Off(bool),
    Value(f64),
    Full(RawBoundTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBoundTable {
    pub(super) value: f64,
    #[serde(default)]
    pub(super) severity: Severity,
}

/// `item_min = 0.2`, `item_min = { value = 0.2, max_failing_items = 2, severity = "warn",
/// per_item_trials = true }`, or `item_min = false` (off).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub(super) enum RawItemBound {
    Off(bool),
    Value(f64),
    Full(RawItemBoundTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItemBoundTable {
    pub(super) value: f64,
    pub(super) max_failing_items: Option<i64>,
    pub(super) max_failing_pct: Option<f64>,
    #[serde(default)]
    pub(super) severity: Severity,
    #[serde(default)]
    pub(super) per_item_trials: bool,
}

/// `vs_baseline = { max_drop = 0.02, max_drop_pct = 5, severity = "error" }` or `false` (off).
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "toml::Value")]
pub(super) enum RawVsBaseline {
    Off(bool),
    Full(RawVsBaselineTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVsBaselineTable {
    pub(super) max_drop: Option<f64>,
    pub(super) max_drop_pct: Option<f64>,
    #[serde(default)]
    pub(super) severity: Severity,
    /// `"none"` (default), `"paired_bootstrap"` or `"permutation"`.
    pub(super) test: Option<String>,
    pub(super) confidence: Option<f64>,
    pub(super) resamples: Option<i64>,
}

/// Reads a check table (`{ value = .., severity = .. }`) with the table's own error, or says
/// what a check accepts when the value is not a table.
fn check_table<T: serde::de::DeserializeOwned>(
    value: toml::Value,
    accepted: &str,
) -> std::result::Result<T, String> {
    match value {
        toml::Value::Table(_) => value
            .try_into()
            .map_err(|e: toml::de::Error| format!("{}; a check accepts {accepted}", e.message())),
        other => Err(format!(
            "a check accepts {accepted}, found {} `{other}`",
            other.type_str()
        )),
    }
}

/// A bound as written: `true`/`false` made by `off`, a number (integer or float) by `number`,
/// a table (read with [`check_table`]) by `full`.
fn bound_from<T: serde::de::DeserializeOwned, B>(
    value: toml::Value,
    accepted: &str,
    off: fn(bool) -> B,
    number: fn(f64) -> B,
    full: fn(T) -> B,
) -> std::result::Result<B, String> {
    match value {
        toml::Value::Boolean(b) => Ok(off(b)),
        toml::Value::Integer(i) => Ok(number(i as f64)),
        toml::Value::Float(f) => Ok(number(f)),
        other => check_table(other, accepted).map(full),
    }
}

impl TryFrom<toml::Value> for RawBound {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        const ACCEPTED: &str =
            "a number (`min = 0.2`), `{ value = 0.2, severity = \"warn\" }` or `false` (off)";
        bound_from(
            value,
            ACCEPTED,
            RawBound::Off,
            RawBound::Value,
            RawBound::Full,
        )
    }
}

impl TryFrom<toml::Value> for RawItemBound {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        const ACCEPTED: &str = "a number (`item_min = 0.2`), `{ value = 0.2, max_failing_items = \
                                2, max_failing_pct = 5, severity = \"warn\", per_item_trials = \
                                true }` or `false` (off)";
        bound_from(
            value,
            ACCEPTED,
            RawItemBound::Off,
            RawItemBound::Value,
            RawItemBound::Full,
        )
    }
}

impl TryFrom<toml::Value> for RawVsBaseline {
    type Error = String;
    fn try_from(value: toml::Value) -> std::result::Result<Self, String> {
        const ACCEPTED: &str = "`{ max_drop = 0.02, max_drop_pct = 5, severity = \"error\" }` \
                                or `false` (off)";
        match value {
            toml::Value::Boolean(b) => Ok(RawVsBaseline::Off(b)),
            other => check_table(other, ACCEPTED).map(RawVsBaseline::Full),
        }
    }
}
