//! Generated meeting transcripts for memory and speed tests of the built-in systems: shared by
//! tests/textrank_memory.rs and benches/textrank.rs (`#[path]`).

/// A Zipf-like index in `0..n` (frequent words first).
pub fn zipf(rng: &mut fastrand::Rng, n: usize) -> usize {
    ((n as f64).powf(rng.f64()) - 1.0) as usize
}

/// A meeting transcript of about `bytes` bytes: "Speaker N:" turns of one to three sentences
/// over a 5,000-word Zipf vocabulary, so that most pairs of sentences share a word (the densest
/// graph for TextRank). The same `bytes` always give the same text.
pub fn transcript(bytes: usize) -> String {
    let mut rng = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    let mut out = String::with_capacity(bytes + 200);
    while out.len() < bytes {
        out.push_str(&format!("Speaker {}:", rng.u64(0..6)));
        for _ in 0..rng.u64(1..4) {
            for w in 0..rng.u64(3..28) {
                out.push_str(if w == 0 { " W" } else { " w" });
                out.push_str(&zipf(&mut rng, 5000).to_string());
            }
            out.push('.');
        }
        out.push('\n');
    }
    out
}
