//! Stories for the HTTP/2 stream scheduler through its public API: a
//! browser's page load under RFC 7540, a PRIORITY flood, and random
//! operation sequences that must never panic nor schedule a stream that
//! cannot send.

use bicorn::h2::priority::{Dependency, Priority, PriorityLimits, Scheduler};
use proptest::prelude::*;
use std::collections::{BTreeSet, HashMap};

const FRAME: usize = 16_384;

/// Sends until nothing is ready, each stream having `frames[id]` frames of
/// data; returns the stream of each frame.
fn drain(s: &mut Scheduler, frames: &HashMap<u32, usize>) -> Vec<u32> {
    let mut left = frames.clone();
    let mut order = Vec::new();
    while let Some(id) = s.next() {
        let n = left.get_mut(&id).expect("only streams with data are ready");
        *n -= 1;
        s.sent(id, FRAME);
        order.push(id);
        if *n == 0 {
            s.set_ready(id, false);
            s.close(id);
        }
    }
    order
}

/// The page load of the nghttp2 prioritization write-up: the HTML first,
/// then the CSS, which a late exclusive dependency slots in above the
/// JavaScript and the images already waiting on the HTML; those then
/// share in proportion to their weights.
#[test]
fn nghttp2_blog_scenario_serves_html_then_css_then_js_and_images() {
    let (html, css, js, img1, img2) = (1, 3, 5, 7, 9);
    let mut s = Scheduler::new(PriorityLimits::default());
    let on = |on, weight| Dependency {
        on,
        exclusive: false,
        weight,
    };
    s.open(html);
    s.set_dependency(html, on(0, 16)).unwrap();
    for (id, weight) in [(js, 24), (img1, 8), (img2, 8)] {
        s.open(id);
        s.set_dependency(id, on(html, weight)).unwrap();
    }
    s.open(css);
    s.set_dependency(
        css,
        Dependency {
            on: html,
            exclusive: true,
            weight: 32,
        },
    )
    .unwrap();
    assert_eq!(s.dependency_of(css), Some((html, 32)));
    for id in [js, img1, img2] {
        assert_eq!(s.dependency_of(id).map(|(parent, _)| parent), Some(css));
    }

    let frames = HashMap::from([(html, 4), (css, 2), (js, 30), (img1, 10), (img2, 10)]);
    for &id in frames.keys() {
        s.set_ready(id, true);
    }
    let order = drain(&mut s, &frames);

    assert_eq!(&order[..4], &[html; 4]);
    assert_eq!(&order[4..6], &[css; 2]);
    // 24:8:8 is 3:1:1, at every point of the rest of the load.
    let rest = &order[6..];
    assert_eq!(rest.len(), 50);
    for window in [10, 25, 50] {
        let share = |id| rest[..window].iter().filter(|&&x| x == id).count();
        let (j, a, b) = (share(js), share(img1), share(img2));
        assert_eq!(j + a + b, window);
        assert!(j.abs_diff(3 * window / 5) <= 1, "js {j} of {window}");
        assert!(a.abs_diff(window / 5) <= 1, "img1 {a} of {window}");
        assert!(b.abs_diff(window / 5) <= 1, "img2 {b} of {window}");
    }
}

/// Each PRIORITY frame names a new idle stream and hangs it under the
/// previous one, the churn that grows an unbounded tree.
#[test]
fn priority_flood_for_idle_streams_keeps_the_tree_at_its_bound() {
    let limits = PriorityLimits::default();
    let mut s = Scheduler::new(limits);
    s.open(1);
    s.set_ready(1, true);
    let mut previous = 0;
    for i in 0..100_000u32 {
        let id = 3 + 2 * i;
        let dependency = Dependency {
            on: previous,
            exclusive: i % 3 == 0,
            weight: u16::try_from(1 + i % 256).unwrap(),
        };
        s.set_dependency(id, dependency).unwrap();
        previous = id;
        assert!(s.stats().nodes <= limits.max_idle + 1);
    }
    let stats = s.stats();
    assert_eq!(stats.nodes, limits.max_idle + 1);
    assert_eq!(stats.evicted, 100_000 - limits.max_idle as u64);
    // The open stream was never lost, whatever it was moved under.
    assert_eq!(s.next(), Some(1));
}

/// Chrome chains its streams with exclusive dependencies on the previous
/// one; each response then goes out whole before the next.
#[test]
fn exclusive_chain_serves_streams_in_chain_order() {
    let mut s = Scheduler::new(PriorityLimits::default());
    let mut previous = 0;
    for id in [1, 3, 5, 7] {
        s.open(id);
        s.set_dependency(
            id,
            Dependency {
                on: previous,
                exclusive: true,
                weight: 256,
            },
        )
        .unwrap();
        previous = id;
    }
    let frames = HashMap::from([(1, 2), (3, 2), (5, 2), (7, 2)]);
    for &id in frames.keys() {
        s.set_ready(id, true);
    }
    assert_eq!(drain(&mut s, &frames), [1, 1, 3, 3, 5, 5, 7, 7]);
}

