{{ header }}// The named types of the API, exactly as they travel on the wire.
{%- if m.uses.json %}

import type { MizanJson } from "./kernel.js";
{%- endif %}
{%- if m.types.is_empty() %}

export {};
{%- endif %}
{%- for t in m.types %}

{{ t.doc }}
{%- if t.kind == "struct" -%}
export interface {{ t.name }} {
{%- for f in t.fields %}
{{ f.doc }}  {{ f.key }}{{ f.opt }}: {{ f.ty }};
{%- endfor %}
}
{%- else -%}
export type {{ t.name }} = {{ t.rhs }};
{%- endif %}
{%- endfor %}
