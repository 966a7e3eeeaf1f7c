//! The web reader bench: a chapter page of a generated archive served by `ficarchive serve`,
//! and in the same run the same page served by nginx as a static file.
//!
//! Run: `cargo bench -p ficarchive --bench web` (100,000 works; `FICARCHIVE_BENCH_WORKS=N`
//! for another size). Needs `wrk` and `nginx` (Debian packages of those names). The corpus is
//! generated once into `target/bench-corpus/WORKS-SEED` (shared with the archive bench) and
//! imported once into `target/bench-archive/WORKS-SEED`; both are reused.
//!
//! It prints, for each server: wrk's throughput and latency percentiles at full load (2
//! threads, 64 connections), in rounds that alternate between the servers, with the server's
//! CPU time per request, and the medians; then the latency percentiles at a constant 1,000 requests
//! per second (measured from when each request was due, so a stall counts for every request
//! it delays); then the ficarchive server's peak memory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

const SEED: u64 = 42;
const RATE: u64 = 1000;
const RATE_SECONDS: u64 = 10;
const ROUNDS: usize = 5;
const WRK_SECONDS: u64 = 6;

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let works: usize = std::env::var("FICARCHIVE_BENCH_WORKS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let data = ensure_archive(works);

    let server =
        Server::start(Command::new(env!("CARGO_BIN_EXE_ficarchive")).arg("--data").arg(&data).args(["serve", "--addr", "127.0.0.1:0"]));
    let base = server.base.clone();
    let path = format!("/works/{}/chapters/1", works / 2);
    let page = get(&base, &path);
    println!("web bench: {works} works; page {path} ({} bytes)", page.len());

    let root = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(root.path().join("www")).unwrap();
    std::fs::write(root.path().join("www/chapter.html"), &page).unwrap();
    let nginx = Nginx::start(root.path());

    let ours = format!("{base}{path}");
    let theirs = format!("{}/chapter.html", nginx.base);
    assert_eq!(get(&nginx.base, "/chapter.html"), page, "nginx serves the same bytes");

    // Rounds alternate between the two servers, so that a noisy neighbour on a shared machine
    // slows both alike; the medians are compared.
    println!("full load (wrk -t2 -c64 -d{WRK_SECONDS}s, {ROUNDS} alternating rounds; server CPU time per request):");
    let mut rounds: [Vec<Wrk>; 2] = [Vec::new(), Vec::new()];
    let nginx_processes = nginx.processes();
    for round in 1..=ROUNDS {
        for (side, (name, url, pids)) in
            [("ficarchive", &ours, vec![server.child.id()]), ("nginx", &theirs, nginx_processes.clone())].into_iter().enumerate()
        {
            let run = wrk(url, &pids);
            println!(
                "  round {round}  {name:<10} {:>9.0} req/s   p50 {}  p99 {}   {:5.1} µs CPU/request",
                run.rps, run.p50, run.p99, run.cpu_per_request_us
            );
            rounds[side].push(run);
        }
    }
    let median = |runs: &mut Vec<Wrk>, by: fn(&Wrk) -> f64| {
        runs.sort_by(|a, b| by(a).total_cmp(&by(b)));
        by(&runs[runs.len() / 2])
    };
    let [ours_runs, nginx_runs] = &mut rounds;
    let (our_rps, nginx_rps) = (median(ours_runs, |r| r.rps), median(nginx_runs, |r| r.rps));
    let (our_cpu, nginx_cpu) = (median(ours_runs, |r| r.cpu_per_request_us), median(nginx_runs, |r| r.cpu_per_request_us));
    println!(
        "  medians: ficarchive {our_rps:.0} req/s, {our_cpu:.1} µs CPU/request; nginx {nginx_rps:.0} req/s, {nginx_cpu:.1} µs CPU/request"
    );
    println!("  ficarchive reaches {:.0}% of nginx's throughput (medians)", 100.0 * our_rps / nginx_rps);

    // The figures above are for one popular page, answered from the page cache after its first
    // request. Pages nobody has read yet are rendered from the database: first chapters of
    // works picked at random over the whole archive.
    let script = root.path().join("random.lua");
    std::fs::write(
        &script,
        format!(
            "math.randomseed(7)\nrequest = function()\n  return wrk.format(\"GET\", \"/works/\" .. math.random(1, {works}) .. \"/chapters/1\")\nend\n"
        ),
    )
    .unwrap();
    let out = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{WRK_SECONDS}s"), "--latency", "-s"])
        .arg(&script)
        .arg(&base)
        .output()
        .expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines().find(|l| l.trim_start().starts_with(prefix)).unwrap_or("").split_whitespace().nth(1).unwrap_or("?").to_string()
    };
    println!(
        "random first chapters (mostly not cached yet): ficarchive {} req/s   p50 {}  p99 {}",
        field("Requests/sec:"),
        field("50%"),
        field("99%")
    );

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    println!("constant {RATE} req/s for {RATE_SECONDS} s (latency from when each request was due):");
    for (name, url) in [("ficarchive", &ours), ("nginx", &theirs)] {
        let mut latencies = runtime.block_on(constant_rate(url));
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        println!(
            "  {name:<10}  p50 {:6.2} ms   p99 {:6.2} ms   max {:6.2} ms   ({} requests)",
            ms(at(0.50)),
            ms(at(0.99)),
            ms(*latencies.last().unwrap()),
            latencies.len()
        );
    }
    println!("ficarchive server peak memory: {} MB", server.peak_memory_kb() / 1024);
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

