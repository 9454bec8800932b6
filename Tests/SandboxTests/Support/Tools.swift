import Foundation
import Testing

/// Running the real `kubectl` and the built `kbridge` from tests.
enum Tools {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The repository's root, found from this file.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let storefront = repository.appendingPathComponent("samples/storefront")
    static let storefrontImages = storefront.appendingPathComponent("sandbox-images.yaml").path
    static let storefrontManifests = storefront.appendingPathComponent("k8s").path

    /// The `kbridge` binary built beside these tests.
    static var kbridge: String {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("kbridge").path
    }

    static func locate(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program to its end (killed after `timeout`) and returns what it printed.
    ///
    /// Spawned with `posix_spawn` and reaped with `waitpid`, with a clean signal mask: the test
    /// process runs NIO and dispatch threads that block signals, which children would inherit.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(120), environment: [String: String] = [:]) async throws -> Result {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("kbridge-tool-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out").path
        let err = folder.appendingPathComponent("err").path

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EINVAL) }

        var status: Int32 = 0
        let deadline = ContinuousClock.now + timeout
        var stopping: ContinuousClock.Instant?
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline || stopping.map({ ContinuousClock.now - $0 > .seconds(10) }) == true {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            // Cancelling the task asks the program to stop, as Ctrl-C would.
            if Task.isCancelled, stopping == nil {
                kill(pid, SIGTERM)
                stopping = .now
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let signal = status & 0x7f
        return Result(
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? ""
        )
    }

    /// `kubectl --kubeconfig K [--context C] ARGS`; fails the test if kubectl is not installed.
    static func kubectl(_ kubeconfig: String, context: String? = nil, _ arguments: [String], timeout: Duration = .seconds(120)) async throws -> Result {
        let kubectl = try #require(locate("kubectl"), "kubectl must be installed: it is the conformance check of the sandbox")
        var all = ["--kubeconfig", kubeconfig]
        if let context { all += ["--context", context] }
        // A private discovery cache per call: sandboxes reuse ports across tests.
        all += ["--cache-dir", NSTemporaryDirectory() + "kbridge-kubectl-cache-\(UUID().uuidString.prefix(8))"]
        return try await run(kubectl, all + arguments, timeout: timeout)
    }
}
