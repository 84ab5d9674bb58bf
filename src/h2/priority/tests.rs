//! Stories for the scheduler: RFC 9218 ordering, RFC 7540 tree shapes and
//! shares, and the bounds on retained state.

use super::*;

const FRAME: usize = 16_384;

/// A scheduler with `streams` open and ready.
fn ready(streams: &[u32]) -> Scheduler {
    ready_within(PriorityLimits::default(), streams)
}

fn ready_within(limits: PriorityLimits, streams: &[u32]) -> Scheduler {
    let mut s = Scheduler::new(limits);
    for &id in streams {
        s.open(id);
        s.set_ready(id, true);
    }
    s
}

/// Sends `frames` frames the way the connection would, each stream having
/// unlimited data; returns the stream of each frame.
fn pump(s: &mut Scheduler, frames: usize) -> Vec<u32> {
    let mut order = Vec::new();
    for _ in 0..frames {
        let Some(id) = s.next() else { break };
        s.sent(id, FRAME);
        order.push(id);
    }
    order
}

/// Sends until no stream is ready, each stream having `budget(id)` frames
/// of data; returns the stream of each frame.
fn drain(s: &mut Scheduler, budget: impl Fn(u32) -> usize) -> Vec<u32> {
    let mut left: HashMap<u32, usize> = HashMap::new();
    let mut order = Vec::new();
    while let Some(id) = s.next() {
        let n = left.entry(id).or_insert_with(|| budget(id));
        *n = n.saturating_sub(1);
        s.sent(id, FRAME);
        order.push(id);
        if *n == 0 {
            s.set_ready(id, false);
        }
        assert!(order.len() < 100_000, "runaway schedule");
    }
    order
}

fn count(order: &[u32], id: u32) -> usize {
    order.iter().filter(|&&x| x == id).count()
}

fn urgency(u: u8) -> Priority {
    Priority {
        urgency: u,
        incremental: false,
    }
}

fn incremental(u: u8) -> Priority {
    Priority {
        urgency: u,
        incremental: true,
    }
}

fn dep(on: u32, weight: u16) -> Dependency {
    Dependency {
        on,
        exclusive: false,
        weight,
    }
}

fn exclusive(on: u32, weight: u16) -> Dependency {
    Dependency {
        on,
        exclusive: true,
        weight,
    }
}

#[test]
fn nothing_ready_means_nothing_to_send() {
    let mut s = Scheduler::new(PriorityLimits::default());
    assert_eq!(s.next(), None);
    s.open(1);
    assert_eq!(s.next(), None);
    s.use_rfc9218();
    assert_eq!(s.next(), None);
}

#[test]
fn more_urgent_streams_go_first_whatever_their_id() {
    let mut s = ready(&[1, 3, 5]);
    s.set_priority(1, urgency(5));
    s.set_priority(3, urgency(1));
    s.set_priority(5, urgency(3));
    let order = drain(&mut s, |_| 2);
    assert_eq!(order, [3, 3, 5, 5, 1, 1]);
}

#[test]
fn urgency_above_seven_is_background() {
    let mut s = ready(&[1, 3]);
    s.set_priority(1, urgency(200));
    s.set_priority(3, urgency(7));
    // Both at 7, non-incremental: id order.
    assert_eq!(drain(&mut s, |_| 1), [1, 3]);
}

#[test]
fn non_incremental_streams_complete_one_at_a_time_in_id_order() {
    let mut s = ready(&[7, 3, 5]);
    s.use_rfc9218();
    let order = drain(&mut s, |_| 3);
    assert_eq!(order, [3, 3, 3, 5, 5, 5, 7, 7, 7]);
}

#[test]
fn incremental_streams_take_turns_frame_by_frame() {
    let ids = [1, 3, 5, 7, 9];
    let mut s = ready(&ids);
    for id in ids {
        s.set_priority(id, incremental(3));
    }
    let order = pump(&mut s, 1000);
    for id in ids {
        assert_eq!(count(&order, id), 200, "stream {id}");
    }
    // Strict rotation, not merely equal totals.
    assert_eq!(&order[..10], &[1, 3, 5, 7, 9, 1, 3, 5, 7, 9]);
}

