//! Helpers for the child processes evalgate starts (command systems, external metrics).

use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::time::{Duration, Instant};

/// A relative program path with a folder part (`./run.sh`, `bin/model`) is taken relative to
/// `base`; a bare name (`python3`) is looked up on `PATH`.
pub(crate) fn resolve_program(program: &str, base: &Path) -> PathBuf {
    let path = Path::new(program);
    if path.is_relative() && path.components().count() > 1 {
        base.join(path)
    } else {
        path.to_path_buf()
    }
}

/// Waits for the child until `deadline`; `None` on timeout.
pub(crate) fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(_) => return child.wait().ok(),
        }
        let now = Instant::now();
        if now >= deadline {
            return None;
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// "exited with status N", "was killed by signal N (crashed)", ...
pub(crate) fn exit_description(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exited with status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("was killed by signal {signal} (crashed)");
        }
    }
    format!("ended abnormally ({status})")
}

/// The first 200 characters of a program's output, quoted, for error messages.
pub(crate) fn snippet(text: &str) -> String {
    const MAX: usize = 200;
    let mut cut: String = text.chars().take(MAX).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("`{cut}`")
}
