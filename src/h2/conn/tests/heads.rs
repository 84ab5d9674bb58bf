//! Response heads sent from the head cache decode to what was sent,
//! whatever came between them.

use proptest::prelude::*;

use super::*;

/// A status and its fields, owned.
type Head = (u16, Vec<(Vec<u8>, Vec<u8>)>);

/// Heads a server might send, some repeating, some new each time.
fn head(choice: usize, n: usize) -> Head {
    let f = |n: &str, v: &str| (n.as_bytes().to_vec(), v.as_bytes().to_vec());
    match choice {
        0 => (200, vec![f("server", "bicorn"), f("content-length", "612")]),
        1 => (
            200,
            vec![f("server", "bicorn"), f("content-type", "text/html")],
        ),
        2 => (404, vec![f("server", "bicorn"), f("content-length", "612")]),
        // A new value every time: HPACK inserts it, moving every entry.
        _ => (
            200,
            vec![f("x-request", &n.to_string()), f("server", "bicorn")],
        ),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn response_heads_decode_to_the_fields_sent(
        steps in proptest::collection::vec((0usize..4, prop::option::weighted(0.1, 0u32..200)), 1..50),
    ) {
        let mut c = Client::new();
        for (i, (choice, table_size)) in steps.into_iter().enumerate() {
            if let Some(size) = table_size {
                // The client shrinks (or grows) the table we may use.
                c.frame(|b| SettingsFrame::new(&[(SettingId::HEADER_TABLE_SIZE, size)]).encode(b));
                c.frames();
            }
            let id = 1 + 2 * i as u32;
            c.get(id, "/");
            c.events();
            let (status, fields) = head(choice, i);
            let borrowed: Vec<(&[u8], &[u8])> =
                fields.iter().map(|(n, v)| (n.as_slice(), v.as_slice())).collect();
            c.conn
                .send_headers(StreamId::new(id), status, &borrowed, true)
                .unwrap();
            let out = c.frames();
            let block = &out.iter().find(|f| f.kind == FrameType::HEADERS && f.stream == id).unwrap().payload;
            let decoded = c.decode(block);
            let mut expected = vec![(":status".to_string(), status.to_string())];
            expected.extend(fields.iter().map(|(n, v)| {
                (String::from_utf8_lossy(n).into_owned(), String::from_utf8_lossy(v).into_owned())
            }));
            prop_assert_eq!(decoded, expected);
        }
    }
}
