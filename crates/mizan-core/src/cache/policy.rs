//! Which contexts the origin cache keeps, for how long, under which key —
//! and why. Pure: derived from the IR once, no I/O.
//!
//! This is the one description of the cache that the runtime
//! (`mizan::cache::OriginCache`), the CLI (`mizan cache explain`) and the
//! studio share, so what they explain is what the server does:
//!
//! * **Cached or not**: a context is never cached when a member's policy is
//!   `none`, or a member is private or gated by `staff`, `superuser` or a
//!   predicate (an entry would outlive a permission change; `required` is
//!   safe because the key carries the user). Otherwise its TTL is the
//!   effective policy's, and `forever` — like any TTL — is capped at
//!   [`CacheOptions::max_ttl`], so nothing is stored unbounded.
//! * **Key**: SPEC §6 with the context's effective rev.
//! * **Fingerprint**: a hash of what a bundle contains (members, their revs,
//!   params and output shapes, the bodies of the types they reach). Stored
//!   with each entry: a deploy that adds a member or changes a shape never
//!   serves an old bundle, even when no rev was bumped
//!   ([`ContextPolicy::changes_since`] says what changed).
//! * **Instance**: the context with its required params only. Scoped purges
//!   bump the instance's generation, reaching every personalised or
//!   optional-param copy of it in one command.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::instance_generation_key;
use crate::cache_key::CacheKeyer;
use crate::canonical_json::stringify;
use crate::ir::{Auth, CachePolicy, Function, Ir, TypeDef, TypeKind, emit};

/// Settings of the origin cache that the IR does not decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheOptions {
    /// Longest TTL of any entry, `forever` included (default 7 days).
    pub max_ttl: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            max_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Whether a context is cached, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Decision {
    /// Entries are stored for `ttl_secs`.
    Cached {
        /// The effective policy declared by the members.
        declared: String,
        /// How long an entry lives.
        ttl_secs: u64,
        /// Whether [`CacheOptions::max_ttl`] shortened the declared TTL
        /// (always for `forever`).
        capped: bool,
    },
    /// Never stored.
    Never {
        /// Why, in a sentence naming the member.
        reason: String,
    },
}

/// How one context is cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextPolicy {
    /// The context.
    pub context: String,
    /// Cached or not, and why.
    pub decision: Decision,
    /// Effective rev (max over members), the `r` of the key.
    pub rev: u64,
    /// Hash of what a bundle contains (16 hex digits).
    pub fingerprint: String,
    /// Required params (shared by every member), sorted: the instance.
    pub required: Vec<String>,
    /// Every param, sorted.
    pub params: Vec<String>,
    /// What the fingerprint covers, one line per component (member, rev,
    /// params, output, reachable type), for [`changes_since`](Self::changes_since).
    #[serde(skip)]
    components: BTreeMap<String, String>,
}

impl ContextPolicy {
    /// The TTL of entries, or `None` when never cached.
    pub fn ttl(&self) -> Option<Duration> {
        match self.decision {
            Decision::Cached { ttl_secs, .. } => Some(Duration::from_secs(ttl_secs)),
            Decision::Never { .. } => None,
        }
    }

    /// The required params of `params` (the instance they belong to), or
    /// `None` when one is missing (only a broad purge reaches them then).
    pub fn instance_params(&self, params: &Map<String, Value>) -> Option<Map<String, Value>> {
        self.required
            .iter()
            .map(|name| params.get(name).map(|v| (name.clone(), v.clone())))
            .collect()
    }

    /// The key of the canonical (anonymous, required-params-only) entry of
    /// the instance `params` belong to.
    pub fn canonical_key(&self, keyer: &CacheKeyer, instance: &Map<String, Value>) -> String {
        keyer.key(&self.context, instance, None, self.rev)
    }

    /// The generation key of the instance `params` belong to, or `None`
    /// when a required param is missing.
    pub fn instance_key(&self, keyer: &CacheKeyer, params: &Map<String, Value>) -> Option<String> {
        let instance = self.instance_params(params)?;
        Some(instance_generation_key(&self.canonical_key(keyer, &instance)))
    }

