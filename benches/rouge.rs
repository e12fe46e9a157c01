//! ROUGE speed: milliseconds per 300-word reference/prediction pair (all four ROUGE types).
//!
//! `cargo bench --bench rouge` generates deterministic pairs (words from the Porter conformance
//! list, Zipf-like frequencies, a line break every 12-30 words, the prediction an edited copy
//! of the reference), writes them to `target/rouge_bench_pairs.jsonl` so the Python stack can
//! be timed on the very same pairs, and prints ms/pair with the stemmer off and on.

use std::time::Instant;

/// CPU time of this thread in nanoseconds (Linux `schedstat`), so that other processes on a
/// busy machine do not inflate the figure; `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

/// Milliseconds per pair of one pass of `f` over the pairs: (wall, CPU).
fn timed(pairs: usize, mut f: impl FnMut()) -> (f64, Option<f64>) {
    let cpu_start = thread_cpu_ns();
    let start = Instant::now();
    f();
    let wall = start.elapsed().as_secs_f64() * 1e3 / pairs as f64;
    let cpu = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) => Some((b - a) as f64 / 1e6 / pairs as f64),
        _ => None,
    };
    (wall, cpu)
}

use evalgate::unstable::metrics::rouge::RougeScorer;

const PAIRS: usize = 500;
const WORDS: usize = 300;

/// A Zipf-like index in `0..n` (frequent words first).
fn zipf(rng: &mut fastrand::Rng, n: usize) -> usize {
    ((n as f64).powf(rng.f64()) - 1.0) as usize
}

fn text(words: &[String], rng: &mut fastrand::Rng) -> String {
    let mut out = String::new();
    let mut until_break = 12 + rng.usize(0..19);
    for i in 0..words.len() {
        out.push_str(&words[i]);
        until_break -= 1;
        if until_break == 0 {
            out.push_str(".\n");
            until_break = 12 + rng.usize(0..19);
        } else if i + 1 < words.len() {
            out.push(' ');
        }
    }
    out
}

fn main() {
    let vocab_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/conformance/porter_expected.tsv"
    );
    let vocab: Vec<String> = std::fs::read_to_string(vocab_path)
        .expect("read the Porter word list")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next())
        .filter(|w| w.len() > 1 && w.bytes().all(|b| b.is_ascii_lowercase()))
        .map(|w| w.to_string())
        .collect();
    let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    let mut pairs = Vec::with_capacity(PAIRS);
    for _ in 0..PAIRS {
        let reference: Vec<String> = (0..WORDS)
            .map(|_| vocab[zipf(&mut rng, vocab.len())].clone())
            .collect();
        // Prediction: the reference with ~30% of words replaced or capitalised.
        let prediction: Vec<String> = reference
            .iter()
            .map(|w| match rng.u32(0..10) {
                0 | 1 => vocab[zipf(&mut rng, vocab.len())].clone(),
                2 => w.to_uppercase(),
                _ => w.clone(),
            })
            .collect();
        pairs.push((text(&reference, &mut rng), text(&prediction, &mut rng)));
    }
    let dump = pairs
        .iter()
        .enumerate()
        .map(|(i, (r, p))| {
            serde_json::json!({"id": format!("bench{i:03}"), "reference": r, "prediction": p})
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dump_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/target/rouge_bench_pairs.jsonl"
    );
    evalgate::unstable::fsutil::write_atomic(std::path::Path::new(dump_path), dump.as_bytes())
        .expect("write the bench pairs");

    for stemmer in [false, true] {
        let scorer = RougeScorer::new(stemmer);
        let mut checksum = 0.0;
        let mut pass = || {
            for (r, p) in &pairs {
                checksum += scorer.score(r, p).rouge_lsum.f1;
            }
        };
        // Cold: the first pass fills the stem memo.
        let (cold_wall, cold_cpu) = timed(PAIRS, &mut pass);
        // Warm: best of 5 passes.
        let (mut warm_wall, mut warm_cpu) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..5 {
            let (wall, cpu) = timed(PAIRS, &mut pass);
            warm_wall = warm_wall.min(wall);
            warm_cpu = warm_cpu.min(cpu.unwrap_or(f64::NAN));
        }
        println!(
            "rouge stemmer={stemmer}: cold {cold_wall:.4} ms/pair wall ({} CPU), warm \
             {warm_wall:.4} ms/pair wall ({warm_cpu:.4} CPU) [{PAIRS} pairs x {WORDS} words, \
             all four types; sum of rougeLsum F1 per pass {:.6}]",
            cold_cpu.map_or("n/a".to_string(), |c| format!("{c:.4}")),
            checksum / 6.0,
        );
    }
    println!("pairs written to {dump_path}");
}
