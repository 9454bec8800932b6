import KubernetesClient

/// One pass of the routing manager: reads the namespace, asks `RoutePlan` what it should hold,
/// and makes it so, level-triggered (a pass after a crash, or twice in a row, does the same).
///
/// The order keeps every caller served: a service is pointed at its routers only once one of
/// them is ready, and given its own selector back before its routers go. What it changes in a
/// service it saves first, in the same patch (`originalSelectorAnnotation`), and gives back only
/// where the service still points at the routers; a selector someone else changed meanwhile is
/// kept, and said. Objects of the same name that it did not make are left alone, and said.
public struct RoutingReconciler: Sendable {
    let client: KubernetesClient
    let namespace: String
    let image: String
    let log: @Sendable (String) -> Void

    public init(client: KubernetesClient, namespace: String, image: String, log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.namespace = namespace
        self.image = image
        self.log = log
    }

    /// The kinds the routing manager makes, in the order they are removed.
    static let generatedTypes: [ResourceType] = [.ingresses, .deployments, .services]

    /// What a pass did: what it changed, and what it could not do (each object on its own: one
    /// that cannot be written does not keep the others from being given back or removed).
    public struct Outcome: Sendable {
        public var changes: [String] = []
        public var problems: [String] = []
    }

    /// Runs one pass. With `withoutCopies`, as if no copy routed (what `kbridge clean --routing`
    /// runs to give every service back). Throws only when the namespace cannot be read.
    public func reconcile(withoutCopies: Bool = false) async throws(KubernetesError) -> Outcome {
        var changes: [String] = []
        var problems: [String] = []
        let pods = try await client.listRaw(.pods, namespace: namespace, options: ListOptions(labelSelector: RoutingNames.routeFromLabel)).items
        let clones = withoutCopies ? [] : pods.compactMap(RoutedClone.init(pod:))
        let services = try await client.listRaw(.services, namespace: namespace).items
        let plan = RoutePlan(image: image, clones: clones, services: services, ingresses: try await readIngresses())
        for ignored in plan.ignoredClones { log(ignored) }
        var wanted = Set<ObjectKey>()

        for service in plan.routedServices {
            guard let cloneService = plan.cloneService(of: service),
                  let applied = await apply(.services, cloneService, changes: &changes, problems: &problems, wanted: &wanted) else { continue }
            guard let address = applied[path: "spec", "clusterIP"]?.stringValue, !address.isEmpty, address != "None" else { continue }
            guard let routers = plan.routers(of: service, originalAddress: address) else {
                log("service \(service) has a TCP port whose target its copies do not declare: not routed")
                continue
            }
            guard let deployment = await apply(.deployments, routers, changes: &changes, problems: &problems, wanted: &wanted) else { continue }
            if Self.isAvailable(deployment), let object = services.first(where: { Self.name(of: $0) == service }) {
                await attempt("pointing service \(service) at its routers", problems: &problems) { () async throws(KubernetesError) in
                    try await pointAtRouters(object, changes: &changes)
                }
            }
        }
        // Every service that points at its routers, or keeps a saved selector, and is routed no more gets its own back.
        var stillRouted = Set<String>()
        for object in services where Self.isRouted(object) {
            let service = Self.name(of: object)
            guard !wanted.contains(ObjectKey(.deployments, RoutingNames.routers(of: service))) else { continue }
            let cloneSelector = services.first { Self.name(of: $0) == RoutingNames.cloneService(of: service) }?[path: "spec", "selector"]
            let given = await attempt("giving service \(service) its own selector back", problems: &problems) { () async throws(KubernetesError) -> Bool in
                try await giveBack(object, cloneSelector: cloneSelector, changes: &changes)
            }
            if given != true { stillRouted.insert(service) }
        }
        for name in plan.routingNames {
            let routes = plan.ingressRoutes(for: name)
            guard let service = routes.service, let routers = routes.routers else { continue }
            // The duplicated ingresses lead to these routers only if they are the manager's own.
            guard await apply(.services, service, changes: &changes, problems: &problems, wanted: &wanted) != nil,
                  await apply(.deployments, routers, changes: &changes, problems: &problems, wanted: &wanted) != nil else { continue }
            for ingress in routes.ingresses { _ = await apply(.ingresses, ingress, changes: &changes, problems: &problems, wanted: &wanted) }
        }
        // Routers stay while their service still points at them (it would select nothing).
        for service in stillRouted {
            wanted.insert(ObjectKey(.deployments, RoutingNames.routers(of: service)))
            wanted.insert(ObjectKey(.services, RoutingNames.cloneService(of: service)))
        }
        await removeGenerated(except: wanted, changes: &changes, problems: &problems)
        return Outcome(changes: changes, problems: problems)
    }

