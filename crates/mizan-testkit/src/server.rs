//! A real `afi-server` (the AFI fixture over `mizan-axum`), started with
//! the flags a test needs and killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running `afi-server`.
pub struct AfiServer {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
    args: Vec<String>,
}

impl AfiServer {
    /// Starts `target/<profile>/afi-server` on a free port with `args`
    /// (`--redis`, `--cache-secret`, …) and waits until it listens. Fails,
    /// never skips, when the binary is missing (`cargo build -p afi-app
    /// --bin afi-server`; `cargo test --workspace` builds it).
    pub fn start(args: &[&str]) -> AfiServer {
        let mut server = AfiServer {
            child: None,
            port: crate::free_port(),
            args: args.iter().map(|s| s.to_string()).collect(),
        };
        server.restart();
        server
    }

    /// The binary next to the running test's target dir.
    pub fn exe() -> PathBuf {
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

    /// (Re)starts it on its port and waits until it listens.
    pub fn restart(&mut self) {
        self.kill();
        let mut child = Command::new(Self::exe())
            .arg("--port")
            .arg(self.port.to_string())
            .args(&self.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start afi-server");
        // The last lines of stderr, to say why a start failed.
        let stderr = child.stderr.take().expect("stderr");
        let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let sink = said.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut lines = sink.lock().unwrap_or_else(|p| p.into_inner());
                lines.push(line);
                let excess = lines.len().saturating_sub(20);
                lines.drain(..excess);
            }
        });
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("listening on ") {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = child.kill();
            let said = said.lock().unwrap_or_else(|p| p.into_inner()).join("\n");
            panic!("afi-server did not start listening on port {}:\n{said}", self.port);
        }
        self.child = Some(child);
    }

    /// Stops it (the port is then refused).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `http://127.0.0.1:<port>` (the server's own routes, `/hooks/bump`).
    pub fn root(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:<port>/api/mizan`.
    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}/api/mizan", self.port)
    }
}

impl Drop for AfiServer {
    fn drop(&mut self) {
        self.kill();
    }
}