#[test]
fn incremental_and_non_incremental_alternate_at_one_urgency() {
    let mut s = ready(&[1, 3, 5, 7]);
    s.set_priority(1, urgency(3));
    s.set_priority(3, urgency(3));
    s.set_priority(5, incremental(3));
    s.set_priority(7, incremental(3));
    let order = pump(&mut s, 6);
    // The non-incremental group (serving 1, the lowest id) is one turn.
    assert_eq!(order, [1, 5, 7, 1, 5, 7]);
}

#[test]
fn priority_update_before_open_applies_when_the_stream_opens() {
    let mut s = ready(&[1]);
    assert_eq!(s.set_priority(3, urgency(0)), UpdateOutcome::Buffered);
    // The most recent update wins.
    assert_eq!(s.set_priority(3, urgency(1)), UpdateOutcome::Buffered);
    assert_eq!(s.stats().pending_updates, 1);
    s.open(3);
    s.set_ready(3, true);
    assert_eq!(s.stats().pending_updates, 0);
    assert_eq!(s.next(), Some(3));
}

#[test]
fn priority_update_for_a_closed_stream_is_stale() {
    let mut s = ready(&[1, 3]);
    s.close(1);
    assert_eq!(s.set_priority(1, urgency(0)), UpdateOutcome::Stale);
    assert_eq!(s.stats().pending_updates, 0);
}

#[test]
fn pending_priority_updates_are_bounded() {
    let limits = PriorityLimits {
        max_pending_updates: 4,
        ..PriorityLimits::default()
    };
    let mut s = Scheduler::new(limits);
    for id in (1..=9).step_by(2) {
        let expected = if id <= 7 {
            UpdateOutcome::Buffered
        } else {
            UpdateOutcome::Dropped
        };
        assert_eq!(s.set_priority(id, urgency(0)), expected, "stream {id}");
    }
    // Replacing a pending one is still fine when full.
    assert_eq!(s.set_priority(7, urgency(1)), UpdateOutcome::Buffered);
    assert_eq!(s.stats().dropped_updates, 1);
    // Opening 5 applies its update and makes those for 1 and 3 stale.
    s.open(5);
    assert_eq!(s.stats().pending_updates, 1);
}

#[test]
fn switching_to_rfc9218_keeps_ready_streams_and_ignores_priority_frames() {
    let mut s = ready(&[1, 3]);
    assert_eq!(s.set_dependency(1, exclusive(3, 256)), Ok(()));
    assert_eq!(s.next(), Some(3));
    s.use_rfc9218();
    assert!(s.is_rfc9218());
    // Defaults now: both at urgency 3, id order.
    assert_eq!(s.next(), Some(1));
    assert_eq!(s.set_dependency(1, exclusive(3, 256)), Ok(()));
    assert_eq!(s.next(), Some(1));
    assert_eq!(s.stats().ignored_rfc7540, 1);
    assert_eq!(s.dependency_of(1), None);
}

#[test]
fn self_dependency_is_an_error_in_both_schemes() {
    let mut s = ready(&[1]);
    assert_eq!(
        s.set_dependency(1, dep(1, 16)),
        Err(SelfDependency { stream: 1 })
    );
    s.use_rfc9218();
    assert_eq!(
        s.set_dependency(1, dep(1, 16)),
        Err(SelfDependency { stream: 1 })
    );
}

#[test]
fn weights_two_to_one_share_two_to_one() {
    let mut s = ready(&[1, 3]);
    s.set_dependency(1, dep(0, 32)).unwrap();
    s.set_dependency(3, dep(0, 16)).unwrap();
    let order = pump(&mut s, 3000);
    assert_eq!(count(&order, 1), 2000);
    assert_eq!(count(&order, 3), 1000);
}

