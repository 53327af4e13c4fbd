//! `batch --shard K/N`: split a list across N machines by domain, so that no two of them talk
//! to one domain's servers. An address belongs to shard `fnv1a64(domain) % N`, where domain is
//! the part after the last `@`, lowercased and in A-label form when it is a valid IDN
//! (`bücher.test` and `xn--bcher-kva.test` are one domain). FNV-1a (64-bit, offset basis
//! 0xcbf29ce484222325, prime 0x100000001b3) is fixed here and never changes, so the same list
//! splits the same way on every machine and in every version. K counts from 0, as Kubernetes'
//! `JOB_COMPLETION_INDEX` does.

/// One shard of N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// Which one, from 0.
    pub index: u64,
    /// How many.
    pub count: u64,
}

impl Shard {
    /// Whether `address` is this shard's.
    pub fn takes(&self, address: &str) -> bool {
        shard_of(address, self.count) == self.index
    }
}

/// The shard (0 to `count - 1`) of an address, by its domain.
pub fn shard_of(address: &str, count: u64) -> u64 {
    fnv1a64(domain_key(address).as_bytes()) % count.max(1)
}

/// The domain an address is sharded by.
fn domain_key(address: &str) -> String {
    let domain = address
        .trim()
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or_default()
        .trim_end_matches('>')
        .trim_end_matches('.');
    let lower = domain.to_lowercase();
    match idna::domain_to_ascii(&lower) {
        Ok(ascii) if !ascii.is_empty() => ascii,
        _ => lower,
    }
}

/// FNV-1a, 64-bit.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Parses `K/N` with 0 <= K < N.
pub fn parse_shard(text: &str) -> Result<Shard, String> {
    let (index, count) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?}: a shard is K/N, e.g. 0/4 (K from 0 to N-1)"))?;
    let number = |s: &str, what: &str| {
        s.trim()
            .parse::<u64>()
            .map_err(|_| format!("{text:?}: {what} {s:?} is not a whole number"))
    };
    let (index, count) = (number(index, "K")?, number(count, "N")?);
    if count == 0 || index >= count {
        return Err(format!(
            "{text:?}: K must be 0 to N-1 and N at least 1 (as JOB_COMPLETION_INDEX counts)"
        ));
    }
    Ok(Shard { index, count })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_its_published_test_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x85944171f73967e8);
    }

    #[test]
    fn every_address_is_in_exactly_one_shard_and_a_domain_in_one() {
        let shards: Vec<Shard> = (0..4).map(|index| Shard { index, count: 4 }).collect();
        for address in [
            "a@x.test",
            "B@X.TEST.",
            "c@bücher.test",
            "d@xn--bcher-kva.test",
            "junk",
            "",
        ] {
            let takers = shards.iter().filter(|s| s.takes(address)).count();
            assert_eq!(takers, 1, "{address}");
        }
        assert_eq!(shard_of("a@x.test", 4), shard_of("B@X.TEST.", 4));
        assert_eq!(
            shard_of("c@bücher.test", 7),
            shard_of("d@xn--bcher-kva.test", 7)
        );
    }

    #[test]
    fn shards_parse_from_k_over_n() {
        assert_eq!(parse_shard("0/4"), Ok(Shard { index: 0, count: 4 }));
        assert_eq!(parse_shard("3/4"), Ok(Shard { index: 3, count: 4 }));
        for bad in ["4/4", "1/0", "x/4", "2", "-1/4"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }
}