    /// What differs between `old` (the same context in an earlier IR) and
    /// this one, as sentences; empty when the fingerprints agree.
    pub fn changes_since(&self, old: &ContextPolicy) -> Vec<String> {
        if self.fingerprint == old.fingerprint {
            return Vec::new();
        }
        let mut out = Vec::new();
        for (name, now) in &self.components {
            match old.components.get(name) {
                None => out.push(format!("{name} added: {now}")),
                Some(before) if before != now => out.push(format!("{name} changed: {before} → {now}")),
                Some(_) => {}
            }
        }
        for (name, before) in &old.components {
            if !self.components.contains_key(name) {
                out.push(format!("{name} removed (was {before})"));
            }
        }
        out
    }
}

/// The policy of every context of an IR.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CachePolicies {
    contexts: BTreeMap<String, ContextPolicy>,
}

impl CachePolicies {
    /// Derives every context's policy from `ir`.
    pub fn new(ir: &Ir, options: &CacheOptions) -> Self {
        let contexts = ir
            .contexts
            .iter()
            .map(|ctx| (ctx.name.clone(), context_policy(ir, &ctx.name, options)))
            .collect();
        CachePolicies { contexts }
    }

    /// The policy of `context`, if the IR has it.
    pub fn get(&self, context: &str) -> Option<&ContextPolicy> {
        self.contexts.get(context)
    }

    /// Every context's policy, by name.
    pub fn iter(&self) -> impl Iterator<Item = &ContextPolicy> {
        self.contexts.values()
    }

    /// Explains the cache entry of one request: message, key, policy.
    /// `rev` overrides the IR's effective rev (to reproduce an old key).
    pub fn explain(&self, keyer: &CacheKeyer, request: &CacheRequest) -> Result<Explanation, crate::Error> {
        let policy = self.get(&request.context).ok_or_else(|| crate::Error::UnknownContext {
            name: request.context.clone(),
        })?;
        let rev = request.rev.unwrap_or(policy.rev);
        let user = request.user.as_deref();
        let unknown: Vec<String> = request
            .params
            .keys()
            .filter(|k| !policy.params.contains(k))
            .cloned()
            .collect();
        let instance = policy.instance_params(&request.params);
        Ok(Explanation {
            message: keyer.message(&request.context, &request.params, user, rev),
            key: keyer.key(&request.context, &request.params, user, rev),
            instance_key: instance.map(|i| instance_generation_key(&keyer.key(&request.context, &i, None, rev))),
            stringified: request
                .params
                .iter()
                .map(|(k, v)| (k.clone(), stringify(v).into_owned()))
                .collect(),
            request: request.clone(),
            rev,
            unknown_params: unknown,
            policy: policy.clone(),
        })
    }
}

/// One context request, as the cache sees it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, serde::Deserialize)]
pub struct CacheRequest {
    /// The context.
    pub context: String,
    /// Its params (values as the request carried them).
    #[serde(default)]
    pub params: Map<String, Value>,
    /// The authenticated principal's id; `None` for anonymous.
    #[serde(default)]
    pub user: Option<String>,
    /// A rev other than the IR's effective one.
    #[serde(default)]
    pub rev: Option<u64>,
}

/// Everything about one request's cache entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// What was asked.
    pub request: CacheRequest,
    /// The rev used in the key.
    pub rev: u64,
    /// The canonical message that is MACed.
    pub message: String,
    /// The entry's key.
    pub key: String,
    /// The instance's generation key (`None` when a required param is
    /// missing: only broad purges reach such an entry).
    pub instance_key: Option<String>,
    /// Each param as it is stringified into the message (`S(v)`).
    pub stringified: BTreeMap<String, String>,
    /// Params the context does not have (a real request is rejected).
    pub unknown_params: Vec<String>,
    /// The context's policy.
    pub policy: ContextPolicy,
}

/// One component in which two requests' cache entries differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `context`, `user`, `rev`, `param <name>`, `fingerprint`.
    pub component: String,
    /// The first request's value (`None`: absent).
    pub first: Option<String>,
    /// The second's.
    pub second: Option<String>,
    /// Why it matters, in a sentence.
    pub note: String,
}

