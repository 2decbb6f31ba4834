use mizan::{MizanError, RequestHandle};

#[derive(mizan::Mizan, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    #[mizan(identity)]
    pub item_id: i64,
    pub r#type: String,
}

#[derive(mizan::Mizan, serde::Serialize, serde::Deserialize)]
pub struct ItemId(pub i64);

/// Items.
#[mizan::context("items")]
pub struct ItemsCtx;

fn is_owner(req: &RequestHandle<'_>) -> bool {
    req.principal().is_some()
}

#[mizan::client(context = ItemsCtx, rev = 1, cache = 60, route = "/items/", methods = ["GET", "HEAD"])]
pub async fn items(_req: &RequestHandle<'_>, #[mizan(default = 1)] page: i64) -> Vec<Item> {
    let _ = page;
    Vec::new()
}

#[mizan::client(affects = [ItemsCtx, items, "items"], merge = ItemsCtx, auth = is_owner, cache = false)]
pub async fn save(_req: &RequestHandle<'_>, item: Item, note: Option<String>) -> Result<Item, MizanError> {
    let _ = note;
    Ok(item)
}

#[mizan::client(private, websocket, auth = "superuser", affects = "items")]
pub async fn hook(_req: &RequestHandle<'_>, id: ItemId) {
    let _ = id;
}

fn main() {
    let ir = mizan::build_ir().expect("valid");
    assert_eq!(ir.functions.len(), 3);
}
