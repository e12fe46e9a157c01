//! Helpers for the child processes evalgate starts (command systems, external metrics): process
//! groups (a timeout stops everything a child started), bounded reading of their pipes, and the
//! stderr tail quoted in error messages. What they print is outside text: it enters messages
//! only through [`crate::outside::admit`].

use std::collections::VecDeque;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::outside::{Bound, Secrets, admit};

/// How many trailing stderr lines error messages quote.
pub(crate) const STDERR_TAIL_LINES: usize = 10;

/// Bytes read from a pipe at a time.
const CHUNK_BYTES: usize = 8 * 1024;

/// The most of one stderr line held in memory; the rest of a longer line is skipped (a message
/// quotes at most [`Bound::STDERR_LINE`] of it).
pub(crate) const MAX_STDERR_LINE_BYTES: usize = 8 * 1024;

/// The most evalgate reads of a program's stdout: a command's output (single mode), one answer
/// line (batch mode), all answers of an external metric. More is an error, never cut silently:
/// a cut output would be scored as if the program had written it.
pub(crate) const MAX_STDOUT_BYTES: usize = 64 * 1024 * 1024;

/// Makes `cmd` start its process in a process group of its own, so [`kill_tree`] can stop the
/// processes it starts too (a shell's children, a model server it forked).
pub(crate) fn in_own_process_group(cmd: &mut Command) -> &mut Command {
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd
}

