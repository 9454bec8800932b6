import ChildProcesses
import Foundation

/// A command run in a running container for `pods/exec`: started in the container's context
/// (`ContainerContext`), in a process group of its own, its standard streams on pipes, or with
/// `tty` on a pseudo-terminal whose size the client sets. Streams the client did not ask for
/// are `/dev/null`.
final class ExecProcess: Sendable {
    /// Which standard streams the client attached.
    struct Streams: Sendable {
        var stdin: Bool
        var stdout: Bool
        var stderr: Bool
        var tty: Bool
    }

    enum Failure: Error, CustomStringConvertible {
        case container(ContainerProcess.Failure)
        case system(String)

        var description: String {
            switch self {
            case .container(let failure): return failure.description
            case .system(let detail): return detail
            }
        }
    }

    private let child: ChildProcess
    /// This side's ends, owned by whoever takes them (`takeEnds`): write to `input`, read from
    /// `output` and `errors`; with a tty, `input` and `output` are the terminal's master side.
    let input: CInt?
    let output: CInt?
    let errors: CInt?
    /// The terminal's master side, kept for resizes; closed by `close()`.
    private let terminal: CInt?

    var pid: pid_t { child.pid }

    init(command: [String], context: ContainerContext, streams: Streams) throws(Failure) {
        let argv: [String]
        do {
            argv = try context.argv(command)
        } catch {
            throw .container(error)
        }
        var request = ProcessSpawner.Request(
            executable: argv[0], arguments: Array(argv.dropFirst()), environment: context.environment,
            workingDirectory: context.spawnDirectory, output: nil, grouping: streams.tty ? .newSession : .newProcessGroup
        )
        var childEnds: [CInt] = []
        defer { for end in childEnds { Glibc.close(end) } }
        if streams.tty {
            let (master, path) = try Self.openTerminal()
            request.attachment = .terminal(path: path)
            terminal = master
            input = streams.stdin ? dup(master) : nil
            output = dup(master)
            errors = nil
        } else {
            terminal = nil
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            childEnds.append(null)
            var ends = (input: CInt?.none, output: CInt?.none, errors: CInt?.none)
            var attached = (input: null, output: null, error: null)
            if streams.stdin {
                let pipe = try Self.pipe()
                attached.input = pipe.read
                childEnds.append(pipe.read)
                ends.input = pipe.write
            }
            if streams.stdout {
                let pipe = try Self.pipe()
                attached.output = pipe.write
                childEnds.append(pipe.write)
                ends.output = pipe.read
            }
            if streams.stderr {
                let pipe = try Self.pipe()
                attached.error = pipe.write
                childEnds.append(pipe.write)
                ends.errors = pipe.read
            }
            request.attachment = .descriptors(input: attached.input, output: attached.output, error: attached.error)
            input = ends.input
            output = ends.output
            errors = ends.errors
        }
        do {
            child = try ChildProcess(spawning: request)
        } catch {
            for end in [input, output, errors, terminal].compactMap({ $0 }) { Glibc.close(end) }
            throw .system(error.description)
        }
    }

    /// Waits until the command ends; its exit code (128 + signal when killed).
    func waitForExit() async -> Int32 {
        await child.waitForExit()
    }

    var isRunning: Bool { child.isRunning }

    /// SIGKILL to the command and everything it started in its group.
    func kill() {
        guard child.isRunning else { return }
        Glibc.kill(-child.pid, SIGKILL)
    }

    /// Sets the terminal's size (a client's resize); nothing without a tty.
    func resize(width: UInt16, height: UInt16) {
        guard let terminal else { return }
        var size = winsize(ws_row: height, ws_col: width, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(terminal, UInt(TIOCSWINSZ), &size)
    }

    /// Closes the terminal's master side kept for resizes.
    func close() {
        if let terminal { Glibc.close(terminal) }
    }

    private static func pipe() throws(Failure) -> (read: CInt, write: CInt) {
        do { return try ProcessSpawner.closeOnExecPipe() } catch { throw .system(error.description) }
    }

    private static func openTerminal() throws(Failure) -> (master: CInt, path: String) {
        guard let terminal = Terminal.functions else { throw .system("this C library cannot open pseudo-terminals") }
        let master = terminal.open(O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard master >= 0, terminal.grant(master) == 0, terminal.unlock(master) == 0 else {
            throw .system("cannot open a terminal: \(String(cString: strerror(errno)))")
        }
        var name = [CChar](repeating: 0, count: 128)
        guard terminal.name(master, &name, name.count) == 0 else {
            Glibc.close(master)
            throw .system("cannot name the terminal: \(String(cString: strerror(errno)))")
        }
        return (master, String(cString: name))
    }

    /// glibc's pseudo-terminal functions (`posix_openpt`, `grantpt`, `unlockpt`, `ptsname_r`),
    /// which Swift's Glibc module does not import.
    private struct Terminal {
        typealias Open = @convention(c) (CInt) -> CInt
        typealias Control = @convention(c) (CInt) -> CInt
        typealias Name = @convention(c) (CInt, UnsafeMutablePointer<CChar>?, Int) -> CInt
        let open: Open
        let grant: Control
        let unlock: Control
        let name: Name

        nonisolated(unsafe) static let functions: Terminal? = {
            guard let open = dlsym(nil, "posix_openpt"), let grant = dlsym(nil, "grantpt"), let unlock = dlsym(nil, "unlockpt"),
                let name = dlsym(nil, "ptsname_r")
            else { return nil }
            return Terminal(
                open: unsafeBitCast(open, to: Open.self), grant: unsafeBitCast(grant, to: Control.self),
                unlock: unsafeBitCast(unlock, to: Control.self), name: unsafeBitCast(name, to: Name.self)
            )
        }()
    }
}
