//! The Huffman code of RFC 7541 Appendix B, as an encoding table and as the
//! 4-bit decoding automaton derived from it.
//!
//! [`ENCODE`] was generated from the RFC text (in the shared reference
//! tree, `rfc/rfc7541.txt`) with
//!
//! ```text
//! grep -E '\[[ 0-9]+\]$' rfc7541.txt \
//!   | sed -E 's/.* ([0-9a-f]+) +\[ *([0-9]+)\]$/\1 \2/' \
//!   | awk '{printf "    (0x%s, %s), // %d\n", $1, $2, NR-1}'
//! ```
//!
//! and the test `encode_table_matches_the_rfc_text` parses the RFC again to
//! check every row. [`DECODE`] is not written out: `build_decode_table`
//! computes it from [`ENCODE`] at compile time, so the two cannot drift.
//! A code table that is not a complete prefix code fails the build.

/// The EOS symbol, which only ever appears as padding.
pub(crate) const EOS: u16 = 256;

/// `ENCODE[symbol] = (code aligned to the least significant bit, length in
/// bits)`, for symbols 0..=255 and EOS (256).
pub(crate) static ENCODE: [(u32, u8); 257] = [
    (0x1ff8, 13),     // 0
    (0x7fffd8, 23),   // 1
    (0xfffffe2, 28),  // 2
    (0xfffffe3, 28),  // 3
    (0xfffffe4, 28),  // 4
    (0xfffffe5, 28),  // 5
    (0xfffffe6, 28),  // 6
    (0xfffffe7, 28),  // 7
    (0xfffffe8, 28),  // 8
    (0xffffea, 24),   // 9
    (0x3ffffffc, 30), // 10
    (0xfffffe9, 28),  // 11
    (0xfffffea, 28),  // 12
    (0x3ffffffd, 30), // 13
    (0xfffffeb, 28),  // 14
    (0xfffffec, 28),  // 15
    (0xfffffed, 28),  // 16
    (0xfffffee, 28),  // 17
    (0xfffffef, 28),  // 18
    (0xffffff0, 28),  // 19
    (0xffffff1, 28),  // 20
    (0xffffff2, 28),  // 21
    (0x3ffffffe, 30), // 22
    (0xffffff3, 28),  // 23
    (0xffffff4, 28),  // 24
    (0xffffff5, 28),  // 25
    (0xffffff6, 28),  // 26
    (0xffffff7, 28),  // 27
    (0xffffff8, 28),  // 28
    (0xffffff9, 28),  // 29
    (0xffffffa, 28),  // 30
    (0xffffffb, 28),  // 31
    (0x14, 6),        // 32
    (0x3f8, 10),      // 33
    (0x3f9, 10),      // 34
    (0xffa, 12),      // 35
    (0x1ff9, 13),     // 36
    (0x15, 6),        // 37
    (0xf8, 8),        // 38
    (0x7fa, 11),      // 39
    (0x3fa, 10),      // 40
    (0x3fb, 10),      // 41
    (0xf9, 8),        // 42
    (0x7fb, 11),      // 43
    (0xfa, 8),        // 44
    (0x16, 6),        // 45
    (0x17, 6),        // 46
    (0x18, 6),        // 47
    (0x0, 5),         // 48
    (0x1, 5),         // 49
    (0x2, 5),         // 50
    (0x19, 6),        // 51
    (0x1a, 6),        // 52
    (0x1b, 6),        // 53
    (0x1c, 6),        // 54
    (0x1d, 6),        // 55
    (0x1e, 6),        // 56
    (0x1f, 6),        // 57
    (0x5c, 7),        // 58
    (0xfb, 8),        // 59
    (0x7ffc, 15),     // 60
    (0x20, 6),        // 61
    (0xffb, 12),      // 62
    (0x3fc, 10),      // 63
    (0x1ffa, 13),     // 64
    (0x21, 6),        // 65
    (0x5d, 7),        // 66
    (0x5e, 7),        // 67
    (0x5f, 7),        // 68
    (0x60, 7),        // 69
    (0x61, 7),        // 70
    (0x62, 7),        // 71
    (0x63, 7),        // 72
    (0x64, 7),        // 73
    (0x65, 7),        // 74
    (0x66, 7),        // 75
    (0x67, 7),        // 76
    (0x68, 7),        // 77
    (0x69, 7),        // 78
    (0x6a, 7),        // 79
    (0x6b, 7),        // 80
    (0x6c, 7),        // 81
    (0x6d, 7),        // 82
    (0x6e, 7),        // 83
    (0x6f, 7),        // 84
    (0x70, 7),        // 85
    (0x71, 7),        // 86
    (0x72, 7),        // 87
    (0xfc, 8),        // 88
    (0x73, 7),        // 89
    (0xfd, 8),        // 90
    (0x1ffb, 13),     // 91
    (0x7fff0, 19),    // 92
    (0x1ffc, 13),     // 93
    (0x3ffc, 14),     // 94
    (0x22, 6),        // 95
    (0x7ffd, 15),     // 96
    (0x3, 5),         // 97
    (0x23, 6),        // 98
    (0x4, 5),         // 99
    (0x24, 6),        // 100
    (0x5, 5),         // 101
    (0x25, 6),        // 102
    (0x26, 6),        // 103
    (0x27, 6),        // 104
    (0x6, 5),         // 105
    (0x74, 7),        // 106
    (0x75, 7),        // 107
    (0x28, 6),        // 108
    (0x29, 6),        // 109
    (0x2a, 6),        // 110
    (0x7, 5),         // 111
    (0x2b, 6),        // 112
    (0x76, 7),        // 113
    (0x2c, 6),        // 114
    (0x8, 5),         // 115
    (0x9, 5),         // 116
    (0x2d, 6),        // 117
    (0x77, 7),        // 118
    (0x78, 7),        // 119
    (0x79, 7),        // 120
    (0x7a, 7),        // 121
    (0x7b, 7),        // 122
    (0x7ffe, 15),     // 123
    (0x7fc, 11),      // 124
    (0x3ffd, 14),     // 125
    (0x1ffd, 13),     // 126
    (0xffffffc, 28),  // 127
    (0xfffe6, 20),    // 128
    (0x3fffd2, 22),   // 129
    (0xfffe7, 20),    // 130
    (0xfffe8, 20),    // 131
    (0x3fffd3, 22),   // 132
    (0x3fffd4, 22),   // 133
    (0x3fffd5, 22),   // 134
    (0x7fffd9, 23),   // 135
    (0x3fffd6, 22),   // 136
    (0x7fffda, 23),   // 137
    (0x7fffdb, 23),   // 138
    (0x7fffdc, 23),   // 139
    (0x7fffdd, 23),   // 140
    (0x7fffde, 23),   // 141
    (0xffffeb, 24),   // 142
    (0x7fffdf, 23),   // 143
    (0xffffec, 24),   // 144
    (0xffffed, 24),   // 145
    (0x3fffd7, 22),   // 146
    (0x7fffe0, 23),   // 147
    (0xffffee, 24),   // 148
    (0x7fffe1, 23),   // 149
    (0x7fffe2, 23),   // 150
    (0x7fffe3, 23),   // 151
    (0x7fffe4, 23),   // 152
    (0x1fffdc, 21),   // 153
    (0x3fffd8, 22),   // 154
    (0x7fffe5, 23),   // 155
    (0x3fffd9, 22),   // 156
    (0x7fffe6, 23),   // 157
    (0x7fffe7, 23),   // 158
    (0xffffef, 24),   // 159
    (0x3fffda, 22),   // 160
    (0x1fffdd, 21),   // 161
    (0xfffe9, 20),    // 162
    (0x3fffdb, 22),   // 163
    (0x3fffdc, 22),   // 164
    (0x7fffe8, 23),   // 165
    (0x7fffe9, 23),   // 166
    (0x1fffde, 21),   // 167
    (0x7fffea, 23),   // 168
    (0x3fffdd, 22),   // 169
    (0x3fffde, 22),   // 170
    (0xfffff0, 24),   // 171
    (0x1fffdf, 21),   // 172
    (0x3fffdf, 22),   // 173
    (0x7fffeb, 23),   // 174
    (0x7fffec, 23),   // 175
    (0x1fffe0, 21),   // 176
    (0x1fffe1, 21),   // 177
    (0x3fffe0, 22),   // 178
    (0x1fffe2, 21),   // 179
    (0x7fffed, 23),   // 180
    (0x3fffe1, 22),   // 181
    (0x7fffee, 23),   // 182
    (0x7fffef, 23),   // 183
    (0xfffea, 20),    // 184
    (0x3fffe2, 22),   // 185
    (0x3fffe3, 22),   // 186
    (0x3fffe4, 22),   // 187
    (0x7ffff0, 23),   // 188
    (0x3fffe5, 22),   // 189
    (0x3fffe6, 22),   // 190
    (0x7ffff1, 23),   // 191
    (0x3ffffe0, 26),  // 192
    (0x3ffffe1, 26),  // 193
    (0xfffeb, 20),    // 194
    (0x7fff1, 19),    // 195
    (0x3fffe7, 22),   // 196
    (0x7ffff2, 23),   // 197
    (0x3fffe8, 22),   // 198
    (0x1ffffec, 25),  // 199
    (0x3ffffe2, 26),  // 200
    (0x3ffffe3, 26),  // 201
    (0x3ffffe4, 26),  // 202
    (0x7ffffde, 27),  // 203
    (0x7ffffdf, 27),  // 204
    (0x3ffffe5, 26),  // 205
    (0xfffff1, 24),   // 206
    (0x1ffffed, 25),  // 207
    (0x7fff2, 19),    // 208
    (0x1fffe3, 21),   // 209
    (0x3ffffe6, 26),  // 210
    (0x7ffffe0, 27),  // 211
    (0x7ffffe1, 27),  // 212
    (0x3ffffe7, 26),  // 213
    (0x7ffffe2, 27),  // 214
    (0xfffff2, 24),   // 215
    (0x1fffe4, 21),   // 216
    (0x1fffe5, 21),   // 217
    (0x3ffffe8, 26),  // 218
    (0x3ffffe9, 26),  // 219
    (0xffffffd, 28),  // 220
    (0x7ffffe3, 27),  // 221
    (0x7ffffe4, 27),  // 222
    (0x7ffffe5, 27),  // 223
    (0xfffec, 20),    // 224
    (0xfffff3, 24),   // 225
    (0xfffed, 20),    // 226
    (0x1fffe6, 21),   // 227
    (0x3fffe9, 22),   // 228
    (0x1fffe7, 21),   // 229
    (0x1fffe8, 21),   // 230
    (0x7ffff3, 23),   // 231
    (0x3fffea, 22),   // 232
    (0x3fffeb, 22),   // 233
    (0x1ffffee, 25),  // 234
    (0x1ffffef, 25),  // 235
    (0xfffff4, 24),   // 236
    (0xfffff5, 24),   // 237
    (0x3ffffea, 26),  // 238
    (0x7ffff4, 23),   // 239
    (0x3ffffeb, 26),  // 240
    (0x7ffffe6, 27),  // 241
    (0x3ffffec, 26),  // 242
    (0x3ffffed, 26),  // 243
    (0x7ffffe7, 27),  // 244
    (0x7ffffe8, 27),  // 245
    (0x7ffffe9, 27),  // 246
    (0x7ffffea, 27),  // 247
    (0x7ffffeb, 27),  // 248
    (0xffffffe, 28),  // 249
    (0x7ffffec, 27),  // 250
    (0x7ffffed, 27),  // 251
    (0x7ffffee, 27),  // 252
    (0x7ffffef, 27),  // 253
    (0x7fffff0, 27),  // 254
    (0x3ffffee, 26),  // 255
    (0x3fffffff, 30), // 256
];

