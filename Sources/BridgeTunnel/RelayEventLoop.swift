import NIOCore
import NIOPosix

/// The one event loop a process relays on: its tunnel's carriers, the streams on them, and every
/// connection joined to a stream (the agent's service ports, the CLI's local listeners, the
/// connections they dial). A relay between channels of one loop passes bytes in place; across
/// loops every read becomes a task handed to another thread and a wake-up, which costs CPU per
/// round trip and latency. One core carries a session's relaying with room to spare (figures in
/// bench/README.md).
public enum RelayEventLoop {
    public static let shared: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
}
