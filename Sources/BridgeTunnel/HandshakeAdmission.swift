/// Which connections may hold one of the agent's handshake slots: every connection waits in one
/// until it proves the session secret or its deadline passes, and the slots are few.
///
/// Anyone on the pod network can open connections and say nothing. With the slots simply first
/// come, first served, such a peer holding them all kept the CLI from reconnecting. Here, once
/// the slots are full, a newcomer takes a slot from the peers that hold the most, as long as they
/// hold more than the newcomer's peer does: a peer can only crowd itself out. Of those slots it
/// takes the oldest, so that a fresh handshake (the CLI's, a round trip long) is the last to go.
///
/// I/O-free: the agent closes the connection of a slot taken back.
struct HandshakeAdmission<Ticket: Hashable & Sendable>: Sendable {
    enum Decision: Equatable {
        case admitted
        /// Admitted in the place of `Ticket`, whose connection must be closed.
        case admittedInPlaceOf(Ticket)
        /// The slots are full and this peer already holds as many as any other.
        case refused
    }

    let limit: Int
    /// Each peer's slots, oldest first.
    private var slots: [String: [Ticket]] = [:]
    private var arrivals: [Ticket: (peer: String, order: Int)] = [:]
    private var order = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// The handshakes under way.
    var count: Int { arrivals.count }

    mutating func admit(_ ticket: Ticket, peer: String) -> Decision {
        guard arrivals.count >= limit else {
            take(ticket, peer: peer)
            return .admitted
        }
        let own = slots[peer]?.count ?? 0
        let most = slots.values.map(\.count).max() ?? 0
        let oldest = slots.values.filter { $0.count == most }.compactMap(\.first).min { (arrivals[$0]?.order ?? 0) < (arrivals[$1]?.order ?? 0) }
        guard most > own, let oldest else { return .refused }
        release(oldest)
        take(ticket, peer: peer)
        return .admittedInPlaceOf(oldest)
    }

    /// The connection of `ticket` finished its handshake (or failed it, or was closed).
    mutating func release(_ ticket: Ticket) {
        guard let peer = arrivals.removeValue(forKey: ticket)?.peer else { return }
        slots[peer]?.removeAll { $0 == ticket }
        if slots[peer]?.isEmpty == true { slots[peer] = nil }
    }

    private mutating func take(_ ticket: Ticket, peer: String) {
        order += 1
        arrivals[ticket] = (peer, order)
        slots[peer, default: []].append(ticket)
    }
}
