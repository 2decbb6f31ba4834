{{ header }}{% raw %}/**
 * The Mizan client kernel: the one place that talks to the backend and owns
 * the reconciled view of every context instance. Framework adapters
 * (React, Vue, Svelte) are thin wrappers over {@link MizanClient}.
 *
 * - One instance per (context, params): `{data, status, error}`.
 * - Subscriptions: an instance is *mounted* while it has listeners; only
 *   mounted instances are refetched, others are marked stale and refetched
 *   when mounted again.
 * - A successful call's `merge` entries are spliced into cached slots at
 *   once (no network); its `invalidate` entries are batched per tick and
 *   de-duplicated: one fetch per instance. A failed call changes nothing.
 * - Context fetches retry twice on network errors and 5xx (except 501) with
 *   exponential back-off; calls never retry.
 * - Pushes (SPEC §3.1): while an instance is mounted the client attaches to
 *   its transport's push source (the WebSocket, a Tauri channel) and applies
 *   every push like a mutation response, except the ones its own calls
 *   caused (same client id). After a reconnection every mounted instance is
 *   refetched (pushes may have been missed); the connection status is
 *   observable (`connectionStatus`, `subscribeStatus`).
 * - Transports (`transport.ts`: HTTP and Tauri IPC; `websocket.ts`) only
 *   move bytes; this file does no I/O of its own.
 *
 * No dependencies: plain TypeScript for browsers, Node 18+ and Tauri
 * webviews.
 */

/** Any JSON value. */
export type MizanJson = null | boolean | number | string | MizanJson[] | { [key: string]: MizanJson };

/** Lifecycle of one context instance. */
export type MizanStatus = "idle" | "loading" | "success" | "error";

/**
 * The reconciled state of one (context, params) instance. Objects are
 * immutable: a change produces a new object, so identity comparison tells
 * whether anything changed.
 */
export interface MizanState<T> {
  /** The last data received (kept while refetching and after a failed refetch). */
  readonly data: T | undefined;
  /** `loading` until the first data arrives; `success`/`error` after. */
  readonly status: MizanStatus;
  /** The error of the last fetch, when it failed. */
  readonly error: MizanError | undefined;
  /** True while a fetch is in flight (also during background refetches). */
  readonly isFetching: boolean;
}

/** A context param value as the kernel sees it. */
export type MizanParamValue = string | number | boolean | null;

/** Context params; `undefined` values are treated as absent. */
export type MizanParams = { readonly [key: string]: MizanParamValue | undefined };

/** One entry of a response's `invalidate` list. */
export type MizanInvalidation =
  | string
  | { readonly context: string; readonly function?: string; readonly params?: { readonly [key: string]: unknown } };

/** One entry of a response's `merge` list. */
export interface MizanMerge {
  /** The context whose cached data is patched. */
  readonly context: string;
  /** The member whose result slot receives the value. */
  readonly slot: string;
  /** The mutation's result. */
  readonly value: unknown;
  /** Only instances matching these params. */
  readonly params?: { readonly [key: string]: unknown };
}

/** The body of a successful call. */
export interface MizanCallResponse {
  /** The function's result. */
  readonly result: unknown;
  /** Contexts to refetch. */
  readonly invalidate?: readonly MizanInvalidation[];
  /** Slots to patch in place. */
  readonly merge?: readonly MizanMerge[];
}

/** What the kernel tells its transport about one request. */
export interface MizanRequestOptions {
  /** The kernel's client id: `X-Mizan-Client` over HTTP, `"client"` in WebSocket and IPC envelopes. */
  readonly client?: string | undefined;
  /** The function (or context) is declared `transport websocket`. */
  readonly websocket?: boolean | undefined;
}

/** State of the push connection (SPEC §3.1). */
export type MizanConnectionStatus =
  /** No push connection: none configured, push disabled, or nothing mounted. */
  | "idle"
  /** Opening the connection (and authenticating). */
  | "connecting"
  /** Pushes arrive. */
  | "connected"
  /** The connection dropped; retrying with back-off. */
  | "reconnecting"
  /** The server refused the credentials (WebSocket close code 4401); no retry until `reconnect()`. */
  | "unauthorized";

