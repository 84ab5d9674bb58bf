//! Where a byte offset in the config text is, in the operator's terms: a
//! 1-based line and column, and the dotted key path of the entry there
//! (`listen[1].backlog`, `log.level`, `listen[0].tls.key`).
//!
//! The TOML parser reports a span but not the key, so errors from it are
//! located here. This is a tolerant scanner over TOML's surface syntax
//! (table headers, `[[array]]` headers with a running index, dotted keys,
//! strings, inline tables and arrays), not a parser: it checks nothing, and
//! on text it cannot follow it answers with the best path it has so far.
//! Semantic errors do not come through here; they know their key already.

use std::collections::HashMap;

/// The 1-based line and column (counted in characters) of `offset`.
/// An offset past the end, or inside a character, is moved back to the
/// nearest character boundary.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = text.get(..offset).unwrap_or("");
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before.get(line_start..).unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The dotted key path of the entry that `offset` falls in: the key of a
/// `key = value` line (its key or its value), a member of an inline table,
/// an element of an array (`[i]`), or the table whose header or body it
/// is in. Empty at top level outside any entry.
pub(crate) fn key_path(text: &str, offset: usize) -> String {
    let mut scanner = Scanner {
        bytes: text.as_bytes(),
        text,
        pos: 0,
        target: offset,
        arrays: HashMap::new(),
    };
    scanner.document()
}

struct Scanner<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    target: usize,
    /// Index of the last `[[name]]` table seen, by resolved name.
    arrays: HashMap<String, usize>,
}

