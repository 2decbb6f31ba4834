//! `mizan._core`: Mizan's Rust core for Python. Everything that is not
//! language introspection — IR emission and checks, invalidation/merge
//! resolution, the `X-Mizan-Invalidate` header, canonical JSON and `S(v)`,
//! cache keys and entries, MWT, query coercion, the edge manifest — runs
//! here, in the same code the Rust adapters run, so the Python adapters
//! cannot diverge from them.
//!
//! JSON values cross the boundary as JSON text (Python's `json` on one
//! side, `serde_json` on the other): one well-defined conversion, no
//! second notion of numbers or strings. Errors are Python exceptions
//! carrying the core's own messages. This crate never does I/O.

mod description;
mod engine;

use mizan_core::{cache_key as core_cache_key, canonical_json as core_json, header, ir, manifest, mwt};
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use serde_json::{Map, Value};
use std::time::Duration;

create_exception!(_core, MizanCoreError, PyValueError, "Base of every error raised by `mizan._core`.");
create_exception!(_core, IrParseError, MizanCoreError, "IR text that is not valid KDL or IR (line and column in the message).");
create_exception!(_core, RegistryError, MizanCoreError, "A registry description the core refuses (duplicates, bad shapes, graph errors).");
create_exception!(_core, HeaderError, MizanCoreError, "A malformed `X-Mizan-Invalidate` value.");
create_exception!(_core, TokenRejected, MizanCoreError, "An MWT the key ring rejects; `.reason` is the stable reason code.");
create_exception!(_core, MintError, MizanCoreError, "A token that cannot be minted (missing key, empty sub, bad TTL).");
create_exception!(_core, UnknownName, MizanCoreError, "A function or context the IR does not define.");
create_exception!(_core, QueryInvalid, MizanCoreError, "Query-string values that do not coerce; `.fields` maps param → messages.");

/// JSON text → value, as a `ValueError` naming what was expected.
pub(crate) fn json_in(text: &str, what: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(|e| PyValueError::new_err(format!("{what} is not valid JSON: {e}")))
}

pub(crate) fn object_in(text: &str, what: &str) -> PyResult<Map<String, Value>> {
    match json_in(text, what)? {
        Value::Object(map) => Ok(map),
        _ => Err(PyValueError::new_err(format!("{what} must be a JSON object"))),
    }
}

