import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Words for the ways a connection to a server fails ("connection refused", "certificate ...").
enum TransportFailure {
    static func describe(_ error: any Error) -> String {
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first {
                return describe(first.error)
            }
            return connection.dnsAError.map(describe) ?? "could not connect"
        }
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .handshakeFailed(let inner):
                return "TLS handshake failed (\(inner)): check the cluster's certificate-authority in the kubeconfig"
            default:
                return "TLS error: \(ssl)"
            }
        }
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout: return "connection timed out"
            case .deadlineExceeded: return "the request timed out"
            case .remoteConnectionClosed: return "the server closed the connection"
            default: return String(describing: client)
            }
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return "connection timed out"
            case .ioOnClosedChannel, .alreadyClosed, .eof: return "the connection was closed"
            default: return String(describing: channel)
            }
        }
        if let ws = error as? NIOSSLExtraError {
            return "TLS error: \(ws)"
        }
        return String(describing: error)
    }
}
