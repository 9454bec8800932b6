#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads what the container sees under a mount path, as a `FileArchive`, with the agent's rights
/// (those of the app's user: `AgentContainer`).
///
/// Links are followed within the mount, as the app would (a ConfigMap's keys are links into its
/// `..data` folder); a link out of the mount is not; the kubelet's own entries (names starting
/// with `..`) are left out. What cannot be read is named in the archive, not skipped in silence:
/// a folder deeper than `maximumDepth`, and files beyond `FileArchive.limit` bytes in all (the
/// agent holds one file in memory at a time, never more than that).
struct MountReader {
    /// Where the container's files are (`AgentContract.containerRootVariable`); "" in a real pod.
    let root: String
    static let maximumDepth = 24

    /// Sends the archive of `path` through `send`, one entry's header and bytes at a time.
    func send(_ path: String, through send: ([UInt8]) async throws -> Void) async throws {
        var stack: [(relative: String, depth: Int)] = [("", 0)]
        let mount = Self.realPath(root + path)
        var budget = FileArchive.limit
        while let (relative, depth) = stack.popLast() {
            let full = root + path + (relative.isEmpty ? "" : "/" + relative)
            let shown = path + (relative.isEmpty ? "" : "/" + relative)
            var info = stat()
            guard stat(full, &info) == 0 else {
                try await send(Array(FileArchive.unreadableLine("\(shown): \(Self.lastError())").utf8))
                continue
            }
            if let mount, let real = Self.realPath(full), real != mount, !real.hasPrefix(mount == "/" ? "/" : mount + "/") {
                try await send(Array(FileArchive.unreadableLine("\(shown): a link out of the mount (to \(real)), not followed").utf8))
                continue
            }
            let mode = UInt32(info.st_mode)
            switch mode & UInt32(S_IFMT) {
            case UInt32(S_IFDIR):
                guard depth < Self.maximumDepth else {
                    try await send(Array(FileArchive.unreadableLine("\(shown): more than \(Self.maximumDepth) folders deep (a link loop?)").utf8))
                    continue
                }
                guard let names = Self.names(in: full) else {
                    try await send(Array(FileArchive.unreadableLine("\(shown): \(Self.lastError())").utf8))
                    continue
                }
                try await send(Array(FileArchive.directoryHeader(path: relative, mode: mode).utf8))
                for name in names.sorted().reversed() where !name.hasPrefix("..") {
                    stack.append((relative.isEmpty ? name : relative + "/" + name, depth + 1))
                }
            case UInt32(S_IFREG):
                guard Int(info.st_size) <= budget else {
                    try await send(Array(FileArchive.unreadableLine("\(shown): \(info.st_size) bytes, beyond the \(FileArchive.limit >> 20) MiB a mount may send").utf8))
                    continue
                }
                switch Self.contents(of: full, atMost: budget) {
                case .success(let bytes):
                    budget -= bytes.count
                    try await send(Array(FileArchive.fileHeader(path: relative, mode: mode, size: bytes.count).utf8) + bytes)
                case .failure(let reason):
                    try await send(Array(FileArchive.unreadableLine("\(shown): \(reason)").utf8))
                }
            default:
                // A socket, device or pipe is not a file to copy.
                continue
            }
        }
        try await send(Array(FileArchive.endLine.utf8))
    }

    private static func names(in directory: String) -> [String]? {
        guard let handle = opendir(directory) else { return nil }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    private struct ReadFailure: Error, CustomStringConvertible {
        var description: String
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// A file's bytes; a file that grew beyond `limit` while read is a failure.
    private static func contents(of path: String, atMost limit: Int) -> Result<[UInt8], ReadFailure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(ReadFailure(description: lastError())) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(ReadFailure(description: lastError()))
            }
            if count == 0 { return .success(bytes) }
            bytes += chunk[..<count]
            if bytes.count > limit { return .failure(ReadFailure(description: "grew beyond the \(limit >> 20) MiB a mount may send while read")) }
        }
    }

    private static func lastError() -> String {
        String(cString: strerror(errno))
    }
}
