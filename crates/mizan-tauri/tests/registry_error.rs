//! A separate test binary whose linked functions clash: `add` is defined
//! here and in the AFI fixture. The plugin must report that clearly, never
//! panic: `try_init` returns the error, and `init` fails the app's setup
//! with the message.

use mizan::RequestHandle;
use mizan_tauri::Error;
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};

/// Clashes with `afi_app::add`.
#[mizan::client]
pub async fn add(_req: &RequestHandle<'_>, a: i64) -> i64 {
    a
}

#[test]
fn duplicate_functions_are_reported_by_try_init_and_fail_the_app_setup() {
    // Link the fixture's functions into this binary.
    let _store = afi_app::Store::default();

    let Err(err) = mizan_tauri::try_init::<MockRuntime>() else {
        panic!("`add` is defined twice")
    };
    assert!(matches!(err, Error::Registry(mizan::RegistryError::DuplicateFunction { ref name, .. }) if name == "add"));
    assert!(err.to_string().contains("duplicate server function `add`"), "{err}");

    let err = mock_builder()
        .plugin(mizan_tauri::init())
        .build(mock_context(noop_assets()))
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("mizan") && message.contains("duplicate server function `add`"),
        "{message}"
    );
}
