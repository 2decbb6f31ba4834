#[derive(mizan::Mizan)]
pub enum Shape {
    Circle { radius: f64 },
}

fn main() {}
