//! The process's allocator settings.

/// Limit glibc's `malloc` to one arena per core (at least two), unless the
/// user set `MALLOC_ARENA_MAX`.
///
/// glibc gives each thread that allocates concurrently an arena of its own,
/// up to eight per core, and each arena keeps what was freed into it. A sync
/// allocates on the tokio workers, the blocking-pool threads that unzip and
/// the rayon threads that extract: on the cold jupyter-pandas set this
/// retained about a third of the peak memory (63 MB against 43 MB with two
/// arenas, same CPU time).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let arenas = libc::c_int::try_from(cores.max(2)).unwrap_or(libc::c_int::MAX);
    // SAFETY: `mallopt` changes a setting of the allocator and nothing else;
    // it is called first thing in `main`, before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

/// Other allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn limit_malloc_arenas() {}