/// Chrome's tree for a page of 100 requests of one priority class: each
/// stream exclusive on the one before. Unbounded, that chain is 100
/// levels deep; at the default bound of 16 the first 15 streams still go
/// out whole in chain order, and the 85 after them, placed side by side
/// under the 15th, share its bandwidth by weight (equal here) instead of
/// waiting for one another.
#[test]
fn chrome_page_of_100_requests_is_in_order_for_15_streams_then_shared() {
    let mut s = Scheduler::new(PriorityLimits::default());
    let ids: Vec<u32> = (0..100).map(|i| 1 + 2 * i).collect();
    let mut previous = 0;
    for &id in &ids {
        s.open(id);
        s.set_dependency(
            id,
            Dependency {
                on: previous,
                exclusive: true,
                weight: 256,
            },
        )
        .unwrap();
        previous = id;
    }
    assert_eq!(s.stats().depth, 16);
    assert_eq!(s.stats().flattened, 84);
    let frames: HashMap<u32, usize> = ids.iter().map(|&id| (id, 2)).collect();
    for &id in &ids {
        s.set_ready(id, true);
    }
    let order = drain(&mut s, &frames);

    let (chained, shared) = ids.split_at(15);
    let in_order: Vec<u32> = chained.iter().flat_map(|&id| [id, id]).collect();
    assert_eq!(&order[..30], &in_order[..]);
    let round: Vec<u32> = shared.iter().chain(shared).copied().collect();
    assert_eq!(&order[30..], &round[..]);
}

/// A client names 10,000 streams in PRIORITY frames, each exclusively
/// dependent on the one before, then moves the top of what it built under
/// the bottom, and stirs. With room for every node, only the depth bound
/// stands between it and a 10,000-level walk per frame.
#[test]
fn priority_frames_chaining_10000_streams_keep_every_node_within_the_depth_bound() {
    let limits = PriorityLimits {
        max_nodes: 20_000,
        max_closed: 10_000,
        max_idle: 10_000,
        ..PriorityLimits::default()
    };
    let mut s = Scheduler::new(limits);
    let ids: Vec<u32> = (0..10_000).map(|i| 1 + 2 * i).collect();
    let on = |on, exclusive| Dependency {
        on,
        exclusive,
        weight: 16,
    };
    let mut previous = 0;
    for &id in &ids {
        s.set_dependency(id, on(previous, true)).unwrap();
        previous = id;
    }
    // RFC 7540 §5.3.3 moves: tops under bottoms, and back.
    for (i, &id) in ids.iter().enumerate().step_by(97) {
        let deep = ids[ids.len() - 1 - i];
        s.set_dependency(id, on(deep, i % 2 == 0)).unwrap();
        s.set_dependency(deep, on(id, i % 3 == 0)).unwrap();
    }
    // Some of the streams open, some of those have data, some close.
    let mut ready = BTreeSet::new();
    for (i, &id) in ids.iter().enumerate().filter(|(i, _)| i % 7 == 0) {
        s.open(id);
        match i % 3 {
            0 => {
                s.set_ready(id, true);
                ready.insert(id);
            }
            1 => s.close(id),
            _ => {}
        }
    }

    let stats = s.stats();
    assert_eq!(stats.nodes, ids.len());
    assert!(stats.depth <= limits.max_depth);
    assert!(stats.flattened > 9_000, "{} flattened", stats.flattened);
    for &id in &ids {
        let depth = walked_depth(&s, id).expect("nothing was evicted");
        assert!(depth <= limits.max_depth, "stream {id} at depth {depth}");
    }
    // Each ready stream sends its one frame, and nothing else is sent.
    let frames: HashMap<u32, usize> = ready.iter().map(|&id| (id, 1)).collect();
    let order = drain(&mut s, &frames);
    assert_eq!(order.iter().copied().collect::<BTreeSet<_>>(), ready);
    assert_eq!(order.len(), ready.len());
}

#[test]
fn rfc9218_page_load_serves_by_urgency_then_request_order() {
    let mut s = Scheduler::new(PriorityLimits::default());
    let p = |urgency, incremental| Priority {
        urgency,
        incremental,
    };
    // HTML u=0, CSS u=1, JS u=1 (after CSS), two progressive images u=5.
    for (id, priority) in [
        (1, p(0, false)),
        (3, p(1, false)),
        (5, p(1, false)),
        (7, p(5, true)),
        (9, p(5, true)),
    ] {
        s.open(id);
        s.set_priority(id, priority);
        s.set_ready(id, true);
    }
    let frames = HashMap::from([(1, 2), (3, 2), (5, 2), (7, 3), (9, 3)]);
    assert_eq!(drain(&mut s, &frames), [1, 1, 3, 3, 5, 5, 7, 9, 7, 9, 7, 9]);
}

