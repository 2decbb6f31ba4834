pub struct Opaque;

#[mizan::client]
pub async fn add(_req: &mizan::RequestHandle<'_>, o: Opaque) -> i64 {
    let _ = o;
    1
}

fn main() {}
