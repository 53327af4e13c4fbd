//! What makes two spellings of an address one address for a list: the key duplicates
//! collapse on, `batch --resume` skips by and `annotate` joins results by.

/// The case-folded key of an address: without surrounding white space, lowercased
/// (Unicode-aware, so `ÄNN@X.TEST` and `änn@x.test` are one key).
///
/// Lists, `batch --resume` (the addresses an earlier run wrote) and `annotate` (the results
/// joined back onto a list) all compare addresses through this one function, so an address
/// counts as a duplicate, as already checked, or as having a result by the same rule.
pub fn address_key(address: &str) -> String {
    address.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_surrounding_space() {
        assert_eq!(address_key("Alice@Lab.Test"), "alice@lab.test");
        assert_eq!(address_key("  bob@x.test\t\r\n"), "bob@x.test");
        assert_eq!(address_key("ÄNN@BÜCHER.TEST"), "änn@bücher.test");
        assert_eq!(address_key(""), "");
        assert_eq!(address_key("   "), "");
        assert_eq!(address_key("a b@x.test"), "a b@x.test", "inner space stays");
        assert_eq!(address_key("x@y.test"), address_key(" X@Y.TEST "));
    }
}
