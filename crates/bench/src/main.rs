//! halyard-bench: a load generator for DynamoDB-compatible servers.
//!
//! It speaks the real DynamoDB JSON 1.0 protocol over keep-alive HTTP/1.1
//! connections (one per worker), signs every request with SigV4 as the AWS
//! SDKs do, and measures a closed loop: each worker sends its next request
//! as soon as the previous response is read. Latency is measured from
//! before signing to the last byte of the response.

mod client;
mod keys;
mod workload;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::{Parser, ValueEnum};
use hdrhistogram::Histogram;
use serde_json::{json, Value};

use client::{Connection, Target};
use keys::{KeyChooser, Rng};
use workload::{Op, Requests, Workload};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Distribution {
    Uniform,
    Zipfian,
}

/// Load generator for Halyard and other DynamoDB-compatible servers.
#[derive(Parser, Debug)]
#[command(name = "halyard-bench", version)]
struct Args {
    /// Endpoint to benchmark, `http://host:port` or `label=http://host:port`.
    /// Repeat it to compare endpoints: they run in alternating rounds
    /// (A, B, A, B, ...) and ratios against the first one are printed.
    #[arg(long = "endpoint", required = true)]
    endpoints: Vec<String>,
    /// A further endpoint to compare with (same as another --endpoint).
    #[arg(long = "compare-endpoint")]
    compare_endpoints: Vec<String>,
    #[arg(long, value_enum, default_value = "get")]
    workload: Workload,
    /// Concurrent connections, each with one request in flight.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Measured seconds per endpoint (split over the rounds).
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Rounds per endpoint; defaults to 1 for one endpoint and 2 when comparing.
    #[arg(long)]
    rounds: Option<u32>,
    /// Unmeasured warm-up seconds before each endpoint's first round.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Approximate item size in bytes (names plus values, as DynamoDB counts).
    #[arg(long, default_value_t = 200)]
    item_size: usize,
    /// Key space: number of distinct items (for query: items, 10 per partition).
    #[arg(long, default_value_t = 10_000)]
    keys: u64,
    /// Items to write before the run (default: the whole key space for
    /// workloads that read, none for put and batch-write). Skipped when the
    /// table already existed and its ItemCount says it is loaded, unless
    /// --force-preload.
    #[arg(long)]
    preload: Option<u64>,
    /// Preload even when the table looks loaded.
    #[arg(long)]
    force_preload: bool,
    /// Table name (default: halyard_bench, or halyard_bench_range for query).
    #[arg(long)]
    table: Option<String>,
    #[arg(long, value_enum, default_value = "uniform")]
    distribution: Distribution,
    /// Write the results as JSON to this file ("-" for standard output).
    #[arg(long)]
    json: Option<String>,
    /// Exit with status 0 even when requests failed.
    #[arg(long)]
    allow_errors: bool,
    /// Load generator threads (the server shares the machine, so few).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    #[arg(long, default_value = "us-east-1")]
    region: String,
    #[arg(long, default_value = "benchaccess")]
    access_key: String,
    #[arg(long, default_value = "benchsecret")]
    secret_key: String,
    /// Random seed.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Sign this many requests per connection before each measurement and
    /// replay them in turn, so that the client neither signs nor builds
    /// JSON while it measures (0: sign each request as it is sent, as an
    /// SDK does). Writes repeat once the pool is used up.
    #[arg(long, default_value_t = 0)]
    presigned: usize,
}

struct Endpoint {
    label: String,
    url: String,
    target: Target,
    /// False for servers that do not answer DescribeTable like DynamoDB
    /// (a static HTTP server): no table set-up, no preload, no checks of
    /// response contents.
    dynamo: bool,
}

/// What one worker (or a whole endpoint, once merged) measured.
struct Stats {
    total: Histogram<u64>,
    per_op: Vec<Option<Histogram<u64>>>,
    ok: u64,
    errors: BTreeMap<String, u64>,
    error_samples: Vec<String>,
    /// GetItem without an Item, or Query with fewer than 10 items.
    missing: u64,
    unprocessed: u64,
    /// Connections the server closed, which had to be reopened.
    reconnects: u64,
    elapsed: Duration,
    client_cpu: Duration,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds")
}

