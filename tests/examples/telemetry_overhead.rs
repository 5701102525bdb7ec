//! What telemetry costs in request throughput: one run measures idsync with telemetry
//! *disabled* (`OTEL_SDK_DISABLED=true`), *off* (the default: no OTLP endpoint, spans
//! get ids but are not recorded) and *on* (every request traced and exported over
//! OTLP/gRPC to a collector in this parent process, over loopback, metrics pushed
//! every 10 s), and prints
//! requests/s of each and their ratios.
//!
//! ```sh
//! cargo run --release -p idsync-tests --example telemetry_overhead
//! ```
//!
//! A telemetry pipeline can be installed once per process, so each measurement runs in
//! a child process of this one (`--child MODE`), in rounds that alternate the modes so
//! that a noisy neighbour hurts them alike; the median of the rounds is reported. Each
//! child starts a single node (gateway + in-process core, real gRPC hop) on a fresh
//! SQLite file and drives `IDSYNC_BENCH_REQUESTS` requests (default 20 000, half
//! `GET /Users/{id}`, half `PATCH` of `displayName`) from `IDSYNC_BENCH_CONCURRENCY`
//! keep-alive clients (default 16) after a warm-up. Logs are at `warn` in every mode,
//! so the figures compare traces and metrics, not log volume.
//!
//! Besides requests/s it reports the process's CPU time per request (user + system,
//! from `/proc/self/stat`, load generator included): on a machine shared with other
//! work, wall-clock throughput swings with the neighbours, CPU per request much less.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use idsync::node::{NodeConfig, start_single_node};
use idsync_core::CoreSettings;
use idsync_telemetry::test_util::Collector;
use idsync_telemetry::{LogOutput, LogSettings, OtlpConfig, OtlpProtocol, TelemetryConfig};
use serde_json::json;

const MODES: [&str; 3] = ["disabled", "off", "on"];
const USERS: usize = 64;

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, mode] = args.as_slice()
        && flag == "--child"
    {
        return child(mode);
    }
    let rounds = setting("IDSYNC_BENCH_ROUNDS", 5);
    let requests = setting("IDSYNC_BENCH_REQUESTS", 20_000);
    let concurrency = setting("IDSYNC_BENCH_CONCURRENCY", 16);
    println!("{requests} requests (GET/PATCH), {concurrency} concurrent clients, {rounds} rounds per mode");
    // The collector runs here, not in the measured process, so that the CPU it spends
    // decoding what it receives is not counted as idsync's.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let collector = runtime.block_on(Collector::grpc())?;
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    for round in 1..=rounds {
        for (i, mode) in MODES.iter().enumerate() {
            let spans_before = collector.spans().len();
            let (rps, cpu_us) = run_child(mode, &collector.endpoint())?;
            if *mode == "on" {
                let spans = collector.spans().len() - spans_before;
                println!("         (on: {spans} spans reached the collector)");
            }
            println!("round {round}: {mode:>8} {rps:>8.0} req/s {cpu_us:>7.0} µs CPU/request");
            rates[i].push(rps);
            cpu[i].push(cpu_us);
        }
    }
    let rates: Vec<f64> = rates.iter_mut().map(|r| median(r)).collect();
    let cpu: Vec<f64> = cpu.iter_mut().map(|r| median(r)).collect();
    println!();
    for (i, mode) in MODES.iter().enumerate() {
        println!(
            "median {mode:>8} {:>8.0} req/s {:>7.0} µs CPU/request",
            rates[i], cpu[i]
        );
    }
    let ratios = |v: &[f64]| {
        format!(
            "on/off {:.3}  off/disabled {:.3}  on/disabled {:.3}",
            v[2] / v[1],
            v[1] / v[0],
            v[2] / v[0]
        )
    };
    println!("throughput   {}", ratios(&rates));
    println!("CPU/request  {}", ratios(&cpu));
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Runs one measurement in a child process; its requests/s and CPU µs per request.
fn run_child(mode: &str, collector: &str) -> Result<(f64, f64)> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--child", mode]).stderr(Stdio::inherit());
    if mode == "disabled" {
        command.env("OTEL_SDK_DISABLED", "true");
    }
    command.env("IDSYNC_BENCH_COLLECTOR", collector);
    // Export every span (a queue the load cannot overflow) so "on" pays the full price.
    command
        .env("OTEL_BSP_MAX_QUEUE_SIZE", "262144")
        .env("OTEL_BSP_SCHEDULE_DELAY", "250");
    let output = command.output().context("running a measurement")?;
    if !output.status.success() {
        bail!(
            "the {mode} measurement failed: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let value = |key: &str| -> Result<f64> {
        let line = stdout.lines().find_map(|l| l.strip_prefix(key));
        Ok(line
            .with_context(|| format!("the child reported no {key}"))?
            .trim()
            .parse()?)
    };
    Ok((value("rps=")?, value("cpu_us=")?))
}