impl Scanner<'_> {
    fn document(&mut self) -> String {
        let mut table = String::new();
        loop {
            self.skip_trivia(true);
            if self.pos > self.target || self.at_end() {
                return table;
            }
            if self.peek() == Some(b'[') {
                let start = self.pos;
                let header = self.header();
                self.skip_line();
                if self.target >= start && self.target < self.pos {
                    return header;
                }
                table = header;
                continue;
            }
            let keys = self.dotted_key();
            let path = join(&table, &keys);
            self.skip_space();
            if self.peek() != Some(b'=') {
                self.skip_line();
                if self.target < self.pos {
                    return path;
                }
                continue;
            }
            self.pos += 1;
            if self.target < self.pos {
                return path;
            }
            self.skip_space();
            if let Some(found) = self.value(&path) {
                return found;
            }
            self.skip_line();
            if self.target < self.pos {
                return path;
            }
        }
    }

    /// A `[a.b]` or `[[a.b]]` header, resolved to a path such as
    /// `listen[2]` or `listen[0].tls`.
    fn header(&mut self) -> String {
        self.pos += 1;
        let array = self.peek() == Some(b'[');
        if array {
            self.pos += 1;
        }
        let keys = self.dotted_key();
        let mut resolved = String::new();
        for (i, key) in keys.iter().enumerate() {
            if !resolved.is_empty() {
                resolved.push('.');
            }
            resolved.push_str(key);
            let index = if array && i + 1 == keys.len() {
                let next = self.arrays.get(&resolved).map_or(0, |n| n + 1);
                self.arrays.insert(resolved.clone(), next);
                Some(next)
            } else {
                self.arrays.get(&resolved).copied()
            };
            if let Some(index) = index {
                resolved.push_str(&format!("[{index}]"));
            }
        }
        resolved
    }

    /// Scans one value. Returns the path of the innermost entry holding
    /// the target if the target lies inside this value.
    fn value(&mut self, path: &str) -> Option<String> {
        let start = self.pos;
        match self.peek() {
            Some(b'"') | Some(b'\'') => self.string(),
            Some(b'{') => {
                if let Some(found) = self.inline_table(path) {
                    return Some(found);
                }
            }
            Some(b'[') => {
                if let Some(found) = self.array(path) {
                    return Some(found);
                }
            }
            _ => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b']' | b'}' | b'\n' | b'#' | b' ' | b'\t' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
            }
        }
        let inside = self.target >= start && (self.target < self.pos || self.at_end());
        inside.then(|| path.to_string())
    }

    fn inline_table(&mut self, path: &str) -> Option<String> {
        self.pos += 1;
        loop {
            self.skip_trivia(true);
            match self.peek() {
                None => return None,
                Some(b'}') => {
                    self.pos += 1;
                    return None;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            let key_start = self.pos;
            let keys = self.dotted_key();
            if keys.is_empty() {
                return None;
            }
            let member = join(path, &keys);
            self.skip_space();
            if self.peek() == Some(b'=') {
                self.pos += 1;
            }
            if self.target >= key_start && self.target < self.pos {
                return Some(member);
            }
            self.skip_space();
            let before = self.pos;
            if let Some(found) = self.value(&member) {
                return Some(found);
            }
            if self.pos == before {
                return None;
            }
        }
    }

    fn array(&mut self, path: &str) -> Option<String> {
        self.pos += 1;
        let mut index = 0usize;
        loop {
            self.skip_trivia(true);
            match self.peek() {
                None => return None,
                Some(b']') => {
                    self.pos += 1;
                    return None;
                }
                Some(b',') => {
                    self.pos += 1;
                    index += 1;
                    continue;
                }
                _ => {}
            }
            let before = self.pos;
            if let Some(found) = self.value(&format!("{path}[{index}]")) {
                return Some(found);
            }
            if self.pos == before {
                return None;
            }
        }
    }

    /// Skips a basic, literal or multi-line string, stopping at the end of
    /// the text if it is unterminated.
    fn string(&mut self) {
        let Some(quote) = self.peek() else { return };
        let triple = [quote; 3];
        if self.bytes.get(self.pos..self.pos + 3) == Some(&triple[..]) {
            self.pos += 3;
            while !self.at_end() {
                if quote == b'"' && self.peek() == Some(b'\\') {
                    self.pos += 2;
                } else if self.bytes.get(self.pos..self.pos + 3) == Some(&triple[..]) {
                    self.pos += 3;
                    // Up to two more quotes may close the string (`""""`).
                    while self.peek() == Some(quote) {
                        self.pos += 1;
                    }
                    return;
                } else {
                    self.pos += 1;
                }
            }
            self.pos = self.pos.min(self.bytes.len());
            return;
        }
        self.pos += 1;
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == b'\\' && quote == b'"' {
                if self.peek().is_some_and(|b| b != b'\n') {
                    self.pos += 1;
                }
            } else if b == quote {
                return;
            } else if b == b'\n' {
                self.pos -= 1;
                return;
            }
        }
    }

    /// `a.b."c d"` as its parts; quoted parts keep their quotes when they
    /// would not read as a bare key.
    fn dotted_key(&mut self) -> Vec<String> {
        let mut keys = Vec::new();
        loop {
            self.skip_space();
            let start = self.pos;
            let key = match self.peek() {
                Some(b'"') | Some(b'\'') => {
                    self.string();
                    let raw = self.text.get(start..self.pos).unwrap_or("");
                    let inner = raw.get(1..raw.len().saturating_sub(1)).unwrap_or("");
                    if !inner.is_empty() && inner.bytes().all(is_bare) {
                        inner.to_string()
                    } else {
                        raw.to_string()
                    }
                }
                _ => {
                    while self.peek().is_some_and(is_bare) {
                        self.pos += 1;
                    }
                    self.text.get(start..self.pos).unwrap_or("").to_string()
                }
            };
            if key.is_empty() {
                return keys;
            }
            keys.push(key);
            self.skip_space();
            if self.peek() != Some(b'.') {
                return keys;
            }
            self.pos += 1;
        }
    }

    /// Skips spaces and tabs, and with `newlines` also line ends and
    /// comments.
    fn skip_trivia(&mut self, newlines: bool) {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\r' | b'\n' if newlines => self.pos += 1,
                b'#' if newlines => self.skip_comment(),
                _ => return,
            }
        }
    }

    fn skip_space(&mut self) {
        self.skip_trivia(false);
    }

    fn skip_comment(&mut self) {
        while self.peek().is_some_and(|b| b != b'\n') {
            self.pos += 1;
        }
    }

    /// Skips to just past the end of the current line.
    fn skip_line(&mut self) {
        self.skip_comment();
        if !self.at_end() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.bytes.len()
    }
}

