//! The allocator, for a long-running app that loads large IRs: parsing,
//! checking and laying out a 2,000-function IR allocates tens of megabytes
//! on several threads, and glibc keeps what they free in per-thread arenas
//! (one per thread by default, up to 8 per core), so the studio would stay
//! that large after every load. Elsewhere these do nothing.

/// Caps glibc's malloc arenas at two. Call first thing in `main`, before
/// threads start allocating.
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` sets an allocator parameter; called before other
    // threads exist, it races with nothing.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Hands the memory freed so far back to the system (after a load).
pub fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free pages to the kernel; it is
    // thread-safe and touches no memory in use.
    unsafe {
        libc::malloc_trim(0);
    }
}