/// CPU time this process has used so far (all threads, user + system), in µs.
fn cpu_time_us() -> Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name may contain spaces; count fields after its closing parenthesis.
    let (_, rest) = stat.rsplit_once(')').context("an unexpected /proc/self/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // utime and stime are in clock ticks of 1/100 s (USER_HZ) on Linux.
    Ok(ticks * 10_000.0)
}

fn child(mode: &str) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(measure(mode))
}

async fn measure(mode: &str) -> Result<()> {
    let collector = match mode {
        "on" => Some(std::env::var("IDSYNC_BENCH_COLLECTOR").context("the collector's endpoint")?),
        _ => None,
    };
    let config = TelemetryConfig {
        sdk_disabled: mode == "disabled",
        otlp: collector.map(|endpoint| OtlpConfig {
            protocol: OtlpProtocol::Grpc,
            traces_endpoint: Some(endpoint.clone()),
            metrics_endpoint: Some(endpoint),
            timeout: Duration::from_secs(10),
            metric_export_interval: Duration::from_secs(10),
            traces_headers: Vec::new(),
        }),
        ..TelemetryConfig::local("idsync-bench")
    };
    let logs = LogSettings {
        filter: "warn".into(),
        output: LogOutput::Stderr,
    };
    let telemetry = idsync_telemetry::install(&config, logs, &tokio::runtime::Handle::current())?;

    let dir = tempfile::tempdir()?;
    let node = start_single_node(NodeConfig {
        database_url: dir.path().join("bench.db").display().to_string(),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        grpc_listen: None,
        grpc_tls: None,
        public_url: None,
        core: CoreSettings::default(),
        store: idsync_storage::StoreOptions::default(),
        gateway: idsync::node::GatewayOptions::default(),
    })
    .await?;
    let boot = node.bootstrap.as_ref().context("a fresh database bootstraps")?;
    let base = Arc::new(node.tenant_url(&boot.tenant));
    let token = Arc::new(boot.secret.clone());
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let mut ids = Vec::with_capacity(USERS);
    for n in 0..USERS {
        let created = client
            .post(format!("{base}/Users"))
            .bearer_auth(token.as_str())
            .header("content-type", "application/scim+json")
            .body(json!({"userName": format!("bench{n}@contoso.com")}).to_string())
            .send()
            .await?;
        let body: serde_json::Value = created.json().await?;
        ids.push(body["id"].as_str().context("an id")?.to_string());
    }
    let ids = Arc::new(ids);
    let concurrency = setting("IDSYNC_BENCH_CONCURRENCY", 16);
    let requests = setting("IDSYNC_BENCH_REQUESTS", 20_000);
    drive(&client, &base, &token, &ids, concurrency, requests / 10).await?;
    let (started, cpu_before) = (Instant::now(), cpu_time_us()?);
    drive(&client, &base, &token, &ids, concurrency, requests).await?;
    let rps = requests as f64 / started.elapsed().as_secs_f64();
    let cpu_us = (cpu_time_us()? - cpu_before) / requests as f64;
    println!("rps={rps:.1}");
    println!("cpu_us={cpu_us:.1}");
    node.shutdown().await?;
    // Everything exported reaches the collector before the parent counts it.
    telemetry.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

/// `total` requests from `concurrency` clients, alternating GET and PATCH.
async fn drive(
    client: &reqwest::Client,
    base: &Arc<String>,
    token: &Arc<String>,
    ids: &Arc<Vec<String>>,
    concurrency: usize,
    total: usize,
) -> Result<()> {
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let (client, base, token, ids) = (client.clone(), base.clone(), token.clone(), ids.clone());
        let share = total / concurrency + usize::from(worker < total % concurrency);
        workers.push(tokio::spawn(async move {
            for n in 0..share {
                let id = &ids[(worker + n * concurrency) % ids.len()];
                let url = format!("{base}/Users/{id}");
                let request = if n % 2 == 0 {
                    client.get(url)
                } else {
                    let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "replace", "path": "displayName", "value": format!("n{n}")}]});
                    client
                        .patch(url)
                        .header("content-type", "application/scim+json")
                        .body(body.to_string())
                };
                let status = request.bearer_auth(token.as_str()).send().await?.status();
                if !status.is_success() {
                    bail!("request answered {status}");
                }
            }
            Ok(())
        }));
    }
    for worker in workers {
        worker.await??;
    }
    Ok(())
}
