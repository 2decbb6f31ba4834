//! Long steps as jobs: a `command`/`cargo` source runs off the request,
//! its stderr streamed into the `activity` context in bounded lines, its
//! stdout (the IR) capped like the CLI's, cancellable from the UI.

use super::state::Job;
use super::{Studio, lock};
use crate::models::JobStatus;
use mizan_codegen::Source;
use mizan_codegen::source::{STDOUT_LIMIT, StderrTail, too_much_output};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Lines of a job's stderr kept for the activity pane (each at most
/// `mizan_codegen::source::LINE_LIMIT` bytes).
const JOB_LINES: usize = 400;

/// How often a running job's output is pushed at most.
const JOB_PUSH_EVERY: Duration = Duration::from_millis(150);

impl Studio {
    /// Cancels the running job, if any (its process is killed).
    pub fn cancel_job(&self) -> bool {
        let mut state = lock(&self.state);
        match state.job.as_mut().and_then(|j| j.cancel.take()) {
            Some(cancel) => {
                let _ = cancel.send(true);
                true
            }
            None => false,
        }
    }

    /// Runs a source command as a job: stderr streamed into the activity
    /// view, stdout collected as the IR text, cancellable.
    pub(super) async fn run_source_job(&self, source: &Source) -> Result<String, String> {
        let std_cmd = match mizan_codegen::source::command(source) {
            Ok(Some(cmd)) => cmd,
            Ok(None) => return Err("not a command source".into()),
            Err(e) => return Err(e.to_string()),
        };
        let label = format!(
            "{} {}",
            std_cmd.get_program().to_string_lossy(),
            std_cmd
                .get_args()
                .map(|a| a.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let (cancel_tx, mut cancel_rx) = tokio::sync::watch::channel(false);
        let id = {
            let mut state = lock(&self.state);
            state.next_job += 1;
            let id = state.next_job;
            state.job = Some(Job {
                id,
                label,
                status: JobStatus::Running,
                output: VecDeque::new(),
                started: Instant::now(),
                finished: None,
                cancel: Some(cancel_tx),
            });
            id
        };
        self.publish(&["activity"]).await;
        let mut cmd = tokio::process::Command::from(std_cmd);
        cmd.stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let finish = |status: JobStatus| {
            let mut state = lock(&self.state);
            if let Some(j) = state.job.as_mut().filter(|j| j.id == id) {
                j.status = status;
                j.finished = Some(j.started.elapsed());
                j.cancel = None;
            }
        };
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                finish(JobStatus::Failed);
                return Err(format!("cannot run it: {e}"));
            }
        };
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        // Stdout is the IR: at most STDOUT_LIMIT bytes (one more tells that
        // it printed too much).
        let collect_stdout = async {
            let mut out = Vec::new();
            if let Some(s) = stdout {
                let mut capped = tokio::io::AsyncReadExt::take(s, STDOUT_LIMIT as u64 + 1);
                let _ = tokio::io::AsyncReadExt::read_to_end(&mut capped, &mut out).await;
            }
            out
        };
        // Stderr: lines cut to LINE_LIMIT bytes, the last JOB_LINES shown,
        // the last STDERR_TAIL_BYTES kept for the failure message.
        let stream_stderr = async {
            let mut tail = StderrTail::default();
            let Some(mut stderr) = stderr else { return tail };
            let mut buf = vec![0u8; 8192];
            let mut last_push = Instant::now();
            loop {
                let (lines, done) = match tokio::io::AsyncReadExt::read(&mut stderr, &mut buf).await {
                    Ok(0) | Err(_) => (tail.finish().into_iter().collect(), true),
                    Ok(n) => (tail.push(&buf[..n]), false),
                };
                if !lines.is_empty() {
                    {
                        let mut state = lock(&self.state);
                        if let Some(j) = state.job.as_mut().filter(|j| j.id == id) {
                            j.output.extend(lines);
                            let excess = j.output.len().saturating_sub(JOB_LINES);
                            j.output.drain(..excess);
                        }
                    }
                    if last_push.elapsed() >= JOB_PUSH_EVERY {
                        last_push = Instant::now();
                        self.publish(&["activity"]).await;
                    }
                }
                if done {
                    return tail;
                }
            }
        };
        // `None` when stdout overflowed: the caller returns at once, which
        // drops (kills) the child without waiting for its stderr to close.
        let run = async {
            let mut stdout = std::pin::pin!(collect_stdout);
            let mut stderr = std::pin::pin!(stream_stderr);
            let mut tail = None;
            let out = loop {
                tokio::select! {
                    out = &mut stdout => break out,
                    t = &mut stderr, if tail.is_none() => tail = Some(t),
                }
            };
            if out.len() > STDOUT_LIMIT {
                return None;
            }
            let tail = match tail {
                Some(t) => t,
                None => stderr.await,
            };
            Some((child.wait().await, out, tail.bytes()))
        };
        tokio::select! {
            result = run => {
                match result {
                    None => {
                        finish(JobStatus::Failed);
                        Err(too_much_output())
                    }
                    Some((Ok(status), out, _)) if status.success() => {
                        finish(JobStatus::Succeeded);
                        String::from_utf8(out).map_err(|_| "printed output that is not UTF-8".to_owned())
                    }
                    Some((Ok(status), _, err)) => {
                        finish(JobStatus::Failed);
                        Err(mizan_codegen::source::failure_message(status, &err))
                    }
                    Some((Err(e), _, _)) => {
                        finish(JobStatus::Failed);
                        Err(format!("cannot wait for it: {e}"))
                    }
                }
            }
            _ = cancel_rx.wait_for(|c| *c) => {
                // Dropping `run` drops the child, which kills it.
                finish(JobStatus::Cancelled);
                Err("cancelled".into())
            }
        }
    }
}
