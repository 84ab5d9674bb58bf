//! Request field validation: RFC 9113 §8.1–§8.3 applied to a decoded
//! field block, before anything reaches the application.
//!
//! A request that breaks these rules is *malformed* (§8.1.1): the
//! connection answers it with a stream error of type PROTOCOL_ERROR. This
//! file only decides; it owns no stream state. The validated head keeps
//! the decoded [`HeaderList`] (one buffer, no per-field allocation) and
//! the positions of the pseudo-header fields in it.

use std::fmt;

use crate::hpack::{HeaderField, HeaderList};

/// Why a request or trailer section is malformed (RFC 9113 §8.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub &'static str);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed request: {}", self.0)
    }
}

impl std::error::Error for Malformed {}

/// A validated request head.
#[derive(Debug, Clone)]
pub struct RequestHead {
    fields: HeaderList,
    method: usize,
    scheme: Option<usize>,
    authority: Option<usize>,
    path: Option<usize>,
    protocol: Option<usize>,
    first_regular: usize,
    content_length: Option<u64>,
}

impl RequestHead {
    fn value(&self, at: Option<usize>) -> Option<&[u8]> {
        at.and_then(|i| self.fields.get(i)).map(|f| f.value)
    }

    /// `:method`.
    pub fn method(&self) -> &[u8] {
        self.value(Some(self.method)).unwrap_or_default()
    }

    /// `:scheme` (absent for CONNECT).
    pub fn scheme(&self) -> Option<&[u8]> {
        self.value(self.scheme)
    }

    /// `:authority`, if sent.
    pub fn authority(&self) -> Option<&[u8]> {
        self.value(self.authority)
    }

    /// `:path` (absent for CONNECT).
    pub fn path(&self) -> Option<&[u8]> {
        self.value(self.path)
    }

    /// `:protocol` of an extended CONNECT (RFC 8441).
    pub fn protocol(&self) -> Option<&[u8]> {
        self.value(self.protocol)
    }

    /// The declared `content-length`, which the connection checks against
    /// the DATA it receives.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// Is this a HEAD request (its response carries no content)?
    pub fn is_head(&self) -> bool {
        self.method() == b"HEAD"
    }

    /// The regular (non-pseudo) fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = HeaderField<'_>> {
        self.fields.iter().skip(self.first_regular)
    }

    /// The first value of field `name` (lowercase).
    pub fn field(&self, name: &[u8]) -> Option<&[u8]> {
        self.fields().find(|f| f.name == name).map(|f| f.value)
    }

    /// Give the field buffer back for reuse.
    pub fn into_fields(self) -> HeaderList {
        self.fields
    }
}

/// Validate a request's field block. `extended_connect`: whether we
/// advertised SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441), which makes
/// `:protocol` a defined pseudo-header.
pub fn validate_request(
    fields: HeaderList,
    extended_connect: bool,
) -> Result<RequestHead, Malformed> {
    let mut method = None;
    let mut scheme = None;
    let mut authority = None;
    let mut path = None;
    let mut protocol = None;
    let mut first_regular = fields.len();
    let mut content_length: Option<u64> = None;
    let mut host: Option<usize> = None;
    for (i, f) in fields.iter().enumerate() {
        check_field_syntax(&f)?;
        if let Some(pseudo) = f.name.strip_prefix(b":") {
            // RFC 9113 §8.3: "All pseudo-header fields MUST appear in a
            // field block before all regular field lines."
            if first_regular != fields.len() {
                return Err(Malformed("pseudo-header field after a regular field"));
            }
            let slot = match pseudo {
                b"method" => &mut method,
                b"scheme" => &mut scheme,
                b"authority" => &mut authority,
                b"path" => &mut path,
                b"protocol" if extended_connect => &mut protocol,
                b"status" => return Err(Malformed("response pseudo-header :status in a request")),
                _ => return Err(Malformed("undefined pseudo-header field")),
            };
            // §8.3: "The same pseudo-header field name MUST NOT appear more
            // than once in a field block."
            if slot.replace(i).is_some() {
                return Err(Malformed("repeated pseudo-header field"));
            }
            continue;
        }
        if first_regular == fields.len() {
            first_regular = i;
        }
        match f.name {
            // §8.2.2: connection-specific header fields "MUST be treated as
            // malformed".
            b"connection" | b"proxy-connection" | b"keep-alive" | b"transfer-encoding"
            | b"upgrade" => return Err(Malformed("connection-specific header field")),
            // §8.2.2: TE "MUST NOT contain any value other than trailers".
            b"te" if f.value != b"trailers" => {
                return Err(Malformed("te other than \"trailers\""));
            }
            b"content-length" => {
                let n = parse_content_length(f.value)?;
                if content_length.is_some_and(|prev| prev != n) {
                    return Err(Malformed("differing content-length values"));
                }
                content_length = Some(n);
            }
            b"host" if host.is_none() => host = Some(i),
            _ => {}
        }
    }
    let Some(method_at) = method else {
        return Err(Malformed("missing :method"));
    };
    let method_value = fields.get(method_at).map(|f| f.value).unwrap_or_default();
    if method_value.is_empty() {
        return Err(Malformed("empty :method"));
    }
    let connect = method_value == b"CONNECT";
    if connect && protocol.is_none() {
        // §8.5: CONNECT carries :authority only; ":scheme" and ":path"
        // pseudo-header fields MUST be omitted.
        if scheme.is_some() || path.is_some() {
            return Err(Malformed("CONNECT with :scheme or :path"));
        }
        if authority.is_none() {
            return Err(Malformed("CONNECT without :authority"));
        }
    } else {
        if protocol.is_some() && !connect {
            return Err(Malformed(":protocol on a method other than CONNECT"));
        }
        // §8.3.1: "All HTTP/2 requests MUST include exactly one valid value
        // for the :method, :scheme, and :path pseudo-header fields".
        let (Some(_), Some(path_at)) = (scheme, path) else {
            return Err(Malformed("missing :scheme or :path"));
        };
        let path_value = fields.get(path_at).map(|f| f.value).unwrap_or_default();
        // §8.3.1: ":path" "MUST NOT be empty for http or https URIs".
        if path_value.is_empty() {
            return Err(Malformed("empty :path"));
        }
        if path_value != b"*" && !path_value.starts_with(b"/") {
            let is_http = scheme
                .and_then(|s| fields.get(s))
                .is_some_and(|s| s.value == b"http" || s.value == b"https");
            if is_http {
                return Err(Malformed(":path is neither origin-form nor *"));
            }
        }
    }
    // §8.3.1: "A server SHOULD treat a request as malformed if it contains
    // a Host header field that identifies an entity that differs from the
    // entity in the :authority pseudo-header field."
    if let (Some(a), Some(h)) = (authority, host) {
        let a = fields.get(a).map(|f| f.value).unwrap_or_default();
        let h = fields.get(h).map(|f| f.value).unwrap_or_default();
        if !a.eq_ignore_ascii_case(h) {
            return Err(Malformed("host differs from :authority"));
        }
    }
    Ok(RequestHead {
        fields,
        method: method_at,
        scheme,
        authority,
        path,
        protocol,
        first_regular,
        content_length,
    })
}

