//! The shapes a client reads and writes (SPEC §3, §4): the call response
//! with its `invalidate` and `merge` entries, a context's data and the
//! session answer. Same JSON as `mizan_core::wire` (a test cross-checks),
//! but lenient where the core is strict: unknown fields are ignored so an
//! older client keeps working against a newer server.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Arguments of a call or params of a context, by wire name.
pub type Params = Map<String, Value>;

/// A context's data: member function name → its result.
pub type ContextData = Map<String, Value>;

/// A successful call: `{"result", "invalidate", "merge"?}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CallResponse {
    /// The function's result.
    pub result: Value,
    /// Contexts to refetch.
    #[serde(default)]
    pub invalidate: Vec<Invalidation>,
    /// Slots to patch without a round trip.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge: Vec<MergeEntry>,
}

/// One entry of a response's `invalidate` list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Invalidation {
    /// `"ctx"`: refetch every mounted instance of the context.
    Broad(String),
    /// `{"context", "function"?, "params"?}`: refetch the mounted instances
    /// whose params match every key of `params`.
    Scoped(ScopedInvalidation),
}

/// A scoped `invalidate` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopedInvalidation {
    /// The context to refetch.
    pub context: String,
    /// A function target's name: a precision hint for caches; clients
    /// refetch the whole context.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// Only instances whose params match every key (compared as strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
}

impl Invalidation {
    /// A broad entry for `context`.
    pub fn broad(context: impl Into<String>) -> Self {
        Invalidation::Broad(context.into())
    }

    /// A scoped entry for `context` with `params`.
    pub fn scoped(context: impl Into<String>, params: Params) -> Self {
        Invalidation::Scoped(ScopedInvalidation {
            context: context.into(),
            function: None,
            params: Some(params),
        })
    }

    /// The context this entry refetches.
    pub fn context(&self) -> &str {
        match self {
            Invalidation::Broad(c) => c,
            Invalidation::Scoped(s) => &s.context,
        }
    }

    /// The scoping params; `None` (or empty) means every instance.
    pub fn params(&self) -> Option<&Params> {
        match self {
            Invalidation::Broad(_) => None,
            Invalidation::Scoped(s) => s.params.as_ref(),
        }
    }
}

/// One entry of a response's `merge` list: splice `value` into member
/// `slot` of the instances of `context` matching `params`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeEntry {
    /// The context whose cached data is patched.
    pub context: String,
    /// The member function whose result receives the value.
    pub slot: String,
    /// The mutation's result.
    pub value: Value,
    /// Scoping, as for invalidations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Params>,
}

/// The answer of `GET {base}/session/`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The CSRF token to send with calls, when the backend uses one.
    #[serde(rename = "csrfToken", default)]
    pub csrf_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use mizan_core::invalidation::{
        Invalidation as CoreInvalidation, MergeEntry as CoreMergeEntry, Resolution, ScopedInvalidation as CoreScoped,
    };
    use mizan_core::wire::CallResponse as CoreCallResponse;
    use serde_json::json;

    #[test]
    fn reads_what_the_core_writes() {
        let mut params = Map::new();
        params.insert("user_id".into(), json!(5));
        let core = CoreCallResponse::new(
            json!({"id": 1, "name": "x"}),
            Resolution {
                invalidate: vec![
                    CoreInvalidation::Broad("notifications".into()),
                    CoreInvalidation::Scoped(CoreScoped {
                        context: "user".into(),
                        function: Some("user_orders".into()),
                        params: Some(params.clone()),
                    }),
                ],
                merge: vec![CoreMergeEntry {
                    context: "items".into(),
                    slot: "items_list".into(),
                    value: json!({"id": 1, "name": "x"}),
                    params: None,
                }],
            },
        );
        let text = serde_json::to_string(&core).unwrap();
        let ours: CallResponse = serde_json::from_str(&text).unwrap();
        assert_eq!(ours.invalidate[0], Invalidation::broad("notifications"));
        assert_eq!(ours.invalidate[1].context(), "user");
        assert_eq!(ours.invalidate[1].params(), Some(&params));
        assert_eq!(ours.merge[0].slot, "items_list");
        // And writes the same bytes back.
        assert_eq!(serde_json::to_string(&ours).unwrap(), text);
    }

    #[test]
    fn lenient_on_missing_and_unknown_fields() {
        let r: CallResponse = serde_json::from_value(json!({"result": 1, "extra": true})).unwrap();
        assert!(r.invalidate.is_empty() && r.merge.is_empty());
        let s: SessionInfo = serde_json::from_value(json!({"csrfToken": null})).unwrap();
        assert_eq!(s.csrf_token, None);
        let s: SessionInfo = serde_json::from_value(json!({"csrfToken": "t"})).unwrap();
        assert_eq!(s.csrf_token.as_deref(), Some("t"));
    }
}
