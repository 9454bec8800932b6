import CZlib

/// SPDY/3's header blocks: name/value pairs (`UInt32` count, then each name and value with a
/// `UInt32` length), compressed by one zlib stream per direction and connection, primed with
/// the protocol's dictionary.
enum SPDYHeaderBlock {
    static func encode(_ headers: [(name: String, value: String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        func append(_ value: UInt32) { bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }
        append(UInt32(headers.count))
        for (name, value) in headers {
            append(UInt32(name.utf8.count))
            bytes += Array(name.utf8)
            append(UInt32(value.utf8.count))
            bytes += Array(value.utf8)
        }
        return bytes
    }

    /// The pairs of an uncompressed block; names as sent (SPDY/3 sends them lower-case).
    static func decode(_ bytes: [UInt8]) -> [(name: String, value: String)]? {
        var offset = 0
        func next() -> UInt32? {
            guard offset + 4 <= bytes.count else { return nil }
            defer { offset += 4 }
            return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        func string() -> String? {
            guard let length = next().map(Int.init), offset + length <= bytes.count else { return nil }
            defer { offset += length }
            return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
        }
        guard let count = next(), count <= 1024 else { return nil }
        var pairs: [(name: String, value: String)] = []
        for _ in 0..<count {
            guard let name = string(), let value = string() else { return nil }
            pairs.append((name, value))
        }
        return pairs
    }
}

/// One direction's zlib stream of SPDY/3 header blocks.
final class SPDYHeaderCompression {
    enum Failure: Error { case corrupt, outOfMemory }

    private let stream: OpaquePointer

    init(inflating: Bool) throws(Failure) {
        let dictionary = Self.dictionary
        guard let stream = dictionary.withUnsafeBufferPointer({ bytes in
            inflating ? kbridge_zlib_inflater(bytes.baseAddress, bytes.count) : kbridge_zlib_deflater(bytes.baseAddress, bytes.count)
        }) else { throw .outOfMemory }
        self.stream = stream
    }

    deinit { kbridge_zlib_free(stream) }

    func inflate(_ input: [UInt8]) throws(Failure) -> [UInt8] {
        try run(input) { stream, input, count, output, capacity in kbridge_zlib_inflate(stream, input, count, output, capacity) }
    }

    func deflate(_ input: [UInt8]) throws(Failure) -> [UInt8] {
        try run(input) { stream, input, count, output, capacity in kbridge_zlib_deflate(stream, input, count, output, capacity) }
    }

    private func run(
        _ input: [UInt8], _ step: (OpaquePointer, UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?, Int) -> Int
    ) throws(Failure) -> [UInt8] {
        // Header blocks are small; one that does not fit is refused (zlib has consumed input by
        // then, so a second try with more room would lose bytes).
        var output = [UInt8](repeating: 0, count: max(1 << 16, input.count * 16))
        let written = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in step(stream, source.baseAddress, source.count, target.baseAddress, target.count) }
        }
        guard written >= 0 else { throw .corrupt }
        return Array(output[..<written])
    }

    /// The dictionary of SPDY/3 (draft 3, section 2.6.10.1): header names and values, each
    /// with its length, then common status lines, dates and media types.
    static let dictionary: [UInt8] = {
        let names = [
            "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
            "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
            "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
            "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
            "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
            "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
            "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive",
            "origin",
        ]
        var bytes: [UInt8] = []
        for name in names {
            let count = UInt32(name.utf8.count)
            bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)] + Array(name.utf8)
        }
        let tail = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
            + "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
            + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
            + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,"
            + "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
        return bytes + Array(tail.utf8)
    }()
}
