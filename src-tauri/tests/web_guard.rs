//! Web mode is reachable only by the person who started it (SPEC §11.1):
//! the real binary, spoken to over raw HTTP so the test controls every
//! header a hostile page or a rebound DNS name would send — `Host`,
//! `Origin`, cookies — and the WebSocket upgrade through
//! `tokio-tungstenite`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A running `mizan-studio --web 127.0.0.1:0` on the example, with its
/// stdout lines collected.
struct Studio {
    child: Child,
    lines: mpsc::Receiver<String>,
    url: String,
    port: u16,
    secret: String,
    _dir: tempfile::TempDir,
}

impl Studio {
    fn start(extra: &[&str], env: &[(&str, &str)]) -> Studio {
        let dir = tempfile::tempdir().unwrap();
        for f in ["mizan.toml", "api.kdl"] {
            std::fs::copy(root().join("fixtures/example").join(f), dir.path().join(f)).unwrap();
        }
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_mizan-studio"));
        cmd.args(["--web", "127.0.0.1:0"])
            .args(extra)
            .arg(dir.path())
            .env("MIZAN_STUDIO_SETTINGS", dir.path().join("settings.json"))
            .env_remove("MIZAN_STUDIO_TOKEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = lines.recv_timeout(Duration::from_secs(120)).expect("no URL printed");
        let url = first
            .strip_prefix("Mizan Studio (web mode): ")
            .unwrap_or_else(|| panic!("unexpected first line: {first}"))
            .to_owned();
        let rest = url.strip_prefix("http://127.0.0.1:").expect(&url);
        let (port, secret) = rest.split_once("/?token=").expect(&url);
        Studio {
            port: port.parse().unwrap(),
            secret: secret.to_owned(),
            url,
            child,
            lines,
            _dir: dir,
        }
    }

    fn own(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn cookie(&self) -> String {
        format!("mizan_studio_{}={}", self.port, self.secret)
    }

    /// One request; (status, headers lowercased, body).
    fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        req.push_str(body);
        s.write_all(req.as_bytes()).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8_lossy(&raw).into_owned();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head.split(' ').nth(1).unwrap().parse().unwrap();
        (status, head.to_ascii_lowercase(), body.to_owned())
    }
}

impl Drop for Studio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PROJECT: &str = "/api/mizan/ctx/project/";

#[test]
fn only_the_launch_token_on_a_loopback_name_gets_in() {
    let token_file = tempfile::tempdir().unwrap();
    let token_path = token_file.path().join("url");
    let studio = Studio::start(&["--token-file", token_path.to_str().unwrap()], &[]);
    let own = studio.own();
    assert_eq!(studio.secret.len(), 64, "{}", studio.url);
    assert!(studio.secret.bytes().all(|b| b.is_ascii_hexdigit()));

    // The token file holds the URL, for its owner only.
    assert_eq!(
        std::fs::read_to_string(&token_path).unwrap(),
        format!("{}\n", studio.url)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&token_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // No secret: 401, for the API and for the page.
    let (status, _, body) = studio.request("GET", PROJECT, &[("Host", &own)], "");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("launch token"), "{body}");
    assert_eq!(studio.request("GET", "/", &[("Host", &own)], "").0, 401);
    // A wrong token is not traded for a cookie.
    let (status, head, _) = studio.request("GET", "/?token=nope", &[("Host", &own)], "");
    assert_eq!(status, 401);
    assert!(!head.contains("set-cookie"));

    // The right one is: HttpOnly, SameSite=Strict, named after the port,
    // and the redirect drops it from the address bar.
    let (status, head, _) = studio.request("GET", &format!("/?token={}", studio.secret), &[("Host", &own)], "");
    assert_eq!(status, 303, "{head}");
    assert!(head.contains("\r\nlocation: /\r\n"), "{head}");
    let set_cookie = head.lines().find(|l| l.starts_with("set-cookie:")).expect("a cookie");
    assert!(
        set_cookie.contains(&studio.cookie().to_ascii_lowercase()),
        "{set_cookie}"
    );
    assert!(
        set_cookie.contains("httponly") && set_cookie.contains("samesite=strict"),
        "{set_cookie}"
    );

    // With the cookie, or the secret as a bearer: served.
    let cookie = studio.cookie();
    assert_eq!(
        studio
            .request("GET", PROJECT, &[("Host", &own), ("Cookie", &cookie)], "")
            .0,
        200
    );
    assert_eq!(
        studio.request("GET", "/", &[("Host", &own), ("Cookie", &cookie)], "").0,
        200
    );
    let bearer = format!("Bearer {}", studio.secret);
    assert_eq!(
        studio
            .request("GET", PROJECT, &[("Host", &own), ("Authorization", &bearer)], "")
            .0,
        200
    );
    for host in [format!("localhost:{}", studio.port), format!("[::1]:{}", studio.port)] {
        assert_eq!(
            studio
                .request("GET", PROJECT, &[("Host", &host), ("Cookie", &cookie)], "")
                .0,
            200,
            "{host}"
        );
    }

    // Another name for the same address (DNS rebinding): 403, even with
    // the secret, with the reason in one line.
    let evil = format!("evil.example:{}", studio.port);
    let (status, _, body) = studio.request("GET", PROJECT, &[("Host", &evil), ("Cookie", &cookie)], "");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("DNS rebinding") && !body.contains('\n'), "{body}");
    assert_eq!(studio.request("GET", "/", &[("Host", &evil)], "").0, 403);

