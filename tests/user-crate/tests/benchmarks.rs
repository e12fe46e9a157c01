//! The quality gate of meeting-notes: `cargo test --test benchmarks` runs every trial of the
//! suite in `bench/evalgate.toml` (a suite file in a subfolder, found through
//! `Harness::config`, relative to this package's root).

use evalgate::{
    Direction, Generation, Harness, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions,
    System, SystemRequest, mean_of,
};

/// The summarizer of this crate as a system under test: `[systems.longest_turns] kind = "rust"`.
struct LongestTurns {
    turns: usize,
}

impl System for LongestTurns {
    fn fingerprint(&self) -> serde_json::Value {
        serde_json::json!({"name": "longest_turns", "turns": self.turns, "version": 1})
    }

    fn generate(&self, request: &SystemRequest<'_>) -> evalgate::Result<Generation> {
        Ok(Generation::text(meeting_notes::summarize(
            request.input,
            self.turns,
        )))
    }
}

/// A plugin metric: `decision_recall`, the share of the reference's decision words ("agreed",
/// "decided", "will", ...) that the summary keeps, per item; the mean over the items.
struct DecisionRecall;

const DECISION_WORDS: [&str; 6] = ["agreed", "decided", "will", "deadline", "next", "owner"];

impl Metric for DecisionRecall {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: "decision_recall".into(),
            direction: Direction::HigherIsBetter,
            reference_based: true,
            varies_by_machine: false,
            range: (Some(0.0), Some(1.0)),
            aggregation: "mean of per-item values",
            description: "share of the reference's decision words kept in the summary",
        }]
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        _wanted: &[&str],
        _options: &ScoringOptions,
    ) -> evalgate::Result<Vec<MetricValues>> {
        let decisions = |text: &str| -> Vec<String> {
            text.split(|c: char| !c.is_alphanumeric())
                .map(str::to_lowercase)
                .filter(|w| DECISION_WORDS.contains(&w.as_str()))
                .collect()
        };
        let per_item: Vec<Option<f64>> = items
            .iter()
            .map(|item| {
                let wanted = decisions(&item.references[0]);
                if wanted.is_empty() {
                    return None;
                }
                let kept = decisions(item.prediction);
                let hits = wanted.iter().filter(|w| kept.contains(w)).count();
                Some(hits as f64 / wanted.len() as f64)
            })
            .collect();
        Ok(vec![MetricValues {
            id: "decision_recall".into(),
            aggregate: mean_of(&per_item),
            per_item,
        }])
    }
}

fn main() -> std::process::ExitCode {
    Harness::new()
        .config("bench/evalgate.toml")
        .system("longest_turns", LongestTurns { turns: 3 })
        .metric(DecisionRecall)
        .main()
}
