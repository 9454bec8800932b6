/// The few parts of a DNS message (RFC 1035) a cluster resolver needs: the question of a query,
/// and an answer built from it with A records.
struct DNSQuery: Equatable {
    enum RecordType: Equatable {
        case a, aaaa, other(UInt16)

        init(_ code: UInt16) {
            switch code {
            case 1: self = .a
            case 28: self = .aaaa
            default: self = .other(code)
            }
        }
    }

    var id: UInt16
    /// Whether the client asked for recursion (copied into the answer).
    var recursionDesired: Bool
    /// Lower-cased, without the trailing dot.
    var name: String
    var type: RecordType
    /// The question section as it came, echoed in the answer.
    var questionBytes: [UInt8]

    /// Reads a standard query with one question; nil for anything else.
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 12 else { return nil }
        let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        let isResponse = flags & 0x8000 != 0
        let opcode = (flags >> 11) & 0xF
        let questions = UInt16(bytes[4]) << 8 | UInt16(bytes[5])
        guard !isResponse, opcode == 0, questions == 1 else { return nil }
        var index = 12
        var labels: [String] = []
        while true {
            guard index < bytes.count else { return nil }
            let length = Int(bytes[index])
            index += 1
            if length == 0 { break }
            guard length < 64, index + length <= bytes.count else { return nil }
            labels.append(String(decoding: bytes[index..<index + length], as: UTF8.self).lowercased())
            index += length
        }
        guard index + 4 <= bytes.count else { return nil }
        let type = UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1])
        id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        recursionDesired = flags & 0x0100 != 0
        name = labels.joined(separator: ".")
        self.type = RecordType(type)
        questionBytes = Array(bytes[12..<index + 4])
    }

    enum ResponseCode: UInt8 {
        case noError = 0, serverFailure = 2, nameError = 3
    }

    /// The answer: `addresses` as A records (TTL `ttl`) pointing at the question's name.
    func response(code: ResponseCode, addresses: [[UInt8]] = [], ttl: UInt32 = 5) -> [UInt8] {
        // QR, opcode 0, AA (the cluster zone is ours), RD as asked, RA.
        let flags: UInt16 = 0x8000 | 0x0400 | (recursionDesired ? 0x0100 : 0) | 0x0080 | UInt16(code.rawValue)
        var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF), 0, 1]
        bytes += [UInt8(addresses.count >> 8), UInt8(addresses.count & 0xFF), 0, 0, 0, 0]
        bytes += questionBytes
        for address in addresses {
            // Name: a pointer to the question's name at offset 12; type A, class IN.
            bytes += [0xC0, 0x0C, 0, 1, 0, 1]
            bytes += [UInt8(ttl >> 24), UInt8((ttl >> 16) & 0xFF), UInt8((ttl >> 8) & 0xFF), UInt8(ttl & 0xFF)]
            bytes += [0, UInt8(address.count)] + address
        }
        return bytes
    }
}
