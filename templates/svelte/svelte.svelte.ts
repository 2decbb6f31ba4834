{{ header }}// Svelte 5 bindings (runes): `setMizanClient()` in the root component,
// `set…Context(params)` per context, `use…Context()` / per-member functions
// returning reactive objects, and one mutation function per function. Call
// them while a component initialises. Params may be a value or a getter
// (`() => ({ user_id })`): the instance follows the getter.

import { getContext, setContext } from "svelte";
import { toMizanError, type MizanConnectionStatus, type MizanError, type MizanState, type MizanStatus } from "./kernel.js";
import { createMizanClient, type Api, type ClientOptions, type ArgsOf, type Client, type ContextName, type DataOf, type FunctionName, type ParamsOf, type ResultOf } from "./client.js";

const CLIENT_KEY = Symbol("mizan-client");

/** A value, or a getter read reactively. */
export type MaybeGetter<T> = T | (() => T);

/**
 * Makes a client available to the component tree (call in the root
 * component's `<script>`): pass a client, or options to create one.
 */
export function setMizanClient(clientOrOptions: Client | ClientOptions = {}): Client {
  const client = isClient(clientOrOptions) ? clientOrOptions : createMizanClient(clientOrOptions);
  setContext(CLIENT_KEY, client);
  return client;
}

function isClient(v: Client | ClientOptions): v is Client {
  return typeof (v as Partial<Client>).subscribe === "function";
}

/** The client set by an ancestor: the escape hatch for anything else. */
export function useMizan(): Client {
  const client = getContext<Client | undefined>(CLIENT_KEY);
  if (client === undefined) throw new Error("useMizan(): call setMizanClient() in an ancestor component");
  return client;
}

/** The push connection's status; `current` is reactive. */
export type ConnectionState = {
  /** `idle`, `connecting`, `connected`, `reconnecting` or `unauthorized`. */
  readonly current: MizanConnectionStatus;
};

/** The push connection's status, followed while the component lives. */
export function useMizanStatus(): ConnectionState {
  const client = useMizan();
  let status: MizanConnectionStatus = $state(client.connectionStatus);
  $effect(() => {
    status = client.connectionStatus;
    return client.subscribeStatus(() => {
      status = client.connectionStatus;
    });
  });
  return {
    get current() {
      return status;
    },
  };
}

/** What a context or member function returns; every property is reactive. */
export type QueryState<T> = {
  /** The data (kept while refetching). */
  readonly data: T | undefined;
  /** `idle` before mount, `loading` until the first data, then `success` or `error`. */
  readonly status: MizanStatus;
  /** The last fetch's error, if it failed. */
  readonly error: MizanError | undefined;
  /** True while a fetch is in flight. */
  readonly isFetching: boolean;
};

/** What a mutation function returns; `isPending`, `error` and `data` are reactive. */
export type MutationState<F extends FunctionName> = {
  /** Calls the function; resolves to its result, or to `undefined` on failure (see `error`). */
  readonly mutate: {} extends ArgsOf<F>
    ? (args?: ArgsOf<F>) => Promise<ResultOf<F> | undefined>
    : (args: ArgsOf<F>) => Promise<ResultOf<F> | undefined>;
  /** Like `mutate`, but rejects with the {@link MizanError} on failure. */
  readonly mutateAsync: {} extends ArgsOf<F>
    ? (args?: ArgsOf<F>) => Promise<ResultOf<F>>
    : (args: ArgsOf<F>) => Promise<ResultOf<F>>;
  /** True while a call is in flight. */
  readonly isPending: boolean;
  /** The last call's error, cleared by the next call or `reset()`. */
  readonly error: MizanError | undefined;
  /** The last successful result. */
  readonly data: ResultOf<F> | undefined;
  /** Clears `error` and `data`. */
  readonly reset: () => void;
};

function read<T>(v: MaybeGetter<T>): T {
  return typeof v === "function" ? (v as () => T)() : v;
}

