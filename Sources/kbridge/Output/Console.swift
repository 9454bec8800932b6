import Foundation
import KubernetesClient

/// The CLI's only way to speak: lines for a person, or one JSON event per line for IDEs and scripts.
struct Console: Sendable {
    let format: OutputFormat

    /// A progress step ("waiting for the agent pod").
    func step(_ message: String, event: String = "progress", fields: [String: JSONValue] = [:]) {
        switch format {
        case .text:
            FileHandle.standardError.write(Data("\(message)\n".utf8))
        case .json:
            emit(event, message: message, fields: fields)
        }
    }

    /// A result: text for a person, or the same facts as one JSON event.
    func result(_ text: String, event: String, fields: [String: JSONValue]) {
        switch format {
        case .text:
            FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
        case .json:
            emit(event, message: nil, fields: fields)
        }
    }

    /// A warning: on stderr as text, or a `warning` event.
    func warning(_ message: String) {
        step("warning: \(message)", event: "warning")
    }

    /// An error, on stderr as text, or as an `error` event on stdout.
    func failure(_ message: String) {
        switch format {
        case .text:
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        case .json:
            emit("error", message: message, fields: [:])
        }
    }

    private func emit(_ event: String, message: String?, fields: [String: JSONValue]) {
        var object = fields
        object["event"] = .string(event)
        if let message { object["message"] = .string(message) }
        FileHandle.standardOutput.write(Data((JSONValue.object(object).jsonString + "\n").utf8))
    }
}

import BridgeSession

extension Console {
    /// A session's event: progress and warnings on stderr as text, or one JSON event each.
    func event(_ event: SessionEvent) {
        switch event.kind {
        case .warning: step("warning: \(event.message)", event: "warning", fields: event.fields)
        default: step(event.message, event: event.kind.rawValue, fields: event.fields)
        }
    }
}
