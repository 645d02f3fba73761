//! Ctrl-C (SIGINT) and SIGTERM: before a command changes the environment,
//! puffin exits at once (130 or 143); while a transaction changes it, the
//! signal cancels the work, which stops between two file operations, rolls
//! back and then exits with the same code. A second signal during the
//! rollback is ignored, with a message.
//!
//! The handler does only what is async-signal-safe: atomic operations,
//! `write` and `_exit`. No thread is started, so commands that never change
//! the environment pay for two `sigaction` calls. Handlers are reset to the
//! default in child processes at `exec`, so interpreters puffin runs are
//! unaffected.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, Ordering};

use puffin_installer::Cancellation;

/// The flag the handler sets.
static CANCELLATION: OnceLock<Cancellation> = OnceLock::new();
/// The first signal received, 0 before.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// The exit code for the first signal received, if any: 128 + its number.
pub(crate) fn exit_code() -> Option<u8> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => u8::try_from(128 + signal).ok(),
    }
}

/// Install the handlers: signals cancel `cancellation`.
#[allow(unsafe_code)]
pub(crate) fn install(cancellation: Cancellation) -> std::io::Result<()> {
    if CANCELLATION.set(cancellation).is_err() {
        return Ok(());
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: a zeroed `sigaction` is valid; the handler is an
        // `extern "C" fn(c_int)` that is async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&raw mut action.sa_mask);
            if libc::sigaction(signal, &raw const action, std::ptr::null_mut()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The first signal cancels, and exits at once when nothing is changing;
/// later ones are ignored while the rollback runs.
#[allow(unsafe_code)]
extern "C" fn on_signal(signal: libc::c_int) {
    let first = RECEIVED
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    let message: &[u8] = if !first {
        b"Rolling back the changes to the environment; please wait for it to finish\n"
    } else if CANCELLATION.get().is_some_and(Cancellation::cancel) {
        b"Cancelling: rolling back the changes to the environment (a sync that already committed finishes instead)\n"
    } else {
        // Nothing is changing: the store and the environment are safe to
        // leave as they are (the next run cleans up temporary files).
        // SAFETY: `_exit` is async-signal-safe.
        unsafe { libc::_exit(128 + signal) }
    };
    // SAFETY: `write` is async-signal-safe; the buffer is valid.
    unsafe {
        libc::write(libc::STDERR_FILENO, message.as_ptr().cast(), message.len());
    }
}
