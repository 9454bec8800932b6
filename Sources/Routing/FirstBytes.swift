import NIOCore

/// What a connection speaks, told from the first bytes its client sends: an HTTP/1 request line,
/// HTTP/2 without TLS (its connection preface), or anything else (TLS, a database's protocol),
/// which the router passes on untouched.
enum FirstBytes: Equatable {
    case http1
    case http2
    case other
    /// Not enough bytes yet to tell.
    case undecided

    /// The longest request line the router waits for before calling a connection not HTTP.
    static let requestLineLimit = 8192

    static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    static func classify(_ bytes: ByteBufferView) -> FirstBytes {
        guard let first = bytes.first else { return .undecided }
        guard isTokenCharacter(first) else { return .other }
        let prefix = bytes.prefix(http2Preface.count)
        if prefix.elementsEqual(http2Preface.prefix(prefix.count)) {
            return prefix.count == http2Preface.count ? .http2 : .undecided
        }
        guard let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) else {
            return bytes.count >= requestLineLimit ? .other : (bytes.allSatisfy(isRequestLineCharacter) ? .undecided : .other)
        }
        // METHOD SP TARGET SP HTTP/1.x CRLF
        var line = bytes[bytes.startIndex..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard words.count == 3, words[0].allSatisfy(isTokenCharacter), !words[1].isEmpty,
            words[2].starts(with: Array("HTTP/1.".utf8)), words[2].count == 8
        else { return .other }
        return .http1
    }

    /// What a server sent before its client spoke: the start of an HTTP/2 server's preface (a
    /// SETTINGS frame, type 4, on stream 0, whose length is a multiple of 6), which every HTTP/2
    /// server sends at once; nil while fewer than its 9 header bytes came and those fit.
    static func isHTTP2ServerPreface(_ bytes: ByteBufferView) -> Bool? {
        let header = Array(bytes.prefix(9))
        let expected: [Int: (UInt8) -> Bool] = [3: { $0 == 4 }, 5: { $0 == 0 }, 6: { $0 == 0 }, 7: { $0 == 0 }, 8: { $0 == 0 }]
        for (index, byte) in header.enumerated() where expected[index].map({ !$0(byte) }) ?? false { return false }
        guard header.count == 9 else { return nil }
        let length = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
        return length % 6 == 0
    }

    /// A method's characters (upper-case letters, as every method in use is written).
    private static func isTokenCharacter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    private static func isRequestLineCharacter(_ byte: UInt8) -> Bool {
        (0x20...0x7e).contains(byte) || byte == UInt8(ascii: "\r")
    }
}
