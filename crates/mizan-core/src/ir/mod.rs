//! The canonical intermediate representation (IR): every backend emits it,
//! every client is generated from it, the studio loads it.
//!
//! The model here is plain data. [`parse`] and [`emit`] convert it from and to
//! its one canonical KDL v2 text (grammar in `docs/IR.md`); [`Ir::canonicalize`]
//! puts a value built in memory into canonical order. This module never
//! checks the graph (that is [`crate::check`]) and never touches the file
//! system.

pub(crate) mod derive;
mod emit;
mod kdl_tree;
mod node_reader;
mod parse;
mod shape;
mod source;

pub use emit::emit;
pub use parse::{ParsedIr, parse, parse_with_locations};
pub use shape::Shape;
pub use source::{IrParseError, ItemSpans, Location, SourceMap};

use serde_json::Value;

/// The IR version this crate reads and writes (`mizan-ir version=1`).
pub const IR_VERSION: u32 = 1;

/// Name of the reserved context fetched once at the app root.
pub const GLOBAL_CONTEXT: &str = "global";

/// A whole IR document.
///
/// An `Ir` is *canonical* when functions, contexts and types are each sorted
/// by name, context members and params are sorted by name and `shared_by`
/// lists are sorted; [`parse`] of canonical text and [`Ir::canonicalize`]
/// both produce canonical values, and `parse(emit(ir)) == ir` holds for every
/// canonical `ir`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ir {
    /// IR format version (currently [`IR_VERSION`]).
    pub version: u32,
    /// Named read groups.
    pub contexts: Vec<Context>,
    /// Server functions (queries and mutations).
    pub functions: Vec<Function>,
    /// Named types reachable from the functions.
    pub types: Vec<TypeDef>,
}

/// A named read group: clients fetch all members with one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// Context name (`user`, `global`, ...).
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Names of the member functions, sorted.
    pub members: Vec<String>,
    /// The union of the members' argument names, sorted by name.
    pub params: Vec<ContextParam>,
}

/// One parameter of a context.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextParam {
    /// Wire name of the argument.
    pub name: String,
    /// Its shape (the members agree on it; the checker verifies).
    pub shape: Shape,
    /// True when every member takes this argument (a provider prop).
    pub required: bool,
    /// The members that take it, sorted.
    pub shared_by: Vec<String>,
}

/// A server function.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    /// Function name, unique in the IR.
    pub name: String,
    /// Documentation (from doc comments).
    pub doc: Option<String>,
    /// The context it belongs to, when it is a context read.
    pub context: Option<String>,
    /// How clients reach it.
    pub transport: Transport,
    /// Who may call it; enforced before the body runs.
    pub auth: Auth,
    /// Server-internal: never client-callable, still in the graph.
    pub private: bool,
    /// Optional page route of a view-path function (`/profile/:user_id/`).
    pub route: Option<String>,
    /// HTTP methods of that route, in declaration order.
    pub methods: Vec<String>,
    /// Logic revision, part of the cache key.
    pub rev: u32,
    /// Origin/edge cache policy.
    pub cache: CachePolicy,
    /// Input parameters, in declaration order.
    pub params: Vec<Param>,
    /// Result shape (`null` for functions returning nothing).
    pub output: Shape,
    /// Invalidation targets, in declaration order.
    pub affects: Vec<Target>,
    /// Contexts the result is merged into, in declaration order.
    pub merge: Vec<String>,
}

impl Function {
    /// A plain function with the given name and output and every option at
    /// its default; builders and tests start from this.
    pub fn new(name: impl Into<String>, output: Shape) -> Self {
        Function {
            name: name.into(),
            doc: None,
            context: None,
            transport: Transport::Http,
            auth: Auth::None,
            private: false,
            route: None,
            methods: Vec::new(),
            rev: 0,
            cache: CachePolicy::Forever,
            params: Vec::new(),
            output,
            affects: Vec::new(),
            merge: Vec::new(),
        }
    }

    /// True when a successful call tells clients to refetch or patch
    /// something.
    pub fn is_mutation(&self) -> bool {
        !self.affects.is_empty() || !self.merge.is_empty()
    }

    /// The parameter with this wire name.
    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// One input parameter of a function.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// Default value used when the argument is absent.
    pub default: Option<Value>,
    /// Whether a caller must pass it.
    pub required: bool,
}

/// Transport of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Transport {
    /// Request/response over HTTP (or IPC).
    #[default]
    Http,
    /// A websocket subscription.
    Websocket,
}

impl Transport {
    /// The IR keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Websocket => "websocket",
        }
    }
}

/// Authorisation requirement of a function.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Auth {
    /// Anyone, including anonymous callers.
    #[default]
    None,
    /// Any authenticated principal.
    Required,
    /// A staff principal.
    Staff,
    /// A superuser principal.
    Superuser,
    /// A named custom predicate registered by the application.
    Predicate(String),
}

