#[mizan::client]
pub fn add(_req: &mizan::RequestHandle<'_>, a: i64) -> i64 {
    a
}

fn main() {}
