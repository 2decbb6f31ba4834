{{ header }}// The typed client: one `call…` per function, one `fetch…Context` per context,
// and `createMizanClient()` configured for this API.

import { MizanClient, type MizanClientOptions, type MizanSchema, type MizanTransport{% if m.client_uses.json %}, type MizanJson{% endif %} } from "./kernel.js";
import { httpTransport } from "./transport.js";
import type { MizanTokenSource, MizanWebSocketConstructor } from "./websocket.js";
{%- if m.client_uses.types %}
import type * as T from "./types.js";
{%- endif %}

/** Where the backend is mounted unless `createMizanClient({ baseUrl })` says otherwise. */
export const DEFAULT_BASE_URL = {{ base_url }};

/** The typed surface of this API: every callable function and every context. */
export type Api = {
  functions: {
{%- for f in m.functions %}{% if f.callable %}
{{ f.doc_in }}    {{ f.key }}: {
      args: {{ f.args_ty }};
      result: {{ f.result_ty }};
    };
{%- endif %}{% endfor %}
  };
  contexts: {
{%- for c in m.contexts %}
{{ c.doc_in }}    {{ c.key }}: {
      params: {{ c.params_ty }};
      data: {{ c.data_ty }};
    };
{%- endfor %}
  };
};

/** Names of the callable functions. */
export type FunctionName = keyof Api["functions"];
/** Names of the contexts. */
export type ContextName = keyof Api["contexts"];
/** The arguments object of function `F`. */
export type ArgsOf<F extends FunctionName> = Api["functions"][F]["args"];
/** The result of function `F`. */
export type ResultOf<F extends FunctionName> = Api["functions"][F]["result"];
/** The params of context `C` (its provider's props). */
export type ParamsOf<C extends ContextName> = Api["contexts"][C]["params"];
/** The data of context `C`: one entry per member. */
export type DataOf<C extends ContextName> = Api["contexts"][C]["data"];

/** Identity fields of list slots (to upsert merged values), and what travels over the WebSocket. */
export const schema: MizanSchema = {
  identities: {
{%- for i in m.identities %}
    {{ i.key }}: { {% for (slot, field) in i.slots %}{% if !loop.first %}, {% endif %}{{ slot }}: {{ field }}{% endfor %} },
{%- endfor %}
  },
  websocket: {
    functions: [{% for f in m.ws_functions %}{% if !loop.first %}, {% endif %}{{ f }}{% endfor %}],
    contexts: [{% for c in m.ws_contexts %}{% if !loop.first %}, {% endif %}{{ c }}{% endfor %}],
  },
};

/** A client of this API. */
export type Client = MizanClient<Api>;

/** Options of {@link createMizanClient}: the kernel's, with the transport optional. */
export type ClientOptions = Omit<MizanClientOptions, "transport"> & {
  /** How requests travel (default: HTTP at `baseUrl`). */
  transport?: MizanTransport | undefined;
  /** Base of the default HTTP transport (default {@link DEFAULT_BASE_URL}). */
  baseUrl?: string | undefined;
  /** The MWT of the default HTTP transport (`X-Mizan-Token`, and the WebSocket's auth frame). */
  token?: MizanTokenSource | undefined;
  /** The WebSocket implementation of the default HTTP transport (default: the global one). */
  WebSocket?: MizanWebSocketConstructor | undefined;
};

/**
 * Creates a client for this API (HTTP at {@link DEFAULT_BASE_URL} unless
 * told otherwise, with pushes over its WebSocket when one is available).
 */
export function createMizanClient(options: ClientOptions = {}): Client {
  const { transport, baseUrl, token, WebSocket: webSocket, ...rest } = options;
  return new MizanClient<Api>({
    schema,
    ...rest,
    transport: transport ?? httpTransport({ baseUrl: baseUrl ?? DEFAULT_BASE_URL, token, WebSocket: webSocket }),
  });
}
{%- for f in m.functions %}{% if f.callable %}

{{ f.doc }}export function call{{ f.pascal }}(client: Client, args: ArgsOf<{{ f.key_str }}>{% if f.args_optional %} = {}{% endif %}): Promise<ResultOf<{{ f.key_str }}>> {
  return client.call({{ f.key_str }}, args);
}
{%- endif %}{% endfor %}
{%- for c in m.contexts %}

/** Fetches context `{{ c.name }}` once (with retries), without touching the reconciled state. */
export function fetch{{ c.pascal }}Context(client: Client, params: ParamsOf<{{ c.key_str }}>{% if c.params_optional %} = {}{% endif %}): Promise<DataOf<{{ c.key_str }}>> {
  return client.fetchContext({{ c.key_str }}, params);
}
{%- endfor %}
