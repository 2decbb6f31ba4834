//! The live system: what the studio asks a *running* backend, as opposed
//! to what the IR says. Environments ([`environment`]: where the backend
//! and its Redis are, secrets by variable name), the cache inspector
//! ([`inspect`]: keys, stored entries, why a lookup missed, purges), the
//! replay console ([`replay`]: send a call, compare the server's
//! invalidation with the IR's), its history ([`history`]) and the token
//! tool ([`tokens`]). All of it is core code (`mizan_core::cache::policy`,
//! `mwt`, `invalidation`, `header`) and `mizan-client`'s planning; this
//! module adds the I/O and the words.

pub mod api;
pub mod environment;
pub mod history;
pub mod inspect;
pub mod names;
pub mod replay;
pub mod session;
pub mod tokens;
pub mod traffic;
