//! Heuristic gate metrics: cheap per-item checks on system outputs, computed per item and then
//! aggregated as a rate (share of items that fail) or a mean over items. Each per-item value is
//! kept in [`MetricValues::per_item`], so a failing check can name the items that fail.
//!
//! | id                   | per item | aggregate | direction | reference-based |
//! |----------------------|----------|-----------|-----------|-----------------|
//! | `boilerplate_leak`   | 0/1      | rate      | lower     | no              |
//! | `speaker_label_leak` | 0/1      | rate      | lower     | no              |
//! | `speaker_name_leak`  | 0/1      | rate      | lower     | no              |
//! | `truncation`         | 0/1      | rate      | lower     | no              |
//! | `short_output`       | 0/1      | rate      | lower     | no              |
//! | `repetition`         | 0/1      | rate      | lower     | no              |
//! | `compression_ratio`  | ratio    | mean      | higher    | no              |
//! | `numbers_retained`   | fraction | mean      | higher    | yes             |
//! | `coverage_ratio`     | ratio    | mean      | higher    | yes             |
//! | `output_words_mean`  | words    | mean      | lower     | no              |
//!
//! **Parameters** come from `ScoringOptions::params[<metric id>]` (the suite's
//! `[metric_params.<id>]` table); an unknown parameter or a bad value is an
//! [`Error::Config`] naming it:
//! `boilerplate_leak.phrases` (extra phrases, list of strings),
//! `truncation.max_unpunctuated_words` (default 8), `short_output.min_ratio` (default 0.002),
//! `repetition.n` (default 5), `repetition.max_repeats` (default 2) and `repetition.per_words`
//! (default 200). The other gates take none. The defaults are calibrated so that human-written
//! references pass every gate: the shipped datasets' references and the human summaries of
//! real meeting transcripts (QMSum).
//!
//! **Per-item expectations** in the item metadata switch a gate off for that item (its value is
//! `None`, and it does not count in the rate):
//! - `allow_sponsor_content: true` → `boilerplate_leak` is `None` (an episode whose topic *is*
//!   the sponsor);
//! - `allow_intros_outros: true` → `boilerplate_leak` ignores the intro/outro phrases and still
//!   looks for sponsor reads (a cleaned transcript keeps the host's sign-off);
//! - `allow_speaker_names: true` → `speaker_name_leak` is `None`;
//! - no `speakers` list → `speaker_name_leak` is `None` (nothing to look for);
//! - a reference without numbers → `numbers_retained` is `None`; no reference words →
//!   `coverage_ratio` is `None`; an empty output → `compression_ratio` is `None` (the
//!   `truncation` and `short_output` gates flag empty outputs); an input without words →
//!   `short_output` is `None`.
//!
//! A non-boolean expectation flag is an [`Error::Metric`] naming the item
//! and the field.

mod boilerplate;
mod length;
mod numbers;
mod repetition;
mod speaker;
mod truncation;

use std::sync::Arc;

use serde_json::{Map, Value};

pub use boilerplate::{BoilerplateLeak, INTRO_OUTRO_PHRASES, SPONSOR_PHRASES};
pub use length::{CompressionRatio, CoverageRatio, OutputWordsMean, ShortOutput};
pub use numbers::{NumbersRetained, numbers_in};
pub use repetition::{Repetition, RepetitionParams};
pub use speaker::{SpeakerLabelLeak, SpeakerNameLeak};
pub use truncation::{DANGLING_WORDS, TRUNCATION_MARKERS, Truncation, truncation_rule};

use super::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions, mean_of};
use crate::error::{ConfigError, Error, MetricError, Result};

/// Every gate family, for [`MetricRegistry::builtin`](super::MetricRegistry::builtin).
pub fn families() -> Vec<Arc<dyn Metric>> {
    vec![
        Arc::new(BoilerplateLeak),
        Arc::new(SpeakerLabelLeak),
        Arc::new(SpeakerNameLeak),
        Arc::new(Truncation),
        Arc::new(ShortOutput),
        Arc::new(Repetition),
        Arc::new(CompressionRatio),
        Arc::new(NumbersRetained),
        Arc::new(CoverageRatio),
        Arc::new(OutputWordsMean),
    ]
}

/// One heuristic gate: a single metric computed item by item, its dataset value the mean of the
/// items that have one (for 0/1 values, the rate of failing items). Every gate is a [`Metric`].
pub trait Gate: Send + Sync {
    /// Its parameters, read from `[metric_params.<id>]` (`()` for a gate that takes none).
    type Params;

    /// The metric it computes.
    fn definition(&self) -> MetricDef;

    /// Reads and checks its parameters (none, for most gates).
    fn params(&self, options: &ScoringOptions) -> Result<Self::Params>;

    /// One item's value; `None` where the gate does not apply to the item.
    fn value(&self, item: &ScoringItem<'_>, params: &Self::Params) -> Result<Option<f64>>;
}

impl<G: Gate> Metric for G {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![self.definition()]
    }

    fn check_params(&self, _id: &str, options: &ScoringOptions) -> Result<()> {
        self.params(options).map(|_| ())
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        let params = self.params(options)?;
        score_single(&self.definition(), items, wanted, |item| {
            self.value(item, &params)
        })
    }
}