/// Compares two explained requests: every component that differs, and
/// whether they share a key (`same_key`).
pub fn compare(a: &Explanation, b: &Explanation) -> (bool, Vec<Difference>) {
    let mut out = Vec::new();
    let mut push = |component: &str, first: Option<String>, second: Option<String>, note: &str| {
        if first != second {
            out.push(Difference {
                component: component.to_owned(),
                first,
                second,
                note: note.to_owned(),
            });
        }
    };
    push(
        "context",
        Some(a.request.context.clone()),
        Some(b.request.context.clone()),
        "different contexts never share entries",
    );
    push(
        "user",
        a.request.user.clone(),
        b.request.user.clone(),
        "authenticated entries are per user; anonymous ones are shared",
    );
    push(
        "rev",
        Some(a.rev.to_string()),
        Some(b.rev.to_string()),
        "a rev bump makes old entries unreachable",
    );
    push(
        "fingerprint",
        Some(a.policy.fingerprint.clone()),
        Some(b.policy.fingerprint.clone()),
        "entries built for another schema are never served",
    );
    let names: BTreeSet<&String> = a.stringified.keys().chain(b.stringified.keys()).collect();
    for name in names {
        let (x, y) = (a.stringified.get(name), b.stringified.get(name));
        let note = match (x, y) {
            (Some(_), Some(_)) => "the values differ after stringification (S(v))",
            _ => "a param given in one request only",
        };
        push(&format!("param {name}"), x.cloned(), y.cloned(), note);
    }
    (a.key == b.key, out)
}

