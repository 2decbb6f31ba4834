//! Interned names for the traffic timeline: the handful of strings that
//! repeat in every recorded event (its source, transport, function or
//! context, principal, client, cache verdict, error code, parameter
//! names) are shared, so 50,000 events hold pointers instead of 50,000
//! copies of `"user"` and `"http"` (issue #15's memory budget).
//!
//! Names nothing refers to any more (their events were evicted) are
//! dropped from the table when it has doubled since the last sweep, so a
//! stream of one-off client ids cannot grow it without bound.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// A shared, immutable string: one pointer wide (an `Arc<str>` is two),
/// so an `Option<Name>` in each of 50,000 events costs 8 bytes.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<Box<str>>);

struct Table {
    names: HashSet<Name>,
    sweep_at: usize,
}

const FIRST_SWEEP: usize = 4096;

static TABLE: Mutex<Option<Table>> = Mutex::new(None);

impl Name {
    /// The shared copy of `text`.
    pub fn new(text: &str) -> Name {
        let mut guard = TABLE.lock().unwrap_or_else(|p| p.into_inner());
        let table = guard.get_or_insert_with(|| Table {
            names: HashSet::new(),
            sweep_at: FIRST_SWEEP,
        });
        if let Some(name) = table.names.get(text) {
            return name.clone();
        }
        if table.names.len() >= table.sweep_at {
            table.names.retain(|n| Arc::strong_count(&n.0) > 1);
            table.sweep_at = (table.names.len() * 2).max(FIRST_SWEEP);
        }
        let name = Name(Arc::new(Box::from(text)));
        table.names.insert(name.clone());
        name
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        &**self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        &**self.0 == *other
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name::new(text)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name::new(&text)
    }
}

impl From<Name> for String {
    fn from(name: Name) -> String {
        name.0.to_string()
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Cow::<str>::deserialize(deserializer).map(|text| Name::new(&text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy() {
        let a = Name::new("names-test-user");
        let b = Name::from("names-test-user".to_owned());
        assert_eq!(a, b);
        assert!(Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "names-test-user");
        let back: Name = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert!(Arc::ptr_eq(&a.0, &back.0));
    }

    #[test]
    fn unused_names_are_swept() {
        // Far more one-off names than a sweep keeps: the table stays
        // bounded by about twice what is still in use.
        let kept: Vec<Name> = (0..10).map(|i| Name::new(&format!("names-test-kept-{i}"))).collect();
        for i in 0..100_000 {
            drop(Name::new(&format!("names-test-once-{i}")));
        }
        let len = TABLE.lock().unwrap().as_ref().unwrap().names.len();
        assert!(len < 3 * FIRST_SWEEP, "{len} names kept");
        assert!(kept.iter().all(|k| Arc::strong_count(&k.0) == 2));
    }

    #[test]
    fn a_name_is_one_pointer_wide() {
        assert_eq!(std::mem::size_of::<Option<Name>>(), std::mem::size_of::<usize>());
    }
}