fn is_bare(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn join(prefix: &str, keys: &[String]) -> String {
    let mut path = prefix.to_string();
    for key in keys {
        if !path.is_empty() {
            path.push('.');
        }
        path.push_str(key);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::{key_path, line_column};

    /// The key path at the first occurrence of `needle` in `text`.
    fn path_at(text: &str, needle: &str) -> String {
        let offset = text.find(needle).expect("needle is in the text");
        key_path(text, offset)
    }

    #[test]
    fn first_byte_is_line_one_column_one() {
        assert_eq!(line_column("workers = 2\n", 0), (1, 1));
    }

    #[test]
    fn column_counts_from_the_last_newline() {
        let text = "a = 1\nbcd = 2\n";
        assert_eq!(line_column(text, text.find("2").unwrap()), (2, 7));
    }

    #[test]
    fn column_counts_characters_not_bytes() {
        let text = "name = \"héllo\" x\n";
        assert_eq!(line_column(text, text.find('x').unwrap()), (1, 16));
    }

    #[test]
    fn offset_past_the_end_clamps_to_the_end() {
        assert_eq!(line_column("a = 1\n", 999), (2, 1));
    }

    #[test]
    fn offset_inside_a_character_moves_back_to_its_start() {
        let text = "é";
        assert_eq!(line_column(text, 1), (1, 1));
    }

    #[test]
    fn top_level_key_is_found_at_its_name_and_its_value() {
        let text = "workers = 4\ntimeout = 30\n";
        assert_eq!(path_at(text, "workers"), "workers");
        assert_eq!(path_at(text, "4"), "workers");
        assert_eq!(path_at(text, "30"), "timeout");
    }

    #[test]
    fn key_in_a_table_is_prefixed_by_the_table() {
        let text = "workers = 2\n[log]\nlevel = \"info\"\n";
        assert_eq!(path_at(text, "level"), "log.level");
        assert_eq!(path_at(text, "\"info\""), "log.level");
    }

    #[test]
    fn table_header_names_the_table() {
        let text = "[log]\nlevel = \"info\"\n";
        assert_eq!(key_path(text, 0), "log");
    }

    #[test]
    fn array_of_tables_counts_from_zero() {
        let text = "[[listen]]\naddress = \"a\"\n[[listen]]\naddress = \"b\"\nbacklog = 0\n";
        assert_eq!(path_at(text, "\"a\""), "listen[0].address");
        assert_eq!(path_at(text, "\"b\""), "listen[1].address");
        assert_eq!(path_at(text, "0\n"), "listen[1].backlog");
        assert_eq!(path_at(text, "[[listen]]\naddress = \"b\""), "listen[1]");
    }

    #[test]
    fn header_after_an_array_of_tables_leaves_the_array() {
        let text = "[[listen]]\naddress = \"a\"\n[log]\nlevel = 1\n";
        assert_eq!(path_at(text, "1\n"), "log.level");
    }

    #[test]
    fn subtable_of_an_array_element_names_the_element() {
        let text = "[[listen]]\n[[listen]]\n[listen.tls]\ncert = \"c\"\n";
        assert_eq!(path_at(text, "cert"), "listen[1].tls.cert");
    }

    #[test]
    fn inline_table_members_are_found() {
        let text = "[[listen]]\ntls = { cert = \"c.pem\", kye = \"k.pem\" }\n";
        assert_eq!(path_at(text, "cert"), "listen[0].tls.cert");
        assert_eq!(path_at(text, "\"c.pem\""), "listen[0].tls.cert");
        assert_eq!(path_at(text, "kye"), "listen[0].tls.kye");
        assert_eq!(path_at(text, "\"k.pem\""), "listen[0].tls.kye");
    }

    #[test]
    fn inline_table_brace_names_the_table_itself() {
        let text = "[[listen]]\ntls = { cert = \"c\" }\n";
        assert_eq!(path_at(text, "{"), "listen[0].tls");
    }

    #[test]
    fn nested_inline_tables_are_followed() {
        let text = "a = { b = { c = 1 } }\n";
        assert_eq!(path_at(text, "1"), "a.b.c");
    }

    #[test]
    fn array_elements_carry_their_index() {
        let text = "listen = [{ address = \"a\" }, { bcklog = 1 }]\n";
        assert_eq!(path_at(text, "\"a\""), "listen[0].address");
        assert_eq!(path_at(text, "bcklog"), "listen[1].bcklog");
        let plain = "x = [1, 22]\n";
        assert_eq!(path_at(plain, "22"), "x[1]");
    }

    #[test]
    fn multi_line_array_keeps_its_key_on_later_lines() {
        let text = "x = [\n  1,\n  \"two\",\n]\ny = 3\n";
        assert_eq!(path_at(text, "\"two\""), "x[1]");
        assert_eq!(path_at(text, "3"), "y");
    }

    #[test]
    fn dotted_keys_are_joined() {
        let text = "[[listen]]\ntls.cert = \"c\"\n";
        assert_eq!(path_at(text, "\"c\""), "listen[0].tls.cert");
    }

    #[test]
    fn quoted_keys_lose_quotes_only_when_bare_would_do() {
        let text = "\"workers\" = 1\n\"a b\" = 2\n";
        assert_eq!(path_at(text, "1"), "workers");
        assert_eq!(path_at(text, "2"), "\"a b\"");
    }

    #[test]
    fn header_inside_a_multi_line_string_is_not_a_header() {
        let text = "motd = \"\"\"\n[log]\n\"\"\"\nworkers = 1\n";
        assert_eq!(path_at(text, "log"), "motd");
        assert_eq!(path_at(text, "1"), "workers");
    }

    #[test]
    fn header_inside_a_multi_line_literal_string_is_not_a_header() {
        let text = "motd = '''\n[[listen]]\n'''\n[[listen]]\nbacklog = 1\n";
        assert_eq!(path_at(text, "1\n"), "listen[0].backlog");
    }

    #[test]
    fn escaped_quote_does_not_end_a_string() {
        let text = "a = \"x\\\" # y\"\nb = 1\n";
        assert_eq!(path_at(text, "y"), "a");
        assert_eq!(path_at(text, "1"), "b");
    }

    #[test]
    fn comments_are_not_keys() {
        let text = "# workers = 9\n[log] # [[listen]]\nlevel = 1 # trailing\n";
        assert_eq!(path_at(text, "level"), "log.level");
        assert_eq!(path_at(text, "trailing"), "log.level");
    }

    #[test]
    fn blank_space_between_entries_names_the_enclosing_table() {
        let text = "[log]\nlevel = 1\n\n\nfile = \"x\"\n";
        assert_eq!(key_path(text, text.find("\n\n").unwrap() + 1), "log");
        assert_eq!(key_path("\n\nworkers = 1\n", 0), "");
    }

    #[test]
    fn unclosed_array_at_end_of_text_names_its_key() {
        let text = "x = [\n";
        assert_eq!(key_path(text, 5), "x");
    }

    #[test]
    fn line_without_equals_names_what_was_read() {
        let text = "[log]\nlevel 3\n";
        assert_eq!(path_at(text, "3"), "log.level");
    }

    #[test]
    fn key_without_value_names_the_key() {
        let text = "workers =\n";
        assert_eq!(key_path(text, text.len() - 1), "workers");
    }

    #[test]
    fn offset_past_the_end_names_the_last_table() {
        let text = "[[listen]]\naddress = \"a\"\n";
        assert_eq!(key_path(text, 999), "listen[0]");
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "[", "[[", "\"", "'''", "a = {", "a = [", "= 1", "a.", "\\", "é = é",
        ] {
            for offset in 0..=text.len() + 1 {
                let _ = key_path(text, offset);
                let _ = line_column(text, offset);
            }
        }
    }
}
