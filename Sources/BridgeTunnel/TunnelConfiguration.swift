import NIOCore
import NIOHTTP2

/// How both ends of the tunnel set up HTTP/2, and the session secret both prove they hold
/// (`TunnelHandshake`) before the first stream.
///
/// The library's defaults are not enough for a tunnel (slower, and streams beyond the default
/// limit of concurrent streams wait silently), so windows, frame size, stream limit and write
/// watermarks are raised (figures in bench/README.md).
public struct TunnelConfiguration: Sendable {
    /// The secret of this session; it never travels, the handshake proves it.
    public var secret: String
    public var http2: NIOHTTP2Handler.Configuration
    /// How often each end pings the other, and how long it waits for an answer before it takes
    /// the carrier for dead (`CarrierHeartbeat`).
    public var heartbeatInterval: TimeAmount = .seconds(5)
    public var heartbeatTimeout: TimeAmount = .seconds(30)

    /// What one stream may have in flight unacknowledged, and so what an end holds of a stream
    /// whose reader has stopped (`memoryBound`), chosen against the CLI's 60 MB target. NIO grants
    /// more once half of it has been read, so about half of it is in flight per round trip.
    public static let streamWindow = 4 << 20
    /// What all streams together may have in flight; two streams at full speed still each get
    /// their window. It bounds no memory: NIO grants the connection's window back as frames
    /// arrive, not as streams read them.
    public static let connectionWindow = 8 << 20
    /// Streams that may end abruptly (reset) each second before the library takes the peer for an
    /// attacker and closes the connection: far above any service's churn (each limiter keeps
    /// room for this many timestamps).
    static let resetsPerSecond = 100_000

    public init(secret: String) {
        self.secret = secret
        var http2 = NIOHTTP2Handler.Configuration()
        http2.connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 8192),
            HTTP2Setting(parameter: .initialWindowSize, value: Self.streamWindow),
            HTTP2Setting(parameter: .maxFrameSize, value: 1 << 20),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 64 << 10),
        ]
        http2.connection.targetWindowSize = Self.connectionWindow
        http2.stream.targetWindowSize = Self.streamWindow
        http2.stream.outboundBufferSizeHighWatermark = 1 << 20
        http2.stream.outboundBufferSizeLowWatermark = 512 << 10
        // A reset stream is a tunnelled connection that ended abruptly: routine for a busy service.
        // The library's DoS limits (200 resets or "glitches" per 30 s, 32 remembered resets) would
        // tear the whole tunnel down under that churn (bench/README.md),
        // and only the two authenticated ends of a session speak on this connection. The reset
        // and error limits are raised by rate, not by count: each limiter allocates room for its
        // whole count up front (a count of 2^30 reserved 8 GiB of address space per limiter,
        // 32 GiB for the CLI's two connections, seen with heaptrack; a system that does not
        // overcommit memory would refuse it).
        http2.connection.maximumRecentlyResetStreams = 8192
        http2.connection.maximumConnectionGlitches = 1 << 30
        http2.stream.streamResetFrameRateLimit.maximumCount = Self.resetsPerSecond
        http2.stream.streamResetFrameRateLimit.windowLength = .seconds(1)
        http2.stream.streamErrorRateLimit.maximumCount = Self.resetsPerSecond
        http2.stream.streamErrorRateLimit.windowLength = .seconds(1)
        self.http2 = http2
    }
}

extension TunnelConfiguration {
    /// The most tunnelled data one end holds at once with `streams` streams open, when the
    /// connections they are relayed to stop reading (a local process at a breakpoint, say): per
    /// stream, a window's worth handed on in one read to a connection that was still writable
    /// (NIO delivers all a stream holds at once), a second window arriving meanwhile, and the
    /// stream's outbound buffer before its writer is told to wait. (The connection's window is no
    /// bound: NIO grants it back as frames arrive.)
    public func memoryBound(streams: Int) -> Int {
        streams * (2 * http2.stream.targetWindowSize + http2.stream.outboundBufferSizeHighWatermark)
    }
}

/// Why a tunnel stream could not be opened.
public enum TunnelError: Error, Equatable, CustomStringConvertible {
    /// The other end answered with this HTTP status (400: a target it does not know; 502: it could not reach the target).
    case refused(status: String, target: String)
    /// The stream ended before the other end answered.
    case closedBeforeAnswer(target: String)

    public var description: String {
        switch self {
        case .refused(let status, let target):
            switch status {
            case "502": return "the other end of the tunnel could not reach \(target)"
            default: return "the tunnel refused the stream to \(target) (status \(status))"
            }
        case .closedBeforeAnswer(let target):
            return "the tunnel closed the stream to \(target) before answering"
        }
    }
}