pub(crate) fn json_out(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

pub(crate) fn parse_ir_text(text: &str) -> PyResult<ir::Ir> {
    ir::parse(text).map_err(|e| IrParseError::new_err(e.to_string()))
}

/// Builds the canonical IR KDL from a registry description (JSON).
#[pyfunction]
fn build_ir(description: &str) -> PyResult<String> {
    let desc: description::Description = serde_json::from_str(description)
        .map_err(|e| RegistryError::new_err(format!("invalid registry description: {e}")))?;
    let ir = description::build(desc).map_err(|errors| RegistryError::new_err(errors.join("\n")))?;
    Ok(ir::emit(&ir))
}

/// Parses IR text and emits it canonically (`emit(parse(text))`).
#[pyfunction]
fn format_ir(text: &str) -> PyResult<String> {
    Ok(ir::emit(&parse_ir_text(text)?))
}

/// The graph-check diagnostics of IR text, as JSON (`[{code, severity,
/// message, names, location?}]`).
#[pyfunction]
fn check_ir(text: &str) -> PyResult<String> {
    let parsed = ir::parse_with_locations(text).map_err(|e| IrParseError::new_err(e.to_string()))?;
    Ok(json_out(&mizan_core::check::check_parsed(&parsed, text)))
}

/// The edge manifest (SPEC §9) of IR text mounted at `base`, as its
/// canonical JSON text.
#[pyfunction]
fn edge_manifest(text: &str, base: &str) -> PyResult<String> {
    Ok(manifest::to_text(&manifest::build(&parse_ir_text(text)?, base)))
}

/// `X-Mizan-Invalidate` of an `invalidate` list (JSON).
#[pyfunction]
fn format_header(invalidate: &str) -> PyResult<String> {
    let entries: Vec<mizan_core::invalidation::Invalidation> = serde_json::from_str(invalidate)
        .map_err(|e| PyValueError::new_err(format!("not an invalidate list: {e}")))?;
    Ok(header::format(&entries))
}

/// Parses an `X-Mizan-Invalidate` value into an `invalidate` list (JSON).
#[pyfunction]
fn parse_header(value: &str) -> PyResult<String> {
    let entries = header::parse(value).map_err(|e| HeaderError::new_err(e.to_string()))?;
    Ok(json_out(&entries))
}

/// Canonical JSON (SPEC §6) of a JSON value.
#[pyfunction]
fn canonical_json(value: &str) -> PyResult<String> {
    Ok(core_json::to_canonical_json(&json_in(value, "the value")?))
}

/// `S(v)` (SPEC §6) of a JSON value.
#[pyfunction]
fn stringify(value: &str) -> PyResult<String> {
    Ok(core_json::stringify(&json_in(value, "the value")?).into_owned())
}

/// The canonical message MACed for a cache key.
#[pyfunction]
#[pyo3(signature = (secret, context, params, user=None, rev=0))]
fn cache_message(secret: &str, context: &str, params: &str, user: Option<&str>, rev: u64) -> PyResult<String> {
    let params = object_in(params, "params")?;
    Ok(core_cache_key::CacheKeyer::new(secret.as_bytes()).message(context, &params, user, rev))
}

/// The origin-cache key (SPEC §6): `ctx:<context>:<hex HMAC>`.
#[pyfunction]
#[pyo3(signature = (secret, context, params, user=None, rev=0))]
fn cache_key(secret: &str, context: &str, params: &str, user: Option<&str>, rev: u64) -> PyResult<String> {
    let params = object_in(params, "params")?;
    Ok(core_cache_key::CacheKeyer::new(secret.as_bytes()).key(context, &params, user, rev))
}

/// The MWT `pkey` claim of a permission state.
#[pyfunction]
fn permission_key(perms: Vec<String>, staff: bool, superuser: bool) -> String {
    mwt::permission_key(&perms, staff, superuser)
}

/// Seconds since the Unix epoch (what `mint`/`verify` default to).
#[pyfunction]
fn unix_now() -> u64 {
    mwt::unix_now()
}

/// MWT secrets by key id; a single secret is the `default` key.
#[pyclass(frozen, module = "mizan._core")]
struct KeyRing {
    ring: mwt::KeyRing,
}

#[pymethods]
impl KeyRing {
    #[new]
    fn new(keys: std::collections::BTreeMap<String, String>) -> Self {
        let mut ring = mwt::KeyRing::new();
        for (kid, secret) in keys {
            ring.insert(kid, secret);
        }
        KeyRing { ring }
    }

    /// A ring holding one secret as the `default` key.
    #[staticmethod]
    fn single(secret: &str) -> Self {
        KeyRing {
            ring: mwt::KeyRing::single(secret),
        }
    }

    /// The key ids (never the secrets).
    fn kids(&self) -> Vec<String> {
        self.ring.kids().map(str::to_owned).collect()
    }

    /// Mints a token for `sub`.
    #[pyo3(signature = (sub, *, staff=false, superuser=false, perms=Vec::new(), aud=None, ttl=None, kid=None, now=None))]
    #[allow(clippy::too_many_arguments)]
    fn mint(
        &self,
        sub: &str,
        staff: bool,
        superuser: bool,
        perms: Vec<String>,
        aud: Option<String>,
        ttl: Option<u64>,
        kid: Option<String>,
        now: Option<u64>,
    ) -> PyResult<String> {
        let mut req = mwt::MintRequest::new(sub);
        req.staff = staff;
        req.superuser = superuser;
        req.perms = perms;
        if let Some(aud) = aud {
            req.aud = aud;
        }
        if let Some(ttl) = ttl {
            req.ttl = Duration::from_secs(ttl);
        }
        req.kid = kid;
        mwt::mint(&self.ring, &req, now.unwrap_or_else(mwt::unix_now)).map_err(|e| MintError::new_err(e.to_string()))
    }

    /// Verifies a token; returns its claims as JSON or raises
    /// `TokenRejected(message, reason)`.
    #[pyo3(signature = (token, audience="mizan", now=None))]
    fn verify(&self, token: &str, audience: &str, now: Option<u64>) -> PyResult<String> {
        match mwt::verify(&self.ring, token, audience, now.unwrap_or_else(mwt::unix_now)) {
            Ok(claims) => Ok(json_out(&claims)),
            Err(rejection) => Err(TokenRejected::new_err((rejection.to_string(), rejection.code()))),
        }
    }

    fn __repr__(&self) -> String {
        format!("KeyRing(kids={:?})", self.kids())
    }
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("MizanCoreError", py.get_type::<MizanCoreError>())?;
    m.add("IrParseError", py.get_type::<IrParseError>())?;
    m.add("RegistryError", py.get_type::<RegistryError>())?;
    m.add("HeaderError", py.get_type::<HeaderError>())?;
    m.add("TokenRejected", py.get_type::<TokenRejected>())?;
    m.add("MintError", py.get_type::<MintError>())?;
    m.add("UnknownName", py.get_type::<UnknownName>())?;
    m.add("QueryInvalid", py.get_type::<QueryInvalid>())?;
    m.add("REDIS_WRITE_SCRIPT", mizan_core::cache::entry::REDIS_WRITE_SCRIPT)?;
    m.add("IR_VERSION", ir::IR_VERSION)?;
    m.add_function(wrap_pyfunction!(build_ir, m)?)?;
    m.add_function(wrap_pyfunction!(format_ir, m)?)?;
    m.add_function(wrap_pyfunction!(check_ir, m)?)?;
    m.add_function(wrap_pyfunction!(edge_manifest, m)?)?;
    m.add_function(wrap_pyfunction!(format_header, m)?)?;
    m.add_function(wrap_pyfunction!(parse_header, m)?)?;
    m.add_function(wrap_pyfunction!(canonical_json, m)?)?;
    m.add_function(wrap_pyfunction!(stringify, m)?)?;
    m.add_function(wrap_pyfunction!(cache_message, m)?)?;
    m.add_function(wrap_pyfunction!(cache_key, m)?)?;
    m.add_function(wrap_pyfunction!(permission_key, m)?)?;
    m.add_function(wrap_pyfunction!(unix_now, m)?)?;
    m.add_class::<KeyRing>()?;
    m.add_class::<engine::Engine>()?;
    Ok(())
}
