//! Discovery files: how an observer finds running apps.
//!
//! Each app serving its tap writes `{name, pid, url, secret, protocol}` to
//! `<dir>/<name>-<pid>.json`, readable by its user only (0600), and
//! removes it on exit ([`DiscoveryFile`]'s `Drop`). `<dir>` is
//! [`directory`]: `$MIZAN_DEVTOOLS_DIR` when set (tests), else
//! `$XDG_RUNTIME_DIR/mizan-devtools`, else `<temp>/mizan-devtools-<uid>`;
//! it is created 0700 and refused when it is a link, is not ours, or
//! others may read it. A process killed without cleanup leaves its file:
//! [`discover`] skips (and removes) files whose process is gone.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Environment variable overriding the discovery directory.
pub const DIR_ENV: &str = "MIZAN_DEVTOOLS_DIR";

/// One running app's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discovery {
    /// The app's name.
    pub name: String,
    /// Its process id.
    pub pid: u32,
    /// The WebSocket URL, `ws://127.0.0.1:PORT/`.
    pub url: String,
    /// The secret to present (`Authorization: Bearer <secret>`).
    pub secret: String,
    /// The protocol version.
    #[serde(default = "default_protocol")]
    pub protocol: u32,
}

fn default_protocol() -> u32 {
    crate::PROTOCOL
}

/// The discovery directory (not created).
pub fn directory() -> PathBuf {
    if let Some(dir) = std::env::var_os(DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(runtime) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(runtime).join("mizan-devtools");
    }
    std::env::temp_dir().join(format!("mizan-devtools-{}", effective_uid()))
}

fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Creates `dir` (0700) if needed and checks it is a private directory of
/// ours.
fn private_dir(dir: &Path) -> Result<(), Error> {
    match fs::DirBuilder::new().recursive(true).mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) => return Err(Error::io("create the discovery directory", dir, e)),
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| Error::io("inspect the discovery directory", dir, e))?;
    let refuse = |why: &str| Error::UnsafeDirectory {
        path: dir.to_owned(),
        reason: why.to_owned(),
    };
    if !meta.file_type().is_dir() {
        return Err(refuse("it is not a directory (or is a symbolic link)"));
    }
    if meta.uid() != effective_uid() {
        return Err(refuse("it belongs to another user"));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(refuse("other users may read it (expected mode 0700)"));
    }
    Ok(())
}

/// A written discovery file; removed when dropped.
#[derive(Debug)]
pub struct DiscoveryFile {
    path: PathBuf,
}

impl DiscoveryFile {
    /// Writes `entry` into [`directory`] (0600, atomically: a temp file
    /// renamed into place).
    pub fn write(entry: &Discovery) -> Result<DiscoveryFile, Error> {
        Self::write_in(&directory(), entry)
    }

    /// [`write`](Self::write) into `dir`.
    pub fn write_in(dir: &Path, entry: &Discovery) -> Result<DiscoveryFile, Error> {
        private_dir(dir)?;
        let stem: String = entry
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        let path = dir.join(format!("{stem}-{}.json", entry.pid));
        let temp = dir.join(format!(".{stem}-{}.json.tmp", entry.pid));
        let text = serde_json::to_vec_pretty(entry).map_err(|e| Error::io("encode", &path, e.into()))?;
        let _ = fs::remove_file(&temp);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| Error::io("write the discovery file", &temp, e))?;
        // The mode given to open is filtered by the umask; make it exact.
        file.set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("set the mode of", &temp, e))?;
        file.write_all(&text)
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io("write the discovery file", &temp, e))?;
        fs::rename(&temp, &path).map_err(|e| Error::io("move the discovery file into place", &path, e))?;
        Ok(DiscoveryFile { path })
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for DiscoveryFile {
    fn drop(&mut self) {
        if let Err(e) = fs::remove_file(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %self.path.display(), error = %e, "cannot remove the devtools discovery file");
        }
    }
}

/// Every running app in [`directory`], sorted by name then pid.
pub fn discover() -> Result<Vec<Discovery>, Error> {
    discover_in(&directory())
}

/// [`discover`] in `dir`. Unreadable or malformed files are skipped;
/// files of processes that are gone are removed.
pub fn discover_in(dir: &Path) -> Result<Vec<Discovery>, Error> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("list the discovery directory", dir, e)),
    };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        let is_entry = path.extension().is_some_and(|e| e == "json")
            && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if !is_entry {
            continue;
        }
        let Ok(text) = fs::read(&path) else { continue };
        let Ok(discovery) = serde_json::from_slice::<Discovery>(&text) else {
            tracing::debug!(path = %path.display(), "skipping a malformed devtools discovery file");
            continue;
        };
        if !alive(discovery.pid) {
            let _ = fs::remove_file(&path);
            continue;
        }
        found.push(discovery);
    }
    found.sort_by(|a, b| a.name.cmp(&b.name).then(a.pid.cmp(&b.pid)));
    Ok(found)
}

/// Whether process `pid` exists (signal 0: a permission error means it
/// does, owned by someone else).
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 sends nothing; it only checks the pid.
    let status = unsafe { libc::kill(pid, 0) };
    status == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pid: u32) -> Discovery {
        Discovery {
            name: "app/../x".into(),
            pid,
            url: "ws://127.0.0.1:1/".into(),
            secret: "s".into(),
            protocol: 1,
        }
    }

    #[test]
    fn written_private_listed_and_removed() {
        let temp = tempfile::tempdir().expect("temp dir");
        let dir = temp.path().join("d");
        let file = DiscoveryFile::write_in(&dir, &entry(std::process::id())).expect("written");
        assert_eq!(
            file.path().file_name().and_then(|n| n.to_str()),
            Some(&*format!("app____x-{}.json", std::process::id()))
        );
        let mode = fs::metadata(file.path()).expect("meta").mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(fs::metadata(&dir).expect("meta").mode() & 0o777, 0o700);
        assert_eq!(discover_in(&dir).expect("listed"), vec![entry(std::process::id())]);
        let path = file.path().to_owned();
        drop(file);
        assert!(!path.exists());
        assert!(discover_in(&dir).expect("listed").is_empty());
    }

    #[test]
    fn a_dead_process_entry_is_skipped_and_removed() {
        let temp = tempfile::tempdir().expect("temp dir");
        let mut child = std::process::Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        child.wait().expect("wait");
        let dir = temp.path().join("d");
        let file = DiscoveryFile::write_in(&dir, &entry(pid)).expect("written");
        let path = file.path().to_owned();
        std::mem::forget(file);
        assert!(path.exists());
        assert!(discover_in(&dir).expect("listed").is_empty());
        assert!(!path.exists());
    }

    #[test]
    fn a_shared_directory_is_refused() {
        let temp = tempfile::tempdir().expect("temp dir");
        fs::set_permissions(temp.path(), fs::Permissions::from_mode(0o755)).expect("chmod");
        let err = DiscoveryFile::write_in(temp.path(), &entry(1)).expect_err("refused");
        assert!(err.to_string().contains("0700"), "{err}");
    }
}
