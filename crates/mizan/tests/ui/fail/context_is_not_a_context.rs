pub struct NotAContext;

#[mizan::client(context = NotAContext)]
pub async fn add(_req: &mizan::RequestHandle<'_>, a: i64) -> i64 {
    a
}

fn main() {}
