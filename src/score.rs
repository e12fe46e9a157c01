//! `evalgate score`: scores prediction/reference pairs from a JSON-lines file.

use std::process::ExitCode;

/// Arguments of `evalgate score`.
#[derive(Debug, clap::Args)]
pub struct ScoreArgs {
    /// JSON lines `{"id", "prediction", "reference"}`.
    #[arg(long)]
    pub input: std::path::PathBuf,
}

/// Runs `evalgate score`.
pub fn run(args: &ScoreArgs) -> ExitCode {
    eprintln!("evalgate score: not built yet ({})", args.input.display());
    ExitCode::from(2)
}
