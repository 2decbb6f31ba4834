{{ header }}//! The named types of the API, as serde types carrying the wire names.
{%- for t in m.types %}

{{ t.head }}
{%- if t.kind == "struct" -%}
pub struct {{ t.name }} {
{%- for f in t.fields %}
{{ f.head }}    pub {{ f.ident }}: {{ f.ty }},
{%- endfor %}
}
{%- else if t.kind == "enum" -%}
pub enum {{ t.name }} {
{%- for v in t.variants %}
{{ v.head }}    {{ v.ident }},
{%- endfor %}
}

impl {{ t.name }} {
    /// Every variant, in the IR's order.
    pub const ALL: [Self; {{ t.variants.len() }}] = [
{%- for v in t.variants %}
        Self::{{ v.ident }},
{%- endfor %}
    ];

    /// The wire name: what the server sends and accepts (for a CSS class,
    /// a `data-` attribute or a label, with no table of its own to drift).
    pub const fn as_str(self) -> &'static str {
        match self {
{%- for v in t.variants %}
            Self::{{ v.ident }} => {{ v.wire }},
{%- endfor %}
        }
    }
}

impl ::std::fmt::Display for {{ t.name }} {
    fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
        f.write_str(self.as_str())
    }
}
{%- else -%}
pub type {{ t.name }} = {{ t.alias }};
{%- endif %}
{%- endfor %}
