import Foundation
import Yams

/// The sandbox's "registry": which local command an image name stands for.
///
/// ```yaml
/// images:
///   shop/web:1:
///     command: [python3, app/web.py]   # relative paths are taken from this file's folder
///     args: [--verbose]                # the image's CMD; a container's `args` replace it
/// ```
/// An image that is not in the map cannot be pulled, and its pod shows `ErrImagePull`.
struct ImageMap: Sendable, Equatable {
    struct Image: Sendable, Equatable {
        var command: [String]
        var args: [String]
    }

    enum Failure: Error, CustomStringConvertible {
        case unreadable(path: String, detail: String)

        var description: String {
            switch self {
            case .unreadable(let path, let detail): return "image map \(path) is not valid: \(detail)"
            }
        }
    }

    private(set) var images: [String: Image] = [:]
    private(set) var sources: [String] = []

    init() {}

    /// Reads and merges image map files; a name in an earlier file wins.
    init(files: [String]) throws(Failure) {
        for file in files { try merge(file) }
    }

    mutating func merge(_ path: String) throws(Failure) {
        struct File: Decodable {
            struct Entry: Decodable {
                var command: [String]
                var args: [String]?
            }
            var images: [String: Entry]
        }
        let file: File
        do {
            file = try YAMLDecoder().decode(File.self, from: try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            throw .unreadable(path: path, detail: String(describing: error))
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        for (name, entry) in file.images where images[name] == nil {
            images[name] = Image(command: entry.command.map { Self.resolve($0, in: directory) }, args: entry.args ?? [])
        }
        sources.append(path)
    }

    func image(named name: String) -> Image? {
        images[name] ?? images[Self.normalized(name)]
    }

    /// `docker.io/library/x:latest` and `x` name the same image.
    private static func normalized(_ name: String) -> String {
        var name = name
        for prefix in ["docker.io/library/", "docker.io/"] where name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        return name.hasSuffix(":latest") ? String(name.dropLast(":latest".count)) : name
    }

    /// Makes a relative path absolute against the map's folder when a file is there.
    private static func resolve(_ argument: String, in directory: URL) -> String {
        guard argument.contains("/"), !argument.hasPrefix("/") else { return argument }
        let candidate = directory.appendingPathComponent(argument).standardizedFileURL.path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : argument
    }
}