/// Kills `child` and every process of its process group (see [`in_own_process_group`]), then
/// reaps `child`. Processes that left the group (`setsid`) are not reached.
pub(crate) fn kill_tree(child: &mut Child) {
    #[cfg(unix)]
    {
        // The group id is the child's pid; it stays reserved while any member lives.
        if let Some(group) = i32::try_from(child.id())
            .ok()
            .and_then(rustix::process::Pid::from_raw)
        {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

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

/// A piece of a program's output, admitted ([`Bound::SNIPPET`]) and quoted, for error messages.
pub(crate) fn snippet(text: &str, secrets: &Secrets) -> String {
    format!("`{}`", admit(text, secrets, Bound::SNIPPET))
}

/// One line read by [`read_lines`].
pub(crate) struct Line<'a> {
    /// The line without its line break, at most `max_line_bytes` of it.
    pub(crate) bytes: &'a [u8],
    /// How many bytes of the line were skipped beyond `max_line_bytes`.
    pub(crate) skipped: usize,
}

/// Reads `pipe` to its end in chunks of [`CHUNK_BYTES`], calling `on_line` for each line (ended
/// by `\n` or `\r\n`, or by the end of the pipe); at most `max_line_bytes` of a line are held,
/// so one endless line costs no memory. With `terminal`, a carriage return not followed by a
/// line feed starts the line over, as on a terminal (progress bars); otherwise it is kept.
/// `on_line` returns false to stop reading.
pub(crate) fn read_lines(
    mut pipe: impl Read,
    max_line_bytes: usize,
    terminal: bool,
    mut on_line: impl FnMut(Line<'_>) -> bool,
) -> std::io::Result<()> {
    let mut chunk = vec![0u8; CHUNK_BYTES];
    let mut line: Vec<u8> = Vec::new();
    let mut skipped = 0usize;
    let mut pending_cr = false;
    let push = |line: &mut Vec<u8>, skipped: &mut usize, byte: u8| {
        if line.len() < max_line_bytes {
            line.push(byte);
        } else {
            *skipped += 1;
        }
    };
    loop {
        let n = match read_chunk(&mut pipe, &mut chunk)? {
            0 => break,
            n => n,
        };
        for &byte in &chunk[..n] {
            if std::mem::take(&mut pending_cr) && byte != b'\n' {
                if terminal {
                    line.clear();
                    skipped = 0;
                } else {
                    push(&mut line, &mut skipped, b'\r');
                }
            }
            match byte {
                b'\n' => {
                    let go_on = on_line(Line {
                        bytes: &line,
                        skipped,
                    });
                    line.clear();
                    skipped = 0;
                    if !go_on {
                        return Ok(());
                    }
                }
                b'\r' => pending_cr = true,
                _ => push(&mut line, &mut skipped, byte),
            }
        }
    }
    if pending_cr && !terminal {
        push(&mut line, &mut skipped, b'\r');
    }
    if !line.is_empty() || skipped > 0 {
        on_line(Line {
            bytes: &line,
            skipped,
        });
    }
    Ok(())
}

/// Reads `pipe` to its end, keeping at most `max_bytes`; more is an error (the rest is still
/// read and dropped, so the program is not blocked on a full pipe).
pub(crate) fn read_capped(mut pipe: impl Read, max_bytes: usize) -> std::io::Result<Vec<u8>> {
    let mut kept = Vec::new();
    let mut chunk = vec![0u8; CHUNK_BYTES];
    let mut over = false;
    loop {
        let n = match read_chunk(&mut pipe, &mut chunk)? {
            0 => break,
            n => n,
        };
        if over {
            continue;
        }
        if kept.len() + n <= max_bytes {
            kept.extend_from_slice(&chunk[..n]);
        } else {
            over = true;
            kept = Vec::new();
        }
    }
    if over {
        return Err(too_much_output(max_bytes));
    }
    Ok(kept)
}

/// One `read` of `pipe` into `chunk`, tried again when a signal interrupts it: the bytes read
/// (0 at the end).
fn read_chunk(pipe: &mut impl Read, chunk: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match pipe.read(chunk) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// The error for stdout beyond [`MAX_STDOUT_BYTES`].
pub(crate) fn too_much_output(max_bytes: usize) -> std::io::Error {
    std::io::Error::other(format!(
        "it printed more than {} MiB, the most evalgate reads",
        max_bytes / (1024 * 1024)
    ))
}

/// Collects the last lines a child writes on stderr: at most [`STDERR_TAIL_LINES`] lines of at
/// most [`MAX_STDERR_LINE_BYTES`] each are held; they are admitted ([`Bound::STDERR_LINE`], with
/// the secrets redacted) when the tail is taken into a message.
pub(crate) struct StderrTail {
    lines: Arc<Mutex<VecDeque<RawLine>>>,
    done: Arc<(Mutex<bool>, std::sync::Condvar)>,
    secrets: Secrets,
}

/// A stderr line as read: at most [`MAX_STDERR_LINE_BYTES`], and whether more was skipped.
struct RawLine {
    bytes: Vec<u8>,
    cut: bool,
}

impl StderrTail {
    /// Starts collecting the child's stderr on a thread; `secrets` are what the child may echo.
    pub(crate) fn start(stderr: Option<std::process::ChildStderr>, secrets: Secrets) -> Self {
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        let done = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
        if let Some(stderr) = stderr {
            let lines = Arc::clone(&lines);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let _ = read_lines(stderr, MAX_STDERR_LINE_BYTES, true, |line| {
                    let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
                    if lines.len() == STDERR_TAIL_LINES {
                        lines.pop_front();
                    }
                    lines.push_back(RawLine {
                        bytes: line.bytes.to_vec(),
                        cut: line.skipped > 0,
                    });
                    true
                });
                let (flag, cv) = &*done;
                *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
                cv.notify_all();
            });
        } else {
            *done.0.lock().unwrap_or_else(|p| p.into_inner()) = true;
        }
        StderrTail {
            lines,
            done,
            secrets,
        }
    }

    /// Waits (bounded) until the child's stderr is closed, so the tail is complete.
    pub(crate) fn finish(&self, at_most: Duration) {
        let (flag, cv) = &*self.done;
        let guard = flag.lock().unwrap_or_else(|p| p.into_inner());
        let _ = cv.wait_timeout_while(guard, at_most, |done| !*done);
    }

    /// The last lines so far, admitted.
    pub(crate) fn tail(&self) -> Vec<String> {
        let lines = self.lines.lock().unwrap_or_else(|p| p.into_inner());
        lines
            .iter()
            .map(|line| {
                let mut text = String::from_utf8_lossy(&line.bytes).into_owned();
                if line.cut {
                    text.push('…');
                }
                admit(&text, &self.secrets, Bound::STDERR_LINE)
            })
            .collect()
    }

    /// The last lines, after waiting up to `at_most` for stderr to be closed.
    pub(crate) fn finish_tail(&self, at_most: Duration) -> Vec<String> {
        self.finish(at_most);
        self.tail()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize, terminal: bool) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        read_lines(input, max, terminal, |line| {
            out.push((
                String::from_utf8_lossy(line.bytes).into_owned(),
                line.skipped,
            ));
            true
        })
        .unwrap();
        out
    }

    #[test]
    fn an_endless_line_is_held_only_up_to_the_bound() {
        let big = vec![b'x'; 10_000_000];
        let got = lines(&big, MAX_STDERR_LINE_BYTES, true);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.len(), MAX_STDERR_LINE_BYTES);
        assert_eq!(got[0].1, 10_000_000 - MAX_STDERR_LINE_BYTES);
    }

    #[test]
    fn line_ends_and_carriage_returns() {
        let text = b"one\r\ntwo\n10%\r50%\r100%\nlast";
        let terminal: Vec<String> = lines(text, 100, true).into_iter().map(|l| l.0).collect();
        assert_eq!(terminal, ["one", "two", "100%", "last"]);
        let data: Vec<String> = lines(text, 100, false).into_iter().map(|l| l.0).collect();
        assert_eq!(data, ["one", "two", "10%\r50%\r100%", "last"]);
    }

    #[test]
    fn capped_reading_reports_too_much() {
        assert_eq!(read_capped(&b"abc"[..], 3).unwrap(), b"abc");
        let err = read_capped(&vec![0u8; 100_000][..], 50_000).unwrap_err();
        assert!(err.to_string().contains("more than"), "{err}");
    }
}
