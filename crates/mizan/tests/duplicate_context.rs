//! Two `#[mizan::context]` types with one name, in one binary: a startup
//! error naming both definitions, never one silently merged context.

use mizan::{RegistryError, RequestHandle};

mod shop {
    /// The shop's orders.
    #[mizan::context("orders")]
    pub struct OrdersCtx;

    #[mizan::client(context = OrdersCtx)]
    pub async fn shop_orders(_req: &mizan::RequestHandle<'_>) -> Vec<i64> {
        vec![]
    }
}

mod admin {
    /// Every order, for staff: the same name by mistake.
    #[mizan::context("orders")]
    pub struct AllOrdersCtx;
}

#[mizan::client]
pub async fn ping(_req: &RequestHandle<'_>) -> bool {
    true
}

#[test]
fn two_contexts_with_one_name_are_a_registry_error() {
    match mizan::Registry::from_linked() {
        Err(RegistryError::DuplicateContext { name, first, second }) => {
            assert_eq!(name, "orders");
            assert_ne!(first, second);
            for location in [&first, &second] {
                assert!(location.contains("duplicate_context.rs:"), "{location}");
            }
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("two `orders` contexts were merged silently"),
    }
    let _ = admin::AllOrdersCtx;
}
