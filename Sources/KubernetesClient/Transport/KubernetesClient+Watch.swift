import Foundation
import NIOCore
import NIOFoundationCompat

extension KubernetesClient {
    /// One watch connection: the events the server sends until it closes the stream.
    ///
    /// A `410 Gone` (the version is too old) ends the stream with `KubernetesError.expired`.
    /// Use `ResourceWatcher` for a watch that survives dropped connections.
    public func watchRaw(
        _ type: ResourceType, namespace: String? = nil, allNamespaces: Bool = false, options: ListOptions = .init(),
        resourceVersion: String?, timeoutSeconds: Int? = nil
    ) -> AsyncThrowingStream<WatchEvent<JSONValue>, any Error> {
        let ns = allNamespaces ? nil : resolve(namespace, for: type)
        var query = options.queryItems
        query.append(("watch", "true"))
        query.append(("allowWatchBookmarks", "true"))
        if let resourceVersion, !resourceVersion.isEmpty { query.append(("resourceVersion", resourceVersion)) }
        if let timeoutSeconds { query.append(("timeoutSeconds", String(timeoutSeconds))) }
        let context = RequestSummary(verb: "watch", resource: type, namespace: ns, server: connection.serverDescription)
        let request = APIRequest(method: .GET, path: type.collectionPath(namespace: ns), query: query, context: context)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let response = try await self.stream(request)
                    var lines = LineSplitter()
                    for try await chunk in response.body {
                        for line in lines.append(chunk) {
                            continuation.yield(try Self.watchEvent(line, context: context))
                        }
                    }
                    continuation.finish()
                } catch let error as KubernetesError {
                    continuation.finish(throwing: error)
                } catch is CancellationError {
                    continuation.finish()
                } catch {
                    continuation.finish(
                        throwing: KubernetesError.unreachable(server: self.connection.serverDescription, reason: "the watch broke: \(TransportFailure.describe(error))")
                    )
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    static func watchEvent(_ line: Data, context: RequestSummary) throws(KubernetesError) -> WatchEvent<JSONValue> {
        guard let document = try? JSONValue.parse(line), let typeName = document["type"]?.stringValue, let object = document["object"] else {
            throw .unexpectedResponse(status: 200, detail: "a watch event is not valid JSON", context)
        }
        if typeName == "ERROR" {
            let status = (try? object.decode(as: APIStatus.self)) ?? APIStatus(status: "Failure", message: object.jsonString, reason: nil, details: nil, code: 500)
            if status.code == 410 { throw .expired(context) }
            throw .api(status, context)
        }
        guard let kind = WatchEvent<JSONValue>.Kind(rawValue: typeName) else {
            throw .unexpectedResponse(status: 200, detail: "unknown watch event type \(typeName)", context)
        }
        return WatchEvent(type: kind, object: object)
    }
}

/// Splits a byte stream into newline-terminated lines.
struct LineSplitter {
    private var pending = Data()

    mutating func append(_ chunk: ByteBuffer) -> [Data] {
        pending.append(contentsOf: chunk.readableBytesView)
        var lines: [Data] = []
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            let line = pending[pending.startIndex..<newline]
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { lines.append(Data(line)) }
            pending = Data(pending[pending.index(after: newline)...])
        }
        return lines
    }
}
