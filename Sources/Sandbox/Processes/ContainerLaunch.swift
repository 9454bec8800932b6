import ChildProcesses
import Foundation

/// How a process kubelet running as root starts a container's process, so that it meets what a
/// container runtime gives it: a mount namespace of its own where the pod's resolver and hosts
/// files stand at `/etc/resolv.conf` and `/etc/hosts` (cluster DNS), only the capabilities a
/// runtime grants by default (no CAP_NET_ADMIN, CAP_SYS_ADMIN, ...), and the container's
/// `runAsUser`/`runAsGroup`. Built from `unshare`, `mount` and `setpriv` (util-linux); the
/// process keeps its pid through each `exec`.
///
/// The pod's folder is bind-mounted at `podMountPoint`, where the container's files are reached
/// (`CONTAINER_ROOT`): a container's user reaches them even when a folder above the sandbox's
/// is closed to it (a sandbox made in `mktemp -d`'s 0700 folder, a guard running as 65532).
///
/// Without root, or without those tools, containers run as the kubelet's own user, with the
/// machine's resolver: `ContainerLaunch.isolating` is nil.
struct ContainerLaunch: Sendable {
    /// containerd's and Docker's default capability set.
    static let defaultCapabilities = [
        "chown", "dac_override", "fsetid", "fowner", "mknod", "net_raw", "setgid", "setuid", "setfcap", "setpcap",
        "net_bind_service", "sys_chroot", "kill", "audit_write",
    ]

    struct Tools: Sendable {
        var unshare: String
        var shell: String
        var setpriv: String
    }

    /// Who the process runs as.
    struct User: Equatable, Sendable {
        var uid: UInt32
        var gid: UInt32
    }

    let tools: Tools

    /// Where a container sees its pod's folder: an empty folder of the machine's, mounted over
    /// only in the container's own mount namespace.
    static let podMountPoint = "/run/kbridge-sandbox-pod"

    /// The launcher, when this process may isolate containers (root, with the tools on `PATH`,
    /// and the pod's mount point made).
    static func isolating(path: String?) -> ContainerLaunch? {
        guard geteuid() == 0,
            let unshare = ProcessSpawner.locate("unshare", path: path),
            let shell = ProcessSpawner.locate("sh", path: path),
            let setpriv = ProcessSpawner.locate("setpriv", path: path),
            ProcessSpawner.locate("mount", path: path) != nil,
            (try? FileManager.default.createDirectory(atPath: podMountPoint, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])) != nil
        else { return nil }
        return ContainerLaunch(tools: Tools(unshare: unshare, shell: shell, setpriv: setpriv))
    }

    /// The argv that runs `argv` (its first element an absolute path) isolated, in
    /// `workingDirectory` (as the container sees it); `files` are bind-mounted over the paths
    /// they name, in order (the pod's folder at `podMountPoint`, `/etc/resolv.conf` → the pod's file).
    func wrap(_ argv: [String], user: User?, files: [(target: String, source: String)], workingDirectory: String) -> [String] {
        var script = ""
        for index in files.indices {
            script += "mount --bind \"$\(2 * index + 1)\" \"$\(2 * index + 2)\" && "
        }
        script += "cd \"$\(2 * files.count + 1)\" && shift \(2 * files.count + 1) && exec \"$@\""
        var privileges = [tools.setpriv]
        if let user {
            privileges += ["--reuid=\(user.uid)", "--regid=\(user.gid)", "--clear-groups"]
        }
        privileges += ["--bounding-set=-all," + Self.defaultCapabilities.map { "+" + $0 }.joined(separator: ","), "--inh-caps=-all", "--"]
        return [tools.unshare, "--mount", "--propagation", "private", "--", tools.shell, "-c", script, "kbridge-container"]
            + files.flatMap { [$0.source, $0.target] } + [workingDirectory] + privileges + argv
    }

    /// Whether `uid` can reach and run `executable`: every folder above it searchable and the
    /// file executable by that user (as owner, group or other).
    static func canExecute(_ executable: String, user: User) -> Bool {
        var path = URL(fileURLWithPath: executable).standardizedFileURL.path
        guard permits(path, user: user, bit: 0o1) else { return false }
        while path != "/" {
            path = (path as NSString).deletingLastPathComponent
            guard permits(path, user: user, bit: 0o1) else { return false }
        }
        return true
    }

    private static func permits(_ path: String, user: User, bit: mode_t) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        if user.uid == 0 { return true }
        if info.st_uid == user.uid { return info.st_mode & (bit << 6) != 0 }
        if info.st_gid == user.gid { return info.st_mode & (bit << 3) != 0 }
        return info.st_mode & bit != 0
    }
}