/** Mounts the instance named by `params` while the component lives, following the getter. */
function useInstance<C extends ContextName>(context: C, params: MaybeGetter<ParamsOf<C>>): QueryState<DataOf<C>> {
  const client = useMizan();
  let state: MizanState<DataOf<C>> = $state.raw(client.getState(context, read(params)));
  $effect(() => {
    const p = read(params);
    state = client.getState(context, p);
    return client.subscribe(context, p, () => {
      state = client.getState(context, p);
    });
  });
  return {
    get data() {
      return state.data;
    },
    get status() {
      return state.status;
    },
    get error() {
      return state.error;
    },
    get isFetching() {
      return state.isFetching;
    },
  };
}

function member<D, K extends keyof D>(ctx: QueryState<D>, key: K): QueryState<D[K]> {
  const data = $derived(ctx.data?.[key]);
  return {
    get data() {
      return data;
    },
    get status() {
      return ctx.status;
    },
    get error() {
      return ctx.error;
    },
    get isFetching() {
      return ctx.isFetching;
    },
  };
}

/** Shared implementation of the mutation functions. */
function useMutation<F extends FunctionName>(fn: F): MutationState<F> {
  const client = useMizan();
  let isPending = $state(false);
  let error: MizanError | undefined = $state.raw(undefined);
  let data: ResultOf<F> | undefined = $state.raw(undefined);
  let latestCall = 0;
  const mutateAsync = async (args?: ArgsOf<F>): Promise<ResultOf<F>> => {
    const id = ++latestCall;
    isPending = true;
    error = undefined;
    try {
      const result = (await client.call(fn, (args ?? {}) as Api["functions"][F]["args"])) as ResultOf<F>;
      if (id === latestCall) {
        data = result;
        isPending = false;
      }
      return result;
    } catch (e) {
      const err = toMizanError(e);
      if (id === latestCall) {
        error = err;
        isPending = false;
      }
      throw err;
    }
  };
  const mutate = (args?: ArgsOf<F>): Promise<ResultOf<F> | undefined> => mutateAsync(args).catch(() => undefined);
  return {
    mutate,
    mutateAsync,
    get isPending() {
      return isPending;
    },
    get error() {
      return error;
    },
    get data() {
      return data;
    },
    reset: () => {
      error = undefined;
      data = undefined;
    },
  } as MutationState<F>;
}
{%- for c in m.contexts %}

// --- context `{{ c.name }}` -----------------------------------------------------

const {{ c.pascal }}Key = Symbol({{ c.key_str }});

/**
 * Sets context `{{ c.name }}` for descendants (whose `use{{ c.pascal }}Context()` then
 * needs no params) and mounts it while this component lives.
 */
export function set{{ c.pascal }}Context(params: MaybeGetter<ParamsOf<{{ c.key_str }}>>): QueryState<DataOf<{{ c.key_str }}>> {
  setContext({{ c.pascal }}Key, params);
  return useInstance({{ c.key_str }}, params);
}

/**
 * The reactive state of context `{{ c.name }}`: all members in one fetch. Params
 * come from the argument, else from the nearest `set{{ c.pascal }}Context()`{% if c.params_optional %}, else none{% endif %}.
 */
export function use{{ c.pascal }}Context(params?: MaybeGetter<ParamsOf<{{ c.key_str }}>>): QueryState<DataOf<{{ c.key_str }}>> {
  const p = params ?? getContext<MaybeGetter<ParamsOf<{{ c.key_str }}>> | undefined>({{ c.pascal }}Key){% if c.params_optional %} ?? {}{% endif %};
{%- if !c.params_optional %}
  if (p === undefined) throw new Error("use{{ c.pascal }}Context(): pass params or call set{{ c.pascal }}Context() in an ancestor");
{%- endif %}
  return useInstance({{ c.key_str }}, p);
}
{%- for mb in c.members %}

{{ mb.doc }}export function use{{ mb.pascal }}(params?: MaybeGetter<ParamsOf<{{ c.key_str }}>>): QueryState<DataOf<{{ c.key_str }}>[{{ mb.key_str }}]> {
  return member(use{{ c.pascal }}Context(params), {{ mb.key_str }});
}
{%- endfor %}
{%- endfor %}
{%- if m.has_plain_functions() %}

// --- mutations and other calls -------------------------------------------------
{%- endif %}
{%- for f in m.functions %}{% if f.callable && f.context.is_none() %}

{{ f.doc }}export function use{{ f.pascal }}(): MutationState<{{ f.key_str }}> {
  return useMutation({{ f.key_str }});
}
{%- endif %}{% endfor %}
