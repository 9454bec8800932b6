import BridgeSession
import Testing

/// The connect story on a real node: kubelet, containerd, runc, CNI, kube-proxy and cluster DNS
/// 1.20.2, the storefront and the agent (built from this repository, non-root, a runtime's
/// default capabilities) as real containers. Run by `.ci/run` with `KBRIDGE_CONFORMANCE=real-node`.
@Suite(.serialized, .enabled(if: Conformance.onRealNode, "set KBRIDGE_CONFORMANCE=real-node (.ci/run does)"))
struct RealNodeConformanceTests {
    @Test func theFrontIsAnsweredByTheLocalProcessWhichReachesTheBackendByName() async throws {
        try await RealNode.withStorefront(ConnectScenarios.theFrontIsAnsweredByTheLocalProcessWhichReachesTheBackendByName)
    }

    @Test func withoutAHostsFileTheEnvironmentCarriesSecretsConfigMapsAndServiceVariables() async throws {
        try await RealNode.withStorefront(ConnectScenarios.withoutAHostsFileTheEnvironmentCarriesSecretsConfigMapsAndServiceVariables)
    }

    @Test func twoIsolatedSessionsGetTheirOwnRequestsAndLeaveNothing() async throws {
        try await RealNode.withStorefront(IsolationScenarios.twoIsolatedSessionsGetTheirOwnRequestsAndLeaveNothing)
    }

    @Test func h2cWebSocketsAndOtherBytesGoWhereTheyShould() async throws {
        try await RealNode.withStorefront { try await IsolationScenarios.h2cWebSocketsAndOtherBytesGoWhereTheyShould($0, serversImage: Storefront.serversImage) }
    }

    @Test func statusListsTheSessionAndDisconnectFromAnotherTerminalGivesEverythingBack() async throws {
        try await RealNode.withStorefront(ConnectScenarios.statusListsTheSessionAndDisconnectFromAnotherTerminalGivesEverythingBack)
    }

    @Test func servicesListTheirReadyPodsThoughTheRealServerRefusesLoopbackEndpoints() async throws {
        try await RealNode.withStorefront(ConnectScenarios.servicesListTheirReadyPodsThoughTheRealServerRefusesLoopbackEndpoints)
    }

    @Test func aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint() async throws {
        try await RealNode.withStorefront(ConnectScenarios.aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint)
    }

    @Test func theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName() async throws {
        try await RealNode.withStorefront(ConnectScenarios.theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName)
    }

    @Test func aPodResolvesAServiceOfAnotherNamespaceByName() async throws {
        try await RealNode.withStorefront(ConnectScenarios.aPodResolvesAServiceOfAnotherNamespaceByName)
    }

    @Test func anAppWithPodIPFromTheDownwardAPIStillHasItsAgentReached() async throws {
        try await RealNode.withStorefront {
            try await ConnectScenarios.anAppThatDefinesItsOwnPodIPStillHasItsAgentReached($0, podIP: ["name": "POD_IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]])
        }
    }

    @Test func foreignClientsOnTheAgentsPortsGetNothingWhileTheSessionWorks() async throws {
        try await RealNode.withStorefront(ConnectScenarios.foreignClientsOnTheAgentsPortsGetNothingWhileTheSessionWorks)
    }

    @Test func badInputIsRefusedWithAMessageAndNothingChanged() async throws {
        try await RealNode.withStorefront(ConnectScenarios.badInputIsRefusedWithAMessageAndNothingChanged)
    }

    @Test(arguments: ["admin", "edit", "view"])
    func aNamespaceScopedUserGetsAnswersWithoutClusterScopedRights(role: String) async throws {
        try await RealNode.withStorefront { try await ConnectScenarios.aNamespaceScopedUserGetsAnswersWithoutClusterScopedRights($0, role: role) }
    }

    /// `kill -9` of connect at each step: the guard gives the workload back, `kbridge clean` the rest.
    @Test(arguments: [WorkloadReference.Kind.deployment, .statefulSet, .pod])
    func aKilledSessionIsGivenBackByItsGuardAtEveryStep(kind: WorkloadReference.Kind) async throws {
        try await RealNode.withStorefront { try await GuardScenarios.killedAtEveryStepIsGivenBackByTheGuard($0, kind: kind) }
    }
}
