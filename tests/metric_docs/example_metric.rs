use evalgate::{Direction, Metric, MetricDef, MetricValues, ScoringItem, ScoringOptions, mean_of};

/// Share of outputs that end with a question mark.
pub struct EndsWithQuestion;

impl Metric for EndsWithQuestion {
    fn definitions(&self) -> Vec<MetricDef> {
        vec![MetricDef {
            id: "ends_with_question".into(),
            direction: Direction::LowerIsBetter,
            reference_based: false,
            varies_by_machine: false,
            range: (Some(0.0), Some(1.0)),
            aggregation: "rate of failing items",
            description: "share of outputs whose last character is `?`",
        }]
    }

    fn score(
        &self,
        items: &[ScoringItem<'_>],
        wanted: &[&str],
        _options: &ScoringOptions,
    ) -> evalgate::Result<Vec<MetricValues>> {
        if !wanted.contains(&"ends_with_question") {
            return Ok(Vec::new());
        }
        let per_item: Vec<Option<f64>> = items
            .iter()
            .map(|item| {
                let asks = item.prediction.trim_end().ends_with('?');
                Some(if asks { 1.0 } else { 0.0 })
            })
            .collect();
        Ok(vec![MetricValues {
            id: "ends_with_question".into(),
            aggregate: mean_of(&per_item),
            per_item,
        }])
    }
}
