//! The Tokens tab: mint an MWT with the environment's key ring, take any
//! token apart and verify it with the exact rejection the server would
//! give (`token_mint`, `token_decode`: the core's `mwt`).

use leptos::prelude::*;

use crate::api::{self, MintForm, TokenDecodeArgs, TokenMintArgs};
use crate::context::live::use_live;
use crate::context::ui::{CenterTab, use_ui};

/// The whole tab.
#[component]
pub fn TokensTab() -> impl IntoView {
    let live = use_live();
    let ui = use_ui();
    let mint = api::use_token_mint();
    let decode = api::use_token_decode();
    let sub = RwSignal::new(String::new());
    let staff = RwSignal::new(false);
    let superuser = RwSignal::new(false);
    let perms = RwSignal::new(String::new());
    let kid = RwSignal::new(String::new());
    let audience = RwSignal::new(String::new());
    let ttl = RwSignal::new(String::new());
    let pasted = RwSignal::new(String::new());
    let ttl_error = RwSignal::new(None::<String>);

    let go = move || {
        let ttl_secs = match ttl.get_untracked().trim() {
            "" => None,
            t => match t.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => return ttl_error.set(Some(format!("TTL must be a number of seconds, got `{t}`"))),
            },
        };
        ttl_error.set(None);
        let list: Vec<String> = perms
            .get_untracked()
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect();
        let text = |s: RwSignal<String>| Some(s.get_untracked().trim().to_owned()).filter(|s| !s.is_empty());
        mint.dispatch(TokenMintArgs {
            form: MintForm {
                sub: sub.get_untracked().trim().to_owned(),
                staff: Some(staff.get_untracked()),
                superuser: Some(superuser.get_untracked()),
                perms: Some(list),
                kid: text(kid),
                audience: text(audience),
                ttl_secs,
            },
        });
    };
    // A fresh token is decoded at once, and kept for the Replay tab.
    Effect::new(move |_| {
        if let Some(Ok(token)) = mint.value().get() {
            live.minted.set(token.clone());
            pasted.set(token.clone());
            decode.dispatch(TokenDecodeArgs { token });
        }
    });

    let first = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(el) = first.get() {
            let _ = el.focus();
        }
    });

    view! {
        <div class="live-tab" data-testid="tokens-tab">
            <section class="live-form">
                <h3 class="live-title">"Mint a token"</h3>
                <p class="muted small">"Signed with the active environment's MWT key ring; never written anywhere."</p>
                <label class="label muted" for="token-sub">"Subject (user id)"</label>
                <input id="token-sub" node_ref=first class="input mono" data-testid="token-sub" placeholder="5"
                    prop:value=move || sub.get() on:input=move |ev| sub.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Enter" { go() }/>
                <div class="checks">
                    <label class="check small"><input type="checkbox" prop:checked=move || staff.get() on:change=move |ev| staff.set(event_target_checked(&ev))/>" staff"</label>
                    <label class="check small"><input type="checkbox" prop:checked=move || superuser.get() on:change=move |ev| superuser.set(event_target_checked(&ev))/>" superuser"</label>
                </div>
                <label class="label muted">"Permissions, comma-separated"</label>
                <input class="input mono" prop:value=move || perms.get() on:input=move |ev| perms.set(event_target_value(&ev))/>
                <div class="form-grid three">
                    <label><span class="label muted">"Key id"</span>
                        <input class="input mono" placeholder="default" prop:value=move || kid.get() on:input=move |ev| kid.set(event_target_value(&ev))/></label>
                    <label><span class="label muted">"Audience"</span>
                        <input class="input mono" placeholder="mizan" prop:value=move || audience.get() on:input=move |ev| audience.set(event_target_value(&ev))/></label>
                    <label><span class="label muted">"TTL (s)"</span>
                        <input class="input mono" placeholder="300" prop:value=move || ttl.get() on:input=move |ev| ttl.set(event_target_value(&ev))/></label>
                </div>
                <div class="live-actions">
                    <button class="button primary" data-testid="token-mint" on:click=move |_| go() disabled=move || mint.pending().get()>"Mint"</button>
                </div>
                {move || ttl_error.get().map(|e| view! { <p class="error-text small">{e}</p> })}
                {move || mint.value().get().map(|r| match r {
                    Err(e) => view! { <p class="error-text small" data-testid="token-error">{e.message}</p> }.into_any(),
                    Ok(token) => view! {
                        <p class="label muted">"Token"</p>
                        <pre class="header-line mono small token-text" data-testid="token-output">{token}</pre>
                        <button class="button small" data-testid="token-use" on:click=move |_| {
                            live.replay.token.set(live.minted.get_untracked());
                            ui.tab.set(CenterTab::Replay);
                        }>"Use in Replay"</button>
                    }.into_any(),
                })}
            </section>
            <section class="live-results">
                <h3 class="live-title">"Decode and verify"</h3>
                <textarea class="input mono" data-testid="token-decode-input" rows="4" spellcheck="false"
                    placeholder="paste a token (eyJ…)"
                    prop:value=move || pasted.get()
                    on:input=move |ev| {
                        let t = event_target_value(&ev);
                        pasted.set(t.clone());
                        if !t.trim().is_empty() {
                            decode.dispatch(TokenDecodeArgs { token: t });
                        }
                    }></textarea>
                {move || decode.value().get().map(|r| match r {
                    Err(e) => view! { <p class="error-text small" data-testid="token-claims">{e.message}</p> }.into_any(),
                    Ok(d) => {
                        let valid = d.verdict == "valid";
                        view! {
                            <div class="live-card" data-testid="token-claims">
                                <div class="live-head">
                                    {if d.verdict.is_empty() {
                                        view! { <span class="muted small">{d.unverified.clone()}</span> }.into_any()
                                    } else {
                                        view! {
                                            <span class="status-pill" class:hit=valid class:miss=!valid data-testid="token-verdict">{d.verdict.clone()}</span>
                                            <span class="small">{if valid { "the server would accept it".to_owned() } else { format!("the server answers 401: {}", d.reason) }}</span>
                                        }.into_any()
                                    }}
                                </div>
                                <ul class="explain small">{d.summary.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul>
                                {d.pkey_matches.map(|m| view! {
                                    <p class="small" class:warn-text=!m>{if m { "pkey matches its permissions".to_owned() } else { format!("pkey does not match: recomputed {}", d.recomputed_pkey.clone().unwrap_or_default()) }}</p>
                                })}
                                <div class="two-col">
                                    <div><p class="label muted">"Header"</p><pre class="json mono small">{d.header.clone()}</pre></div>
                                    <div><p class="label muted">"Claims"</p><pre class="json mono small">{d.claims.clone()}</pre></div>
                                </div>
                            </div>
                        }.into_any()
                    }
                })}
            </section>
        </div>
    }
}
