import ArgumentParser
import Foundation

/// Refuses a single-valued option given twice (`--service a --service b`): ArgumentParser keeps
/// the last one silently, and a person who typed two meant something the command cannot do.
///
/// Which options take one value comes from ArgumentParser's own description of the command
/// (`_dumpHelp`, the JSON behind `--experimental-dump-help`), so a new option is covered as it is
/// declared. Arguments after `--` (a command to run) are not looked at.
enum RepeatedOptionCheck {
    static func check(_ arguments: [String], command: any ParsableCommand.Type) throws(ValidationError) {
        let names = singleValuedOptionNames(of: command)
        var seen: [String: String] = [:]
        for argument in arguments.prefix(while: { $0 != "--" }) {
            guard let option = optionName(argument), let canonical = names[option] else { continue }
            if let earlier = seen[canonical] {
                throw ValidationError("\(earlier) is given twice: give it once")
            }
            seen[canonical] = option
        }
    }

    /// `--name`, `--name=value` and `-n` as the names they use (`--name`, `-n`).
    private static func optionName(_ argument: String) -> String? {
        if argument.hasPrefix("--") { return String(argument.prefix { $0 != "=" }) }
        if argument.hasPrefix("-"), argument.count == 2 { return argument }
        return nil
    }

    /// Every name of each option that takes one value, mapped to the option's first name.
    private static func singleValuedOptionNames(of command: any ParsableCommand.Type) -> [String: String] {
        guard let description = try? JSONDecoder().decode(ToolDescription.self, from: Data(command._dumpHelp().utf8)) else { return [:] }
        var names: [String: String] = [:]
        for argument in description.command.arguments ?? [] where argument.kind == "option" && !argument.isRepeating {
            let spelled = (argument.names ?? []).map { $0.kind == "short" ? "-\($0.name)" : "--\($0.name)" }
            for name in spelled { names[name] = spelled.first }
        }
        return names
    }

    /// The part of ArgumentParser's tool description read here.
    private struct ToolDescription: Decodable {
        struct Command: Decodable {
            var arguments: [Argument]?
        }

        struct Argument: Decodable {
            struct Name: Decodable {
                var kind: String
                var name: String
            }

            var kind: String
            var isRepeating: Bool
            var names: [Name]?
        }

        var command: Command
    }
}