/// Transition flag: the nibble completed a symbol, held in `symbol`.
pub(crate) const EMIT: u8 = 1;
/// Transition flag: the bits since the last symbol are all 1s and at most 7
/// of them, so the string may legally end here (RFC 7541 §5.2 padding).
pub(crate) const ACCEPT: u8 = 2;
/// Transition flag: the nibble completed the EOS symbol.
pub(crate) const FAIL: u8 = 4;

/// One step of the decoding automaton: from a state (a node of the code
/// tree), read 4 bits, end in `next`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Transition {
    pub(crate) next: u8,
    pub(crate) flags: u8,
    pub(crate) symbol: u8,
}

/// `DECODE[state][nibble]`. State 0 is the root of the code tree; the 257
/// leaves of a complete binary tree need exactly 256 inner nodes, so every
/// state fits in a `u8`. The shortest code is 5 bits long, so one nibble
/// completes at most one symbol.
pub(crate) static DECODE: [[Transition; 16]; 256] = build_decode_table();

/// Marks a child slot of the code tree that holds a symbol, not a node.
const LEAF: u16 = 0x8000;

/// The inner nodes of the code tree: `children[node][bit]` is another
/// node's number, or `LEAF | symbol`. `accepting[node]` says the path from
/// the root to `node` is valid padding.
struct CodeTree {
    children: [[u16; 2]; 256],
    accepting: [bool; 256],
}

