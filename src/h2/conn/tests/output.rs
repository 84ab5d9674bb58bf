//! The two ways of taking output agree: vectored slices (with shared
//! payloads spliced in by reference) and the flattened contiguous bytes,
//! octet for octet, however the writes fall.

use std::io::IoSlice;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::h2::frame::{Headers, Ping};

/// Everything the vectored side reports, concatenated.
fn vectored(conn: &mut Connection, slots: usize) -> Vec<u8> {
    let mut bufs = vec![IoSlice::new(&[]); slots];
    let n = conn.pending_output_vectored(&mut bufs);
    bufs[..n].iter().flat_map(|b| b.iter().copied()).collect()
}

/// A client's preface and SETTINGS (with `window` as its initial stream
/// window), and the ACK of ours.
fn hello(window: u32) -> Vec<u8> {
    let mut b = PREFACE.to_vec();
    SettingsFrame::new(&[(SettingId::INITIAL_WINDOW_SIZE, window)]).encode(&mut b);
    SettingsFrame::ack().encode(&mut b);
    b
}

/// A GET on `stream` (a literal block each time, so any encoder state
/// gives the same bytes).
fn get(stream: u32) -> Vec<u8> {
    let mut block = Vec::new();
    Encoder::default().encode(
        [
            HeaderField::new(b":method", b"GET"),
            HeaderField::new(b":scheme", b"http"),
            HeaderField::new(b":authority", b"a"),
            HeaderField::new(b":path", b"/f"),
        ],
        &mut block,
    );
    let mut b = Vec::new();
    Headers::new(StreamId::new(stream), &block)
        .end_headers()
        .end_stream()
        .encode(&mut b);
    b
}

/// Answer every request in `conn`: a shared body or a copied one.
fn answer(conn: &mut Connection, body: &Arc<[u8]>, shared: bool) {
    while let Some(event) = conn.poll_event() {
        if let Event::Request { stream, .. } = event {
            conn.send_headers(stream, 200, &[(b"server", b"t")], false)
                .unwrap();
            if shared {
                conn.send_shared(stream, Arc::clone(body), true).unwrap();
            } else {
                conn.send_data(stream, body, true).unwrap();
            }
        }
    }
}

#[test]
fn a_large_shared_body_is_handed_out_by_reference() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    conn.recv(&hello(1 << 20), now);
    conn.recv(&get(1), now);
    let mut credit = Vec::new();
    WindowUpdate::new(StreamId::CONNECTION, 1 << 20).encode(&mut credit);
    conn.recv(&credit, now);
    let body: Arc<[u8]> = vec![7u8; 200_000].into();
    answer(&mut conn, &body, true);
    let mut bufs = [IoSlice::new(&[]); 32];
    let n = conn.pending_output_vectored(&mut bufs);
    let by_reference: usize = bufs[..n]
        .iter()
        .filter(|b| body.as_ptr_range().contains(&b.as_ptr()))
        .map(|b| b.len())
        .sum();
    // Two 16 KiB frames fill the 32 KiB output target (the middle of a
    // long body keeps to it); their payloads are the cached body itself,
    // not copies.
    assert_eq!(by_reference, 2 * 16_384);
}

#[test]
fn small_shared_responses_share_one_write_past_the_output_high_water() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    conn.recv(&hello(1 << 20), now);
    let mut credit = Vec::new();
    WindowUpdate::new(StreamId::CONNECTION, 1 << 20).encode(&mut credit);
    conn.recv(&credit, now);
    for id in (1..=13).step_by(2) {
        conn.recv(&get(id), now);
    }
    let body: Arc<[u8]> = vec![7u8; 16_384].into();
    answer(&mut conn, &body, true);
    // Seven whole 16 KiB responses, 112 KiB, in one go: each is a last
    // frame cut from a shared body, allowed up to spliced_high_water.
    let mut bufs = [IoSlice::new(&[]); 64];
    let n = conn.pending_output_vectored(&mut bufs);
    let total: usize = bufs[..n].iter().map(|b| b.len()).sum();
    assert!(total > 7 * 16_384, "{total}");
}

#[test]
fn a_copied_body_is_framed_only_up_to_the_output_high_water() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    conn.recv(&hello(1 << 20), now);
    conn.recv(&get(1), now);
    let body: Arc<[u8]> = vec![7u8; 200_000].into();
    answer(&mut conn, &body, false);
    // Two 16 KiB frames: with the HEADERS they reach past 32 KiB.
    let out = conn.pending_output().len();
    assert!((2 * 16_384..3 * 16_384).contains(&out), "{out}");
}

