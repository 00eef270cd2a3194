//! A short run of halyard-bench against the real server, so that the load
//! generator keeps working: table set-up and preload, a measurement signing
//! each request, and one replaying pre-signed requests. It asserts what was
//! measured (requests answered, no errors), never how fast.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server() -> (Server, String) {
    // `cargo test --workspace` builds the halyard binary beside this one
    // (its own package's tests run it).
    let halyard = Path::new(env!("CARGO_BIN_EXE_halyard-bench")).with_file_name("halyard");
    assert!(halyard.exists(), "{} is not built", halyard.display());
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(halyard)
        .args(["serve", "--in-memory", "--listen", &format!("127.0.0.1:{port}")])
        .env("HALYARD_ROOT_ACCESS_KEY_ID", "benchaccess")
        .env("HALYARD_ROOT_SECRET_ACCESS_KEY", "benchsecret")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start halyard");
    let server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "halyard did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, format!("http://127.0.0.1:{port}"))
}

/// Runs halyard-bench and returns its one endpoint's JSON report.
fn bench(endpoint: &str, workload: &str, extra: &[&str]) -> serde_json::Value {
    // (Its standard output is the report as a table.)
    let json = std::env::temp_dir().join(format!("halyard-bench-smoke-{}-{workload}.json", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_halyard-bench"))
        .args(["--endpoint", endpoint, "--workload", workload, "--keys", "200"])
        .args(["--concurrency", "2", "--duration", "0.5", "--warmup", "0", "--json"])
        .arg(&json)
        .args(extra)
        .output()
        .expect("run halyard-bench");
    assert!(
        output.status.success(),
        "halyard-bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = std::fs::read(&json).expect("the JSON report");
    let _ = std::fs::remove_file(&json);
    let report: serde_json::Value = serde_json::from_slice(&report).expect("a JSON report");
    report["results"][0].clone()
}

#[test]
fn measures_the_server_signing_each_request_and_replaying_presigned_ones() {
    let (_server, endpoint) = start_server();
    for (workload, extra) in [("get", &[][..]), ("ycsb-a", &["--presigned", "20"][..])] {
        let measured = bench(&endpoint, workload, extra);
        assert!(measured["ops"].as_u64().unwrap() > 0, "{workload}: {measured}");
        assert_eq!(measured["errors"], 0, "{workload}: {measured}");
        assert_eq!(measured["missing_items"], 0, "{workload}: {measured}");
    }
}