    // A call from another origin, cookie and all (what a page the
    // developer visits would send): refused before anything runs.
    let call = r#"{"fn":"set_watch","args":{"on":false}}"#;
    let json = [
        ("Host", own.as_str()),
        ("Cookie", cookie.as_str()),
        ("Content-Type", "application/json"),
    ];
    let mut cross = json.to_vec();
    cross.push(("Origin", "http://evil.example"));
    let (status, _, body) = studio.request("POST", "/api/mizan/call/", &cross, call);
    assert_eq!(status, 403, "{body}");
    let mut same = json.to_vec();
    let own_origin = format!("http://{own}");
    same.push(("Origin", &own_origin));
    let (status, _, body) = studio.request("POST", "/api/mizan/call/", &same, call);
    assert_eq!(status, 200, "{body}");

    // Exactly one line on stdout, the URL: nothing since (the requests
    // above were answered, so anything they printed is in the pipe).
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(studio.lines.try_iter().collect::<Vec<_>>(), Vec::<String>::new());
}

#[test]
fn the_websocket_needs_the_secret_and_the_studios_origin() {
    let studio = Studio::start(&[], &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let upgrade = |headers: Vec<(&'static str, String)>| {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://127.0.0.1:{}/api/mizan/ws/", studio.port)
            .into_client_request()
            .unwrap();
        for (k, v) in headers {
            request.headers_mut().insert(k, v.parse().unwrap());
        }
        rt.block_on(async {
            match tokio_tungstenite::connect_async(request).await {
                Ok((_, response)) => response.status().as_u16(),
                Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
                Err(e) => panic!("{e}"),
            }
        })
    };
    let own_origin = format!("http://127.0.0.1:{}", studio.port);
    assert_eq!(upgrade(vec![("origin", own_origin.clone())]), 401, "no cookie");
    assert_eq!(
        upgrade(vec![
            ("cookie", studio.cookie()),
            ("origin", "http://evil.example".into())
        ]),
        403,
        "another origin"
    );
    assert_eq!(upgrade(vec![("cookie", studio.cookie()), ("origin", own_origin)]), 101);
}

#[test]
fn a_fixed_secret_from_the_environment_and_a_bad_one_refused() {
    let studio = Studio::start(&[], &[("MIZAN_STUDIO_TOKEN", "fixed-secret-for-scripts")]);
    assert_eq!(studio.secret, "fixed-secret-for-scripts");
    let bearer = "Bearer fixed-secret-for-scripts";
    assert_eq!(
        studio
            .request(
                "GET",
                PROJECT,
                &[("Host", &studio.own()), ("Authorization", bearer)],
                ""
            )
            .0,
        200
    );

    let out = Command::new(env!("CARGO_BIN_EXE_mizan-studio"))
        .args(["--web", "127.0.0.1:0"])
        .env("MIZAN_STUDIO_TOKEN", "has space")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("MIZAN_STUDIO_TOKEN must be"));
    assert!(out.stdout.is_empty(), "no URL for a refused secret");
}
