//! Slow, stalled and numerous clients cannot hurt a worker: the request
//! header deadline closes a slowloris, the write deadline frees a client
//! that never reads, max_connections makes a full worker stop accepting,
//! and thousands of idle connections cost little memory.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::{Server, http, wait_until};

fn with_http(workers: usize, http: &str) -> String {
    support::config(workers, "").replace("[log]", &format!("[http]\n{http}\n\n[log]"))
}

#[test]
fn a_slowloris_is_closed_at_the_header_deadline_while_others_are_served() {
    let s = Server::start(&with_http(1, "header_timeout = 1"));
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n").unwrap();
    let started = Instant::now();
    let addr = s.addr.clone();
    let trickle = std::thread::spawn(move || {
        // One header byte every 200 ms, never finishing the head.
        for _ in 0..50 {
            std::thread::sleep(Duration::from_millis(200));
            if slow.write_all(b"x").is_err() {
                return Some(started.elapsed());
            }
            let mut buf = [0u8; 64];
            slow.set_read_timeout(Some(Duration::from_millis(1)))
                .unwrap();
            match slow.read(&mut buf) {
                Ok(0) => return Some(started.elapsed()),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                    return Some(started.elapsed());
                }
                _ => {}
            }
        }
        None
    });
    for _ in 0..20 {
        assert_eq!(
            http::get(&addr, "/").unwrap().status,
            200,
            "others are served"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let closed_after = trickle.join().unwrap();
    println!("slowloris closed after {closed_after:?} (header_timeout 1 s)");
    assert!(closed_after.is_some(), "the slow client was never closed");
}

#[test]
fn a_client_that_never_reads_is_freed_at_the_write_deadline() {
    let s = Server::start(&with_http(1, "write_timeout = 1"));
    let mut sock = TcpStream::connect(&s.addr).unwrap();
    let mut writer = sock.try_clone().unwrap();
    const N: usize = 300_000;
    std::thread::spawn(move || {
        writer
            .set_write_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let one = b"GET /stall HTTP/1.1\r\nhost: t\r\n\r\n";
        for _ in 0..N / 1000 {
            let batch: Vec<u8> = one.iter().copied().cycle().take(one.len() * 1000).collect();
            if writer.write_all(&batch).is_err() {
                return;
            }
        }
    });
    // Read nothing for a while: the server's output backs up.
    std::thread::sleep(Duration::from_secs(4));
    sock.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = Vec::new();
    let _ = sock.read_to_end(&mut got);
    let answered = String::from_utf8_lossy(&got)
        .matches("HTTP/1.1 200")
        .count();
    println!("a client that stopped reading got {answered} of {N} responses before being closed");
    assert!(answered < N, "the stalled connection was never closed");
    // The worker is fine.
    assert_eq!(s.get("/").status, 200);
}

#[test]
fn a_full_worker_stops_accepting_until_a_connection_closes() {
    let s = Server::start(&with_http(1, "max_connections = 2"));
    let mut c1 = http::Conn::open(&s.addr).unwrap();
    let mut c2 = http::Conn::open(&s.addr).unwrap();
    assert_eq!(c1.request("GET", "/", b"").unwrap().status, 200);
    assert_eq!(c2.request("GET", "/", b"").unwrap().status, 200);
    // The third connection waits in the listen queue: not accepted.
    let mut c3 = TcpStream::connect(&s.addr).unwrap();
    c3.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n").unwrap();
    c3.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 256];
    assert!(
        c3.read(&mut buf).is_err(),
        "a full worker answered a third connection"
    );
    drop(c1);
    c3.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let n = c3.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    assert_eq!(c2.request("GET", "/", b"").unwrap().status, 200);
}

#[test]
fn five_thousand_idle_connections_cost_little_worker_memory() {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    let want = 12_000.min(hard);
    setrlimit(Resource::RLIMIT_NOFILE, want, hard).unwrap();
    const N: usize = 5_000;
    if want < (2 * N + 200) as u64 {
        eprintln!("SKIPPED: RLIMIT_NOFILE hard limit {hard} is too low for {N} connections");
        return;
    }
    let s = Server::start(&support::config(1, ""));
    let worker = s.wait_workers(1, Duration::from_secs(5))[0];
    assert_eq!(s.get("/").status, 200);
    let before = support::status_kib(worker, "VmRSS:");
    let held: Vec<TcpStream> = (0..N)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    let fds = || {
        std::fs::read_dir(format!("/proc/{worker}/fd"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    assert!(
        wait_until(Duration::from_secs(20), || fds() >= N),
        "worker accepted only {} fds",
        fds()
    );
    let after = support::status_kib(worker, "VmRSS:");
    let per_conn = (after.saturating_sub(before)) * 1024 / N as u64;
    println!(
        "{N} idle connections: worker RSS {before} KiB -> {after} KiB, about {per_conn} bytes each"
    );
    assert!(
        after - before < 64 * 1024,
        "idle connections cost {} KiB",
        after - before
    );
    assert_eq!(
        s.get("/").status,
        200,
        "still serving with {N} idle connections"
    );
    drop(held);
}
