//! The benchmark suite: every tier × dataset × system × metric × check in `evalgate.toml` is one
//! trial. Run the smoke tier with `cargo test --test benchmarks -- smoke`.

fn main() -> std::process::ExitCode {
    evalgate::Harness::new().main()
}
