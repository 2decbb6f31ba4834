//! The live tabs (issue #14) end to end: the real binary in web mode on a
//! copy of the AFI IR whose `.mizan/studio.toml` names a live `afi-server`
//! and its real Redis (a cache secret, an MWT secret — given to the studio
//! as `MIZAN_CACHE_SECRET` / `MIZAN_MWT_SECRET`, as the issue says),
//! driven in headless Chromium by `tests/node/studio/live.e2e.test.mjs`:
//! MISS then HIT with the CLI's key, Explain on a rev bump / "05" / a
//! missing user, tokens, a replay of `rename` whose prediction, body and
//! header agree and whose purge shows, the IR edited to disagree, backend
//! and Redis down. Then the studio restarts and the history is still
//! there. Screenshots: `target/test-output/studio-{cache,replay,tokens}*.png`.

mod common;

use common::*;
use mizan_testkit::{AfiServer, Redis};

const CACHE_SECRET: &str = "live-e2e-cache-secret-0123456789abcd";
const MWT_SECRET: &str = "live-e2e-mwt-secret-0123456789abcdefgh";

/// A real Redis and an `afi-server` on it with the test's secrets.
fn afi_on_redis() -> (Redis, AfiServer) {
    let redis = Redis::start();
    let server = AfiServer::start(&[
        "--redis",
        &redis.url(),
        "--cache-secret",
        CACHE_SECRET,
        "--mwt-secret",
        MWT_SECRET,
    ]);
    (redis, server)
}

/// A temp project on a copy of the AFI IR.
fn afi_project() -> tempfile::TempDir {
    let project = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root().join("fixtures/afi/afi.kdl"), project.path().join("afi.kdl")).expect("copy afi.kdl");
    std::fs::write(
        project.path().join("mizan.toml"),
        "output = \"generated\"\ntargets = [\"ts\"]\n\n[source]\nkdl = \"afi.kdl\"\n",
    )
    .expect("write mizan.toml");
    project
}

#[test]
fn live_tabs_against_afi_server_and_redis() {
    let (redis, server) = afi_on_redis();
    let project = afi_project();
    std::fs::create_dir_all(project.path().join(".mizan")).expect("mkdir .mizan");
    std::fs::write(
        project.path().join(".mizan/studio.toml"),
        format!(
            "[[environment]]\nname = \"local\"\nbase_url = \"{}\"\nredis_url = \"{}\"\n",
            server.base(),
            redis.url()
        ),
    )
    .expect("write studio.toml");
    let settings = tempfile::tempdir().expect("tempdir");
    let secrets = [("MIZAN_CACHE_SECRET", CACHE_SECRET), ("MIZAN_MWT_SECRET", MWT_SECRET)];
    let dead = mizan_testkit::free_port().to_string();
    // A second environment whose backend is down.
    let mut toml = std::fs::read_to_string(project.path().join(".mizan/studio.toml")).expect("read studio.toml");
    toml.push_str(&format!(
        "\n[[environment]]\nname = \"elsewhere\"\nbase_url = \"http://127.0.0.1:{dead}/api/mizan\"\n"
    ));
    std::fs::write(project.path().join(".mizan/studio.toml"), toml).expect("write studio.toml");
    let base = server.base();
    let redis_url = redis.url();
    let env = |phase: &'static str| {
        vec![
            ("AFI_BASE", base.as_str()),
            ("AFI_REDIS", redis_url.as_str()),
            ("MIZAN_CACHE_SECRET", CACHE_SECRET),
            ("MIZAN_MWT_SECRET", MWT_SECRET),
            ("DEAD_PORT", dead.as_str()),
            ("PHASE", phase),
        ]
    };
    {
        let studio = WebStudio::start_with(project.path(), &settings.path().join("settings.json"), &secrets);
        run_playwright_with("live.e2e.test.mjs", &studio, project.path(), &env("first"));
    }
    // A new studio process on the same project.
    {
        let studio = WebStudio::start_with(project.path(), &settings.path().join("settings.json"), &secrets);
        run_playwright_with(
            "live-restart.e2e.test.mjs",
            &studio,
            project.path(),
            &env("after-restart"),
        );
    }
    window_shows_the_live_tabs(project.path(), &settings.path().join("settings.json"), &secrets);
}

