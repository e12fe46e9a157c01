//! Helpers shared by the tests that run the harness in-process.
#![allow(dead_code)]

use std::path::Path;

use libtest_mimic::Arguments;

/// libtest arguments for an in-process harness run: `extra` (filters, `--include-ignored`, ...)
/// plus `--logfile <out_dir>/libtest.log`, so the inner run's report — including the failures a
/// scenario expects — goes to that file instead of this test binary's output.
pub fn quiet_args(out_dir: &Path, extra: &[&str]) -> Arguments {
    std::fs::create_dir_all(out_dir).expect("create the output folder");
    let log = out_dir.join("libtest.log");
    let mut args = vec![
        "benchmarks".to_string(),
        "--logfile".to_string(),
        log.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    Arguments::from_iter(args)
}
