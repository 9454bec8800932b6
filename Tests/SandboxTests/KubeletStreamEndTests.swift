import Foundation
import KubernetesClient
import SandboxTesting
import Testing

/// The kubelet ends a streaming WebSocket only once its peer answered the close: a fast command's
/// last frames and the connection's end, sent together right behind the 101, are lost by the API
/// server's WebSocket client (swift-nio's client upgrade drops leftover bytes once the input has
/// ended), and kubectl then waits for ever.
@Suite struct KubeletStreamEndTests {
    /// Speaks to the kubelet as the API server does (TLS, WebSocket, `v5.channel.k8s.io`): runs
    /// `exec` of COMMAND, reads to the close frame, then says whether the kubelet ended the
    /// connection before the close was answered ("ended early") or waited ("waited"), and the
    /// status the error stream carried.
    static let client = """
        import base64, os, socket, ssl, sys
        host, port, path, certificate, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); context.check_hostname = False; context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(certificate, key)
        s = context.wrap_socket(socket.create_connection((host, port), timeout=10), server_hostname="kubelet")
        key = base64.b64encode(os.urandom(16)).decode()
        s.sendall(("GET %s HTTP/1.1\\r\\nHost: kubelet\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Key: %s\\r\\n"
                   "Sec-WebSocket-Version: 13\\r\\nSec-WebSocket-Protocol: v5.channel.k8s.io\\r\\n\\r\\n" % (path, key)).encode())
        data = b""
        while b"\\r\\n\\r\\n" not in data:
            data += s.recv(65536)
        head, data = data.split(b"\\r\\n\\r\\n", 1)
        assert b" 101 " in head.split(b"\\r\\n")[0], head
        status, closed = b"", False
        def frame_size(data):
            if len(data) < 2: return None
            length, start = data[1] & 0x7f, 2
            if length == 126:
                if len(data) < 4: return None
                length, start = int.from_bytes(data[2:4], "big"), 4
            return (start, length) if len(data) >= start + length else None
        while not closed:
            while frame_size(data) is None:
                more = s.recv(65536)
                if not more: print("ended before its close frame"); sys.exit(0)
                data += more
            start, length = frame_size(data)
            opcode = data[0] & 0x0f
            payload, data = data[start:start + length], data[start + length:]
            if opcode == 2 and payload[:1] == b"\\x03": status += payload[1:]
            closed = opcode == 8
        s.settimeout(1)
        try:
            ended = s.recv(65536) == b""
        except (socket.timeout, ssl.SSLError):
            ended = False
        print("ended early" if ended else "waited", status.decode())
        s.sendall(bytes([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]))
        """

    @Test(arguments: ["no-such-command-kbridge", "true"])
    func execEndsTheConnectionOnlyOnceTheCloseIsAnswered(command: String) async throws {
        try await withStorefront { storefront in
            let pods = try await storefront.client.list(Pod.self, options: ListOptions(labelSelector: "component=inventory"))
            let pod = try #require(pods.first?.metadata.name)
            let node = try await storefront.client.getRaw(.nodes, name: try #require(pods.first?.spec.nodeName))
            let host = try #require(node[path: "status", "addresses"]?.arrayValue?.first?["address"]?.stringValue)
            let port = try #require(node[path: "status", "daemonEndpoints", "kubeletEndpoint", "Port"]?.intValue)
            // The API server's client certificate for kubelets, from the sandbox's credentials.
            let folder = URL(fileURLWithPath: storefront.kubeconfigPath).deletingLastPathComponent()
            let credentials = try JSONValue.parse(Data(contentsOf: folder.appendingPathComponent("pki/credentials.json")))
            let certificate = folder.appendingPathComponent("kubelet-client-test.crt").path
            let key = folder.appendingPathComponent("kubelet-client-test.key").path
            try Data((credentials[path: "kubeletClient", "certificatePEM"]?.stringValue ?? "").utf8).write(to: URL(fileURLWithPath: certificate))
            try Data((credentials[path: "kubeletClient", "keyPEM"]?.stringValue ?? "").utf8).write(to: URL(fileURLWithPath: key))
            let path = "/exec/\(storefront.namespace)/\(pod)/inventory?command=\(command)&stdout=1&stderr=1"
            let result = try await Tools.run(try #require(Tools.locate("python3")), ["-c", Self.client, host, String(port), path, certificate, key])
            #expect(result.stdout.hasPrefix("waited"), "the kubelet waited for the close to be answered: \(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains(command == "true" ? "Success" : "Failure"), "the status came first: \(result.stdout)")
        }
    }
}
