//! The process's allocator settings.

/// Limit glibc's `malloc` to four arenas per core, unless the user set
/// `MALLOC_ARENA_MAX`.
///
/// glibc gives each thread that allocates concurrently an arena of its own,
/// up to eight per core, and each arena keeps what was freed into it. A sync
/// allocates on the tokio workers, the blocking-pool threads that unzip and
/// the rayon threads that extract and link. Measured on 2 cores
/// (jupyter-pandas): the default (16 arenas) peaks at 62 MB on a cold sync,
/// 8 arenas at 53 MB, 2 arenas at 43 MB with the same CPU time; but with 2
/// arenas the rayon threads that link a warm sync share one arena and wait
/// on its lock (thousands of `futex` calls; 255 against 230 ms wall). Four
/// per core keeps each worker thread on its own arena.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub(crate) fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let arenas = libc::c_int::try_from(cores.saturating_mul(4)).unwrap_or(libc::c_int::MAX);
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
