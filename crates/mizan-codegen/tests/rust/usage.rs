//! Hand-written code using the generated clients the way an application
//! would: if a signature changes shape, this stops compiling.

use ::leptos::prelude::*;
use ::mizan_client::{ConnectionStatus, MizanClient, MizanError, Status, Upload};

use crate::leptos_api as ui;
use crate::rust_api as api;

/// Adds two numbers with the plain async client.
pub async fn sum(client: &api::Client, a: i64, b: i64) -> Result<i64, MizanError> {
    Ok(client.add(&api::AddArgs { a, b }).await?.total)
}

/// Reads a user's page of orders, typed.
pub async fn first_order_sku(client: &api::Client, user_id: i64) -> Result<Option<String>, MizanError> {
    let data = client
        .fetch_user_context(&api::UserParams { user_id, page: None })
        .await?;
    Ok(data.user_orders.orders.first().map(|o| o.sku.clone()))
}

/// Uploads an avatar (multipart over HTTP) and returns its SHA-256.
pub async fn upload(client: &api::Client, user_id: i64, png: Vec<u8>) -> Result<String, MizanError> {
    let file = Upload::new("avatar.png", "image/png", png);
    Ok(client.upload_avatar(&api::UploadAvatarArgs { user_id, file }).await?.sha256)
}

/// An enum's wire names, as a UI shows them (a class, a `data-` attribute):
/// the generated `ALL` and `as_str`, no table of its own.
pub fn status_names() -> Vec<&'static str> {
    crate::every_rust::Status::ALL.iter().map(|s| s.as_str()).collect()
}

/// The same through `Display`, from the Leptos target's types.
pub fn status_label(status: crate::every_leptos::Status) -> String {
    status.to_string()
}

/// The Leptos root: provides the client over IPC-or-HTTP kernel (which
/// starts its push loop) and shows the connection status.
#[component]
pub fn App(kernel: MizanClient) -> impl IntoView {
    ui::provide_mizan(ui::Client::new(kernel));
    let (user_id, set_user_id) = signal(1_i64);
    let status = ui::use_mizan_status();
    let offline = move || matches!(status.get(), ConnectionStatus::Reconnecting | ConnectionStatus::Connecting);
    view! {
        <p data-testid="connection">{move || if offline() { "offline" } else { "" }}</p>
        <UserCard user_id=user_id />
        <button on:click=move |_| set_user_id.update(|id| *id += 1)>"next user"</button>
        <Items />
    }
}

/// One user's profile, following the `user_id` signal, with a rename
/// button (the `rename` mutation invalidates `user`).
#[component]
pub fn UserCard(user_id: ReadSignal<i64>) -> impl IntoView {
    let user = ui::use_user_context(Signal::derive(move || ui::UserParams {
        user_id: user_id.get(),
        page: None,
    }));
    let profile = user.user_profile();
    let status = user.status;
    let rename = ui::use_rename();
    let pending = rename.pending();
    view! {
        <section>
            <p>{move || profile.get().map(|p| p.name).unwrap_or_default()}</p>
            <p>{move || if status.get() == Status::Loading { "loading" } else { "" }}</p>
            <button
                disabled=move || pending.get()
                on:click=move |_| {
                    rename.dispatch(ui::RenameArgs { user_id: user_id.get_untracked(), name: "Zed".into() });
                }
            >
                "rename"
            </button>
        </section>
    }
}

/// The item list (merged into by `set_item_name`).
#[component]
pub fn Items() -> impl IntoView {
    let items = ui::use_items_context();
    let set_name = ui::use_set_item_name();
    let bump = ui::use_bump_counter();
    view! {
        <ul>
            {move || {
                items
                    .items_list()
                    .get()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|item| view! { <li>{item.name}</li> })
                    .collect_view()
            }}
        </ul>
        <button on:click=move |_| {
            set_name.dispatch(ui::SetItemNameArgs { id: 1, name: "one".into() });
            bump.dispatch(());
        }>"edit"</button>
        <button on:click=move |_| items.refetch()>"refresh"</button>
    }
}
