//! Systems through the whole harness: a command system served from the output cache on the
//! second run, a crashing command failing its trials with the item and stderr, and an
//! OpenAI-compatible system on a loopback server with cost, latency and a pricing warning.

mod support;

use evalgate::results::{CheckStatus, RunResults};
use serde_json::json;
use support::{Echo, ONE_THREAD, Project, Reply, SUMMARY_ITEMS, Server};

/// A temp project with one three-item dataset and the given systems section.
fn project(systems: &str, dataset_systems: &str, metrics: &str, extra: &str) -> Project {
    let p = Project::new(&format!(
        "[suite]\ncache_dir = \"cache\"\n\n[tiers.smoke]\ndatasets = [\"demo_v1\"]\n\n\
         [datasets.demo_v1]\nsystems = [{dataset_systems}]\nmetrics = [{metrics}]\n\n{systems}\n{extra}"
    ));
    p.dataset("demo_v1", SUMMARY_ITEMS);
    p
}

fn run(p: &Project) -> (libtest_mimic::Conclusion, RunResults) {
    let out = p.run(&ONE_THREAD);
    (out.conclusion, out.results.unwrap())
}

#[test]
fn second_run_of_a_command_system_is_served_from_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let count = tmp.path().join("starts.txt");
    let systems = format!(
        "[systems.cmd]\nkind = \"command\"\ncommand = [\"sh\", \"{}\", \"plain\"]\nenv = {{ COUNT_FILE = \"{}\" }}\n",
        support::fixture("fake_system.sh").display(),
        count.display()
    );
    let p = project(
        &systems,
        "\"cmd\"",
        "\"rouge1_f1\", \"latency_mean_ms\"",
        "[checks.rouge1_f1]\nmin = 0.5\n",
    );
    let starts = || support::line_count(&count);

    let (first, r1) = run(&p);
    assert!(!first.has_failed());
    assert_eq!(starts(), 3, "one process per item on the first run");
    let g1 = r1.evaluations[0].generation.clone().unwrap();
    assert_eq!((g1.cache_hits, g1.cache_misses), (0, 3));

    let (second, r2) = run(&p);
    assert!(!second.has_failed());
    assert_eq!(starts(), 3, "the second run started no process");
    let g2 = r2.evaluations[0].generation.clone().unwrap();
    assert_eq!((g2.cache_hits, g2.cache_misses), (3, 0));
    assert!(g2.saved_ms > 0.0);
    // Identical results, latency included (a cache hit keeps the original measurement).
    assert_eq!(r1.evaluations[0].metrics, r2.evaluations[0].metrics);
    // "summary of a (no prefix)" against "summary of a": P = 3/5, R = 1.
    assert!((r1.evaluations[0].metrics["rouge1_f1"].value - 0.75).abs() < 1e-12);

    // EVALGATE_CACHE is read per run; "refresh" regenerates everything.
    // (Not set here: changing the environment would race with other tests in this binary.)
}

#[test]
fn a_crashing_command_fails_its_trials_with_the_item_and_stderr() {
    let systems = format!(
        "[systems.boom]\nkind = \"command\"\ncommand = [\"sh\", \"{}\", \"crash\"]\n",
        support::fixture("fake_system.sh").display()
    );
    let p = project(
        &systems,
        "\"boom\"",
        "\"rouge1_f1\"",
        "[checks.rouge1_f1]\nmin = 0.1\n",
    );
    let (conclusion, results) = run(&p);
    assert_eq!(conclusion.num_failed, 2, "min and vs_baseline both fail");
    let pair = &results.evaluations[0];
    let error = pair.error.as_deref().unwrap();
    for part in [
        "system `boom` on `demo_v1`: failed on 3 of 3 items",
        "item `a`: command",
        "Segmentation fault in fake_model",
    ] {
        assert!(error.contains(part), "`{part}` missing in: {error}");
    }
    assert!(
        pair.checks
            .iter()
            .all(|c| c.status == CheckStatus::Failed && c.message.contains("Segmentation fault"))
    );
    assert!(pair.metrics.is_empty(), "no prediction was scored");
}

