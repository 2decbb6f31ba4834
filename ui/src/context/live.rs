//! What the live tabs (Cache, Replay, Tokens) keep while the workspace
//! shows: their forms (a look at the graph does not lose what was typed)
//! and what one tab hands another — the inspector's "Inspect cache keys"
//! fills the Cache form, "Replay…" the Replay form, "Use in Replay" the
//! minted token. Plain signals, provided by the workspace.

use leptos::prelude::*;

/// The Cache tab's form.
#[derive(Clone, Copy)]
pub struct CacheForm {
    /// Context name.
    pub context: RwSignal<String>,
    /// Params, JSON text.
    pub params: RwSignal<String>,
    /// User (empty: anonymous).
    pub user: RwSignal<String>,
    /// Rev (empty: the effective one).
    pub rev: RwSignal<String>,
    /// Redis URL (empty: the environment's).
    pub redis_url: RwSignal<String>,
}

/// The Replay tab's form.
#[derive(Clone, Copy)]
pub struct ReplayFormState {
    /// Function name.
    pub function: RwSignal<String>,
    /// Arguments, JSON text.
    pub args: RwSignal<String>,
    /// Base URL (empty: the environment's).
    pub target: RwSignal<String>,
    /// Over `/ws/`.
    pub websocket: RwSignal<bool>,
    /// Extra headers, `Name: value` a line.
    pub headers: RwSignal<String>,
    /// `X-Mizan-Token`.
    pub token: RwSignal<String>,
    /// Keep the token in the history for the next send.
    pub keep_secrets: RwSignal<bool>,
    /// Mounted instances, `context {json params}` a line.
    pub mounted: RwSignal<String>,
}

/// Everything the live tabs share.
#[derive(Clone, Copy)]
pub struct LiveForms {
    /// Cache tab.
    pub cache: CacheForm,
    /// Replay tab.
    pub replay: ReplayFormState,
    /// The last minted token.
    pub minted: RwSignal<String>,
}

impl LiveForms {
    /// Empty forms.
    pub fn new() -> Self {
        let s = || RwSignal::new(String::new());
        LiveForms {
            cache: CacheForm {
                context: s(),
                params: RwSignal::new("{}".into()),
                user: s(),
                rev: s(),
                redis_url: s(),
            },
            replay: ReplayFormState {
                function: s(),
                args: RwSignal::new("{}".into()),
                target: s(),
                websocket: RwSignal::new(false),
                headers: s(),
                token: s(),
                keep_secrets: RwSignal::new(false),
                mounted: s(),
            },
            minted: s(),
        }
    }
}

impl Default for LiveForms {
    fn default() -> Self {
        Self::new()
    }
}

/// The live tabs' shared state, from any component in the workspace.
pub fn use_live() -> LiveForms {
    expect_context::<LiveForms>()
}
