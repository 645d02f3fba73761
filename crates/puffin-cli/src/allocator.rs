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
    let arenas =
        libc::c_int::try_from(usable_cores().saturating_mul(4)).unwrap_or(libc::c_int::MAX);
    // SAFETY: `mallopt` changes a setting of the allocator and nothing else;
    // it is called first thing in `main`, before any other thread exists.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

/// The cores this process may run on (its affinity mask), 2 when unknown.
///
/// One `sched_getaffinity`, where `std::thread::available_parallelism` also
/// reads the cgroup's CPU quota (some twenty system calls at every start):
/// a quota limits how much the threads run, not how many arenas they use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn usable_cores() -> usize {
    // SAFETY: `set` is a plain bit mask that `sched_getaffinity` fills for
    // the calling thread (pid 0), within the size given; `CPU_COUNT` only
    // reads it.
    #[allow(unsafe_code)]
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &raw mut set) != 0 {
            return 2;
        }
        usize::try_from(libc::CPU_COUNT(&set)).map_or(2, |cores| cores.max(1))
    }
}

/// Other allocators are left as they are.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn limit_malloc_arenas() {}