/** A server push: applied exactly like a mutation response. */
export interface MizanPush {
  /** Always `"push"`. */
  readonly op: "push";
  /** Contexts to refetch. */
  readonly invalidate?: readonly MizanInvalidation[];
  /** Slots to patch in place. */
  readonly merge?: readonly MizanMerge[];
  /** The mutation that caused it, when it was a call. */
  readonly fn?: string;
  /** The client id of the caller, when it sent one. */
  readonly client?: string;
}

/** What a push source reports to one attached client. */
export interface MizanPushReceiver {
  /** A push arrived. */
  push(message: MizanPush): void;
  /** The connection status changed (also called once, at once, when attached). */
  status(status: MizanConnectionStatus): void;
}

/** The handle of an attached {@link MizanPushReceiver}. */
export interface MizanPushAttachment {
  /** The contexts this receiver holds data of (the server then pushes only those). */
  watch(contexts: readonly string[]): void;
  /** Stops delivering to the receiver; the connection closes when nothing needs it. */
  detach(): void;
}

/** A connection delivering pushes: the WebSocket (`websocket.ts`) or a Tauri channel. */
export interface MizanPushSource {
  /** Attaches a receiver; the connection is kept open while one is attached. */
  attach(receiver: MizanPushReceiver): MizanPushAttachment;
  /** Drops the connection and opens it again with fresh credentials (after a login or logout). */
  reconnect?(): void;
}

/** What a transport must do; the kernel adds state, batching and retries. */
export interface MizanTransport {
  /** Calls a function; rejects with a {@link MizanError}. */
  call(fn: string, args: { readonly [key: string]: unknown }, options?: MizanRequestOptions): Promise<MizanCallResponse>;
  /** Fetches a whole context; rejects with a {@link MizanError}. */
  fetchContext(context: string, params: MizanParams, options?: MizanRequestOptions): Promise<{ [member: string]: unknown }>;
  /** Server pushes, when the transport can receive them. */
  readonly push?: MizanPushSource | undefined;
  /** Closes the transport's connections (they reopen when used again). */
  close?(): void;
}

/** Error codes produced by the client itself (the server's are SPEC §3's). */
export const CLIENT_ERROR_CODES = ["NETWORK_ERROR", "BAD_RESPONSE", "NO_TRANSPORT"] as const;

/** Any failure: a server error envelope, a network failure or a bad response. */
export class MizanError extends Error {
  /** `NOT_FOUND`, `VALIDATION_ERROR`, ..., or one of {@link CLIENT_ERROR_CODES}. */
  readonly code: string;
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;
  /** Structured details (`fields` for validation errors). */
  readonly details: { readonly [key: string]: unknown } | undefined;

  constructor(
    code: string,
    message: string,
    options: { status?: number | undefined; details?: { readonly [key: string]: unknown } | undefined; cause?: unknown } = {},
  ) {
    // ES2020-safe: the two-argument `Error` constructor is ES2022, so the
    // cause is set as the same non-enumerable own property it would create.
    super(message);
    if (options.cause !== undefined) {
      Object.defineProperty(this, "cause", { value: options.cause, writable: true, configurable: true, enumerable: false });
    }
    this.name = "MizanError";
    this.code = code;
    this.status = options.status;
    this.details = options.details;
  }

  /** Network failures and 5xx (except 501) are worth retrying for reads. */
  get retryable(): boolean {
    if (this.code === "NETWORK_ERROR") return true;
    return this.status !== undefined && this.status >= 500 && this.status !== 501;
  }

  /**
   * The error of a wire error envelope (`{"error": {code, message, details?}}`
   * or the bare `{code, message, details?}`), or `undefined` when `body` is not one.
   */
  static fromEnvelope(body: unknown, status?: number): MizanError | undefined {
    const inner = isObject(body) && isObject(body["error"]) ? body["error"] : body;
    if (!isObject(inner) || typeof inner["code"] !== "string") return undefined;
    const code = inner["code"];
    const message = typeof inner["message"] === "string" ? inner["message"] : code;
    const details = isObject(inner["details"]) ? inner["details"] : undefined;
    return new MizanError(code, message, { status, details });
  }
}

