//! `Content-Type` of a file, from its name's extension (the `mime_guess`
//! table, which follows the IANA and Apache registrations), with
//! `; charset=utf-8` for text: `text/*`, JavaScript and JSON (`*/json`,
//! `*+json`). Unknown extensions are `application/octet-stream`.
//! JavaScript is `text/javascript` whatever the table says (RFC 9239).
//!
//! A precompressed sibling is typed by the original's name, so the
//! caller passes that name. Values with a charset are made once per
//! type and then shared, so a request does not allocate for its type.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use crate::app::FieldValue;

/// The type of anything without a known extension.
const OCTETS: &str = "application/octet-stream";

/// Extensions remembered at most; past it the memo starts again (a
/// document root has far fewer).
const MEMO_MAX: usize = 256;

/// The media types one worker has answered with, memoised.
#[derive(Debug, Default)]
pub(super) struct MediaTypes {
    with_charset: HashMap<&'static str, Arc<str>>,
    /// The value for each extension seen (as named, case kept): a
    /// request costs one small hash lookup, not a search of the table,
    /// which was a tenth of a worker's CPU serving a small file.
    by_extension: HashMap<Vec<u8>, FieldValue>,
}

impl MediaTypes {
    /// The `Content-Type` value for a file named `name`.
    pub(super) fn of(&mut self, name: &Path) -> FieldValue {
        // The table goes by the extension alone.
        let extension = name
            .extension()
            .map(|e| e.as_encoded_bytes())
            .unwrap_or_default();
        if let Some(value) = self.by_extension.get(extension) {
            return value.clone();
        }
        let value = self.guess(name);
        if self.by_extension.len() >= MEMO_MAX {
            self.by_extension.clear();
        }
        self.by_extension.insert(extension.to_vec(), value.clone());
        value
    }

    fn guess(&mut self, name: &Path) -> FieldValue {
        let essence = match mime_guess::from_path(name).first_raw() {
            Some("application/javascript" | "application/x-javascript") => "text/javascript",
            Some(t) => t,
            None => OCTETS,
        };
        if !is_text(essence) {
            return FieldValue::Static(essence);
        }
        let value = self
            .with_charset
            .entry(essence)
            .or_insert_with(|| Arc::from(format!("{essence}; charset=utf-8")));
        FieldValue::Shared(value.clone())
    }
}

/// Types whose content is text, which browsers decode with the declared
/// charset (and otherwise guess).
fn is_text(essence: &str) -> bool {
    essence.starts_with("text/") || essence.ends_with("/json") || essence.ends_with("+json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn type_of(name: &str) -> String {
        MediaTypes::default()
            .of(Path::new(name))
            .as_str()
            .to_string()
    }

    #[test]
    fn text_types_carry_utf8_and_others_do_not() {
        assert_eq!(type_of("index.html"), "text/html; charset=utf-8");
        assert_eq!(type_of("A.HTML"), "text/html; charset=utf-8");
        assert_eq!(type_of("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(type_of("mod.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(type_of("data.json"), "application/json; charset=utf-8");
        assert_eq!(type_of("style.css"), "text/css; charset=utf-8");
        assert_eq!(type_of("notes.txt"), "text/plain; charset=utf-8");
        assert_eq!(type_of("logo.png"), "image/png");
        assert_eq!(type_of("logo.svg"), "image/svg+xml");
        assert_eq!(type_of("app.wasm"), "application/wasm");
    }

    #[test]
    fn unknown_or_missing_extensions_are_octets() {
        assert_eq!(type_of("README"), OCTETS);
        assert_eq!(type_of("x.no-such-extension"), OCTETS);
    }

    #[test]
    fn remembered_types_are_the_same_as_fresh_ones() {
        let mut types = MediaTypes::default();
        for name in [
            "a.html", "b.HTML", "c.png", "README", ".bashrc", "d.js", "e.html",
        ] {
            for _ in 0..2 {
                assert_eq!(types.of(Path::new(name)).as_str(), type_of(name), "{name}");
            }
        }
    }

    #[test]
    fn a_charset_value_is_made_once_and_shared() {
        let mut types = MediaTypes::default();
        let (FieldValue::Shared(a), FieldValue::Shared(b)) =
            (types.of(Path::new("a.css")), types.of(Path::new("b.css")))
        else {
            panic!("text types are shared values");
        };
        assert!(Arc::ptr_eq(&a, &b));
    }
}
