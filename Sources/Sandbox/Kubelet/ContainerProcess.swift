import Foundation
import Synchronization

/// One run of a container: a local process with the container's argv and environment, its
/// output appended to a log file.
///
/// Spawned with `posix_spawn` in a process group of its own, with a clean signal mask and
/// default signal handlers (a Swift server blocks signals in its threads, and a child would
/// inherit that), so that SIGTERM reaches it and SIGKILL takes its children too.
final class ContainerProcess: Sendable {
    enum Failure: Error, CustomStringConvertible {
        case executableNotFound(String)
        case spawnFailed(String)

        var description: String {
            switch self {
            case .executableNotFound(let name): return "exec: \"\(name)\": executable file not found in $PATH"
            case .spawnFailed(let detail): return detail
            }
        }
    }

    private struct State {
        var exitCode: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
    }

    private let state = Mutex(State())
    let processIdentifier: pid_t

    /// Starts the process now.
    init(argv: [String], environment: [String: String], workingDirectory: URL, logFile: URL) throws(Failure) {
        guard let first = argv.first, let executable = Self.locate(first, path: environment["PATH"]) else {
            throw .executableNotFound(argv.first ?? "")
        }
        try? FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logFile.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        guard let changeDirectory = Self.addChangeDirectory, changeDirectory(&actions, workingDirectory.path) == 0 else {
            throw .spawnFailed("this C library cannot set a spawned process's working directory (posix_spawn_file_actions_addchdir_np)")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let arguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in arguments { free(pointer) } }
        let variables = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in variables { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, arguments, variables)
        guard result == 0 else { throw .spawnFailed("failed to start \(executable): \(String(cString: strerror(result)))") }
        processIdentifier = pid
        Thread.detachNewThread { [self, pid] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            let signal = status & 0x7f
            finish(signal == 0 ? (status >> 8) & 0xff : 128 + signal)
        }
    }

    private func finish(_ code: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            state.exitCode = code
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: code) }
    }

    var isRunning: Bool { state.withLock { $0.exitCode == nil } }

    /// Waits until the process ends; returns its exit code (128 + signal when killed).
    func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let code = state.withLock { state -> Int32? in
                if let code = state.exitCode { return code }
                state.waiters.append(continuation)
                return nil
            }
            if let code { continuation.resume(returning: code) }
        }
    }

    /// SIGTERM, then SIGKILL to the whole process group if it is still running after the grace period.
    func terminate(grace: Duration) async {
        guard isRunning else { return }
        kill(processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if isRunning { kill(-processIdentifier, SIGKILL) }
        _ = await waitForExit()
        kill(-processIdentifier, SIGKILL)
    }

    private typealias AddChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module does not import.
    private static let addChangeDirectory: AddChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChangeDirectory.self)
    }

    static func locate(_ name: String, path: String?) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
