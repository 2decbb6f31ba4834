//! Where the live system is: a project's environments in
//! `.mizan/studio.toml` (plain text, safe to commit, like Bruno's
//! environments) and the secrets they name.
//!
//! ```toml
//! [[environment]]
//! name = "local"
//! base_url = "http://127.0.0.1:8000/api/mizan"
//! redis_url = "redis://127.0.0.1:6379/0"
//! redis_password_env = "REDIS_PASSWORD"   # by variable name only
//! cache_secret_env = "AFI_CACHE_SECRET"
//! audience = "mizan"
//! [environment.mwt_keys]                  # kid → variable name
//! default = "AFI_MWT_SECRET"
//! ```
//!
//! Secrets are never in the file: it names environment variables, and a
//! URL with a password in it is refused. A secret can also be typed into
//! the studio; it is kept in memory ([`SessionSecrets`]) until the studio
//! closes and is never written to disk, history or logs. When the project
//! names none, the studio's own `MIZAN_CACHE_SECRET` / `MIZAN_MWT_SECRET`
//! apply.

use crate::error::StudioError;
use mizan_core::mwt::KeyRing;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The studio's own fallbacks when a project names no variable.
pub const CACHE_SECRET_VAR: &str = "MIZAN_CACHE_SECRET";
/// The MWT `default` key's fallback variable.
pub const MWT_SECRET_VAR: &str = "MIZAN_MWT_SECRET";

/// The file, relative to the project folder.
pub fn studio_toml(project: &Path) -> PathBuf {
    project.join(".mizan").join("studio.toml")
}

/// A secret value: never printed, never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(•••)")
    }
}

/// The `.mizan/studio.toml` file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudioToml {
    /// The environments, in file order.
    #[serde(default, rename = "environment")]
    pub environments: Vec<Environment>,
}

/// One live target.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Its name (unique in the file).
    pub name: String,
    /// The Mizan base URL (`http://host:port/api/mizan`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// `redis://host:port/db` or `rediss://…`, without credentials.
    #[serde(default)]
    pub redis_url: Option<String>,
    /// The variable holding the Redis user name.
    #[serde(default)]
    pub redis_username_env: Option<String>,
    /// The variable holding the Redis password.
    #[serde(default)]
    pub redis_password_env: Option<String>,
    /// The variable holding the origin cache secret.
    #[serde(default)]
    pub cache_secret_env: Option<String>,
    /// The MWT key ring: key id → the variable holding its secret.
    #[serde(default)]
    pub mwt_keys: BTreeMap<String, String>,
    /// The MWT audience (default `mizan`).
    #[serde(default)]
    pub audience: Option<String>,
}

/// Reads a project's environments; no file is no environment.
pub fn load(project: &Path) -> Result<StudioToml, StudioError> {
    let path = studio_toml(project);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse(&text).map_err(|e| StudioError::Invalid(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StudioToml::default()),
        Err(e) => Err(StudioError::io(path, e)),
    }
}

/// Parses and checks the file's text: unknown keys, duplicate names,
/// URLs that are not what they should be, and credentials written into
/// a URL are errors with the place named.
pub fn parse(text: &str) -> Result<StudioToml, String> {
    let file: StudioToml = toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())?;
    let mut seen = std::collections::BTreeSet::new();
    for (i, env) in file.environments.iter().enumerate() {
        let at = format!("environment #{} (`{}`)", i + 1, env.name);
        if env.name.trim().is_empty() {
            return Err(format!("environment #{}: `name` is empty", i + 1));
        }
        if !seen.insert(env.name.as_str()) {
            return Err(format!("{at}: the name is used twice"));
        }
        if let Some(url) = &env.base_url {
            check_base_url(url).map_err(|e| format!("{at}: base_url: {e}"))?;
        }
        if let Some(url) = &env.redis_url {
            check_redis_url(url).map_err(|e| format!("{at}: redis_url: {e}"))?;
        }
        let vars = [&env.redis_username_env, &env.redis_password_env, &env.cache_secret_env];
        for var in vars.into_iter().flatten().chain(env.mwt_keys.values()) {
            if !is_variable_name(var) {
                return Err(format!(
                    "{at}: `{}` is not an environment variable name (secrets are named, never written here)",
                    mask(var)
                ));
            }
        }
    }
    Ok(file)
}

