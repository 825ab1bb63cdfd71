//! The Lua scripts for the Redis writes that depend on what is already there.
//!
//! Each runs atomically, however many instances race; `KEYS[1]` is the one
//! key it works on.

use redis::Script;
use std::sync::LazyLock;

/// Replaces a session: no connection of an older session with the same id
/// may survive. ARGV: meta, expiry (Unix ms).
pub(super) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'exp', ARGV[2])
        redis.call('PEXPIREAT', KEYS[1], ARGV[2])
        return 1
        ",
    )
});

/// Moves the expiry of a session that still exists; a plain `HSET` would
/// bring a logged-out session back as a hash without `meta`.
pub(super) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        redis.call('HSET', KEYS[1], 'exp', ARGV[1])
        redis.call('PEXPIREAT', KEYS[1], ARGV[1])
        return 1
        ",
    )
});

/// Writes the given fields of one connection, only while the session exists
/// (a late write after logout must not recreate it). A field not given is
/// left as it is, or created empty so the pair is always complete.
/// ARGV: provider, has grant (`1`/`0`), grant, has state, state.
pub(super) static PUT_CONNECTION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local grant, state = 'g:' .. ARGV[1], 's:' .. ARGV[1]
        if ARGV[2] == '1' then
            redis.call('HSET', KEYS[1], grant, ARGV[3])
        else
            redis.call('HSETNX', KEYS[1], grant, '')
        end
        if ARGV[4] == '1' then
            redis.call('HSET', KEYS[1], state, ARGV[5])
        else
            redis.call('HSETNX', KEYS[1], state, '')
        end
        return 1
        ",
    )
});

/// Takes the lock when it is free (or expired: Redis dropped it), or renews
/// it when `owner` already holds it. ARGV: owner, lifetime (ms, by Redis's
/// clock).
pub(super) static LOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
            return 1
        end
        return 0
        ",
    )
});

/// Replaces a connection's grant only while it still is the one read before
/// (a compare-and-set on the sealed value). ARGV: provider, expected, grant.
pub(super) static PUT_GRANT_IF: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('HGET', KEYS[1], 'g:' .. ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], 'g:' .. ARGV[1], ARGV[3])
        return 1
        ",
    )
});

/// Deletes the lock only if `owner` still holds it: after our lock expired
/// and another instance took it, our late unlock must not free theirs.
pub(super) static UNLOCK: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        if redis.call('GET', KEYS[1]) == ARGV[1] then
            return redis.call('DEL', KEYS[1])
        end
        return 0
        ",
    )
});

/// Counts one more under a key whose lifetime starts at its first count
/// (by Redis's clock). ARGV: window (ms).
pub(super) static INCR: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
        local count = redis.call('INCR', KEYS[1])
        if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
        return count
        ",
    )
});