#[test]
fn frame_sizes_count_not_frame_numbers() {
    // Equal weights; stream 1 sends quarter frames, so it gets four
    // frames for each of stream 3's.
    let mut s = ready(&[1, 3]);
    let mut frames = [0usize; 2];
    for _ in 0..500 {
        let id = s.next().unwrap();
        let (bytes, slot) = if id == 1 { (FRAME / 4, 0) } else { (FRAME, 1) };
        s.sent(id, bytes);
        frames[slot] += 1;
    }
    assert_eq!(frames, [400, 100]);
}

#[test]
fn a_parent_is_served_before_its_dependents_then_passes_its_share_on() {
    let mut s = ready(&[1, 3, 5, 7]);
    // 3 and 5 under 1 (4:12, RFC 7540 §5.3.2's example); 7 on the root.
    s.set_dependency(3, dep(1, 4)).unwrap();
    s.set_dependency(5, dep(1, 12)).unwrap();
    let order = pump(&mut s, 100);
    assert_eq!(count(&order, 3) + count(&order, 5), 0);
    assert_eq!(count(&order, 1), 50);
    assert_eq!(count(&order, 7), 50);
    s.set_ready(1, false);
    let order = pump(&mut s, 800);
    assert_eq!(count(&order, 7), 400);
    assert_eq!(count(&order, 3), 100);
    assert_eq!(count(&order, 5), 300);
}

#[test]
fn exclusive_dependency_adopts_the_parents_children() {
    // RFC 7540 §5.3.1 Figure 4: B and C on A; D exclusive on A.
    let (a, b, c, d) = (1, 3, 5, 7);
    let mut s = ready(&[a, b, c, d]);
    s.set_dependency(b, dep(a, 16)).unwrap();
    s.set_dependency(c, dep(a, 16)).unwrap();
    s.set_dependency(d, exclusive(a, 16)).unwrap();
    assert_eq!(s.dependency_of(d), Some((a, 16)));
    assert_eq!(s.dependency_of(b), Some((d, 16)));
    assert_eq!(s.dependency_of(c), Some((d, 16)));
    s.set_ready(a, false);
    assert_eq!(s.next(), Some(d));
}

#[test]
fn reprioritizing_under_a_descendant_moves_the_descendant_up() {
    // RFC 7540 §5.3.3 Figure 5: x ─ A ─ {B, C ─ {D ─ F, E}}; A made
    // dependent on D.
    let (x, a, b, c, d, e, f) = (1, 3, 5, 7, 9, 11, 13);
    let build = || {
        let mut s = ready(&[x, a, b, c, d, e, f]);
        s.set_dependency(a, dep(x, 16)).unwrap();
        s.set_dependency(b, dep(a, 16)).unwrap();
        s.set_dependency(c, dep(a, 16)).unwrap();
        s.set_dependency(d, dep(c, 8)).unwrap();
        s.set_dependency(e, dep(c, 16)).unwrap();
        s.set_dependency(f, dep(d, 16)).unwrap();
        s
    };
    let mut s = build();
    s.set_dependency(a, dep(d, 16)).unwrap();
    // Non-exclusive: D takes A's place, keeping its weight; F stays.
    assert_eq!(s.dependency_of(d), Some((x, 8)));
    assert_eq!(s.dependency_of(a), Some((d, 16)));
    assert_eq!(s.dependency_of(f), Some((d, 16)));
    assert_eq!(s.dependency_of(c), Some((a, 16)));
    assert_eq!(s.dependency_of(e), Some((c, 16)));

    let mut s = build();
    s.set_dependency(a, exclusive(d, 16)).unwrap();
    // Exclusive: F becomes A's.
    assert_eq!(s.dependency_of(d), Some((x, 8)));
    assert_eq!(s.dependency_of(a), Some((d, 16)));
    assert_eq!(s.dependency_of(f), Some((a, 16)));
    assert_eq!(s.dependency_of(b), Some((a, 16)));
    assert_eq!(s.dependency_of(c), Some((a, 16)));
}

#[test]
fn dependency_on_an_unknown_stream_gets_the_default_priority() {
    let mut s = ready(&[1]);
    s.set_dependency(1, exclusive(99, 200)).unwrap();
    assert_eq!(s.dependency_of(1), Some((0, 16)));
}

