/// A Kubernetes `Status` object, as the API returns it with every error.
public struct APIStatus: Codable, Sendable, Hashable {
    public struct Details: Codable, Sendable, Hashable {
        public struct Cause: Codable, Sendable, Hashable {
            public var reason: String?
            public var message: String?
            public var field: String?

            public init(reason: String?, message: String?, field: String?) {
                self.reason = reason
                self.message = message
                self.field = field
            }
        }
        public var name: String?
        public var group: String?
        public var kind: String?
        public var uid: String?
        public var causes: [Cause]?
        public var retryAfterSeconds: Int?

        public init(name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil, causes: [Cause]? = nil) {
            self.name = name
            self.group = group
            self.kind = kind
            self.uid = uid
            self.causes = causes
        }
    }

    public var kind: String = "Status"
    public var apiVersion: String = "v1"
    public var metadata: [String: String] = [:]
    public var status: String?
    public var message: String?
    public var reason: String?
    public var details: Details?
    public var code: Int

    public init(status: String, message: String?, reason: String?, details: Details?, code: Int) {
        self.status = status
        self.message = message
        self.reason = reason
        self.details = details
        self.code = code
    }

    enum CodingKeys: String, CodingKey {
        case kind, apiVersion, metadata, status, message, reason, details, code
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        status = try container.decodeIfPresent(String.self, forKey: .status)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        reason = try container.decodeIfPresent(String.self, forKey: .reason)
        details = try container.decodeIfPresent(Details.self, forKey: .details)
        code = try container.decodeIfPresent(Int.self, forKey: .code) ?? 0
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(apiVersion, forKey: .apiVersion)
        try container.encode(metadata, forKey: .metadata)
        try container.encodeIfPresent(status, forKey: .status)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(details, forKey: .details)
        try container.encode(code, forKey: .code)
    }
}
