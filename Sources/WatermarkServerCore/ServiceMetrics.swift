import Detection
import Prometheus
import SystemSupport

/// The service's Prometheus metrics. Labels come from fixed sets (route templates, status
/// codes, reasons, verdicts), never from request content, so the series stay few.
public final class ServiceMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Every route the service has, and `other` for paths that match none.
    public static let routes = ["/v1/detect", "/v1/detect/batch", "/healthz", "/readyz", "/metrics", "/openapi.json", "other"]
    private let durations: [String: DurationHistogram]
    private let requests = Locked<[String: Counter]>([:])
    private let rejections: [APIFailure.Reason: Counter]
    private let verdicts: [String: Counter]
    private let documents: Counter
    private let tokens: Counter
    private let queueDepth: Gauge

    public init() {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        let buckets: [Duration] = [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                   .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                   .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
        let duration = MetricNameDescriptor(namespace: "watermark", metricName: "request_duration", unitName: "seconds",
                                            helpText: "Time from the request's arrival to its answer, by route.")
        durations = Dictionary(uniqueKeysWithValues: Self.routes.map { route in
            (route, registry.makeDurationHistogram(descriptor: duration, labels: [("route", route)], buckets: buckets))
        })
        let rejection = MetricNameDescriptor(namespace: "watermark", metricName: "rejections", unitName: "total",
                                             helpText: "Requests and documents refused, by reason.")
        rejections = Dictionary(uniqueKeysWithValues: APIFailure.Reason.allCases.map { reason in
            (reason, registry.makeCounter(descriptor: rejection, labels: [("reason", reason.rawValue)]))
        })
        let verdict = MetricNameDescriptor(namespace: "watermark", metricName: "verdicts", unitName: "total",
                                           helpText: "Documents answered, by verdict.")
        verdicts = Dictionary(uniqueKeysWithValues: Verdict.allCases.map { v in
            (v.rawValue, registry.makeCounter(descriptor: verdict, labels: [("verdict", v.rawValue)]))
        })
        documents = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "watermark", metricName: "documents_scored", unitName: "total", helpText: "Documents scored."))
        tokens = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "watermark", metricName: "tokens_scored", unitName: "total", helpText: "Tokens in the documents scored."))
        queueDepth = registry.makeGauge(descriptor: MetricNameDescriptor(
            namespace: "watermark", metricName: "queue", unitName: "depth", helpText: "Detection jobs waiting for a thread."))
    }

    /// One answered request.
    public func request(route: String, status: Int, duration: Duration) {
        let route = durations[route] == nil ? "other" : route
        durations[route]?.record(duration)
        let key = route + " " + String(status)
        let counter = requests.withLock { all -> Counter in
            if let existing = all[key] { return existing }
            let made = registry.makeCounter(descriptor: MetricNameDescriptor(
                namespace: "watermark", metricName: "requests", unitName: "total", helpText: "Requests answered, by route and status."),
                labels: [("route", route), ("status", String(status))])
            all[key] = made
            return made
        }
        counter.increment()
    }

    public func rejected(_ reason: APIFailure.Reason) { rejections[reason]?.increment() }

    public func scored(verdict: String, tokens count: Int) {
        documents.increment()
        tokens.increment(by: Int64(count))
        verdicts[verdict]?.increment()
    }

    /// The Prometheus text exposition, with the queue depth read now.
    public func exposition(queued: Int) -> [UInt8] {
        queueDepth.set(Int64(queued))
        return registry.emitToBuffer()
    }
}
