//! The `stance` command: parse flags, run the subcommand, map the outcome to an exit code.
//!
//! Exit codes: 0 everything done; 1 some inputs failed (the rest were processed);
//! 2 usage, model or fatal error.

use std::process::ExitCode;

mod cli;

// The command allocates many small strings and vectors per article (mentions, names, JSON);
// mimalloc spends fewer instructions on them than glibc (callgrind, `stance label` on 1,000
// PolNeAR articles: 110 M fewer of 2.9 G). The library leaves the allocator to its host.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc v3's `mi_option_purge_delay` (its `include/mimalloc.h`; `libmimalloc-sys` 0.1.49
/// names only the older options). The test below checks it is that option.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Keeps freed memory instead of returning it to the OS a second later. Each chunk of
/// articles frees what the previous one allocated; mimalloc purged it (about 145 MiB in 205
/// purges over `benches/throughput.py`'s 18,480 articles) and the next chunk faulted it back
/// in, zeroed — as 2 MiB transparent huge pages, 0.38 s of system time in a 6 s run. The
/// working set is bounded by the batch's chunk limits, so keeping it costs no growth: peak
/// RSS is what it was (benches/README.md, "The allocator's purges").
fn keep_freed_memory() {
    // SAFETY: called first thing in `main`, before any thread is spawned (the setter is not
    // thread-safe); the option takes any integer, -1 meaning "never purge".
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
}

/// Asks the kernel for 4 KiB pages only (no transparent huge pages for this process). With
/// them, each 2 MiB region the allocator touches first is faulted in and zeroed whole: a
/// one-article run holds 96-106 MB resident against 56-58 MB, and on the shared virtual
/// machines this project is measured on, those fresh huge pages cost 0.00-0.45 s of system
/// time per run, erratically. Without them: `stance label` 1.03x (1 thread) and 1.07x (2
/// threads) over 10 interleaved rounds, one-article runs 0.03-0.05 s instead of 0.02-0.23 s
/// (benches/README.md, "Huge pages off").
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and touches no memory of ours.
    unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
}

#[cfg(not(target_os = "linux"))]
fn no_huge_pages() {}

fn main() -> ExitCode {
    keep_freed_memory();
    no_huge_pages();
    cli::main()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The constant names mimalloc's purge delay: option 15 has that option's default (1,000
    /// ms in mimalloc v3), which no neighbouring option shares, and takes the new value.
    #[test]
    fn purge_delay_is_the_option_set() {
        // SAFETY: reads and writes of one option; no other test touches mimalloc's options.
        let (before, after) = unsafe {
            let before = libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY);
            keep_freed_memory();
            (
                before,
                libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY),
            )
        };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(
                before, 1000,
                "option {MI_OPTION_PURGE_DELAY} is not the purge delay"
            );
        }
        assert_eq!(after, -1);
    }

    /// The process asks for no transparent huge pages, and the kernel has recorded it.
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_turned_off() {
        no_huge_pages();
        // SAFETY: PR_GET_THP_DISABLE takes plain integers.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
