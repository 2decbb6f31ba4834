//! The replay history: `.mizan/replays.jsonl`, one JSON object a line,
//! appended and never rewritten.
//!
//! * An append is one `write` on a file opened with `O_APPEND`, so lines of
//!   concurrent writers never interleave; if the file ends in a torn line
//!   (a crash mid-write), the new line starts on a fresh one.
//! * Reading skips lines that are not JSON objects (a torn last line) with
//!   a warning naming the line; nothing is fatal.
//! * Secrets (`X-Mizan-Token`, `Authorization`, `Cookie` and the token
//!   field) are left out unless the user opted in for that entry
//!   ([`Entry::redact`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Header names whose values are secrets.
pub const SECRET_HEADERS: [&str; 4] = ["x-mizan-token", "authorization", "cookie", "proxy-authorization"];

/// The file, relative to the project folder.
pub fn path(project: &Path) -> PathBuf {
    project.join(".mizan").join("replays.jsonl")
}

/// One replay as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Unique id.
    pub id: String,
    /// When it was sent (Unix ms).
    pub at_ms: u64,
    /// The environment's name (empty: typed target).
    #[serde(default)]
    pub environment: String,
    /// The base URL.
    pub target: String,
    /// `http` or `ws`.
    pub transport: String,
    /// The function.
    #[serde(rename = "fn")]
    pub function: String,
    /// Its arguments.
    #[serde(default)]
    pub args: Map<String, Value>,
    /// Extra headers, `[name, value]`.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The `X-Mizan-Token` sent (only when `secrets_kept`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Whether a token was sent (even when left out).
    #[serde(default)]
    pub had_token: bool,
    /// Whether the user chose to keep this entry's secrets.
    #[serde(default)]
    pub secrets_kept: bool,
    /// HTTP status (0: no answer).
    #[serde(default)]
    pub status: u16,
    /// Wall time in ms.
    #[serde(default)]
    pub duration_ms: f64,
    /// Why it failed without an answer (empty otherwise).
    #[serde(default)]
    pub error: String,
    /// The server's `invalidate` list.
    #[serde(default)]
    pub invalidate: Vec<Value>,
    /// Whether the server's answer matched the IR's prediction.
    #[serde(default)]
    pub matches: Option<bool>,
    /// The principal (`sub` of the token), never the token.
    #[serde(default)]
    pub principal: Option<String>,
}

impl Entry {
    /// Leaves the secrets out unless the entry opted in.
    pub fn redact(mut self) -> Self {
        if !self.secrets_kept {
            self.token = None;
            self.headers.retain(|(name, _)| !is_secret_header(name));
        }
        self
    }
}

/// Whether `name` carries a secret.
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS.iter().any(|s| s.eq_ignore_ascii_case(name.trim()))
}

/// Appends `entry` (redacted) as one line.
pub fn append(file: &Path, entry: &Entry) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_string(&entry.clone().redact()).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .read(true)
        .open(file)?;
    // A torn last line (no newline) must not swallow this one.
    let len = f.metadata()?.len();
    if len > 0 {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1))?;
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            line.insert(0, '\n');
        }
    }
    f.write_all(line.as_bytes())?;
    Ok(())
}

/// The entries, newest first (at most `limit`), and a warning per line
/// that could not be read.
pub fn read(file: &Path, limit: usize) -> std::io::Result<(Vec<Entry>, Vec<String>)> {
    let text = match std::fs::read(file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    let lines: Vec<&str> = text.split('\n').collect();
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(e) => warnings.push(if i == last {
                format!(
                    "{}: line {} is torn (a crash while writing?); skipped",
                    file.display(),
                    i + 1
                )
            } else {
                format!("{}: line {} is not a replay ({e}); skipped", file.display(), i + 1)
            }),
        }
    }
    entries.reverse();
    entries.truncate(limit);
    Ok((entries, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str) -> Entry {
        Entry {
            id: id.into(),
            function: "rename".into(),
            target: "http://127.0.0.1:1/api/mizan".into(),
            transport: "http".into(),
            headers: vec![
                ("X-Mizan-Token".into(), "eyJ.secret.sig".into()),
                ("X-Trace".into(), "1".into()),
            ],
            token: Some("eyJ.secret.sig".into()),
            had_token: true,
            ..Default::default()
        }
    }

    #[test]
    fn appends_newest_first_and_leaves_secrets_out() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        append(&file, &entry("a")).unwrap();
        append(&file, &entry("b")).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(!text.contains("eyJ"), "{text}");
        assert_eq!(text.lines().count(), 2);
        let (entries, warnings) = read(&file, 10).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(entries[0].headers, vec![("X-Trace".to_owned(), "1".to_owned())]);
        assert!(entries[0].had_token && entries[0].token.is_none());
    }

    #[test]
    fn keeps_secrets_only_for_an_entry_that_opted_in() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        append(
            &file,
            &Entry {
                secrets_kept: true,
                ..entry("kept")
            },
        )
        .unwrap();
        append(&file, &entry("plain")).unwrap();
        let (entries, _) = read(&file, 10).unwrap();
        assert_eq!(entries[1].token.as_deref(), Some("eyJ.secret.sig"));
        assert_eq!(entries[0].token, None);
    }

    #[test]
    fn a_torn_last_line_is_skipped_with_a_warning_and_the_next_append_is_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        append(&file, &entry("a")).unwrap();
        let mut f = std::fs::OpenOptions::new().append(true).open(&file).unwrap();
        f.write_all(br#"{"id":"torn","at_ms":1,"targ"#).unwrap();
        let (entries, warnings) = read(&file, 10).unwrap();
        assert_eq!(entries.len(), 1);
        assert!(warnings[0].contains("line 2 is torn"), "{warnings:?}");
        append(&file, &entry("c")).unwrap();
        let (entries, warnings) = read(&file, 10).unwrap();
        assert_eq!(entries.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), ["c", "a"]);
        assert!(warnings[0].contains("line 2 is not a replay"), "{warnings:?}");
        // Never rewritten: the torn bytes are still there.
        assert!(std::fs::read_to_string(&file).unwrap().contains("\"targ\n"));
    }

    #[test]
    fn no_file_is_no_history() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read(&path(dir.path()), 10).unwrap(), (Vec::new(), Vec::new()));
    }
}