impl Stats {
    fn new() -> Stats {
        Stats {
            total: histogram(),
            per_op: Op::ALL.iter().map(|_| None).collect(),
            ok: 0,
            errors: BTreeMap::new(),
            error_samples: Vec::new(),
            missing: 0,
            unprocessed: 0,
            reconnects: 0,
            elapsed: Duration::ZERO,
            client_cpu: Duration::ZERO,
        }
    }

    fn record(&mut self, op: Op, latency: Duration) {
        let micros = (latency.as_micros() as u64).clamp(1, 120_000_000);
        self.total.saturating_record(micros);
        self.per_op[op.index()]
            .get_or_insert_with(histogram)
            .saturating_record(micros);
    }

    fn error(&mut self, kind: String, detail: String) {
        *self.errors.entry(kind.clone()).or_default() += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(format!("{kind}: {detail}"));
        }
    }

    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn merge(&mut self, other: Stats) {
        self.total.add(&other.total).expect("same bounds");
        for (mine, theirs) in self.per_op.iter_mut().zip(other.per_op) {
            if let Some(theirs) = theirs {
                mine.get_or_insert_with(histogram).add(&theirs).expect("same bounds");
            }
        }
        self.ok += other.ok;
        for (kind, count) in other.errors {
            *self.errors.entry(kind).or_default() += count;
        }
        for sample in other.error_samples {
            if self.error_samples.len() < 5 {
                self.error_samples.push(sample);
            }
        }
        self.missing += other.missing;
        self.unprocessed += other.unprocessed;
        self.reconnects += other.reconnects;
    }

    fn ops_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs == 0.0 {
            0.0
        } else {
            self.total.len() as f64 / secs
        }
    }
}