/// The imported archive for `works` works, generating and importing it the first time.
fn ensure_archive(works: usize) -> PathBuf {
    let binary = env!("CARGO_BIN_EXE_ficarchive");
    let corpus = target_dir().join(format!("bench-corpus/{works}-{SEED}"));
    if !corpus.join(".complete").exists() {
        let status = Command::new(binary)
            .args(["generate", "--works", &works.to_string(), "--seed", &SEED.to_string()])
            .arg(&corpus)
            .status()
            .unwrap();
        assert!(status.success(), "generate failed");
        std::fs::write(corpus.join(".complete"), b"").unwrap();
    }
    let archive = target_dir().join(format!("bench-archive/{works}-{SEED}"));
    if !archive.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&archive);
        let started = Instant::now();
        let out = Command::new(binary).arg("--data").arg(archive.join("data")).args(["import", "--json"]).arg(&corpus).output().unwrap();
        assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
        println!("imported {works} works in {:.0} s", started.elapsed().as_secs_f64());
        std::fs::write(archive.join(".complete"), b"").unwrap();
    }
    archive.join("data")
}

/// A server process that prints `serving http://ADDR/` first; killed on drop.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(command: &mut Command) -> Server {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("server starts");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines.next().expect("the server prints its address").unwrap();
            if let Some(rest) = line.strip_prefix("serving ") {
                break rest.split_whitespace().next().unwrap().trim_end_matches('/').to_string();
            }
        };
        Server { child, base }
    }

    /// VmHWM: the most resident memory the process has had.
    fn peak_memory_kb(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// nginx serving `ROOT/www` on a free port, with the defaults that matter for a static file
/// (one worker per core, sendfile, keep-alive, no access log).
struct Nginx {
    child: Child,
    base: String,
}

impl Nginx {
    fn start(root: &Path) -> Nginx {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let conf = format!(
            "worker_processes auto;\ndaemon off;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\n\
             events {{ worker_connections 4096; }}\n\
             http {{\n  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n\
             types {{ text/html html; }}\n  client_body_temp_path {root}/tmp;\n  proxy_temp_path {root}/tmp;\n  fastcgi_temp_path {root}/tmp;\n  uwsgi_temp_path {root}/tmp;\n  scgi_temp_path {root}/tmp;\n\
             server {{ listen 127.0.0.1:{port}; root {root}/www; }}\n}}\n",
            root = root.display()
        );
        std::fs::write(root.join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx")
            .arg("-c")
            .arg(root.join("nginx.conf"))
            .arg("-p")
            .arg(root)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx runs (Debian package nginx)");
        let nginx = Nginx { child, base: format!("http://127.0.0.1:{port}") };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return nginx;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("nginx did not start; see {}/error.log", root.display());
    }
}

impl Nginx {
    /// The master and its workers (the processes whose parent is the master).
    fn processes(&self) -> Vec<u32> {
        let master = self.child.id();
        let mut pids = vec![master];
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            let parent = stat[stat.rfind(')').map_or(0, |i| i + 1)..].split_whitespace().nth(1).and_then(|v| v.parse::<u32>().ok());
            if parent == Some(master) {
                pids.push(pid);
            }
        }
        pids
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM lets the master stop its workers (SIGKILL would leave them running).
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
    }
}

/// One GET, the body returned (the server sends Content-Length: no compression was asked).
fn get(base: &str, path: &str) -> Vec<u8> {
    let host = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a response") + 4;
    let head = String::from_utf8_lossy(&response[..split]);
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}");
    response[split..].to_vec()
}

