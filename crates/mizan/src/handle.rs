//! The first parameter of every server function: who is calling, over which
//! transport, and the application state the adapter put in.

use crate::MizanError;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// User id (MWT `sub`, or what the application authenticator returns).
    pub id: String,
    /// Passes `auth = "staff"`.
    pub staff: bool,
    /// Passes `auth = "superuser"` (and `staff`).
    pub superuser: bool,
    /// Named permissions.
    pub perms: Vec<String>,
}

impl Principal {
    /// A plain authenticated user.
    pub fn user(id: impl Into<String>) -> Self {
        Principal {
            id: id.into(),
            ..Principal::default()
        }
    }

    /// From verified MWT claims.
    pub fn from_claims(claims: &mizan_core::mwt::Claims) -> Self {
        Principal {
            id: claims.sub.clone(),
            staff: claims.staff,
            superuser: claims.superuser,
            perms: claims.perms.clone(),
        }
    }
}

/// Which transport a request came over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// HTTP (the axum adapter).
    Http,
    /// Tauri IPC (the tauri plugin).
    Ipc,
    /// A WebSocket connection (`mizan-axum`'s `/ws/`).
    WebSocket,
    /// Server-internal (webhooks, cron, tests): may call private functions.
    Internal,
}

/// Typed values the adapter makes available to functions (axum state, the
/// Tauri `AppHandle`, ...), one per type.
#[derive(Default)]
pub struct Extensions {
    map: HashMap<TypeId, Box<dyn Any + Send + Sync>>,
}

impl Extensions {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the value of type `T`.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) -> &mut Self {
        self.map.insert(TypeId::of::<T>(), Box::new(value));
        self
    }

    /// The value of type `T`.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.map.get(&TypeId::of::<T>()).and_then(|b| b.downcast_ref())
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Extensions({} values)", self.map.len())
    }
}

/// What a server function receives first: the caller and the app state.
#[derive(Debug, Clone, Copy)]
pub struct RequestHandle<'a> {
    principal: Option<&'a Principal>,
    extensions: &'a Extensions,
    origin: Origin,
    client: Option<&'a str>,
}

impl<'a> RequestHandle<'a> {
    /// A handle for one request.
    pub fn new(origin: Origin, principal: Option<&'a Principal>, extensions: &'a Extensions) -> Self {
        RequestHandle {
            principal,
            extensions,
            origin,
            client: None,
        }
    }

    /// The same handle naming the calling client (`X-Mizan-Client`, or
    /// `"client"` in a WebSocket or IPC envelope): pushes caused by this
    /// call carry it, so that client skips what its own response applied.
    pub fn with_client(mut self, client: Option<&'a str>) -> Self {
        self.client = client;
        self
    }

    /// The calling client's id, if it sent one.
    pub fn client(&self) -> Option<&'a str> {
        self.client
    }

    /// The authenticated caller, if any.
    pub fn principal(&self) -> Option<&'a Principal> {
        self.principal
    }

    /// The caller, or `UNAUTHORIZED`.
    pub fn require_principal(&self) -> Result<&'a Principal, MizanError> {
        self.principal
            .ok_or_else(|| MizanError::unauthorized("authentication required"))
    }

    /// The transport.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// A value the adapter provided.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&'a T> {
        self.extensions.get::<T>()
    }

    /// A value the adapter must have provided; its absence is a server bug
    /// (`INTERNAL_ERROR`, logged with the type name).
    pub fn state<T: Any + Send + Sync>(&self) -> Result<&'a T, MizanError> {
        self.get::<T>().ok_or_else(|| {
            MizanError::internal(format!(
                "no `{}` was provided to the adapter",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// Whether `id` is an acceptable client id: 1 to 64 characters of
/// `A-Z a-z 0-9 - _ . :` (safe in headers, logs and JSON).
pub fn is_valid_client_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}
