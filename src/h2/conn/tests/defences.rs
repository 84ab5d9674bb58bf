//! Flood defences: each attack in memory, and a browser-like client
//! that trips none of them.

use super::*;

// Defences

#[test]
fn rapid_reset_is_answered_with_enhance_your_calm() {
    let mut c = Client::new();
    let mut id = 1;
    for _ in 0..1000 {
        c.get(id, "/");
        c.frame(|b| RstStream::new(StreamId::new(id), ErrorCode::CANCEL).encode(b));
        id += 2;
        if c.conn.error().is_some() {
            break;
        }
    }
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
    assert!(c.conn.counters().client_resets <= 201);
}

#[test]
fn provoked_resets_count_against_the_same_budget() {
    // MadeYouReset: valid-looking frames that make us reset streams.
    let mut c = Client::new();
    let mut id = 1;
    for _ in 0..1000 {
        c.get(id, "/");
        c.frame(|b| WindowUpdate::new(StreamId::new(id), (1 << 31) - 1).encode(b));
        c.frame(|b| WindowUpdate::new(StreamId::new(id), 1).encode(b));
        id += 2;
        if c.conn.error().is_some() {
            break;
        }
    }
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
}

#[test]
fn a_continuation_flood_is_answered_with_enhance_your_calm() {
    let mut c = Client::new();
    let block = c.block(&[(":method", "GET")]);
    c.frame(|b| Headers::new(StreamId::new(1), &block).encode(b));
    for _ in 0..100 {
        c.frame(|b| Continuation::new(StreamId::new(1), &[]).encode(b));
    }
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
    assert_eq!(c.conn.counters().continuation_floods, 1);
}

#[test]
fn an_hpack_bomb_gets_431_and_the_connection_survives() {
    let mut c = Client::new();
    // One 3000-octet field indexed once, then referenced 100 times.
    let big = "x".repeat(3000);
    let mut fields = vec![
        (":method", "GET"),
        (":scheme", "https"),
        (":path", "/"),
        ("x-bomb", big.as_str()),
    ];
    for _ in 0..100 {
        fields.push(("x-bomb", big.as_str()));
    }
    let block = c.block(&fields);
    assert!(
        block.len() < 6000,
        "the bomb is small on the wire: {}",
        block.len()
    );
    c.frame(|b| {
        Headers::new(StreamId::new(1), &block)
            .end_headers()
            .end_stream()
            .encode(b)
    });
    let out = c.frames();
    let headers = out
        .iter()
        .find(|f| f.kind == FrameType::HEADERS)
        .unwrap()
        .clone();
    assert_eq!(c.decode(&headers.payload)[0].1, "431");
    assert!(c.conn.error().is_none());
    c.get(3, "/");
    assert_eq!(c.events().len(), 1, "next request still served");
}

#[test]
fn a_settings_flood_is_answered_with_enhance_your_calm() {
    let mut c = Client::new();
    for _ in 0..100 {
        c.frame(|b| SettingsFrame::new(&[]).encode(b));
    }
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
}

#[test]
fn a_ping_flood_from_a_client_that_does_not_read_is_bounded() {
    let mut c = Client::new();
    for _ in 0..10_000 {
        c.frame(|b| Ping::new([1; 8]).encode(b));
        if c.conn.error().is_some() {
            break;
        }
    }
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
    assert!(c.conn.pending_output().len() < 128 * 1024);
}

#[test]
fn an_empty_data_flood_is_answered_with_enhance_your_calm() {
    let mut c = Client::new();
    c.post(1, &[]);
    for _ in 0..5000 {
        c.frame(|b| Data::new(StreamId::new(1), &[]).encode(b));
        if c.conn.error().is_some() {
            break;
        }
    }
    assert_eq!(
        c.conn.error().map(|e| e.code().value()),
        Some(ENHANCE_YOUR_CALM)
    );
}

#[test]
fn a_browser_like_client_trips_no_defence() {
    // A page load: 60 requests with priorities, a few cancelled, pings,
    // settings once, window updates as it reads; over a minute.
    let mut c = Client::new();
    let mut id = 1;
    for second in 0..60 {
        c.now += Duration::from_secs(1);
        for _ in 0..3 {
            c.frame(|b| {
                PriorityFrame::new(
                    StreamId::new(id),
                    StreamDependency::new(StreamId::new(0), false, 200),
                )
                .encode(b)
            });
            c.get(id, "/asset");
            for e in c.events() {
                if let Event::Request { stream, .. } = e {
                    c.conn.send_headers(stream, 200, &[], false).unwrap();
                    c.conn.send_data(stream, &[0; 20_000], true).unwrap();
                }
            }
            if id % 20 == 1 {
                c.frame(|b| RstStream::new(StreamId::new(id), ErrorCode::CANCEL).encode(b));
            }
            id += 2;
        }
        c.frame(|b| Ping::new([second as u8; 8]).encode(b));
        c.frame(|b| WindowUpdate::new(StreamId::CONNECTION, 60_000).encode(b));
        c.frames();
    }
    assert!(
        c.conn.error().is_none(),
        "{:?} {:?}",
        c.conn.error(),
        c.conn.counters()
    );
}

#[test]
fn a_client_that_does_not_read_stops_being_read() {
    let mut c = Client::new();
    for i in 0..40 {
        c.get(1 + 2 * i, "/");
    }
    for e in c.events() {
        if let Event::Request { stream, .. } = e {
            c.conn.send_headers(stream, 200, &[], false).unwrap();
            c.conn.send_data(stream, &[0; 60_000], true).unwrap();
        }
    }
    c.frame(|b| WindowUpdate::new(StreamId::CONNECTION, 10 << 20).encode(b));
    let _ = c.conn.pending_output();
    // Nothing consumed: the output stays bounded and reading should stop.
    assert!(c.conn.pending_output().len() < 512 * 1024);
    assert!(!c.conn.wants_read());
}

#[test]
fn unknown_frame_types_are_ignored() {
    let mut c = Client::new();
    c.send(&[0, 0, 3, 0xfa, 0, 0, 0, 0, 0, 1, 2, 3]);
    c.get(1, "/");
    assert_eq!(c.events().len(), 1);
    assert!(c.conn.error().is_none());
}
