{{ header }}{% raw %}/**
 * The WebSocket connection of the Mizan client (SPEC §3.1): `GET {base}/ws/`
 * carries the server's pushes and the calls and fetches of functions
 * declared `transport websocket`. One {@link MizanSocket} per transport:
 *
 * - opened while something needs it (an attached client, a request in
 *   flight), closed `idleCloseMs` after nothing does;
 * - first frame `{"op": "auth", "token"}` when a token is configured
 *   (browsers cannot set headers on a WebSocket); requests wait for the
 *   server's `{"op": "auth", "ok": true}`; close code 4401 is
 *   `unauthorized`, with no retry until `reconnect()`;
 * - reconnects after a drop with jittered exponential back-off (250 ms
 *   doubling to 10 s, ±50%); requests that were in flight on a dropped
 *   connection fail with `NETWORK_ERROR` (calls are never resent).
 *
 * Like every transport it only moves frames: applying pushes, refetching
 * after a reconnect and retrying fetches belong to the kernel.
 */

import {
  MizanError,
  paramEntries,
  type MizanCallResponse,
  type MizanConnectionStatus,
  type MizanParams,
  type MizanPush,
  type MizanPushAttachment,
  type MizanPushReceiver,
  type MizanPushSource,
} from "./kernel.js";

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A token, or a function returning the current one (read at each connection). */
export type MizanTokenSource = string | (() => string | null | undefined | Promise<string | null | undefined>);

/** Reads a token source; `undefined` when there is no token. */
export async function readToken(source: MizanTokenSource | undefined): Promise<string | undefined> {
  const token = typeof source === "function" ? await source() : source;
  return typeof token === "string" && token !== "" ? token : undefined;
}

/**
 * Any WebSocket constructor with the standard API: the browser's, Node 22's
 * global, or the `ws` package's (for Node 20).
 */
export type MizanWebSocketConstructor = new (url: string) => unknown;

/** The part of the standard WebSocket API used here. */
interface Ws {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number }) => void) | null;
  onerror: (() => void) | null;
}

/** The WebSocket constructor of this environment, if any. */
export function globalWebSocket(): MizanWebSocketConstructor | undefined {
  const ws = (globalThis as { WebSocket?: MizanWebSocketConstructor }).WebSocket;
  return typeof ws === "function" ? ws : undefined;
}

/**
 * The WebSocket URL of an HTTP base: `http` → `ws`, `https` → `wss`, plus
 * `/ws/`; a relative base resolves against the page's `location`.
 * `undefined` when it cannot be resolved (a relative base outside a page).
 */
export function websocketUrl(baseUrl: string): string | undefined {
  const base = `${baseUrl.replace(/\/+$/, "")}/ws/`;
  const page = (globalThis as { location?: { href?: unknown } }).location?.href;
  let url: URL;
  try {
    url = typeof page === "string" ? new URL(base, page) : new URL(base);
  } catch {
    return undefined;
  }
  if (url.protocol === "http:") url.protocol = "ws:";
  else if (url.protocol === "https:") url.protocol = "wss:";
  else if (url.protocol !== "ws:" && url.protocol !== "wss:") return undefined;
  url.hash = "";
  return url.toString();
}

/** A `Blob` (or `File`) as it travels over WebSocket and IPC: `{filename, content_type, base64}`. */
export async function uploadJson(blob: Blob): Promise<{ filename: string; content_type: string; base64: string }> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = "";
  // In chunks: `String.fromCharCode(...bytes)` overflows the stack on large files.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return { filename: uploadName(blob), content_type: blob.type || "application/octet-stream", base64: btoa(binary) };
}

/** The file name of an upload: a `File`'s name, else `blob`. */
export function uploadName(blob: Blob): string {
  const name = (blob as { name?: unknown }).name;
  return typeof name === "string" && name !== "" ? name : "blob";
}

/** Whether `v` is a `Blob` (a `File` is one). */
export function isBlob(v: unknown): v is Blob {
  return typeof Blob !== "undefined" && v instanceof Blob;
}

