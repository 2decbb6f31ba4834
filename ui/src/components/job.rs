//! The running (or last) long step — a `command`/`cargo` IR source — with
//! its streamed stderr, elapsed time and Cancel (`data-testid="job"`,
//! `job-output`, `job-cancel`). The backend pushes `activity` as lines
//! arrive; this panel only shows them.

use leptos::html::Pre;
use leptos::prelude::*;

use crate::api::{self, JobStatus, JobView};
use crate::context::views::use_app;

/// "1.2 s", "2 min 05 s".
pub fn elapsed_text(ms: i64) -> String {
    let s = ms.max(0) as f64 / 1000.0;
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        let whole = s as i64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    }
}

/// What the job's status means, for its header.
fn status_text(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Running => "Running",
        JobStatus::Succeeded => "Finished",
        JobStatus::Failed => "Failed",
        JobStatus::Cancelled => "Cancelled",
    }
}

/// The job panel: shown while a job runs, and after one failed or was
/// cancelled until dismissed (a success closes it by itself).
#[component]
pub fn JobPanel() -> impl IntoView {
    let app = use_app();
    let cancel = api::use_cancel_job();
    let reload = api::use_reload();
    // The id of the finished job the user closed.
    let dismissed = RwSignal::new(None::<i64>);
    let job = Memo::new(move |_| {
        app.activity
            .data
            .with(|d| d.as_ref().and_then(|d| d.activity_status.job.clone()))
    });
    let visible = move || {
        job.get().is_some_and(|j| {
            j.status == JobStatus::Running || (j.status != JobStatus::Succeeded && dismissed.get() != Some(j.id))
        })
    };
    view! {
        <Show when=visible>
            {move || job.get().map(|j| view! { <JobCard job=j cancel=cancel reload=reload dismissed=dismissed/> })}
        </Show>
    }
}

#[component]
fn JobCard(
    job: JobView,
    cancel: Action<(), Result<bool, mizan_client::MizanError>>,
    reload: Action<(), Result<api::ProjectView, mizan_client::MizanError>>,
    dismissed: RwSignal<Option<i64>>,
) -> impl IntoView {
    let running = job.status == JobStatus::Running;
    let output_ref = NodeRef::<Pre>::new();
    // Follow the output as it grows (a terminal's habit).
    Effect::new(move |_| {
        if let Some(pre) = output_ref.get() {
            pre.set_scroll_top(pre.scroll_height());
        }
    });
    let id = job.id;
    let lines = job.output.len();
    view! {
        <section class="job-panel" data-testid="job" data-status=job.status.as_str() aria-live="polite">
            <header class="job-head">
                {running.then(|| view! { <span class="spinner" aria-hidden="true"></span> })}
                <span class=format!("job-status {}", job.status)>{status_text(job.status)}</span>
                <span class="mono job-label" title=job.label.clone()>{job.label.clone()}</span>
                <span class="muted small nowrap">{elapsed_text(job.elapsed_ms)}</span>
                <span class="spacer"></span>
                {if running {
                    view! {
                        <button
                            class="button"
                            data-testid="job-cancel"
                            disabled=move || cancel.pending().get()
                            title="Stop the process; the last good IR stays on screen"
                            on:click=move |_| {
                                cancel.dispatch(());
                            }
                        >
                            "Cancel"
                        </button>
                    }
                        .into_any()
                } else {
                    view! {
                        <button
                            class="button"
                            data-testid="job-retry"
                            disabled=move || reload.pending().get()
                            title="Run the IR source again"
                            on:click=move |_| {
                                reload.dispatch(());
                            }
                        >
                            "Run again"
                        </button>
                        <button class="icon-button" title="Close" aria-label="Close" on:click=move |_| dismissed.set(Some(id))>
                            "×"
                        </button>
                    }
                        .into_any()
                }}
            </header>
            {if lines == 0 {
                view! { <p class="muted small job-quiet">{if running { "No output yet." } else { "It printed nothing." }}</p> }
                    .into_any()
            } else {
                view! {
                    <pre class="mono job-output" data-testid="job-output" node_ref=output_ref>
                        {job.output.join("\n")}
                    </pre>
                }
                    .into_any()
            }}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_reads_like_a_person_would_say_it() {
        assert_eq!(elapsed_text(1234), "1.2 s");
        assert_eq!(elapsed_text(125_000), "2 min 05 s");
        assert_eq!(elapsed_text(-5), "0.0 s");
    }
}
