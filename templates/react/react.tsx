{{ header }}/* eslint-disable */
// oxlint-disable
// (Generated code is not linted: components and hooks share this file, which
// Fast Refresh's only-export-components rule would flag.)
// React bindings: <MizanContext> at the root, one provider per context
// taking its params as props, `use…Context()` / per-member hooks built on
// useSyncExternalStore, and one mutation hook per function.

import { createContext, useCallback, useContext, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import { instanceKey, toMizanError, type MizanConnectionStatus, type MizanError, type MizanParams, type MizanState, type MizanStatus } from "./kernel.js";
import { createMizanClient, type Api, type ClientOptions, type ArgsOf, type Client, type ContextName, type DataOf, type FunctionName, type ParamsOf, type ResultOf } from "./client.js";

const ClientContext = createContext<Client | null>(null);

/** Props of {@link MizanContext}: a ready client, or options to create one. */
export type MizanContextProps = ClientOptions & {
  /** Use this client instead of creating one. */
  client?: Client | undefined;
  children?: ReactNode;
};

/**
 * The root provider: creates one client for the tree (or uses `client`).
 * `<MizanContext baseUrl="/api/mizan">…</MizanContext>`.
 */
export function MizanContext({ client, children, ...options }: MizanContextProps): ReactNode {
  const [value] = useState<Client>(() => client ?? createMizanClient(options));
  return <ClientContext value={value}>{children}</ClientContext>;
}

/** The client of the nearest {@link MizanContext}: the escape hatch for anything the hooks do not cover. */
export function useMizan(): Client {
  const client = useContext(ClientContext);
  if (client === null) throw new Error("useMizan(): no <MizanContext> above this component");
  return client;
}

/**
 * The push connection's status (`idle`, `connecting`, `connected`,
 * `reconnecting`, `unauthorized`), re-rendering when it changes.
 */
export function useMizanStatus(): MizanConnectionStatus {
  const client = useMizan();
  const subscribe = useCallback((onChange: () => void) => client.subscribeStatus(onChange), [client]);
  const snapshot = useCallback(() => client.connectionStatus, [client]);
  return useSyncExternalStore(subscribe, snapshot, serverStatus);
}

/** During server rendering nothing is connected. */
function serverStatus(): MizanConnectionStatus {
  return "idle";
}

/** What a context or member hook returns. */
export type QueryResult<T> = {
  /** The data (kept while refetching). */
  data: T | undefined;
  /** `idle` before mount, `loading` until the first data, then `success` or `error`. */
  status: MizanStatus;
  /** The last fetch's error, if it failed. */
  error: MizanError | undefined;
  /** True while a fetch is in flight. */
  isFetching: boolean;
};

/** What a mutation hook returns. */
export type MutationResult<F extends FunctionName> = {
  /** Calls the function; resolves to its result, or to `undefined` on failure (see `error`). */
  mutate: {} extends ArgsOf<F>
    ? (args?: ArgsOf<F>) => Promise<ResultOf<F> | undefined>
    : (args: ArgsOf<F>) => Promise<ResultOf<F> | undefined>;
  /** Like `mutate`, but rejects with the {@link MizanError} on failure. */
  mutateAsync: {} extends ArgsOf<F> ? (args?: ArgsOf<F>) => Promise<ResultOf<F>> : (args: ArgsOf<F>) => Promise<ResultOf<F>>;
  /** True while a call is in flight. */
  isPending: boolean;
  /** The last call's error, cleared by the next call or `reset()`. */
  error: MizanError | undefined;
  /** The last successful result. */
  data: ResultOf<F> | undefined;
  /** Clears `error` and `data`. */
  reset: () => void;
};

/** Subscribes to one context instance (mounting it) and returns its state. */
function useInstance<C extends ContextName>(context: C, params: ParamsOf<C>): MizanState<DataOf<C>> {
  const client = useMizan();
  // The params object may be new on every render; its instance key decides
  // identity, so the callbacks below change only when the instance does.
  const stable = useStableParams(context, params);
  const subscribe = useCallback(
    (onChange: () => void) => client.subscribe(context, stable, onChange),
    [client, context, stable],
  );
  const snapshot = useCallback(() => client.getState(context, stable), [client, context, stable]);
  return useSyncExternalStore(subscribe, snapshot, snapshot);
}

/**
 * The same params object while the instance key is unchanged (stable
 * provider values and subscriptions). Derived state, not a ref written
 * during render, so the React Compiler can optimize every hook here.
 */
function useStableParams<C extends ContextName>(context: C, params: ParamsOf<C>): ParamsOf<C> {
  const key = instanceKey(context, params as MizanParams);
  const [stable, setStable] = useState({ key, params });
  if (stable.key !== key) {
    setStable({ key, params });
    return params;
  }
  return stable.params;
}

/** A member's slice of a context state. */
function useMember<D, K extends keyof D>(state: MizanState<D>, member: K): QueryResult<D[K]> {
  return useMemo(
    () => ({ data: state.data?.[member], status: state.status, error: state.error, isFetching: state.isFetching }),
    [state, member],
  );
}

/** Shared implementation of the mutation hooks. */
function useMutation<F extends FunctionName>(fn: F): MutationResult<F> {
  const client = useMizan();
  const [state, setState] = useState<{ isPending: boolean; error: MizanError | undefined; data: ResultOf<F> | undefined }>(
    { isPending: false, error: undefined, data: undefined },
  );
  const latestCall = useRef(0);
  const mutateAsync = useCallback(
    async (args?: ArgsOf<F>): Promise<ResultOf<F>> => {
      const id = ++latestCall.current;
      setState((s) => ({ ...s, isPending: true, error: undefined }));
      try {
        const result = (await client.call(fn, (args ?? {}) as Api["functions"][F]["args"])) as ResultOf<F>;
        if (id === latestCall.current) setState({ isPending: false, error: undefined, data: result });
        return result;
      } catch (e) {
        const error = toMizanError(e);
        if (id === latestCall.current) setState((s) => ({ ...s, isPending: false, error }));
        throw error;
      }
    },
    [client, fn],
  );
  const mutate = useCallback(
    (args?: ArgsOf<F>): Promise<ResultOf<F> | undefined> => mutateAsync(args).catch(() => undefined),
    [mutateAsync],
  );
  const reset = useCallback(() => setState({ isPending: false, error: undefined, data: undefined }), []);
  return useMemo(
    () => ({ ...state, mutate, mutateAsync, reset }) as MutationResult<F>,
    [state, mutate, mutateAsync, reset],
  );
}
{%- for c in m.contexts %}

// --- context `{{ c.name }}` -----------------------------------------------------

const {{ c.pascal }}ParamsContext = createContext<ParamsOf<{{ c.key_str }}> | null>(null);

/** Props of {@link {{ c.pascal }}Provider}: the context's params, plus children. */
export type {{ c.pascal }}ProviderProps = ParamsOf<{{ c.key_str }}> & { children?: ReactNode };

/**
 * Provides context `{{ c.name }}` to the tree below and keeps it mounted:
 * `use{{ c.pascal }}Context()` and the member hooks read these params.
 */
export function {{ c.pascal }}Provider({ children, ...params }: {{ c.pascal }}ProviderProps): ReactNode {
  const value = useStableParams({{ c.key_str }}, params as ParamsOf<{{ c.key_str }}>);
  useInstance({{ c.key_str }}, value);
  return <{{ c.pascal }}ParamsContext value={value}>{children}</{{ c.pascal }}ParamsContext>;
}

/**
 * The state of context `{{ c.name }}`: all members in one fetch. Params come from
 * the argument, else from the nearest `<{{ c.pascal }}Provider>`{% if c.params_optional %}, else none{% endif %}.
 */
export function use{{ c.pascal }}Context(params?: ParamsOf<{{ c.key_str }}>): QueryResult<DataOf<{{ c.key_str }}>> {
  const provided = useContext({{ c.pascal }}ParamsContext);
  const p = params ?? provided{% if c.params_optional %} ?? {}{% endif %};
{%- if !c.params_optional %}
  if (p === null) throw new Error("use{{ c.pascal }}Context(): pass params or render inside <{{ c.pascal }}Provider>");
{%- endif %}
  return useInstance({{ c.key_str }}, p);
}
{%- for mb in c.members %}

{{ mb.doc }}export function use{{ mb.pascal }}(params?: ParamsOf<{{ c.key_str }}>): QueryResult<DataOf<{{ c.key_str }}>[{{ mb.key_str }}]> {
  return useMember(use{{ c.pascal }}Context(params), {{ mb.key_str }});
}
{%- endfor %}
{%- endfor %}
{%- if m.has_plain_functions() %}

// --- mutations and other calls -------------------------------------------------
{%- endif %}
{%- for f in m.functions %}{% if f.callable && f.context.is_none() %}

{{ f.doc }}export function use{{ f.pascal }}(): MutationResult<{{ f.key_str }}> {
  return useMutation({{ f.key_str }});
}
{%- endif %}{% endfor %}