/** Arguments with every `Blob` replaced by its {@link uploadJson} form. */
export async function argsWithUploads(args: { readonly [key: string]: unknown }): Promise<{ [key: string]: unknown }> {
  const wire: { [key: string]: unknown } = {};
  for (const k of Object.keys(args)) {
    const v = args[k];
    wire[k] = isBlob(v) ? await uploadJson(v) : v;
  }
  return wire;
}

/** Back-off between reconnection attempts. */
export interface MizanReconnectOptions {
  /** The first delay (default 250 ms), doubled at each failed attempt. */
  initialDelayMs?: number | undefined;
  /** The longest delay (default 10 s). */
  maxDelayMs?: number | undefined;
}

/** Options of {@link MizanSocket}. */
export interface MizanSocketOptions {
  /** `ws://…/ws/` or `wss://…/ws/` (see {@link websocketUrl}). */
  url: string;
  /** The WebSocket implementation (default: the global one). */
  WebSocket?: MizanWebSocketConstructor | undefined;
  /** The MWT sent in the first frame, read at every connection. */
  token?: MizanTokenSource | undefined;
  /** Reconnection back-off. */
  reconnect?: MizanReconnectOptions | undefined;
  /** How long the socket stays open once nothing needs it (default 5 s). */
  idleCloseMs?: number | undefined;
}

/** WebSocket close code of a refused token (SPEC §3.1). */
export const WS_CLOSE_UNAUTHORIZED = 4401;

/** WebSocket close code of a frame over the server's limit (RFC 6455 "message too big"). */
export const WS_CLOSE_TOO_BIG = 1009;

interface Waiter {
  resolve(frame: { [key: string]: unknown }): void;
  reject(error: MizanError): void;
}

interface Receiver {
  readonly receiver: MizanPushReceiver;
  contexts: readonly string[] | undefined;
}

function unref(t: ReturnType<typeof setTimeout>): void {
  (t as unknown as { unref?: () => void }).unref?.();
}