/** Characters of a client id (SPEC §3.1: 1–64 of `A-Z a-z 0-9 - _ . :`). */
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * A fresh random client id: `crypto.randomUUID()` when available, else 32
 * random hex digits (`crypto.getRandomValues`, else `Math.random`).
 */
export function newClientId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string; getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof c?.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Turns anything thrown into a {@link MizanError}. */
export function toMizanError(e: unknown): MizanError {
  if (e instanceof MizanError) return e;
  if (e instanceof Error) return new MizanError("INTERNAL_ERROR", e.message, { cause: e });
  return new MizanError("INTERNAL_ERROR", String(e));
}

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * A value as the protocol compares it (the core's `S(v)`): strings as-is,
 * numbers and booleans in their JavaScript form, null as `"null"`, arrays
 * and objects as canonical JSON (keys sorted by code point at every level,
 * no whitespace), so `{a, b}` and `{b, a}` are one instance and one cache key.
 */
export function paramString(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null || v === undefined) return "null";
  return canonicalJson(v);
}

/** Compares strings by code point (UTF-16 code units misorder astral characters). */
function byCodePoint(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i]?.codePointAt(0) ?? 0) - (y[i]?.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Canonical JSON (SPEC §6): `JSON.stringify` with every object's keys sorted by code point. */
export function canonicalJson(v: unknown): string {
  // Values with `toJSON` (a `Date`) serialize as `JSON.stringify` would.
  if (isObject(v) && typeof v["toJSON"] === "function") return canonicalJson((v["toJSON"] as () => unknown)());
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  if (isObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort(byCodePoint);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

/** The defined entries of `params`, sorted by key. */
export function paramEntries(params: { readonly [key: string]: unknown }): [string, unknown][] {
  return Object.keys(params)
    .filter((k) => params[k] !== undefined)
    .sort()
    .map((k) => [k, params[k]]);
}

/** A stable key for (context, params): values compared as strings. */
export function instanceKey(context: string, params: MizanParams): string {
  return JSON.stringify([context, paramEntries(params).map(([k, v]) => [k, paramString(v)])]);
}

/**
 * Whether an instance with `params` is hit by an entry scoped to `scope`:
 * every key of the scope must match as a string. A key the instance does
 * not set (an optional param left to its server default) counts as a match:
 * refetching once too often is better than keeping stale data.
 */
export function paramsMatch(params: MizanParams, scope: { readonly [key: string]: unknown } | undefined): boolean {
  if (scope === undefined) return true;
  for (const k of Object.keys(scope)) {
    const mine = params[k];
    if (mine === undefined) continue;
    if (paramString(mine) !== paramString(scope[k])) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

/** What the generated code knows about the API, used by the kernel at run time. */
export interface MizanSchema {
  /** Per context, per list slot: the identity field merge upserts match on. */
  readonly identities: { readonly [context: string]: { readonly [slot: string]: string } };
  /** The functions and contexts declared `transport websocket`. */
  readonly websocket?: { readonly functions: readonly string[]; readonly contexts: readonly string[] } | undefined;
}

/** The typed surface of an API: generated as `Api` in `client.ts`. */
export type MizanApi = {
  functions: { [name: string]: { args: object; result: unknown } };
  contexts: { [name: string]: { params: object; data: object } };
};

/** Options of {@link MizanClient}. */
export interface MizanClientOptions {
  /** How requests travel (`httpTransport()` or `tauriTransport()` from `transport.ts`). */
  transport: MizanTransport;
  /** Identity fields for merges (the generated `schema`). */
  schema?: MizanSchema | undefined;
  /** Context fetch retries: `retries` (default 2) and the first back-off `delayMs` (default 300, doubled each time). */
  retry?: { retries?: number | undefined; delayMs?: number | undefined } | undefined;
  /** How long an unmounted instance keeps its data (default 5 minutes). */
  gcTimeMs?: number | undefined;
  /** Apply server pushes when the transport offers them (default `true`). */
  push?: boolean | undefined;
  /**
   * How long the push connection stays attached after the last instance
   * unmounts (default 1000 ms), so a remount (navigation, React StrictMode)
   * does not reconnect.
   */
  pushLingerMs?: number | undefined;
  /** This client's id (default: {@link newClientId}); 1–64 of `A-Z a-z 0-9 - _ . :`. */
  clientId?: string | undefined;
}

const IDLE: MizanState<never> = Object.freeze({
  data: undefined,
  status: "idle",
  error: undefined,
  isFetching: false,
});

interface Instance {
  readonly key: string;
  readonly context: string;
  readonly params: MizanParams;
  state: MizanState<unknown>;
  readonly listeners: Set<() => void>;
  inFlight: Promise<void> | undefined;
  /** Invalidated while in flight or unmounted: fetch again when possible. */
  stale: boolean;
  gcTimer: ReturnType<typeof setTimeout> | undefined;
}

function unrefTimer(t: ReturnType<typeof setTimeout>): void {
  (t as unknown as { unref?: () => void }).unref?.();
}

/**
 * The reconciled client. Typed by the generated `Api`; use the generated
 * `createMizanClient()` rather than constructing it directly.
 */
export class MizanClient<A extends MizanApi = MizanApi> {
  /**
   * This client's random id, sent with its calls. A push carrying it was
   * caused by this client, whose own response already applied it: skipped.
   */
  readonly clientId: string;
  private readonly transport: MizanTransport;
  private readonly schema: MizanSchema;
  private readonly retries: number;
  private readonly delayMs: number;
  private readonly gcTimeMs: number;
  private readonly instances = new Map<string, Map<string, Instance>>();
  private pending: MizanInvalidation[] = [];
  private flushScheduled = false;
  private readonly wsFunctions: ReadonlySet<string>;
  private readonly wsContexts: ReadonlySet<string>;
  private readonly pushEnabled: boolean;
  private readonly pushLingerMs: number;
  /** Instances with at least one listener. */
  private mountedCount = 0;
  private attachment: MizanPushAttachment | undefined;
  private detachTimer: ReturnType<typeof setTimeout> | undefined;
  private watchScheduled = false;
  private status: MizanConnectionStatus = "idle";
  private everConnected = false;
  private readonly statusListeners = new Set<() => void>();

  constructor(options: MizanClientOptions) {
    this.transport = options.transport;
    this.schema = options.schema ?? { identities: {} };
    this.retries = Math.max(0, options.retry?.retries ?? 2);
    this.delayMs = Math.max(0, options.retry?.delayMs ?? 300);
    this.gcTimeMs = options.gcTimeMs ?? 5 * 60 * 1000;
    this.wsFunctions = new Set(this.schema.websocket?.functions ?? []);
    this.wsContexts = new Set(this.schema.websocket?.contexts ?? []);
    this.pushEnabled = options.push ?? true;
    this.pushLingerMs = Math.max(0, options.pushLingerMs ?? 1000);
    const id = options.clientId ?? newClientId();
    if (!CLIENT_ID.test(id)) throw new MizanError("BAD_REQUEST", `invalid client id ${JSON.stringify(id)}: 1-64 of A-Z a-z 0-9 - _ . :`);
    this.clientId = id;
  }

  /** The push connection's status: `idle` while nothing is mounted or push is off. */
  get connectionStatus(): MizanConnectionStatus {
    return this.status;
  }

  /** Runs `listener` after every change of {@link connectionStatus}; returns the unsubscribe function. */
  subscribeStatus(listener: () => void): () => void {
    this.statusListeners.add(listener);
    return () => {
      this.statusListeners.delete(listener);
    };
  }

  /**
   * Drops the push connection and opens it again, reading the credentials
   * anew: after a login or logout, or to leave `unauthorized`.
   */
  reconnect(): void {
    this.transport.push?.reconnect?.();
  }

  /** Detaches from pushes and closes the transport's connections (e.g. at the end of a script). */
  close(): void {
    if (this.detachTimer !== undefined) clearTimeout(this.detachTimer);
    this.detachTimer = undefined;
    this.detachPush();
    this.transport.close?.();
  }

  /**
   * Calls a function. On success its merges are applied at once and its
   * invalidations are queued for this tick's batch; on failure (a rejected
   * promise with a {@link MizanError}) nothing is invalidated. Never retried.
   */
  async call<F extends keyof A["functions"] & string>(
    fn: F,
    args: A["functions"][F]["args"],
  ): Promise<A["functions"][F]["result"]> {
    let response: MizanCallResponse;
    try {
      response = await this.transport.call(fn, args as { [key: string]: unknown }, {
        client: this.clientId,
        websocket: this.wsFunctions.has(fn),
      });
    } catch (e) {
      throw toMizanError(e);
    }
    if (response.merge !== undefined && response.merge.length > 0) this.applyMerges(response.merge);
    if (response.invalidate !== undefined && response.invalidate.length > 0) this.invalidate(response.invalidate);
    return response.result as A["functions"][F]["result"];
  }

  /** Fetches a context once (with retries), bypassing the reconciled state. */
  fetchContext<C extends keyof A["contexts"] & string>(
    context: C,
    params: A["contexts"][C]["params"],
  ): Promise<A["contexts"][C]["data"]> {
    return this.fetchWithRetry(context, params as MizanParams) as Promise<A["contexts"][C]["data"]>;
  }

  /** The current state of an instance (a shared idle state when unknown). Never fetches. */
  getState<C extends keyof A["contexts"] & string>(
    context: C,
    params: A["contexts"][C]["params"],
  ): MizanState<A["contexts"][C]["data"]> {
    const inst = this.instances.get(context)?.get(instanceKey(context, params as MizanParams));
    return (inst?.state ?? IDLE) as MizanState<A["contexts"][C]["data"]>;
  }

  /**
   * Mounts an instance: `listener` runs after every state change. The first
   * subscriber of an idle or stale instance starts a fetch. Returns the
   * unsubscribe function.
   */
  subscribe<C extends keyof A["contexts"] & string>(
    context: C,
    params: A["contexts"][C]["params"],
    listener: () => void,
  ): () => void {
    const inst = this.instance(context, params as MizanParams);
    // A listener function may subscribe twice; each subscription counts.
    const entry = () => listener();
    inst.listeners.add(entry);
    if (inst.gcTimer !== undefined) {
      clearTimeout(inst.gcTimer);
      inst.gcTimer = undefined;
    }
    if (inst.listeners.size === 1) this.mounted(1);
    if (inst.state.status === "idle" || inst.stale) void this.load(inst);
    return () => {
      if (!inst.listeners.delete(entry) || inst.listeners.size > 0) return;
      this.mounted(-1);
      inst.gcTimer = setTimeout(() => this.collect(inst), this.gcTimeMs);
      unrefTimer(inst.gcTimer);
    };
  }

  /** Refetches the mounted instances of `context` (matching `params` when given) now. */
  refetch<C extends keyof A["contexts"] & string>(
    context: C,
    params?: Partial<A["contexts"][C]["params"]>,
  ): Promise<void> {
    const loads: Promise<void>[] = [];
    for (const inst of this.instances.get(context)?.values() ?? []) {
      if (paramsMatch(inst.params, params as MizanParams | undefined) && inst.listeners.size > 0) {
        loads.push(this.load(inst));
      }
    }
    return Promise.all(loads).then(() => undefined);
  }

  /**
   * Queues invalidation entries (from a response, an `X-Mizan-Invalidate`
   * header parsed by the app, or by hand). Entries of one tick are batched
   * into one fetch per instance.
   */
  invalidate(entries: readonly MizanInvalidation[]): void {
    this.pending.push(...entries);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.flush());
  }

  /** Splices merge entries into the cached data of matching instances. */
  applyMerges(entries: readonly MizanMerge[]): void {
    for (const m of entries) {
      // Registered only for list slots (the element type's identity field).
      const identity = this.schema.identities[m.context]?.[m.slot];
      for (const inst of this.instances.get(m.context)?.values() ?? []) {
        if (!paramsMatch(inst.params, m.params)) continue;
        // A fetch in flight may predate the mutation: fetch again after it.
        if (inst.inFlight !== undefined) inst.stale = true;
        const data = inst.state.data;
        if (!isObject(data)) continue;
        const spliced = spliceSlot(data[m.slot], m.value, identity);
        if (spliced === data[m.slot] && m.slot in data) continue;
        const next = { ...data, [m.slot]: spliced };
        this.setState(inst, { ...inst.state, data: next });
      }
    }
  }

  /** Drops every instance and pending invalidation (e.g. on logout). */
  clear(): void {
    for (const byKey of this.instances.values()) {
      for (const inst of byKey.values()) if (inst.gcTimer !== undefined) clearTimeout(inst.gcTimer);
    }
    this.instances.clear();
    this.pending = [];
    this.scheduleWatch();
  }

  /** Applies a push like a mutation response, unless this client's own call caused it. */
  private onPush(push: MizanPush): void {
    if (push.client !== undefined && push.client === this.clientId) return;
    if (Array.isArray(push.merge) && push.merge.length > 0) this.applyMerges(push.merge);
    if (Array.isArray(push.invalidate) && push.invalidate.length > 0) this.invalidate(push.invalidate);
  }

  /** Tracks the mounted instances: attached to pushes while there is one (and a while after). */
  private mounted(delta: 1 | -1): void {
    this.mountedCount += delta;
    if (this.mountedCount > 0) {
      if (this.detachTimer !== undefined) clearTimeout(this.detachTimer);
      this.detachTimer = undefined;
      this.attachPush();
    } else if (this.attachment !== undefined && this.detachTimer === undefined) {
      this.detachTimer = setTimeout(() => {
        this.detachTimer = undefined;
        if (this.mountedCount === 0) this.detachPush();
      }, this.pushLingerMs);
      unrefTimer(this.detachTimer);
    }
  }

  private attachPush(): void {
    const source = this.transport.push;
    if (!this.pushEnabled || source === undefined || this.attachment !== undefined) return;
    this.attachment = source.attach({
      push: (message) => this.onPush(message),
      status: (status) => this.setConnectionStatus(status),
    });
    this.attachment.watch(this.watchedContexts());
  }

  private detachPush(): void {
    const attachment = this.attachment;
    if (attachment === undefined) return;
    this.attachment = undefined;
    attachment.detach();
    // Pushes are no longer heard: the next connection resynchronizes.
    this.setConnectionStatus("idle");
  }

  private setConnectionStatus(status: MizanConnectionStatus): void {
    if (status === this.status) return;
    this.status = status;
    if (status === "connected") {
      // Pushes may have been missed while the connection was down (or
      // while detached): refetch what is mounted, mark the rest stale.
      if (this.everConnected) this.resync();
      this.everConnected = true;
    }
    for (const l of [...this.statusListeners]) l();
  }

  private resync(): void {
    for (const byKey of this.instances.values()) {
      for (const inst of byKey.values()) {
        if (inst.listeners.size > 0) void this.load(inst);
        else inst.stale = true;
      }
    }
  }

  /** Contexts this client holds instances of, mounted or cached. */
  private watchedContexts(): string[] {
    const out: string[] = [];
    for (const [context, byKey] of this.instances) if (byKey.size > 0) out.push(context);
    return out.sort();
  }

  private scheduleWatch(): void {
    if (this.attachment === undefined || this.watchScheduled) return;
    this.watchScheduled = true;
    queueMicrotask(() => {
      this.watchScheduled = false;
      this.attachment?.watch(this.watchedContexts());
    });
  }

  private instance(context: string, params: MizanParams): Instance {
    const key = instanceKey(context, params);
    let byKey = this.instances.get(context);
    if (byKey === undefined) {
      byKey = new Map();
      this.instances.set(context, byKey);
    }
    let inst = byKey.get(key);
    if (inst === undefined) {
      const own: { [key: string]: MizanParamValue } = {};
      for (const [k, v] of paramEntries(params)) own[k] = v as MizanParamValue;
      inst = {
        key,
        context,
        params: Object.freeze(own),
        state: IDLE,
        listeners: new Set(),
        inFlight: undefined,
        stale: false,
        gcTimer: undefined,
      };
      byKey.set(key, inst);
      if (byKey.size === 1) this.scheduleWatch();
    }
    return inst;
  }

  private collect(inst: Instance): void {
    inst.gcTimer = undefined;
    if (inst.listeners.size > 0 || inst.inFlight !== undefined) return;
    const byKey = this.instances.get(inst.context);
    byKey?.delete(inst.key);
    if (byKey?.size === 0) {
      this.instances.delete(inst.context);
      this.scheduleWatch();
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const entries = this.pending;
    this.pending = [];
    const hit = new Set<Instance>();
    for (const e of entries) {
      const context = typeof e === "string" ? e : e.context;
      const scope = typeof e === "string" ? undefined : e.params;
      for (const inst of this.instances.get(context)?.values() ?? []) {
        if (paramsMatch(inst.params, scope)) hit.add(inst);
      }
    }
    for (const inst of hit) {
      if (inst.listeners.size > 0) void this.load(inst);
      else inst.stale = true;
    }
  }

  private load(inst: Instance): Promise<void> {
    if (inst.inFlight !== undefined) {
      inst.stale = true;
      return inst.inFlight;
    }
    inst.stale = false;
    const loading = inst.state.data === undefined ? "loading" : inst.state.status;
    this.setState(inst, { ...inst.state, status: loading, isFetching: true });
    const run = this.fetchWithRetry(inst.context, inst.params).then(
      (data) => this.setState(inst, { data, status: "success", error: undefined, isFetching: false }),
      (e: unknown) => this.setState(inst, { ...inst.state, status: "error", error: toMizanError(e), isFetching: false }),
    );
    inst.inFlight = run.finally(() => {
      inst.inFlight = undefined;
      if (inst.stale && inst.listeners.size > 0) void this.load(inst);
    });
    return inst.inFlight;
  }

  private async fetchWithRetry(context: string, params: MizanParams): Promise<{ [member: string]: unknown }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.transport.fetchContext(context, params, {
          client: this.clientId,
          websocket: this.wsContexts.has(context),
        });
      } catch (e) {
        const err = toMizanError(e);
        if (!err.retryable || attempt >= this.retries) throw err;
        await new Promise<void>((resolve) => setTimeout(resolve, this.delayMs * 2 ** attempt));
      }
    }
  }

  private setState(inst: Instance, state: MizanState<unknown>): void {
    inst.state = Object.freeze(state);
    for (const l of [...inst.listeners]) l();
  }
}

/**
 * The new value of a slot after a merge: a list value replaces the slot; a
 * single value merged into a list replaces the element with the same
 * identity field, else is appended (upsert); an empty (`null` or absent)
 * registered list slot becomes `[value]`; a `null` is never put into a
 * list; anything else replaces the slot. `identity` is the slot's
 * registered identity field (list slots only); unregistered lists match on
 * `id`. The same rules as the Rust kernel (`tests/merge_cases.json`).
 */
export function spliceSlot(current: unknown, value: unknown, identity: string | undefined): unknown {
  if (Array.isArray(value)) return value;
  const isList = identity !== undefined || Array.isArray(current);
  if (value === null && isList) return current;
  if (!Array.isArray(current)) return identity !== undefined && current == null ? [value] : value;
  const field = identity ?? "id";
  const id = isObject(value) ? value[field] : undefined;
  if (id === undefined) return [...current, value];
  const at = current.findIndex((el) => isObject(el) && paramString(el[field]) === paramString(id));
  if (at < 0) return [...current, value];
  const next = current.slice();
  next[at] = value;
  return next;
}
{% endraw %}