#[test]
fn a_closed_stream_keeps_placing_its_dependents() {
    let mut s = ready(&[1, 3]);
    s.close(1);
    assert_eq!(s.next(), Some(3));
    s.open(5);
    s.set_ready(5, true);
    s.set_dependency(5, dep(1, 16)).unwrap();
    assert_eq!(s.dependency_of(5), Some((1, 16)));
    // 1 is closed: its share flows to 5, which splits with 3.
    let order = pump(&mut s, 100);
    assert_eq!(count(&order, 5), 50);
}

#[test]
fn closed_streams_beyond_the_bound_are_evicted_oldest_first() {
    let limits = PriorityLimits {
        max_closed: 3,
        ..PriorityLimits::default()
    };
    let mut s = Scheduler::new(limits);
    for id in (1..=11).step_by(2) {
        s.open(id);
        s.close(id);
    }
    assert_eq!(s.stats().nodes, 3);
    assert_eq!(s.stats().evicted, 3);
    for gone in [1, 3, 5] {
        assert_eq!(s.dependency_of(gone), None, "stream {gone}");
    }
    for kept in [7, 9, 11] {
        assert!(s.dependency_of(kept).is_some(), "stream {kept}");
    }
}

#[test]
fn evicting_a_parent_hands_its_weight_to_its_children() {
    let limits = PriorityLimits {
        max_closed: 0,
        ..PriorityLimits::default()
    };
    let mut s = ready_within(limits, &[1, 3, 5]);
    s.set_dependency(1, dep(0, 64)).unwrap();
    s.set_dependency(3, dep(1, 10)).unwrap();
    s.set_dependency(5, dep(1, 30)).unwrap();
    s.close(1);
    // RFC 7540 §5.3.4: 64 split 1:3 between the children, on the root.
    assert_eq!(s.dependency_of(1), None);
    assert_eq!(s.dependency_of(3), Some((0, 16)));
    assert_eq!(s.dependency_of(5), Some((0, 48)));
}

#[test]
fn a_full_tree_of_open_streams_refuses_idle_nodes_but_admits_streams() {
    let limits = PriorityLimits {
        max_nodes: 2,
        ..PriorityLimits::default()
    };
    let mut s = ready_within(limits, &[1, 3]);
    s.set_dependency(101, dep(0, 16)).unwrap();
    assert_eq!(s.dependency_of(101), None);
    assert_eq!(s.stats().refused, 1);
    s.open(5);
    assert_eq!(s.stats().nodes, 3);
}

#[test]
fn an_idle_grouping_node_becomes_the_stream_when_it_opens() {
    let mut s = ready(&[1]);
    s.set_dependency(3, dep(0, 200)).unwrap();
    s.set_dependency(5, dep(3, 16)).unwrap();
    s.open(3);
    s.set_ready(3, true);
    s.open(5);
    s.set_ready(5, true);
    assert_eq!(s.dependency_of(3), Some((0, 200)));
    assert_eq!(s.dependency_of(5), Some((3, 16)));
    let order = pump(&mut s, 216);
    assert_eq!(count(&order, 3), 200);
    assert_eq!(count(&order, 5), 0);
}

/// Limits with a small depth bound, for the depth stories.
fn shallow(max_depth: usize) -> PriorityLimits {
    PriorityLimits {
        max_depth,
        ..PriorityLimits::default()
    }
}

#[test]
fn a_dependency_past_the_depth_bound_lands_on_the_deepest_ancestor_that_fits() {
    let mut s = ready_within(shallow(3), &[1, 3, 5, 7]);
    s.set_dependency(3, dep(1, 16)).unwrap();
    s.set_dependency(5, dep(3, 16)).unwrap();
    assert_eq!(s.stats().depth, 3);
    // 7 on 5 would be at depth 4: it goes beside 5, under 3, weight kept.
    s.set_dependency(7, exclusive(5, 99)).unwrap();
    assert_eq!(s.dependency_of(7), Some((3, 99)));
    assert_eq!(s.dependency_of(5), Some((3, 16)));
    assert_eq!(s.stats().depth, 3);
    assert_eq!(s.stats().flattened, 1);
    // It still waits for the ancestors it kept.
    assert_eq!(pump(&mut s, 1), [1]);
}