fn context_policy(ir: &Ir, context: &str, options: &CacheOptions) -> ContextPolicy {
    let members: Vec<&Function> = ir.members_of(context).collect();
    let never = members.iter().find_map(|f| {
        if f.cache == CachePolicy::None {
            Some(format!("member `{}` declares cache none", f.name))
        } else if f.private {
            Some(format!("member `{}` is private", f.name))
        } else {
            match &f.auth {
                Auth::Staff => Some(format!(
                    "member `{}` requires staff (an entry would outlive a permission change)",
                    f.name
                )),
                Auth::Superuser => Some(format!(
                    "member `{}` requires superuser (an entry would outlive a permission change)",
                    f.name
                )),
                Auth::Predicate(p) => Some(format!(
                    "member `{}` is gated by predicate `{p}` (an entry would outlive a permission change)",
                    f.name
                )),
                Auth::None | Auth::Required => None,
            }
        }
    });
    let max = options.max_ttl.as_secs();
    let decision = match (never, ir.effective_cache(context)) {
        (Some(reason), _) => Decision::Never { reason },
        (None, CachePolicy::None) => Decision::Never {
            reason: "the effective policy is none".into(),
        },
        (None, CachePolicy::Ttl(secs)) => Decision::Cached {
            declared: format!("ttl({secs})"),
            ttl_secs: secs.min(max),
            capped: secs > max,
        },
        (None, CachePolicy::Forever) => Decision::Cached {
            declared: "forever".into(),
            ttl_secs: max,
            capped: true,
        },
    };
    let (required, params) = match ir.context(context) {
        Some(ctx) => {
            let mut required: Vec<String> = ctx
                .params
                .iter()
                .filter(|p| p.required)
                .map(|p| p.name.clone())
                .collect();
            let mut all: Vec<String> = ctx.params.iter().map(|p| p.name.clone()).collect();
            required.sort();
            all.sort();
            (required, all)
        }
        None => (Vec::new(), Vec::new()),
    };
    let components = components(ir, &members);
    let mut hash = Sha256::new();
    for (name, value) in &components {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(value.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    ContextPolicy {
        context: context.to_owned(),
        decision,
        rev: u64::from(ir.effective_rev(context)),
        fingerprint: hex::encode(&digest[..8]),
        required,
        params,
        components,
    }
}

/// What a bundle's contents depend on: per member its rev, params and
/// output; the canonical text of every type the members reach. Docs are
/// left out (they change no byte of a bundle).
fn components(ir: &Ir, members: &[&Function]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut sub = Ir::new();
    for f in members {
        let params: Vec<String> = f
            .params
            .iter()
            .map(|p| format!("{}: {}{}", p.name, p.shape, if p.required { "" } else { "?" }))
            .collect();
        out.insert(
            format!("member `{}`", f.name),
            format!("rev {}, ({}) -> {}", f.rev, params.join(", "), f.output),
        );
        let mut f = (*f).clone();
        f.doc = None;
        sub.functions.push(f);
    }
    sub.types = ir.types.clone();
    crate::ir::retain_reachable_types(&mut sub);
    for t in &sub.types {
        out.insert(format!("type `{}`", t.name), type_text(t));
    }
    out
}

fn type_text(t: &TypeDef) -> String {
    let mut t = t.clone();
    t.doc = None;
    match &mut t.kind {
        TypeKind::Struct(s) => s.fields.iter_mut().for_each(|f| f.doc = None),
        TypeKind::Enum(v) => v.iter_mut().for_each(|v| v.doc = None),
        TypeKind::Alias(_) => {}
    }
    let mut ir = Ir::new();
    ir.types.push(t);
    let text = emit(&ir);
    // The type's own lines, without the document's root node.
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    lines[1..lines.len().saturating_sub(1)].join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::parse;
    use serde_json::json;

    const IR: &str = include_str!("../../../../fixtures/afi/afi.kdl");

    fn policies(text: &str) -> CachePolicies {
        CachePolicies::new(&parse(text).expect("valid IR"), &CacheOptions::default())
    }

    #[test]
    fn forever_is_capped_and_gated_contexts_are_never_cached() {
        let p = policies(IR);
        let user = p.get("user").expect("user");
        assert!(matches!(
            user.decision,
            Decision::Cached {
                capped: true,
                ttl_secs: 604_800,
                ..
            }
        ));
        assert_eq!(user.required, vec!["user_id".to_owned()]);
        let items = p.get("items").expect("items");
        assert!(matches!(
            items.decision,
            Decision::Cached {
                capped: false,
                ttl_secs: 60,
                ..
            }
        ));

        let mut ir = parse(IR).expect("valid IR");
        let counter = ir.functions.iter_mut().find(|f| f.name == "counter_value").unwrap();
        counter.auth = Auth::Staff;
        let gated = CachePolicies::new(&ir, &CacheOptions::default());
        match &gated.get("stats").unwrap().decision {
            Decision::Never { reason } => assert!(reason.contains("`counter_value` requires staff"), "{reason}"),
            other => panic!("a staff-gated context is cached: {other:?}"),
        }
    }

    #[test]
    fn the_fingerprint_follows_members_revs_and_shapes_not_docs() {
        let base = policies(IR);
        let documented = IR.replacen("doc \"A user's public profile.\"", "doc \"Changed docs.\"", 1);
        let same = policies(&documented);
        assert_eq!(
            base.get("user").unwrap().fingerprint,
            same.get("user").unwrap().fingerprint
        );

        let bumped = IR.replacen("rev 2", "rev 9", 1);
        let changed = policies(&bumped);
        let (old, new) = (base.get("user").unwrap(), changed.get("user").unwrap());
        assert_ne!(old.fingerprint, new.fingerprint);
        let changes = new.changes_since(old);
        assert!(
            changes.iter().any(|c| c.contains("member `user_profile` changed")),
            "{changes:?}"
        );
    }

    #[test]
    fn explain_and_compare_name_every_differing_component() {
        let p = policies(IR);
        let keyer = CacheKeyer::new(b"secret");
        let a = p
            .explain(
                &keyer,
                &CacheRequest {
                    context: "user".into(),
                    params: json!({"user_id": 5}).as_object().cloned().unwrap(),
                    ..CacheRequest::default()
                },
            )
            .unwrap();
        let b = p
            .explain(
                &keyer,
                &CacheRequest {
                    context: "user".into(),
                    params: json!({"user_id": "5"}).as_object().cloned().unwrap(),
                    user: Some("7".into()),
                    rev: None,
                },
            )
            .unwrap();
        assert_eq!(a.message, r#"{"c":"user","p":{"user_id":"5"},"r":2}"#);
        assert_eq!(a.instance_key, b.instance_key, "one instance whoever asks");
        let (same, diffs) = compare(&a, &b);
        assert!(!same);
        let names: Vec<&str> = diffs.iter().map(|d| d.component.as_str()).collect();
        assert_eq!(names, ["user"], "5 and \"5\" stringify alike");
    }
}
