//! Heuristic gate metrics: leaky outputs are caught, clean ones are not, metadata switches work,
//! parameters are checked, and rates are exact.

use std::collections::BTreeMap;
use std::path::Path;

use evalgate::Error;
use evalgate::unstable::metrics::{
    Direction, MetricRegistry, MetricValues, ScoringItem, ScoringOptions,
};
use serde_json::{Value, json};

/// (input, prediction, references, metadata) per item.
type Case<'a> = (&'a str, &'a str, Vec<String>, Value);

fn score_with(
    metric: &str,
    cases: &[Case<'_>],
    params: Option<Value>,
) -> evalgate::Result<MetricValues> {
    let ids: Vec<String> = (0..cases.len()).map(|i| format!("item{i}")).collect();
    let items: Vec<ScoringItem<'_>> = cases
        .iter()
        .zip(&ids)
        .map(
            |((input, prediction, references, metadata), id)| ScoringItem {
                id,
                input,
                prediction,
                references,
                metadata,
                generation: None,
            },
        )
        .collect();
    let mut options = ScoringOptions::default();
    if let Some(p) = params {
        options.params.insert(metric.to_string(), p);
    }
    let mut out = MetricRegistry::builtin().score(&items, &[metric], &options)?;
    Ok(out.remove(metric).unwrap())
}

fn score(metric: &str, cases: &[Case<'_>]) -> MetricValues {
    score_with(metric, cases, None).expect("scores")
}

fn case<'a>(prediction: &'a str, metadata: Value) -> Case<'a> {
    (
        "an input transcript of a few words for ratio checks here",
        prediction,
        vec![],
        metadata,
    )
}

fn config_error(r: evalgate::Result<MetricValues>) -> String {
    match r {
        Err(Error::Config(m)) => m.to_string(),
        Err(other) => panic!("expected a config error, got {other}"),
        Ok(v) => panic!("expected a config error, got {v:?}"),
    }
}

#[test]
fn registry_defines_every_gate_with_its_direction() {
    let registry = MetricRegistry::builtin();
    let expect = [
        ("boilerplate_leak", Direction::LowerIsBetter, false),
        ("speaker_label_leak", Direction::LowerIsBetter, false),
        ("speaker_name_leak", Direction::LowerIsBetter, false),
        ("truncation", Direction::LowerIsBetter, false),
        ("repetition", Direction::LowerIsBetter, false),
        ("compression_ratio", Direction::HigherIsBetter, false),
        ("numbers_retained", Direction::HigherIsBetter, true),
        ("coverage_ratio", Direction::HigherIsBetter, true),
        ("output_words_mean", Direction::LowerIsBetter, false),
    ];
    for (id, direction, reference_based) in expect {
        let def = registry
            .definition(id)
            .unwrap_or_else(|| panic!("{id} missing"));
        assert_eq!(def.direction, direction, "{id}");
        assert_eq!(def.reference_based, reference_based, "{id}");
    }
}

#[test]
fn boilerplate_leak_catches_ads_and_outros_and_rates_them() {
    let v = score(
        "boilerplate_leak",
        &[
            case(
                "The council approved twelve miles of bike lanes.",
                json!({}),
            ),
            case(
                "This episode is brought to you by Brightwell. The council voted.",
                json!({}),
            ),
            case("The council voted. Thanks for listening!", json!({})),
            case(
                "Fernway Coffee sells beans.",
                json!({"sponsors": ["Fernway Coffee"]}),
            ),
        ],
    );
    assert_eq!(v.per_item, vec![Some(0.0), Some(1.0), Some(1.0), Some(1.0)]);
    assert_eq!(v.aggregate, 0.75);
}

#[test]
fn boilerplate_leak_is_switched_off_by_allow_sponsor_content() {
    let v = score(
        "boilerplate_leak",
        &[
            case(
                "Sponsored by Fernway, the topic of the show.",
                json!({"allow_sponsor_content": true}),
            ),
            case(
                "Sponsored by Fernway.",
                json!({"allow_sponsor_content": false}),
            ),
            case("A clean summary.", json!({})),
        ],
    );
    assert_eq!(v.per_item, vec![None, Some(1.0), Some(0.0)]);
    assert_eq!(v.aggregate, 0.5);
}