/// Serves chat completions on loopback: the reply echoes the item's prompt, with usage.
fn fake_chat_server() -> Server {
    Server::start(|request| {
        let prompt = request.json()["messages"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["content"]
            .as_str()
            .unwrap()
            .to_string();
        let reply = json!({
            "choices": [{"message": {"role": "assistant", "content": format!("summary: {prompt}")}}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 100}
        });
        Reply::json(200, reply.to_string())
    })
}

#[test]
fn openai_system_reports_cost_latency_and_warns_on_an_unpriced_model() {
    let server = fake_chat_server();
    let base = format!("{}/v1", server.url());
    let systems = format!(
        "[systems.priced]\nkind = \"openai\"\nbase_url = \"{base}\"\nmodel = \"gpt-4o-mini\"\nuser_prompt = \"{{input}}\"\n\n\
         [systems.local]\nkind = \"openai\"\nbase_url = \"{base}\"\nmodel = \"my-local-llama\"\nuser_prompt = \"{{input}}\"\n"
    );
    let p = project(
        &systems,
        "\"priced\", \"local\"",
        "\"output_words_mean\", \"latency_p95_ms\"",
        "",
    );
    p.write(
        "pricing.toml",
        "checked = \"2026-11-26\"\n\n[models.\"gpt-4o-mini\"]\ninput_per_million = 0.15\noutput_per_million = 0.60\n",
    );
    let (conclusion, results) = run(&p);
    assert_eq!(conclusion.num_failed, 0);
    let pricing = |system: &str| {
        results
            .evaluations
            .iter()
            .find(|pr| pr.system == system)
            .unwrap()
            .checks
            .iter()
            .find(|c| c.trial == format!("smoke::demo_v1::{system}::cost_usd::pricing"))
            .unwrap()
            .clone()
    };
    assert_eq!(pricing("priced").status, CheckStatus::Passed);
    let warned = pricing("local");
    assert_eq!(warned.status, CheckStatus::Warned);
    assert!(
        warned.message.contains("my-local-llama") && warned.message.contains("not $0"),
        "{}",
        warned.message
    );
    let priced = results
        .evaluations
        .iter()
        .find(|pr| pr.system == "priced")
        .unwrap();
    assert!(priced.metrics["latency_p95_ms"].value > 0.0);
    assert_eq!(priced.metrics["output_words_mean"].value, 5.0);
}

#[test]
fn parameters_for_a_metric_without_parameters_are_an_error_at_load_instead_of_being_ignored() {
    let systems = "[systems.first]\nkind = \"rust\"\n";
    let p = project(
        systems,
        "\"first\"",
        "\"rouge1_f1\"",
        "[metric_params.rouge1_f1]\nalpha = 0.5\n\n[checks.rouge1_f1]\nmin = 0.0\n",
    );
    let out = p.run_with(p.harness().system("first", Echo), &["--list"]);
    // Checked when the suite loads (even for `--list`), with the line of the table.
    let message = out.unwrap_err().to_string();
    assert!(
        message.contains("metric `rouge1_f1` takes no parameters")
            && message.contains("evalgate.toml:14: `metric_params.rouge1_f1`"),
        "{message}"
    );
}

#[test]
fn without_a_pricing_table_the_cost_is_a_warning_and_token_counts_still_compute() {
    let server = fake_chat_server();
    let base = format!("{}/v1", server.url());
    let systems = format!(
        "[systems.chat]\nkind = \"openai\"\nbase_url = \"{base}\"\nmodel = \"gpt-4o-mini\"\nuser_prompt = \"{{input}}\"\n"
    );
    let p = project(
        &systems,
        "\"chat\"",
        "\"input_tokens\", \"output_tokens\", \"cost_usd\"",
        "[checks.input_tokens]\nmax = 1000000\n\n[checks.output_tokens]\nmax = 1000000\n\n\
         [checks.cost_usd]\nmax = 1.0\n",
    );
    let (conclusion, results) = run(&p);
    let pair = &results.evaluations[0];
    let check = |trial: &str| {
        pair.checks
            .iter()
            .find(|c| c.trial == format!("smoke::demo_v1::chat::{trial}"))
            .unwrap()
    };
    let pricing = check("cost_usd::pricing");
    assert_eq!(pricing.status, CheckStatus::Warned);
    assert!(
        pricing.message.contains("no pricing table") && pricing.message.contains("not $0"),
        "{}",
        pricing.message
    );
    // The unknown cost fails its own check; the token counts the server reported do not.
    assert_eq!(check("cost_usd::max").status, CheckStatus::Failed);
    assert_eq!(check("input_tokens::max").status, CheckStatus::Passed);
    assert_eq!(pair.metrics["input_tokens"].value, 3000.0);
    assert_eq!(pair.metrics["output_tokens"].value, 300.0);
    assert_eq!(conclusion.num_failed, 1);
}
