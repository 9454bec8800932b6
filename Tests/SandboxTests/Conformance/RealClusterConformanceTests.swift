import BridgeSession
import Testing

/// The connect story on a real kube-apiserver 1.20.2 with its controller-manager and scheduler,
/// the process kubelet joined as its node: what the sandbox was written to imitate, checked
/// against the real thing. Run by `.ci/run` with `KBRIDGE_CONFORMANCE=real-cluster`.
@Suite(.serialized, .enabled(if: Conformance.onRealCluster, "set KBRIDGE_CONFORMANCE=real-cluster (.ci/run does)"))
struct RealClusterConformanceTests {
    @Test func theFrontIsAnsweredByTheLocalProcessWhichReachesTheBackendByName() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.theFrontIsAnsweredByTheLocalProcessWhichReachesTheBackendByName)
    }

    @Test func withoutAHostsFileTheEnvironmentCarriesSecretsConfigMapsAndServiceVariables() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.withoutAHostsFileTheEnvironmentCarriesSecretsConfigMapsAndServiceVariables)
    }

    @Test func twoIsolatedSessionsGetTheirOwnRequestsAndLeaveNothing() async throws {
        try await RealCluster.withStorefront(IsolationScenarios.twoIsolatedSessionsGetTheirOwnRequestsAndLeaveNothing)
    }

    @Test func h2cWebSocketsAndOtherBytesGoWhereTheyShould() async throws {
        try await RealCluster.withStorefront { try await IsolationScenarios.h2cWebSocketsAndOtherBytesGoWhereTheyShould($0, serversImage: Storefront.serversImage) }
    }

    @Test func statusListsTheSessionAndDisconnectFromAnotherTerminalGivesEverythingBack() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.statusListsTheSessionAndDisconnectFromAnotherTerminalGivesEverythingBack)
    }

    @Test func aScaleDuringTheSessionIsHeldAtOneAndGivenBack() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.aScaleDuringTheSessionIsHeldAtOneAndGivenBack)
    }

    @Test func servicesListTheirReadyPodsThoughTheRealServerRefusesLoopbackEndpoints() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.servicesListTheirReadyPodsThoughTheRealServerRefusesLoopbackEndpoints)
    }

    @Test func aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.aConfigFileGivesVolumesServicesOfAnotherNamespaceAndAnExternalEndpoint)
    }

    @Test func theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.theLocalProcessReadsThePodsFilesAndCallsAnotherNamespaceByName)
    }

    @Test func aPodResolvesAServiceOfAnotherNamespaceByName() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.aPodResolvesAServiceOfAnotherNamespaceByName)
    }

    @Test func anAppWithPodIPFromTheDownwardAPIStillHasItsAgentReached() async throws {
        try await RealCluster.withStorefront {
            try await ConnectScenarios.anAppThatDefinesItsOwnPodIPStillHasItsAgentReached($0, podIP: ["name": "POD_IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]])
        }
    }

    @Test func foreignClientsOnTheAgentsPortsGetNothingWhileTheSessionWorks() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.foreignClientsOnTheAgentsPortsGetNothingWhileTheSessionWorks)
    }

    @Test func badInputIsRefusedWithAMessageAndNothingChanged() async throws {
        try await RealCluster.withStorefront(ConnectScenarios.badInputIsRefusedWithAMessageAndNothingChanged)
    }

    @Test(arguments: ["admin", "edit", "view"])
    func aNamespaceScopedUserGetsAnswersWithoutClusterScopedRights(role: String) async throws {
        try await RealCluster.withStorefront { try await ConnectScenarios.aNamespaceScopedUserGetsAnswersWithoutClusterScopedRights($0, role: role) }
    }

    /// `kill -9` of connect at each step: the guard gives the workload back, `kbridge clean` the rest.
    @Test(arguments: [WorkloadReference.Kind.deployment])
    func aKilledSessionIsGivenBackByItsGuardAtEveryStep(kind: WorkloadReference.Kind) async throws {
        try await RealCluster.withStorefront { try await GuardScenarios.killedAtEveryStepIsGivenBackByTheGuard($0, kind: kind) }
    }

    /// The Lease or the guard's Job deleted mid-session: installed again; a later kill -9 is given back.
    @Test(arguments: GuardScenarios.Deleted.allCases)
    func aGuardDeletedUnderTheSessionIsInstalledAgain(deleting deleted: GuardScenarios.Deleted) async throws {
        try await RealCluster.withStorefront { try await GuardScenarios.aGuardDeletedUnderTheSessionIsInstalledAgain($0, deleting: deleted) }
    }
}