#[test]
fn a_subtree_moved_under_a_deep_stream_keeps_its_shape_higher_up() {
    let mut s = ready_within(shallow(3), &[1, 3, 5, 7, 9]);
    s.set_dependency(3, dep(1, 16)).unwrap();
    s.set_dependency(5, dep(3, 16)).unwrap();
    s.set_dependency(9, dep(7, 16)).unwrap();
    // 7 ─ 9 is two levels: under 5 it would reach depth 5; under 1 it
    // reaches 3.
    s.set_dependency(7, dep(5, 16)).unwrap();
    assert_eq!(s.dependency_of(7), Some((1, 16)));
    assert_eq!(s.dependency_of(9), Some((7, 16)));
    assert_eq!(s.stats().depth, 3);
    assert_eq!(s.stats().flattened, 1);
}

#[test]
fn an_exclusive_dependency_leaves_in_place_the_children_that_would_not_fit() {
    let mut s = ready_within(shallow(3), &[1, 3, 5, 7, 9]);
    s.set_dependency(3, dep(1, 16)).unwrap();
    s.set_dependency(5, dep(3, 16)).unwrap();
    s.set_dependency(7, dep(1, 16)).unwrap();
    // 9 exclusive on 1 adopts 7, but not 3 ─ 5, which would reach depth 4.
    s.set_dependency(9, exclusive(1, 16)).unwrap();
    assert_eq!(s.dependency_of(9), Some((1, 16)));
    assert_eq!(s.dependency_of(7), Some((9, 16)));
    assert_eq!(s.dependency_of(3), Some((1, 16)));
    assert_eq!(s.stats().depth, 3);
    assert_eq!(s.stats().flattened, 1);
}

#[test]
fn moving_a_stream_under_its_own_descendant_needs_no_flattening() {
    // RFC 7540 §5.3.3 at the bound: 1 ─ 3 ─ 5, then 1 on 5. 5 moves up to
    // the root first, so 1 ─ 3 fits under it.
    let mut s = ready_within(shallow(3), &[1, 3, 5]);
    s.set_dependency(3, dep(1, 16)).unwrap();
    s.set_dependency(5, dep(3, 16)).unwrap();
    s.set_dependency(1, dep(5, 16)).unwrap();
    assert_eq!(s.dependency_of(5), Some((0, 16)));
    assert_eq!(s.dependency_of(1), Some((5, 16)));
    assert_eq!(s.dependency_of(3), Some((1, 16)));
    assert_eq!(s.stats().depth, 3);
    assert_eq!(s.stats().flattened, 0);
}

#[test]
fn the_depth_shrinks_when_deep_streams_are_evicted_or_moved_up() {
    let limits = PriorityLimits {
        max_closed: 0,
        ..shallow(3)
    };
    let mut s = ready_within(limits, &[1, 3, 5]);
    s.set_dependency(3, dep(1, 16)).unwrap();
    s.set_dependency(5, dep(3, 16)).unwrap();
    assert_eq!(s.stats().depth, 3);
    s.close(3);
    assert_eq!(s.dependency_of(5), Some((1, 16)));
    assert_eq!(s.stats().depth, 2);
    s.set_dependency(5, dep(0, 16)).unwrap();
    assert_eq!(s.stats().depth, 1);
}

#[test]
fn flattenings_are_still_counted_after_the_switch_to_rfc9218() {
    let mut s = ready_within(shallow(1), &[1, 3]);
    s.set_dependency(3, dep(1, 16)).unwrap();
    assert_eq!(s.dependency_of(3), Some((0, 16)));
    s.use_rfc9218();
    assert_eq!(s.stats().flattened, 1);
    assert_eq!(s.stats().depth, 0);
}

