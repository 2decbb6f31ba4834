{{ header }}{% raw %}/**
 * The transports of the Mizan client kernel: HTTP (SPEC §3, with its
 * WebSocket for pushes and `transport websocket` functions, SPEC §3.1) and
 * Tauri IPC (pushes through a Tauri channel). A transport only moves one
 * request and decodes its answer or error into a {@link MizanError};
 * retries, batching, pushes' effects and state belong to the kernel.
 */

import {
  MizanError,
  paramEntries,
  paramString,
  toMizanError,
  type MizanCallResponse,
  type MizanConnectionStatus,
  type MizanPush,
  type MizanPushAttachment,
  type MizanPushReceiver,
  type MizanPushSource,
  type MizanTransport,
} from "./kernel.js";
import {
  MizanSocket,
  argsWithUploads,
  globalWebSocket,
  isBlob,
  readToken,
  uploadName,
  websocketUrl,
  type MizanReconnectOptions,
  type MizanTokenSource,
  type MizanWebSocketConstructor,
} from "./websocket.js";

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const STATUS_CODES: { readonly [status: number]: string } = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  413: "BAD_REQUEST",
  422: "VALIDATION_ERROR",
  501: "NOT_IMPLEMENTED",
};

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
  /**
   * The MWT: sent as `X-Mizan-Token` over HTTP and in the WebSocket's first
   * frame. A function is read per request (and per connection). An
   * `X-Mizan-Token` in `headers` is used the same way.
   */
  token?: MizanTokenSource | undefined;
  /**
   * The WebSocket implementation for pushes and `transport websocket`
   * functions (default: the global `WebSocket`; on Node 20 pass the `ws`
   * package's). Without one there are no pushes, and websocket functions
   * are called over `POST /call/`.
   */
  WebSocket?: MizanWebSocketConstructor | undefined;
  /** Reconnection back-off of the WebSocket (250 ms doubling to 10 s, ±50% jitter). */
  reconnect?: MizanReconnectOptions | undefined;
  /** How long the WebSocket stays open once nothing needs it (default 5 s). */
  idleCloseMs?: number | undefined;
}

/** The value of header `name` (any letter case) in a headers object. */
function headerValue(headers: { [name: string]: string }, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const k of Object.keys(headers)) if (k.toLowerCase() === lower) return headers[k];
  return undefined;
}

/**
 * The HTTP transport (SPEC §3). Before the first call it fetches
 * `{base}/session/` once and sends a non-null `csrfToken` back as
 * `X-CSRFToken` on every POST; calls carry the kernel's `X-Mizan-Client`.
 * Arguments holding a `Blob` are sent as `multipart/form-data`: a part
 * `envelope` (`{"fn", "args"}` without the files), then one file part per
 * upload argument, named after it (the `File`'s name, else `blob`).
 *
 * With a WebSocket implementation it also offers pushes and carries the
 * calls and fetches of `transport websocket` functions over
 * `{base}/ws/` (http → ws), opened only when needed.
 */
