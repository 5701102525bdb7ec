//! The OTLP sink of `telemetry` mode: idsync-telemetry's test collector (OTLP over gRPC)
//! in a process of its own, so that what it spends receiving spans is charged neither to
//! idsync nor to the harness's clients.
//!
//! Run by the harness as `idsync-bench otlp-sink`: prints `OTLP endpoint: <URL>`, serves
//! until its stdin closes, then prints `spans received: N` and exits.

use std::io::Read;

use anyhow::Result;
use idsync_telemetry::test_util::Collector;

/// Serves until stdin reaches its end, then reports what arrived.
pub async fn serve() -> Result<()> {
    let collector = Collector::grpc().await?;
    println!("OTLP endpoint: {}", collector.endpoint());
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        std::io::stdin().read_to_end(&mut sink)
    })
    .await??;
    println!("spans received: {}", collector.spans().len());
    println!("metrics received: {}", collector.metric_names().len());
    Ok(())
}
