import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import KubernetesClient
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// The kubelet's own HTTPS API, which the API server proxies `pods/log`, `pods/portforward` and
/// `pods/exec` to: `/containerLogs/{namespace}/{pod}/{container}`, the
/// `/portForward/{namespace}/{pod}` WebSocket (`StreamingProtocol`) and the
/// `/exec/{namespace}/{pod}/{container}` WebSocket (`ExecChannel`).
struct KubeletServer {
    /// Finds the worker of a running pod.
    typealias PodLookup = @Sendable (_ namespace: String, _ name: String) async -> PodWorker?

    let tls: TLSConfiguration
    /// Whether callers must show a certificate of the API server's CA. Only then is `exec`
    /// served: it runs commands as this kubelet's user, for anyone who reaches its port.
    let authenticatesCallers: Bool
    let host: String
    let port: Int
    let lookup: PodLookup
    let logger: Logger

    func application(onRunning: @escaping @Sendable (Int) async -> Void) throws -> some ApplicationProtocol {
        let lookup = self.lookup
        let logger = self.logger
        let servesExec = authenticatesCallers
        let responder = CallbackResponder { (request: Request, _: BasicRequestContext) async throws -> Response in
            let segments = request.uri.path.split(separator: "/").map(String.init)
            let query = APIServer.query(request.uri.query)
            if segments == ["healthz"] { return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ok"))) }
            if segments.first == "portForward" {
                // Not upgraded: the request or the pod was wrong, answered as a kubelet does.
                guard segments.count == 3, await lookup(segments[1], segments[2]) != nil else {
                    return Self.text(.notFound, "pod \"\(segments.dropFirst(2).first ?? "")\" is not running on this node")
                }
                guard Self.forwardedPorts(request.uri.query) != nil else {
                    return Self.text(.badRequest, "query parameter \"port\" is required, once per port (e.g. ?port=8080&port=9090)")
                }
                return Self.text(.badRequest, "port-forward needs a WebSocket upgrade (\(StreamingProtocol.served(for: "portForward").joined(separator: ", ")))")
            }
            if let verb = segments.first, ["exec", "attach"].contains(verb) {
                guard servesExec else {
                    return Self.text(.forbidden, "\(verb) is served only when the kubelet authenticates its callers (--client-ca)")
                }
                guard segments.count == 4, let worker = await lookup(segments[1], segments[2]) else {
                    return Self.text(.notFound, "pod \"\(segments.dropFirst(2).first ?? "")\" is not running on this node")
                }
                guard await worker.execContext(container: segments[3]) != nil else {
                    return Self.text(.badRequest, "container \"\(segments[3])\" in pod \"\(segments[2])\" is not running")
                }
                return Self.text(.badRequest, "\(verb) needs a WebSocket upgrade (\(ExecChannel.Version.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard segments.count == 4, segments[0] == "containerLogs" else {
                return Self.text(.notFound, "404 page not found")
            }
            return await Self.logs(namespace: segments[1], pod: segments[2], container: segments[3], query: query, lookup: lookup)
        }
        let server = HTTPServerBuilder.http1WebSocketUpgrade(configuration: .init(ws: .init(maxFrameSize: 1 << 20, extensions: [FastUnmasking.builder]))) { head, _, _ in
            guard let target = head.path.map({ URI($0) }) else { return .dontUpgrade }
            let segments = target.path.split(separator: "/").map(String.init)
            guard let kind = segments.first, segments.count >= 3,
                let chosen = StreamingProtocol.choose(offered: head.headerFields[APIServer.webSocketProtocol], for: kind),
                let worker = await lookup(segments[1], segments[2])
            else { return .dontUpgrade }
            var headers = HTTPFields()
            headers[APIServer.webSocketProtocol] = chosen
            switch kind {
            case "portForward":
                guard segments.count == 3, let ip = await worker.ip else { return .dontUpgrade }
                if chosen == StreamingProtocol.spdyPortForward {
                    return .upgrade(headers) { inbound, outbound, _ in
                        await SPDYPortForwardSession(podIP: ip, podName: segments[2], logger: logger).run(inbound: inbound, outbound: outbound)
                    }
                }
                guard let ports = Self.forwardedPorts(target.query) else { return .dontUpgrade }
                return .upgrade(headers) { inbound, outbound, _ in
                    await PortForwardSession(podIP: ip, podName: segments[2], ports: ports, logger: logger).run(inbound: inbound, outbound: outbound)
                }
            case "exec":
                guard servesExec, segments.count == 4, let context = await worker.execContext(container: segments[3]),
                    let version = ExecChannel.Version(rawValue: chosen)
                else { return .dontUpgrade }
                let items = APIServer.queryItems(target.query)
                let command = items.filter { $0.key == "command" }.map(\.value)
                let streams = Self.streams(items)
                return .upgrade(headers) { inbound, outbound, _ in
                    do {
                        let process = try ExecProcess(command: command, context: context, streams: streams)
                        await ExecSession(process: process, version: version, logger: logger).run(inbound: inbound, outbound: outbound)
                    } catch {
                        // As a kubelet reports a command it could not start: on the error stream.
                        let status = (try? ExecChannel.failureStatus("error executing command in container: \(error)").jsonData()) ?? Data()
                        try? await outbound.write(.binary(ExecChannel.frame(ExecChannel.error, ByteBuffer(bytes: status))))
                        await KubeletStreamEnd.close(inbound, outbound)
                    }
                }
            case "attach":
                guard servesExec, segments.count == 4, let (process, logFile) = await worker.attachTarget(container: segments[3]),
                    let version = ExecChannel.Version(rawValue: chosen)
                else { return .dontUpgrade }
                let streams = Self.streams(APIServer.queryItems(target.query))
                return .upgrade(headers) { inbound, outbound, _ in
                    await AttachSession(process: process, logFile: logFile, streams: streams, version: version, logger: logger).run(inbound: inbound, outbound: outbound)
                }
            default:
                return .dontUpgrade
            }
        }
        return Application(
            responder: responder,
            server: try .tls(server, tlsConfiguration: tls),
            configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger
        )
    }

    /// The streams an exec or attach request asks for (`stdin=true&stdout=true…`).
    static func streams(_ items: [(key: String, value: String)]) -> ExecProcess.Streams {
        let flag = { (name: String) in items.contains { $0.key == name && ["true", "1"].contains($0.value) } }
        return ExecProcess.Streams(stdin: flag("stdin"), stdout: flag("stdout"), stderr: flag("stderr"), tty: flag("tty"))
    }

    /// The ports of a `/portForward` request: one `port` key per port, as kube-apiserver sends
    /// them; nil when there is none or one is not a port number.
    static func forwardedPorts(_ query: String?) -> [Int]? {
        let values = APIServer.queryItems(query).filter { $0.key == "port" }.map(\.value)
        let ports = values.compactMap { UInt16($0) }.map(Int.init)
        return ports.isEmpty || ports.count != values.count || ports.contains(0) ? nil : ports
    }

    /// The last `count` lines of a log.
    static func lastLines(_ data: Data, _ count: Int) -> Data {
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
        if lines.last?.isEmpty == true { lines.removeLast() }
        let kept = lines.suffix(count)
        guard !kept.isEmpty else { return Data() }
        return Data(kept.joined(separator: Data([UInt8(ascii: "\n")]))) + Data([UInt8(ascii: "\n")])
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: message)))
    }

    private static func logs(namespace: String, pod: String, container: String, query: [String: String], lookup: PodLookup) async -> Response {
        guard let worker = await lookup(namespace, pod) else {
            return text(.notFound, "pod \"\(pod)\" in namespace \"\(namespace)\" is not running on this node")
        }
        let previous = ["true", "1"].contains(query["previous"] ?? "")
        guard let file = await worker.logFile(container: container, previous: previous) else {
            if previous { return text(.badRequest, "previous terminated container \"\(container)\" in pod \"\(pod)\" not found") }
            let reason = await worker.waitingReason(container: container) ?? "ContainerCreating"
            return text(.badRequest, "container \"\(container)\" in pod \"\(pod)\" is waiting to start: \(reason)")
        }
        let follow = ["true", "1"].contains(query["follow"] ?? "") && !previous
        let tailLines = query["tailLines"].flatMap(Int.init)
        let body = ResponseBody { writer in
            guard let handle = try? FileHandle(forReadingFrom: file) else { return }
            defer { try? handle.close() }
            var existing = handle.readDataToEndOfFile()
            if let tailLines {
                existing = Self.lastLines(existing, tailLines)
            }
            if !existing.isEmpty { try await writer.write(ByteBuffer(bytes: existing)) }
            while follow {
                let more = handle.readDataToEndOfFile()
                if !more.isEmpty {
                    try await writer.write(ByteBuffer(bytes: more))
                    continue
                }
                guard await worker.isRunning(container: container), await worker.logFile(container: container, previous: false) == file else { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain"], body: body)
    }
}

/// One port-forward WebSocket on the kubelet: a TCP connection per requested port of the pod,
/// framed as `v4.channel.k8s.io` (data channel 2i, error channel 2i+1, each opened with the port).
struct PortForwardSession {
    let podIP: String
    let podName: String
    let ports: [Int]
    let logger: Logger

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        do {
            for (index, port) in ports.enumerated() {
                for channel in [2 * index, 2 * index + 1] {
                    var opening = ByteBuffer()
                    opening.writeInteger(UInt8(channel))
                    opening.writeInteger(UInt16(port), endianness: .little)
                    try await outbound.write(.binary(opening))
                }
            }
            try await connect(index: 0, connected: [], inbound: inbound, outbound: outbound)
        } catch {
            logger.debug("port-forward ended", metadata: ["pod": "\(podName)", "error": "\(error)"])
        }
    }

    private typealias Connection = NIOAsyncChannel<ByteBuffer, ByteBuffer>

    /// Opens the connections one by one, then relays; a port that refuses gets its error channel written.
    private func connect(index: Int, connected: [(NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>)], inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        guard index < ports.count else {
            try await relay(connected, inbound: inbound, outbound: outbound)
            return
        }
        let connection: Connection
        do {
            connection = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .connect(host: podIP, port: ports[index]) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try Connection(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                    }
                }
        } catch {
            var message = ByteBuffer()
            message.writeInteger(UInt8(2 * index + 1))
            message.writeString("error forwarding port \(ports[index]) to pod \(podName): failed to connect to \(podIP):\(ports[index]): \(error)")
            try await outbound.write(.binary(message))
            await KubeletStreamEnd.close(inbound, outbound)
            return
        }
        try await connection.executeThenClose { connectionInbound, connectionOutbound in
            try await connect(index: index + 1, connected: connected + [(connectionInbound, connectionOutbound)], inbound: inbound, outbound: outbound)
        }
    }

    private func relay(_ connections: [(NIOAsyncChannelInboundStream<ByteBuffer>, NIOAsyncChannelOutboundWriter<ByteBuffer>)], inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    guard case .binary(var bytes) = message, let channel = bytes.readInteger(as: UInt8.self) else { continue }
                    let index = Int(channel) / 2
                    guard channel % 2 == 0, connections.indices.contains(index), bytes.readableBytes > 0 else { continue }
                    try await connections[index].1.write(bytes)
                }
                for connection in connections { connection.1.finish() }
            }
            for (index, connection) in connections.enumerated() {
                group.addTask {
                    for try await bytes in connection.0 {
                        var framed = ByteBuffer()
                        framed.writeInteger(UInt8(2 * index))
                        framed.writeImmutableBuffer(bytes)
                        try await outbound.write(.binary(framed))
                    }
                }
            }
            // The stream ends when the client goes or, with one port, when the pod closes its side.
            try await group.next()
            if connections.count == 1 { try? await KubeletStreamEnd.sendClose(outbound) }
            try await group.next()
            group.cancelAll()
        }
    }
}
