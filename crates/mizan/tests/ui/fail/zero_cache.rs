#[mizan::client(cache = 0)]
pub async fn add(_req: &mizan::RequestHandle<'_>, a: i64) -> i64 {
    a
}

fn main() {}
