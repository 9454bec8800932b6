#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of files this process may hold open: every cluster service's port is a listening
/// socket on this machine (all namespaces' services: thousands in a large cluster), beyond the
/// default soft limit of 1024 on many systems. Raised to the hard limit.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard one; returns the limit now in force.
    @discardableResult
    public static func raise() -> Int {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { return Int(clamping: raised.rlim_cur) }
        }
        return Int(clamping: limit.rlim_cur)
    }
}
