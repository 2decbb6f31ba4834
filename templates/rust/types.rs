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
{%- else -%}
pub type {{ t.name }} = {{ t.alias }};
{%- endif %}
{%- endfor %}
