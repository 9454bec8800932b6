import ArgumentParser
import Logging

/// Runs a command's work; any error becomes one line for a person (and for the run's diagnostic
/// log, when given) and exit code 1.
func reportingErrors(_ console: Console, logger: Logger? = nil, _ work: () async throws -> Void) async throws {
    do {
        try await work()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        console.failure(String(describing: error))
        logger?.error("\(String(describing: error))")
        throw ExitCode(1)
    }
}