#[test]
fn boilerplate_leak_params_and_bad_metadata() {
    let cases = [case("Visit our merch store today.", json!({}))];
    assert_eq!(score("boilerplate_leak", &cases).per_item, vec![Some(0.0)]);
    let v = score_with(
        "boilerplate_leak",
        &cases,
        Some(json!({"phrases": ["merch store"]})),
    )
    .unwrap();
    assert_eq!(v.per_item, vec![Some(1.0)]);
    let m = config_error(score_with(
        "boilerplate_leak",
        &cases,
        Some(json!({"phrase": ["x"]})),
    ));
    assert!(
        m.contains("`metric_params.boilerplate_leak.phrase` is not a parameter"),
        "{m}"
    );
    let m = config_error(score_with(
        "boilerplate_leak",
        &cases,
        Some(json!({"phrases": "x"})),
    ));
    assert!(m.contains("list of strings"), "{m}");
    match score_with(
        "boilerplate_leak",
        &[case("x", json!({"allow_sponsor_content": "yes"}))],
        None,
    ) {
        Err(Error::Metric(m)) => {
            let m = m.to_string();
            assert!(
                m.contains("item0") && m.contains("allow_sponsor_content"),
                "{m}"
            )
        }
        other => panic!("expected a metric error, got {other:?}"),
    }
}

#[test]
fn speaker_label_leak_catches_labels_and_timestamps_only() {
    let meta = json!({"speakers": ["Maya Chen", "Tom Okafor"]});
    let v = score(
        "speaker_label_leak",
        &[
            case("MAYA: the study followed 1,200 people.", meta.clone()),
            case("The study [00:12:34] followed people.", meta.clone()),
            case("Maya Chen: the study followed people.", meta.clone()),
            case("Maya: it went well.", meta.clone()),
            case(
                "Summary: the study followed people at 10:30 each day.",
                meta.clone(),
            ),
            case(
                "The study followed 1,200 people.\nIt found shorter meetings.",
                meta.clone(),
            ),
        ],
    );
    assert_eq!(
        v.per_item,
        vec![
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(0.0),
            Some(0.0)
        ]
    );
    assert!((v.aggregate - 4.0 / 6.0).abs() < 1e-12);
}

#[test]
fn speaker_name_leak_full_names_and_switches() {
    let meta = json!({"speakers": ["Maya Chen", "Priya Nair"]});
    let v = score(
        "speaker_name_leak",
        &[
            case("Priya Nair describes a study.", meta.clone()),
            case(
                "An organizational psychologist describes a study.",
                meta.clone(),
            ),
            case("Nair describes a study.", meta.clone()),
            case(
                "Priya Nair describes a study.",
                json!({"speakers": ["Priya Nair"], "allow_speaker_names": true}),
            ),
            case("Priya Nair describes a study.", json!({})),
        ],
    );
    assert_eq!(
        v.per_item,
        vec![Some(1.0), Some(0.0), Some(0.0), None, None]
    );
    assert!((v.aggregate - 1.0 / 3.0).abs() < 1e-12);
}

#[test]
fn truncation_markers_and_ratio_bound() {
    let input = "word ".repeat(200);
    let cases: Vec<Case<'_>> = vec![
        (
            &input,
            "A complete summary of five words here.",
            vec![],
            json!({}),
        ),
        (&input, "A summary that stops...", vec![], json!({})),
        (&input, "A summary that stops…  ", vec![], json!({})),
        (&input, "A summary [truncated]", vec![], json!({})),
        (&input, "Two words", vec![], json!({})),
        (&input, "", vec![], json!({})),
    ];
    let v = score("truncation", &cases);
    // 7/200 = 0.035 passes the 0.02 default; 2/200 = 0.01 and 0 fail.
    assert_eq!(
        v.per_item,
        vec![
            Some(0.0),
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(1.0),
            Some(1.0)
        ]
    );
    let v = score_with("truncation", &cases[..1], Some(json!({"min_ratio": 0.05}))).unwrap();
    assert_eq!(v.per_item, vec![Some(1.0)]);
    let m = config_error(score_with(
        "truncation",
        &cases,
        Some(json!({"min_ratio": -1})),
    ));
    assert!(m.contains("min_ratio"), "{m}");
}

#[test]
fn repetition_counts_ngrams() {
    let looping = "The council voted. The council voted. The council voted. The council voted.";
    let twice = "The council voted. Then the council voted again.";
    let v = score(
        "repetition",
        &[case(looping, json!({})), case(twice, json!({}))],
    );
    assert_eq!(v.per_item, vec![Some(1.0), Some(0.0)]);
    assert_eq!(v.aggregate, 0.5);
    let v = score_with(
        "repetition",
        &[case(looping, json!({}))],
        Some(json!({"n": 3, "max_repeats": 4})),
    )
    .unwrap();
    assert_eq!(v.per_item, vec![Some(0.0)]);
    let v = score_with(
        "repetition",
        &[case(twice, json!({}))],
        Some(json!({"n": 2, "max_repeats": 1})),
    )
    .unwrap();
    assert_eq!(v.per_item, vec![Some(1.0)], "`the council` occurs twice");
    let m = config_error(score_with("repetition", &[], Some(json!({"n": 0}))));
    assert!(m.contains("metric_params.repetition.n"), "{m}");
    let m = config_error(score_with("repetition", &[], Some(json!({"ngram": 3}))));
    assert!(
        m.contains("`metric_params.repetition.ngram`") && m.contains("n, max_repeats"),
        "{m}"
    );
}

