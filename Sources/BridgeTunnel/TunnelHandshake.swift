import Crypto
import NIOCore

/// Mutual proof of the session secret at the start of every carrier connection, before HTTP/2.
///
/// The agent's ports are reachable by the whole cluster network, so nothing is given to a peer
/// until it has proven it holds the session secret, and the secret itself never travels:
///
/// ```
/// agent → CLI   magic · nonceA (32 random bytes)
/// CLI → agent   magic · nonceC · HMAC-SHA256(secret, "kbridge cli"   · purpose · nonceA · nonceC)
/// agent → CLI                    HMAC-SHA256(secret, "kbridge agent" · purpose · nonceA · nonceC)
/// ```
/// A fresh `nonceA` per connection makes a captured exchange worthless on another connection, a
/// fresh `nonceC` does the same for the agent's answer, and `purpose` ("control", "inbound") keeps
/// a proof for one port from opening the other. A peer that sends a wrong proof, garbage or nothing
/// in time is closed without an answer. Confidentiality comes from the path: the CLI reaches the
/// agent only through the API server's and the kubelet's TLS port-forward, which ends on the pod's
/// own loopback.
public enum TunnelHandshake {
    /// Which end of the handshake this is.
    public enum Side: Sendable {
        /// The agent: it accepted the connection, speaks first and checks the CLI's proof.
        case agent
        /// The CLI: it opened the connection (a port-forward) and proves first.
        case cli
    }

    /// What a carrier connection is for; part of every proof.
    public enum Purpose: String, Sendable {
        /// CLI → agent streams (outbound connections, the environment report).
        case control
        /// Agent → CLI streams (the cluster's connections to the service's ports).
        case inbound
    }

    static let magic = Array("kbridge1".utf8)
    static let nonceSize = 32
    static let proofSize = 32
    /// How long a peer has to complete the handshake.
    public static let deadline = TimeAmount.seconds(10)

    static func proof(of side: Side, secret: String, purpose: Purpose, agentNonce: [UInt8], cliNonce: [UInt8]) -> [UInt8] {
        var message = Array((side == .agent ? "kbridge agent" : "kbridge cli").utf8)
        message += Array(purpose.rawValue.utf8) + agentNonce + cliNonce
        let key = SymmetricKey(data: Array(secret.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
    }

    static func randomNonce() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<nonceSize).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// Constant-time comparison of two proofs.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// Why a carrier connection was not authenticated.
public enum TunnelHandshakeError: Error, Equatable, CustomStringConvertible {
    /// The peer closed the connection before sending anything: a TCP probe, such as the kubelet's.
    case closedSilently
    /// The peer sent something that is not a kbridge handshake.
    case notAHandshake
    /// The peer's proof did not match: it does not hold the session secret (or replayed an old exchange).
    case wrongProof
    /// The peer closed the connection in the middle of the handshake.
    case closedDuringHandshake
    /// The peer did not complete the handshake within `TunnelHandshake.deadline`.
    case timedOut

    public var description: String {
        switch self {
        case .closedSilently: return "closed the connection without sending anything"
        case .notAHandshake: return "sent something that is not a kbridge handshake"
        case .wrongProof: return "did not prove it holds the session secret"
        case .closedDuringHandshake: return "closed the connection during the handshake"
        case .timedOut: return "did not complete the handshake within \(TunnelHandshake.deadline.nanoseconds / 1_000_000_000) s"
        }
    }
}

/// Runs one side of `TunnelHandshake` at the front of a channel's pipeline. Bytes that arrive
/// after the handshake are held until `release()`, once the next protocol's handlers are in place.
final class TunnelHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        case awaitingPeer
        case authenticated
        case failed
    }

    private let side: TunnelHandshake.Side
    private let secret: String
    private let purpose: TunnelHandshake.Purpose
    let authenticated: EventLoopPromise<Void>
    private var state = State.awaitingPeer
    private var received = ByteBuffer()
    private var receivedAnything = false
    private var agentNonce: [UInt8] = []
    private var cliNonce: [UInt8] = []
    private var timeout: Scheduled<Void>?
    private var context: ChannelHandlerContext?

