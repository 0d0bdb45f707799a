//! Metrics, through the `metrics` facade: whatever recorder the app installs (the Prometheus
//! exporter, StatsD...) gets them; without one, they cost next to nothing.
//!
//! The metrics and their labels are listed on [`describe_metrics`].

use std::future::Future;
use std::time::Instant;

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// Runs a provider round trip and records how long it took.
pub(crate) async fn provider_call<T, E>(
    call: &'static str,
    request: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    timed("oauth_provider_request_seconds", call, request).await
}

/// Runs `request` and records its duration in the histogram `name`.
async fn timed<T, E>(
    name: &'static str,
    call: &'static str,
    request: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let start = Instant::now();
    let result = request.await;
    let outcome = if result.is_ok() { "ok" } else { "error" };
    metrics::histogram!(name, "call" => call, "outcome" => outcome)
        .record(start.elapsed().as_secs_f64());
    result
}

/// A session store whose calls are timed in `oauth_store_seconds`: the installation wraps the
/// app's store (whichever it is) in one.
#[derive(Debug, Clone)]
pub(crate) struct TimedStore<S>(pub(crate) S);

#[async_trait]
impl<S: SessionStore> SessionStore for TimedStore<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let start = Instant::now();
        let result = self.0.create(record).await;
        store_call(Call::Create, result.is_ok(), start);
        result
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let start = Instant::now();
        let result = self.0.save(record).await;
        store_call(Call::Save, result.is_ok(), start);
        result
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let start = Instant::now();
        let result = self.0.load(id).await;
        store_call(Call::Load, result.is_ok(), start);
        result
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let start = Instant::now();
        let result = self.0.delete(id).await;
        store_call(Call::Delete, result.is_ok(), start);
        result
    }
}

#[derive(Clone, Copy)]
enum Call {
    Create,
    Save,
    Load,
    Delete,
}

/// Records one store call. Every label is a literal, so that the macro's key is a `static`:
/// nothing is allocated per call, with or without a recorder (a logged-in request loads its
/// session on every request).
fn store_call(call: Call, ok: bool, start: Instant) {
    macro_rules! record {
        ($call:literal) => {
            if ok {
                metrics::histogram!("oauth_store_seconds", "call" => $call, "outcome" => "ok")
            } else {
                metrics::histogram!("oauth_store_seconds", "call" => $call, "outcome" => "error")
            }
        };
    }
    let histogram = match call {
        Call::Create => record!("create"),
        Call::Save => record!("save"),
        Call::Load => record!("load"),
        Call::Delete => record!("delete"),
    };
    histogram.record(start.elapsed().as_secs_f64());
}

/// Something that happened in the Redis store's session cache.
#[cfg(feature = "redis")]
pub(crate) fn cache(event: &'static str) {
    metrics::counter!("oauth_session_cache_total", "event" => event).increment(1);
}

/// Describes the library's metrics to the installed recorder (their help text and units), so
/// that an exporter can show them; call it once, after installing the recorder. The metrics are
/// recorded whether or not this is called:
///
/// | metric | kind | labels |
/// |---|---|---|
/// | `oauth_events_total` | counter | `event` (each [`AuditEvent`](crate::audit::AuditEvent)'s name), and where the event has them `provider`, `code` ([`Error::code`](crate::Error::code)), `kind` (logout), `outcome` (refresh) |
/// | `oauth_provider_request_seconds` | histogram | `call` (`token`, `refresh`, `userinfo`, `keys`, `par`), `outcome` (`ok`, `error`) |
/// | `oauth_store_seconds` | histogram | `call` (`load`, `save`, `create`, `delete`), `outcome` |
/// | `oauth_session_cache_total` | counter | `event` (`hit`, `miss`, `invalidation`, `lease_lost`, `heartbeat_failed`): the Redis store's cache |
///
/// No label carries an ident, a token or a session id. Without a recorder every metric is a
/// no-op costing a few instructions (BENCHMARKS.md has the figures).
///
/// ```
/// // After installing a recorder (the Prometheus exporter: examples/prometheus.rs).
/// axum_oauth_login::describe_metrics();
/// ```
pub fn describe_metrics() {
    use metrics::Unit;
    metrics::describe_counter!(
        "oauth_events_total",
        "Logins started, succeeded, denied and failed, logouts, refreshes, revocations"
    );
    metrics::describe_histogram!(
        "oauth_provider_request_seconds",
        Unit::Seconds,
        "Round trips to the identity provider"
    );
    metrics::describe_histogram!(
        "oauth_store_seconds",
        Unit::Seconds,
        "Calls to the session store"
    );
    metrics::describe_counter!(
        "oauth_session_cache_total",
        "The Redis session cache: hits, misses, invalidations, lost leases, failed heartbeats"
    );
}
