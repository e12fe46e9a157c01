//! Cost and token metrics: `cost_usd` (total over items), `input_tokens` and `output_tokens`
//! (totals), read from each item's generation record.
//!
//! Every item must carry the figure: a missing cost or usage is an error naming the items,
//! never counted as zero (a model missing from the pricing table is reported separately).

use crate::error::{Error, MetricError, Result};
use crate::metrics::latency::list_ids;
use crate::metrics::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};
use crate::systems::Generation;

/// The cost and token metric family.
#[derive(Debug, Clone, Copy, Default)]
pub struct CostAndTokens;

type Reader = fn(&Generation) -> Option<f64>;

const IDS: [(&str, &str, Reader); 3] = [
    (
        "cost_usd",
        "total cost of generating the dataset's outputs in US dollars",
        |g| g.cost_usd,
    ),
    (
        "input_tokens",
        "total input (prompt) tokens over the dataset",
        |g| g.usage.map(|u| u.input_tokens as f64),
    ),
    (
        "output_tokens",
        "total output (completion) tokens over the dataset",
        |g| g.usage.map(|u| u.output_tokens as f64),
    ),
];

impl Metric for CostAndTokens {
    fn resampling(&self, _id: &str) -> super::Resampling {
        super::Resampling::SumOfItems
    }

    fn definitions(&self) -> Vec<MetricDef> {
        IDS.iter()
            .map(|(id, description, _)| MetricDef {
                id: (*id).to_string(),
                direction: Direction::LowerIsBetter,
                reference_based: false,
                varies_by_machine: false,
                range: (Some(0.0), None),
                aggregation: "sum over items",
                description,
            })
            .collect()
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        options: &ScoringOptions,
    ) -> Result<Vec<MetricValues>> {
        super::reject_params(options, wanted)?;
        wanted
            .iter()
            .map(|id| {
                let (_, _, read) =
                    IDS.iter()
                        .find(|(known, _, _)| known == id)
                        .ok_or_else(|| {
                            Error::Metric(MetricError::new(format!(
                                "cost family asked for unknown id `{id}`"
                            )))
                        })?;
                let per_item: Vec<Option<f64>> = items
                    .iter()
                    .map(|item| item.generation.and_then(read))
                    .collect();
                let missing: Vec<&str> = items
                    .iter()
                    .zip(&per_item)
                    .filter(|(_, v)| v.is_none())
                    .map(|(item, _)| item.id)
                    .collect();
                if !missing.is_empty() {
                    let what = if *id == "cost_usd" {
                        "a cost (the system reported none and its model has no price in \
                         pricing.toml, or it reported no token usage)"
                    } else {
                        "token usage (the system did not report it)"
                    };
                    return Err(Error::Metric(MetricError::new(format!(
                        "`{id}` needs {what} for every item; {} item(s) lack it: {}",
                        missing.len(),
                        list_ids(&missing)
                    ))));
                }
                Ok(MetricValues {
                    id: (*id).to_string(),
                    aggregate: per_item.iter().flatten().sum(),
                    per_item,
                })
            })
            .collect()
    }
}