    /// Whether a service points at its routers, or keeps the selector saved when it was pointed there.
    static func isRouted(_ service: JSONValue) -> Bool {
        service[path: "spec", "selector"] == RoutePlan.routerSelector(of: name(of: service))
            || service[path: "metadata", "annotations", RoutingNames.originalSelectorAnnotation] != nil
    }

    /// Runs `work`, noting its failure as a problem of the pass; its result, nil when it failed.
    @discardableResult
    private func attempt<T>(_ what: String, problems: inout [String], _ work: () async throws(KubernetesError) -> T) async -> T? {
        do {
            return try await work()
        } catch {
            problems.append("\(what): \(error)")
            log("\(what): \(error)")
            return nil
        }
    }

    // MARK: Services

    /// Points `service` at its routers, its own selector saved in the same patch.
    private func pointAtRouters(_ service: JSONValue, changes: inout [String]) async throws(KubernetesError) {
        let name = Self.name(of: service)
        let routerSelector = RoutePlan.routerSelector(of: name)
        guard let current = service[path: "spec", "selector"], current != routerSelector else { return }
        if service[path: "metadata", "annotations", RoutingNames.originalSelectorAnnotation] != nil {
            log("service \(name) was given another selector while routed: saving that one as its own")
        }
        var annotations = service[path: "metadata", "annotations"]?.objectValue ?? [:]
        annotations[RoutingNames.originalSelectorAnnotation] = .string(current.jsonString)
        do {
            _ = try await client.patchRaw(.services, name: name, namespace: namespace, .json([
                .test("/spec/selector", current), .replace("/spec/selector", routerSelector), .add("/metadata/annotations", .object(annotations)),
            ]))
            changes.append("pointed service \(name) at its routers (its selector saved in \(RoutingNames.originalSelectorAnnotation))")
        } catch let error where error.isNotFound || error.statusCode == 409 || error.statusCode == 422 {
            log("service \(name) changed while it was being routed; trying again: \(error)")
        }
    }

    /// Gives `service` its own selector back (where it still points at its routers) and removes
    /// the saved one. False when the service still points at its routers. Without a readable
    /// saved selector (someone removed the annotation), the clone service's, which is the same.
    private func giveBack(_ service: JSONValue, cloneSelector: JSONValue?, changes: inout [String]) async throws(KubernetesError) -> Bool {
        let name = Self.name(of: service)
        let routerSelector = RoutePlan.routerSelector(of: name)
        var annotations = service[path: "metadata", "annotations"]?.objectValue ?? [:]
        let saved = annotations.removeValue(forKey: RoutingNames.originalSelectorAnnotation)?.stringValue.flatMap { try? JSONValue.parse($0) }
            .flatMap { ($0.objectValue ?? [:]).isEmpty ? nil : $0 } ?? cloneSelector.flatMap { ($0.objectValue ?? [:]).isEmpty ? nil : $0 }
        var operations: [JSONPatchOperation] = []
        let pointsAtRouters = service[path: "spec", "selector"] == routerSelector
        if pointsAtRouters {
            guard let saved else {
                log("service \(name) points at its routers but its own selector is neither in \(RoutingNames.originalSelectorAnnotation) nor on \(RoutingNames.cloneService(of: name)): left as it is")
                return false
            }
            operations += [.test("/spec/selector", routerSelector), .replace("/spec/selector", saved)]
        }
        // A service that had no annotations before gets none back (an empty map is none to the API).
        operations.append(annotations.isEmpty ? .remove("/metadata/annotations") : .add("/metadata/annotations", .object(annotations)))
        do {
            _ = try await client.patchRaw(.services, name: name, namespace: namespace, .json(operations))
        } catch let error where error.isNotFound {
            return true
        } catch let error where error.statusCode == 409 || error.statusCode == 422 {
            log("service \(name) changed while it was being given back; trying again: \(error)")
            return false
        }
        if pointsAtRouters {
            changes.append("gave service \(name) its own selector back")
        } else {
            changes.append("service \(name) had been given another selector meanwhile: kept it, removed \(RoutingNames.originalSelectorAnnotation)")
        }
        return true
    }

    // MARK: Generated objects

    struct ObjectKey: Hashable {
        var type: String
        var name: String
        init(_ type: ResourceType, _ name: String) {
            self.type = type.qualifiedName
            self.name = name
        }
    }

