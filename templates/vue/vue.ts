{{ header }}// Vue 3 composables: `provideMizan()` at the root, `provide…Context(params)`
// per context, `use…Context()` / per-member composables returning refs, and
// one mutation composable per function. Params may be plain values, refs or
// getters: the instance follows them.

import { computed, inject, onScopeDispose, provide, shallowRef, toValue, watch, type ComputedRef, type InjectionKey, type MaybeRefOrGetter, type Ref } from "vue";
import { instanceKey, toMizanError, type MizanConnectionStatus, type MizanError, type MizanParams, type MizanState, type MizanStatus } from "./kernel.js";
import { createMizanClient, type Api, type ClientOptions, type ArgsOf, type Client, type ContextName, type DataOf, type FunctionName, type ParamsOf, type ResultOf } from "./client.js";

const CLIENT_KEY: InjectionKey<Client> = Symbol("mizan-client");

/**
 * Provides a client to the component tree (call in the root component's
 * `setup`): pass a client, or options to create one. Returns the client.
 */
export function provideMizan(clientOrOptions: Client | ClientOptions = {}): Client {
  const client = isClient(clientOrOptions) ? clientOrOptions : createMizanClient(clientOrOptions);
  provide(CLIENT_KEY, client);
  return client;
}

function isClient(v: Client | ClientOptions): v is Client {
  return typeof (v as Partial<Client>).subscribe === "function";
}

/** The provided client: the escape hatch for anything the composables do not cover. */
export function useMizan(): Client {
  const client = inject(CLIENT_KEY, null);
  if (client === null) throw new Error("useMizan(): call provideMizan() in an ancestor component");
  return client;
}

/**
 * The push connection's status (`idle`, `connecting`, `connected`,
 * `reconnecting`, `unauthorized`) as a ref, followed until the scope ends.
 */
export function useMizanStatus(): Readonly<Ref<MizanConnectionStatus>> {
  const client = useMizan();
  const status = shallowRef(client.connectionStatus);
  const unsubscribe = client.subscribeStatus(() => {
    status.value = client.connectionStatus;
  });
  onScopeDispose(unsubscribe);
  return status;
}

/** What a context or member composable returns. */
export type QueryRefs<T> = {
  /** The data (kept while refetching). */
  data: ComputedRef<T | undefined>;
  /** `idle` before mount, `loading` until the first data, then `success` or `error`. */
  status: ComputedRef<MizanStatus>;
  /** The last fetch's error, if it failed. */
  error: ComputedRef<MizanError | undefined>;
  /** True while a fetch is in flight. */
  isFetching: ComputedRef<boolean>;
};

/** What a mutation composable returns. */
export type MutationRefs<F extends FunctionName> = {
  /** Calls the function; resolves to its result, or to `undefined` on failure (see `error`). */
  mutate: {} extends ArgsOf<F>
    ? (args?: ArgsOf<F>) => Promise<ResultOf<F> | undefined>
    : (args: ArgsOf<F>) => Promise<ResultOf<F> | undefined>;
  /** Like `mutate`, but rejects with the {@link MizanError} on failure. */
  mutateAsync: {} extends ArgsOf<F> ? (args?: ArgsOf<F>) => Promise<ResultOf<F>> : (args: ArgsOf<F>) => Promise<ResultOf<F>>;
  /** True while a call is in flight. */
  isPending: Readonly<Ref<boolean>>;
  /** The last call's error, cleared by the next call or `reset()`. */
  error: Readonly<Ref<MizanError | undefined>>;
  /** The last successful result. */
  data: Readonly<Ref<ResultOf<F> | undefined>>;
  /** Clears `error` and `data`. */
  reset: () => void;
};

/** Subscribes to the instance named by `params` (following it as it changes) until the scope ends. */
function useInstance<C extends ContextName>(context: C, params: MaybeRefOrGetter<ParamsOf<C>>): Ref<MizanState<DataOf<C>>> {
  const client = useMizan();
  const state = shallowRef(client.getState(context, toValue(params)));
  let unsubscribe: (() => void) | undefined;
  watch(
    () => instanceKey(context, toValue(params) as MizanParams),
    () => {
      const p = toValue(params);
      unsubscribe?.();
      state.value = client.getState(context, p);
      unsubscribe = client.subscribe(context, p, () => {
        state.value = client.getState(context, p);
      });
    },
    { immediate: true },
  );
  onScopeDispose(() => unsubscribe?.());
  return state;
}

