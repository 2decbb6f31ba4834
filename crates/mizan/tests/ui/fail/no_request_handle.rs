#[mizan::client]
pub async fn add() -> i64 {
    1
}

fn main() {}
