//! The OTLP sink of `telemetry` mode: idsync-telemetry's test collector (OTLP over gRPC)
//! in a process of its own, so that what it spends receiving spans is charged neither to
//! idsync nor to the harness's clients. It only decodes and counts: it shares the
//! machine's cores with idsync, so it keeps no span and formats nothing.
//!
//! Run by the harness as `idsync-bench otlp-sink`: prints `OTLP endpoint: <URL>`, serves
//! until its stdin closes, then prints `spans received: N` and exits.

use std::io::Read;

use anyhow::Result;
use idsync_telemetry::test_util::Collector;

/// Serves until stdin reaches its end, then reports what arrived.
pub async fn serve() -> Result<()> {
    let collector = Collector::grpc_counting().await?;
    println!("OTLP endpoint: {}", collector.endpoint());
    tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        std::io::stdin().read_to_end(&mut sink)
    })
    .await??;
    println!("spans received: {}", collector.span_count());
    Ok(())
}
