//! Test harness shared by Mizan's test suites. Nothing here is a mock:
//! [`logs`] captures the real `tracing` output; [`Redis`] is a real `redis-server` on a free loopback port, in a
//! temporary folder, killed when dropped.
//!
//! `redis-server` must be on `PATH` (or set `REDIS_SERVER`); a missing
//! binary fails the test rather than skipping it. Only dev-dependencies may
//! use this crate.

mod logs;
mod server;

pub use logs::{Logs, logs};
pub use server::AfiServer;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A private `redis-server`.
pub struct Redis {
    child: Option<Child>,
    /// Its port.
    pub port: u16,
    durable: bool,
    dir: tempfile::TempDir,
}

impl Redis {
    /// One on a free port, without persistence.
    pub fn start() -> Redis {
        Redis::launch(free_port(), false, tempfile::tempdir().expect("temp dir"))
    }

    /// One on `port` without persistence (a fresh server after a kill).
    pub fn start_on(port: u16) -> Redis {
        Redis::launch(port, false, tempfile::tempdir().expect("temp dir"))
    }

    /// One on a free port whose every write is on disk before it is
    /// acknowledged (`appendonly yes`, `appendfsync always`), so
    /// [`kill`](Self::kill) then [`restart`](Self::restart) keeps its data.
    pub fn start_durable() -> Redis {
        Redis::launch(free_port(), true, tempfile::tempdir().expect("temp dir"))
    }

    fn launch(port: u16, durable: bool, dir: tempfile::TempDir) -> Redis {
        let mut redis = Redis {
            child: None,
            port,
            durable,
            dir,
        };
        redis.spawn();
        redis
    }

    fn spawn(&mut self) {
        let bin = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let persistence: &[&str] = if self.durable {
            &["--save", "", "--appendonly", "yes", "--appendfsync", "always"]
        } else {
            &["--save", "", "--appendonly", "no"]
        };
        let child = Command::new(&bin)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(persistence)
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start `{bin}` (required by this test): {e}"));
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ping(self.port) {
            assert!(
                Instant::now() < deadline,
                "redis-server on port {} not ready after 10 s",
                self.port
            );
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("redis-server exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `redis://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// The server's process id.
    pub fn pid(&self) -> String {
        self.child.as_ref().map(|c| c.id().to_string()).unwrap_or_default()
    }

    /// Its data folder.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-CONT", &child.id().to_string()])
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and folder: a durable one
    /// comes back with its data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// SIGSTOP: the socket stays open but nothing answers (resumed on drop).
    pub fn freeze(&self) {
        let status = Command::new("kill")
            .args(["-STOP", &self.pid()])
            .status()
            .expect("kill -STOP");
        assert!(status.success(), "cannot freeze redis-server");
    }

    /// Runs `redis-cli -p <port> <args>` and returns its stdout lines.
    pub fn cli(&self, args: &[&str]) -> Vec<String> {
        let out = Command::new("redis-cli")
            .args(["-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("cannot run redis-cli (required by this test)");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buf = [0u8; 7];
    s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}
