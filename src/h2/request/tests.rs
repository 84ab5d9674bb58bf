use super::*;

fn list(fields: &[(&str, &str)]) -> HeaderList {
    let mut l = HeaderList::new();
    for (n, v) in fields {
        l.push(n.as_bytes(), v.as_bytes(), false);
    }
    l
}

fn check(fields: &[(&str, &str)]) -> Result<RequestHead, Malformed> {
    validate_request(list(fields), false)
}

const GET: [(&str, &str); 4] = [
    (":method", "GET"),
    (":scheme", "https"),
    (":authority", "example.com"),
    (":path", "/index.html"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut v = GET.to_vec();
    v.extend_from_slice(extra);
    v
}

#[test]
fn a_plain_get_is_valid_and_exposes_its_control_data() {
    let head = check(&with(&[("accept", "*/*"), ("user-agent", "t")])).unwrap();
    assert_eq!(head.method(), b"GET");
    assert_eq!(head.scheme(), Some(&b"https"[..]));
    assert_eq!(head.authority(), Some(&b"example.com"[..]));
    assert_eq!(head.path(), Some(&b"/index.html"[..]));
    let names: Vec<_> = head.fields().map(|f| f.name.to_vec()).collect();
    assert_eq!(names, [b"accept".to_vec(), b"user-agent".to_vec()]);
    assert_eq!(head.field(b"user-agent"), Some(&b"t"[..]));
}

#[test]
fn uppercase_field_names_are_malformed() {
    assert!(check(&with(&[("Accept", "*/*")])).is_err());
}

#[test]
fn a_pseudo_header_after_a_regular_field_is_malformed() {
    let fields = [
        (":method", "GET"),
        (":scheme", "https"),
        ("accept", "*/*"),
        (":path", "/"),
    ];
    assert_eq!(
        check(&fields).unwrap_err(),
        Malformed("pseudo-header field after a regular field")
    );
}

#[test]
fn repeated_undefined_and_response_pseudo_headers_are_malformed() {
    assert!(check(&with(&[])).is_ok());
    let mut dup = GET.to_vec();
    dup.insert(1, (":method", "POST"));
    assert_eq!(
        check(&dup).unwrap_err(),
        Malformed("repeated pseudo-header field")
    );
    let mut undefined = GET.to_vec();
    undefined.insert(0, (":foo", "bar"));
    assert!(check(&undefined).is_err());
    let mut status = GET.to_vec();
    status.insert(0, (":status", "200"));
    assert!(check(&status).is_err());
}

#[test]
fn protocol_is_a_pseudo_header_only_with_extended_connect() {
    let fields = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/chat"),
        (":authority", "example.com"),
    ];
    assert!(validate_request(list(&fields), false).is_err());
    let head = validate_request(list(&fields), true).unwrap();
    assert_eq!(head.protocol(), Some(&b"websocket"[..]));
}

#[test]
fn missing_method_scheme_or_path_is_malformed() {
    for skip in [":method", ":scheme", ":path"] {
        let fields: Vec<_> = GET.iter().copied().filter(|(n, _)| *n != skip).collect();
        assert!(check(&fields).is_err(), "without {skip}");
    }
}

#[test]
fn an_empty_path_is_malformed_and_asterisk_is_allowed() {
    let mut fields = GET.to_vec();
    fields[3] = (":path", "");
    assert_eq!(check(&fields).unwrap_err(), Malformed("empty :path"));
    fields[0] = (":method", "OPTIONS");
    fields[3] = (":path", "*");
    assert!(check(&fields).is_ok());
    fields[3] = (":path", "index.html");
    assert!(check(&fields).is_err());
}

#[test]
fn connect_carries_authority_only() {
    let ok = [(":method", "CONNECT"), (":authority", "example.com:443")];
    assert!(check(&ok).is_ok());
    let with_path = [
        (":method", "CONNECT"),
        (":authority", "example.com:443"),
        (":path", "/"),
    ];
    assert!(check(&with_path).is_err());
    assert!(check(&[(":method", "CONNECT")]).is_err());
}

#[test]
fn connection_specific_fields_are_malformed() {
    for name in [
        "connection",
        "proxy-connection",
        "keep-alive",
        "transfer-encoding",
        "upgrade",
    ] {
        assert_eq!(
            check(&with(&[(name, "x")])).unwrap_err(),
            Malformed("connection-specific header field"),
            "{name}"
        );
    }
}

#[test]
fn te_is_allowed_only_as_trailers() {
    assert!(check(&with(&[("te", "trailers")])).is_ok());
    assert!(check(&with(&[("te", "gzip")])).is_err());
}

#[test]
fn field_values_with_nul_cr_lf_or_edge_whitespace_are_malformed() {
    for v in ["a\0b", "a\rb", "a\nb", " a", "a\t"] {
        assert!(check(&with(&[("x-v", v)])).is_err(), "{v:?}");
    }
    assert!(check(&with(&[("x-v", "a b")])).is_ok());
    assert!(check(&with(&[("x-v", "")])).is_ok());
}

#[test]
fn nul_cr_and_lf_are_found_wherever_they_sit_in_a_long_value() {
    for len in 1..40 {
        for at in 0..len {
            for bad in [0u8, b'\n', b'\r'] {
                let mut v = vec![b'a'; len];
                v[at] = bad;
                assert!(has_nul_cr_or_lf(&v), "{bad} at {at} of {len}");
            }
        }
    }
    // Every other octet passes, in any position of a word.
    let all: Vec<u8> = (1..=255u8)
        .filter(|b| ![b'\n', b'\r'].contains(b))
        .collect();
    for start in 0..8 {
        assert!(!has_nul_cr_or_lf(&all[start..]));
    }
}

#[test]
fn undefined_pseudo_header_names_are_malformed_whatever_their_characters() {
    for n in [":Method", ": path", ":pa\u{7f}th", ":"] {
        assert!(check(&with(&[(n, "v")])).is_err(), "{n:?}");
    }
}

#[test]
fn field_names_with_colon_space_or_high_bytes_are_malformed() {
    for n in ["x:y", "x y", "x\u{7f}"] {
        assert!(check(&with(&[(n, "v")])).is_err(), "{n:?}");
    }
}

#[test]
fn content_length_is_parsed_and_must_agree_with_itself() {
    let head = check(&with(&[("content-length", "42")])).unwrap();
    assert_eq!(head.content_length(), Some(42));
    assert!(check(&with(&[("content-length", "42"), ("content-length", "42")])).is_ok());
    assert!(check(&with(&[("content-length", "42"), ("content-length", "43")])).is_err());
    for bad in ["", "-1", "4 2", "0x10", "99999999999999999999"] {
        assert!(check(&with(&[("content-length", bad)])).is_err(), "{bad:?}");
    }
}

#[test]
fn host_must_match_authority() {
    assert!(check(&with(&[("host", "EXAMPLE.com")])).is_ok());
    assert_eq!(
        check(&with(&[("host", "evil.example")])).unwrap_err(),
        Malformed("host differs from :authority")
    );
}

#[test]
fn trailers_may_not_carry_pseudo_headers_or_connection_fields() {
    assert!(validate_trailers(&list(&[("grpc-status", "0")])).is_ok());
    assert!(validate_trailers(&list(&[(":status", "200")])).is_err());
    assert!(validate_trailers(&list(&[("connection", "close")])).is_err());
    assert!(validate_trailers(&list(&[("Bad", "x")])).is_err());
}
