//! Pricing table, cost and token metrics, budget check, and latency metrics.

use std::path::Path;

use evalgate::Error;
use evalgate::unstable::metrics::{MetricRegistry, ScoringItem, ScoringOptions};
use evalgate::unstable::pricing::{PriceTable, check_budget};
use evalgate::unstable::systems::{Generation, Usage};
use serde_json::json;

fn repo_table() -> PriceTable {
    PriceTable::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("pricing.toml")).unwrap()
}

fn generation(latency: f64, input: u64, output: u64) -> Generation {
    Generation {
        output: "x".into(),
        latency_ms: Some(latency),
        usage: Some(Usage {
            input_tokens: input,
            output_tokens: output,
        }),
        cost_usd: None,
        ..Default::default()
    }
}

fn score(generations: &[Generation], ids: &[&str]) -> evalgate::Result<Vec<(String, f64)>> {
    let meta = json!({});
    let names: Vec<String> = (0..generations.len()).map(|i| format!("item{i}")).collect();
    let items: Vec<ScoringItem<'_>> = generations
        .iter()
        .zip(&names)
        .map(|(g, id)| ScoringItem {
            id,
            input: "in",
            prediction: &g.output,
            references: &[],
            metadata: &meta,
            generation: Some(g),
        })
        .collect();
    let values = MetricRegistry::builtin().score(&items, ids, &ScoringOptions::default())?;
    Ok(ids
        .iter()
        .map(|id| (id.to_string(), values[*id].aggregate))
        .collect())
}

#[test]
fn repository_table_loads_and_prices_tokens() {
    let table = repo_table();
    assert_eq!(table.checked().len(), 10);
    let price = table.lookup("gpt-4o-mini").unwrap();
    assert_eq!(price.input_per_million, 0.15);
    assert_eq!(price.output_per_million, 0.60);
    let usage = Usage {
        input_tokens: 2_000,
        output_tokens: 500,
    };
    let cost = table.cost("gpt-4o-mini", &usage).unwrap();
    assert!((cost - (2_000.0 * 0.15 + 500.0 * 0.60) / 1e6).abs() < 1e-15);
    let per_minute = table.transcription_cost("whisper-1", 10.0).unwrap();
    assert!((per_minute - 0.06).abs() < 1e-12);
    assert_eq!(table.cost("no-such-model", &usage), None);
}

#[test]
fn unknown_model_is_a_warning_not_zero_dollars() {
    let table = repo_table();
    let mut g = generation(10.0, 100, 10);
    let warning = table.apply("llama-3-local", &mut g).unwrap_err();
    assert!(
        warning.contains("`llama-3-local` is not in the pricing table"),
        "{warning}"
    );
    assert!(warning.contains("not $0"), "{warning}");
    assert_eq!(g.cost_usd, None);
    let mut batch = [generation(1.0, 5, 5), generation(2.0, 6, 6)];
    let warning = table
        .apply_all(Some("llama-3-local"), batch.iter_mut())
        .unwrap();
    assert!(warning.contains("llama-3-local"), "{warning}");
    assert!(
        table
            .apply_all(Some("gpt-4o-mini"), batch.iter_mut())
            .is_none()
    );
    assert!(batch.iter().all(|g| g.cost_usd.is_some()));
    // The cost metric refuses to sum an unknown cost as zero.
    match score(&[g], &["cost_usd"]) {
        Err(Error::Metric(m)) => assert!(m.to_string().contains("item0"), "{m}"),
        other => panic!("expected a metric error, got {other:?}"),
    }
}

#[test]
fn cost_and_token_totals_and_budget() {
    let table = repo_table();
    let mut gens = vec![
        generation(10.0, 1_000_000, 0),
        generation(20.0, 0, 1_000_000),
    ];
    for g in &mut gens {
        table.apply("gpt-4o", g).unwrap();
    }
    // A cost the system reported itself is kept.
    let mut reported = generation(30.0, 5, 5);
    reported.cost_usd = Some(1.0);
    table.apply("gpt-4o", &mut reported).unwrap();
    assert_eq!(reported.cost_usd, Some(1.0));
    gens.push(reported);

    let values = score(&gens, &["cost_usd", "input_tokens", "output_tokens"]).unwrap();
    assert!(
        (values[0].1 - 13.5).abs() < 1e-9,
        "2.50 + 10.00 + 1.00: {values:?}"
    );
    assert_eq!(values[1].1, 1_000_005.0);
    assert_eq!(values[2].1, 1_000_005.0);

    assert!(check_budget(values[0].1, 20.0).is_ok());
    let over = check_budget(values[0].1, 10.0).unwrap_err();
    assert!(
        over.contains("over the budget of $10.0000 by $3.5000"),
        "{over}"
    );
}

#[test]
fn latency_percentiles() {
    let gens: Vec<Generation> = [100.0, 400.0, 200.0, 300.0, 1000.0]
        .iter()
        .map(|l| generation(*l, 1, 1))
        .collect();
    let values = score(
        &gens,
        &["latency_p50_ms", "latency_p95_ms", "latency_mean_ms"],
    )
    .unwrap();
    // numpy.percentile([100, 200, 300, 400, 1000], [50, 95]) == [300, 880]
    assert_eq!(values[0].1, 300.0);
    assert!((values[1].1 - 880.0).abs() < 1e-9, "{values:?}");
    assert_eq!(values[2].1, 400.0);
    let registry = MetricRegistry::builtin();
    let def = registry.definition("latency_p95_ms").unwrap();
    assert_eq!(
        def.direction,
        evalgate::unstable::metrics::Direction::LowerIsBetter
    );
}

#[test]
fn invalid_tables_are_rejected_with_the_field() {
    let parse = |text: &str| match PriceTable::parse(text, Path::new("pricing.toml")) {
        Err(Error::Config(m)) => m.to_string(),
        other => panic!("expected a config error, got {other:?}"),
    };
    let m = parse("checked = \"June 2025\"");
    assert!(m.contains("YYYY-MM-DD"), "{m}");
    let m = parse(
        "checked = \"2025-06-01\"\n[models.m]\ninput_per_million = -1.0\noutput_per_million = 1.0",
    );
    assert!(
        m.starts_with("pricing.toml: `models.\"m\".input_per_million` is -1"),
        "{m}"
    );
    let m = parse("checked = \"2025-06-01\"\n[models.m]\ninput_per_million = 1.0");
    assert!(m.contains("output_per_million"), "{m}");
    let m = parse(
        "checked = \"2025-06-01\"\n[models.m]\ninput_per_million = 1.0\noutput_per_million = 1.0\ncached = 2.0",
    );
    assert!(m.contains("cached"), "{m}");
}