/// The real window (WebKitGTK) under Xvfb, driven with the keyboard
/// through `xdotool`: the palette opens each live tab (Ctrl+K, its name,
/// Enter), a context is looked up and a token minted by typing into the
/// focused field; each tab is photographed once the screen settles.
///
/// The window is also the Tauri app of issue #15's tap test: it serves its
/// devtools tap (debug build), whose discovery file must be its user's
/// only; a web-mode studio attaches to it before the window starts typing
/// (`tap-window.e2e.test.mjs`), sees its IPC calls and replays one in it;
/// the file is gone once the window exited on SIGTERM.
fn window_shows_the_live_tabs(project: &std::path::Path, settings: &std::path::Path, secrets: &[(&str, &str)]) {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("stderr.log");
    let (go, done) = (dir.path().join("go"), dir.path().join("done"));
    let devtools = dir.path().join("devtools");
    let shots: Vec<std::path::PathBuf> = ["cache", "replay", "tokens"]
        .iter()
        .map(|t| shots_dir().join(format!("studio-window-{t}.png")))
        .collect();
    for shot in &shots {
        let _ = std::fs::remove_file(shot);
    }
    let script = r#"
        MIZAN_STUDIO_TIMING=1 MIZAN_STUDIO_SETTINGS="$3" "$1" "$2" >/dev/null 2>"$4" &
        pid=$!
        for _ in $(seq 1800); do
            grep -q "ui content painted" "$4" && break
            kill -0 "$pid" 2>/dev/null || { echo "mizan-studio exited early" >&2; cat "$4" >&2; exit 1; }
            sleep 0.1
        done
        # The other studio attaches to this window's tap first.
        for _ in $(seq 3000); do [ -f "$8" ] || [ -f "$9" ] && break; sleep 0.1; done
        [ -f "$8" ] || { echo "no studio attached within 300 s" >&2; kill "$pid"; exit 1; }
        win=$(xdotool search --sync --name "Mizan Studio" | head -1)
        xdotool windowfocus --sync "$win"
        settle() { # photographs until two pictures half a second apart agree
            next="${1%.png}.next.png"
            for _ in $(seq 120); do
                sleep 0.5
                import -window root "$next"
                if [ -f "$1" ] && [ "$(compare -metric AE "$1" "$next" null: 2>&1)" = 0 ]; then break; fi
                mv "$next" "$1"
            done
            rm -f "$next"
        }
        open_tab() { # the palette: Ctrl+K, the command's name, Enter
            xdotool key --clearmodifiers ctrl+k
            sleep 0.3
            xdotool type --delay 15 "$1"
            sleep 0.3
            xdotool key Return
            sleep 0.5
        }
        open_tab "Cache inspector"
        xdotool type --delay 15 "items"; xdotool key Return
        settle "$5"
        open_tab "Replay a call"
        settle "$6"
        open_tab "Tokens"
        xdotool type --delay 15 "5"; xdotool key Return
        settle "$7"
        # The other studio replays through the tap, then says done.
        for _ in $(seq 3000); do [ -f "$9" ] && break; sleep 0.1; done
        kill "$pid"; wait "$pid" 2>/dev/null || true
    "#;
    let mut window = std::process::Command::new("xvfb-run")
        .args(["-a", "-s", "-screen 0 1280x800x24", "bash", "-c", script, "window"])
        .arg(studio_exe())
        .arg(project)
        .arg(settings)
        .arg(&log)
        .args(&shots)
        .arg(&go)
        .arg(&done)
        .envs(secrets.iter().copied())
        .env("MIZAN_DEVTOOLS_DIR", &devtools)
        .spawn()
        .expect("run xvfb-run (scripts/setup installs it, and xdotool)");
    // Whatever happens below, the window is told to finish and is waited for.
    struct Finish<'a>(&'a std::path::Path, &'a mut std::process::Child);
    impl Drop for Finish<'_> {
        fn drop(&mut self) {
            let _ = std::fs::write(self.0, "done\n");
            if std::thread::panicking() {
                let _ = self.1.wait();
            }
        }
    }
    let discovery_files = |dir: &std::path::Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default()
    };
    {
        let finish = Finish(&done, &mut window);
        let started = std::time::Instant::now();
        let file = loop {
            if let Some(file) = discovery_files(&devtools).into_iter().next() {
                break file;
            }
            if let Ok(Some(status)) = finish.1.try_wait() {
                panic!("the window exited ({status}) before serving its tap");
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(300),
                "the window wrote no devtools discovery file in {}",
                devtools.display()
            );
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let mode = std::fs::metadata(&file)
            .expect("stat the discovery file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{} is readable by others", file.display());
        let web_settings = dir.path().join("web-settings.json");
        let mut env: Vec<(&str, &str)> = secrets.to_vec();
        let devtools_dir = devtools.to_str().expect("utf-8 path");
        env.push(("MIZAN_DEVTOOLS_DIR", devtools_dir));
        let studio = WebStudio::start_with(project, &web_settings, &env);
        run_playwright_with(
            "tap-window.e2e.test.mjs",
            &studio,
            project,
            &[
                ("GO_FILE", go.to_str().expect("utf-8 path")),
                ("DONE_FILE", done.to_str().expect("utf-8 path")),
            ],
        );
        drop(finish);
    }
    let status = window.wait().expect("wait for the window run");
    assert!(status.success(), "the window run failed ({status})");
    assert_eq!(
        discovery_files(&devtools),
        Vec::<std::path::PathBuf>::new(),
        "the window left its discovery file behind after SIGTERM"
    );
    for shot in &shots {
        let colours = std::process::Command::new("identify")
            .args(["-format", "%k"])
            .arg(shot)
            .output()
            .expect("run identify");
        let colours: u32 = String::from_utf8_lossy(&colours.stdout).trim().parse().unwrap_or(0);
        assert!(colours > 200, "{} looks empty ({colours} colours)", shot.display());
    }
    // Three different screens: the keyboard really switched the tabs.
    for (a, b) in [(0, 1), (1, 2), (0, 2)] {
        let out = std::process::Command::new("compare")
            .args(["-metric", "AE"])
            .arg(&shots[a])
            .arg(&shots[b])
            .arg("null:")
            .output()
            .expect("run compare");
        let differing: f64 = String::from_utf8_lossy(&out.stderr)
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0.0);
        assert!(
            differing > 10_000.0,
            "{} and {} are the same screen",
            shots[a].display(),
            shots[b].display()
        );
    }
}