/// Cache policy of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CachePolicy {
    /// Cache until purged (the default).
    #[default]
    Forever,
    /// Cache for this many seconds (data the backend does not own).
    Ttl(u64),
    /// Never cache.
    None,
}

/// An `affects` target of a mutation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// Refetch a context (scoped by the mutation's matching arguments).
    Context(String),
    /// Refetch the context of this function; the name is a precision hint.
    Function(String),
}

impl Target {
    /// The context or function name.
    pub fn name(&self) -> &str {
        match self {
            Target::Context(n) | Target::Function(n) => n,
        }
    }
}

/// A named type.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeDef {
    /// Type name, unique in the IR.
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Its definition.
    pub kind: TypeKind,
}

/// The definition of a named type.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeKind {
    /// An object with named fields.
    Struct(StructDef),
    /// A string enum.
    Enum(Vec<Variant>),
    /// Another name for a shape.
    Alias(Shape),
}

/// Body of a struct type.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StructDef {
    /// Fields in declaration order.
    pub fields: Vec<Field>,
    /// Identity field used by merge upserts; `None` means `id`.
    pub identity: Option<String>,
}

impl StructDef {
    /// The identity field used to find list elements on upsert.
    pub fn identity_field(&self) -> &str {
        self.identity.as_deref().unwrap_or("id")
    }
}

/// A struct field.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Wire name (after serde renames).
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// May be absent on the wire.
    pub optional: bool,
    /// Default value when absent.
    pub default: Option<Value>,
    /// Documentation.
    pub doc: Option<String>,
}

/// A string enum variant.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    /// Wire name.
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
}

/// How a context's effective cache policy is derived: `none` if any member
/// is `none`, else the minimum TTL, else forever.
pub fn effective_policy<'a>(policies: impl IntoIterator<Item = &'a CachePolicy>) -> CachePolicy {
    let mut out = CachePolicy::Forever;
    for p in policies {
        out = match (out, *p) {
            (CachePolicy::None, _) | (_, CachePolicy::None) => CachePolicy::None,
            (CachePolicy::Ttl(a), CachePolicy::Ttl(b)) => CachePolicy::Ttl(a.min(b)),
            (CachePolicy::Ttl(a), CachePolicy::Forever) | (CachePolicy::Forever, CachePolicy::Ttl(a)) => {
                CachePolicy::Ttl(a)
            }
            (CachePolicy::Forever, CachePolicy::Forever) => CachePolicy::Forever,
        };
    }
    out
}

impl Ir {
    /// An empty IR of the current version.
    pub fn new() -> Self {
        Ir {
            version: IR_VERSION,
            ..Ir::default()
        }
    }

    /// The function with this name (binary search: the IR is canonical).
    pub fn function(&self, name: &str) -> Option<&Function> {
        find_sorted(&self.functions, name, |f| &f.name)
    }

    /// The context with this name.
    pub fn context(&self, name: &str) -> Option<&Context> {
        find_sorted(&self.contexts, name, |c| &c.name)
    }

    /// The named type with this name.
    pub fn type_def(&self, name: &str) -> Option<&TypeDef> {
        find_sorted(&self.types, name, |t| &t.name)
    }

    /// The member functions of a context (those that name it), in name
    /// order.
    pub fn members_of<'a>(&'a self, context: &'a str) -> impl Iterator<Item = &'a Function> + 'a {
        self.functions
            .iter()
            .filter(move |f| f.context.as_deref() == Some(context))
    }

    /// Effective rev of a context: the maximum over its members.
    pub fn effective_rev(&self, context: &str) -> u32 {
        self.members_of(context).map(|f| f.rev).max().unwrap_or(0)
    }

    /// Effective cache policy of a context (see [`effective_policy`]).
    pub fn effective_cache(&self, context: &str) -> CachePolicy {
        effective_policy(self.members_of(context).map(|f| &f.cache))
    }

    /// Sort everything into canonical order (see [`Ir`]). Declaration order
    /// of params, affects, merge targets, methods, fields and variants is
    /// meaningful and kept.
    pub fn canonicalize(&mut self) {
        self.functions.sort_by(|a, b| a.name.cmp(&b.name));
        self.contexts.sort_by(|a, b| a.name.cmp(&b.name));
        self.types.sort_by(|a, b| a.name.cmp(&b.name));
        for c in &mut self.contexts {
            c.members.sort();
            c.params.sort_by(|a, b| a.name.cmp(&b.name));
            for p in &mut c.params {
                p.shared_by.sort();
            }
        }
    }
}

/// Binary search by name, falling back to a scan when the slice is not
/// sorted (an IR straight from a non-canonical file).
fn find_sorted<'a, T>(items: &'a [T], name: &str, key: impl Fn(&T) -> &String) -> Option<&'a T> {
    match items.binary_search_by(|t| key(t).as_str().cmp(name)) {
        Ok(i) => Some(&items[i]),
        Err(_) => items.iter().find(|t| key(t) == name),
    }
}

pub use derive::{derive_contexts, retain_reachable_types};
