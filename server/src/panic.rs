//! Panics as the server reports them: the text of a payload, and the test-only hook that
//! raises one where a test asks. Used by the dispatcher's per-request boundary, the change
//! loop, the publisher and runs; depends on nothing of the server.

/// The text of a panic's payload.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".into())
}

/// Test support, debug builds only: `FABULA_LSP_TEST_PANIC=<what>` (a request name, or
/// `engine` for inside a run's job) panics there, so the panic boundary is tested against
/// a real server process. Release builds have no such hook.
pub fn test_panic(what: &str) {
    #[cfg(debug_assertions)]
    if std::env::var("FABULA_LSP_TEST_PANIC").is_ok_and(|w| w == what) {
        panic!("FABULA_LSP_TEST_PANIC={what}");
    }
    #[cfg(not(debug_assertions))]
    let _ = what;
}