function queryRefs<T>(state: Ref<MizanState<T>>): QueryRefs<T> {
  return {
    data: computed(() => state.value.data),
    status: computed(() => state.value.status),
    error: computed(() => state.value.error),
    isFetching: computed(() => state.value.isFetching),
  };
}

function memberRefs<D, K extends keyof D>(refs: QueryRefs<D>, member: K): QueryRefs<D[K]> {
  return { ...refs, data: computed(() => refs.data.value?.[member]) };
}

/** Shared implementation of the mutation composables. */
function useMutation<F extends FunctionName>(fn: F): MutationRefs<F> {
  const client = useMizan();
  const isPending = shallowRef(false);
  const error = shallowRef<MizanError | undefined>(undefined);
  const data = shallowRef<ResultOf<F> | undefined>(undefined);
  let latestCall = 0;
  const mutateAsync = async (args?: ArgsOf<F>): Promise<ResultOf<F>> => {
    const id = ++latestCall;
    isPending.value = true;
    error.value = undefined;
    try {
      const result = (await client.call(fn, (args ?? {}) as Api["functions"][F]["args"])) as ResultOf<F>;
      if (id === latestCall) {
        data.value = result;
        isPending.value = false;
      }
      return result;
    } catch (e) {
      const err = toMizanError(e);
      if (id === latestCall) {
        error.value = err;
        isPending.value = false;
      }
      throw err;
    }
  };
  const mutate = (args?: ArgsOf<F>): Promise<ResultOf<F> | undefined> => mutateAsync(args).catch(() => undefined);
  const reset = (): void => {
    error.value = undefined;
    data.value = undefined;
  };
  return { mutate, mutateAsync, isPending, error, data, reset } as MutationRefs<F>;
}
{%- for c in m.contexts %}

// --- context `{{ c.name }}` -----------------------------------------------------

const {{ c.pascal }}Key: InjectionKey<MaybeRefOrGetter<ParamsOf<{{ c.key_str }}>>> = Symbol({{ c.key_str }});

/**
 * Provides context `{{ c.name }}` to descendants (whose `use{{ c.pascal }}Context()`
 * then needs no params) and mounts it for this component's lifetime.
 */
export function provide{{ c.pascal }}Context(params: MaybeRefOrGetter<ParamsOf<{{ c.key_str }}>>): QueryRefs<DataOf<{{ c.key_str }}>> {
  provide({{ c.pascal }}Key, params);
  return queryRefs(useInstance({{ c.key_str }}, params));
}

/**
 * The state of context `{{ c.name }}` as refs: all members in one fetch. Params come
 * from the argument, else from the nearest `provide{{ c.pascal }}Context()`{% if c.params_optional %}, else none{% endif %}.
 */
export function use{{ c.pascal }}Context(params?: MaybeRefOrGetter<ParamsOf<{{ c.key_str }}>>): QueryRefs<DataOf<{{ c.key_str }}>> {
  const p = params ?? inject({{ c.pascal }}Key, null){% if c.params_optional %} ?? {}{% endif %};
{%- if !c.params_optional %}
  if (p === null) throw new Error("use{{ c.pascal }}Context(): pass params or call provide{{ c.pascal }}Context() in an ancestor");
{%- endif %}
  return queryRefs(useInstance({{ c.key_str }}, p));
}
{%- for mb in c.members %}

{{ mb.doc }}export function use{{ mb.pascal }}(params?: MaybeRefOrGetter<ParamsOf<{{ c.key_str }}>>): QueryRefs<DataOf<{{ c.key_str }}>[{{ mb.key_str }}]> {
  return memberRefs(use{{ c.pascal }}Context(params), {{ mb.key_str }});
}
{%- endfor %}
{%- endfor %}
{%- if m.has_plain_functions() %}

// --- mutations and other calls -------------------------------------------------
{%- endif %}
{%- for f in m.functions %}{% if f.callable && f.context.is_none() %}

{{ f.doc }}export function use{{ f.pascal }}(): MutationRefs<{{ f.key_str }}> {
  return useMutation({{ f.key_str }});
}
{%- endif %}{% endfor %}