export function httpTransport(options: HttpTransportOptions = {}): MizanTransport {
  const base = (options.baseUrl ?? "/api/mizan").replace(/\/+$/, "");
  const credentials = options.credentials ?? "same-origin";
  let session: Promise<string | null> | undefined;
  const staticHeaders = (): { [name: string]: string } =>
    typeof options.headers === "function" ? options.headers() : (options.headers ?? {});
  const token = async (): Promise<string | undefined> =>
    (await readToken(options.token)) ?? readToken(headerValue(staticHeaders(), "X-Mizan-Token"));
  const wsCtor = options.WebSocket ?? globalWebSocket();
  const wsUrl = websocketUrl(base);
  const socket =
    wsCtor !== undefined && wsUrl !== undefined
      ? new MizanSocket({
          url: wsUrl,
          WebSocket: wsCtor,
          token,
          reconnect: options.reconnect,
          idleCloseMs: options.idleCloseMs,
        })
      : undefined;

  const doFetch = (url: string, init: RequestInit): Promise<Response> => {
    const f = options.fetch ?? globalThis.fetch;
    if (typeof f !== "function") {
      return Promise.reject(new MizanError("NO_TRANSPORT", "no fetch implementation available"));
    }
    const headers: { [name: string]: string } = { Accept: "application/json", ...staticHeaders() };
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
        MizanError.fromEnvelope(body, res.status) ??
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

  /** `X-Mizan-Token` from the `token` option (the `headers` option already carries its own). */
  const tokenHeader = async (headers: { [name: string]: string }): Promise<void> => {
    const t = await readToken(options.token);
    if (t !== undefined) headers["X-Mizan-Token"] = t;
  };

  return {
    push: socket,

    close() {
      socket?.close();
    },

    async call(fn, args, request) {
      if (request?.websocket === true && socket !== undefined) return socket.call(fn, args, request.client);
      const csrf = await csrfToken();
      const headers: { [name: string]: string } = {};
      if (csrf !== null) headers["X-CSRFToken"] = csrf;
      if (request?.client !== undefined) headers["X-Mizan-Client"] = request.client;
      await tokenHeader(headers);
      let body: BodyInit;
      const files = Object.keys(args).filter((k) => isBlob(args[k]));
      if (files.length > 0) {
        // No Content-Type header: fetch sets it with the boundary.
        const form = new FormData();
        const plain: { [key: string]: unknown } = {};
        for (const k of Object.keys(args)) if (!files.includes(k)) plain[k] = args[k];
        form.append("envelope", JSON.stringify({ fn, args: plain }));
        for (const k of files) {
          const blob = args[k] as Blob;
          form.append(k, blob, uploadName(blob));
        }
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

    async fetchContext(context, params, request) {
      if (request?.websocket === true && socket !== undefined) return socket.fetchContext(context, params);
      const query = paramEntries(params)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(paramString(v))}`)
        .join("&");
      const url = `${base}/ctx/${encodeURIComponent(context)}/${query === "" ? "" : `?${query}`}`;
      const headers: { [name: string]: string } = {};
      await tokenHeader(headers);
      const body = await readJson(await doFetch(url, { method: "GET", headers }));
      if (!isObject(body)) throw new MizanError("BAD_RESPONSE", "context response is not an object");
      return body;
    },
  };
}

/** Tauri's `invoke` (the shape of `@tauri-apps/api/core`'s export). */
export type TauriInvoke = (cmd: string, args?: { [key: string]: unknown }) => Promise<unknown>;

/** Tauri's `transformCallback` (`window.__TAURI_INTERNALS__.transformCallback`). */
export type TauriTransformCallback = (callback: (message: unknown) => void, once?: boolean) => number;

/** The plugin command every Mizan IPC request goes through. */
export const TAURI_COMMAND = "plugin:mizan|mizan_invoke";

/** The plugin command that opens the push channel (`{channel, watch?}`, resolves with an id). */
export const TAURI_SUBSCRIBE_COMMAND = "plugin:mizan|mizan_subscribe";

/** The plugin command that closes a push subscription (`{id}`). */
export const TAURI_UNSUBSCRIBE_COMMAND = "plugin:mizan|mizan_unsubscribe";

/** Options of {@link tauriTransport}. */
export interface TauriTransportOptions {
  /** `invoke` (default: `window.__TAURI_INTERNALS__.invoke`, looked up at call time). */
  invoke?: TauriInvoke | undefined;
  /** `transformCallback`, for the push channel (default: `window.__TAURI_INTERNALS__.transformCallback`). */
  transformCallback?: TauriTransformCallback | undefined;
  /** Back-off when opening the push channel fails (250 ms doubling to 10 s, ±50% jitter). */
  reconnect?: MizanReconnectOptions | undefined;
}

type TauriInternals = { invoke?: TauriInvoke; transformCallback?: TauriTransformCallback };

function tauriInternals(): TauriInternals | undefined {
  return (globalThis as { __TAURI_INTERNALS__?: TauriInternals }).__TAURI_INTERNALS__;
}

/**
 * A channel like `@tauri-apps/api/core`'s `Channel`: a callback registered
 * with `transformCallback`, serialized as `__CHANNEL__:<id>`, whose
 * messages (`{index, message}`, then `{index, end: true}` when the Rust
 * side drops it, as Tauri 2.12 sends them; an `id` in place of `index` is
 * accepted too) are delivered in index order.
 */
function tauriChannel(
  transform: TauriTransformCallback,
  onMessage: (message: unknown) => void,
  onEnd: () => void,
): { id: number; toJSON(): string } {
  let next = 0;
  let endAt: number | undefined;
  const early = new Map<number, unknown>();
  const id = transform((raw) => {
    if (!isObject(raw)) return;
    const index = typeof raw["id"] === "number" ? raw["id"] : raw["index"];
    if (typeof index !== "number") return;
    if ("end" in raw) {
      if (index === next) onEnd();
      else endAt = index;
      return;
    }
    if (index !== next) {
      early.set(index, raw["message"]);
      return;
    }
    onMessage(raw["message"]);
    next++;
    while (early.has(next)) {
      const m = early.get(next);
      early.delete(next);
      onMessage(m);
      next++;
    }
    if (next === endAt) onEnd();
  });
  const serialized = `__CHANNEL__:${id}`;
  // Tauri's IPC serializes an argument through this key, else through JSON.
  return { id, toJSON: () => serialized, ["__TAURI_TO_IPC_KEY__" as string]: () => serialized } as {
    id: number;
    toJSON(): string;
  };
}

/**
 * Pushes over Tauri IPC: a channel opened with `plugin:mizan|mizan_subscribe`
 * (`{channel}`) when the first client attaches, closed with
 * `plugin:mizan|mizan_unsubscribe` (`{id}`) when the last one detaches;
 * opened again with back-off if the command fails or the channel ends.
 */
class TauriPushSource implements MizanPushSource {
  private state: MizanConnectionStatus = "idle";
  private readonly receivers = new Set<MizanPushReceiver>();
  private active = false;
  private attempt = 0;
  /** Bumped for every subscription: messages and answers of an older one are ignored. */
  private generation = 0;
  private subscription: number | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly invoke: () => TauriInvoke | undefined;
  private readonly transform: () => TauriTransformCallback | undefined;
  private readonly reconnectOptions: MizanReconnectOptions | undefined;

  constructor(
    invoke: () => TauriInvoke | undefined,
    transform: () => TauriTransformCallback | undefined,
    reconnectOptions: MizanReconnectOptions | undefined,
  ) {
    this.invoke = invoke;
    this.transform = transform;
    this.reconnectOptions = reconnectOptions;
  }

  attach(receiver: MizanPushReceiver): MizanPushAttachment {
    this.receivers.add(receiver);
    receiver.status(this.state);
    if (!this.active) {
      this.active = true;
      void this.subscribe(false);
    }
    return {
      // Every push is delivered over IPC: filtering an in-process channel saves nothing.
      watch: () => {},
      detach: () => {
        if (!this.receivers.delete(receiver) || this.receivers.size > 0) return;
        this.active = false;
        this.stop();
        this.setStatus("idle");
      },
    };
  }

  reconnect(): void {
    this.attempt = 0;
    if (this.active) void this.subscribe(false);
  }

  /** Ends the current subscription (if any): later messages are ignored, the server forgets it. */
  private stop(): void {
    this.generation++;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const id = this.subscription;
    this.subscription = undefined;
    const invoke = this.invoke();
    if (id !== undefined && invoke !== undefined) invoke(TAURI_UNSUBSCRIBE_COMMAND, { id }).catch(() => undefined);
  }

  private async subscribe(retrying: boolean): Promise<void> {
    this.stop();
    const gen = this.generation;
    const invoke = this.invoke();
    const transform = this.transform();
    if (invoke === undefined || transform === undefined) {
      this.setStatus("idle");
      return;
    }
    this.setStatus(retrying ? "reconnecting" : "connecting");
    const channel = tauriChannel(
      transform,
      (message) => {
        if (gen !== this.generation || !isObject(message)) return;
        for (const r of [...this.receivers]) r.push(message as unknown as MizanPush);
      },
      () => {
        if (gen === this.generation) this.retry(gen);
      },
    );
    let id: unknown;
    try {
      id = await invoke(TAURI_SUBSCRIBE_COMMAND, { channel });
    } catch (e) {
      if (gen !== this.generation) return;
      if (MizanError.fromEnvelope(e)?.code === "UNAUTHORIZED") this.setStatus("unauthorized");
      else this.retry(gen);
      return;
    }
    if (gen !== this.generation) {
      // Detached or resubscribed meanwhile: release this one.
      if (typeof id === "number") invoke(TAURI_UNSUBSCRIBE_COMMAND, { id }).catch(() => undefined);
      return;
    }
    this.subscription = typeof id === "number" ? id : undefined;
    this.attempt = 0;
    this.setStatus("connected");
  }

  private retry(gen: number): void {
    const initial = Math.max(1, this.reconnectOptions?.initialDelayMs ?? 250);
    const max = Math.max(initial, this.reconnectOptions?.maxDelayMs ?? 10_000);
    const delay = Math.min(max, initial * 2 ** this.attempt) * (0.5 + Math.random());
    this.attempt = Math.min(this.attempt + 1, 30);
    this.subscription = undefined;
    this.setStatus("reconnecting");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (gen === this.generation && this.active) void this.subscribe(true);
    }, delay);
  }

  private setStatus(status: MizanConnectionStatus): void {
    if (status === this.state) return;
    this.state = status;
    for (const r of [...this.receivers]) r.status(status);
  }
}

/**
 * The Tauri IPC transport: one plugin command, `plugin:mizan|mizan_invoke`,
 * and pushes through a channel opened with `plugin:mizan|mizan_subscribe`.
 * By default it uses the webview's `window.__TAURI_INTERNALS__` (what
 * `@tauri-apps/api/core` wraps), so generated code needs no npm
 * dependency; pass `invoke` to use another. Uploads travel as
 * `{filename, content_type, base64}`.
 */
export function tauriTransport(options: TauriTransportOptions = {}): MizanTransport {
  const invokeFn = (): TauriInvoke | undefined => options.invoke ?? tauriInternals()?.invoke;
  const transformFn = (): TauriTransformCallback | undefined =>
    options.transformCallback ?? tauriInternals()?.transformCallback;
  const invoke = async (envelope: { [key: string]: unknown }): Promise<unknown> => {
    const fn = invokeFn();
    if (fn === undefined) throw new MizanError("NO_TRANSPORT", "not running inside a Tauri webview");
    try {
      return await fn(TAURI_COMMAND, { envelope });
    } catch (e) {
      throw MizanError.fromEnvelope(e) ?? new MizanError("INTERNAL_ERROR", typeof e === "string" ? e : String(e));
    }
  };
  return {
    push: new TauriPushSource(invokeFn, transformFn, options.reconnect),
    async call(fn, args, request) {
      const envelope: { [key: string]: unknown } = { op: "call", fn, args: await argsWithUploads(args) };
      if (request?.client !== undefined) envelope["client"] = request.client;
      const body = await invoke(envelope);
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