/// An HTTP(S) base URL.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("`{url}` is not an http:// or https:// URL"))?;
    if rest.is_empty() || rest.starts_with('/') {
        return Err(format!("`{url}` has no host"));
    }
    if rest.split('/').next().is_some_and(|authority| authority.contains('@')) {
        return Err("credentials do not belong in the URL".into());
    }
    Ok(())
}

/// A Redis URL without credentials (they are given by variable name).
pub fn check_redis_url(url: &str) -> Result<(), String> {
    let rest = url
        .strip_prefix("redis://")
        .or_else(|| url.strip_prefix("rediss://"))
        .ok_or_else(|| "expected redis://host:port/db or rediss://…".to_owned())?;
    if rest.split('/').next().is_some_and(|authority| authority.contains('@')) {
        return Err("the URL carries credentials: name them with redis_username_env / redis_password_env".into());
    }
    Ok(())
}

fn is_variable_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value shown in an error without revealing it (it may be a secret
/// pasted in the wrong place).
fn mask(s: &str) -> String {
    let head: String = s.chars().take(2).collect();
    format!("{head}…")
}

/// Secrets typed into the studio, by (environment, slot): memory only.
#[derive(Debug, Default)]
pub struct SessionSecrets {
    typed: Mutex<HashMap<(String, String), Secret>>,
}

/// Slot names of typed secrets.
pub mod slot {
    /// The origin cache secret.
    pub const CACHE_SECRET: &str = "cache_secret";
    /// The Redis password.
    pub const REDIS_PASSWORD: &str = "redis_password";
    /// An MWT key: `mwt:<kid>`.
    pub fn mwt(kid: &str) -> String {
        format!("mwt:{kid}")
    }
}

impl SessionSecrets {
    /// Keeps (or, with an empty value, forgets) a typed secret.
    pub fn set(&self, environment: &str, slot: &str, value: &str) {
        let mut typed = self.typed.lock().unwrap_or_else(|e| e.into_inner());
        let key = (environment.to_owned(), slot.to_owned());
        if value.is_empty() {
            typed.remove(&key);
        } else {
            typed.insert(key, Secret::new(value));
        }
    }

    fn get(&self, environment: &str, slot: &str) -> Option<Secret> {
        let typed = self.typed.lock().unwrap_or_else(|e| e.into_inner());
        typed.get(&(environment.to_owned(), slot.to_owned())).cloned()
    }

    fn slots(&self, environment: &str) -> Vec<String> {
        let typed = self.typed.lock().unwrap_or_else(|e| e.into_inner());
        typed
            .keys()
            .filter(|(e, _)| e == environment)
            .map(|(_, s)| s.clone())
            .collect()
    }
}

/// Where a secret comes from (what the UI shows instead of the value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// Typed into the studio (memory only).
    Typed,
    /// The project's variable, set.
    Variable(String),
    /// The project names a variable that is not set.
    Unset(String),
    /// The studio's own fallback variable.
    Studio(String),
    /// Nowhere.
    Missing,
}

impl SecretSource {
    /// A short description for the UI.
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Typed => "typed (kept in memory until the studio closes)".into(),
            SecretSource::Variable(v) => format!("${v}"),
            SecretSource::Unset(v) => format!("${v} is not set"),
            SecretSource::Studio(v) => format!("${v} (the studio's environment)"),
            SecretSource::Missing => "not set".into(),
        }
    }
}

/// An environment with its secrets looked up (in memory only).
#[derive(Debug, Clone, Default)]
pub struct Resolved {
    /// The environment's name (`""` for the ad-hoc one built from a form).
    pub name: String,
    /// The base URL.
    pub base_url: Option<String>,
    /// The Redis URL with credentials added (never shown or logged).
    pub redis: Option<Secret>,
    /// The Redis URL as shown (no credentials).
    pub redis_shown: Option<String>,
    /// The cache secret.
    pub cache_secret: Option<Secret>,
    /// Where it came from.
    pub cache_secret_source: Option<SecretSource>,
    /// The MWT key ring (may be empty).
    pub ring: KeyRing,
    /// Where each kid came from.
    pub ring_sources: Vec<(String, SecretSource)>,
    /// The audience.
    pub audience: String,
}

