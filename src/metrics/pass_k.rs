//! `pass_all_k` (pass^k) and `pass_any_k` (pass@k): whether an item's samples pass the
//! pass/fail gates of the dataset's metric list, for systems asked for several outputs per item
//! (`samples = N` in `[systems.<name>]`).
//!
//! A *sample passes* when no pass/fail gate of the dataset's metric list ([`is_pass_fail`]:
//! `boilerplate_leak`, `speaker_label_leak`, `speaker_name_leak`, `truncation`,
//! `short_output`, `repetition`) flags it (a gate that does not apply to the item counts as
//! passed). Per item, `pass_all_k` is 1 when all N samples pass and `pass_any_k` is 1 when at
//! least one does; the dataset value of each is the mean over items. With one sample both equal
//! the share of items passing every gate.
//!
//! They need every sample of an item and the other metrics' values, so the evaluation computes
//! them after the other metrics (see [`crate::evaluation`]); this family only defines them,
//! so the suite can list and check them like any metric (`[checks.pass_all_k] min = 0.9`).
//! Scored on its own (without the evaluation), it is an error.

use super::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};
use crate::error::{Error, MetricError, Result};

/// pass^k: 1 for an item when every sample passes every gate.
pub const PASS_ALL_K: &str = "pass_all_k";
/// pass@k: 1 for an item when at least one sample passes every gate.
pub const PASS_ANY_K: &str = "pass_any_k";

/// The aggregation of the pass/fail gates (0/1 per item, 1 = failed; their rate).
pub const FAILING_RATE: &str = super::gates::FAILING_RATE;

/// True for a pass/fail gate: a metric whose per-item value is 1 when the item fails it and 0
/// when it passes (see [`super::gates`]).
pub fn is_pass_fail(def: &MetricDef) -> bool {
    def.aggregation == FAILING_RATE
}

/// True when a per-item value of a pass/fail gate means "failed" (`None`, the gate not
/// applying, is a pass).
pub fn fails(value: Option<f64>) -> bool {
    value.is_some_and(|v| v >= 0.5)
}

/// The family defining [`PASS_ALL_K`] and [`PASS_ANY_K`].
#[derive(Debug, Clone, Copy, Default)]
pub struct PassK;

impl Metric for PassK {
    fn definitions(&self) -> Vec<MetricDef> {
        let def = |id: &str, description| MetricDef {
            id: id.into(),
            direction: Direction::HigherIsBetter,
            reference_based: false,
            varies_by_machine: false,
            range: (Some(0.0), Some(1.0)),
            aggregation: "mean of items",
            description,
        };
        vec![
            def(
                PASS_ALL_K,
                "pass^k: 1 when every sample of the item passes every pass/fail gate of the \
                 dataset's metric list, else 0",
            ),
            def(
                PASS_ANY_K,
                "pass@k: 1 when at least one sample of the item passes every pass/fail gate of \
                 the dataset's metric list, else 0",
            ),
        ]
    }

    fn score(
        &self,
        _items: &[ScoringItem<'_>],
        wanted: &[&str],
        _options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        Err(Error::Metric(MetricError::new(format!(
            "`{}` is computed by an evaluation from the samples of each item and the pass/fail \
             gates of the dataset's metric list; it cannot be scored on its own",
            wanted.join("`, `")
        ))))
    }
}
