//! What the desktop shell lends the studio, through the dispatcher: a fake
//! folder picker (the real one needs a person) behind the `FolderPicker`
//! trait, drops forwarded to `Studio::open_dropped`, web mode without
//! either; every way of opening a project lands in the recent list.

mod common;

use common::*;
use mizan_core::wire::ErrorCode;
use mizan_studio_backend::{FolderPicker, PickFuture, StudioOptions};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Answers each `pick_folder` with the next scripted choice (`None`:
/// cancelled) and records where it was asked to start.
#[derive(Default)]
struct FakePicker {
    answers: Mutex<VecDeque<Option<PathBuf>>>,
    starts: Mutex<Vec<Option<PathBuf>>>,
}

impl FakePicker {
    fn answer(&self, choice: Option<&Path>) {
        self.answers.lock().unwrap().push_back(choice.map(Path::to_path_buf));
    }
}

impl FolderPicker for FakePicker {
    fn pick_folder(&self, start: Option<PathBuf>) -> PickFuture {
        self.starts.lock().unwrap().push(start);
        let choice = self.answers.lock().unwrap().pop_front().flatten();
        Box::pin(async move {
            // Like a dialog: the answer comes later, not inside the call.
            tokio::time::sleep(Duration::from_millis(5)).await;
            choice
        })
    }
}

fn settings_app() -> (App, tempfile::TempDir) {
    let settings = tempfile::tempdir().unwrap();
    let app = app_with(StudioOptions {
        settings_path: Some(settings.path().join("studio.json")),
        ..Default::default()
    });
    (app, settings)
}

async fn recent_paths(app: &App) -> Vec<String> {
    app.fetch("project", json!({})).await["recent_projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_owned())
        .collect()
}

fn canonical(p: &Path) -> String {
    p.canonicalize().unwrap().display().to_string()
}

/// Two projects (`a`, `b`) below one folder.
fn two_projects() -> tempfile::TempDir {
    let parent = tempfile::tempdir().unwrap();
    for name in ["a", "b"] {
        let d = parent.path().join(name);
        std::fs::create_dir(&d).unwrap();
        for f in ["mizan.toml", "api.kdl"] {
            std::fs::copy(root().join("fixtures/example").join(f), d.join(f)).unwrap();
        }
    }
    parent
}

/// Pushed context names until one frame contains `until` (or 5 s pass).
async fn pushed_until(sub: &mut mizan::Subscription, until: &str) -> Vec<String> {
    let mut all = Vec::new();
    while let Some(push) = next_push(sub, Duration::from_secs(5)).await {
        let names: Vec<String> = push["invalidate"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap_or_default().to_owned())
            .collect();
        let done = names.iter().any(|n| n == until);
        all.extend(names);
        if done {
            break;
        }
    }
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_mode_has_no_picker_and_says_so() {
    let app = app();
    let shell = app.fetch("shell", json!({})).await;
    assert_eq!(
        shell["shell_view"],
        json!({"folder_picker": false, "drop_to_open": false, "dragging": false, "last_drop": null})
    );
    let err = app.call("choose_folder", json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotImplemented);
    assert!(err.message.contains("web mode"), "{}", err.message);
    assert_eq!(app.fetch("project", json!({})).await["project_info"]["state"], "closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picked_folder_opens_like_the_path_field_and_enters_recents() {
    let (app, _settings) = settings_app();
    let picker = Arc::new(FakePicker::default());
    app.studio.set_folder_picker(picker.clone());
    assert_eq!(app.fetch("shell", json!({})).await["shell_view"]["folder_picker"], true);

    let dir = example_copy();
    picker.answer(Some(dir.path()));
    let opened = app.call("choose_folder", json!({})).await.unwrap();
    assert_eq!(opened.result["opened"], canonical(dir.path()), "{}", opened.result);
    assert_eq!(opened.result["state"], "ready");
    // A mutation: its response tells the UI what to refetch.
    assert!(opened.invalidate.iter().any(|i| i.context() == "graph"));
    assert_eq!(recent_paths(&app).await, [canonical(dir.path())]);
    assert_eq!(
        picker.starts.lock().unwrap()[0],
        None,
        "nothing open: the dialog's own default"
    );

    // Cancelled: `null`, the open project and the recent list unchanged.
    picker.answer(None);
    let cancelled = app.call("choose_folder", json!({})).await.unwrap();
    assert_eq!(cancelled.result, Value::Null);
    let info = app.fetch("project", json!({})).await;
    assert_eq!(info["project_info"]["root"], canonical(dir.path()));
    assert_eq!(info["project_info"]["state"], "ready");
    assert_eq!(recent_paths(&app).await, [canonical(dir.path())]);
    // The second dialog started next to the open project.
    let parent = dir.path().canonicalize().unwrap().parent().unwrap().to_path_buf();
    assert_eq!(picker.starts.lock().unwrap()[1], Some(parent));

    // A folder above several projects: listed, nothing opened.
    let parent = two_projects();
    picker.answer(Some(parent.path()));
    let several = app.ok("choose_folder", json!({})).await;
    assert_eq!(several["opened"], Value::Null);
    assert_eq!(several["candidates"].as_array().unwrap().len(), 2, "{several}");
    assert_eq!(
        app.fetch("project", json!({})).await["project_info"]["root"],
        canonical(dir.path())
    );

    // Not a project: the open error, nothing changed.
    let empty = tempfile::tempdir().unwrap();
    picker.answer(Some(empty.path()));
    let err = app.call("choose_folder", json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    assert_eq!(recent_paths(&app).await, [canonical(dir.path())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_folder_or_mizan_toml_opens_is_pushed_and_enters_recents() {
    let (app, _settings) = settings_app();
    app.studio.accept_drops();
    let mut sub = app.subscribe();
    assert_eq!(app.fetch("shell", json!({})).await["shell_view"]["drop_to_open"], true);

    // Hovering shows the hint (pushed: a drag is no mutation).
    app.studio.drag_hover(true).await;
    assert!(pushed_until(&mut sub, "shell").await.contains(&"shell".to_owned()));
    assert_eq!(app.fetch("shell", json!({})).await["shell_view"]["dragging"], true);
    app.studio.drag_hover(false).await;
    assert!(pushed_until(&mut sub, "shell").await.contains(&"shell".to_owned()));
    assert_eq!(app.fetch("shell", json!({})).await["shell_view"]["dragging"], false);

    // The folder's mizan.toml dropped: opened, every view pushed.
    let first = example_copy();
    app.studio.drag_hover(true).await;
    let report = app.studio.open_dropped(&[first.path().join("mizan.toml")]).await;
    assert_eq!(report.opened.as_deref(), Some(canonical(first.path()).as_str()));
    assert_eq!(report.error, None);
    let pushed = pushed_until(&mut sub, "graph").await;
    for c in ["project", "graph", "browse", "shell"] {
        assert!(pushed.iter().any(|p| p == c), "{c} not pushed: {pushed:?}");
    }
    let shell = app.fetch("shell", json!({})).await;
    assert_eq!(shell["shell_view"]["dragging"], false);
    assert_eq!(shell["shell_view"]["last_drop"]["id"], 1);
    assert_eq!(shell["shell_view"]["last_drop"]["opened"], canonical(first.path()));
    let project = app.fetch("project", json!({})).await;
    assert_eq!(project["project_info"]["state"], "ready");
    assert_eq!(project["project_info"]["counts"]["functions"], 18);

    // A second folder dropped while one is open replaces it; both recent.
    let second = example_copy();
    let report = app.studio.open_dropped(&[second.path().to_path_buf()]).await;
    assert_eq!(report.id, 2);
    assert_eq!(
        recent_paths(&app).await,
        [canonical(second.path()), canonical(first.path())]
    );

    // Several projects below: listed in the report, nothing opened.
    let parent = two_projects();
    let report = app.studio.open_dropped(&[parent.path().to_path_buf()]).await;
    assert_eq!((report.id, report.opened, report.candidates.len()), (3, None, 2));
    // Not a project: the error, the open project untouched.
    let empty = tempfile::tempdir().unwrap();
    let report = app.studio.open_dropped(&[empty.path().to_path_buf()]).await;
    assert!(report.error.as_deref().unwrap().contains("no mizan.toml"), "{report:?}");
    assert!(pushed_until(&mut sub, "shell").await.contains(&"shell".to_owned()));
    assert_eq!(
        app.fetch("shell", json!({})).await["shell_view"]["last_drop"]["error"],
        json!(report.error)
    );
    assert_eq!(
        app.fetch("project", json!({})).await["project_info"]["root"],
        canonical(second.path())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_line_open_enters_recents_and_close_keeps_it() {
    let (app, _settings) = settings_app();
    let dir = example_copy();
    // What `mizan-studio DIR` does before the window opens.
    app.studio.open(dir.path()).await.unwrap();
    assert_eq!(recent_paths(&app).await, [canonical(dir.path())]);

    let closed = app.call("close_project", json!({})).await.unwrap();
    assert!(closed.invalidate.iter().any(|i| i.context() == "project"));
    let project = app.fetch("project", json!({})).await;
    assert_eq!(project["project_info"]["state"], "closed");
    assert_eq!(project["recent_projects"][0]["path"], canonical(dir.path()));
    let err = app.call("regenerate", json!({})).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BadRequest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_painted_is_timed_only_when_asked() {
    let quiet = app();
    assert_eq!(quiet.ok("ui_painted", json!({"stage": "content"})).await, false);
    let timed = app_with(StudioOptions {
        timing: Some(std::time::Instant::now()),
        ..Default::default()
    });
    assert_eq!(timed.ok("ui_painted", json!({"stage": "content"})).await, true);
}