/// [`Gate::params`] of a gate that takes no parameters: `[metric_params.<id>]` must be empty.
pub(crate) fn no_params(options: &ScoringOptions, id: &str) -> Result<()> {
    GateParams::read(options, id, &[]).map(|_| ())
}

/// The aggregation of every pass/fail gate (its per-item value 1 when the item fails, 0 when it
/// passes).
pub const FAILING_RATE: &str = "rate of failing items";

/// The definition of a pass/fail gate: 0/1 per item, lower is better, the rate of failing items.
pub(crate) fn rate_definition(id: &str, description: &'static str) -> MetricDef {
    MetricDef {
        id: id.into(),
        direction: Direction::LowerIsBetter,
        reference_based: false,
        varies_by_machine: false,
        range: (Some(0.0), Some(1.0)),
        aggregation: FAILING_RATE,
        description,
    }
}

/// The definition of a gate whose dataset value is the mean of its item values.
pub(crate) fn mean_definition(
    id: &str,
    direction: Direction,
    reference_based: bool,
    range: (Option<f64>, Option<f64>),
    description: &'static str,
) -> MetricDef {
    MetricDef {
        id: id.into(),
        direction,
        reference_based,
        varies_by_machine: false,
        range,
        aggregation: "mean of items",
        description,
    }
}

/// A 0/1 per-item value from a pass/fail decision.
pub(crate) fn flag(failed: bool) -> f64 {
    if failed { 1.0 } else { 0.0 }
}

/// Runs a single-id family: checks `wanted`, applies `per_item` to every item and aggregates the
/// present values with their mean (which, for 0/1 values, is the failure rate).
pub(crate) fn score_single(
    def: &MetricDef,
    items: &[ScoringItem<'_>],
    wanted: &[&str],
    mut per_item: impl FnMut(&ScoringItem<'_>) -> Result<Option<f64>>,
) -> Result<Vec<MetricValues>> {
    if let Some(other) = wanted.iter().find(|w| **w != def.id) {
        return Err(Error::Metric(MetricError::new(format!(
            "metric family `{}` cannot compute `{other}`; it only computes `{}`",
            def.id, def.id
        ))));
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let values = items
        .iter()
        .map(&mut per_item)
        .collect::<Result<Vec<Option<f64>>>>()?;
    Ok(vec![MetricValues {
        id: def.id.clone(),
        aggregate: mean_of(&values),
        per_item: values,
    }])
}

/// A gate's parameter table, checked against the names it accepts.
#[derive(Debug)]
pub(crate) struct GateParams<'a> {
    metric: &'a str,
    map: Map<String, Value>,
}

impl<'a> GateParams<'a> {
    /// Reads `options.params[metric]` (absent = all defaults) and rejects unknown keys.
    pub(crate) fn read(
        options: &ScoringOptions,
        metric: &'a str,
        allowed: &[&str],
    ) -> Result<Self> {
        let valid = if allowed.is_empty() {
            "none".to_string()
        } else {
            allowed.join(", ")
        };
        let map = match options.params.get(metric) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(m)) => m.clone(),
            Some(other) => {
                return Err(Error::Config(
                    ConfigError::new(format!(
                        "must be a table, found `{other}`; valid parameters: {valid}"
                    ))
                    .for_key(format!("metric_params.{metric}")),
                ));
            }
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(Error::Config(
                ConfigError::new(format!(
                    "is not a parameter of `{metric}`; valid parameters: {valid}"
                ))
                .for_key(format!("metric_params.{metric}.{unknown}")),
            ));
        }
        Ok(GateParams { metric, map })
    }

    fn bad(&self, key: &str, want: &str, got: &Value) -> Error {
        Error::Config(
            ConfigError::new(format!("must be {want}, found `{got}`"))
                .for_key(format!("metric_params.{}.{key}", self.metric)),
        )
    }

    /// A finite number of at least `min`, or `default`.
    pub(crate) fn number(&self, key: &str, default: f64, min: f64) -> Result<f64> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite() && *x >= min)
                .ok_or_else(|| self.bad(key, &format!("a number of at least {min}"), v)),
        }
    }

    /// An integer of at least `min`, or `default`.
    pub(crate) fn integer(&self, key: &str, default: usize, min: usize) -> Result<usize> {
        match self.map.get(key) {
            None => Ok(default),
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| *n >= min)
                .ok_or_else(|| self.bad(key, &format!("an integer of at least {min}"), v)),
        }
    }

    /// A list of strings, or empty.
    pub(crate) fn strings(&self, key: &str) -> Result<Vec<String>> {
        match self.map.get(key) {
            None => Ok(Vec::new()),
            Some(v) => v
                .as_array()
                .and_then(|a| {
                    a.iter()
                        .map(|s| s.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| self.bad(key, "a list of strings", v)),
        }
    }
}

/// The boolean expectation `field` of an item's metadata (`false` when absent).
pub(crate) fn expectation(item: &ScoringItem<'_>, field: &str) -> Result<bool> {
    match item.metadata.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(Error::Metric(MetricError::new(format!(
            "item `{}`: metadata field `{field}` must be true or false, got `{other}`; fix the dataset",
            item.id
        )))),
    }
}
