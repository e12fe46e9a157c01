//! Peak memory of the built-in `textrank` on multi-megabyte transcripts (issue 9: a 1 MB
//! transcript took 2.4 GB and a 50 MB one aborted), measured with a counting allocator. This
//! binary holds a single test so that nothing else allocates while it measures.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use evalgate::unstable::systems::builtin::cleaner::clean_transcript;
use evalgate::unstable::systems::builtin::textrank::{
    self, MAX_GRAPH_BYTES, MAX_GRAPH_SENTENCES, TextRank,
};
use evalgate::unstable::text;

/// Bytes allocated now and at the peak.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Allocations past this many live bytes fail, so that a quadratic regression aborts this test
/// at once instead of exhausting the machine.
const CEILING: usize = 2 << 30;

struct Counting;

impl Counting {
    fn grow(size: usize) -> bool {
        let now = CURRENT.fetch_add(size, Ordering::SeqCst) + size;
        if now > CEILING {
            CURRENT.fetch_sub(size, Ordering::SeqCst);
            return false;
        }
        PEAK.fetch_max(now, Ordering::SeqCst);
        true
    }
}

// SAFETY: every call is forwarded to the system allocator unchanged; only the byte counts are
// kept on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !Self::grow(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() && !Self::grow(new_size - layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc` and `dealloc`.
        let moved = unsafe { System.realloc(ptr, layout, new_size) };
        if moved.is_null() {
            if new_size > layout.size() {
                CURRENT.fetch_sub(new_size - layout.size(), Ordering::SeqCst);
            }
        } else if new_size < layout.size() {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most bytes allocated at once while `f` runs, above what was live before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let before = CURRENT.load(Ordering::SeqCst);
    PEAK.store(before, Ordering::SeqCst);
    let out = f();
    (out, PEAK.load(Ordering::SeqCst) - before)
}

const MB: usize = 1 << 20;

#[test]
fn multi_megabyte_transcripts_rank_a_capped_graph_in_memory_linear_in_their_size() {
    let summarizer = TextRank { sentences: 3 };
    let mut peaks = Vec::new();
    for megabytes in [1, 4] {
        let raw = support::transcripts::transcript(megabytes * MB);
        let sentences = text::sentences(&clean_transcript(&raw, &[]));
        let stats = textrank::rank(&sentences).stats;
        assert!(stats.sentences > 5 * MAX_GRAPH_SENTENCES, "{stats:?}");
        assert_eq!(stats.nodes, MAX_GRAPH_SENTENCES, "{stats:?}");
        assert!(stats.edges <= textrank::MAX_GRAPH_EDGES, "{stats:?}");
        drop(sentences);

        let (summary, peak) = peak_during(|| summarizer.summarize(&raw, &[]));
        assert_eq!(text::sentences(&summary).len(), 3, "{summary}");
        eprintln!("{megabytes} MB transcript: peak {} MB", peak / MB);
        peaks.push((raw.len(), peak));
    }
    // The dense version needed 8 bytes per pair of sentences: 70 GB for the 4 MB transcript.
    let (small, large) = (peaks[0], peaks[1]);
    assert!(
        large.1 < 8 * large.0 + MAX_GRAPH_BYTES,
        "peak {} bytes for a {}-byte transcript",
        large.1,
        large.0
    );
    // Past the capped graph, memory grows with the text, not with its square.
    let per_byte = (large.1 - small.1) as f64 / (large.0 - small.0) as f64;
    assert!(
        per_byte < 8.0,
        "{per_byte} bytes per extra byte of transcript"
    );

    // One 4 MB line without a sentence end: a single sentence, streamed through the phrase
    // search and the content words without a token list.
    let line = support::transcripts::transcript(4 * MB).replace(['\n', '.', ':'], " ");
    let (summary, peak) = peak_during(|| summarizer.summarize(&line, &[]));
    assert_eq!(text::sentences(&summary).len(), 1);
    eprintln!("4 MB line: peak {} MB", peak / MB);
    assert!(peak < 12 * line.len(), "peak {peak} bytes for a 4 MB line");
}
