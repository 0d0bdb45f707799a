//! Anonymous traffic costs bounded memory: 1,000,000 anonymous `/login` hits on the builder's
//! default store ([`MemoryStore`], at most [`MEMORY_CAPACITY`] sessions).
//!
//! The app runs in this process on 127.0.0.1 (its `/login` page writes a pending login, so every
//! hit without a cookie creates a session). [`CONNECTIONS`] keep-alive connections send plain
//! HTTP/1.1 `GET /login` requests without a cookie, one at a time each. Every 100,000 hits it
//! prints the process's resident memory (`VmRSS` of `/proc/self/status`) and the store's length.
//! At the end it prints the memory one session costs (the growth of RSS over the first 100,000
//! hits, divided by the sessions held then) and the bound that gives at the store's capacity.
//!
//! ```sh
//! cargo bench --bench anonymous            # release build; about a minute of hits on 2 cores
//! HITS=200000 cargo bench --bench anonymous
//! ```
//!
//! `BENCHMARKS.md` ("Anonymous traffic") records the figures.

#[path = "fixture/mod.rs"]
mod fixture;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use axum_oauth_login::GuardedApp;
use axum_oauth_login::store::{MEMORY_CAPACITY, MemoryStore};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};

/// Anonymous hits in all (`HITS` overrides it).
const HITS: usize = 1_000_000;
/// A line every this many hits.
const EVERY: usize = 100_000;
/// Keep-alive connections sending hits concurrently.
const CONNECTIONS: usize = 16;

fn app(base: &str, store: MemoryStore) -> GuardedApp {
    fixture::builder(base)
        .session_store(store)
        .install(fixture::routes())
}

/// The process's resident memory, in KiB.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:"))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Sends `GET /login` on one connection until `sent` reaches `hits`; the non-200 answers.
async fn client(
    addr: std::net::SocketAddr,
    hits: usize,
    sent: Arc<AtomicUsize>,
    report: Arc<dyn Fn(usize) + Send + Sync>,
) -> usize {
    let mut stream = TcpStream::connect(addr).await.expect("the app");
    stream.set_nodelay(true).expect("TCP_NODELAY");
    let request = format!(
        "GET /login HTTP/1.1\r\nHost: {addr}\r\nAccept: text/html\r\nSec-Fetch-Mode: navigate\r\n\r\n"
    );
    let mut buffer = Vec::with_capacity(8 * 1024);
    let mut failed = 0;
    loop {
        let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
        if n > hits {
            return failed;
        }
        stream
            .write_all(request.as_bytes())
            .await
            .expect("send a request");
        if !read_response(&mut stream, &mut buffer).await {
            failed += 1;
        }
        if n.is_multiple_of(EVERY) {
            report(n);
        }
    }
}

/// Reads one response (headers, then `Content-Length` bytes of body); whether it was a 200.
async fn read_response(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> bool {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.expect("read a response");
        assert!(n > 0, "the app closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let ok = head.starts_with("http/1.1 200");
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .expect("a Content-Length");
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await.expect("read a body");
        assert!(n > 0, "the app closed the connection");
        buffer.extend_from_slice(&chunk[..n]);
    }
    buffer.drain(..head_end + length);
    ok
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` and nextest run the binary
    // without it (or with `--list`), and get no hits.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("usage: cargo bench --bench anonymous (HITS=n to change the 1,000,000 hits)");
        return;
    }
    let hits = std::env::var("HITS")
        .ok()
        .and_then(|h| h.parse().ok())
        .unwrap_or(HITS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(hits));
}

async fn run(hits: usize) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("the address");
    let store = MemoryStore::default();
    let router = app(&format!("http://{addr}"), store.clone());
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });

    let before = rss_kib();
    println!(
        "anonymous /login hits: {hits} over {CONNECTIONS} keep-alive connections; store capacity {MEMORY_CAPACITY}"
    );
    println!(
        "{:>9}  {:>9}  {:>9}  {:>8}",
        "hits", "RSS MiB", "store", "s"
    );
    println!(
        "{:>9}  {:>9.1}  {:>9}  {:>8.1}",
        0,
        mib(before),
        store.len(),
        0.0
    );
    let started = Instant::now();
    let first = Arc::new(std::sync::Mutex::new(None::<(u64, usize)>));
    let report: Arc<dyn Fn(usize) + Send + Sync> = {
        let (store, first) = (store.clone(), first.clone());
        Arc::new(move |n| {
            let (rss, len) = (rss_kib(), store.len());
            if n == EVERY {
                *first
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((rss, len));
            }
            println!(
                "{n:>9}  {:>9.1}  {len:>9}  {:>8.1}",
                mib(rss),
                started.elapsed().as_secs_f64()
            );
        })
    };
    let sent = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CONNECTIONS)
        .map(|_| tokio::spawn(client(addr, hits, sent.clone(), report.clone())))
        .collect();
    let mut failed = 0;
    for c in clients {
        failed += c.await.expect("a client");
    }
    let took = started.elapsed().as_secs_f64();
    let after = rss_kib();
    println!(
        "done: {hits} hits in {took:.1} s ({:.0}/s), {failed} not 200; RSS {:.1} -> {:.1} MiB; store {} sessions",
        hits as f64 / took,
        mib(before),
        mib(after),
        store.len()
    );
    let first = *first
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((rss, len)) = first.filter(|(_, len)| *len > 0) {
        let per_session = (rss.saturating_sub(before) * 1024) as f64 / len as f64;
        println!(
            "one anonymous session: about {per_session:.0} bytes of RSS; at capacity ({MEMORY_CAPACITY}): about {:.0} MiB above the start",
            per_session * MEMORY_CAPACITY as f64 / (1024.0 * 1024.0)
        );
    }
}
