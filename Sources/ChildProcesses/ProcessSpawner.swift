import Foundation

/// Starts local processes with `posix_spawn`: the sandbox's containers and the developer's command.
///
/// A Swift server blocks signals in its threads and a child inherits that mask, so a child
/// started with Foundation's `Process` from inside NIO may never see SIGTERM. Every process
/// spawned here gets an empty signal mask and default handlers.
public enum ProcessSpawner {
    public struct Request: Sendable {
        public var executable: String
        public var arguments: [String]
        public var environment: [String: String]
        public var workingDirectory: String?
        /// File that receives standard output (appended to); nil: the child shares this process's
        /// standard input, output and error (a command the developer watches and types into).
        public var output: String?
        /// File that receives standard error; nil sends it to `output`.
        public var errors: String?
        /// With `output`: a descriptor of this process given as standard input; nil: /dev/null.
        public var input: Int32?
        /// Standard input, output and error given otherwise: set, it replaces `output` and `errors`.
        public var attachment: Attachment?
        /// How the child is grouped: its own session (a daemon) or its own process group (a container).
        public var grouping: Grouping
        /// A program (and its first arguments) that starts the executable, e.g. one that ties it to
        /// this process (`ParentDeath`); empty: the executable is started directly.
        public var launcher: [String] = []

        public enum Attachment: Sendable, Equatable {
            /// Descriptors of this process, duplicated into the child's 0, 1 and 2.
            case descriptors(input: Int32, output: Int32, error: Int32)
            /// A terminal device (a pseudo-terminal's other end) opened as 0, 1 and 2; with
            /// `.newSession` it becomes the child's controlling terminal.
            case terminal(path: String)
        }

        public enum Grouping: Sendable {
            case inherited
            case newProcessGroup
            case newSession
        }

        public init(
            executable: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil,
            output: String?, errors: String? = nil, grouping: Grouping = .inherited
        ) {
            self.executable = executable
            self.arguments = arguments
            self.environment = environment
            self.workingDirectory = workingDirectory
            self.output = output
            self.errors = errors
            self.grouping = grouping
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts the process; returns its pid. The caller reaps it (`waitpid`).
    public static func spawn(_ request: Request) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch request.attachment {
        case .descriptors(let input, let output, let error):
            posix_spawn_file_actions_adddup2(&actions, input, 0)
            posix_spawn_file_actions_adddup2(&actions, output, 1)
            posix_spawn_file_actions_adddup2(&actions, error, 2)
        case .terminal(let path):
            posix_spawn_file_actions_addopen(&actions, 0, path, O_RDWR, 0)
            posix_spawn_file_actions_adddup2(&actions, 0, 1)
            posix_spawn_file_actions_adddup2(&actions, 0, 2)
        case nil:
            break
        }
        if request.attachment == nil, let output = request.output {
            if let input = request.input {
                posix_spawn_file_actions_adddup2(&actions, input, 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            if let errors = request.errors {
                posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            } else {
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            }
        }
        // Nothing of this process beyond stdio: sockets NIO opened without close-on-exec would
        // otherwise stay open in the child (a listener's port held, a connection this process
        // closed kept alive) for as long as the child lives.
        _ = addCloseFrom?(&actions, 3)
        if let directory = request.workingDirectory {
            guard let changeDirectory = addChangeDirectory, changeDirectory(&actions, directory) == 0 else {
                throw Failure(description: "this C library cannot set a spawned process's working directory (posix_spawn_file_actions_addchdir_np)")
            }
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
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        switch request.grouping {
        case .inherited:
            break
        case .newProcessGroup:
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        case .newSession:
            // POSIX_SPAWN_SETSID (glibc 2.26+), which Swift's Glibc module does not import.
            flags |= 0x80
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let program = request.launcher.first ?? request.executable
        let argv = (request.launcher + [request.executable] + request.arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp = request.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, program, &actions, &attributes, argv, envp)
        guard result == 0 else { throw Failure(description: "failed to start \(request.executable): \(String(cString: strerror(result)))") }
        return pid
    }

    /// A pipe whose ends are close-on-exec from the start: a child another thread spawns meanwhile
    /// inherits neither (one that held a write end would keep the reader from its end of input).
    /// Give an end to a child through `Request.input` or `.descriptors`, which duplicate it.
    public static func closeOnExecPipe() throws(Failure) -> (read: Int32, write: Int32) {
        guard let pipe2 else { throw Failure(description: "this C library has no pipe2") }
        var ends: [Int32] = [0, 0]
        guard pipe2(&ends, O_CLOEXEC) == 0 else { throw Failure(description: "cannot create a pipe: \(String(cString: strerror(errno)))") }
        return (ends[0], ends[1])
    }

    /// The exit code in a `waitpid` status: the process's own, or 128 + the signal that killed it.
    public static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Finds a program in `PATH`, as a shell would.
    public static func locate(_ name: String, path: String?) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    /// glibc's `pipe2`, which Swift's Glibc module does not import.
    private static let pipe2: Pipe2? = dlsym(nil, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), which Swift's Glibc module does not import.
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    private typealias AddChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module does not import.
    private static let addChangeDirectory: AddChangeDirectory? = dlsym(nil, "posix_spawn_file_actions_addchdir_np").map {
        unsafeBitCast($0, to: AddChangeDirectory.self)
    }
}