const fn build_tree() -> CodeTree {
    let mut children = [[0u16; 2]; 256];
    let mut depth = [0u8; 256];
    let mut all_ones = [false; 256];
    all_ones[0] = true;
    let mut nodes = 1;
    let mut symbol = 0;
    while symbol < ENCODE.len() {
        let (code, len) = ENCODE[symbol];
        let mut node = 0;
        let mut bit_number = len;
        while bit_number > 1 {
            bit_number -= 1;
            let bit = ((code >> bit_number) & 1) as usize;
            let child = children[node][bit];
            if child == 0 {
                assert!(nodes < 256, "code tree has more than 256 inner nodes");
                children[node][bit] = nodes as u16;
                depth[nodes] = depth[node] + 1;
                all_ones[nodes] = all_ones[node] && bit == 1;
                node = nodes;
                nodes += 1;
            } else {
                assert!(child & LEAF == 0, "a code is a prefix of another");
                node = child as usize;
            }
        }
        let bit = (code & 1) as usize;
        assert!(children[node][bit] == 0, "a code is a prefix of another");
        children[node][bit] = LEAF | symbol as u16;
        symbol += 1;
    }
    assert!(nodes == 256, "code is not a complete prefix code");
    let mut accepting = [false; 256];
    let mut node = 0;
    while node < 256 {
        accepting[node] = all_ones[node] && depth[node] <= 7;
        node += 1;
    }
    CodeTree {
        children,
        accepting,
    }
}

