//! A request as the content layer reads it, whichever protocol carried
//! it: method, target, and a way to look up fields. The connections
//! implement [`Fields`] over their own decoded heads, so looking a field up
//! copies nothing.

/// Looking up request fields by name.
pub trait Fields {
    /// Call `each` with every value of field `name` (give it lowercase),
    /// in the order received. Repeated field lines stay separate values;
    /// a list-valued field (`accept-encoding`, `if-none-match`) may also
    /// carry several members in one value.
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&[u8]));

    /// The first value of `name`.
    fn first_value(&self, name: &str) -> Option<Vec<u8>> {
        let mut found = None;
        self.each_value(name, &mut |v| {
            if found.is_none() {
                found = Some(v.to_vec());
            }
        });
        found
    }

    /// Whether field `name` is present at all.
    fn has(&self, name: &str) -> bool {
        let mut seen = false;
        self.each_value(name, &mut |_| seen = true);
        seen
    }
}

/// No fields (tests, and answers made before fields are known).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFields;

impl Fields for NoFields {
    fn each_value(&self, _: &str, _: &mut dyn FnMut(&[u8])) {}
}

/// Fields as name/value pairs (names lowercase): tests and small callers.
#[derive(Debug, Clone, Copy)]
pub struct FieldPairs<'a>(pub &'a [(&'a str, &'a str)]);

impl Fields for FieldPairs<'_> {
    fn each_value(&self, name: &str, each: &mut dyn FnMut(&[u8])) {
        for (n, v) in self.0 {
            if *n == name {
                each(v.as_bytes());
            }
        }
    }
}

/// One request's head.
#[derive(Clone, Copy)]
pub struct Request<'a> {
    /// The method token (`GET`), case preserved.
    pub method: &'a [u8],
    /// The request target: path and query (`/a/b?x=1`).
    pub target: &'a [u8],
    /// The request's fields.
    pub fields: &'a dyn Fields,
}

impl std::fmt::Debug for Request<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Request")
            .field("method", &String::from_utf8_lossy(self.method))
            .field("target", &String::from_utf8_lossy(self.target))
            .finish_non_exhaustive()
    }
}

impl<'a> Request<'a> {
    /// The path: the target up to `?`.
    pub fn path(&self) -> &'a [u8] {
        match self.target.iter().position(|&b| b == b'?') {
            Some(q) => &self.target[..q],
            None => self.target,
        }
    }

    /// A HEAD request (answered like GET, without the body).
    pub fn is_head(&self) -> bool {
        self.method == b"HEAD"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_by_name_in_order() {
        let f = &FieldPairs(&[("a", "1"), ("b", "2"), ("a", "3")]);
        let mut seen = Vec::new();
        f.each_value("a", &mut |v| seen.push(v.to_vec()));
        assert_eq!(seen, vec![b"1".to_vec(), b"3".to_vec()]);
        assert_eq!(f.first_value("b"), Some(b"2".to_vec()));
        assert!(!f.has("c"));
        let req = Request {
            method: b"GET",
            target: b"/x/y?z=1",
            fields: f,
        };
        assert_eq!(req.path(), b"/x/y");
        assert!(!req.is_head());
    }
}
