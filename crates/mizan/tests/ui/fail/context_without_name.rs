#[mizan::context]
pub struct UserCtx;

fn main() {}
