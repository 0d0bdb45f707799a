//! Metrics, through the `metrics` facade: whatever recorder the app installs (the Prometheus
//! exporter, StatsD...) gets them; without one, they cost next to nothing.
//!
//! - `oauth_events_total` (counter, counted by [`crate::audit`]): every audit event, labelled `event` and, where the event
//!   has them, `provider`, `code`, `kind`, `outcome` (never an ident).
//! - `oauth_provider_request_seconds` (histogram): each round trip to a provider, labelled
//!   `call` (`token`, `refresh`, `userinfo`, `keys`) and `outcome` (`ok`, `error`).

use std::future::Future;
use std::time::Instant;

/// Runs a provider round trip and records how long it took.
pub(crate) async fn provider_call<T, E>(
    call: &'static str,
    request: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let start = Instant::now();
    let result = request.await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::histogram!("oauth_provider_request_seconds", "call" => call, "outcome" => outcome)
        .record(start.elapsed().as_secs_f64());
    result
}
