//! Every dataset is a test: one trial per `datasets/**/dataset.json`, which loads it as the
//! benchmarks would (structure, ids, paths, references, content hashes), so a broken dataset
//! fails as its own test before any system runs. Run it with `cargo test --test datasets`.

fn dataset(path: &std::path::Path) -> datatest_stable::Result<()> {
    Ok(evalgate::verify_dataset(path)?)
}

datatest_stable::harness! {
    { test = dataset, root = "datasets", pattern = r"(^|/)dataset\.json$" },
}
