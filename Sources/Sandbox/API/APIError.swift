import KubernetesClient

/// An error answer of the API server: an HTTP code and the `Status` body a real server sends.
struct APIError: Error, Sendable {
    var status: APIStatus

    init(code: Int, reason: String, message: String, details: APIStatus.Details? = nil) {
        status = APIStatus(status: "Failure", message: message, reason: reason, details: details, code: code)
    }

    static func notFound(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 404, reason: "NotFound", message: "\(type.qualifiedName) \"\(name)\" not found",
            details: .init(name: name, group: type.group.isEmpty ? nil : type.group, kind: type.name)
        )
    }

    static func alreadyExists(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "AlreadyExists", message: "\(type.qualifiedName) \"\(name)\" already exists",
            details: .init(name: name, group: type.group.isEmpty ? nil : type.group, kind: type.name)
        )
    }

    static func conflict(_ type: ResourceType, _ name: String) -> APIError {
        APIError(
            code: 409, reason: "Conflict",
            message: "Operation cannot be fulfilled on \(type.qualifiedName) \"\(name)\": the object has been modified; please apply your changes to the latest version and try again",
            details: .init(name: name, group: type.group.isEmpty ? nil : type.group, kind: type.name)
        )
    }

    static func invalid(_ type: ResourceType, _ name: String, field: String, detail: String) -> APIError {
        let message = "Invalid value: \(detail)"
        return APIError(
            code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(field): \(message)",
            details: .init(name: name, group: type.group.isEmpty ? nil : type.group, kind: type.kind, causes: [.init(reason: "FieldValueInvalid", message: message, field: field)])
        )
    }

    static func required(_ type: ResourceType, _ name: String, field: String) -> APIError {
        APIError(
            code: 422, reason: "Invalid", message: "\(type.kind) \"\(name)\" is invalid: \(field): Required value",
            details: .init(name: name, group: type.group.isEmpty ? nil : type.group, kind: type.kind, causes: [.init(reason: "FieldValueRequired", message: "Required value", field: field)])
        )
    }

    /// A JSON patch whose `test` failed, exactly as a real server words it.
    static let patchTestFailed = APIError(code: 422, reason: "Invalid", message: "the server rejected our request due to an error in our request", details: .init())

    static func badRequest(_ message: String) -> APIError {
        APIError(code: 400, reason: "BadRequest", message: message)
    }

    static let unauthorized = APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    static func forbidden(user: String, verb: String, type: ResourceType, name: String? = nil, namespace: String?) -> APIError {
        let place = namespace.map { " in the namespace \"\($0)\"" } ?? " at the cluster scope"
        let object = name.map { "\(type.qualifiedName) \"\($0)\"" } ?? type.qualifiedName
        return APIError(
            code: 403, reason: "Forbidden",
            message: "\(object) is forbidden: User \"\(user)\" cannot \(verb) resource \"\(type.name)\" in API group \"\(type.group)\"\(place)",
            details: .init(name: name, group: type.group.isEmpty ? nil : type.group, kind: type.name)
        )
    }

    static func methodNotAllowed() -> APIError {
        APIError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
    }

    static func pathNotFound() -> APIError {
        APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
    }

    static func unsupportedMediaType(_ contentType: String) -> APIError {
        APIError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got \(contentType))")
    }

    static func gone(_ message: String) -> APIError {
        APIError(code: 410, reason: "Expired", message: message)
    }

    static func `internal`(_ message: String) -> APIError {
        APIError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)")
    }

    static func serviceUnavailable(_ message: String) -> APIError {
        APIError(code: 503, reason: "ServiceUnavailable", message: message)
    }
}
