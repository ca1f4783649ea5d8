import Foundation

/// Deletes the data of finished predictions and trainings a while after they finish, as the
/// service does an hour after a prediction made through the API ends: `input`, `output` and
/// `logs` are emptied, `data_removed` turns true, the stream's events are gone and the output
/// files answer 404. One sweep for every way of reading them (get, list, stream, files), since
/// they all read the same record and the same served files.
enum DataExpiry {
    /// Sweeps `state` until cancelled, often enough that data goes within a tenth of `after`
    /// (at most a second) of its time.
    static func run(_ state: SimState, after: TimeInterval) async {
        let every = min(1, max(0.05, after / 10))
        while !Task.isCancelled {
            sweep(state, after: after, now: Date())
            try? await Task.sleep(nanoseconds: UInt64(every * 1_000_000_000))
        }
    }

    /// Removes the data of everything that finished at least `after` seconds before `now`.
    static func sweep(_ state: SimState, after: TimeInterval, now: Date) {
        let due = state.predictions.withLockedValue { table in
            table.values.filter { r in
                guard !r.dataRemoved, r.isTerminal, let done = r.completedAt else { return false }
                return now.timeIntervalSince(done) >= after
            }.map(\.id)
        }
        guard !due.isEmpty else { return }
        for id in due {
            state.update(id) { r in
                r.input = [:]
                r.output = .null
                r.logs = ""
                r.events = []
                r.dataRemoved = true
            }
        }
        // Served files live at /_sim/files/<id>/<name>.
        let ids = Set(due)
        state.served.withLockedValue { files in
            for path in files.keys {
                let parts = path.split(separator: "/")
                if parts.count >= 3, ids.contains(String(parts[2])) { files[path] = nil }
            }
        }
    }
}