#[derive(Debug, Clone)]
enum Op {
    Open(u32),
    Close(u32),
    Ready(u32, bool),
    Priority(u32, u8, bool),
    Dependency(u32, u32, bool, u16),
    UseRfc9218,
    Send(usize),
}

/// Random operations on stream ids 0 to 23; `rfc9218` also lets the
/// client send RFC 9218 signals, which switch schemes for good, so that
/// the tree is exercised at length only in runs without them.
fn ops(rfc9218: bool) -> impl Strategy<Value = Vec<Op>> {
    let id = 0..24u32;
    let signals = if rfc9218 { 1 } else { 0 };
    let op = prop_oneof![
        3 => id.clone().prop_map(Op::Open),
        2 => id.clone().prop_map(Op::Close),
        4 => (id.clone(), any::<bool>()).prop_map(|(i, r)| Op::Ready(i, r)),
        signals => (id.clone(), 0..10u8, any::<bool>())
            .prop_map(|(i, u, inc)| Op::Priority(i, u, inc)),
        4 => (id.clone(), id, any::<bool>(), 0..300u16)
            .prop_map(|(i, on, e, w)| Op::Dependency(i, on, e, w)),
        signals => Just(Op::UseRfc9218),
        6 => prop_oneof![Just(0usize), Just(1), Just(FRAME), Just(usize::MAX)].prop_map(Op::Send),
    ];
    proptest::collection::vec(op, 0..300)
}

/// The depth of `stream` found by following its parents to stream 0, or
/// `None` if it has no node.
fn walked_depth(s: &Scheduler, stream: u32) -> Option<usize> {
    let mut at = stream;
    let mut depth = 0;
    while at != 0 {
        at = s.dependency_of(at)?.0;
        depth += 1;
        assert!(depth <= 1_000, "cycle through stream {stream}");
    }
    Some(depth)
}

/// Plays `ops` against a scheduler with small bounds and a model of which
/// streams are open and ready, checking after every step that the
/// scheduler picks a ready stream whenever there is one and only then,
/// and stays within its bounds: the number of nodes, and the depth of
/// every node, which must also be the depth the scheduler reports.
fn play(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let limits = PriorityLimits {
        max_nodes: 8,
        max_closed: 3,
        max_idle: 3,
        max_depth: 3,
        max_pending_updates: 4,
    };
    let mut s = Scheduler::new(limits);
    let mut open = BTreeSet::new();
    let mut ready = BTreeSet::new();
    for op in ops {
        match op {
            Op::Open(id) => {
                s.open(id);
                if id != 0 {
                    open.insert(id);
                }
            }
            Op::Close(id) => {
                s.close(id);
                open.remove(&id);
                ready.remove(&id);
            }
            Op::Ready(id, r) => {
                s.set_ready(id, r);
                if open.contains(&id) {
                    if r {
                        ready.insert(id);
                    } else {
                        ready.remove(&id);
                    }
                }
            }
            Op::Priority(id, urgency, incremental) => {
                s.set_priority(
                    id,
                    Priority {
                        urgency,
                        incremental,
                    },
                );
            }
            Op::Dependency(id, on, exclusive, weight) => {
                let result = s.set_dependency(
                    id,
                    Dependency {
                        on,
                        exclusive,
                        weight,
                    },
                );
                prop_assert_eq!(result.is_err(), id == on);
            }
            Op::UseRfc9218 => s.use_rfc9218(),
            Op::Send(bytes) => {
                if let Some(id) = s.next() {
                    s.sent(id, bytes);
                }
                // Accounting for a stream that cannot send is harmless.
                s.sent(23, bytes);
            }
        }
        match s.next() {
            Some(id) => prop_assert!(ready.contains(&id), "scheduled {id}, ready {ready:?}"),
            None => prop_assert!(ready.is_empty(), "nothing scheduled, {ready:?} ready"),
        }
        let stats = s.stats();
        prop_assert!(stats.nodes <= limits.max_nodes + open.len());
        let deepest = (1..24).filter_map(|id| walked_depth(&s, id)).max();
        prop_assert_eq!(stats.depth, deepest.unwrap_or(0));
        prop_assert!(stats.depth <= limits.max_depth);
        prop_assert!(stats.pending_updates <= limits.max_pending_updates);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_rfc7540_operations_only_ever_schedule_open_ready_streams(ops in ops(false)) {
        play(ops)?;
    }

    #[test]
    fn random_mixed_operations_only_ever_schedule_open_ready_streams(ops in ops(true)) {
        play(ops)?;
    }
}