#[test]
fn a_short_slice_list_hands_out_a_prefix() {
    let now = Instant::now();
    let mut conn = Connection::new(Config::default(), now);
    conn.recv(&hello(1 << 20), now);
    conn.recv(&get(1), now);
    let body: Arc<[u8]> = (0..40_000u32).map(|i| i as u8).collect::<Vec<_>>().into();
    answer(&mut conn, &body, true);
    let all = vectored(&mut conn, 64);
    let two = vectored(&mut conn, 2);
    assert!(two.len() < all.len());
    assert_eq!(two[..], all[..two.len()]);
    assert_eq!(
        conn.pending_output(),
        &all[..],
        "flattening keeps the order"
    );
}

/// What happens between two writes.
#[derive(Debug, Clone)]
enum Step {
    /// Write up to this many octets, taking at most `slots` slices.
    Write { octets: usize, slots: usize },
    /// The client opens another stream.
    Request,
    /// The client pings (control output lands behind spliced DATA).
    Ping,
    /// The client opens its windows: the connection's and its streams'.
    Credit,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (1usize..40_000, 1usize..8).prop_map(|(octets, slots)| Step::Write { octets, slots }),
        1 => Just(Step::Request),
        1 => Just(Step::Ping),
        1 => Just(Step::Credit),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Two connections fed the same input, one drained through
    /// `pending_output`, the other through `pending_output_vectored`, with
    /// the same write sizes (cut mid-frame and mid-splice): the octets
    /// written are identical.
    #[test]
    fn vectored_output_equals_contiguous_output(
        body_len in 0usize..70_000,
        shared in any::<bool>(),
        window in prop_oneof![Just(65_535u32), Just(1u32 << 20), 1u32..20_000],
        steps in proptest::collection::vec(step(), 1..60),
    ) {
        let now = Instant::now();
        let body: Arc<[u8]> = (0..body_len).map(|i| (i % 251) as u8).collect::<Vec<_>>().into();
        let mut flat = Connection::new(Config::default(), now);
        let mut vect = Connection::new(Config::default(), now);
        let mut next_stream = 1;
        let mut input = hello(window);
        input.extend(get(next_stream));
        let (mut from_flat, mut from_vect) = (Vec::new(), Vec::new());
        for step in steps.iter().cloned().chain([Step::Write { octets: usize::MAX, slots: 1024 }]) {
            if !input.is_empty() {
                flat.recv(&input, now);
                vect.recv(&input, now);
                input.clear();
                answer(&mut flat, &body, shared);
                answer(&mut vect, &body, shared);
            }
            match step {
                Step::Write { octets, slots } => {
                    let offered = vectored(&mut vect, slots);
                    let n = octets.min(offered.len());
                    let contiguous = flat.pending_output();
                    prop_assert!(contiguous.len() >= offered.len());
                    from_flat.extend_from_slice(&contiguous[..n]);
                    from_vect.extend_from_slice(&offered[..n]);
                    flat.consume_output(n);
                    vect.consume_output(n);
                    prop_assert_eq!(flat.unwritten(), vect.unwritten());
                }
                Step::Request => {
                    next_stream += 2;
                    input.extend(get(next_stream));
                }
                Step::Ping => Ping::new(*b"12345678").encode(&mut input),
                Step::Credit => {
                    WindowUpdate::new(StreamId::CONNECTION, 50_000).encode(&mut input);
                    for id in (1..=next_stream).step_by(2) {
                        WindowUpdate::new(StreamId::new(id), 50_000).encode(&mut input);
                    }
                }
            }
        }
        prop_assert_eq!(&from_flat, &from_vect);
        // Drain the rest both ways; still equal, and nothing is left.
        loop {
            let offered = vectored(&mut vect, 3);
            let contiguous = flat.pending_output().to_vec();
            prop_assert_eq!(&contiguous[..offered.len()], &offered[..]);
            if contiguous.is_empty() {
                break;
            }
            prop_assert!(!offered.is_empty());
            let n = offered.len();
            flat.consume_output(n);
            vect.consume_output(n);
        }
        prop_assert_eq!(vect.unwritten(), 0);
    }
}
