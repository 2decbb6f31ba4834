#[mizan::client]
pub async fn add(_req: &mizan::RequestHandle<'_>, (a, b): (i64, i64)) -> i64 {
    a + b
}

fn main() {}