#[test]
fn length_ratios_are_exact() {
    let refs = vec![
        "one two three four".to_string(),
        "one two three four five six".to_string(),
    ];
    let cases: Vec<Case<'_>> = vec![
        ("a b c d e f g h i j", "x y", refs.clone(), json!({})),
        ("a b c d e f g h i j", "x y z w v", vec![], json!({})),
        ("a b c", "", refs.clone(), json!({})),
    ];
    let v = score("compression_ratio", &cases);
    assert_eq!(v.per_item, vec![Some(5.0), Some(2.0), None]);
    assert_eq!(v.aggregate, 3.5);
    let v = score("coverage_ratio", &cases);
    // Mean reference length is 5 words.
    assert_eq!(v.per_item, vec![Some(0.4), None, Some(0.0)]);
    assert!((v.aggregate - 0.2).abs() < 1e-12);
    let v = score("output_words_mean", &cases);
    assert_eq!(v.per_item, vec![Some(2.0), Some(5.0), Some(0.0)]);
    assert!((v.aggregate - 7.0 / 3.0).abs() < 1e-12);
    let m = config_error(score_with(
        "output_words_mean",
        &cases,
        Some(json!({"max": 3})),
    ));
    assert!(m.contains("valid parameters: none"), "{m}");
}

#[test]
fn numbers_retained_normalises_and_skips_items_without_numbers() {
    let reference =
        vec!["The plan costs 4.2 million dollars for 12 miles and 1,200 riders.".to_string()];
    let cases: Vec<Case<'_>> = vec![
        (
            "in",
            "It costs $4.2 million for twelve miles.",
            reference.clone(),
            json!({}),
        ),
        (
            "in",
            "It has 1200 riders, 12 miles, 4.2 million.",
            reference.clone(),
            json!({}),
        ),
        ("in", "No figures at all.", reference.clone(), json!({})),
        (
            "in",
            "Anything 7.",
            vec!["A reference without figures.".to_string()],
            json!({}),
        ),
    ];
    let v = score("numbers_retained", &cases);
    assert_eq!(
        v.per_item,
        vec![Some(2.0 / 3.0), Some(1.0), Some(0.0), None]
    );
    assert!((v.aggregate - 5.0 / 9.0).abs() < 1e-12);
}

#[test]
fn wrong_metric_for_family_is_an_error() {
    use evalgate::unstable::metrics::Metric;
    use evalgate::unstable::metrics::gates::Truncation;
    let r = Truncation.score(&[], &["repetition"], &ScoringOptions::default());
    assert!(matches!(r, Err(Error::Metric(m)) if m.to_string().contains("repetition")));
}

/// The human references of the smoke summaries pass every leak gate; feeding the raw transcripts
/// back as "summaries" fails them.
#[test]
fn gates_on_the_smoke_summaries() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/podcast_summaries_v1");
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("dataset.json")).unwrap()).unwrap();
    let read = |rel: &Value| std::fs::read_to_string(dir.join(rel.as_str().unwrap())).unwrap();
    let rows: Vec<(String, String, Value)> = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                read(&i["input_path"]),
                read(&i["reference_paths"][0]),
                i["metadata"].clone(),
            )
        })
        .collect();
    let as_summary: Vec<Case<'_>> = rows
        .iter()
        .map(|(input, reference, meta)| {
            (
                input.as_str(),
                reference.as_str(),
                vec![reference.clone()],
                meta.clone(),
            )
        })
        .collect();
    let as_raw: Vec<Case<'_>> = rows
        .iter()
        .map(|(input, reference, meta)| {
            (
                input.as_str(),
                input.as_str(),
                vec![reference.clone()],
                meta.clone(),
            )
        })
        .collect();
    let mut got = BTreeMap::new();
    for id in [
        "boilerplate_leak",
        "speaker_label_leak",
        "speaker_name_leak",
        "truncation",
        "repetition",
    ] {
        got.insert(
            id,
            (
                score(id, &as_summary).aggregate,
                score(id, &as_raw).aggregate,
            ),
        );
    }
    assert_eq!(got["boilerplate_leak"], (0.0, 1.0));
    assert_eq!(got["speaker_label_leak"], (0.0, 1.0));
    assert_eq!(got["speaker_name_leak"], (0.0, 1.0));
    assert_eq!(got["truncation"], (0.0, 0.0));
    assert_eq!(got["repetition"].0, 0.0);
    // One episode allows sponsor content, so the raw rate is over four items.
    let raw = score("boilerplate_leak", &as_raw);
    assert_eq!(raw.per_item.iter().filter(|v| v.is_none()).count(), 1);
    assert_eq!(score("numbers_retained", &as_summary).aggregate, 1.0);
    assert_eq!(score("coverage_ratio", &as_summary).aggregate, 1.0);
}
