//! Helpers for the child processes evalgate starts (command systems, external metrics).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many trailing stderr lines error messages quote.
pub(crate) const STDERR_TAIL_LINES: usize = 10;

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

/// Collects the last lines a child writes on stderr.
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    done: Arc<(Mutex<bool>, std::sync::Condvar)>,
}

impl StderrTail {
    pub(crate) fn start(stderr: Option<std::process::ChildStderr>) -> Self {
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        let done = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        if let Some(stderr) = stderr {
            let lines = Arc::clone(&lines);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stderr);
                let mut buf = Vec::new();
                loop {
                    buf.clear();
                    match reader.read_until(b'\n', &mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let line = String::from_utf8_lossy(&buf).trim_end().to_string();
                            let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
                            lines.push_back(line);
                            if lines.len() > STDERR_TAIL_LINES {
                                lines.pop_front();
                            }
                        }
                    }
                }
                let (flag, cv) = &*done;
                *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
                cv.notify_all();
            });
        } else {
            *done.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
        }
        StderrTail { lines, done }
    }

    /// Waits (bounded) until the child's stderr is closed, so the tail is complete.
    pub(crate) fn finish(&self, at_most: Duration) {
        let (flag, cv) = &*self.done;
        let guard = flag.lock().unwrap_or_else(|p| p.into_inner());
        let _ = cv.wait_timeout_while(guard, at_most, |done| !*done);
    }

    pub(crate) fn tail(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The last lines, after waiting up to `at_most` for stderr to be closed.
    pub(crate) fn finish_tail(&self, at_most: Duration) -> Vec<String> {
        self.finish(at_most);
        self.tail()
    }
}
