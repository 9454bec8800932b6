import KubernetesClient
import NIOCore

/// The `channel.k8s.io` framing of `exec` and `attach`: each binary message starts with the
/// number of the stream it carries. 0 stdin, 1 stdout, 2 stderr, 3 the error stream (one
/// `Status` at the end: how the command ended), 4 terminal resizes (`{"Width":W,"Height":H}`);
/// in `v5` the client closes a stream with a message on 255 that names it (its stdin: EOF).
enum ExecChannel {
    enum Version: String, CaseIterable, Sendable {
        case v5 = "v5.channel.k8s.io"
        case v4 = "v4.channel.k8s.io"
    }

    static let stdin: UInt8 = 0
    static let stdout: UInt8 = 1
    static let stderr: UInt8 = 2
    static let error: UInt8 = 3
    static let resize: UInt8 = 4
    static let close: UInt8 = 255

    /// What a client sent, read from one message.
    enum Inbound: Equatable {
        case input([UInt8])
        case closeInput
        case resize(width: UInt16, height: UInt16)
        case ignored
    }

    static func read(_ message: ByteBuffer, version: Version) -> Inbound {
        var message = message
        guard let stream = message.readInteger(as: UInt8.self) else { return .ignored }
        switch stream {
        case stdin:
            return .input(message.readBytes(length: message.readableBytes) ?? [])
        case close where version == .v5:
            return message.readInteger(as: UInt8.self) == stdin ? .closeInput : .ignored
        case resize:
            guard let size = try? JSONValue.parse(message.readString(length: message.readableBytes) ?? ""),
                let width = size["Width"]?.intValue, let height = size["Height"]?.intValue
            else { return .ignored }
            return .resize(width: UInt16(clamping: width), height: UInt16(clamping: height))
        default:
            return .ignored
        }
    }

    /// `bytes` on stream `stream`.
    static func frame(_ stream: UInt8, _ bytes: ByteBuffer) -> ByteBuffer {
        var framed = ByteBuffer()
        framed.reserveCapacity(bytes.readableBytes + 1)
        framed.writeInteger(stream)
        framed.writeImmutableBuffer(bytes)
        return framed
    }

    /// The `Status` that ends an exec on the error stream, as the kubelet writes it: success, or
    /// the exit code in a cause that kubectl turns into its own exit code.
    static func exitStatus(_ code: Int32) -> JSONValue {
        guard code != 0 else { return ["metadata": [:], "status": "Success"] }
        return [
            "metadata": [:], "status": "Failure", "reason": "NonZeroExitCode",
            "message": .string("command terminated with non-zero exit code: error executing command, exit code \(code)"),
            "details": ["causes": [["reason": "ExitCode", "message": .string(String(code))]]],
        ]
    }

    /// A command that could not be run at all.
    static func failureStatus(_ message: String) -> JSONValue {
        ["metadata": [:], "status": "Failure", "reason": "InternalError", "message": .string(message), "code": 500]
    }
}
