//! The last response head's HPACK block, kept to send again.
//!
//! A server answers many requests with the same head (the same status,
//! server, type and length for the same file), and once HPACK has indexed
//! its fields, encoding it again gives the same octets and leaves the
//! table as it was. Encoding costs more than the rest of sending a small
//! response (a scan of the dynamic table and a Huffman coding per field),
//! so the block of the last head that inserted nothing is kept with the
//! encoder's generation, and reused while both the head and the
//! generation are the same ([`crate::hpack::Encoder::generation`] says
//! why that is exact).
//!
//! Not here: framing the block (`send.rs`), HPACK itself.

/// A response head and the block it encoded to.
#[derive(Debug, Default)]
pub(super) struct HeadCache {
    /// The encoder's generation when `block` was encoded; `None`: empty.
    generation: Option<u64>,
    /// The head, as [`key`] writes it (compared in place by [`same_head`]).
    key: Vec<u8>,
    block: Vec<u8>,
}

impl HeadCache {
    /// The block for `status` and `fields` if the last one cached is for
    /// the same head and the encoder is still at `generation`.
    pub(super) fn lookup(
        &mut self,
        generation: u64,
        status: [u8; 3],
        fields: &[(&[u8], &[u8])],
    ) -> Option<&[u8]> {
        (self.generation == Some(generation) && same_head(&self.key, status, fields))
            .then_some(self.block.as_slice())
    }

    /// Keep `block`, the encoding of `status` and `fields`, made at
    /// `generation` without changing the encoder.
    pub(super) fn store(
        &mut self,
        generation: u64,
        status: [u8; 3],
        fields: &[(&[u8], &[u8])],
        block: &[u8],
    ) {
        key(status, fields, &mut self.key);
        self.block.clear();
        self.block.extend_from_slice(block);
        self.generation = Some(generation);
    }
}

/// Whether `key` is the key of `status` and `fields`, compared in place
/// (a hit, the usual case, copies nothing).
fn same_head(key: &[u8], status: [u8; 3], fields: &[(&[u8], &[u8])]) -> bool {
    let Some(mut rest) = key.strip_prefix(&status[..]) else {
        return false;
    };
    for (name, value) in fields {
        for part in [name, value] {
            let Some(after) = rest
                .strip_prefix(&(part.len() as u64).to_le_bytes()[..])
                .and_then(|r| r.strip_prefix(&part[..]))
            else {
                return false;
            };
            rest = after;
        }
    }
    rest.is_empty()
}

/// The head as one string: the status, then each name and value with its
/// length before it, so that no two heads share a key.
fn key(status: [u8; 3], fields: &[(&[u8], &[u8])], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&status);
    for (name, value) in fields {
        out.extend_from_slice(&(name.len() as u64).to_le_bytes());
        out.extend_from_slice(name);
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        out.extend_from_slice(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_is_reused_only_for_the_same_head_at_the_same_generation() {
        let mut c = HeadCache::default();
        let head: [(&[u8], &[u8]); 2] = [(b"server", b"t"), (b"content-length", b"3")];
        assert_eq!(c.lookup(7, *b"200", &head), None, "empty");
        c.store(7, *b"200", &head, b"block");
        assert_eq!(c.lookup(7, *b"200", &head), Some(&b"block"[..]));
        assert_eq!(c.lookup(8, *b"200", &head), None, "the encoder moved on");
        assert_eq!(c.lookup(7, *b"404", &head), None);
        assert_eq!(c.lookup(7, *b"200", &head[..1]), None);
        // Names and values cannot run into each other.
        let shifted: [(&[u8], &[u8]); 2] = [(b"server", b"tc"), (b"ontent-length", b"3")];
        assert_eq!(c.lookup(7, *b"200", &shifted), None);
        assert_eq!(c.lookup(7, *b"200", &head), Some(&b"block"[..]));
    }
}
