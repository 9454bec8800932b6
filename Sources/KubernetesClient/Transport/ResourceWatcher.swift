import Foundation
import Logging

/// A watch that does not miss changes: it lists, then watches from the list's version,
/// resumes from the last version seen when the connection drops, and lists again when
/// the server says that version is gone (410), reporting only what changed meanwhile.
public struct ResourceWatcher: Sendable {
    public let client: KubernetesClient
    public let type: ResourceType
    public let namespace: String?
    public let allNamespaces: Bool
    public let options: ListOptions
    /// Asks the server to end each watch connection after this long (the watch then resumes).
    public let timeoutSeconds: Int?
    /// Delay before reconnecting after the server could not be reached.
    public let retryDelay: Duration

    public init(
        client: KubernetesClient, type: ResourceType, namespace: String? = nil, allNamespaces: Bool = false,
        options: ListOptions = .init(), timeoutSeconds: Int? = nil, retryDelay: Duration = .seconds(1)
    ) {
        self.client = client
        self.type = type
        self.namespace = namespace
        self.allNamespaces = allNamespaces
        self.options = options
        self.timeoutSeconds = timeoutSeconds
        self.retryDelay = retryDelay
    }

    /// Every change, beginning with `added` for each object that exists. Never sends bookmarks.
    /// Ends only when the consumer stops iterating or the task is cancelled.
    public func events() -> AsyncThrowingStream<WatchEvent<JSONValue>, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                var state = State()
                while !Task.isCancelled {
                    do {
                        if state.needsList {
                            let list = try await client.listRaw(type, namespace: namespace, allNamespaces: allNamespaces, options: options)
                            for event in state.relisted(list.items, resourceVersion: list.resourceVersion) { continuation.yield(event) }
                        }
                        let stream = client.watchRaw(
                            type, namespace: namespace, allNamespaces: allNamespaces, options: options,
                            resourceVersion: state.resourceVersion, timeoutSeconds: timeoutSeconds
                        )
                        for try await event in stream {
                            if let forwarded = state.observe(event) { continuation.yield(forwarded) }
                        }
                    } catch KubernetesError.expired {
                        client.logger.debug("watch expired; listing again", metadata: ["resource": "\(type)"])
                        state.needsList = true
                    } catch is CancellationError {
                        break
                    } catch {
                        client.logger.debug("watch interrupted; resuming", metadata: ["resource": "\(type)", "error": "\(error)"])
                        try? await Task.sleep(for: retryDelay)
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// What the watcher knows: each object's last version, and where to resume.
    struct State {
        var known: [String: JSONValue] = [:]
        var resourceVersion = ""
        var needsList = true

        static func key(_ object: JSONValue) -> String {
            "\(object[path: "metadata", "namespace"]?.stringValue ?? "")/\(object[path: "metadata", "name"]?.stringValue ?? "")"
        }

        static func version(_ object: JSONValue) -> String? {
            object[path: "metadata", "resourceVersion"]?.stringValue
        }

        /// Events that bring a consumer from what it has seen to the listed state.
        mutating func relisted(_ items: [JSONValue], resourceVersion: String) -> [WatchEvent<JSONValue>] {
            var events: [WatchEvent<JSONValue>] = []
            var seen = Set<String>()
            for item in items {
                let key = Self.key(item)
                seen.insert(key)
                if let previous = known[key] {
                    if Self.version(previous) != Self.version(item) { events.append(WatchEvent(type: .modified, object: item)) }
                } else {
                    events.append(WatchEvent(type: .added, object: item))
                }
                known[key] = item
            }
            for (key, object) in known where !seen.contains(key) {
                known[key] = nil
                events.append(WatchEvent(type: .deleted, object: object))
            }
            self.resourceVersion = resourceVersion
            needsList = false
            return events
        }

        /// Records one watch event; returns it unless it is a bookmark.
        mutating func observe(_ event: WatchEvent<JSONValue>) -> WatchEvent<JSONValue>? {
            if let version = Self.version(event.object) { resourceVersion = version }
            switch event.type {
            case .bookmark:
                return nil
            case .deleted:
                known[Self.key(event.object)] = nil
            case .added, .modified:
                known[Self.key(event.object)] = event.object
            }
            return event
        }
    }
}
