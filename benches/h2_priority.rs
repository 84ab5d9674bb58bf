//! Cost of one scheduling decision: a `next()` + `sent()` pair with 1, 100
//! and 10,000 streams ready (criterion).
//!
//! - `rfc7540-flat/<n>`: every stream on the root, weights 1 to 256.
//! - `rfc7540-groups/<n>`: Firefox-style, five idle grouping nodes on the
//!   root and the streams spread under them (depth 2).
//! - `rfc7540-chain/<n>`: the worst case, stated in `tree.rs`: a chain
//!   of n streams, each exclusively dependent on the previous one (as
//!   Chrome builds them), with only the deepest ready, so every decision
//!   walks from the root to it. The tree's depth bound
//!   (`PriorityLimits::max_depth`) flattens the chain below level 16, so
//!   this stays flat from 100 streams on; before the bound it grew
//!   linearly (about 1 ms per pair at 10,000).
//! - `rfc9218-incremental/<n>`: all incremental at one urgency (round
//!   robin).
//! - `rfc9218-mixed/<n>`: urgencies 0–7, incremental or not, by id.
//!
//! Each iteration is one pair; streams have unlimited data, so the set of
//! ready streams stays at n (at 1 for the chain). A linear scan would show as a hundredfold
//! step from 100 to 10,000; O(log n) shows as a small one.
//!
//! Run: `cargo bench --bench h2_priority` (add `-- --quick` for a short run).

use bicorn::h2::priority::{Dependency, Priority, PriorityLimits, Scheduler};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

const SIZES: [u32; 3] = [1, 100, 10_000];

fn stream(i: u32) -> u32 {
    1 + 2 * i
}

/// Room for n open streams besides the default retention bounds, so that
/// no grouping node is evicted to admit them.
fn limits(n: u32) -> PriorityLimits {
    let default = PriorityLimits::default();
    PriorityLimits {
        max_nodes: default.max_nodes + n as usize,
        ..default
    }
}

fn weight(i: u32) -> u16 {
    u16::try_from(1 + i % 256).unwrap_or(16)
}

fn rfc7540_flat(n: u32) -> Scheduler {
    let mut s = Scheduler::new(limits(n));
    for i in 0..n {
        let id = stream(i);
        s.open(id);
        let dependency = Dependency {
            on: 0,
            exclusive: false,
            weight: weight(i),
        };
        s.set_dependency(id, dependency)
            .expect("no stream here depends on itself");
        s.set_ready(id, true);
    }
    s
}

fn rfc7540_groups(n: u32) -> Scheduler {
    let mut s = Scheduler::new(limits(n));
    // Grouping nodes on even (never opened) ids, as Firefox used odd idle
    // ones; any idle id will do.
    let groups = [2, 4, 6, 8, 10];
    for (g, &group) in groups.iter().enumerate() {
        let dependency = Dependency {
            on: 0,
            exclusive: false,
            weight: [201, 101, 1, 1, 1][g],
        };
        s.set_dependency(group, dependency)
            .expect("no stream here depends on itself");
    }
    for i in 0..n {
        let id = stream(i);
        s.open(id);
        let dependency = Dependency {
            on: groups[i as usize % groups.len()],
            exclusive: false,
            weight: weight(i),
        };
        s.set_dependency(id, dependency)
            .expect("no stream here depends on itself");
        s.set_ready(id, true);
    }
    s
}

fn rfc7540_chain(n: u32) -> Scheduler {
    let mut s = Scheduler::new(limits(n));
    let mut previous = 0;
    for i in 0..n {
        let id = stream(i);
        s.open(id);
        let dependency = Dependency {
            on: previous,
            exclusive: true,
            weight: 256,
        };
        s.set_dependency(id, dependency)
            .expect("no stream here depends on itself");
        previous = id;
    }
    s.set_ready(previous, true);
    s
}

fn rfc9218(n: u32, priority: impl Fn(u32) -> Priority) -> Scheduler {
    let mut s = Scheduler::new(limits(n));
    s.use_rfc9218();
    for i in 0..n {
        let id = stream(i);
        s.open(id);
        s.set_priority(id, priority(i));
        s.set_ready(id, true);
    }
    s
}

fn pairs(c: &mut Criterion) {
    type Build = fn(u32) -> Scheduler;
    let cases: [(&str, Build); 5] = [
        ("rfc7540-flat", rfc7540_flat),
        ("rfc7540-groups", rfc7540_groups),
        ("rfc7540-chain", rfc7540_chain),
        ("rfc9218-incremental", |n| {
            rfc9218(n, |_| Priority {
                urgency: 3,
                incremental: true,
            })
        }),
        ("rfc9218-mixed", |n| {
            rfc9218(n, |i| Priority {
                urgency: u8::try_from(i % 8).unwrap_or(3),
                incremental: i % 2 == 0,
            })
        }),
    ];
    for (name, build) in cases {
        let mut group = c.benchmark_group(name);
        for n in SIZES {
            let mut s = build(n);
            group.bench_function(n.to_string(), |b| {
                b.iter(|| {
                    let id = s.next();
                    if let Some(id) = black_box(id) {
                        s.sent(id, 16_384);
                    }
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, pairs);
criterion_main!(benches);
