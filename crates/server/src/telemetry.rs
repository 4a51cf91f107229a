//! Logs (JSON lines or human-readable) and the Prometheus metrics recorder.

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global log subscriber once; later calls do nothing.
pub fn init_logging(level: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Keeps the Prometheus recorder's histograms bounded: they hold every sample until the
/// next scrape or upkeep, so a server nobody scrapes would grow without end. Runs the
/// upkeep every 5 seconds.
pub fn spawn_metrics_upkeep(handle: PrometheusHandle) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            handle.run_upkeep();
            record_heap();
        }
    })
}

/// The allocator's view of memory: what the program holds (`allocated`) against what the
/// allocator keeps from the system (`resident`). A leak grows the first; fragmentation or
/// caching only the second.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
fn record_heap() {
    use tikv_jemalloc_ctl::{epoch, stats};
    if epoch::advance().is_err() {
        return;
    }
    if let Ok(b) = stats::allocated::read() {
        metrics::gauge!("process_heap_allocated_bytes").set(b as f64);
    }
    if let Ok(b) = stats::resident::read() {
        metrics::gauge!("process_heap_resident_bytes").set(b as f64);
    }
}

#[cfg(not(all(feature = "jemalloc", not(target_env = "msvc"))))]
fn record_heap() {}

/// The process-wide Prometheus recorder (installed on first use).
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            handle
        })
        .clone()
}