const fn build_decode_table() -> [[Transition; 16]; 256] {
    let tree = build_tree();
    let empty = Transition {
        next: 0,
        flags: 0,
        symbol: 0,
    };
    let mut table = [[empty; 16]; 256];
    let mut state = 0;
    while state < 256 {
        let mut nibble = 0;
        while nibble < 16 {
            let mut node = state;
            let mut flags = 0;
            let mut symbol = 0;
            let mut bit_number = 4;
            while bit_number > 0 {
                bit_number -= 1;
                let child = tree.children[node][(nibble >> bit_number) & 1];
                if child & LEAF == 0 {
                    node = child as usize;
                    continue;
                }
                if child & !LEAF == EOS {
                    flags = FAIL;
                    break;
                }
                assert!(flags & EMIT == 0, "two symbols in one nibble");
                flags |= EMIT;
                symbol = (child & !LEAF) as u8;
                node = 0;
            }
            if flags & FAIL == 0 && tree.accepting[node] {
                flags |= ACCEPT;
            }
            table[state][nibble] = Transition {
                next: node as u8,
                flags,
                symbol,
            };
            nibble += 1;
        }
        state += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc7541_text() -> String {
        let candidates = [
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../shared/reference/rfc/rfc7541.txt"
            ),
            "/work/shared/reference/rfc/rfc7541.txt",
        ];
        candidates
            .iter()
            .find_map(|path| std::fs::read_to_string(path).ok())
            .expect("RFC 7541 text not found in the shared reference tree")
    }

    #[test]
    fn encode_table_matches_the_rfc_text() {
        let rows: Vec<(u32, u8)> = rfc7541_text()
            .lines()
            .filter(|line| line.trim_end().ends_with(']') && line.contains('|'))
            .map(|line| {
                let (before, len) = line
                    .trim_end()
                    .trim_end_matches(']')
                    .rsplit_once('[')
                    .unwrap();
                let hex = before.split_whitespace().last().unwrap();
                (
                    u32::from_str_radix(hex, 16).unwrap(),
                    len.trim().parse().unwrap(),
                )
            })
            .collect();
        assert_eq!(rows.len(), 257);
        assert_eq!(rows.as_slice(), ENCODE.as_slice());
    }

    #[test]
    fn code_is_canonical_and_complete() {
        // Kraft sum of exactly 1: no code space is wasted or overused.
        let kraft: u64 = ENCODE.iter().map(|&(_, len)| 1u64 << (30 - len)).sum();
        assert_eq!(kraft, 1 << 30);
        assert_eq!(ENCODE[usize::from(EOS)], (0x3fff_ffff, 30));
    }
}
