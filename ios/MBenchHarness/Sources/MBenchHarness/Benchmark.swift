import CoreML
import Foundation

/// One timed run of a Core ML model with one compute-unit setting, as mbench reads it back.
public struct BenchmarkRecord: Codable {
    public var compute_units: String
    public var load_ms: Double
    public var first_ms: Double
    public var warmup_runs: Int
    public var samples_ms: [Double]
    public var footprint_bytes: UInt64
    public var machine: String
    public var os: String
}

public enum Benchmark {
    public static let marker = "MBENCH-IOS "

    public static func computeUnits(_ name: String) throws -> MLComputeUnits {
        switch name {
        case "CPU_ONLY": return .cpuOnly
        case "CPU_AND_GPU": return .cpuAndGPU
        case "CPU_AND_NE": return .cpuAndNeuralEngine
        case "ALL": return .all
        default: throw NSError(domain: "mbench", code: 1, userInfo: [NSLocalizedDescriptionKey:
            "unknown compute unit \(name); valid: CPU_ONLY, CPU_AND_GPU, CPU_AND_NE, ALL"])
        }
    }

    static func milliseconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6
    }

    /// Uniform [0, 1) inputs for every multi-array input, like mbench's seeded host inputs.
    public static func inputs(for model: MLModel) throws -> MLFeatureProvider {
        var features: [String: MLFeatureValue] = [:]
        for (name, description) in model.modelDescription.inputDescriptionsByName {
            guard let constraint = description.multiArrayConstraint else { continue }
            let array = try MLMultiArray(shape: constraint.shape, dataType: .float32)
            for index in 0..<array.count { array[index] = NSNumber(value: Float.random(in: 0..<1)) }
            features[name] = MLFeatureValue(multiArray: array)
        }
        return try MLDictionaryFeatureProvider(dictionary: features)
    }

    public static func run(compiled: URL, units: String, warmups: Int, runs: Int) throws -> BenchmarkRecord {
        let configuration = MLModelConfiguration()
        configuration.computeUnits = try computeUnits(units)
        let loadStart = DispatchTime.now()
        let model = try MLModel(contentsOf: compiled, configuration: configuration)
        let loadMs = milliseconds(since: loadStart)
        let input = try inputs(for: model)
        let firstStart = DispatchTime.now()
        _ = try model.prediction(from: input)
        let firstMs = milliseconds(since: firstStart)
        for _ in 0..<warmups { _ = try model.prediction(from: input) }
        var samples: [Double] = []
        for _ in 0..<runs {
            let start = DispatchTime.now()
            _ = try model.prediction(from: input)
            samples.append(milliseconds(since: start))
        }
        return BenchmarkRecord(compute_units: units, load_ms: loadMs, first_ms: firstMs, warmup_runs: warmups,
                               samples_ms: samples, footprint_bytes: footprint(), machine: machine(),
                               os: ProcessInfo.processInfo.operatingSystemVersionString)
    }

    /// The process's physical footprint now (what Xcode's memory gauge shows), in bytes.
    static func footprint() -> UInt64 {
        var info = task_vm_info_data_t()
        var count = mach_msg_type_number_t(MemoryLayout<task_vm_info_data_t>.size / MemoryLayout<natural_t>.size)
        let status = withUnsafeMutablePointer(to: &info) {
            $0.withMemoryRebound(to: integer_t.self, capacity: Int(count)) {
                task_info(mach_task_self_, task_flavor_t(TASK_VM_INFO), $0, &count)
            }
        }
        return status == KERN_SUCCESS ? info.phys_footprint : 0
    }

    static func machine() -> String {
        var system = utsname()
        uname(&system)
        return withUnsafeBytes(of: &system.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