    init(side: TunnelHandshake.Side, secret: String, purpose: TunnelHandshake.Purpose, authenticated: EventLoopPromise<Void>) {
        self.side = side
        self.secret = secret
        self.purpose = purpose
        self.authenticated = authenticated
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: TunnelHandshake.deadline) { loopBound.value.fail(.timedOut) }
        // A connection that closed before this handler was in place sends no channelInactive.
        context.channel.closeFuture.whenComplete { _ in
            let handler = loopBound.value
            handler.fail(handler.receivedAnything ? .closedDuringHandshake : .closedSilently)
        }
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard side == .agent, agentNonce.isEmpty else { return }
        agentNonce = TunnelHandshake.randomNonce()
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: TunnelHandshake.magic + agentNonce)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        receivedAnything = receivedAnything || bytes.readableBytes > 0
        received.writeBuffer(&bytes)
        guard state == .awaitingPeer else { return }
        switch side {
        case .agent: checkCLIProof(context: context)
        case .cli: answerAgent(context: context)
        }
    }

    /// The agent's side: reads the CLI's nonce and proof, answers with its own proof.
    private func checkCLIProof(context: ChannelHandlerContext) {
        let expected = TunnelHandshake.magic.count + TunnelHandshake.nonceSize + TunnelHandshake.proofSize
        guard startsWithMagic() else { return fail(.notAHandshake) }
        guard received.readableBytes >= expected else { return }
        _ = received.readBytes(length: TunnelHandshake.magic.count)
        cliNonce = received.readBytes(length: TunnelHandshake.nonceSize) ?? []
        let proof = received.readBytes(length: TunnelHandshake.proofSize) ?? []
        let wanted = TunnelHandshake.proof(of: .cli, secret: secret, purpose: purpose, agentNonce: agentNonce, cliNonce: cliNonce)
        guard TunnelHandshake.equal(proof, wanted) else { return fail(.wrongProof) }
        let answer = TunnelHandshake.proof(of: .agent, secret: secret, purpose: purpose, agentNonce: agentNonce, cliNonce: cliNonce)
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: answer)), promise: nil)
        succeed()
    }

    /// The CLI's side: answers the agent's challenge, then checks the agent's proof.
    private func answerAgent(context: ChannelHandlerContext) {
        if agentNonce.isEmpty {
            guard startsWithMagic() else { return fail(.notAHandshake) }
            guard received.readableBytes >= TunnelHandshake.magic.count + TunnelHandshake.nonceSize else { return }
            _ = received.readBytes(length: TunnelHandshake.magic.count)
            agentNonce = received.readBytes(length: TunnelHandshake.nonceSize) ?? []
            cliNonce = TunnelHandshake.randomNonce()
            let proof = TunnelHandshake.proof(of: .cli, secret: secret, purpose: purpose, agentNonce: agentNonce, cliNonce: cliNonce)
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: TunnelHandshake.magic + cliNonce + proof)), promise: nil)
        }
        guard received.readableBytes >= TunnelHandshake.proofSize else { return }
        let proof = received.readBytes(length: TunnelHandshake.proofSize) ?? []
        let wanted = TunnelHandshake.proof(of: .agent, secret: secret, purpose: purpose, agentNonce: agentNonce, cliNonce: cliNonce)
        guard TunnelHandshake.equal(proof, wanted) else { return fail(.wrongProof) }
        succeed()
    }

    /// Whether what arrived so far is (the beginning of) the magic.
    private func startsWithMagic() -> Bool {
        let count = min(received.readableBytes, TunnelHandshake.magic.count)
        return received.getBytes(at: received.readerIndex, length: count) == Array(TunnelHandshake.magic.prefix(count))
    }

    private func succeed() {
        guard state == .awaitingPeer else { return }
        state = .authenticated
        timeout?.cancel()
        authenticated.succeed()
    }

    private func fail(_ error: TunnelHandshakeError) {
        guard state == .awaitingPeer else { return }
        state = .failed
        timeout?.cancel()
        authenticated.fail(error)
        context?.close(promise: nil)
    }

    /// Passes on what arrived after the handshake and leaves the pipeline. Call on the event loop,
    /// once the handlers that read the next protocol are in place.
    func release() {
        guard let context, state == .authenticated else { return }
        if received.readableBytes > 0 {
            context.fireChannelRead(wrapInboundOut(received))
            // HTTP/2 acts on what it read (and answers SETTINGS) at the end of a read.
            context.fireChannelReadComplete()
        }
        received = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(receivedAnything ? .closedDuringHandshake : .closedSilently)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(receivedAnything ? .closedDuringHandshake : .closedSilently)
        context.fireErrorCaught(error)
    }

    /// Removed before the handshake ended (the pipeline torn down): it fails, so that whoever waits
    /// for it is answered.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        fail(receivedAnything ? .closedDuringHandshake : .closedSilently)
    }
}