/** One WebSocket connection to `{base}/ws/`: requests, pushes, reconnection, status. */
export class MizanSocket implements MizanPushSource {
  private readonly url: string;
  private readonly Ctor: MizanWebSocketConstructor | undefined;
  private readonly token: MizanTokenSource | undefined;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly idleCloseMs: number;
  private ws: Ws | undefined;
  /** Bumped for every socket: events of an older one are ignored. */
  private generation = 0;
  /** Open and authenticated: frames go out at once. */
  private ready = false;
  /** The last connection dropped: the next attempt is a reconnection. */
  private dropped = false;
  private attempt = 0;
  private state: MizanConnectionStatus = "idle";
  private nextId = 1;
  private readonly waiting = new Map<number, Waiter>();
  private outbox: string[] = [];
  private readonly receivers: Receiver[] = [];
  private lastWatch: string | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: MizanSocketOptions) {
    this.url = options.url;
    this.Ctor = options.WebSocket ?? globalWebSocket();
    this.token = options.token;
    this.initialDelayMs = Math.max(1, options.reconnect?.initialDelayMs ?? 250);
    this.maxDelayMs = Math.max(this.initialDelayMs, options.reconnect?.maxDelayMs ?? 10_000);
    this.idleCloseMs = Math.max(0, options.idleCloseMs ?? 5000);
  }

  /** The connection status. */
  get status(): MizanConnectionStatus {
    return this.state;
  }

  /** Calls a function over the socket (`{"id", "op": "call", "fn", "args", "client"?}`). */
  async call(fn: string, args: { readonly [key: string]: unknown }, client?: string): Promise<MizanCallResponse> {
    const frame: { [key: string]: unknown } = { op: "call", fn, args: await argsWithUploads(args) };
    if (client !== undefined) frame["client"] = client;
    const reply = await this.request(frame);
    if (!("result" in reply)) throw new MizanError("BAD_RESPONSE", "call response has no `result`");
    return reply as unknown as MizanCallResponse;
  }

  /** Fetches a context over the socket (`{"id", "op": "fetch", "context", "params"}`). */
  async fetchContext(context: string, params: MizanParams): Promise<{ [member: string]: unknown }> {
    const wire: { [key: string]: unknown } = {};
    for (const [k, v] of paramEntries(params)) wire[k] = v;
    const reply = await this.request({ op: "fetch", context, params: wire });
    const bundle = reply["result"];
    if (!isObject(bundle)) throw new MizanError("BAD_RESPONSE", "context response is not an object");
    return bundle;
  }

  attach(receiver: MizanPushReceiver): MizanPushAttachment {
    const entry: Receiver = { receiver, contexts: undefined };
    this.receivers.push(entry);
    receiver.status(this.state);
    this.need();
    return {
      watch: (contexts) => {
        entry.contexts = [...contexts];
        this.sendWatch();
      },
      detach: () => {
        const at = this.receivers.indexOf(entry);
        if (at < 0) return;
        this.receivers.splice(at, 1);
        this.sendWatch();
        this.maybeIdle();
      },
    };
  }

  /** Closes the connection and opens it again (fresh token); leaves `unauthorized`. */
  reconnect(): void {
    this.shutdown(new MizanError("NETWORK_ERROR", "the WebSocket connection was restarted"));
    this.dropped = false;
    this.attempt = 0;
    if (this.needed()) this.open();
    else this.setStatus("idle");
  }

  /** Closes the connection now; requests in flight fail. It reopens when needed again. */
  close(): void {
    this.shutdown(new MizanError("NETWORK_ERROR", "the WebSocket connection was closed"));
    this.dropped = false;
    this.attempt = 0;
    this.setStatus("idle");
  }

  private request(frame: { [key: string]: unknown }): Promise<{ [key: string]: unknown }> {
    if (this.state === "unauthorized") {
      return Promise.reject(new MizanError("UNAUTHORIZED", "the server refused this connection's credentials", { status: 401 }));
    }
    if (this.Ctor === undefined) return Promise.reject(new MizanError("NO_TRANSPORT", "no WebSocket implementation available"));
    const id = this.nextId++;
    const text = JSON.stringify({ id, ...frame });
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {
        resolve: (reply) => {
          this.waiting.delete(id);
          resolve(reply);
          this.maybeIdle();
        },
        reject: (error) => {
          this.waiting.delete(id);
          reject(error);
          this.maybeIdle();
        },
      });
      if (this.ready && this.ws !== undefined) this.ws.send(text);
      else this.outbox.push(text);
      this.need();
    });
  }

  private needed(): boolean {
    return this.receivers.length > 0 || this.waiting.size > 0;
  }

  /** Something needs the connection: cancel an idle close, open if closed. */
  private need(): void {
    if (this.idleTimer !== undefined) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
    if (this.ws === undefined && this.retryTimer === undefined && this.state !== "unauthorized") this.open();
  }

  private maybeIdle(): void {
    if (this.needed() || this.idleTimer !== undefined) return;
    if (this.ws === undefined && this.retryTimer === undefined) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.needed()) this.close();
    }, this.idleCloseMs);
    unref(this.idleTimer);
  }

  private open(): void {
    if (this.Ctor === undefined) return;
    const gen = ++this.generation;
    this.ready = false;
    this.lastWatch = undefined;
    this.setStatus(this.dropped ? "reconnecting" : "connecting");
    let ws: Ws;
    try {
      ws = new this.Ctor(this.url) as Ws;
    } catch {
      this.onClose(gen, 1006);
      return;
    }
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      if (gen === this.generation) void this.authenticate(gen, ws);
    };
    ws.onmessage = (ev) => {
      if (gen === this.generation) this.onFrame(ev.data);
    };
    ws.onclose = (ev) => this.onClose(gen, ev.code);
    ws.onerror = () => {
      // Browsers follow an error with a close event. Node 20's WebSocket
      // (undici) does not when the connection is refused, and stays
      // CONNECTING: a failure before `open` is a close here.
      if (opened || gen !== this.generation) return;
      this.onClose(gen, 1006);
      try {
        ws.close();
      } catch {
        // Not open: nothing to close.
      }
    };
  }

  private async authenticate(gen: number, ws: Ws): Promise<void> {
    let token: string | undefined;
    try {
      token = await readToken(this.token);
    } catch {
      token = undefined;
    }
    if (gen !== this.generation) return;
    if (token === undefined) {
      this.onReady();
      return;
    }
    // Requests wait in the outbox for `{"op": "auth", "ok": true}`.
    ws.send(JSON.stringify({ op: "auth", token }));
  }

  private onReady(): void {
    const ws = this.ws;
    if (ws === undefined) return;
    this.ready = true;
    this.dropped = false;
    this.attempt = 0;
    this.sendWatch();
    const frames = this.outbox;
    this.outbox = [];
    for (const f of frames) ws.send(f);
    this.setStatus("connected");
  }

  private onFrame(data: unknown): void {
    if (typeof data !== "string") return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      return;
    }
    if (!isObject(frame)) return;
    if (frame["op"] === "push") {
      for (const r of [...this.receivers]) r.receiver.push(frame as unknown as MizanPush);
      return;
    }
    if (frame["op"] === "auth") {
      if (frame["ok"] === true && !this.ready) this.onReady();
      return;
    }
    const id = frame["id"];
    if (typeof id !== "number") return;
    const waiter = this.waiting.get(id);
    if (waiter === undefined) return;
    if (frame["error"] !== undefined) {
      waiter.reject(
        MizanError.fromEnvelope(frame) ?? new MizanError("BAD_RESPONSE", "malformed error frame from the server"),
      );
    } else {
      waiter.resolve(frame);
    }
  }

  private onClose(gen: number, code: number): void {
    if (gen !== this.generation) return;
    this.ws = undefined;
    this.ready = false;
    this.generation++;
    if (code === WS_CLOSE_UNAUTHORIZED) {
      this.failAll(new MizanError("UNAUTHORIZED", "the server refused this connection's credentials", { status: 401 }));
      this.setStatus("unauthorized");
      return;
    }
    this.failAll(
      code === WS_CLOSE_TOO_BIG
        ? // The server refused a frame over its body limit, like HTTP's 413.
          new MizanError("BAD_REQUEST", "a message exceeded the server's size limit", { status: 413 })
        : new MizanError("NETWORK_ERROR", `the WebSocket connection closed (code ${code})`),
    );
    if (!this.needed()) {
      this.dropped = false;
      this.setStatus("idle");
      return;
    }
    this.dropped = true;
    this.setStatus("reconnecting");
    const delay = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** this.attempt) * (0.5 + Math.random());
    this.attempt = Math.min(this.attempt + 1, 30);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.needed()) this.open();
      else {
        this.dropped = false;
        this.setStatus("idle");
      }
    }, delay);
  }

  /** Closes the socket (its events are ignored from now on) and fails what waited on it. */
  private shutdown(error: MizanError): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.retryTimer = undefined;
    this.idleTimer = undefined;
    this.generation++;
    const ws = this.ws;
    this.ws = undefined;
    this.ready = false;
    if (ws !== undefined) {
      try {
        ws.close(1000);
      } catch {
        // Already closing.
      }
    }
    this.failAll(error);
  }

  private failAll(error: MizanError): void {
    this.outbox = [];
    for (const w of [...this.waiting.values()]) w.reject(error);
  }

  /** Sends the union of the receivers' contexts when it changed (none attached: no pushes). */
  private sendWatch(): void {
    if (!this.ready || this.ws === undefined) return;
    const contexts = new Set<string>();
    for (const r of this.receivers) {
      // A receiver that never said what it watches gets everything.
      if (r.contexts === undefined) return;
      for (const c of r.contexts) contexts.add(c);
    }
    const text = JSON.stringify({ op: "watch", contexts: [...contexts].sort() });
    if (text === this.lastWatch) return;
    this.lastWatch = text;
    this.ws.send(text);
  }

  private setStatus(status: MizanConnectionStatus): void {
    if (status === this.state) return;
    this.state = status;
    for (const r of [...this.receivers]) r.receiver.status(status);
  }
}
{% endraw %}
