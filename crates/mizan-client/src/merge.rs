//! Merge splicing (SPEC §4): a mutation's result patched into a cached
//! context slot without a round trip. Pure data manipulation, no state.
//!
//! The response says which slot but not how the value fits; the shape of the
//! value decides, which is exactly the server's rule: a list value replaces
//! the slot (*replace*), a non-list value into a list slot is an *upsert* by
//! the element type's identity field, anything else replaces the slot
//! (*direct*). The identity field and whether an empty (null) slot is a list
//! come from the IR, registered by the generated code
//! ([`crate::MizanClient::register_list_slot`]); `id` otherwise.

use serde_json::Value;

use crate::params::stringify;
use crate::wire::ContextData;

/// The identity field used when the generated code registered none (the
/// IR's default).
pub const DEFAULT_IDENTITY: &str = "id";

/// What the generated code knows about a list slot: the element type's
/// identity field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSlot {
    /// The field upserts match on.
    pub identity: String,
}

/// How a value was spliced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spliced {
    /// The slot now holds the value.
    Direct,
    /// A list value replaced the list.
    Replace,
    /// The element with the same identity was replaced.
    Updated,
    /// No element had the identity: the value was appended.
    Appended,
    /// A `null` merged into a list slot: nothing changed (a `null` is never
    /// an element, see `tests/merge_cases.json`).
    Unchanged,
}

/// Splices `value` into member `slot` of a context's `data`.
///
/// `list_slot` is the registration for this slot, if any. Returns how the
/// value fit; the data is changed unless a `null` meets a list slot.
pub fn splice(data: &mut ContextData, slot: &str, value: &Value, list_slot: Option<&ListSlot>) -> Spliced {
    if value.is_array() {
        data.insert(slot.to_owned(), value.clone());
        return Spliced::Replace;
    }
    let identity = list_slot.map_or(DEFAULT_IDENTITY, |l| l.identity.as_str());
    let is_list = list_slot.is_some() || data.get(slot).is_some_and(Value::is_array);
    if value.is_null() && is_list {
        return Spliced::Unchanged;
    }
    match data.get_mut(slot) {
        Some(Value::Array(items)) => upsert(items, value, identity),
        // A registered list slot that is empty (null or absent) becomes a
        // one-element list rather than an object.
        Some(Value::Null) | None if list_slot.is_some() => {
            data.insert(slot.to_owned(), Value::Array(vec![value.clone()]));
            Spliced::Appended
        }
        _ => {
            data.insert(slot.to_owned(), value.clone());
            Spliced::Direct
        }
    }
}

/// Replaces the element whose `identity` field equals the value's (as
/// strings, like params), else appends.
fn upsert(items: &mut Vec<Value>, value: &Value, identity: &str) -> Spliced {
    if let Some(id) = value.get(identity) {
        let wanted = stringify(id);
        if let Some(existing) = items
            .iter_mut()
            .find(|item| item.get(identity).is_some_and(|v| stringify(v) == wanted))
        {
            *existing = value.clone();
            return Spliced::Updated;
        }
    }
    items.push(value.clone());
    Spliced::Appended
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn data(v: Value) -> ContextData {
        match v {
            Value::Object(m) => m,
            _ => ContextData::new(),
        }
    }

    #[test]
    fn direct_replaces_the_slot() {
        let mut d = data(json!({"user_profile": {"user_id": 1, "name": "a"}, "user_orders": []}));
        let how = splice(&mut d, "user_profile", &json!({"user_id": 1, "name": "b"}), None);
        assert_eq!(how, Spliced::Direct);
        assert_eq!(d["user_profile"]["name"], "b");
        assert_eq!(d["user_orders"], json!([]));
    }

    #[test]
    fn upsert_replaces_by_identity_or_appends() {
        let mut d = data(json!({"items_list": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]}));
        assert_eq!(
            splice(&mut d, "items_list", &json!({"id": 2, "name": "B"}), None),
            Spliced::Updated
        );
        assert_eq!(d["items_list"], json!([{"id": 1, "name": "a"}, {"id": 2, "name": "B"}]));
        assert_eq!(
            splice(&mut d, "items_list", &json!({"id": 3, "name": "c"}), None),
            Spliced::Appended
        );
        assert_eq!(d["items_list"][2]["name"], "c");
        // Identity values compare as strings.
        assert_eq!(
            splice(&mut d, "items_list", &json!({"id": "1", "name": "A"}), None),
            Spliced::Updated
        );
        assert_eq!(d["items_list"][0]["name"], "A");
    }

    #[test]
    fn upsert_uses_the_registered_identity_field() {
        let slot = ListSlot { identity: "sku".into() };
        let mut d = data(json!({"s": [{"id": 1, "sku": "x"}, {"id": 2, "sku": "y"}]}));
        assert_eq!(
            splice(&mut d, "s", &json!({"id": 9, "sku": "y"}), Some(&slot)),
            Spliced::Updated
        );
        assert_eq!(d["s"], json!([{"id": 1, "sku": "x"}, {"id": 9, "sku": "y"}]));
    }

    #[test]
    fn list_values_replace_lists() {
        let mut d = data(json!({"items_list": [{"id": 1}]}));
        assert_eq!(
            splice(&mut d, "items_list", &json!([{"id": 5}]), None),
            Spliced::Replace
        );
        assert_eq!(d["items_list"], json!([{"id": 5}]));
    }

    #[test]
    fn empty_registered_list_slots_become_lists() {
        let slot = ListSlot { identity: "id".into() };
        let mut d = data(json!({"items_list": null}));
        assert_eq!(
            splice(&mut d, "items_list", &json!({"id": 1}), Some(&slot)),
            Spliced::Appended
        );
        assert_eq!(d["items_list"], json!([{"id": 1}]));
        let mut d = data(json!({"current": null}));
        assert_eq!(splice(&mut d, "current", &json!({"id": 1}), None), Spliced::Direct);
        assert_eq!(d["current"], json!({"id": 1}));
    }
}