#[test]
fn a_depth_bound_of_zero_still_admits_streams_on_the_root() {
    let mut s = ready_within(shallow(0), &[1, 3]);
    s.set_dependency(3, dep(1, 16)).unwrap();
    assert_eq!(s.dependency_of(3), Some((0, 16)));
    assert_eq!(s.stats().depth, 1);
}

// The flat scheme (no dependency received yet) against the tree.

mod flat_equals_tree {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// Open the next stream id, `skip` ids further on.
        Open {
            skip: u32,
        },
        /// Open an id at or below the highest opened (a revival).
        Reopen(u32),
        Ready(u32, bool),
        /// Send a frame of this size on the stream `next` picks.
        Send(usize),
        /// Charge a stream directly (open, closed or unknown).
        Charge(u32, usize),
        Close(u32),
        Depend {
            stream: u32,
            on: u32,
            exclusive: bool,
            weight: u16,
        },
        Rfc9218,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0u32..3).prop_map(|skip| Op::Open { skip }),
            1 => (0u32..40).prop_map(Op::Reopen),
            6 => (0u32..40, any::<bool>()).prop_map(|(s, r)| Op::Ready(s, r)),
            8 => (1usize..20_000).prop_map(Op::Send),
            1 => (0u32..40, 1usize..20_000).prop_map(|(s, b)| Op::Charge(s, b)),
            5 => (0u32..40).prop_map(Op::Close),
            1 => (0u32..40, 0u32..40, any::<bool>(), 1u16..=256)
                .prop_map(|(stream, on, exclusive, weight)| Op::Depend { stream, on, exclusive, weight }),
            1 => Just(Op::Rfc9218),
        ]
    }

    fn limits() -> impl Strategy<Value = PriorityLimits> {
        (1usize..12, 0usize..6, 0usize..4, 0usize..5).prop_map(
            |(max_nodes, max_closed, max_idle, max_depth)| PriorityLimits {
                max_nodes,
                max_closed,
                max_idle,
                max_depth,
                ..PriorityLimits::default()
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Whatever the client does, a scheduler that starts flat picks
        /// the same streams and reports the same state as one that keeps
        /// the tree from the start, before and after its first dependency.
        #[test]
        fn a_flat_start_schedules_as_the_tree_does(
            limits in limits(),
            ops in proptest::collection::vec(op(), 1..120),
        ) {
            let mut flat = Scheduler::new(limits);
            let mut tree = Scheduler::with_tree(limits);
            let mut highest = 0u32;
            for op in ops {
                match op {
                    Op::Open { skip } => {
                        highest += 1 + 2 * skip;
                        flat.open(highest);
                        tree.open(highest);
                    }
                    Op::Reopen(s) => {
                        let s = s.min(highest);
                        flat.open(s);
                        tree.open(s);
                    }
                    Op::Ready(s, r) => {
                        flat.set_ready(s, r);
                        tree.set_ready(s, r);
                    }
                    Op::Send(bytes) => {
                        if let Some(s) = flat.next() {
                            flat.sent(s, bytes);
                            tree.sent(s, bytes);
                        }
                    }
                    Op::Charge(s, bytes) => {
                        flat.sent(s, bytes);
                        tree.sent(s, bytes);
                    }
                    Op::Close(s) => {
                        flat.close(s);
                        tree.close(s);
                    }
                    Op::Depend { stream, on, exclusive, weight } => {
                        let d = Dependency { on, exclusive, weight };
                        prop_assert_eq!(flat.set_dependency(stream, d), tree.set_dependency(stream, d));
                    }
                    Op::Rfc9218 => {
                        flat.use_rfc9218();
                        tree.use_rfc9218();
                    }
                }
                prop_assert_eq!(flat.next(), tree.next());
                prop_assert_eq!(flat.stats(), tree.stats());
                for s in 0..=highest + 2 {
                    prop_assert_eq!(flat.dependency_of(s), tree.dependency_of(s), "stream {}", s);
                }
            }
        }
    }
}
