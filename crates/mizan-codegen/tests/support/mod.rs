//! Helpers of the client tests (`python_client.rs`, `rust_clients.rs`, `e2e.rs`) on
//! top of `common`: running external tools with a clear "run
//! scripts/setup" failure, and a live `afi-server`.

#![allow(dead_code)] // each test binary uses a subset

use std::process::{Command, Output};

/// Runs `cmd`, failing the test with a pointer to `scripts/setup` when the
/// program is missing.
pub fn run(cmd: &mut Command) -> Output {
    let program = cmd.get_program().to_string_lossy().into_owned();
    match cmd.output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{program}` is not installed: run scripts/setup")
        }
        Err(e) => panic!("cannot run `{program}`: {e}"),
    }
}

/// Fails the test with the command's output unless it succeeded.
pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh temporary folder for one test.
pub fn temp_dir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir().expect("temp dir")
}

/// A running `afi-server` (package `afi-app`), killed on drop.
pub struct AfiServer {
    child: std::process::Child,
    /// `127.0.0.1:<port>`.
    pub addr: String,
    /// `http://127.0.0.1:<port>/api/mizan`.
    pub base_url: String,
}

impl AfiServer {
    /// Starts `target/<profile>/afi-server --port <free port>` and waits for its
    /// `listening on 127.0.0.1:<port>` line. Fails clearly when the binary
    /// has not been built.
    pub fn start() -> AfiServer {
        // `afi-server` is built next to this test binary (`target/<profile>/`).
        AfiServer::start_exe(&afi_server_exe())
    }

    /// Starts another AFI server with `afi-server`'s command line
    /// (`fixtures/afi-fastapi/serve`, `fixtures/afi-django/serve`; see
    /// [`afi_server_for`]).
    pub fn start_exe(exe: &std::path::Path) -> AfiServer {
        use std::io::{BufRead, BufReader};
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut child = Command::new(exe)
            .args(["--port", &port.to_string()])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("listening on ") {
                    let _ = tx.send(line);
                }
            }
        });
        let line = match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                panic!("afi-server did not print `listening on ...` within 30 s");
            }
        };
        let addr = line.trim_start_matches("listening on ").trim().to_owned();
        assert_eq!(
            addr,
            format!("127.0.0.1:{port}"),
            "afi-server listens where it was told"
        );
        AfiServer {
            child,
            base_url: format!("http://{addr}/api/mizan"),
            addr,
        }
    }
}

impl Drop for AfiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The path of `target/<profile>/afi-server`, for tests whose scripts start
/// (and restart) servers themselves. Fails clearly when it is not built.
pub fn afi_server_exe() -> std::path::PathBuf {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|test| Some(test.parent()?.parent()?.join("afi-server")))
        .expect("target dir of the test binary");
    assert!(
        exe.exists(),
        "{} does not exist: build it with `cargo build -p afi-app --bin afi-server` (`cargo test --workspace` does)",
        exe.display()
    );
    exe
}

/// The command serving the AFI fixture on `backend`: `rust` (`afi-server`),
/// `fastapi` or `django` (the Python fixtures, same flags and `listening
/// on` line; they need the `.venv` of `scripts/setup`).
pub fn afi_server_for(backend: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    match backend {
        "rust" => afi_server_exe(),
        "fastapi" | "django" => {
            let venv = root.join(".venv/bin/python");
            assert!(venv.exists(), "{} does not exist: run scripts/setup", venv.display());
            root.join(format!("fixtures/afi-{backend}/serve"))
        }
        other => panic!("no AFI backend `{other}`"),
    }
}
