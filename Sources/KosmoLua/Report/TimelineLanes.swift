import Foundation

/// Puts intervals that overlap in time on separate lanes, each on the lowest lane free when it
/// starts (so a run at concurrency N shows about N lanes).
enum TimelineLanes {
    /// At most this many lanes are drawn; later overlaps share the last one.
    static let maxLanes = 400

    /// The lane of each interval, in the order given.
    static func assign(_ intervals: [(start: Date, end: Date)]) -> [Int] {
        let order = intervals.indices.sorted { intervals[$0].start < intervals[$1].start }
        var laneEnds: [Date] = []
        var lanes = Array(repeating: 0, count: intervals.count)
        for index in order {
            let interval = intervals[index]
            if let free = laneEnds.firstIndex(where: { $0 <= interval.start }) {
                lanes[index] = free
                laneEnds[free] = interval.end
            } else if laneEnds.count < maxLanes {
                lanes[index] = laneEnds.count
                laneEnds.append(interval.end)
            } else {
                lanes[index] = maxLanes - 1
                laneEnds[maxLanes - 1] = max(laneEnds[maxLanes - 1], interval.end)
            }
        }
        return lanes
    }
}
