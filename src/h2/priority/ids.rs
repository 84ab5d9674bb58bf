//! A keyed hash for the stream ids that index the dependency tree.
//!
//! The tree looks up a node per level on every scheduling decision, and
//! std's SipHash-1-3 costs more than the rest of a level's work. Stream
//! ids come from the peer, so the hash must still be keyed: a fixed
//! multiplicative hash (FxHash) would let a client pick ids that share a
//! bucket and turn each lookup into a scan. This one is aHash's fallback
//! construction: the id, XORed with a key drawn from std's random state,
//! goes through a folded 64×64→128 multiply by a fixed odd constant, and
//! the result again with a second key. Without the keys, which ids
//! collide cannot be chosen in advance.
//!
//! It is not a general-purpose hasher: it is meant for one `u32` per key.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Builds [`IdHasher`]s sharing one pair of random keys.
#[derive(Debug, Clone)]
pub(super) struct IdHashing {
    keys: (u64, u64),
}

impl Default for IdHashing {
    fn default() -> Self {
        // `RandomState` is seeded from the OS once per thread and then
        // varied per instance; two instances give two independent keys.
        let key = |n: u64| RandomState::new().hash_one(n);
        Self {
            keys: (key(0), key(1)),
        }
    }
}

impl BuildHasher for IdHashing {
    type Hasher = IdHasher;

    fn build_hasher(&self) -> IdHasher {
        IdHasher {
            keys: self.keys,
            state: 0,
        }
    }
}

/// Hashes the `u32` it is given; see the module comment.
#[derive(Debug, Clone)]
pub(super) struct IdHasher {
    keys: (u64, u64),
    state: u64,
}

/// The multiplier of aHash's fallback hasher (from PCG).
const MULTIPLE: u64 = 6_364_136_223_846_793_005;

/// The 128-bit product of `a` and `b`, its halves XORed: every bit of it
/// depends on every bit of `a`, so the low bits hashbrown picks buckets
/// with do too.
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

impl IdHasher {
    fn mix(&mut self, word: u64) {
        self.state = fold(self.state ^ word ^ self.keys.0, MULTIPLE);
    }
}

impl Hasher for IdHasher {
    fn write_u32(&mut self, id: u32) {
        self.mix(u64::from(id));
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.mix(u64::from_le_bytes(word));
        }
    }

    fn finish(&self) -> u64 {
        fold(self.state ^ self.keys.1, MULTIPLE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_spread_over_the_low_bits() {
        // Stream ids a client would use (odd, stepping by 2, or spaced by
        // powers of two) must not pile up in hashbrown's low-bit buckets,
        // whatever the keys.
        for (hashing, step) in (0..100)
            .map(|_| IdHashing::default())
            .flat_map(|h| [2u32, 256, 1 << 16].map(|step| (h.clone(), step)))
        {
            let mut buckets = [0u32; 64];
            for i in 0..6_400u32 {
                let h = hashing.hash_one(1u32.wrapping_add(i.wrapping_mul(step)));
                buckets[(h % 64) as usize] += 1;
            }
            let fullest = buckets.iter().max().copied().unwrap_or(0);
            assert!(
                fullest < 200,
                "step {step}: {fullest} of 6,400 in one of 64"
            );
        }
    }
}
