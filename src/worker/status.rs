//! The status routes' documents, rendered from scoreboard snapshots:
//! Prometheus text exposition (format 0.0.4) for `status = "metrics"` and
//! a small self-refreshing HTML table for `status = "page"`.
//!
//! Totals are summed over the workers whose slots are in use (booting,
//! ready or draining). A worker that exits takes its counts with it, which
//! Prometheus reads as a counter reset, as with any prefork server; the
//! per-worker series carry `slot`, `pid` and `generation` labels so that a
//! dashboard can tell the workers apart. This module only formats; the
//! responder (`respond.rs`) takes the snapshots and answers.

use std::fmt::Write;

use crate::supervisor::scoreboard::{
    BUCKET_BOUNDS_US, DEFENCES, Histogram, Protocol, Snapshot, WorkerState,
};

/// The `content-type` of [`metrics`].
pub(crate) const METRICS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// The `content-type` of [`page`].
pub(crate) const PAGE_TYPE: &str = "text/html; charset=utf-8";

/// The `protocol` label of each [`Protocol`].
fn label(p: Protocol) -> &'static str {
    match p {
        Protocol::Http1 => "http/1.1",
        Protocol::Http2 => "h2",
    }
}

fn state_name(s: WorkerState) -> &'static str {
    match s {
        WorkerState::Booting => "booting",
        WorkerState::Ready => "ready",
        WorkerState::Draining => "draining",
    }
}

/// Microseconds as decimal seconds, without trailing zeros ("0.005", "10").
fn seconds(us: u64) -> String {
    let (whole, frac) = (us / 1_000_000, us % 1_000_000);
    if frac == 0 {
        return whole.to_string();
    }
    let digits = format!("{frac:06}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

/// A per-worker metric family: name, type, help, and its value.
type Series<'f> = (
    &'static str,
    &'static str,
    &'static str,
    &'f dyn Fn(&Snapshot) -> String,
);

/// A metric family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The Prometheus text exposition of `workers` (snapshots of the slots in
/// use) at monotonic `now_ms`.
pub(crate) fn metrics(workers: &[Snapshot], now_ms: u64) -> String {
    let mut out = String::with_capacity(4096 + workers.len() * 768);
    let sum = |f: &dyn Fn(&Snapshot) -> u64| workers.iter().map(f).sum::<u64>();

    family(&mut out, "bicorn_workers", "gauge", "Workers by state.");
    for state in [
        WorkerState::Booting,
        WorkerState::Ready,
        WorkerState::Draining,
    ] {
        let n = workers.iter().filter(|w| w.state == state).count();
        let _ = writeln!(out, "bicorn_workers{{state=\"{}\"}} {n}", state_name(state));
    }

    family(
        &mut out,
        "bicorn_requests_total",
        "counter",
        "Requests answered by the live workers, by protocol.",
    );
    for p in Protocol::ALL {
        let n = sum(&|w| w.counters.latency[p.index()].count);
        let _ = writeln!(
            out,
            "bicorn_requests_total{{protocol=\"{}\"}} {n}",
            label(p)
        );
    }

    family(
        &mut out,
        "bicorn_connections",
        "gauge",
        "Open client connections by protocol (TLS handshakes in progress in neither).",
    );
    for p in Protocol::ALL {
        let n = sum(&|w| w.gauges.open[p.index()]);
        let _ = writeln!(out, "bicorn_connections{{protocol=\"{}\"}} {n}", label(p));
    }

    family(
        &mut out,
        "bicorn_h2_streams",
        "gauge",
        "Open HTTP/2 streams.",
    );
    let _ = writeln!(out, "bicorn_h2_streams {}", sum(&|w| w.gauges.h2_streams));

    family(
        &mut out,
        "bicorn_received_bytes_total",
        "counter",
        "Octets read from client sockets, TLS records included.",
    );
    let _ = writeln!(
        out,
        "bicorn_received_bytes_total {}",
        sum(&|w| w.gauges.bytes_in)
    );
    family(
        &mut out,
        "bicorn_sent_bytes_total",
        "counter",
        "Octets written to client sockets, TLS records included.",
    );
    let _ = writeln!(
        out,
        "bicorn_sent_bytes_total {}",
        sum(&|w| w.gauges.bytes_out)
    );

    family(
        &mut out,
        "bicorn_h2_defence_total",
        "counter",
        "HTTP/2 flood-defence events, by defence.",
    );
    for (i, (name, _)) in DEFENCES.iter().enumerate() {
        let n = sum(&|w| w.counters.defences[i]);
        let _ = writeln!(out, "bicorn_h2_defence_total{{defence=\"{name}\"}} {n}");
    }

    family(
        &mut out,
        "bicorn_request_duration_seconds",
        "histogram",
        "Seconds from reading a request to queuing its response, by protocol.",
    );
    for p in Protocol::ALL {
        let mut h = Histogram::default();
        for w in workers {
            h.merge(&w.counters.latency[p.index()]);
        }
        let mut cumulative = 0;
        for (bound, n) in BUCKET_BOUNDS_US.iter().zip(h.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "bicorn_request_duration_seconds_bucket{{protocol=\"{}\",le=\"{}\"}} {cumulative}",
                label(p),
                seconds(*bound)
            );
        }
        let l = label(p);
        let _ = writeln!(
            out,
            "bicorn_request_duration_seconds_bucket{{protocol=\"{l}\",le=\"+Inf\"}} {}\n\
             bicorn_request_duration_seconds_sum{{protocol=\"{l}\"}} {}\n\
             bicorn_request_duration_seconds_count{{protocol=\"{l}\"}} {}",
            h.count,
            seconds(h.sum_us),
            h.count
        );
    }

    let per_worker: [Series<'_>; 5] = [
        (
            "bicorn_worker_requests_total",
            "counter",
            "Requests answered by one worker.",
            &|w| {
                w.counters
                    .latency
                    .iter()
                    .map(|h| h.count)
                    .sum::<u64>()
                    .to_string()
            },
        ),
        (
            "bicorn_worker_connections",
            "gauge",
            "Open connections of one worker.",
            &|w| w.gauges.connections.to_string(),
        ),
        (
            "bicorn_worker_h2_streams",
            "gauge",
            "Open HTTP/2 streams of one worker.",
            &|w| w.gauges.h2_streams.to_string(),
        ),
        (
            "bicorn_worker_uptime_seconds",
            "gauge",
            "Seconds since the master started the worker.",
            &|w| seconds(now_ms.saturating_sub(w.started_ms) * 1000),
        ),
        (
            "bicorn_worker_heartbeat_age_seconds",
            "gauge",
            "Seconds since the worker's last event-loop turn.",
            &|w| seconds(now_ms.saturating_sub(w.heartbeat_ms) * 1000),
        ),
    ];
    for (name, kind, help, value) in per_worker {
        family(&mut out, name, kind, help);
        for w in workers {
            let _ = writeln!(
                out,
                "{name}{{slot=\"{}\",pid=\"{}\",generation=\"{}\"}} {}",
                w.slot,
                w.pid,
                w.generation,
                value(w)
            );
        }
    }
    out
}