/// Validate a trailer section: field syntax, no pseudo-header fields
/// (§8.1: "Trailers MUST NOT include pseudo-header fields"), no
/// connection-specific fields.
pub fn validate_trailers(fields: &HeaderList) -> Result<(), Malformed> {
    for f in fields {
        check_field_syntax(&f)?;
        if f.name.starts_with(b":") {
            return Err(Malformed("pseudo-header field in trailers"));
        }
        if matches!(
            f.name,
            b"connection" | b"proxy-connection" | b"keep-alive" | b"transfer-encoding" | b"upgrade"
        ) {
            return Err(Malformed("connection-specific header field in trailers"));
        }
    }
    Ok(())
}

/// RFC 9113 §8.2.1's minimal validation of one field line.
///
/// Every request runs this over every field, so it is written for speed:
/// a table lookup per name octet, eight value octets at a time. A
/// pseudo-header name is not scanned: both callers accept only the
/// defined ones (plain lowercase ASCII) and refuse any other.
fn check_field_syntax(f: &HeaderField<'_>) -> Result<(), Malformed> {
    let name = f.name;
    if name.is_empty() {
        return Err(Malformed("empty field name"));
    }
    // "A field name MUST NOT contain characters in the ranges 0x00-0x20,
    // 0x41-0x5a, or 0x7f-0xff"; and, pseudo-headers aside, no colon.
    if !name.starts_with(b":")
        && name
            .iter()
            .fold(false, |bad, &b| bad | NAME_REFUSES[usize::from(b)])
    {
        return Err(Malformed("invalid character in field name"));
    }
    // "A field value MUST NOT contain the zero value (ASCII NUL, 0x00),
    // line feed (ASCII LF, 0x0a), or carriage return (ASCII CR, 0x0d)"
    // and "MUST NOT start or end with an ASCII whitespace character".
    let v = f.value;
    if has_nul_cr_or_lf(v) {
        return Err(Malformed("NUL, CR or LF in a field value"));
    }
    if v.first().is_some_and(|&b| b == b' ' || b == b'\t')
        || v.last().is_some_and(|&b| b == b' ' || b == b'\t')
    {
        return Err(Malformed("field value with leading or trailing whitespace"));
    }
    Ok(())
}

/// Octets a regular field name may not contain (§8.2.1): controls, space,
/// uppercase, DEL and above, and the colon.
static NAME_REFUSES: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b <= 0x20 || b.is_ascii_uppercase() || b >= 0x7f || b == b':';
        i += 1;
    }
    t
};

/// Whether `v` holds a NUL, CR or LF octet, eight octets at a time.
fn has_nul_cr_or_lf(v: &[u8]) -> bool {
    // Some octet of `x` is zero (the bit trick is exact for "any").
    fn any_zero(x: u64) -> bool {
        x.wrapping_sub(0x0101_0101_0101_0101) & !x & 0x8080_8080_8080_8080 != 0
    }
    const LF: u64 = 0x0a0a_0a0a_0a0a_0a0a;
    const CR: u64 = 0x0d0d_0d0d_0d0d_0d0d;
    let (words, rest) = v.as_chunks::<8>();
    words.iter().any(|w| {
        let x = u64::from_le_bytes(*w);
        any_zero(x) | any_zero(x ^ LF) | any_zero(x ^ CR)
    }) || rest.iter().any(|&b| b == 0 || b == b'\n' || b == b'\r')
}

fn parse_content_length(v: &[u8]) -> Result<u64, Malformed> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return Err(Malformed("invalid content-length"));
    }
    Ok(v.iter().fold(0u64, |n, &d| n * 10 + u64::from(d - b'0')))
}

#[cfg(test)]
mod tests;