/// The Traffic tab (issue #15): the proxy started from the tab, in front of
/// a live afi-server on Redis; and `--proxy` on the command line prints
/// its line and forwards.
#[test]
fn traffic_through_the_proxy() {
    let (_redis, server) = afi_on_redis(); // Redis lives as long as the test
    let project = afi_project();
    let settings = tempfile::tempdir().expect("tempdir");
    let base = server.base();
    {
        let studio = WebStudio::start(project.path(), &settings.path().join("settings.json"));
        run_playwright_with(
            "traffic.e2e.test.mjs",
            &studio,
            project.path(),
            &[
                ("AFI_BASE", base.as_str()),
                ("NODE_OPTIONS", "--experimental-websocket"),
            ],
        );
    }
    // The command line: a second line names the proxy, which forwards.
    let mut child = std::process::Command::new(studio_exe())
        .args(["--web", "127.0.0.1:0", "--proxy", &base])
        .arg(project.path())
        .env("MIZAN_STUDIO_SETTINGS", settings.path().join("settings.json"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start mizan-studio --web --proxy");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let first = lines.next().expect("a first line").expect("utf-8");
    let second = lines.next().expect("a second line").expect("utf-8");
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.starts_with("Mizan Studio (web mode): http://127.0.0.1:"),
        "{first}"
    );
    let prefix = "Mizan Studio proxy: http://127.0.0.1:";
    assert!(
        second.starts_with(prefix) && second.ends_with(&format!("/api/mizan -> {base}")),
        "{second}"
    );
}
