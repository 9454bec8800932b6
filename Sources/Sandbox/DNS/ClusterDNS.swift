import Foundation
import Logging
import NIOCore
import NIOPosix

/// The cluster DNS server a process kubelet runs for its pods (UDP, port 53 of one loopback
/// address): cluster names from `ClusterDNSZone`, every other name relayed to the machine's own
/// resolvers (from its `/etc/resolv.conf`), so a pod resolves what a real pod would.
final class ClusterDNS: Sendable {
    private typealias Datagrams = NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>

    let address: String
    private let zone: ClusterDNSZone
    private let upstreams: [String]
    private let logger: Logger
    private let channel: Datagrams

    /// Binds port 53 of `address` (root, or CAP_NET_BIND_SERVICE); `run()` then serves.
    static func bind(address: String, zone: ClusterDNSZone, upstreams: [String], logger: Logger) async throws -> ClusterDNS {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: address, port: 53) { channel in
                channel.eventLoop.makeCompletedFuture { try Datagrams(wrappingChannelSynchronously: channel) }
            }
        return ClusterDNS(address: address, zone: zone, upstreams: upstreams.filter { $0 != address }, logger: logger, channel: channel)
    }

    private init(address: String, zone: ClusterDNSZone, upstreams: [String], logger: Logger, channel: Datagrams) {
        self.address = address
        self.zone = zone
        self.upstreams = upstreams
        self.logger = logger
        self.channel = channel
    }

    /// The nameservers of a resolver file (`nameserver 1.2.3.4` lines).
    static func nameservers(resolvConf text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return fields.count >= 2 && fields[0] == "nameserver" ? String(fields[1]) : nil
        }
    }

    /// Serves until cancelled.
    func run() async throws {
        logger.info("cluster DNS serving", metadata: ["address": "\(address)"])
        try await withTaskCancellationHandler {
            try await channel.executeThenClose { inbound, outbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await envelope in inbound {
                        group.addTask {
                            guard let reply = await self.reply(to: Array(buffer: envelope.data)) else { return }
                            try? await outbound.write(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply)))
                        }
                    }
                }
            }
        } onCancel: {
            channel.channel.close(promise: nil)
        }
    }

    /// The answer to one query message; nil for what is not a query.
    func reply(to message: [UInt8]) async -> [UInt8]? {
        guard let query = DNSQuery(message) else { return nil }
        switch zone.answer(name: query.name, type: query.type) {
        case .addresses(let addresses):
            return query.response(code: .noError, addresses: addresses.compactMap(ClusterDNSZone.octets))
        case .noData:
            return query.response(code: .noError)
        case .nonexistent:
            return query.response(code: .nameError)
        case .notInZone:
            for upstream in upstreams {
                if let answer = await Self.relay(message, to: upstream) { return answer }
            }
            return query.response(code: .serverFailure)
        }
    }

    /// Asks another resolver; nil when it does not answer within two seconds.
    private static func relay(_ message: [UInt8], to upstream: String) async -> [UInt8]? {
        guard let remote = try? SocketAddress(ipAddress: upstream, port: 53) else { return nil }
        do {
            let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(to: remote) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: message)))
                return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                    group.addTask {
                        for try await envelope in inbound { return Array(buffer: envelope.data) }
                        return nil
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(2))
                        return nil
                    }
                    let first = try await group.next() ?? nil
                    group.cancelAll()
                    return first
                }
            }
        } catch {
            return nil
        }
    }
}