/// `text` escaped for HTML.
fn escape(text: &str) -> String {
    crate::app::html::escape(text)
}

/// The status page: one table row per worker, refreshed every 2 s;
/// `me` is the pid of the worker answering.
pub(crate) fn page(workers: &[Snapshot], now_ms: u64, me: u32) -> String {
    let mut out = String::with_capacity(1024 + workers.len() * 256);
    out.push_str(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"refresh\" content=\"2\">\n<title>bicorn status</title>\n\
         <style>body{font-family:system-ui,sans-serif;margin:1em}\
         table{border-collapse:collapse}th,td{padding:.2em .6em;text-align:right;\
         border-bottom:1px solid #ccc}</style>\n</head>\n<body>\n<h1>bicorn</h1>\n",
    );
    let _ = writeln!(
        out,
        "<p>{} workers; this page is from pid {}.</p>",
        escape(&workers.len().to_string()),
        escape(&me.to_string())
    );
    out.push_str(
        "<table>\n<thead><tr><th>slot</th><th>pid</th><th>generation</th><th>state</th>\
         <th>age</th><th>heartbeat</th><th>requests</th><th>connections</th>\
         <th>streams</th></tr></thead>\n<tbody>\n",
    );
    for w in workers {
        let cells = [
            w.slot.to_string(),
            w.pid.to_string(),
            w.generation.to_string(),
            state_name(w.state).to_string(),
            format!("{} s", now_ms.saturating_sub(w.started_ms) / 1000),
            format!("{} ms", now_ms.saturating_sub(w.heartbeat_ms)),
            w.gauges.requests.to_string(),
            w.gauges.connections.to_string(),
            w.gauges.h2_streams.to_string(),
        ];
        out.push_str("<tr>");
        for c in cells {
            let _ = write!(out, "<td>{}</td>", escape(&c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::supervisor::scoreboard::{Delta, Gauges};

    fn worker(slot: usize, pid: u32, requests: [u64; 2]) -> Snapshot {
        let mut counters = Delta::default();
        for (p, n) in requests.iter().enumerate() {
            for _ in 0..*n {
                counters.latency[p].record(2_000 * (p as u64 + 1) * 10);
            }
        }
        counters.defences[0] = 2;
        Snapshot {
            slot,
            pid,
            generation: 3,
            state: WorkerState::Ready,
            heartbeat_ms: 9_900,
            started_ms: 4_000,
            gauges: Gauges {
                requests: requests[0] + requests[1],
                connections: 2,
                open: [1, 1],
                h2_streams: 4,
                bytes_in: 10,
                bytes_out: 20,
            },
            counters,
        }
    }

    #[test]
    fn seconds_are_plain_decimals() {
        assert_eq!(seconds(5_000), "0.005");
        assert_eq!(seconds(250_000), "0.25");
        assert_eq!(seconds(10_000_000), "10");
        assert_eq!(seconds(1_234_567), "1.234567");
        assert_eq!(seconds(0), "0");
    }

    #[test]
    fn metrics_sum_workers_and_make_buckets_cumulative() {
        let text = metrics(&[worker(0, 100, [3, 1]), worker(1, 101, [2, 0])], 10_000);
        let line = |prefix: &str| {
            text.lines()
                .find(|l| l.starts_with(prefix))
                .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
                .to_string()
        };
        assert_eq!(
            line("bicorn_requests_total{protocol=\"http/1.1\"}"),
            "bicorn_requests_total{protocol=\"http/1.1\"} 5"
        );
        assert_eq!(
            line("bicorn_requests_total{protocol=\"h2\"}"),
            "bicorn_requests_total{protocol=\"h2\"} 1"
        );
        assert_eq!(
            line("bicorn_workers{state=\"ready\"}"),
            "bicorn_workers{state=\"ready\"} 2"
        );
        assert_eq!(line("bicorn_h2_streams "), "bicorn_h2_streams 8");
        assert_eq!(
            line("bicorn_h2_defence_total{defence=\"client_resets\"}"),
            "bicorn_h2_defence_total{defence=\"client_resets\"} 4"
        );
        // HTTP/1.1 requests took 20 ms: not in 0.01, in 0.025 and above.
        let b = "bicorn_request_duration_seconds_bucket{protocol=\"http/1.1\",le=";
        assert!(text.contains(&format!("{b}\"0.01\"}} 0\n")));
        assert!(text.contains(&format!("{b}\"0.025\"}} 5\n")));
        assert!(text.contains(&format!("{b}\"+Inf\"}} 5\n")));
        assert!(text.contains("bicorn_request_duration_seconds_sum{protocol=\"http/1.1\"} 0.1\n"));
        assert!(text.contains("bicorn_request_duration_seconds_count{protocol=\"h2\"} 1\n"));
        assert_eq!(
            line("bicorn_worker_requests_total{slot=\"1\""),
            "bicorn_worker_requests_total{slot=\"1\",pid=\"101\",generation=\"3\"} 2"
        );
        assert!(
            text.contains(
                "bicorn_worker_uptime_seconds{slot=\"0\",pid=\"100\",generation=\"3\"} 6\n"
            )
        );
    }

    #[test]
    fn every_sample_belongs_to_a_declared_family() {
        let text = metrics(&[worker(0, 100, [1, 1])], 10_000);
        let mut declared: Vec<&str> = Vec::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                declared.push(rest.split(' ').next().unwrap());
            } else if !l.starts_with('#') {
                let name = l.split(['{', ' ']).next().unwrap();
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .filter(|f| declared.contains(f))
                    .unwrap_or(name);
                assert!(declared.contains(&family), "{l}");
                let value = l.rsplit(' ').next().unwrap();
                assert!(value.parse::<f64>().is_ok(), "{l}");
            }
        }
    }

    #[test]
    fn page_has_one_row_per_worker_and_escapes() {
        let html = page(
            &[worker(0, 100, [1, 0]), worker(5, 105, [0, 0])],
            10_000,
            100,
        );
        assert_eq!(html.matches("<tr><td>").count(), 2);
        assert!(html.contains(
            "<tr><td>5</td><td>105</td><td>3</td><td>ready</td><td>6 s</td><td>100 ms</td>"
        ));
        assert!(html.contains("<meta http-equiv=\"refresh\" content=\"2\">"));
        assert!(html.contains("name=\"viewport\""));
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }
}
