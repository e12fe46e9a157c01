//! Latency metrics: `latency_p50_ms`, `latency_p95_ms`, `latency_mean_ms`, read from each item's
//! generation record (measured around generation; a cache hit keeps the original measurement).
//!
//! Percentiles use linear interpolation between closest ranks (NumPy's default `linear`
//! method): with the n values sorted ascending as x[0..n], the p-th percentile is at rank
//! h = (n - 1) · p / 100, value x[⌊h⌋] + (h − ⌊h⌋) · (x[⌊h⌋+1] − x[⌊h⌋]). It depends only on the
//! multiset of values, so it is the same for any thread count or item order.

use crate::error::{Error, MetricError, Result};
use crate::metrics::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions};

/// The latency metric family.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency;

const IDS: [(&str, &str, &str); 3] = [
    (
        "latency_p50_ms",
        "median per-item generation latency in milliseconds",
        "50th percentile of items (linear interpolation)",
    ),
    (
        "latency_p95_ms",
        "95th-percentile per-item generation latency in milliseconds",
        "95th percentile of items (linear interpolation)",
    ),
    (
        "latency_mean_ms",
        "mean per-item generation latency in milliseconds",
        "mean of items",
    ),
];

impl Metric for Latency {
    fn resampling(&self, id: &str) -> super::Resampling {
        if id == "latency_mean_ms" {
            super::Resampling::MeanOfItems
        } else {
            super::Resampling::NotResamplable
        }
    }

    fn definitions(&self) -> Vec<MetricDef> {
        IDS.iter()
            .map(|(id, description, aggregation)| MetricDef {
                id: (*id).to_string(),
                direction: Direction::LowerIsBetter,
                reference_based: false,
                varies_by_machine: true,
                range: (Some(0.0), None),
                aggregation,
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
        let per_item: Vec<Option<f64>> = items
            .iter()
            .map(|item| item.generation.and_then(|g| g.latency_ms))
            .collect();
        let missing: Vec<&str> = items
            .iter()
            .zip(&per_item)
            .filter(|(_, v)| v.is_none())
            .map(|(item, _)| item.id)
            .collect();
        if !missing.is_empty() {
            return Err(Error::Metric(MetricError::new(format!(
                "latency metrics need a measured latency for every item; {} item(s) have none: {}",
                missing.len(),
                list_ids(&missing)
            ))));
        }
        let values: Vec<f64> = per_item.iter().flatten().copied().collect();
        wanted
            .iter()
            .map(|id| {
                let aggregate = match *id {
                    "latency_p50_ms" => percentile(&values, 50.0),
                    "latency_p95_ms" => percentile(&values, 95.0),
                    "latency_mean_ms" => super::mean(&values),
                    other => {
                        return Err(Error::Metric(MetricError::new(format!(
                            "latency family asked for unknown id `{other}`"
                        ))));
                    }
                };
                Ok(MetricValues {
                    id: (*id).to_string(),
                    aggregate,
                    per_item: per_item.clone(),
                })
            })
            .collect()
    }
}

/// The `p`-th percentile (0–100) by linear interpolation between closest ranks; 0 when empty.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (sorted.len() - 1) as f64 * p.clamp(0.0, 100.0) / 100.0;
    let low = rank.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (rank - low as f64) * (sorted[high] - sorted[low])
}

/// Up to five ids, then a count of the rest.
pub(crate) fn list_ids(ids: &[&str]) -> String {
    let mut shown = ids.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    if ids.len() > 5 {
        shown.push_str(&format!(" and {} more", ids.len() - 5));
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_match_numpy_linear() {
        // numpy.percentile([10, 20, 30, 40], [50, 95]) == [25.0, 38.5]
        let v = [40.0, 10.0, 30.0, 20.0];
        assert_eq!(percentile(&v, 50.0), 25.0);
        assert!((percentile(&v, 95.0) - 38.5).abs() < 1e-12);
        assert_eq!(percentile(&[7.0], 95.0), 7.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
