import NIOCore
import NIOEmbedded
import Testing

@testable import BridgeTunnel

/// What a byte connection's socket would see, at the head of an `EmbeddedChannel` (which closes
/// fully on any close): the reads asked for, the closes asked for by mode (an output close is
/// recorded and not passed on, as a socket would keep reading), and, when told to, writes whose
/// completion waits until `complete()`, as a socket's wait for a peer that does not read.
private final class SocketSide: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = Any

    var reads = 0
    var closes: [CloseMode] = []
    var holdWrites = false
    private var pending: [EventLoopPromise<Void>] = []

    func read(context: ChannelHandlerContext) {
        reads += 1
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard holdWrites else {
            context.write(data, promise: promise)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        pending.append(written)
        context.write(data, promise: nil)
        if let promise { written.futureResult.cascade(to: promise) }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        closes.append(mode)
        guard mode == .all else {
            promise?.succeed(())
            return
        }
        context.close(mode: mode, promise: promise)
    }

    /// The held writes are out.
    func complete() {
        let done = pending
        pending = []
        for promise in done { promise.succeed(()) }
    }
}

/// A byte channel as a relay's end sees it: the socket side at the head, `handler` after it.
private func byteChannel(_ handler: any ChannelHandler) throws -> (EmbeddedChannel, SocketSide) {
    let socket = SocketSide()
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(socket)
    try channel.pipeline.syncOperations.addHandler(handler)
    try channel.connect(to: try anyAddress()).wait()
    return (channel, socket)
}

/// Where an `EmbeddedChannel` "connects" to become active (it goes nowhere).
private func anyAddress() throws -> SocketAddress { try SocketAddress(ipAddress: "127.0.0.1", port: 1) }

private func text(_ buffer: ByteBuffer?) -> String? { buffer.map { String(buffer: $0) } }

/// `RelayEnd` alone: two `EmbeddedChannel`s joined as a relay joins a caller and a tunnel stream.
@Suite struct RelayEndTests {
    private func relay() throws -> (a: EmbeddedChannel, aSocket: SocketSide, b: EmbeddedChannel, bSocket: SocketSide) {
        let first = EmbeddedChannel()
        let second = EmbeddedChannel()
        let (one, other) = RelayEnd.pair(first, second)
        let (aSocket, bSocket) = (SocketSide(), SocketSide())
        try first.pipeline.syncOperations.addHandler(aSocket)
        try first.pipeline.syncOperations.addHandler(one)
        try second.pipeline.syncOperations.addHandler(bSocket)
        try second.pipeline.syncOperations.addHandler(other)
        try first.connect(to: try anyAddress()).wait()
        try second.connect(to: try anyAddress()).wait()
        return (first, aSocket, second, bSocket)
    }

    @Test func whatOneSideReadsTheOtherWritesAndFlushesInOrder() throws {
        let (a, _, b, _) = try relay()
        try a.writeInbound(ByteBuffer(string: "one "))
        try a.writeInbound(ByteBuffer(string: "two"))
        #expect(text(try b.readOutbound(as: ByteBuffer.self)) == "one ")
        #expect(text(try b.readOutbound(as: ByteBuffer.self)) == "two")
        try b.writeInbound(ByteBuffer(string: "answer"))
        #expect(text(try a.readOutbound(as: ByteBuffer.self)) == "answer")
    }

    @Test func aSideReadsOnlyWhileThePartnerCanTakeMore() throws {
        let (a, aSocket, b, _) = try relay()
        b.isWritable = false
        b.pipeline.fireChannelWritabilityChanged()
        a.read()
        #expect(aSocket.reads == 0, "no read while the partner's buffer is full")
        b.isWritable = true
        b.pipeline.fireChannelWritabilityChanged()
        #expect(aSocket.reads == 1, "the held read goes out once the partner drained")
        a.read()
        #expect(aSocket.reads == 2)
    }

    @Test func anInputsEndEndsThePartnersOutputAndBothEndsCloseBoth() throws {
        let (a, aSocket, b, bSocket) = try relay()
        a.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(bSocket.closes == [.output], "the partner's output ends, its input stays open")
        #expect(aSocket.closes.isEmpty && a.isActive && b.isActive)
        try b.writeInbound(ByteBuffer(string: "late answer"))
        #expect(text(try a.readOutbound(as: ByteBuffer.self)) == "late answer", "the other way still carries")
        b.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(aSocket.closes == [.output, .all])
        #expect(bSocket.closes == [.output, .all])
        #expect(!a.isActive && !b.isActive)
    }

