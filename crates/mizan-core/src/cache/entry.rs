//! The stored form of a cache entry: a short header naming the generations
//! its lookup saw and the context fingerprint it was built with, then the
//! response body.
//!
//! ```text
//! mizan1 <fingerprint> <context generation> <instance generation>\n<body>
//! ```
//!
//! An entry is served only when its header matches the current generations
//! and the serving process's fingerprint ([`decode_fresh`]); anything else —
//! an older generation, another deploy's schema, bytes that are not an entry
//! — is a miss, never an error and never served.

use serde::Serialize;

const MAGIC: &str = "mizan1";

/// The Redis script of [`CacheBackend::write`](super::CacheBackend::write): stores `ARGV[3]` under
/// `KEYS[1]` for `ARGV[4]` ms when the context generation `KEYS[2]` is
/// `ARGV[1]` and the instance generation `KEYS[3]` is `ARGV[2]` (absent =
/// 0). Public so every process sharing a Redis (the Python adapters too)
/// writes entries the same way.
pub const REDIS_WRITE_SCRIPT: &str = r"
local c = redis.call('GET', KEYS[2]) or '0'
local i = redis.call('GET', KEYS[3]) or '0'
if c ~= ARGV[1] or i ~= ARGV[2] then return 0 end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
return 1
";

/// A context generation and an instance generation (0 when never bumped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Generation {
    /// Bumped by every broad purge of the context.
    pub context: u64,
    /// Bumped by every scoped purge of the instance.
    pub instance: u64,
}

/// The header of a stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    /// Fingerprint of the context the entry was built for.
    pub fingerprint: String,
    /// Generations seen by the lookup that led to the entry.
    pub generation: Generation,
}

/// Why a stored entry is not served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Stale {
    /// Not a Mizan entry (no or malformed header).
    Malformed,
    /// Built by a deploy whose context differs (members, revs, shapes).
    Fingerprint {
        /// The entry's fingerprint.
        stored: String,
    },
    /// The context was purged broadly since the entry was stored.
    ContextPurged {
        /// The entry's context generation.
        stored: u64,
        /// The current one.
        current: u64,
    },
    /// This instance was purged since the entry was stored.
    InstancePurged {
        /// The entry's instance generation.
        stored: u64,
        /// The current one.
        current: u64,
    },
}

/// Encodes an entry.
pub fn encode(fingerprint: &str, generation: Generation, body: &[u8]) -> Vec<u8> {
    let header = format!("{MAGIC} {fingerprint} {} {}\n", generation.context, generation.instance);
    let mut out = Vec::with_capacity(header.len() + body.len());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(body);
    out
}

/// Splits a stored entry into its header and body.
pub fn decode(stored: &[u8]) -> Option<(Header, &[u8])> {
    let newline = stored.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(&stored[..newline]).ok()?;
    let mut parts = header.split(' ');
    if parts.next()? != MAGIC {
        return None;
    }
    let fingerprint = parts.next()?.to_owned();
    let context = parts.next()?.parse().ok()?;
    let instance = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    Some((
        Header {
            fingerprint,
            generation: Generation { context, instance },
        },
        &stored[newline + 1..],
    ))
}

/// The body of `stored` if it may be served now: built for `fingerprint`
/// with exactly the `current` generations.
pub fn decode_fresh<'a>(stored: &'a [u8], fingerprint: &str, current: Generation) -> Result<&'a [u8], Stale> {
    let (header, body) = decode(stored).ok_or(Stale::Malformed)?;
    if header.fingerprint != fingerprint {
        return Err(Stale::Fingerprint {
            stored: header.fingerprint,
        });
    }
    if header.generation.context != current.context {
        return Err(Stale::ContextPurged {
            stored: header.generation.context,
            current: current.context,
        });
    }
    if header.generation.instance != current.instance {
        return Err(Stale::InstancePurged {
            stored: header.generation.instance,
            current: current.instance,
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_what_is_not_fresh() {
        let g = Generation {
            context: 3,
            instance: 9,
        };
        let stored = encode("abcd", g, b"{\"a\":1}\nmore");
        assert_eq!(decode_fresh(&stored, "abcd", g), Ok(&b"{\"a\":1}\nmore"[..]));
        assert_eq!(
            decode_fresh(&stored, "ffff", g),
            Err(Stale::Fingerprint { stored: "abcd".into() })
        );
        assert_eq!(
            decode_fresh(
                &stored,
                "abcd",
                Generation {
                    context: 4,
                    instance: 9
                }
            ),
            Err(Stale::ContextPurged { stored: 3, current: 4 })
        );
        assert_eq!(
            decode_fresh(
                &stored,
                "abcd",
                Generation {
                    context: 3,
                    instance: 10
                }
            ),
            Err(Stale::InstancePurged { stored: 9, current: 10 })
        );
        for junk in [
            &b""[..],
            b"v1",
            b"mizan1 x 1\n{}",
            b"mizan1 x 1 2 3\n",
            b"mizan2 x 1 2\n",
            b"mizan1 x a 2\n",
        ] {
            assert_eq!(decode_fresh(junk, "x", Generation::default()), Err(Stale::Malformed));
        }
    }
}
