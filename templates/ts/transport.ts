{{ header }}{% raw %}/**
 * The transports of the Mizan client kernel: HTTP (SPEC §3) and Tauri IPC.
 * A transport only moves one request and decodes its answer or error into a
 * {@link MizanError}; retries, batching and state belong to the kernel.
 */

import { MizanError, paramEntries, paramString, toMizanError, type MizanCallResponse, type MizanTransport } from "./kernel.js";

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const STATUS_CODES: { readonly [status: number]: string } = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  422: "VALIDATION_ERROR",
  501: "NOT_IMPLEMENTED",
};

/** An error envelope (`{code, message, details?}`) to a {@link MizanError}. */
function fromEnvelope(body: unknown, status: number | undefined): MizanError | undefined {
  const inner = isObject(body) && isObject(body.error) ? body.error : body;
  if (!isObject(inner) || typeof inner.code !== "string") return undefined;
  const message = typeof inner.message === "string" ? inner.message : inner.code;
  const details = isObject(inner.details) ? inner.details : undefined;
  return new MizanError(inner.code, message, { status, details });
}

/** Options of {@link httpTransport}. */
export interface HttpTransportOptions {
  /** Mount point of the backend, e.g. `/api/mizan` or `https://api.example.com/api/mizan`. */
  baseUrl?: string | undefined;
  /** The fetch implementation (default: the global `fetch`). */
  fetch?: typeof fetch | undefined;
  /** Extra headers (e.g. `X-Mizan-Token`), or a function computing them per request. */
  headers?: { [name: string]: string } | (() => { [name: string]: string }) | undefined;
  /** Cookie policy (default `same-origin`). */
  credentials?: RequestCredentials | undefined;
}

/**
 * The HTTP transport (SPEC §3). Before the first call it fetches
 * `{base}/session/` once and sends a non-null `csrfToken` back as
 * `X-CSRFToken` on every POST. Arguments holding a `Blob` are sent as
 * multipart: field `fn`, field `args` (JSON without the files) and one file
 * part per upload argument.
 */