    @Test func aSideThatClosesEndsThePartnersOutputThenClosesIt() throws {
        let (a, aSocket, b, bSocket) = try relay()
        try a.writeInbound(ByteBuffer(string: "last words"))
        _ = try a.finish()
        #expect(text(try b.readOutbound(as: ByteBuffer.self)) == "last words")
        #expect(bSocket.closes == [.output, .all], "what was queued goes first: output, then the whole")
        #expect(aSocket.closes == [.all], "nothing more is asked of the closed side")
        #expect(!b.isActive)
    }

    @Test func aFailingSideIsClosedAndSoIsThePartner() throws {
        let (a, aSocket, b, bSocket) = try relay()
        struct Reset: Error {}
        a.pipeline.fireErrorCaught(Reset())
        #expect(aSocket.closes == [.all])
        #expect(bSocket.closes == [.output, .all])
        #expect(!a.isActive && !b.isActive)
    }
}

/// `DrainingClose` alone: closes wait for what was written before them.
@Suite struct DrainingCloseTests {
    @Test func anOutputCloseWaitsForTheWritesBeforeIt() throws {
        let (channel, socket) = try byteChannel(DrainingClose())
        socket.holdWrites = true
        channel.writeAndFlush(ByteBuffer(string: "a large answer"), promise: nil)
        let closed = channel.close(mode: .output)
        #expect(socket.closes.isEmpty, "held while the answer is still queued")
        socket.complete()
        channel.embeddedEventLoop.run()
        #expect(socket.closes == [.output])
        try closed.wait()
        #expect(text(try channel.readOutbound(as: ByteBuffer.self)) == "a large answer")
    }

    @Test func aFullCloseAfterAnOutputCloseWaitsForIt() throws {
        let (channel, socket) = try byteChannel(DrainingClose())
        socket.holdWrites = true
        channel.writeAndFlush(ByteBuffer(string: "queued"), promise: nil)
        _ = channel.close(mode: .output)
        let closed = channel.close(mode: .all)
        #expect(socket.closes.isEmpty && channel.isActive, "the full close waits too")
        socket.complete()
        channel.embeddedEventLoop.run()
        #expect(socket.closes == [.output, .all])
        try closed.wait()
        #expect(!channel.isActive)
    }

    @Test func aFullCloseAloneGoesAtOnce() throws {
        let (channel, socket) = try byteChannel(DrainingClose())
        try channel.close().wait()
        #expect(socket.closes == [.all])
    }

    @Test func abandonClosesAtOnceWhateverIsQueued() throws {
        let (channel, socket) = try byteChannel(DrainingClose())
        socket.holdWrites = true
        channel.writeAndFlush(ByteBuffer(string: "never read"), promise: nil)
        _ = channel.close(mode: .output)
        try channel.pipeline.triggerUserOutboundEvent(DrainingClose.Abandon()).wait()
        #expect(socket.closes == [.all])
        #expect(!channel.isActive)
    }
}

/// `HeldInput` alone: what arrives before the reader is in place is kept, then passed on.
@Suite struct HeldInputTests {
    /// What reaches the reader after the handler: bytes and events, in order.
    private final class Reader: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var seen: [String] = []

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            seen.append(String(buffer: unwrapInboundIn(data)))
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, case .inputClosed = event { seen.append("<input closed>") }
        }
    }

    @Test func bytesAndTheInputsEndAreHeldThenPassedOnInOrder() throws {
        let held = HeldInput()
        let (channel, socket) = try byteChannel(held)
        let reader = Reader()
        try channel.pipeline.syncOperations.addHandler(reader)
        try channel.writeInbound(ByteBuffer(string: "early"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(reader.seen.isEmpty, "nothing passes before the reader is in place")
        channel.read()
        #expect(socket.reads == 0, "no more is asked for while something is held")
        held.release()
        #expect(reader.seen == ["early", "<input closed>"])
        #expect(socket.reads == 1, "the read asked for meanwhile goes out")
        #expect((try? channel.pipeline.syncOperations.handler(type: HeldInput.self)) == nil, "it leaves the pipeline")
    }

    @Test func withNothingHeldReadsPassThrough() throws {
        let (channel, socket) = try byteChannel(HeldInput())
        channel.read()
        #expect(socket.reads == 1)
    }
}
