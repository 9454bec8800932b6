import Foundation

/// Azure Dev Spaces' `azds-local.env` (the seeds' older form), read onto `LocalProcessConfig`:
///
/// ```
/// # comments and blank lines
/// WHITELIST_PATH=${volumes.whitelist}/whitelist
/// TOKEN_DIR=${volumes.default-token-*|/var/run/secrets/kubernetes.io/serviceaccount}
/// MYAPP1=${services.myapp1}
/// MYAPP2=${services.mynamespace.myapp2}
/// ```
///
/// `${volumes.NAME}` is `$(volumeMounts:NAME)`; `|/local/path` also downloads it there (a
/// `volumeMounts` entry); `${services.NAME}` and `${services.NAMESPACE.NAME}` are `$(services:...)`.
enum LegacyEnvFile {
    static func parse(_ text: String, file: String) throws(LocalProcessConfig.Problem) -> LocalProcessConfig {
        var config = LocalProcessConfig(file: file)
        var seen: Set<String> = []
        // Lines end in \n or \r\n (a file saved on Windows); "\r\n" is one Character to Swift.
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            let number = index + 1
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let indent = line.count - trimmed.count
            func place(_ offset: Int) -> ConfigPlace { ConfigPlace(file: file, line: number, column: indent + offset + 1) }
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw .init(place: place(0), message: "expected NAME=VALUE")
            }
            let name = String(trimmed[..<equals]).trimmingTrailingSpaces()
            guard LocalProcessConfig.isVariableName(name) else {
                throw .init(place: place(0), message: "\"\(name)\" is not a variable name (letters, digits and _, not starting with a digit)")
            }
            guard seen.insert(name).inserted else { throw .init(place: place(0), message: "the variable \(name) is set twice") }
            let valueStart = trimmed.distance(from: trimmed.startIndex, to: equals) + 1
            let value = Array(trimmed[trimmed.index(after: equals)...])
            var parts: [ConfigValue.Part] = []
            var literal = ""
            var position = 0
            while position < value.count {
                guard value[position] == "$", position + 1 < value.count, value[position + 1] == "{" else {
                    literal.append(value[position])
                    position += 1
                    continue
                }
                let at = place(valueStart + position)
                guard let close = value[(position + 2)...].firstIndex(of: "}") else { throw .init(place: at, message: "\"${\" opens a token that never closes with \"}\"") }
                let body = String(value[(position + 2)..<close])
                if !literal.isEmpty { parts.append(.text(literal)) }
                literal = ""
                parts.append(try token(body, at: at, into: &config))
                position = close + 1
            }
            if !literal.isEmpty { parts.append(.text(literal)) }
            config.env.append(.init(name: name, value: ConfigValue(parts: parts), place: place(0)))
        }
        return config
    }

    private static func token(_ body: String, at place: ConfigPlace, into config: inout LocalProcessConfig) throws(LocalProcessConfig.Problem) -> ConfigValue.Part {
        let shown = "${\(body)}"
        if body.hasPrefix("volumes.") {
            let rest = body.dropFirst("volumes.".count)
            let fields = rest.split(separator: "|", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = fields[0]
            guard ConfigValue.isVolumePattern(name) else {
                throw .init(place: place, message: "\(shown): \"\(name)\" is not a volume name")
            }
            if fields.count == 2 {
                let localPath = try LocalProcessConfig.checkedLocalPath(fields[1], at: place, besides: config.volumeMounts)
                config.volumeMounts.append(.init(name: name, localPath: localPath, place: place))
            }
            return .volumeMount(name: name, place: place)
        }
        if body.hasPrefix("services.") {
            let names = body.dropFirst("services.".count).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard (1...2).contains(names.count), names.allSatisfy(ConfigValue.isDNSLabel) else {
                throw .init(place: place, message: "\(shown): write ${services.NAME} or ${services.NAMESPACE.NAME}")
            }
            return names.count == 1 ? .service(name: names[0], namespace: nil, ports: [], place: place) : .service(name: names[1], namespace: names[0], ports: [], place: place)
        }
        throw .init(place: place, message: "\(shown) is not a token: write ${volumes.NAME}, ${volumes.NAME|/local/path}, ${services.NAME} or ${services.NAMESPACE.NAME}")
    }
}

private extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
