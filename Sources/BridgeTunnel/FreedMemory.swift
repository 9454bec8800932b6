import CFreedMemory

/// Gives memory freed after a burst of connections back to the system. glibc keeps freed blocks
/// for reuse, so a relay stays at its busiest size: after 1,000 connections through a session
/// (the bench's concurrency scenario, sandbox) the agent held 9.7 MB and the CLI 9.8 MB more
/// than idle, of which `malloc_trim` gave back 6.5 and 6.2 MB. Elsewhere the allocator returns
/// memory itself, and this does nothing.
public enum FreedMemory {
    /// Trims every `interval` until cancelled. A trim locks each arena in turn while it returns
    /// its free pages (measured after the burst: 102 `madvise` calls, 1.5 ms in all, in the CLI;
    /// 47 and 0.8 ms in the agent); the relay's allocations wait meanwhile, once per interval.
    public static func giveBackPeriodically(every interval: Duration = .seconds(10)) async {
        while (try? await Task.sleep(for: interval)) != nil {
            giveBack()
        }
    }

    /// Returns the free pages of every allocator arena to the system.
    public static func giveBack() {
        _ = kbridge_give_back_freed_memory()
    }
}