/// Reads variables (the process environment in the app, a map in tests).
pub trait Vars {
    /// The value of `name`, if set and not empty.
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessVars;

impl Vars for ProcessVars {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Vars for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// Looks up what `env` names: typed secrets first, then the project's
/// variables, then the studio's own (only when the project names none).
pub fn resolve(env: &Environment, typed: &SessionSecrets, vars: &dyn Vars) -> Resolved {
    let pick = |slot: &str, var: Option<&String>, fallback: Option<&str>| -> (Option<Secret>, SecretSource) {
        if let Some(s) = typed.get(&env.name, slot) {
            return (Some(s), SecretSource::Typed);
        }
        match (var, fallback) {
            (Some(v), _) => match vars.var(v) {
                Some(value) => (Some(Secret::new(value)), SecretSource::Variable(v.clone())),
                None => (None, SecretSource::Unset(v.clone())),
            },
            (None, Some(f)) => match vars.var(f) {
                Some(value) => (Some(Secret::new(value)), SecretSource::Studio(f.to_owned())),
                None => (None, SecretSource::Missing),
            },
            (None, None) => (None, SecretSource::Missing),
        }
    };
    let (cache_secret, cache_source) = pick(
        slot::CACHE_SECRET,
        env.cache_secret_env.as_ref(),
        Some(CACHE_SECRET_VAR),
    );
    let mut ring = KeyRing::new();
    let mut ring_sources = Vec::new();
    let mut kids: Vec<String> = env.mwt_keys.keys().cloned().collect();
    for s in typed.slots(&env.name) {
        if let Some(kid) = s.strip_prefix("mwt:")
            && !kids.iter().any(|k| k == kid)
        {
            kids.push(kid.to_owned());
        }
    }
    if kids.is_empty() {
        kids.push(mizan_core::mwt::DEFAULT_KID.to_owned());
    }
    for kid in kids {
        let fallback = (env.mwt_keys.is_empty() && kid == mizan_core::mwt::DEFAULT_KID).then_some(MWT_SECRET_VAR);
        let (secret, source) = pick(&slot::mwt(&kid), env.mwt_keys.get(&kid), fallback);
        if let Some(secret) = secret {
            ring.insert(kid.clone(), secret.expose());
        }
        ring_sources.push((kid, source));
    }
    let redis = env.redis_url.as_ref().map(|url| {
        let user = env.redis_username_env.as_ref().and_then(|v| vars.var(v));
        let password = typed
            .get(&env.name, slot::REDIS_PASSWORD)
            .map(|s| s.expose().to_owned())
            .or_else(|| env.redis_password_env.as_ref().and_then(|v| vars.var(v)));
        Secret::new(with_credentials(url, user.as_deref(), password.as_deref()))
    });
    Resolved {
        name: env.name.clone(),
        base_url: env.base_url.clone(),
        redis,
        redis_shown: env.redis_url.clone(),
        cache_secret,
        cache_secret_source: Some(cache_source),
        ring,
        ring_sources,
        audience: env
            .audience
            .clone()
            .unwrap_or_else(|| mizan_core::mwt::DEFAULT_AUDIENCE.to_owned()),
    }
}

/// `redis://host/db` with `user:password@` put in (percent-encoded).
pub fn with_credentials(url: &str, user: Option<&str>, password: Option<&str>) -> String {
    if user.is_none() && password.is_none() {
        return url.to_owned();
    }
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let enc = |s: &str| mizan_core::header::encode(s);
    let creds = match (user, password) {
        (Some(u), Some(p)) => format!("{}:{}@", enc(u), enc(p)),
        (Some(u), None) => format!("{}@", enc(u)),
        (None, Some(p)) => format!(":{}@", enc(p)),
        (None, None) => String::new(),
    };
    format!("{scheme}://{creds}{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[environment]]
name = "local"
base_url = "http://127.0.0.1:8000/api/mizan"
redis_url = "redis://127.0.0.1:6379/0"
redis_password_env = "REDIS_PW"
cache_secret_env = "AFI_CACHE"
[environment.mwt_keys]
default = "AFI_MWT"
k2 = "AFI_MWT_2"

[[environment]]
name = "bare"
"#;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn parses_and_resolves_named_variables() {
        let file = parse(FILE).unwrap();
        assert_eq!(file.environments.len(), 2);
        let typed = SessionSecrets::default();
        let v = vars(&[("REDIS_PW", "p@ss;w"), ("AFI_CACHE", "c-secret"), ("AFI_MWT", "m1")]);
        let r = resolve(&file.environments[0], &typed, &v);
        assert_eq!(r.redis.unwrap().expose(), "redis://:p%40ss%3Bw@127.0.0.1:6379/0");
        assert_eq!(r.cache_secret.unwrap().expose(), "c-secret");
        assert_eq!(r.cache_secret_source, Some(SecretSource::Variable("AFI_CACHE".into())));
        assert_eq!(r.ring.kids().collect::<Vec<_>>(), vec!["default"]);
        assert_eq!(
            r.ring_sources[1],
            ("k2".into(), SecretSource::Unset("AFI_MWT_2".into()))
        );
    }

    #[test]
    fn typed_secrets_win_and_studio_fallbacks_apply_only_when_nothing_is_named() {
        let file = parse(FILE).unwrap();
        let typed = SessionSecrets::default();
        let v = vars(&[
            ("AFI_CACHE", "from-var"),
            (CACHE_SECRET_VAR, "studio"),
            (MWT_SECRET_VAR, "studio-mwt"),
        ]);
        typed.set("local", slot::CACHE_SECRET, "typed");
        let r = resolve(&file.environments[0], &typed, &v);
        assert_eq!(r.cache_secret.unwrap().expose(), "typed");
        // `local` names AFI_MWT (unset): the studio's MIZAN_MWT_SECRET is not used.
        assert!(r.ring.is_empty());
        let bare = resolve(&file.environments[1], &typed, &v);
        assert_eq!(bare.cache_secret.unwrap().expose(), "studio");
        assert_eq!(
            bare.cache_secret_source,
            Some(SecretSource::Studio(CACHE_SECRET_VAR.into()))
        );
        assert_eq!(bare.ring.kids().collect::<Vec<_>>(), vec!["default"]);
        typed.set("local", slot::CACHE_SECRET, "");
        let r = resolve(&file.environments[0], &typed, &v);
        assert_eq!(r.cache_secret.unwrap().expose(), "from-var");
    }

    #[test]
    fn refuses_secrets_in_the_file_with_the_place_named() {
        let e = parse("[[environment]]\nname = \"x\"\nredis_url = \"redis://:hunter2@h:6379\"\n").unwrap_err();
        assert!(
            e.contains("environment #1 (`x`): redis_url") && e.contains("credentials"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
        let e = parse("[[environment]]\nname = \"x\"\ncache_secret_env = \"s3cr3t-value!\"\n").unwrap_err();
        assert!(
            e.contains("not an environment variable name") && !e.contains("s3cr3t"),
            "{e}"
        );
        let e = parse("[[environment]]\nname = \"x\"\ncache_secret = \"abc\"\n").unwrap_err();
        assert!(e.contains("unknown field `cache_secret`"), "{e}");
        let e = parse("[[environment]]\nname = \"x\"\n[[environment]]\nname = \"x\"\n").unwrap_err();
        assert!(e.contains("used twice"), "{e}");
        let e = parse("[[environment]]\nname = \"x\"\nbase_url = \"ftp://h\"\n").unwrap_err();
        assert!(e.contains("base_url"), "{e}");
    }

    #[test]
    fn a_secret_never_prints() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
        let typed = SessionSecrets::default();
        typed.set("e", slot::REDIS_PASSWORD, "hunter2");
        assert!(!format!("{typed:?}").contains("hunter2"));
    }
}