/// One wrk run at full load.
struct Wrk {
    rps: f64,
    p50: String,
    p99: String,
    /// User and system CPU time the server processes spent per request answered.
    cpu_per_request_us: f64,
}

/// wrk at full load against `url`, with the CPU time of the server processes `pids`.
fn wrk(url: &str, pids: &[u32]) -> Wrk {
    let before = cpu_seconds(pids);
    let out = Command::new("wrk")
        .args(["-t2", "-c64", &format!("-d{WRK_SECONDS}s"), "--latency", url])
        .output()
        .expect("wrk runs (Debian package wrk)");
    let cpu = cpu_seconds(pids) - before;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text.lines().find_map(|l| l.strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0.0);
    let requests: f64 =
        text.lines().find(|l| l.contains("requests in")).and_then(|l| l.split_whitespace().next()?.parse().ok()).unwrap_or(0.0);
    let percentile =
        |p: &str| text.lines().find(|l| l.trim_start().starts_with(p)).and_then(|l| l.split_whitespace().nth(1)).unwrap_or("?").to_string();
    assert!(rps > 0.0 && requests > 0.0, "wrk failed: {text}");
    Wrk { rps, p50: percentile("50%"), p99: percentile("99%"), cpu_per_request_us: cpu * 1e6 / requests }
}

/// User plus system CPU seconds used so far by the processes `pids` (`/proc/PID/stat`).
fn cpu_seconds(pids: &[u32]) -> f64 {
    let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let ticks: u64 = pids
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| {
            // The fields after the command name (which may hold spaces) in parentheses.
            let rest = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
            let field = |n: usize| rest.split_whitespace().nth(n).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            field(11) + field(12)
        })
        .sum();
    ticks as f64 / ticks_per_second
}

/// Requests at a constant rate over keep-alive connections; each latency is measured from the
/// moment the request was due, so a slow answer also counts against the requests queued
/// behind it (no coordinated omission).
async fn constant_rate(url: &str) -> Vec<Duration> {
    let rest = url.trim_start_matches("http://");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h.to_string(), format!("/{p}"))).unwrap();
    let total = RATE * RATE_SECONDS;
    let connections = 32;
    let (sender, receiver) = async_channel(total as usize);
    let start = tokio::time::Instant::now() + Duration::from_millis(100);
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let receiver = receiver.clone();
        let (host, path) = (host.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(&host).await.expect("connect");
            stream.set_nodelay(true).unwrap();
            let mut stream = tokio::io::BufStream::new(stream);
            let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n");
            let mut latencies = Vec::new();
            while let Ok(due) = receiver.recv().await {
                tokio::time::sleep_until(due).await;
                stream.write_all(request.as_bytes()).await.unwrap();
                stream.flush().await.unwrap();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    stream.read_line(&mut line).await.unwrap();
                    if line == "\r\n" || line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0u8; length];
                stream.read_exact(&mut body).await.unwrap();
                latencies.push(due.elapsed());
            }
            latencies
        }));
    }
    for i in 0..total {
        sender.send(start + Duration::from_micros(i * 1_000_000 / RATE)).await;
    }
    drop(sender);
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    all
}

/// A multi-consumer queue of due times (tokio's mpsc has one consumer): a shared receiver.
fn async_channel(capacity: usize) -> (Sender, Receiver) {
    let (tx, rx) = tokio::sync::mpsc::channel(capacity);
    (Sender(tx), Receiver(std::sync::Arc::new(tokio::sync::Mutex::new(rx))))
}

struct Sender(tokio::sync::mpsc::Sender<tokio::time::Instant>);

impl Sender {
    async fn send(&self, due: tokio::time::Instant) {
        self.0.send(due).await.expect("receivers alive");
    }
}

#[derive(Clone)]
struct Receiver(std::sync::Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<tokio::time::Instant>>>);

impl Receiver {
    async fn recv(&self) -> Result<tokio::time::Instant, ()> {
        self.0.lock().await.recv().await.ok_or(())
    }
}
