//! The sentence-embedding model for the semantic tests: `EVALGATE_EMBEDDING_MODEL`, else the
//! folder `.ci/install-tools` unpacks all-MiniLM-L6-v2 into. Absent, the tests print why they
//! skip and pass — except under CI (`CI=true`), which always has the model: there they fail.

use std::path::PathBuf;

use evalgate::unstable::metrics::embedding::{MODEL_ENV, default_model_folder};

/// The model folder, or `None` (after printing a skip message) when there is none and this is
/// not CI. Panics under `CI=true` when the folder is missing.
pub fn model_folder(test: &str) -> Option<PathBuf> {
    let folder = std::env::var_os(MODEL_ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(default_model_folder);
    if let Some(folder) = folder.filter(|f| f.join("model.safetensors").is_file()) {
        return Some(folder);
    }
    let why = format!(
        "{test}: no sentence-embedding model (set {MODEL_ENV} to an all-MiniLM-L6-v2 folder, or \
         run .ci/install-tools, which unpacks it into {})",
        default_model_folder()
            .map_or_else(|| "$HOME/.cache/...".into(), |p| p.display().to_string())
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{why}; CI must have the model");
    }
    // Written to the stderr handle, not with eprintln!, which libtest captures from passing
    // tests: the skip must be seen.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {why}");
    None
}