    /// Creates `object`, or rewrites it when its wanted form changed; the object as the cluster
    /// has it, nil when one of that name exists that the routing manager did not make, or when it
    /// could not be written (a problem of the pass).
    private func apply(_ type: ResourceType, _ object: JSONValue, changes: inout [String], problems: inout [String], wanted: inout Set<ObjectKey>) async -> JSONValue? {
        let what = "\(type.kind.lowercased()) \(Self.name(of: object))"
        return await attempt("writing \(what)", problems: &problems) { () async throws(KubernetesError) -> JSONValue? in
            try await write(type, object, changes: &changes, wanted: &wanted)
        } ?? nil
    }

    private func write(_ type: ResourceType, _ object: JSONValue, changes: inout [String], wanted: inout Set<ObjectKey>) async throws(KubernetesError) -> JSONValue? {
        let name = Self.name(of: object)
        let what = "\(type.kind.lowercased()) \(name)"
        let existing: JSONValue
        do {
            existing = try await client.getRaw(type, name: name, namespace: namespace)
        } catch let error where error.isNotFound {
            let created = try await client.createRaw(type, object, namespace: namespace)
            wanted.insert(ObjectKey(type, name))
            changes.append("created \(what)")
            return created
        }
        let component = object[path: "metadata", "labels", RoutingNames.componentLabel]
        guard existing[path: "metadata", "labels", RoutingNames.componentLabel] == component else {
            log("\(what) exists and was not made by the routing manager: left alone, so it is not used")
            return nil
        }
        wanted.insert(ObjectKey(type, name))
        let digestPath = ["metadata", "annotations", RoutingNames.specDigestAnnotation]
        guard existing[path: digestPath[0], digestPath[1], digestPath[2]] != object[path: digestPath[0], digestPath[1], digestPath[2]] else { return existing }
        var labels = existing[path: "metadata", "labels"]?.objectValue ?? [:]
        var annotations = existing[path: "metadata", "annotations"]?.objectValue ?? [:]
        for (key, value) in object[path: "metadata", "labels"]?.objectValue ?? [:] { labels[key] = value }
        for (key, value) in object[path: "metadata", "annotations"]?.objectValue ?? [:] { annotations[key] = value }
        var operations: [JSONPatchOperation] = [.add("/metadata/labels", .object(labels)), .add("/metadata/annotations", .object(annotations))]
        if type == .ingresses {
            operations.append(.add("/spec", object["spec"] ?? [:]))
        } else {
            for (key, value) in (object["spec"]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) { operations.append(.add("/spec/\(key)", value)) }
        }
        let patched = try await client.patchRaw(type, name: name, namespace: namespace, .json(operations))
        changes.append("updated \(what)")
        return patched
    }

    /// Deletes what the routing manager made that this pass did not want.
    private func removeGenerated(except wanted: Set<ObjectKey>, changes: inout [String], problems: inout [String]) async {
        let generated = RoutingNames.Component.allCases.filter { $0 != .routingManager }.map(\.rawValue).joined(separator: ",")
        for type in Self.generatedTypes {
            let items = await attempt("listing the \(type.name) the routing manager made", problems: &problems) { () async throws(KubernetesError) -> [JSONValue] in
                do throws(KubernetesError) {
                    return try await client.listRaw(type, namespace: namespace, options: ListOptions(labelSelector: "\(RoutingNames.componentLabel) in (\(generated))")).items
                } catch let error where error.isNotFound && type == .ingresses {
                    return []
                }
            } ?? []
            for item in items where !wanted.contains(ObjectKey(type, Self.name(of: item))) && item[path: "metadata", "deletionTimestamp"] == nil {
                let what = "\(type.kind.lowercased()) \(Self.name(of: item))"
                await attempt("deleting \(what)", problems: &problems) { () async throws(KubernetesError) in
                    do throws(KubernetesError) {
                        try await client.delete(type, name: Self.name(of: item), namespace: namespace, propagation: .background)
                        changes.append("deleted \(what)")
                    } catch let error where error.isNotFound {
                        return
                    }
                }
            }
        }
    }

    private func readIngresses() async throws(KubernetesError) -> [JSONValue] {
        do {
            return try await client.listRaw(.ingresses, namespace: namespace).items
        } catch let error where error.isNotFound {
            // A cluster that serves no networking.k8s.io/v1 ingresses has none to duplicate.
            return []
        }
    }

    /// A Deployment with a ready pod of its current template, or of an earlier one still serving.
    static func isAvailable(_ deployment: JSONValue) -> Bool {
        (deployment[path: "status", "availableReplicas"]?.intValue ?? 0) >= 1
    }

    static func name(of object: JSONValue) -> String { object[path: "metadata", "name"]?.stringValue ?? "" }
}