fn main() -> ExitCode {
    let mut args = Args::parse();
    args.endpoints.append(&mut args.compare_endpoints);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("halyard-bench: error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, String> {
    let workload = args.workload;
    let table = args.table.clone().unwrap_or_else(|| {
        if workload.needs_range_key() {
            "halyard_bench_range".into()
        } else {
            "halyard_bench".into()
        }
    });
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    let chooser = match args.distribution {
        Distribution::Uniform => KeyChooser::uniform(args.keys),
        Distribution::Zipfian => {
            // Query draws partitions, the others items.
            let n = if workload.needs_range_key() {
                (args.keys / workload::QUERY_ITEMS).max(1)
            } else {
                args.keys
            };
            KeyChooser::zipfian(n)
        }
    };
    let requests = Arc::new(Requests::new(&table, workload, args.keys, chooser, args.item_size));

    let mut endpoints = Vec::new();
    for (i, spec) in args.endpoints.iter().enumerate() {
        let (label, url) = match spec.split_once('=') {
            Some((label, url)) if !label.contains("://") => (label.to_string(), url.to_string()),
            _ => (format!("endpoint{}", i + 1), spec.clone()),
        };
        let url = if url.contains("://") {
            url
        } else {
            format!("http://{url}")
        };
        let target = Target::new(&url, &args.region, &args.access_key, &args.secret_key)?;
        endpoints.push(Endpoint {
            label,
            url,
            target,
            dynamo: true,
        });
    }

    let rounds = args.rounds.unwrap_or(if endpoints.len() > 1 { 2 } else { 1 }).max(1);
    let round_time = Duration::from_secs_f64(args.duration / rounds as f64);
    eprintln!(
        "halyard-bench: workload {} ({:?} keys), concurrency {}, {} s per endpoint in {} round(s), item size {} B, key space {}, table {}",
        workload.name(),
        args.distribution,
        args.concurrency,
        args.duration,
        rounds,
        args.item_size,
        args.keys,
        table
    );

    // Set up every endpoint before measuring any.
    for endpoint in endpoints.iter_mut() {
        setup(endpoint, &args, &requests).await?;
    }

    let mut results: Vec<Stats> = endpoints.iter().map(|_| Stats::new()).collect();
    for round in 0..rounds {
        for (i, endpoint) in endpoints.iter().enumerate() {
            if round == 0 && args.warmup > 0.0 {
                measure(
                    endpoint,
                    &args,
                    &requests,
                    Duration::from_secs_f64(args.warmup),
                    round,
                    true,
                )
                .await?;
            }
            let stats = measure(endpoint, &args, &requests, round_time, round, false).await?;
            eprintln!(
                "  round {}/{} {:<10} {:>10.0} ops/s  p99 {:>8.3} ms  errors {}",
                round + 1,
                rounds,
                endpoint.label,
                stats.ops_per_sec(),
                stats.total.value_at_quantile(0.99) as f64 / 1000.0,
                stats.error_count()
            );
            let elapsed = results[i].elapsed + stats.elapsed;
            let cpu = results[i].client_cpu + stats.client_cpu;
            results[i].merge(stats);
            results[i].elapsed = elapsed;
            results[i].client_cpu = cpu;
        }
    }

    print_report(&args, &table, &endpoints, &results);
    let report = json_report(&args, &table, rounds, &endpoints, &results);
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).expect("json");
        if path == "-" {
            println!("{text}");
        } else {
            std::fs::write(path, text + "\n").map_err(|e| format!("writing {path}: {e}"))?;
        }
    }

    let errors: u64 = results.iter().map(Stats::error_count).sum();
    if errors > 0 {
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!("!!! THIS RUN HAD {errors} FAILED REQUESTS: its figures are not valid as they stand.");
        for (endpoint, stats) in endpoints.iter().zip(&results) {
            for (kind, count) in &stats.errors {
                eprintln!("!!!   {}: {count} x {kind}", endpoint.label);
            }
            for sample in &stats.error_samples {
                eprintln!("!!!   {} e.g. {sample}", endpoint.label);
            }
        }
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        if !args.allow_errors {
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates the table if it is missing and preloads it.
async fn setup(endpoint: &mut Endpoint, args: &Args, requests: &Arc<Requests>) -> Result<(), String> {
    let mut connection = Connection::open(endpoint.target.clone()).await?;
    let describe = json!({"TableName": requests.table}).to_string();
    let response = connection.call("DescribeTable", describe.clone().into()).await?;
    let mut existed = false;
    let mut item_count = 0u64;
    if response.ok() {
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let Some(table) = body.get("Table") else {
            eprintln!(
                "  {}: DescribeTable answered without a Table: not a DynamoDB server (a static HTTP server?): \
                 no table set-up, no preload, response contents not checked",
                endpoint.label
            );
            endpoint.dynamo = false;
            return Ok(());
        };
        let has_range = table.get("KeySchema").and_then(|k| k.as_array()).is_some_and(|k| {
            k.iter()
                .any(|e| e.get("KeyType").and_then(|t| t.as_str()) == Some("RANGE"))
        });
        if has_range != args.workload.needs_range_key() {
            return Err(format!(
                "{}: table {} exists with a different key schema than workload {} needs; pick another --table",
                endpoint.label,
                requests.table,
                args.workload.name()
            ));
        }
        existed = true;
        item_count = table.get("ItemCount").and_then(|c| c.as_u64()).unwrap_or(0);
    } else if response.error_type() == "ResourceNotFoundException" {
        let mut attributes = vec![json!({"AttributeName": "pk", "AttributeType": "S"})];
        let mut schema = vec![json!({"AttributeName": "pk", "KeyType": "HASH"})];
        if args.workload.needs_range_key() {
            attributes.push(json!({"AttributeName": "sk", "AttributeType": "N"}));
            schema.push(json!({"AttributeName": "sk", "KeyType": "RANGE"}));
        }
        let create = json!({
            "TableName": requests.table,
            "AttributeDefinitions": attributes,
            "KeySchema": schema,
            "BillingMode": "PAY_PER_REQUEST",
        });
        let response = connection.call("CreateTable", create.to_string().into()).await?;
        if !response.ok() && response.error_type() != "ResourceInUseException" {
            return Err(format!(
                "{}: CreateTable failed: {} {}",
                endpoint.label,
                response.error_type(),
                response.error_message()
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let response = connection.call("DescribeTable", describe.clone().into()).await?;
            let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            if body.pointer("/Table/TableStatus").and_then(|s| s.as_str()) == Some("ACTIVE") {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{}: table {} did not become ACTIVE",
                    endpoint.label, requests.table
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        eprintln!("  {}: created table {}", endpoint.label, requests.table);
    } else {
        return Err(format!(
            "{}: DescribeTable failed: {} {}",
            endpoint.label,
            response.error_type(),
            response.error_message()
        ));
    }

    let preload = args
        .preload
        .unwrap_or(if args.workload.reads() { args.keys } else { 0 });
    if preload == 0 {
        return Ok(());
    }
    if existed && item_count >= preload && !args.force_preload {
        eprintln!(
            "  {}: table {} already holds {item_count} items: preload skipped (--force-preload to redo it)",
            endpoint.label, requests.table
        );
        return Ok(());
    }
    // BatchWriteItem of 25 consecutive items, resending what comes back
    // unprocessed: the fastest way in that every server supports.
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let workers = args.concurrency.clamp(8, 64);
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let target = endpoint.target.clone();
        let requests = requests.clone();
        let next = next.clone();
        let mut rng = Rng::new(args.seed ^ (worker as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open(target).await?;
            loop {
                let first = next.fetch_add(workload::BATCH_ITEMS as u64, Ordering::Relaxed);
                if first >= preload {
                    return Ok::<_, String>(());
                }
                let items: Vec<String> = (first..preload.min(first + workload::BATCH_ITEMS as u64))
                    .map(|i| requests.preload_item_json(i, &mut rng))
                    .collect();
                batch_write_all(&mut connection, requests.batch_put(&items)).await?;
            }
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("{}: preload: {e}", endpoint.label))?;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "  {}: preloaded {preload} items in {:.1} s ({:.0} items/s)",
        endpoint.label,
        secs,
        preload as f64 / secs
    );
    Ok(())
}

/// `first` in `percent`% of the draws, `otherwise` in the rest.
fn either(rng: &mut Rng, percent: u32, first: Op, otherwise: Op) -> Op {
    if rng.percent(percent) {
        first
    } else {
        otherwise
    }
}

/// Sends a BatchWriteItem, then its UnprocessedItems until none are left
/// (backing off a little more each time, giving up after 100 retries).
async fn batch_write_all(connection: &mut Connection, mut body: bytes::Bytes) -> Result<(), String> {
    let mut attempt: u64 = 0;
    loop {
        let response = connection.call("BatchWriteItem", body).await?;
        if !response.ok() {
            return Err(format!(
                "BatchWriteItem failed: {} {}",
                response.error_type(),
                response.error_message()
            ));
        }
        let answer: Value = serde_json::from_slice(&response.body).map_err(|e| e.to_string())?;
        match answer.get("UnprocessedItems") {
            Some(unprocessed) if unprocessed.as_object().is_some_and(|tables| !tables.is_empty()) => {
                attempt += 1;
                if attempt > 100 {
                    return Err("BatchWriteItem still left items unprocessed after 100 retries".into());
                }
                tokio::time::sleep(Duration::from_millis(attempt.min(10) * 10)).await;
                body = serde_json::to_vec(&serde_json::json!({ "RequestItems": unprocessed }))
                    .map_err(|e| e.to_string())?
                    .into();
            }
            _ => return Ok(()),
        }
    }
}

/// Runs `concurrency` closed-loop workers against one endpoint for `duration`.
async fn measure(
    endpoint: &Endpoint,
    args: &Args,
    requests: &Arc<Requests>,
    duration: Duration,
    round: u32,
    warmup: bool,
) -> Result<Stats, String> {
    // Connect every worker first, then start them together.
    let mut connections = Vec::new();
    for _ in 0..args.concurrency {
        connections.push(Connection::open(endpoint.target.clone()).await?);
    }
    let mut workers = Vec::new();
    for (w, connection) in connections.into_iter().enumerate() {
        let seed = args.seed ^ ((round as u64) << 32) ^ (w as u64).wrapping_mul(0x9E37_79B9) ^ warmup as u64;
        let mut rng = Rng::new(seed);
        let pool = presign(&connection, requests, &mut rng, args.presigned)?;
        workers.push((connection, rng, pool));
    }
    let cpu_before = process_cpu();
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for (connection, rng, pool) in workers {
        let requests = requests.clone();
        let check = endpoint.dynamo;
        tasks.push(tokio::spawn(worker(connection, requests, rng, deadline, check, pool)));
    }
    let mut stats = Stats::new();
    for task in tasks {
        stats.merge(task.await.map_err(|e| e.to_string())?);
    }
    stats.elapsed = started.elapsed();
    stats.client_cpu = process_cpu().saturating_sub(cpu_before);
    Ok(stats)
}

/// Requests drawn and signed before a measurement, replayed in turn.
type Pool = Vec<(Op, Vec<(&'static str, client::Presigned)>)>;

/// `count` operations of the workload, signed now on `connection`.
fn presign(connection: &Connection, requests: &Requests, rng: &mut Rng, count: usize) -> Result<Pool, String> {
    (0..count)
        .map(|_| {
            let (op, calls) = next_op(requests, rng);
            let signed = calls
                .into_iter()
                .map(|(operation, body)| Ok((operation, connection.presign(operation, body)?)))
                .collect::<Result<_, String>>()?;
            Ok((op, signed))
        })
        .collect()
}

async fn worker(
    mut connection: Connection,
    requests: Arc<Requests>,
    mut rng: Rng,
    deadline: Instant,
    check: bool,
    pool: Pool,
) -> Stats {
    let mut stats = Stats::new();
    let mut next = 0;
    while Instant::now() < deadline {
        let started = Instant::now();
        let mut ok = true;
        let op = if pool.is_empty() {
            let (op, calls) = next_op(&requests, &mut rng);
            for (operation, body) in calls {
                let response = connection.call(operation, body).await;
                if !outcome(&mut stats, operation, response, check) {
                    ok = false;
                    break;
                }
            }
            op
        } else {
            let (op, calls) = &pool[next];
            next = (next + 1) % pool.len();
            for (operation, presigned) in calls {
                let response = connection.replay(presigned).await;
                if !outcome(&mut stats, operation, response, check) {
                    ok = false;
                    break;
                }
            }
            *op
        };
        if ok {
            stats.ok += 1;
            stats.record(op, started.elapsed());
        }
    }
    stats.reconnects = connection.reconnects;
    stats
}

/// The next operation of the workload and the requests it makes (two for a
/// read-modify-write, one otherwise).
fn next_op(requests: &Requests, rng: &mut Rng) -> (Op, Vec<(&'static str, bytes::Bytes)>) {
    let op = match requests.workload {
        Workload::Put => Op::Put,
        Workload::Get | Workload::YcsbC => Op::Get,
        Workload::Update => Op::Update,
        Workload::Query => Op::Query,
        Workload::BatchWrite => Op::BatchWrite,
        Workload::Mixed => either(rng, 50, Op::Get, Op::Put),
        Workload::YcsbA => either(rng, 50, Op::Get, Op::Update),
        Workload::YcsbB => either(rng, 95, Op::Get, Op::Update),
        Workload::YcsbF => either(rng, 50, Op::Get, Op::ReadModifyWrite),
    };
    let key = requests.next_key(rng);
    let calls = match op {
        Op::Get => vec![("GetItem", requests.get(key))],
        Op::Put => vec![("PutItem", requests.put(key, rng))],
        Op::Update if requests.workload == Workload::Update => vec![("UpdateItem", requests.increment(key))],
        Op::Update => vec![("UpdateItem", requests.update_field(key, rng))],
        Op::Query => vec![("Query", requests.query(key))],
        Op::BatchWrite => vec![("BatchWriteItem", requests.batch_write(rng))],
        Op::ReadModifyWrite => vec![
            ("GetItem", requests.get(key)),
            ("UpdateItem", requests.update_field(key, rng)),
        ],
    };
    (op, calls)
}

/// Counts one response: a failure, or what its body shows is missing
/// (with `check`). Returns whether the request succeeded.
fn outcome(stats: &mut Stats, operation: &str, response: Result<client::Response, String>, check: bool) -> bool {
    match response {
        Ok(response) if response.ok() => {
            let body = &response.body[..];
            let missing = match operation {
                "GetItem" => !workload::contains(body, br#""Item""#),
                "Query" => workload::query_count(body) != Some(workload::QUERY_ITEMS),
                _ => false,
            };
            if check && missing {
                stats.missing += 1;
            }
            if check && operation == "BatchWriteItem" && workload::has_unprocessed(body) {
                stats.unprocessed += 1;
            }
            true
        }
        Ok(response) => {
            stats.error(
                format!("{operation} {}", response.error_type()),
                response.error_message(),
            );
            false
        }
        Err(e) => {
            stats.error(format!("{operation} transport"), e);
            false
        }
    }
}

/// CPU time (user + system) this process has used so far.
fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0);
    // Linux reports in USER_HZ, which is 100 on every mainstream platform.
    Duration::from_millis(ticks * 10)
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn print_report(args: &Args, table: &str, endpoints: &[Endpoint], results: &[Stats]) {
    println!();
    println!(
        "workload {} | distribution {:?} | concurrency {} | item size {} B | keys {} | table {} | {} s per endpoint",
        args.workload.name(),
        args.distribution,
        args.concurrency,
        args.item_size,
        args.keys,
        table,
        args.duration
    );
    println!(
        "{:<12} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>7} {:>8}",
        "endpoint", "ops/s", "p50 ms", "p95 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "missing", "cli CPU"
    );
    for (endpoint, stats) in endpoints.iter().zip(results) {
        let h = &stats.total;
        let errors = stats.error_count();
        println!(
            "{:<12} {:>11.0} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>8} {:>7} {:>7.0}%{}",
            endpoint.label,
            stats.ops_per_sec(),
            ms(h.value_at_quantile(0.50)),
            ms(h.value_at_quantile(0.95)),
            ms(h.value_at_quantile(0.99)),
            ms(h.value_at_quantile(0.999)),
            ms(h.max()),
            errors,
            stats.missing + stats.unprocessed,
            100.0 * stats.client_cpu.as_secs_f64() / stats.elapsed.as_secs_f64().max(1e-9),
            if errors > 0 { "   <== ERRORS" } else { "" }
        );
        let kinds: Vec<(Op, &Histogram<u64>)> = Op::ALL
            .iter()
            .filter_map(|op| stats.per_op[op.index()].as_ref().map(|h| (*op, h)))
            .collect();
        if kinds.len() > 1 {
            for (op, h) in kinds {
                println!(
                    "  {:<10} {:>11.0} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                    short_op(op),
                    h.len() as f64 / stats.elapsed.as_secs_f64().max(1e-9),
                    ms(h.value_at_quantile(0.50)),
                    ms(h.value_at_quantile(0.95)),
                    ms(h.value_at_quantile(0.99)),
                    ms(h.value_at_quantile(0.999)),
                    ms(h.max())
                );
            }
        }
    }
    if endpoints.len() > 1 {
        let base = &results[0];
        for (endpoint, stats) in endpoints.iter().zip(results).skip(1) {
            println!(
                "ratio {} / {}: throughput {:.2}x, p50 latency {:.2}x, p99 latency {:.2}x",
                endpoints[0].label,
                endpoint.label,
                ratio(base.ops_per_sec(), stats.ops_per_sec()),
                ratio(
                    base.total.value_at_quantile(0.5) as f64,
                    stats.total.value_at_quantile(0.5) as f64
                ),
                ratio(
                    base.total.value_at_quantile(0.99) as f64,
                    stats.total.value_at_quantile(0.99) as f64
                ),
            );
        }
    }
    for (endpoint, stats) in endpoints.iter().zip(results) {
        if stats.missing > 0 {
            println!(
                "note: {}: {} responses lacked the expected items (GetItem without Item, or Query with fewer than {} items)",
                endpoint.label,
                stats.missing,
                workload::QUERY_ITEMS
            );
        }
        if stats.reconnects > 0 {
            println!(
                "note: {}: the server closed connections: {} reconnects (no keep-alive)",
                endpoint.label, stats.reconnects
            );
        }
        if stats.unprocessed > 0 {
            println!(
                "note: {}: {} BatchWriteItem responses had UnprocessedItems",
                endpoint.label, stats.unprocessed
            );
        }
        if stats.error_count() > 0 {
            println!(
                "ERRORS: {}: {} failed requests: {:?}",
                endpoint.label,
                stats.error_count(),
                stats.errors
            );
        }
    }
}

fn short_op(op: Op) -> &'static str {
    match op {
        Op::Get => "get",
        Op::Put => "put",
        Op::Update => "update",
        Op::Query => "query",
        Op::BatchWrite => "batch",
        Op::ReadModifyWrite => "rmw",
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b == 0.0 {
        f64::INFINITY
    } else {
        a / b
    }
}

fn latency_json(h: &Histogram<u64>) -> Value {
    json!({
        "count": h.len(),
        "p50_ms": ms(h.value_at_quantile(0.50)),
        "p95_ms": ms(h.value_at_quantile(0.95)),
        "p99_ms": ms(h.value_at_quantile(0.99)),
        "p99_9_ms": ms(h.value_at_quantile(0.999)),
        "max_ms": ms(h.max()),
        "mean_ms": h.mean() / 1000.0,
    })
}

fn json_report(args: &Args, table: &str, rounds: u32, endpoints: &[Endpoint], results: &[Stats]) -> Value {
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let per_endpoint: Vec<Value> = endpoints
        .iter()
        .zip(results)
        .map(|(endpoint, stats)| {
            let per_op: serde_json::Map<String, Value> = Op::ALL
                .iter()
                .filter_map(|op| {
                    stats.per_op[op.index()].as_ref().map(|h| {
                        let mut v = latency_json(h);
                        v["ops_per_sec"] = json!(h.len() as f64 / stats.elapsed.as_secs_f64().max(1e-9));
                        (op.name().to_string(), v)
                    })
                })
                .collect();
            json!({
                "label": endpoint.label,
                "endpoint": endpoint.url,
                "dynamodb_compatible": endpoint.dynamo,
                "ops": stats.total.len(),
                "seconds": stats.elapsed.as_secs_f64(),
                "ops_per_sec": stats.ops_per_sec(),
                "latency": latency_json(&stats.total),
                "per_operation": per_op,
                "errors": stats.error_count(),
                "errors_by_type": stats.errors,
                "error_samples": stats.error_samples,
                "missing_items": stats.missing,
                "unprocessed_batches": stats.unprocessed,
                "reconnects": stats.reconnects,
                "client_cpu_percent": 100.0 * stats.client_cpu.as_secs_f64() / stats.elapsed.as_secs_f64().max(1e-9),
            })
        })
        .collect();
    let ratios: Vec<Value> = results
        .iter()
        .zip(endpoints)
        .skip(1)
        .map(|(stats, endpoint)| {
            json!({
                "base": endpoints[0].label,
                "other": endpoint.label,
                "throughput": ratio(results[0].ops_per_sec(), stats.ops_per_sec()),
                "p50_latency": ratio(results[0].total.value_at_quantile(0.5) as f64, stats.total.value_at_quantile(0.5) as f64),
                "p99_latency": ratio(results[0].total.value_at_quantile(0.99) as f64, stats.total.value_at_quantile(0.99) as f64),
            })
        })
        .collect();
    json!({
        "tool": "halyard-bench",
        "unix_time": unix,
        "workload": args.workload.name(),
        "distribution": format!("{:?}", args.distribution).to_lowercase(),
        "concurrency": args.concurrency,
        "duration_per_endpoint_s": args.duration,
        "rounds": rounds,
        "item_size": args.item_size,
        "keys": args.keys,
        "table": table,
        "threads": args.threads,
        "results": per_endpoint,
        "ratios": ratios,
    })
}
