//! Small deterministic systems and metrics registered in-process (`kind = "rust"` systems with
//! `Harness::system`, plugin metrics with `Harness::metric`).

use evalgate::unstable::metrics::{
    Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions, mean_of,
};
use evalgate::unstable::systems::{Generation, System, SystemRequest};

/// Outputs the input up to and including its first `.` (all of it when there is none).
pub struct FirstSentence;

impl System for FirstSentence {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"kind": "rust", "name": "first_sentence"})
    }

    fn generate(&self, request: &SystemRequest<'_>) -> evalgate::Result<Generation> {
        let end = request
            .input
            .find('.')
            .map_or(request.input.len(), |i| i + 1);
        Ok(Generation::text(&request.input[..end]))
    }
}

/// Outputs the input.
pub struct Echo;

impl System for Echo {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"kind": "echo"})
    }

    fn generate(&self, request: &SystemRequest<'_>) -> evalgate::Result<Generation> {
        Ok(Generation::text(request.input))
    }
}

/// A plugin metric of one id: `value` of each item, and their mean as the aggregate.
pub struct ItemMetric<F> {
    def: MetricDef,
    value: F,
}

impl<F: Fn(&ScoringItem<'_>) -> f64 + Send + Sync> ItemMetric<F> {
    /// The metric `def` (its id, direction, range, ...) valued per item by `value`.
    pub fn new(def: MetricDef, value: F) -> Self {
        ItemMetric { def, value }
    }
}

impl<F: Fn(&ScoringItem<'_>) -> f64 + Send + Sync> Metric for ItemMetric<F> {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![self.def.clone()]
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        _: &[&str],
        _: &ScoringOptions,
    ) -> evalgate::Result<Vec<MetricValues>> {
        let per_item: Vec<Option<f64>> = items.iter().map(|i| Some((self.value)(i))).collect();
        Ok(vec![MetricValues {
            id: self.def.id.clone(),
            aggregate: mean_of(&per_item),
            per_item,
        }])
    }
}

/// `word_recall`: the share of the first reference's words (lowercased) found in the
/// prediction, per item; the mean over the items.
pub fn word_recall() -> impl Metric {
    let words =
        |text: &str| -> Vec<String> { text.split_whitespace().map(|w| w.to_lowercase()).collect() };
    ItemMetric::new(
        MetricDef {
            id: "word_recall".into(),
            direction: Direction::HigherIsBetter,
            reference_based: true,
            varies_by_machine: false,
            range: (Some(0.0), Some(1.0)),
            aggregation: "mean of per-item values",
            description: "share of reference words present in the prediction",
        },
        move |i| {
            let prediction = words(i.prediction);
            let reference = words(&i.references[0]);
            let hit = reference.iter().filter(|w| prediction.contains(w)).count();
            hit as f64 / reference.len().max(1) as f64
        },
    )
}
