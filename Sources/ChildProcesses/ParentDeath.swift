import CParentDeath
import Foundation

/// Ties a child's life to the process that started it, so that a `kill -9` of kbridge does not
/// leave the developer's command running (holding its port) with nobody to stop it.
///
/// The child is started through a launcher (`kbridge exec-tied PARENT EXECUTABLE ARGS...`) that
/// asks the kernel for SIGTERM when its parent dies, checks the parent is still alive, and then
/// becomes the command (exec: same pid, terminal and process group). The kernel sends the signal
/// when the *thread* that spawned the child ends, so `ChildProcess` spawns from its reaping
/// thread, which lives exactly as long as the child.
public enum ParentDeath {
    /// In the launcher: arranges SIGTERM on the parent's death and execs; returns only on failure.
    public static func exec(tiedTo parent: pid_t, executable: String, arguments: [String]) -> String {
        guard kbridge_set_parent_death_signal(SIGTERM) == 0 || errno == ENOSYS else {
            return "cannot tie \(executable) to its parent: \(String(cString: strerror(errno)))"
        }
        // The parent may have died before the request: then nobody would send the signal.
        guard getppid() == parent else { return "the parent process \(parent) is gone" }
        // The command starts as `ProcessSpawner` starts any: no signal blocked (this may run on a
        // thread that blocks them all, and the mask survives exec), default handlers.
        for number in Int32(1)..<32 where number != SIGKILL && number != SIGSTOP { signal(number, SIG_DFL) }
        var nothingBlocked = sigset_t()
        sigemptyset(&nothingBlocked)
        pthread_sigmask(SIG_SETMASK, &nothingBlocked, nil)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        execv(executable, argv)
        return "cannot run \(executable): \(String(cString: strerror(errno)))"
    }
}
