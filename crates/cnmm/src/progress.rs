//! A spinner on stderr for long scans. Most scans finish in well under a second, so it
//! appears only after a delay; it never appears when stderr is not a terminal (pipes,
//! tests, CI logs) or when `CI` is set, and it is cleared before the report is written.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long a scan runs before the spinner appears.
const DELAY: Duration = Duration::from_millis(700);
const TICK: Duration = Duration::from_millis(120);

/// Whether a spinner may be drawn at all.
pub fn wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// A progress bar of `len` steps drawn with `template` (indicatif's), when one may be
/// drawn at all ([`wanted`]).
pub fn bar(len: u64, template: &str) -> Option<ProgressBar> {
    wanted().then(|| {
        let bar = ProgressBar::new(len);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar
    })
}

/// Runs until dropped; draws nothing if dropped within [`DELAY`].
pub struct Progress {
    done: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    pub fn start(enabled: bool) -> Progress {
        if !enabled {
            return Progress {
                done: None,
                thread: None,
            };
        }
        let (done, wait) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            // Only a timeout means "still scanning"; a message or a dropped sender
            // means the scan is over.
            if !matches!(wait.recv_timeout(DELAY), Err(RecvTimeoutError::Timeout)) {
                return;
            }
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                bar.set_style(style);
            }
            bar.set_message("scanning");
            bar.enable_steady_tick(TICK);
            let _ = wait.recv();
            bar.finish_and_clear();
        });
        Progress {
            done: Some(done),
            thread: Some(thread),
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            // The spinner must be cleared before the report reaches the terminal.
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn disabled_progress_spawns_nothing() {
        let p = Progress::start(false);
        assert!(p.thread.is_none());
    }

    #[test]
    fn a_short_scan_ends_the_spinner_at_once() {
        let started = Instant::now();
        let p = Progress::start(true);
        drop(p);
        assert!(started.elapsed() < DELAY, "dropping waited for the delay");
    }
}
