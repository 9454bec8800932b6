import CFreedMemory

/// Gives memory freed after a burst of connections back to the system. glibc keeps freed blocks
/// for reuse, so a relay stays at its busiest size (figures in bench/README.md). Elsewhere the
/// allocator returns memory itself, and this does nothing.
public enum FreedMemory {
    /// Trims every `interval` until cancelled. A trim locks each arena in turn while it returns
    /// its free pages (a few milliseconds: bench/README.md); the relay's allocations wait
    /// meanwhile, once per interval.
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
