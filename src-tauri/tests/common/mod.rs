//! What the studio's browser and window tests share: the repository
//! root, the binaries of this build, a web-mode studio started on a project
//! (killed on drop), and the Playwright runner that checks every test of a
//! file ran and passed.

#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

pub fn studio_exe() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_mizan-studio"))
}

/// The `mizan` CLI of the same build.
pub fn mizan_cli() -> PathBuf {
    let cli = studio_exe().with_file_name(format!("mizan{}", std::env::consts::EXE_SUFFIX));
    assert!(
        cli.exists(),
        "{} is missing: build it with `cargo build -p mizan-cli` (cargo test --workspace does)",
        cli.display()
    );
    cli
}

pub fn shots_dir() -> PathBuf {
    let dir = root().join("target/test-output");
    std::fs::create_dir_all(&dir).expect("mkdir target/test-output");
    dir
}

/// A temp copy of the example project (its files, not `generated/`).
pub fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(root().join("fixtures/example"))
        .expect("fixtures/example")
        .flatten()
    {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
        }
    }
    dir
}

/// A running `mizan-studio --web 127.0.0.1:0 PROJECT`, killed on drop.
pub struct WebStudio {
    child: Child,
    pub url: String,
}

impl WebStudio {
    pub fn start(project: &Path, settings: &Path) -> Self {
        Self::start_with(project, settings, &[])
    }

    /// Started with extra environment variables (secrets the studio reads).
    pub fn start_with(project: &Path, settings: &Path, env: &[(&str, &str)]) -> Self {
        let mut child = Command::new(studio_exe())
            .args(["--web", "127.0.0.1:0"])
            .arg(project)
            .env("MIZAN_STUDIO_SETTINGS", settings)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start mizan-studio --web");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(at) = line.find("http://") {
                    let _ = tx.send(line[at..].trim().trim_end_matches('/').to_owned());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("mizan-studio --web printed no URL within 120 s");
            }
        };
        WebStudio { child, url }
    }
}

impl Drop for WebStudio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn node_modules() -> PathBuf {
    let dir = root().join("tests/node/node_modules");
    assert!(
        dir.join("playwright-core").exists(),
        "{} has no playwright-core: run scripts/setup",
        dir.display()
    );
    dir
}

/// Runs `tests/node/studio/SCRIPT` against `studio` on `project`, and
/// asserts that every test of the file ran and passed (none skipped by a
/// stray `only`, none lost to an early crash).
pub fn run_playwright(script: &str, studio: &WebStudio, project: &Path) {
    run_playwright_with(script, studio, project, &[]);
}

/// [`run_playwright`] with extra environment variables for the script.
pub fn run_playwright_with(script: &str, studio: &WebStudio, project: &Path, env: &[(&str, &str)]) {
    assert!(
        Path::new("/usr/bin/chromium").exists(),
        "/usr/bin/chromium is missing: run scripts/setup"
    );
    node_modules();
    let out = Command::new("node")
        .current_dir(root().join("tests/node/studio"))
        .env("MIZAN_STUDIO_URL", &studio.url)
        .env("MIZAN_PROJECT", project)
        .env("MIZAN_CLI", mizan_cli())
        .env("MIZAN_SHOTS", shots_dir())
        .envs(env.iter().copied())
        .args(["--test", "--test-concurrency=1", script])
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let text = std::fs::read_to_string(root().join("tests/node/studio").join(script)).expect("read the test file");
    let tests = text.lines().filter(|l| l.starts_with("test(")).count();
    assert!(tests > 0, "no tests found in {script}");
    assert!(
        out.status.success() && stdout.contains(&format!("# pass {tests}\n")) && stdout.contains("# fail 0"),
        "node --test {script} failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}
