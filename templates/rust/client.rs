{{ header }}//! The typed client: one async method per function, one
//! `fetch_<context>_context` per context, over the `mizan-client` kernel
//! (which applies invalidations and merges and retries context fetches).

#[allow(unused_imports)]
use super::types;
use ::mizan_client::{MizanClient, MizanError};

/// Where the backend is mounted unless the application says otherwise.
pub const DEFAULT_BASE_URL: &str = {{ m.base_url }};
{%- for f in m.functions %}{% if !f.args.is_empty() %}

/// Arguments of `{{ f.name }}`.
#[derive(Debug, Clone, PartialEq, ::mizan_client::serde::Serialize, ::mizan_client::serde::Deserialize)]
#[serde(crate = "::mizan_client::serde")]
pub struct {{ f.pascal }}Args {
{%- for a in f.args %}
{{ a.head }}    pub {{ a.ident }}: {{ a.ty }},
{%- endfor %}
}
{%- endif %}{% endfor %}
{%- for c in m.contexts %}{% if !c.params.is_empty() %}

/// Params of context `{{ c.name }}`{% if c.params_default %} (all optional){% endif %}.
#[derive(Debug, Clone, PartialEq, {% if c.params_default %}Default, {% endif %}::mizan_client::serde::Serialize, ::mizan_client::serde::Deserialize)]
#[serde(crate = "::mizan_client::serde")]
pub struct {{ c.pascal }}Params {
{%- for p in c.params %}
{{ p.head }}    pub {{ p.ident }}: {{ p.ty }},
{%- endfor %}
}
{%- endif %}

/// Data of context `{{ c.name }}`: one field per member.
#[derive(Debug, Clone, PartialEq, ::mizan_client::serde::Serialize, ::mizan_client::serde::Deserialize)]
#[serde(crate = "::mizan_client::serde")]
pub struct {{ c.pascal }}Data {
{%- for mem in c.members %}
{{ mem.field.head }}    pub {{ mem.field.ident }}: {{ mem.field.ty }},
{%- endfor %}
}
{%- endfor %}

/// A typed client of this API. Cheap to clone; clones share one kernel
/// (one reconciled state).
#[derive(Debug, Clone)]
pub struct Client {
    kernel: MizanClient,
}

impl Client {
    /// A typed client over `kernel` (e.g. `MizanClient::http(url)?`, or
    /// `MizanClient::tauri()` in a Tauri webview).
    pub fn new(kernel: MizanClient) -> Self {
{%- for s in m.list_slots %}
        kernel.register_list_slot({{ s.context }}, {{ s.slot }}, {{ s.identity }});
{%- endfor %}
        Client { kernel }
    }

    /// The kernel: subscriptions, instance state, raw calls.
    pub fn kernel(&self) -> &MizanClient {
        &self.kernel
    }
{%- for f in m.functions %}

{{ f.doc_in }}    pub async fn {{ f.method }}(&self{% if !f.args.is_empty() %}, args: &{{ f.pascal }}Args{% endif %}) -> ::std::result::Result<{{ f.result_ty }}, MizanError> {
{%- if f.uploads_lit.is_empty() %}
        self.kernel.call_as({{ f.name_lit }}, {% if f.args.is_empty() %}&(){% else %}args{% endif %}).await
{%- else %}
        self.kernel.call_as_with_uploads({{ f.name_lit }}, args, {{ f.uploads_lit }}).await
{%- endif %}
    }
{%- endfor %}
{%- for c in m.contexts %}

    /// Fetches context `{{ c.name }}` now (with retries); every subscriber of
    /// this instance sees the new data.
    pub async fn {{ c.fetch }}(&self{% if !c.params.is_empty() %}, params: &{{ c.pascal }}Params{% endif %}) -> ::std::result::Result<{{ c.pascal }}Data, MizanError> {
        self.kernel.fetch_as({{ c.name_lit }}, {% if c.params.is_empty() %}&(){% else %}params{% endif %}).await
    }
{%- endfor %}
}