export function httpTransport(options: HttpTransportOptions = {}): MizanTransport {
  const base = (options.baseUrl ?? "/api/mizan").replace(/\/+$/, "");
  const credentials = options.credentials ?? "same-origin";
  let session: Promise<string | null> | undefined;

  const doFetch = (url: string, init: RequestInit): Promise<Response> => {
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== "function") {
      return Promise.reject(new MizanError("NO_TRANSPORT", "no fetch implementation available"));
    }
    const extra = typeof options.headers === "function" ? options.headers() : (options.headers ?? {});
    const headers: { [name: string]: string } = { Accept: "application/json", ...extra };
    if (init.headers !== undefined) Object.assign(headers, init.headers);
    return f(url, { ...init, headers, credentials }).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      throw new MizanError("NETWORK_ERROR", `network error: ${message}`, { cause: e });
    });
  };

  const readJson = async (res: Response): Promise<unknown> => {
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      throw new MizanError("NETWORK_ERROR", "connection lost while reading the response", { cause: e });
    }
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!res.ok) {
      throw (
        fromEnvelope(body, res.status) ??
        new MizanError(STATUS_CODES[res.status] ?? "INTERNAL_ERROR", `HTTP ${res.status}`, { status: res.status })
      );
    }
    if (body === undefined) {
      throw new MizanError("BAD_RESPONSE", `expected JSON from the server (HTTP ${res.status})`, {
        status: res.status,
      });
    }
    return body;
  };

  const csrfToken = (): Promise<string | null> => {
    session ??= doFetch(`${base}/session/`, { method: "GET" })
      .then(readJson)
      .then((body) => (isObject(body) && typeof body.csrfToken === "string" ? body.csrfToken : null))
      .catch((e: unknown) => {
        session = undefined;
        throw toMizanError(e);
      });
    return session;
  };

  return {
    async call(fn, args) {
      const token = await csrfToken();
      const headers: { [name: string]: string } = {};
      if (token !== null) headers["X-CSRFToken"] = token;
      let body: BodyInit;
      const files = Object.keys(args).filter((k) => typeof Blob !== "undefined" && args[k] instanceof Blob);
      if (files.length > 0) {
        const form = new FormData();
        const plain: { [key: string]: unknown } = {};
        for (const k of Object.keys(args)) if (!files.includes(k)) plain[k] = args[k];
        form.append("fn", fn);
        form.append("args", JSON.stringify(plain));
        for (const k of files) form.append(k, args[k] as Blob);
        body = form;
      } else {
        headers["Content-Type"] = "application/json";
        body = JSON.stringify({ fn, args });
      }
      const res = await doFetch(`${base}/call/`, { method: "POST", headers, body });
      const parsed = await readJson(res);
      if (!isObject(parsed) || !("result" in parsed)) {
        throw new MizanError("BAD_RESPONSE", "call response has no `result`", { status: res.status });
      }
      return parsed as unknown as MizanCallResponse;
    },

    async fetchContext(context, params) {
      const query = paramEntries(params)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(paramString(v))}`)
        .join("&");
      const url = `${base}/ctx/${encodeURIComponent(context)}/${query === "" ? "" : `?${query}`}`;
      const body = await readJson(await doFetch(url, { method: "GET" }));
      if (!isObject(body)) throw new MizanError("BAD_RESPONSE", "context response is not an object");
      return body;
    },
  };
}

/** Tauri's `invoke` (the shape of `@tauri-apps/api/core`'s export). */
export type TauriInvoke = (cmd: string, args?: { [key: string]: unknown }) => Promise<unknown>;

/** The plugin command every Mizan IPC request goes through. */
export const TAURI_COMMAND = "plugin:mizan|mizan_invoke";

/**
 * The Tauri IPC transport: one plugin command, `plugin:mizan|mizan_invoke`.
 * By default it uses the webview's `window.__TAURI_INTERNALS__.invoke`
 * (what `@tauri-apps/api/core` wraps), so generated code needs no npm
 * dependency; pass `invoke` to use another. Uploads travel as byte arrays.
 */
export function tauriTransport(options: { invoke?: TauriInvoke | undefined } = {}): MizanTransport {
  const invoke = async (envelope: { [key: string]: unknown }): Promise<unknown> => {
    const internals = (globalThis as { __TAURI_INTERNALS__?: { invoke?: TauriInvoke } }).__TAURI_INTERNALS__;
    const fn = options.invoke ?? internals?.invoke;
    if (fn === undefined) throw new MizanError("NO_TRANSPORT", "not running inside a Tauri webview");
    try {
      return await fn(TAURI_COMMAND, { envelope });
    } catch (e) {
      throw fromEnvelope(e, undefined) ?? new MizanError("INTERNAL_ERROR", typeof e === "string" ? e : String(e));
    }
  };
  return {
    async call(fn, args) {
      const wire: { [key: string]: unknown } = {};
      for (const k of Object.keys(args)) {
        const v = args[k];
        wire[k] = typeof Blob !== "undefined" && v instanceof Blob ? Array.from(new Uint8Array(await v.arrayBuffer())) : v;
      }
      const body = await invoke({ op: "call", fn, args: wire });
      if (!isObject(body) || !("result" in body)) throw new MizanError("BAD_RESPONSE", "call response has no `result`");
      return body as unknown as MizanCallResponse;
    },
    async fetchContext(context, params) {
      const wire: { [key: string]: unknown } = {};
      for (const [k, v] of paramEntries(params)) wire[k] = v;
      const body = await invoke({ op: "fetch", context, params: wire });
      if (!isObject(body)) throw new MizanError("BAD_RESPONSE", "context response is not an object");
      return body;
    },
  };
}
{% endraw %}
